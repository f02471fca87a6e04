"""The criterion language: rule trees print canonically and parse back unchanged.

screener/rules.py prints a tree (`render`), screener/canonical.py parses text
(`parse_rule`) with grammar/rule.lark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from screener import rules as r
from screener.canonical import RuleSyntaxError, parse_rule
from screener.resources import grammar_path
from tests.strategies import KEYWORDS, UNITS, free_text, names, rule_trees

GRAMMAR = grammar_path("rule.lark").read_text(encoding="utf-8")


# ---------------------------------------------------------------- round trip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_trees())
def test_parse_inverts_render(tree: r.Rule) -> None:
    assert parse_rule(r.render(tree)) == tree


def test_number_forms_print_plainly() -> None:
    # Decimals with exponents or trailing zeros print as plain numbers NUMBER accepts.
    cases = {
        "1E+5": "100000",
        "0.0001": "0.0001",
        "1.50": "1.5",
        "2.5E+3": "2500",
        "0.00": "0",
        "-0": "0",
        "1E-7": "0.0000001",
        "100": "100",
    }
    for value, printed in cases.items():
        assert r.format_number(Decimal(value)) == printed
        rule = r.Compare(r.Age(), r.Op.GE, Decimal(value), "years")
        assert r.render(rule) == f"age >= {printed} years"
        assert parse_rule(r.render(rule)) == rule


@pytest.mark.parametrize("unit", [u for u in UNITS if u])
def test_units_of_the_strategy_are_units_of_the_grammar(unit: str) -> None:
    assert parse_rule(f"lab(x) in (1, 2] {unit} or lab(x) < 1 {unit}") == r.AnyOf(
        (
            r.Between(r.Lab("x"), Decimal(1), Decimal(2), unit, low_inclusive=False),
            r.Compare(r.Lab("x"), r.Op.LT, Decimal(1), unit),
        )
    )


# ---------------------------------------------------------------- golden examples

# Canonical text: each must print back exactly as written.
ESCAPED_REVIEW = r'review("a \"quoted\" word; a back\\slash (and)\nsecond line\ttab")'

GOLDEN = [
    # comparisons: every subject, every operator, with and without unit
    "lab(total_bilirubin) >= 171 umol/L or rise(total_bilirubin, day) >= 17.1 umol/L",
    "age in [18, 70] years and sex = female",
    "age >= 18 years",
    "age < 6 months",
    "sex = male",
    "lab(platelets) <= 100 10^9/L",
    "lab(creatinine) > 1.5 mg/dL",
    "lab(alt) > 5 xULN",
    "lab(hba1c) = 6.5 %",
    "lab(albumin) < 28 g/L",
    "lab(ast) < 100000 U/L",
    "score(meld_na) > 0.0001",
    "fact(ecog) = 2",
    "fact(symptom_duration) over 2 months",
    "fact(life_expectancy) under 12 weeks",
    "rise(creatinine, week) > 26.5 umol/L",
    # intervals: every inclusivity, with and without unit
    "lab(egfr) in (30, 60] mL/min/1.73m2",
    "score(meld) in [15, 40)",
    "fact(he_grade) in (0, 4)",
    "score(child_pugh_class) in {b, c}",
    "fact(ecog) in {zero}",
    # other leaves
    "condition(diabetes)",
    "condition(hepatocellular_carcinoma, or_suspected)",
    "history(liver_transplant)",
    "pregnant or lactating",
    "other_trial(drug|biological, within 3 months)",
    "other_trial(any, ongoing)",
    "other_trial(device, ongoing)",
    "other_trial(any, within 30 days)",
    "medication(anticoagulant)",
    "medication(immunosuppressant, within 4 weeks)",
    "medication(anticoagulant, within 4 weeks before randomisation)",
    "medication(chemotherapy, ever)",
    "procedure(dialysis)",
    "procedure(major_surgery, within 4 weeks before randomisation)",
    "procedure(major_surgery, within < 4 weeks before enrolment)",
    "not medication(chemotherapy, within < 4 weeks)",
    "procedure(radiotherapy, ever)",
    "history(myocardial_infarction, within 6 months)",
    "lab(hba1c) in [7.5, 12.5] % within 90 days",
    "lab(creatinine) <= 1.5 mg/dL within 14 days before first_dose",
    "test(hbsag) = positive",
    "test(hcv_rna) = negative or test(anti_hcv) = negative",
    "measurable_disease(recist_1_1) or measurable_disease(recist) or measurable_disease(any)",
    'review("uncontrolled infection")',
    ESCAPED_REVIEW,
    'review("patient’s “consent” ≥ 3 µmol/L")',
    # compounds
    "not (condition(diabetes) or condition(hypertension))",
    "not pregnant",
    "not (not pregnant)",
    "not age < 18 years",
    "(pregnant or lactating) and (not condition(hiv))",
    "(age >= 18 years and age <= 70 years) or fact(ecog) in {zero, one}",
    "implies(sex = female; not pregnant)",
    "implies(sex = female and age < 50 years; pregnant or lactating)",
    'qualified("other severe"; condition(heart_disease))',
    'qualified("active \\"serious\\""; condition(infection) or condition(sepsis))',
    "readings(fact(life_expectancy) under 3 months; fact(life_expectancy) < 3 months)",
    'readings(condition(cirrhosis); history(cirrhosis); review("cirrhosis?"))',
    'implies(readings(pregnant; lactating); qualified("x"; not (pregnant and lactating)))',
]


@pytest.mark.parametrize("text", GOLDEN)
def test_golden_prints_back_unchanged(text: str) -> None:
    assert r.render(parse_rule(text)) == text


def test_golden_examples_read_as_intended() -> None:
    assert parse_rule(GOLDEN[0]) == r.AnyOf(
        (
            r.Compare(r.Lab("total_bilirubin"), r.Op.GE, Decimal(171), "umol/L"),
            r.Compare(r.Rise("total_bilirubin", "day"), r.Op.GE, Decimal("17.1"), "umol/L"),
        )
    )
    assert parse_rule("age in [18, 70] years and sex = female") == r.AllOf(
        (
            r.Between(r.Age(), Decimal(18), Decimal(70), "years"),
            r.Sex("female"),
        )
    )
    assert parse_rule("lab(egfr) in (30, 60] mL/min/1.73m2") == r.Between(
        r.Lab("egfr"),
        Decimal(30),
        Decimal(60),
        "mL/min/1.73m2",
        low_inclusive=False,
        high_inclusive=True,
    )
    assert parse_rule("other_trial(drug|biological, within 3 months)") == r.TrialParticipation(
        ("drug", "biological"), r.Window(3, "months")
    )
    assert parse_rule("other_trial(any, ongoing)") == r.TrialParticipation((), None)
    assert parse_rule(ESCAPED_REVIEW) == r.Review(
        'a "quoted" word; a back\\slash (and)\nsecond line\ttab'
    )
    assert parse_rule("not age < 18 years") == r.Not(
        r.Compare(r.Age(), r.Op.LT, Decimal(18), "years")
    )


def test_golden_covers_every_node_type() -> None:
    seen: set[object] = set()

    def walk(rule: r.Rule) -> None:
        seen.add(type(rule))
        if isinstance(rule, r.Compare | r.Between | r.OneOf):
            seen.add(type(rule.subject))
        if isinstance(rule, r.Condition):
            seen.add(rule.mode)
        for child in _children(rule):
            walk(child)

    for text in GOLDEN:
        walk(parse_rule(text))
    expected = {
        r.Compare,
        r.Between,
        r.OneOf,
        r.Sex,
        r.Condition,
        r.Pregnant,
        r.Lactating,
        r.TrialParticipation,
        r.Medication,
        r.Procedure,
        r.TestResult,
        r.MeasurableDisease,
        r.Review,
        r.AllOf,
        r.AnyOf,
        r.Not,
        r.Implies,
        r.Qualified,
        r.Readings,
        r.Age,
        r.Lab,
        r.Rise,
        r.Score,
        r.Fact,
        *r.ConditionMode,
    }
    assert expected - seen == set()


def _children(rule: r.Rule) -> tuple[r.Rule, ...]:
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return rule.items
    if isinstance(rule, r.Not | r.Qualified):
        return (rule.item,)
    if isinstance(rule, r.Implies):
        return (rule.condition, rule.then)
    return ()


# ---------------------------------------------------------------- the grammar itself


def test_grammar_builds_strict() -> None:
    # strict: no shift/reduce conflict, no colliding terminals (needs interegular).
    Lark(GRAMMAR, parser="lalr", strict=True)


def _rule_names(parser: Lark) -> tuple[set[str], dict[str, set[str]]]:
    """Rule names defined in the grammar, and the aliases of each rule's alternatives."""
    aliases: dict[str, set[str]] = {}
    for rule in parser.rules:
        name = str(rule.origin.name)
        if name.startswith("_"):  # lark's helpers for repetition, inlined away
            continue
        aliases.setdefault(name, set())
        if rule.alias:
            aliases[name].add(str(rule.alias))
    return set(aliases), aliases


def _tree_names(tree: Tree[Token]) -> Iterator[str]:
    for subtree in tree.iter_subtrees():
        yield str(subtree.data)


def test_golden_reaches_every_grammar_rule() -> None:
    # Without the `?` markers every rule shows as a tree node: a rule is reached
    # when its name or the alias of one of its alternatives shows in some tree.
    parser = Lark(re.sub(r"^\?", "", GRAMMAR, flags=re.MULTILINE), parser="lalr")
    rule_names, aliases = _rule_names(parser)
    assert {"start", "expr", "leaf", "subject", "window"} <= rule_names  # sanity
    seen = {name for text in GOLDEN for name in _tree_names(parser.parse(text))}
    unreached_rules = {name for name in rule_names if name not in seen and not aliases[name] & seen}
    unreached_aliases = set().union(*aliases.values()) - seen
    assert unreached_rules == set()
    assert unreached_aliases == set()


# ---------------------------------------------------------------- rejections

MALFORMED = [
    "",
    "   ",
    # and/or mixed at one level
    "pregnant and lactating or condition(diabetes)",
    "condition(diabetes) or age < 18 years and sex = female",
    "not pregnant and lactating or history(cancer)",
    # unbalanced parentheses
    "(pregnant or lactating",
    "pregnant or lactating)",
    "not ((condition(x) or condition(y))",
    "condition(diabetes",
    "implies(pregnant; lactating",
    # unknown leaf words and subjects
    "smoker",
    "pregnant and smoker",
    "weight(kg) > 5",
    "bmi > 30",
    # malformed leaves
    "lab(ALT) > 5",
    "lab(1x) > 5",
    "lab() > 5",
    "age >",
    "age > five years",
    "age => 18 years",
    "age in [18 70] years",
    "age in [18, 70 years",
    "age in {}",
    "sex female",
    "condition(x, suspected)",
    "other_trial(drug, within 3)",
    "other_trial(drug)",
    "other_trial(any|drug, ongoing)",
    "medication(x, 3 months)",
    "medication(x, within 3 months before lunch)",
    "medication(x, within <= 3 months)",
    "medication(x, < 3 months)",
    "medication(x, within < 3 months before lunch)",
    "procedure(x, 3 months)",
    "procedure(x, ongoing)",
    "procedure(x, within 3 months before lunch)",
    "test(hbsag)",
    "test(hbsag) positive",
    "test(hbsag) > 5",
    "test(hbsag) = 5",
    "test(HBsAg) = positive",
    "condition(x, within 3 months)",
    "age >= 18 years within 3 days",
    "review(unquoted text)",
    'review("unterminated)',
    "qualified(severe; condition(x))",
    "readings(pregnant)",
    "implies(pregnant)",
    "implies(pregnant; lactating; condition(x))",
    # dangling operators
    "not",
    "pregnant and",
    "or pregnant",
    "pregnant lactating",
    "lab(x) > 5 and and pregnant",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_text_is_a_rule_syntax_error(text: str) -> None:
    with pytest.raises(RuleSyntaxError) as caught:
        parse_rule(text)
    assert not isinstance(caught.value, LarkError)
    assert caught.value.text == text
    assert caught.value.message.startswith("not a valid rule")


def test_syntax_error_points_at_the_column() -> None:
    with pytest.raises(RuleSyntaxError, match="column"):
        parse_rule("pregnant and lactating or condition(diabetes)")


# Text that lexes and parses but whose pieces the transformer cannot convert
# is still a RuleSyntaxError, never a lark exception.
@pytest.mark.parametrize(
    "text",
    [
        r'review("\q")',  # STRING accepts any escape, json.loads does not
        'review("tab\tinside")',  # STRING accepts raw control characters, json.loads does not
        'qualified("line\nbreak"; pregnant)',
        "medication(x, within " + "9" * 5000 + " days)",  # int() refuses > 4300 digits
        "test(hbsag) = detected",  # a result is positive or negative, nothing else
        "test(no_such_test) = positive",  # a test of the vocabulary only
        "test(hbsag) = positive_",
        "measurable_disease(mrecist)",  # only the criteria the grammar reads
    ],
)
def test_unconvertible_text_is_a_rule_syntax_error(text: str) -> None:
    with pytest.raises(RuleSyntaxError):
        parse_rule(text)


def _parse_or_syntax_error(text: str) -> r.Rule | None:
    try:
        return parse_rule(text)
    except RuleSyntaxError:
        return None


@given(st.text(max_size=60))
def test_arbitrary_text_raises_only_rule_syntax_error(text: str) -> None:
    _parse_or_syntax_error(text)


# Pieces of the language, so that random sequences are often nearly valid.
_PIECES = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(("(", ")", "[", "]", "{", "}", ",", ";", "|", "<", "<=", ">", ">=", "=")),
    st.sampled_from(("0", "3", "17.1", "-2", "100000")),
    st.sampled_from([u for u in UNITS if u]),
    names,
    free_text.map(lambda text: json.dumps(text, ensure_ascii=False)),
)


@settings(max_examples=300)
@given(st.lists(_PIECES, max_size=16), st.sampled_from((" ", "")))
def test_token_soup_parses_or_raises_rule_syntax_error(pieces: list[str], sep: str) -> None:
    rule = _parse_or_syntax_error(sep.join(pieces))
    if rule is not None:  # whatever parses prints canonically
        assert parse_rule(r.render(rule)) == rule
