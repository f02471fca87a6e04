import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from screener.errors import InputError
from screener.facts import PatientFacts
from screener.patient import (
    PartialDate,
    Patient,
    load_patient,
    loinc_check_digit,
    patient_from_dict,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "patient-format.md"


def doc_example() -> dict[str, Any]:
    block = re.search(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert block is not None
    data: dict[str, Any] = json.loads(block[1])
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def error_for(data: dict[str, Any]) -> InputError:
    with pytest.raises(InputError) as caught:
        patient_from_dict({"id": "p1", **data}, "p.json")
    return caught.value


# --- the documented example ---


def test_documented_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "example.json"
    path.write_text(json.dumps(doc_example(), ensure_ascii=False), encoding="utf-8")
    patient = load_patient(path)
    assert patient.id == "HCC-0042"
    assert patient.screening_date == date(2026, 1, 15)
    assert patient.sex == "male"
    assert patient.conditions[0].system == "icd10cm"
    assert patient.conditions[5].system == "snomed"
    assert patient.observations[0].date == datetime(2026, 1, 12, 8, 30)
    assert patient.observations[2].value == pytest.approx(1.3)
    assert patient.observations[5].value == "negative"
    facts = PatientFacts(patient, date(2026, 1, 15))
    assert [r.result for r in facts.test_readings["hbsag"]] == ["negative"]
    assert [r.result for r in facts.test_readings["anti_hcv"]] == ["negative"]
    assert facts.readings and not facts.warnings
    assert patient.facts.ascites is not None and patient.facts.ascites.value == "mild"
    assert patient.scores[0].value == "B"
    assert patient.answers[0].answer == "met"
    assert patient.age_on(date(2026, 1, 15)) == (70, 70)


def test_decimals_as_written_in_the_file(tmp_path: Path) -> None:
    text = (
        '{"id": "p1", "observations": ['
        '{"name": "INR", "value": 1.30, "date": "2026-01-12"},'
        '{"name": "creatinine", "value": 88, "date": "2026-01-12"},'
        '{"name": "bilirubin", "value": "10.20", "date": "2026-01-12"},'
        '{"name": "HBsAg", "value": "negative", "date": "2026-01-12"}]}'
    )
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    observations = load_patient(path).observations
    assert [o.decimals for o in observations] == [2, 0, 2, None]
    assert [o.value for o in observations[:3]] == [1.3, 88.0, 10.2]
    # from Python floats the representation is all there is
    assert patient_from_dict(json.loads(text), "p").observations[0].decimals == 1


def test_round_trip_through_json() -> None:
    patient = patient_from_dict(doc_example(), "doc")
    again = patient_from_dict(json.loads(patient.model_dump_json()), "again")
    assert again == patient
    assert "birth_date" in Patient.model_json_schema()["properties"]


def test_minimal_patient_defaults() -> None:
    patient = patient_from_dict({"id": "p1"}, "p")
    assert patient.sex == "unknown"
    assert patient.conditions == [] and patient.facts.ecog is None
    assert patient.age_on(date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    ("written", "sex"),
    [("F", "female"), ("woman", "female"), ("M", "male"), ("Man", "male"), ("Unknown", "unknown")],
)
def test_sex_spellings(written: str, sex: str) -> None:
    assert patient_from_dict({"id": "p1", "sex": written}, "p").sex == sex


def test_keyword_spellings() -> None:
    patient = patient_from_dict(
        {
            "id": "p1",
            "conditions": [{"name": "ascites", "status": "Absent", "code": "r18.8"}],
            "trial_participation": [{"intervention_type": "Behavioral"}],
            "answers": [{"trial": "T", "criterion": "i1", "answer": "not met", "by": "x"}],
            "age": {"value": 3, "unit": "Month", "as_of": "2026-01-01"},
        },
        "p",
    )
    assert patient.conditions[0].status == "absent"
    assert patient.conditions[0].code == "R18.8"
    assert patient.trial_participation[0].intervention_type == "behavioural"
    assert patient.answers[0].answer == "not_met"
    assert patient.age is not None and patient.age.unit == "months"


def test_an_odd_observation_unit_is_not_a_file_error() -> None:
    patient = patient_from_dict(
        {
            "id": "p1",
            "observations": [{"name": "x", "value": 1, "unit": "mg/dk", "date": "2026-01-01"}],
        },
        "p",
    )
    assert patient.observations[0].unit == "mg/dk"


# --- errors name the field ---


def test_unknown_field_typo() -> None:
    error = error_for({"conditions": [{"name": "x"}, {"name": "y", "statsu": "absent"}]})
    assert error.field == "conditions[1].statsu"
    assert "did you mean 'status'" in str(error)
    assert str(error).startswith("p.json: conditions[1].statsu: unknown field")


def test_unknown_top_level_field() -> None:
    error = error_for({"birthdate": "1980-01-01"})
    assert error.field == "birthdate"
    assert "did you mean 'birth_date'" in error.message


def test_bad_status() -> None:
    error = error_for(
        {"conditions": [{"name": "x"}, {"name": "y"}, {"name": "z", "status": "maybe"}]}
    )
    assert error.field == "conditions[2].status"
    assert "'present', 'suspected', 'absent' or 'resolved'" in error.message


@pytest.mark.parametrize("written", ["01/12/2026", "2026-02-30", 20260101, "2026-01-12T25:00"])
def test_bad_date(written: object) -> None:
    error = error_for({"observations": [{"name": "x", "value": 1, "date": written}]})
    assert error.field == "observations[0].date"


def test_bad_screening_date() -> None:
    error = error_for({"screening_date": "2026-01-15T10:00"})
    assert error.field == "screening_date"
    assert "without a time" in error.message


def test_missing_name_and_code() -> None:
    error = error_for({"conditions": [{"status": "absent"}]})
    assert error.field == "conditions[0]"
    assert "give a name or a code" in error.message


def test_missing_observation_name_and_loinc() -> None:
    error = error_for({"observations": [{"value": 1, "date": "2026-01-01"}]})
    assert error.field == "observations[0]"


def test_missing_required_field() -> None:
    error = error_for({"observations": [{"name": "x", "value": 1}]})
    assert (error.field, error.message) == ("observations[0].date", "required field missing")


def test_birth_date_and_age_both_given() -> None:
    error = error_for(
        {"birth_date": "1980-01-01", "age": {"value": 45, "unit": "years", "as_of": "2026-01-01"}}
    )
    assert error.field == "age"
    assert "not both" in error.message


def test_code_needs_a_system_unless_icd10() -> None:
    error = error_for({"conditions": [{"code": "44054006"}]})
    assert error.field == "conditions[0].system"
    error = error_for({"conditions": [{"code": "K70.30", "system": "snomed"}]})
    assert error.field == "conditions[0].system"


def test_loinc_check_digit() -> None:
    assert [loinc_check_digit(n) for n in ("1975", "2160", "6301", "718", "777")] == [2, 0, 6, 7, 3]
    error = error_for({"observations": [{"loinc": "1975-3", "value": 1, "date": "2026-01-01"}]})
    assert error.field == "observations[0].loinc"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"sex": "male", "pregnancy": {"status": "present", "date": "2026-01-01"}}, "pregnancy"),
        ({"screening_date": "2026-01-01", "birth_date": "2027"}, "birth_date"),
        ({"birth_date": "1980-13"}, "birth_date"),
        ({"facts": {"height_m": {"value": 176, "date": "2026-01-01"}}}, "facts.height_m"),
        ({"facts": {"ecog": {"value": 6, "date": "2026-01-01"}}}, "facts.ecog.value"),
        (
            {"medications": [{"name": "x", "start": "2026-01-02", "end": "2026-01-01"}]},
            "medications[0]",
        ),
        (
            {"observations": [{"name": "x", "value": True, "date": "2026-01-01"}]},
            "observations[0].value",
        ),
        ({"conditions": "cirrhosis"}, "conditions"),
        ({"conditions": ["cirrhosis"]}, "conditions[0]"),
        (
            {"answers": [{"trial": "T", "criterion": "i1", "answer": "met", "by": "x"}] * 2},
            "answers",
        ),
    ],
)
def test_other_errors_name_their_field(data: dict[str, Any], field: str) -> None:
    assert error_for(data).field == field


def test_several_errors_are_reported_together() -> None:
    error = error_for(
        {
            "sex": "x",
            "conditions": [{"name": "y", "status": "maybe"}],
            "observations": [{"name": "z"}],
        }
    )
    assert error.field == ""
    for field in ("sex", "conditions[0].status", "observations[0].value", "observations[0].date"):
        assert f"{field}: " in error.message
    assert error.message.count("; ") == 3


# --- file errors ---


def test_malformed_json_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{\n  "id": "p1",\n  "sex": "female"\n  "conditions": []\n}\n', encoding="utf-8"
    )
    with pytest.raises(InputError) as caught:
        load_patient(path)
    assert caught.value.source == str(path)
    assert caught.value.field == ""
    assert "line 4, column 3" in caught.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_patient(tmp_path / "nope.json")
    assert (caught.value.field, caught.value.message) == ("", "file not found")


def test_top_level_must_be_an_object(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expected a JSON object"):
        load_patient(write(tmp_path, [{"id": "p1"}]))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"id": "p1", "id": "p2"}', "duplicate key 'id'"),
        (
            '{"id": "p1", "observations": [{"name": "x", "value": NaN, "date": "2026-01-01"}]}',
            "NaN",
        ),
    ],
)
def test_json_that_would_lose_data(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=problem):
        load_patient(path)


def test_validation_errors_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"id": "p1", "conditions": [{"name": "x", "status": "maybe"}]})
    with pytest.raises(InputError) as caught:
        load_patient(path)
    assert str(caught.value).startswith(f"{path}: conditions[0].status: ")
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# --- ages and dates ---


def patient(**data: Any) -> Patient:
    return patient_from_dict({"id": "p1", **data}, "p")


def test_age_from_full_birth_date() -> None:
    p = patient(birth_date="1955-05-01")
    assert p.age_on(date(2026, 4, 30)) == (70, 70)
    assert p.age_on(date(2026, 5, 1)) == (71, 71)
    assert p.age_on(date(2025, 11, 17)) == (70, 70)  # 70 years and 200 days is 70
    assert p.age_on(date(2026, 5, 1), "months") == (852, 852)


def test_age_from_partial_birth_date() -> None:
    assert patient(birth_date="1980").age_on(date(2026, 6, 1)) == (45, 46)
    assert patient(birth_date=1980).age_on(date(2026, 6, 1)) == (45, 46)
    assert patient(birth_date="1980-05").age_on(date(2026, 5, 15)) == (45, 46)
    assert patient(birth_date="1980-05").age_on(date(2026, 6, 1)) == (46, 46)
    assert PartialDate.parse("2024-02").latest == date(2024, 2, 29)
    assert str(PartialDate.parse("1980-05")) == "1980-05"


def test_age_from_a_statement() -> None:
    p = patient(age={"value": 45, "unit": "years", "as_of": "2026-01-01"})
    assert p.age_on(date(2026, 1, 1)) == (45, 45)
    assert p.age_on(date(2026, 6, 1)) == (45, 46)
    assert p.age_on(date(2027, 1, 2)) == (46, 47)
    assert p.age_on(date(2026, 1, 1), "months") == (540, 551)


def test_counts_on_screening_date() -> None:
    p = patient(screening_date="2026-01-15")
    assert p.counts_on(date(2026, 1, 15))
    assert p.counts_on(datetime(2026, 1, 15, 23, 59))
    assert not p.counts_on(date(2026, 1, 16))
    with pytest.raises(ValueError, match="no screening date"):
        patient().counts_on(date(2026, 1, 1))


def test_time_zone_is_dropped_keeping_the_clock_time() -> None:
    p = patient(observations=[{"name": "x", "value": 1, "date": "2026-01-15T23:30:00-05:00"}])
    assert p.observations[0].date == datetime(2026, 1, 15, 23, 30)
