"""ICD-10-CM status codes read as states: Z33.1 / Z33.3 (pregnant state) for `pregnant`,
Z99.2 (dependence on renal dialysis) for current dialysis; from patient files and FHIR."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from screener import icd10cm
from screener.evaluate import DIALYSIS_DEPENDENCE_CODES, PREGNANT_STATE_CODES
from tests.helpers import born_aged, outcome, patient
from tests.test_fhir import bundle, condition, load
from tests.test_fhir import outcome as fhir_outcome


def _woman(**fields: Any) -> Any:
    return patient(sex="female", birth_date=born_aged(30), **fields)


def _status(text: str, subject: Any) -> str:
    return outcome(text, subject, "exclusion").status.value


def test_the_codes_have_the_titles_named() -> None:
    titles = {code: icd10cm._tree().get_description(code) for code in PREGNANT_STATE_CODES}
    assert titles == {
        "Z33.1": "Pregnant state, incidental",
        "Z33.3": "Pregnant state, gestational carrier",
    }
    assert {c: icd10cm._tree().get_description(c) for c in DIALYSIS_DEPENDENCE_CODES} == {
        "Z99.2": "Dependence on renal dialysis"
    }


@pytest.mark.parametrize("code", ["Z33.1", "Z331", "z33.1", "Z33.3"])
def test_a_present_pregnant_state_code_is_pregnant(code: str) -> None:
    subject = _woman(conditions=[{"code": code, "recorded": "2026-10-01"}])
    result = outcome("Pregnancy", subject, "exclusion")
    assert result.status.value == "met"
    assert "recorded present on 2026-10-01" in result.reason


@pytest.mark.parametrize("entry", [
    {"code": "Z33.1", "status": "resolved"},  # that pregnancy is over
    {"code": "Z33.1", "status": "absent"},
    {"code": "Z33.1", "onset": "2025-06-01"},  # begun more than 42 weeks ago
    {"code": "Z33.2"},  # an encounter for termination, not a pregnant state
    {"code": "Z33.1", "recorded": "2026-12-01"},  # after the screening date
])
def test_other_entries_do_not_make_her_pregnant(entry: dict[str, str]) -> None:
    assert _status("Pregnancy", _woman(conditions=[entry])) == "unknown"


def test_a_later_status_says_otherwise() -> None:
    older_code = _woman(
        conditions=[{"code": "Z33.1", "recorded": "2026-10-01"}],
        pregnancy={"status": "absent", "date": "2026-11-20"},
    )
    assert _status("Pregnancy", older_code) == "not_met"
    newer_code = _woman(
        conditions=[{"code": "Z33.1", "recorded": "2026-11-20"}],
        pregnancy={"status": "absent", "date": "2026-11-01"},
    )
    assert _status("Pregnancy", newer_code) == "met"


def test_a_pregnant_state_says_nothing_of_lactation() -> None:
    assert _status("Breastfeeding", _woman(conditions=[{"code": "Z33.1"}])) == "unknown"


def test_dependence_on_dialysis_is_current_dialysis() -> None:
    subject = _woman(conditions=[{"code": "Z99.2", "name": "Dependence on renal dialysis"}])
    result = outcome("Patients on dialysis", subject, "exclusion")
    assert result.status.value == "met"
    assert "Z99.2 (Dependence on renal dialysis) recorded present" in result.reason
    assert _status("Prior dialysis", subject) == "met"


@pytest.mark.parametrize(("text", "conditions", "procedures"), [
    ("Patients on dialysis", [{"code": "Z99.2", "status": "resolved"}], []),
    # Z99.2 does not say which dialysis, nor when within a window
    ("Patients on hemodialysis", [{"code": "Z99.2"}], []),
    ("Dialysis within 4 weeks", [{"code": "Z99.2"}], []),
    # an entry saying dialysis not done disagrees: a person looks
    ("Patients on dialysis", [{"code": "Z99.2"}], [{"name": "dialysis", "status": "absent"}]),
])
def test_dependence_decides_nothing_else(
    text: str, conditions: list[dict[str, str]], procedures: list[dict[str, str]]
) -> None:
    assert _status(text, _woman(conditions=conditions, procedures=procedures)) == "unknown"


def test_fhir_conditions_are_read_the_same_way(tmp_path: Path) -> None:
    gender = {"gender": "female", "birthDate": "1990-01-01"}
    pregnant = load(
        tmp_path,
        bundle(condition("Z33.1", recordedDate="2026-10-01"), patient={
            "resourceType": "Patient", "id": "p1", **gender}),
    )
    assert fhir_outcome("Pregnancy", pregnant).status.value == "met"
    resolved = load(
        tmp_path,
        bundle(condition("Z33.1", clinical="resolved"), patient={
            "resourceType": "Patient", "id": "p1", **gender}),
        "resolved.json",
    )
    assert fhir_outcome("Pregnancy", resolved).status.value == "unknown"
    dialysis = load(tmp_path, bundle(condition("Z99.2")), "dialysis.json")
    assert fhir_outcome("Patients on dialysis", dialysis).status.value == "met"
