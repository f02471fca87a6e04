"""The `screen` command line.

    screen PATIENT.json... [--trials PATH]... [--date YYYY-MM-DD] [--format table|json]
                           [--status S]... [--country C]... [--site TEXT]...
    screen compile [--trials PATH]... [--format table|json] [--status S]...
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
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer._click import Context, HelpFormatter
from typer.core import TyperCommand, TyperGroup

from screener import ctgov
from screener.errors import InputError
from screener.filters import TrialFilter
from screener.library import CompiledTrial, TrialLibrary
from screener.patient import Patient, load_patient
from screener.resources import PACKAGE_DIR, ResourceMissing
from screener.results import (
    CriterionResult,
    Effect,
    Origin,
    Rejected,
    ScreeningReport,
    TrialResult,
    Verdict,
)
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

DEFAULT_COMMAND = "screen"
"""The hidden command that `screen ARGS` runs when ARGS name no subcommand."""

DEBUG_VARIABLE = "SCREENER_DEBUG"


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


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
        metavar="PATIENT.json", show_default=False, help="Patient files (docs/patient-format.md)."
    ),
]


# ---------------------------------------------------------------------------
# commands


@app.command(DEFAULT_COMMAND, cls=DefaultCommand, hidden=True)
def screen_command(
    patients: PatientsArgument,
    trials: TrialsOption = None,
    date: DateOption = None,
    output: FormatOption = OutputFormat.TABLE,
    status: StatusOption = None,
    country: CountryOption = None,
    site: SiteOption = None,
) -> None:
    """Screen each PATIENT.json against every trial."""
    chosen = TrialFilter.build(status=status, country=country, site=site)
    raise typer.Exit(_guarded(lambda: screen_patients(patients, trials, date, output, chosen)))


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


def main() -> None:
    """Entry point of the `screen` script and of `python -m screener`."""
    app(prog_name="screen")


def _guarded(action: Callable[[], int]) -> int:
    """Run a command body; an escaping error is reported in one line, exit status 2."""
    try:
        return action()
    except Exception as error:
        if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
            raise
        if isinstance(error, InputError):
            _complain(str(error))
        else:
            _complain(f"screen: internal error: {type(error).__name__}: {error}")
        return EXIT_UNUSABLE


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


def screen_patients(
    paths: Sequence[Path],
    trial_paths: Iterable[Path] | None,
    on: dt.date | None,
    output: OutputFormat,
    chosen: TrialFilter | None = None,
) -> int:
    """Screen every patient file; print the reports; return the exit status."""
    patients: list[Patient] = []
    bad_patients: list[InputError] = []
    for path in paths:
        try:
            patients.append(load_patient(path))
        except InputError as error:
            bad_patients.append(error)
            _complain(str(error))
    if not patients:
        return EXIT_UNUSABLE
    library = _load_library(trial_paths, chosen)
    if not library.trials:
        return EXIT_UNUSABLE
    extra = [Rejected(source=e.source, field=e.field, message=e.message) for e in bad_patients]
    console = _console()
    for position, patient in enumerate(patients):
        report = library.screen(patient, on=on)
        if extra:
            report = report.model_copy(update={"rejected": [*report.rejected, *extra]})
        if output is OutputFormat.JSON:
            single = len(paths) == 1
            typer.echo(report.to_json() if single else report.model_dump_json(by_alias=True))
        else:
            if position:
                console.print()
            for line in report_lines(report):
                console.print(line)
    if output is OutputFormat.TABLE:
        for line in rejected_lines([*library.rejected, *bad_patients]):
            console.print(line)
    return EXIT_REJECTED if library.rejected or bad_patients else EXIT_OK


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
# compile output


def compile_document(trials: Sequence[CompiledTrial]) -> dict[str, Any]:
    """The JSON of `screen compile`: per trial and criterion its rule or review reason."""
    document: list[dict[str, Any]] = []
    for trial in trials:
        document.append(
            {
                "id": trial.id,
                "criteria": [
                    {
                        "id": c.id,
                        "kind": c.kind.value,
                        "text": c.text,
                        "coverage": c.coverage,
                        "origin": c.origin.value,
                        "rule": c.canonical,
                        "reason": "; ".join(c.reasons) or None,
                    }
                    for c in trial.criteria
                ],
            }
        )
    return {"trials": document, "summary": coverage_summary(trials)}


def coverage_summary(trials: Sequence[CompiledTrial]) -> dict[str, int]:
    """How the published (origin: text) criteria compiled; rewrites are counted apart."""
    everything = [c for t in trials for c in t.criteria]
    texts = [c for c in everything if c.origin is Origin.TEXT]
    summary = {
        "criteria": len(texts),
        "full": 0,
        "partial_decisive": 0,
        "partial_other": 0,
        "none": 0,
        "rewritten": sum(c.origin is Origin.REWRITE for c in everything),
    }
    for criterion in texts:
        summary[criterion.coverage.replace("-", "_")] += 1
    return summary


def compile_lines(trials: Sequence[CompiledTrial]) -> list[Text]:
    lines: list[Text] = []
    for trial in trials:
        lines.append(Text.assemble((trial.id, "bold"), "  ", trial.spec.title))
        width = max((len(c.id) for c in trial.criteria), default=0)
        for c in trial.criteria:
            reasons = "; ".join(dict.fromkeys(c.reasons))
            if c.canonical is not None:
                reading = Text(c.canonical)
                if reasons:
                    reading.append(f"  (review: {reasons})", "yellow")
            else:
                reading = Text(f"review: {reasons or 'not compiled'}", "yellow")
            lines.append(
                Text.assemble(
                    f"  {c.id:<{width}}  {c.kind.value:<12} ",
                    (f"{c.coverage:<16}", _COVERAGE_STYLE[c.coverage]),
                    " ",
                    reading,
                    ("  « " + _shorten(c.text, 80) + " »", "dim"),
                )
            )
        lines += [Text(f"  warning: {w}", "yellow") for w in trial.warnings]
    s = coverage_summary(trials)
    decided = s["full"] + s["partial_decisive"]
    share = f"{decided / s['criteria']:.1%}" if s["criteria"] else "n/a"
    lines.append(
        Text(
            f"coverage: {s['full']} of {s['criteria']} text criteria full, "
            f"{s['partial_decisive']} partial-decisive, {s['partial_other']} partial-other, "
            f"{s['none']} none ({share} full or partial-decisive); "
            f"{s['rewritten']} rewritten"
        )
    )
    return lines


_COVERAGE_STYLE = {
    "full": "green",
    "partial-decisive": "yellow",
    "partial-other": "yellow",
    "none": "red",
}


# ---------------------------------------------------------------------------
# screening output


def status_label(status: str | None) -> str:
    """A recruitment status as the table shows it: NOT_YET_RECRUITING → not yet recruiting."""
    return status.lower().replace("_", " ") if status else "status not given"


def verdict_label(trial: TrialResult) -> str:
    if trial.pending_confirmation:
        return "eligible pending confirmation"
    return trial.verdict.value.replace("_", " ")


_VERDICT_STYLE = {
    Verdict.ELIGIBLE: "green",
    Verdict.INELIGIBLE: "red",
    Verdict.NEEDS_REVIEW: "yellow",
}


def report_lines(report: ScreeningReport) -> list[Text]:
    """One line per trial, then its failed and open criteria, then warnings."""
    count = len(report.trials)
    lines = [
        Text(
            f"patient {report.patient}, screened on {report.screened_on}, "
            f"{count} trial{'' if count == 1 else 's'}",
            "bold",
        )
    ]
    id_width = max((len(t.id) for t in report.trials), default=0)
    verdict_width = max((len(verdict_label(t)) for t in report.trials), default=0)
    status_width = max((len(status_label(t.status)) for t in report.trials), default=0)
    for trial in report.trials:
        counts = {effect: sum(c.effect is effect for c in trial.criteria) for effect in Effect}
        style = "green" if trial.pending_confirmation else _VERDICT_STYLE[trial.verdict]
        lines.append(
            Text.assemble(
                (f"{trial.id:<{id_width}}", "bold"),
                "  ",
                (f"{verdict_label(trial):<{verdict_width}}", style),
                f"  pass {counts[Effect.PASS]:>2}  fail {counts[Effect.FAIL]:>2}"
                f"  open {counts[Effect.OPEN]:>2}  ",
                (f"{status_label(trial.status):<{status_width}}", "cyan"),
                f"  {trial.title}",
            )
        )
        lines += [_criterion_line(c) for c in _noteworthy(trial.criteria)]
    if report.warnings:
        lines.append(Text("warnings:"))
        lines += [Text(f"  {_one_line(w)}", "yellow") for w in report.warnings]
    return lines


def _noteworthy(criteria: Iterable[CriterionResult]) -> list[CriterionResult]:
    """Failed criteria, then open ones waiting for data, then open ones needing a person."""
    order = {
        (Effect.FAIL, True): 0,
        (Effect.FAIL, False): 0,
        (Effect.OPEN, True): 1,
        (Effect.OPEN, False): 2,
    }
    shown = [c for c in criteria if c.effect is not Effect.PASS]
    return sorted(shown, key=lambda c: order[c.effect, bool(c.missing)])


def _criterion_line(criterion: CriterionResult) -> Text:
    reason = _one_line(criterion.reason)
    if criterion.missing:
        reason = f"missing: {', '.join(dict.fromkeys(criterion.missing))}; {reason}"
    style = "red" if criterion.effect is Effect.FAIL else "yellow"
    return Text.assemble(
        "    ", (f"{criterion.effect.value:<4}", style), f"  {criterion.id}  {reason}"
    )


def rejected_lines(errors: Sequence[InputError]) -> list[Text]:
    if not errors:
        return []
    return [Text("rejected inputs:", "bold red")] + [Text(f"  {e}") for e in errors]


# ---------------------------------------------------------------------------
# helpers


def _console() -> Console:
    """Standard output; styled on a terminal only, never wrapped or highlighted."""
    return Console(highlight=False, soft_wrap=True, emoji=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    flat = _one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
