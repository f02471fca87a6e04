"""Criteria on a Cockcroft-Gault creatinine clearance: read from a reading of that method
(LOINC 35591-7) or computed from age, sex, body weight and serum creatinine; a measured
clearance or an eGFR never stands in."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import analytes
from screener.evaluate import Outcome
from screener.scores import cockcroft_gault
from tests.helpers import born_aged, lab, outcome, patient

CG = "Creatinine clearance ≥ 60 mL/min (Cockcroft-Gault)"
DAY = "2026-11-20T08:00"  # the day before the screening date: the patient is one year younger


def _patient(
    age: int = 61,
    sex: str = "male",
    creatinine: float | None = 1.0,
    weight: float | None = 70,
    **extra: Any,
) -> Any:
    observations = list(extra.pop("observations", []))
    if creatinine is not None:
        observations.append(lab("creatinine", creatinine, "mg/dL", DAY))
    if weight is not None:
        observations.append(lab("body weight", weight, "kg", DAY))
    return patient(birth_date=born_aged(age), sex=sex, observations=observations, **extra)


def _cg(subject: Any, text: str = CG) -> Outcome:
    return outcome(text, subject)


def test_the_two_loinc_codes_are_two_analytes() -> None:
    assert analytes.by_loinc("35591-7").id == "creatinine_clearance_cg"  # type: ignore[union-attr]
    assert analytes.by_loinc("2164-2").id == "creatinine_clearance"  # type: ignore[union-attr]
    assert analytes.ANALYTES["creatinine_clearance_cg"].counts_as == ("creatinine_clearance",)


def test_computed_from_age_sex_weight_and_creatinine() -> None:
    # age 60 on the creatinine's day: (140 - 60) × 70 / (72 × 1.0) = 77.78
    result = _cg(_patient())
    assert result.status.value == "met"
    assert "77.78 mL/min" in result.reason and "computed" in result.reason
    (used,) = result.values
    assert used.name == "Creatinine clearance by Cockcroft-Gault"
    assert used.value == pytest.approx(77.777, abs=0.01)
    assert [v.name for v in used.derived_from] == [
        "age on the creatinine's day",
        "sex",
        "Creatinine (serum/plasma)",
        "Body weight",
    ]
    assert used.note is not None and "actual body weight" in used.note


def test_a_woman_takes_the_085_factor() -> None:
    # 77.78 × 0.85 = 66.11: met at 60, not met at 70
    woman = _patient(sex="female")
    assert _cg(woman).status.value == "met"
    assert _cg(woman, "Creatinine clearance ≥ 70 mL/min (Cockcroft-Gault)").status.value == (
        "not_met"
    )
    assert _cg(_patient(), "Creatinine clearance ≥ 70 mL/min (Cockcroft-Gault)").status.value == (
        "met"
    )


def test_si_units_and_pounds_are_converted_first() -> None:
    subject = patient(
        birth_date=born_aged(61),
        sex="male",
        observations=[
            lab("creatinine", 88.4, "umol/L", DAY),
            lab("body weight", 154.324, "lb", DAY),
        ],
    )
    (used,) = _cg(subject).values
    assert used.value == pytest.approx(77.777, abs=0.01)


def test_weight_from_the_patient_facts_counts() -> None:
    subject = _patient(weight=None, facts={"weight_kg": {"value": 70, "date": "2026-11-20"}})
    assert _cg(subject).status.value == "met"


def test_a_measured_clearance_never_stands_in() -> None:
    subject = _patient(
        weight=None,
        observations=[lab("creatinine clearance", 80, "mL/min", DAY, loinc="2164-2")],
    )
    result = _cg(subject)
    assert result.status.value == "unknown"
    assert "Body weight not on file" in result.reason
    assert (
        "Creatinine clearance 80 mL/min" in result.reason and "does not stand in" in result.reason
    )
    # the same reading decides a criterion that names no method
    plain = outcome("Creatinine clearance ≥ 60 mL/min", subject)
    assert plain.status.value == "met"


def test_an_egfr_never_stands_in() -> None:
    subject = _patient(creatinine=None, observations=[lab("eGFR", 90, "mL/min/1.73m2", DAY)])
    result = _cg(subject)
    assert result.status.value == "unknown"
    assert "eGFR" in result.reason and "does not stand in" in result.reason


def test_a_recorded_cockcroft_gault_value_decides() -> None:
    recorded = {"loinc": "35591-7", "value": 55, "unit": "mL/min", "date": DAY}
    subject = patient(birth_date=born_aged(61), sex="male", observations=[recorded])
    result = _cg(subject)
    assert result.status.value == "not_met"
    assert result.reason.startswith("Creatinine clearance by Cockcroft-Gault 55 mL/min")
    # and it is a creatinine clearance: a criterion naming no method takes it, as before
    assert outcome("Creatinine clearance ≥ 50 mL/min", subject).status.value == "met"


def test_the_later_of_recorded_and_computed_decides() -> None:
    older = {"loinc": "35591-7", "value": 55, "unit": "mL/min", "date": "2026-11-01"}
    newer = {"loinc": "35591-7", "value": 55, "unit": "mL/min", "date": DAY}
    assert _cg(_patient(observations=[older])).status.value == "met"  # computed 77.78, later
    assert _cg(_patient(observations=[newer])).status.value == "not_met"  # same day: recorded


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        (_patient(weight=None), "Body weight not on file"),
        (_patient(creatinine=None), "Creatinine (serum/plasma) not on file"),
        (
            patient(
                sex="male",
                observations=[
                    lab("creatinine", 1.0, "mg/dL", DAY),
                    lab("body weight", 70, "kg", DAY),
                ],
            ),
            "age not on file",
        ),
        (
            _patient(observations=[lab("body weight", 70, "kg", "2026-11-10")], weight=None),
            "more than 48 h apart",
        ),
        (
            patient(
                birth_date=born_aged(61),
                sex="male",
                observations=[
                    lab("creatinine", 1.0, "mg/dL", "2026-03-01"),
                    lab("body weight", 70, "kg", "2026-03-01"),
                ],
            ),
            "older than 90 days",
        ),
    ],
)
def test_missing_or_unusable_inputs_leave_it_unknown(subject: Any, words: str) -> None:
    result = _cg(subject)
    assert result.status.value == "unknown"
    assert words in result.reason and "cannot be computed" in result.reason
    assert result.missing == ("Creatinine clearance by Cockcroft-Gault",)


def test_a_child_is_left_to_a_person() -> None:
    assert _cg(_patient(age=10)).status.value == "review"


def test_an_unrecorded_sex_decides_only_where_both_agree() -> None:
    assert _cg(_patient(sex="unknown")).status.value == "met"  # 77.78 or 66.11, both ≥ 60
    result = _cg(_patient(sex="unknown"), "Creatinine clearance ≥ 70 mL/min (Cockcroft-Gault)")
    assert result.status.value == "unknown"
    assert result.missing == ("sex",)


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(min_value=19, max_value=100),
    weight=st.floats(min_value=30, max_value=200),
    creatinine=st.floats(min_value=0.3, max_value=10),
    female=st.booleans(),
    threshold=st.integers(min_value=10, max_value=150),
)
def test_the_decision_is_the_formula_against_the_threshold(
    age: int, weight: float, creatinine: float, female: bool, threshold: int
) -> None:
    subject = _patient(
        age=age + 1,
        sex="female" if female else "male",
        creatinine=round(creatinine, 2),
        weight=round(weight, 1),
    )
    value = cockcroft_gault(age, round(weight, 1), round(creatinine, 2), female)
    text = f"Creatinine clearance ≥ {threshold} mL/min (Cockcroft-Gault)"
    expected = "met" if value >= threshold else "not_met"
    assert _cg(subject, text).status.value == expected
