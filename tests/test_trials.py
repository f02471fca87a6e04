import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from screener.errors import InputError
from screener.trials import (
    AgeLimit,
    TrialSpec,
    default_library_dir,
    dump_trial,
    load_trial_file,
    load_trial_paths,
    load_trial_text,
)

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "rules"
SEEDS = REPO.parent / "shared" / "seeds"
DOC = REPO / "docs" / "trial-format.md"

MINIMAL = "id: T-1\ntitle: A trial\ninclusion:\n  - text: Adults.\n"

# id: (inclusion count, exclusion count), read off the seed pages
SEED_COUNTS = {
    "NCT06882811": (3, 12),
    "NCT01342250": (5, 9),
    "LOCAL-liver-failure-mscs": (8, 6),
    "NCT06610773": (5, 10),
    "NCT03033277": (4, 10),
}


def seed_trials() -> dict[str, TrialSpec]:
    trials, errors = load_trial_paths([RULES])
    assert errors == []
    return {trial.id: trial for trial in trials}


def write(tmp_path: Path, text: str, name: str = "trial.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the seed library -------------------------------------------------------


def test_every_seed_file_loads_and_is_named_after_its_id() -> None:
    files = sorted(RULES.glob("*.yaml"))
    assert {path.stem for path in files} == set(SEED_COUNTS)
    for path in files:
        assert load_trial_file(path).id == path.stem


def test_default_library_holds_the_seed_files() -> None:
    assert {path.name for path in default_library_dir().glob("*.yaml")} == {
        f"{trial_id}.yaml" for trial_id in SEED_COUNTS
    }


@pytest.mark.parametrize(("trial_id", "counts"), SEED_COUNTS.items())
def test_seed_criterion_counts(trial_id: str, counts: tuple[int, int]) -> None:
    trial = seed_trials()[trial_id]
    assert (len(trial.inclusion), len(trial.exclusion)) == counts


@pytest.mark.parametrize(
    ("trial_id", "status", "sex", "minimum", "maximum"),
    [
        ("NCT06882811", "RECRUITING", "all", None, None),
        ("NCT01342250", "COMPLETED", "all", "18 years", "70 years"),
        ("LOCAL-liver-failure-mscs", "RECRUITING", "all", None, None),
        ("NCT06610773", "RECRUITING", "female", "25 years", "60 years"),
        ("NCT03033277", "UNKNOWN", "female", "20 years", "40 years"),
    ],
)
def test_seed_structured_fields(
    trial_id: str, status: str, sex: str, minimum: str | None, maximum: str | None
) -> None:
    trial = seed_trials()[trial_id]
    assert (trial.status, trial.sex) == (status, sex)
    assert (str(trial.minimum_age) if trial.minimum_age else None) == minimum
    assert (str(trial.maximum_age) if trial.maximum_age else None) == maximum
    assert trial.source is not None and trial.source.startswith("seed page: shared/seeds/")


def test_seed_files_have_no_rewrites() -> None:
    assert all(c.rewrite is None for t in seed_trials().values() for c in t.criteria)


def test_local_id_is_explained() -> None:
    trial = seed_trials()["LOCAL-liver-failure-mscs"]
    assert trial.note is not None and "no registry id" in trial.note


def test_sepsis_sub_items_carry_their_heading() -> None:
    exclusion = seed_trials()["NCT06882811"].exclusion
    heading = "Specific medical conditions:"
    assert [c.context for c in exclusion] == [None] * 4 + [heading] * 8
    assert all(c.text != heading for c in exclusion)
    assert exclusion[4].text.startswith("History of chronic enteritis")
    assert exclusion[11].text == "Pregnancy, lactation, or plans for pregnancy within the next year"


@pytest.mark.parametrize(
    ("trial_id", "criterion_id", "text"),
    [
        ("NCT01342250", "inc-3",
         "Decompensated liver cirrhosis, Child-Pugh B/C (7-12 points); or Meld score≦21."),
        ("NCT01342250", "exc-2",
         "Severe problems in other vital organs(e.g. the heart, renal or lungs)"),
        ("NCT01342250", "exc-3",
         "Severe problems in psychiatric disease,such as Schizophrenia,et al"),
        ("LOCAL-liver-failure-mscs", "exc-4", "Patients with a MELD score \\> 30;"),
        ("LOCAL-liver-failure-mscs", "inc-3",
         "Total bilirubin (TBil) ≥ 171μmol/L or an increase of ≥ 17.1μmol/L per day;"),
        ("NCT06882811", "inc-1", "Age: 0-65 years old, diagnosed with sepsis"),
        ("NCT06882811", "exc-8",
         "Imminent terminal status (e.g., septic shock, life expectancy <7 days)"),
        ("NCT06610773", "inc-2",
         "Confirmed HPV infection by HPV-24 test;Patients diagnosed with high-risk human "
         "papillomavirus (HR-HPV) persistent infection; (note: the HR HPV: HPV "
         "16/18/31/33/35/39/45/51/52/53/56/58/59/66/68; 15 types)"),
        ("NCT03033277", "exc-10", "HIV+, hepatitis B, C;"),
    ],
)
def test_seed_texts_are_verbatim(trial_id: str, criterion_id: str, text: str) -> None:
    criteria = {c.id: c for c in seed_trials()[trial_id].criteria}
    assert criteria[criterion_id].text == text


# A list marker as the seed pages print them: "- • 1. ", "  • ", "  10. ", "- ".
LIST_MARKER = r"(?:- )?(?: *• )?(?: *\d+\. )?"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="no seed pages (shared/seeds) beside the repo")
@pytest.mark.parametrize("trial_id", SEED_COUNTS)
def test_seed_criteria_match_the_page_line_by_line(trial_id: str) -> None:
    trial = seed_trials()[trial_id]
    assert trial.source is not None
    page = (SEEDS / trial.source.rsplit("/", 1)[1]).read_text(encoding="utf-8").split("\n")
    position = 0
    for criterion in trial.criteria:  # each a whole page line less its marker, in page order
        pattern = re.compile(LIST_MARKER + re.escape(criterion.text))
        found = [i for i, line in enumerate(page) if i >= position and pattern.fullmatch(line)]
        assert found, f"{criterion.id} not found verbatim after line {position}: {criterion.text!r}"
        position = found[0] + 1


def test_doc_example_loads(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    trial = load_trial_file(write(tmp_path, block[1]))
    assert trial.inclusion[1].rewrite == "age in [18, 70] years"
    assert trial.exclusion[1].id == "exc-malignancy"


# --- the model --------------------------------------------------------------


def test_defaults_ids_kinds_and_bare_string_items() -> None:
    trial = load_trial_text(
        "id: T-1\ntitle: t\ninclusion:\n  - Adults.\n  - text: Consent.\n    id: consent\n"
        "  - text: Third.\nexclusion:\n  - text: Pregnancy\n",
        "t.yaml",
    )
    assert [(c.id, c.kind) for c in trial.criteria] == [
        ("inc-1", "inclusion"), ("consent", "inclusion"), ("inc-3", "inclusion"),
        ("exc-1", "exclusion"),
    ]
    assert trial.inclusion[0].text == "Adults."
    assert (trial.sex, trial.status, trial.minimum_age, trial.conditions) == ("all", None, None, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 years", AgeLimit(value=18, unit="years")),
        ("6 Months", AgeLimit(value=6, unit="months")),
        ("18 Years", AgeLimit(value=18, unit="years")),
        ("1 Year", AgeLimit(value=1, unit="years")),
        ("2 weeks", AgeLimit(value=2, unit="weeks")),
        ("28days", AgeLimit(value=28, unit="days")),
        ("N/A", None),
    ],
)
def test_age_limits(text: str, expected: AgeLimit | None) -> None:
    trial = load_trial_text(f"{MINIMAL}minimum_age: {text}\n", "t.yaml")
    assert trial.minimum_age == expected
    assert AgeLimit.parse(text) == expected


def test_age_limit_prints_as_written() -> None:
    assert [str(AgeLimit(value=v, unit="years")) for v in (1, 18)] == ["1 year", "18 years"]


def test_registry_fields_in_a_trial_file(tmp_path: Path) -> None:
    trial = load_trial_file(write(tmp_path, (
        "id: T\ntitle: t\nhealthy_volunteers: No\n"
        "locations:\n  - facility: Hôpital Beaujon\n    city: Clichy\n    country: France\n"
        "  - country: Germany\n"
        "inclusion:\n  - text: Negative pregnancy test\n    condition: 'Women of childbearing "
        "potential:'\nunclassified:\n  - Pregnancy\n  - text: Lactation\n    context: 'Other:'\n"
    )))
    assert trial.healthy_volunteers is False
    assert [str(location) for location in trial.locations] == [
        "Hôpital Beaujon, Clichy, France", "Germany",
    ]
    assert trial.inclusion[0].condition == "Women of childbearing potential:"
    assert [(c.id, c.kind, c.context) for c in trial.unclassified] == [
        ("unc-1", "unclassified", None), ("unc-2", "unclassified", "Other:"),
    ]
    assert [c.id for c in trial.criteria] == ["inc-1", "unc-1", "unc-2"]
    assert load_trial_text(dump_trial(trial), "dumped") == trial


def test_yaml_scalars_stay_text() -> None:
    trial = load_trial_text(
        "id: 2024\ntitle: yes\nconditions: [NO, 1.50, 2020-01-01]\n"
        "inclusion:\n  - text: NO\n  - text: 1.50\n  - text: on\n  - text: 2020-01-01\n",
        "t.yaml",
    )
    assert (trial.id, trial.title) == ("2024", "yes")
    assert trial.conditions == ["NO", "1.50", "2020-01-01"]
    assert [c.text for c in trial.inclusion] == ["NO", "1.50", "on", "2020-01-01"]


def test_status_is_normalised_to_the_registry_spelling() -> None:
    trial = load_trial_text(f"{MINIMAL}status: Active, not recruiting\n", "t.yaml")
    assert trial.status == "ACTIVE_NOT_RECRUITING"


def test_text_is_kept_exactly() -> None:
    trial = load_trial_text(
        "id: T-1\ntitle: t\ninclusion:\n  - text: '  spaced  out  '\n  - text: a \\> b\n", "t"
    )
    assert [c.text for c in trial.inclusion] == ["  spaced  out  ", "a \\> b"]


def test_the_model_is_frozen() -> None:
    trial = load_trial_text(MINIMAL, "t.yaml")
    with pytest.raises(ValidationError):
        trial.title = "changed"  # type: ignore[misc]


def test_the_model_rejects_duplicate_ids_when_built_directly() -> None:
    with pytest.raises(ValidationError, match="duplicate criterion id 'x'"):
        TrialSpec.model_validate({
            "id": "T", "title": "t",
            "inclusion": [{"text": "a", "id": "x"}], "exclusion": [{"text": "b", "id": "x"}],
        })


# --- errors name the file and the field ------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("id: T\ntitle: [unclosed\n", "", "invalid YAML at line 3"),
        ("id: T\ntitle: t\ntitle: u\n", "", "invalid YAML at line 3, column 1: "),
        ("", "", "the file is empty"),
        ("- a list\n", "", "expected a mapping"),
        ("title: t\ninclusion: [a]\n", "id", "required, but missing"),
        ("id: T\ninclusion: [a]\n", "title", "required, but missing"),
        ("id: T\ntitle: [a, b]\n", "title", "expected text, got a list"),
        ("id: T 1\ntitle: t\n", "id", "is not a valid id"),
        ("id: T\ntitle: t\ninclusion: a\n", "inclusion", "expected a list"),
        ("id: T\ntitle: t\ninclusion:\n  - [a]\n", "inclusion[0]", "expected a criterion"),
        ("id: T\ntitle: t\ninclusion:\n  - text: a\n  - text: '  '\n",
         "inclusion[1].text", "is empty"),
        ("id: T\ntitle: t\nexclusion:\n  - text:\n", "exclusion[0].text",
         "expected text, got nothing"),
        ("id: T\ntitle: t\ninclusion:\n  - id: a\n", "inclusion[0].text", "required, but missing"),
        ("id: T\ntitle: t\ninclusion:\n  - text: a\n    txet: b\n",
         "inclusion[0].txet", "did you mean 'text'"),
        ("id: T\ntitle: t\ninclusions: [a]\n", "inclusions", "did you mean 'inclusion'"),
        ("id: T\ntitle: t\nminimum_age: eighteen years\n", "minimum_age",
         "'eighteen years' is not an age"),
        ("id: T\ntitle: t\nmaximum_age: 18\n", "maximum_age", "'18' is not an age"),
        ("id: T\ntitle: t\nminimum_age: 20 years\nmaximum_age: 10 years\n", "maximum_age",
         "maximum age 10 years is below the minimum age 20 years"),
        ("id: T\ntitle: t\nsex: females\n", "sex", "unknown sex 'females'"),
        ("id: T\ntitle: t\nstatus: recruting\n", "status", "unknown recruitment status"),
        ("id: T\ntitle: t\ninclusion: [a]\nexclusion:\n  - text: b\n    id: inc-1\n",
         "exclusion[0].id", "duplicate criterion id 'inc-1' (also inclusion[0])"),
        ("id: T\ntitle: t\ninclusion:\n  - text: a\n    kind: exclusion\n",
         "inclusion[0].kind", "a criterion of kind exclusion under inclusion"),
        ("id: T\ntitle: t\nhealthy_volunteers: maybe\n", "healthy_volunteers",
         "expected yes or no"),
        ("id: T\ntitle: t\nlocations:\n  - cty: Lyon\n", "locations[0].cty",
         "did you mean 'city'"),
        ("id: T\ntitle: t\nlocations:\n  - [Lyon]\n", "locations[0]", "expected a location"),
        ("id: T\ntitle: t\nlocations:\n  - facility:\n", "locations[0]",
         "a location needs a facility, a city or a country"),
        ("id: T\ntitle: t\nunclassified:\n  - text: a\n    conditon: b\n",
         "unclassified[0].conditon", "did you mean 'condition'"),
        ("id: T\ntitle: t\ninclusion: [a]\nunclassified:\n  - text: b\n    id: inc-1\n",
         "unclassified[0].id", "duplicate criterion id 'inc-1' (also inclusion[0])"),
    ],
)
def test_error_names_file_and_field(tmp_path: Path, text: str, field: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_trial_file(path)
    error = caught.value
    assert (error.source, error.field) == (str(path), field)
    assert message in error.message
    assert str(error).startswith(f"{path}: {field}: " if field else f"{path}: ")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "id: T\nsex: x\nminimum_age: old\ninclusion:\n  - text: ''\n  - text: a\n    id: inc-1\n",
    )
    with pytest.raises(InputError) as caught:
        load_trial_file(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: title: required, but missing; ")
    for part in ("; sex: unknown sex", "; minimum_age: 'old' is not an age",
                 "; inclusion[0].text: is empty", "; inclusion[1].id: duplicate criterion id"):
        assert part in text


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load_trial_file(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("id: T\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_trial_file(latin1)


def test_python_tags_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "id: !!python/object/apply:os.system ['true']\ntitle: t\n")
    with pytest.raises(InputError, match="invalid YAML at line 1"):
        load_trial_file(path)


# --- loading many files -------------------------------------------------------


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL.replace("T-1", "A"), "a.yaml")
    bad = write(tmp_path, "id: B\ntitle: t\nsex: both\n", "b.yaml")
    write(tmp_path, MINIMAL.replace("T-1", "C"), "c.yml")
    write(tmp_path, "not a trial", "notes.txt")
    trials, errors = load_trial_paths([tmp_path])
    assert [t.id for t in trials] == ["A", "C"]
    assert [(e.source, e.field) for e in errors] == [(str(bad), "sex")]


def test_files_and_folders_mixed(tmp_path: Path) -> None:
    folder = tmp_path / "more"
    folder.mkdir()
    single = write(tmp_path, MINIMAL.replace("T-1", "A"), "a.yaml")
    write(folder, MINIMAL.replace("T-1", "B"), "b.yaml")
    trials, errors = load_trial_paths([folder, single, single, RULES])
    assert [t.id for t in trials][:2] == ["B", "A"]
    assert len(trials) == 2 + len(SEED_COUNTS)
    assert errors == []


def test_a_second_file_with_the_same_id_is_rejected(tmp_path: Path) -> None:
    first = write(tmp_path, MINIMAL, "a.yaml")
    second = write(tmp_path, MINIMAL, "b.yaml")
    trials, errors = load_trial_paths([tmp_path])
    assert len(trials) == 1
    assert [(e.source, e.field) for e in errors] == [(str(second), "id")]
    assert f"trial id 'T-1' is already used by {first}" in errors[0].message


def test_missing_paths_and_empty_folders_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    trials, errors = load_trial_paths([tmp_path / "nowhere", empty])
    assert trials == []
    assert [e.message for e in errors] == [
        "no such file or folder", "the folder holds no trial files (*.yaml, *.yml, *.json)",
    ]


# --- writing ------------------------------------------------------------------


@pytest.mark.parametrize("trial_id", SEED_COUNTS)
def test_seed_files_round_trip(trial_id: str) -> None:
    trial = seed_trials()[trial_id]
    assert load_trial_text(dump_trial(trial), "dumped") == trial


def test_dump_is_readable() -> None:
    trial = TrialSpec.model_validate({
        "id": "T", "title": "t", "minimum_age": "18 Years", "conditions": ["Sepsis"],
        "inclusion": [{"text": "Age: 18+", "id": "inc-1"}, {"text": "Other", "id": "own"}],
        "exclusion": [{"text": "two\nlines", "id": "exc-1", "context": "Heading:"}],
    })
    assert dump_trial(trial) == (
        "id: T\ntitle: t\nsex: all\nminimum_age: 18 years\nconditions:\n  - Sepsis\n"
        "\ninclusion:\n  - text: 'Age: 18+'\n  - text: Other\n    id: own\n"
        "\nexclusion:\n  - text: |-\n      two\n      lines\n    context: 'Heading:'\n"
    )


TRICKY = [
    "\\>", "a: b", "- a", "#x", "a #b", "'q'", '"dq"', "|", ">", "?", "&a", "*a", "!t", "%", "@",
    "`", "[a]", "{a}", "NO", "null", "~", "yes", "1.50", " lead", "trail ", "\n", "\r\n", "\t",
    "\x85", "\u2028", "\u2029", "\ufeff", "\x00", "≦", "μ", "😀", "---", "...",
]
TEXT = (
    st.lists(
        st.one_of(st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
                  st.sampled_from(TRICKY)),
        min_size=1, max_size=5,
    )
    .map("".join)
    .filter(lambda text: bool(text.strip()))
)
IDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,8}", fullmatch=True)


@st.composite
def trials(draw: st.DrawFn) -> TrialSpec:
    def criteria(kind: str) -> list[dict[str, str | None]]:
        return [
            {
                "text": draw(TEXT),
                "id": f"{kind[:3]}{index}-{draw(IDS)}" if draw(st.booleans()) else None,
                "rewrite": draw(st.none() | TEXT),
                "context": draw(st.none() | TEXT),
                "condition": draw(st.none() | TEXT),
            }
            for index in range(draw(st.integers(0, 3)))
        ]

    def location() -> dict[str, str | None]:
        parts = {key: draw(st.none() | TEXT) for key in ("facility", "city", "country")}
        if all(value is None for value in parts.values()):
            parts["country"] = draw(TEXT)
        return parts

    return TrialSpec.model_validate({
        "id": draw(IDS),
        "title": draw(TEXT),
        "status": draw(st.none() | st.sampled_from(["RECRUITING", "UNKNOWN"])),
        "sex": draw(st.sampled_from(["all", "female", "male"])),
        "minimum_age": draw(st.none() | st.sampled_from(["0 days", "1 year", "18 years"])),
        "healthy_volunteers": draw(st.none() | st.booleans()),
        "conditions": draw(st.lists(TEXT, max_size=2)),
        "locations": [location() for _ in range(draw(st.integers(0, 2)))],
        "source": draw(st.none() | TEXT),
        "note": draw(st.none() | TEXT),
        "inclusion": criteria("inclusion"),
        "exclusion": criteria("exclusion"),
        "unclassified": criteria("unclassified"),
    })


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trials())
def test_dump_then_load_gives_the_same_trial(trial: TrialSpec) -> None:
    assert load_trial_text(dump_trial(trial), "dumped") == trial
