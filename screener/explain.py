"""`screen explain`: every criterion of one trial for one patient, with its evidence.

For each criterion: the verbatim text, its class, the canonical rule, the
patient values it used (as recorded, as converted, dated, fresh or stale; a
derived score such as MELD with its inputs) and the reason, i.e. the step that
decided it. The lines are rich `Text`, plain when not printed to a terminal.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from rich.text import Text

from screener import analytes, qualitative
from screener.derived import LABELS, RECORDED
from screener.facts import TimeRules, horizon
from screener.results import CriterionResult, Effect, ScreeningReport, TrialResult, ValueUsed

_EFFECT_STYLE = {Effect.PASS: "green", Effect.FAIL: "red", Effect.OPEN: "yellow"}


# ---------------------------------------------------------------------------
# freshness


@cache
def _freshness() -> dict[str, tuple[str | None, str]]:
    """Value name → (its key in `TimeRules.per_item`, which default horizon applies)."""
    found: dict[str, tuple[str | None, str]] = {
        a.name: (a.id, "lab") for a in analytes.ANALYTES.values()
    }
    found.update({t.name: (t.id, "lab") for t in qualitative.TESTS.values()})
    for key, label in LABELS.items():  # scores recorded as such
        found[label] = (None, "fact" if key in RECORDED else "lab")
    found.update(
        {
            "pregnant status": ("pregnancy", "pregnancy"),
            "lactating status": ("lactation", "fact"),
            "life expectancy": ("life_expectancy", "fact"),
            "measurable disease": ("measurable_disease", "fact"),
            "hepatic encephalopathy grade": (None, "fact"),
            "ascites": (None, "fact"),
        }
    )
    return found


def horizon_days(name: str, rules: TimeRules) -> int | None:
    """How many days a value of this name may be old and still decide; None when no
    freshness rule applies to it (ages, sex, diagnoses, computed scores)."""
    found = _freshness().get(name)
    if found is None:
        return None
    key, kind = found
    default = {
        "lab": rules.lab_horizon_days,
        "pregnancy": rules.pregnancy_horizon_days,
        "fact": rules.fact_horizon_days,
    }[kind]
    return default if key is None else horizon(rules, key, default)


def is_stale(value: ValueUsed, on: dt.date, rules: TimeRules | None = None) -> bool | None:
    """Whether a dated value is too old to decide on `on`; None when no rule applies."""
    horizon = horizon_days(value.name, rules or TimeRules())
    if horizon is None or value.date is None:
        return None
    return (on - value.date).days > horizon


# ---------------------------------------------------------------------------
# rendering


def explain_lines(
    report: ScreeningReport, trial: TrialResult, rules: TimeRules | None = None
) -> list[Text]:
    """The explanation of one trial of a report, criterion by criterion."""
    counts = {effect: sum(c.effect is effect for c in trial.criteria) for effect in Effect}
    verdict = (
        "eligible pending confirmation"
        if trial.pending_confirmation
        else trial.verdict.value.replace("_", " ")
    )
    lines = [
        Text(f"patient {report.patient}, screened on {report.screened_on}", "bold"),
        Text.assemble((trial.id, "bold"), f"  {trial.title}"),
        Text(
            f"verdict: {verdict}; pass {counts[Effect.PASS]}, fail {counts[Effect.FAIL]}, "
            f"open {counts[Effect.OPEN]} (missing data {trial.open.missing_data}, "
            f"judgement {trial.open.judgement}, administrative {trial.open.administrative})"
        ),
    ]
    for criterion in trial.criteria:
        lines.append(Text())
        lines += criterion_lines(criterion, report.screened_on, rules)
    return lines


def criterion_lines(
    criterion: CriterionResult, on: dt.date, rules: TimeRules | None = None
) -> list[Text]:
    """One criterion: heading, text, rule, values, missing data, answer, reason."""
    lines = [
        Text.assemble(
            (criterion.id, "bold"),
            f"  {criterion.kind.value}, {criterion.class_.value}, origin {criterion.origin.value}"
            f": {criterion.status.value} → ",
            (criterion.effect.value, _EFFECT_STYLE[criterion.effect]),
        ),
        _field("text", _one_line(criterion.text)),
    ]
    if criterion.context:
        lines.append(_field("under", criterion.context))
    lines.append(_field("rule", criterion.rule or "none: the whole text needs a person"))
    for value in criterion.values:
        lines += value_lines(value, on, rules, depth=0)
    if criterion.missing:
        lines.append(_field("missing", ", ".join(criterion.missing)))
    if criterion.answer is not None:
        when = f" on {criterion.answer.on}" if criterion.answer.on else ""
        lines.append(
            _field("answer", f"{criterion.answer.status.value} by {criterion.answer.by}{when}")
        )
    lines.append(_field("reason", _one_line(criterion.reason)))
    return lines


def value_lines(
    value: ValueUsed, on: dt.date, rules: TimeRules | None = None, depth: int = 0
) -> list[Text]:
    """A value used, then the inputs it was derived from, indented below it."""
    label = "value" if depth == 0 else "from"
    lines = [_field(label, describe_value(value, on, rules), indent=2 + 4 * depth)]
    for source in value.derived_from:
        lines += value_lines(source, on, rules, depth + 1)
    return lines


def describe_value(value: ValueUsed, on: dt.date, rules: TimeRules | None = None) -> str:
    """`Total bilirubin 10.2 mg/dL on 2026-11-20 → 174.42 umol/L (note); current`."""
    recorded = "not recorded" if value.value is None else _number(value.value)
    if value.unit:
        recorded += f" {value.unit}"
    text = f"{value.name}: {recorded}"
    if value.date is not None:
        text += f" on {value.date}"
    if value.converted is not None:
        text += f" → {_number(value.converted.value)} {value.converted.unit}"
    if value.note:
        text += f" ({value.note})"
    stale = is_stale(value, on, rules)
    if stale is not None:
        horizon = horizon_days(value.name, rules or TimeRules())
        text += f"; stale (older than {horizon} days)" if stale else "; current"
    return text


def _number(value: float | str) -> str:
    return format(value, ".10g") if isinstance(value, float) else str(value)


def _field(name: str, text: str, indent: int = 2) -> Text:
    return Text(f"{' ' * indent}{name + ':':<8} {text}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
