"""Registry phrasings of body weight, height, QTc, HTML entities and "nursing".

Each compiled rule is checked whole, and the phrases that merely contain the words
("weight loss", "nursing home") are checked to stay review. Evaluation tests take
the rule from the criterion text, so the vocabulary, units and evaluator meet.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener import rules as r
from screener.compiler import compile_criterion
from screener.compiler.normalise import _REPLACEMENTS, _TRANSLATION, normalise
from tests.helpers import canonical, lab, outcome, patient, status


def is_review(text: str, kind: str = "inclusion") -> bool:
    return isinstance(compile_criterion(text, kind).rule, r.Review)


# ---------------------------------------------------------------- body weight and height

@pytest.mark.parametrize(("text", "expected"), [
    ("Weight >110 lb", "lab(body_weight) > 110 lb"),
    ("Weight over 275 pounds", "lab(body_weight) over 275 lb"),
    ("Total body weight of ≥40 kg.", "lab(body_weight) >= 40 kg"),
    ("Patient weight >110 kg", "lab(body_weight) > 110 kg"),
    ("Weight at the screening is over 85 kg.", "lab(body_weight) over 85 kg"),
    ("Body weight ≥ 40 kg", "lab(body_weight) >= 40 kg"),
    ("Body weight ≥ 35kg at screening", "lab(body_weight) >= 35 kg"),
    ("Weight ≥5Kg", "lab(body_weight) >= 5 kg"),
    ("Weight \\< 6kgs", "lab(body_weight) < 6 kg"),
    ("Participants with a weight ≥42 kg.", "lab(body_weight) >= 42 kg"),
    ("Body weight of ≥50 kg and ≤ 80 kg",
     "lab(body_weight) >= 50 kg and lab(body_weight) <= 80 kg"),
    ("Height < 150 or > 180 cm.", "lab(body_height) < 150 cm or lab(body_height) > 180 cm"),
])
def test_body_measurements_compile(text: str, expected: str) -> None:
    assert canonical(text) == expected


@pytest.mark.parametrize("text", [
    "Weight loss \\>10% in previous 6 months",
    "Have a self-reported change in body weight \\>5 kg (11 pounds) within 90 days",
    "Weight must be stable within 5% for 3 months prior to initiation visit",
    "Use of low molecular weight heparin",
    "Urine output < 0.5 mL/kg of body weight per hour",
    "< 750 g birth weight",
    "Weight > 120% of ideal body weight",
    ">5 kg weight change over the preceding 3 months",
    "Body weight ≥ 80 kg and ≤ 50 kg",  # no weight is both
    "Weight < 60",  # a bare number: kilograms or pounds?
])
def test_weight_phrases_that_are_no_weight_threshold_stay_review(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    thresholds = [
        leaf for leaf in r.leaves(rule)
        if isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Lab)
    ]
    # at most the one plain threshold the text does state ("≥ 80 kg" above), never a
    # weight read out of a loss, a change, a dose per kg, a birth weight or a percentage
    assert all(leaf.unit in ("kg", "lb") for leaf in thresholds)
    assert r.has_review(rule)


def test_a_bound_without_unit_takes_only_the_unit_written_after_it() -> None:
    assert canonical("Height < 150 cm or > 180") == 'lab(body_height) < 150 cm or review("> 180")'
    # the same bound restated in another unit is no two-sided bound
    assert canonical("Hemoglobin ≥ 9 g/dL or ≥ 5.6 mmol/L") == (
        'lab(hemoglobin) >= 9 g/dL or review("≥ 5.6 mmol/L")')


def test_two_bounds_must_leave_a_range() -> None:
    assert canonical("Potassium > 5.5 mmol/L or < 3.0 mmol/L", "exclusion") == (
        "lab(potassium) > 5.5 mmol/L or lab(potassium) < 3 mmol/L")
    # "> 3 or < 5" holds for every value: not read as a two-sided bound
    assert "lab(potassium) < 5" not in canonical("Potassium > 3 mmol/L or < 5 mmol/L")


def test_weight_in_pounds_meets_a_threshold_in_kilograms() -> None:
    heavy = patient(observations=[lab("body weight", 154, "lb")])  # 69.85 kg
    light = patient(observations=[lab("weight", 80, "lbs")])  # 36.29 kg
    assert status("Body weight ≥ 40 kg", heavy) == "met"
    assert status("Body weight ≥ 40 kg", light) == "not_met"
    found = outcome("Body weight ≥ 40 kg", heavy)
    assert "69.8532 kg" in found.reason
    assert found.values[0].note == "154 lb = 69.8532 kg"


def test_weight_in_kilograms_meets_a_threshold_in_pounds() -> None:
    assert status("Weight >110 lb", patient(observations=[lab("weight", 50, "kg")])) == "met"
    assert status("Weight >110 lb", patient(observations=[lab("weight", 49, "kg")])) == "not_met"


def test_weight_and_height_of_the_patient_facts_decide() -> None:
    subject = patient(facts={
        "weight_kg": {"value": 78.5, "date": "2026-11-01"},
        "height_m": {"value": 1.76, "date": "2026-11-01"},
    })
    assert status("Patient weight >110 kg", subject, "exclusion") == "not_met"
    assert status("Height < 150 or > 180 cm.", subject, "exclusion") == "not_met"
    short = patient(facts={"height_m": {"value": 1.45, "date": "2026-11-01"}})
    assert status("Height < 150 or > 180 cm.", short, "exclusion") == "met"
    assert status("Body weight ≥ 40 kg", short) == "unknown"


def test_a_weight_in_a_unit_of_another_kind_says_why() -> None:
    subject = patient(observations=[lab("body weight", 170, "cm")])
    found = outcome("Body weight ≥ 40 kg", subject)
    assert found.status.value == "review"
    assert found.reason == "Body weight: 'cm' is not a unit of Body weight"


# ---------------------------------------------------------------- QTc

@pytest.mark.parametrize(("text", "expected"), [
    ("QTc ≤ 500ms", "lab(qtc) <= 500 ms"),
    ("QTcF > 470 msec", "lab(qtcf) > 470 ms"),
    ("QTc interval > 480 ms", "lab(qtc) > 480 ms"),
    ("QTcF interval \\>450 milliseconds", "lab(qtcf) > 450 ms"),
    ("QTcB > 470 ms", "lab(qtcb) > 470 ms"),
])
def test_qtc_compiles_to_the_method_named(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize("text", [
    "Corrected QT interval (QTcF) > 470 ms",  # two names, two analytes: which one?
    "QTc > 470",  # no unit
    "QTcF of ≤ 450 ms in males or ≤ 470 ms in females",
    "QTc interval male ≥ 450 ms, female ≥470 ms",
])
def test_qtc_texts_that_do_not_say_all_stay_review(text: str) -> None:
    assert is_review(text, "exclusion")


def test_a_bazett_value_does_not_decide_a_fridericia_criterion() -> None:
    subject = patient(observations=[lab("QTcB", 490, "ms")])
    found = outcome("QTcF > 470 msec", subject, "exclusion")
    assert found.status.value == "unknown"
    assert found.reason.startswith(
        "QTc by Fridericia (QTcF) not on file; QTc by Bazett (QTcB) 490 ms of 2026-11-20")
    assert "does not stand in for QTc by Fridericia (QTcF)" in found.reason
    assert found.missing == ("QTc by Fridericia (QTcF)",)


def test_each_qtc_method_decides_its_own_criterion() -> None:
    subject = patient(observations=[
        {"loinc": "76634-5", "value": 430, "unit": "ms", "date": "2026-11-20"},
        {"loinc": "76635-2", "value": 0.49, "unit": "s", "date": "2026-11-20"},
    ])
    assert status("QTcF > 470 msec", subject, "exclusion") == "not_met"
    assert status("QTcB > 470 ms", subject, "exclusion") == "met"
    unspecified = outcome("QTc ≤ 500ms", subject)
    assert unspecified.status.value == "unknown"
    assert "QTc by Fridericia (QTcF) 430 ms" in unspecified.reason
    assert "QTc by Bazett (QTcB) 0.49 s" in unspecified.reason


# ---------------------------------------------------------------- HTML entities

@pytest.mark.parametrize(("text", "expected"), [
    ("Neutrophils \\&lt;1,500/μL", "Neutrophils <1,500/μL"),
    ("Potassium &gt;5.5 mmol/L", "Potassium >5.5 mmol/L"),
    ("ALT &le; 3 x ULN &amp; AST &ge; 1", "ALT ≤ 3 x ULN & AST ≥ 1"),
    ("INR &amp;lt; 1.5", "INR < 1.5"),  # escaped twice
    ("R&D &lt", "R&D &lt"),  # no entity without its semicolon
])
def test_html_entities_are_normalised(text: str, expected: str) -> None:
    assert normalise(text) == expected


# ---------------------------------------------------------------- unicode variants

@pytest.mark.parametrize(("text", "expected"), [
    ("ＡＬＴ ≦ ２．５ × ＵＬＮ", "ALT ≤ 2.5 × ULN"),  # full-width letters and digits
    ("年龄１８～７０岁", "年龄18-70岁"),  # the full-width tilde is a range dash
    ("Hb ≧ 9 g/dL", "Hb ≥ 9 g/dL"),
    ("ANC\u00a0≥\u20091.5 × 10⁹/L", "ANC ≥ 1.5 × 10^9/L"),
    ("PLT＞１００×10^9/L", "PLT>100×10^9/L"),
    ("µmol/L", "μmol/L"),
])
def test_unicode_variants_are_normalised(text: str, expected: str) -> None:
    assert normalise(text) == expected


@given(st.text(alphabet=st.characters(min_codepoint=0xFF00, max_codepoint=0xFF70) | st.sampled_from(
    ["～", "≦", "＞", "，", "a", "1", " "]), max_size=30))
def test_full_width_folding_is_character_by_character(text: str) -> None:
    """The translation table is the replacement table, then NFKC on U+FF01-FF5E."""
    def fold(ch: str) -> str:
        ch = _REPLACEMENTS.get(ch, ch)
        return unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch

    assert text.translate(_TRANSLATION) == "".join(fold(ch) for ch in text)


@pytest.mark.parametrize(("text", "expected"), [
    ("Neutrophils \\&lt;1,500/μL", "lab(anc) < 1500 1/uL"),
    ("Platelets \\&lt;100,000/μL", "lab(platelets) < 100000 1/uL"),
    ("Lymphocytes \\&lt;800/μL", "lab(alc) < 800 1/uL"),
    ("Sodium \\&gt;150 mmol/L or \\&lt;130 mmol/L",
     "lab(sodium) > 150 mmol/L or lab(sodium) < 130 mmol/L"),
])
def test_criteria_with_html_entities_compile(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


def test_lymphocytes_per_microlitre_meet_a_count_in_giga_per_litre() -> None:
    subject = patient(observations=[lab("absolute lymphocyte count", 0.6, "10^9/L")])
    assert status("Lymphocytes \\&lt;800/μL", subject, "exclusion") == "met"


# ---------------------------------------------------------------- nursing

@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("Pregnant or nursing women", "exclusion", "pregnant or lactating"),
    ("Pregnancy or nursing a baby.", "exclusion", "pregnant or lactating"),
    ("Pregnant women or nursing mothers.", "exclusion", "pregnant or lactating"),
    ("Pregnancy and nursing females.", "exclusion",
     "readings(pregnant and lactating; pregnant or lactating)"),
    ("Non-pregnant and non-nursing", "inclusion", "(not pregnant) and (not lactating)"),
    ("Not pregnant or nursing", "inclusion", "not (pregnant or lactating)"),
    ("Nursing or pregnant", "exclusion", "lactating or pregnant"),
])
def test_nursing_beside_pregnancy_is_breastfeeding(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize("text", [
    "Resides in a skilled nursing facility",
    "Nursing home residents",
    "Pregnant or nursing home residents",
    "nursing staff",
    "nursing",
    "Requires nursing care",
])
def test_nursing_as_care_is_never_lactation(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert r.Lactating() not in r.leaves(rule)


def test_a_nursing_woman_is_excluded_and_a_man_is_not() -> None:
    nursing = patient(sex="female", lactation={"status": "present", "date": "2026-11-20"})
    assert status("Pregnant or nursing women", nursing, "exclusion") == "met"
    assert status("Pregnant or nursing women", patient(sex="male"), "exclusion") == "not_met"
