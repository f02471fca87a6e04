"""The analyte vocabulary (data/analytes.csv) and analyte-aware unit conversion.

`convert` brings a value into its analyte's canonical unit, trying in order:
1. the same dimension as the canonical unit: a plain pint conversion;
2. an enzyme reported in IU (read as U) or a hormone in U (read as IU), with a note;
3. the dimension of the conventional unit: pint to that unit, then the published
   factor (bilirubin 17.1, creatinine 88.4), never the molar mass;
4. mEq of an ion with a known valence;
5. mass ↔ substance with the molar mass (pint's `chemistry` context).
Dimensionless units are not interchangeable: a `%` analyte (PTA, LVEF, HbA1c)
takes only `%`, INR only a bare number, "1", "{INR}", "ratio" or "INR".
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import pint

from screener.resources import data_path
from screener.rules import format_number
from screener.units import canonical_unit_text, parse_unit, ureg


@dataclass(frozen=True)
class Analyte:
    """One row of data/analytes.csv; units are in canonical spelling."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    loinc: tuple[str, ...]
    canonical_unit: str  # "" = dimensionless ratio (INR)
    conventional_unit: str | None
    factor: float | None  # published multiplier, conventional → canonical
    molar_mass: float | None  # g/mol
    ratio: bool
    valence: int | None = None  # ion charge, for mEq
    distinct_from: tuple[str, ...] = ()  # same quantity by another method: never a stand-in
    counts_as: tuple[str, ...] = ()  # broader analytes a reading of this one is a reading of


@dataclass(frozen=True)
class Conversion:
    """A value in the analyte's canonical unit, how it was obtained, and its precision."""

    value: float
    unit: str
    note: str  # "" when no conversion was needed
    uncertainty: float  # half the last reported digit, in `unit`; 0 if the value is unchanged

    @property
    def factor_note(self) -> str:
        """The name docs/DESIGN.md gives to `note`."""
        return self.note


@dataclass(frozen=True)
class UnitProblem:
    """Why a value cannot be brought into its analyte's unit (a sentence)."""

    reason: str


# ---------------------------------------------------------------- vocabulary


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _analyte(row: dict[str, str]) -> Analyte:
    canonical = row["canonical_unit"].strip()
    if canonical and canonical_unit_text(canonical) != canonical:
        raise ValueError(f"analytes.csv: {row['id']}: '{canonical}' is not a canonical spelling")
    return Analyte(
        id=row["id"].strip(),
        name=row["name"].strip(),
        synonyms=_split(row["synonyms"]),
        loinc=_split(row["loinc"]),
        canonical_unit=canonical,
        conventional_unit=row["conventional_unit"].strip() or None,
        factor=_optional_float(row["factor"]),
        molar_mass=_optional_float(row["molar_mass"]),
        ratio=row["ratio"].strip().lower() == "true",
        valence=int(row["valence"]) if row["valence"].strip() else None,
        distinct_from=_split(row["distinct_from"]),
        counts_as=_split(row.get("counts_as") or ""),
    )


def _load() -> dict[str, Analyte]:
    with data_path("analytes.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        analytes = [_analyte(row) for row in rows]
    found = {analyte.id: analyte for analyte in analytes}
    for analyte in analytes:
        for other in analyte.distinct_from:
            if other not in found or analyte.id not in found[other].distinct_from:
                raise ValueError(
                    f"analytes.csv: {analyte.id}: '{other}' in distinct_from is not mutual"
                )
        for broader in analyte.counts_as:
            if broader not in found or found[broader].canonical_unit != analyte.canonical_unit:
                raise ValueError(
                    f"analytes.csv: {analyte.id}: '{broader}' in counts_as is not an analyte "
                    "of the same canonical unit"
                )
    return found


def _index(keys: dict[str, list[str]]) -> dict[str, Analyte]:
    """key → analyte; a key claimed by two analytes is a data error."""
    index: dict[str, Analyte] = {}
    for analyte_id, analyte_keys in keys.items():
        for key in analyte_keys:
            if index.setdefault(key, ANALYTES[analyte_id]).id != analyte_id:
                other = index[key].id
                raise ValueError(f"analytes.csv: '{key}' names both {other} and {analyte_id}")
    return index


ANALYTES: dict[str, Analyte] = _load()
_BY_LOINC = _index({a.id: list(a.loinc) for a in ANALYTES.values()})
_BY_NAME = _index(
    {a.id: sorted({k.casefold() for k in (a.id, a.name, *a.synonyms)}) for a in ANALYTES.values()}
)


def by_loinc(code: str) -> Analyte | None:
    """The analyte a LOINC code (mass or molar twin) stands for."""
    return _BY_LOINC.get(code.strip())


def by_name(text: str) -> Analyte | None:
    """The analyte whose id, name or synonym is exactly `text`, ignoring case."""
    return _BY_NAME.get(text.strip().casefold())


# ---------------------------------------------------------------- conversion

_RATIO_SPELLINGS = {"1", "{inr}", "inr", "ratio"}
_U_PER_IU = ureg.Unit("enzyme_unit") / ureg.Unit("international_unit")
_MILLI_EQ = ureg.Unit("milliequivalent") / ureg.Unit("liter")
_MILLIMOLAR = ureg.Unit("millimole") / ureg.Unit("liter")
_MOLAR = {(ureg.Unit("gram") / ureg.Unit("liter")).dimensionality, _MILLIMOLAR.dimensionality}


@cache
def _unit(text: str) -> pint.Unit:
    unit = parse_unit(text) if text else ureg.dimensionless
    if unit is None:
        raise ValueError(f"analytes.csv: unit '{text}' is not recognised")
    return unit


def _to(unit: pint.Unit, target: pint.Unit, molar_mass: float | None = None) -> float:
    """How many `target` one `unit` is (mass ↔ substance only with a molar mass)."""
    quantity = ureg.Quantity(1.0, unit)
    if molar_mass is None:
        return float(quantity.to(target).magnitude)
    mw = ureg.Quantity(molar_mass, "g/mol")
    return float(quantity.to(target, "chemistry", mw=mw).magnitude)


def _multiplier(analyte: Analyte, text: str, unit: pint.Unit) -> tuple[float, str] | None:
    """The factor from `unit` to the canonical unit and how it was found; None if none."""
    canonical = _unit(analyte.canonical_unit)
    if analyte.ratio:
        return (1.0, "") if text.casefold() in _RATIO_SPELLINGS else None
    if canonical.dimensionless:
        return (1.0, "") if unit == canonical else None
    if unit.dimensionality == canonical.dimensionality:
        return _to(unit, canonical), ""
    for swapped, how in (
        (unit * _U_PER_IU, "IU read as the enzyme unit U"),
        (unit / _U_PER_IU, "U read as international units"),
    ):
        if swapped.dimensionality == canonical.dimensionality:
            return _to(swapped, canonical), how
    if analyte.conventional_unit and analyte.factor is not None:
        conventional = _unit(analyte.conventional_unit)
        if unit.dimensionality == conventional.dimensionality:
            return _to(unit, conventional) * analyte.factor, "published factor"
    if analyte.valence and unit.dimensionality == _MILLI_EQ.dimensionality:
        per_mmol = _to(unit, _MILLI_EQ) / analyte.valence
        return per_mmol * _to(_MILLIMOLAR, canonical), f"valence {analyte.valence}"
    if analyte.molar_mass and {unit.dimensionality, canonical.dimensionality} <= _MOLAR:
        return _to(unit, canonical, analyte.molar_mass), f"molar mass {analyte.molar_mass:g} g/mol"
    return None


def _clean(number: float) -> float:
    """Drop binary noise (174.42000000000002 → 174.42): 12 significant digits."""
    return float(f"{number:.12g}")


def _number(number: float) -> str:
    """A number for notes: at most 6 significant digits, no exponent."""
    return format_number(Decimal(f"{number:.6g}"))


def _decimals(value: float) -> int:
    """Digits after the point of a value as written; an integral float counts as 0."""
    if float(value).is_integer():
        return 0
    exponent = Decimal(repr(float(value))).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _note(analyte: Analyte, value: float, text: str, result: float, how: str) -> str:
    source, target = canonical_unit_text(text), analyte.canonical_unit
    conventional, factor = analyte.conventional_unit, analyte.factor
    if how != "published factor" or conventional is None or factor is None:
        suffix = f" ({how})" if how else ""
        return f"{_number(value)} {source} = {_number(result)} {target}{suffix}"
    start, prefix = value, ""
    if source != conventional:
        start = value * _to(_unit(text), _unit(conventional))
        prefix = f"{_number(value)} {source} = {_number(start)} {conventional}; "
    return (
        f"{prefix}{_number(start)} {conventional} × {_number(factor)} = "
        f"{_number(result)} {target} (published factor)"
    )


@cache
def _is_offset(unit: pint.Unit) -> bool:
    """A unit whose zero is not the zero of its dimension (°C, °F): no factor converts it."""
    return bool(ureg.Quantity(0.0, unit).to_base_units().magnitude != 0.0)


def _convert_offset(
    analyte: Analyte, value: float, text: str, unit: pint.Unit, decimals: int | None
) -> Conversion | UnitProblem:
    """A temperature: the value itself converted (38 °C = 100.4 °F), never a multiplier."""
    canonical = _unit(analyte.canonical_unit)
    if unit.dimensionality != canonical.dimensionality:
        return UnitProblem(f"'{text}' is not a unit of {analyte.name}")
    if unit == canonical:
        return Conversion(float(value), analyte.canonical_unit, "", 0.0)
    result = _clean(float(ureg.Quantity(float(value), unit).to(canonical).magnitude))
    zero = ureg.Quantity(0.0, unit).to(canonical).magnitude
    slope = abs(float(ureg.Quantity(1.0, unit).to(canonical).magnitude - zero))
    places = _decimals(value) if decimals is None else min(max(decimals, -300), 300)
    uncertainty = _clean(0.5 * 10.0**-places * slope)
    source = canonical_unit_text(text)
    note = f"{_number(value)} {source} = {_number(result)} {analyte.canonical_unit}"
    return Conversion(result, analyte.canonical_unit, note, uncertainty)


def convert(
    analyte_id: str, value: float, unit_text: str | None, decimals: int | None = None
) -> Conversion | UnitProblem:
    """`value` in `unit_text` expressed in the canonical unit of the analyte.

    `decimals` is the number of digits recorded after the point (inferred
    from the float when None; -3 = reported to the thousand); it sets
    `uncertainty`. Bad input gives a UnitProblem; an unknown analyte id
    raises KeyError.
    """
    analyte = ANALYTES[analyte_id]
    if not math.isfinite(value):
        return UnitProblem(f"value {value} is not a finite number")
    text = (unit_text or "").strip()
    if not text:
        if analyte.ratio:
            return Conversion(float(value), analyte.canonical_unit, "", 0.0)
        return UnitProblem("unit missing")
    unit = parse_unit(text)
    if unit is None:
        return UnitProblem(f"unrecognised unit '{unit_text}'")
    if _is_offset(unit) or _is_offset(_unit(analyte.canonical_unit)):
        return _convert_offset(analyte, value, text, unit, decimals)
    found = _multiplier(analyte, text, unit)
    if found is None:
        return UnitProblem(f"'{unit_text}' is not a unit of {analyte.name}")
    multiplier, how = _clean(found[0]), found[1]
    result = float(value) if multiplier == 1.0 else _clean(value * multiplier)
    same_unit = analyte.ratio or unit == _unit(analyte.canonical_unit)
    note = "" if same_unit else _note(analyte, value, text, result, how)
    if multiplier == 1.0:  # the number is unchanged: its precision is the input's own
        return Conversion(result, analyte.canonical_unit, note, 0.0)
    places = _decimals(value) if decimals is None else min(max(decimals, -300), 300)
    uncertainty = _clean(0.5 * 10.0**-places * abs(multiplier))
    return Conversion(result, analyte.canonical_unit, note, uncertainty)
