"""screener.units: the one registry, unit spellings of real text, canonical spelling."""

from __future__ import annotations

import re
from pathlib import Path

import pint
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from screener import units
from screener.units import canonical_unit_text, parse_unit, ureg

# Spellings of criteria text, lab feeds and UCUM (FHIR) that must be understood.
ACCEPTED = [
    "μmol/L", "µmol/L", "umol/L", "mg/dL", "mg/dl", "g/L", "g/dL", "%", "×10^9/L", "x10^9/L",
    "x 10⁹/L", "10^9/L", "10⁹/L", "10*9/L", "10^3/µL", "10^3/mm3", "/mm3", "/mm³", "cells/mm3",
    "cells/µL", "U/L", "IU/L", "IU/mL", "mIU/mL", "µIU/mL", "mmol/L", "mEq/L", "meq/L", "mL/min",
    "mL/min/1.73 m²", "mL/min/1.73m2", "ml/min/1.73 m2", "mL/min/{1.73_m2}", "years", "year",
    "yrs", "months", "month", "weeks", "days", "day", "hours", "h", "s", "sec", "kg/m2", "kg/m²",
    "mmHg", "mm Hg", "ng/mL", "pg/mL", "ng/dL", "µg/L", "mg/L", "fL", "pg", "{INR}", "ratio",
    "1", "mmol/mol",
    # more real spellings: UCUM codes, US lab feeds, registry text, French criteria
    "u[IU]/mL", "m[IU]/L", "[IU]/L", "10*3/uL", "ukat/L", "ug/dL", "mL/s/{1.73_m2}", "K/uL",
    "x109/L", "× 10^9/L", "10E9/L", "G/L", "MG/DL", "mg%", "mL/min per 1.73 m2",
    "ml/min/1,73 m²", "cells/cumm", "mcg/L", "mL/kg/h", "10^9 cells/L", "mmol L^-1", "ms",
    "per mm3", "Years", "mU/L", "mmol/l",
    # body weight, height and ECG intervals of registry text and FHIR feeds
    "kg", "Kg", "kgs", "KG", "lb", "lbs", "LBS", "pound", "pounds", "[lb_av]", "cm", "m",
    "inch", "inches", "[in_i]", "msec", "milliseconds",
]

# (spelling, canonical text)
CANONICAL = [
    ("μmol/L", "umol/L"), ("µmol/L", "umol/L"), ("umol/L", "umol/L"), ("mg/dl", "mg/dL"),
    ("%", "%"), ("×10^9/L", "10^9/L"), ("x 10⁹/L", "10^9/L"), ("10*9/L", "10^9/L"),
    ("x109/L", "10^9/L"), ("G/L", "10^9/L"), ("10^3/µL", "10^3/uL"), ("K/uL", "10^3/uL"),
    ("10^3/mm3", "10^3/mm3"), ("/mm³", "1/mm3"), ("cells/µL", "cells/uL"), ("U/L", "U/L"),
    ("IU/L", "IU/L"), ("[IU]/L", "IU/L"), ("µIU/mL", "uIU/mL"), ("meq/L", "mEq/L"),
    ("mL/min/1.73 m²", "mL/min/1.73m2"), ("mL/min/{1.73_m2}", "mL/min/1.73m2"),
    ("mL/min per 1.73 m2", "mL/min/1.73m2"), ("yrs", "years"), ("month", "months"),
    ("weeks", "weeks"), ("day", "days"), ("h", "hours"), ("sec", "s"), ("kg/m²", "kg/m2"),
    ("mm Hg", "mmHg"), ("{INR}", "1"), ("ratio", "1"), ("mmol/mol", "mmol/mol"),
    ("mg%", "mg/dL"), ("MG/DL", "mg/dL"), ("mL/kg/h", "mL/kg/h"), ("mcg/L", "ug/L"),
    ("Kg", "kg"), ("kgs", "kg"), ("lbs", "lb"), ("pounds", "lb"), ("[lb_av]", "lb"),
    ("[in_i]", "inch"), ("inches", "inch"), ("msec", "ms"), ("milliseconds", "ms"),
    ("mls/min/1.73m2", "mL/min/1.73m2"), ("mLs", "mL"),
]

REJECTED = ["", "   ", "mg/dk", "PT", "and", "or", "furlong", "10^5/L", "mM", "mg/dL/", "%%",
            "10", "x", "mg//dL", "{INR}/L", "1.73 m2", "cells per", "ALT",
            "in", "IN", "Lb", "lb_av"]  # "in" is a word of every sentence, never an inch

RULE_UNIT = re.compile(r"[A-Za-z0-9%][A-Za-z0-9%/^.*_]*")


def _assert_rule_unit(text: str) -> None:
    assert RULE_UNIT.fullmatch(text), text
    assert text not in ("and", "or")


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_spellings_parse_and_respell(text: str) -> None:
    unit = parse_unit(text)
    assert isinstance(unit, pint.Unit)
    canonical = canonical_unit_text(text)
    assert canonical is not None
    _assert_rule_unit(canonical)
    assert parse_unit(canonical) == unit
    assert canonical_unit_text(canonical) == canonical


@pytest.mark.parametrize(("text", "expected"), CANONICAL)
def test_canonical_spelling(text: str, expected: str) -> None:
    assert canonical_unit_text(text) == expected


@pytest.mark.parametrize("text", REJECTED)
def test_unrecognised_spellings_give_none(text: str) -> None:
    assert parse_unit(text) is None
    assert canonical_unit_text(text) is None


@pytest.mark.parametrize("group", [
    ["μmol/L", "µmol/L", "umol/L", "UMOL/L"],
    ["×10^9/L", "x10^9/L", "x 10⁹/L", "10^9/L", "10⁹/L", "10*9/L", "10E9/L", "x109/L", "G/L"],
    ["mL/min/1.73 m²", "mL/min/1.73m2", "ml/min/1.73 m2", "mL/min/{1.73_m2}"],
    ["{INR}", "ratio", "1", "INR"],
    ["mg/dL", "mg/dl", "mg%", "MG/DL"],
    ["uIU/mL", "µIU/mL", "u[IU]/mL", "mcIU/mL"],
    ["kg", "Kg", "kgs", "KG", "KGS"],
    ["lb", "lbs", "LBS", "pound", "pounds", "[lb_av]"],
    ["ms", "msec", "milliseconds"],
])
def test_spellings_of_one_unit_are_equal(group: list[str]) -> None:
    parsed = {text: parse_unit(text) for text in group}
    assert len(set(parsed.values())) == 1, parsed


def _magnitude(value: float, source: str, target: str) -> float:
    source_unit, target_unit = parse_unit(source), parse_unit(target)
    assert source_unit is not None and target_unit is not None
    return float(ureg.Quantity(value, source_unit).to(target_unit).magnitude)


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (5, "10*9/L", "1/L", 5e9),  # not pint's arithmetic 10×9 = 90
    (150, "10^3/µL", "10^9/L", 150),
    (150_000, "/mm3", "10^9/L", 150),
    (1500, "cells/mm³", "10^9/L", 1.5),
    (1, "mm3", "uL", 1),
    (1, "µIU/mL", "mIU/L", 1),
    (1, "mIU/mL", "IU/L", 1),
    (40, "U/L", "ukat/L", 40 / 60),
    (1, "mL/s/{1.73_m2}", "mL/min/1.73m2", 60),
    (3.5, "g/dL", "g/L", 35),
    (2, "years", "months", 24),
    (110, "lb", "kg", 49.8951607),  # 1 lb = 0.45359237 kg exactly
    (275, "pounds", "kg", 124.73790175),
    (70, "[in_i]", "cm", 177.8),  # 1 in = 2.54 cm exactly
    (0.45, "s", "msec", 450),
])
def test_conversions_between_spellings(value: float, source: str, target: str,
                                       expected: float) -> None:
    assert _magnitude(value, source, target) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("first", "second"), [
    ("IU/L", "U/L"),  # an international unit is not the enzyme unit
    ("mEq/L", "mmol/L"),  # needs the valence of the ion
    ("mL/min/1.73m2", "mL/min"),  # eGFR is not a creatinine clearance
    ("10^9/L", "%"),
    ("cells", "%"),
    ("%", "1"),
    ("mg/dL", "umol/L"),  # needs a molar mass
    ("lb", "cm"),
    ("kg", "ms"),
])
def test_incompatible_units(first: str, second: str) -> None:
    unit_a, unit_b = parse_unit(first), parse_unit(second)
    assert unit_a is not None and unit_b is not None
    assert unit_a != unit_b
    if unit_a.dimensionless and unit_b.dimensionless:
        return  # % and ratio are both dimensionless for pint: analytes.convert tells them apart
    assert not unit_a.is_compatible_with(unit_b)
    with pytest.raises(pint.DimensionalityError):
        ureg.Quantity(1, unit_a).to(unit_b)


def test_one_registry_for_the_package() -> None:
    unit = parse_unit("mg/dL")
    assert unit is not None
    assert unit._REGISTRY is ureg
    package = Path(units.__file__).parent
    creators = [path.name for path in package.rglob("*.py")
                if "UnitRegistry(" in path.read_text(encoding="utf-8")]
    assert creators == ["units.py"]


def test_extra_definitions_are_loaded() -> None:
    assert str(parse_unit("IU")) == "international_unit"
    assert parse_unit("mEq/L") == ureg.Unit("milliequivalent") / ureg.Unit("liter")
    assert ureg.Unit("cell").dimensionless


@given(st.sampled_from(ACCEPTED))
def test_canonical_text_round_trips(text: str) -> None:
    canonical = canonical_unit_text(text)
    assert canonical is not None
    assert parse_unit(canonical) == parse_unit(text)


_ATOMS = ["mg", "g", "kg", "ug", "ng", "pg", "mmol", "umol", "nmol", "mol", "mEq", "U", "IU",
          "mIU", "uIU", "ukat", "L", "dL", "mL", "uL", "fL", "m", "cm", "mm", "min", "h", "s",
          "day", "week", "10^3", "10^9", "cells", "%", "mmHg"]


@st.composite
def _expressions(draw: st.DrawFn) -> str:
    """Products and quotients of vocabulary atoms, written in several styles."""
    count = draw(st.integers(1, 4))
    text = draw(st.sampled_from(["", "/"]))
    for index in range(count):
        if index:
            text += draw(st.sampled_from(["/", "*", " / ", " "]))
        atom = draw(st.sampled_from(_ATOMS))
        power = draw(st.integers(1, 3))
        if power > 1 and not atom.startswith("10^"):  # "10^32" would be ambiguous
            atom += draw(st.sampled_from(["^", ""])) + str(power)
        text += atom
    return text + draw(st.sampled_from(["", "/1.73 m²"]))


@given(_expressions())
@example("/ng^2/ng^2/ng^3/ng^3")  # a power of two digits is written with a caret (ng^10)
def test_composed_units_round_trip(text: str) -> None:
    unit = parse_unit(text)
    assert unit is not None, text
    canonical = canonical_unit_text(text)
    assert canonical is not None
    _assert_rule_unit(canonical)
    assert parse_unit(canonical) == unit


@given(st.text(max_size=40))
def test_parse_unit_never_raises(text: str) -> None:
    unit = parse_unit(text)
    assert unit is None or isinstance(unit, pint.Unit)
    canonical = canonical_unit_text(text)
    if canonical is not None:
        _assert_rule_unit(canonical)
        assert parse_unit(canonical) == unit


@given(st.text(alphabet="0123456789x×*^/ .,µμumgdLlcmolsIU%{}[]_⁹³²-", max_size=25))
def test_parse_unit_never_raises_on_unit_like_text(text: str) -> None:
    unit = parse_unit(text)
    canonical = canonical_unit_text(text)
    assert (unit is None) == (canonical is None)
    if canonical is not None:
        _assert_rule_unit(canonical)
        assert parse_unit(canonical) == unit


def test_parse_unit_tolerates_non_text() -> None:
    assert parse_unit(None) is None  # type: ignore[arg-type]
    assert parse_unit(42) is None  # type: ignore[arg-type]


# ---------------------------------------------------------------- the registry's disk cache


def test_the_registry_keeps_parsed_definitions_in_the_screener_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(tmp_path))
    registry = units._registry()
    folder = tmp_path / f"pint-{pint.__version__}"
    assert list(folder.glob("*.pickle")), "pint wrote no cache"
    assert registry.Quantity(1, "mg/dL").to("g/L").magnitude == pytest.approx(0.01)
    again = units._registry()  # read back from the cache
    assert again.Quantity(1, "IU/mL").to("IU/L").magnitude == pytest.approx(1000)


def test_a_damaged_or_unwritable_cache_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(tmp_path))
    units._registry()
    for cached in (tmp_path / f"pint-{pint.__version__}").glob("*.pickle"):
        cached.write_bytes(b"not a pickle")
    damaged = units._registry()
    assert damaged.Quantity(2, "mg/dL").to("mg/L").magnitude == pytest.approx(20)
    blocked = tmp_path / "a-file"
    blocked.write_text("the cache folder cannot be made under a file", encoding="utf-8")
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(blocked))
    unwritable = units._registry()
    assert unwritable.Quantity(1, "IU/mL").to("IU/L").magnitude == pytest.approx(1000)
