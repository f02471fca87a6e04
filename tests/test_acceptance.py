"""Issue acceptance through the real CLI, and the engine's safety rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from screener.evaluate import evaluate
from screener.facts import PatientFacts
from screener.library import TrialLibrary
from screener.patient import patient_from_dict
from screener.trials import load_trial_text
from tests.helpers import SCREENING_DATE, born_aged, lab, outcome, patient, status

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LIVER_TRIAL = "LOCAL-liver-failure-mscs"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "screener", *args], capture_output=True,
                          text=True, check=False)


def criteria_by_text(report: dict[str, Any], trial_id: str) -> dict[str, dict[str, Any]]:
    trial = next(t for t in report["trials"] if t["id"] == trial_id)
    return {c["text"]: c for c in trial["criteria"]}


def test_liver_patient_meld_22_end_to_end(tmp_path: Path) -> None:
    result = run_cli(str(EXAMPLES / "liver_failure_patient.json"), "--date", "2026-11-21",
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    found = criteria_by_text(json.loads(result.stdout), LIVER_TRIAL)
    bilirubin = found["Total bilirubin (TBil) ≥ 171μmol/L or an increase of ≥ 17.1μmol/L per day;"]
    assert bilirubin["status"] == "met"
    value = bilirubin["values"][0]
    assert (value["value"], value["unit"], value["date"]) == (10.2, "mg/dL", "2026-11-20")
    assert value["converted"] == {"value": 174.42, "unit": "umol/L"}
    pta = found["Prothrombin activity (PTA) between 20% and 40% (or INR between 1.5 and 2.6);"]
    assert pta["status"] == "met"
    meld = found["Patients with a MELD score \\> 30;"]
    assert (meld["status"], meld["effect"]) == ("not_met", "pass")
    assert meld["values"][0]["value"] == 22
    inputs = {v["name"]: v for v in meld["values"][0]["derived_from"]}
    assert inputs["dialysis in the week before the creatinine"]["value"] == "no"


def test_same_labs_without_dialysis_record_leave_meld_unknown(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "liver_failure_patient.json").read_text())
    data["procedures"] = []
    path = tmp_path / "no_dialysis.json"
    path.write_text(json.dumps(data))
    result = run_cli(str(path), "--date", "2026-11-21", "--format", "json")
    meld = criteria_by_text(json.loads(result.stdout), LIVER_TRIAL)[
        "Patients with a MELD score \\> 30;"]
    assert meld["status"] == "unknown"
    assert "22 without dialysis, 35 with dialysis" in meld["reason"]
    assert meld["missing"] == ["dialysis in the week before the creatinine"]


def test_coordinator_answers_make_the_trial_eligible() -> None:
    result = run_cli(str(EXAMPLES / "liver_failure_answered.json"), "--format", "json")
    report = json.loads(result.stdout)
    trial = next(t for t in report["trials"] if t["id"] == LIVER_TRIAL)
    assert trial["verdict"] == "eligible"
    assert report["trials"][0]["id"] == LIVER_TRIAL  # eligible trials rank first
    answered = [c for c in trial["criteria"] if c["answer"]]
    assert len(answered) == 6
    assert all(c["answer"]["by"] and c["reason"].startswith("answered") for c in answered)


def test_unanswered_twin_is_not_eligible() -> None:
    result = run_cli(str(EXAMPLES / "liver_failure_patient.json"), "--format", "json")
    trial = next(t for t in json.loads(result.stdout)["trials"] if t["id"] == LIVER_TRIAL)
    assert trial["verdict"] == "needs_review"
    assert trial["pending_confirmation"] is False  # clinical review items are open


TRIAL_YAML = """
id: TEST-1
title: Test trial
inclusion:
  - text: Aged 18-70 years.
  - text: Decompensated liver cirrhosis, Child-Pugh B/C (7-12 points); or Meld score≦21.
    rewrite: >-
      condition(decompensated_cirrhosis) and
      (score(child_pugh) in [7, 12] or score(meld) <= 21)
  - text: Written informed consent.
exclusion:
  - text: Pregnancy
"""


def test_rewrite_keeps_verbatim_text_and_says_rewrite() -> None:
    library = TrialLibrary.from_specs([load_trial_text(TRIAL_YAML, "test.yaml")])
    criteria = {c.id: c for c in library.trials[0].criteria}
    rewritten = criteria["inc-2"]
    assert rewritten.origin.value == "rewrite"
    assert rewritten.text.startswith("Decompensated liver cirrhosis, Child-Pugh B/C")
    assert rewritten.canonical == ("condition(decompensated_cirrhosis) and "
                                   "(score(child_pugh) in [7, 12] or score(meld) <= 21)")


def test_verdicts_and_pending_confirmation() -> None:
    library = TrialLibrary.from_specs([load_trial_text(TRIAL_YAML, "test.yaml")])
    base: dict[str, Any] = {
        "id": "P", "screening_date": "2026-11-21", "birth_date": born_aged(40), "sex": "male",
        "conditions": [{"name": "decompensated cirrhosis"}],
        "scores": [{"name": "meld", "value": 18, "date": "2026-11-20"}],
    }
    report = library.screen(patient_from_dict(base, "p"))
    trial = report.trials[0]
    assert trial.verdict.value == "needs_review" and trial.pending_confirmation
    assert (trial.open.administrative, trial.open.missing_data) == (1, 0)
    answered = {**base, "answers": [{"trial": "TEST-1", "criterion": "inc-3", "answer": "met",
                                     "by": "coordinator"}]}
    assert library.screen(patient_from_dict(answered, "p")).trials[0].verdict.value == "eligible"
    too_old = {**base, "birth_date": born_aged(71)}
    assert library.screen(patient_from_dict(too_old, "p")).trials[0].verdict.value == "ineligible"


# ---------------------------------------------------------------- safety of the compiler


@pytest.mark.parametrize("text", [
    "Platelets ≥ 100 x 10^9/L unless on anticoagulants",
    "Bilirubin ≤ 2 mg/dL except for Gilbert syndrome",
    "Diabetes without complications",
    "Only hepatitis B",
    "Hepatitis B or diabetes only if insulin-dependent",
    "Total bilirubin ≥ 171 μmol/L in patients without cholestasis",
])
def test_meaning_changing_words_are_never_skipped(text: str) -> None:
    rule = compile_criterion(text, "inclusion").rule
    assert r.has_review(rule), r.render(rule)


@pytest.mark.parametrize("text", [
    "Diabetes or hypertension and asthma",
    "Hepatitis B and cirrhosis or ascites",
])
def test_and_or_mixed_is_never_one_grouping(text: str) -> None:
    rule = compile_criterion(text, "inclusion").rule
    assert isinstance(rule, r.Readings | r.Review), r.render(rule)


def test_mixed_readings_answer_only_where_they_agree() -> None:
    text = "Diabetes or hypertension and heart failure"
    only_diabetes = patient(conditions=[{"name": "diabetes"}, {"name": "heart failure",
                                                                "status": "absent"}])
    assert status(text, only_diabetes) == "review"  # (D or H) and F vs D or (H and F)
    all_three = patient(conditions=[{"name": "diabetes"}, {"name": "hypertension"},
                                    {"name": "heart failure"}])
    assert status(text, all_three) == "met"


def test_observation_with_unreadable_unit_is_review_not_an_error() -> None:
    subject = patient(observations=[lab("total bilirubin", 10.2, "mg/dk")])
    result = outcome("Total bilirubin ≥ 171 μmol/L", subject)
    assert result.status.value == "review"
    assert "mg/dk" in result.reason


def test_value_at_threshold_after_conversion_is_flagged() -> None:
    subject = patient(observations=[lab("total bilirubin", 10.0, "mg/dL")])
    result = outcome("Total bilirubin ≥ 171 μmol/L", subject)
    assert result.status.value == "met"  # 10.0 × 17.1 = 171.0 with the published factor
    assert "at threshold after conversion" in result.reason


def test_stale_lab_is_unknown_and_shows_its_date() -> None:
    subject = patient(observations=[lab("total bilirubin", 10.2, "mg/dL", "2026-05-05")])
    result = outcome("Total bilirubin ≥ 171 μmol/L", subject)
    assert result.status.value == "unknown"
    assert "2026-05-05" in result.reason and result.values[0].value == 10.2


def test_data_after_the_screening_date_do_not_count() -> None:
    subject = patient(observations=[lab("total bilirubin", 10.2, "mg/dL", "2026-11-25")])
    assert status("Total bilirubin ≥ 171 μmol/L", subject) == "unknown"


def test_child_pugh_class_alone_does_not_decide_points() -> None:
    subject = patient(scores=[{"name": "child_pugh_class", "value": "C", "date": "2026-11-20"}])
    assert status("Child-Pugh score 7-12 points", subject) == "unknown"
    assert status("Child-Pugh class B or C", subject) == "met"


def test_age_over_is_review_exactly_on_the_boundary() -> None:
    assert status("Age over 18 years", patient(birth_date=born_aged(18))) == "review"
    assert status("Age over 18 years", patient(birth_date=born_aged(19))) == "met"
    assert status("Age ≥ 18 years", patient(birth_date=born_aged(18))) == "met"


def test_ages_in_months() -> None:
    subject = patient(birth_date=born_aged(0, 200))
    assert status("Aged 6-12 months", subject) == "met"
    assert status("Aged 1-5 months", subject) == "not_met"  # 200 days = 6 completed months


def test_ecog_only_karnofsky_recorded_is_review() -> None:
    subject = patient(facts={"karnofsky": {"value": 80, "date": "2026-11-20"}})
    rule = r.Compare(r.Score("ecog"), r.Op.LE, Decimal(1))
    assert evaluate(rule, PatientFacts(subject, SCREENING_DATE)).status.value == "review"


def test_censored_result_decides_only_where_every_allowed_value_agrees() -> None:
    censored = lab("PTA", 20, "%", comparator="<")
    subject = patient(observations=[censored])
    assert status("PTA < 40%", subject) == "met"
    assert status("PTA > 50%", subject) == "not_met"
    assert status("PTA > 10%", subject) == "unknown"


def test_dialysis_sessions_recorded_one_per_entry_are_pooled() -> None:
    sessions = [{"name": "haemodialysis", "dates": [day]}
                for day in ("2026-11-17T09:00", "2026-11-19T09:00")]
    subject = patient(birth_date=born_aged(45), observations=[
        lab("total bilirubin", 10.2, "mg/dL"), lab("INR", 1.8, None),
        lab("creatinine", 1.0, "mg/dL")], procedures=sessions)
    assert status("MELD score > 30", subject, "exclusion") == "met"  # 35 with dialysis


def test_stale_reason_shows_value_and_date() -> None:
    subject = patient(observations=[lab("total bilirubin", 10.2, "mg/dL", "2026-05-05")])
    reason = outcome("Total bilirubin ≥ 171 μmol/L", subject).reason
    assert "10.2 mg/dL" in reason and "2026-05-05" in reason and "stale" in reason


def test_horizons_are_configurable_per_analyte() -> None:
    from screener.facts import TimeRules

    subject = patient(observations=[lab("total bilirubin", 10.2, "mg/dL", "2026-09-01")])
    rule = compile_criterion("Total bilirubin ≥ 171 μmol/L").rule
    default = evaluate(rule, PatientFacts(subject, SCREENING_DATE))
    assert default.status.value == "met"  # 81 days old: within the default 90
    strict = TimeRules(per_item=(("total_bilirubin", 30),))
    assert evaluate(rule, PatientFacts(subject, SCREENING_DATE, strict)).status.value == "unknown"


def test_intake_example_streams_one_contract_line_per_patient(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "intake_service.py"),
         str(EXAMPLES / "liver_failure_answered.json"), str(bad),
         str(EXAMPLES / "sepsis_patient.json")], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["patient"] for line in lines] == ["EX-LIVER-02", "EX-SEPSIS-01"]
    assert "worth a call: LOCAL-liver-failure-mscs" in done.stderr
    assert "skipped: " in done.stderr and "bad.json" in done.stderr


def test_configured_trial_folder_replaces_the_bundled_library(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "TEST-1.yaml").write_text(TRIAL_YAML, encoding="utf-8")
    monkeypatch.setenv("SCREENER_TRIALS", str(tmp_path))
    assert [t.id for t in TrialLibrary.load().trials] == ["TEST-1"]
    result = run_cli(str(EXAMPLES / "liver_failure_patient.json"), "--format", "json")
    assert [t["id"] for t in json.loads(result.stdout)["trials"]] == ["TEST-1"]


@pytest.mark.parametrize("output", ["table", "json"])
def test_a_reader_that_closes_the_pipe_stops_screen_quietly(output: str) -> None:
    """`screen ... | head`: no traceback, no message, and not status 1 (rejected inputs)
    but 141, as a shell reports a tool that a closed pipe stopped."""
    env = {k: v for k, v in os.environ.items() if k != "SCREENER_DEBUG"}
    patients = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    process = subprocess.Popen(
        [sys.executable, "-m", "screener", *patients, "--format", output],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10)  # the reader takes a little, then leaves
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert stderr == b""
