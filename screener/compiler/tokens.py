"""Turn normalised criterion text into the tokens of grammar/criterion.lark.

Phrases are matched longest first (so "no more than" is one comparator and
"liver cirrhosis" one concept). Numbers take the unit that follows them. A word
the lexicon does not know becomes WORD, which no grammar rule accepts: any text
with an unknown word cannot be compiled whole, so nothing is silently skipped.
"""

from __future__ import annotations

import re
from functools import cache

from lark import Token

from screener import concepts, units
from screener.compiler.lexicon import Entry, entries

NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "eighteen": "18",
    "twenty": "20",
    "thirty": "30",
}
ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5"}
TIME_UNITS = {
    "years": "years",
    "year": "years",
    "yrs": "years",
    "yr": "years",
    "y": "years",
    "months": "months",
    "month": "months",
    "mo": "months",
    "mos": "months",
    "weeks": "weeks",
    "week": "weeks",
    "wks": "weeks",
    "wk": "weeks",
    "days": "days",
    "day": "days",
    "d": "days",
    "hours": "hours",
    "hour": "hours",
    "hrs": "hours",
    "h": "hours",
}

_NUMBER = re.compile(r"\d+(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?|\.\d+")
_ULN = re.compile(
    r"\s*(?:(?:x|×|\*|times|-fold|fold)\s*)?(?:the\s+)?(?:institutional\s+)?"
    r"(?:uln|upper limits? of (?:the )?normal(?: range| value| limit)?|upper normal limit)"
    r"(?:\s*\(uln\))?"
    r"(?:\s+(?:of|for)\s+(?:the\s+)?institutional\s+(?:limits?|normal(?:\s+range)?))?"
    r"(?![a-z])",
    re.IGNORECASE,
)
_TIME_UNIT = re.compile(
    r"\s*-?\s*(" + "|".join(sorted(TIME_UNITS, key=len, reverse=True)) + r")(?![a-z])",
    re.IGNORECASE,
)
_UNIT = re.compile(
    r"\s*(?:"
    r"[x×*]\s*10\s*(?:\^|\*\*|\*|e)?\s*\d+\s*/\s*(?:[uμ]l|mm3|mm\^3|mcl|ml|l)\b"
    r"|10\s*(?:\^|\*\*|\*)\s*\d+\s*/\s*(?:[uμ]l|mm3|mm\^3|mcl|ml|l)\b"
    r"|%"
    r"|(?:cells\s*)?/\s*(?:mm3|mm\^3|[uμ]l|mcl)\b"
    r"|[a-zμ]+(?:\s*/\s*(?:[a-zμ0-9.]+|\{?1\.73\s*m\^?2\}?))*(?:\s*(?:per|/)\s*1\.73\s*m\^?2)?"
    r")",
    re.IGNORECASE,
)
_GRADE = re.compile(r"grade\s+(iv|v|i{1,3}|[0-4])(?![a-z0-9])", re.IGNORECASE)
_WORD = re.compile(r"[^\s(),;:\[\]]+")
_PUNCTUATION = {
    "(": "LPAR",
    ")": "RPAR",
    "[": "LPAR",
    "]": "RPAR",
    ",": "COMMA",
    ";": "SEMI",
    ":": "COLON",
    "/": "SLASH",
    "-": "DASH",
}


@cache
def _phrase_patterns() -> tuple[
    dict[str, re.Pattern[str]], dict[str, re.Pattern[str]], dict[str, Entry]
]:
    """Phrase alternations indexed by first character (lower-cased), longest phrase first."""
    table = entries()

    def one(phrase: str) -> str:
        body = re.escape(phrase).replace(r"\ ", r"\s+")
        start = r"(?<![A-Za-z0-9])" if phrase[0].isalnum() else ""
        end = r"(?![A-Za-z0-9])" if phrase[-1].isalnum() or phrase[-1] == "." else ""
        return start + body + end

    def indexed(phrases: list[str], flags: int) -> dict[str, re.Pattern[str]]:
        groups: dict[str, list[str]] = {}
        for phrase in sorted(phrases, key=len, reverse=True):
            groups.setdefault(phrase[0].lower(), []).append(phrase)
        return {
            first: re.compile("|".join(one(p) for p in group), flags)
            for first, group in groups.items()
        }

    insensitive = [p for p, e in table.items() if not e.case_sensitive]
    sensitive = [p for p, e in table.items() if e.case_sensitive]
    lowered = {p.lower() if not e.case_sensitive else p: e for p, e in table.items()}
    return indexed(insensitive, re.IGNORECASE), indexed(sensitive, 0), lowered


def _unit_token(text: str, pos: int) -> tuple[str, int] | None:
    """A unit right after a number: (canonical unit text, end position)."""
    uln = _ULN.match(text, pos)
    if uln:
        return "xULN", uln.end()
    time = _TIME_UNIT.match(text, pos)
    if time:
        return None
    match = _UNIT.match(text, pos)
    while match:
        candidate = match.group(0).strip().replace("m^2", "m2").replace("mm^3", "mm3")
        canonical = units.canonical_unit_text(candidate) if candidate else None
        if canonical:
            return canonical, match.end()
        # try a shorter candidate: drop the last "/..." part
        cut = match.group(0).rfind("/")
        if cut <= 0:
            return None
        match = _UNIT.match(text[: pos + cut], pos)
    return None


def tokenize(text: str) -> list[Token]:
    """Tokens of one normalised criterion; fillers are dropped."""
    insensitive, sensitive, table = _phrase_patterns()
    tokens: list[Token] = []
    pos = 0
    length = len(text)

    def add(type_: str, value: str, start: int) -> None:
        tokens.append(Token(type_, value, start_pos=start))

    while pos < length:
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        grade = _GRADE.match(text, pos)
        if grade:
            numeral = grade.group(1).lower()
            add("GRADE", ROMAN.get(numeral, numeral), pos)
            pos = grade.end()
            continue
        number = _NUMBER.match(text, pos)
        if number and (pos == 0 or not text[pos - 1].isalpha()):
            add("NUMBER", number.group(0).replace(",", ""), pos)
            pos = number.end()
            time = _TIME_UNIT.match(text, pos)
            if time:
                add("TIME_UNIT", TIME_UNITS[time.group(1).lower()], pos)
                pos = time.end()
                continue
            unit = _unit_token(text, pos)
            if unit:
                add("UNIT", unit[0], pos)
                pos = unit[1]
            continue
        best: tuple[int, Entry] | None = None
        first = char.lower()
        for index, case_sensitive in ((insensitive, False), (sensitive, True)):
            pattern = index.get(first)
            found = pattern.match(text, pos) if pattern else None
            if found and (best is None or found.end() > best[0]):
                key = re.sub(r"\s+", " ", found.group(0))
                entry = table.get(key if case_sensitive else key.lower())
                if entry is not None:
                    best = (found.end(), entry)
        if best is not None:
            end, entry = best
            if entry.type != "FILLER":
                add(entry.type, entry.value, pos)
            pos = end
            continue
        if text.startswith("uln", pos) or text.startswith("ULN", pos):
            uln = _ULN.match(text, pos)
            if uln:
                add("NUMBER", "1", pos)
                add("UNIT", "xULN", pos)
                pos = uln.end()
                continue
        if char in _PUNCTUATION:
            add(_PUNCTUATION[char], char, pos)
            pos += 1
            continue
        word_match = _WORD.match(text, pos)
        assert word_match is not None
        word = word_match.group(0)
        # split a trailing slash-separated or hyphenated tail off the word
        piece = re.match(r"[^/]+", word)
        chunk = piece.group(0) if piece and piece.group(0) != word else word
        lowered = chunk.lower()
        if lowered in NUMBER_WORDS:
            add("NUMBER", NUMBER_WORDS[lowered], pos)
            pos += len(chunk)
            time = _TIME_UNIT.match(text, pos)
            if time:
                add("TIME_UNIT", TIME_UNITS[time.group(1).lower()], pos)
                pos = time.end()
            continue
        if lowered in TIME_UNITS and len(lowered) > 1:
            add("TIME_UNIT", TIME_UNITS[lowered], pos)
        else:
            add("WORD", chunk, pos)
        pos += len(chunk)
    return _with_ends(tokens, text)


_SEX_LINKS = {"AND", "OR", "ANDOR", "SLASH"}


def _either_sex(tokens: list[Token]) -> list[Token]:
    """'male and female', 'women or men': one token naming either sex (never both at once)."""
    result: list[Token] = []
    for token in tokens:
        if (
            token.type in ("FEMALE", "MALE")
            and len(result) >= 2
            and result[-1].type in _SEX_LINKS | {"COMMA"}
            and result[-2].type in ("FEMALE", "MALE")
            and result[-2].type != token.type
        ):
            del result[-2:]
            token = Token("SEX_ANY", "any", start_pos=token.start_pos)
        result.append(token)
    return result


def _shared_transplant(tokens: list[Token]) -> list[Token]:
    """'solid organ or bone marrow transplant': the last item's 'transplant' is shared."""
    result: list[Token] = []
    for token in tokens:
        value = str(token)
        if (
            token.type == "CONCEPT"
            and value.startswith("transplant_")
            and len(result) >= 2
            and result[-1].type in _LETTER_LINKS
            and result[-2].type == "ORGAN"
        ):
            result.append(
                Token("ORGAN", value.removeprefix("transplant_"), start_pos=token.start_pos)
            )
            result.append(Token("TRANSPLANT", "transplant", start_pos=token.start_pos))
            continue
        result.append(token)
    return result


def _alternative_quantities(tokens: list[Token]) -> list[Token]:
    """'9.0 g/dL or 5.6 mmol/L': the second quantity becomes one ALT_QUANTITY token."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        window = tokens[index : index + 5]
        kinds = [t.type for t in window]
        if (
            kinds == ["NUMBER", "UNIT", "OR", "NUMBER", "UNIT"]
            and str(window[1]) != str(window[4])
            and str(window[4]) != "xULN"
        ):
            result.extend(window[:2])
            result.append(
                Token("ALT_QUANTITY", f"{window[3]} {window[4]}", start_pos=window[2].start_pos)
            )
            index += 5
            continue
        result.append(tokens[index])
        index += 1
    return result


_LETTER_LINKS = {"COMMA", "OR", "AND", "ANDOR", "SLASH"}


def _contextual_letters(tokens: list[Token]) -> list[Token]:
    """Single letters after "hepatitis B" ("hepatitis B, C") or "Child-Pugh" ("B/C")."""
    result: list[Token] = []
    context: str | None = None  # "hepatitis" or "child_pugh"
    for token in tokens:
        letter = str(token).lower() if token.type == "WORD" and len(str(token)) == 1 else None
        if letter and context == "hepatitis" and letter in "abcde":
            concept = f"hepatitis_{letter}"
            if concept in concepts.CONCEPTS:
                token = Token("CONCEPT", concept, start_pos=token.start_pos)
        elif letter and context == "child_pugh" and letter in "abc":
            token = Token("CP_CLASS", letter, start_pos=token.start_pos)
        if token.type == "CONCEPT" and re.fullmatch(r"hepatitis_[a-e]", str(token)):
            context = "hepatitis"
        elif token.type == "SCORE" and str(token) == "child_pugh":
            context = "child_pugh"
        elif token.type not in _LETTER_LINKS | {"CP_CLASS", "CLASS_WORD"}:
            context = None
        result.append(token)
    return result


_STATE_LINKS = {"COMMA", "OR", "AND", "ANDOR", "SLASH"}
_NEGATED_STATES = {  # a prefixed "non-" word: (NOT, state)
    "non-pregnant": "PREGNANCY",
    "nonpregnant": "PREGNANCY",
    "non-lactating": "LACTATION",
    "non-breastfeeding": "LACTATION",
    "non-breast-feeding": "LACTATION",
}
_STATE_VALUES = {"PREGNANCY": "pregnant", "LACTATION": "lactating"}


def _contextual_lactation(tokens: list[Token]) -> list[Token]:
    """'pregnant or nursing', 'non-pregnant and non-nursing': nursing as breastfeeding.

    A bare "nursing" (or "non-nursing") counts only when a pregnancy or lactation word
    is its neighbour across a list link; in "pregnant or nursing home residents" the
    unknown words after it still keep that piece review. "non-pregnant" is "not pregnant".
    """
    split: list[Token] = []
    for token in tokens:
        state = _NEGATED_STATES.get(str(token).lower()) if token.type == "WORD" else None
        if state is None:
            split.append(token)
            continue
        start = token.start_pos or 0
        split.append(Token("NOT", "not", start_pos=start))
        split.append(Token(state, _STATE_VALUES[state], start_pos=start + len("non")))
    result: list[Token] = []
    for index, token in enumerate(split):
        word = str(token).lower() if token.type == "WORD" else ""
        if word not in ("nursing", "non-nursing") or not (
            _state_beside(split, index, -1) or _state_beside(split, index, 1)
        ):
            result.append(token)
            continue
        start = token.start_pos or 0
        if word == "non-nursing":
            result.append(Token("NOT", "not", start_pos=start))
        result.append(Token("LACTATION", "lactating", start_pos=start + len(word) - len("nursing")))
    return result


def _state_beside(tokens: list[Token], index: int, step: int) -> bool:
    """Whether a pregnancy or lactation word lies across list links from tokens[index]."""
    position = index + step
    crossed = False
    while 0 <= position < len(tokens) and tokens[position].type in _STATE_LINKS:
        position += step
        crossed = True
    if position < 0 or position >= len(tokens) or not crossed:
        return False
    if step < 0 and tokens[position].type == "FEMALE":  # "pregnant women or nursing"
        position -= 1
    return 0 <= position < len(tokens) and tokens[position].type in _STATE_VALUES


def _with_ends(tokens: list[Token], text: str) -> list[Token]:
    """Each token ends where the next begins (trailing spaces trimmed): spans keep fillers.

    "(" followed by "or" becomes one PAREN_OR token: the grammar then tells a
    parenthesised alternative from a parenthesised note with one token of lookahead.
    """
    merged: list[Token] = []
    for token in _either_sex(
        _shared_transplant(
            _alternative_quantities(_contextual_letters(_contextual_lactation(tokens)))
        )
    ):
        if token.type == "OR" and merged and merged[-1].type == "LPAR":
            opening = merged.pop()
            token = Token("PAREN_OR", "(or", start_pos=opening.start_pos)
        merged.append(token)
    tokens = merged
    ended: list[Token] = []
    for index, token in enumerate(tokens):
        end = tokens[index + 1].start_pos if index + 1 < len(tokens) else len(text)
        assert end is not None
        while end > (token.start_pos or 0) + 1 and text[end - 1].isspace():
            end -= 1
        ended.append(Token(token.type, token.value, start_pos=token.start_pos, end_pos=end))
    return ended
