"""Performance status and life expectancy as registry text phrases them.

Scale names in many spellings (tokens._merged_scales), references to where a protocol
prints its scale, restatements ("< 2 i.e. 0 or 1"), who estimates a life expectancy,
and each scale's range.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import rules as r
from screener.compiler import compile_criterion
from screener.compiler.classify import classify
from screener.compiler.items import restates
from screener.compiler.lexicon import FILLERS, SCALE_TAILS
from screener.compiler.normalise import normalise
from screener.results import CriterionClass
from tests.helpers import canonical


@pytest.mark.parametrize(("text", "expected"), [
    # the scale named in several pieces, brackets and orders
    ("Eastern Cooperative Oncology Group (ECOG) performance score 0 or 1.",
     "score(ecog) in [0, 1]"),
    ("Eastern Cooperative Oncology Group performance status (ECOG) score of 0, 1, or 2",
     "score(ecog) in [0, 2]"),
    ("Eastern Cooperative Oncology Group ECOG performance status \\< 2.", "score(ecog) < 2"),
    ("Eastern Cooperative Oncology Group (ECOG) PS of 0 or 1", "score(ecog) in [0, 1]"),
    ("Performance status of Eastern Cooperative Oncology Group 0 to 2.", "score(ecog) in [0, 2]"),
    ("Eastern Cooperative Oncology Group（ECOG）Performance Status（PS）:0-2.;",
     "score(ecog) in [0, 2]"),
    ("ECOG physical status score of 0-2;", "score(ecog) in [0, 2]"),
    ("The ECOG behavior status score is less than 3 points;", "score(ecog) < 3"),
    ("Eastern Cooperative Oncology Group (ECOG) performance status grade of 0, 1, or 2",
     "score(ecog) in [0, 2]"),
    ("ECOG PS score: 0-2;", "score(ecog) in [0, 2]"),
    ("ECOG performance status 0 to1.", "score(ecog) in [0, 1]"),
    # a performance status of no named scale, named after its values
    ("Performance status 0-2 (ECOG)", "score(ecog) in [0, 2]"),
    ("Performance status 0-1 (ECOG PS);", "score(ecog) in [0, 1]"),
    ("Performance status ≥ 70 (Karnofsky)", "score(karnofsky) >= 70"),
    ("Performance status: Karnofsky ≥ 60", "score(karnofsky) >= 60"),
    # WHO and Zubrod: the ECOG scale
    ("WHO performance 0-1", "score(ecog) in [0, 1]"),
    ("World Health Organisation (WHO) performance status 0-2", "score(ecog) in [0, 2]"),
    ("PS 0-2 (WHO scale)", "score(ecog) in [0, 2]"),
    ("Zubrod 0-1", "score(ecog) in [0, 1]"),
    # references to the protocol's appendix and citations say nothing of the patient
    ("ECOG performance status ≤2 (see Appendix A)", "score(ecog) <= 2"),
    ("Eastern Cooperative Oncology Group (ECOG) performance status ≤2 (Refer to Appendix D)",
     "score(ecog) <= 2"),
    ("ECOG performance status of 0 or 1 (Oken et al. 1982)", "score(ecog) in [0, 1]"),
    ("Karnofsky performance status (KPS) ≥ 50% or ECOG performance status ≤ 3. "
     "(see Appendix B for definitions).", "score(karnofsky) >= 50 or score(ecog) <= 3"),
    # comparators written ">/=", a comparison before the score
    ("Karnofsky performance score >/= 30 at time of study entry.", "score(karnofsky) >= 30"),
    ("Less than 30 Karnofsky score at enrolment", "score(karnofsky) < 30"),
])
def test_performance_status_phrasings(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_an_exclusion_written_with_the_comparison_first() -> None:
    assert canonical("Less than 30 Karnofsky score at enrolment", "exclusion") == (
        "score(karnofsky) < 30"
    )


@pytest.mark.parametrize("text", [
    # two different scales next to each other, or a scale that is not a performance status
    "ECOG Karnofsky 0-1",
    "Karnofsky ≥ 70 (ECOG)",
    "ASA physical status 2",
    "Lansky play performance status ≥ 50",
    "Karnofsky / Lansky score < 50%",
    # the words that go on naming a scale mean nothing alone
    "status 0-1",
    "scale ≤ 2",
    "physical status ≤ 2",
    # an ECOG restated on the Karnofsky scale: the two tables do not pair exactly
    "ECOG performance status ≤2 (Karnofsky ≥60%, see Appendix A)",
    # a reference with more than where to look
    "ECOG ≤ 2 (see Appendix A for patients over 70)",
])
def test_what_stays_review(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review), canonical(text)


@pytest.mark.parametrize("text", [
    "ECOG ≤ 7", "ECOG 0-9", "ECOG < 1.5", "Karnofsky ≥ 150", "Karnofsky 0-110",
    "ECOG performance status 0, 7", "Less than 120 Karnofsky score",
])
def test_values_outside_the_scale_are_not_that_scale(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review), canonical(text)


def test_scale_tails_never_shadow_a_filler() -> None:
    assert not set(SCALE_TAILS) & set(FILLERS)
    assert canonical("Hemoglobin level ≥ 9 g/dL") == "lab(hemoglobin) >= 9 g/dL"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5))
def test_ecog_ranges_in_any_spelling_read_alike(low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    plain = canonical(f"ECOG {low}-{high}")
    for name in (
        "Eastern Cooperative Oncology Group (ECOG) performance score",
        "WHO performance",
        "ECOG PS score:",
        "Performance status of Eastern Cooperative Oncology Group",
    ):
        assert canonical(f"{name} {low}-{high}") == plain
    assert canonical(f"Performance status {low}-{high} (ECOG)") == plain


# ---------------------------------------------------------------- restatements
@pytest.mark.parametrize(("text", "expected"), [
    ("ECOG performance status \\< 2 i.e. 0 or 1", "score(ecog) < 2"),
    ("ECOG ≤ 1 (i.e., 0 or 1)", "score(ecog) <= 1"),
    ("ECOG < 2, i.e. ECOG 0-1", "score(ecog) < 2"),
    ("Karnofsky ≥ 70 i.e. 70-100", "score(karnofsky) >= 70"),
])
def test_a_restatement_that_agrees(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "ECOG performance status < 2 i.e. 0, 1 or 2",
    "ECOG ≤ 2 (i.e. 0 or 1)",
    "ECOG ≤ 1, i.e. Karnofsky ≥ 70",
    "Karnofsky ≥ 70 i.e. 80-100",
])
def test_a_restatement_that_disagrees_is_review(text: str) -> None:
    compiled = compile_criterion(text)
    assert isinstance(compiled.rule, r.Review)
    assert "a restatement that does not say the same" in compiled.reasons


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["<", "<=", ">", ">="]), st.integers(0, 5), st.integers(0, 5),
       st.integers(0, 5))
def test_restates_is_equality_on_the_grades(op: str, bound: int, low: int, high: int) -> None:
    low, high = min(low, high), max(low, high)
    first = r.Compare(r.Score("ecog"), r.Op(op), Decimal(bound))
    second = r.Between(r.Score("ecog"), Decimal(low), Decimal(high))
    ops = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}
    same = all(ops[op](g, bound) == (low <= g <= high) for g in range(6))
    assert restates(first, second) is same
    text = f"ECOG {op} {bound} i.e. {low}-{high}"
    rule = compile_criterion(text).rule
    assert isinstance(rule, r.Review) is not same, text


def test_restates_needs_one_performance_scale() -> None:
    ecog = r.Compare(r.Score("ecog"), r.Op.LE, Decimal(1))
    karnofsky = r.Compare(r.Score("karnofsky"), r.Op.GE, Decimal(70))
    meld = r.Compare(r.Score("meld"), r.Op.LE, Decimal(15))
    assert not restates(ecog, karnofsky)
    assert not restates(meld, meld)
    assert not restates(ecog, r.Compare(r.Score("ecog"), r.Op.UNDER, Decimal(2)))


# ---------------------------------------------------------------- life expectancy
@pytest.mark.parametrize(("text", "expected"), [
    ("Life expectancy longer than 48 hours", "fact(life_expectancy) > 48 hours"),
    ("The estimated survival time is at least 1 year;", "fact(life_expectancy) >= 1 years"),
    ("Expected survival period ≥ 12 weeks;", "fact(life_expectancy) >= 12 weeks"),
    ("Expected survival time \\> 3 months.", "fact(life_expectancy) > 3 months"),
    ("Estimated survival ≥3 months;", "fact(life_expectancy) >= 3 months"),
    ("Have a predicted life expectancy of \\>12 weeks", "fact(life_expectancy) > 12 weeks"),
    ("Must have life-expectancy of ≥ 12 weeks;", "fact(life_expectancy) >= 12 weeks"),
    ("a minimum life expectancy of 12 weeks", "fact(life_expectancy) >= 12 weeks"),
    ("Less than 3 months of life expectancy", "fact(life_expectancy) < 3 months"),
    # who estimates it: an investigator always does
    ("Life expectancy =/> 3 months, as determined by the investigator",
     "fact(life_expectancy) >= 3 months"),
    ("Has life expectancy >6 months in the opinion of the investigator",
     "fact(life_expectancy) > 6 months"),
    ("Have life expectancy of at least 60 days based on investigator's judgement",
     "fact(life_expectancy) >= 60 days"),
    ("Patients must have an ECOG performance status score of 0-2 and be expected to survive "
     "for at least 12 weeks, as determined by the investigator.",
     "score(ecog) in [0, 2] and fact(life_expectancy) >= 12 weeks"),
])
def test_life_expectancy_phrasings(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    # a life expectancy with no comparison, or of something else
    "Estimated life expectancy of 12 weeks",
    "5-year survival > 90%",
    "Concomitant disease that reduces life expectancy to less than a year",
    # the investigator judges something other than the life expectancy
    "As determined by the investigator, no disease that would interfere",
    "Patients deemed fit by the investigator",
])
def test_life_expectancy_and_judgement_that_stay_review(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review), canonical(text)


def test_an_estimator_is_no_judgement_only_after_a_life_expectancy() -> None:
    assert classify("Life expectancy > 3 months as determined by the investigator") is (
        CriterionClass.CLINICAL
    )
    assert classify("As determined by the investigator, life expectancy > 3 months") is (
        CriterionClass.JUDGEMENT
    )
    assert classify("Life expectancy > 3 months; other disease deemed significant") is (
        CriterionClass.JUDGEMENT
    )
    rule = compile_criterion(
        "Life expectancy > 3 months and no disease as determined by the investigator"
    ).rule
    assert r.has_review(rule)


@pytest.mark.parametrize(("text", "expected"), [
    ("ECOG >/= 1", "ECOG ≥ 1"),
    ("=/> 3 months", "≥ 3 months"),
    ("</= 2", "≤ 2"),
    ("0 to1", "0 to 1"),
    ("0to 2", "0 to 2"),
    ("1 to 2 weeks", "1 to 2 weeks"),
    ("HbA1c to 7", "HbA1c to 7"),
])
def test_normalised_comparators_and_ranges(text: str, expected: str) -> None:
    assert normalise(text) == expected
