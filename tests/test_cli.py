"""End-to-end tests of the `screen` command line (screener/cli.py).

A few run `python -m screener` in a subprocess; the rest use typer's CliRunner
with SCREENER_DEBUG=1, so a bug in the engine surfaces as its exception rather
than as exit status 2. Trials and patients are written to tmp_path, so the
results do not depend on the bundled library, except for the structural test
against it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from screener.cli import app
from screener.library import TrialLibrary
from screener.schema import SCHEMA_FILE, report_schema, schema_text

DATE = "2026-01-15"

TRIAL_LAB = """\
id: TEST-LAB
title: Bilirubin test trial
minimum_age: 18 years
maximum_age: 70 years
inclusion:
  - text: Aged 18-70 years.
    rewrite: age in [18, 70] years
  - Written informed consent.
exclusion:
  - Total bilirubin (TBil) ≥ 171μmol/L
  - Pregnancy
"""

TRIAL_TEXT = """\
id: TEST-TEXT
title: Text-only test trial
inclusion:
  - Aged 18-70 years.
  - Platelet count ≥ 50×10^9/L
exclusion:
  - Total bilirubin (TBil) ≥ 171μmol/L
  - Pregnancy
"""

MALFORMED_TRIAL = "id: TEST-BAD\ntitle: [unclosed\n"

PATIENT_OK = {  # 55 years old, male, normal bilirubin: only informed consent stays open
    "id": "P-OK",
    "birth_date": "1970-03-01",
    "sex": "male",
    "observations": [
        {"name": "total bilirubin", "value": 20, "unit": "µmol/L", "date": "2026-01-10"}
    ],
}
PATIENT_OLD = {"id": "P-OLD", "birth_date": "1940-03-01", "sex": "male"}
PATIENT_NO_LAB = {"id": "P-NOLAB", "birth_date": "1980-03-01", "sex": "female"}

runner = CliRunner()


# ---------------------------------------------------------------------------
# helpers


def run(*args: str | Path, debug: bool = True) -> Result:
    """Run `screen ARGS` in-process; with `debug`, an engine exception is re-raised here."""
    result = runner.invoke(
        app, [str(a) for a in args], prog_name="screen",
        env={"SCREENER_DEBUG": "1" if debug else "0", "NO_COLOR": None},
    )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def python_m(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCREENER_DEBUG"}
    return subprocess.run(
        [sys.executable, "-m", "screener", *map(str, args)],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def validate(report: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(report_schema()).validate(report)


@pytest.fixture
def trials(tmp_path: Path) -> Path:
    """A folder holding the test trial TEST-LAB."""
    folder = tmp_path / "trials"
    folder.mkdir()
    (folder / "TEST-LAB.yaml").write_text(TRIAL_LAB, encoding="utf-8")
    return folder


@pytest.fixture
def patient(tmp_path: Path) -> Path:
    return write_json(tmp_path / "p-ok.json", PATIENT_OK)


def screen_json(*args: str | Path) -> tuple[Result, dict[str, Any]]:
    result = run(*args, "--date", DATE, "--format", "json")
    return result, json.loads(result.stdout)


def trial_of(report: dict[str, Any], trial_id: str) -> dict[str, Any]:
    return next(t for t in report["trials"] if t["id"] == trial_id)


# ---------------------------------------------------------------------------
# python -m screener


def test_python_m_screens_a_patient(patient: Path, trials: Path) -> None:
    done = python_m(patient, "--trials", trials, "--date", DATE, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    validate(report)
    assert report["patient"] == "P-OK"
    assert report["screened_on"] == DATE
    assert [t["id"] for t in report["trials"]] == ["TEST-LAB"]


def test_python_m_help_lists_the_subcommands() -> None:
    done = python_m("--help")
    assert done.returncode == 0
    assert "Usage: screen" in done.stdout
    assert "PATIENT.json" in done.stdout
    assert "compile" in done.stdout
    assert "--trials" in done.stdout


def test_python_m_bad_patient_json_exits_2_without_traceback(tmp_path: Path,
                                                             trials: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"id": "P-1",\n "sex": }', encoding="utf-8")
    done = python_m(bad, "--trials", trials, "--date", DATE)
    assert done.returncode == 2
    assert str(bad) in done.stderr
    assert "invalid JSON at line 2" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


# ---------------------------------------------------------------------------
# routing: `screen PATIENT.json` next to `screen compile`


def test_route_patient(patient: Path, trials: Path) -> None:
    result = run(patient, "--trials", trials, "--date", DATE)
    assert result.exit_code == 0
    assert "patient P-OK" in result.stdout
    assert "TEST-LAB" in result.stdout


def test_route_patient_then_format(patient: Path, trials: Path) -> None:
    result = run(patient, "--format", "json", "--trials", trials, "--date", DATE)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient"] == "P-OK"


def test_route_format_then_patient(patient: Path, trials: Path) -> None:
    result = run("--format", "json", patient, "--trials", trials, "--date", DATE)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient"] == "P-OK"


def test_route_compile(trials: Path) -> None:
    result = run("compile", "--trials", trials)
    assert result.exit_code == 0
    assert result.stdout.startswith("TEST-LAB  Bilirubin test trial")
    assert "coverage:" in result.stdout


def test_route_compile_json(trials: Path) -> None:
    result = run("compile", "--format", "json", "--trials", trials)
    assert result.exit_code == 0
    assert set(json.loads(result.stdout)) == {"trials", "summary"}


def test_route_options_before_the_subcommand(trials: Path) -> None:
    """`--trials DIR` is an option and its value: `compile` after it is the subcommand."""
    result = run("--trials", trials, "--format", "json", "compile")
    assert result.exit_code == 0
    assert [t["id"] for t in json.loads(result.stdout)["trials"]] == ["TEST-LAB"]


def test_route_help() -> None:
    result = run("--help")
    assert result.exit_code == 0
    assert "Usage: screen [OPTIONS] PATIENT.json..." in result.stdout
    assert "compile" in result.stdout
    assert "--date" in result.stdout


def test_route_compile_help() -> None:
    result = run("compile", "--help")
    assert result.exit_code == 0
    assert "Usage: screen compile [OPTIONS]" in result.stdout
    assert "--date" not in result.stdout


def test_route_patient_help_reads_as_screen() -> None:
    result = run("p.json", "--help")
    assert result.exit_code == 0
    assert "Usage: screen [OPTIONS] PATIENT.json..." in result.stdout


def test_route_patient_file_named_compile_json(tmp_path: Path, trials: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_json(tmp_path / "compile.json", PATIENT_OK)
    monkeypatch.chdir(tmp_path)
    result = run("compile.json", "--trials", trials, "--date", DATE, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient"] == "P-OK"


@pytest.mark.parametrize("spelling", [["--", "compile"], ["./compile"]])
def test_route_patient_file_named_compile(tmp_path: Path, trials: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          spelling: list[str]) -> None:
    write_json(tmp_path / "compile", PATIENT_OK)
    monkeypatch.chdir(tmp_path)
    result = run("--trials", trials, "--date", DATE, "--format", "json", *spelling)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["patient"] == "P-OK"


def test_no_arguments_is_a_usage_error() -> None:
    result = run()
    assert result.exit_code == 2
    assert "PATIENT.json" in result.stderr


# ---------------------------------------------------------------------------
# screening output


def test_json_report_validates_and_decides(tmp_path: Path, trials: Path) -> None:
    old = write_json(tmp_path / "old.json", PATIENT_OLD)
    result, report = screen_json(old, "--trials", trials)
    assert result.exit_code == 0  # a verdict of ineligible is still a successful screening
    validate(report)
    trial = trial_of(report, "TEST-LAB")
    assert trial["verdict"] == "ineligible"
    failed = {c["id"] for c in trial["criteria"] if c["effect"] == "fail"}
    assert {"maximum-age", "inc-1"} <= failed


def test_table_shows_verdicts_reasons_and_missing_data(tmp_path: Path, trials: Path) -> None:
    ok = write_json(tmp_path / "ok.json", PATIENT_OK)
    no_lab = write_json(tmp_path / "no-lab.json", PATIENT_NO_LAB)
    result = run(ok, no_lab, "--trials", trials, "--date", DATE)
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b[" not in out  # no colour codes when not a terminal
    first, second = out.split("\n\n")
    assert "patient P-OK, screened on 2026-01-15, 1 trial" in first
    assert "TEST-LAB  eligible pending confirmation" in first
    assert "open  inc-2" in first  # informed consent, with its reason
    assert "needs review" in second
    lines = second.splitlines()
    missing = [i for i, line in enumerate(lines) if "missing:" in line]
    consent = next(i for i, line in enumerate(lines) if "inc-2" in line)
    assert missing and max(missing) < consent  # missing data listed first
    assert any("exc-1" in lines[i] for i in missing)


def test_date_option_overrides_the_patient_screening_date(tmp_path: Path,
                                                          trials: Path) -> None:
    dated = write_json(tmp_path / "dated.json", {**PATIENT_OK, "screening_date": "2020-06-01"})
    _, report = screen_json(dated, "--trials", trials)
    assert report["screened_on"] == DATE
    report = json.loads(run(dated, "--trials", trials, "--format", "json").stdout)
    assert report["screened_on"] == "2020-06-01"


def test_no_date_at_all_means_today(patient: Path, trials: Path) -> None:
    report = json.loads(run(patient, "--trials", trials, "--format", "json").stdout)
    assert report["screened_on"] == dt.date.today().isoformat()


# ---------------------------------------------------------------------------
# exit codes


def test_bad_patient_field_exits_2_naming_file_and_field(tmp_path: Path, trials: Path) -> None:
    typo = write_json(tmp_path / "typo.json", {
        "id": "P-T", "observations": [{"nmae": "INR", "value": 1.2, "date": "2026-01-01"}],
    })
    result = run(typo, "--trials", trials, "--date", DATE, debug=False)
    assert result.exit_code == 2
    assert f"{typo}: observations[0].nmae:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_missing_patient_file_exits_2(tmp_path: Path, trials: Path) -> None:
    result = run(tmp_path / "nobody.json", "--trials", trials, debug=False)
    assert result.exit_code == 2
    assert "nobody.json: file not found" in result.stderr


def test_bad_date_is_a_usage_error(patient: Path, trials: Path) -> None:
    for date in ("2026-02-30", "15/01/2026"):
        result = run(patient, "--trials", trials, "--date", date)
        assert result.exit_code == 2
        assert "--date" in result.stderr
        assert "Traceback" not in result.stderr


def test_malformed_trial_among_good_ones_exits_1(patient: Path, trials: Path) -> None:
    bad = trials / "TEST-BAD.yaml"
    bad.write_text(MALFORMED_TRIAL, encoding="utf-8")
    result, report = screen_json(patient, "--trials", trials)
    assert result.exit_code == 1
    validate(report)
    assert [t["id"] for t in report["trials"]] == ["TEST-LAB"]
    assert [r["source"] for r in report["rejected"]] == [str(bad)]
    assert report["rejected"][0]["message"].startswith("invalid YAML at line")
    assert f"{bad}: invalid YAML" in result.stderr
    table = run(patient, "--trials", trials, "--date", DATE)
    assert table.exit_code == 1
    assert "rejected inputs:" in table.stdout
    assert str(bad) in table.stdout.split("rejected inputs:")[1]


def test_trial_file_with_a_bad_field_is_named(patient: Path, trials: Path) -> None:
    bad = trials / "TEST-SEX.yaml"
    bad.write_text("id: TEST-SEX\ntitle: Bad sex\nsex: both\n", encoding="utf-8")
    result, report = screen_json(patient, "--trials", trials)
    assert result.exit_code == 1
    assert report["rejected"] == [
        {"source": str(bad), "field": "sex", "message": report["rejected"][0]["message"]}
    ]
    assert f"{bad}: sex: " in result.stderr


def test_nonexistent_trials_path_alone_exits_2(patient: Path, tmp_path: Path) -> None:
    """A missing --trials path is a usage error: nothing is left to screen against."""
    missing = tmp_path / "no-such-folder"
    result = run(patient, "--trials", missing, "--date", DATE)
    assert result.exit_code == 2
    assert f"{missing}: no such file or folder" in result.stderr
    assert result.stdout == ""


def test_nonexistent_trials_path_beside_a_good_one_exits_1(patient: Path, trials: Path,
                                                           tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file.yaml"
    result, report = screen_json(patient, "--trials", missing, "--trials", trials)
    assert result.exit_code == 1
    assert [t["id"] for t in report["trials"]] == ["TEST-LAB"]
    assert report["rejected"][0]["source"] == str(missing)


def test_two_patients_one_malformed_exits_1_with_json_lines(tmp_path: Path,
                                                            trials: Path) -> None:
    good = write_json(tmp_path / "good.json", PATIENT_OK)
    bad = write_json(tmp_path / "bad.json", {"sex": "male"})  # no id
    result = run(bad, good, "--trials", trials, "--date", DATE, "--format", "json")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 1  # JSON Lines: one report, on one line
    report = json.loads(lines[0])
    validate(report)
    assert report["patient"] == "P-OK"
    assert report["rejected"] == [{"source": str(bad), "field": "id",
                                   "message": report["rejected"][0]["message"]}]
    assert f"{bad}: id: " in result.stderr


def test_several_good_patients_give_one_json_line_each(tmp_path: Path, trials: Path) -> None:
    paths = [write_json(tmp_path / f"p{i}.json", p)
             for i, p in enumerate((PATIENT_OK, PATIENT_OLD, PATIENT_NO_LAB))]
    result = run(*paths, "--trials", trials, "--date", DATE, "--format", "json")
    assert result.exit_code == 0
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["patient"] for r in reports] == ["P-OK", "P-OLD", "P-NOLAB"]
    for report in reports:
        validate(report)


def test_every_patient_malformed_exits_2(tmp_path: Path, trials: Path) -> None:
    one = write_json(tmp_path / "one.json", {"sex": "male"})
    two = write_json(tmp_path / "two.json", [])
    result = run(one, two, "--trials", trials, "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(one) in result.stderr
    assert str(two) in result.stderr


def test_internal_error_exits_2_in_one_line(patient: Path, trials: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("simulated engine bug")

    monkeypatch.setattr(TrialLibrary, "screen", broken)
    result = run(patient, "--trials", trials, "--date", DATE, debug=False)
    assert result.exit_code == 2
    assert result.stderr == "screen: internal error: ZeroDivisionError: simulated engine bug\n"
    with pytest.raises(ZeroDivisionError):  # SCREENER_DEBUG=1 lets it through
        run(patient, "--trials", trials, "--date", DATE)


def test_help_lists_the_coordinator_commands_and_options() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("explain", "answer", "--jobs", "--pseudonymise", "table|json|matrix|csv"):
        assert name in result.stdout, name


@pytest.mark.parametrize("command", ["explain", "answer"])
def test_route_options_before_a_coordinator_subcommand(patient: Path, trials: Path,
                                                        command: str) -> None:
    extra = ["--criterion", "inc-2", "--met", "--by", "A"] if command == "answer" else []
    result = run("--trials", trials, command, patient, "--trial-id", "TEST-LAB", *extra)
    assert result.exit_code == 0, result.stderr
    expected = "inc-2  inclusion, administrative" if command == "explain" else "recorded in "
    assert expected in result.stdout


def test_compile_has_no_matrix_or_csv_format(trials: Path) -> None:
    for output in ("matrix", "csv"):
        result = run("compile", "--trials", trials, "--format", output)
        assert result.exit_code == 2
        assert "--format" in result.stderr


def test_json_report_lists_what_to_collect(tmp_path: Path, trials: Path) -> None:
    no_lab = write_json(tmp_path / "no-lab.json", PATIENT_NO_LAB)
    _, report = screen_json(no_lab, "--trials", trials)
    validate(report)
    assert [c["item"] for c in report["to_collect"]] == ["Total bilirubin", "pregnant status"]
    assert all(c["criteria"] == 1 and c["trials"] == 0 for c in report["to_collect"])


# ---------------------------------------------------------------------------
# screen compile


CRITERION_KEYS = {"id", "kind", "text", "coverage", "origin", "rule", "reason"}
COVERAGE_VALUES = ("full", "partial-decisive", "partial-other", "none")
COVERAGE_KEYS = ("full", "partial_decisive", "partial_other", "none")


def check_compile_document(document: dict[str, Any]) -> None:
    """The documented shape, and a summary that counts exactly the text criteria."""
    assert set(document) == {"trials", "summary"}
    summary = {"criteria": 0, "full": 0, "partial_decisive": 0, "partial_other": 0, "none": 0,
               "rewritten": 0}
    for trial in document["trials"]:
        assert set(trial) == {"id", "criteria"}
        for criterion in trial["criteria"]:
            assert set(criterion) == CRITERION_KEYS
            assert criterion["kind"] in ("inclusion", "exclusion", "unclassified")
            assert criterion["coverage"] in COVERAGE_VALUES
            assert criterion["origin"] in ("text", "structured", "rewrite")
            assert criterion["rule"] is None or isinstance(criterion["rule"], str)
            assert criterion["reason"] is None or criterion["reason"]
            if criterion["rule"] is None:
                assert criterion["coverage"] == "none"
            if criterion["origin"] == "text":
                summary["criteria"] += 1
                summary[criterion["coverage"].replace("-", "_")] += 1
            summary["rewritten"] += criterion["origin"] == "rewrite"
    assert document["summary"] == summary
    assert summary["criteria"] == sum(summary[k] for k in COVERAGE_KEYS)


def test_compile_json_shape_and_summary(trials: Path) -> None:
    (trials / "TEST-TEXT.yaml").write_text(TRIAL_TEXT, encoding="utf-8")
    result = run("compile", "--trials", trials, "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    check_compile_document(document)
    assert [t["id"] for t in document["trials"]] == ["TEST-LAB", "TEST-TEXT"]
    lab = {c["id"]: c for c in document["trials"][0]["criteria"]}
    assert list(lab) == ["minimum-age", "maximum-age", "inc-1", "inc-2", "exc-1", "exc-2"]
    assert lab["minimum-age"]["origin"] == "structured"
    assert lab["inc-1"] == {
        "id": "inc-1", "kind": "inclusion", "text": "Aged 18-70 years.", "coverage": "full",
        "origin": "rewrite", "rule": "age in [18, 70] years", "reason": None,
    }
    assert lab["exc-1"]["text"] == "Total bilirubin (TBil) ≥ 171μmol/L"  # verbatim
    assert lab["exc-1"]["kind"] == "exclusion"
    text = document["trials"][1]["criteria"]
    assert [c["text"] for c in text] == [
        "Aged 18-70 years.", "Platelet count ≥ 50×10^9/L",
        "Total bilirubin (TBil) ≥ 171μmol/L", "Pregnancy",
    ]
    assert document["summary"]["criteria"] == 3 + 4  # structured and rewrite not counted
    assert document["summary"]["rewritten"] == 1


def test_compile_table(trials: Path) -> None:
    result = run("compile", "--trials", trials)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "TEST-LAB  Bilirubin test trial"
    consent = next(line for line in lines if line.lstrip().startswith("inc-2"))
    assert "inclusion" in consent and "review: " in consent
    assert "Written informed consent." in consent
    rewrite = next(line for line in lines if line.lstrip().startswith("inc-1"))
    assert "full" in rewrite and "age in [18, 70] years" in rewrite
    summary = json.loads(run("compile", "--trials", trials, "--format", "json").stdout)["summary"]
    decided = (summary["full"] + summary["partial_decisive"]) / summary["criteria"]
    assert lines[-1] == (
        f"coverage: {summary['full']} of {summary['criteria']} text criteria full, "
        f"{summary['partial_decisive']} partial-decisive, {summary['partial_other']} "
        f"partial-other, {summary['none']} none ({decided:.1%} full or partial-decisive); "
        f"{summary['rewritten']} rewritten")


def test_compile_with_a_rejected_trial_exits_1(trials: Path) -> None:
    (trials / "TEST-BAD.yaml").write_text(MALFORMED_TRIAL, encoding="utf-8")
    result = run("compile", "--trials", trials, "--format", "json")
    assert result.exit_code == 1
    assert [t["id"] for t in json.loads(result.stdout)["trials"]] == ["TEST-LAB"]
    assert "TEST-BAD.yaml: invalid YAML" in result.stderr


def test_compile_without_any_valid_trial_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MALFORMED_TRIAL, encoding="utf-8")
    result = run("compile", "--trials", bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert str(bad) in result.stderr


# ---------------------------------------------------------------------------
# the bundled library (structure only) and the schema


def test_bundled_library_screening_is_complete_and_valid(patient: Path) -> None:
    library = TrialLibrary.load()
    result = run(patient, "--date", DATE, "--format", "json")
    assert result.exit_code == (1 if library.rejected else 0), result.stderr
    report = json.loads(result.stdout)
    validate(report)
    assert sorted(t["id"] for t in report["trials"]) == sorted(t.id for t in library.trials)
    for trial in report["trials"]:
        assert trial["criteria"]


def test_bundled_library_compiles(patient: Path) -> None:
    library = TrialLibrary.load()
    result = run("compile", "--format", "json")
    document = json.loads(result.stdout)
    check_compile_document(document)
    assert [t["id"] for t in document["trials"]] == [t.id for t in library.trials]
    table = run("compile")
    assert table.stdout.splitlines()[-1].startswith("coverage: ")


def test_checked_in_schema_is_up_to_date() -> None:
    """Regenerate with `python -m screener.schema` after changing screener/results.py."""
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text()


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = report_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "Screening report"
