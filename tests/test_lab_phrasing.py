"""Registry phrasings of laboratory thresholds: unit spellings, comparators, analyte names.

Each compiled rule is checked whole; look-alike texts whose meaning the engine cannot
state whole are checked to stay review. Evaluation tests take the rule from the text,
so the tokenizer, units and evaluator meet.
"""

from __future__ import annotations

import pytest

from screener import analytes
from screener import rules as r
from screener.compiler import compile_criterion, items
from screener.compiler.normalise import normalise
from screener.compiler.tokens import tokenize
from tests.helpers import canonical, lab, patient, status


def is_review(text: str, kind: str = "inclusion") -> bool:
    return isinstance(compile_criterion(text, kind).rule, r.Review)


# ---------------------------------------------------------------- unit spellings

@pytest.mark.parametrize(("text", "expected"), [
    ("eGFR < 40 mL/min/1.73 m2", "lab(egfr) < 40 mL/min/1.73m2"),
    ("eGFR \\> 30 mL/min/1.73 m2.", "lab(egfr) > 30 mL/min/1.73m2"),
    ("eGFR < 30 mL/min/1.73 m\\^2", "lab(egfr) < 30 mL/min/1.73m2"),
    ("eGFR ≥ 60 mL/min/1.73 m²", "lab(egfr) >= 60 mL/min/1.73m2"),
    ("eGFR ≥ 30 ml/min/1,73 m2", "lab(egfr) >= 30 mL/min/1.73m2"),
    ("eGFR ≥ 30 ml / min / 1.73 m2", "lab(egfr) >= 30 mL/min/1.73m2"),
    ("estimated glomerular filtration rate < 30mls/min/1.73m2", "lab(egfr) < 30 mL/min/1.73m2"),
    ("Absolute neutrophil count ≥1.5 × 10\\^9/L", "lab(anc) >= 1.5 10^9/L"),
])
def test_unit_spellings_with_spaces_and_escaped_carets(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "CrCl ≥ 60 mL/min/1.73 m²",  # a clearance is never indexed to body surface
    "creatinine clearance/GFR ≥ 60 ml/minute/1.73m2",  # right for one of the two only
    "eGFR ≥ 60 mL/min",  # an eGFR is always indexed
    "proteinuria ≥500 mg/day/1.73 m2",
])
def test_an_indexed_unit_fits_only_the_indexed_analyte(text: str) -> None:
    assert is_review(text)


def test_an_egfr_with_a_spaced_index_decides() -> None:
    subject = patient(observations=[lab("eGFR", 35, "mL/min/1.73m2")])
    assert status("eGFR < 40 mL/min/1.73 m2", subject, "exclusion") == "met"
    assert status("eGFR ≥ 45 mL/min/1.73 m\\^2", subject) == "not_met"


# ---------------------------------------------------------------- comparators

@pytest.mark.parametrize(("text", "expected"), [
    ("Creatinine \\>/= 2 mg/dL", "Creatinine ≥ 2 mg/dL"),
    ("Bilirubin </= 1.5 x ULN", "Bilirubin ≤ 1.5 x ULN"),
    ("LVEF of \\> or = 45%", "LVEF of ≥ 45%"),
    ("LVEF < or = 45%", "LVEF ≤ 45%"),
    ("Age >=18", "Age ≥18"),
    ("ALT or AST > 3 x ULN", "ALT or AST > 3 x ULN"),  # a lone "or" is untouched
])
def test_comparators_spelt_with_a_slash_or_or(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Creatinine \\>/= 2 mg/dL", "lab(creatinine) >= 2 mg/dL"),
    ("Known cardiac ejection fraction of \\> or = 45%", "lab(lvef) >= 45 %"),
])
def test_restated_comparators_compile(text: str, expected: str) -> None:
    assert canonical(text) == expected


# ---------------------------------------------------------------- analyte names and nouns

@pytest.mark.parametrize(("text", "expected"), [
    ("Hemoglobin A1c ≤ 9%", "lab(hba1c) <= 9 %"),
    ("Haemoglobin A1C < 11%", "lab(hba1c) < 11 %"),
    ("cardiac ejection fraction >55%", "lab(lvef) > 55 %"),
    ("creatinine clearance rate ≥60ml/min", "lab(creatinine_clearance) >= 60 mL/min"),
    ("Glomerular Filtration Rate <15 ml / min / 1.73 m2", "lab(egfr) < 15 mL/min/1.73m2"),
    ("WBC counts \\> 2500/μL", "lab(wbc) > 2500 1/uL"),
    ("platelet counts ≥ 100,000/mm3", "lab(platelets) >= 100000 1/mm3"),
])
def test_analyte_names_and_nouns_of_registry_text(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "Hemoglobin ≥ 9 g/dL A1c",
    "glomerular filtration rate ≥ 60 mL/min",  # not indexed: no eGFR unit
    "measured glomerular filtration rate ≥ 60 mL/min/1.73 m2",  # a method the engine lacks
    "calculated creatinine clearance ≥ 60 mL/min",
    "Cardiac color Doppler ultrasound ejection fraction ≥ 45%",
    "Abnormal blood counts (hemoglobin less than 12 g/dl)",
])
def test_names_that_narrow_or_add_stay_review(text: str) -> None:
    assert is_review(text)


# ---------------------------------------------------------------- analytes of data/analytes.csv

# (text, rule, a reading in another unit that meets it, one that does not)
NEW_ANALYTES = [
    ("CD4 count < 200/mm^3", "lab(cd4_count) < 200 1/mm3",
     ("CD4 count", 0.15, "10^9/L"), ("CD4 count", 0.25, "10^9/L")),
    ("CD4+ cell count ≥ 350 cells/µL", "lab(cd4_count) >= 350 cells/uL",
     ("CD4 count", 400, "cells/mm3"), ("CD4 count", 300, "cells/mm3")),
    ("HIV-1 RNA < 50 copies/mL", "lab(hiv_viral_load) < 50 copies/mL",
     ("HIV-1 RNA", 0.04, "copies/uL"), ("HIV-1 RNA", 0.06, "copies/uL")),
    ("HBV DNA > 2000 IU/mL", "lab(hbv_viral_load) > 2000 IU/mL",
     ("HBV viral load", 2.5, "kIU/mL"), ("HBV viral load", 1.5, "kIU/mL")),
    ("HBV viral load ≤ 20 IU/mL", "lab(hbv_viral_load) <= 20 IU/mL",
     ("HBV viral load", 0.01, "kIU/mL"), ("HBV viral load", 0.03, "kIU/mL")),
    ("HCV RNA > 15 IU/mL", "lab(hcv_viral_load) > 15 IU/mL",
     ("HCV viral load", 0.02, "kIU/mL"), ("HCV viral load", 0.01, "kIU/mL")),
    ("aPTT ≤ 40 seconds", "lab(aptt) <= 40 s",
     ("aPTT", 35000, "ms"), ("aPTT", 45000, "ms")),
    ("serum lipase > 300 U/L", "lab(lipase) > 300 U/L",
     ("lipase", 6, "ukat/L"), ("lipase", 4, "ukat/L")),
    ("amylase ≤ 100 U/L", "lab(amylase) <= 100 U/L",
     ("amylase", 1.5, "ukat/L"), ("amylase", 2, "ukat/L")),
    ("Hematocrit <30%", "lab(hematocrit) < 30 %", ("Hct", 29, "%"), ("Hct", 31, "%")),
    ("PSA ≤ 10.0 ng/mL", "lab(psa) <= 10 ng/mL", ("PSA", 9, "ug/L"), ("PSA", 11, "ug/L")),
    ("CEA≥10ng/ml", "lab(cea) >= 10 ng/mL", ("CEA", 12, "ug/L"), ("CEA", 8, "ug/L")),
    ("NT-proBNP ≥ 500 pg/mL", "lab(nt_probnp) >= 500 pg/mL",
     ("NT-proBNP", 600, "ng/L"), ("NT-proBNP", 400, "ng/L")),
    ("BNP > 100 pg/mL", "lab(bnp) > 100 pg/mL", ("BNP", 150, "ng/L"), ("BNP", 50, "ng/L")),
    ("ammonia above 150 micromol/L", "lab(ammonia) over 150 umol/L",
     ("ammonia", 300, "ug/dL"), ("ammonia", 200, "ug/dL")),
    ("Total blood cholesterol range 3,11 - 6,50 mmol/L", "lab(cholesterol) in [3.11, 6.5] mmol/L",
     ("cholesterol", 200, "mg/dL"), ("cholesterol", 300, "mg/dL")),
]


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
@pytest.mark.parametrize(("text", "expected", "meets", "fails"), NEW_ANALYTES)
def test_new_analytes_compile_in_both_kinds(
    text: str, expected: str, meets: tuple[str, float, str], fails: tuple[str, float, str],
    kind: str,
) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(("text", "expected", "meets", "fails"), NEW_ANALYTES)
def test_new_analytes_decide_in_another_unit_and_are_unknown_when_missing(
    text: str, expected: str, meets: tuple[str, float, str], fails: tuple[str, float, str],
) -> None:
    assert status(text, patient(observations=[lab(*meets)])) == "met"
    assert status(text, patient(observations=[lab(*fails)])) == "not_met"
    assert status(text, patient()) == "unknown"


@pytest.mark.parametrize(("text", "expected"), [
    ("Serum lipase or serum amylase ≤ 1.5x ULN",
     "readings(lab(lipase) <= 1.5 xULN or lab(amylase) <= 1.5 xULN; "
     "lab(lipase) <= 1.5 xULN and lab(amylase) <= 1.5 xULN)"),
    ("Serum lipase and amylase ≤ 1.5 × ULN",
     "lab(lipase) <= 1.5 xULN and lab(amylase) <= 1.5 xULN"),
    ("INR and PTT ≤ 1.5 times greater than the upper limit of normal",
     "lab(inr) <= 1.5 xULN and lab(aptt) <= 1.5 xULN"),
    ("activated partial thromboplastin time (APTT) ≤ 1.5 × ULN", "lab(aptt) <= 1.5 xULN"),
])
def test_new_analytes_in_lists_and_multiples_of_the_upper_limit(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "CD4 < 200/mm3",  # bare CD4: a count, a percentage or an antigen
    "CD4% < 25%",
    "CD4 count < 25%",  # a percentage is not a unit of the count
    "HIV viral load < 1.7 log10 copies/mL",
    "HBV DNA > 10000 copies/mL",  # copies ↔ IU is assay-specific
    "Hepatic enzyme levels ≥3 times the upper limit of normal",  # several analytes
    "transaminases > 2 x ULN",
    "arterial lactate > 2 mmol/l",  # a specimen the lactate row does not name
    "pancreatic amylase ≤ 1.5 x ULN",
])
def test_new_analyte_look_alikes_stay_review(text: str) -> None:
    assert is_review(text)
    assert is_review(text, "exclusion")


# ---------------------------------------------------------------- decimal commas

@pytest.mark.parametrize(("text", "expected"), [
    ("creatinine ≤ 1,5 mg/dL", "lab(creatinine) <= 1.5 mg/dL"),
    ("ALT ≤ 2,5 x ULN", "lab(alt) <= 2.5 xULN"),
    ("Total cholesterol 3,11 - 6,50 mmol/L", "lab(cholesterol) in [3.11, 6.5] mmol/L"),
    ("platelets ≥ 100,000/mm3", "lab(platelets) >= 100000 1/mm3"),  # a thousands separator
    ("ECOG 0,1 or 2", "score(ecog) in [0, 2]"),  # a list: no unit follows
])
def test_a_decimal_comma_only_where_it_cannot_separate_thousands(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_a_comma_list_of_numbers_is_no_decimal() -> None:
    values = [str(t) for t in tokenize(normalise("Grades 3,4 hepatic encephalopathy"))
              if t.type == "NUMBER"]
    assert values == ["3", "4"]


# ---------------------------------------------------------------- upper limit of normal

@pytest.mark.parametrize(("text", "expected"), [
    ("total bilirubin ≤ institutional upper limit of normal (ULN)",
     "lab(total_bilirubin) <= 1 xULN"),
    ("total bilirubin ≤ upper limit of normal", "lab(total_bilirubin) <= 1 xULN"),
    ("creatinine no greater than the upper limits of normal", "lab(creatinine) <= 1 xULN"),
    ("plasma lactate higher than the upper limit of the normal value", "lab(lactate) > 1 xULN"),
    ("creatinine ≤ institutional ULN", "lab(creatinine) <= 1 xULN"),
    ("Total bilirubin ≤ 5 × upper limit normal (ULN)", "lab(total_bilirubin) <= 5 xULN"),
    ("Serum creatinine \\>2× upper limit of normal reference value", "lab(creatinine) > 2 xULN"),
    ("ALT > 2× upper limit of normal reference values", "lab(alt) > 2 xULN"),
    ("ALT ≥3.5 times the upper normal limit (UNL)", "lab(alt) >= 3.5 xULN"),
    ("Cr≤1.2×UNL (upper limit of normal value)", "lab(creatinine) <= 1.2 xULN"),
    ("ALT ≤ 1.5 Upper Limit Normal {ULN}", "lab(alt) <= 1.5 xULN"),
    ("ALT ≤ 2.5 times of upper limit of normal (ULN)", "lab(alt) <= 2.5 xULN"),
    ("Serum creatinine ≤1.25 times of the upper limit of normal value",
     "lab(creatinine) <= 1.25 xULN"),
    ("total bilirubin greater than five times the upper limit of normal",
     "lab(total_bilirubin) > 5 xULN"),
    ("bilirubin > three times the upper limit of normal [ULN]",
     "lab(total_bilirubin) > 3 xULN"),
    ("ALT > 3 times the normal upper limit", "lab(alt) > 3 xULN"),
    ("ALT between 2 x to 3 x ULN", "lab(alt) in [2, 3] xULN"),
    ("ALT 2x - 3x ULN", "lab(alt) in [2, 3] xULN"),
])
def test_spellings_of_the_upper_limit_of_normal(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize("text", [
    "total bilirubin within upper limit of normal",  # "within": up to, or inside the range?
    "total bilirubin within normal limits",  # needs the lower limit too: not on file
    "total bilirubin < 5 times the normal value",  # which normal value?
    "Alkaline phosphatase between 2 X to 3X normal value",
    "ALT > 3 times normal",
    "ALT three times above the normal upper limit",
    "ALT > three ULN",
    "bilirubin > ULN + 4 seconds",
    "total bilirubin upper limit of normal",  # no comparator: no threshold
    # a body measurement has no upper limit of normal on its report: a slip of the text
    "Left ventricular ejection fraction ≤1 × ULN",
    "LVEF < 1.5 x upper limit of normal",
    "systolic blood pressure > 1.2 × ULN",
    "QTcF > 1 x ULN",
])
def test_upper_limits_that_are_not_said_whole_stay_review(text: str) -> None:
    assert is_review(text, "exclusion")


def test_analytes_without_an_upper_limit_are_analytes() -> None:
    assert set(analytes.ANALYTES) >= items._WITHOUT_ULN


@pytest.mark.parametrize(("value", "expected"), [(1.1, "met"), (1.3, "not_met")])
def test_a_bare_upper_limit_of_normal_decides_with_the_reported_range(
    value: float, expected: str
) -> None:
    reading = lab("total bilirubin", value, "mg/dL", reference_range={"high": 1.2, "unit": "mg/dL"})
    subject = patient(observations=[reading])
    assert status("total bilirubin ≤ upper limit of normal", subject) == expected


# ---------------------------------------------------------------- one threshold in two units

@pytest.mark.parametrize(("text", "expected"), [
    ("Hemoglobin <6.2 mmol/L (10.0 g/dL)", "lab(hemoglobin) < 6.2 mmol/L"),
    ("Hemoglobin \\<90 g/L (\\<9 g/dL)", "lab(hemoglobin) < 90 g/L"),
    ("Lymphocyte count ≥ 0.5 x 10^9/L (500/uL)", "lab(alc) >= 0.5 10^9/L"),
    ("Serum albumin ≥ 25 g/L (2.5 g/dL)", "lab(albumin) >= 25 g/L"),
    ("Platelet count ≥50 x109/L and hemoglobin ≥ 8 g/dL (≥ 80 g/L)",
     "lab(platelets) >= 50 10^9/L and lab(hemoglobin) >= 8 g/dL"),
])
def test_a_threshold_restated_in_brackets_in_another_unit(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "Hemoglobin < 6.2 mmol/L (12.0 g/dL)",  # the two do not agree
    "Hemoglobin <90 g/L (>9 g/dL)",  # another comparator
    "Hemoglobin <90 g/L (≤9 g/dL)",  # another boundary
    "Hemoglobin ≥ 9 g/dL (9 g/dL)",  # not another unit
    "TBIL ≤ 2.5 × ULN (3.0 mg/dL)",  # a multiple of the ULN is no fixed value
    "ALT ≤ 2.5 × ULN (3 x ULN)",
    "HbA1c ≥ 6.5 percent (48 mmol/mol)",  # IFCC units are no multiple of NGSP %
])
def test_brackets_that_do_not_restate_the_threshold_stay_review(text: str) -> None:
    assert is_review(text, "exclusion")


def test_a_restated_threshold_decides_in_either_unit() -> None:
    low = patient(observations=[lab("hemoglobin", 9.5, "g/dL")])
    high = patient(observations=[lab("hemoglobin", 105, "g/L")])
    assert status("Hemoglobin <6.2 mmol/L (10.0 g/dL)", low, "exclusion") == "met"
    assert status("Hemoglobin <6.2 mmol/L (10.0 g/dL)", high, "exclusion") == "not_met"


# ---------------------------------------------------------------- ranges

@pytest.mark.parametrize(("text", "expected"), [
    ("A body mass index between 18.5-29.9 kg/m2", "lab(bmi) in [18.5, 29.9] kg/m2"),
    ("The body weight is between 45 to 90 kg", "lab(body_weight) in [45, 90] kg"),
    ("Have a body mass index between 25 - 40 kg/m2 (inclusive)", "lab(bmi) in [25, 40] kg/m2"),
    ("body mass index between 18 and 33 kg/m2 (both inclusive)", "lab(bmi) in [18, 33] kg/m2"),
    ("Body Mass Index: 18.5-30 kg/m2 inclusive", "lab(bmi) in [18.5, 30] kg/m2"),
    ("Hemoglobin A1C (HbA1c) = 7.0-10%", "lab(hba1c) in [7, 10] %"),
    ("Hemoglobin: ≥ 9 g/dL", "lab(hemoglobin) >= 9 g/dL"),
])
def test_ranges_and_colons_after_an_analyte(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "HbA1c ≥ 7.0-10%",  # a bound and a range at once
    "BMI < 30 kg/m2 (inclusive)",  # "<" and "inclusive" disagree
    "BMI between 30-18 kg/m2",
    "BMI: 30",  # no comparison
    "Poor glycemic control (HbA1c = 7.0-11.0%)",  # a heading of no organ function
])
def test_ranges_that_do_not_say_one_thing_stay_review(text: str) -> None:
    assert is_review(text)


def test_a_range_after_equals_decides_at_its_bounds() -> None:
    inside = patient(observations=[lab("HbA1c", 10, "%")])
    outside = patient(observations=[lab("HbA1c", 10.2, "%")])
    assert status("HbA1c = 7.0-10%", inside) == "met"
    assert status("HbA1c = 7.0-10%", outside) == "not_met"


# ---------------------------------------------------------------- "elevation"

@pytest.mark.parametrize(("text", "expected"), [
    ("alkaline phosphatase elevation > 1.5 X ULN", "lab(alp) > 1.5 xULN"),
    ("elevation of bilirubin > 1.5 X ULN", "lab(total_bilirubin) > 1.5 xULN"),
    ("ALT elevation ≥ 3 x ULN", "lab(alt) >= 3 xULN"),
    ("elevation of bilirubin > ULN", "lab(total_bilirubin) > 1 xULN"),
])
def test_an_elevation_above_a_multiple_of_the_uln_is_the_value_above_it(
    text: str, expected: str
) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize("text", [
    "creatinine elevation ≥ 0.3 mg/dL",  # a rise from baseline, or a level?
    "ALT elevation < 3 x ULN",  # elevated, and under a ceiling: two bounds
    "ALT elevation > 0.5 x ULN",  # below the ULN is no elevation
    "elevation of bilirubin ≥ ULN",  # at the ULN is no elevation
    "ST segment elevation",
    "Cardiac troponin elevation",
])
def test_other_elevations_stay_review(text: str) -> None:
    assert is_review(text, "exclusion")


# ---------------------------------------------------------------- more names, one analyte twice

@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("WBC counts \\> 2500/ µ L", "inclusion", "lab(wbc) > 2500 1/uL"),
    ("platelet (PLT) ≥80×109/L", "inclusion", "lab(platelets) >= 80 10^9/L"),
    ("Platelet < 75,000/mm3", "exclusion", "lab(platelets) < 75000 1/mm3"),
    ("serum glutamic pyruvic transaminase ≤ 3 x ULN", "inclusion", "lab(alt) <= 3 xULN"),
    ("glutamic-oxaloacetic transaminase ≤ 3 x ULN", "inclusion", "lab(ast) <= 3 xULN"),
    ("ALT/SGPT ≤ 5 x ULN", "inclusion", "lab(alt) <= 5 xULN"),
    ("Alanine aminotransferase (ALT)/serum glutamic pyruvic transaminase (SGPT) ≤ 5 x ULN",
     "inclusion", "lab(alt) <= 5 xULN"),
    ("AST/SGOT and ALT/SGPT ≤ 3 x ULN", "inclusion", "lab(ast) <= 3 xULN and lab(alt) <= 3 xULN"),
    ("ALT/SGPT/AST > 3 x ULN", "exclusion", "lab(alt) > 3 xULN or lab(ast) > 3 xULN"),
])
def test_more_names_and_a_name_restated_after_a_slash(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    "platelet transfusion",
    "platelet-rich plasma",
    "anti-platelet therapies",
    "ALT/AST/SGPT ≤ 3 x ULN",  # a name restated apart from its twin: a garbled list
])
def test_platelet_words_and_restatements_that_say_more_stay_review(text: str) -> None:
    rule = compile_criterion(text, "inclusion").rule
    assert isinstance(rule, r.Review) or any(isinstance(x, r.Review) for x in r.leaves(rule))


# ---------------------------------------------------------------- words and symbols said twice

@pytest.mark.parametrize(("text", "expected"), [
    ("estimated glomerular filtration rate (eGFR) lesser than or equal to (≤) 30 milliliter per "
     "minute per 1.73 square meter (mL/min/1.73 m\\^2)", "lab(egfr) <= 30 mL/min/1.73m2"),
    ("eGFR lesser than 30 milli liter per min/1.73 meter square (mL/min/1.73 m\\^2)",
     "lab(egfr) < 30 mL/min/1.73m2"),
    ("Body mass index (BMI) greater than or equal to 27.0 kilograms per square meter (kg/m^2)",
     "lab(bmi) >= 27 kg/m2"),
    ("BMI ≥30.0 kilogram/square meter (kg/m^2)", "lab(bmi) >= 30 kg/m2"),
    ("Body mass index (BMI) between 23.0 kilogram per meter square (kg/m^2) and 39.9 kg/m^2 "
     "(both inclusive)", "lab(bmi) in [23, 39.9] kg/m2"),
    ("BMI ≥ 30 kg/m²", "lab(bmi) >= 30 kg/m2"),
    ("creatinine clearance ≥ 60 milliliters per minute", "lab(creatinine_clearance) >= 60 mL/min"),
    ("eGFR greater than (>) 30 mL/min/1.73 m2", "lab(egfr) > 30 mL/min/1.73m2"),
    ("eGFR greater than equal to 30 mL/min/1.73 m2", "lab(egfr) >= 30 mL/min/1.73m2"),
    ("Age less than (<) 40 years", "age < 40 years"),
])
def test_comparators_and_units_in_words_then_in_symbols(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "eGFR greater than (<) 30 mL/min/1.73 m2",  # the symbol says the opposite
    "creatinine clearance ≥ 60 milliliter per minute (mL/min/1.73 m2)",  # not the same unit
    "eGFR ≥ 60 milliliter per minute (mL/min)/1.73 meter square (m^2)",
    "creatinine ≤ 1.5 milligrams per day",  # a unit, but not one of creatinine in blood
])
def test_restatements_that_disagree_stay_review(text: str) -> None:
    assert is_review(text)


# ---------------------------------------------------------------- how a value was measured

@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("LVEF ≥ 40% by echocardiogram or MUGA", "inclusion", "lab(lvef) >= 40 %"),
    ("Abnormal cardiac function: LVEF \\< 50% (assessed by MUGA or ECHO)", "exclusion",
     "lab(lvef) < 50 %"),
    ("LVEF ≥ 50% (by ECHO or MUGA)", "inclusion", "lab(lvef) >= 50 %"),
    ("Left ventricular ejection fraction ≥ 50% as measured by echocardiography",
     "inclusion", "lab(lvef) >= 50 %"),
    ("LVEF (by echo) ≥ 50%", "inclusion", "lab(lvef) >= 50 %"),
    ("LVEF ≥ 45% on MUGA scan, echocardiogram or cardiac MRI", "inclusion", "lab(lvef) >= 45 %"),
    ("calculated eGFR ≥ 60 mL/min/1.73 m2", "inclusion", "lab(egfr) >= 60 mL/min/1.73m2"),
    # the test that gives the value, as a heading
    ("Cardiac ultrasound: LVEF≥50%;", "inclusion", "lab(lvef) >= 50 %"),
    ("ECG: QTcF ≤ 470 ms", "inclusion", "lab(qtcf) <= 470 ms"),
])
def test_a_usual_method_adds_no_condition(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    "Hemoglobin ≥ 9 g/dL (by echo)",  # no method of that analyte
    "LVEF ≥ 50% by angiography",  # not a method the engine knows for it
    "LVEF ≥ 50% (by ECHO or angiography)",
    "measured GFR ≥ 60 mL/min/1.73 m2",  # a measured GFR is not an eGFR
    # a creatinine clearance is measured or calculated: naming a way that is no analyte of
    # its own narrows it past what the engine reads
    "Estimated creatinine clearance ≥ 30 mL/min",
    "Calculated creatinine clearance ≥ 60 mL/min",
    "Measured creatinine clearance ≥ 60 mL/min",
    "Creatinine clearance ≥ 50 ml/min (calculated using CKD-EPI formula)",
    # two methods that disagree, or Cockcroft-Gault for an eGFR
    "Measured creatinine clearance ≥ 60 mL/min (Cockcroft-Gault)",
    "eGFR ≥ 60 mL/min/1.73 m2 (Cockcroft-Gault)",
    "CrCl or eGFR ≥ 60 mL/min (Cockcroft-Gault)",
])
def test_methods_that_narrow_or_do_not_fit_stay_review(text: str) -> None:
    assert is_review(text), canonical(text)


@pytest.mark.parametrize(("text", "kind", "expected"), [
    # Cockcroft-Gault narrows a creatinine clearance to its own analyte (35591-7, or computed)
    ("Creatinine clearance ≥ 45 mL/min (Cockcroft-Gault)", "inclusion",
     "lab(creatinine_clearance_cg) >= 45 mL/min"),
    ("Creatinine clearance ≥ 50 mL/min, calculated by the Cockcroft-Gault formula", "inclusion",
     "lab(creatinine_clearance_cg) >= 50 mL/min"),
    ("Creatinine clearance (as estimated by Cockcroft Gault) ≥ 60 mL/min", "inclusion",
     "lab(creatinine_clearance_cg) >= 60 mL/min"),
    # "calculated" before the name says again what Cockcroft-Gault after the value says
    ("Calculated creatinine clearance > 50 mL/min by Cockcroft-Gault formula", "inclusion",
     "lab(creatinine_clearance_cg) > 50 mL/min"),
    ("Cockcroft-Gault creatinine clearance ≥ 60 mL/min", "inclusion",
     "lab(creatinine_clearance_cg) >= 60 mL/min"),
    ("CrCl 30-60 mL/min (Cockcroft-Gault)", "inclusion",
     "lab(creatinine_clearance_cg) in [30, 60] mL/min"),
    ("Creatinine clearance < 30 mL/min (Cockcroft-Gault)", "exclusion",
     "lab(creatinine_clearance_cg) < 30 mL/min"),
    # no method named: any creatinine clearance, as before
    ("Creatinine clearance ≥ 60 mL/min", "inclusion", "lab(creatinine_clearance) >= 60 mL/min"),
])
def test_cockcroft_gault_names_its_own_analyte(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


def test_a_method_note_is_read_only_after_a_value_or_a_name() -> None:
    """'by echo' elsewhere stays a word the grammar lacks; after a lab value it is a note."""
    types = [t.type for t in tokenize(normalise("LVEF ≥ 50% (by ECHO or MUGA)"))]
    assert types == ["ANALYTE", "GE", "NUMBER", "UNIT", "METHOD"]
    assert "METHOD" not in [t.type for t in tokenize(normalise("Diagnosis by echocardiogram"))]


# ---------------------------------------------------------------- ranges said in words

@pytest.mark.parametrize(("text", "expected"), [
    ("Body mass index (BMI) within the range 18 and 30 kg/m2 (bounds included).",
     "lab(bmi) in [18, 30] kg/m2"),
    ("BMI in the range of 18.5-30 kg/m2", "lab(bmi) in [18.5, 30] kg/m2"),
    ("Body weight of at least 40 kg and body mass index (BMI) within the range 18.0 and 30.0 "
     "kg/m^2 (inclusive) at screening.",
     "lab(body_weight) >= 40 kg and lab(bmi) in [18, 30] kg/m2"),
    ("Age within the range of 18 to 65 years", "age in [18, 65] years"),
])
def test_a_range_said_as_within_the_range(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "BMI > 30 kg/m2 (bounds included)",  # a one-sided bound with a note on both bounds
    "Hemoglobin in the range of normal",
])
def test_range_words_that_stay_review(text: str) -> None:
    assert is_review(text)
