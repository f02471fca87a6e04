"""Normalise criterion text before tokenising; the verbatim text is kept for display."""

from __future__ import annotations

import re
import unicodedata

_REPLACEMENTS = {
    "≦": "≤",
    "≧": "≥",
    "⩽": "≤",
    "⩾": "≥",
    "＞": ">",
    "＜": "<",
    "＝": "=",
    "–": "-",
    "—": "-",
    "‐": "-",
    "‑": "-",
    "−": "-",
    "～": "-",
    "~": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u3000": " ",
    "µ": "μ",
    "，": ",",
    "；": ";",
    "：": ":",
    "（": "(",
    "）": ")",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "•": " ",
    "·": ".",
}
# HTML entities left in registry text, often behind a markdown backslash ("\&lt;1,500/μL");
# "&amp;" first, so a doubly escaped "&amp;lt;" is read as "<" too
_HTML_AMP = re.compile(r"\\?&amp;", re.IGNORECASE)
_HTML_ENTITY = re.compile(r"\\?&(lt|gt|le|ge);", re.IGNORECASE)
_HTML_CHARS = {"lt": "<", "gt": ">", "le": "≤", "ge": "≥"}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_MARKDOWN_ESCAPE = re.compile(r"\\([<>*\[\]_#\\~`|^-])")
_SPACES = re.compile(r"\s+")
# "2500/ μ L": the micro prefix set apart from its unit
_LONE_MICRO = re.compile(r"(?<=/)\s*μ\s+(L|l|g|mol)\b")
# a list number left in front of the text ("4 Male and female ...", "22. Patients ..."),
# never a quantity ("3 months", "18 years or older"): only before a capitalised word
_STRAY_NUMBER = re.compile(
    r"^\d{1,2}(?:[.)]\s*|\s+)(?=[A-Z][a-z]+\b)(?!(?:Years?|Months?|Weeks?|Days?|Hours?)\b)"
)
# "age18", "over18": an age word run into its number
_GLUED_AGE = re.compile(r"\b(age[sd]?|over|under|above|below)(?=\d)", re.IGNORECASE)
# "0 to1", "0to 1": the "to" of a range run into one of its numbers
_RANGE_TO = re.compile(r"(?<=\d)\s*to\s*(?=\d)", re.IGNORECASE)
_TWO_CHAR_COMPARATORS = (
    # ">=", ">/=", "=/>", "> or =": "greater than or equal to" written with symbols
    (re.compile(r">\s*(?:/|\bor\b)?\s*=|=\s*/?\s*>"), "≥"),
    (re.compile(r"<\s*(?:/|\bor\b)?\s*=|=\s*/?\s*<"), "≤"),
    (re.compile(r"≥\s*="), "≥"),
    (re.compile(r"≤\s*="), "≤"),
)


# One table for str.translate: the replacements above, then full-width digits, letters and
# signs (U+FF01-FF5E) folded to their ASCII forms (NFKC).
def _fold_full_width(text: str) -> str:
    return "".join(
        unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text
    )


_TRANSLATION = {
    code: _fold_full_width(_REPLACEMENTS.get(chr(code), chr(code)))
    for code in {*map(ord, _REPLACEMENTS), *range(0xFF01, 0xFF5F)}
}


def normalise(text: str) -> str:
    """Unify HTML entities, unicode variants, markdown escapes, comparators and spaces."""
    text = _HTML_AMP.sub("&", text)
    text = _HTML_ENTITY.sub(lambda m: _HTML_CHARS[m.group(1).lower()], text)
    text = _MARKDOWN_ESCAPE.sub(r"\1", text)
    text = text.translate(_TRANSLATION)
    # superscript digits follow a caret
    text = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "^" + m.group(1).translate(_SUPERSCRIPTS), text)
    text = text.replace("^^", "^")
    for pattern, replacement in _TWO_CHAR_COMPARATORS:
        text = pattern.sub(replacement, text)
    text = _LONE_MICRO.sub(r"μ\1", text)
    text = _SPACES.sub(" ", text).strip()
    text = _RANGE_TO.sub(" to ", text)
    text = _GLUED_AGE.sub(r"\1 ", text)
    text = _STRAY_NUMBER.sub("", text)
    return text.rstrip(" .;,")
