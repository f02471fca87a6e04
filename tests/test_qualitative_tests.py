"""Qualitative laboratory tests: the vocabulary, `test(x) = positive|negative` in the rule
language, evaluation (met, not met, unknown, stale, review), FHIR input, criterion text,
and one screening through the CLI.

A test result and a diagnosis never stand in for each other: HBsAg positive is not a
recorded hepatitis B, and a recorded HIV infection is not an HIV antibody result.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from screener import analytes, qualitative
from screener import rules as r
from screener.canonical import parse_rule
from screener.cli import app
from screener.compiler.lexicon import entries
from screener.compiler.normalise import normalise
from screener.compiler.tokens import tokenize
from screener.evaluate import Outcome, evaluate
from screener.explain import horizon_days
from screener.facts import PatientFacts, TimeRules
from screener.patient import loinc_check_digit
from tests.helpers import SCREENING_DATE, canonical, patient

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def on(days_before: int) -> str:
    return (SCREENING_DATE - dt.timedelta(days=days_before)).isoformat()


def result(name: str, value: object, days_before: int = 5, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "date": on(days_before), **extra}


def judge(rule: str, rules: TimeRules | None = None, **fields: Any) -> Outcome:
    facts = PatientFacts(patient(**fields), SCREENING_DATE, rules or TimeRules())
    return evaluate(parse_rule(rule), facts)


def status(rule: str, **fields: Any) -> str:
    return judge(rule, **fields).status.value


# ---------------------------------------------------------------- vocabulary


def test_every_loinc_code_has_its_check_digit() -> None:
    for test in qualitative.TESTS.values():
        assert test.loinc, test.id
        for code in test.loinc:
            number, digit = code.split("-")
            assert loinc_check_digit(number) == int(digit), code
            assert qualitative.by_loinc(code) is test


def test_tests_and_analytes_share_no_code_and_no_name() -> None:
    for test in qualitative.TESTS.values():
        for code in test.loinc:
            assert analytes.by_loinc(code) is None, code
        for name in (test.id, test.name, *test.synonyms):
            assert analytes.by_name(name) is None, name
            assert qualitative.by_name(name) is test


@pytest.mark.parametrize(
    ("test_id", "phrase"),
    [(t.id, p) for t in qualitative.TESTS.values() for p in t.synonyms if "(" not in p],
)
def test_every_synonym_is_one_test_token_in_criterion_text(test_id: str, phrase: str) -> None:
    tokens = tokenize(normalise(phrase))
    assert [(t.type, str(t)) for t in tokens] == [("TEST", test_id)]


def test_no_test_name_is_claimed_by_another_vocabulary() -> None:
    table = entries()
    for test in qualitative.TESTS.values():
        for phrase in test.synonyms:
            if "(" not in phrase:
                assert table[phrase.lower()].type == "TEST", phrase


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("HBsAg", "hbsag"),
        ("hepatitis B surface antigen", "hbsag"),
        ("  Anti-HCV ", "anti_hcv"),
        ("HCV  RNA", "hcv_rna"),
        ("HIV-1/2 antibodies", "hiv_antibody"),
        ("HBsAb", None),  # the surface antibody is another test
        ("anti-HBs", None),
        ("HIV", None),  # the virus, or the infection: not a test
        ("HBV DNA viral load", None),
    ],
)
def test_names_of_tests(name: str, expected: str | None) -> None:
    found = qualitative.by_name(name)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("positive", "positive"),
        ("Positive", "positive"),
        ("POS", "positive"),
        ("Reactive", "positive"),
        ("repeatedly reactive", "positive"),
        ("Detected", "positive"),
        ("+", "positive"),
        ("negative", "negative"),
        ("Non-reactive", "negative"),
        ("NONREACTIVE", "negative"),
        ("not  detected", "negative"),
        ("undetectable", "negative"),
        ("-", "negative"),
        ("indeterminate", "indeterminate"),
        ("Equivocal", "indeterminate"),
        ("weakly positive", None),
        ("positive (low titre)", None),
        ("present", None),
        ("12.5", None),
        (12.5, None),
    ],
)
def test_results_as_laboratories_write_them(value: float | str, expected: str | None) -> None:
    assert qualitative.read_result(value) == expected


# ---------------------------------------------------------------- rule language


@pytest.mark.parametrize("value", qualitative.RESULTS)
@pytest.mark.parametrize("test_id", sorted(qualitative.TESTS))
def test_a_test_leaf_prints_and_parses_back(test_id: str, value: str) -> None:
    leaf = r.TestResult(test_id, value)
    assert r.render(leaf) == f"test({test_id}) = {value}"
    assert parse_rule(r.render(leaf)) == leaf
    assert parse_rule(f"not {r.render(leaf)}") == r.Not(leaf)


# ---------------------------------------------------------------- evaluation


def test_latest_result_decides() -> None:
    negative = [result("HBsAg", "positive", 60), result("HBsAg", "Negative", 3)]
    assert status("test(hbsag) = negative", observations=negative) == "met"
    assert status("test(hbsag) = positive", observations=negative) == "not_met"
    assert status("not test(hbsag) = positive", observations=negative) == "met"


def test_synonyms_of_the_result_decide_alike() -> None:
    for value in ("reactive", "Detected", "POS", "+"):
        assert status("test(anti_hcv) = positive", observations=[result("anti-HCV", value)]) == (
            "met"
        )
    for value in ("non-reactive", "not detected", "undetectable"):
        assert status("test(hcv_rna) = negative", observations=[result("HCV RNA", value)]) == (
            "met"
        )


def test_by_loinc_code_without_a_name() -> None:
    entry = {"loinc": "5196-1", "value": "positive", "date": on(2)}
    assert status("test(hbsag) = positive", observations=[entry]) == "met"


def test_no_result_on_file_is_unknown_and_names_what_to_collect() -> None:
    found = judge("test(hiv_antibody) = positive")
    assert found.status.value == "unknown"
    assert found.missing == ("HIV-1/2 antibody",)
    assert "not on file" in found.reason


def test_a_stale_result_is_unknown_and_shows_its_date() -> None:
    found = judge("test(hbsag) = negative", observations=[result("HBsAg", "negative", 120)])
    assert found.status.value == "unknown"
    assert "stale" in found.reason and on(120) in found.reason
    assert found.values[0].date == dt.date.fromisoformat(on(120))


def test_the_lab_horizon_and_a_per_test_horizon_apply() -> None:
    old = {"observations": [result("HBsAg", "negative", 60)]}
    assert judge("test(hbsag) = negative", **old).status.value == "met"  # within 90 days
    strict = TimeRules(per_item=(("hbsag", 30),))
    assert judge("test(hbsag) = negative", strict, **old).status.value == "unknown"
    assert horizon_days(qualitative.TESTS["hbsag"].name, strict) == 30
    assert horizon_days(qualitative.TESTS["anti_hcv"].name, strict) == 90


def test_a_result_dated_after_screening_does_not_count() -> None:
    later = {"name": "HBsAg", "value": "positive", "date": "2026-12-01"}
    assert status("test(hbsag) = positive", observations=[later]) == "unknown"


def test_indeterminate_is_unknown_and_unreadable_is_review() -> None:
    equivocal = judge("test(hbsag) = positive", observations=[result("HBsAg", "equivocal")])
    assert equivocal.status.value == "unknown"
    assert "repeat test" in equivocal.reason
    weak = judge("test(hbsag) = positive", observations=[result("HBsAg", "weakly positive")])
    assert weak.status.value == "review"
    index = judge("test(hbsag) = positive", observations=[result("HBsAg", 0.4, unit="S/CO")])
    assert index.status.value == "review"


def test_results_of_one_moment_that_disagree_are_review() -> None:
    both = [result("HBsAg", "positive"), result("HBsAg", "negative")]
    assert status("test(hbsag) = positive", observations=both) == "review"


def test_a_preliminary_result_decides_and_says_so() -> None:
    found = judge(
        "test(hbsag) = positive", observations=[result("HBsAg", "positive", status="preliminary")]
    )
    assert found.status.value == "met"
    assert found.values[0].note == "preliminary result"


def test_a_cancelled_result_does_not_count() -> None:
    cancelled = [result("HBsAg", "positive", status="cancelled")]
    assert status("test(hbsag) = positive", observations=cancelled) == "unknown"


def test_a_diagnosis_never_stands_in_for_a_result() -> None:
    hepatitis_b = {"name": "chronic hepatitis B", "code": "B18.1"}
    assert status("test(hbsag) = positive", conditions=[hepatitis_b]) == "unknown"
    hiv = {"name": "HIV infection", "code": "B20"}
    assert status("test(hiv_antibody) = positive", conditions=[hiv]) == "unknown"


def test_a_result_never_stands_in_for_a_diagnosis() -> None:
    positive = {"observations": [result("HBsAg", "positive"), result("HIV antibody", "positive")]}
    assert status("condition(hepatitis_b)", **positive) == "unknown"
    assert status("condition(hiv)", **positive) == "unknown"


def test_only_dna_and_rna_tests_have_a_viral_load() -> None:
    loads = {t.id: t.viral_load for t in qualitative.TESTS.values() if t.viral_load}
    assert loads == {"hbv_dna": "hbv_viral_load", "hcv_rna": "hcv_viral_load"}
    for load in loads.values():
        assert analytes.ANALYTES[load].canonical_unit == "IU/mL"


def test_a_viral_load_is_not_a_qualitative_result() -> None:
    load = {"loinc": "29615-2", "value": 25000, "unit": "[IU]/mL", "date": on(2)}
    facts = PatientFacts(patient(observations=[load]), SCREENING_DATE)
    assert evaluate(parse_rule("test(hbv_dna) = positive"), facts).status.value == "unknown"


def test_a_test_on_file_is_no_unknown_analyte() -> None:
    facts = PatientFacts(patient(observations=[result("HBsAg", "negative")]), SCREENING_DATE)
    assert facts.readings == {} and facts.warnings == []
    assert [reading.result for reading in facts.test_readings["hbsag"]] == ["negative"]
    unknown = PatientFacts(patient(observations=[result("HBsAb", "positive")]), SCREENING_DATE)
    assert unknown.readings == {}
    assert unknown.warnings == ["observations[0]: 'HBsAb' is not a known analyte or test"]


# ---------------------------------------------------------------- FHIR


def observation(loinc: str, when: str = "2026-11-18T08:00:00Z", **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": loinc}]},
        "effectiveDateTime": when,
        **value,
    }


def coded(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code, **({"display": display} if display else {})}
    return {"coding": [coding]}


def fhir_patient(tmp_path: Path, *observations: dict[str, Any]) -> Any:
    from screener.patient import load_patient

    resources = [{"resourceType": "Patient", "id": "p1", "gender": "male"}, *observations]
    data = {"resourceType": "Bundle", "type": "collection"}
    data["entry"] = [{"resource": resource} for resource in resources]  # type: ignore[assignment]
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_patient(path)


def fhir_outcome(tmp_path: Path, rule: str, *observations: dict[str, Any]) -> Outcome:
    subject = fhir_patient(tmp_path, *observations)
    return evaluate(parse_rule(rule), PatientFacts(subject, SCREENING_DATE))


def test_fhir_a_coded_result_without_display_is_read_by_its_code(tmp_path: Path) -> None:
    hbsag = observation("5196-1", valueCodeableConcept=coded(SNOMED, "260385009"))
    (found,) = fhir_patient(tmp_path, hbsag).observations
    assert found.value == "negative"
    assert fhir_outcome(tmp_path, "test(hbsag) = negative", hbsag).status.value == "met"


def test_fhir_a_coded_result_keeps_its_display_when_it_says_the_same(tmp_path: Path) -> None:
    rna = observation("11259-9", valueCodeableConcept=coded(SNOMED, "260373001", "Detected"))
    (found,) = fhir_patient(tmp_path, rna).observations
    assert found.value == "Detected"
    assert fhir_outcome(tmp_path, "test(hcv_rna) = positive", rna).status.value == "met"


def test_fhir_the_code_wins_over_a_text_that_says_otherwise(tmp_path: Path) -> None:
    value = coded(SNOMED, "131194007", "HBsAg reactive?")  # code: non-reactive
    subject = fhir_patient(tmp_path, observation("5195-3", valueCodeableConcept=value))
    assert subject.observations[0].value == "non-reactive"
    assert any("the code's result (non-reactive) is read" in note for note in subject.notes)


def test_fhir_a_value_string(tmp_path: Path) -> None:
    antibody = observation("31201-7", valueString="Non-reactive")
    found = fhir_outcome(tmp_path, "test(hiv_antibody) = negative", antibody)
    assert found.status.value == "met"


def test_fhir_interpretation_of_an_index_value(tmp_path: Path) -> None:
    index = {"value": 12.4, "unit": "S/CO"}
    positive = observation(
        "13955-0", valueQuantity=index, interpretation=[coded(INTERPRETATION, "POS")]
    )
    subject = fhir_patient(tmp_path, positive)
    assert subject.observations[0].value == "positive"
    assert any("read from interpretation (positive)" in note for note in subject.notes)
    found = evaluate(parse_rule("test(anti_hcv) = positive"), PatientFacts(subject, SCREENING_DATE))
    assert found.status.value == "met"


def test_fhir_interpretation_without_a_value(tmp_path: Path) -> None:
    flagged = observation("29610-3", interpretation=[coded(INTERPRETATION, "ND")])
    assert fhir_outcome(tmp_path, "test(hbv_dna) = negative", flagged).status.value == "met"


def test_fhir_an_index_without_interpretation_is_review(tmp_path: Path) -> None:
    index = observation("13955-0", valueQuantity={"value": 0.2, "unit": "S/CO"})
    assert fhir_outcome(tmp_path, "test(anti_hcv) = negative", index).status.value == "review"


def test_fhir_other_interpretations_do_not_make_a_result(tmp_path: Path) -> None:
    high = observation(
        "13955-0",
        valueQuantity={"value": 9, "unit": "S/CO"},
        interpretation=[coded(INTERPRETATION, "H")],
    )
    (found,) = fhir_patient(tmp_path, high).observations
    assert found.value == 9


# ---------------------------------------------------------------- criterion text


@pytest.mark.parametrize(
    ("text", "kind", "rule"),
    [
        ("HBsAg positive", "exclusion", "test(hbsag) = positive"),
        ("HBsAg-positive", "exclusion", "test(hbsag) = positive"),
        ("HBsAg (+)", "exclusion", "test(hbsag) = positive"),
        ("HBsAg+", "exclusion", "test(hbsag) = positive"),
        ("HBsAg positivity", "exclusion", "test(hbsag) = positive"),
        ("HBsAg reactive", "exclusion", "test(hbsag) = positive"),
        ("Hepatitis B surface antigen (HBsAg) positive", "exclusion", "test(hbsag) = positive"),
        ("Positive HIV antibody test", "exclusion", "test(hiv_antibody) = positive"),
        ("HIV antibody test result is positive", "exclusion", "test(hiv_antibody) = positive"),
        ("Detectable HCV RNA", "exclusion", "test(hcv_rna) = positive"),
        ("HCV RNA is not detected", "inclusion", "test(hcv_rna) = negative"),
        ("Undetectable HBV DNA", "inclusion", "test(hbv_dna) = negative"),
        ("HCV antibody positive;", "exclusion", "test(anti_hcv) = positive"),
        ("Patients who tested positive for anti-HCV", "exclusion", "test(anti_hcv) = positive"),
        ("Negative HBsAg test", "inclusion", "test(hbsag) = negative"),
        (
            "Must test negative for hepatitis B surface antigen (HBsAg)",
            "inclusion",
            "test(hbsag) = negative",
        ),
        (
            "Negative hepatitis C virus (HCV) antibody test at screening",
            "inclusion",
            "test(anti_hcv) = negative",
        ),
        (
            "Negative total hepatitis B core antibody (HBcAb)",
            "inclusion",
            "test(anti_hbc) = negative",
        ),
        (
            "HBsAg positive or HCV antibody positive",
            "exclusion",
            "test(hbsag) = positive or test(anti_hcv) = positive",
        ),
        ("No positive HBsAg", "inclusion", "not test(hbsag) = positive"),
        ("HBeAg negative", "inclusion", "test(hbeag) = negative"),
        ("HBeAg-positive", "exclusion", "test(hbeag) = positive"),
        ("Hepatitis B e antigen (HBeAg) positive", "exclusion", "test(hbeag) = positive"),
        ("anti-HBe positive", "inclusion", "test(anti_hbe) = positive"),
        ("Negative HBeAb", "exclusion", "test(anti_hbe) = negative"),
        # the test's name before a comparison names its viral load (column viral_load)
        ("HBV DNA > 2000 IU/mL", "exclusion", "lab(hbv_viral_load) > 2000 IU/mL"),
        ("HBV DNA ≥ 500 IU/mL", "inclusion", "lab(hbv_viral_load) >= 500 IU/mL"),
        ("HCV RNA > 15 IU/mL", "exclusion", "lab(hcv_viral_load) > 15 IU/mL"),
    ],
)
def test_criterion_text(text: str, kind: str, rule: str) -> None:
    assert canonical(text, kind) == rule


@pytest.mark.parametrize(
    "text",
    [
        "HBV DNA > 2000 copies/mL",  # copies ↔ IU is assay-specific: not the IU/mL load
        "HBV DNA ≥ 500",  # a load without its unit
        "HBeAg",  # a test without its result
        "HBeAb IgG positive",  # IgG anti-HBe is not listed
        "Negative serum pregnancy test",  # a procedure of the screening visit: a person
        "Negative pregnancy test",
        "Positive urine pregnancy test",
        "Negative serum β-HCG test",
        "HIV negative",  # no test named
        "Negative HIV test at screening",
        "Positive HIV serology",
        "HBsAb positive",  # the surface antibody is not the antigen
        "HBcAb IgM positive",  # IgM anti-HBc is not total anti-HBc
        "Weakly positive HBsAg",
        "HBsAg",  # a test without its result
        "HBsAg positive patients are eligible if HBV DNA is undetectable",
        "HIV, HCV, HbsAg positive or immunocompromised",
    ],
)
@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
def test_what_stays_review(text: str, kind: str) -> None:
    assert canonical(text, kind).startswith("review(")


def test_hiv_positive_stays_the_diagnosis() -> None:
    # "HIV-positive patients" names people living with HIV, by any test or by diagnosis;
    # "HIV antibody positive" names one test's result
    assert canonical("HIV positive", "exclusion") == "condition(hiv)"
    assert canonical("HIV antibody positive", "exclusion") == "test(hiv_antibody) = positive"


def test_result_words_away_from_a_test_stay_unknown_words() -> None:
    types = [t.type for t in tokenize(normalise("ER positive and HER2 negative disease"))]
    assert "RESULT" not in types and "TEST_WORD" not in types
    assert [t.type for t in tokenize(normalise("positive for anti-HCV"))] == [
        "RESULT",
        "FOR",
        "TEST",
    ]


def test_criteria_evaluate_from_text() -> None:
    subject = patient(observations=[result("HBsAg", "negative"), result("HCV RNA", "detected")])
    facts = PatientFacts(subject, SCREENING_DATE)
    from screener.compiler import compile_criterion

    def judged(text: str, kind: str) -> str:
        return evaluate(compile_criterion(text, kind).rule, facts).status.value

    assert judged("HBsAg positive", "exclusion") == "not_met"
    assert judged("Detectable HCV RNA", "exclusion") == "met"
    assert judged("Positive HIV antibody test", "exclusion") == "unknown"


# ---------------------------------------------------------------- one screening, end to end

TRIAL = """\
id: TEST-VIRAL
title: Qualitative tests trial
inclusion:
  - Negative hepatitis C virus (HCV) antibody test at screening
exclusion:
  - HBsAg positive
  - Positive HIV antibody test
"""


def test_cli_screens_qualitative_results(tmp_path: Path) -> None:
    folder = tmp_path / "trials"
    folder.mkdir()
    (folder / "TEST-VIRAL.yaml").write_text(TRIAL, encoding="utf-8")
    data = {
        "id": "P-VIRAL",
        "screening_date": "2026-11-21",
        "sex": "male",
        "observations": [
            {"name": "anti-HCV", "value": "non-reactive", "date": "2026-11-10"},
            {"loinc": "5196-1", "value": "Negative", "date": "2026-11-10"},
            {"name": "HIV-1/2 antibody", "value": "negative", "date": "2026-06-01"},
        ],
    }
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    outcome = CliRunner().invoke(
        app, [str(path), "--trials", str(folder), "--format", "json"], prog_name="screen"
    )
    assert outcome.exit_code == 0, outcome.output
    (trial,) = json.loads(outcome.stdout)["trials"]
    statuses = {c["text"]: (c["status"], c["rule"]) for c in trial["criteria"]}
    assert statuses["Negative hepatitis C virus (HCV) antibody test at screening"] == (
        "met",
        "test(anti_hcv) = negative",
    )
    assert statuses["HBsAg positive"] == ("not_met", "test(hbsag) = positive")
    # the HIV result of June is older than 90 days: it does not decide
    assert statuses["Positive HIV antibody test"][0] == "unknown"
    assert trial["verdict"] == "needs_review"
    assert trial["open"]["missing_data"] >= 1
