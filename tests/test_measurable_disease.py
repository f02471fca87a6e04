"""Measurable disease: the criterion text, the patient fact and its evaluation.

"Measurable disease" and "at least one measurable lesion" are one fact under RECIST 1.1
(measurable disease is the presence of at least one measurable lesion). A criterion naming
RECIST is decided only by a record under RECIST; other response criteria stay with a person.
"""

from __future__ import annotations

from typing import Any

import pytest

from screener.canonical import parse_rule
from screener.compiler import compile_criterion
from screener.evaluate import evaluate, response_criteria
from screener.facts import PatientFacts, TimeRules
from tests.helpers import SCREENING_DATE, patient


def rule_of(text: str, kind: str = "inclusion") -> str:
    return compile_criterion(text, kind).rule.render()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("At least one measurable lesion", "measurable_disease(any)"),
        ("Patients must have measurable disease", "measurable_disease(any)"),
        ("Measurable disease per RECIST version 1.1.", "measurable_disease(recist_1_1)"),
        ("At least one measurable lesion (RECIST v1.1).", "measurable_disease(recist_1_1)"),
        ("Has at least 1 measurable lesion per RECIST 1.1;", "measurable_disease(recist_1_1)"),
        (
            "At least one measurable lesion (according to RECIST V 1.1);",
            "measurable_disease(recist_1_1)",
        ),
        (
            "Have at least one measurable tumor lesion per RECIST v1.1.",
            "measurable_disease(recist_1_1)",
        ),
        (
            "The presence of measurable disease as defined by Response Evaluation Criteria in "
            "Solid Tumors (RECIST) 1.1 criteria",
            "measurable_disease(recist_1_1)",
        ),
        ("Measurable disease according to RECIST", "measurable_disease(recist)"),
        (
            "Measurable disease as determined by RECIST version 1.1",
            "measurable_disease(recist_1_1)",
        ),
    ],
)
def test_measurable_disease_compiles(text: str, expected: str) -> None:
    assert rule_of(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "At least one measurable lesion per RECIST 1.0",  # another version
        "At least one measurable lesion according to mRECIST",  # other criteria
        "Measurable disease per RANO criteria",
        "Measurable or non-measurable disease",
        "At least one evaluable lesion",
        "Measurable disease outside the CNS",  # a restriction the fact does not hold
        "At least 2 measurable lesions",  # a count the fact does not hold
        "At least one measurable lesion not previously irradiated",
        "measurable disease per RECIST 1.1.2",
    ],
)
def test_measurable_disease_with_more_meaning_stays_review(text: str) -> None:
    assert rule_of(text).startswith("review(")


def test_no_measurable_lesion_is_its_negation() -> None:
    assert rule_of("No measurable lesion", "exclusion") == "not measurable_disease(any)"


def judge(rule: str, kind_of_fact: dict[str, Any] | None, rules: TimeRules | None = None) -> str:
    facts = {"measurable_disease": kind_of_fact} if kind_of_fact else {}
    subject = patient(facts=facts)
    return evaluate(
        parse_rule(rule), PatientFacts(subject, SCREENING_DATE, rules or TimeRules())
    ).status.value


RECIST_11 = {"value": True, "criteria": "RECIST 1.1", "date": "2026-11-10"}


@pytest.mark.parametrize(
    ("rule", "fact", "expected"),
    [
        ("measurable_disease(recist_1_1)", None, "unknown"),
        ("measurable_disease(recist_1_1)", RECIST_11, "met"),
        ("measurable_disease(recist_1_1)", {**RECIST_11, "value": False}, "not_met"),
        ("measurable_disease(recist)", RECIST_11, "met"),
        ("measurable_disease(any)", RECIST_11, "met"),
        ("measurable_disease(any)", {"value": False, "date": "2026-11-10"}, "not_met"),
        # a record under other criteria, or none named, leaves a RECIST criterion open
        ("measurable_disease(recist_1_1)", {**RECIST_11, "criteria": "mRECIST"}, "unknown"),
        ("measurable_disease(recist_1_1)", {"value": True, "date": "2026-11-10"}, "unknown"),
        ("measurable_disease(recist_1_1)", {**RECIST_11, "criteria": "RECIST"}, "unknown"),
        ("measurable_disease(recist)", {**RECIST_11, "criteria": "RANO"}, "unknown"),
        # an assessment older than the fact horizon (90 days) is stale
        ("measurable_disease(any)", {**RECIST_11, "date": "2026-07-01"}, "unknown"),
    ],
)
def test_measurable_disease_evaluation(
    rule: str, fact: dict[str, Any] | None, expected: str
) -> None:
    assert judge(rule, fact) == expected


def test_the_fact_horizon_can_be_set_per_item() -> None:
    old = {**RECIST_11, "date": "2026-09-01"}  # 81 days before screening
    assert judge("measurable_disease(any)", old) == "met"
    strict = TimeRules(per_item=(("measurable_disease", 30),))
    assert judge("measurable_disease(any)", old, strict) == "unknown"


@pytest.mark.parametrize(
    ("recorded", "key"),
    [
        ("RECIST 1.1", "recist_1_1"),
        ("recist v1.1", "recist_1_1"),
        ("Response Evaluation Criteria in Solid Tumors version 1.1", "recist_1_1"),
        ("RECIST 1.0", "recist_1_0"),
        ("RECIST", "recist"),
        ("mRECIST", "mrecist"),
        ("iRECIST", "irecist"),
        (None, None),
    ],
)
def test_recorded_criteria_are_read_exactly(recorded: str | None, key: str | None) -> None:
    assert response_criteria(recorded) == key


def test_the_reason_names_the_record_and_its_criteria() -> None:
    subject = patient(facts={"measurable_disease": {**RECIST_11, "criteria": "mRECIST"}})
    found = evaluate(
        parse_rule("measurable_disease(recist_1_1)"), PatientFacts(subject, SCREENING_DATE)
    )
    assert "assessed under mRECIST" in found.reason and "RECIST 1.1" in found.reason
    assert found.missing == ("measurable disease (RECIST 1.1)",)
    assert found.values[0].date.isoformat() == "2026-11-10"
