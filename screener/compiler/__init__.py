"""Compile published criterion text into rules (see structure.py for the policy)."""

from __future__ import annotations

from dataclasses import dataclass

from screener import rules as r
from screener.compiler.classify import classify
from screener.compiler.normalise import normalise
from screener.compiler.structure import Builder
from screener.compiler.tokens import tokenize
from screener.results import CriterionClass

COMPILER_ERROR = "compiler error"
MAX_LENGTH = 600
"""Criteria longer than this go to review unparsed: parsing stays linear and bounded."""


@dataclass(frozen=True)
class Compiled:
    rule: r.Rule
    class_: CriterionClass
    reasons: tuple[str, ...]


def compile_criterion(text: str, kind: str = "inclusion") -> Compiled:
    """The rule for one criterion's verbatim text; never raises on any text."""
    normalised = normalise(text)
    class_ = classify(normalised)
    if class_ is not CriterionClass.CLINICAL:
        return Compiled(
            r.Review(normalised), class_, (f"{class_.value} item: a person confirms it",)
        )
    if not normalised:
        return Compiled(r.Review(text), class_, ("empty criterion",))
    if len(normalised) > MAX_LENGTH:
        return Compiled(r.Review(normalised), class_, ("too long to compile",))
    builder = Builder(normalised, kind)
    try:
        rule = builder.build(tokenize(normalised))
    except Exception as error:  # a compiler bug must not stop screening; tests assert none occur
        return Compiled(r.Review(normalised), class_, (f"{COMPILER_ERROR}: {error!r}",))
    if isinstance(rule, r.Review):  # nothing compiled: show the whole text, not a trimmed span
        rule = r.Review(normalised)
    return Compiled(rule, class_, tuple(builder.reasons))
