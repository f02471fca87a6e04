"""Calendar arithmetic for ages and windows: pure functions on `datetime.date`.

Conventions
-----------
- Months and years are calendar units. Adding them keeps the day of the month and
  clamps it to the last day of the target month: Jan 31 + 1 month = Feb 28 (Feb 29 in
  a leap year); Feb 29 + 1 year = Feb 28.
- `completed(birth, on, unit)` is the largest n with `add_calendar(birth, n, unit) <= on`.
  With the clamp this means a person born on Feb 29 completes a year on Feb 28 in
  common years, and a person born on the 31st completes a month on the last day of a
  shorter month (born Jan 31: one month on Feb 28).
- Weeks are 7 days; completed weeks are whole weeks of elapsed days.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Literal, get_args

Unit = Literal["days", "weeks", "months", "years"]
UNITS: tuple[Unit, ...] = get_args(Unit)


def normalize_unit(text: str) -> Unit:
    """'year', 'Years', 'days' ... as one of `UNITS`; ValueError for anything else."""
    word = text.strip().lower()
    for unit in UNITS:
        if word in (unit, unit[:-1]):
            return unit
    raise ValueError(f"unknown time unit {text!r} (days, weeks, months or years)")


def _add_months(d: date, months: int) -> date:
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def add_calendar(d: date, amount: int, unit: str) -> date:
    """`d` plus `amount` units (negative goes back), months and years clamped to month end."""
    match normalize_unit(unit):
        case "days":
            return d + timedelta(days=amount)
        case "weeks":
            return d + timedelta(weeks=amount)
        case "months":
            return _add_months(d, amount)
        case "years":
            return _add_months(d, 12 * amount)


def completed(birth: date, on: date, unit: str) -> int:
    """Completed units from `birth` to `on` (a 70-year-old is 70 until the 71st birthday).

    ValueError if `on` is before `birth`.
    """
    if on < birth:
        raise ValueError(f"{on.isoformat()} is before {birth.isoformat()}")
    match normalize_unit(unit):
        case "days":
            return (on - birth).days
        case "weeks":
            return (on - birth).days // 7
        case "months":
            months = (on.year - birth.year) * 12 + on.month - birth.month
            return months if _add_months(birth, months) <= on else months - 1
        case "years":
            return completed(birth, on, "months") // 12


def age_interval(birth_earliest: date, birth_latest: date, on: date, unit: str) -> tuple[int, int]:
    """(min, max) completed age on `on` for a birth date known to lie in the given range.

    A birth range reaching past `on` (born "2026", screened 2026-03-01) gives a minimum
    of 0; ValueError if even the earliest birth date is after `on` or the range is empty.
    """
    if birth_latest < birth_earliest:
        raise ValueError("birth date range is empty")
    return completed(min(birth_latest, on), on, unit), completed(birth_earliest, on, unit)


def birth_range(age: int, unit: str, as_of: date) -> tuple[date, date]:
    """All birth dates b with `completed(b, as_of, unit) == age`, as (earliest, latest).

    This turns a stated age ("45 years as of 2026-01-01") into a birth interval.
    """
    if age < 0:
        raise ValueError("age must not be negative")
    day = timedelta(days=1)
    # completed() is non-increasing in the birth date; start just inside the range
    # and step past the few days the month-end clamp adds.
    earliest = add_calendar(as_of, -(age + 1), unit) + day
    while completed(earliest, as_of, unit) > age:
        earliest += day
    latest = add_calendar(as_of, -age, unit)
    while latest < as_of and completed(latest + day, as_of, unit) >= age:
        latest += day
    return earliest, latest
