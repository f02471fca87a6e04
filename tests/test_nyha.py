"""NYHA functional class: the patient fact, FHIR input, the criterion text and evaluation.

A NYHA class is recorded (facts.nyha, class I-IV as 1-4), never derived; it is read
like ECOG: missing or stale is unknown, a future-dated one does not count.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import rules as r
from screener.canonical import parse_rule
from screener.compiler import compile_criterion
from screener.compiler.normalise import normalise
from screener.compiler.tokens import tokenize
from screener.errors import InputError
from screener.evaluate import Outcome, evaluate
from screener.explain import horizon_days
from screener.facts import PatientFacts, TimeRules
from screener.patient import load_patient
from tests.helpers import SCREENING_DATE, patient

NYHA = r.Score("nyha")


def rule_of(text: str, kind: str = "exclusion") -> str:
    return compile_criterion(text, kind).rule.render()


def judge(rule: r.Rule | str, **fields: Any) -> Outcome:
    tree = parse_rule(rule) if isinstance(rule, str) else rule
    return evaluate(tree, PatientFacts(patient(**fields), SCREENING_DATE))


def on(days_before: int) -> str:
    return (SCREENING_DATE - dt.timedelta(days=days_before)).isoformat()


def nyha(value: object, days_before: int = 10) -> dict[str, Any]:
    return {"nyha": {"value": value, "date": on(days_before)}}


HEART_FAILURE = {"name": "heart failure", "code": "I50.9", "status": "present"}
NO_HEART_FAILURE = {"name": "heart failure", "code": "I50.9", "status": "absent"}


# ---------------------------------------------------------------- criterion text


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("NYHA class III or IV", "score(nyha) in [3, 4]"),
        ("NYHA class III-IV", "score(nyha) in [3, 4]"),
        ("NYHA class ≥ III", "score(nyha) >= 3"),
        ("NYHA class \\<3", "score(nyha) < 3"),
        ("NYHA II, III or IV", "score(nyha) in [2, 4]"),
        ("New York Heart Association (NYHA) Class III/IV", "score(nyha) in [3, 4]"),
        ("New York Heart Association (NYHA) class 3-4", "score(nyha) in [3, 4]"),
        ("NYHA functional class II-IV", "score(nyha) in [2, 4]"),
        ("NYHA class IV", "score(nyha) = 4"),
        ("NYHA grade 3", "score(nyha) = 3"),
        ("NYHA Ⅲ-Ⅳ", "score(nyha) in [3, 4]"),
        ("NYHA class II or higher", "score(nyha) >= 2"),
        ("NYHA class I or III", "score(nyha) = 1 or score(nyha) = 3"),
        ("Heart failure (NYHA III or IV)", "condition(heart_failure) and score(nyha) in [3, 4]"),
        (
            "Congestive heart failure (NYHA class III or IV)",
            "condition(heart_failure) and score(nyha) in [3, 4]",
        ),
        (
            "New York Heart Association Class III or IV congestive heart failure",
            "condition(heart_failure) and score(nyha) in [3, 4]",
        ),
        ("Heart failure NYHA class ≥ II", "condition(heart_failure) and score(nyha) >= 2"),
        # a bracket restating the diagnosis ("(CHF)") is read past
        (
            "NYHA class III or IV heart failure (CHF)",
            "condition(heart_failure) and score(nyha) in [3, 4]",
        ),
        (
            "Severe heart failure (NYHA IV).",
            'qualified("severe"; condition(heart_failure)) and score(nyha) = 4',
        ),
        (
            "No congestive heart failure (NYHA class III or IV)",
            "not (condition(heart_failure) and score(nyha) in [3, 4])",
        ),
    ],
)
def test_nyha_text_compiles(text: str, rule: str) -> None:
    assert rule_of(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "NYHA class V",  # no class V
        "NYHA class 0-2",  # no class 0
        "NYHA class 2.5",
        "NYHA II or II",
        "Known New York Heart Association (NYHA) Class 3 or 4 heart disease as per Appendix C.",
        "Heart failure NYHA III, NYHA IV",
        "Diabetes (NYHA III or IV)",  # a class grades heart disease only
        "ECOG 2",  # one value without a comparison stays NYHA's
    ],
)
def test_what_is_not_a_nyha_class_is_review(text: str) -> None:
    compiled = compile_criterion(text, "exclusion")
    assert not any(
        isinstance(leaf, r.Compare | r.Between) and leaf.subject == NYHA
        for leaf in r.leaves(compiled.rule)
    ), compiled.rule.render()
    assert r.has_review(compiled.rule)


def test_history_of_a_classed_diagnosis_leaves_the_class_to_a_person() -> None:
    """When was it class III? 'history of' does not say: the class part is review."""
    assert rule_of("history of CHF (NYHA III/IV)") == (
        'history(heart_failure) and review("(NYHA III/IV)")'
    )


def kinds(text: str) -> list[tuple[str, str]]:
    return [(t.type, str(t)) for t in tokenize(normalise(text))]


def test_roman_iv_is_read_as_a_class_only_after_nyha() -> None:
    assert kinds("IV iron, class IV") == [
        ("WORD", "IV"), ("WORD", "iron"), ("COMMA", ","), ("CLASS_WORD", "class"), ("WORD", "IV"),
    ]  # fmt: skip
    # a phrase of the vocabulary wins over a class numeral: "IV antibiotics" is a drug class
    assert kinds("NYHA class III or IV antibiotics") == [
        ("SCORE", "nyha"), ("NUMBER", "3"), ("OR", "or"), ("DRUG_CLASS", "antibacterial"),
    ]  # fmt: skip
    assert kinds("NYHA class III; I agree") == [
        ("SCORE", "nyha"), ("NUMBER", "3"), ("SEMI", ";"), ("WORD", "I"), ("WORD", "agree"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    ["NYHA class III or IV", "Heart failure (NYHA III or IV)", "NYHA class I or III"],
)
def test_compiled_nyha_rules_print_and_read_back(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert parse_rule(rule.render()) == rule


# ---------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("value", "status"), [(3, "met"), ("IV", "met"), (2, "not_met"), ("I", "not_met")]
)
def test_a_recorded_class_decides(value: object, status: str) -> None:
    result = judge("score(nyha) in [3, 4]", facts=nyha(value))
    assert result.status.value == status
    [used] = result.values
    assert (used.name, used.date) == ("NYHA class", dt.date.fromisoformat(on(10)))
    assert result.reason.startswith("NYHA class ")


def test_no_class_on_file_is_unknown() -> None:
    result = judge("score(nyha) >= 3")
    assert (result.status.value, result.missing) == ("unknown", ("NYHA class",))
    assert result.reason == "NYHA class not on file"


def test_a_stale_class_is_unknown_and_shown() -> None:
    result = judge("score(nyha) >= 3", facts=nyha(4, days_before=120))
    assert result.status.value == "unknown"
    assert result.reason == f"NYHA class 4 on {on(120)} is stale (older than 90 days)"
    [used] = result.values
    assert used.value == 4


def test_a_future_class_does_not_count() -> None:
    result = judge("score(nyha) >= 3", facts=nyha(4, days_before=-3))
    assert (result.status.value, result.reason) == ("unknown", "NYHA class not on file")


@pytest.mark.parametrize(
    ("conditions", "facts", "status"),
    [
        ([HEART_FAILURE], nyha(3), "met"),
        ([HEART_FAILURE], nyha(2), "not_met"),
        ([HEART_FAILURE], {}, "unknown"),  # the class decides, and it is missing
        ([NO_HEART_FAILURE], {}, "not_met"),  # no heart failure of any class
        ([], nyha(3), "unknown"),  # class III of which cardiac disease?
        ([], nyha(1), "not_met"),
    ],
)
def test_heart_failure_of_a_class(
    conditions: list[dict[str, Any]], facts: dict[str, Any], status: str
) -> None:
    rule = compile_criterion("Heart failure (NYHA III or IV)", "exclusion").rule
    assert judge(rule, conditions=conditions, facts=facts).status.value == status


_CLASS_RULES = st.one_of(
    st.builds(
        r.Compare,
        st.just(NYHA),
        st.sampled_from([r.Op.LE, r.Op.LT, r.Op.GE, r.Op.GT, r.Op.EQ]),
        st.integers(1, 4).map(Decimal),
    ),
    st.tuples(st.integers(1, 4), st.integers(1, 4)).map(
        lambda b: r.Between(NYHA, Decimal(min(b)), Decimal(max(b)))
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), _CLASS_RULES)
def test_a_fresh_class_decides_exactly_as_the_comparison(value: int, rule: r.Rule) -> None:
    assert isinstance(rule, r.Compare | r.Between)
    if isinstance(rule, r.Compare):
        expected = {
            r.Op.LE: value <= rule.value,
            r.Op.LT: value < rule.value,
            r.Op.GE: value >= rule.value,
            r.Op.GT: value > rule.value,
            r.Op.EQ: value == rule.value,
        }[rule.op]
    else:
        expected = rule.low <= value <= rule.high
    assert parse_rule(rule.render()) == rule
    assert judge(rule, facts=nyha(value)).status.value == ("met" if expected else "not_met")


def test_the_class_is_a_fact_with_the_fact_horizon() -> None:
    assert horizon_days("NYHA class", TimeRules(fact_horizon_days=30)) == 30


# ---------------------------------------------------------------- patient file


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (4, 4), ("III", 3), ("iv", 4), ("Class II", 2), ("NYHA class I", 1), ("3", 3)],
)
def test_the_class_is_read_as_a_number_or_a_roman_numeral(value: object, expected: int) -> None:
    recorded = patient(facts=nyha(value)).facts.nyha
    assert recorded is not None and recorded.value == expected


@pytest.mark.parametrize("value", [0, 5, "V", "0", 2.5, True, "class 5", None])
def test_a_class_outside_i_to_iv_is_an_error_naming_the_field(value: object) -> None:
    with pytest.raises(InputError) as caught:
        patient(facts=nyha(value))
    assert caught.value.field == "facts.nyha.value"
    assert "NYHA functional class must be I-IV (1-4)" in caught.value.message


# ---------------------------------------------------------------- FHIR

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


def _fhir_patient(tmp_path: Path, **value: Any) -> Any:
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": "88020-3"}]},
        "effectiveDateTime": "2026-11-20T08:00:00Z",
        **value,
    }
    data = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1"}},
            {"resource": observation},
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return load_patient(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueInteger": 3}, 3),
        ({"valueString": "Class IV"}, 4),
        ({"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "421704003"}]}}, 2),
        ({"valueCodeableConcept": {"text": "NYHA class III"}}, 3),
    ],
)
def test_fhir_functional_capacity_nyha_is_read(
    tmp_path: Path, value: dict[str, Any], expected: int
) -> None:
    subject = _fhir_patient(tmp_path, **value)
    assert subject.facts.nyha is not None
    assert (subject.facts.nyha.value, subject.facts.nyha.date) == (expected, dt.date(2026, 11, 20))
    assert subject.notes == []


@pytest.mark.parametrize(
    "value",
    [{"valueInteger": 5}, {"valueString": "class B"}, {}],
)
def test_fhir_value_that_is_no_class_is_left_out_with_a_note(
    tmp_path: Path, value: dict[str, Any]
) -> None:
    subject = _fhir_patient(tmp_path, **value)
    assert subject.facts.nyha is None
    assert any("Observation" in note for note in subject.notes), subject.notes
