from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screener.timecalc import (
    add_calendar,
    age_interval,
    birth_range,
    completed,
    normalize_unit,
)

UNITS = ["days", "weeks", "months", "years"]
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
units = st.sampled_from(UNITS)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "expected"),
    [
        (date(2026, 1, 31), 1, "month", date(2026, 2, 28)),
        (date(2024, 1, 31), 1, "months", date(2024, 2, 29)),
        (date(2024, 2, 29), 1, "year", date(2025, 2, 28)),
        (date(2024, 2, 29), 4, "years", date(2028, 2, 29)),
        (date(2026, 3, 31), -1, "months", date(2026, 2, 28)),
        (date(2026, 1, 1), -1, "day", date(2025, 12, 31)),
        (date(2026, 1, 1), 2, "weeks", date(2026, 1, 15)),
        (date(2025, 12, 15), 1, "Months", date(2026, 1, 15)),
    ],
)
def test_add_calendar(start: date, amount: int, unit: str, expected: date) -> None:
    assert add_calendar(start, amount, unit) == expected


@pytest.mark.parametrize(
    ("on", "years"),
    [(date(2026, 1, 1), 70), (date(2026, 4, 30), 70), (date(2026, 5, 1), 71)],
)
def test_completed_years(on: date, years: int) -> None:
    assert completed(date(1955, 5, 1), on, "years") == years


def test_completed_other_units() -> None:
    birth = date(2026, 1, 31)
    assert completed(birth, date(2026, 2, 27), "months") == 0
    assert completed(birth, date(2026, 2, 28), "months") == 1  # month-end clamp
    assert completed(birth, date(2026, 3, 30), "months") == 1
    assert completed(birth, date(2026, 3, 31), "months") == 2
    assert completed(birth, date(2026, 2, 13), "weeks") == 1
    assert completed(birth, date(2026, 2, 14), "weeks") == 2
    assert completed(birth, birth, "days") == 0


def test_feb_29_birthday_is_feb_28_in_common_years() -> None:
    birth = date(2000, 2, 29)
    assert completed(birth, date(2001, 2, 27), "years") == 0
    assert completed(birth, date(2001, 2, 28), "years") == 1
    assert completed(birth, date(2004, 2, 28), "years") == 3
    assert completed(birth, date(2004, 2, 29), "years") == 4


def test_completed_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        completed(date(2026, 1, 2), date(2026, 1, 1), "days")


def test_units() -> None:
    assert normalize_unit(" Year ") == "years"
    assert normalize_unit("week") == "weeks"
    with pytest.raises(ValueError, match="unknown time unit"):
        add_calendar(date(2026, 1, 1), 1, "fortnight")


def test_age_interval_for_a_birth_year() -> None:
    assert age_interval(date(1980, 1, 1), date(1980, 12, 31), date(2026, 6, 1), "years") == (45, 46)
    assert age_interval(date(1980, 1, 1), date(1980, 12, 31), date(2026, 1, 1), "years") == (45, 46)
    assert age_interval(date(1980, 1, 1), date(1980, 12, 31), date(2025, 12, 31), "years") == (
        45,
        45,
    )
    # born some time in 2026, screened in March 2026: 0 to 2 completed months
    assert age_interval(date(2026, 1, 1), date(2026, 12, 31), date(2026, 3, 1), "months") == (0, 2)


def test_birth_range_of_a_stated_age() -> None:
    assert birth_range(45, "years", date(2026, 1, 1)) == (date(1980, 1, 2), date(1981, 1, 1))
    # the Feb-29 convention: born 1980-02-29 is already 46 on 2026-02-28
    assert birth_range(45, "years", date(2026, 2, 28)) == (date(1980, 3, 1), date(1981, 2, 28))
    assert birth_range(1, "months", date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 1, 31))
    assert birth_range(0, "days", date(2026, 2, 28)) == (date(2026, 2, 28), date(2026, 2, 28))


@given(dates, st.integers(min_value=0, max_value=1200), units)
def test_completed_inverts_add_calendar(birth: date, n: int, unit: str) -> None:
    # exact for every unit under the month-end clamp convention
    assert completed(birth, add_calendar(birth, n, unit), unit) == n


@given(dates, st.integers(min_value=-1200, max_value=1200), units)
def test_add_then_subtract_never_overshoots(start: date, n: int, unit: str) -> None:
    # clamping can only move a date earlier
    assert add_calendar(add_calendar(start, n, unit), -n, unit) <= start


@given(dates, st.integers(min_value=0, max_value=40000), st.integers(0, 400), units)
def test_completed_is_monotone_in_on(birth: date, offset: int, step: int, unit: str) -> None:
    on = birth + timedelta(days=offset)
    assert completed(birth, on, unit) <= completed(birth, on + timedelta(days=step), unit)


@given(dates, st.integers(min_value=0, max_value=40000), units)
def test_completed_is_the_largest_whole_count(birth: date, offset: int, unit: str) -> None:
    on = birth + timedelta(days=offset)
    n = completed(birth, on, unit)
    assert add_calendar(birth, n, unit) <= on < add_calendar(birth, n + 1, unit)


@given(st.integers(min_value=0, max_value=100), units, dates)
def test_birth_range_is_exactly_the_stated_age(age: int, unit: str, as_of: date) -> None:
    earliest, latest = birth_range(age, unit, as_of)
    day = timedelta(days=1)
    assert completed(earliest, as_of, unit) == age
    assert completed(latest, as_of, unit) == age
    assert completed(earliest - day, as_of, unit) == age + 1
    assert latest == as_of or completed(latest + day, as_of, unit) == age - 1


@given(dates, dates, dates, units)
def test_age_interval_brackets_every_birth_date(a: date, b: date, on: date, unit: str) -> None:
    earliest, latest = sorted((a, b))
    if earliest > on:
        return
    low, high = age_interval(earliest, latest, on, unit)
    assert low <= high
    for birth in (earliest, min(latest, on)):
        assert low <= completed(birth, on, unit) <= high
