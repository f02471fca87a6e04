"""A lab threshold with a second threshold, or a waiver, for a subgroup of patients.

"Total bilirubin ≤ 1.5 × ULN (≤ 3 × ULN for patients with Gilbert syndrome)" reads
(S and L) or (not S and M): the main threshold M for most patients, the alternative
L for the subgroup S. Whatever S is, the compiled part decides where it can:

- L admits every value M admits (a looser bound): the criterion is M or (S and L),
  true whenever M is: `M or review(alternative)`;
- L admits only values M admits (a tighter bound): it is M and (not S or L), false
  whenever M is: `M and review(alternative)`.

"AST ≤ 3 × ULN unless due to liver metastases" waives the threshold for a subgroup:
in an inclusion the criterion is M or S (`M or review`), in an exclusion M and not S
(`M and review`). An alternative in another unit, a range, or a tail with a further
threshold cannot be compared and stays review with the rest.

"LVEF ≥ 50 % for patients receiving anthracyclines" restricts the whole rule to a
subgroup: an inclusion then binds only the subgroup (`implies(S; M)`), an exclusion
excludes only its members (`S and M`), as a restricting heading does (library.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from lark import Token

from screener import rules as r

_UPPER = {r.Op.LE, r.Op.LT, r.Op.UNDER}
_LOWER = {r.Op.GE, r.Op.GT, r.Op.OVER}
_COMPARATORS = {"GE", "LE", "GT", "LT", "OVER", "UNDER"}
_TOKEN_OPS = {
    "GE": r.Op.GE,
    "LE": r.Op.LE,
    "GT": r.Op.GT,
    "LT": r.Op.LT,
    "OVER": r.Op.GT,
    "UNDER": r.Op.LT,
}
_SUBGROUP_OPENERS = {"for", "if", "in", "with", "when", "where", "among", "due"}
_WAIVERS = {"unless", "except"}


@dataclass(frozen=True)
class Alternative:
    """The main rule, how it combines with the review, and the tokens left to review."""

    main: r.Rule
    combine: str  # "or" | "and"
    rest: list[Token]


def subgroup_alternative(
    tokens: list[Token], kind_conjunction: str, parse: Callable[[list[Token]], r.Rule | None]
) -> Alternative | None:
    """The main lab rule of a criterion followed by a subgroup's threshold or waiver."""
    for start in range(1, len(tokens) - 1):
        opener = _opening(tokens, start)
        if opener is None:
            continue
        main = parse(tokens[:start])
        bound = _single_bound(main) if main is not None else None
        if main is None or bound is None:
            return None
        rest = _inside(tokens[opener:], parenthesised=tokens[start].type == "LPAR")
        if rest is None or _holds_threshold(rest[3:] if rest[0].type in _COMPARATORS else rest):
            return None
        if rest[0].type in _COMPARATORS:
            combine = _alternative_combination(bound, rest)
        else:
            # a waiver: the requirement lapses for the subgroup (inclusion: M or S);
            # an exclusion does not apply to it (M and not S)
            combine = "or" if kind_conjunction == "and" else "and"
        if combine is None:
            return None
        return Alternative(main, combine, rest)
    return None


def _opening(tokens: list[Token], start: int) -> int | None:
    """Where an alternative or waiver opens at `start`: the index of its first word."""
    at = start
    if tokens[at].type == "LPAR":
        at += 1
    elif tokens[at].type == "COMMA" and at + 1 < len(tokens) and tokens[at + 1].type == "OR":
        at += 2
    elif tokens[at].type == "OR":
        at += 1
    if at >= len(tokens):
        return None
    first = tokens[at]
    if first.type in _COMPARATORS and at > start:
        return at
    if first.type == "WORD" and str(first).lower() in _WAIVERS and tokens[start].type != "OR":
        return at
    return None


def _inside(tokens: list[Token], parenthesised: bool) -> list[Token] | None:
    """The alternative's tokens; a parenthesis must close at the very end."""
    if not parenthesised:
        return tokens if all(t.type not in ("LPAR", "RPAR") for t in tokens) else None
    if tokens[-1].type != "RPAR" or any(t.type in ("LPAR", "RPAR") for t in tokens[:-1]):
        return None
    return tokens[:-1] or None


def _single_bound(rule: r.Rule) -> tuple[r.Op, Decimal, str] | None:
    """The one bound every leaf of a lab rule shares ("AST and ALT ≤ 3 × ULN")."""
    if not isinstance(rule, r.Compare | r.AllOf):
        return None
    bounds = set()
    for leaf in r.leaves(rule):
        if not (
            isinstance(leaf, r.Compare)
            and isinstance(leaf.subject, r.Lab)
            and leaf.within is None
            and leaf.op in _UPPER | _LOWER
        ):
            return None
        bounds.add((leaf.op, leaf.value, leaf.unit))
    return bounds.pop() if len(bounds) == 1 else None


def _alternative_combination(bound: tuple[r.Op, Decimal, str], rest: list[Token]) -> str | None:
    """'or' for a looser alternative bound, 'and' for a tighter one, None if not comparable."""
    op, value, unit = bound
    if len(rest) < 4 or rest[1].type != "NUMBER" or rest[2].type != "UNIT":
        return None
    if str(rest[2]) != unit or not _opens_subgroup(rest[3]):
        return None
    other_op, other = _TOKEN_OPS[rest[0].type], Decimal(str(rest[1]))
    if (op in _UPPER) != (other_op in _UPPER) or other == value:
        return None
    looser = other > value if op in _UPPER else other < value
    return "or" if looser else "and"


def _opens_subgroup(token: Token) -> bool:
    return token.type == "WORD" and str(token).lower() in _SUBGROUP_OPENERS


def _holds_threshold(tokens: list[Token]) -> bool:
    """Whether a subgroup's text sets a threshold of its own (an age bound is not one)."""
    for index, token in enumerate(tokens):
        if token.type == "UNIT":
            return True
        if token.type in _COMPARATORS | {"BETWEEN"}:
            following = tokens[index + 1 : index + 3]
            is_age = len(following) == 2 and following[1].type == "TIME_UNIT"
            if not is_age:
                return True
    return False


_RESTRICTION_OPENERS = {"for", "in", "among", "if"}
_SUBJECTS = re.compile(
    r"(?:for|in|among)\s+(?:the\s+|all\s+|those\s+)?(?:patients?|subjects?|participants?|women"
    r"|men|females?|males?|individuals|people|persons|children|adults|adolescents|those|cases"
    r")\b",
    re.IGNORECASE,
)
_OPEN_ENDED = {"unless", "except", "otherwise", "only", "or", "and/or", "whichever", "either"}


def subgroup_restriction(
    tokens: list[Token], text: str, parse: Callable[[list[Token]], r.Rule | None]
) -> tuple[r.Rule, list[Token], str] | None:
    """'LVEF ≥ 50 % for patients receiving anthracyclines', 'a negative pregnancy test if of
    childbearing potential': a rule that holds only for a subgroup named after it.

    Returns the rule, the subgroup's tokens (without the opening word) and its text
    (from the opening word, as written); the caller
    makes it `implies(subgroup; rule)` in an inclusion, `subgroup and rule` in an exclusion.
    """
    for index in range(1, len(tokens) - 1):
        token = tokens[index]
        wrapped = token.type == "LPAR"
        opener = tokens[index + 1] if wrapped else token
        if opener.type != "WORD" or str(opener).lower() not in _RESTRICTION_OPENERS:
            continue
        if str(opener).lower() != "if" and not _SUBJECTS.match(text, opener.start_pos or 0):
            continue
        subgroup = _inside(tokens[index + 1 if wrapped else index :], parenthesised=wrapped)
        if subgroup is None or subgroup[0] is not opener:
            return None
        subgroup = subgroup[1:]
        words = {str(t).lower() for t in subgroup}
        if (
            not subgroup
            or _holds_threshold(subgroup)
            or words & _OPEN_ENDED
            or any(t.type in ("SEMI", "COLON", "OR", "ANDOR", "EG", "NOT", "NO") for t in subgroup)
        ):
            return None
        main = parse(tokens[:index])
        if main is None or not _measurements_only(main):
            # "HSCT if relapse > 90 days after it" permits X under S (X -> S) rather than
            # requiring it of S (S -> X): only a measured threshold is surely required
            return None
        end = tokens[-1].end_pos if wrapped and tokens[-1].end_pos else len(text)
        words_as_written = text[opener.start_pos or 0 : end].rstrip(" )")
        return main, subgroup, words_as_written
    return None


def _measurements_only(rule: r.Rule) -> bool:
    """Whether every leaf is a lab, score or recorded-fact threshold."""
    return not isinstance(rule, r.Not | r.Readings) and all(
        isinstance(leaf, r.Compare | r.Between | r.OneOf)
        and isinstance(leaf.subject, r.Lab | r.Score | r.Fact)
        for leaf in r.leaves(rule)
    )
