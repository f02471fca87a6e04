"""Diagnoses under qualifiers, 'history of', 'known or suspected' and time windows, and
pregnancy plans beside pregnancy: how registry text combines them."""

from __future__ import annotations

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from screener.compiler.lexicon import ENDOCRINE_NEOPLASIA_TYPES
from screener.concepts import ALL_CONCEPTS
from tests.helpers import canonical, patient, status


@pytest.mark.parametrize(("text", "expected"), [
    # a qualifier after 'history of' narrows the diagnosis; a person judges it
    ("history of acute cerebrovascular accident", 'qualified("acute"; history(stroke))'),
    ("Previous history of other malignancy", 'qualified("other"; history(malignancy))'),
    # a qualified diagnosis in a window
    ("Severe infection within 4 weeks prior to the first dose",
     'qualified("severe"; history(infection, within 4 weeks before first_dose))'),
    ("History of active peptic ulcer disease in the past 6 months",
     'qualified("active"; history(peptic_ulcer, within 6 months))'),
    # 'current' beside a qualifier, on either side
    ("Current severe infection", 'qualified("severe"; condition(infection))'),
    ("Other current malignancies", 'qualified("other"; condition(malignancy))'),
    # 'concurrent' says beside another disease (the one under study): a person tells
    ("Concurrent malignancy", 'qualified("concurrent"; condition(malignancy))'),
    ("Simultaneous HIV infection", 'qualified("concurrent"; condition(hiv))'),
    ("Concurrent severe infection",
     'qualified("concurrent"; qualified("severe"; condition(infection)))'),
    ("Current malignancy", "condition(malignancy)"),  # 'current' says now only
    # 'known or suspected': present or suspected
    ("Known or suspected brain metastases", "condition(brain_metastases, or_suspected)"),
    ("Known or suspected active tuberculosis",
     "condition(tuberculosis, or_suspected)"),  # 'active tuberculosis' is the concept's phrase
    ("Suspected or known hepatitis B", "condition(hepatitis_b, or_suspected)"),
])
def test_qualified_diagnoses(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


def test_no_concurrent_malignancy_never_fails_the_cancer_under_study() -> None:
    """'No concurrent malignancy' in a lung cancer trial: the lung cancer is not concurrent
    with itself, so a recorded malignancy leaves it to a person; none recorded passes."""
    assert canonical("No concurrent malignancy.", "inclusion") == (
        'not qualified("concurrent"; condition(malignancy))'
    )


def test_known_or_suspected_over_a_list_has_two_readings() -> None:
    """'Known or suspected A or B': of every item, or of A alone."""
    text = "Known or suspected drug abuse or alcohol dependence"
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.Readings)
    every, first_only = (r.render(item) for item in rule.items)
    assert every == ("condition(drug_use_disorder, or_suspected) or "
                     "condition(alcohol_use_disorder, or_suspected)")
    assert first_only == ("condition(drug_use_disorder, or_suspected) or "
                          "condition(alcohol_use_disorder)")


def test_known_or_suspected_never_governs_a_measurement() -> None:
    assert canonical("Known or suspected brain metastases or age > 80", "exclusion") == (
        "condition(brain_metastases, or_suspected) or age > 80 years"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("Pregnant or breastfeeding women, or those planning to become pregnant during the study.",
     '(pregnant or lactating) or review("planning to become pregnant during the study")'),
    ("Are pregnant, planning a pregnancy, or breastfeeding.",
     'pregnant or review("planning a pregnancy") or lactating'),
    ("Pregnancy or lactation, or intending to become pregnant during the study period.",
     '(pregnant or lactating) or review("intending to become pregnant during the study period")'),
])
def test_a_pregnancy_plan_is_an_item_of_its_own(text: str, expected: str) -> None:
    """A plan names the patient's intent, never a modifier of the item before it."""
    assert canonical(text, "exclusion") == expected


def test_an_inclusion_without_pregnancy_plans_keeps_the_plan_for_review() -> None:
    rule = compile_criterion("Not pregnant or breastfeeding or planning pregnancy").rule
    assert r.render(rule) == 'not (pregnant or lactating or review("planning pregnancy"))'


@pytest.mark.parametrize("text", [
    "Hypertension, requiring medication",  # a participle still reads as a modifier
    "Cirrhosis, planned for transplantation",  # a plan that is not about pregnancy
])
def test_other_participles_still_read_as_modifiers(text: str) -> None:
    assert isinstance(compile_criterion(text, "exclusion").rule, r.Review)


@pytest.mark.parametrize(("text", "expected"), [
    ("Medically uncontrolled hypertension",
     'qualified("medically uncontrolled"; condition(hypertension))'),
    ("Known primary immunodeficiency", 'qualified("primary"; condition(immunodeficiency))'),
    ("Patients with uncontrollable brain metastases",
     'qualified("uncontrollable"; condition(brain_metastases))'),
])
def test_narrowing_qualifiers(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize("text", [
    "Secondary liver cancer",       # metastases to the liver are not liver cancer (C22)
    "Congenital heart disease",     # Q20-Q28 lie outside heart disease
    "Secondary cirrhosis",         # "secondary" is never read as a narrowing qualifier
])
def test_words_the_classification_files_apart_do_not_narrow(text: str) -> None:
    assert isinstance(compile_criterion(text, "exclusion").rule, r.Review)


@pytest.mark.parametrize(("text", "expected"), [
    # qualifiers joined by or / and / and/or / a slash before one diagnosis
    ("Acute or chronic pancreatitis", 'qualified("acute or chronic"; condition(pancreatitis))'),
    ("Severe and/or uncontrolled hypertension",
     'qualified("severe and/or uncontrolled"; condition(hypertension))'),
    ("Clinically significant untreated/uncontrolled infection",
     'qualified("clinically significant untreated/uncontrolled"; condition(infection))'),
    ("History of acute or chronic pancreatitis",
     'qualified("acute or chronic"; history(pancreatitis))'),
    ("Severe or uncontrolled infection within 4 weeks",
     'qualified("severe or uncontrolled"; history(infection, within 4 weeks))'),
    # the 'or' of 'confirmed or suspected' is not a link between qualifiers
    ("Confirmed or suspected severe infection",
     'qualified("severe"; condition(infection, or_suspected))'),
    ("Known or suspected active or chronic pancreatitis",
     'qualified("active or chronic"; condition(pancreatitis, or_suspected))'),
    # a diagnosis item beside a qualified one stays an item of its own
    ("Diabetes or uncontrolled hypertension",
     'condition(diabetes) or qualified("uncontrolled"; condition(hypertension))'),
])
def test_joined_qualifiers_narrow_one_diagnosis(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a bracket naming the same diagnosis again is read past
    ("Scleroderma (systemic sclerosis)", "condition(systemic_sclerosis)"),
    ("History of scleroderma (systemic sclerosis) or hypertension",
     "history(systemic_sclerosis) or history(hypertension)"),
    # a bracket naming another diagnosis is not a restatement: it stays for review
    ("Scleroderma (hypertension)",
     'condition(systemic_sclerosis) and review("(hypertension)")'),
])
def test_a_bracket_restating_the_diagnosis(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize(("text", "expected"), [
    # words the vocabulary does not know alone share the head of the diagnosis after them
    ("Type I or type II diabetes mellitus",
     "condition(type_1_diabetes) or condition(type_2_diabetes)"),
    ("Alcohol or drug abuse", "condition(alcohol_use_disorder) or condition(drug_use_disorder)"),
    ("Antisocial or borderline personality disorder",
     "condition(antisocial_personality_disorder) or condition(borderline_personality_disorder)"),
])
def test_a_shared_head_noun(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize("text", [
    "Gartland or fungal infection",  # 'gartland infection' names nothing: not a shared head
    "Pediatric or fungal infection",
])
def test_words_that_name_nothing_with_the_head_stay_review(text: str) -> None:
    assert "review(" in canonical(text, "exclusion")


@pytest.mark.parametrize(("text", "expected"), [
    # the infection the hepatitis letters name is the hepatitis itself
    ("Hepatitis B or C infection", "condition(hepatitis_b) or condition(hepatitis_c)"),
    ("hepatitis B, C virus infection or HIV",
     "condition(hepatitis_b) or condition(hepatitis_c) or condition(hiv)"),
    # the qualifier of the hepatitis reaches the letters after it
    ("HIV or active hepatitis B or C",
     'condition(hiv) or qualified("active"; condition(hepatitis_b)) '
     'or qualified("active"; condition(hepatitis_c))'),
    ("Active hepatitis B or C virus infection",
     'qualified("active"; condition(hepatitis_b)) or qualified("active"; condition(hepatitis_c))'),
])
def test_infection_after_hepatitis_letters(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


def test_other_words_after_hepatitis_letters_stay_review() -> None:
    # a carrier state is not the infection's concept: not read past
    assert 'review("C carriers")' in canonical("hepatitis B or C carriers", "exclusion")


@pytest.mark.parametrize(("text", "expected"), [
    # "MEN" in capitals before a type is multiple endocrine neoplasia, never the sex
    ("MEN type 2 syndrome", "condition(multiple_endocrine_neoplasia_type_2)"),
    ("MEN2", "condition(multiple_endocrine_neoplasia_type_2)"),
    ("MEN 2", "condition(multiple_endocrine_neoplasia_type_2)"),
    ("MEN type II", "condition(multiple_endocrine_neoplasia_type_2)"),
    ("MEN1", "condition(multiple_endocrine_neoplasia_type_i)"),
    ("MEN type 1", "condition(multiple_endocrine_neoplasia_type_i)"),
    ("MEN-I", "condition(multiple_endocrine_neoplasia_type_i)"),
    ("MEN 2A", "condition(multiple_endocrine_neoplasia_type_iia)"),
    ("MEN2a", "condition(multiple_endocrine_neoplasia_type_iia)"),
    ("MEN IIA", "condition(multiple_endocrine_neoplasia_type_iia)"),
    ("MEN-2B", "condition(multiple_endocrine_neoplasia_type_iib)"),
    ("MEN syndrome", "condition(multiple_endocrine_neoplasia_syndromes)"),
    # the abbreviation restating the name in brackets says nothing new
    ("multiple endocrine neoplasia type 2 (MEN2)",
     "condition(multiple_endocrine_neoplasia_type_2)"),
    ("History of pancreatitis, medullary thyroid cancer, or MEN syndrome",
     "history(pancreatitis) or history(medullary_thyroid_carcinoma)"
     " or history(multiple_endocrine_neoplasia_syndromes)"),
])
def test_men_with_a_type_is_multiple_endocrine_neoplasia(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize(("text", "expected"), [
    # capitals without a type, or lower case: the men stay men
    ("MEN AND WOMEN AGED 18-65", "(sex = male or sex = female) and age in [18, 65] years"),
    ("MEN aged 18 or older", "sex = male and age >= 18 years"),
    ("Men aged 18 or older", "sex = male and age >= 18 years"),
])
def test_men_without_a_type_stay_the_sex(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "MEN 2 YEARS AFTER VASECTOMY",  # a quantity after the number
    "MEN 1-2 drinks a day",
    "MEN TYPE 2 DIABETES",  # all capitals: "type" in capitals is not read
    "MEN type 2 diabetes",  # the type is the diabetes's
    "men 2a",  # lower case
    "MEN I",  # a bare roman one
])
@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
def test_men_before_other_numbers_is_never_the_neoplasia(text: str, kind: str) -> None:
    assert "endocrine" not in canonical(text, kind)


def test_a_woman_with_men2_has_it() -> None:
    # the exclusion holds for her (met), where "sex = male" would have let her through
    woman = patient(sex="female", conditions=[{"code": "E31.22", "status": "present"}])
    assert status("MEN type 2 syndrome", woman, "exclusion") == "met"
    assert status("MEN2", woman, "exclusion") == "met"
    assert status("MEN1", woman, "exclusion") == "unknown"


def test_each_men_type_names_its_icd_codes() -> None:
    codes = {
        kind: tuple(p.text for p in ALL_CONCEPTS[concept].icd10)
        for kind, concept in ENDOCRINE_NEOPLASIA_TYPES.items()
    }
    assert codes == {
        "1": ("E31.21",), "i": ("E31.21",),
        "2": ("E31.22", "E31.23"), "ii": ("E31.22", "E31.23"),
        "2a": ("E31.22",), "iia": ("E31.22",),
        "2b": ("E31.23",), "iib": ("E31.23",),
        "": ("E31.2",),
    }
