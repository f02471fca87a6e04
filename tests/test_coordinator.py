"""The coordinator's view: what to collect next, the verdict table, `screen explain`,
`screen answer`, many patients at once (JSON Lines, matrix, CSV, --jobs, progress)
and pseudonymised exports.

Most tests run the CLI in-process with typer's CliRunner (SCREENER_DEBUG=1, so an
engine bug surfaces as its exception); the progress-bar tests run `python -m
screener` on a pseudo-terminal and on a pipe.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from screener.cli import app
from screener.collect import by_trials, settling_item, to_collect, with_to_collect
from screener.library import TrialLibrary
from screener.patient import patient_from_dict
from screener.results import ScreeningReport
from screener.trials import load_trial_text

DATE = "2026-01-15"
ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
LIVER_TRIAL = "LOCAL-liver-failure-mscs"

TRIAL_LAB = """\
id: TEST-LAB
title: Bilirubin test trial
status: RECRUITING
minimum_age: 18 years
maximum_age: 70 years
inclusion:
  - Written informed consent.
exclusion:
  - Total bilirubin (TBil) ≥ 171μmol/L
  - Pregnancy
"""

TRIAL_INR = """\
id: TEST-INR
title: Coagulation test trial
status: NOT_YET_RECRUITING
inclusion:
  - Prothrombin activity (PTA) between 20% and 40% (or INR between 1.5 and 2.6);
  - Total bilirubin (TBil) ≥ 171μmol/L
exclusion:
  - Patients with a MELD score \\> 30;
"""

TRIAL_OLD = """\
id: TEST-OLD
title: Trial for the young
maximum_age: 30 years
inclusion:
  - Platelet count ≥ 50×10^9/L
"""

MALE_NO_LAB = {"id": "P-MALE", "birth_date": "1970-03-01", "sex": "male"}
FEMALE_NO_LAB = {"id": "P-FEMALE", "birth_date": "1980-03-01", "sex": "female"}

runner = CliRunner()


# ---------------------------------------------------------------------------
# helpers


def run(*args: str | Path, debug: bool = True, env: dict[str, str | None] | None = None) -> Result:
    """`screen ARGS` in-process; with `debug`, an engine exception is re-raised here."""
    result = runner.invoke(
        app, [str(a) for a in args], prog_name="screen",
        env={"SCREENER_DEBUG": "1" if debug else "0", "NO_COLOR": None, **(env or {})},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def library_of(*texts: str) -> TrialLibrary:
    return TrialLibrary.from_specs(load_trial_text(text, f"trial{i}.yaml")
                                   for i, text in enumerate(texts))


def screened(library: TrialLibrary, data: dict[str, Any]) -> ScreeningReport:
    import datetime as dt

    return library.screen(patient_from_dict(data, "p"), on=dt.date.fromisoformat(DATE))


@pytest.fixture
def trials(tmp_path: Path) -> Path:
    """A folder with TEST-LAB, TEST-INR and TEST-OLD."""
    folder = tmp_path / "trials"
    folder.mkdir()
    for name, text in (("TEST-LAB", TRIAL_LAB), ("TEST-INR", TRIAL_INR), ("TEST-OLD", TRIAL_OLD)):
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------
# 1. what to collect next


def test_to_collect_counts_criteria_and_settled_trials() -> None:
    library = library_of(TRIAL_LAB, TRIAL_INR, TRIAL_OLD)
    report = with_to_collect(screened(library, MALE_NO_LAB))
    verdicts = {t.id: t.verdict.value for t in report.trials}
    assert verdicts["TEST-OLD"] == "ineligible"  # 55 years old: never counted
    items = {c.item: c for c in report.to_collect}
    assert "Platelet count" not in " ".join(items)  # only the ineligible trial needs it
    bilirubin = items["Total bilirubin"]
    # TEST-LAB exc-1; TEST-INR inc-2 and exc-1 (MELD)
    assert bilirubin.criteria == 3
    assert bilirubin.needed_by == ["TEST-LAB", "TEST-INR"]
    # TEST-LAB: a man (known not pregnant) whose only open clinical item is bilirubin
    assert bilirubin.trials == 1 and bilirubin.trial_ids == ["TEST-LAB"]
    inr = items["INR (prothrombin time, international normalized ratio)"]
    assert (inr.criteria, inr.trials, inr.trial_ids) == (2, 0, [])
    assert report.to_collect[0].item == "Total bilirubin"  # most criteria first
    counts = [c.criteria for c in report.to_collect]
    assert counts == sorted(counts, reverse=True)
    assert [c.item for c in by_trials(report.to_collect)] == ["Total bilirubin"]


def test_a_second_missing_item_means_no_single_item_settles_the_trial() -> None:
    library = library_of(TRIAL_LAB)
    report = screened(library, FEMALE_NO_LAB)  # bilirubin and pregnancy status unknown
    assert settling_item(report.trials[0]) is None
    items = {c.item: c for c in to_collect(report.trials)}
    assert items["Total bilirubin"].trials == 0
    assert items["pregnant status"].criteria == 1


def test_to_collect_is_in_the_json_report_and_validates(tmp_path: Path, trials: Path) -> None:
    from tests.test_cli import validate

    patient = write_json(tmp_path / "p.json", MALE_NO_LAB)
    result = run(patient, "--trials", trials, "--date", DATE, "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    validate(report)
    first = report["to_collect"][0]
    assert first == {"item": "Total bilirubin", "criteria": 3, "trials": 1,
                     "trial_ids": ["TEST-LAB"], "needed_by": ["TEST-LAB", "TEST-INR"]}


def test_old_reports_without_to_collect_still_load() -> None:
    report = screened(library_of(TRIAL_LAB), MALE_NO_LAB)
    data = json.loads(report.to_json())
    del data["to_collect"]
    assert ScreeningReport.model_validate(data).to_collect == []


# ---------------------------------------------------------------------------
# 2. the terminal table


def table(tmp_path: Path, trials: Path, data: dict[str, Any]) -> list[str]:
    patient = write_json(tmp_path / "p.json", data)
    result = run(patient, "--trials", trials, "--date", DATE)
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout  # plain when not a terminal
    return result.stdout.splitlines()


def test_table_states_the_data_to_collect_with_the_criteria_needing_it(
        tmp_path: Path, trials: Path) -> None:
    lines = table(tmp_path, trials, MALE_NO_LAB)
    assert lines[0] == "patient P-MALE, screened on 2026-01-15, 3 trials"
    trial_lines = [line for line in lines if line.startswith("TEST-")]
    # ranked as the report: pending confirmation, needs review, ineligible
    assert [line.split()[0] for line in trial_lines] == ["TEST-LAB", "TEST-INR", "TEST-OLD"]
    assert "needs review" in trial_lines[0] and "recruiting" in trial_lines[0]
    assert "pass  3  fail  0  open  2" in trial_lines[0]
    assert "Bilirubin test trial" in trial_lines[0]
    assert "not yet recruiting" in trial_lines[1]
    assert "ineligible" in trial_lines[2]
    inr = next(line for line in lines if "missing: INR" in line)
    assert inr.strip() == (
        "open  missing: INR (prothrombin time, international normalized ratio) not on file "
        "(needed by: inc-1 lab(pta) in [20, 40] % or lab(inr) in [1.5, 2.6]; "
        "exc-1 score(meld) > 30)")


def test_table_lists_missing_data_then_judgement_then_administrative(
        tmp_path: Path, trials: Path) -> None:
    lines = table(tmp_path, trials, MALE_NO_LAB)
    start = next(i for i, line in enumerate(lines) if line.startswith("TEST-LAB"))
    block = lines[start + 1: start + 3]
    assert block[0].strip().startswith("open  missing: Total bilirubin not on file "
                                       "(needed by: exc-1 lab(total_bilirubin) >= 171 umol/L)")
    assert block[1].strip() == "open  inc-1  administrative: Written informed consent."


def test_table_shows_the_failing_criterion_of_an_ineligible_trial(
        tmp_path: Path, trials: Path) -> None:
    lines = table(tmp_path, trials, MALE_NO_LAB)
    start = next(i for i, line in enumerate(lines) if line.startswith("TEST-OLD"))
    assert lines[start + 1].strip().startswith("fail  maximum-age  age 55 years on 2026-01-15")
    assert not lines[start + 2].startswith("    ")  # no open items listed for it


def test_table_says_when_the_value_on_file_is_stale(tmp_path: Path, trials: Path) -> None:
    stale = {**MALE_NO_LAB, "observations": [
        {"name": "total bilirubin", "value": 20, "unit": "µmol/L", "date": "2025-06-01"}]}
    lines = table(tmp_path, trials, stale)
    assert any("missing: Total bilirubin on file only from 2025-06-01 (stale)" in line
               for line in lines)


def test_table_ends_with_the_to_collect_list(tmp_path: Path, trials: Path) -> None:
    lines = table(tmp_path, trials, MALE_NO_LAB)
    start = lines.index("to collect (decides most open criteria first):")
    assert lines[start + 1].split() == ["Total", "bilirubin", "3", "criteria", "in",
                                        "TEST-LAB,", "TEST-INR"]
    settles = lines.index("settles a trial on its own (then definite or pending confirmation):")
    assert lines[settles + 1].strip() == "Total bilirubin: TEST-LAB"


def test_table_pending_confirmation_has_its_own_label(tmp_path: Path, trials: Path) -> None:
    normal = {**MALE_NO_LAB, "observations": [
        {"name": "total bilirubin", "value": 20, "unit": "µmol/L", "date": "2026-01-10"}]}
    lines = table(tmp_path, trials, normal)
    assert lines[1].startswith("TEST-LAB  eligible pending confirmation")


# ---------------------------------------------------------------------------
# 3. screen explain


def criterion_block(output: str, criterion_id: str) -> list[str]:
    """The lines of one criterion in `screen explain` output."""
    blocks = output.split("\n\n")
    return next(b for b in blocks if b.startswith(f"{criterion_id} ")).splitlines()


def test_explain_shows_the_bilirubin_value_its_conversion_and_the_comparison() -> None:
    result = run("explain", EXAMPLES / "liver_failure_patient.json", "--trial-id", LIVER_TRIAL,
                 "--date", "2026-11-21")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("patient EX-LIVER-01, screened on 2026-11-21\n")
    block = criterion_block(result.stdout, "inc-3")
    assert block[0] == "inc-3  inclusion, clinical, origin text: met → pass"
    assert block[1] == ("  text:    Total bilirubin (TBil) ≥ 171μmol/L or an increase of "
                        "≥ 17.1μmol/L per day;")
    assert block[2] == ("  rule:    lab(total_bilirubin) >= 171 umol/L or "
                        "rise(total_bilirubin, day) >= 17.1 umol/L")
    value = block[3]
    assert value.startswith("  value:   Total bilirubin: 10.2 mg/dL on 2026-11-20 → 174.42 umol/L")
    assert value.endswith("; current")
    assert block[4] == ("  reason:  Total bilirubin 174.42 umol/L on 2026-11-20; "
                        "criterion >= 171 umol/L: met")


def test_explain_shows_a_score_with_its_inputs() -> None:
    result = run("explain", EXAMPLES / "liver_failure_patient.json", "--trial-id", LIVER_TRIAL,
                 "--date", "2026-11-21")
    block = criterion_block(result.stdout, "exc-4")
    assert "  value:   MELD: 22" in block
    inputs = [line.strip() for line in block if line.strip().startswith("from:")]
    assert [line.split(":")[1].strip() for line in inputs] == [
        "Total bilirubin", "INR (prothrombin time, international normalized ratio)",
        "Creatinine (serum/plasma)", "dialysis in the week before the creatinine"]
    assert "1 mg/dL on 2026-11-20; current" in inputs[2]
    assert block[-1].startswith("  reason:  MELD 22 (no dialysis")


def test_explain_marks_stale_values_and_missing_data(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", {**MALE_NO_LAB, "observations": [
        {"name": "total bilirubin", "value": 200, "unit": "µmol/L", "date": "2025-06-01"}]})
    result = run("explain", patient, "--trial-id", "TEST-LAB", "--trials", trials,
                 "--date", DATE)
    assert result.exit_code == 0
    block = criterion_block(result.stdout, "exc-1")
    assert block[0] == "exc-1  exclusion, clinical, origin text: unknown → open"
    assert "  value:   Total bilirubin: 200 µmol/L on 2025-06-01; stale (older than 90 days)" \
        in block
    assert "  missing: Total bilirubin" in block


def test_freshness_follows_the_time_rules() -> None:
    import datetime as dt

    from screener.explain import horizon_days, is_stale
    from screener.facts import TimeRules
    from screener.results import ValueUsed

    rules = TimeRules(per_item=(("total_bilirubin", 10), ("pregnancy", 3)))
    assert horizon_days("Total bilirubin", rules) == 10
    assert horizon_days("Creatinine (serum/plasma)", rules) == 90
    assert horizon_days("pregnant status", rules) == 3
    assert horizon_days("life expectancy", rules) == 90
    assert horizon_days("age", rules) is None  # no freshness rule
    on = dt.date(2026, 1, 15)
    bilirubin = ValueUsed(name="Total bilirubin", value=20.0, date=dt.date(2026, 1, 1))
    assert is_stale(bilirubin, on, rules) is True
    assert is_stale(bilirubin, on) is False
    assert is_stale(ValueUsed(name="sex", value="male"), on) is None


def test_explain_unknown_trial_exits_2_naming_the_trials(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", MALE_NO_LAB)
    result = run("explain", patient, "--trial-id", "NOPE", "--trials", trials)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "screen explain: no trial 'NOPE' in the library" in result.stderr
    assert "TEST-LAB" in result.stderr


# ---------------------------------------------------------------------------
# 4. screen answer

NORMAL_BILIRUBIN = {**MALE_NO_LAB, "observations": [
    {"name": "total bilirubin", "value": 20.50, "unit": "µmol/L", "date": "2026-01-10"}]}


def answer(patient: Path, trials: Path, *args: str) -> Result:
    return run("answer", patient, "--trials", trials, *args)


def lab_trial(report: dict[str, Any]) -> dict[str, Any]:
    return next(t for t in report["trials"] if t["id"] == "TEST-LAB")


def test_an_answer_makes_the_verdict_definite_and_shows_who_and_when(
        tmp_path: Path, trials: Path) -> None:
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps(NORMAL_BILIRUBIN).replace("20.5", "20.50"), encoding="utf-8")
    before = json.loads(run(patient, "--trials", trials, "--date", DATE,
                            "--format", "json").stdout)
    assert lab_trial(before)["verdict"] == "needs_review"
    assert lab_trial(before)["pending_confirmation"]

    result = answer(patient, trials, "--trial-id", "TEST-LAB", "--criterion", "inc-1", "--met",
                    "--by", "A. Coordinator", "--date", "2026-01-14", "--note", "signed")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"recorded in {patient}: TEST-LAB inc-1 met by A. Coordinator "
                             "on 2026-01-14 (signed)\n")

    after = json.loads(run(patient, "--trials", trials, "--date", DATE,
                           "--format", "json").stdout)
    trial = lab_trial(after)
    assert trial["verdict"] == "eligible"
    consent = next(c for c in trial["criteria"] if c["id"] == "inc-1")
    assert consent["answer"] == {"status": "met", "by": "A. Coordinator", "on": "2026-01-14"}
    assert consent["reason"].startswith("answered met by A. Coordinator on 2026-01-14 (signed)")
    table = run(patient, "--trials", trials, "--date", DATE).stdout
    assert "TEST-LAB  eligible" in table
    assert "    answered  inc-1  met by A. Coordinator on 2026-01-14" in table.splitlines()


def test_the_patient_file_keeps_everything_else(tmp_path: Path, trials: Path) -> None:
    original = {"id": "P-KEEP", "sex": "male", "birth_date": "1970-03-01",
                "observations": [{"name": "total bilirubin", "value": "VALUE", "unit": "µmol/L",
                                  "date": "2026-01-10"}],
                "facts": {}, "answers": [
                    {"trial": "OTHER", "criterion": "inc-9", "answer": "met", "by": "Z"}]}
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps(original, ensure_ascii=False).replace('"VALUE"', "20.50"),
                       encoding="utf-8")
    result = answer(patient, trials, "--trial-id", "TEST-LAB", "--criterion", "exc-2",
                    "--not-met", "--by", "Dr B", "--date", "2026-01-14")
    assert result.exit_code == 0, result.stderr
    text = patient.read_text(encoding="utf-8")
    assert '"value": 20.50,' in text  # the number as written: its decimals matter
    assert '"unit": "µmol/L"' in text
    assert text.endswith("}\n") and '\n  "sex": "male",\n' in text  # 2-space indent
    written = json.loads(text)
    assert list(written) == list(original)  # same keys, same order
    assert written["answers"] == [
        original["answers"][0],
        {"trial": "TEST-LAB", "criterion": "exc-2", "answer": "not_met", "by": "Dr B",
         "date": "2026-01-14"},
    ]


def test_answering_again_replaces_the_earlier_answer(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", NORMAL_BILIRUBIN)
    args = ("--trial-id", "TEST-LAB", "--criterion", "inc-1", "--by")
    assert answer(patient, trials, *args, "A", "--met", "--date", "2026-01-13").exit_code == 0
    again = answer(patient, trials, *args, "B", "--not-met", "--date", "2026-01-14")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[1] == (
        "replaced the earlier answer: TEST-LAB inc-1 met by A on 2026-01-13")
    answers = json.loads(patient.read_text(encoding="utf-8"))["answers"]
    assert answers == [{"trial": "TEST-LAB", "criterion": "inc-1", "answer": "not_met",
                        "by": "B", "date": "2026-01-14"}]
    report = json.loads(run(patient, "--trials", trials, "--date", DATE,
                            "--format", "json").stdout)
    assert lab_trial(report)["verdict"] == "ineligible"


@pytest.mark.parametrize(("trial_id", "criterion", "message"), [
    ("NOPE", "inc-1", "screen answer: no trial 'NOPE' in the library (trials: "),
    ("TEST-LAB", "inc-9", "screen answer: trial TEST-LAB has no criterion 'inc-9' "
                          "(criteria: minimum-age, maximum-age, inc-1, exc-1, exc-2)"),
])
def test_unknown_trial_or_criterion_is_refused(tmp_path: Path, trials: Path, trial_id: str,
                                               criterion: str, message: str) -> None:
    patient = write_json(tmp_path / "p.json", NORMAL_BILIRUBIN)
    before = patient.read_bytes()
    result = answer(patient, trials, "--trial-id", trial_id, "--criterion", criterion,
                    "--met", "--by", "A")
    assert result.exit_code == 2
    assert message in result.stderr
    assert patient.read_bytes() == before
    assert not list(tmp_path.glob("*.answers.json"))


def test_met_or_not_met_is_required(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", NORMAL_BILIRUBIN)
    result = answer(patient, trials, "--trial-id", "TEST-LAB", "--criterion", "inc-1",
                    "--by", "A")
    assert result.exit_code == 2
    assert "give --met or --not-met" in result.stderr


@pytest.mark.parametrize(("name", "content", "message"), [
    ("broken.json", '{"id": "P",', "invalid JSON at line 1"),
    ("typo.json", '{"id": "P", "sexx": "male"}', "sexx: unknown field"),
    ("many.jsonl", '{"id": "P"}\n', "a JSON Lines file holds many patients"),
    ("list.json", "[]", "expected a JSON object"),
])
def test_a_file_that_cannot_take_an_answer_is_refused(tmp_path: Path, trials: Path, name: str,
                                                      content: str, message: str) -> None:
    patient = tmp_path / name
    patient.write_text(content, encoding="utf-8")
    result = answer(patient, trials, "--trial-id", "TEST-LAB", "--criterion", "inc-1",
                    "--met", "--by", "A")
    assert result.exit_code == 2
    assert message in result.stderr and "nothing recorded" in result.stderr
    assert patient.read_text(encoding="utf-8") == content


FHIR_BUNDLE = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"resource": {"resourceType": "Patient", "id": "F-1", "gender": "male",
                  "birthDate": "1970-03-01"}}]}


def test_a_fhir_bundle_gets_a_sidecar(tmp_path: Path, trials: Path) -> None:
    from screener.answers import answers_for, sidecar_path

    bundle = write_json(tmp_path / "bundle.json", FHIR_BUNDLE)
    before = bundle.read_bytes()
    result = answer(bundle, trials, "--trial-id", "TEST-LAB", "--criterion", "inc-1", "--met",
                    "--by", "A", "--date", "2026-01-14")
    assert result.exit_code == 0, result.stderr
    sidecar = tmp_path / "bundle.answers.json"
    assert sidecar_path(bundle) == sidecar
    assert result.stdout.startswith(f"recorded in {sidecar} (sidecar of {bundle}): ")
    assert bundle.read_bytes() == before  # the export is never edited
    assert json.loads(sidecar.read_text(encoding="utf-8")) == {"answers": [
        {"trial": "TEST-LAB", "criterion": "inc-1", "answer": "met", "by": "A",
         "date": "2026-01-14"}]}
    assert [(a.criterion, a.by) for a in answers_for(bundle)] == [("inc-1", "A")]
    again = answer(bundle, trials, "--trial-id", "TEST-LAB", "--criterion", "inc-1",
                   "--not-met", "--by", "B")
    assert "replaced the earlier answer" in again.stdout
    assert [(a.answer, a.by) for a in answers_for(bundle)] == [("not_met", "B")]


def test_a_fhir_patient_screens_with_the_answers_of_its_sidecar(tmp_path: Path) -> None:
    """The whole round trip on a FHIR bundle: answer, then screen and explain."""
    pytest.importorskip("screener.fhir")
    example = EXAMPLES / "liver_failure_patient.fhir.json"
    if not example.is_file():
        pytest.skip("no FHIR example patient")
    bundle = tmp_path / example.name
    bundle.write_bytes(example.read_bytes())
    recorded = run("answer", bundle, "--trial-id", LIVER_TRIAL, "--criterion", "inc-2",
                   "--met", "--by", "Dr X", "--date", "2026-11-21")
    assert recorded.exit_code == 0, recorded.stderr
    assert (tmp_path / "liver_failure_patient.fhir.answers.json").is_file()
    assert bundle.read_bytes() == example.read_bytes()
    report = json.loads(run(bundle, "--date", "2026-11-21", "--format", "json").stdout)
    trial = next(t for t in report["trials"] if t["id"] == LIVER_TRIAL)
    answered = next(c for c in trial["criteria"] if c["id"] == "inc-2")
    assert answered["answer"] == {"status": "met", "by": "Dr X", "on": "2026-11-21"}


def test_the_cli_merges_a_sidecar_into_the_patient(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", {**NORMAL_BILIRUBIN, "answers": [
        {"trial": "TEST-LAB", "criterion": "inc-1", "answer": "not_met", "by": "old"}]})
    write_json(tmp_path / "p.answers.json", {"answers": [
        {"trial": "TEST-LAB", "criterion": "inc-1", "answer": "met", "by": "sidecar",
         "date": "2026-01-14"}]})
    report = json.loads(run(patient, "--trials", trials, "--date", DATE,
                            "--format", "json").stdout)
    trial = lab_trial(report)
    assert trial["verdict"] == "eligible"  # the sidecar's answer wins
    consent = next(c for c in trial["criteria"] if c["id"] == "inc-1")
    assert consent["answer"]["by"] == "sidecar"
    explained = run("explain", patient, "--trial-id", "TEST-LAB", "--trials", trials,
                    "--date", DATE).stdout
    assert "  answer:  met by sidecar on 2026-01-14" in explained.splitlines()


def test_a_bad_sidecar_is_an_input_error(tmp_path: Path, trials: Path) -> None:
    patient = write_json(tmp_path / "p.json", NORMAL_BILIRUBIN)
    sidecar = write_json(tmp_path / "p.answers.json", {"answers": [{"trial": "TEST-LAB"}]})
    result = run(patient, "--trials", trials, "--date", DATE, debug=False)
    assert result.exit_code == 2
    assert f"{sidecar}: answers[0].criterion: " in result.stderr


# ---------------------------------------------------------------------------
# 5. many patients


def screen_out(*args: str | Path, debug: bool = True,
               env: dict[str, str | None] | None = None) -> Result:
    return run(*args, "--date", DATE, debug=debug, env=env)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two patients, a sidecar answering for the second, and a file that is not JSON."""
    place = tmp_path / "patients"
    place.mkdir()
    write_json(place / "a.json", MALE_NO_LAB)
    write_json(place / "b.json", NORMAL_BILIRUBIN | {"id": "P-NORMAL"})
    write_json(place / "b.answers.json", {"answers": [
        {"trial": "TEST-LAB", "criterion": "inc-1", "answer": "met", "by": "A"}]})
    (place / "notes.txt").write_text("not a patient", encoding="utf-8")
    return place


def json_lines(tmp_path: Path, *records: str) -> Path:
    path = tmp_path / "more.jsonl"
    path.write_text("\n".join(records) + "\n", encoding="utf-8")
    return path


def six_more(tmp_path: Path) -> Path:
    """A JSON Lines file of six more patients."""
    return json_lines(tmp_path, *(json.dumps(FEMALE_NO_LAB | {"id": f"P-{i}"})
                                  for i in range(6)))


def test_folders_and_json_lines_give_one_json_line_per_patient(
        tmp_path: Path, trials: Path, folder: Path) -> None:
    from tests.test_cli import validate

    lines = json_lines(tmp_path, json.dumps(FEMALE_NO_LAB), "",
                       json.dumps(MALE_NO_LAB | {"id": "P-JSONL"}))
    result = screen_out(folder, lines, "--trials", trials, "--format", "json")
    assert result.exit_code == 0, result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["patient"] for r in reports] == ["P-MALE", "P-NORMAL", "P-FEMALE", "P-JSONL"]
    for report in reports:
        validate(report)
    assert lab_trial(reports[1])["verdict"] == "eligible"  # b.answers.json merged, not screened


def test_one_folder_of_one_patient_still_gives_json_lines(tmp_path: Path, trials: Path) -> None:
    place = tmp_path / "one"
    place.mkdir()
    write_json(place / "only.json", MALE_NO_LAB)
    result = screen_out(place, "--trials", trials, "--format", "json")
    assert len(result.stdout.splitlines()) == 1
    assert json.loads(result.stdout)["patient"] == "P-MALE"


def test_json_lines_problems_name_the_file_and_line(tmp_path: Path, trials: Path) -> None:
    lines = json_lines(tmp_path, json.dumps(MALE_NO_LAB), '{"id": "P-2",', '{"sex": "male"}')
    result = screen_out(lines, "--trials", trials, "--format", "json", debug=False)
    assert result.exit_code == 1
    assert f"{lines}:2: invalid JSON at column 14: Expecting property name" in result.stderr
    assert f"{lines}:3: id: required field missing" in result.stderr
    (report,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in report["rejected"]] == [f"{lines}:2", f"{lines}:3"]


def test_a_malformed_patient_is_rejected_and_the_rest_go_on(
        tmp_path: Path, trials: Path, folder: Path) -> None:
    (folder / "c.json").write_text('{"id": "P-C", "sex": "mail"}', encoding="utf-8")
    result = screen_out(folder, "--trials", trials, "--format", "json", debug=False)
    assert result.exit_code == 1
    assert f"{folder / 'c.json'}: sex: " in result.stderr
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["patient"] for r in reports] == ["P-MALE", "P-NORMAL"]
    assert all(r["rejected"][0]["source"] == str(folder / "c.json") for r in reports)


def test_a_fhir_bulk_data_folder_gives_its_patients(tmp_path: Path, trials: Path) -> None:
    pytest.importorskip("screener.fhir")
    export = tmp_path / "export"
    export.mkdir()
    patients = [{"resourceType": "Patient", "id": "p1", "gender": "male",
                 "birthDate": "1970-03-01"},
                {"resourceType": "Patient", "id": "p2", "gender": "female",
                 "birthDate": "1990-03-01"}]
    (export / "Patient.ndjson").write_text("\n".join(map(json.dumps, patients)) + "\n",
                                           encoding="utf-8")
    result = screen_out(export, "--trials", trials, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == ["p1", "p2"]


def test_an_empty_folder_is_reported(tmp_path: Path, trials: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = screen_out(empty, "--trials", trials, debug=False)
    assert result.exit_code == 2
    assert f"{empty}: no patient files (*.json) in it" in result.stderr


def test_csv_has_one_verdict_column_per_trial(tmp_path: Path, trials: Path,
                                              folder: Path) -> None:
    result = screen_out(folder, "--trials", trials, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "patient,TEST-INR,TEST-LAB,TEST-OLD",
        "P-MALE,needs_review,needs_review,ineligible",
        "P-NORMAL,ineligible,eligible,ineligible",  # bilirubin 20.5 µmol/L < 171
    ]


def test_matrix_shows_patients_by_trials_with_totals(tmp_path: Path, trials: Path,
                                                     folder: Path) -> None:
    normal = write_json(tmp_path / "n.json", NORMAL_BILIRUBIN | {"id": "P-PENDING"})
    result = screen_out(folder, normal, "--trials", trials, "--format", "matrix")
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if line]
    assert rows[:4] == [
        ["patient", "TEST-INR", "TEST-LAB", "TEST-OLD"],
        ["P-MALE", "review", "review", "ineligible"],
        ["P-NORMAL", "ineligible", "eligible", "ineligible"],
        ["P-PENDING", "ineligible", "pending", "ineligible"],
    ]
    assert rows[4:9] == [["eligible", "0", "1", "0"], ["pending", "0", "1", "0"],
                         ["review", "1", "1", "0"], ["ineligible", "2", "0", "3"],
                         ["pending", "=", "eligible", "pending", "confirmation;", "review", "=",
                          "needs", "review"]]


@pytest.mark.parametrize("output", ["json", "csv", "table"])
def test_jobs_give_the_same_output_as_one_process(tmp_path: Path, trials: Path, folder: Path,
                                                  output: str) -> None:
    more = six_more(tmp_path)
    alone = screen_out(folder, more, "--trials", trials, "--format", output)
    parallel = screen_out(folder, more, "--trials", trials, "--format", output, "--jobs", "3")
    assert alone.exit_code == parallel.exit_code == 0
    assert parallel.stdout == alone.stdout
    assert len(alone.stdout.splitlines()) >= 8


def test_jobs_must_be_positive(folder: Path, trials: Path) -> None:
    result = screen_out(folder, "--trials", trials, "--jobs", "0")
    assert result.exit_code == 2
    assert "--jobs" in result.stderr


# ---------------------------------------------------------------------------
# the progress bar: on a terminal, never on a pipe

BAR = "━"


def python_m_on_terminal(*args: str | Path) -> tuple[int, str]:
    """`python -m screener ARGS` with stdin, stdout and stderr on a pseudo-terminal."""
    import os
    import pty
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "SCREENER_DEBUG")}
    env["TERM"] = "xterm"
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "screener", *map(str, args)],
                               stdin=follower, stdout=follower, stderr=follower, env=env,
                               close_fds=True)
    os.close(follower)
    captured = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        captured += chunk
    os.close(leader)
    return process.wait(timeout=120), captured.decode("utf-8", "replace")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_progress_bar_on_a_terminal(tmp_path: Path, trials: Path, folder: Path,
                                      jobs: str) -> None:
    code, output = python_m_on_terminal(folder, six_more(tmp_path), "--trials", trials,
                                        "--date", DATE, "--format", "csv", "--jobs", jobs)
    assert code == 0, output
    assert BAR in output
    assert "screening" in output and "8/8" in output
    assert "P-NORMAL,ineligible,eligible,ineligible" in output


def test_no_progress_output_on_a_pipe(tmp_path: Path, trials: Path, folder: Path) -> None:
    from tests.test_cli import python_m

    done = python_m(folder, six_more(tmp_path), "--trials", trials, "--date", DATE,
                    "--format", "csv")
    assert done.returncode == 0
    assert done.stderr == ""
    assert BAR not in done.stdout and "\x1b[" not in done.stdout
    assert done.stdout.splitlines()[0] == "patient,TEST-INR,TEST-LAB,TEST-OLD"


# ---------------------------------------------------------------------------
# the generated population

GENERATOR = ROOT / "scripts" / "generate_population.py"
VERDICT_CODES = {"eligible", "pending_confirmation", "needs_review", "ineligible"}


def generate(out: Path, count: int, seed: int) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, str(GENERATOR), "--count", str(count), "--seed",
                           str(seed), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {count} patients and 3 malformed files to {out}\n"


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("population")
    generate(out, 24, seed=11)
    return out


def test_the_population_gives_every_verdict_for_every_seed_trial(population: Path) -> None:
    result = run(population, "--format", "csv", debug=False)
    assert result.exit_code == 1  # the malformed files are rejected, the rest screened
    rejected = sorted(line.split(":")[0] for line in result.stderr.splitlines())
    assert rejected == [str(population / f"malformed-{i}.json") for i in (1, 2, 3)]
    header, *rows = [line.split(",") for line in result.stdout.splitlines()]
    assert len(rows) == 24
    seed_trials = sorted(t.id for t in TrialLibrary.load(ROOT / "rules").trials)
    assert sorted(header[1:]) == seed_trials
    for column, trial_id in enumerate(header[1:], start=1):
        assert {row[column] for row in rows} == VERDICT_CODES, trial_id


def test_the_population_is_reproducible(population: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(again, 24, seed=11)
    names = sorted(p.name for p in population.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert all((population / n).read_bytes() == (again / n).read_bytes() for n in names)


# ---------------------------------------------------------------------------
# 6. pseudonyms

KEY = "a key kept by the data manager"


def pseudonym(patient_id: str, key: str = KEY) -> str:
    import hashlib
    import hmac

    return "psn-" + hmac.new(key.encode(), patient_id.encode(), hashlib.sha256).hexdigest()[:16]


@pytest.mark.parametrize("output", ["json", "csv", "matrix", "table"])
def test_pseudonymise_replaces_the_patient_id_everywhere(trials: Path, folder: Path,
                                                         output: str) -> None:
    result = screen_out(folder, "--trials", trials, "--format", output, "--pseudonymise",
                        env={"SCREENER_PSEUDONYM_KEY": KEY})
    assert result.exit_code == 0
    assert result.stderr == ""
    for patient_id in ("P-MALE", "P-NORMAL"):
        assert patient_id not in result.stdout
        assert pseudonym(patient_id) in result.stdout
    if output == "json":
        reports = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["patient"] for r in reports] == [pseudonym("P-MALE"), pseudonym("P-NORMAL")]
    if output == "table":
        assert result.stdout.startswith(f"patient {pseudonym('P-MALE')}, screened on")


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys(trials: Path,
                                                                 folder: Path) -> None:
    def ids(key: str | None) -> tuple[list[str], str]:
        result = screen_out(folder, "--trials", trials, "--format", "csv", "--pseudonymise",
                            env={"SCREENER_PSEUDONYM_KEY": key})
        return [line.split(",")[0] for line in result.stdout.splitlines()[1:]], result.stderr

    first, _ = ids(KEY)
    assert ids(KEY)[0] == first
    assert ids("another key")[0] != first
    unkeyed, warning = ids(None)
    assert warning == ("warning: SCREENER_PSEUDONYM_KEY is not set: pseudonyms use a random "
                       "key for this run only and will not match those of another run\n")
    assert unkeyed != first and unkeyed != ids(None)[0]
    assert all(len(i) == 20 and i.startswith("psn-") for i in unkeyed)


@pytest.mark.parametrize("output", ["json", "table"])
def test_pseudonymise_replaces_rejected_patient_file_names(population: Path,
                                                           output: str) -> None:
    """A patient file's name may carry its patient id: the export keys it like one; the
    operator's standard error still names the file."""
    result = run(population, "--format", output, "--pseudonymise", debug=False,
                 env={"SCREENER_PSEUDONYM_KEY": KEY})
    assert result.exit_code == 1
    assert "malformed" not in result.stdout
    keyed = [pseudonym(str(population / f"malformed-{i}.json")) for i in (1, 2, 3)]
    if output == "json":
        for line in result.stdout.splitlines():
            sources = {r["source"] for r in json.loads(line)["rejected"]}
            assert sources == set(keyed)
    else:
        assert all(name in result.stdout for name in keyed)
    assert "malformed-1.json" in result.stderr


def test_no_patient_data_reach_standard_error(population: Path) -> None:
    """Messages name files and fields only; a pseudonymised run shows no patient id."""
    result = run(population, "--format", "json", "--pseudonymise", debug=False,
                 env={"SCREENER_PSEUDONYM_KEY": KEY})
    assert result.exit_code == 1
    assert "GEN-0" not in result.stdout
    assert len(result.stderr.splitlines()) == 3  # the three malformed files, nothing else
    assert "GEN-0" not in result.stderr and "BAD-" not in result.stderr
