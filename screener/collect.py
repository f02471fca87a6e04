"""What to collect next: the missing data items of one report, ranked by what they settle.

Only trials that are not ineligible count (data cannot rescue an ineligible
trial). For each data item named in the `missing` list of an open criterion:

- `criteria`: how many open criteria list it, i.e. how many it may decide;
- `trials` / `trial_ids`: the trials it alone would make definite or "pending
  confirmation only": trials whose every open clinical item (and every item
  waiting for data) needs exactly this one item. Collecting it settles those
  items one way or the other; what is left is at most judgement and
  administrative items a person confirms;
- `needed_by`: every trial with an open criterion that needs it.

`to_collect` ranks by criteria (then trials); `by_trials` gives the second
ranking, for the items that settle at least one trial.
"""

from __future__ import annotations

from collections.abc import Iterable

from screener.logic import Status
from screener.results import (
    CollectItem,
    CriterionClass,
    CriterionResult,
    Effect,
    Kind,
    ScreeningReport,
    TrialResult,
    Verdict,
)


def with_to_collect(report: ScreeningReport) -> ScreeningReport:
    """The report with its `to_collect` list filled in (recomputed if already there)."""
    return report.model_copy(update={"to_collect": to_collect(report.trials)})


def to_collect(trials: Iterable[TrialResult]) -> list[CollectItem]:
    """The missing data items of trials not ineligible, most criteria decided first.

    Ties keep the order in which the items first appear (trials in report order).
    """
    criteria: dict[str, int] = {}
    needed_by: dict[str, list[str]] = {}
    settles: dict[str, list[str]] = {}
    for trial in trials:
        if trial.verdict is Verdict.INELIGIBLE:
            continue
        open_criteria = _open(trial)
        for criterion in open_criteria:
            for item in dict.fromkeys(criterion.missing):
                criteria[item] = criteria.get(item, 0) + 1
                trial_ids = needed_by.setdefault(item, [])
                if trial.id not in trial_ids:
                    trial_ids.append(trial.id)
        single = settling_item(trial, open_criteria)
        if single is not None:
            settles.setdefault(single, []).append(trial.id)
    items = [  # built from typed values: model_construct skips a validation per item
        CollectItem.model_construct(
            item=item,
            criteria=count,
            trials=len(settles.get(item, [])),
            trial_ids=settles.get(item, []),
            needed_by=needed_by[item],
        )
        for item, count in criteria.items()
    ]
    return sorted(items, key=lambda c: (-c.criteria, -c.trials))


def by_trials(items: Iterable[CollectItem]) -> list[CollectItem]:
    """The items that settle at least one trial on their own, most trials first."""
    return sorted((c for c in items if c.trials), key=lambda c: (-c.trials, -c.criteria))


def settling_item(
    trial: TrialResult, open_criteria: list[CriterionResult] | None = None
) -> str | None:
    """The one data item whose collection leaves `trial` definite or pending
    confirmation only, or None when no single item does (`open_criteria`: the trial's
    open criteria, when already at hand)."""
    if open_criteria is None:
        open_criteria = _open(trial)
    blocking = [c for c in open_criteria if _blocks_confirmation(c)]
    if not blocking:
        return None
    wanted = {item for c in blocking for item in c.missing}
    if len(wanted) != 1 or any(c.status is not Status.UNKNOWN for c in blocking):
        return None
    return wanted.pop()


def _open(trial: TrialResult) -> list[CriterionResult]:
    return [c for c in trial.criteria if c.effect is Effect.OPEN]


def _blocks_confirmation(criterion: CriterionResult) -> bool:
    """Whether an open criterion keeps its trial from "pending confirmation only":
    an unclassified item, a clinical one, or one waiting for data."""
    return (
        criterion.kind is Kind.UNCLASSIFIED
        or criterion.class_ is CriterionClass.CLINICAL
        or criterion.status is Status.UNKNOWN
    )
