"""A lab threshold with a subgroup's own threshold or waiver; ULN spellings; abbreviations."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener import rules as r
from screener.compiler import compile_criterion
from screener.compiler.tokens import abbreviates
from tests.helpers import canonical


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # a looser bound for a subgroup: the main bound suffices
    ("Total bilirubin ≤ 1.5 × ULN (≤ 3 × ULN for patients with Gilbert syndrome)", "inclusion",
     'lab(total_bilirubin) <= 1.5 xULN or review("≤ 3 × ULN for patients with Gilbert syndrome")'),
    ("AST and ALT ≤ 2.5 × ULN, or ≤ 5 × ULN in patients with liver metastases", "inclusion",
     "(lab(ast) <= 2.5 xULN and lab(alt) <= 2.5 xULN) or "
     'review("≤ 5 × ULN in patients with liver metastases")'),
    ("Creatinine clearance ≥ 60 mL/min (≥ 50 mL/min if age > 70 years)", "inclusion",
     'lab(creatinine_clearance) >= 60 mL/min or review("≥ 50 mL/min if age > 70 years")'),
    # a tighter bound for a subgroup: the main bound is necessary
    ("creatinine ≤ 1.5 × ULN (≤ 1 × ULN for patients over 70 years)", "inclusion",
     'lab(creatinine) <= 1.5 xULN and review("≤ 1 × ULN for patients over 70 years")'),
    # an exclusion's subgroup bound: the same arithmetic
    ("Total bilirubin > 1.5 × ULN (> 3 × ULN for patients with Gilbert syndrome)", "exclusion",
     'lab(total_bilirubin) > 1.5 xULN and review("> 3 × ULN for patients with Gilbert syndrome")'),
    # a waiver: an inclusion lapses for the subgroup, an exclusion spares it
    ("Bilirubin ≤ 1.5 × ULN unless due to Gilbert syndrome", "inclusion",
     'lab(total_bilirubin) <= 1.5 xULN or review("unless due to Gilbert syndrome")'),
    ("AST > 3 × ULN unless due to liver metastases", "exclusion",
     'lab(ast) > 3 xULN and review("unless due to liver metastases")'),
])
def test_subgroup_alternatives(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    # two subgroups with bounds on both sides of the main one
    "AST ≤ 3 × ULN (≤ 5 × ULN for liver metastases, ≤ 1 × ULN for age > 70 years)",
    # another unit: the bounds cannot be compared
    "Total bilirubin ≤ 1.5 × ULN (≤ 3 mg/dL for patients with Gilbert syndrome)",
    # not a subgroup: a window, or nothing at all
    "AST ≤ 3 × ULN (≤ 5 × ULN within 7 days)",
    "AST ≤ 3 × ULN (≤ 5 × ULN)",
    # the same bound again says nothing about the direction
    "AST ≤ 3 × ULN (≤ 3 × ULN for patients with liver metastases)",
    # a bound the other way is a range, not an alternative
    "AST ≤ 3 × ULN (≥ 1 × ULN for patients with liver metastases)",
    # a waiver with a threshold of its own
    "Total bilirubin ≤ 1.5 × ULN (except subjects with Gilbert Syndrome, who can have "
    "total bilirubin < 3.0 mg/dL)",
])
def test_alternatives_that_cannot_be_compared_stay_review(text: str) -> None:
    rule = compile_criterion(text).rule
    assert isinstance(rule, r.Review), r.render(rule)


_OPS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "≤": operator.le, "<": operator.lt, "≥": operator.ge, ">": operator.gt,
}
_BOUND = st.decimals(min_value=1, max_value=50, places=1)


@given(
    side=st.sampled_from([("≤", "<"), ("≥", ">")]),
    main=_BOUND,
    other=_BOUND,
    strict=st.booleans(),
    value=st.decimals(min_value=0, max_value=60, places=1),
)
def test_compiled_part_never_contradicts_either_subgroup(
    side: tuple[str, str], main: Decimal, other: Decimal, strict: bool, value: Decimal
) -> None:
    """Whatever the subgroup, `M or review` is met only where the criterion holds for
    every patient, and `M and review` fails only where it fails for every patient."""
    main_op, other_op = side[0], side[int(strict)]
    text = f"AST {main_op} {main:f} × ULN ({other_op} {other:f} × ULN for patients with cirrhosis)"
    rule = compile_criterion(text).rule
    if main == other:
        assert isinstance(rule, r.Review)
        return
    assert isinstance(rule, r.AnyOf | r.AllOf), r.render(rule)
    main_holds = _OPS[main_op](value, main)
    in_subgroup, outside = _OPS[other_op](value, other), main_holds
    if isinstance(rule, r.AnyOf) and main_holds:
        assert in_subgroup and outside
    if isinstance(rule, r.AllOf) and not main_holds:
        assert not in_subgroup and not outside


@pytest.mark.parametrize(("text", "expected"), [
    ("Total bilirubin ≤ 1.5 times greater than the upper limit of normal",
     "lab(total_bilirubin) <= 1.5 xULN"),
    ("Serum creatinine ≤ 1.5 ⋅ ULN", "lab(creatinine) <= 1.5 xULN"),
    ("LDH > 2.5X IULN", "lab(ldh) > 2.5 xULN"),
    ("AST ≤ IULN", "lab(ast) <= 1 xULN"),
    ("Total bilirubin <1.5x Upper level of Normal (ULN)", "lab(total_bilirubin) < 1.5 xULN"),
    # the ULN a laboratory reports is the one for the patient's age
    ("Serum creatinine ≤ 1.5 x upper limit of normal (ULN) for age", "lab(creatinine) <= 1.5 xULN"),
])
def test_uln_spellings(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_uln_for_an_age_band_is_not_absorbed() -> None:
    assert isinstance(compile_criterion("creatinine ≤ 1.5 x ULN for age 1-17 years").rule, r.Review)


@pytest.mark.parametrize(("abbreviation", "words", "expected"), [
    ("ALL", "acute lymphoblastic leukemia", True),
    ("HCC", "hepatocellular carcinoma", True),
    ("CrCl", "creatinine clearance", True),
    ("NSCLC", "non-small cell lung cancer", True),
    ("AIDS", "acquired immunodeficiency syndrome", True),
    ("TKIs", "tyrosine kinase inhibitors", True),
    ("ALL", "patients with leukemia", False),
    ("CNS", "cancer", False),
    ("all", "acute lymphoblastic leukemia", False),  # a word, not an abbreviation
])
def test_abbreviates(abbreviation: str, words: str, expected: bool) -> None:
    assert abbreviates(abbreviation, words) is expected


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("The patient must have a diagnosis of acute lymphoblastic leukemia (ALL) or acute myeloid "
     "leukemia (AML).", "inclusion",
     "condition(acute_lymphoblastic_leukemia) or condition(acute_myeloid_leukemia)"),
    ("Known human immunodeficiency virus (HIV) infection", "exclusion", "condition(hiv)"),
    ("Eastern Cooperative Oncology Group (ECOG) performance status ≤ 2", "inclusion",
     "score(ecog) <= 2"),
])
def test_abbreviation_of_a_known_term_says_nothing_new(
    text: str, kind: str, expected: str
) -> None:
    assert canonical(text, kind) == expected


def test_abbreviation_of_an_unknown_term_stays() -> None:
    # "central nervous system" alone is no term of the vocabulary: "(CNS)" is kept, and the
    # text is review rather than read as if the abbreviation were not there
    rule = compile_criterion("Has symptomatic central nervous system (CNS) metastases", "exclusion")
    assert isinstance(rule.rule, r.Review)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # two bounds joined by "and": one range; a unit stated at the end is the unit of both
    ("Age > 18 years and < 65 years", "inclusion", "age in (18, 65) years"),
    ("Age ≥ 18 and ≤ 75 years", "inclusion", "age in [18, 75] years"),
    ("Patients be age \\>18 years and \\< 75 years.", "inclusion", "age in (18, 75) years"),
    ("Age ≥ 6 months and < 16 years", "inclusion", "age >= 6 months and age < 16 years"),
    # the word "age" after the comparator
    ("Under age 18", "exclusion", "age under 18 years"),
    ("Patient is over the age of 21", "inclusion", "age over 21 years"),
    ("Between age 18-65", "inclusion", "age in [18, 65] years"),
    # words describing the patients around an age: a person confirms them
    ("General adult psychiatry patients aged 18 to 65", "inclusion",
     'review("General adult psychiatry patients") and age in [18, 65] years'),
    ("Healthy adults under age 60", "inclusion", 'review("Healthy adults") and age under 60 years'),
    ("Adult patient (≥18 years old).", "inclusion", 'review("Adult patient") and age >= 18 years'),
])
def test_age_forms(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    # an upper bound first, or bounds that leave no age
    "Age < 65 and > 18 years",
    "Age > 65 and < 18 years",
    # an age at an event, a donor's or a fetus's age, an arm's age: not the patient's age now
    "Patients aged 18-65 years at diagnosis",
    "Age 18 years or older at diagnosis",
    "Patients diagnosed at age ≥ 18 years",
    "Donor adults aged 18-50",
    "Adult arm: aged at least 12 years old",
    # an exception next to the age
    "Adults aged 18-65 unless previously enrolled",
])
def test_ages_that_are_not_the_patients_stay_review(text: str) -> None:
    rule = compile_criterion(text).rule
    assert not any(
        isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age)
        for leaf in r.leaves(rule)
    ), r.render(rule)


@pytest.mark.parametrize(("text", "expected"), [
    # a performance status on no named scale with grades 0-5 is ECOG (= WHO = Zubrod)
    ("Performance status 0-1", "score(ecog) in [0, 1]"),
    ("Performance status ≤ 2", "score(ecog) <= 2"),
    ("Performance status 0, 1 or 2", "score(ecog) in [0, 2]"),
    ("WHO/ECOG performance status 0-1", "score(ecog) in [0, 1]"),
])
def test_unnamed_performance_status_is_ecog(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "Performance status ≥ 70",  # Karnofsky or Lansky: both run 0-100
    "PS ≤ 1.5",
    "Lansky play performance status ≥ 50",
])
def test_performance_status_beyond_ecog_grades_stays_review(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review)


def test_sexes_with_age_after_comparator() -> None:
    assert canonical("Males and/or females over age 18") == (
        "(sex = male or sex = female) and age over 18 years"
    )
    assert canonical("Women under age 45") == "sex = female and age under 45 years"


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # a threshold for a subgroup named after it: an inclusion binds only the subgroup ...
    ("HbA1c ≤ 8% (for patients with diabetes)", "inclusion",
     "implies(condition(diabetes); lab(hba1c) <= 8 %)"),
    ("AST ≤ 3 × ULN in patients with liver metastases", "inclusion",
     "implies(condition(liver_metastases); lab(ast) <= 3 xULN)"),
    ("ECOG ≤ 2 if age ≥ 70 years", "inclusion", "implies(age >= 70 years; score(ecog) <= 2)"),
    ("LVEF ≥ 50 % for patients receiving anthracyclines", "inclusion",
     'implies(review("for patients receiving anthracyclines"); lab(lvef) >= 50 %)'),
    # ... an exclusion excludes only its members
    ("LVEF < 50 % for patients with diabetes", "exclusion",
     "condition(diabetes) and lab(lvef) < 50 %"),
])
def test_threshold_restricted_to_a_subgroup(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    # a diagnosis "if S" may permit rather than require: not read
    "Hematopoietic stem cell transplantation if relapse occurs > 90 days after transplant",
    # a duration or a method, not a subgroup of patients
    "Hemoglobin < 9 g/dL for at least 3 months",
    # an alternative for everyone else, or a further threshold, in the subgroup's words
    "ECOG 0-1 for patients with cirrhosis, or 0-2 otherwise",
    "Total bilirubin ≤ 1.5 × ULN (for patients with Gilbert syndrome ≤ 3 × ULN)",
])
def test_what_is_not_a_subgroup_restriction_stays_review(text: str) -> None:
    rule = compile_criterion(text).rule
    assert not any(isinstance(node, r.Implies) for node in _nodes(rule)), r.render(rule)
    assert r.has_review(rule)


def _nodes(rule: r.Rule) -> list[r.Rule]:
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return [rule, *(node for item in rule.items for node in _nodes(item))]
    if isinstance(rule, r.Not | r.Qualified):
        return [rule, *_nodes(rule.item)]
    if isinstance(rule, r.Implies):
        return [rule, *_nodes(rule.condition), *_nodes(rule.then)]
    return [rule]


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # BMI is reported in kg/m2 only, an ejection fraction in % only (above 1: not a fraction)
    ("BMI >40", "exclusion", "lab(bmi) > 40 kg/m2"),
    ("BMI 18-30", "inclusion", "lab(bmi) in [18, 30] kg/m2"),
    ("LVEF < 40", "exclusion", "lab(lvef) < 40 %"),
    # registry spellings of known diagnoses
    ("HIV positive status", "exclusion", "condition(hiv)"),
    ("Known hepatitis B virus or hepatitis C virus", "exclusion",
     "condition(hepatitis_b) or condition(hepatitis_c)"),
    ("Total bilirubin \\< 1.5 x UNL", "inclusion", "lab(total_bilirubin) < 1.5 xULN"),
])
def test_sole_units_and_spellings(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


# "HBV DNA > 2000 IU/mL" compiles since the HBV viral load is an analyte (IU/mL only); without
# its unit it stays review
@pytest.mark.parametrize("text", ["LVEF ≥ 0.5", "Hemoglobin > 9", "HBV DNA > 2000"])
def test_a_missing_unit_that_is_not_the_sole_one_stays_review(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # per-sex pieces of an inclusion list: each binds its own sex (read as "and", no one
    # could meet the list)
    ("Men aged ≥ 50 years, women aged ≥ 55 years", "inclusion",
     "implies(sex = male; age >= 50 years) and implies(sex = female; age >= 55 years)"),
    ("Men aged ≥ 50 years or women aged ≥ 55 years", "inclusion",
     "(sex = male and age >= 50 years) or (sex = female and age >= 55 years)"),
    ("Male or female, aged 18 years or older", "inclusion",
     "(sex = male or sex = female) and age >= 18 years"),
])
def test_per_sex_pieces(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    # a sex followed by its own measure or formula: what holds for that sex, not a
    # requirement to be of it
    "Men: hemoglobin ≥ 13 g/dL",
    "Woman CrCl = (140 − age) × weight (kg) × 0.85 / (72 × serum creatinine)",
    "Male subjects weigh not less than 50 kg, female subjects weigh not less than 45 kg",
])
def test_a_sex_with_its_own_measure_never_requires_that_sex(text: str) -> None:
    rule = compile_criterion(text).rule
    required = [leaf for leaf in r.leaves(rule) if isinstance(leaf, r.Sex)]
    assert not required or not isinstance(rule, r.AllOf), r.render(rule)
