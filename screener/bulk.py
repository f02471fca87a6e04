"""Many patients at once: inputs, screening in worker processes, progress, exports.

Inputs (`expand`): patient files; folders (every `*.json` in it, in name order,
except `*.answers.json` sidecars, and the patients of the FHIR Bulk Data export
its `*.ndjson` files hold); JSON Lines files (`*.jsonl`, one patient object per
line, blank lines skipped). A problem names the file, and for JSON
Lines the line: `pop.jsonl:3: id: required field missing`.

Screening (`screen_many`): in this process, or with `jobs` > 1 in that many
worker processes (`concurrent.futures.ProcessPoolExecutor`; forked on Linux,
spawned elsewhere). Each worker loads the library once, in its initializer; a
report crosses back as a plain dict (`model_dump(mode="json", by_alias=True)`)
and is rebuilt here. Reports come in input order whatever the number of workers.

Exports: the verdict matrix (patients × trials) as a table or as CSV, and
pseudonyms: with `Pseudonymiser`, the patient id of every exported report is
replaced by a keyed hash (HMAC-SHA256) of it. Nothing here logs patient values.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import multiprocessing
import os
import secrets
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from screener.answers import is_sidecar, load_with_answers, loads
from screener.collect import with_to_collect
from screener.errors import InputError
from screener.filters import TrialFilter
from screener.library import TrialLibrary
from screener.patient import Patient, patient_from_dict, read_text
from screener.reference_ranges import ReferenceRanges
from screener.results import ScreeningReport, TrialResult

# ---------------------------------------------------------------------------
# inputs


@dataclass(frozen=True)
class PatientInput:
    """One patient to read: a file of its own, one line of a JSON Lines file, or one
    patient already read from a FHIR Bulk Data export."""

    source: str
    path: Path | None = None
    line: str | None = None
    read: Patient | None = None

    def load(self) -> Patient:
        """The validated patient; an InputError names the source."""
        if self.read is not None:
            return self.read
        if self.path is not None:
            return load_with_answers(self.path)
        assert self.line is not None
        try:
            data = loads(self.line)
        except json.JSONDecodeError as error:
            raise InputError(
                self.source, "", f"invalid JSON at column {error.colno}: {error.msg}"
            ) from None
        except ValueError as error:  # a duplicate key, NaN
            raise InputError(self.source, "", str(error)) from None
        if isinstance(data, dict) and "resourceType" in data:  # FHIR, as load_patient reads it
            from screener import fhir

            return fhir.patient_from_resource(data, self.source)
        return patient_from_dict(data, self.source)


@dataclass
class Inputs:
    """What the PATIENT arguments name: patients to read, and paths that failed."""

    patients: list[PatientInput] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    several: bool = False
    """Whether the arguments can hold more than one patient (JSON output as JSON Lines)."""


def expand(paths: Sequence[Path]) -> Inputs:
    """The patient inputs of files, folders and JSON Lines files, in argument order."""
    found = Inputs(several=len(paths) != 1)
    for path in paths:
        if path.is_dir():
            found.several = True
            files = sorted(p for p in path.glob("*.json") if p.is_file() and not is_sidecar(p))
            found.patients += [PatientInput(str(p), path=p) for p in files]
            if any(path.glob("*.ndjson")):
                try:
                    found.patients += _fhir_export(path)
                except InputError as error:
                    found.errors.append(error)
            elif not files:
                found.errors.append(InputError(str(path), "", "no patient files (*.json) in it"))
        elif path.suffix.lower() == ".jsonl":
            found.several = True
            try:
                found.patients += _json_lines(path)
            except InputError as error:
                found.errors.append(error)
        else:
            found.patients.append(PatientInput(str(path), path=path))
    return found


def _fhir_export(folder: Path) -> list[PatientInput]:
    """The patients of a FHIR Bulk Data export (`*.ndjson`, one resource per line)."""
    from screener import fhir  # FHIR reading builds on screener.patient

    return [PatientInput(str(folder), read=patient) for patient, _ in fhir.load_fhir_folder(folder)]


def _json_lines(path: Path) -> list[PatientInput]:
    text = read_text(path)
    return [
        PatientInput(f"{path}:{number}", line=line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def load_all(inputs: Sequence[PatientInput]) -> tuple[list[Patient], list[InputError]]:
    """Every patient that validates, and an error for each one that does not."""
    patients: list[Patient] = []
    errors: list[InputError] = []
    for item in inputs:
        try:
            patients.append(item.load())
        except InputError as error:
            errors.append(error)
    return patients, errors


# ---------------------------------------------------------------------------
# screening, here or in worker processes


@dataclass(frozen=True)
class LibrarySource:
    """How to load the trial library again in a worker process."""

    paths: tuple[Path, ...] = ()
    chosen: TrialFilter | None = None

    def load(self) -> TrialLibrary:
        library = TrialLibrary.load(list(self.paths) or None)
        chosen = self.chosen
        if chosen is not None and chosen.active:
            library = library.filtered(
                status=chosen.statuses, country=chosen.countries, site=chosen.sites
            )
        return library.freeze()


_WORKER: dict[str, Any] = {}
"""A worker process's library, screening date and site reference ranges (set once by
`_start_worker`)."""


def _start_worker(
    source: LibrarySource, on: dt.date | None, ranges: ReferenceRanges | None = None
) -> None:
    _WORKER["library"] = source.load()
    _WORKER["on"] = on
    _WORKER["ranges"] = ranges


def _screen_in_worker(patient: Patient) -> dict[str, Any]:
    library: TrialLibrary = _WORKER["library"]
    report = library.screen(patient, on=_WORKER["on"], reference_ranges=_WORKER["ranges"])
    return with_to_collect(report).model_dump(mode="json", by_alias=True)


def screen_many(
    library: TrialLibrary,
    source: LibrarySource,
    patients: Sequence[Patient],
    on: dt.date | None,
    jobs: int = 1,
    ranges: ReferenceRanges | None = None,
) -> Iterator[ScreeningReport]:
    """The report of each patient, in order: here with `library`, or in `jobs`
    worker processes that each load `source` once; `ranges` are the site's
    default reference ranges, if any.

    With workers, the processes start before this returns (call it before any
    other thread, such as a progress bar, is running: on Linux they are forked).
    """
    jobs = min(jobs, len(patients))
    if jobs <= 1:
        return (
            with_to_collect(library.screen(patient, on=on, reference_ranges=ranges))
            for patient in patients
        )
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(_START_METHOD),
        initializer=_start_worker,
        initargs=(source, on, ranges),
    )
    chunk = max(1, min(32, len(patients) // (jobs * 8)))
    try:
        results = pool.map(_screen_in_worker, patients, chunksize=chunk)  # starts the workers
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return _rebuilt(pool, results)


_START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"
"""Forked workers start at once with the engine imported and warmed up (spawned
ones import and warm up everything again, seconds each); elsewhere fork is
unsafe or missing."""


def _rebuilt(
    pool: ProcessPoolExecutor, results: Iterator[dict[str, Any]]
) -> Iterator[ScreeningReport]:
    """The workers' plain dicts as reports; the pool is shut down at the end."""
    try:
        for data in results:
            yield ScreeningReport.model_validate(data)
    finally:
        pool.shutdown(cancel_futures=True)


# ---------------------------------------------------------------------------
# progress and output


@contextmanager
def progress_bar(total: int, out: Console) -> Iterator[Callable[[], None]]:
    """A progress bar while screening `total` patients, on a terminal only.

    Shown when standard error is a terminal (and there is more than one
    patient); drawn through `out` when standard output is that terminal too, so
    reports print above it, else on standard error. Yields `advance()`.
    """
    if total < 2 or not sys.stderr.isatty():
        yield lambda: None
        return
    console = out if out.is_terminal else Console(stderr=True)
    with Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as progress:
        task = progress.add_task("screening", total=total)
        yield lambda: progress.advance(task)


class Output:
    """Standard output: lines of text (JSON, CSV) and styled lines (tables).

    Plain text is written directly, unless standard output is a terminal (where a
    progress bar may be live): then it goes through the console too.
    """

    def __init__(self, console: Console) -> None:
        self.console = console

    def text(self, line: str) -> None:
        if self.console.is_terminal:
            self.console.out(line, highlight=False)
        else:
            typer.echo(line)

    def styled(self, line: Text) -> None:
        self.console.print(line)


# ---------------------------------------------------------------------------
# the verdict matrix


def verdict_code(trial: TrialResult) -> str:
    """eligible, pending_confirmation, needs_review or ineligible."""
    return "pending_confirmation" if trial.pending_confirmation else trial.verdict.value


VERDICT_CODES = ("eligible", "pending_confirmation", "needs_review", "ineligible")
_SHORT = {
    "eligible": "eligible",
    "pending_confirmation": "pending",
    "needs_review": "review",
    "ineligible": "ineligible",
}
_STYLE = {
    "eligible": "bold green",
    "pending_confirmation": "green",
    "needs_review": "yellow",
    "ineligible": "red",
}
NOT_SCREENED = "-"


def verdict_row(report: ScreeningReport, trial_ids: Sequence[str]) -> list[str]:
    """The verdict code of each trial, in `trial_ids` order ("-" if not in the report)."""
    codes = {t.id: verdict_code(t) for t in report.trials}
    return [codes.get(trial_id, NOT_SCREENED) for trial_id in trial_ids]


class CsvWriter:
    """`patient,TRIAL-1,TRIAL-2,...` then one row of verdict codes per patient."""

    def __init__(self, out: Output, trial_ids: Sequence[str]) -> None:
        self.out = out
        self.trial_ids = list(trial_ids)
        self._row(["patient", *self.trial_ids])

    def add(self, report: ScreeningReport) -> None:
        self._row([report.patient, *verdict_row(report, self.trial_ids)])

    def finish(self) -> None:
        """Nothing to add at the end of a CSV file."""

    def _row(self, cells: list[str]) -> None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(cells)
        self.out.text(buffer.getvalue().removesuffix("\n"))


class MatrixWriter:
    """Patients as rows, trials as columns, a short verdict in each cell; at the end,
    per trial, how many patients got each verdict."""

    def __init__(self, out: Output, trial_ids: Sequence[str], id_width: int) -> None:
        self.out = out
        self.trial_ids = list(trial_ids)
        self.id_width = max(id_width, len("patient"), *(len(label) for label in _SHORT.values()))
        self.widths = [max(len(t), len(_SHORT["ineligible"])) for t in self.trial_ids]
        self.counts = {code: [0] * len(self.trial_ids) for code in VERDICT_CODES}
        header = "  ".join(f"{t:<{w}}" for t, w in zip(self.trial_ids, self.widths, strict=True))
        out.styled(Text(f"{'patient':<{self.id_width}}  {header}".rstrip(), "bold"))

    def add(self, report: ScreeningReport) -> None:
        line = Text(f"{report.patient:<{self.id_width}}")
        row = verdict_row(report, self.trial_ids)
        for index, (code, width) in enumerate(zip(row, self.widths, strict=True)):
            if code in self.counts:
                self.counts[code][index] += 1
            line.append("  ")
            line.append(f"{_SHORT.get(code, code):<{width}}", _STYLE.get(code, ""))
        line.rstrip()
        self.out.styled(line)

    def finish(self) -> None:
        self.out.styled(Text())
        for code in VERDICT_CODES:
            cells = "  ".join(
                f"{n:<{w}}" for n, w in zip(self.counts[code], self.widths, strict=True)
            )
            self.out.styled(Text(f"{_SHORT[code]:<{self.id_width}}  {cells}".rstrip()))
        self.out.styled(
            Text("pending = eligible pending confirmation; review = needs review", "dim")
        )


# ---------------------------------------------------------------------------
# pseudonyms

KEY_VARIABLE = "SCREENER_PSEUDONYM_KEY"
PSEUDONYM_PREFIX = "psn-"
PSEUDONYM_HEX = 16
"""Hex digits of the HMAC kept: 64 bits, no collision to expect below ~10^8 patients."""


@dataclass(frozen=True)
class Pseudonymiser:
    """Replaces patient ids by `psn-` and 16 hex digits of HMAC-SHA256(key, id):
    stable for one key, not reversible without it."""

    key: bytes = field(repr=False)

    @classmethod
    def from_environment(cls) -> tuple[Pseudonymiser, str | None]:
        """The key of $SCREENER_PSEUDONYM_KEY, else a random one for this run with a
        warning to show."""
        key = os.environ.get(KEY_VARIABLE, "")
        if key:
            return cls(key.encode("utf-8")), None
        warning = (
            f"warning: {KEY_VARIABLE} is not set: pseudonyms use a random key for this run "
            "only and will not match those of another run"
        )
        return cls(secrets.token_bytes(32)), warning

    def pseudonym(self, patient_id: str) -> str:
        digest = hmac.new(self.key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX]

    def report(self, report: ScreeningReport) -> ScreeningReport:
        return report.model_copy(update={"patient": self.pseudonym(report.patient)})

    def source(self, source: str) -> str:
        """A rejected patient input's name, which may carry a patient id
        ("patients/P-1234.json"), keyed like a patient id: the data manager can match it
        to a file with the key, a reader of the export cannot."""
        return self.pseudonym(source)
