"""Gold meanings of real criteria: the compiler must never produce a WRONG rule.

tests/data/gold_criteria.json holds a stratified sample of real eligibility criteria from the
development corpus (drawn by scripts/draw_gold_sample.py with a fixed seed) and, for each, the
rule it means (`expected`), written by reading the text before the engine ever ran on it, or
"review" where the criterion language cannot say it exactly. `acceptable` lists other rules
that are equally faithful readings (e.g. `age >= 18 years` for "male or female, aged 18 or
older", or a `qualified(...)` form of a qualifier the gold leaves to review).

Outcomes per item, comparing the engine's rule with the gold:
- WRONG: the engine gives a rule (not entirely review leaves) that is neither the expected rule
  nor an acceptable one; this includes any rule where the gold says "review". The test fails.
- MISS: the engine gives review (every leaf a review) where the gold has a rule, or the gold
  rule with some of its parts replaced by review leaves (Kleene logic is monotone: such a rule
  decides only where the gold rule decides, and the same way). Reported only.

Rules are compared by canonical form, after normalising what does not change meaning: the
order of `and`/`or`/`readings` items (and nested groups of the same kind, and repeated items),
lab thresholds converted to the analyte's canonical unit (1,500/mm3 = 1.5 10^9/L), and the
text inside `review("...")` leaves and of `qualified("..."; X)` qualifiers (where a review
fragment starts and ends, or how a qualifier is quoted, is not meaning: both go to a person).
In the gold, review fragments are exact pieces of the item text.
"""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screener import analytes, concepts
from screener import rules as r
from screener.canonical import parse_rule
from screener.derived import LABELS as SCORES
from screener.evaluate import threshold_in_canonical

ROOT = Path(__file__).resolve().parent.parent
GOLD_PATH = ROOT / "tests" / "data" / "gold_criteria.json"
SCRIPT = ROOT / "scripts" / "draw_gold_sample.py"
CORPUS = Path("/work/shared/corpus")

REVIEW = "review"
STYLES = {"dev", "api_v2_json", "classic_v1_json", "classic_xml", "trialgpt_split_fields"}
TYPES = {"lab", "age", "diagnosis", "window", "negation", "and_or", "other"}
KINDS = {"inclusion", "exclusion", "unclassified"}
FACTS = {"life_expectancy", "he_grade"}
TIME_UNITS = {"years", "months", "weeks", "days"}
RISE_PER = {"day", "week", "hour"}
TRIAL_TYPES = {"drug", "biological", "device", "procedure", "behavioural", "other"}
PLACEHOLDER = r.Review("…")


def load_gold() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(GOLD_PATH.read_text(encoding="utf-8"))["items"]
    return items


GOLD = load_gold()


def compiler_kind(kind: str) -> str:
    """Items under no inclusion/exclusion heading are compiled as eligibility requirements."""
    return kind if kind in ("inclusion", "exclusion") else "inclusion"


# ---------------------------------------------------------------- validity of the gold


def identifier_problems(rule: r.Rule) -> list[str]:
    """Unknown identifiers and units that do not fit, in one expected rule."""
    problems: list[str] = []
    for leaf in r.leaves(rule):
        if isinstance(leaf, r.Compare | r.Between | r.OneOf):
            subject = leaf.subject
            unit = "" if isinstance(leaf, r.OneOf) else leaf.unit
            if isinstance(subject, r.Lab | r.Rise):
                if subject.analyte not in analytes.ANALYTES:
                    problems.append(f"unknown analyte {subject.analyte}")
                    continue
                if isinstance(subject, r.Rise) and subject.per not in RISE_PER:
                    problems.append(f"unknown rise period {subject.per}")
                if isinstance(leaf, r.OneOf):
                    problems.append(f"categorical test of a lab: {leaf.render()}")
                elif unit != "xULN":
                    bounds = [leaf.value] if isinstance(leaf, r.Compare) else [leaf.low, leaf.high]
                    for bound in bounds:
                        try:
                            threshold_in_canonical(subject.analyte, bound, unit)
                        except ValueError as error:
                            problems.append(f"{leaf.render()}: {error}")
            elif isinstance(subject, r.Age):
                if unit not in TIME_UNITS:
                    problems.append(f"age needs a time unit: {leaf.render()}")
            elif isinstance(subject, r.Score):
                if subject.name not in SCORES:
                    problems.append(f"unknown score {subject.name}")
                if unit:
                    problems.append(f"a score has no unit: {leaf.render()}")
            elif isinstance(subject, r.Fact):
                if subject.name not in FACTS:
                    problems.append(f"unknown fact {subject.name}")
                elif subject.name == "life_expectancy" and unit not in TIME_UNITS:
                    problems.append(f"life expectancy needs a time unit: {leaf.render()}")
                elif subject.name == "he_grade" and unit:
                    problems.append(f"a grade has no unit: {leaf.render()}")
        elif isinstance(leaf, r.Sex):
            if leaf.value not in ("female", "male"):
                problems.append(f"unknown sex {leaf.value}")
        elif isinstance(leaf, r.Condition):
            if leaf.concept not in concepts.CONCEPTS:
                problems.append(f"unknown concept {leaf.concept}")
        elif isinstance(leaf, r.Medication):
            if leaf.drug_class not in concepts.DRUG_CLASSES:
                problems.append(f"unknown drug class {leaf.drug_class}")
            if leaf.within and leaf.within.unit not in TIME_UNITS:
                problems.append(f"unknown window unit {leaf.within.unit}")
        elif isinstance(leaf, r.Procedure):
            if leaf.procedure not in concepts.PROCEDURES:
                problems.append(f"unknown procedure {leaf.procedure}")
            if leaf.within and leaf.within.unit not in TIME_UNITS:
                problems.append(f"unknown window unit {leaf.within.unit}")
        elif isinstance(leaf, r.TrialParticipation):
            unknown = set(leaf.types) - TRIAL_TYPES
            if unknown:
                problems.append(f"unknown trial types {sorted(unknown)}")
            if leaf.within and leaf.within.unit not in TIME_UNITS:
                problems.append(f"unknown window unit {leaf.within.unit}")
    return problems


def test_gold_sample_size_and_coverage() -> None:
    assert len(GOLD) >= 150
    ids = [item["id"] for item in GOLD]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"g\d{3}", i) for i in ids)
    assert {item["style"] for item in GOLD} == STYLES
    assert {item["type"] for item in GOLD} == TYPES
    for item in GOLD:
        assert item["kind"] in KINDS, item["id"]
        assert item["text"].strip() == item["text"] and item["text"], item["id"]
        assert re.fullmatch(r"NCT\d{8}", item["nct"]), item["id"]
        assert isinstance(item["expected"], str), item["id"]


@pytest.mark.parametrize("item", GOLD, ids=[item["id"] for item in GOLD])
def test_gold_expected_rules_parse_and_use_known_identifiers(item: dict[str, Any]) -> None:
    readings = [] if item["expected"] == REVIEW else [item["expected"]]
    readings += item.get("acceptable", [])
    for text in readings:
        rule = parse_rule(text)  # raises on a malformed rule
        assert not isinstance(rule, r.Review), f"{item['id']}: write a whole review as 'review'"
        assert not all(isinstance(leaf, r.Review) for leaf in r.leaves(rule)), item["id"]
        assert parse_rule(r.render(rule)) == rule
        assert identifier_problems(rule) == [], f"{item['id']}: {text}"
        for leaf in r.leaves(rule):
            if isinstance(leaf, r.Review):
                assert leaf.text in item["text"], f"{item['id']}: fragment {leaf.text!r}"


def test_gold_sample_is_what_the_script_draws() -> None:
    if not (CORPUS / "ctgov_dev_large.json").exists():
        pytest.skip("development corpus not available")
    spec = importlib.util.spec_from_file_location("draw_gold_sample", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    drawn = module.draw(CORPUS)
    fields = module.ITEM_FIELDS
    assert [{k: item[k] for k in fields} for item in GOLD] == drawn


# ---------------------------------------------------------------- comparison


def _canonical_bound(analyte: str, value: Decimal, unit: str) -> Decimal:
    converted = threshold_in_canonical(analyte, value, unit)
    return Decimal(repr(round(converted, 6)))


def normalise(rule: r.Rule) -> r.Rule:
    """The rule with meaning-preserving differences removed (see the module docstring)."""
    if isinstance(rule, r.Review):
        return PLACEHOLDER
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        kind = type(rule)
        items: list[r.Rule] = []
        for item in rule.items:
            item = normalise(item)
            if kind is not r.Readings and isinstance(item, kind):
                items.extend(item.items)
            else:
                items.append(item)
        unique = {r.render(item): item for item in items}
        ordered = tuple(unique[key] for key in sorted(unique))
        return ordered[0] if len(ordered) == 1 else kind(ordered)
    if isinstance(rule, r.Not):
        return r.Not(normalise(rule.item))
    if isinstance(rule, r.Qualified):
        return r.Qualified("…", normalise(rule.item))
    if isinstance(rule, r.Implies):
        return r.Implies(normalise(rule.condition), normalise(rule.then))
    if isinstance(rule, r.Compare | r.Between) and isinstance(rule.subject, r.Lab | r.Rise):
        analyte = rule.subject.analyte
        if rule.unit == "xULN" or analyte not in analytes.ANALYTES:
            return rule
        canonical_unit = analytes.ANALYTES[analyte].canonical_unit
        try:
            if isinstance(rule, r.Compare):
                value = _canonical_bound(analyte, rule.value, rule.unit)
                return r.Compare(rule.subject, rule.op, value, canonical_unit)
            low = _canonical_bound(analyte, rule.low, rule.unit)
            high = _canonical_bound(analyte, rule.high, rule.unit)
        except ValueError:
            return rule
        return r.Between(
            rule.subject, low, high, canonical_unit, rule.low_inclusive, rule.high_inclusive
        )
    return rule


def canonical(rule: r.Rule) -> str:
    return r.render(normalise(rule))


def is_review(rule: r.Rule) -> bool:
    """An engine result counts as review when every leaf of it is a review leaf."""
    return all(isinstance(leaf, r.Review) for leaf in r.leaves(rule))


def is_weakening(got: r.Rule, gold: r.Rule) -> bool:
    """Whether `got` is `gold` with some parts replaced by review (both normalised)."""
    if isinstance(got, r.Review):
        return True
    if type(got) is not type(gold):
        return False
    if isinstance(got, r.AllOf | r.AnyOf | r.Readings):
        assert isinstance(gold, r.AllOf | r.AnyOf | r.Readings)
        return _pairs(list(got.items), list(gold.items))
    if isinstance(got, r.Not | r.Qualified):
        assert isinstance(gold, r.Not | r.Qualified)
        return is_weakening(got.item, gold.item)
    if isinstance(got, r.Implies):
        assert isinstance(gold, r.Implies)
        return is_weakening(got.condition, gold.condition) and is_weakening(got.then, gold.then)
    return got == gold


def _pairs(got: list[r.Rule], gold: list[r.Rule]) -> bool:
    """Each `got` item weakens a distinct `gold` item (order does not matter); a review
    item of `got` may stand for several gold items ("A and review" for "A and B and C")."""
    if not got:
        return not gold
    if isinstance(got[0], r.Review) and len(got) == 1:
        return bool(gold)
    first, rest = got[0], got[1:]
    return any(
        is_weakening(first, candidate) and _pairs(rest, gold[:index] + gold[index + 1 :])
        for index, candidate in enumerate(gold)
    )


def judge(item: dict[str, Any], got: r.Rule) -> str:
    """'ok', 'wrong' or 'miss' for the engine's rule on one gold item."""
    expected = item["expected"]
    accepted = [parse_rule(text) for text in item.get("acceptable", [])]
    if expected != REVIEW:
        accepted.append(parse_rule(expected))
    if is_review(got):
        return "ok" if expected == REVIEW else "miss"
    if canonical(got) in {canonical(rule) for rule in accepted}:
        return "ok"
    if any(is_weakening(normalise(got), normalise(rule)) for rule in accepted):
        return "miss"
    return "wrong"


def test_gold_compare_no_wrong_rules() -> None:
    from screener.compiler import compile_criterion

    wrong: list[str] = []
    misses: list[str] = []
    for item in GOLD:
        got = compile_criterion(item["text"], compiler_kind(item["kind"])).rule
        verdict = judge(item, got)
        line = (
            f"{item['id']} [{item['kind']}] {item['text']!r}\n"
            f"    expected: {item['expected']}\n    got:      {r.render(got)}"
        )
        if verdict == "wrong":
            wrong.append(line)
        elif verdict == "miss":
            misses.append(line)
    rules = sum(item["expected"] != REVIEW for item in GOLD)
    summary = (
        f"gold: {len(GOLD)} items, {rules} rules expected, {len(wrong)} wrong, {len(misses)} misses"
    )
    print(summary)
    if misses:
        print("misses (review where the gold has a rule):\n" + "\n".join(misses))
    warnings.warn(summary, stacklevel=1)
    assert not wrong, f"{summary}\nWRONG rules:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("expected", "acceptable", "got", "verdict"),
    [
        ("lab(anc) >= 1.5 10^9/L", [], "lab(anc) >= 1500 1/mm3", "ok"),
        ("lab(anc) >= 1.5 10^9/L", [], "lab(anc) > 1.5 10^9/L", "wrong"),
        ("age >= 18 years and sex = female", [], "sex = female and age >= 18 years", "ok"),
        ('age > 2 years and review("a")', [], 'review("b") and age > 2 years', "ok"),
        ('age > 2 years and review("a")', [], 'review("b") or age > 2 years', "wrong"),
        ('age > 2 years and review("a")', [], "age > 2 years", "wrong"),
        ("pregnant or lactating", [], 'review("Pregnancy or lactation")', "miss"),
        ("age >= 6 months and age < 16 years", [], 'review("x") and age < 16 years', "miss"),
        ("pregnant or lactating", [], 'review("x") or lactating', "miss"),
        ("lab(hemoglobin) >= 9 g/dL", [], 'lab(hemoglobin) >= 9 g/dL or review("x")', "wrong"),
        ("age >= 18 years", [], 'age >= 18 years and review("x")', "wrong"),
        ("lab(hemoglobin) >= 9 g/dL", [], "lab(hemoglobin) >= 90 g/L", "ok"),
        (REVIEW, [], 'review("x") or review("y")', "ok"),
        (REVIEW, ['qualified("other"; condition(malignancy))'], "condition(malignancy)", "wrong"),
        (REVIEW, [], 'pregnant or review("y")', "wrong"),
        (
            REVIEW,
            ['qualified("chronic"; condition(lung_disease))'],
            'qualified("Chronic"; condition(lung_disease))',
            "ok",
        ),
        (
            "condition(hepatitis_b) or condition(hiv)",
            [],
            "condition(hiv) or (condition(hepatitis_b) or condition(hiv))",
            "ok",
        ),
    ],
)
def test_gold_judging_rules(expected: str, acceptable: list[str], got: str, verdict: str) -> None:
    item = {"expected": expected, "acceptable": acceptable}
    assert judge(item, parse_rule(got)) == verdict
