"""Clinical scores as pure functions (clinical reference sheet clinical-reference.md, §1.3, §2).

Inputs are in conventional (US) units: bilirubin and creatinine in mg/dL, albumin in g/dL,
sodium in mmol/L, age in years, weight in kg, height in m. Convert SI values first
(bilirubin µmol/L ÷ 17.1, creatinine µmol/L ÷ 88.4, albumin g/L ÷ 10).

Rounding is half-up (`round_half_up`), never Python's `round()`, which rounds half to even
(`round(16.5) == 16`). The integer scores (MELD, MELD-Na, MELD 3.0) are computed entirely in
`decimal` arithmetic from the inputs as written, so a value that is exactly x.5 in decimal (for
example MELD 3.0 = 16.50) rounds up instead of being decided by binary floating-point noise.

Invalid inputs (non-positive or non-finite lab values, unknown categories) raise `ValueError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

__all__ = [
    "ChildPugh",
    "bmi",
    "bmi_imperial",
    "child_pugh",
    "child_pugh_class",
    "ckd_epi_2021",
    "cockcroft_gault",
    "ecog_from_karnofsky",
    "ecog_hint_for_karnofsky",
    "hba1c_ifcc_from_ngsp",
    "hba1c_ngsp_from_ifcc",
    "karnofsky_hint_for_ecog",
    "meld",
    "meld3",
    "meld_na",
    "round_half_up",
]

# 34 significant digits: the polynomial parts of the MELD formulas are exact, the logarithms
# are far more precise than any rounding boundary could need.
_DECIMAL_CONTEXT = Context(prec=34)

_ONE = Decimal(1)
_TENTH = Decimal("0.1")

MELD_MAX = 40


# ---------------------------------------------------------------------------------------------
# helpers


def round_half_up(x: float, digits: int = 0) -> float:
    """Round half away from zero at `digits` decimals, on the value as printed (pitfall §0.1)."""
    _require_finite("value", x)
    quantum = Decimal(1).scaleb(-digits)
    return float(_dec(x).quantize(quantum, rounding=ROUND_HALF_UP))


def _dec(x: float) -> Decimal:
    """The decimal a float prints as (repr), so 2.675 is 2.675 and not 2.67499999..."""
    return Decimal(repr(float(x)))


def _round_int(value: Decimal) -> int:
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def _require_finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _require_positive(name: str, value: float, unit: str) -> None:
    _require_finite(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be positive (in {unit}), got {value!r}")


def _require_age(age: float) -> None:
    _require_finite("age", age)
    if age < 0:
        raise ValueError(f"age must not be negative (in years), got {age!r}")


def _bounded(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(value, low), high)


# ---------------------------------------------------------------------------------------------
# MELD family


def meld(creatinine: float, bilirubin: float, inr: float, dialysis: bool) -> int:
    """MELD, OPTN/UNOS version (OPTN policy text in MIT-LCP/mimic-code meld.sql; reference §2.1)."""
    _require_positive("creatinine", creatinine, "mg/dL")
    _require_positive("bilirubin", bilirubin, "mg/dL")
    _require_positive("INR", inr, "ratio")
    with localcontext(_DECIMAL_CONTEXT):
        # Lab values below 1.0 count as 1.0; creatinine is capped at 4.0 and dialysis
        # (≥ 2 sessions or 24 h of CVVHD in the week before the test) sets it to 4.0.
        cr = Decimal(4) if dialysis else _bounded(_dec(creatinine), _ONE, Decimal(4))
        bili = max(_dec(bilirubin), _ONE)
        ratio = max(_dec(inr), _ONE)
        meld_i = (
            Decimal("0.957") * cr.ln()
            + Decimal("0.378") * bili.ln()
            + Decimal("1.120") * ratio.ln()
            + Decimal("0.643")
        )
        # OPTN order: round MELD(i) to the tenth, then multiply by 10 (pitfall §0.2).
        score = int(meld_i.quantize(_TENTH, rounding=ROUND_HALF_UP) * 10)
    return min(score, MELD_MAX)


def meld_na(creatinine: float, bilirubin: float, inr: float, sodium: float, dialysis: bool) -> int:
    """MELD-Na, OPTN 2016 version (OPTN policy text in MIT-LCP/mimic-code meld.sql; ref §2.2)."""
    _require_positive("sodium", sodium, "mmol/L")
    m = meld(creatinine, bilirubin, inr, dialysis)
    if m <= 11:
        return m
    with localcontext(_DECIMAL_CONTEXT):
        na_deficit = 137 - _bounded(_dec(sodium), Decimal(125), Decimal(137))
        value = m + Decimal("1.32") * na_deficit - Decimal("0.033") * m * na_deficit
        return min(_round_int(value), MELD_MAX)


def meld3(
    age: float,
    female: bool,
    bilirubin: float,
    sodium: float,
    inr: float,
    creatinine: float,
    albumin: float,
    dialysis: bool,
) -> int:
    """MELD 3.0 (Kim et al., Gastroenterology 2021, PMC8608337; OPTN cap per meld.sas; ref §2.3).

    Capped at 40 as OPTN reports it for allocation (the Kim model itself has no ceiling;
    reference §6 marks the cap [P]). The 1.33 term applies to women and to every candidate
    younger than 18, as in CU-Anschutz-DOS-CORP/sas-macros meld.sas.
    """
    _require_age(age)
    _require_positive("bilirubin", bilirubin, "mg/dL")
    _require_positive("sodium", sodium, "mmol/L")
    _require_positive("INR", inr, "ratio")
    _require_positive("creatinine", creatinine, "mg/dL")
    _require_positive("albumin", albumin, "g/dL")
    with localcontext(_DECIMAL_CONTEXT):
        # Creatinine cap is 3.0 here (4.0 in MELD / MELD-Na), and dialysis sets it to 3.0.
        cr = Decimal(3) if dialysis else _bounded(_dec(creatinine), _ONE, Decimal(3))
        ln_cr = cr.ln()
        ln_bili = max(_dec(bilirubin), _ONE).ln()
        ln_inr = max(_dec(inr), _ONE).ln()
        na_deficit = 137 - _bounded(_dec(sodium), Decimal(125), Decimal(137))
        alb_deficit = Decimal("3.5") - _bounded(_dec(albumin), Decimal("1.5"), Decimal("3.5"))
        sex_term = Decimal("1.33") if female or age < 18 else Decimal(0)
        value = (
            sex_term
            + Decimal("4.56") * ln_bili
            + Decimal("0.82") * na_deficit
            - Decimal("0.24") * na_deficit * ln_bili
            + Decimal("9.09") * ln_inr
            + Decimal("11.14") * ln_cr
            + Decimal("1.85") * alb_deficit
            - Decimal("1.83") * alb_deficit * ln_cr
            + 6
        )
        return min(_round_int(value), MELD_MAX)


# ---------------------------------------------------------------------------------------------
# Child-Pugh


@dataclass(frozen=True, slots=True)
class ChildPugh:
    """Child-Pugh total points (5–15) and class letter (A, B or C)."""

    points: int
    cls: str


_ASCITES_POINTS: dict[str, int] = {
    "none": 1,
    "absent": 1,
    "mild": 2,
    "slight": 2,
    "moderate": 3,
    "severe": 3,
}

# Lab values are compared after rounding to this many decimals, so that unit-conversion noise
# (0.1 + 2.2 == 2.3000000000000003) cannot push a value across an inclusive boundary.
_CHILD_PUGH_DECIMALS = 6


def _at_precision(x: float) -> Decimal:
    return _dec(x).quantize(Decimal(1).scaleb(-_CHILD_PUGH_DECIMALS), rounding=ROUND_HALF_UP)


def child_pugh_class(points: int) -> str:
    """Child-Pugh class: A = 5–6, B = 7–9, C = 10–15 points (www.ccjm.org Table 1; ref §2.4)."""
    if isinstance(points, bool) or not 5 <= points <= 15:
        raise ValueError(f"Child-Pugh points must be between 5 and 15, got {points!r}")
    if points <= 6:
        return "A"
    if points <= 9:
        return "B"
    return "C"


def child_pugh(
    bilirubin: float, albumin: float, inr: float, ascites: str, encephalopathy_grade: int
) -> ChildPugh:
    """Child-Pugh score, CCJM Table 1 thresholds, bands inclusive at both ends (ref §2.4).

    bilirubin mg/dL: < 2 → 1, 2–3 → 2, > 3 → 3; albumin g/dL: > 3.5 → 1, 2.8–3.5 → 2,
    < 2.8 → 3; INR: < 1.7 → 1, 1.7–2.3 → 2, > 2.3 → 3; ascites none/absent → 1,
    mild/slight → 2, moderate/severe → 3; West Haven encephalopathy grade 0 → 1, 1–2 → 2, 3–4 → 3.
    """
    _require_positive("bilirubin", bilirubin, "mg/dL")
    _require_positive("albumin", albumin, "g/dL")
    _require_positive("INR", inr, "ratio")
    ascites_key = ascites.strip().lower()
    if ascites_key not in _ASCITES_POINTS:
        allowed = ", ".join(sorted(_ASCITES_POINTS))
        raise ValueError(f"ascites must be one of {allowed}; got {ascites!r}")
    if isinstance(encephalopathy_grade, bool) or encephalopathy_grade not in range(5):
        raise ValueError(
            f"encephalopathy grade must be a West Haven grade 0-4, got {encephalopathy_grade!r}"
        )

    bili, alb, ratio = _at_precision(bilirubin), _at_precision(albumin), _at_precision(inr)
    bili_points = 1 if bili < 2 else 2 if bili <= 3 else 3
    alb_points = 1 if alb > Decimal("3.5") else 2 if alb >= Decimal("2.8") else 3
    inr_points = 1 if ratio < Decimal("1.7") else 2 if ratio <= Decimal("2.3") else 3
    ascites_points = _ASCITES_POINTS[ascites_key]
    he_points = 1 if encephalopathy_grade == 0 else 2 if encephalopathy_grade <= 2 else 3

    points = bili_points + alb_points + inr_points + ascites_points + he_points
    return ChildPugh(points=points, cls=child_pugh_class(points))


# ---------------------------------------------------------------------------------------------
# ECOG

PERFORMANCE_TABLE = "the NCI performance status table"
"""How reasons name the ECOG ↔ Karnofsky pairing below: the NCI 'Performance Status
Criteria' table (ECOG, Karnofsky, Lansky; as printed in the Bethesda Handbook of Clinical
Oncology, 2nd ed., appendix), the pairing of clinical-reference.md §2.5. It is approximate:
empirical studies pair the scales differently (Eur J Cancer 2010;46:3175-83: KPS 100 / 80-90
/ 60-70 / 40-50 / 10-30 for ECOG 0-4), so it is shown as a hint and never decides."""

_ECOG_BY_KARNOFSKY: dict[int, int] = {
    100: 0,
    90: 0,
    80: 1,
    70: 1,
    60: 2,
    50: 2,
    40: 3,
    30: 3,
    20: 4,
    10: 4,
    0: 5,
}


def ecog_from_karnofsky(karnofsky: int) -> int:
    """Approximate ECOG grade for a Karnofsky score (medicospace.com; myelomacomorbidityindex.org).

    ECOG is normally recorded, not computed; prefer a recorded value (reference §2.5).
    """
    if isinstance(karnofsky, bool) or karnofsky not in _ECOG_BY_KARNOFSKY:
        raise ValueError(
            f"Karnofsky score must be a multiple of 10 from 0 to 100, got {karnofsky!r}"
        )
    return _ECOG_BY_KARNOFSKY[karnofsky]


def ecog_hint_for_karnofsky(karnofsky: int) -> tuple[int, int]:
    """(lowest, highest) ECOG grade the table puts next to a Karnofsky score, as a hint.

    A score between two multiples of 10 gets the grades of both: 85 → (0, 1); 70 → (1, 1).
    """
    if isinstance(karnofsky, bool) or not 0 <= karnofsky <= 100:
        raise ValueError(f"Karnofsky score must be from 0 to 100, got {karnofsky!r}")
    grades = {
        _ECOG_BY_KARNOFSKY[10 * (karnofsky // 10)],
        _ECOG_BY_KARNOFSKY[-10 * (-karnofsky // 10)],
    }
    return min(grades), max(grades)


def karnofsky_hint_for_ecog(grade: int) -> tuple[int, int]:
    """(lowest, highest) Karnofsky score the table puts next to an ECOG grade, as a hint:
    1 → (70, 80); 5 (dead) → (0, 0)."""
    scores = [k for k, g in _ECOG_BY_KARNOFSKY.items() if g == grade]
    if isinstance(grade, bool) or not scores:
        raise ValueError(f"ECOG grade must be from 0 to 5, got {grade!r}")
    return min(scores), max(scores)


# ---------------------------------------------------------------------------------------------
# kidney function


def ckd_epi_2021(creatinine: float, age: float, female: bool) -> float:
    """Race-free CKD-EPI 2021 eGFR, mL/min/1.73 m², unrounded (kidney.org; NIDDK; ref §2.6).

    Laboratories report eGFR as a whole number: compare `round_half_up(egfr)` with integer
    thresholds. The equation is validated for adults only, so age < 18 raises ValueError.
    """
    _require_positive("creatinine", creatinine, "mg/dL")
    _require_age(age)
    if age < 18:
        raise ValueError(f"CKD-EPI 2021 is defined for adults (age ≥ 18), got age {age!r}")
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine / kappa
    egfr = (
        142
        * math.pow(min(ratio, 1.0), alpha)
        * math.pow(max(ratio, 1.0), -1.200)
        * math.pow(0.9938, age)
    )
    return egfr * 1.012 if female else egfr


def cockcroft_gault(age: float, weight_kg: float, creatinine: float, female: bool) -> float:
    """Cockcroft-Gault creatinine clearance, mL/min, unrounded (tabers.com; fpnotebook; ref §2.7).

    Not normalised to body surface area; the weight basis (total, ideal, adjusted) is the
    caller's choice and should be recorded.
    """
    _require_age(age)
    if age >= 140:
        raise ValueError(f"Cockcroft-Gault needs age below 140 years, got {age!r}")
    _require_positive("weight", weight_kg, "kg")
    _require_positive("creatinine", creatinine, "mg/dL")
    clearance = (140 - age) * weight_kg / (72 * creatinine)
    return clearance * 0.85 if female else clearance


# ---------------------------------------------------------------------------------------------
# body-mass index

_KG_PER_LB = 0.45359237  # exact (international avoirdupois pound)
_M_PER_IN = 0.0254  # exact


def bmi(weight_kg: float, height_m: float) -> float:
    """Body-mass index weight / height², kg/m², unrounded (HL7 US Core BMI, LOINC 39156-5; §2.8)."""
    _require_positive("weight", weight_kg, "kg")
    _require_positive("height", height_m, "m")
    return weight_kg / height_m**2


def bmi_imperial(weight_lb: float, height_in: float) -> float:
    """BMI from pounds and inches with exact unit factors (≈ 703 × lb / in²; ref §2.8)."""
    _require_positive("weight", weight_lb, "lb")
    _require_positive("height", height_in, "in")
    return bmi(weight_lb * _KG_PER_LB, height_in * _M_PER_IN)


# ---------------------------------------------------------------------------------------------
# HbA1c

_NGSP_SLOPE = 0.09148
_NGSP_INTERCEPT = 2.152


def hba1c_ifcc_from_ngsp(percent: float) -> float:
    """HbA1c % (NGSP) → mmol/mol (IFCC), unrounded: NGSP master equation (ngsp.org/ifcc.asp; §1.3).

    IFCC values are reported as whole numbers: compare `round_half_up(result)`.
    """
    _require_finite("HbA1c", percent)
    if percent <= _NGSP_INTERCEPT:
        raise ValueError(
            f"HbA1c must be above {_NGSP_INTERCEPT} % (0 mmol/mol on the IFCC scale), "
            f"got {percent!r}"
        )
    return (percent - _NGSP_INTERCEPT) / _NGSP_SLOPE


def hba1c_ngsp_from_ifcc(mmol_per_mol: float) -> float:
    """HbA1c mmol/mol (IFCC) → % (NGSP), unrounded: NGSP = 0.09148 × IFCC + 2.152 (ngsp.org; §1.3).

    NGSP values are reported to one decimal: compare `round_half_up(result, 1)`.
    """
    _require_positive("HbA1c", mmol_per_mol, "mmol/mol")
    return _NGSP_SLOPE * mmol_per_mol + _NGSP_INTERCEPT
