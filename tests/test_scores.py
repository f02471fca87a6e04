"""Tests for screener.scores: every published vector, hand-worked cases and properties."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener.scores import (
    ChildPugh,
    bmi,
    bmi_imperial,
    child_pugh,
    child_pugh_class,
    ckd_epi_2021,
    cockcroft_gault,
    ecog_from_karnofsky,
    hba1c_ifcc_from_ngsp,
    hba1c_ngsp_from_ifcc,
    meld,
    meld3,
    meld_na,
    round_half_up,
)

VECTORS_PATH = Path(__file__).parent / "data" / "score_vectors.csv"
FLOAT_TOLERANCE = 0.05  # the reference file gives CKD-EPI, Cockcroft-Gault and BMI to 1-2 decimals

# ---------------------------------------------------------------------------------------------
# reference vectors (tests/data/score_vectors.csv, a copy of the shared reference file)


def _load_vectors() -> list[dict[str, str]]:
    with VECTORS_PATH.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


VECTORS = _load_vectors()


def _creatinine(inputs: dict[str, Any]) -> float:
    if "creatinine_umol_l" in inputs:
        return float(inputs["creatinine_umol_l"]) / 88.4
    return float(inputs["creatinine_mg_dl"])


def _bilirubin(inputs: dict[str, Any]) -> float:
    if "bilirubin_umol_l" in inputs:
        return float(inputs["bilirubin_umol_l"]) / 17.1
    return float(inputs["bilirubin_mg_dl"])


def _albumin(inputs: dict[str, Any]) -> float:
    if "albumin_g_l" in inputs:
        return float(inputs["albumin_g_l"]) / 10
    return float(inputs["albumin_g_dl"])


def _female(inputs: dict[str, Any]) -> bool:
    if "female" in inputs:
        return bool(inputs["female"])
    sex = inputs["sex"]
    assert sex in ("female", "male"), sex
    return bool(sex == "female")


# West Haven grades covered by each encephalopathy label of the vector file.
_ENCEPHALOPATHY_GRADES = {"none": (0,), "grade 1-2": (1, 2), "grade 3-4": (3, 4)}


def _meld(i: dict[str, Any]) -> int:
    return meld(_creatinine(i), _bilirubin(i), i["inr"], i["dialysis"])


def _meld_na(i: dict[str, Any]) -> int:
    return meld_na(_creatinine(i), _bilirubin(i), i["inr"], i["sodium_mmol_l"], i["dialysis"])


def _meld3(i: dict[str, Any]) -> int:
    return meld3(
        i["age_years"], _female(i), _bilirubin(i), i["sodium_mmol_l"], i["inr"],
        _creatinine(i), _albumin(i), i["dialysis"],
    )  # fmt: skip


def _ecog(i: dict[str, Any]) -> int:
    return ecog_from_karnofsky(i["karnofsky"])


def _hba1c_ifcc(i: dict[str, Any]) -> int:
    # IFCC HbA1c is reported as a whole number of mmol/mol (reference §1.3).
    return int(round_half_up(hba1c_ifcc_from_ngsp(i["hba1c_percent"])))


def _ckd_epi(i: dict[str, Any]) -> float:
    return ckd_epi_2021(_creatinine(i), i["age_years"], _female(i))


def _cockcroft_gault(i: dict[str, Any]) -> float:
    return cockcroft_gault(i["age_years"], i["weight_kg"], _creatinine(i), _female(i))


def _bmi(i: dict[str, Any]) -> float:
    if "weight_lb" in i:
        return bmi_imperial(i["weight_lb"], i["height_in"])
    return bmi(i["weight_kg"], i["height_m"])


INTEGER_SCORES: dict[str, Callable[[dict[str, Any]], int]] = {
    "MELD": _meld,
    "MELD-Na": _meld_na,
    "MELD 3.0": _meld3,
    "ECOG": _ecog,
    "HbA1c NGSP->IFCC": _hba1c_ifcc,
}
FLOAT_SCORES: dict[str, Callable[[dict[str, Any]], float]] = {
    "CKD-EPI 2021": _ckd_epi,
    "Cockcroft-Gault": _cockcroft_gault,
    "BMI": _bmi,
}


def test_vector_file_is_complete() -> None:
    assert len(VECTORS) == 79
    known = {*INTEGER_SCORES, *FLOAT_SCORES, "Child-Pugh"}
    assert {row["score"] for row in VECTORS} <= known


@pytest.mark.parametrize(
    "row", VECTORS, ids=[f"{n:02d}-{row['score']}" for n, row in enumerate(VECTORS, start=2)]
)
def test_reference_vector(row: dict[str, str]) -> None:
    """Each row of the vector file (ids carry the CSV line number)."""
    score, inputs = row["score"], json.loads(row["inputs"])
    if score == "Child-Pugh":
        expected = json.loads(row["expected"])
        for grade in _ENCEPHALOPATHY_GRADES[inputs["encephalopathy"]]:
            result = child_pugh(
                _bilirubin(inputs), _albumin(inputs), inputs["inr"], inputs["ascites"], grade
            )
            assert result == ChildPugh(points=expected["points"], cls=expected["class"])
    elif score in INTEGER_SCORES:
        assert INTEGER_SCORES[score](inputs) == int(row["expected"])
    elif score in FLOAT_SCORES:
        assert FLOAT_SCORES[score](inputs) == pytest.approx(
            float(row["expected"]), abs=FLOAT_TOLERANCE
        )
    else:
        pytest.fail(f"no score function for vector type {score!r}")


# ---------------------------------------------------------------------------------------------
# rounding


def test_python_round_is_bankers_rounding_but_ours_is_half_up() -> None:
    assert round(16.5) == 16  # the trap
    assert round_half_up(16.5) == 17
    assert round_half_up(2.5) == 3
    assert round_half_up(0.5) == 1
    assert round_half_up(-2.5) == -3  # half away from zero
    assert round_half_up(16.49) == 16


def test_round_half_up_works_on_the_printed_decimal() -> None:
    # 2.675 and 1.005 are stored just below the half; they still round up.
    assert round_half_up(2.675, 2) == 2.68
    assert round_half_up(1.005, 2) == 1.01
    assert round_half_up(0.25, 1) == 0.3
    assert round_half_up(1234.5, -1) == 1230.0
    assert round_half_up(1235.0, -1) == 1240.0


def test_round_half_up_rejects_non_finite() -> None:
    with pytest.raises(ValueError, match="finite"):
        round_half_up(float("nan"))


@pytest.mark.parametrize(
    ("female", "sodium", "albumin", "exact", "expected"),
    [
        (False, 126, 2.7, "16.50", 17),  # banker's rounding would give 16
        (True, 125, 1.7, "20.50", 21),  # banker's rounding would give 20
        (False, 133, 2.3, "11.50", 12),
    ],
)
def test_meld3_exact_half_rounds_up(
    female: bool, sodium: float, albumin: float, exact: str, expected: int
) -> None:
    # With bilirubin, INR and creatinine at 1.0 every log term is 0 and MELD 3.0 is an exact
    # decimal: 1.33·female + 0.82·(137 − Na) + 1.85·(3.5 − Alb) + 6.
    del exact  # documents the unrounded value
    assert meld3(40, female, 1.0, sodium, 1.0, 1.0, albumin, False) == expected


# ---------------------------------------------------------------------------------------------
# hand-worked MELD cases


def test_meld_hand_worked_without_dialysis() -> None:
    # 0.378·ln 10.2 + 1.120·ln 1.8 + 0.643 = 2.179 → 2.2 → 22
    assert meld(1.0, 10.2, 1.8, dialysis=False) == 22


def test_meld_hand_worked_with_dialysis() -> None:
    # creatinine set to 4.0: + 0.957·ln 4 = 3.506 → 3.5 → 35
    assert meld(1.0, 10.2, 1.8, dialysis=True) == 35


def test_meld_rounds_to_tenth_before_multiplying() -> None:
    # Cr 1.25 / bili 2.8 / INR 1.6: MELD(i) = 1.7758 → 1.8 → 18 (a log10 version gives 14).
    assert meld(1.25, 2.8, 1.6, dialysis=False) == 18
    assert meld(1.77, 3.8, 2.26, dialysis=False) == 26


def test_meld_na_uses_rounded_meld_and_threshold_11() -> None:
    # MELD 22 (Cr 2.0, bili 2.0, INR 1.8), Na 131: 22 + 7.92 − 4.356 = 25.564 → 26
    assert meld(2.0, 2.0, 1.8, dialysis=False) == 22
    assert meld_na(2.0, 2.0, 1.8, 131, dialysis=False) == 26
    # MELD 11 gets no sodium term however low the sodium
    low = meld(1.0, 1.0, 1.4, dialysis=False)
    assert low <= 11
    assert meld_na(1.0, 1.0, 1.4, 110, dialysis=False) == low


def test_meld3_is_capped_at_40() -> None:
    assert meld3(50, True, 40.0, 120, 6.0, 3.0, 1.5, dialysis=True) == 40


# ---------------------------------------------------------------------------------------------
# Child-Pugh


@pytest.mark.parametrize(
    ("ascites", "points"),
    [("none", 1), ("Absent", 1), ("mild", 2), (" slight ", 2), ("moderate", 3), ("SEVERE", 3)],
)
def test_child_pugh_ascites_spellings(ascites: str, points: int) -> None:
    assert child_pugh(1.0, 4.0, 1.0, ascites, 0).points == 4 + points


@pytest.mark.parametrize(("grade", "points"), [(0, 1), (1, 2), (2, 2), (3, 3), (4, 3)])
def test_child_pugh_encephalopathy_grades(grade: int, points: int) -> None:
    assert child_pugh(1.0, 4.0, 1.0, "none", grade).points == 4 + points


def test_child_pugh_boundary_survives_floating_point_noise() -> None:
    bilirubin = 2.3 - 0.3  # 1.9999999999999998: still the 2.0 boundary (2 points)
    inr = 0.1 + 2.2  # 2.3000000000000003: still the 2.3 boundary (2 points)
    assert bilirubin < 2
    assert inr > 2.3
    assert child_pugh(bilirubin, 4.0, 1.0, "none", 0).points == 6
    assert child_pugh(1.0, 4.0, inr, "none", 0).points == 6
    assert child_pugh(1.99, 4.0, 2.31, "none", 0).points == 1 + 1 + 3 + 1 + 1


@pytest.mark.parametrize(
    ("points", "cls"), [(5, "A"), (6, "A"), (7, "B"), (9, "B"), (10, "C"), (15, "C")]
)
def test_child_pugh_class(points: int, cls: str) -> None:
    assert child_pugh_class(points) == cls


@pytest.mark.parametrize("points", [4, 16, 0])
def test_child_pugh_class_rejects_impossible_points(points: int) -> None:
    with pytest.raises(ValueError, match="between 5 and 15"):
        child_pugh_class(points)


# ---------------------------------------------------------------------------------------------
# other functions


def test_ckd_epi_reported_as_whole_number() -> None:
    # 55-year-old woman, SCr 0.9: 75.499 → 75 (a web page's "≈ 76" carries intermediate rounding)
    assert round_half_up(ckd_epi_2021(0.9, 55, female=True)) == 75


def test_hba1c_round_trip() -> None:
    assert hba1c_ngsp_from_ifcc(hba1c_ifcc_from_ngsp(6.5)) == pytest.approx(6.5)
    assert round_half_up(hba1c_ngsp_from_ifcc(48), 1) == 6.5  # 6.543 %


# ---------------------------------------------------------------------------------------------
# invalid input


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: meld(0, 1.0, 1.0, False), "creatinine must be positive"),
        (lambda: meld(1.0, -1.0, 1.0, False), "bilirubin must be positive"),
        (lambda: meld(1.0, 1.0, float("nan"), False), "INR must be a finite number"),
        (lambda: meld_na(1.0, 1.0, 1.0, 0, False), "sodium must be positive"),
        (lambda: meld3(-1, False, 1.0, 137, 1.0, 1.0, 3.5, False), "age must not be negative"),
        (lambda: meld3(40, False, 1.0, 137, 1.0, 1.0, 0, False), "albumin must be positive"),
        (lambda: child_pugh(1.0, 4.0, 1.0, "lots", 0), "ascites must be one of"),
        (lambda: child_pugh(1.0, 4.0, 1.0, "none", 5), "West Haven grade 0-4"),
        (lambda: child_pugh(1.0, 0.0, 1.0, "none", 0), "albumin must be positive"),
        (lambda: ckd_epi_2021(1.0, 17, False), "adults"),
        (lambda: ckd_epi_2021(0.0, 50, False), "creatinine must be positive"),
        (lambda: cockcroft_gault(150, 70, 1.0, False), "below 140"),
        (lambda: cockcroft_gault(50, 0, 1.0, False), "weight must be positive"),
        (lambda: bmi(70, 0), "height must be positive"),
        (lambda: bmi_imperial(-150, 65), "weight must be positive"),
        (lambda: ecog_from_karnofsky(85), "multiple of 10"),
        (lambda: hba1c_ifcc_from_ngsp(2.0), "above 2.152"),
        (lambda: hba1c_ngsp_from_ifcc(0), "HbA1c must be positive"),
    ],
)
def test_invalid_input_raises_value_error(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------------------------
# properties

labs = st.floats(min_value=0.05, max_value=60.0, allow_nan=False, allow_infinity=False)
increments = st.floats(min_value=0.0, max_value=60.0, allow_nan=False, allow_infinity=False)
sodiums = st.floats(min_value=100.0, max_value=160.0)
albumins = st.floats(min_value=0.5, max_value=6.0)


@given(labs, labs, labs, st.booleans())
def test_meld_is_between_6_and_40(cr: float, bili: float, inr: float, dialysis: bool) -> None:
    assert 6 <= meld(cr, bili, inr, dialysis) <= 40


@given(labs, labs, labs, st.booleans(), increments, st.sampled_from(["cr", "bili", "inr"]))
def test_meld_is_monotone_in_each_lab(
    cr: float, bili: float, inr: float, dialysis: bool, step: float, lab: str
) -> None:
    before = meld(cr, bili, inr, dialysis)
    after = meld(
        cr + step if lab == "cr" else cr,
        bili + step if lab == "bili" else bili,
        inr + step if lab == "inr" else inr,
        dialysis,
    )
    assert after >= before


@given(labs, labs, labs)
def test_meld_dialysis_never_lowers_the_score(cr: float, bili: float, inr: float) -> None:
    assert meld(cr, bili, inr, True) >= meld(cr, bili, inr, False)


@given(labs, labs, labs, sodiums, st.booleans())
def test_meld_na_is_between_6_and_40(
    cr: float, bili: float, inr: float, sodium: float, dialysis: bool
) -> None:
    assert 6 <= meld_na(cr, bili, inr, sodium, dialysis) <= 40


@given(
    st.floats(min_value=0, max_value=100), st.booleans(), labs, sodiums, labs, labs, albumins,
    st.booleans(),
)  # fmt: skip
def test_meld3_is_between_6_and_40(
    age: float, female: bool, bili: float, sodium: float, inr: float, cr: float, alb: float,
    dialysis: bool,
) -> None:  # fmt: skip
    assert 6 <= meld3(age, female, bili, sodium, inr, cr, alb, dialysis) <= 40


@given(
    labs, albumins, labs,
    st.sampled_from(["none", "absent", "mild", "slight", "moderate", "severe"]),
    st.integers(min_value=0, max_value=4),
)  # fmt: skip
def test_child_pugh_points_and_class_are_consistent(
    bili: float, alb: float, inr: float, ascites: str, grade: int
) -> None:
    result = child_pugh(bili, alb, inr, ascites, grade)
    assert 5 <= result.points <= 15
    assert result.cls == child_pugh_class(result.points)
    expected_cls = "A" if result.points <= 6 else "B" if result.points <= 9 else "C"
    assert result.cls == expected_cls
