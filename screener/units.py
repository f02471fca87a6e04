"""The package's one pint registry, and unit spellings of real text → pint units.

`ureg` is created once, here, with the extra definitions of data/units.txt
(IU, mEq, cells, the eGFR body-surface index). Nothing else creates a registry.

`parse_unit` does not hand text to pint's expression parser: pint reads UCUM's
`10*9/L` as the arithmetic 10×9 and knows units no laboratory uses ("PT" is a
petatesla, "G" a gauss). Text is instead rewritten (Unicode, powers of ten,
"/1.73 m²", ...), split into atoms joined by `/` and `*`, and every atom must be
in the closed vocabulary below. `canonical_unit_text` prints a unit in the one
ASCII spelling of canonical rules: `umol/L`, `10^9/L`, `mL/min/1.73m2`, `%`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pint

from screener.resources import cache_dir, data_path


def _registry() -> pint.UnitRegistry[float]:
    """pint's registry with data/units.txt, its parsed definitions cached on disk.

    Parsing pint's definition files takes a third of a second at every start; pint keeps
    the parsed result, checked against the files' contents, in `cache_folder` (here the
    screener cache folder, one subfolder per pint version: unit definitions only). The
    cache only saves time: if it cannot be read or written, the registry is built
    without it.
    """
    folder = cache_dir() / f"pint-{pint.__version__}"
    try:
        registry: pint.UnitRegistry[float] = pint.UnitRegistry(cache_folder=folder)
        registry.load_definitions(data_path("units.txt"))
    except Exception:  # any cache failure (unreadable, half written, unwritable): no cache
        registry = pint.UnitRegistry()
        registry.load_definitions(data_path("units.txt"))
    return registry


ureg = _registry()

# ---------------------------------------------------------------- vocabulary

_PREFIXES = {
    "k": "kilo",
    "d": "deci",
    "c": "centi",
    "m": "milli",
    "u": "micro",
    "mc": "micro",
    "n": "nano",
    "p": "pico",
    "f": "femto",
}


@dataclass(frozen=True)
class _Base:
    spellings: tuple[str, ...]  # the first one is canonical
    name: str  # the pint unit name
    prefixes: tuple[str, ...] = ()  # prefix symbols allowed besides none
    rank: int = 2  # printing order: 10^n, cells, amounts, volumes, lengths, times, 1.73m2


_BASES = (
    _Base(("g",), "gram", ("k", "m", "u", "mc", "n", "p")),
    _Base(("mol",), "mole", ("m", "u", "mc", "n", "p")),
    _Base(("Eq", "eq"), "equivalent", ("m", "u")),
    _Base(("U",), "enzyme_unit", ("k", "m")),
    _Base(("kat",), "katal", ("m", "u", "n")),
    _Base(("IU",), "international_unit", ("k", "m", "u", "mc")),
    _Base(("%",), "percent"),
    _Base(("mmHg",), "millimeter_Hg"),
    # temperatures (offset units: analytes.convert converts the value, not a factor); UCUM
    # Cel and [degF], never a bare C or F
    _Base(("Cel", "degC"), "degree_Celsius"),
    _Base(("degF",), "degree_Fahrenheit"),
    _Base(("cells", "cell"), "cell", rank=1),
    _Base(("copies", "copy"), "copy", rank=1),
    _Base(("L", "l"), "liter", ("d", "m", "u", "mc", "f"), rank=3),
    _Base(("m",), "meter", ("c", "m"), rank=4),
    # avoirdupois pound (exactly 0.45359237 kg) and international inch (exactly 0.0254 m):
    # body weight and height of US criteria and lab feeds (UCUM [lb_av], [in_i]); never the
    # bare "in", a word of every sentence
    _Base(("lb", "lbs", "pound", "pounds"), "pound"),
    _Base(("inch", "inches"), "inch", rank=4),
)
# Spellings outside the prefix scheme: "Kg", "kgs" and "mls" of registry text ("Weight ≥5Kg",
# "6kgs", "< 30mls/min/1.73m2"), "micromol/L".
_EXTRA_ATOMS = {
    "Kg": "kilogram",
    "kgs": "kilogram",
    "mls": "milliliter",
    "mLs": "milliliter",
    # "ammonia above 150 micromol/L": the prefix written out
    "micromol": "micromole",
    "millimol": "millimole",
}

# Durations: looked up case-insensitively; (name, spellings, symbol alone, symbol in a compound).
_TIMES = (
    ("year", ("years", "year", "yrs", "yr", "y"), "years", "year"),
    ("month", ("months", "month", "mos", "mo", "mths", "mth"), "months", "month"),
    ("week", ("weeks", "week", "wks", "wk"), "weeks", "week"),
    ("day", ("days", "day", "d"), "days", "day"),
    ("hour", ("hours", "hour", "hrs", "hr", "h"), "hours", "h"),
    ("minute", ("minutes", "minute", "mins", "min"), "min", "min"),
    ("second", ("seconds", "second", "secs", "sec", "s"), "s", "s"),
    ("millisecond", ("milliseconds", "msec", "ms"), "ms", "ms"),
)

# Tokens made by the rewrites below: powers of ten and the eGFR index.
_TOKENS = {
    "{e3}": "kilocount",
    "{e6}": "megacount",
    "{e9}": "gigacount",
    "{e12}": "teracount",
    "{bsa}": "standard_body_surface",
}
_TOKEN_SYMBOLS = {
    "kilocount": "10^3",
    "megacount": "10^6",
    "gigacount": "10^9",
    "teracount": "10^12",
    "standard_body_surface": "1.73m2",
}


def _vocabulary() -> tuple[dict[str, str], dict[str, str], dict[str, int]]:
    """Spelling → pint name, pint name → canonical symbol, pint name → rank."""
    atoms: dict[str, str] = {}
    symbols: dict[str, str] = {}
    ranks: dict[str, int] = {}
    for base in _BASES:
        for prefix in ("", *base.prefixes):
            name = _PREFIXES.get(prefix, "") + base.name
            for spelling in base.spellings:
                if atoms.setdefault(prefix + spelling, name) != name:
                    raise ValueError(f"unit spelling '{prefix + spelling}' is ambiguous")
            if prefix != "mc":
                symbols.setdefault(name, prefix + base.spellings[0])
            ranks[name] = base.rank
    for spelling, name in _EXTRA_ATOMS.items():
        if atoms.setdefault(spelling, name) != name:
            raise ValueError(f"unit spelling '{spelling}' is ambiguous")
    for name, symbol in _TOKEN_SYMBOLS.items():
        symbols[name] = symbol
        ranks[name] = 6 if name == "standard_body_surface" else 0
    for name, _spellings, _alone, symbol in _TIMES:
        symbols[name] = symbol
        ranks[name] = 5
    return atoms, symbols, ranks


def _caseless(atoms: dict[str, str]) -> dict[str, str]:
    """Lower-cased spelling → pint name where still unambiguous (for all-caps lab feeds)."""
    names: dict[str, set[str]] = {}
    for spelling, name in atoms.items():
        names.setdefault(spelling.lower(), set()).add(name)
    return {key: found.pop() for key, found in names.items() if len(found) == 1}


_ATOMS, _SYMBOLS, _RANKS = _vocabulary()
_ATOMS_CASELESS = _caseless(_ATOMS)
_TIME_ATOMS = {spelling: name for name, spellings, _a, _c in _TIMES for spelling in spellings}
_TIME_ALONE = {name: alone for name, _s, alone, _c in _TIMES}

# ---------------------------------------------------------------- rewriting

_DIMENSIONLESS = {"1", "{inr}", "inr", "ratio"}
_PERCENT = {"%", "percent", "per cent", "pct"}
_CHARS = str.maketrans(
    {"µ": "u", "μ": "u", "×": "x", "·": "*", "⋅": "*", "−": "-", "⁄": "/", "∕": "/"}
)
_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUPERSCRIPT = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")

_REWRITES = (
    # eGFR index: /1.73 m², /1.73m2, /{1.73_m2}, " per 1.73 m2", European 1,73
    (re.compile(r" ?(?:/|\bper\b) ?\{?1[.,]73 ?_?m\^?2\}?", re.I), "/{bsa}"),
    (re.compile(r"\[IU\]", re.I), "IU"),  # UCUM u[IU]/mL
    (re.compile(r"\[lb_av\]"), "lb"),  # UCUM avoirdupois pound
    (re.compile(r"\[in_i\]"), "inch"),  # UCUM international inch
    # UCUM annotations of counted things: {cells}/uL (CD4 counts), {copies}/mL (viral loads)
    (re.compile(r"\{(cells?|copies)\}", re.I), lambda m: m.group(1).lower()),
    (re.compile(r"mm ?\[?hg\]?", re.I), "mmHg"),  # also UCUM mm[Hg]
    # body temperature: °C, ºC (ordinal sign), ℃, "degrees C", "Celsius"; the same for F
    (
        re.compile(r"^(?:[°º˚] ?C|℃|deg(?:rees?)?\.? ?(?:C|Celsius|centigrade)|Celsius)$", re.I),
        "Cel",
    ),
    (
        re.compile(
            r"^(?:[°º˚] ?F|℉|\[degF\]|deg(?:rees?)?\.? ?(?:F|Fahrenheit)|Fahrenheit)$", re.I
        ),
        "degF",
    ),
    # counts per minute of vital signs: "bpm", "beats/min", "breaths per minute"
    (re.compile(r"^(?:bpm|(?:beats?|breaths?) ?(?:/|per) ?min(?:ute)?s?)$", re.I), "/min"),
    (re.compile(r"^(m?g) ?%$"), r"\1/dL"),  # mg% = mg/100 mL
    # powers of ten: x10^9, × 10⁹, 10*9 (UCUM), 10E9, 10**9, and "x109/L", the flattened
    # superscript of registry text (only after "x", only 10^3, 10^6, 10^9, 10^12)
    (
        re.compile(r"(?:^\*|(?<![A-Za-z0-9])x) ?10 ?(?:\^|\*\*?|[eE])? ?(3|6|9|12)(?![0-9])"),
        r"{e\1}",
    ),
    (re.compile(r"(?<![A-Za-z0-9.])10 ?(?:\^|\*\*?|[eE]) ?(\d+)"), r"{e\1}"),
    (re.compile(r"^[Kk](?=/)"), "{e3}"),  # K/uL of US lab feeds
    (re.compile(r"^G(?=/L$)"), "{e9}"),  # G/L of French criteria (giga per litre)
    (re.compile(r"(?<![A-Za-z])(?:cu\.? ?mm|cumm|cmm)(?![A-Za-z])"), "mm3"),
    (re.compile(r"(?:^| )per ", re.I), "/"),
    (re.compile(r" ?([/*]) ?"), r"\1"),
    (re.compile(r" "), "*"),
)
# a power of one digit may follow its symbol directly ("m2"); a longer one needs a caret
_ATOM = re.compile(r"(\{[a-z0-9]+\}|[A-Za-z%]+)(?:\^(-?\d{1,2})|(-?\d))?")


def _rewrite(text: str) -> str:
    text = _SUPERSCRIPT.sub(lambda m: "^" + m.group().translate(_SUPERSCRIPT_DIGITS), text)
    text = " ".join(text.translate(_CHARS).split())
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def _atom_name(atom: str, caps: bool) -> str | None:
    if atom in _TOKENS:
        return _TOKENS[atom]
    if atom in _ATOMS:
        return _ATOMS[atom]
    if atom.lower() in _TIME_ATOMS:
        return _TIME_ATOMS[atom.lower()]
    return _ATOMS_CASELESS.get(atom.lower()) if caps else None


@lru_cache(maxsize=4096)
def _parse(text: str) -> pint.Unit | None:
    plain = " ".join(text.translate(_CHARS).split()).lower()
    if plain in _DIMENSIONLESS:
        return ureg.dimensionless
    if plain in _PERCENT:
        return ureg.percent
    caps = text.upper() == text
    parts = re.split(r"([/*])", _rewrite(text))
    unit: pint.Unit = ureg.dimensionless
    if parts[0] in ("", "1") and len(parts) > 1 and parts[1] == "/":
        parts = parts[2:]  # "/mm3", "1/mm3": nothing above the line
        sign = -1
    else:
        sign = 1
    for index, atom in enumerate(parts):
        if index % 2:
            sign = -1 if atom == "/" else 1
            continue
        match = _ATOM.fullmatch(atom)
        name = _atom_name(match.group(1), caps) if match else None
        if match is None or name is None:
            return None
        power = int(match.group(2) or match.group(3) or 1)
        if power == 0:
            return None
        unit = unit * ureg.Unit(name) ** (sign * power)
    return unit


def parse_unit(text: str) -> pint.Unit | None:
    """The unit a spelling of real text denotes; None if it is not recognised."""
    if not isinstance(text, str) or not text.strip() or len(text) > 60:
        return None
    return _parse(text.strip())


# ---------------------------------------------------------------- printing


def _unit_text(unit: pint.Unit) -> str:
    """The canonical ASCII spelling of a unit built by `_parse`."""
    powers = [(name, int(power.real)) for name, power in unit._units.items()]
    items = sorted(powers, key=lambda item: (_RANKS[item[0]], _SYMBOLS[item[0]]))
    if len(items) == 1 and items[0][1] == 1 and items[0][0] in _TIME_ALONE:
        return _TIME_ALONE[items[0][0]]  # a duration on its own: "years", "days"

    def term(name: str, power: int) -> str:
        symbol = _SYMBOLS[name]
        if abs(power) == 1:
            return symbol
        joint = "" if symbol[-1].isalpha() and abs(power) < 10 else "^"
        return f"{symbol}{joint}{abs(power)}"

    above = "*".join(term(name, power) for name, power in items if power > 0) or "1"
    below = "".join("/" + term(name, power) for name, power in items if power < 0)
    return above + below


def canonical_unit_text(text: str) -> str | None:
    """The one ASCII spelling of a unit in canonical rule text (`umol/L`, `10^9/L`)."""
    unit = parse_unit(text)
    return None if unit is None else _unit_text(unit)
