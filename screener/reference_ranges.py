"""Site default reference ranges: upper limits of normal a site configures for '× ULN'.

A '× ULN' criterion uses the reference range on the patient's observation. When
the observation has none, the leaf is `unknown` ("no laboratory ULN on file"),
unless the screening was given a site file (`TrialLibrary.screen(...,
reference_ranges=...)`, `screen --reference-ranges FILE`). None is active out of
the box. The file names its source, and every decision that used one of its
ranges says so in its reason and in the value it used.

    source: Central laboratory of Hospital X, 2025 catalogue
    ranges:
      - analyte: ALT            # an id, name or synonym of data/analytes.csv
        sex: female             # female or male; absent = any sex
        age: {min: 18}          # completed years, both bounds inclusive; absent = any age
        high: 35
        low: 10                 # optional; read and checked, not used by any criterion yet
        unit: U/L               # converted with the analyte-aware converter

Entries for the same analyte must not overlap in sex and age (an overlap is
ambiguous and the file is rejected). A range applies to a patient only when the
sex and the age on the day of the sample single out one entry: when the sex or
the age is not on file (or an age known only as an interval straddles a bound)
and the entries differ by it, none applies and the leaf stays `unknown`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, NoReturn

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from screener import analytes, units
from screener.errors import InputError, pydantic_field
from screener.facts import PatientFacts, Reading
from screener.trials import parse_yaml_text, read_text_file

_OLDEST = 150  # years: the largest age bound a file may give
_NO_LIMIT = 10_000  # years: the upper end of "any age"

# ---------------------------------------------------------------------------
# the file


def _lower_case(value: object) -> object:
    return value.strip().casefold() if isinstance(value, str) else value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Age(_Model):
    min: int | None = Field(default=None, ge=0, le=_OLDEST)
    max: int | None = Field(default=None, ge=0, le=_OLDEST)


class _Entry(_Model):
    analyte: str = Field(min_length=1)
    sex: Annotated[Literal["female", "male"] | None, BeforeValidator(_lower_case)] = None
    age: _Age | None = None
    low: float | None = None
    high: float | None = None
    unit: str = Field(min_length=1)


class _File(_Model):
    source: str = Field(min_length=1)
    ranges: list[_Entry] = Field(min_length=1)


_FILE_FIELDS = list(_File.model_fields)
_ENTRY_FIELDS = list(_Entry.model_fields)
_AGE_FIELDS = list(_Age.model_fields)


@dataclass(frozen=True)
class DefaultRange:
    """One entry of a site file, with its limits in the analyte's canonical unit."""

    analyte: str  # analyte id
    sex: str | None  # None = any sex
    age_min: int | None  # completed years, inclusive; None = no lower bound
    age_max: int | None  # inclusive; None = no upper bound
    low: float | None  # canonical unit
    high: float | None  # canonical unit
    shown_high: str  # as written in the file, with its canonical value when converted
    field: str  # "ranges[2]", for messages

    @property
    def ages(self) -> tuple[int, int]:
        """The inclusive age bounds, "any age" as 0 to a very large number."""
        return (
            0 if self.age_min is None else self.age_min,
            _NO_LIMIT if self.age_max is None else self.age_max,
        )

    def covers(self, sex: str, age: int) -> bool:
        low, high = self.ages
        return (self.sex is None or self.sex == sex) and low <= age <= high

    def overlaps(self, other: DefaultRange) -> bool:
        """Same analyte, a sex in common and an age in common."""
        if self.analyte != other.analyte:
            return False
        if self.sex is not None and other.sex is not None and self.sex != other.sex:
            return False
        return max(self.ages[0], other.ages[0]) <= min(self.ages[1], other.ages[1])

    @property
    def scope(self) -> str:
        """Whom the entry covers: 'females aged 18 and over', 'anyone' (any sex, any age)."""
        who = {"female": "females", "male": "males"}.get(self.sex or "", "anyone")
        if self.age_min is not None and self.age_max is not None:
            who += f" aged {self.age_min}–{self.age_max}"
        elif self.age_min is not None:
            who += f" aged {self.age_min} and over"
        elif self.age_max is not None:
            who += f" aged {self.age_max} or under"
        return who


@dataclass(frozen=True)
class ReferenceRanges:
    """A validated site file (`load_reference_ranges`)."""

    source: str
    path: str
    ranges: tuple[DefaultRange, ...]

    def lookup(self, analyte_id: str, sex: str, ages: tuple[int, int] | None) -> DefaultRange | str:
        """The one entry for this analyte that applies whatever the unknowns are, or why none.

        `sex` is "female", "male" or anything else for not on file; `ages` the
        (min, max) completed age in years on the day of the sample, None if unknown.
        """
        entries = [e for e in self.ranges if e.analyte == analyte_id]
        if not entries:
            return "the site defaults have no range for it"
        sexes = [sex] if sex in ("female", "male") else ["female", "male"]
        low, high = ages if ages is not None else (0, _NO_LIMIT)
        points = {low, high}  # where coverage can change: each bound and the year after
        for entry in entries:
            for bound in (entry.age_min, None if entry.age_max is None else entry.age_max + 1):
                if bound is not None and low <= bound <= high:
                    points.add(bound)
        found = {
            (s, a): next((e for e in entries if e.covers(s, a)), None)
            for s in sexes
            for a in sorted(points)
        }
        chosen = set(found.values())
        if len(chosen) == 1:
            single = chosen.pop()
            if single is None:
                who = "a " + (f"{sex} " if sex in ("female", "male") else "") + "patient"
                if ages is not None:
                    who += f" aged {_years(ages)}"
                return f"the site defaults have no range for it that covers {who}"
            return single
        undecided = []
        if len(sexes) > 1 and any(found[("female", a)] != found[("male", a)] for a in points):
            undecided.append("sex, which is not on file")
        if any(len({found[(s, a)] for a in points}) > 1 for s in sexes):
            known = "not on file" if ages is None else f"known only as {_years(ages)}"
            undecided.append(f"age, which is {known}")
        return f"the site defaults for it differ by {' and by '.join(undecided)}"


def _years(ages: tuple[int, int]) -> str:
    low, high = ages
    return f"{low} years" if low == high else f"{low}–{high} years"


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _problem(error: ErrorDetails) -> tuple[str, str]:
    """A pydantic error as (field, message) in a site author's words."""
    loc = error["loc"]
    field = pydantic_field(loc)
    kind = error["type"]
    found = _describe(error.get("input"))
    if kind == "missing":
        return field, "required, but missing"
    if kind == "extra_forbidden":
        allowed = _FILE_FIELDS if len(loc) == 1 else _AGE_FIELDS if "age" in loc else _ENTRY_FIELDS
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        return field, f"unknown field ({hint}allowed: {', '.join(allowed)})"
    if kind == "literal_error":
        return field, f"expected female or male (leave it out for any sex), got {found}"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return field, f"expected a number, got {found}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return field, f"expected a whole number of years, got {found}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return field, f"expected an age from 0 to {_OLDEST} years, got {found}"
    if kind in ("string_type", "string_too_short"):
        return field, f"expected text, got {found}"
    if kind == "list_type":
        return field, f"expected a list of ranges, got {found}"
    if kind == "too_short":
        return field, "at least one range is needed"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return field, f"expected a mapping, got {found}"
    return field, error["msg"]


def _analyte_id(text: str) -> str | None:
    if text in analytes.ANALYTES:
        return text
    found = analytes.by_name(text)
    return found.id if found is not None else None


def _unknown_analyte(text: str) -> str:
    names = sorted({k for a in analytes.ANALYTES.values() for k in (a.id, a.name, *a.synonyms)})
    guess = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    return (
        f"unknown analyte {text!r}{hint}: use an id, name or synonym of screener/data/analytes.csv"
    )


def _limit(analyte_id: str, value: float, unit: str) -> float | str:
    """`value` in the analyte's canonical unit, or the problem."""
    converted = analytes.convert(analyte_id, value, unit)
    if isinstance(converted, analytes.UnitProblem):
        return converted.reason
    return converted.value


def _entry(index: int, entry: _Entry, problems: list[tuple[str, str]]) -> DefaultRange | None:
    field = f"ranges[{index}]"
    analyte_id = _analyte_id(entry.analyte)
    if analyte_id is None:
        problems.append((f"{field}.analyte", _unknown_analyte(entry.analyte)))
        return None
    count = len(problems)
    if entry.low is None and entry.high is None:
        problems.append((field, "give high, low or both"))
    for key, value in (("low", entry.low), ("high", entry.high)):
        if value is not None and not math.isfinite(value):
            problems.append((f"{field}.{key}", f"expected a number, got {value!r}"))
    if entry.high is not None and math.isfinite(entry.high) and entry.high <= 0:
        problems.append((f"{field}.high", "an upper limit must be above 0"))
    if entry.low is not None and entry.high is not None and entry.low > entry.high:
        problems.append((field, f"low {entry.low:g} is above high {entry.high:g}"))
    age = entry.age
    if age is not None and age.min is not None and age.max is not None and age.min > age.max:
        problems.append((f"{field}.age", f"min {age.min} is above max {age.max}"))
    if len(problems) > count:
        return None
    limits: dict[str, float] = {}
    for key, value in (("low", entry.low), ("high", entry.high)):
        if value is None:
            continue
        converted = _limit(analyte_id, value, entry.unit)
        if isinstance(converted, str):
            problems.append((f"{field}.unit", converted))
            return None
        limits[key] = converted
    shown = ""
    if entry.high is not None:
        shown = f"{entry.high:g} {entry.unit}"
        canonical = analytes.ANALYTES[analyte_id].canonical_unit
        if units.canonical_unit_text(entry.unit) != canonical:
            shown += f" = {limits['high']:g} {canonical}"
    return DefaultRange(
        analyte=analyte_id,
        sex=entry.sex,
        age_min=None if age is None else age.min,
        age_max=None if age is None else age.max,
        low=limits.get("low"),
        high=limits.get("high"),
        shown_high=shown,
        field=field,
    )


def reference_ranges_from_text(text: str, source: str) -> ReferenceRanges:
    """Parse and check a site file's YAML text; every problem in one `InputError`."""
    data = parse_yaml_text(text, source)
    if not isinstance(data, dict):
        found = "the file is empty" if data is None else f"found {_describe(data)}"
        raise InputError(source, "", f"expected a mapping with source: and ranges:; {found}")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as exc:
        _raise(source, [_problem(error) for error in exc.errors()])
    problems: list[tuple[str, str]] = []
    if not parsed.source.strip():
        problems.append(("source", "expected text naming where the ranges come from"))
    built = [_entry(i, entry, problems) for i, entry in enumerate(parsed.ranges)]
    ranges = [entry for entry in built if entry is not None]
    for later, entry in enumerate(ranges):
        for earlier in ranges[:later]:
            if entry.overlaps(earlier):
                problems.append(
                    (
                        entry.field,
                        f"overlaps {earlier.field} ({analytes.ANALYTES[entry.analyte].name} for "
                        f"{earlier.scope}): ranges of one analyte must not overlap in sex and age",
                    )
                )
                break
    if problems:
        _raise(source, problems)
    return ReferenceRanges(source=parsed.source.strip(), path=source, ranges=tuple(ranges))


def _raise(source: str, problems: list[tuple[str, str]]) -> NoReturn:
    field, first = problems[0]
    rest = [f"{f}: {m}" if f else m for f, m in problems[1:]]
    raise InputError(source, field, "; ".join([first, *rest]))


def load_reference_ranges(path: Path | str) -> ReferenceRanges:
    """Load a site's default reference ranges (YAML); a bad file raises `InputError`."""
    path = Path(path)
    return reference_ranges_from_text(read_text_file(path), str(path))


# ---------------------------------------------------------------------------
# use


@dataclass(frozen=True)
class UpperLimit:
    """The upper limit of normal a '× ULN' decision uses, in the canonical unit."""

    value: float
    note: str | None = None  # where a site default came from; None = the observation's own


def upper_limit(reading: Reading, facts: PatientFacts) -> UpperLimit | str:
    """The observation's own ULN; else a site default that applies; else why there is none."""
    if reading.reference_high is not None:
        return UpperLimit(reading.reference_high)
    if reading.reference_problem is not None:
        return reading.reference_problem
    missing = "no laboratory ULN on file"
    ranges: ReferenceRanges | None = facts.reference_ranges
    if ranges is None:
        return missing
    if reading.reference_given:
        return (
            f"{missing} (the observation's own reference range has no upper limit; "
            "site defaults not used)"
        )
    found = ranges.lookup(reading.analyte, facts.patient.sex, _age_at(facts, reading.day))
    if isinstance(found, str):
        return f"{missing}, and {found}"
    if found.high is None:
        return f"{missing}, and the site default ({found.field}) gives no upper limit"
    scope = f" for {found.scope}" if found.scope != "anyone" else ""
    return UpperLimit(
        found.high, f"ULN {found.shown_high}{scope} from site defaults: {ranges.source}"
    )


def _age_at(facts: PatientFacts, day: dt.date) -> tuple[int, int] | None:
    try:
        return facts.patient.age_on(day, "years")
    except ValueError:  # a sample dated before any possible birth date
        return None
