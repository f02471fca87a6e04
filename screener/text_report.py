"""The lines of the coordinator's table: the screening report (one line per trial, the
reasons behind its verdict, the data to collect) and the `screen compile` listing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text

from screener.collect import by_trials
from screener.compile_report import coverage_summary
from screener.errors import InputError
from screener.explain import is_stale
from screener.library import CompiledTrial
from screener.logic import Status
from screener.results import (
    CriterionClass,
    CriterionResult,
    Effect,
    Kind,
    ScreeningReport,
    TrialResult,
    Verdict,
)

# ---------------------------------------------------------------------------
# compile listing


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
# screening report


def status_label(status: str | None) -> str:
    """A recruitment status as the table shows it: NOT_YET_RECRUITING → not yet recruiting."""
    return status.lower().replace("_", " ") if status else "status not given"


def verdict_label(trial: TrialResult) -> str:
    """eligible, eligible pending confirmation, needs review or ineligible."""
    if trial.pending_confirmation:
        return "eligible pending confirmation"
    return trial.verdict.value.replace("_", " ")


def verdict_style(trial: TrialResult) -> str:
    if trial.pending_confirmation:
        return "green"
    return _VERDICT_STYLE[trial.verdict]


_VERDICT_STYLE = {
    Verdict.ELIGIBLE: "bold green",
    Verdict.INELIGIBLE: "red",
    Verdict.NEEDS_REVIEW: "yellow",
}

TO_COLLECT_SHOWN = 12
"""How many data items the table lists under "to collect" (JSON has them all)."""


def report_lines(report: ScreeningReport) -> list[Text]:
    """One line per trial with the reasons that decide its verdict, the data to
    collect next, then warnings."""
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
        lines.append(
            Text.assemble(
                (f"{trial.id:<{id_width}}", "bold"),
                "  ",
                (f"{verdict_label(trial):<{verdict_width}}", verdict_style(trial)),
                f"  pass {counts[Effect.PASS]:>2}  fail {counts[Effect.FAIL]:>2}"
                f"  open {counts[Effect.OPEN]:>2}  ",
                (f"{status_label(trial.status):<{status_width}}", "cyan"),
                f"  {trial.title}",
            )
        )
        lines += deciding_lines(trial, report.screened_on)
    lines += to_collect_lines(report)
    if report.warnings:
        lines.append(Text("warnings:"))
        lines += [Text(f"  {_one_line(w)}", "yellow") for w in report.warnings]
    return lines


def deciding_lines(trial: TrialResult, on: dt.date) -> list[Text]:
    """The one-line reasons behind a verdict: the failures of an ineligible trial;
    otherwise the data to collect, then the items a person judges or confirms;
    then the coordinator answers the verdict rests on."""
    if trial.verdict is Verdict.INELIGIBLE:
        failed = [c for c in trial.criteria if c.effect is Effect.FAIL]
        return [_criterion_line(c, _one_line(c.reason)) for c in failed]
    still_open = [c for c in trial.criteria if c.effect is Effect.OPEN]
    lines = _missing_lines(still_open, on)
    for criterion in still_open:
        if criterion.missing:
            continue
        if criterion.status is Status.UNKNOWN:
            lines.append(_criterion_line(criterion, _one_line(criterion.reason)))
    for wanted in (_JUDGEMENT, _ADMINISTRATIVE):
        lines += [
            _criterion_line(c, f"{wanted}: {_shorten(c.text, 100)}")
            for c in still_open
            if not c.missing and c.status is not Status.UNKNOWN and _open_kind(c) == wanted
        ]
    lines += [_answer_line(c) for c in trial.criteria if c.answer is not None]
    return lines


_JUDGEMENT = "judgement"
_ADMINISTRATIVE = "administrative"


def _open_kind(criterion: CriterionResult) -> str:
    """How an open item without missing data is settled: by judgement (clinical and
    judgement items, unclassified ones) or by confirming an administrative fact."""
    if criterion.kind is not Kind.UNCLASSIFIED and criterion.class_ is (
        CriterionClass.ADMINISTRATIVE
    ):
        return _ADMINISTRATIVE
    return _JUDGEMENT


def _missing_lines(criteria: Sequence[CriterionResult], on: dt.date) -> list[Text]:
    """The data to collect, one line per group of items needed by the same criteria:
    `INR not on file (needed by: inc-4 lab(pta) in [20, 40] % or lab(inr) in [1.5, 2.6])`."""
    needs: dict[str, list[CriterionResult]] = {}
    for criterion in criteria:
        for item in dict.fromkeys(criterion.missing):
            needs.setdefault(item, []).append(criterion)
    groups: dict[tuple[str, ...], list[str]] = {}
    for item, needing in needs.items():
        groups.setdefault(tuple(c.id for c in needing), []).append(item)
    lines: list[Text] = []
    for items in groups.values():
        needing = needs[items[0]]
        users = "; ".join(f"{c.id} {criterion_label(c)}" for c in needing)
        states = [f"{item} {_data_state(item, needing, on)}" for item in items]
        lines.append(
            Text.assemble(
                "    ", ("open", "yellow"), f"  missing: {_joined(states)} (needed by: {users})"
            )
        )
    return lines


def _joined(states: list[str]) -> str:
    """`A not on file, B not on file` → `A, B not on file` when they all say the same."""
    suffix = " not on file"
    if len(states) > 1 and all(s.endswith(suffix) for s in states):
        return ", ".join(s.removesuffix(suffix) for s in states) + suffix
    return ", ".join(states)


def _data_state(item: str, needing: Sequence[CriterionResult], on: dt.date) -> str:
    """`not on file`, or `on file only from DATE (stale)` when the value on file is too old."""
    dates = [
        value.date
        for c in needing
        for value in c.values
        if value.name == item and value.date is not None and is_stale(value, on)
    ]
    if dates:
        return f"on file only from {max(dates)} (stale)"
    return "not on file"


RULE_SHOWN = 60
"""A canonical rule up to this length names its criterion in a line; a longer one
gives way to the verbatim text, shortened."""


def criterion_label(criterion: CriterionResult) -> str:
    """A short name for what a criterion asks: its canonical rule when short and
    plain, else its verbatim text shortened."""
    rule = criterion.rule
    if rule and len(rule) <= RULE_SHOWN and not rule.startswith(("readings(", "qualified(")):
        return rule
    return f'"{_shorten(criterion.text.rstrip(";. "), RULE_SHOWN)}"'


def _criterion_line(criterion: CriterionResult, text: str) -> Text:
    style = "red" if criterion.effect is Effect.FAIL else "yellow"
    return Text.assemble(
        "    ", (f"{criterion.effect.value:<4}", style), f"  {criterion.id}  {text}"
    )


def _answer_line(criterion: CriterionResult) -> Text:
    answer = criterion.answer
    assert answer is not None
    when = f" on {answer.on}" if answer.on else ""
    return Text.assemble(
        "    ",
        ("answered", "cyan"),
        f"  {criterion.id}  {answer.status.value} by {answer.by}{when}",
    )


def to_collect_lines(report: ScreeningReport) -> list[Text]:
    """The data items to collect next: most open criteria first, then those that
    settle a whole trial on their own."""
    items = report.to_collect
    if not items:
        return []
    width = max(len(c.item) for c in items[:TO_COLLECT_SHOWN])
    lines = [Text("to collect (decides most open criteria first):", "bold")]
    for c in items[:TO_COLLECT_SHOWN]:
        lines.append(
            Text(
                f"  {c.item:<{width}}  {c.criteria} criteri{'on' if c.criteria == 1 else 'a'}"
                f" in {', '.join(c.needed_by)}"
            )
        )
    if len(items) > TO_COLLECT_SHOWN:
        lines.append(Text(f"  ... and {len(items) - TO_COLLECT_SHOWN} more (--format json)"))
    settling = by_trials(items)
    if settling:
        lines.append(
            Text("settles a trial on its own (then definite or pending confirmation):", "bold")
        )
        lines += [Text(f"  {c.item}: {', '.join(c.trial_ids)}") for c in settling]
    return lines


def rejected_lines(errors: Sequence[InputError]) -> list[Text]:
    if not errors:
        return []
    return [Text("rejected inputs:", "bold red")] + [Text(f"  {e}") for e in errors]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, limit: int) -> str:
    flat = _one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
