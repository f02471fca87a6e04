"""Checks across the items of one trial, which no item compiled alone can see.

Each item compiles on its own text; some texts only make sense together. Two checks
turn the rules of such items into review, and one qualifies a diagnosis in them
(library.compile_trial):

- inclusion items for disjoint sex or age groups ("men age ≥55 years", "women age ≥65
  years") are alternatives the list sets out without saying so, not each required;
- a rule both required by an inclusion and excluding as an exclusion (an item copied into
  the wrong section) would reject every patient it decides;
- in a trial of a cancer, a malignancy that may be the trial's own ("History of
  malignancy") is read as one beside it, which a person tells.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from screener import concepts
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


# In a trial of a cancer, "History of malignancy", "Prior malignancy", "No previous history
# of malignant tumors" mean a malignancy other than the one under study, which every patient
# has: read as written, they would exclude (or fail) every patient. A diagnosis that may be
# the trial's own cancer, where its being met would exclude, becomes this qualified one, met
# only in a person's judgement (absent, it still decides).
UNDER_STUDY = "other than the cancer under study"
# the words of a title or a condition that name a cancer
_CANCER_WORDS = re.compile(
    r"\b(?:cancers?|\w*carcinom\w*|tumou?rs?|neoplas\w*|malignan\w*|\w*lymphom\w*|leuk(?:a)?emi\w*"
    r"|\w*myelom\w*|\w*sarcom\w*|melanom\w*|gliom\w*|\w*blastom\w*|mesotheliom\w*|nsclc|sclc"
    r"|myelodysplas\w*|mds|oncolog\w*|metasta\w*)\b",
    re.IGNORECASE,
)
_MALIGNANCY = "malignancy"


def _malignant(concept: str) -> bool:
    """Whether a concept is a malignancy (the concept itself or one below it)."""
    return concept == _MALIGNANCY or _MALIGNANCY in concepts.ancestors(concept)


def _covers_own(concept: str, own: set[str]) -> bool:
    """Whether every patient with one of the trial's own cancers has the concept: it is one
    of them or broader ("malignancy" for a lung cancer trial); only "malignancy" itself when
    the trial's cancer has no concept. A narrower one ("brain metastases", "acute
    promyelocytic leukaemia" in a trial of AML) names some of its patients only."""
    if concept == _MALIGNANCY:
        return True
    return any(concept == o or concept in concepts.ancestors(o) for o in own)


def _named_cancers(rule: r.Rule, required: bool = True) -> set[str]:
    """The malignancies an inclusion rule requires (outside negations and headings)."""
    if isinstance(rule, r.Condition):
        return {rule.concept} if required and _malignant(rule.concept) else set()
    if isinstance(rule, r.Not | r.Implies):
        return set()
    if isinstance(rule, r.Qualified):
        return _named_cancers(rule.item, required)
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return set().union(*(_named_cancers(item, required) for item in rule.items))
    return set()


def _beside(rule: r.Rule, excluding: bool, own: set[str]) -> r.Rule:
    """The rule with each malignancy that may be the trial's own, where its being met
    counts against the patient (`excluding`), qualified as beside the cancer under study."""
    if isinstance(rule, r.Condition):
        if excluding and _covers_own(rule.concept, own):
            return r.Qualified(UNDER_STUDY, rule)
        return rule
    if isinstance(rule, r.Not):
        return r.Not(_beside(rule.item, not excluding, own))
    if isinstance(rule, r.Implies):
        return r.Implies(
            _beside(rule.condition, not excluding, own), _beside(rule.then, excluding, own)
        )
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return type(rule)(tuple(_beside(item, excluding, own) for item in rule.items))
    return rule  # a leaf, or a qualified rule (met only in a person's judgement already)


def beside_the_cancer_under_study(
    title: str, conditions: Iterable[str], criteria: Iterable[CompiledCriterion]
) -> list[CompiledCriterion]:
    """The criteria of a cancer trial (its title, conditions or inclusion items name one)
    with every malignancy that may be its own cancer qualified where it would exclude."""
    listed = list(criteria)
    own: set[str] = set()
    for criterion in listed:
        if criterion.kind is Kind.INCLUSION:
            own |= _named_cancers(criterion.rule)
    for condition in conditions:
        found = concepts.by_phrase(condition)
        if found is not None and _malignant(found.id):
            own.add(found.id)
    words = " ".join([title, *conditions])
    if not own and not _CANCER_WORDS.search(words):
        return listed
    guarded: list[CompiledCriterion] = []
    for criterion in listed:
        if criterion.origin is Origin.TEXT and criterion.kind in (Kind.INCLUSION, Kind.EXCLUSION):
            rule = _beside(criterion.rule, criterion.kind is Kind.EXCLUSION, own)
            if rule != criterion.rule:
                criterion = replace(criterion, rule=rule)
        guarded.append(criterion)
    return guarded
