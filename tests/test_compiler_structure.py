"""How the pieces of one criterion combine: levels, scope, ellipsis, safety."""

from __future__ import annotations

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import canonical


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # a bare ';' separates criteria; the 'or' below it stays inside its item
    ("Be at least 18 years of age; male or female", "inclusion",
     "age >= 18 years and (sex = male or sex = female)"),
    # "male and female" names either sex, never both at once
    ("Male and female subjects", "inclusion", "sex = male or sex = female"),
    ("Age 18 and older males and females", "inclusion",
     "age >= 18 years and (sex = male or sex = female)"),
    # a serial list takes its closing conjunction
    ("Diabetes, hypertension or cirrhosis", "inclusion",
     "condition(diabetes) or condition(hypertension) or condition(cirrhosis)"),
    # "no" scopes over its list, qualifiers stay with their items
    ("No active autoimmune disease or uncontrolled infection", "inclusion",
     'not (qualified("active"; condition(autoimmune_disease)) or '
     'qualified("uncontrolled"; condition(infection)))'),
    ("No diabetes, hypertension, cirrhosis", "inclusion",
     "not (condition(diabetes) or condition(hypertension) or condition(cirrhosis))"),
    # "history of" distributes over the diagnoses of its list
    ("History of diabetes or cirrhosis", "exclusion",
     "history(diabetes) or history(cirrhosis)"),
    # a diagnosis narrowed by words the grammar lacks: the diagnosis decides its absence
    ("Sepsis requiring vasopressors", "exclusion",
     'condition(sepsis) and review("requiring vasopressors")'),
    # the same threshold stated in two units is one threshold
    ("Haemoglobin ≥ 9.0 g/dL or 5.6 mmol/L", "inclusion", "lab(hemoglobin) >= 9 g/dL"),
    # "ALT or AST ≤ X": either, or both? both readings
    ("ALT or AST ≤ 2.5 × ULN", "inclusion",
     "readings(lab(alt) <= 2.5 xULN or lab(ast) <= 2.5 xULN; "
     "lab(alt) <= 2.5 xULN and lab(ast) <= 2.5 xULN)"),
    ("AST/ALT ≤ 2.5 × ULN", "inclusion", "lab(ast) <= 2.5 xULN and lab(alt) <= 2.5 xULN"),
    ("Received solid organ or bone marrow transplant", "exclusion",
     "history(solid_organ_transplant) or history(transplant_bone_marrow)"),
    ("Hepatic function: total bilirubin ≤ 1.5 x ULN of institutional limits", "inclusion",
     "lab(total_bilirubin) <= 1.5 xULN"),
    ("Age ranging between 6 months and \\<16 years", "inclusion",
     "age >= 6 months and age < 16 years"),
    ("Patients aged 18 to 74 years old (both inclusive)", "inclusion", "age in [18, 74] years"),
    ("≥ 18 years", "inclusion", "age >= 18 years"),
    ("ECOG performance status of 0, 1 or 2", "inclusion", "score(ecog) in [0, 2]"),
    ("ECOG 0/1", "inclusion", "score(ecog) in [0, 1]"),
    # "or higher", "or greater": the number itself and above
    ("Patients with a serum potassium level of 4.9 mEq/L or higher", "exclusion",
     "lab(potassium) >= 4.9 mEq/L"),
    ("Hemoglobin 9 g/dL or greater", "inclusion", "lab(hemoglobin) >= 9 g/dL"),
])
def test_structure(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    "Hemoglobin ≥ 9 g/dL or 3 mmol/L",            # two thresholds that disagree
    "Cirrhosis unless compensated",                # 'unless' widens
    "Malignancy other than basal cell carcinoma",  # 'other than' is an exception
    "No diabetes and hypertension",                # scope of 'no' over 'and' is open
    # a requirement on patients of one sex, in a trial that may take both: never fail men
    "Women of childbearing potential with a negative urine pregnancy test",
    "female patients have adequate birth-control method",
    "Women who would like to become pregnant should seek advice on oocyte cryopreservation",
    # a pregnancy test is not a pregnancy, even after a dropped filler ("serum")
    "Female subjects have a negative urine or serum pregnancy.",
    "serum pregnancy",
])
def test_left_to_review(text: str) -> None:
    assert isinstance(compile_criterion(text).rule, r.Review)


def test_a_bare_duration_in_a_list_is_not_an_age() -> None:
    rule = compile_criterion("Diabetes duration, < 5 years").rule
    assert not any(isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age)
                   for leaf in r.leaves(rule))


@pytest.mark.parametrize("text", [
    "Type 2 diabetes, 10 years or more",
    "Hypertension; 5 years or above",
    "HIV infection, 3 months or more",
])
def test_a_duration_or_more_after_a_diagnosis_is_not_an_age(text: str) -> None:
    """'or more' may follow a duration; only 'or older' (or a named age) makes it an age."""
    for kind in ("inclusion", "exclusion"):
        rule = compile_criterion(text, kind).rule
        assert not any(
            isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Age)
            for leaf in r.leaves(rule)
        ), r.render(rule)
    assert canonical("Male or female, 18 years or older") == (
        "(sex = male or sex = female) and age >= 18 years"
    )
    assert canonical("18 years or above") == "age >= 18 years"


def test_an_alternative_after_an_age_is_never_dropped() -> None:
    rule = compile_criterion("Aged 18-65 years (or 16-17 years with parental consent)").rule
    assert r.render(rule) != "age in [18, 65] years"
    assert r.has_review(rule) or isinstance(rule, r.AnyOf)


@pytest.mark.parametrize("text", [
    # a window at the end of a list may reach every item (a stroke ten years ago must
    # not exclude)
    "Stroke or myocardial infarction within the last 3 months",
    "Use of corticosteroids or immunosuppressants within 4 weeks prior to screening",
    # an uncompiled opening may govern the items after it
    "Exceptions include basal cell carcinoma or squamous cell carcinoma of the skin",
    "First-degree relative with acute myeloid leukemia, myelodysplastic syndrome or lymphoma",
    "Does not conform the standards of MCI and dementia",
])
def test_scope_that_may_reach_the_whole_list_is_review(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.Review), r.render(rule)


def test_and_between_diagnoses_in_an_exclusion_has_two_readings() -> None:
    rule = compile_criterion("HIV and hepatitis B infection", "exclusion").rule
    assert isinstance(rule, r.Readings)
    inclusion = compile_criterion("HIV and hepatitis B infection", "inclusion").rule
    assert isinstance(inclusion, r.AllOf)


def test_inclusive_note_settles_the_boundary_of_over() -> None:
    assert canonical("Age over 18 years (inclusive)") == "age >= 18 years"
    assert canonical("Age over 18 years") == "age over 18 years"


def test_a_bare_list_of_diagnoses_in_an_inclusion_has_both_readings() -> None:
    """'Hypertension, dyslipidemia, sleep apnoea': all of them, or any one (comorbidities)."""
    rule = compile_criterion("Hypertension, dyslipidemia, obstructive sleep apnea").rule
    assert isinstance(rule, r.Readings)
    assert [type(item) for item in rule.items] == [r.AllOf, r.AnyOf]
    # a list with a measurement stays a list of requirements
    assert canonical("Diabetes, age 18-70 years") == (
        "condition(diabetes) and age in [18, 70] years"
    )


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
def test_history_inside_a_list_may_reach_the_items_after_it(kind: str) -> None:
    """'A, a history of B or C': history of C too, or C now? A person reads it."""
    text = "Diabetes, a history of stroke or myocardial infarction"
    assert compile_criterion(text, kind).rule.render().startswith("review(")
    each = "Diabetes, history of stroke, or history of myocardial infarction"
    assert "history(myocardial_infarction)" in compile_criterion(each, kind).rule.render()
