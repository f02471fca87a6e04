"""Parse the criterion language (grammar/rule.lark) into rule nodes."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from functools import cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError

from screener import qualitative
from screener import rules as r
from screener.resources import grammar_path


class RuleSyntaxError(ValueError):
    """Text that is not a well-formed rule of the criterion language."""

    def __init__(self, text: str, message: str) -> None:
        super().__init__(message)
        self.text = text
        self.message = message


@cache
def _parser() -> Lark:
    path = grammar_path("rule.lark")
    return Lark(
        path.read_text(encoding="utf-8"), parser="lalr", strict=True, maybe_placeholders=True
    )


@v_args(inline=True)
class _ToRule(Transformer[Token, r.Rule]):
    def disjunction(self, *items: r.Rule) -> r.Rule:
        return r.AnyOf(items)

    def conjunction(self, *items: r.Rule) -> r.Rule:
        return r.AllOf(items)

    def negation(self, item: r.Rule) -> r.Rule:
        return r.Not(item)

    def implies(self, condition: r.Rule, then: r.Rule) -> r.Rule:
        return r.Implies(condition, then)

    def qualified(self, qualifier: Token, item: r.Rule) -> r.Rule:
        return r.Qualified(json.loads(qualifier), item)

    def readings(self, *items: r.Rule) -> r.Rule:
        return r.Readings(items)

    # comparisons
    def compare(
        self,
        subject: r.Subject,
        op: r.Op,
        number: Token,
        unit: Token | None,
        within: r.Window | None,
    ) -> r.Rule:
        _check_window(subject, within)
        return r.Compare(subject, op, Decimal(number), str(unit or ""), within)

    def between(
        self,
        subject: r.Subject,
        low_incl: bool,
        low: Token,
        high: Token,
        high_incl: bool,
        unit: Token | None,
        within: r.Window | None,
    ) -> r.Rule:
        _check_window(subject, within)
        return r.Between(
            subject, Decimal(low), Decimal(high), str(unit or ""), low_incl, high_incl, within
        )

    def one_of(self, subject: r.Subject, *names: Token) -> r.Rule:
        return r.OneOf(subject, tuple(str(n) for n in names))

    def inclusive(self) -> bool:
        return True

    def exclusive(self) -> bool:
        return False

    def lt(self) -> r.Op:
        return r.Op.LT

    def le(self) -> r.Op:
        return r.Op.LE

    def gt(self) -> r.Op:
        return r.Op.GT

    def ge(self) -> r.Op:
        return r.Op.GE

    def eq(self) -> r.Op:
        return r.Op.EQ

    def over(self) -> r.Op:
        return r.Op.OVER

    def under(self) -> r.Op:
        return r.Op.UNDER

    # subjects
    def age(self) -> r.Subject:
        return r.Age()

    def lab(self, name: Token) -> r.Subject:
        return r.Lab(str(name))

    def rise(self, name: Token, per: Token) -> r.Subject:
        return r.Rise(str(name), str(per))

    def score(self, name: Token) -> r.Subject:
        return r.Score(str(name))

    def fact(self, name: Token) -> r.Subject:
        return r.Fact(str(name))

    # other leaves
    def sex(self, value: Token) -> r.Rule:
        return r.Sex(str(value))

    def condition(self, name: Token) -> r.Rule:
        return r.Condition(str(name))

    def condition_or_suspected(self, name: Token) -> r.Rule:
        return r.Condition(str(name), r.ConditionMode.PRESENT_OR_SUSPECTED)

    def history(self, name: Token) -> r.Rule:
        return r.Condition(str(name), r.ConditionMode.HISTORY)

    def pregnant(self) -> r.Rule:
        return r.Pregnant()

    def lactating(self) -> r.Rule:
        return r.Lactating()

    def history_within(self, name: Token, within: r.Window) -> r.Rule:
        return r.Condition(str(name), r.ConditionMode.HISTORY, within)

    def within(self, window: r.Window) -> r.Window:
        return window

    def window(self, amount: Token, unit: Token, anchor: Token | None) -> r.Window:
        if anchor is not None and str(anchor) not in r.ANCHORS:
            raise ValueError(f"unknown window anchor {anchor!s}: one of {', '.join(r.ANCHORS)}")
        return r.Window(int(amount), str(unit), str(anchor or ""))

    def strict_window(self, amount: Token, unit: Token, anchor: Token | None) -> r.Window:
        """'< 4 weeks': the day exactly 4 weeks back is outside the window."""
        return replace(self.window(amount, unit, anchor), strict=True)

    def any_type(self) -> tuple[str, ...]:
        return ()

    def some_types(self, *names: Token) -> tuple[str, ...]:
        return tuple(str(n) for n in names)

    def ongoing(self) -> None:
        return None

    def trial_when(self, window: r.Window) -> r.Window:
        return window

    def other_trial(self, types: tuple[str, ...], within: r.Window | None) -> r.Rule:
        return r.TrialParticipation(types, within)

    def medication(self, name: Token) -> r.Rule:
        return r.Medication(str(name))

    def medication_within(self, name: Token, window: r.Window) -> r.Rule:
        return r.Medication(str(name), window)

    def medication_ever(self, name: Token) -> r.Rule:
        return r.Medication(str(name), ever=True)

    def procedure(self, name: Token) -> r.Rule:
        return r.Procedure(str(name))

    def procedure_within(self, name: Token, window: r.Window) -> r.Rule:
        return r.Procedure(str(name), window)

    def procedure_ever(self, name: Token) -> r.Rule:
        return r.Procedure(str(name), ever=True)

    def test_result(self, name: Token, result: Token) -> r.Rule:
        if str(name) not in qualitative.TESTS:
            raise ValueError(f"unknown test {name!s}: one of {', '.join(qualitative.TESTS)}")
        if str(result) not in qualitative.RESULTS:
            raise ValueError(f"a test result is positive or negative, not {result!s}")
        return r.TestResult(str(name), str(result))

    def measurable_disease(self, criteria: Token) -> r.Rule:
        if str(criteria) not in r.RESPONSE_CRITERIA:
            raise ValueError(
                f"measurable disease under {criteria!s}: one of {', '.join(r.RESPONSE_CRITERIA)}"
            )
        return r.MeasurableDisease(str(criteria))

    def review(self, text: Token) -> r.Rule:
        return r.Review(json.loads(text))


def _check_window(subject: r.Subject, within: r.Window | None) -> None:
    if within is not None and not isinstance(subject, r.Lab):
        raise ValueError("a window ('within ...') applies to a lab value only")


def parse_rule(text: str) -> r.Rule:
    """Parse canonical rule text; raises RuleSyntaxError with a readable message."""
    try:
        tree = _parser().parse(text)
        result: r.Rule = _ToRule().transform(tree)
    except VisitError as error:  # well-formed tokens whose content is not (a bad escape)
        raise RuleSyntaxError(text, f"not a valid rule: {error.orig_exc}") from None
    except LarkError as error:
        context = ""
        column = getattr(error, "column", None)
        if isinstance(column, int) and column > 0:
            context = f" at column {column}: {text[max(0, column - 20) : column + 20]!r}"
        raise RuleSyntaxError(text, f"not a valid rule{context}") from None
    return result
