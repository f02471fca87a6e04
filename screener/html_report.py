"""One self-contained HTML page of a screening report, for a coordinator.

No script, no external style, font or image: the page renders offline and
prints on A4 with every criterion expanded.
"""

from __future__ import annotations

from html import escape

from screener.results import CriterionResult, ScreeningReport, TrialResult, ValueUsed

_STYLE = """
@page { size: A4; margin: 14mm; }
body { font: 11pt/1.4 system-ui, sans-serif; color: #1b1b1b; margin: 1.5em; }
h1 { font-size: 16pt; margin: 0 0 .2em; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; }
th, td { text-align: left; padding: .25em .5em; border-bottom: 1px solid #ddd;
         vertical-align: top; }
.badge { display: inline-block; padding: 0 .5em; border-radius: .6em; font-size: 9pt;
         white-space: nowrap; }
.eligible, .met-pass, .pass { background: #d6f5d6; }
.pending { background: #e6f0ff; }
.needs_review, .open { background: #fff3c4; }
.ineligible, .fail { background: #ffd6d6; }
details { margin: .4em 0 1em; page-break-inside: auto; }
summary { font-weight: 600; cursor: pointer; }
.rule { font-family: ui-monospace, monospace; font-size: 9pt; color: #333; }
.muted { color: #666; font-size: 9pt; }
@media print { details > summary { list-style: none; } }
"""


def _verdict_label(trial: TrialResult) -> tuple[str, str]:
    if trial.pending_confirmation:
        return "eligible pending confirmation", "pending"
    return trial.verdict.value.replace("_", " "), trial.verdict.value


def _value(value: ValueUsed) -> str:
    shown = f"{escape(value.name)}: {escape(str(value.value))}"
    if value.unit:
        shown += f" {escape(value.unit)}"
    if value.converted is not None:
        shown += f" = {value.converted.value:g} {escape(value.converted.unit)}"
    if value.date is not None:
        shown += f" ({value.date})"
    if value.note:
        shown += f" <span class=muted>{escape(value.note)}</span>"
    parts = [shown] + [_value(inner) for inner in value.derived_from]
    return "<br>".join(parts)


def _criterion_row(criterion: CriterionResult) -> str:
    values = "<br>".join(_value(v) for v in criterion.values)
    rule = f"<div class=rule>{escape(criterion.rule)}</div>" if criterion.rule else ""
    answer = ""
    if criterion.answer is not None:
        when = f" on {criterion.answer.on}" if criterion.answer.on else ""
        answer = f"<div class=muted>answered by {escape(criterion.answer.by)}{when}</div>"
    return (
        f"<tr><td>{escape(criterion.id)}<div class=muted>{criterion.kind.value}, "
        f"{criterion.class_.value}</div></td>"
        f"<td>{escape(criterion.text)}{rule}</td>"
        f"<td><span class='badge {criterion.effect.value}'>{criterion.status.value}</span>"
        f"{answer}</td>"
        f"<td>{escape(criterion.reason)}<div>{values}</div></td></tr>"
    )


def _trial_section(trial: TrialResult) -> str:
    label, css = _verdict_label(trial)
    rows = "".join(_criterion_row(c) for c in trial.criteria)
    return (
        f"<details open id='trial-{escape(trial.id)}'><summary>{escape(trial.id)} — "
        f"{escape(trial.title)} <span class='badge {css}'>{escape(label)}</span></summary>"
        "<table><tr><th>criterion</th><th>text and rule</th><th>status</th>"
        f"<th>why, and the values used</th></tr>{rows}</table></details>"
    )


def _ranked_row(trial: TrialResult) -> str:
    label, css = _verdict_label(trial)
    counts = {"pass": 0, "fail": 0, "open": 0}
    for criterion in trial.criteria:
        counts[criterion.effect.value] += 1
    return (
        f"<tr class=trial-row><td><a href='#trial-{escape(trial.id)}'>{escape(trial.id)}</a>"
        f"</td><td>{escape(trial.title)}</td><td>{escape(trial.status or '')}</td>"
        f"<td><span class='badge {css}'>{escape(label)}</span></td>"
        f"<td>{counts['pass']}</td><td>{counts['fail']}</td><td>{counts['open']}</td></tr>"
    )


def render_html(report: ScreeningReport) -> str:
    """The report as one self-contained HTML document."""
    ranked = "".join(_ranked_row(t) for t in report.trials)
    sections = "".join(_trial_section(t) for t in report.trials)
    collect = ""
    to_collect = getattr(report, "to_collect", None)
    if to_collect:
        items = "".join(
            f"<tr><td>{escape(item.item)}</td><td>{item.criteria}</td><td>{item.trials}</td></tr>"
            for item in to_collect
        )
        collect = (
            "<h2>What to collect next</h2><table><tr><th>data</th><th>open criteria it "
            f"would decide</th><th>trials it would settle</th></tr>{items}</table>"
        )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in report.warnings)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Screening of {escape(report.patient)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>Screening of patient {escape(report.patient)}</h1>"
        f"<p class=muted>screened on {report.screened_on}; engine {report.engine.version}, "
        f"grammar {report.engine.grammar}; {len(report.trials)} trials</p>"
        + (f"<ul class=muted>{warnings}</ul>" if warnings else "")
        + "<h2>Trials, most promising first</h2><table><tr><th>trial</th><th>title</th>"
        "<th>recruitment</th><th>verdict</th><th>pass</th><th>fail</th><th>open</th></tr>"
        f"{ranked}</table>{collect}<h2>Every criterion</h2>{sections}</body></html>"
    )
