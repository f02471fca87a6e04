"""Qualitative laboratory tests (data/qualitative_tests.csv) and how their results read.

A qualitative test (HBsAg, anti-HCV, HCV RNA, HIV-1/2 antibody, ...) reports the presence or
absence of something, not a number: its result is `positive` or `negative`. Laboratories
and criteria say the same thing in other words: reactive and detected (detectable) are
positive, non-reactive and not detected (undetectable) are negative. Indeterminate,
equivocal and inconclusive results decide nothing; any other text is not read.

A test is not a diagnosis: "HBsAg positive" (a result) and "hepatitis B" (a condition) are
kept apart, and neither stands in for the other (docs/patient-format.md says why).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Literal

from screener import analytes
from screener.patient import loinc_check_digit
from screener.resources import data_path

Result = Literal["positive", "negative", "indeterminate"]
RESULTS = ("positive", "negative")  # the values a criterion may ask for


@dataclass(frozen=True)
class QualitativeTest:
    """One row of data/qualitative_tests.csv."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    loinc: tuple[str, ...]
    source: str
    note: str
    viral_load: str | None = None  # the analyte counting the same nucleic acid (HBV DNA)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|") if part.strip())


def _checked_loinc(code: str, test_id: str) -> str:
    match = re.fullmatch(r"(\d{1,7})-(\d)", code)
    if match is None or loinc_check_digit(match[1]) != int(match[2]):
        raise ValueError(f"qualitative_tests.csv: {test_id}: {code!r} is not a valid LOINC code")
    return code


def _viral_load(text: str, test_id: str) -> str | None:
    """The analyte id of a test's viral load, checked against data/analytes.csv."""
    analyte_id = text.strip()
    if not analyte_id:
        return None
    if analyte_id not in analytes.ANALYTES:
        raise ValueError(f"qualitative_tests.csv: {test_id}: {analyte_id!r} is not an analyte")
    return analyte_id


def _test(row: dict[str, str]) -> QualitativeTest:
    test_id = row["id"].strip()
    return QualitativeTest(
        id=test_id,
        name=row["name"].strip(),
        synonyms=_split(row["synonyms"]),
        loinc=tuple(_checked_loinc(code, test_id) for code in _split(row["loinc"])),
        source=row["source"].strip(),
        note=row["note"].strip(),
        viral_load=_viral_load(row.get("viral_load") or "", test_id),
    )


def _load() -> dict[str, QualitativeTest]:
    with data_path("qualitative_tests.csv").open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {test.id: test for test in map(_test, rows)}


def _index(keys: dict[str, list[str]]) -> dict[str, QualitativeTest]:
    """key → test; a key claimed by two tests is a data error."""
    index: dict[str, QualitativeTest] = {}
    for test_id, test_keys in keys.items():
        for key in test_keys:
            if index.setdefault(key, TESTS[test_id]).id != test_id:
                raise ValueError(f"qualitative_tests.csv: '{key}' names {index[key].id} too")
    return index


def _name_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


TESTS: dict[str, QualitativeTest] = _load()
_BY_LOINC = _index({t.id: list(t.loinc) for t in TESTS.values()})
_BY_NAME = _index(
    {t.id: sorted({_name_key(k) for k in (t.id, t.name, *t.synonyms)}) for t in TESTS.values()}
)


def by_loinc(code: str) -> QualitativeTest | None:
    """The test a LOINC code stands for."""
    return _BY_LOINC.get(code.strip())


def by_name(text: str) -> QualitativeTest | None:
    """The test whose id, name or synonym is exactly `text`, ignoring case and spacing."""
    return _BY_NAME.get(_name_key(text))


def of_observation(loinc: str | None, name: str | None) -> QualitativeTest | None:
    """The test an observation reports: by its LOINC code, else by its name."""
    found = by_loinc(loinc) if loinc else None
    if found is None and name:
        found = by_name(name)
    return found


_WORDS: dict[str, Result] = {
    **dict.fromkeys(
        ("positive", "pos", "pos.", "+", "reactive", "repeatedly reactive", "detected",
         "detectable"),
        "positive",
    ),
    **dict.fromkeys(
        ("negative", "neg", "neg.", "-", "non-reactive", "nonreactive", "non reactive",
         "not reactive", "not detected", "undetected", "not detectable", "undetectable"),
        "negative",
    ),
    **dict.fromkeys(
        ("indeterminate", "equivocal", "inconclusive", "borderline", "grey zone", "gray zone"),
        "indeterminate",
    ),
}  # fmt: skip


def read_result(value: float | str) -> Result | None:
    """The result a recorded value states; None for a number or any other text.

    Whole values only: "weakly positive" or "positive (low titre)" is for a person to read.
    """
    if not isinstance(value, str):
        return None
    return _WORDS.get(re.sub(r"\s+", " ", value.strip().casefold()))
