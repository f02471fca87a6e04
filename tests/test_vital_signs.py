"""Vital signs: analytes, unit spellings, temperatures, blood-pressure pairs, FHIR readings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener import analytes
from screener import rules as r
from screener.analytes import ANALYTES, by_loinc, convert
from screener.canonical import parse_rule
from screener.compiler import compile_criterion
from screener.evaluate import evaluate
from screener.facts import PatientFacts
from screener.units import canonical_unit_text
from tests.helpers import canonical
from tests.test_fhir import LOINC, ON, bundle, concept, load, observation, outcome, quantity

# ---------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    ("code", "analyte_id"),
    [
        ("8480-6", "systolic_bp"),
        ("8462-4", "diastolic_bp"),
        ("8867-4", "heart_rate"),
        ("9279-1", "respiratory_rate"),
        ("59408-5", "spo2"),
        ("2708-6", "oxygen_saturation"),
        ("8310-5", "body_temperature"),
    ],
)
def test_vital_sign_loinc_codes(code: str, analyte_id: str) -> None:
    assert by_loinc(code) == ANALYTES[analyte_id]


def test_pulse_oximetry_and_unstated_saturation_are_kept_apart() -> None:
    assert ANALYTES["spo2"].distinct_from == ("oxygen_saturation",)
    assert ANALYTES["oxygen_saturation"].distinct_from == ("spo2",)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("mmHg", "mmHg"),
        ("mm Hg", "mmHg"),
        ("mm[Hg]", "mmHg"),
        ("bpm", "1/min"),
        ("beats/min", "1/min"),
        ("beats per minute", "1/min"),
        ("breaths/min", "1/min"),
        ("breaths per minute", "1/min"),
        ("/min", "1/min"),
        ("°C", "Cel"),
        ("ºC", "Cel"),
        ("℃", "Cel"),
        ("degrees C", "Cel"),
        ("degrees Celsius", "Cel"),
        ("Cel", "Cel"),
        ("°F", "degF"),
        ("[degF]", "degF"),
        ("degrees Fahrenheit", "degF"),
    ],
)
def test_vital_sign_unit_spellings(spelling: str, canonical: str) -> None:
    assert canonical_unit_text(spelling) == canonical


@pytest.mark.parametrize("spelling", ["C", "F", "deg", "beats", "breaths"])
def test_bare_letters_and_words_are_no_units(spelling: str) -> None:
    assert canonical_unit_text(spelling) is None


# ---------------------------------------------------------------- conversion


def _ok(result: analytes.Conversion | analytes.UnitProblem) -> analytes.Conversion:
    assert isinstance(result, analytes.Conversion), result
    return result


def test_temperature_converts_by_value_not_by_factor() -> None:
    assert _ok(convert("body_temperature", 100.4, "°F")).value == pytest.approx(38.0)
    assert _ok(convert("body_temperature", 212, "[degF]")).value == pytest.approx(100.0)
    assert _ok(convert("body_temperature", 32, "degF")).value == pytest.approx(0.0)
    assert _ok(convert("body_temperature", 38, "°C")).value == 38.0
    found = _ok(convert("body_temperature", 100.4, "°F"))
    assert found.note == "100.4 degF = 38 Cel"
    assert found.uncertainty == pytest.approx(0.05 * 5 / 9)


@given(st.floats(min_value=-50, max_value=150, allow_nan=False))
def test_fahrenheit_round_trip(celsius: float) -> None:
    fahrenheit = celsius * 9 / 5 + 32
    assert _ok(convert("body_temperature", fahrenheit, "°F")).value == pytest.approx(
        celsius, abs=1e-6
    )


@pytest.mark.parametrize(
    ("analyte_id", "unit"),
    [
        ("body_temperature", "mmHg"),
        ("body_temperature", "%"),
        ("spo2", "mg/dL"),
        ("spo2", "1/min"),
        ("heart_rate", "%"),
        ("heart_rate", "mL/min"),
        ("systolic_bp", "cm"),
        ("systolic_bp", "%"),
    ],
)
def test_vital_signs_refuse_other_units(analyte_id: str, unit: str) -> None:
    assert isinstance(convert(analyte_id, 1, unit), analytes.UnitProblem)


# ---------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Systolic blood pressure < 100 mm Hg", "lab(systolic_bp) < 100 mmHg"),
        ("HR > 100 beats/min", "lab(heart_rate) > 100 1/min"),
        ("RR > 30/min", "lab(respiratory_rate) > 30 1/min"),
        ("respiratory rate ≥ 30 breaths/min", "lab(respiratory_rate) >= 30 1/min"),
        ("temperature ≥ 38.0 °C", "lab(body_temperature) >= 38 Cel"),
        ("temperature ≥ 100.4 °F", "lab(body_temperature) >= 100.4 degF"),
        (
            "SBP > 140 mmHg and/or DBP > 90 mmHg",
            "lab(systolic_bp) > 140 mmHg or lab(diastolic_bp) > 90 mmHg",
        ),
        # no unit: a number only the vital sign's one unit can carry (items._SOLE_UNITS)
        ("systolic blood pressure > 140", "lab(systolic_bp) > 140 mmHg"),
        ("Diastolic blood pressure ≥ 100", "lab(diastolic_bp) >= 100 mmHg"),
        ("SBP 90-140", "lab(systolic_bp) in [90, 140] mmHg"),
        ("Heart rate > 100", "lab(heart_rate) > 100 /min"),
        ("HR > 100", "lab(heart_rate) > 100 /min"),
        ("Respiratory rate < 20.", "lab(respiratory_rate) < 20 /min"),
        ("RR > 30", "lab(respiratory_rate) > 30 /min"),
    ],
)
def test_vital_sign_comparisons_compile(text: str, rule: str) -> None:
    assert canonical(text) == rule


@pytest.mark.parametrize(
    "text",
    [
        "HR 0.7",  # a hazard ratio
        "RR > 1.2",  # no unit, and no respiratory rate: a relative risk, an RR interval?
        "RR > 600",  # an RR interval in milliseconds
        "RR > 1.2 s",  # the ECG RR interval
        "HR < 0.8",
        "Heart rate ≥ 1.2",
        "systolic blood pressure < 30",  # in kPa?
        "CGI-BP ≤ 3",  # a rating scale
        "resting heart rate < 50 bpm",  # a measurement condition a reading does not state
        "SpO2 ≤ 93% on room air",
        "SpO2 ≤ 93%",  # the oxygen breathed is not stated by a reading
        "oxygen saturation < 90%",
        "oxygen saturation ≥ 94% on room air",
        "temperature > 38",  # no unit
        "temperature > 38 C",  # a bare C
    ],
)
def test_ambiguous_or_conditioned_vital_signs_stay_review(text: str) -> None:
    for kind in ("inclusion", "exclusion"):
        assert canonical(text, kind).startswith("review(")


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
def test_blood_pressure_pair_has_one_shape_in_either_kind(kind: str) -> None:
    high = "lab(systolic_bp) >= 150 mmHg or lab(diastolic_bp) >= 90 mmHg"
    assert canonical("BP ≥ 150/90 mmHg", kind) == high
    assert canonical("blood pressure ≥ 150/90 mm Hg", kind) == high
    below = "lab(systolic_bp) < 140 mmHg and lab(diastolic_bp) < 90 mmHg"
    assert canonical("BP < 140/90", kind) == below
    assert canonical("Blood Pressure (BP) < 140/90 mmHg", kind) == below


@pytest.mark.parametrize(
    "text",
    [
        "BP < 90/60 mmHg",  # hypotension: either value low, or both?
        "BP > 90/60 mmHg",
        "BP = 140/90 mmHg",
        "BP < 140/90 cm",
        "BP < 90/140 mmHg",  # diastolic above systolic
        "BP persistently > 140/90 mmHg",
    ],
)
def test_unclear_blood_pressure_pairs_stay_review(text: str) -> None:
    assert canonical(text, "exclusion").startswith("review(")


# ---------------------------------------------------------------- FHIR readings


def _panel(systolic: float, diastolic: float) -> dict[str, object]:
    return observation(
        "85354-9",
        component=[
            {
                "code": concept(LOINC, "8480-6", "Systolic blood pressure"),
                "valueQuantity": quantity(systolic, "mm[Hg]"),
            },
            {
                "code": concept(LOINC, "8462-4", "Diastolic blood pressure"),
                "valueQuantity": quantity(diastolic, "mm[Hg]"),
            },
        ],
    )


@pytest.mark.parametrize(
    ("systolic", "diastolic", "high", "below"),
    [(150, 80, "met", "not_met"), (130, 95, "met", "not_met"), (130, 80, "not_met", "met")],
)
def test_blood_pressure_panel_decides_pairs(
    tmp_path: Path, systolic: float, diastolic: float, high: str, below: str
) -> None:
    subject = load(tmp_path, bundle(_panel(systolic, diastolic)))
    assert outcome("BP ≥ 140/90 mmHg", subject).status.value == high
    assert outcome("BP < 140/90 mmHg", subject, "inclusion").status.value == below


def test_fahrenheit_reading_meets_a_celsius_threshold(tmp_path: Path) -> None:
    fever = observation("8310-5", quantity(100.4, "[degF]"))
    subject = load(tmp_path, bundle(fever))
    assert outcome("temperature ≥ 38 °C", subject).status.value == "met"
    assert outcome("temperature > 38.1 °C", subject).status.value == "not_met"


def test_heart_rate_and_saturation_readings(tmp_path: Path) -> None:
    subject = load(
        tmp_path,
        bundle(
            observation("8867-4", quantity(112, "/min")), observation("59408-5", quantity(91, "%"))
        ),
    )
    assert outcome("HR > 100 bpm", subject).status.value == "met"
    facts = PatientFacts(subject, ON)
    assert facts.latest("spo2") is not None  # read, though no criterion names it yet
    assert facts.latest("oxygen_saturation") is None  # a pulse oximetry code only
    rule = parse_rule("lab(oxygen_saturation) < 90 %")
    assert "does not stand in" in evaluate(rule, facts).reason


# ---------------------------------------------------------------- uncontrolled hypertension


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (
            "Uncontrolled hypertension (systolic blood pressure ≥ 160 mmHg or diastolic blood"
            " pressure ≥ 100 mmHg)",
            "lab(systolic_bp) >= 160 mmHg or lab(diastolic_bp) >= 100 mmHg",
        ),
        (
            "Poorly controlled hypertension defined as BP ≥ 150/90 mmHg",
            "lab(systolic_bp) >= 150 mmHg or lab(diastolic_bp) >= 90 mmHg",
        ),
    ],
)
def test_uncontrolled_hypertension_is_its_definition(kind: str, text: str, rule: str) -> None:
    assert canonical(text, kind) == rule


@pytest.mark.parametrize(
    "text",
    [
        "Uncontrolled hypertension (systolic blood pressure < 90 mmHg)",  # not high pressure
        "Uncontrolled hypertension (systolic blood pressure ≥ 160 mmHg or LVEF < 40%)",
        "Uncontrolled hypertension (e.g. systolic blood pressure ≥ 160 mmHg)",
        "Uncontrolled hypertension (SBP ≥ 160 mmHg) despite optimal therapy",
        "Hypertension (systolic blood pressure ≥ 160 mmHg)",  # no verdict: not a definition
        # a bare list: "and" in an inclusion, "or" in an exclusion, though it defines one state
        "Uncontrolled hypertension (diastolic blood pressure >100mmHg; systolic >150mmHg).",
    ],
)
def test_other_hypertension_headings_are_not_definitions(text: str) -> None:
    for kind in ("inclusion", "exclusion"):
        rule = compile_criterion(text, kind).rule
        assert any(isinstance(leaf, r.Review) for leaf in r.leaves(rule))
