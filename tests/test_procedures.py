"""Procedure criteria: the `procedures` vocabulary, procedure(...) leaves, their compiling,
evaluation (three-valued: no record is unknown) and an end-to-end screening."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from screener import concepts
from screener import rules as r
from screener.canonical import parse_rule
from screener.compiler import compile_criterion
from screener.concepts import VocabularyError, load_vocabulary
from screener.evaluate import evaluate
from screener.facts import PatientFacts
from screener.logic import Status
from tests import test_fhir as fhir_test
from tests.helpers import SCREENING_DATE, canonical, patient
from tests.test_cli import run, write_json

# ---------------------------------------------------------------- vocabulary


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("Hemodialysis", None, {"haemodialysis", "dialysis"}),
        ("HAEMODIALYSIS", None, {"haemodialysis", "dialysis"}),
        (None, "302497006", {"haemodialysis", "dialysis"}),
        ("peritoneal dialysis", None, {"peritoneal_dialysis", "dialysis"}),
        ("dialysis", None, {"dialysis"}),
        ("major surgery", None, {"major_surgery", "surgery"}),
        ("surgery", "387713003", {"surgery"}),
        ("radiation therapy", None, {"radiotherapy"}),
        (None, "1287742003", {"radiotherapy"}),
        ("Brachytherapy", "152198000", {"brachytherapy", "radiotherapy"}),
        # a name must be a phrase, whole: no word search inside a longer name
        ("dialysis catheter insertion", None, set()),
        ("radiotherapy planning CT", None, set()),
        # a code is matched exactly: no SNOMED CT hierarchy (appendectomy is a surgery)
        ("appendectomy", "80146002", set()),
        (None, "90935", set()),  # a CPT code
    ],
)
def test_procedure_kinds_by_name_and_code(
    name: str | None, code: str | None, expected: set[str]
) -> None:
    assert concepts.procedure_kinds(name, code) == expected


def test_absent_entry_rules_out_itself_and_narrower_procedures_only() -> None:
    assert concepts.procedure_ruled_out("dialysis", None, "haemodialysis")
    assert concepts.procedure_ruled_out(None, "108241001", "peritoneal_dialysis")
    assert not concepts.procedure_ruled_out("haemodialysis", None, "dialysis")
    assert concepts.procedure_ruled_out("surgery", None, "major_surgery")
    assert not concepts.procedure_ruled_out("major surgery", None, "surgery")
    assert not concepts.procedure_ruled_out("radiotherapy", None, "dialysis")
    assert concepts.procedure_broader("haemodialysis") == {"dialysis"}
    assert concepts.procedure_broader("surgery") == set()
    with pytest.raises(KeyError):
        concepts.procedure_ruled_out("x", None, "no_such_procedure")


def test_shipped_procedures_are_sourced_and_one_off_surgery_has_no_current_form() -> None:
    for procedure in concepts.PROCEDURES.values():
        assert procedure.source or procedure.note, procedure.id
        assert procedure.snomed or procedure.broader, procedure.id  # a code or a parent's
    assert not concepts.PROCEDURES["surgery"].course
    assert not concepts.PROCEDURES["major_surgery"].course
    assert concepts.PROCEDURES["dialysis"].course
    assert concepts.PROCEDURES["radiotherapy"].course
    # chemotherapy is a drug class, and transplants are conditions, never procedures
    assert "chemotherapy" not in concepts.PROCEDURES
    assert concepts.procedure_by_phrase("chemotherapy") is None
    assert concepts.procedure_by_phrase("liver transplant") is None


def _write(tmp_path: Path, procedures: list[dict[str, Any]]) -> Path:
    path = tmp_path / "vocab.yaml"
    concept = {"id": "a_thing", "name": "A", "phrases": ["a thing"], "icd10": []}
    path.write_text(
        yaml.safe_dump({"concepts": [concept], "procedures": procedures}), encoding="utf-8"
    )
    return path


def test_small_procedure_vocabulary_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        [
            {"id": "cutting", "name": "C", "phrases": ["cutting"], "snomed": ["123456"]},
            {"id": "deep_cutting", "name": "D", "phrases": ["deep cutting"],
             "broader": ["cutting"], "course": True},
        ],
    )  # fmt: skip
    vocabulary = load_vocabulary(path)
    assert vocabulary.procedure_kinds("Deep  Cutting") == {"deep_cutting", "cutting"}
    assert vocabulary.procedure_kinds(None, " 123456 ") == {"cutting"}
    assert vocabulary.procedures["deep_cutting"].course


@pytest.mark.parametrize(
    ("procedures", "message"),
    [
        ([{"id": "x", "name": "X", "phrases": ["x"], "snomed": ["12ab"]}], "not a SNOMED CT"),
        ([{"id": "x", "name": "X", "phrases": ["x"], "snomed": [123456]}], "quote it"),
        (
            [
                {"id": "x", "name": "X", "phrases": ["x"], "snomed": ["123456"]},
                {"id": "y", "name": "Y", "phrases": ["y"], "snomed": ["123456"]},
            ],
            "already denotes procedure x",
        ),
        ([{"id": "x", "name": "X", "phrases": ["a thing"]}], "already belongs to concept"),
        ([{"id": "x", "name": "X", "phrases": ["x"], "broader": ["nope"]}], "unknown procedure"),
        ([{"id": "x", "name": "X", "phrases": ["x"], "course": "yes"}], "true or false"),
        ([{"id": "x", "name": "X", "phrases": ["x"], "atc": ["L01"]}], "unknown field 'atc'"),
        (
            [
                {"id": "x", "name": "X", "phrases": ["x"]},
                {"id": "x", "name": "X", "phrases": ["z"]},
            ],
            "duplicate procedure id",
        ),
    ],
)
def test_invalid_procedures(tmp_path: Path, procedures: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(VocabularyError, match=re.escape(message)):
        load_vocabulary(_write(tmp_path, procedures))


# ---------------------------------------------------------------- rule language


@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("procedure(dialysis)", r.Procedure("dialysis")),
        ("procedure(radiotherapy, ever)", r.Procedure("radiotherapy", ever=True)),
        ("procedure(surgery, within 4 weeks)", r.Procedure("surgery", r.Window(4, "weeks"))),
        (
            "procedure(major_surgery, within 28 days before randomisation)",
            r.Procedure("major_surgery", r.Window(28, "days", "randomisation")),
        ),
    ],
)
def test_procedure_leaf_round_trip(text: str, node: r.Rule) -> None:
    assert parse_rule(text) == node
    assert r.render(node) == text


@pytest.mark.parametrize(
    "text",
    ["procedure(dialysis, 3 months)", "procedure(dialysis, ongoing)", "procedure()",
     "procedure(Dialysis)", "procedure(dialysis, within 3 months before lunch)"],
)  # fmt: skip
def test_malformed_procedure_leaves_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_rule(text)


# ---------------------------------------------------------------- evaluation


def _status(rule: str, *procedures: dict[str, Any], **fields: Any) -> Status:
    subject = patient(procedures=list(procedures), **fields)
    return evaluate(parse_rule(rule), PatientFacts(subject, SCREENING_DATE)).status


MET, NOT_MET, UNKNOWN, REVIEW = Status.MET, Status.NOT_MET, Status.UNKNOWN, Status.REVIEW
HD_COURSE = {"name": "haemodialysis", "start": "2025-01-01"}  # screening date 2026-11-21
HD_SESSIONS = {"name": "Hemodialysis", "dates": ["2026-11-14T09:00", "2026-11-19T09:00"]}


@pytest.mark.parametrize(
    ("rule", "entries", "expected"),
    [
        # no record at all: unknown, never a silent "not done"
        ("procedure(dialysis)", [], UNKNOWN),
        ("procedure(radiotherapy, ever)", [], UNKNOWN),
        ("procedure(surgery, within 4 weeks)", [], UNKNOWN),
        ("procedure(surgery, within 4 weeks)", [{"name": "radiotherapy"}], UNKNOWN),
        # current: a course going on, or a session on the screening date
        ("procedure(dialysis)", [HD_COURSE], MET),
        ("procedure(haemodialysis)", [{"code": "302497006", "start": "2026-10-01",
                                       "end": "2026-12-31"}], MET),
        ("procedure(dialysis)", [HD_SESSIONS], UNKNOWN),  # did it go on after the 19th?
        ("procedure(dialysis)", [{"name": "dialysis", "dates": ["2026-11-21"]}], MET),
        ("procedure(dialysis)", [{"name": "dialysis", "start": "2026-01-01",
                                  "end": "2026-03-01"}], UNKNOWN),
        ("procedure(peritoneal_dialysis)", [HD_COURSE], UNKNOWN),  # another kind of dialysis
        # within a window: a session or a course reaching it
        ("procedure(dialysis, within 1 weeks)", [HD_SESSIONS], MET),
        ("procedure(dialysis, within 3 days)", [HD_SESSIONS], MET),
        ("procedure(dialysis, within 1 days)", [HD_SESSIONS], UNKNOWN),
        ("procedure(radiotherapy, within 6 months)",
         [{"name": "radiotherapy", "start": "2026-03-01", "end": "2026-06-01"}], MET),
        ("procedure(radiotherapy, within 3 months)",
         [{"name": "radiotherapy", "start": "2026-03-01", "end": "2026-06-01"}], UNKNOWN),
        ("procedure(radiotherapy, within 3 months)", [{"name": "radiotherapy"}], UNKNOWN),
        ("procedure(surgery, within 4 weeks)", [{"name": "surgery", "dates": ["2026-11-01"]}],
         MET),
        # "major surgery": only a surgery recorded as major meets it
        ("procedure(major_surgery, within 4 weeks)",
         [{"name": "surgery", "dates": ["2026-11-01"]}], UNKNOWN),
        ("procedure(major_surgery, within 4 weeks)",
         [{"name": "Major surgery", "dates": ["2026-11-01"]}], MET),
        ("procedure(surgery, within 4 weeks)",
         [{"name": "major surgical procedure", "dates": ["2026-11-01"]}], MET),
        # ever: any record of it done before the screening date, dated or not
        ("procedure(radiotherapy, ever)", [{"name": "radiation therapy"}], MET),
        ("procedure(radiotherapy, ever)", [{"code": "108290001", "dates": ["2001-05-05"]}], MET),
        ("procedure(radiotherapy, ever)", [{"name": "brachytherapy", "start": "2010-01-01",
                                           "end": "2010-02-01"}], MET),
        ("procedure(radiotherapy, ever)", [{"name": "radiotherapy", "dates": ["2026-12-01"]}],
         UNKNOWN),  # after the screening date: does not count
        # recorded not done: not met, for itself and for narrower procedures
        ("procedure(dialysis)", [{"name": "dialysis", "status": "absent"}], NOT_MET),
        ("procedure(haemodialysis, within 3 months)", [{"name": "dialysis", "status": "absent"}],
         NOT_MET),
        ("procedure(radiotherapy, ever)", [{"name": "radiotherapy", "status": "absent"}],
         NOT_MET),
        ("procedure(major_surgery, within 4 weeks)", [{"name": "surgery", "status": "absent"}],
         NOT_MET),
        ("procedure(dialysis)", [{"name": "haemodialysis", "status": "absent"}], UNKNOWN),
        ("procedure(surgery, ever)", [{"name": "major surgery", "status": "absent"}], UNKNOWN),
        # a record of it done outside the window does not say "not since"
        ("procedure(dialysis, within 1 days)",
         [HD_SESSIONS, {"name": "peritoneal dialysis", "status": "absent"}], UNKNOWN),
        # a procedure the vocabulary does not have needs a person
        ("procedure(cutting, ever)", [{"name": "surgery"}], REVIEW),
    ],
)  # fmt: skip
def test_procedure_evaluation(rule: str, entries: list[dict[str, Any]], expected: Status) -> None:
    assert _status(rule, *entries) is expected


def test_window_before_a_later_event_leaves_a_recent_procedure_open() -> None:
    """'within 4 weeks before randomisation': a surgery 3 weeks before screening may fall out
    of the window by the time of randomisation; one recorded not done never falls in."""
    surgery = {"name": "surgery", "dates": ["2026-11-01"]}
    rule = "procedure(surgery, within 4 weeks before randomisation)"
    assert _status(rule, surgery) is UNKNOWN
    assert _status(rule, {"name": "surgery", "status": "absent"}) is NOT_MET
    assert _status("procedure(surgery, within 4 weeks)", surgery) is MET


def test_reasons_name_the_entry_and_its_time() -> None:
    subject = patient(procedures=[HD_SESSIONS])
    facts = PatientFacts(subject, SCREENING_DATE)
    met = evaluate(parse_rule("procedure(dialysis, within 1 weeks)"), facts)
    assert met.reason == "Dialysis within 1 weeks: Hemodialysis on 2026-11-19"
    assert met.values[0].date is not None and met.values[0].date.isoformat() == "2026-11-19"
    current = evaluate(parse_rule("procedure(dialysis)"), facts)
    assert "last on 2026-11-19" in current.reason and current.missing == ("dialysis (current)",)
    course = evaluate(parse_rule("procedure(dialysis)"), PatientFacts(patient(
        procedures=[HD_COURSE]), SCREENING_DATE))  # fmt: skip
    assert course.reason == "Dialysis (current): haemodialysis going on since 2025-01-01"
    surgery = patient(procedures=[{"name": "surgery", "dates": ["2026-11-01"]}])
    major = evaluate(parse_rule("procedure(major_surgery, ever)"), PatientFacts(surgery,
        SCREENING_DATE))  # fmt: skip
    assert major.status is Status.UNKNOWN
    assert (
        major.reason
        == "Major surgery not recorded (surgery on file, not recorded as major surgery)"
    )


# ---------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Major surgery within 4 weeks prior to randomization", "exclusion",
         "procedure(major_surgery, within 4 weeks before randomisation)"),
        ("Has undergone major surgery within 30 days of Study Day 1;", "exclusion",
         "procedure(major_surgery, within 30 days before first_dose)"),
        ("Major surgical procedure within 28 days", "exclusion",
         "procedure(major_surgery, within 28 days)"),
        ("Patients with surgical procedures in the last 30 days.", "exclusion",
         "procedure(surgery, within 30 days)"),
        ("Received radiotherapy in the last 6 months", "exclusion",
         "procedure(radiotherapy, within 6 months)"),
        ("Radiation therapy within 2 weeks before enrollment", "exclusion",
         "procedure(radiotherapy, within 2 weeks before enrolment)"),
        ("Currently on dialysis", "exclusion", "procedure(dialysis)"),
        ("Patients on hemodialysis", "exclusion", "procedure(haemodialysis)"),
        ("Currently receiving radiotherapy", "exclusion", "procedure(radiotherapy)"),
        ("Prior radiotherapy", "exclusion", "procedure(radiotherapy, ever)"),
        ("History of dialysis", "exclusion", "procedure(dialysis, ever)"),
        ("No prior radiotherapy", "inclusion", "not procedure(radiotherapy, ever)"),
        ("No major surgery within 4 weeks", "inclusion",
         "not procedure(major_surgery, within 4 weeks)"),
        ("Prior chemotherapy or radiotherapy", "exclusion",
         "medication(chemotherapy, ever) or procedure(radiotherapy, ever)"),
        ("Previous brachytherapy", "exclusion", "procedure(brachytherapy, ever)"),
        # transplants stay conditions
        ("Received solid organ or bone marrow transplant", "exclusion",
         "history(solid_organ_transplant) or history(transplant_bone_marrow)"),
    ],
)  # fmt: skip
def test_procedure_criteria_compile(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(
    "text",
    [
        # gold g051 and g123: a window closing a list, and a time since a list of treatments
        # (tests/test_washouts.py reads "At least 4 weeks since prior surgery")
        "≥ 2 weeks from prior chemotherapy, radiation therapy or major surgery",
        "Major surgical procedure, radiotherapy, chemotherapy, or immunotherapy within 4 weeks "
        "prior to first dose;",
        "Major surgery or radiation therapy within 4 weeks prior to randomization",
        # a restriction of the procedure the grammar does not read
        "Prior radiotherapy to the target lesion",
        "Prior pelvic radiation therapy",
        "Prior radiotherapy for HCC",
        # no time said, or a time that may be later
        "Major surgery",
        "Dialysis",
        "Requiring dialysis",
        "Patients requiring surgery",
        "Planned surgery during the study",
        "Concurrent radiotherapy",
        "Current surgery",  # a surgery does not go on
        "Surgery prior to randomization",
        # "exposure to radiation" need not be radiotherapy
        "Prior exposure to radiation",
        "Minor surgery within 2 weeks",
        "Chemoradiotherapy within 4 weeks",
    ],
)
def test_procedure_criteria_left_to_a_person(text: str) -> None:
    for kind in ("inclusion", "exclusion"):
        rule = compile_criterion(text, kind).rule
        assert not any(isinstance(leaf, r.Procedure) for leaf in r.leaves(rule)), (kind, rule)


# ---------------------------------------------------------------- end to end


TRIAL = """\
id: TEST-PROC
title: Procedure test trial
inclusion:
  - No prior radiotherapy
exclusion:
  - Major surgery within 4 weeks prior to randomization
  - Currently on dialysis
"""


def test_screen_reads_procedures_from_a_patient_file(tmp_path: Path) -> None:
    folder = tmp_path / "trials"
    folder.mkdir()
    (folder / "TEST-PROC.yaml").write_text(TRIAL, encoding="utf-8")
    on_dialysis = write_json(
        tmp_path / "dialysis.json",
        {
            "id": "P-HD",
            "procedures": [
                {"name": "radiotherapy", "status": "absent"},
                {"name": "surgery", "status": "absent"},
                {"name": "hemodialysis", "start": "2024-02-01"},
            ],
        },
    )
    unknown = write_json(tmp_path / "unknown.json", {"id": "P-NONE"})
    result = run(on_dialysis, unknown, "--trials", folder, "--date", "2026-01-15",
                 "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.stdout
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    effects = [
        {c["id"]: (c["rule"], c["status"]) for c in report["trials"][0]["criteria"]}
        for report in reports
    ]
    assert effects[0] == {
        "inc-1": ("not procedure(radiotherapy, ever)", "met"),
        "exc-1": ("procedure(major_surgery, within 4 weeks before randomisation)", "not_met"),
        "exc-2": ("procedure(dialysis)", "met"),
    }
    assert reports[0]["trials"][0]["verdict"] == "ineligible"
    assert {status for _, status in effects[1].values()} == {"unknown"}


def test_fhir_procedure_keeps_the_snomed_coding_and_a_vocabulary_name(tmp_path: Path) -> None:
    """A FHIR Procedure coded in CPT first and SNOMED CT second: the SNOMED CT code and a
    display the vocabulary knows are kept, so procedure(...) finds it."""
    resource = {
        "resourceType": "Procedure",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "code": {
            "text": "RT course 2",
            "coding": [
                {"system": "http://www.ama-assn.org/go/cpt", "code": "77412", "display": "Tx"},
                {"system": fhir_test.SNOMED, "code": "1287742003", "display": "Radiotherapy"},
            ],
        },
        "performedPeriod": {"start": "2026-09-01", "end": "2026-10-10"},
    }
    subject = fhir_test.load(tmp_path, fhir_test.bundle(resource))
    (entry,) = subject.procedures
    assert (entry.code, entry.name) == ("1287742003", "Radiotherapy")
    rule = parse_rule("procedure(radiotherapy, within 3 months)")
    assert evaluate(rule, PatientFacts(subject, fhir_test.ON)).status is Status.MET
    not_done = {**resource, "status": "not-done"}
    del not_done["performedPeriod"]
    refused = fhir_test.load(tmp_path, fhir_test.bundle(not_done))
    assert evaluate(rule, PatientFacts(refused, fhir_test.ON)).status is Status.NOT_MET


def test_a_rule_let_go_never_lends_its_outcome_to_a_new_one() -> None:
    """The per-patient memo is keyed by the rule's id: a rule built, evaluated and let go
    leaves its id free for the next rule, which must still get its own outcome."""
    facts = PatientFacts(patient(procedures=[HD_SESSIONS]), SCREENING_DATE)
    for _ in range(20):
        assert evaluate(parse_rule("procedure(dialysis, within 1 weeks)"), facts).missing == ()
        current = evaluate(parse_rule("procedure(dialysis)"), facts)
        assert current.missing == ("dialysis (current)",)
