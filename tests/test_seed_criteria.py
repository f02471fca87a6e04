"""The seed criteria: what each compiles to (from the verbatim library text) and means.

Each row of the acceptance table is compiled from the text as it stands in
rules/, never from a rewrite; meanings are then checked by evaluating rules on
patients, including perturbed variants (other numbers, units, synonyms).
"""

from __future__ import annotations

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from screener.library import TrialLibrary
from screener.results import CriterionClass, Origin
from tests.helpers import born_aged, lab, patient, status


@pytest.fixture(scope="module")
def seed_library() -> TrialLibrary:
    return TrialLibrary.load()


def compiled(library: TrialLibrary, text: str) -> tuple[str | None, CriterionClass, r.Rule]:
    for trial in library.trials:
        for criterion in trial.criteria:
            if criterion.text == text:
                assert criterion.origin is Origin.TEXT
                return criterion.canonical, criterion.class_, criterion.rule
    raise AssertionError(f"not in the seed library verbatim: {text!r}")


EXACT = [
    ("Aged 18-70 years.", "age in [18, 70] years"),
    ("Women between 20 and 40 years;", "sex = female and age in [20, 40] years"),
    ("Expecting lifetime is over 2 months.", "fact(life_expectancy) over 2 months"),
    (
        "Total bilirubin (TBil) ≥ 171μmol/L or an increase of ≥ 17.1μmol/L per day;",
        "lab(total_bilirubin) >= 171 umol/L or rise(total_bilirubin, day) >= 17.1 umol/L",
    ),
    (
        "Prothrombin activity (PTA) between 20% and 40% (or INR between 1.5 and 2.6);",
        "lab(pta) in [20, 40] % or lab(inr) in [1.5, 2.6]",
    ),
    (
        "No hepatic encephalopathy or encephalopathy below grade II (including grade II);",
        "fact(he_grade) <= 2",
    ),
    ("Patients with a MELD score \\> 30;", "score(meld) > 30"),
    ("Age: 0-65 years old, diagnosed with sepsis", "age in [0, 65] years and condition(sepsis)"),
    ("Confirmed or suspected infection", "condition(infection, or_suspected)"),
    (
        "Pregnancy, lactation, or plans for pregnancy within the next year",
        'pregnant or lactating or review("plans for pregnancy within the next year")',
    ),
    (
        "Imminent terminal status (e.g., septic shock, life expectancy <7 days)",
        "condition(septic_shock) or fact(life_expectancy) < 7 days "
        'or review("Imminent terminal status")',
    ),
    (
        "History of chronic enteritis, neuropsychiatric disorders, or transplantation "
        "(bone marrow, lung, liver, pancreas, or small intestine)",
        "history(chronic_enteritis) or history(neuropsychiatric_disorder) or "
        "(history(transplant_bone_marrow) or history(transplant_lung) or history(transplant_liver) "
        "or history(transplant_pancreas) or history(transplant_small_intestine))",
    ),
    (
        "Women aged 25-60 with a sexual history of more than 2 years;",
        "(sex = female and age in [25, 60] years) and "
        'review("sexual history of more than 2 years")',
    ),
    ("HIV+, hepatitis B, C;", "condition(hiv) or condition(hepatitis_b) or condition(hepatitis_c)"),
    (
        "Those who have participated in or are participating in clinical trials of other drugs "
        "within three months;",
        "other_trial(drug|biological, within 3 months)",
    ),
    ("Concurrent participation in other clinical trials", "other_trial(any, ongoing)"),
    (
        "Hepatitis B decompensated liver cirrhosis patients need antiviral therapy.",
        "implies(condition(hepatitis_b) and condition(decompensated_cirrhosis); "
        "medication(antiviral))",
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXACT, ids=[t[:40] for t, _ in EXACT])
def test_seed_criterion_compiles_to_its_meaning(
    seed_library: TrialLibrary, text: str, expected: str
) -> None:
    canonical, class_, _ = compiled(seed_library, text)
    assert canonical == expected
    assert class_ is CriterionClass.CLINICAL


@pytest.mark.parametrize(
    "text",
    [
        "Severe problems in other vital organs(e.g. the heart, renal or lungs)",
        "Contraindications for pregnancy;",
        "Plan to have liver transplantation in 3 months.",
    ],
)
def test_seed_criteria_left_to_review(seed_library: TrialLibrary, text: str) -> None:
    canonical, _, rule = compiled(seed_library, text)
    assert canonical is None
    assert isinstance(rule, r.Review)


@pytest.mark.parametrize(
    ("text", "class_"),
    [
        ("Written informed consent.", CriterionClass.ADMINISTRATIVE),
        ("Violation of medical ethics", CriterionClass.JUDGEMENT),
    ],
)
def test_seed_class(seed_library: TrialLibrary, text: str, class_: CriterionClass) -> None:
    canonical, found, _ = compiled(seed_library, text)
    assert found is class_
    assert canonical is None


CIRRHOSIS = "Decompensated liver cirrhosis, Child-Pugh B/C (7-12 points); or Meld score≦21."
RIGHT_STRUCTURE = (
    "condition(decompensated_cirrhosis) and (score(child_pugh) in [7, 12] or score(meld) <= 21)"
)


def test_cirrhosis_row_keeps_the_right_structure_and_never_decides_by_punctuation(
    seed_library: TrialLibrary,
) -> None:
    _, _, rule = compiled(seed_library, CIRRHOSIS)
    assert isinstance(rule, r.Readings)
    assert RIGHT_STRUCTURE in [reading.render() for reading in rule.items]
    # no cirrhosis, MELD 13: the punctuation reading would say met; never a definite answer
    no_cirrhosis = patient(
        birth_date=born_aged(50),
        conditions=[{"name": "cirrhosis", "status": "absent"}],
        observations=[
            lab("total bilirubin", 1.9, "mg/dL"),
            lab("INR", 1.2, None),
            lab("creatinine", 1.3, "mg/dL"),
        ],
        procedures=[{"name": "dialysis", "status": "absent"}],
    )
    assert status(CIRRHOSIS, no_cirrhosis) == "review"
    decompensated = patient(
        birth_date=born_aged(50),
        conditions=[{"name": "decompensated cirrhosis", "code": "K74.60"}],
        observations=[
            lab("total bilirubin", 2.5, "mg/dL"),
            lab("INR", 1.8, None),
            lab("albumin", 3.0, "g/dL"),
        ],
        facts={
            "ascites": {"value": "none", "date": "2026-11-20"},
            "hepatic_encephalopathy_grade": {"value": 1, "date": "2026-11-20"},
        },
    )
    assert status(CIRRHOSIS, decompensated) == "met"  # Child-Pugh 9


# ---------------------------------------------------------------- perturbed variants


@pytest.mark.parametrize(
    ("text", "years", "extra_days", "expected"),
    [
        ("Aged 20-65 years.", 20, 0, "met"),
        ("Aged 20-65 years.", 65, 200, "met"),
        ("Aged 20-65 years.", 66, 0, "not_met"),
        ("Aged 20-65 years.", 19, 300, "not_met"),
        ("Age range from 18 to 75 years old;", 75, 364, "met"),
        ("Age range from 18 to 75 years old;", 17, 0, "not_met"),
    ],
)
def test_age_ranges_in_completed_years(
    text: str, years: int, extra_days: int, expected: str
) -> None:
    assert status(text, patient(birth_date=born_aged(years, extra_days))) == expected


@pytest.mark.parametrize(
    ("text", "kind", "birth_date", "expected"),
    [
        # a fractional bound in years counts completed months: a 10-month-old is 0 completed
        # years, yet at least half a year old; the whole bound keeps completed years
        ("be ≥ 0.5 year old and ≤ 18 years old;", "inclusion", "2026-01-21", "met"),
        ("be ≥ 0.5 year old and ≤ 18 years old;", "inclusion", "2026-06-01", "not_met"),
        ("be ≥ 0.5 year old and ≤ 18 years old;", "inclusion", "2008-01-01", "met"),
        ("be ≥ 0.5 year old and ≤ 18 years old;", "inclusion", "2007-11-01", "not_met"),
        ("Age < 1.5 years", "exclusion", "2025-03-01", "not_met"),  # 1 year 8 months
        ("Age < 1.5 years", "exclusion", "2025-06-01", "met"),  # 1 year 5 months
        ("Age > 2.5 years", "inclusion", "2024-02-01", "met"),  # 2 years 9 months
        ("Age > 2.5 years", "inclusion", "2024-07-01", "not_met"),  # 2 years 4 months
        ("Age > 1.3 years", "inclusion", "2024-07-01", "review"),  # in no whole unit
        ("Age > 1.3 years", "inclusion", "1980", "review"),
    ],
)
def test_fractional_age_bounds_count_finer_units(
    text: str, kind: str, birth_date: str, expected: str
) -> None:
    assert status(text, patient(birth_date=birth_date), kind) == expected


@pytest.mark.parametrize(
    ("text", "sex", "years", "expected"),
    [
        ("Women between 25 and 45 years;", "female", 25, "met"),
        ("Women between 25 and 45 years;", "male", 30, "not_met"),
        ("Women between 25 and 45 years;", "female", 46, "not_met"),
        ("Women aged 30-50", "female", 50, "met"),
        ("Women aged 30-50", "female", 29, "not_met"),
    ],
)
def test_sex_and_age(text: str, sex: str, years: int, expected: str) -> None:
    assert status(text, patient(sex=sex, birth_date=born_aged(years))) == expected


@pytest.mark.parametrize(
    ("text", "value", "unit", "expected"),
    [
        ("TBil ≥ 200 µmol/L", 12.0, "mg/dL", "met"),  # 205.2 µmol/L
        ("TBil ≥ 200 µmol/L", 11.0, "mg/dL", "not_met"),  # 188.1 µmol/L
        ("TBil ≥ 200 umol/L", 200, "µmol/L", "met"),
        ("Serum bilirubin ≥ 10 mg/dL", 171, "μmol/L", "met"),
        ("Total bilirubin (TBil) ≥ 171μmol/L", 9.9, "mg/dL", "not_met"),
    ],
)
def test_bilirubin_thresholds_convert_units(
    text: str, value: float, unit: str, expected: str
) -> None:
    subject = patient(observations=[lab("total bilirubin", value, unit)])
    assert status(text, subject) == expected


def test_bilirubin_rise_per_day() -> None:
    text = "Total bilirubin ≥ 20 mg/dL or an increase of ≥ 1 mg/dL per day"
    rising = patient(
        observations=[
            lab("TBil", 6.0, "mg/dL", "2026-11-19T08:00"),
            lab("TBil", 7.5, "mg/dL", "2026-11-20T08:00"),
        ]
    )
    assert status(text, rising) == "met"
    flat = patient(
        observations=[
            lab("TBil", 6.0, "mg/dL", "2026-11-19T08:00"),
            lab("TBil", 6.2, "mg/dL", "2026-11-20T08:00"),
        ]
    )
    assert status(text, flat) == "not_met"
    single = patient(observations=[lab("TBil", 6.0, "mg/dL")])
    assert status(text, single) == "unknown"


@pytest.mark.parametrize(
    ("text", "observations", "expected"),
    [
        ("INR between 1.2 and 3.0", [("INR", 3.0, None)], "met"),
        ("INR between 1.2 and 3.0", [("INR", 1.1, None)], "not_met"),
        (
            "Prothrombin activity (PTA) between 30% and 50% (or INR between 1.3 and 2.0);",
            [("PTA", 35, "%")],
            "met",
        ),
        (
            "Prothrombin activity (PTA) between 30% and 50% (or INR between 1.3 and 2.0);",
            [("PTA", 60, "%"), ("INR", 1.1, None)],
            "not_met",
        ),
        (
            "Prothrombin activity (PTA) between 30% and 50% (or INR between 1.3 and 2.0);",
            [("INR", 1.1, None)],
            "unknown",
        ),
        ("PTA between 20% and 40%", [("INR", 1.8, None)], "unknown"),  # INR is not PTA
        ("PTA between 20% and 40%", [("PTA", 1.8, None)], "review"),  # unit missing
    ],
)
def test_pta_and_inr(
    text: str, observations: list[tuple[str, float, str | None]], expected: str
) -> None:
    subject = patient(observations=[lab(n, v, u) for n, v, u in observations])
    assert status(text, subject) == expected


@pytest.mark.parametrize(
    ("text", "grade", "expected"),
    [
        (
            "No hepatic encephalopathy or encephalopathy below grade III (including grade III);",
            3,
            "met",
        ),
        (
            "No hepatic encephalopathy or encephalopathy below grade III (including grade III);",
            4,
            "not_met",
        ),
        (
            "No hepatic encephalopathy or encephalopathy below grade II (including grade II);",
            2,
            "met",
        ),
    ],
)
def test_hepatic_encephalopathy_grade(text: str, grade: int, expected: str) -> None:
    subject = patient(
        facts={"hepatic_encephalopathy_grade": {"value": grade, "date": "2026-11-20"}}
    )
    assert status(text, subject) == expected


MELD_LABS = [
    lab("total bilirubin", 10.2, "mg/dL"),
    lab("INR", 1.8, None),
    lab("creatinine", 1.0, "mg/dL"),
]


@pytest.mark.parametrize(
    ("text", "dialysis", "expected"),
    [
        ("Patients with a MELD score \\> 30;", "absent", "not_met"),  # MELD 22
        ("Patients with a MELD score > 20;", "absent", "met"),
        ("MELD score > 25", "absent", "not_met"),
        ("Patients with a MELD score \\> 30;", None, "unknown"),  # 22 without, 35 with dialysis
        ("MELD score > 20", None, "met"),  # both ways above 20
    ],
)
def test_meld_with_and_without_dialysis(text: str, dialysis: str | None, expected: str) -> None:
    procedures = [{"name": "dialysis", "status": dialysis}] if dialysis else []
    subject = patient(birth_date=born_aged(45), observations=MELD_LABS, procedures=procedures)
    assert status(text, subject, "exclusion") == expected


@pytest.mark.parametrize(
    ("text", "value", "unit", "expected"),
    [
        ("Life expectancy is over 3 months", 3, "months", "review"),
        ("Life expectancy is over 3 months", 4, "months", "met"),
        ("Expected survival more than 6 weeks", 6, "weeks", "not_met"),
        (
            "Imminent terminal status (e.g., septic shock, life expectancy <7 days)",
            5,
            "days",
            "met",
        ),
    ],
)
def test_life_expectancy(text: str, value: int, unit: str, expected: str) -> None:
    subject = patient(
        facts={"life_expectancy": {"value": value, "unit": unit, "date": "2026-11-20"}}
    )
    assert status(text, subject, "exclusion") == expected


def test_imminent_terminal_status_examples_each_suffice() -> None:
    text = "Imminent terminal status (e.g., septic shock, life expectancy <7 days)"
    shock = patient(conditions=[{"name": "septic shock", "code": "R65.21"}])
    assert status(text, shock, "exclusion") == "met"
    neither = patient(
        conditions=[{"name": "septic shock", "status": "absent"}],
        facts={"life_expectancy": {"value": 6, "unit": "months", "date": "2026-11-20"}},
    )
    assert status(text, neither, "exclusion") == "review"


TRANSPLANT_TEXT = (
    "History of chronic enteritis, neuropsychiatric disorders, or transplantation "
    "(bone marrow, lung, liver, pancreas, or small intestine)"
)


@pytest.mark.parametrize(
    ("code", "name", "expected"),
    [
        ("Z94.4", "liver transplant status", "met"),
        ("Z94.81", "bone marrow transplant status", "met"),
        ("Z94.0", "kidney transplant status", "unknown"),
        ("Z94.1", "heart transplant status", "unknown"),
    ],
)
def test_transplant_restricted_to_listed_organs(code: str, name: str, expected: str) -> None:
    subject = patient(conditions=[{"name": name, "code": code}])
    assert status(TRANSPLANT_TEXT, subject, "exclusion") == expected


OTHER_SEVERE = (
    "Patients with other severe heart diseases, lung diseases, blood diseases, "
    "autoimmune diseases, or diabetes;"
)
FIVE = ["heart disease", "lung disease", "blood disease", "autoimmune disease", "diabetes"]


def test_other_severe_list_not_met_when_all_absent() -> None:
    subject = patient(conditions=[{"name": n, "status": "absent"} for n in FIVE])
    assert status(OTHER_SEVERE, subject, "exclusion") == "not_met"


def test_other_severe_list_diabetes_alone_is_review() -> None:
    conditions = [{"name": n, "status": "absent"} for n in FIVE[:4]]
    conditions.append({"name": "type 2 diabetes mellitus", "code": "E11.9"})
    assert status(OTHER_SEVERE, patient(conditions=conditions), "exclusion") == "review"


@pytest.mark.parametrize(
    ("text", "conditions", "expected"),
    [
        ("HIV+, hepatitis B, C;", [("B20", "present")], "met"),
        (
            "HIV+, hepatitis B, C;",
            [("HIV infection", "absent"), ("hepatitis B", "absent"), ("hepatitis C", "absent")],
            "not_met",
        ),
        ("HIV+, hepatitis B, C;", [], "unknown"),
        ("Hepatitis B or C", [("B18.2", "present")], "met"),
        (
            "HIV+, hepatitis C",
            [("B18.1", "present"), ("HIV infection", "absent"), ("hepatitis C", "absent")],
            "not_met",
        ),
    ],
)
def test_infections_list(text: str, conditions: list[tuple[str, str]], expected: str) -> None:
    # a code names that code's condition; a name names the whole concept (refuting B18.1,
    # chronic hepatitis B, leaves acute hepatitis B open)
    subject = patient(
        conditions=[
            {"code": c, "status": s}
            if c[0].isupper() and c[1].isdigit()
            else {"name": c, "status": s}
            for c, s in conditions
        ]
    )
    assert status(text, subject, "exclusion") == expected


@pytest.mark.parametrize(
    ("text", "entries", "expected"),
    [
        (
            "Those who have participated in or are participating in clinical trials of other drugs "
            "within three months;",
            [{"intervention_type": "drug", "end": "2026-09-01"}],
            "met",
        ),
        (
            "Those who have participated in or are participating in clinical trials of other drugs "
            "within three months;",
            [{"intervention_type": "drug", "end": "2026-08-20"}],
            "unknown",
        ),
        (
            "Those who have participated in clinical trials of other drugs within 6 months",
            [{"intervention_type": "device", "ongoing": True}],
            "unknown",
        ),
        (
            "Those who have participated in clinical trials of other drugs within 6 months",
            [{"intervention_type": None, "ongoing": True}],
            "unknown",
        ),
        ("Concurrent participation in another clinical trial", [{"ongoing": True}], "met"),
        ("Concurrent participation in another clinical trial", [{"status": "absent"}], "not_met"),
        ("Candidates who are participating in other study.", [], "unknown"),
    ],
)
def test_trial_participation(text: str, entries: list[dict[str, object]], expected: str) -> None:
    assert status(text, patient(trial_participation=entries), "exclusion") == expected


def test_three_calendar_months_window_boundary() -> None:
    text = (
        "Those who have participated in or are participating in clinical trials of other "
        "drugs within three months;"
    )
    on_boundary = patient(
        trial_participation=[{"intervention_type": "biological", "end": "2026-08-21"}]
    )
    assert status(text, on_boundary, "exclusion") == "met"


HEP_B_CIRRHOSIS = [
    {"name": "hepatitis B", "code": "B18.1"},
    {"name": "decompensated liver cirrhosis"},
]


@pytest.mark.parametrize(
    ("conditions", "medications", "expected"),
    [
        (HEP_B_CIRRHOSIS, [{"name": "entecavir"}], "met"),
        # entecavir not taken leaves the other antivirals open; antivirals not taken do not
        (HEP_B_CIRRHOSIS, [{"name": "entecavir", "status": "absent"}], "unknown"),
        (HEP_B_CIRRHOSIS, [{"drug_class": "antiviral", "status": "absent"}], "not_met"),
        ([{"name": "hepatitis B", "status": "absent"}], [], "met"),
        (HEP_B_CIRRHOSIS, [], "unknown"),
    ],
)
def test_hepatitis_b_cirrhosis_needs_antiviral(
    conditions: list[dict[str, str]], medications: list[dict[str, str]], expected: str
) -> None:
    text = "Hepatitis B decompensated liver cirrhosis patients need antiviral therapy."
    subject = patient(conditions=conditions, medications=medications)
    assert status(text, subject) == expected


def test_no_diabetes_or_hypertension_is_neither() -> None:
    text = "No diabetes or hypertension"
    assert r.render(compile_criterion(text).rule) == (
        "not (condition(diabetes) or condition(hypertension))"
    )
    only_hypertension = patient(conditions=[{"code": "E11.9", "status": "absent"}, {"code": "I10"}])
    assert status(text, only_hypertension) == "not_met"


def test_pregnancy_row_and_male_patients() -> None:
    text = "Pregnancy, lactation, or plans for pregnancy within the next year"
    assert status(text, patient(sex="male"), "exclusion") == "review"  # plans: a person asks
    pregnant = patient(sex="female", pregnancy={"status": "present", "date": "2026-11-20"})
    assert status(text, pregnant, "exclusion") == "met"
    assert status("Pregnancy", patient(sex="male"), "exclusion") == "not_met"


# ---------------------------------------------------------------- more perturbed variants


def test_sepsis_age_row_variants() -> None:
    for text in ("Age: 18-80 years old, diagnosed with sepsis",
                 "Age: 0-70 years old, diagnosed with septic shock"):
        young_septic = patient(birth_date=born_aged(40),
                               conditions=[{"name": "septic shock", "code": "R65.21"}])
        assert status(text, young_septic) == "met"
        assert status(text, patient(birth_date=born_aged(90), conditions=[
            {"name": "septic shock", "code": "R65.21"}])) == "not_met"
        assert status(text, patient(birth_date=born_aged(40), conditions=[
            {"name": "sepsis", "status": "absent"}])) == "not_met"


@pytest.mark.parametrize("text", ["Suspected or confirmed infection",
                                  "Confirmed or suspected bacterial infection"])
def test_suspected_infection_variants(text: str) -> None:
    suspected = patient(conditions=[{"name": "bacterial infection", "status": "suspected"}])
    assert status(text, suspected) == "met"
    absent = patient(conditions=[{"name": "infection", "status": "absent"}])
    assert status(text, absent) == "not_met"


@pytest.mark.parametrize("text", ["Pregnancy, breastfeeding, or plans to conceive",
                                  "Lactation, pregnancy, or wish to become pregnant"])
def test_pregnancy_row_variants(text: str) -> None:
    nursing = patient(sex="female", lactation={"status": "present", "date": "2026-11-20"})
    assert status(text, nursing, "exclusion") == "met"
    neither = patient(sex="female", pregnancy={"status": "absent", "date": "2026-11-20"},
                      lactation={"status": "absent", "date": "2026-11-20"})
    assert status(text, neither, "exclusion") == "review"  # the plans need a person


def test_cirrhosis_row_variant_keeps_both_readings() -> None:
    text = "Decompensated liver cirrhosis, Child-Pugh B/C (7-10 points); or MELD score ≤ 18."
    rule = compile_criterion(text).rule
    assert isinstance(rule, r.Readings)
    no_cirrhosis = patient(conditions=[{"name": "cirrhosis", "status": "absent"}],
                           scores=[{"name": "meld", "value": 12, "date": "2026-11-20"}])
    assert status(text, no_cirrhosis) == "review"


@pytest.mark.parametrize("text", ["History of transplantation (kidney or heart)",
                                  "History of inflammatory bowel disease or transplantation "
                                  "(kidney or heart)"])
def test_transplant_restriction_variants(text: str) -> None:
    kidney = patient(conditions=[{"name": "kidney transplant status", "code": "Z94.0"}])
    assert status(text, kidney, "exclusion") == "met"
    liver = patient(conditions=[{"name": "liver transplant status", "code": "Z94.4"}])
    assert status(text, liver, "exclusion") != "met"


def test_other_severe_variant() -> None:
    text = "Patients with other severe lung diseases or diabetes;"
    both_absent = patient(conditions=[{"name": "lung disease", "status": "absent"},
                                      {"name": "diabetes", "status": "absent"}])
    assert status(text, both_absent, "exclusion") == "not_met"
    diabetic = patient(conditions=[{"name": "lung disease", "status": "absent"},
                                   {"name": "type 2 diabetes mellitus", "code": "E11.9"}])
    assert status(text, diabetic, "exclusion") == "review"


@pytest.mark.parametrize("text", [
    "Severe problems in other organs (e.g. the liver or kidneys)",
    "Contraindications for surgery;",
    "Plan to have kidney transplantation in 6 months.",
])
def test_review_row_variants(text: str) -> None:
    assert isinstance(compile_criterion(text, "exclusion").rule, r.Review)


def test_antiviral_row_variant() -> None:
    text = "Hepatitis C decompensated liver cirrhosis patients need antiviral therapy."
    treated = patient(conditions=[{"name": "hepatitis C", "code": "B18.2"},
                                  {"name": "decompensated liver cirrhosis"}],
                      medications=[{"name": "sofosbuvir"}])
    assert status(text, treated) == "met"
    assert status(text, patient(conditions=[{"name": "hepatitis C", "status": "absent"}])) == "met"


@pytest.mark.parametrize(("text", "class_"), [
    ("Signed informed consent form.", CriterionClass.ADMINISTRATIVE),
    ("Willing to comply with the study visits", CriterionClass.ADMINISTRATIVE),
    ("Considered unsuitable by the investigator", CriterionClass.JUDGEMENT),
    ("Violation of ethical principles", CriterionClass.JUDGEMENT),
])
def test_class_variants(text: str, class_: CriterionClass) -> None:
    compiled = compile_criterion(text)
    assert compiled.class_ is class_ and isinstance(compiled.rule, r.Review)
