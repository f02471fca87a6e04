"""Parse one span of criterion tokens with grammar/criterion.lark into a rule.

`parse_item` returns the rule, or an `Unaccounted` explaining why the span
cannot be compiled (a syntax the grammar lacks, a unit that does not fit the
analyte, a qualifier that does not apply). Validation that needs vocabulary
(units per analyte, organs with a transplant concept) happens here, so a span
either compiles to a rule that means all it says or does not compile at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from typing import Any as AnyType

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, VisitError
from lark.lexer import Lexer

from screener import analytes, concepts, timecalc
from screener import rules as r
from screener.compiler.lexicon import ANALYTE_METHODS, METHOD_ANALYTES
from screener.resources import cache_dir, grammar_path


@dataclass(frozen=True)
class Unaccounted:
    """Why a span did not compile."""

    reason: str


class _Reject(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _test_result(parts: tuple[Token, ...]) -> r.Rule:
    """A qualitative test's result: `test(hbsag) = positive`."""
    test = next(t for t in parts if t.type == "TEST")
    result = next(t for t in parts if t.type == "RESULT")
    return r.TestResult(str(test), str(result))


def _drug_classes(parts: tuple[AnyType, ...]) -> list[str]:
    """The drug classes named in a medication item, in order, each once."""
    classes = [str(t) for t in parts if isinstance(t, Token) and t.type == "DRUG_CLASS"]
    return list(dict.fromkeys(classes))


def _procedures(parts: tuple[AnyType, ...]) -> list[str]:
    """The procedures named in an item, in order, each once."""
    found = [str(t) for t in parts if isinstance(t, Token) and t.type == "PROCEDURE"]
    return list(dict.fromkeys(found))


class _TokenListLexer(Lexer):
    """Lark lexer that replays tokens made by screener.compiler.tokens."""

    def __init__(self, lexer_conf: AnyType) -> None:
        pass

    def lex(self, data: AnyType) -> Iterator[Token]:  # type: ignore[override]
        yield from data


@cache
def item_parser() -> Lark:
    """The LALR parser of grammar/criterion.lark, its tables cached on disk.

    Building the tables takes half a second at every cold start; lark keeps them in
    the screener cache folder (`cache=`), under a key of the grammar text, the options
    and the lark and Python versions, and rebuilds them when the key differs or the
    file cannot be read. Without a cache folder the tables are built each time.
    """
    text = grammar_path("criterion.lark").read_text(encoding="utf-8")
    folder = cache_dir() / "lark"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Lark(text, parser="lalr", lexer=_TokenListLexer)
    cached = str(folder / "criterion-lalr.pickle")
    return Lark(text, parser="lalr", lexer=_TokenListLexer, cache=cached)


def strict_item_parser() -> Lark:
    """The same parser built with strict=True: any grammar conflict is an error (tests)."""
    text = grammar_path("criterion.lark").read_text(encoding="utf-8")
    return Lark(text, parser="lalr", lexer=_TokenListLexer, strict=True)


_OPS = {
    "GE": r.Op.GE,
    "LE": r.Op.LE,
    "GT": r.Op.GT,
    "LT": r.Op.LT,
    "EQ": r.Op.EQ,
    "OVER": r.Op.OVER,
    "UNDER": r.Op.UNDER,
}


@dataclass(frozen=True)
class _AgeUnit:
    unit: str
    marked: bool  # "old", "of age": the number is surely an age


@dataclass(frozen=True)
class _AgeRule:
    rule: r.Rule
    marked: bool


@dataclass(frozen=True)
class _Inclusive:
    """'(inclusive)', '(both inclusive)': the bound itself belongs to the range."""


def _noted(rule: r.Rule, parts: tuple[AnyType, ...]) -> r.Rule:
    """'over 18 years (inclusive)': the text settles the boundary 'over' leaves open.

    A strict bound noted as inclusive ("> 18 years (inclusive)") says two things at once.
    """
    if not any(isinstance(p, _Inclusive) for p in parts):
        return rule
    closed = {r.Op.OVER: r.Op.GE, r.Op.UNDER: r.Op.LE}
    if isinstance(rule, r.Compare) and rule.op in closed:
        return r.Compare(rule.subject, closed[rule.op], rule.value, rule.unit)
    if isinstance(rule, r.Compare) and rule.op in (r.Op.GT, r.Op.LT):
        raise _Reject("an inclusion note on a strict bound")
    if isinstance(rule, r.Between) and not (rule.low_inclusive and rule.high_inclusive):
        raise _Reject("an inclusion note on a range that leaves a bound out")
    return rule


def _age_unit(parts: tuple[AnyType, ...]) -> _AgeUnit:
    found = next((p for p in parts if isinstance(p, _AgeUnit)), None)
    marked = any(isinstance(p, Token) and p.type == "OR_OLDER" and p == "older" for p in parts)
    if found is None:
        return _AgeUnit("years", marked)
    return _AgeUnit(found.unit, found.marked or marked)


@dataclass(frozen=True)
class _Comparison:
    op: r.Op | None  # None for a range
    low: Decimal
    high: Decimal | None
    unit: str


def _number(token: Token) -> Decimal:
    return Decimal(str(token))


@v_args(inline=True)
class _ToRule(Transformer[Token, r.Rule]):
    def __init__(self, default_conjunction: str = "and", whole: bool = False) -> None:
        super().__init__()
        self.default_conjunction = default_conjunction
        self.whole = whole  # the span is a whole criterion, not a piece of a list
        self.alternatives: list[tuple[Decimal, str, str]] = []
        self.lone_classes: list[r.Rule] = []  # "NYHA IV" outside a whole criterion or "( )"

    # ------------------------------------------------------------ conditions
    def concept(self, token: Token) -> r.Rule:
        return r.Condition(str(token))

    def transplant_of(self, *parts: AnyType) -> r.Rule:
        organs = [p for p in parts if isinstance(p, list)]
        names: list[str] = organs[0] if organs else [str(p) for p in parts if p.type == "ORGAN"]
        items: list[r.Rule] = []
        for organ in names:
            concept_id = next(
                (
                    c
                    for c in (f"transplant_{organ}", f"{organ}_transplant")
                    if c in concepts.CONCEPTS
                ),
                None,
            )
            if concept_id is None:
                raise _Reject(f"no transplant concept for organ '{organ}'")
            # a transplant is an event whose status lasts: its history is what counts
            items.append(r.Condition(concept_id, r.ConditionMode.HISTORY))
        return r.disjunction(items)

    def organ_list(self, *tokens: Token) -> list[str]:
        return [str(t) for t in tokens if t.type == "ORGAN"]

    def history(self, _word: Token, item: r.Rule) -> r.Rule:
        return _with_mode(item, r.ConditionMode.HISTORY)

    def or_suspected(self, *parts: AnyType) -> r.Rule:
        return _with_mode(parts[-1], r.ConditionMode.PRESENT_OR_SUSPECTED)

    def or_suspected_qualified(self, *parts: AnyType) -> r.Rule:
        """'Known or suspected active tuberculosis'."""
        return _qualify(parts[:-1], _with_mode(parts[-1], r.ConditionMode.PRESENT_OR_SUSPECTED))

    def history_qualified(self, _history: Token, *parts: AnyType) -> r.Rule:
        """'History of acute stroke': a history of the diagnosis, the qualifier for a person."""
        return _qualify(parts[:-1], _with_mode(parts[-1], r.ConditionMode.HISTORY))

    def qualified_current(self, *parts: AnyType) -> r.Rule:
        """'Current severe infection', 'other current malignancy': present now, qualified
        ('concurrent severe infection': also beside the disease under study)."""
        return _alongside(parts[:-1], _qualify(parts[:-1], parts[-1]))

    def qualified_within(self, *parts: AnyType) -> r.Rule:
        """'Severe infection within 4 weeks': the dated diagnosis, the qualifier for a person."""
        *rest, item, window = parts
        return _qualify(rest, self.condition_within(item, window))

    def confirmed(self, word: Token, item: r.Rule) -> r.Rule:
        """'Confirmed X', 'current X': X present; 'concurrent X' is X beside the disease under
        study, which a person tells ('No concurrent malignancy' in a lung cancer trial)."""
        return _alongside((word,), item)

    def qualified(self, *parts: AnyType) -> r.Rule:
        return _qualify(parts[:-1], parts[-1])

    def conditional_medication(self, *parts: Token) -> r.Rule:
        """'HBV patients on antivirals': an inclusion binds the patients named (they must be
        on the drug), an exclusion excludes only them (those with HBV who are on it)."""
        conditions: list[r.Rule] = [r.Condition(str(t)) for t in parts if t.type == "CONCEPT"]
        drug_class = next(str(t) for t in parts if t.type == "DRUG_CLASS")
        exclusion = self.default_conjunction == "or"
        return r.for_subgroup(r.conjunction(conditions), r.Medication(drug_class), exclusion)

    def drug_name(self, *parts: Token) -> Token:
        """A drug class, once or restated in parentheses ("NSAIDs (non-steroidal ...)")."""
        classes = _drug_classes(parts)
        if len(classes) != 1:
            raise _Reject("a drug class with another in parentheses")
        return next(t for t in parts if t.type == "DRUG_CLASS")

    def medication(self, *parts: Token) -> r.Rule:
        """Current use of a class, or of any class of a list ("on A or B", "on A or other B")."""
        _only_other(parts)
        return r.disjunction([r.Medication(c) for c in _drug_classes(parts)])

    # ------------------------------------------------------------ labs
    def analyte_ref(self, *parts: Token) -> str:
        # with an alias, parts end (LPAR, ANALYTE, RPAR); "corrected QT (QTcF)" names two
        names = [t for t in parts if t.type == "ANALYTE"]
        name = str(names[0])
        if {str(t) for t in names} - {name}:
            raise _Reject("a name and an abbreviation that denote different analytes")
        methods = "|".join(str(t) for t in parts if t.type == "METHOD")
        return _method_analyte(name, methods) if methods else name

    def lab_by_method(self, rule: r.Rule, method: Token) -> r.Rule:
        """'LVEF ≥ 50% (by ECHO or MUGA)': a usual way to measure it adds no condition;
        'CrCl ≥ 60 mL/min (Cockcroft-Gault)': a method that narrows the analyte names the
        narrower one (lexicon.METHOD_ANALYTES)."""
        labs = {
            leaf.subject.analyte
            for leaf in r.leaves(rule)
            if isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Lab)
        }
        if len(labs) != 1:
            raise _Reject("a method after more than one analyte")
        analyte = labs.pop()
        narrower = _method_analyte(analyte, str(method))
        return rule if narrower == analyte else _with_analyte(rule, narrower)

    def quantity(
        self, number: Token, unit: Token | None = None, alternative: Token | None = None
    ) -> tuple[Decimal, str | None]:
        if unit is not None and unit.type == "ALT_QUANTITY":
            unit, alternative = None, unit
        if alternative is not None:
            self.alternatives.append((_number(number), str(unit or ""), str(alternative)))
        return _number(number), (str(unit) if unit is not None else None)

    def comparator(self, token: Token) -> r.Op:
        return _OPS[token.type]

    def compare(self, op: r.Op, quantity: tuple[Decimal, str | None]) -> _Comparison:
        return _Comparison(op, quantity[0], None, quantity[1] or "")

    def between(self, *parts: AnyType) -> _Comparison:
        low, high = [p for p in parts if isinstance(p, tuple)]
        if low[1] and high[1] and low[1] != high[1]:
            raise _Reject(f"range bounds in different units ({low[1]}, {high[1]})")
        if low[0] > high[0]:
            raise _Reject("range with its low bound above its high bound")
        return _Comparison(None, low[0], high[0], high[1] or low[1] or "")

    def equals_range(self, op: r.Op, *parts: AnyType) -> _Comparison:
        """'= 7.0-10%': the value lies in the range; any other comparator before a range
        ("≥ 7-10%") says two things at once."""
        if op is not r.Op.EQ:
            raise _Reject("a comparator in front of a range")
        return self.between(*parts)

    def at_least(self, quantity: tuple[Decimal, str | None], _word: Token) -> _Comparison:
        return _Comparison(r.Op.GE, quantity[0], None, quantity[1] or "")

    def at_most(self, quantity: tuple[Decimal, str | None], _word: Token) -> _Comparison:
        return _Comparison(r.Op.LE, quantity[0], None, quantity[1] or "")

    def analyte_sep(self, *tokens: Token) -> str:
        types = {t.type for t in tokens}
        if types & {"OR", "ANDOR"}:
            return "explicit or"  # "ALT or AST ≤ 2.5 × ULN": either, or both? two readings
        if types == {"SLASH"}:
            return "slash"
        return "and" if "AND" in types else self.default_conjunction

    def lab_list(self, *parts: AnyType) -> r.Rule:
        *names_and_seps, comparison = parts
        names, separators = _same_analyte_once(names_and_seps)
        if len(names) == 1:  # "ALT/SGPT ≤ 5 × ULN": one analyte, named twice
            return self.lab_compare(names[0], comparison)
        conjunctions = {self.default_conjunction if s == "slash" else s for s in separators}
        if len(conjunctions) != 1 or len(set(names)) != len(names):
            raise _Reject("a list of analytes with mixed conjunctions")
        rules = tuple(_lab_rule(r.Lab(name), name, comparison) for name in names)
        if conjunctions == {"explicit or"} or (
            conjunctions == {"and"} and self.default_conjunction == "or"
        ):  # "ALT or AST ≤ X" in any section, "ALT and AST > X" in an exclusion: two readings
            return r.Readings((r.AnyOf(rules), r.AllOf(rules)))
        return r.AllOf(rules) if conjunctions == {"and"} else r.AnyOf(rules)

    def lab_compare(self, analyte: str, comparison: _Comparison) -> r.Rule:
        return _lab_rule(r.Lab(analyte), analyte, comparison)

    def lab_compare_colon(self, analyte: str, _colon: Token, comparison: _Comparison) -> r.Rule:
        return self.lab_compare(analyte, comparison)

    def lab_range_noted(self, analyte: str, *parts: AnyType) -> r.Rule:
        """'BMI between 25 - 40 kg/m2 (inclusive)': a range holds its bounds already; the
        note on a one-sided bound ("< 40 (inclusive)") contradicts it and is refused."""
        comparison = next(p for p in parts if isinstance(p, _Comparison))
        if comparison.op is not None:
            raise _Reject("an inclusion note on a one-sided bound")
        return self.lab_compare(analyte, comparison)

    def lab_elevation(self, analyte: str, _word: Token, comparison: _Comparison) -> r.Rule:
        """'ALP elevation > 1.5 x ULN': the value above a multiple of its ULN (above the ULN).

        Only there does "elevation" restate the bound: in units it may be a rise from a
        baseline ("creatinine elevation ≥ 0.3 mg/dL"), and below the ULN or under a
        ceiling it adds a bound of its own (elevated, yet under 2 x ULN)."""
        above_uln = comparison.low > 1 or (comparison.low == 1 and comparison.op is not r.Op.GE)
        if not (comparison.op in _UPWARD and comparison.unit == "xULN" and above_uln):
            raise _Reject("an elevation that is not a value above a multiple of the ULN")
        return self.lab_compare(analyte, comparison)

    def elevation_of_lab(self, word: Token, analyte: str, comparison: _Comparison) -> r.Rule:
        """'Elevation of bilirubin > 1.5 x ULN': as `lab_elevation`."""
        return self.lab_elevation(analyte, word, comparison)

    def range_note(self, *_: AnyType) -> _Inclusive:
        return _Inclusive()

    def lab_compare_at(self, analyte: str, _at: Token, comparison: _Comparison) -> r.Rule:
        return self.lab_compare(analyte, comparison)  # at screening: as every lab is meant

    def lab_outside(self, analyte: str, first: _Comparison, *rest: AnyType) -> r.Rule:
        """'< 150 or > 180 cm': below the lower bound or above the upper one."""
        bounds = _two_sided(analyte, first, rest[-1], outside=True)
        return r.AnyOf(tuple(_lab_rule(r.Lab(analyte), analyte, b) for b in bounds))

    def lab_inside(self, analyte: str, first: _Comparison, *rest: AnyType) -> r.Rule:
        """'≥ 50 kg and ≤ 80 kg': above the lower bound and below the upper one."""
        bounds = _two_sided(analyte, first, rest[-1], outside=False)
        return r.AllOf(tuple(_lab_rule(r.Lab(analyte), analyte, b) for b in bounds))

    def pressure_pair(self, *parts: AnyType) -> r.Rule:
        """'BP ≥ 150/90 mmHg': systolic ≥ 150 or diastolic ≥ 90; 'BP < 140/90': both below.

        The pair is read as a bound against high pressure, so only a pair in the range of
        hypertension thresholds (systolic 120-250 above diastolic 70-150) compiles: a lower
        pair ("BP < 90/60", hypotension) does not say which way its bounds join.
        """
        op = next(p for p in parts if isinstance(p, r.Op))
        systolic, diastolic = [p for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        unit = [p for p in parts if isinstance(p, Token) and p.type == "UNIT"]
        if unit and str(unit[0]) != "mmHg":
            raise _Reject(f"a blood pressure in {unit[0]}")
        high, low = _number(systolic), _number(diastolic)
        if not (120 <= high <= 250 and 70 <= low <= 150 and high > low):
            raise _Reject("a blood-pressure pair outside the range of hypertension thresholds")
        if op not in _UPWARD | _DOWNWARD:
            raise _Reject("a blood pressure equal to a pair")
        pair = (
            r.Compare(r.Lab("systolic_bp"), op, high, "mmHg"),
            r.Compare(r.Lab("diastolic_bp"), op, low, "mmHg"),
        )
        return r.AnyOf(pair) if op in _UPWARD else r.AllOf(pair)

    def lab_or_rise(
        self, analyte: str, comparison: _Comparison, _or: Token, rise: tuple[_Comparison, str]
    ) -> r.Rule:
        rise_comparison, per = rise
        return r.AnyOf(
            (
                _lab_rule(r.Lab(analyte), analyte, comparison),
                _lab_rule(r.Rise(analyte, per), analyte, rise_comparison),
            )
        )

    def rise(self, _word: Token, comparison: _Comparison, *rest: Token) -> tuple[_Comparison, str]:
        per = rest[-1]
        unit = str(per) if per.type == "TIME_UNIT" else "days"
        return comparison, unit.rstrip("s")

    # ------------------------------------------------------------ scores
    def score_values(self, score: Token, *parts: Token) -> r.Rule:
        values = sorted(
            int(_number(t)) for t in parts if t.type == "NUMBER" and _number(t) == int(_number(t))
        )
        numbers = [t for t in parts if t.type == "NUMBER"]
        if len(values) != len(numbers) or len(set(values)) != len(values):
            raise _Reject("score values that are not distinct whole numbers")
        if str(score) == "nyha" and values != list(range(values[0], values[-1] + 1)):
            # "NYHA class I or III": a set of classes that is not a range
            subject = r.Score("nyha")
            return r.disjunction(
                [_checked_class(r.Compare(subject, r.Op.EQ, Decimal(v))) for v in values]
            )
        if values != list(range(values[0], values[-1] + 1)):
            raise _Reject("score values that are not a run of whole numbers")
        name = _scale(str(score), [Decimal(v) for v in values])
        if name not in ("ecog", "karnofsky", "child_pugh", "meld", "nyha"):
            raise _Reject(f"a list of values for {score}")
        rule = r.Between(r.Score(name), Decimal(values[0]), Decimal(values[-1]))
        return _checked_class(_checked_performance(rule))

    def score_value(self, score: Token, number: Token) -> r.Rule:
        """'NYHA class IV': one class. Other scores alone with a number say no comparison."""
        if str(score) != "nyha":
            raise _Reject(f"{score} with a number and no comparison")
        rule = _checked_class(r.Compare(r.Score("nyha"), r.Op.EQ, _number(number)))
        if not self.whole:  # a piece of a list: "NYHA class III" of "NYHA class III or IV"
            self.lone_classes.append(rule)
        return rule

    def score_compare(self, score: Token, comparison: _Comparison, *_: Token) -> r.Rule:
        if str(score) == "karnofsky" and comparison.unit == "%":
            comparison = _Comparison(comparison.op, comparison.low, comparison.high, "")
        if comparison.unit:
            raise _Reject(f"a score compared with a unit ({comparison.unit})")
        bounds = [b for b in (comparison.low, comparison.high) if b is not None]
        rule = _comparison_rule(r.Score(_scale(str(score), bounds)), comparison)
        return _checked_class(_checked_performance(rule))

    def score_compare_first(self, op: r.Op, number: Token, score: Token) -> r.Rule:
        """'Less than 30 Karnofsky score': the comparison written before the score."""
        return self.score_compare(score, _Comparison(op, _number(number), None, ""))

    def condition_scored(self, condition: r.Rule, *parts: AnyType) -> r.Rule:
        """'Heart failure (NYHA III or IV)': heart failure, and of that NYHA class.

        The class alone is not the same reading: NYHA classes patients with any cardiac
        disease, and a patient known free of heart failure is decided (not met) only
        with the diagnosis in the rule. Only a present diagnosis of the heart takes a
        class ("history of heart failure (NYHA III)" leaves open when it was class III).
        """
        score = next(p for p in parts if not isinstance(p, Token))
        if isinstance(parts[0], Token) and parts[0].type == "LPAR":  # bracketed: nothing follows
            self.lone_classes = [c for c in self.lone_classes if c is not score]
        return r.AllOf((_classed_diagnosis(condition), _nyha_only(score)))

    def scored_condition(self, score: r.Rule, condition: r.Rule) -> r.Rule:
        """'NYHA class III-IV heart failure': as `condition_scored`."""
        return r.AllOf((_classed_diagnosis(condition), _nyha_only(score)))

    def cp_classes(self, *tokens: Token) -> tuple[str, ...]:
        return tuple(sorted({str(t).lower() for t in tokens if t.type == "CP_CLASS"}))

    def score_class(self, score: Token, *parts: AnyType) -> r.Rule:
        if str(score) != "child_pugh":
            raise _Reject("class letters for a score without classes")
        classes = next(p for p in parts if isinstance(p, tuple))
        return r.OneOf(r.Score("child_pugh_class"), classes)

    def score_class_points(self, score: Token, *parts: AnyType) -> r.Rule:
        classes = next(p for p in parts if isinstance(p, tuple))
        low, high = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        if str(score) != "child_pugh" or not _points_within_classes(low, high, classes):
            raise _Reject("Child-Pugh points that do not lie within the stated classes")
        # the points range lies inside the classes, so it states the whole meaning
        return r.Between(r.Score("child_pugh"), low, high)

    def he_none_or_below(self, *parts: Token) -> r.Rule:
        concept = next(t for t in parts if t.type == "CONCEPT")
        noun = next(t for t in parts if t.type == "GRADED_NOUN")
        if str(concept) != str(noun) or str(concept) != "hepatic_encephalopathy":
            raise _Reject("'no X or Y below grade N' with two different concepts")
        grades = [int(t) for t in parts if t.type == "GRADE"]
        inclusive = len(grades) == 2 and grades[0] == grades[1]
        if len(grades) == 2 and not inclusive:
            raise _Reject("an inclusion note naming another grade")
        op = r.Op.LE if inclusive else r.Op.LT
        return r.Compare(r.Fact("he_grade"), op, Decimal(grades[0]))

    def he_compare(self, _word: Token, op: r.Op, grade: Token) -> r.Rule:
        return r.Compare(r.Fact("he_grade"), op, Decimal(str(grade)))

    # ------------------------------------------------------------ who
    def age(self, *parts: AnyType) -> r.Rule:
        return _noted(next(p for p in parts if isinstance(p, _AgeRule)).rule, parts)

    def age_unmarked(self, span: _AgeRule, *parts: AnyType) -> r.Rule:
        if not (span.marked or self.whole):
            raise _Reject("a duration with no sign that it is an age ('old', 'of age')")
        return _noted(span.rule, parts)

    def inclusive_note(self, *_: Token) -> _Inclusive:
        return _Inclusive()

    def age_unit(self, unit: Token, *marker: Token) -> _AgeUnit:
        if str(unit) not in ("years", "months", "weeks", "days"):
            raise _Reject(f"an age in {unit}")
        return _AgeUnit(str(unit), bool(marker))

    def age_between(self, *parts: AnyType) -> _AgeRule:
        low, high = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        unit = _age_unit(parts)
        if low > high:
            raise _Reject("age range with its low bound above its high bound")
        return _AgeRule(r.Between(r.Age(), low, high, unit.unit), unit.marked)

    def age_between_units(self, *parts: AnyType) -> _AgeRule:
        """'between 6 months and < 16 years', '18 years to 75 years': each bound in its unit."""
        low, high = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        low_unit, high_unit = [p for p in parts if isinstance(p, _AgeUnit)]
        ops = [p for p in parts if isinstance(p, r.Op)]
        high_op = ops[0] if ops else r.Op.LE
        if high_op not in (r.Op.LE, r.Op.LT):
            raise _Reject("an age range whose upper bound is not an upper bound")
        marked = low_unit.marked or high_unit.marked
        if low_unit.unit == high_unit.unit:
            if low >= high:
                raise _Reject("age range with its low bound above its high bound")
            rule = r.Between(r.Age(), low, high, high_unit.unit, True, high_op is r.Op.LE)
            return _AgeRule(rule, marked)
        bounds = (
            r.Compare(r.Age(), r.Op.GE, low, low_unit.unit),
            r.Compare(r.Age(), high_op, high, high_unit.unit),
        )
        return _AgeRule(r.AllOf(bounds), marked)

    def age_up_to(self, *parts: AnyType) -> _AgeRule:
        """'from 2 to < 12 years', '18 to ≤ 30 years': the upper bound says if it is in."""
        low, high = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        high_op = next(p for p in parts if isinstance(p, r.Op))
        unit = _age_unit(parts)
        if high_op not in (r.Op.LE, r.Op.LT):
            raise _Reject("an age range whose upper bound is not an upper bound")
        if low >= high:
            raise _Reject("age range with its low bound above its high bound")
        rule = r.Between(r.Age(), low, high, unit.unit, True, high_op is r.Op.LE)
        return _AgeRule(rule, unit.marked)

    def age_outside_named(self, _age: Token, *parts: AnyType) -> r.Rule:
        """'Age < 20 or > 35 years': below the lower bound or above the upper one."""
        return next(p for p in parts if isinstance(p, r.AnyOf))

    def age_outside(self, *parts: AnyType) -> r.Rule:
        """Two bounds facing apart, joined by 'or'; a unit stated once is the unit of both."""
        first_op, second_op = [p for p in parts if isinstance(p, r.Op)]
        first, second = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        units = {p.unit for p in parts if isinstance(p, _AgeUnit)} or {"years"}
        if len(units) > 1:
            raise _Reject("two age bounds in different units")
        unit = units.pop()
        if first_op in _DOWNWARD and second_op in _UPWARD:
            lower, upper = first, second
        elif first_op in _UPWARD and second_op in _DOWNWARD:
            lower, upper = second, first
        else:
            raise _Reject("two age bounds joined by 'or' that face the same way")
        if lower > upper:
            raise _Reject("two age bounds that leave no range between them")
        return r.AnyOf(
            (
                r.Compare(r.Age(), first_op, first, unit),
                r.Compare(r.Age(), second_op, second, unit),
            )
        )

    def age_after_noted(self, rule: r.Rule, *parts: AnyType) -> r.Rule:
        """'Between the ages of 18 and 65, inclusive'."""
        return _noted(rule, parts)

    def age_compare(self, op: r.Op, number: Token, unit: _AgeUnit | None = None) -> _AgeRule:
        found = unit or _AgeUnit("years", False)
        return _AgeRule(r.Compare(r.Age(), op, _number(number), found.unit), found.marked)

    def age_compare_or_older(self, op: r.Op, number: Token, *parts: AnyType) -> _AgeRule:
        """'≥ 18 years or older', 'above 18 years old or above': the bound, said twice; 'or
        older' settles the boundary 'above' leaves open. Any other comparator disagrees."""
        if op not in (r.Op.GE, r.Op.OVER):
            raise _Reject("a comparator that 'or older' does not restate")
        unit = _age_unit(parts)
        return _AgeRule(r.Compare(r.Age(), r.Op.GE, _number(number), unit.unit), unit.marked)

    def age_two_bounds(self, *parts: AnyType) -> _AgeRule:
        """"≥ 12 and < 20 years": a lower bound, then an upper one; a unit stated once, at
        the end, is the unit of both ("over"/"under" leave the bound itself open: refused)."""
        low_op, high_op = [p for p in parts if isinstance(p, r.Op)]
        low, high = [_number(p) for p in parts if isinstance(p, Token) and p.type == "NUMBER"]
        units = [p for p in parts if isinstance(p, _AgeUnit)]
        low_unit, high_unit = (units[0], units[0]) if len(units) == 1 else units
        if low_op not in (r.Op.GE, r.Op.GT) or high_op not in (r.Op.LE, r.Op.LT):
            raise _Reject("two age bounds that are not a lower then an upper bound")
        if low_unit.unit != high_unit.unit:
            bounds = (
                r.Compare(r.Age(), low_op, low, low_unit.unit),
                r.Compare(r.Age(), high_op, high, high_unit.unit),
            )
            return _AgeRule(r.AllOf(bounds), True)
        if low >= high:
            raise _Reject("age range with its low bound above its high bound")
        rule = r.Between(
            r.Age(), low, high, high_unit.unit, low_op is r.Op.GE, high_op is r.Op.LE
        )
        return _AgeRule(rule, high_unit.marked)

    def age_compare_after(self, op: r.Op, _age: Token, number: Token, *unit: _AgeUnit) -> r.Rule:
        """"Under age 18"."""
        return self.age_compare(op, number, *unit).rule

    def age_between_after(self, _between: Token, _age: Token, *parts: AnyType) -> r.Rule:
        """"Between age 18-65"."""
        return self.age_between(*parts).rule

    def age_at_least(self, number: Token, *parts: AnyType) -> _AgeRule:
        """'18 years or older' is an age; '10 years or more' only where an age is named."""
        unit = _age_unit(parts)
        return _AgeRule(r.Compare(r.Age(), r.Op.GE, _number(number), unit.unit), unit.marked)

    def age_at_most(self, number: Token, *parts: AnyType) -> _AgeRule:
        unit = _age_unit(parts)
        return _AgeRule(r.Compare(r.Age(), r.Op.LE, _number(number), unit.unit), True)

    def sexes(self, *parts: AnyType) -> r.Rule:
        found: list[r.Rule] = []
        for part in parts:
            if isinstance(part, r.Sex):
                found.append(part)
            elif isinstance(part, r.AnyOf):
                found.extend(part.items)
        unique = tuple(dict.fromkeys(found))
        return r.AnyOf(unique) if len(unique) > 1 else unique[0]

    def sex_join(self, *_: Token) -> None:
        return None

    def sex(self, token: Token) -> r.Rule:
        if token.type == "SEX_ANY":
            return r.AnyOf((r.Sex("male"), r.Sex("female")))
        return r.Sex(str(token))

    def sex_only(self, sex: r.Rule) -> r.Rule:
        return sex

    def sex_and_age(self, sex: r.Rule, *parts: AnyType) -> r.Rule:
        age = next(p for p in parts if isinstance(p, _AgeRule))
        return r.AllOf((sex, _noted(age.rule, parts)))

    def sex_and_age_after(self, sex: r.Rule, age: r.Rule, *note: AnyType) -> r.Rule:
        return r.AllOf((sex, _noted(age, note)))

    def age_and_sex(self, *parts: AnyType) -> r.Rule:
        age = next(p for p in parts if isinstance(p, _AgeRule))
        sex = next(p for p in parts if isinstance(p, r.Sex | r.AnyOf))
        return r.AllOf((age.rule, sex))

    def life_expectancy_minimum(
        self, _min: Token, _word: Token, number: Token, unit: Token
    ) -> r.Rule:
        return r.Compare(r.Fact("life_expectancy"), r.Op.GE, _number(number), str(unit))

    def measurable(self, token: Token) -> r.Rule:
        return r.MeasurableDisease(str(token))

    def life_expectancy(self, _word: Token, op: r.Op, number: Token, unit: Token) -> r.Rule:
        return r.Compare(r.Fact("life_expectancy"), op, _number(number), str(unit))

    def life_expectancy_first(self, op: r.Op, number: Token, unit: Token, _word: Token) -> r.Rule:
        return r.Compare(r.Fact("life_expectancy"), op, _number(number), str(unit))

    def estimated(self, rule: r.Rule, *_: Token) -> r.Rule:
        """A life expectancy 'as determined by the investigator': the only way there is."""
        return rule

    def life_expectancy_at_least(
        self, _word: Token, number: Token, unit: Token, _more: Token
    ) -> r.Rule:
        return r.Compare(r.Fact("life_expectancy"), r.Op.GE, _number(number), str(unit))

    def pregnant(self, *_: AnyType) -> r.Rule:
        return r.Pregnant()

    def lactating(self, *_: AnyType) -> r.Rule:
        return r.Lactating()

    def sex_pregnancy(self, sex: r.Rule, token: Token) -> r.Rule:
        state: r.Rule = r.Pregnant() if token.type == "PREGNANCY" else r.Lactating()
        return r.AllOf((sex, state))

    def sex_not_pregnant(self, sex: r.Rule, _not: Token, token: Token) -> r.Rule:
        """'Women who are not breastfeeding': a condition on women, and a man is never
        pregnant or breastfeeding, so the sex adds nothing (a women-only trial says so in
        its own criterion or its structured sex field)."""
        if sex != r.Sex("female"):
            raise _Reject("pregnancy or breastfeeding of someone other than a woman")
        return r.Not(r.Pregnant() if token.type == "PREGNANCY" else r.Lactating())

    # ------------------------------------------------------------ trials
    def participation(self, *parts: Token) -> frozenset[str]:
        return frozenset(t.type for t in parts if t.type != "OR")

    def trial_plain(self, tenses: frozenset[str], types: tuple[str, ...], *rest: Token) -> r.Rule:
        if rest or tenses == {"PARTICIPATING"}:
            return r.TrialParticipation(types)
        raise _Reject("participation in other trials without saying when")

    def trial_concurrent(
        self, _word: Token, _tenses: frozenset[str], types: tuple[str, ...]
    ) -> r.Rule:
        return r.TrialParticipation(types)

    def trial_target(self, *parts: Token) -> tuple[str, ...]:
        _only_other(parts)
        if any(t.type == "DRUGS" for t in parts):
            return ("drug", "biological")
        return ()

    def trial_within(self, _p: frozenset[str], types: tuple[str, ...], window: r.Window) -> r.Rule:
        return r.TrialParticipation(types, window)

    # ------------------------------------------------------------ windows
    def window(self, _within: Token, number: Token, unit: Token, *anchor: Token) -> r.Window:
        return _window(number, unit, anchor)

    def washout_since(self, *parts: AnyType) -> r.Rule:
        """'At least 4 weeks since prior chemotherapy', '> 28 days from the last dose of a TNF
        inhibitor', '14 days must have elapsed since the completion of X': no X in that time.

        "At least 4 weeks since" leaves room for X exactly 4 weeks back (a strict window,
        `< 4 weeks`); "more than 4 weeks since" does not. A patient never given X meets it,
        so in an exclusion, where it would exclude such a patient, it is not read (whether
        it means "had X, long ago" is a person's call). "Less than 4 weeks since prior X" is
        X within `< 4 weeks`, unless it counts from an end ("since discontinuation of"): X
        still going on has no end yet, and the window would count it.
        """
        window, recent = _short_time(parts, "a short time since a treatment ended")
        if recent is not None:
            return recent
        self._inclusion_only()
        return r.Not(_treatment_within(parts, window))

    def washout_none_now(self, *parts: AnyType) -> r.Rule:
        """'More than 4 weeks since prior and no concurrent X': no X in that time, none now."""
        op = _elapsed_op(parts)
        if op not in (r.Op.GE, r.Op.GT):
            raise _Reject("'prior and no concurrent' after a time that is not a least time")
        self._inclusion_only()
        window = _window(*_time_parts(parts), strict=op is r.Op.GE)
        (drug_class,) = _drug_classes(parts)
        return r.AllOf(
            (r.Not(r.Medication(drug_class, window)), r.Not(r.Medication(drug_class)))
        )

    def washout_before(self, *parts: AnyType) -> r.Rule:
        """'Major surgery < 4 weeks prior to study entry': X within `< 4 weeks before
        enrolment`; 'steroids must have been stopped at least 2 weeks before randomisation',
        'last dose of X ≥ 21 days prior to the first dose': no X in that time (as
        `washout_since`, inclusions only).

        "X ≥ 4 weeks before randomisation" with no word of an end may require X then
        ("surgery at least 3 months prior to the recurrence"): not read. A course
        "completed ≥ 4 weeks before" may be required or only ruled out within the time:
        both readings, which agree where X came too late.
        """
        window, recent = _short_time(parts, "a treatment ended a short time before")
        if recent is not None:
            return recent
        if not _ends(parts) and not any(_typed(p, "LAST_DOSE") for p in parts):
            raise _Reject("a treatment some time before an event: required or ruled out?")
        self._inclusion_only()
        washout = r.Not(_treatment_within(parts, window))
        if not any(_typed(p, "ENDING", "ENDED") and str(p) == "completion" for p in parts):
            return washout
        return r.readings([washout, r.AllOf((_treatment_ever(parts), washout))])

    def _inclusion_only(self) -> None:
        """A least time since a treatment holds for a patient never given it: an exclusion
        saying so may mean those who had it, long enough ago."""
        if self.default_conjunction == "or":
            raise _Reject("a least time since a treatment in an exclusion: had it, or not?")

    def medication_within(self, *parts: AnyType) -> r.Rule:
        drug_class = next(str(t) for t in parts if isinstance(t, Token) and t.type == "DRUG_CLASS")
        return r.Medication(drug_class, parts[-1])

    def medication_ever(self, *parts: Token) -> r.Rule:
        """Any use before screening of a class, or of any class of a list ("prior A or B"),
        and any procedure of the list done before ("prior chemotherapy or radiotherapy")."""
        _only_other(parts)
        if any(t.type == "USE" for t in parts) and _procedures(parts):
            raise _Reject("'exposure to', 'treatment with' before a procedure")  # "radiation"
        items: list[r.Rule] = [
            r.Medication(str(t), ever=True)
            if t.type == "DRUG_CLASS"
            else r.Procedure(str(t), ever=True)
            for t in dict.fromkeys(t for t in parts if t.type in ("DRUG_CLASS", "PROCEDURE"))
        ]
        return r.disjunction(list(dict.fromkeys(items)))

    def procedure_current(self, *parts: Token) -> r.Rule:
        """'Currently on dialysis', 'receiving radiotherapy': a course going on now.

        Only "current(ly)", "on" and "receiving" say now; "requiring", "need" and
        "concurrent" may speak of later ("requiring surgery", radiotherapy alongside the
        study treatment). A one-off procedure (a surgery) does not go on: not read.
        """
        now = {t.type for t in parts if str(t) in ("current", "receiving")}
        if "CONCURRENT" not in now and "NEED" not in now:
            raise _Reject("a procedure that may be later ('requiring', 'concurrent')")
        if any(t.type == "CONCURRENT" and str(t) != "current" for t in parts):
            raise _Reject("'concurrent' procedure: alongside the study treatment?")
        (procedure,) = _procedures(parts)
        if not concepts.PROCEDURES[procedure].course:
            raise _Reject(f"a current {procedure.replace('_', ' ')}: a one-off procedure")
        return r.Procedure(procedure)

    def procedure_within(self, *parts: AnyType) -> r.Rule:
        (procedure,) = _procedures(parts)
        return r.Procedure(procedure, parts[-1])

    def condition_within(self, *parts: AnyType) -> r.Rule:
        *_, item, window = parts
        if not isinstance(item, r.Condition):
            raise _Reject("a window on something other than one diagnosis")
        return r.Condition(item.concept, r.ConditionMode.HISTORY, window)

    def result_after(self, *parts: Token) -> r.Rule:
        return _test_result(parts)

    def result_before(self, *parts: Token) -> r.Rule:
        return _test_result(parts)

    def lab_within(self, rule: r.Rule, window: r.Window) -> r.Rule:
        if window.anchor:
            raise _Reject("a lab window that counts back from a later trial event")
        return _with_window(rule, window)

    def at_screening(self, rule: r.Rule, *_: Token) -> r.Rule:
        return rule  # the moment every lab and score of a criterion is meant for

    def age_at_screening(self, rule: r.Rule, *parts: Token) -> r.Rule:
        at = next(p for p in parts if p.type == "AT_SCREENING")
        if str(at) != "screening":
            raise _Reject("an age at a later trial event")  # an age grows meanwhile
        return rule

    # ------------------------------------------------------------ combinators
    def negated(self, _word: Token, item: r.Rule) -> r.Rule:
        return r.Not(item)

    def or_alternative(self, first: r.Rule, _open: Token, second: r.Rule, _r: Token) -> r.Rule:
        return r.AnyOf((first, second))

    def start(self, item: r.Rule) -> r.Rule:
        return item

    def unit(self, item: r.Rule) -> r.Rule:
        return item


def _window(
    number: Token, unit: Token, anchor: Sequence[AnyType] = (), strict: bool = False
) -> r.Window:
    """A window of a whole number of calendar units, back from its event ("screening": the
    screening date itself)."""
    event = next((str(t) for t in anchor if _typed(t, "ANCHOR")), "")
    amount = _number(number)
    if str(unit) not in timecalc.UNITS:
        raise _Reject(f"a window in {unit}")
    if amount != int(amount) or amount < 1:
        raise _Reject("a window of no whole number of days, weeks, months or years")
    return r.Window(int(amount), str(unit), "" if event == "screening" else event, strict)


def _typed(part: AnyType, *types: str) -> bool:
    return isinstance(part, Token) and part.type in types


def _time_parts(parts: Sequence[AnyType]) -> tuple[Token, Token, list[Token]]:
    """The number, the time unit and the anchor (if any) of a washout."""
    number = next(p for p in parts if _typed(p, "NUMBER"))
    unit = next(p for p in parts if _typed(p, "TIME_UNIT"))
    return number, unit, [p for p in parts if _typed(p, "ANCHOR")]


def _elapsed_op(parts: Sequence[AnyType]) -> r.Op:
    """How the time since a treatment compares: "14 days have elapsed since" and "a
    minimum of 14 days" are at least 14 days; "over", "under" and "=" are not read."""
    ops = [p for p in parts if isinstance(p, r.Op)]
    if not ops and any(_typed(p, "ELAPSED", "MINIMUM") for p in parts):
        return r.Op.GE
    if not ops or ops[0] not in (r.Op.GE, r.Op.GT, r.Op.LE, r.Op.LT):
        raise _Reject("a time since a treatment with no least or most time")
    return ops[0]


def _ends(parts: Sequence[AnyType]) -> bool:
    """Whether a washout counts from a treatment's end ("discontinuation of", "stopped")."""
    return any(_typed(p, "ENDING", "ENDED") for p in parts)


def _treatment(parts: Sequence[AnyType]) -> tuple[str, bool]:
    """The one drug class or procedure of a washout, and whether it is a procedure."""
    procedures = _procedures(tuple(parts))
    if procedures and any(_typed(p, "USE") for p in parts):
        raise _Reject("'exposure to', 'treatment with' before a procedure")  # "radiation"
    if procedures:
        return procedures[0], True
    return _drug_classes(tuple(parts))[0], False


def _short_time(parts: Sequence[AnyType], ended: str) -> tuple[r.Window, r.Rule | None]:
    """The window of a time since or before a treatment, and for a short time ("< 4 weeks",
    "≤ 4 weeks") the rule itself: X within the window. "At least" and "less than" leave the
    last day out (a strict window). A short time since an end is refused: X still going on
    has no end yet, and the window would count it."""
    op = _elapsed_op(parts)
    window = _window(*_time_parts(parts), strict=op in (r.Op.GE, r.Op.LT))
    if op not in (r.Op.LT, r.Op.LE):
        return window, None
    if _ends(parts):
        raise _Reject(f"{ended}: and one going on?")
    return window, _treatment_within(parts, window)


def _treatment_within(parts: Sequence[AnyType], window: r.Window) -> r.Rule:
    name, procedure = _treatment(parts)
    return r.Procedure(name, window) if procedure else r.Medication(name, window)


def _treatment_ever(parts: Sequence[AnyType]) -> r.Rule:
    name, procedure = _treatment(parts)
    return r.Procedure(name, ever=True) if procedure else r.Medication(name, ever=True)


def _method_analyte(analyte_id: str, methods: str) -> str:
    """The analyte readings by these methods ('|'-joined) are of: a narrower one where a
    method names it (lexicon.METHOD_ANALYTES), else the analyte itself; a method that fits
    neither is refused."""
    for method in methods.split("|"):
        narrower = METHOD_ANALYTES.get((analyte_id, method))
        if narrower is not None:
            analyte_id = narrower
            break
    _check_methods(analyte_id, methods)
    return analyte_id


def _with_analyte(rule: r.Rule, analyte_id: str) -> r.Rule:
    """The lab comparisons of a rule (alone or joined by and/or) on another analyte; any
    other leaf is refused rather than left on the old one."""
    if isinstance(rule, r.Compare | r.Between) and isinstance(rule.subject, r.Lab):
        return replace(rule, subject=r.Lab(analyte_id))
    if isinstance(rule, r.AllOf | r.AnyOf):
        return type(rule)(tuple(_with_analyte(item, analyte_id) for item in rule.items))
    raise _Reject("a method after something other than a lab value")


def _check_methods(analyte_id: str, methods: str) -> None:
    """Refuse a method the analyte's readings are not taken by (lexicon.ANALYTE_METHODS)."""
    allowed = ANALYTE_METHODS.get(analyte_id, frozenset())
    unknown = set(methods.split("|")) - allowed
    if unknown:
        name = analytes.ANALYTES[analyte_id].name
        raise _Reject(f"{name} measured by {', '.join(sorted(unknown))}")


def _same_analyte_once(names_and_seps: list[str]) -> tuple[list[str], list[str]]:
    """The analytes of a list and the separators between them, a name restated after a
    slash ("ALT/SGPT", "alanine aminotransferase (ALT)/serum glutamic pyruvic
    transaminase (SGPT)") counted once."""
    names = [names_and_seps[0]]
    separators: list[str] = []
    for separator, name in zip(names_and_seps[1::2], names_and_seps[2::2], strict=True):
        if separator == "slash" and name == names[-1]:
            continue
        names.append(name)
        separators.append(separator)
    return names, separators


def _scale(score: str, values: list[Decimal]) -> str:
    """The scale of a performance status named by no scale: ECOG, the one scale of grades
    0-5 (WHO and Zubrod are the same scale); Karnofsky and Lansky both run 0-100."""
    if score != "performance_status":
        return score
    if values and all(v == int(v) and 0 <= v <= 5 for v in values):
        return "ecog"
    raise _Reject("a performance status on no named scale, with values beyond 0-5")


PERFORMANCE_RANGES = {"ecog": (0, 5, True), "karnofsky": (0, 100, False)}
"""Each performance scale's range, and whether only whole grades exist: ECOG 0-5
(clinical-reference.md §2.5), Karnofsky 0-100 %, as patient.EcogFact / KarnofskyFact."""


def _checked_performance(rule: r.Rule) -> r.Rule:
    """A performance status rule whose bounds lie on its scale; any other is not that scale."""
    if not isinstance(rule, r.Compare | r.Between) or not isinstance(rule.subject, r.Score):
        return rule
    scale = PERFORMANCE_RANGES.get(rule.subject.name)
    if scale is None:
        return rule
    low, high, whole = scale
    bounds = [rule.value] if isinstance(rule, r.Compare) else [rule.low, rule.high]
    if any(not low <= b <= high or (whole and b != int(b)) for b in bounds):
        raise _Reject(f"{rule.subject.name} value outside its scale ({low}-{high})")
    return rule


def restates(first: r.Rule, second: r.Rule) -> bool:
    """Whether two rules on one performance scale hold for the same values of the scale
    ("ECOG < 2" and "ECOG 0 or 1"): every grade (ECOG) or whole score (Karnofsky) is tried."""
    rules = (first, second)
    if not all(isinstance(rule, r.Compare | r.Between) for rule in rules):
        return False
    subjects = {rule.subject for rule in rules if isinstance(rule, r.Compare | r.Between)}
    [subject] = subjects if len(subjects) == 1 else [None]
    if not isinstance(subject, r.Score) or subject.name not in PERFORMANCE_RANGES:
        return False
    low, high, _whole = PERFORMANCE_RANGES[subject.name]
    checks = [_holds(rule, Decimal(v)) for rule in rules for v in range(low, high + 1)]
    if None in checks:
        return False
    size = high - low + 1
    return checks[:size] == checks[size:]


def _holds(rule: r.Rule, value: Decimal) -> bool | None:
    """Whether a comparison holds for a value; None for "over"/"under" (a boundary a person
    reads) and anything that is not a comparison."""
    if isinstance(rule, r.Between):
        above = value > rule.low or (rule.low_inclusive and value == rule.low)
        below = value < rule.high or (rule.high_inclusive and value == rule.high)
        return above and below
    if not isinstance(rule, r.Compare):
        return None
    tests = {
        r.Op.LT: value < rule.value,
        r.Op.LE: value <= rule.value,
        r.Op.GT: value > rule.value,
        r.Op.GE: value >= rule.value,
        r.Op.EQ: value == rule.value,
    }
    return tests.get(rule.op)


_NYHA_DIAGNOSES = ("heart_failure", "heart_disease", "cardiomyopathy")
"""Diagnoses a NYHA class may grade: NYHA classes patients with cardiac disease."""


def _checked_class(rule: r.Rule) -> r.Rule:
    """A NYHA class rule names whole classes I-IV (1-4); any other number is not a class."""
    if not isinstance(rule, r.Compare | r.Between) or rule.subject != r.Score("nyha"):
        return rule
    bounds = [rule.value] if isinstance(rule, r.Compare) else [rule.low, rule.high]
    if any(b != int(b) or not 1 <= b <= 4 for b in bounds):
        raise _Reject("a NYHA class outside I-IV")
    return rule


def _nyha_only(rule: r.Rule) -> r.Rule:
    """The rule, when all it tests is the NYHA class."""
    if not all(
        isinstance(leaf, r.Compare | r.Between) and leaf.subject == r.Score("nyha")
        for leaf in r.leaves(rule)
    ):
        raise _Reject("a diagnosis next to a score that is not its NYHA class")
    return rule


def _classed_diagnosis(rule: r.Rule) -> r.Rule:
    """A present diagnosis of the heart (qualified or not) that a NYHA class can grade."""
    inner = rule.item if isinstance(rule, r.Qualified) else rule
    if not (
        isinstance(inner, r.Condition)
        and inner.mode is r.ConditionMode.PRESENT
        and inner.within is None
        and inner.concept in _NYHA_DIAGNOSES
    ):
        raise _Reject("a NYHA class next to something other than a present heart diagnosis")
    return rule


def _only_other(parts: tuple[Token, ...]) -> None:
    """A qualifier of other trials or of a drug class of a list may be "other" only."""
    for token in parts:
        if isinstance(token, Token) and token.type == "QUALIFIER" and str(token) != "other":
            raise _Reject(f"'{token}' qualifies what follows it")


def _points_within_classes(low: Decimal, high: Decimal, classes: tuple[str, ...]) -> bool:
    spans = {"a": (5, 6), "b": (7, 9), "c": (10, 15)}
    return all(any(spans[c][0] <= p <= spans[c][1] for c in classes) for p in (low, high))


_QUALIFIER_LINKS = {"OR": "or", "AND": "and", "ANDOR": "and/or", "SLASH": "/"}


def _qualify(tokens: Sequence[AnyType], item: r.Rule) -> r.Rule:
    """The item under the words of its QUALIFIER tokens and the links between them ("severe
    or uncontrolled"); other tokens are scope words."""
    words: list[str] = []
    previous = ""
    for token in tokens:
        if not isinstance(token, Token):
            continue
        if token.type == "QUALIFIER":
            words.append(str(token))
        elif token.type in _QUALIFIER_LINKS and previous == "QUALIFIER":
            words.append(_QUALIFIER_LINKS[token.type])  # a link between two qualifiers
        previous = token.type
    return r.Qualified(" ".join(words).replace(" / ", "/"), item) if words else item


def _alongside(tokens: Sequence[AnyType], item: r.Rule) -> r.Rule:
    """The item qualified "concurrent" when a CONCURRENT token says so: a diagnosis beside
    another (the disease under study), which the record cannot tell from that disease."""
    if any(
        isinstance(t, Token) and t.type == "CONCURRENT" and str(t) == "concurrent" for t in tokens
    ):
        return r.Qualified("concurrent", item)
    return item


def _with_mode(rule: r.Rule, mode: r.ConditionMode) -> r.Rule:
    if isinstance(rule, r.Condition):
        if rule.within is not None and mode is not r.ConditionMode.HISTORY:
            raise _Reject("'suspected' in front of a dated diagnosis")
        return r.Condition(rule.concept, mode, rule.within)
    if isinstance(rule, r.Review):
        return rule
    if isinstance(rule, r.AnyOf | r.AllOf | r.Readings):
        return type(rule)(tuple(_with_mode(item, mode) for item in rule.items))
    if isinstance(rule, r.Qualified):
        return r.Qualified(rule.qualifier, _with_mode(rule.item, mode))
    raise _Reject("'history of' or 'suspected' in front of something that is not a diagnosis")


def _with_window(rule: r.Rule, window: r.Window) -> r.Rule:
    """Every lab comparison of a rule, measured within the window."""
    if isinstance(rule, r.Compare | r.Between) and isinstance(rule.subject, r.Lab):
        return replace(rule, within=window)
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return type(rule)(tuple(_with_window(item, window) for item in rule.items))
    raise _Reject("a window on something other than lab values")


def with_mode(rule: r.Rule, mode: r.ConditionMode) -> r.Rule | None:
    """The rule with every diagnosis read in this mode ('history of', 'known or suspected');
    None when not all of its parts are diagnoses."""
    try:
        return _with_mode(rule, mode)
    except _Reject:
        return None


_UPWARD = {r.Op.GT, r.Op.GE, r.Op.OVER}
_DOWNWARD = {r.Op.LT, r.Op.LE, r.Op.UNDER}


def _two_sided(
    analyte_id: str, first: _Comparison, second: _Comparison, outside: bool
) -> tuple[_Comparison, _Comparison]:
    """Two bounds on one value, in the order of the text, once checked.

    A unit written only at the end belongs to both numbers ("< 150 or > 180 cm"). The
    bounds must face opposite ways and leave a range: "< 150 or > 180" (outside) or
    "≥ 50 and ≤ 80" (inside); "≥ 9 g/dL or ≥ 5.6 mmol/L" restates one bound and
    "> 5 or < 10" holds for every value: neither is read.
    """
    if first.op is None or second.op is None:
        raise _Reject("a range as one side of a two-sided bound")
    if not first.unit:
        first = replace(first, unit=second.unit)
    ops = {first.op in _DOWNWARD, second.op in _DOWNWARD}
    if ops != {True, False}:
        raise _Reject("two bounds on one value that face the same way")
    less, more = (first, second) if first.op in _DOWNWARD else (second, first)
    if (less.unit == "xULN") != (more.unit == "xULN"):
        raise _Reject("a bound in × ULN beside a bound in units")
    # "< a or > b" needs a <= b; "> b and < a" needs b <= a
    a, b = _in_canonical(analyte_id, less), _in_canonical(analyte_id, more)
    if (outside and a > b) or (not outside and b > a):
        raise _Reject("two bounds that leave no range between them")
    return first, second


def _in_canonical(analyte_id: str, comparison: _Comparison) -> float:
    if comparison.unit == "xULN":
        return float(comparison.low)
    converted = analytes.convert(analyte_id, float(comparison.low), comparison.unit or None)
    if isinstance(converted, analytes.UnitProblem):
        raise _Reject(f"{analytes.ANALYTES[analyte_id].name}: {converted.reason}")
    return converted.value


def _comparison_rule(subject: r.Subject, comparison: _Comparison) -> r.Rule:
    if comparison.op is None:
        assert comparison.high is not None
        return r.Between(subject, comparison.low, comparison.high, comparison.unit)
    return r.Compare(subject, comparison.op, comparison.low, comparison.unit)


# Analytes reported in one unit only, which criteria text often leaves out ("BMI > 40"), and
# the bounds (exclusive) within which a bare number can only be in that unit: body mass index
# in kg/m2 (WHO); ejection fraction in %, above 1 ("LVEF ≥ 0.5" would be a fraction); blood
# pressure in mmHg, above 30 (in kPa, the one other unit, a pressure stays below 30 in life);
# heart and respiratory rates per minute, within what a living patient shows. The bounds also
# keep the abbreviations' other meanings out: a hazard ratio ("HR < 0.8"), a relative risk or
# an RR interval in seconds or milliseconds ("RR > 1.2", "RR > 600").
_SOLE_UNITS = {
    "bmi": ("kg/m2", Decimal(5), None),
    "lvef": ("%", Decimal(1), Decimal(100)),
    "systolic_bp": ("mmHg", Decimal(30), Decimal(300)),
    "diastolic_bp": ("mmHg", Decimal(30), Decimal(300)),
    "heart_rate": ("/min", Decimal(20), Decimal(300)),
    "respiratory_rate": ("/min", Decimal(4), Decimal(80)),
}


def _with_sole_unit(analyte_id: str, comparison: _Comparison) -> _Comparison:
    """The comparison in its analyte's only unit, when the text gives none."""
    sole = _SOLE_UNITS.get(analyte_id)
    if comparison.unit or sole is None:
        return comparison
    unit, above, below = sole
    bounds = [b for b in (comparison.low, comparison.high) if b is not None]
    if not all(above < b and (below is None or b < below) for b in bounds):
        return comparison
    return _Comparison(comparison.op, comparison.low, comparison.high, unit)


# Measurements of the body (vital signs, size, imaging, ECG intervals) rather than laboratory
# assays: their reports carry no upper limit of normal, so "LVEF ≤ 1 × ULN" is a slip of the
# text (for the lower limit, or a unit) and never a threshold.
_WITHOUT_ULN = frozenset(
    {
        "lvef",
        "bmi",
        "body_weight",
        "body_height",
        "systolic_bp",
        "diastolic_bp",
        "heart_rate",
        "respiratory_rate",
        "spo2",
        "oxygen_saturation",
        "body_temperature",
        "qtc",
        "qtcf",
        "qtcb",
    }
)


def _lab_rule(subject: r.Subject, analyte_id: str, comparison: _Comparison) -> r.Rule:
    comparison = _with_sole_unit(analyte_id, comparison)
    if comparison.unit == "xULN" and analyte_id in _WITHOUT_ULN:
        raise _Reject(f"{analytes.ANALYTES[analyte_id].name} has no upper limit of normal")
    if comparison.unit != "xULN":
        problem = analytes.convert(analyte_id, float(comparison.low), comparison.unit or None)
        if isinstance(problem, analytes.UnitProblem):
            raise _Reject(f"{analytes.ANALYTES[analyte_id].name}: {problem.reason}")
    return _comparison_rule(subject, comparison)


def _check_alternatives(rule: r.Rule, alternatives: list[tuple[Decimal, str, str]]) -> None:
    """'≥ 9.0 g/dL or 5.6 mmol/L': the second unit must state the same threshold (±2 %)."""
    labs = [
        leaf
        for leaf in r.leaves(rule)
        if isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Lab)
    ]
    if alternatives and len(labs) != 1:
        raise _Reject("an alternative threshold outside a single lab comparison")
    for value, unit, alternative in alternatives:
        subject = labs[0].subject
        assert isinstance(subject, r.Lab)
        alt_value, _, alt_unit = alternative.partition(" ")
        first = analytes.convert(subject.analyte, float(value), unit or None)
        second = analytes.convert(subject.analyte, float(alt_value), alt_unit or None)
        if isinstance(first, analytes.UnitProblem) or isinstance(second, analytes.UnitProblem):
            raise _Reject("an alternative threshold in a unit that does not fit")
        if abs(first.value - second.value) > 0.02 * max(abs(first.value), abs(second.value)):
            raise _Reject("two thresholds for one value that do not agree")


def parse_item(
    tokens: list[Token], default_conjunction: str = "and", whole: bool = False
) -> r.Rule | Unaccounted:
    """The rule for a whole span of tokens, or why it does not compile."""
    if not tokens:
        return Unaccounted("empty text")
    unknown = [str(t) for t in tokens if t.type == "WORD"]
    if unknown:
        return Unaccounted(f"words the grammar does not cover: {', '.join(unknown[:4])}")
    try:
        tree = item_parser().parse(tokens)
        transformer = _ToRule(default_conjunction, whole)
        rule: r.Rule = transformer.transform(tree)
        _check_alternatives(rule, transformer.alternatives)
        if transformer.lone_classes:
            return Unaccounted("one NYHA class in a piece of a list: more may follow it")
    except VisitError as error:
        if isinstance(error.orig_exc, _Reject):
            return Unaccounted(error.orig_exc.reason)
        raise
    except _Reject as error:
        return Unaccounted(error.reason)
    except LarkError:
        return Unaccounted("a construction the grammar does not cover")
    return rule
