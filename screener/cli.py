"""The `screen` command line.

    screen PATIENT... [--trials PATH]... [--date YYYY-MM-DD] [--format table|json|matrix|csv]
                      [--status S]... [--country C]... [--site TEXT]... [--jobs N]
                      [--pseudonymise] [--reference-ranges FILE]
    screen compile [--trials PATH]... [--format table|json] [--status S]...
    screen explain PATIENT.json --trial-id ID [--trials PATH]... [--date YYYY-MM-DD]
                               [--reference-ranges FILE]
    screen answer PATIENT.json --trial-id ID --criterion ID --met|--not-met --by NAME
                               [--note TEXT] [--date YYYY-MM-DD] [--trials PATH]...
    screen import SOURCE... --to FOLDER [--overwrite]

`--trials` takes trial YAML files, ClinicalTrials.gov API v2 JSON (a study or
a page of studies) and folders of either; `screen import` turns registry JSON
into trial YAML files a coordinator can edit.

`screen PATIENT.json` is the default command; a first argument that names a
subcommand (`compile`, ...) runs that subcommand instead (`ScreenGroup`).
Write `screen -- compile` (or `./compile`) to screen a patient file named `compile`.

Exit codes: 0 when every input was read and screened, whatever the verdicts;
1 when screening ran but some input (a trial file, one patient of several) was
rejected; 2 on a usage error or when nothing could be screened. Problems are
reported on stderr as `file: field: message`, never as a traceback (set
SCREENER_DEBUG=1 to let unexpected exceptions through). Patient data are never
logged; the command makes no network access.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Protocol

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text
from typer._click import Context, HelpFormatter
from typer.core import TyperCommand, TyperGroup

from screener import bulk, ctgov
from screener.answers import load_with_answers, record_answer
from screener.compile_report import compile_document
from screener.errors import InputError
from screener.explain import explain_lines
from screener.filters import TrialFilter
from screener.html_report import render_html
from screener.library import CompiledTrial, TrialLibrary
from screener.patient import AnswerEntry, Patient
from screener.reference_ranges import ReferenceRanges, load_reference_ranges
from screener.resources import PACKAGE_DIR, ResourceMissing
from screener.results import (
    Rejected,
    ScreeningReport,
)
from screener.text_report import compile_lines, rejected_lines, report_lines
from screener.trials import (
    LoadedTrial,
    default_library_dir,
    dump_trial,
    load_trial_text,
    normalise_status,
)

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_UNUSABLE = 2
EXIT_READER_LEFT = 141
"""The reader of standard output closed it (`screen ... | head`): 128 + SIGPIPE, as a
shell reports for a tool the closed pipe stopped; not 1, which means rejected inputs."""

DEFAULT_COMMAND = "screen"
"""The hidden command that `screen ARGS` runs when ARGS name no subcommand."""

DEBUG_VARIABLE = "SCREENER_DEBUG"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


class ReportFormat(StrEnum):
    """What `screen PATIENT...` prints."""

    TABLE = "table"
    JSON = "json"
    MATRIX = "matrix"
    CSV = "csv"
    HTML = "html"


# ---------------------------------------------------------------------------
# routing: `screen PATIENT.json` and `screen compile` side by side


PATIENTS_USAGE = "[OPTIONS] PATIENT.json..."


class _DefaultContext(typer.Context):
    """Context of the default command: its usage reads `screen ...`, not `screen screen ...`."""

    @property
    def command_path(self) -> str:
        return self.parent.command_path if self.parent is not None else super().command_path


class DefaultCommand(TyperCommand):
    """The patient screening command, run by `screen ARGS` without a subcommand name."""

    context_class = _DefaultContext

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, PATIENTS_USAGE)


class ScreenGroup(TyperGroup):
    """A group whose first non-option argument picks a subcommand if it names one;
    otherwise every argument goes to the default (patient screening) command."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.route(ctx, args))

    def route(self, ctx: Context, args: Sequence[str]) -> list[str]:
        """`args` with the command to run first."""
        if args and all(arg in ctx.help_option_names for arg in args):
            return list(args)  # `screen --help`: the group's own help
        index = self._first_argument(ctx, args)
        if index is not None:
            name = args[index]
            command = self.commands.get(name)
            if command is not None and not command.hidden:
                return [name, *args[:index], *args[index + 1 :]]
        return [DEFAULT_COMMAND, *args]

    def _first_argument(self, ctx: Context, args: Sequence[str]) -> int | None:
        """The position of the first argument that is neither an option nor its value."""
        takes_value = self._value_options(ctx)
        skip = False
        for index, arg in enumerate(args):
            if skip:
                skip = False
            elif arg == "--":
                return None  # what follows is patient files, whatever their names
            elif arg.startswith("-") and arg != "-":
                skip = arg in takes_value
            else:
                return index
        return None

    def _value_options(self, ctx: Context) -> set[str]:
        """Option names (of any command) followed by a value: --trials, --format, ..."""
        names: set[str] = set()
        for command in self.commands.values():
            for param in command.get_params(ctx):
                if param.param_type_name == "option" and not (
                    getattr(param, "is_flag", False) or getattr(param, "count", False)
                ):
                    names.update(param.opts)
        return names

    def format_usage(self, ctx: Context, formatter: HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, PATIENTS_USAGE)
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        default = self.commands.get(DEFAULT_COMMAND)
        if default is not None:
            default.format_options(ctx, formatter)
        self.format_commands(ctx, formatter)


app = typer.Typer(
    cls=ScreenGroup,
    name="screen",
    help="Pre-screen patients against clinical-trial eligibility criteria.\n\n"
    "Screens each PATIENT.json against every trial of the bundled library "
    "(or of --trials). Exit status: 0 all inputs screened, 1 some input rejected, "
    "2 usage error or nothing screened.",
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["--help", "-h"]},
)


# ---------------------------------------------------------------------------
# options


def _parse_date(text: str) -> dt.date:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a calendar date") from None
    raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {text!r}")


TrialsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--trials",
        "-t",
        metavar="PATH",
        show_default=False,
        help="A trial file (YAML), ClinicalTrials.gov API v2 JSON (a study or a page of "
        "studies) or a folder of them, instead of the bundled library (repeatable).",
    ),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output: a readable table or JSON.")
]
DateOption = Annotated[
    dt.date | None,
    typer.Option(
        "--date",
        metavar="YYYY-MM-DD",
        parser=_parse_date,
        show_default=False,
        help="Screening date, instead of the patient's screening_date (default: today).",
    ),
]


def _parse_status(text: str) -> str:
    try:
        return normalise_status(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


StatusOption = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        parser=_parse_status,
        show_default=False,
        help="Keep only trials with this recruitment status (repeatable; any case: "
        "recruiting, 'not yet recruiting', ...).",
    ),
]
CountryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--country",
        metavar="COUNTRY",
        show_default=False,
        help="Keep only trials with a site in this country (repeatable; any case).",
    ),
]
SiteOption = Annotated[
    list[str] | None,
    typer.Option(
        "--site",
        metavar="TEXT",
        show_default=False,
        help="Keep only trials with a site whose facility or city contains TEXT "
        "(repeatable; any case).",
    ),
]
PatientsArgument = Annotated[
    list[Path],
    typer.Argument(
        metavar="PATIENT.json",
        show_default=False,
        help="Patient files (docs/patient-format.md), folders of them (*.json) or "
        "JSON Lines files (*.jsonl, one patient per line).",
    ),
]
ReportFormatOption = Annotated[
    ReportFormat,
    typer.Option(
        "--format",
        "-f",
        help="Output: a readable table; JSON (JSON Lines for several patients); a "
        "patients x trials verdict matrix; that matrix as CSV; or an HTML page (with -o).",
    ),
]
OutputPathOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="PATH",
        show_default=False,
        help="With --format html: the page to write (one patient), or a folder that gets "
        "one page per patient.",
    ),
]
JobsOption = Annotated[
    int,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        metavar="N",
        help="Screen in N worker processes (each loads the library once).",
    ),
]
PseudonymiseOption = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="Replace patient ids, and the names of rejected patient files, in the output by "
        "keyed pseudonyms (HMAC-SHA256 with the key in $SCREENER_PSEUDONYM_KEY; a random key "
        "for this run if unset).",
    ),
]
ReferenceRangesOption = Annotated[
    Path | None,
    typer.Option(
        "--reference-ranges",
        metavar="FILE",
        show_default=False,
        help="The site's default reference ranges (YAML, see screener/reference_ranges.py): "
        "upper limits of normal for '× ULN' criteria when an observation has none of its own; "
        "every decision that uses one says so. None by default.",
    ),
]


def _reference_ranges(path: Path | None) -> ReferenceRanges | None:
    """The site file given with --reference-ranges, or None; a bad file ends the command
    as a usage error (exit status 2)."""
    if path is None:
        return None
    try:
        return load_reference_ranges(path)
    except InputError as error:
        _complain(f"screen: --reference-ranges: {error}")
        raise typer.Exit(EXIT_UNUSABLE) from None


# ---------------------------------------------------------------------------
# commands


@app.command(DEFAULT_COMMAND, cls=DefaultCommand, hidden=True)
def screen_command(
    patients: PatientsArgument,
    trials: TrialsOption = None,
    date: DateOption = None,
    output: ReportFormatOption = ReportFormat.TABLE,
    status: StatusOption = None,
    country: CountryOption = None,
    site: SiteOption = None,
    jobs: JobsOption = 1,
    pseudonymise: PseudonymiseOption = False,
    target: OutputPathOption = None,
    reference_ranges: ReferenceRangesOption = None,
) -> None:
    """Screen each PATIENT.json against every trial."""
    if (output is ReportFormat.HTML) != (target is not None):
        _complain("screen: --format html and -o PATH go together")
        raise typer.Exit(EXIT_UNUSABLE)
    chosen = TrialFilter.build(status=status, country=country, site=site)
    ranges = _reference_ranges(reference_ranges)
    options = ScreenOptions(date, output, chosen, jobs, pseudonymise, target, ranges)
    raise typer.Exit(_guarded(lambda: screen_patients(patients, trials, options)))


@app.command("compile")
def compile_command(
    trials: TrialsOption = None,
    output: FormatOption = OutputFormat.TABLE,
    status: StatusOption = None,
    country: CountryOption = None,
    site: SiteOption = None,
) -> None:
    """Show each criterion's compiled rule, or why it needs review, and the coverage."""
    chosen = TrialFilter.build(status=status, country=country, site=site)
    raise typer.Exit(_guarded(lambda: compile_trials(trials, output, chosen)))


@app.command("import")
def import_command(
    sources: Annotated[
        list[Path],
        typer.Argument(
            metavar="SOURCE...",
            show_default=False,
            help="ClinicalTrials.gov API v2 JSON: a study, a page of studies "
            '({"studies": [...]}), or a folder of such .json files.',
        ),
    ],
    to: Annotated[
        Path,
        typer.Option(
            "--to",
            metavar="FOLDER",
            show_default=False,
            help="Folder for the trial files (created if missing); not inside the package.",
        ),
    ],
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace trial files that already exist.")
    ] = False,
) -> None:
    """Write each registry study as a trial YAML file FOLDER/<nctId>.yaml, criteria verbatim."""
    raise typer.Exit(_guarded(lambda: import_studies(sources, to, overwrite)))


PatientArgument = Annotated[
    Path,
    typer.Argument(
        metavar="PATIENT.json", show_default=False, help="A patient file (docs/patient-format.md)."
    ),
]
TrialIdOption = Annotated[
    str,
    typer.Option("--trial-id", metavar="ID", show_default=False, help="The trial, by its id."),
]


@app.command("explain")
def explain_command(
    patient: PatientArgument,
    trial_id: TrialIdOption,
    trials: TrialsOption = None,
    date: DateOption = None,
    reference_ranges: ReferenceRangesOption = None,
) -> None:
    """Every criterion of one trial for one patient: text, rule, values used, reason."""
    ranges = _reference_ranges(reference_ranges)
    raise typer.Exit(_guarded(lambda: explain_trial(patient, trial_id, trials, date, ranges)))


@app.command("answer")
def answer_command(
    patient: PatientArgument,
    trial_id: TrialIdOption,
    criterion: Annotated[
        str,
        typer.Option(
            "--criterion",
            metavar="CRITERION_ID",
            show_default=False,
            help="The criterion, by its id in the screening report (inc-2, exc-4, minimum-age).",
        ),
    ],
    by: Annotated[
        str, typer.Option("--by", metavar="NAME", show_default=False, help="Who decided.")
    ],
    met: Annotated[
        bool | None,
        typer.Option(
            "--met/--not-met", show_default=False, help="The answer (one of the two is required)."
        ),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option("--note", metavar="TEXT", show_default=False, help="Why, for the record."),
    ] = None,
    date: Annotated[
        dt.date | None,
        typer.Option(
            "--date",
            metavar="YYYY-MM-DD",
            parser=_parse_date,
            show_default=False,
            help="Date of the decision (default: today).",
        ),
    ] = None,
    trials: TrialsOption = None,
) -> None:
    """Record a coordinator's answer to one criterion in the patient file (or in its
    sidecar PATIENT.answers.json for a FHIR bundle); it decides that criterion from
    the next screening on. Answering a criterion again replaces the earlier answer."""
    if met is None:
        raise typer.BadParameter("give --met or --not-met", param_hint="'--met' / '--not-met'")
    decision = AnswerDecision(trial_id, criterion, met, by, note, date or dt.date.today())
    raise typer.Exit(_guarded(lambda: record_decision(patient, decision, trials)))


def main() -> None:
    """Entry point of the `screen` script and of `python -m screener`."""
    app(prog_name="screen")


def _guarded(action: Callable[[], int]) -> int:
    """Run a command body; an escaping error is reported in one line, exit status 2."""
    try:
        status = action()
        sys.stdout.flush()  # a closed pipe shows here, not in click's last flush
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_READER_LEFT
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        if isinstance(error, InputError):
            _complain(str(error))
        else:
            _complain(f"screen: internal error: {type(error).__name__}: {error}")
        return EXIT_UNUSABLE


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush into the
    closed pipe raises nothing more."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _complain(message: str) -> None:
    typer.echo(message, err=True)


def _load_library(paths: Iterable[Path] | None, chosen: TrialFilter | None = None) -> TrialLibrary:
    """The trials of `paths` (default: the bundled library) that pass `chosen`;
    rejected files on stderr."""
    given = list(paths or [])
    library = TrialLibrary.load(given or None).freeze()
    for error in library.rejected:
        _complain(str(error))
    if not library.trials:
        _complain("screen: no usable trial file, nothing to screen against")
        return library
    if chosen is not None and chosen.active:
        library = library.filtered(
            status=chosen.statuses, country=chosen.countries, site=chosen.sites
        )
        if not library.trials:
            _complain(f"screen: no trial matches the filter ({chosen}), nothing to screen against")
    return library


@dataclass(frozen=True)
class ScreenOptions:
    """How `screen PATIENT...` screens and prints."""

    on: dt.date | None = None
    output: ReportFormat = ReportFormat.TABLE
    chosen: TrialFilter | None = None
    jobs: int = 1
    pseudonymise: bool = False
    target: Path | None = None
    ranges: ReferenceRanges | None = None  # the site's default reference ranges


def screen_patients(
    paths: Sequence[Path],
    trial_paths: Iterable[Path] | None,
    options: ScreenOptions | None = None,
) -> int:
    """Screen every patient of `paths` (files, folders, JSON Lines); print the
    reports; return the exit status. A patient that cannot be read is reported on
    stderr and in every report's `rejected`; the others are screened."""
    options = options or ScreenOptions()
    inputs = bulk.expand(paths)
    patients, bad_patients = bulk.load_all(inputs.patients)
    bad_patients = [*inputs.errors, *bad_patients]
    for error in bad_patients:
        _complain(str(error))
    if not patients:
        return EXIT_UNUSABLE
    library = _load_library(trial_paths, options.chosen)
    if not library.trials:
        return EXIT_UNUSABLE
    pseudonymiser: bulk.Pseudonymiser | None = None
    if options.pseudonymise:
        pseudonymiser, warning = bulk.Pseudonymiser.from_environment()
        if warning:
            _complain(warning)
    if pseudonymiser:  # a patient file's name may carry its patient id
        bad_patients = [
            InputError(pseudonymiser.source(e.source), e.field, e.message) for e in bad_patients
        ]
    extra = [Rejected(source=e.source, field=e.field, message=e.message) for e in bad_patients]
    console = _console()
    out = bulk.Output(console)
    writer = (
        HtmlWriter(options.target, inputs.several)
        if options.output is ReportFormat.HTML and options.target is not None
        else _writer(options.output, out, library, patients, inputs.several, pseudonymiser)
    )
    source = bulk.LibrarySource(tuple(trial_paths or ()), options.chosen)
    # workers start here, before the progress bar's thread (see bulk.screen_many)
    reports = bulk.screen_many(library, source, patients, options.on, options.jobs, options.ranges)
    with bulk.progress_bar(len(patients), console) as advance:
        for report in reports:
            if extra:
                report = report.model_copy(update={"rejected": [*report.rejected, *extra]})
            writer.add(pseudonymiser.report(report) if pseudonymiser else report)
            advance()
    writer.finish()
    if options.output is ReportFormat.TABLE:
        for line in rejected_lines([*library.rejected, *bad_patients]):
            console.print(line)
    return EXIT_REJECTED if library.rejected or bad_patients else EXIT_OK


class ReportWriter(Protocol):
    def add(self, report: ScreeningReport) -> None: ...

    def finish(self) -> None: ...


def _writer(
    output: ReportFormat,
    out: bulk.Output,
    library: TrialLibrary,
    patients: Sequence[Patient],
    several: bool,
    pseudonymiser: bulk.Pseudonymiser | None,
) -> ReportWriter:
    trial_ids = [t.id for t in library.trials]
    if output is ReportFormat.CSV:
        return bulk.CsvWriter(out, trial_ids)
    if output is ReportFormat.MATRIX:
        names = [pseudonymiser.pseudonym(p.id) if pseudonymiser else p.id for p in patients]
        return bulk.MatrixWriter(out, trial_ids, max(len(n) for n in names))
    if output is ReportFormat.JSON:
        return JsonWriter(out, lines=several)
    return TableWriter(out)


class HtmlWriter:
    """One self-contained HTML page per patient (screener.html_report)."""

    def __init__(self, target: Path, several: bool) -> None:
        self.target = target
        self.several = several

    def add(self, report: ScreeningReport) -> None:
        page = self.target
        if self.several:
            self.target.mkdir(parents=True, exist_ok=True)
            page = self.target / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', report.patient)}.html"
        page.write_text(render_html(report), encoding="utf-8")

    def finish(self) -> None:
        """Every page is written as it comes."""


class JsonWriter:
    """One indented document for one patient file; JSON Lines for several patients."""

    def __init__(self, out: bulk.Output, lines: bool) -> None:
        self.out = out
        self.lines = lines

    def add(self, report: ScreeningReport) -> None:
        self.out.text(report.model_dump_json(by_alias=True) if self.lines else report.to_json())

    def finish(self) -> None:
        """JSON Lines need no closing."""


class TableWriter:
    """Each report as a table (`report_lines`), a blank line between patients."""

    def __init__(self, out: bulk.Output) -> None:
        self.out = out
        self.count = 0

    def add(self, report: ScreeningReport) -> None:
        if self.count:
            self.out.styled(Text())
        for line in report_lines(report):
            self.out.styled(line)
        self.count += 1

    def finish(self) -> None:
        """The rejected inputs are listed by the caller."""


def explain_trial(
    path: Path,
    trial_id: str,
    trial_paths: Iterable[Path] | None,
    on: dt.date | None,
    ranges: ReferenceRanges | None = None,
) -> int:
    """Print how each criterion of one trial was decided for one patient."""
    try:
        patient = load_with_answers(path)
    except InputError as error:
        _complain(str(error))
        return EXIT_UNUSABLE
    library = _load_library(trial_paths)
    if not library.trials:
        return EXIT_UNUSABLE
    trial = _trial_named(library, trial_id, "screen explain")
    if trial is None:
        return EXIT_UNUSABLE
    report = TrialLibrary([trial]).screen(patient, on=on, reference_ranges=ranges)
    console = _console()
    for line in explain_lines(report, report.trials[0]):
        console.print(line)
    return EXIT_REJECTED if library.rejected else EXIT_OK


@dataclass(frozen=True)
class AnswerDecision:
    """What `screen answer` was told."""

    trial: str
    criterion: str
    met: bool
    by: str
    note: str | None
    on: dt.date


def record_decision(
    path: Path, decision: AnswerDecision, trial_paths: Iterable[Path] | None
) -> int:
    """Check the trial and criterion exist, then record the answer; the exit status."""
    library = _load_library(trial_paths)
    if not library.trials:
        return EXIT_UNUSABLE
    trial = _trial_named(library, decision.trial, "screen answer")
    if trial is None:
        return EXIT_UNUSABLE
    if all(c.id != decision.criterion for c in trial.criteria):
        known = ", ".join(c.id for c in trial.criteria)
        _complain(
            f"screen answer: trial {trial.id} has no criterion {decision.criterion!r} "
            f"(criteria: {known})"
        )
        return EXIT_UNUSABLE
    try:
        entry = AnswerEntry(
            trial=decision.trial,
            criterion=decision.criterion,
            answer="met" if decision.met else "not_met",
            by=decision.by.strip(),
            date=decision.on,
            note=decision.note.strip() if decision.note and decision.note.strip() else None,
        )
    except ValidationError as error:
        _complain(f"screen answer: {error.errors()[0]['msg']}")
        return EXIT_UNUSABLE
    try:
        recorded = record_answer(path, entry)
    except InputError as error:
        _complain(f"screen answer: {error}; nothing recorded")
        return EXIT_UNUSABLE
    where = f"{recorded.path} (sidecar of {path})" if recorded.sidecar else str(recorded.path)
    typer.echo(f"recorded in {where}: {_answer_text(entry)}")
    if recorded.replaced is not None:
        typer.echo(f"replaced the earlier answer: {_answer_text(recorded.replaced)}")
    return EXIT_OK


def _answer_text(entry: AnswerEntry) -> str:
    when = f" on {entry.date}" if entry.date else ""
    note = f" ({entry.note})" if entry.note else ""
    return f"{entry.trial} {entry.criterion} {entry.answer} by {entry.by}{when}{note}"


def _trial_named(library: TrialLibrary, trial_id: str, command: str) -> CompiledTrial | None:
    """The trial of that id, or None after saying which ids there are."""
    found = next((t for t in library.trials if t.id == trial_id), None)
    if found is None:
        known = ", ".join(t.id for t in library.trials)
        _complain(f"{command}: no trial {trial_id!r} in the library (trials: {known})")
    return found


def compile_trials(
    trial_paths: Iterable[Path] | None, output: OutputFormat, chosen: TrialFilter | None = None
) -> int:
    """Print the compiled library; return the exit status."""
    library = _load_library(trial_paths, chosen)
    if not library.trials:
        return EXIT_UNUSABLE
    if output is OutputFormat.JSON:
        typer.echo(json.dumps(compile_document(library.trials), indent=2, ensure_ascii=False))
    else:
        console = _console()
        for line in compile_lines(library.trials):
            console.print(line)
        for line in rejected_lines(library.rejected):
            console.print(line)
    return EXIT_REJECTED if library.rejected else EXIT_OK


def import_studies(sources: Sequence[Path], folder: Path, overwrite: bool) -> int:
    """Write each registry study of `sources` as FOLDER/<nctId>.yaml; return the exit status.

    Exit 2 when the folder is unusable (inside the package, or a file) or
    nothing was written; 1 when some study was rejected or left in place.
    """
    refusal = _destination_problem(folder)
    if refusal is not None:
        _complain(f"screen import: {refusal}")
        return EXIT_UNUSABLE
    trials, rejected = ctgov.load_registry_paths(sources)
    for error in rejected:
        _complain(str(error))
    if not trials:
        _complain("screen import: no usable study, nothing imported")
        return EXIT_UNUSABLE
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _complain(f"screen import: cannot create {folder}: {error.strerror or error}")
        return EXIT_UNUSABLE
    written: list[Path] = []
    for trial in trials:
        try:
            written.append(_write_trial(trial, folder, overwrite))
        except InputError as error:
            rejected.append(error)
            _complain(str(error))
    for path in written:
        typer.echo(f"wrote {path}")
    typer.echo(
        f"imported {len(written)} trial{'' if len(written) == 1 else 's'} "
        f"into {folder}" + (f" ({len(rejected)} rejected)" if rejected else "")
    )
    if not written:
        return EXIT_UNUSABLE
    return EXIT_REJECTED if rejected else EXIT_OK


def _destination_problem(folder: Path) -> str | None:
    """Why `folder` cannot receive imported trials, or None."""
    target = folder.resolve()
    protected = [(PACKAGE_DIR, "the installed screener package")]
    with contextlib.suppress(ResourceMissing):  # an install without a bundled library
        protected.append((default_library_dir().resolve(), "the bundled trial library"))
    for place, what in protected:
        if target == place or target.is_relative_to(place):
            return (
                f"refusing to write into {folder}: it is inside {what} ({place}); "
                "import into a folder of your own and screen with --trials FOLDER"
            )
    if target.exists() and not target.is_dir():
        return f"{folder} is not a folder"
    return None


def _write_trial(trial: LoadedTrial, folder: Path, overwrite: bool) -> Path:
    """Write one trial file; the YAML is checked to load back to the same trial."""
    path = folder / f"{trial.spec.id}.yaml"
    text = dump_trial(trial.spec)
    try:
        same = load_trial_text(text, str(path)) == trial.spec
    except InputError:
        same = False
    if not same:  # a writer bug: never leave a file that reads differently
        raise InputError(
            trial.source,
            "",
            "internal error: the trial file would not read back as the same trial; not written",
        )
    try:
        with path.open("w" if overwrite else "x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        raise InputError(
            trial.source,
            "",
            f"{path} already exists; not overwritten (use --overwrite to replace it)",
        ) from None
    except OSError as error:
        raise InputError(
            trial.source, "", f"cannot write {path}: {error.strerror or error}"
        ) from None
    return path


# ---------------------------------------------------------------------------
# helpers


class _StdoutConsole(Console):
    """rich's console, except that a closed pipe raises BrokenPipeError for `_guarded`
    rather than rich's own exit status 1, which here means rejected inputs."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def _console() -> Console:
    """Standard output; styled on a terminal only, never wrapped or highlighted."""
    return _StdoutConsole(highlight=False, soft_wrap=True, emoji=False)
