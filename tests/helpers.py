"""Small builders shared by tests: patients, one-criterion screening, compiled rule text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from screener import rules as r
from screener.compiler import compile_criterion
from screener.evaluate import Outcome, evaluate
from screener.facts import PatientFacts
from screener.patient import Patient, patient_from_dict

SCREENING_DATE = dt.date(2026, 11, 21)


def patient(**fields: Any) -> Patient:
    """A patient screened on SCREENING_DATE; fields as in docs/patient-format.md."""
    data: dict[str, Any] = {"id": "TEST", "screening_date": SCREENING_DATE.isoformat()}
    data.update(fields)
    return patient_from_dict(data, "test")


def lab(
    name: str, value: float, unit: str | None, date: str = "2026-11-20T08:00", **extra: Any
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "value": value, "date": date, **extra}
    if unit is not None:
        entry["unit"] = unit
    return entry


def born_aged(years: int, extra_days: int = 0) -> str:
    """A birth date giving `years` completed years (plus `extra_days`) on SCREENING_DATE."""
    birth = SCREENING_DATE.replace(year=SCREENING_DATE.year - years)
    return (birth - dt.timedelta(days=extra_days)).isoformat()


def outcome(text: str, subject: Patient, kind: str = "inclusion") -> Outcome:
    rule = compile_criterion(text, kind).rule
    return evaluate(rule, PatientFacts(subject, SCREENING_DATE))


def status(text: str, subject: Patient, kind: str = "inclusion") -> str:
    return outcome(text, subject, kind).status.value


def canonical(text: str, kind: str = "inclusion") -> str:
    """The printed rule one criterion compiles to."""
    return r.render(compile_criterion(text, kind).rule)
