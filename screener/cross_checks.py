"""Checks across the items of one trial, which no item compiled alone can see.

Each item compiles on its own text; some texts only make sense together. Two checks
turn the rules of such items into review (library.compile_trial):

- inclusion items for disjoint sex or age groups ("men age ≥55 years", "women age ≥65
  years") are alternatives the list sets out without saying so, not each required;
- a rule both required by an inclusion and excluding as an exclusion (an item copied into
  the wrong section) would reject every patient it decides.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from screener import rules as r
from screener.results import Kind, Origin

if TYPE_CHECKING:
    from screener.library import CompiledCriterion

# Inclusion items that no patient can meet together ("men age ≥55 years" and "women age ≥65
# years", "Adults aged 18-65" and "Children aged 6-17") are alternatives a list sets out
# without saying so, not each required: as separate required rules they would reject everyone
# the other items are for.
DEMOGRAPHIC_ALTERNATIVES = (
    "an inclusion item for one sex or age group beside another for a different one: the items"
    " are alternatives, not each required"
)
# an item that opens with a sex and an age, whether or not the rest compiles ("women age ≥50
# years with increased probability of ...", "Female patients aged 18 to 45")
_SEX_AND_AGE_OPENING = re.compile(
    r"^\W*(?P<sex>wom[ae]n|females?|m[ae]n|males?)\b(?:\s+(?:patients?|subjects?|participants?"
    r"|volunteers?))?\s*,?\s*(?:aged?\b|ages\b|\d|[≥>=]|over\b|older\b|between\b|at\s+least\b"
    r"|from\b|younger\b|under\b)",
    re.IGNORECASE,
)
_AGE_IN_YEARS = {"years": Fraction(1), "months": Fraction(1, 12)}


@dataclass(frozen=True)
class _Demographic:
    """The sex and age range an item requires of every patient who meets it."""

    sex: str | None = None
    low: tuple[Fraction, bool] | None = None  # (years, inclusive)
    high: tuple[Fraction, bool] | None = None

    def excludes(self, other: _Demographic) -> bool:
        """Whether no patient can meet both."""
        if self.sex and other.sex and self.sex != other.sex:
            return True
        return _above(self.low, other.high) or _above(other.low, self.high)


def _above(low: tuple[Fraction, bool] | None, high: tuple[Fraction, bool] | None) -> bool:
    """Whether a lower bound lies above an upper bound (no age meets both)."""
    if low is None or high is None:
        return False
    return low[0] > high[0] or (low[0] == high[0] and not (low[1] and high[1]))


def _conjuncts(rule: r.Rule) -> list[r.Rule]:
    if isinstance(rule, r.AllOf):
        return [leaf for item in rule.items for leaf in _conjuncts(item)]
    return [rule]


def _demographic(rule: r.Rule) -> _Demographic | None:
    """The sex and age bounds among a rule's top-level conjuncts, or None when it has none."""
    found = _Demographic()
    for part in _conjuncts(rule):
        if isinstance(part, r.Sex):
            found = replace(found, sex=part.value)
        elif isinstance(part, r.Compare | r.Between) and isinstance(part.subject, r.Age):
            scale = _AGE_IN_YEARS.get(part.unit or "years")
            if scale is None or part.within is not None:
                continue
            if isinstance(part, r.Between):
                lows = [(Fraction(part.low) * scale, part.low_inclusive)]
                highs = [(Fraction(part.high) * scale, part.high_inclusive)]
            elif part.op in (r.Op.GE, r.Op.GT, r.Op.OVER, r.Op.EQ):
                lows = [(Fraction(part.value) * scale, part.op in (r.Op.GE, r.Op.EQ))]
                highs = [(lows[0][0], True)] if part.op is r.Op.EQ else []
            else:
                lows, highs = [], [(Fraction(part.value) * scale, part.op is r.Op.LE)]
            for low in lows:
                if found.low is None or low[0] > found.low[0]:
                    found = replace(found, low=low)
            for high in highs:
                if found.high is None or high[0] < found.high[0]:
                    found = replace(found, high=high)
    return None if found == _Demographic() else found


def demographic_alternatives(criteria: Iterable[CompiledCriterion]) -> set[str]:
    """The ids of inclusion items whose rules require a sex or age that another inclusion
    item (its rule, or the sex and age its text opens with) rules out."""
    stated: list[tuple[str, _Demographic, bool]] = []  # (id, requirement, from the rule)
    for criterion in criteria:
        if criterion.kind is not Kind.INCLUSION or criterion.origin is not Origin.TEXT:
            continue
        if criterion.condition is not None:
            continue  # a heading's subgroup: implies(...), no requirement on everyone
        required = _demographic(criterion.rule)
        if required is not None:
            stated.append((criterion.id, required, True))
            continue
        opening = _SEX_AND_AGE_OPENING.match(criterion.text)
        if opening:
            sex = "female" if opening["sex"].lower().startswith(("wom", "fem")) else "male"
            stated.append((criterion.id, _Demographic(sex=sex), False))
    alternatives: set[str] = set()
    for (one, first, compiled), (_, second, _) in itertools.permutations(stated, 2):
        if compiled and first.excludes(second):
            alternatives.add(one)
    return alternatives


BOTH_SECTIONS = (
    "the same rule required by an inclusion and excluding as an exclusion: the text contradicts"
    " itself (an item copied into the wrong section)"
)


def in_both_sections(criteria: Iterable[CompiledCriterion]) -> set[str]:
    """The ids of text items whose rule is also a rule of the other section (the registry's
    own age and sex fields count as inclusions): under both, every patient the rule decides
    is rejected, so the text says something other than it means."""
    listed = list(criteria)
    rules = {
        kind: {c.rule for c in listed if c.kind is kind and not isinstance(c.rule, r.Review)}
        for kind in (Kind.INCLUSION, Kind.EXCLUSION)
    }
    other = {Kind.INCLUSION: Kind.EXCLUSION, Kind.EXCLUSION: Kind.INCLUSION}
    return {
        c.id
        for c in listed
        if c.origin is Origin.TEXT and c.kind in other and c.rule in rules[other[c.kind]]
    }
