"""Site default reference ranges for '× ULN' criteria (screener/reference_ranges.py).

The file format and its errors, which range applies to whom, that the
observation's own range wins, that nothing is active by default, and the
`--reference-ranges` option of the real command line.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.compiler import compile_criterion
from screener.errors import InputError
from screener.evaluate import Outcome, evaluate
from screener.facts import PatientFacts
from screener.library import TrialLibrary
from screener.patient import Patient
from screener.reference_ranges import (
    DefaultRange,
    ReferenceRanges,
    load_reference_ranges,
    reference_ranges_from_text,
)
from screener.schema import report_schema
from screener.trials import load_trial_text
from tests.helpers import SCREENING_DATE, born_aged, lab, patient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "site-reference-ranges.yaml"

SITE = """\
source: Central lab of Hospital X, 2025 catalogue
ranges:
  - analyte: ALT
    sex: female
    age: {min: 18}
    high: 35
    unit: U/L
  - analyte: SGPT           # a synonym of ALT
    sex: male
    age: {min: 18}
    high: 50
    unit: U/L
  - analyte: total bilirubin
    high: 1.2
    unit: mg/dL
"""
SOURCE = "Central lab of Hospital X, 2025 catalogue"
ALT_CRITERION = "ALT ≤ 2.5 × ULN"
NO_ULN = "no laboratory ULN on file"


def site(text: str = SITE) -> ReferenceRanges:
    return reference_ranges_from_text(text, "site.yaml")


def load_error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        reference_ranges_from_text(text, "site.yaml")
    return caught.value


def judge(
    subject: Patient, ranges: ReferenceRanges | None, criterion: str = ALT_CRITERION
) -> Outcome:
    rule = compile_criterion(criterion, "inclusion").rule
    return evaluate(rule, PatientFacts(subject, SCREENING_DATE, reference_ranges=ranges))


def alt_patient(value: float = 80, **fields: Any) -> Patient:
    fields.setdefault("birth_date", born_aged(45))
    return patient(observations=[lab("ALT", value, "U/L")], **fields)


# ---------------------------------------------------------------- the file


def test_a_site_file_loads_with_analytes_resolved_and_limits_converted() -> None:
    ranges = site()
    assert ranges.source == SOURCE
    assert [(r.analyte, r.sex, r.age_min, r.age_max) for r in ranges.ranges] == [
        ("alt", "female", 18, None),
        ("alt", "male", 18, None),
        ("total_bilirubin", None, None, None),
    ]
    assert ranges.ranges[0].high == 35
    assert ranges.ranges[2].high == pytest.approx(20.52)  # 1.2 mg/dL × 17.1
    assert ranges.ranges[2].shown_high == "1.2 mg/dL = 20.52 umol/L"


def test_the_shipped_example_loads_and_says_it_is_not_for_clinical_use() -> None:
    ranges = load_reference_ranges(EXAMPLE)
    assert "EXAMPLE VALUES, NOT FOR CLINICAL USE" in ranges.source
    by_analyte: dict[str, set[str | None]] = {}
    for entry in ranges.ranges:
        by_analyte.setdefault(entry.analyte, set()).add(entry.sex)
        assert entry.high is not None and entry.low is not None and entry.low < entry.high
    assert by_analyte == {
        "alt": {"female", "male"},
        "ast": {"female", "male"},
        "total_bilirubin": {None},
        "alp": {None},
        "creatinine": {"female", "male"},
    }


def test_units_are_converted_with_the_analyte_aware_converter() -> None:
    ranges = site(
        "source: s\nranges:\n  - {analyte: creatinine, high: 1.2, unit: mg/dL}\n"
        "  - {analyte: ALT, high: 0.6, unit: ukat/L}\n"
    )
    creatinine, alt = ranges.ranges
    assert creatinine.high == pytest.approx(106.08)  # × 88.4, the published factor
    assert alt.high == pytest.approx(36, abs=0.1)  # 1 µkat/L = 60 U/L


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (  # a unit of another dimension, caught at load time
            "source: s\nranges:\n  - {analyte: ALT, high: 35, unit: mg/dL}\n",
            "ranges[0].unit",
            "'mg/dL' is not a unit of Alanine aminotransferase",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, high: 35, unit: furlongs}\n",
            "ranges[0].unit",
            "unrecognised unit 'furlongs'",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALTT, high: 35, unit: U/L}\n",
            "ranges[0].analyte",
            "unknown analyte 'ALTT' (did you mean 'ALT'?)",
        ),
        (
            "ranges:\n  - {analyte: ALT, high: 35, unit: U/L}\n",
            "source",
            "required, but missing",
        ),
        (
            "source: '  '\nranges:\n  - {analyte: ALT, high: 35, unit: U/L}\n",
            "source",
            "naming where the ranges come from",
        ),
        ("source: s\nranges: []\n", "ranges", "at least one range"),
        ("source: s\nranges:\n  - {analyte: ALT, unit: U/L}\n", "ranges[0]", "give high, low"),
        (
            "source: s\nranges:\n  - {analyte: ALT, low: 50, high: 35, unit: U/L}\n",
            "ranges[0]",
            "low 50 is above high 35",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, high: 0, unit: U/L}\n",
            "ranges[0].high",
            "above 0",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, high: lots, unit: U/L}\n",
            "ranges[0].high",
            "expected a number, got 'lots'",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, hihg: 35, unit: U/L}\n",
            "ranges[0].hihg",
            "did you mean 'high'?",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, sex: woman, high: 35, unit: U/L}\n",
            "ranges[0].sex",
            "expected female or male",
        ),
        (
            "source: s\nranges:\n"
            "  - {analyte: ALT, age: {min: 65, max: 18}, high: 35, unit: U/L}\n",
            "ranges[0].age",
            "min 65 is above max 18",
        ),
        (
            "source: s\nranges:\n  - {analyte: ALT, age: {min: 17.5}, high: 35, unit: U/L}\n",
            "ranges[0].age.min",
            "whole number of years",
        ),
        ("source: s\nsource: t\nranges: []\n", "", "found the key 'source' twice"),
        ("", "", "the file is empty"),
        ("- ALT\n", "", "expected a mapping with source: and ranges:"),
    ],
)
def test_errors_name_the_file_the_field_and_the_problem(text: str, field: str, words: str) -> None:
    error = load_error(text)
    assert (error.source, error.field) == ("site.yaml", field)
    assert words in error.message
    assert str(error).startswith("site.yaml: ")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("{analyte: ALT, high: 35, unit: U/L}", "{analyte: SGPT, high: 40, unit: U/L}"),
        (
            "{analyte: ALT, sex: female, high: 35, unit: U/L}",
            "{analyte: ALT, high: 40, unit: U/L}",  # any sex includes female
        ),
        (
            "{analyte: ALT, age: {max: 18}, high: 35, unit: U/L}",
            "{analyte: ALT, age: {min: 18}, high: 40, unit: U/L}",  # both bounds inclusive
        ),
        (
            "{analyte: ALT, sex: male, age: {min: 18, max: 64}, high: 35, unit: U/L}",
            "{analyte: ALT, sex: male, age: {min: 60}, high: 40, unit: U/L}",
        ),
    ],
)
def test_overlapping_ranges_of_one_analyte_are_rejected(first: str, second: str) -> None:
    error = load_error(f"source: s\nranges:\n  - {first}\n  - {second}\n")
    assert error.field == "ranges[1]"
    assert "overlaps ranges[0]" in error.message and "must not overlap" in error.message


def test_adjacent_ages_other_sexes_and_other_analytes_do_not_overlap() -> None:
    ranges = site(
        "source: s\nranges:\n"
        "  - {analyte: ALT, age: {max: 17}, high: 30, unit: U/L}\n"
        "  - {analyte: ALT, sex: female, age: {min: 18}, high: 35, unit: U/L}\n"
        "  - {analyte: ALT, sex: male, age: {min: 18}, high: 50, unit: U/L}\n"
        "  - {analyte: AST, high: 35, unit: U/L}\n"
    )
    assert len(ranges.ranges) == 4


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    error = load_error(
        "source: s\nranges:\n  - {analyte: ALT, high: 35, unit: mg/dL}\n"
        "  - {analyte: nonsense, high: 1, unit: U/L}\n"
    )
    assert error.field == "ranges[0].unit"
    assert "ranges[1].analyte: unknown analyte 'nonsense'" in error.message


def test_an_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load_reference_ranges(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("source: Labor München\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_reference_ranges(latin)


# ---------------------------------------------------------------- which ULN decides


def test_nothing_is_active_by_default() -> None:
    result = judge(alt_patient(sex="female"), None)
    assert result.status.value == "unknown"
    assert result.reason == f"Alanine aminotransferase: {NO_ULN}"
    assert result.missing == ("Alanine aminotransferase upper limit of normal",)


def test_a_site_default_decides_and_the_reason_and_value_say_so() -> None:
    result = judge(alt_patient(80, sex="female"), site())
    assert result.status.value == "met"  # 80 / 35 = 2.29 ≤ 2.5
    assert result.reason == (
        "Alanine aminotransferase 2.29 × ULN (ULN 35 U/L for females aged 18 and over from "
        f"site defaults: {SOURCE}); criterion <= 2.5 xULN: met"
    )
    [used] = result.values
    assert used.value == 80 and used.unit == "U/L"
    assert used.note == f"ULN 35 U/L for females aged 18 and over from site defaults: {SOURCE}"


def test_the_patients_sex_picks_the_range() -> None:
    assert judge(alt_patient(100, sex="female"), site()).status.value == "not_met"  # 2.86
    male = judge(alt_patient(100, sex="male"), site())
    assert male.status.value == "met"  # 100 / 50 = 2.0
    assert "ULN 50 U/L for males aged 18 and over" in male.reason


def test_the_observations_own_range_wins() -> None:
    own = lab("ALT", 100, "U/L", reference_range={"low": 5, "high": 45})
    subject = patient(sex="female", birth_date=born_aged(45), observations=[own])
    result = judge(subject, site())
    assert result.status.value == "met"  # 100 / 45 = 2.22, not 100 / 35 = 2.86
    assert "site defaults" not in result.reason
    assert result.values[0].note is None


def test_an_unreadable_range_on_the_observation_is_not_replaced_by_a_default() -> None:
    own = lab("ALT", 100, "U/L", reference_range={"high": 45, "unit": "mg"})
    subject = patient(sex="female", birth_date=born_aged(45), observations=[own])
    result = judge(subject, site())
    assert result.status.value == "unknown"
    assert "'mg' is not a unit" in result.reason and "site defaults" not in result.reason


def test_a_range_on_the_observation_without_upper_limit_keeps_the_defaults_out() -> None:
    own = lab("ALT", 100, "U/L", reference_range={"low": 5})
    subject = patient(sex="female", birth_date=born_aged(45), observations=[own])
    result = judge(subject, site())
    assert result.status.value == "unknown"
    assert "own reference range has no upper limit; site defaults not used" in result.reason


def test_unknown_sex_leaves_a_range_that_differs_by_sex_unused() -> None:
    result = judge(alt_patient(80), site())  # sex not on file
    assert result.status.value == "unknown"
    assert result.reason == (
        f"Alanine aminotransferase: {NO_ULN}, and the site defaults for it differ by sex, "
        "which is not on file"
    )
    assert result.missing == ("Alanine aminotransferase upper limit of normal",)


def test_unknown_sex_does_not_matter_when_the_range_is_the_same_for_both() -> None:
    subject = patient(birth_date=born_aged(45), observations=[lab("bilirubin", 30, "umol/L")])
    result = judge(subject, site(), "Total bilirubin ≤ 1.5 x ULN")
    assert result.status.value == "met"  # 30 / 20.52 = 1.46
    assert f"ULN 1.2 mg/dL = 20.52 umol/L from site defaults: {SOURCE}" in result.reason


def test_an_age_outside_every_range_leaves_the_leaf_unknown() -> None:
    result = judge(alt_patient(80, sex="female", birth_date=born_aged(16, 30)), site())
    assert result.status.value == "unknown"
    assert "no range for it that covers a female patient aged 16 years" in result.reason


def test_unknown_age_leaves_a_range_that_differs_by_age_unused() -> None:
    result = judge(alt_patient(80, sex="female", birth_date=None), site())
    assert result.status.value == "unknown"
    assert "differ by age, which is not on file" in result.reason


def test_an_age_known_only_as_an_interval_must_fall_inside_one_range() -> None:
    year = SCREENING_DATE.year - 18  # born that year: 17 or 18 on the day of the sample
    straddling = judge(alt_patient(80, sex="female", birth_date=str(year)), site())
    assert straddling.status.value == "unknown"
    assert "differ by age, which is known only as 17–18 years" in straddling.reason
    inside = judge(alt_patient(80, sex="female", birth_date=str(year - 10)), site())
    assert inside.status.value == "met"


def test_the_age_is_taken_on_the_day_of_the_sample() -> None:
    # 18 on the screening date, 17 when the ALT was drawn ten days before
    subject = patient(
        sex="female",
        birth_date=born_aged(18, 5),
        observations=[lab("ALT", 80, "U/L", date="2026-11-11T08:00")],
    )
    assert subject.age_on(SCREENING_DATE) == (18, 18)
    result = judge(subject, site())
    assert result.status.value == "unknown"
    assert "covers a female patient aged 17 years" in result.reason


def test_a_stale_value_stays_stale_with_site_defaults() -> None:
    subject = patient(
        sex="female",
        birth_date=born_aged(45),
        observations=[lab("ALT", 80, "U/L", date="2026-01-02T08:00")],
    )
    result = judge(subject, site())
    assert result.status.value == "unknown" and "(stale)" in result.reason


def test_an_analyte_without_a_site_range_stays_unknown() -> None:
    subject = patient(sex="female", birth_date=born_aged(45), observations=[lab("AST", 80, "U/L")])
    result = judge(subject, site(), "AST ≤ 2.5 × ULN")
    assert result.status.value == "unknown"
    assert result.reason.endswith(f"{NO_ULN}, and the site defaults have no range for it")


# ---------------------------------------------------------------- the lookup, exhaustively

_SEXES = st.sampled_from([None, "female", "male"])


@st.composite
def _entries(draw: st.DrawFn) -> list[DefaultRange]:
    """Non-overlapping ALT ranges with random sexes and age bounds."""
    found: list[DefaultRange] = []
    for index in range(draw(st.integers(0, 5))):
        low = draw(st.none() | st.integers(0, 90))
        high = draw(st.none() | st.integers(low or 0, 100))
        entry = DefaultRange("alt", draw(_SEXES), low, high, None, 40.0, "40 U/L", f"r[{index}]")
        if not any(entry.overlaps(other) for other in found):
            found.append(entry)
    return found


@settings(max_examples=300, deadline=None)
@given(
    _entries(),
    st.sampled_from(["female", "male", "unknown"]),
    st.none() | st.tuples(st.integers(0, 110), st.integers(0, 3)),
)
def test_a_default_applies_only_when_one_range_covers_every_possible_patient(
    entries: list[DefaultRange], sex: str, age: tuple[int, int] | None
) -> None:
    ranges = ReferenceRanges("s", "s.yaml", tuple(entries))
    ages = None if age is None else (age[0], age[0] + age[1])
    found = ranges.lookup("alt", sex, ages)
    sexes = [sex] if sex != "unknown" else ["female", "male"]
    years = range(0, 201) if ages is None else range(ages[0], ages[1] + 1)
    covering = {next((e for e in entries if e.covers(s, y)), None) for s in sexes for y in years}
    if isinstance(found, DefaultRange):
        assert covering == {found}
    elif covering == {None}:
        assert "no range for it" in found
    else:
        assert len(covering) > 1 and "differ by" in found


# ---------------------------------------------------------------- library and command line

TRIAL = """\
id: TEST-ULN
title: ULN test trial
inclusion:
  - ALT ≤ 2.5 × ULN
"""


def test_the_library_takes_the_ranges_as_a_parameter() -> None:
    library = TrialLibrary.from_specs([load_trial_text(TRIAL, "t.yaml")])
    subject = alt_patient(80, sex="female")
    without = library.screen(subject).trials[0].criteria[0]
    assert (without.status.value, without.reason) == (
        "unknown",
        f"Alanine aminotransferase: {NO_ULN}",
    )
    used = library.screen(subject, reference_ranges=site()).trials[0].criteria[0]
    assert used.status.value == "met" and f"from site defaults: {SOURCE}" in used.reason


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screener", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    trial = tmp_path / "TEST-ULN.yaml"
    trial.write_text(TRIAL, encoding="utf-8")
    data = {
        "id": "P-ULN",
        "sex": "male",
        "birth_date": "1970-03-01",
        "screening_date": "2026-11-21",
        "observations": [{"name": "ALT", "value": 110, "unit": "U/L", "date": "2026-11-20"}],
    }
    subject = tmp_path / "patient.json"
    subject.write_text(json.dumps(data), encoding="utf-8")
    return {"trial": trial, "patient": subject}


def criterion(report: dict[str, Any]) -> dict[str, Any]:
    [trial] = report["trials"]
    [found] = trial["criteria"]
    assert isinstance(found, dict)
    return found


def test_cli_end_to_end_with_the_example_file(files: dict[str, Path]) -> None:
    args = (files["patient"], "--trials", files["trial"], "--format", "json")
    done = run_cli(*args, "--reference-ranges", EXAMPLE)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    jsonschema.Draft202012Validator(report_schema()).validate(report)
    found = criterion(report)
    assert found["status"] == "met"  # 110 / 50 = 2.2 for a man
    assert found["reason"].startswith(
        "Alanine aminotransferase 2.20 × ULN (ULN 50 U/L for males aged 18 and over from site "
        "defaults: EXAMPLE VALUES, NOT FOR CLINICAL USE"
    )
    assert "from site defaults: EXAMPLE VALUES" in found["values"][0]["note"]
    assert report["trials"][0]["verdict"] == "eligible"

    done = run_cli(*args)  # the same patient without the file
    assert done.returncode == 0, done.stderr
    found = criterion(json.loads(done.stdout))
    assert (found["status"], found["reason"]) == (
        "unknown",
        f"Alanine aminotransferase: {NO_ULN}",
    )


def test_cli_workers_use_the_ranges_too(files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "patients"
    folder.mkdir()
    data = json.loads(files["patient"].read_text(encoding="utf-8"))
    for name in ("a", "b"):
        (folder / f"{name}.json").write_text(json.dumps({**data, "id": name}), encoding="utf-8")
    done = run_cli(
        folder, "--trials", files["trial"], "--format", "json", "--jobs", "2",
        "--reference-ranges", EXAMPLE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["patient"] for r in reports] == ["a", "b"]
    assert all(criterion(r)["status"] == "met" for r in reports)


def test_cli_explain_uses_the_ranges(files: dict[str, Path]) -> None:
    done = run_cli(
        "explain", files["patient"], "--trial-id", "TEST-ULN", "--trials", files["trial"],
        "--reference-ranges", EXAMPLE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "from site defaults: EXAMPLE VALUES" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "source: s\nranges:\n  - {analyte: ALT, high: 35, unit: mg/dL}\n",
            "ranges[0].unit: 'mg/dL' is not a unit of Alanine aminotransferase",
        ),
        ("ranges: [unclosed\n", "invalid YAML at line"),
        (None, "cannot read the file"),
    ],
)
def test_cli_a_bad_file_is_a_usage_error_without_traceback(
    files: dict[str, Path], tmp_path: Path, content: str | None, message: str
) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    done = run_cli(files["patient"], "--trials", files["trial"], "--reference-ranges", bad)
    assert done.returncode == 2
    assert done.stderr.startswith(f"screen: --reference-ranges: {bad}: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
