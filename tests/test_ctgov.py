"""ClinicalTrials.gov API v2 JSON as trial input (screener/ctgov.py), the trial
filters (screener/filters.py) and `screen import`.

Studies are small inline dicts written to tmp_path; the real development
corpus (shared/corpus next to the repository) is used where it is present.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from screener import ctgov
from screener import rules as r
from screener.cli import app
from screener.compiler import compile_criterion
from screener.errors import InputError
from screener.filters import TrialFilter
from screener.library import TrialLibrary
from screener.logic import Status
from screener.patient import patient_from_dict
from screener.resources import PACKAGE_DIR
from screener.results import Effect, Kind, Origin, Verdict
from screener.trials import (
    AgeLimit,
    CriterionSpec,
    Location,
    TrialSpec,
    dump_trial,
    load_trial_file,
    load_trial_paths,
    load_trial_text,
)

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DEV = CORPUS / "ctgov_dev.json"
DEV_LARGE = CORPUS / "ctgov_dev_large.json"
needs_dev = pytest.mark.skipif(not DEV.exists(), reason=f"corpus file {DEV} not present")
needs_large = pytest.mark.skipif(
    not DEV_LARGE.exists(), reason=f"corpus file {DEV_LARGE} not present"
)

NCT_FIELD = "protocolSection.identificationModule.nctId"
DATE = "2026-01-15"

CRITERIA = """\
Inclusion Criteria:

* Aged 18 to 70 years
* Signed informed consent

Exclusion Criteria:

* Pregnancy
* Total bilirubin \\> 3 mg/dL"""

PATIENT = {  # 55 years old on DATE, male
    "id": "P-1",
    "birth_date": "1970-03-01",
    "sex": "male",
}

runner = CliRunner()


# ---------------------------------------------------------------------------
# builders


def study(
    nct_id: str | None = "NCT00000001",
    title: str | None = "A test study",
    criteria: str | None = CRITERIA,
    status: str | None = "RECRUITING",
    locations: list[dict[str, Any]] | None = None,
    **eligibility: Any,
) -> dict[str, Any]:
    """An API v2 study; `eligibility` adds eligibilityModule fields (sex, minimumAge, ...)."""
    identification: dict[str, Any] = {}
    if nct_id is not None:
        identification["nctId"] = nct_id
    if title is not None:
        identification["briefTitle"] = title
    protocol: dict[str, Any] = {
        "identificationModule": identification,
        "conditionsModule": {"conditions": ["Liver Failure"]},
        "eligibilityModule": dict(eligibility),
    }
    if criteria is not None:
        protocol["eligibilityModule"]["eligibilityCriteria"] = criteria
    if status is not None:
        protocol["statusModule"] = {"overallStatus": status}
    if locations is not None:
        protocol["contactsLocationsModule"] = {"locations": locations}
    return {"protocolSection": protocol, "hasResults": False}


def page(*studies: dict[str, Any]) -> dict[str, Any]:
    return {"studies": list(studies), "nextPageToken": "abc"}


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def load_one(tmp_path: Path, data: object) -> TrialSpec:
    trials, errors = load_trial_paths([write_json(tmp_path / "study.json", data)])
    assert errors == []
    assert len(trials) == 1
    return trials[0]


def run(*args: str | Path) -> Result:
    """`screen ARGS` in-process; an engine exception is re-raised here (SCREENER_DEBUG=1)."""
    result = runner.invoke(
        app, [str(a) for a in args], prog_name="screen",
        env={"SCREENER_DEBUG": "1", "NO_COLOR": None},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


# ---------------------------------------------------------------------------
# mapping one study


def test_a_study_maps_to_a_trial(tmp_path: Path) -> None:
    data = study(
        sex="ALL", minimumAge="18 Years", maximumAge="70 Years", healthyVolunteers=False,
        locations=[{"facility": "Hôpital Beaujon", "city": "Clichy", "country": "France",
                    "status": "RECRUITING", "geoPoint": {"lat": 48.9, "lon": 2.3}}],
    )
    trial = load_one(tmp_path, data)
    assert trial.id == "NCT00000001"
    assert trial.title == "A test study"
    assert trial.status == "RECRUITING"
    assert trial.conditions == ["Liver Failure"]
    assert trial.sex == "all"
    assert trial.minimum_age == AgeLimit(value=18, unit="years")
    assert trial.maximum_age == AgeLimit(value=70, unit="years")
    assert trial.healthy_volunteers is False
    assert trial.locations == [Location(facility="Hôpital Beaujon", city="Clichy",
                                        country="France")]
    assert trial.source is not None and "study.json" in trial.source


def test_criteria_are_segmented_verbatim_with_positional_ids(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study())
    assert [(c.id, c.kind) for c in trial.criteria] == [
        ("inc-1", "inclusion"), ("inc-2", "inclusion"),
        ("exc-1", "exclusion"), ("exc-2", "exclusion"),
    ]
    for criterion in trial.criteria:
        assert criterion.text in CRITERIA  # verbatim, only the list marker removed
    assert trial.exclusion[1].text == "Total bilirubin \\> 3 mg/dL"
    assert trial.unclassified == []


def test_items_without_a_section_are_unclassified(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study(criteria="* Aged 18 years or older\n* Pregnancy"))
    assert trial.inclusion == [] and trial.exclusion == []
    assert [(c.id, c.kind) for c in trial.unclassified] == [
        ("unc-1", "unclassified"), ("unc-2", "unclassified"),
    ]
    result = _screen(trial)
    assert result.verdict is Verdict.NEEDS_REVIEW and not result.pending_confirmation


def test_headings_become_context_and_condition(tmp_path: Path) -> None:
    text = ("Inclusion Criteria:\n\n* Adults\n\nExclusion Criteria:\n\n"
            "* For women of childbearing potential:\n  * Pregnancy\n  * Lactation")
    trial = load_one(tmp_path, study(criteria=text))
    assert [(c.id, c.text, c.condition) for c in trial.exclusion] == [
        ("exc-1", "Pregnancy", "For women of childbearing potential:"),
        ("exc-2", "Lactation", "For women of childbearing potential:"),
    ]


@pytest.mark.parametrize(("given", "expected"), [
    ({}, None),
    ({"minimumAge": "N/A"}, None),
    ({"minimumAge": "6 Months"}, AgeLimit(value=6, unit="months")),
    ({"minimumAge": "1 Year"}, AgeLimit(value=1, unit="years")),
    ({"minimumAge": "2 Weeks"}, AgeLimit(value=2, unit="weeks")),
    ({"minimumAge": "28 Days"}, AgeLimit(value=28, unit="days")),
])
def test_ages(tmp_path: Path, given: dict[str, str], expected: AgeLimit | None) -> None:
    assert load_one(tmp_path, study(**given)).minimum_age == expected


def test_absent_fields_mean_no_limit(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study(status=None))
    assert (trial.sex, trial.minimum_age, trial.maximum_age) == ("all", None, None)
    assert trial.status is None and trial.healthy_volunteers is None
    assert trial.locations == []


@pytest.mark.parametrize("age", ["12 Hours", "30 Minutes"])
def test_ages_in_hours_or_minutes_reject_that_study_only(tmp_path: Path, age: str) -> None:
    path = write_json(tmp_path / "page.json", page(
        study("NCT00000001", minimumAge=age), study("NCT00000002", minimumAge="1 Year"),
    ))
    trials, errors = load_trial_paths([path])
    assert [t.id for t in trials] == ["NCT00000002"]
    (error,) = errors
    assert error.source == f"{path}#studies[0]"
    assert error.field == "protocolSection.eligibilityModule.minimumAge"
    assert "not supported" in error.message and "NCT00000001" in error.message


def test_sex_becomes_a_structured_rule(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study(sex="FEMALE", minimumAge="18 Years"))
    assert trial.sex == "female"
    compiled = TrialLibrary.from_specs([trial]).trials[0]
    structured = {c.id: c for c in compiled.criteria if c.origin is Origin.STRUCTURED}
    assert set(structured) == {"sex", "minimum-age"}
    assert structured["sex"].canonical == "sex = female"
    report = TrialLibrary.from_specs([trial]).screen(patient_from_dict(PATIENT, "p"))
    (result,) = report.trials
    assert result.verdict is Verdict.INELIGIBLE
    assert next(c for c in result.criteria if c.id == "sex").effect is Effect.FAIL


def test_a_record_without_title_gets_a_placeholder_and_a_note(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study(title=""))
    assert trial.title == ctgov.UNTITLED
    assert trial.note is not None and "no title" in trial.note


def test_official_title_stands_in_for_a_missing_brief_title(tmp_path: Path) -> None:
    data = study(title=None)
    data["protocolSection"]["identificationModule"]["officialTitle"] = "The official title"
    assert load_one(tmp_path, data).title == "The official title"


def test_a_record_without_criteria_text_says_so(tmp_path: Path) -> None:
    trial = load_one(tmp_path, study(criteria=None))
    assert trial.criteria == []
    assert trial.note is not None and "no eligibility criteria" in trial.note


# ---------------------------------------------------------------------------
# documents, folders, errors


def test_page_list_and_folder_forms(tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_json(folder / "page.json", page(study("NCT00000001"), study("NCT00000002")))
    write_json(folder / "one.json", study("NCT00000003"))
    (folder / "local.yaml").write_text("id: LOCAL-1\ntitle: A local trial\n", encoding="utf-8")
    listed = write_json(tmp_path / "download.json", [study("NCT00000004")])
    trials, errors = load_trial_paths([folder, listed])
    assert errors == []
    assert sorted(t.id for t in trials) == [
        "LOCAL-1", "NCT00000001", "NCT00000002", "NCT00000003", "NCT00000004",
    ]


def test_registry_json_is_recognised_by_content(tmp_path: Path) -> None:
    odd_name = write_json(tmp_path / "NCT00000001.txt", study())
    trials, errors = load_trial_paths([odd_name])
    assert errors == [] and [t.id for t in trials] == ["NCT00000001"]
    yaml_flow = tmp_path / "flow.yaml"  # YAML flow syntax starting with `{` is still YAML
    yaml_flow.write_text("{id: T-1, title: Flow}\n", encoding="utf-8")
    trials, errors = load_trial_paths([yaml_flow])
    assert errors == [] and [t.id for t in trials] == ["T-1"]


def test_one_malformed_study_is_rejected_and_the_others_load(tmp_path: Path) -> None:
    bad_sex = study("NCT00000003", sex="BOTH")
    bad_sex["protocolSection"]["conditionsModule"]["conditions"] = "Liver Failure"
    path = write_json(tmp_path / "page.json", page(
        study("NCT00000001"), study(nct_id=None), bad_sex, study("NCT00000004"), "not a study",
    ))
    trials, errors = load_trial_paths([path])
    assert [t.id for t in trials] == ["NCT00000001", "NCT00000004"]
    assert [(e.source, e.field) for e in errors] == [
        (f"{path}#studies[1]", NCT_FIELD),
        (f"{path}#studies[2]", "protocolSection.conditionsModule.conditions"),
        (f"{path}#studies[4]", ""),
    ]
    assert "required, but missing" in errors[0].message
    assert "unknown sex 'BOTH'" in errors[1].message  # every problem of the study
    assert errors[1].message.endswith("(study NCT00000003)")
    assert "expected a study" in errors[2].message


@pytest.mark.parametrize(("data", "message"), [
    ({"protocolSection": "x"}, "expected the study's protocol section"),
    (study(nct_id="NCT 1"), "is not a valid id"),
    (study(status="RECRUITNG"), "unknown recruitment status"),
    (study(minimumAge="eighteen"), "is not an age"),
    (study(minimumAge="70 Years", maximumAge="18 Years"), "maximum age 18 years is below"),
    (study(healthyVolunteers="maybe"), "expected true or false"),
    (study(locations=[{"facility": 3}]), "expected text"),
])
def test_study_errors_name_the_registry_field(
    tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    path = write_json(tmp_path / "study.json", data)
    trials, errors = load_trial_paths([path])
    assert trials == []
    (error,) = errors
    assert error.source == str(path)
    assert error.field.startswith("protocolSection")
    assert message in error.message


@pytest.mark.parametrize(("text", "message"), [
    ('{"studies": [', "invalid JSON at line 1"),
    ('{"studies": []}', "the page holds no studies"),
    ('{"studies": {}}', "expected a list of studies"),
    ('{"id": "T-1"}', "expected ClinicalTrials.gov API v2 JSON"),
    ("[]", "expected ClinicalTrials.gov API v2 JSON"),
])
def test_unusable_json_is_one_error_for_the_file(tmp_path: Path, text: str,
                                                 message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    trials, errors = load_trial_paths([path])
    assert trials == []
    assert [e.source for e in errors] == [str(path)]
    assert message in errors[0].message


def test_a_repeated_nct_id_is_rejected(tmp_path: Path) -> None:
    path = write_json(tmp_path / "page.json", page(study("NCT00000001"), study("NCT00000001")))
    trials, errors = load_trial_paths([path])
    assert len(trials) == 1
    assert [(e.source, e.field) for e in errors] == [(f"{path}#studies[1]", NCT_FIELD)]
    assert f"already used by {path}#studies[0]" in errors[0].message


def test_study_to_spec_raises_one_input_error() -> None:
    with pytest.raises(InputError) as caught:
        ctgov.study_to_spec(study(sex="X", minimumAge="1 Hour"), "s.json#studies[0]")
    assert caught.value.field == "protocolSection.eligibilityModule.sex"
    assert "minimumAge" in caught.value.message


# ---------------------------------------------------------------------------
# unclassified items and restricting headings in screening


def _screen(spec: TrialSpec, **patient: Any) -> Any:
    subject = patient_from_dict({**PATIENT, **patient}, "p")
    (result,) = TrialLibrary.from_specs([spec]).screen(subject, on=dt.date(2026, 1, 15)).trials
    return result


def test_unclassified_items_are_review_and_never_decide() -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "unclassified": ["Pregnancy", "Aged 18-70 years."],
    })
    kinds = {c.id: c.kind for c in TrialLibrary.from_specs([spec]).trials[0].criteria}
    assert kinds == {"unc-1": Kind.UNCLASSIFIED, "unc-2": Kind.UNCLASSIFIED}
    answers = [{"trial": "T-1", "criterion": cid, "answer": "met", "by": "coordinator"}
               for cid in ("unc-1", "unc-2")]
    for extra in ({}, {"answers": answers}):
        result = _screen(spec, **extra)
        assert result.verdict is Verdict.NEEDS_REVIEW  # not eligible, not ineligible
        assert result.pending_confirmation is False
        assert result.open.judgement == 2
        assert {c.effect for c in result.criteria} == {Effect.OPEN}
    assert {c.status for c in _screen(spec).criteria} == {Status.REVIEW}


def test_a_restricting_heading_limits_an_exclusion() -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "exclusion": [{"text": "Pregnancy", "condition": "For women of childbearing potential:"}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert criterion.condition == "For women of childbearing potential:"
    assert criterion.canonical is not None and "pregnant" in criterion.canonical
    assert _screen(spec).criteria[0].effect is Effect.PASS  # a man is not pregnant
    assert _screen(spec).criteria[0].context == "For women of childbearing potential:"
    pregnant = {"sex": "female", "pregnancy": {"status": "present", "date": "2026-01-14"}}
    assert _screen(spec, **pregnant).criteria[0].effect is not Effect.PASS


def test_a_restricting_heading_never_fails_an_inclusion_it_may_not_cover() -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "inclusion": [{"text": "Aged 18-30 years.", "condition": "Cohort B:"}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert criterion.canonical is not None and criterion.canonical.startswith("implies(")
    assert _screen(spec).criteria[0].effect is Effect.OPEN  # 55: fails only if in cohort B
    assert _screen(spec, birth_date="2000-01-01").criteria[0].effect is Effect.PASS


def test_a_heading_of_uncertain_reach_is_read_with_and_without_it() -> None:
    """'Female participants:' inside a numbered list may end before an item: both readings."""
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "inclusion": [{"text": "Aged 18-30 years.", "condition": "Female participants:",
                       "condition_scope": "uncertain"}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert criterion.canonical is not None and criterion.canonical.startswith("readings(")
    man = {"sex": "male", "birth_date": "1970-01-01"}
    assert _screen(spec, **man).criteria[0].effect is Effect.OPEN  # fails unless it is women's
    young_man = {"sex": "male", "birth_date": "2000-01-01"}
    assert _screen(spec, **young_man).criteria[0].effect is Effect.PASS  # both readings agree
    text = (
        "Inclusion Criteria:\n\n1. Aged 18 years or older\n2. ECOG 0-1\n\n"
        "   Female participants:\n3. Not pregnant\n4. Life expectancy > 12 weeks\n\n"
        "Exclusion Criteria:\n\n* Pregnancy\n"
    )
    items = ctgov._criteria(text)["inclusion"]
    assert [(i["condition"], i["condition_scope"]) for i in items[2:]] == [
        ("Female participants:", "uncertain"), ("Female participants:", "uncertain")]
    own_list = "Inclusion Criteria:\n\nFemale participants:\n1. Not pregnant\n2. Not lactating\n"
    assert {i["condition_scope"] for i in ctgov._criteria(own_list)["inclusion"]} == {None}


@pytest.mark.parametrize("heading", [
    "Second primary malignancy, except:",
    "History of another primary malignancy except for:",
    "Toxicity of prior therapy not recovered to grade 0-1, with the following exceptions:",
])
def test_an_item_of_an_exception_list_is_review(heading: str) -> None:
    """'Malignancy, except:' then 'non-melanoma skin cancer': whom the heading spares."""
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "exclusion": [{"text": "Non-melanoma skin cancer", "context": heading}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert isinstance(criterion.rule, r.Review)
    assert "exception list" in criterion.reasons[0]


@pytest.mark.parametrize("heading", [
    "Patients with ALL (except for patients with B-ALL) who fulfil the following criteria:",
    "Diagnoses of the following conditions (current unless otherwise stated):",
    "Specific medical conditions:",
    # an exclusion's usual openings: each item excludes on its own
    "The participant may not enter the study if ANY of the following apply:",
    "(If any of the following apply, the subject MUST NOT enter the study):",
    "Patients with any of the following criteria are not eligible for enrollment in this study:",
    "Uncontrolled severe illness, including but not limited to:",
    "Diagnosis of one of the following:",
])
def test_a_heading_with_an_exception_of_its_own_leaves_its_items_compiled(heading: str) -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "exclusion": [{"text": "Bipolar disorder", "context": heading}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert criterion.canonical == "condition(bipolar_disorder)"


@pytest.mark.parametrize(("kind", "heading"), [
    # negated: "Cardiac arrhythmia" under it had compiled to a required arrhythmia
    ("inclusion", "PATIENT CHARACTERISTICS: / No concurrent uncontrolled illness including, "
                  "but not limited to, any of the following:"),
    ("inclusion", "Patients must not have any uncontrolled intercurrent illness including, but "
                  "not limited to:"),
    ("inclusion", "Subjects who do not meet the criteria listed above but who do meet diagnostic "
                  "criteria for recurrent brief depression will also be studied."),
    ("inclusion", "Patients must be free of the following:"),
    ("exclusion", "No clinical, radiological or laboratory evidence of pancreatitis, including:"),
    # spared
    ("exclusion", "Potential participants who have the following exclusion criteria may be "
                  "eligible for participation, based on study staff approval:"),
    ("exclusion", "Asymptomatic individuals with chronic hepatitis C virus (HCV) infection will "
                  "not be excluded, however Investigators must carefully assess"),
    # alternatives or examples of an inclusion
    ("inclusion", "Abnormal laboratory indicators, any of them:"),
    ("inclusion", "Patients must have one of the following:"),
    ("inclusion", "Exhibit at least two of the following clinical symptoms of pneumonia:"),
    ("inclusion", "Women with systemic autoimmune disease, including:"),
    ("inclusion", "Diagnosis of high-risk hematological malignancy. This includes:"),
    ("exclusion", "Donors determined to be ineligible based on the results of Zika virus screening "
                  "may be determined to be eligible if:"),
    ("inclusion", "Evidence of cardiac involvement including any 2 of the following:"),
    ("inclusion", "Cohort 1 (chemotherapy-ineligible) - either of:"),
    ("inclusion", "OR"),
    # joint items of an exclusion
    ("exclusion", "Meets all of the following:"),
    ("exclusion", "At least two of the following risk factors:"),
    ("exclusion", "Both of the following:"),
])
def test_an_item_under_a_heading_that_changes_its_meaning_is_review(
    kind: str, heading: str
) -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        kind: [{"text": "Cardiac arrhythmia", "context": heading}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert isinstance(criterion.rule, r.Review)
    assert "heading" in criterion.reasons[0] or "alternative lists" in criterion.reasons[0]


@pytest.mark.parametrize("heading", [
    "Patients must meet all of the following criteria:",
    "Adequate organ function as defined below:",
    "PATIENT CHARACTERISTICS: / Hepatic:",
    "Randomization:",
    "Participants are eligible to be included in the study only if all of the following apply:",
    "Subjects who are applicable to all of the following criteria will be eligible for inclusion "
    "in this clinical study.",
    "Participants will be eligible to participate if they are:",
])
def test_an_inclusion_heading_that_requires_every_item_leaves_it_compiled(heading: str) -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t",
        "inclusion": [{"text": "Cardiac arrhythmia", "context": heading}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert criterion.canonical == "condition(cardiac_arrhythmia)"


def test_a_bare_or_between_two_lists_makes_every_item_of_its_section_review() -> None:
    """'A; B; Age ≥ 60 / OR / C; Age ≥ 18': neither list's items are each required."""
    text = (
        "Inclusion Criteria:\n\n* Previously untreated leukemia\n* Age ≥ 60 Years\n\nOR\n\n"
        "* Relapsed leukemia\n* Age ≥ 18 Years\n* ECOG performance status ≤2\n\n"
        "Exclusion Criteria:\n\n* Pregnancy\n"
    )
    items = ctgov._criteria(text)
    spec = TrialSpec.model_validate({"id": "T-1", "title": "t", **{
        kind: [{k: v for k, v in item.items() if v is not None} for item in items[kind]]
        for kind in ("inclusion", "exclusion")
    }})
    criteria = TrialLibrary.from_specs([spec]).trials[0].criteria
    rules = {c.text: c.canonical for c in criteria}
    assert rules["Age ≥ 60 Years"] is None and rules["ECOG performance status ≤2"] is None
    assert rules["Pregnancy"] == "pregnant"


def _inclusion_rules(*texts: str) -> dict[str, str | None]:
    spec = TrialSpec.model_validate(
        {"id": "T-1", "title": "t", "inclusion": [{"text": t} for t in texts]}
    )
    return {c.text: c.canonical for c in TrialLibrary.from_specs([spec]).trials[0].criteria}


@pytest.mark.parametrize(("texts", "alternatives"), [
    # one item per sex: no patient meets both, so the list sets out alternatives
    (("men age ≥55 years", "women age ≥65 years", "Serum creatinine ≤ 1.5 mg/dL"),
     {"men age ≥55 years", "women age ≥65 years"}),
    # the other sex's item compiles in part: its sex and age are still required of everyone
    (("men age ≥55 years", "Women aged ≥50 years who are at increased risk of coronary artery "
      "disease", "ECOG performance status ≤2"),
     {"men age ≥55 years", "Women aged ≥50 years who are at increased risk of coronary artery "
      "disease"}),
    # the other sex's item does not compile: its opening still names the other sex
    (("men age ≥55 years", "Women over 50 if postmenopausal", "ECOG performance status ≤2"),
     {"men age ≥55 years"}),
    # age groups that do not overlap
    (("Adults aged 18-65 years", "Children aged 6 to 17 years", "ECOG performance status ≤2"),
     {"Adults aged 18-65 years", "Children aged 6 to 17 years"}),
    (("Age ≥ 18 years", "Age < 18 years"), {"Age ≥ 18 years", "Age < 18 years"}),
    (("Age ≥ 18 months", "Age < 1.5 years"), {"Age ≥ 18 months", "Age < 1.5 years"}),
])
def test_inclusion_items_no_patient_meets_together_are_alternatives(
    texts: tuple[str, ...], alternatives: set[str]
) -> None:
    rules = _inclusion_rules(*texts)
    def compiles(text: str) -> bool:
        return compile_criterion(text, "inclusion").rule != r.Review(text)

    assert all(compiles(text) for text in alternatives)
    assert {text for text, rule in rules.items() if rule is None} >= alternatives
    assert all(rules[t] is not None for t in texts if t not in alternatives and compiles(t))


def test_a_rule_in_both_sections_is_review() -> None:
    """An item copied into the wrong section: under both, every patient it decides is
    rejected. The registry's own age field counts as an inclusion."""
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t", "minimum_age": "18 years",
        "inclusion": [{"text": "Patients with chronic kidney failure;"}, {"text": "ECOG 0-1"}],
        "exclusion": [
            {"text": "Patients with chronic kidney failure;"},
            {"text": "Age: >= 18 years."},
            {"text": "Pregnant women"},
        ],
    })
    criteria = TrialLibrary.from_specs([spec]).trials[0].criteria
    rules = {(c.kind.value, c.text): c.canonical for c in criteria}
    assert rules["inclusion", "Patients with chronic kidney failure;"] is None
    assert rules["exclusion", "Patients with chronic kidney failure;"] is None
    assert rules["exclusion", "Age: >= 18 years."] is None
    assert rules["inclusion", "Minimum age: 18 years"] == "age >= 18 years"
    assert rules["inclusion", "ECOG 0-1"] == "score(ecog) in [0, 1]"
    assert rules["exclusion", "Pregnant women"] == "pregnant"


def _trial_rules(title: str, inclusion: list[str], exclusion: list[str]) -> dict[str, str | None]:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": title,
        "inclusion": [{"text": t} for t in inclusion],
        "exclusion": [{"text": t} for t in exclusion],
    })
    return {c.text: c.canonical for c in TrialLibrary.from_specs([spec]).trials[0].criteria}


_BESIDE = 'qualified("other than the cancer under study"; '


def test_a_malignancy_that_may_be_the_trials_own_cancer_is_one_beside_it() -> None:
    """In a lung cancer trial "No history of malignancy" means no other one: read as
    written it would fail every patient. A narrower diagnosis names some patients only."""
    rules = _trial_rules(
        "Chemoradiotherapy for stage III lung cancer",
        ["Histologically confirmed non-small cell lung cancer", "No history of malignancy",
         "No lung cancer within the past 2 years"],
        ["History of malignancy", "Known brain metastases", "History of breast cancer"],
    )
    assert rules["No history of malignancy"] == f"not {_BESIDE}history(malignancy))"
    assert rules["No lung cancer within the past 2 years"] == (
        f"not {_BESIDE}history(lung_cancer, within 2 years))"
    )
    assert rules["History of malignancy"] == f"{_BESIDE}history(malignancy))"
    assert rules["Known brain metastases"] == "condition(brain_metastases)"
    assert rules["History of breast cancer"] == "history(breast_cancer)"
    # the trial's own cancer where it is required stays as it is
    assert "qualified(\"other than" not in (
        rules["Histologically confirmed non-small cell lung cancer"] or ""
    )


def test_malignancy_outside_a_cancer_trial_and_a_cancer_without_a_concept() -> None:
    diabetes = _trial_rules("Insulin in type 2 diabetes", ["Type 2 diabetes"],
                            ["History of malignancy"])
    assert diabetes["History of malignancy"] == "history(malignancy)"
    # a cancer the vocabulary does not name: only "malignancy" itself may be it
    prostate = _trial_rules("Prostate cancer prevention with finasteride", ["Age ≥ 50 years"],
                            ["History of malignancy", "History of prostate cancer."])
    assert prostate["History of malignancy"] == f"{_BESIDE}history(malignancy))"
    assert prostate["History of prostate cancer."] == "history(prostate_cancer)"


@pytest.mark.parametrize("texts", [
    ("Women aged 18-45 years", "Age ≥ 18 years", "Women of childbearing potential must use "
     "contraception", "Male partners must use condoms"),
    ("Men and women aged 18 to 65", "Age ≥ 40 years", "Female participants must not be pregnant"),
    ("Age 18-65 years", "Age ≥ 65 years"),  # 65 meets both
    ("Age ≥ 18 months", "Age < 2 years"),
])
def test_inclusion_items_a_patient_can_meet_together_stay_compiled(texts: tuple[str, ...]) -> None:
    rules = _inclusion_rules(*texts)
    compiled = [t for t in texts if compile_criterion(t, "inclusion").rule != r.Review(t)]
    assert compiled and all(rules[text] is not None for text in compiled)


# ---------------------------------------------------------------------------
# filters


def _located(nct_id: str, status: str | None, *places: tuple[str, str, str]) -> dict[str, Any]:
    return study(nct_id, status=status, locations=[
        {"facility": facility, "city": city, "country": country}
        for facility, city, country in places
    ])


@pytest.fixture
def located(tmp_path: Path) -> Path:
    return write_json(tmp_path / "located.json", page(
        _located("NCT00000001", "RECRUITING", ("Hôpital Beaujon", "Clichy", "France")),
        _located("NCT00000002", "NOT_YET_RECRUITING",
                 ("Mayo Clinic", "Rochester", "United States"),
                 ("Charité", "Berlin", "Germany")),
        _located("NCT00000003", "COMPLETED", ("Hospices Civils", "Lyon", "France")),
        _located("NCT00000004", None),
    ))


def _ids(library: TrialLibrary) -> list[str]:
    return sorted(trial.id for trial in library.trials)


def test_library_filters(located: Path) -> None:
    library = TrialLibrary.load([located])
    assert _ids(library.filtered()) == _ids(library)
    assert _ids(library.filtered(status="recruiting")) == ["NCT00000001"]
    assert _ids(library.filtered(status=["Not yet recruiting", "completed"])) == [
        "NCT00000002", "NCT00000003",
    ]
    assert _ids(library.filtered(country="FRANCE")) == ["NCT00000001", "NCT00000003"]
    assert _ids(library.filtered(site="mayo")) == ["NCT00000002"]
    assert _ids(library.filtered(site="LYON")) == ["NCT00000003"]  # the city
    assert _ids(library.filtered(country="Germany", site="Mayo")) == []  # one site, both
    assert _ids(library.filtered(country="France", status="recruiting")) == ["NCT00000001"]
    with pytest.raises(ValueError, match="unknown recruitment status"):
        library.filtered(status="open")


def test_filter_description() -> None:
    chosen = TrialFilter.build(status="not_yet_recruiting", country="France", site="Lyon")
    assert str(chosen) == "status NOT_YET_RECRUITING, country france, site 'lyon'"
    assert not TrialFilter.build().active


def test_cli_filters_and_status_column(tmp_path: Path, located: Path) -> None:
    patient = write_json(tmp_path / "p.json", PATIENT)
    result = run(patient, "--trials", located, "--date", DATE, "--status", "not yet recruiting",
                 "--status", "RECRUITING", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(t["id"] for t in report["trials"]) == ["NCT00000001", "NCT00000002"]
    assert {t["status"] for t in report["trials"]} == {"RECRUITING", "NOT_YET_RECRUITING"}
    result = run(patient, "--trials", located, "--date", DATE, "--country", "france",
                 "--site", "beaujon")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.startswith("NCT")]
    assert len(lines) == 1 and "  recruiting  A test study" in lines[0]
    table = run(patient, "--trials", located, "--date", DATE).stdout
    assert "  not yet recruiting  " in table and "  status not given  " in table


def test_compile_takes_the_filters_too(located: Path) -> None:
    result = run("compile", "--trials", located, "--format", "json", "--site", "charité")
    assert result.exit_code == 0
    assert [t["id"] for t in json.loads(result.stdout)["trials"]] == ["NCT00000002"]


def test_cli_filter_errors(tmp_path: Path, located: Path) -> None:
    patient = write_json(tmp_path / "p.json", PATIENT)
    result = run(patient, "--trials", located, "--status", "open")
    assert result.exit_code == 2 and "unknown recruitment status 'open'" in result.stderr
    result = run(patient, "--trials", located, "--country", "Atlantis")
    assert result.exit_code == 2 and "no trial matches the filter" in result.stderr


# ---------------------------------------------------------------------------
# the CLI with registry JSON


def test_cli_page_with_a_malformed_study_screens_the_others(tmp_path: Path) -> None:
    path = write_json(tmp_path / "page.json", page(
        study("NCT00000001"), study("NCT00000002", sex="BOTH"), study("NCT00000003"),
    ))
    patient = write_json(tmp_path / "p.json", PATIENT)
    result = run(patient, "--trials", path, "--date", DATE, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert sorted(t["id"] for t in report["trials"]) == ["NCT00000001", "NCT00000003"]
    assert report["rejected"] == [{
        "source": f"{path}#studies[1]",
        "field": "protocolSection.eligibilityModule.sex",
        "message": "unknown sex 'BOTH': expected ALL, FEMALE or MALE (study NCT00000002)",
    }]
    assert f"{path}#studies[1]: protocolSection.eligibilityModule.sex" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_invalid_json_trials_exit_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    patient = write_json(tmp_path / "p.json", PATIENT)
    result = run(patient, "--trials", bad)
    assert result.exit_code == 2
    assert f"{bad}: invalid JSON at line 1" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------
# screen import


def test_import_round_trip(tmp_path: Path) -> None:
    source = write_json(tmp_path / "page.json", page(
        study("NCT00000001", sex="FEMALE", minimumAge="6 Months", healthyVolunteers=True,
              locations=[{"facility": "Site: 'A'", "city": "Paris", "country": "France"}]),
        study("NCT00000002", title="", criteria="* Item one\n* Item: two #3"),
    ))
    out = tmp_path / "imported"
    result = run("import", source, "--to", out)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["NCT00000001.yaml", "NCT00000002.yaml"]
    expected, _ = load_trial_paths([source])
    for spec in expected:
        path = out / f"{spec.id}.yaml"
        text = path.read_text(encoding="utf-8")
        assert text == dump_trial(spec)
        assert load_trial_file(path) == spec  # loads back to the same trial
        assert load_trial_text(text, "again") == spec
    again = load_trial_file(out / "NCT00000001.yaml")
    assert [c.text for c in again.criteria] == [c.text for c in expected[0].criteria]
    assert all(c.text in CRITERIA for c in again.criteria)  # verbatim
    assert "wrote" in result.stdout and "imported 2 trials" in result.stdout


def test_import_keeps_existing_files_unless_overwrite(tmp_path: Path) -> None:
    source = write_json(tmp_path / "page.json", page(study("NCT00000001"),
                                                     study("NCT00000002")))
    out = tmp_path / "imported"
    out.mkdir()
    kept = out / "NCT00000001.yaml"
    kept.write_text("id: NCT00000001\ntitle: edited by hand\n", encoding="utf-8")
    result = run("import", source, "--to", out)
    assert result.exit_code == 1
    assert kept.read_text(encoding="utf-8") == "id: NCT00000001\ntitle: edited by hand\n"
    assert "already exists" in result.stderr and "--overwrite" in result.stderr
    assert (out / "NCT00000002.yaml").exists()
    assert run("import", source, "--to", out).exit_code == 2  # nothing left to write
    result = run("import", source, "--to", out, "--overwrite")
    assert result.exit_code == 0
    assert load_trial_file(kept).title == "A test study"


def test_import_refuses_the_package_folder(tmp_path: Path) -> None:
    source = write_json(tmp_path / "study.json", study())
    for inside in (PACKAGE_DIR / "imported-trials", PACKAGE_DIR):
        result = run("import", source, "--to", inside)
        assert result.exit_code == 2
        assert "inside the installed screener package" in result.stderr
    assert not (PACKAGE_DIR / "imported-trials").exists()


def test_import_rejections_and_usage(tmp_path: Path) -> None:
    source = write_json(tmp_path / "page.json", page(study("NCT00000001"),
                                                     study("NCT00000002", sex="BOTH")))
    out = tmp_path / "imported"
    result = run("import", source, "--to", out)
    assert result.exit_code == 1
    assert [p.name for p in out.iterdir()] == ["NCT00000001.yaml"]
    assert f"{source}#studies[1]" in result.stderr
    yaml_trial = tmp_path / "local.yaml"
    yaml_trial.write_text("id: T\ntitle: t\n", encoding="utf-8")
    result = run("import", yaml_trial, "--to", tmp_path / "other")
    assert result.exit_code == 2 and "invalid JSON" in result.stderr
    assert run("import", source).exit_code == 2  # --to is required
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    result = run("import", source, "--to", a_file)
    assert result.exit_code == 2 and "is not a folder" in result.stderr


def test_a_patient_file_named_import_json_is_screened(tmp_path: Path) -> None:
    trials = write_json(tmp_path / "page.json", page(study("NCT00000001")))
    patient = write_json(tmp_path / "import.json", PATIENT)
    result = run(patient, "--trials", trials, "--date", DATE, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient"] == "P-1"
    help_text = run("--help").stdout
    assert "import" in help_text


# ---------------------------------------------------------------------------
# the development corpus


@needs_dev
def test_dev_corpus_loads_17_trials_with_ids_and_titles() -> None:
    trials, errors = load_trial_paths([DEV])
    assert errors == []
    assert len(trials) == 17
    raw = json.loads(DEV.read_text(encoding="utf-8"))["studies"]
    assert [t.id for t in trials] == [
        s["protocolSection"]["identificationModule"]["nctId"] for s in raw
    ]
    assert all(t.id.startswith("NCT") and t.title.strip() for t in trials)
    for trial, record in zip(trials, raw, strict=True):
        text = record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
        assert trial.criteria, trial.id
        flat = " ".join(text.split())  # the segmenter joins hard-wrapped lines with a space
        assert all(" ".join(c.text.split()) in flat for c in trial.criteria), trial.id


@needs_dev
def test_cli_screens_every_dev_study(tmp_path: Path) -> None:
    patient = write_json(tmp_path / "patient.json", {
        "id": "P-DEV", "birth_date": "1970-03-01", "sex": "female",
        "conditions": [{"name": "asthma", "status": "present"}],
        "observations": [{"name": "total bilirubin", "value": 0.8, "unit": "mg/dL",
                          "date": "2026-01-10"}],
    })
    result = run(patient, "--trials", DEV, "--date", DATE, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["trials"]) == 17
    assert report["rejected"] == []


@needs_dev
def test_import_the_dev_corpus(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    assert run("import", DEV, "--to", out).exit_code == 0
    imported, errors = load_trial_paths([out])
    direct, _ = load_trial_paths([DEV])
    assert errors == []
    assert {t.id: t for t in imported} == {t.id: t for t in direct}


@needs_large
def test_large_dev_corpus_loads_every_study() -> None:
    started = time.perf_counter()
    trials, errors = load_trial_paths([DEV_LARGE])
    assert [str(e) for e in errors] == []
    assert len(trials) == 596
    assert len({t.id for t in trials}) == 596
    assert time.perf_counter() - started < 30


@needs_large
@pytest.mark.slow
def test_large_dev_corpus_compiles_and_screens() -> None:
    library = TrialLibrary.load([DEV_LARGE], use_cache=False)
    assert library.rejected == [] and len(library.trials) == 596
    report = library.screen(patient_from_dict(PATIENT, "p"))
    assert len(report.trials) == 596
    unclassified = [t for t in library.trials
                    if any(c.kind is Kind.UNCLASSIFIED for c in t.criteria)]
    by_id = {t.id: t for t in report.trials}
    assert all(by_id[t.id].verdict is not Verdict.ELIGIBLE for t in unclassified)


def test_criterion_spec_accepts_the_new_kind_and_condition() -> None:
    criterion = CriterionSpec(id="unc-1", kind="unclassified", text="x", condition="If so:")
    assert criterion.condition == "If so:"


@pytest.mark.parametrize(("heading", "kind", "text", "why"), [
    # alternatives: one item is one way to qualify, not a requirement
    ("Diagnosis of one of the following:", "inclusion", "Acute myeloid leukemia (AML)",
     "alternatives"),
    ("Evidence of liver cirrhosis defined as meeting any of the following criteria:",
     "inclusion", "Platelet count <150,000 /mm3", "alternatives"),
    ("One or more criteria for a severe course:", "inclusion", "RR > 30/min", "alternatives"),
    ("Children should have an adult carer in the household who is either:", "inclusion",
     "Hypertension", "alternatives"),
    # a count of several: no item decides alone, in either section
    ("Exhibit at least two of the following clinical symptoms of pneumonia:", "inclusion",
     "Cough", "several"),
    ("Exclusion applies with any 2 of the following:", "exclusion", "Diabetes mellitus",
     "several"),
    ("Patients with all of the following are excluded:", "exclusion", "Diabetes mellitus",
     "several"),
    # a negated heading turns its inclusion items round
    ("Patients must not have any uncontrolled intercurrent illness including, but not limited "
     "to:", "inclusion", "Cardiac arrhythmia", "negates"),
    ("No concurrent uncontrolled illness including, but not limited to, any of the following:",
     "inclusion", "Unstable angina pectoris", "negates"),
    # a restriction in the negative on how the values are got
    ("Blood routine examination criteria (no blood transfusion within 14 days):", "inclusion",
     "platelet (PLT) ≥80×109/L", "negates"),
    ("Insufficient marrow reserve, any of the following limits (no corrective treatment within "
     "1 week before the blood test):", "exclusion", "Platelet count <100×109/L", "negates"),
    # a list that may not decide
    ("Potential participants who have the following exclusion criteria may be eligible for "
     "participation, based on study staff approval:", "exclusion", "Claustrophobia",
     "may not decide"),
    # a time window the item's own rule would not keep
    ("Adequate hematologic and end organ function, defined by the following laboratory results "
     "obtained within 14 days prior to the first study treatment:", "inclusion",
     "Platelet count ≥ 100,000/µL", "window"),
    ("RENAL AND HEPATIC FUNCTION (Assessed within 48 hours prior to C1D1) :", "inclusion",
     "Serum creatinine ≤ 1.5 x ULN", "window"),
    ("Clinically significant cardiac disease and/or recent cardiac events (within 6 months), "
     "such as:", "exclusion", "Myocardial infarction", "window"),
    ("A screening examination should be implemented within 14 days after obtaining the "
     "informed consent:", "inclusion", "ECOG performance status 0-1", "window"),
])
def test_an_item_under_a_heading_that_changes_it_is_review_more_cases(
    heading: str, kind: str, text: str, why: str
) -> None:
    """The item alone compiles to a rule, but its heading turns it into an alternative, a
    part of a count, its own negation or a value with a condition on how it is got."""
    assert compile_criterion(text, kind).rule != r.Review(text)  # it compiles on its own
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t", kind: [{"text": text, "context": heading}],
    })
    criterion = TrialLibrary.from_specs([spec]).trials[0].criteria[0]
    assert isinstance(criterion.rule, r.Review)
    assert "heading" in criterion.reasons[0], why


@pytest.mark.parametrize(("heading", "kind", "text", "expected"), [
    ("Patients must have adequate organ and marrow function as defined below:", "inclusion",
     "ECOG performance status 0-1", "score(ecog) in [0, 1]"),
    ("Patients are eligible only if they meet all of the following criteria:", "inclusion",
     "ECOG performance status 0-1", "score(ecog) in [0, 1]"),
    ("Patients who meet any of the following criteria will be excluded from the study:",
     "exclusion", "Bipolar disorder", "condition(bipolar_disorder)"),
    ("(If any of the following apply, the subject MUST NOT enter the study):", "exclusion",
     "Bipolar disorder", "condition(bipolar_disorder)"),
    ("Subjects who meet any of the following exclusion criteria are not to be enrolled in this "
     "study.", "exclusion", "Bipolar disorder", "condition(bipolar_disorder)"),
    ("Clinically significant cardiovascular disease, including, but not restricted to:",
     "exclusion", "Bipolar disorder", "condition(bipolar_disorder)"),
    ("Patients 18 years of age or older must have:", "inclusion",
     "ECOG performance status 0-1", "score(ecog) in [0, 1]"),
    # a window changes nothing of age and sex
    ("Subjects must meet all of the following inclusion criteria within 28 days prior to the "
     "baseline visit:", "inclusion", "Between 18 to 65 years, inclusive", "age in [18, 65] years"),
])
def test_a_heading_that_introduces_requirements_leaves_its_items_compiled(
    heading: str, kind: str, text: str, expected: str
) -> None:
    spec = TrialSpec.model_validate({
        "id": "T-1", "title": "t", kind: [{"text": text, "context": heading}],
    })
    assert TrialLibrary.from_specs([spec]).trials[0].criteria[0].canonical == expected
