"""Four-valued screening truth combined with Kleene's strong three-valued logic.

`met` and `not_met` are definite. `unknown` (data could decide it) and `review`
(a person must decide it) are both Kleene's third value; they differ only in the
label an undetermined result carries: `review` wins whenever a review leaf is
among the undetermined inputs, because collecting data alone cannot settle it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """The status of a criterion or of any sub-rule."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"
    REVIEW = "review"

    @property
    def definite(self) -> bool:
        return self._value_ in _DEFINITE  # by value: an enum member hashes in Python, slowly


_DEFINITE = ("met", "not_met")


def _undetermined(statuses: Iterable[Status]) -> Status:
    return Status.REVIEW if Status.REVIEW in statuses else Status.UNKNOWN


def all_of(statuses: Iterable[Status]) -> Status:
    """Kleene conjunction: any `not_met` decides; all `met` gives `met`."""
    values = list(statuses)
    if Status.NOT_MET in values:
        return Status.NOT_MET
    if all(v is Status.MET for v in values):
        return Status.MET
    return _undetermined(values)


def any_of(statuses: Iterable[Status]) -> Status:
    """Kleene disjunction: any `met` decides; all `not_met` gives `not_met`."""
    values = list(statuses)
    if Status.MET in values:
        return Status.MET
    if all(v is Status.NOT_MET for v in values):
        return Status.NOT_MET
    return _undetermined(values)


def negate(status: Status) -> Status:
    """Kleene negation: swaps the definite values, keeps the third value's label."""
    if status is Status.MET:
        return Status.NOT_MET
    if status is Status.NOT_MET:
        return Status.MET
    return status


def agree(statuses: Iterable[Status]) -> Status:
    """Combine the statuses of several readings of ambiguous text.

    A definite answer comes out only when every reading gives the same definite
    answer. Readings that contradict each other, or any reading needing review,
    give `review`; otherwise (some reading still waits for data) `unknown`.
    """
    values = list(statuses)
    definite = {v for v in values if v.definite}
    if len(definite) == 1 and all(v.definite for v in values):
        return definite.pop()
    if len(definite) > 1 or Status.REVIEW in values:
        return Status.REVIEW
    return Status.UNKNOWN
