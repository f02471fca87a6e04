"""The tokenizer's phrase patterns: a trie-shaped expression finds what a longest-first
alternation of the same phrases finds."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from screener.compiler.tokens import _trie_pattern

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
