"""An intake system embedding screener: load the trials once, screen a stream of patients.

    python examples/intake_service.py examples/*.json

Each patient becomes one JSON line on stdout (the versioned contract of
schema/screening-report.schema.json); a summary goes to stderr. A patient file
that cannot be read is reported and the stream goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from screener import InputError, Patient, ScreeningReport, TrialLibrary, Verdict, load_patient


def patients(paths: Iterable[Path]) -> Iterator[Patient]:
    """Patients from files, skipping (and reporting) the ones that cannot be read."""
    for path in paths:
        try:
            yield load_patient(path)
        except InputError as error:
            print(f"skipped: {error}", file=sys.stderr)


def promising(report: ScreeningReport) -> list[str]:
    """Trials worth a call: eligible, or waiting only for confirmation."""
    return [t.id for t in report.trials
            if t.verdict is Verdict.ELIGIBLE or t.pending_confirmation]


def main(arguments: list[str]) -> int:
    library = TrialLibrary.load().freeze()  # once, for every patient that follows
    screened = 0
    for patient in patients(Path(a) for a in arguments if not a.endswith(".fhir.json")):
        report = library.screen(patient)  # typed results: screener.results models
        print(report.model_dump_json(by_alias=True))
        calls = promising(report)
        print(f"{report.patient}: {len(report.trials)} trials, worth a call: "
              f"{', '.join(calls) or 'none'}", file=sys.stderr)
        screened += 1
    return 0 if screened else 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
