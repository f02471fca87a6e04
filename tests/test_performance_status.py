"""ECOG and Karnofsky: a criterion in one scale with only the other recorded is `review`.

The approximate equivalent (the NCI performance status table, scores.PERFORMANCE_TABLE)
is shown as a hint in the reason and on the value, and never decides.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import rules as r
from screener import scores
from screener.evaluate import Outcome, evaluate
from screener.facts import PatientFacts
from tests.helpers import SCREENING_DATE, patient, status

_OPS = st.sampled_from([r.Op.LE, r.Op.LT, r.Op.GE, r.Op.GT, r.Op.EQ, r.Op.OVER, r.Op.UNDER])
_AGES = st.integers(0, 400)  # days before the screening date: fresh and stale


def judge(rule: r.Rule, facts: dict[str, object]) -> Outcome:
    return evaluate(rule, PatientFacts(patient(facts=facts), SCREENING_DATE))


def on(days_before: int) -> str:
    return (SCREENING_DATE - dt.timedelta(days=days_before)).isoformat()


@st.composite
def _criteria(draw: st.DrawFn, scale: str, top: int) -> r.Rule:
    """A comparison or a range on `scale` with thresholds from 0 to `top`."""
    if draw(st.booleans()):
        threshold = Decimal(draw(st.integers(0, top)))
        return r.Compare(r.Score(scale), draw(_OPS), threshold)
    low = draw(st.integers(0, top))
    high = draw(st.integers(low, top))
    return r.Between(
        r.Score(scale), Decimal(low), Decimal(high), low_inclusive=draw(st.booleans()),
        high_inclusive=draw(st.booleans()),
    )  # fmt: skip


def test_the_reason_names_the_recorded_value_and_its_approximate_equivalent() -> None:
    rule = r.Compare(r.Score("ecog"), r.Op.LE, Decimal(1))
    result = judge(rule, {"karnofsky": {"value": 70, "date": "2026-11-01"}})
    assert result.status.value == "review"
    assert result.reason == (
        "ECOG criterion; only Karnofsky 70 on 2026-11-01 recorded (≈ ECOG 1 by the NCI "
        "performance status table, a hint only): review"
    )
    [used] = result.values
    assert (used.name, used.value, used.date) == ("Karnofsky", 70, dt.date(2026, 11, 1))
    assert (
        used.note == "≈ ECOG 1 by the NCI performance status table, a hint only, not used to decide"
    )


def test_a_karnofsky_criterion_with_only_ecog_recorded() -> None:
    rule = r.Compare(r.Score("karnofsky"), r.Op.GE, Decimal(70))
    result = judge(rule, {"ecog": {"value": 1, "date": "2026-11-01"}})
    assert result.status.value == "review"
    assert "only ECOG 1 on 2026-11-01 recorded (≈ Karnofsky 70–80 by the NCI" in result.reason


def test_a_karnofsky_score_between_two_rows_gets_both_grades() -> None:
    rule = r.Compare(r.Score("ecog"), r.Op.LE, Decimal(1))
    result = judge(rule, {"karnofsky": {"value": 85, "date": "2026-11-01"}})
    assert "(≈ ECOG 0–1 by the NCI" in result.reason


def test_stale_values_are_named_as_such_and_still_only_hint() -> None:
    rule = r.Compare(r.Score("ecog"), r.Op.LE, Decimal(2))
    result = judge(
        rule,
        {
            "ecog": {"value": 2, "date": "2026-01-01"},
            "karnofsky": {"value": 60, "date": "2026-01-02"},
        },
    )
    assert result.status.value == "review"
    assert result.reason == (
        "ECOG criterion; ECOG 2 on 2026-01-01 is stale; Karnofsky 60 on 2026-01-02 recorded "
        "(older than 90 days; ≈ ECOG 2 by the NCI performance status table, a hint only): review"
    )


def test_the_recorded_scale_itself_still_decides() -> None:
    subject = patient(facts={"karnofsky": {"value": 60, "date": "2026-11-20"}})
    assert status("Karnofsky performance status ≥ 70", subject) == "not_met"
    assert status("ECOG performance status 0-1", subject) == "review"


def test_neither_scale_recorded_is_unknown() -> None:
    result = judge(r.Compare(r.Score("ecog"), r.Op.LE, Decimal(1)), {})
    assert (result.status.value, result.missing) == ("unknown", ("ECOG",))


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 100), _AGES, _criteria("ecog", 5))
def test_karnofsky_never_decides_an_ecog_criterion(value: int, age: int, rule: r.Rule) -> None:
    result = judge(rule, {"karnofsky": {"value": value, "date": on(age)}})
    assert result.status.value == "review"
    assert f"only Karnofsky {value} on {on(age)} recorded" in result.reason
    assert "a hint only" in result.reason and result.reason.endswith(": review")


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 5), _AGES, _criteria("karnofsky", 100))
def test_ecog_never_decides_a_karnofsky_criterion(value: int, age: int, rule: r.Rule) -> None:
    result = judge(rule, {"ecog": {"value": value, "date": on(age)}})
    assert result.status.value == "review"
    assert f"only ECOG {value} on {on(age)} recorded" in result.reason
    assert "a hint only" in result.reason and result.reason.endswith(": review")


@pytest.mark.parametrize("karnofsky", range(0, 101, 10))
def test_the_hint_for_a_tabulated_score_is_the_tables_grade(karnofsky: int) -> None:
    grade = scores.ecog_from_karnofsky(karnofsky)
    assert scores.ecog_hint_for_karnofsky(karnofsky) == (grade, grade)
    low, high = scores.karnofsky_hint_for_ecog(grade)
    assert low <= karnofsky <= high


def test_the_table_read_both_ways() -> None:
    assert [scores.karnofsky_hint_for_ecog(g) for g in range(6)] == [
        (90, 100), (70, 80), (50, 60), (30, 40), (10, 20), (0, 0),
    ]  # fmt: skip
    assert scores.ecog_hint_for_karnofsky(75) == (1, 1)
    assert scores.ecog_hint_for_karnofsky(5) == (4, 5)
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            scores.ecog_hint_for_karnofsky(bad)
    with pytest.raises(ValueError):
        scores.karnofsky_hint_for_ecog(6)
