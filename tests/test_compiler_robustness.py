"""The compiler returns a rule or a review item for any text, and never fails inside."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener import rules as r
from screener.canonical import parse_rule
from screener.compiler import COMPILER_ERROR, MAX_LENGTH, compile_criterion
from screener.compiler.items import strict_item_parser

GOLD = Path(__file__).parent / "data" / "gold_criteria.json"
REAL = [item["text"] for item in json.loads(GOLD.read_text(encoding="utf-8"))["items"]]
SETTINGS = settings(deadline=None, max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow])


def check(text: str, kind: str = "exclusion") -> None:
    compiled = compile_criterion(text, kind)
    assert not any(reason.startswith(COMPILER_ERROR) for reason in compiled.reasons), (
        text, compiled.reasons)
    rendered = r.render(compiled.rule)
    assert parse_rule(rendered) == compiled.rule  # whatever it is, it prints and parses back


def test_the_criterion_grammar_is_conflict_free() -> None:
    strict_item_parser()  # strict=True: any shift/reduce or reduce/reduce conflict raises


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    check(text)


@SETTINGS
@given(st.sampled_from(REAL), st.randoms(use_true_random=False), st.sampled_from(
    ["drop", "duplicate", "swap"]), st.sampled_from(["inclusion", "exclusion"]))
def test_real_criteria_with_words_changed(text: str, rng: random.Random, change: str,
                                          kind: str) -> None:
    words = text.split()
    if len(words) > 1:
        i = rng.randrange(len(words))
        j = rng.randrange(len(words))
        if change == "drop":
            del words[i]
        elif change == "duplicate":
            words.insert(i, words[i])
        else:
            words[i], words[j] = words[j], words[i]
    check(" ".join(words), kind)


def test_long_text_goes_to_review_unparsed() -> None:
    text = "Platelets ≥ 100 x 10^9/L and " * (MAX_LENGTH // 10)
    compiled = compile_criterion(text)
    assert isinstance(compiled.rule, r.Review)
    assert compiled.reasons == ("too long to compile",)


@pytest.mark.parametrize("text", ["", "   ", ";;;", "(((", ")", "≥", "and or and", "\\>"])
def test_degenerate_text(text: str) -> None:
    check(text)
