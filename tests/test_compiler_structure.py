"""How the pieces of one criterion combine: levels, scope, ellipsis, safety."""

from __future__ import annotations

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import canonical, patient, status


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
    # ... unless an item puts itself in the present: 'history of' may stop before it (a
    # tuberculosis cured years ago must not exclude)
    ("History of HIV or active tuberculosis", "exclusion",
     "readings(history(hiv) or history(tuberculosis); history(hiv) or condition(tuberculosis))"),
    ("Known history of HIV or current tuberculosis", "exclusion",
     "readings(history(hiv) or history(tuberculosis); history(hiv) or condition(tuberculosis))"),
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
    # a restriction closing a list inside a longer one may reach the items before it (a
    # previous ILD that needed no steroids must not exclude)
    "Previous interstitial lung disease (ILD), drug-induced ILD, radiation pneumonitis "
    "requiring steroid therapy; or having the clinical manifestations of suspected ILD",
    "Interstitial lung disease or pneumonitis requiring steroid therapy; or uncontrolled asthma",
    "HIV, hepatitis B requiring treatment, or tuberculosis",
    # a restriction inside an uncompiled item may close the whole list (residual deficits
    # after the stroke too?)
    "History of stroke or heart attack with residual deficits",
    "On anticoagulation or dual anti-platelet therapy with abnormal coagulation panel results",
    "Drug abuse or long-term alcohol abuse that would affect the evaluation results",
    # a window closing an inner list may reach its items (a myocardial infarction years
    # ago must not exclude), whatever follows the inner list
    "History of myocardial infarction or unstable angina within 6 months, or cardiac arrhythmia",
    "History of myocardial infarction or stroke within 6 months or heart failure",
    "myocardial infarction or stroke within the past 6 months, heart failure",
    "Hypertension, myocardial infarction within 6 months, or heart failure",
    # examples opened by an uncompiled item may run on over the items after it (a
    # controlled arrhythmia is no uncontrolled illness)
    "Hypertension or an uncontrolled illness including heart failure, cardiac arrhythmia, "
    "or diabetes",
    "Hypertension, or any uncontrolled illness including, but not limited to heart failure, "
    "cardiac arrhythmia, or diabetes",
    "Hypertension or serious illness such as heart failure, cardiac arrhythmia, or diabetes",
    # a stage, grade or type after a diagnosis says which of it counts (a stage I NSCLC must
    # not exclude)
    "NSCLC, clinical stage IIIB or IV",
    "NSCLC, postoperative stage is IIA, IIB, IIIA or T3N2IIIB.",
    "Breast cancer, grade 2 or 3",
    "Hodgkin lymphoma, classical type, or diffuse large B-cell lymphoma",
    # a clause the grammar does not read, after a sex or an age, may govern the items after
    # it (a breastfeeding woman without diabetes, or not of childbearing potential, is not
    # excluded)
    "Female subject of child-bearing potential who is pregnant or lactating.",
    "Women with diabetes who are pregnant or lactating",
    "Women of childbearing age who are pregnant, lactating, or planning pregnancy",
    "Patients aged 18-45 years with a history of hepatitis or cirrhosis",
])
def test_scope_that_may_reach_the_whole_list_is_review(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.Review), r.render(rule)


@pytest.mark.parametrize(("text", "kind", "kept"), [
    # examples of a plain compiled diagnosis are members of it
    ("Presence of VTE, including pulmonary embolism or other manifestations of thrombosis",
     "exclusion", "condition(venous_thromboembolism)"),
    # a present state has a time of its own: the window after it is not its window
    ("Currently pregnant, pregnant within the past 6 months, currently breastfeeding",
     "exclusion", "pregnant"),
    # 'histologically diagnosed' is no stage of the item before
    ("Patients aged ≥ 18 years, with a histologically diagnosed advanced-stage tumor at any "
     "site.", "inclusion", "age >= 18 years"),
    # a ';' ends the clause the grammar does not read
    ("Pregnant woman or woman planning to become pregnant during the study; breast-feeding "
     "woman.", "exclusion", "lactating"),
])
def test_a_list_keeps_items_no_neighbour_reaches(text: str, kind: str, kept: str) -> None:
    rule = compile_criterion(text, kind).rule
    assert kept in r.render(rule) and not isinstance(rule, r.Review), r.render(rule)


@pytest.mark.parametrize(("text", "kept"), [
    # "other" / "any" / "another" open a category of their own, which the restriction defines
    ("Malabsorption syndrome or other conditions that preclude enteral route of administration",
     "condition(malabsorption)"),
    ("Any history of dementia or any medical condition that severely impairs cognition",
     "history(dementia)"),
    ("Malabsorption syndrome or other gastrointestinal illness or condition that could "
     "affect oral absorption of the study drug", "condition(malabsorption)"),
    # a group of people of its own
    ("Patients with cirrhosis or those with biliary obstruction", "condition(cirrhosis)"),
])
def test_a_restriction_defining_its_own_category_leaves_the_items_before(
    text: str, kept: str
) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.AnyOf) and kept in r.render(rule), r.render(rule)


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


def test_a_leading_qualifier_may_reach_items_beside_one_with_its_own() -> None:
    """'Refractory nausea, vomiting, chronic gastritis': "refractory" may reach vomiting
    (both readings), whatever "chronic" does to the item that carries it."""
    rule = compile_criterion(
        "Refractory hypertension, diabetes, chronic gastrointestinal diseases", "exclusion"
    ).rule
    assert isinstance(rule, r.Readings)
    every, first_only = (r.render(reading) for reading in rule.items)
    assert 'qualified("refractory"; condition(diabetes))' in every
    assert 'qualified("refractory"; condition(diabetes))' not in first_only
    assert "or condition(diabetes)" in first_only
    # with "and", the plain list reads it (in an exclusion, "and" may mean any one)
    anded = canonical("Severe anemia and severe hypertension and diabetes", "exclusion")
    assert anded.startswith("readings(") and " or " in anded


def test_a_qualified_list_keeps_the_readings_of_its_conjunction() -> None:
    """'Uncontrolled diabetes and hypertension' in an exclusion: "and" may mean both or
    either, whatever the qualifier reaches; in an inclusion "and" asks for both."""
    rule = compile_criterion("Uncontrolled diabetes and hypertension", "exclusion").rule
    assert isinstance(rule, r.Readings)
    rendered = [r.render(reading) for reading in rule.items]
    both = 'qualified("uncontrolled"; condition(diabetes)) and qualified("uncontrolled"; '
    either = 'qualified("uncontrolled"; condition(diabetes)) or qualified("uncontrolled"; '
    assert any(text.startswith(both) for text in rendered)
    assert any(text.startswith(either) for text in rendered)
    assert all(not isinstance(reading, r.Readings) for reading in rule.items)  # flat
    inclusion = compile_criterion("Uncontrolled diabetes and hypertension", "inclusion").rule
    assert " or " not in r.render(inclusion)


def test_readings_are_flattened_and_repeats_dropped() -> None:
    a, b, c = r.Condition("diabetes"), r.Condition("hypertension"), r.Condition("asthma")
    assert r.readings((r.Readings((a, b)), r.Readings((b, c)))) == r.Readings((a, b, c))
    assert r.readings((a, a)) == a


@pytest.mark.parametrize("text", [
    "females complaining of pelvic congestion: hypertension, diabetes, cirrhosis",
    "Women complaining of pelvic congestion: dysmenorrhea, diabetes",
])  # fmt: skip
def test_an_opening_with_a_colon_that_does_not_compile_governs_the_list(text: str) -> None:
    for kind in ("inclusion", "exclusion"):
        assert isinstance(compile_criterion(text, kind).rule, r.Review), (text, kind)


# ---------------------------------------------------------------- ages as registries write them

@pytest.mark.parametrize(("text", "kind", "expected"), [
    # the moment of consent is the moment of screening
    ("Participant must be aged 18 years or older at the time of obtaining informed consent",
     "inclusion", "age >= 18 years"),
    ("Patients had to be age 18 years or older at written informed consent", "inclusion",
     "age >= 18 years"),
    ("Participant is ≥ 18 years of age at the time of signing the ICF.", "inclusion",
     "age >= 18 years"),
    ("18 to 75 years old (at the time consent is obtained).", "inclusion",
     "age in [18, 75] years"),
    ("Aged between 18 and 65 years at the time of the signature of ICF", "inclusion",
     "age in [18, 65] years"),
    ("Age ≥ 18 years at the time of informed consent signature", "inclusion", "age >= 18 years"),
    # a closing 'inclusive', with or without its comma, and a moment after it
    ("Participant must be 40 to 65 years of age inclusive, at the time of signing the informed "
     "consent.", "inclusion", "age in [40, 65] years"),
    ("Men and women between the ages of 18 and 65 years old, inclusive, at the time of "
     "screening;", "inclusion", "(sex = male or sex = female) and age in [18, 65] years"),
    # ranges: 'between 18-75', a unit on each bound, an upper bound with its comparator
    ("Male or female, aged between 18-75 years old.", "inclusion",
     "(sex = male or sex = female) and age in [18, 75] years"),
    ("Males or females aged 18 Years to 75 Years", "inclusion",
     "(sex = male or sex = female) and age in [18, 75] years"),
    ("Male or female from 2 to <12 years of age.", "inclusion",
     "(sex = male or sex = female) and age in [2, 12) years"),
    ("Male or female, aged 18 to ≤30 years", "inclusion",
     "(sex = male or sex = female) and age in [18, 30] years"),
    ("Age 6 months to 17 years", "inclusion", "age >= 6 months and age <= 17 years"),
    # outside a range
    ("Age < 20 or > 35 years.", "exclusion", "age < 20 years or age > 35 years"),
    ("Age > 65 or < 18 years", "exclusion", "age > 65 years or age < 18 years"),
    # a comparator restated by 'or older'; 'or older' settles the boundary 'above' leaves open
    ("Patients above 18 years old or above;", "inclusion", "age >= 18 years"),
    ("≥ 18 years or older", "inclusion", "age >= 18 years"),
    # either sex, said as a sex that restricts nothing
    ("Patients of both sexes with age ≤ 21 years.", "inclusion",
     "(sex = male or sex = female) and age <= 21 years"),
    ("Gender unlimited, age from 4 years to 75 years.", "inclusion",
     "(sex = male or sex = female) and age in [4, 75] years"),
    ("Aged 18-70, regardless of gender;", "inclusion",
     "age in [18, 70] years and (sex = male or sex = female)"),
    # subject nouns and words run together
    ("Study participants must be 18 years of age or older.", "inclusion", "age >= 18 years"),
    ("age18 or older", "inclusion", "age >= 18 years"),
])
def test_age_phrasings(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(("text", "kind"), [
    # an age at another event than screening is not the age now
    ("Age 18 years or older at diagnosis.", "inclusion"),
    ("Less than 50 years of age at the time of migraine onset.", "inclusion"),
    # two bounds that do not face apart, or leave no room between them
    ("Age > 20 or < 35 years", "exclusion"),
    ("Age < 20 or < 35 years", "exclusion"),
    ("Age < 40 or > 35 years", "exclusion"),
    # a note that contradicts its bound
    ("Age > 18 years (inclusive)", "inclusion"),
    ("Age < 18 years or older", "inclusion"),
    ("Age > 18 years or older", "inclusion"),
    # each sex its own ages: never one sex only
    ("Male Age 2 months to 20 years of age Female Age 2 months to 11 years of age", "inclusion"),
    ("Male aged 18-65 years Female aged 18-50 years", "inclusion"),
    # consent itself is administrative
    ("Age 12 or older and parents or legal guardians must consent for children", "inclusion"),
])
def test_ages_that_stay_review(text: str, kind: str) -> None:
    rule = compile_criterion(text, kind).rule
    assert isinstance(rule, r.Review), r.render(rule)


def test_every_consent_moment_is_a_date_to_the_classifier() -> None:
    """The classifier must let through every phrase the tokenizer reads as the moment of
    screening, or an age at consent is sent to a person as an administrative item."""
    from screener.compiler.classify import classify
    from screener.compiler.lexicon import (
        CONSENT_ACTS,
        CONSENT_DOCUMENTS,
        CONSENT_MOMENT_OPENERS,
    )
    from screener.results import CriterionClass

    for opener in CONSENT_MOMENT_OPENERS:
        for act in ("", *CONSENT_ACTS, *(f"the {a}" for a in CONSENT_ACTS)):
            for document in CONSENT_DOCUMENTS:
                phrase = " ".join(filter(None, (opener, act, "the written", document)))
                text = f"Age ≥ 18 years {phrase.upper() if len(act) % 2 else phrase}"
                assert classify(text) is CriterionClass.CLINICAL, text
                assert canonical(text) == "age >= 18 years", text
    assert canonical("Age ≥ 18 years at the time the ICF is signed") == "age >= 18 years"
    # a window counted back from consent counts back from screening
    assert canonical("Chemotherapy within 28 days prior to obtaining informed consent",
                     "exclusion") == "medication(chemotherapy, within 28 days)"


# ---------------------------------------------------------------- joins to other criteria

@pytest.mark.parametrize(("text", "kind", "expected"), [
    # the conjunction the section joins its criteria with anyway is dropped
    ("Platelet count≥100×109/L AND", "inclusion", "lab(platelets) >= 100 10^9/L"),
    ("and ECOG ≤ 2", "inclusion", "score(ecog) <= 2"),
    ("Creatinine > 2 mg/dL or CrCl < 30 mL/min or", "exclusion",
     "lab(creatinine) > 2 mg/dL or lab(creatinine_clearance) < 30 mL/min"),
])
def test_a_conjunction_the_section_joins_with_is_dropped(
    text: str, kind: str, expected: str
) -> None:
    assert canonical(text, kind) == expected


def test_a_dropped_filler_before_and_is_no_conjunction_of_the_text() -> None:
    """'Known and untreated X': 'known' is a filler, the text does not open with 'and'."""
    compiled = compile_criterion("Known and untreated hypothyroidism or diabetes", "exclusion")
    assert not any("conjunction" in reason for reason in compiled.reasons)
    assert "condition(diabetes)" in r.render(compiled.rule)


@pytest.mark.parametrize(("text", "kind"), [
    # the other conjunction makes one criterion of two: the next one is part of this one
    ("Serum creatinine ≤ 1.5 x ULN AND", "exclusion"),
    ("Creatinine > 2 mg/dL or CrCl < 30 mL/min and", "exclusion"),
    ("ECOG ≤ 2, or", "inclusion"),
    ("or ECOG ≤ 2", "inclusion"),
    ("and ECOG > 2", "exclusion"),
])
def test_a_conjunction_that_joins_two_criteria_is_review(text: str, kind: str) -> None:
    rule = compile_criterion(text, kind).rule
    assert isinstance(rule, r.Review), r.render(rule)


@pytest.mark.parametrize("text", [
    "Hypertension, with stroke",
    "Coagulation dysfunction (INR > 1.5), with bleeding tendency or ongoing thrombolysis",
])
def test_a_piece_opening_with_with_may_describe_the_one_before(text: str) -> None:
    """'A, with B' among alternatives: A that has B, or A and B apart? A person reads it."""
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.Review), r.render(rule)
    # among requirements it reads the same either way; parallel items are a list
    assert canonical("Pregnant, with gestational age <23 weeks") == (
        'pregnant and review("gestational age <23 weeks")'
    )
    assert canonical("Hypertension, or with stroke", "exclusion") == (
        "condition(hypertension) or condition(stroke)"
    )


HEAD_IN_A_STATE = (
    "Medically unstable health conditions (e.g., heart attack, congestive heart failure)"
)


def test_examples_of_a_head_in_a_state_count_only_in_that_state() -> None:
    # a stable heart failure is no "medically unstable condition": a person decides
    stable = patient(conditions=[{"name": "heart failure", "status": "present"}])
    assert status(HEAD_IN_A_STATE, stable, "exclusion") == "review"
    assert canonical(HEAD_IN_A_STATE, "exclusion").startswith(
        'qualified("Medically unstable health conditions"; condition(myocardial_infarction))'
    )


@pytest.mark.parametrize("text", [
    "Active infection requiring systemic treatment (e.g. pneumonia, sepsis)",
    "Co-morbid psychological disorder that would require attention (e.g., psychotic disorder, "
    "substance dependence)",
])
def test_examples_under_an_unread_head_with_a_state_are_qualified(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert isinstance(rule, r.AnyOf)
    assert all(isinstance(item, r.Qualified | r.Review) for item in rule.items), r.render(rule)


def test_examples_under_an_unread_head_without_a_state_each_suffice() -> None:
    text = (
        "Co-morbid medical condition resulting in atypical diabetes management "
        "(e.g., cystic fibrosis)"
    )
    assert canonical(text, "exclusion").startswith("condition(cystic_fibrosis) or review(")
