"""The tokenizer's phrase patterns: a trie-shaped expression finds what a longest-first
alternation of the same phrases finds."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from screener.compiler.normalise import normalise
from screener.compiler.tokens import _lowered, _trie_pattern, tokenize

_PHRASE = st.text(alphabet="ab .1-", min_size=1, max_size=6).map(
    lambda text: " ".join(text.split())
).filter(lambda text: bool(text) and text[0] == "a")


def _alternation(phrases: list[str]) -> str:
    def one(phrase: str) -> str:
        body = re.escape(phrase).replace(r"\ ", r"\s+")
        start = r"(?<![A-Za-z0-9])" if phrase[0].isalnum() else ""
        end = r"(?![A-Za-z0-9])" if phrase[-1].isalnum() or phrase[-1] == "." else ""
        return start + body + end

    return "|".join(one(p) for p in sorted(phrases, key=len, reverse=True))


@given(
    phrases=st.lists(_PHRASE, min_size=1, max_size=8, unique=True),
    text=st.text(alphabet="ab .1-A", max_size=12),
    flags=st.sampled_from([0, re.IGNORECASE]),
)
def test_trie_matches_like_a_longest_first_alternation(
    phrases: list[str], text: str, flags: int
) -> None:
    trie = re.compile(_trie_pattern(phrases), flags)
    alternation = re.compile(_alternation(phrases), flags)
    for position in range(len(text) + 1):
        found, expected = trie.match(text, position), alternation.match(text, position)
        assert (found and found.group(0)) == (expected and expected.group(0)), (text, position)


@given(text=st.text(max_size=40))
def test_lowered_text_keeps_every_position(text: str) -> None:
    lowered = _lowered(text)
    assert len(lowered) == len(text)
    for char, low in zip(text, lowered, strict=True):
        assert low == char.lower() or (low.isascii() and re.match(low, char, re.IGNORECASE))


_FOLDING_PHRASE = st.text(alphabet="aiks .1-", min_size=1, max_size=5).map(
    lambda text: " ".join(text.split())
).filter(lambda text: bool(text) and text[0] == "i")


@given(
    phrases=st.lists(_FOLDING_PHRASE, min_size=1, max_size=8, unique=True),
    text=st.text(alphabet="iIkKsS .1-İıſ\u212a", max_size=12),
)
def test_lowered_phrases_on_lowered_text_match_like_ignorecase(
    phrases: list[str], text: str
) -> None:
    """How tokens.py matches case-insensitive phrases (see _phrase_patterns)."""
    ignorecase = re.compile(_trie_pattern(phrases), re.IGNORECASE)
    lowered = re.compile(_trie_pattern(list(dict.fromkeys(p.lower() for p in phrases))))
    low_text = _lowered(text)
    for position in range(len(text) + 1):
        found, expected = lowered.match(low_text, position), ignorecase.match(text, position)
        assert (found and found.end()) == (expected and expected.end()), (text, position)


def test_a_phrase_after_a_character_whose_lower_case_is_longer_is_still_found() -> None:
    tokens = tokenize(normalise("İ Pregnancy"))
    assert [(t.type, t.start_pos) for t in tokens if t.type != "WORD"] == [("PREGNANCY", 2)]
