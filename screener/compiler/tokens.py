"""Turn normalised criterion text into the tokens of grammar/criterion.lark.

Phrases are matched longest first (so "no more than" is one comparator and
"liver cirrhosis" one concept). Numbers take the unit that follows them. A word
the lexicon does not know becomes WORD, which no grammar rule accepts: any text
with an unknown word cannot be compiled whole, so nothing is silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from lark import Token

from screener import concepts, qualitative, units
from screener.compiler.lexicon import (
    COMPARATOR_TYPES,
    CONSENT_ACT,
    CONSENT_MOMENT,
    ENDOCRINE_NEOPLASIA_TYPES,
    METHOD_IMPLIES,
    METHOD_NAMES,
    METHOD_NOUNS,
    METHOD_PREFIXES,
    METHOD_VERBS,
    PERFORMANCE_SCALES,
    Entry,
    entries,
    generated_entries,
)

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
_ULN_NAME = (
    r"(?:the\s+)?(?:institutional\s+)?"
    r"(?:i?uln|unl|upper (?:limits?|level) (?:of )?(?:the )?normal"
    r"(?:\s+reference)?(?:\s+(?:range|values?|limit))?"
    r"|upper normal limit|normal upper limits?)"
    # the abbreviation or the name again, in brackets: "(ULN)", "[ULN]", "{ULN}", "(UNL)",
    # "ULN (upper limit of normal value)"
    r"(?:\s*[(\[{](?:i?uln|unl|upper limits? of (?:the )?normal(?:\s+(?:range|values?))?)[)\]}])?"
    r"(?:\s+(?:of|for)\s+(?:the\s+)?institutional\s+(?:limits?|normal(?:\s+range)?))?"
    # the ULN of the patient's age (and sex) is the only ULN a laboratory reports
    r"(?:\s+for\s+(?:the\s+patient'?s\s+)?age(?:\s+and\s+(?:sex|gender))?)?"
    r"(?![a-z])"
)
_MULTIPLIER = r"(?:x|×|⋅|\*|times(?:\s+greater\s+than)?(?:\s+of)?|-fold|fold)"
# "3 times normal", "5 times the normal value" are not read: which normal value? (review)
_ULN = re.compile(rf"\s*(?:{_MULTIPLIER}\s*)?" + _ULN_NAME, re.IGNORECASE)
# "between 2 x to 3 x ULN": the first multiplier of a range whose upper limit is named once,
# after the second
_ELIDED_ULN = re.compile(
    rf"\s*(?:x|×)(?=\s*(?:-|–|to|and)\s*\d+(?:\.\d+)?\s*{_MULTIPLIER}\s*{_ULN_NAME})",
    re.IGNORECASE,
)
# "≤ upper limit of normal", "≤ institutional ULN": once the upper limit itself
_BARE_ULN = re.compile(_ULN_NAME, re.IGNORECASE)
# "five times the upper limit of normal": a number word is a multiplier only with "times"
_WORD_ULN = re.compile(r"\s*(?:times(?:\s+of)?)\s*" + _ULN_NAME, re.IGNORECASE)
_COMPARATORS = COMPARATOR_TYPES
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
    # vital signs: mm Hg, temperatures (never a bare C or F), rates per minute
    r"|mm\s*\[?hg\]?(?![a-z])"
    r"|[°º˚]\s*[cf](?![a-z])|[℃℉]"
    r"|deg(?:rees?)?\.?\s*(?:celsius|centigrade|fahrenheit|c|f)(?![a-z])"
    r"|(?:celsius|fahrenheit)(?![a-z])"
    r"|(?:beats?|breaths?)\s*(?:/|per)\s*min(?:ute)?s?(?![a-z])|bpm(?![a-z])"
    r"|(?:/|per\s)\s*min(?:ute)?(?![a-z])"
    # the eGFR index first ("/1.73 m2", "/1,73m^2"): read as "/1.73" it would leave "m2" behind
    r"|[a-zμ]+(?:\s*/\s*(?:\{?1[.,]73\s*m\^?2\}?|[a-zμ0-9.]+(?:\^[23])?))*"
    r"(?:\s*(?:per|/)\s*1[.,]73\s*m\^?2)?"
    r")",
    re.IGNORECASE,
)
# Units written as words, read only when every word is one of these ("30 milliliter per
# minute per 1.73 square meter"); the symbols they stand for
_SPELLED_SYMBOLS = {
    **dict.fromkeys(("milliliter", "milliliters", "millilitre", "millilitres"), "mL"),
    **dict.fromkeys(("milli liter", "milli liters", "milli litre", "milli litres"), "mL"),
    **dict.fromkeys(("deciliter", "deciliters", "decilitre", "decilitres"), "dL"),
    **dict.fromkeys(("liter", "liters", "litre", "litres"), "L"),
    **dict.fromkeys(("kilogram", "kilograms"), "kg"),
    **dict.fromkeys(("milligram", "milligrams"), "mg"),
    **dict.fromkeys(("gram", "grams"), "g"),
    **dict.fromkeys(("millimole", "millimoles"), "mmol"),
    **dict.fromkeys(("micromole", "micromoles"), "umol"),
    **dict.fromkeys(("minute", "minutes", "min"), "min"),
    **dict.fromkeys(("square meter", "square meters", "square metre", "square metres"), "m2"),
    **dict.fromkeys(("meter square", "meters square", "metre square", "metres square"), "m2"),
    "1.73": "1.73",
}
_SPELLED_BY_LENGTH = sorted(_SPELLED_SYMBOLS, key=len, reverse=True)
_SPELLED_WORDS = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in _SPELLED_BY_LENGTH)
_SPELLED_WORD = re.compile(
    r"(?<![a-z0-9.])(?:" + "|".join(map(re.escape, _SPELLED_BY_LENGTH)) + r")(?![a-z0-9])"
)
_SPELLED_UNIT = re.compile(
    rf"\s*(?:{_SPELLED_WORDS})(?:\s*(?:\bper\b|/)\s*(?:1\.73\s+)?(?:{_SPELLED_WORDS}))*(?![a-z])",
    re.IGNORECASE,
)
# the unit again in brackets, as symbols: "(mL/min/1.73 m^2)"
_RESTATED_UNIT = re.compile(r"\s*\(([^()]{1,30})\)")
_ABBREVIATION = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9]{1,7})\s*\)")
_SKIPPABLE = {"of", "and", "the", "in", "with", "for", "to", "on", "&"}
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
    """Phrase alternations indexed by first character (lower-cased), longest phrase first.

    The case-insensitive phrases are lower-cased and matched against the lower-cased text
    (`_lowered`) rather than compiled with re.IGNORECASE, which takes the regular
    expression compiler more than twice as long for these large patterns.
    """
    table = entries()

    def indexed(phrases: list[str]) -> dict[str, re.Pattern[str]]:
        groups: dict[str, list[str]] = {}
        for phrase in dict.fromkeys(phrases):
            groups.setdefault(phrase[0].lower(), []).append(phrase)
        return {first: re.compile(_trie_pattern(group)) for first, group in groups.items()}

    insensitive = [p.lower() for p, e in table.items() if not e.case_sensitive]
    sensitive = [p for p, e in table.items() if e.case_sensitive]
    lowered = {p.lower() if not e.case_sensitive else p: e for p, e in table.items()}
    return indexed(insensitive), indexed(sensitive), lowered


# the characters outside ASCII that re.IGNORECASE matches to ASCII letters ("İ" is also the
# one character whose lower case is two characters long); Kelvin's "K" lower-cases to "k"
_ASCII_FOLDS = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})


def _lowered(text: str) -> str:
    """`text` lower-cased, each position kept, and folded as re.IGNORECASE matches it."""
    return text.translate(_ASCII_FOLDS).lower()


@cache
def _generated_index() -> tuple[dict[str, Entry], dict[str, tuple[int, ...]]]:
    """The generated condition phrases (lexicon.generated_entries), and for each word one
    of them starts with, how many words such phrases have (most first)."""
    table = generated_entries()
    lengths: dict[str, set[int]] = {}
    for phrase in table:
        pieces = _ALNUM.findall(phrase)
        lengths.setdefault(pieces[0], set()).add(len(pieces))
    return table, {word: tuple(sorted(counts, reverse=True)) for word, counts in lengths.items()}


_ALNUM = re.compile(r"[A-Za-z0-9]+")
_PHRASE_GAP = re.compile(r"[\s'/-]+")  # what may lie between the words of a title phrase


def _generated_match(text: str, pos: int) -> tuple[int, Entry] | None:
    """The longest generated phrase at `pos` (end, entry), or None.

    The thousands of phrases made from ICD-10-CM titles would make the phrase patterns
    slow to build and to match, so they are looked up in a dict instead: each run of words
    from `pos` (ending where a word ends, as a pattern's phrase must) as long as some
    phrase with that first word is tried, longest first. As with a pattern, the phrase
    must start a word; case and spacing are ignored.
    """
    if pos and text[pos - 1].isalnum():
        return None
    first = _ALNUM.match(text, pos)
    if first is None:
        return None
    table, lengths = _generated_index()
    counts = lengths.get(first.group(0).lower())
    if counts is None:
        return None
    ends = [first.end()]
    while len(ends) < counts[0]:
        gap = _PHRASE_GAP.match(text, ends[-1])
        word = _ALNUM.match(text, gap.end()) if gap else None
        if word is None:
            break
        ends.append(word.end())
    for count in counts:
        if count <= len(ends):
            entry = table.get(" ".join(text[pos : ends[count - 1]].lower().split()))
            if entry is not None:
                return ends[count - 1], entry
    return None


def _trie_pattern(phrases: list[str]) -> str:
    """One regular expression for phrases sharing a first letter, shaped as their trie.

    At every branch a longer phrase is tried before a shorter one ends, so the match is
    the longest phrase found at the position, as a longest-first alternation would give,
    but the pattern compiles and matches in time that grows with the text, not with the
    number of phrases. A phrase that ends in a letter, digit or "." must end a word; a
    space matches any run of spaces.
    """
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = phrase

    def pattern(node: dict[str, Any]) -> str:
        branches = [
            (r"\s+" if char == " " else re.escape(char)) + pattern(child)
            for char, child in sorted(node.items())
            if char
        ]
        if "" in node:
            ending = node[""]
            boundary = ending[-1].isalnum() or ending[-1] == "."
            branches.append(r"(?![A-Za-z0-9])" if boundary else "")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    start = r"(?<![A-Za-z0-9])" if phrases[0][0].isalnum() else ""
    return start + pattern(trie)


def abbreviates(abbreviation: str, before: str) -> bool:
    """Whether `abbreviation` is the initialism of the words that end `before`.

    Read back from the parenthesis: the letters are taken, in order, from the last words,
    each word giving letters that start with its own first letter ("TBil": total bilirubin;
    "HCC": hepatocellular carcinoma); "of", "and", "the" may give none.
    """
    if sum(ch.isupper() for ch in abbreviation) < 2:
        return False  # "(all)", "(or)": words, not abbreviations
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", before[-80:])][-8:]
    letters = abbreviation.lower()
    plural = letters[:-1] if abbreviation.endswith("s") and len(letters) > 2 else None
    # a plural "s" is dropped only when two words or more spell the rest ("cancer (CNS)")
    return _spells(letters, words, 1) or (plural is not None and _spells(plural, words, 2))


def _blank_abbreviations(text: str) -> str:
    """Spaces in place of "(HIV)" after "human immunodeficiency virus", a term the vocabulary
    knows: it says nothing new, and "human immunodeficiency virus (HIV) infection" then reads
    as one phrase. Positions are kept, so spans still show the abbreviation."""
    if "(" not in text:
        return text

    def blank(match: re.Match[str]) -> str:
        before = text[: match.start()].rstrip()
        if abbreviates(match.group(1), before) and _ends_with_term(before):
            return " " * len(match.group(0))
        return match.group(0)

    return _ABBREVIATION.sub(blank, text)


_TERMS = {"CONCEPT", "ANALYTE", "SCORE", "DRUG_CLASS", "ORGAN", "TRANSPLANT", "TEST"}


_DOCUMENT_PART = r"(?:appendix|appendices|annex|attachment|supplement)\s+[a-z0-9]{1,4}\b\.?"
_REFERENCES = re.compile(
    # "(see Appendix A)", "(Refer to Appendix D)", "(Appendix I)", ", see Appendix B for
    # definitions": where the protocol prints its scale; "(Oken et al. 1982)": a citation
    r"\(\s*(?:(?:please\s+)?(?:see|refer\s+to|as\s+defined\s+in|as\s+per|per)\s+(?:the\s+)?)?"
    + _DOCUMENT_PART
    + r"(?:\s+for\s+(?:the\s+)?(?:definitions?|details))?\s*\)"
    r"|,\s*(?:please\s+)?(?:see|refer\s+to)\s+(?:the\s+)?"
    + _DOCUMENT_PART
    + r"(?:\s+for\s+(?:the\s+)?(?:definitions?|details))?(?=\s*[);]|\s*\.?\s*$)"
    r"|\(\s*[A-Z][A-Za-z-]+\s+et\s+al\.?,?\s*(?:19|20)\d\d[a-z]?\s*\)",
    re.IGNORECASE,
)


def _blank_references(text: str) -> str:
    """Spaces in place of a reference to where the protocol prints something ("(see
    Appendix A)") or of a bracketed citation ("(Oken et al. 1982)"): they say nothing about
    the patient. Positions are kept, so spans still show them."""
    if not re.search(r"appendi|annex|attachment|supplement|et\s+al", text, re.IGNORECASE):
        return text
    blanked = _REFERENCES.sub(lambda match: " " * len(match.group(0)), text)
    kept = blanked.rstrip()
    if len(kept) < len(text.rstrip()) and kept.endswith("."):
        # the full stop before a closing reference ("ECOG ≤ 2. (see Appendix A)") ends the text
        blanked = kept[:-1] + " " * (len(blanked) - len(kept) + 1)
    return blanked


def _ends_with_term(text: str) -> bool:
    """Whether a phrase of the vocabulary naming a condition, analyte or score ends `text`."""
    insensitive, sensitive, table = _phrase_patterns()
    lowered = _lowered(text)
    for word in re.finditer(r"(?<![A-Za-z0-9])[A-Za-z0-9]", text[-80:]):
        start = max(len(text) - 80, 0) + word.start()
        generated = _generated_match(text, start)
        if generated is not None and generated[0] == len(text):
            return True
        for index, case_sensitive in ((insensitive, False), (sensitive, True)):
            pattern = index.get(lowered[start])
            found = pattern.match(text if case_sensitive else lowered, start) if pattern else None
            if found is None or found.end() != len(text):
                continue
            key = re.sub(r"\s+", " ", found.group(0))
            entry = table.get(key if case_sensitive else key.lower())
            if entry is not None and entry.type in _TERMS:
                return True
    return False


def _spells(letters: str, words: list[str], least: int, used: int = 0) -> bool:
    """Whether `letters` split over the last words of `words` (`least` of them at least),
    as letters starting with each word's own first letter."""
    if not letters:
        return used >= least
    if not words:
        return False
    word = words[-1]
    if word in _SKIPPABLE and _spells(letters, words[:-1], least, used):
        return True
    for cut in range(len(letters) - 1, -1, -1):
        tail = letters[cut:]
        if (
            tail[0] == word[0]
            and _subsequence(tail, word)
            and _spells(letters[:cut], words[:-1], least, used + 1)
        ):
            return True
    return False


def _subsequence(letters: str, word: str) -> bool:
    remaining = iter(word)
    return all(letter in remaining for letter in letters)


# "3,11 - 6,50 mmol/L": a comma before one or two digits cannot separate thousands
_COMMA_NUMBER = re.compile(r"(?<![\d,.])(\d+),(\d{1,2})(?![\d,.])")
_COMMA_RANGE = re.compile(r"\s*(?:-|–|to)\s*")


def _decimal_comma(text: str, pos: int) -> str | None:
    """The number at `pos` with its decimal comma as a point ("2,5 mg/dL" is 2.5), or None.

    Read so only where the number is a measurement: a unit follows it, or a range follows
    whose second number has a decimal comma and a unit ("3,11 - 6,50 mmol/L"). Elsewhere a
    comma between digits is a list ("grades 3,4") and stays one.
    """
    match = _COMMA_NUMBER.match(text, pos)
    if match is None:
        return None
    end = match.end()
    dash = _COMMA_RANGE.match(text, end)
    second = _COMMA_NUMBER.match(text, dash.end()) if dash else None
    if _unit_token(text, end) is None and (
        second is None or _unit_token(text, second.end()) is None
    ):
        return None
    return f"{match[1]}.{match[2]}"


def _unit_token(text: str, pos: int) -> tuple[str, int] | None:
    """A unit right after a number: (canonical unit text, end position)."""
    uln = _ULN.match(text, pos) or _ELIDED_ULN.match(text, pos)
    if uln:
        return "xULN", uln.end()
    time = _TIME_UNIT.match(text, pos)
    if time:
        return None
    found = _spelled_unit(text, pos) or _symbol_unit(text, pos)
    if found is None:
        return None
    canonical, end = found
    restated = _RESTATED_UNIT.match(text, end)
    if restated and units.canonical_unit_text(_unit_text(restated.group(1))) == canonical:
        return canonical, restated.end()  # "milliliter per minute (mL/min)"
    return found


def _unit_text(candidate: str) -> str:
    return candidate.strip().replace("m^2", "m2").replace("mm^3", "mm3")


def _symbol_unit(text: str, pos: int) -> tuple[str, int] | None:
    """A unit in symbols right after a number: (canonical unit text, end position)."""
    match = _UNIT.match(text, pos)
    while match:
        candidate = _unit_text(match.group(0))
        canonical = units.canonical_unit_text(candidate) if candidate else None
        if canonical:
            return canonical, match.end()
        # try a shorter candidate: drop the last "/..." part
        cut = match.group(0).rfind("/")
        if cut <= 0:
            return None
        match = _UNIT.match(text[: pos + cut], pos)
    return None


def _spelled_unit(text: str, pos: int) -> tuple[str, int] | None:
    """A unit in words ("milliliter per minute per 1.73 square meter"), every word a unit."""
    match = _SPELLED_UNIT.match(text, pos)
    if match is None:
        return None
    words = re.sub(r"\s+", " ", match.group(0).strip().lower())
    symbols = _SPELLED_WORD.sub(lambda m: _SPELLED_SYMBOLS[m.group(0)], words)
    symbols = re.sub(r"\s*(?:\bper\b|/)\s*", "/", symbols)
    canonical = units.canonical_unit_text(symbols)
    return (canonical, match.end()) if canonical else None


def _words_pattern(phrases: Iterable[str]) -> str:
    ordered = sorted(phrases, key=len, reverse=True)
    return (
        "(?:"
        + "|".join(r"[\s-]+".join(map(re.escape, re.split(r"[\s-]+", p))) for p in ordered)
        + ")"
    )


_METHOD_NAME = _words_pattern(name for names in METHOD_NAMES.values() for name in names)
_METHOD_ITEM = (
    r"(?:(?:by|on|per|via|using|with|according\s+to)\s+)?(?:the\s+|an?\s+)?"
    rf"{_METHOD_NAME}(?:\s+{_words_pattern(METHOD_NOUNS)})?(?![\w-])"
)
_METHOD_LIST = (
    rf"(?P<list>{_METHOD_ITEM}(?:\s*(?:,\s*(?:and/or\s+|and\s+|or\s+)?|and/or\s+|or\s+|/)\s*"
    rf"{_METHOD_ITEM})*)"
)
_METHOD_VERB = rf"(?:as\s+)?(?:{_words_pattern(METHOD_VERBS)}\s+)?"
_METHOD_NOTES = (
    re.compile(rf"\(\s*{_METHOD_VERB}{_METHOD_LIST}\s*\)", re.IGNORECASE),
    re.compile(
        rf"(?:,\s*)?{_METHOD_VERB}(?=(?:by|on|per|via|using|according\s+to)\s){_METHOD_LIST}",
        re.IGNORECASE,
    ),
)
_METHOD_NAME_IN_LIST = re.compile(rf"(?<![\w-]){_METHOD_NAME}(?![\w-])", re.IGNORECASE)
_METHOD_IDS = {
    re.sub(r"[\s-]+", " ", name): method for method, names in METHOD_NAMES.items() for name in names
}


def _method_note(text: str, pos: int, before: Token | None) -> tuple[str, int] | None:
    """How the threshold just stated was measured ('(assessed by MUGA or ECHO)', 'by
    echocardiogram', ', calculated by the Cockcroft-Gault formula'): the methods, '|'-joined
    in order, and the end. Read only right after a quantity, or in brackets after a name
    ("creatinine clearance (as estimated by Cockcroft-Gault) ≥ 60 mL/min")."""
    if before is None or before.type not in ("UNIT", "NUMBER", "ANALYTE"):
        return None
    note = _METHOD_NOTES[0].match(text, pos)
    if note is None and before.type != "ANALYTE":  # after a name, only in brackets
        note = _METHOD_NOTES[1].match(text, pos)
    if note is None:
        return None
    names = _METHOD_NAME_IN_LIST.findall(note.group("list"))
    methods = [_METHOD_IDS[re.sub(r"[\s-]+", " ", name.lower())] for name in names]
    return "|".join(dict.fromkeys(methods)), note.end()


def _method_prefixes(tokens: list[Token]) -> list[Token]:
    """'calculated creatinine clearance', 'measured or calculated CrCl': one METHOD token
    before the analyte (items.analyte_ref checks that the analyte is measured that way)."""
    if not any(t.type == "WORD" and str(t).lower() in METHOD_PREFIXES for t in tokens):
        return tokens
    result: list[Token] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        word = str(token).lower() if token.type == "WORD" else ""
        if word in METHOD_PREFIXES and following is not None and following.type == "ANALYTE":
            method = METHOD_PREFIXES[word]
            if (
                len(result) >= 2
                and result[-1].type in ("OR", "ANDOR")
                and result[-2].type == "METHOD"
            ):  # "measured or calculated"
                result.pop()
                method = f"{result.pop()}|{method}"
                token = Token("METHOD", method, start_pos=tokens[index - 2].start_pos)
                result.append(token)
                continue
            result.append(Token("METHOD", method, start_pos=token.start_pos))
            continue
        if (
            word in METHOD_PREFIXES
            and following is not None
            and following.type in ("OR", "ANDOR")
            and index + 3 < len(tokens)
            and str(tokens[index + 2]).lower() in METHOD_PREFIXES
            and tokens[index + 3].type == "ANALYTE"
        ):
            result.append(Token("METHOD", METHOD_PREFIXES[word], start_pos=token.start_pos))
            continue
        result.append(token)
    return _implied_prefixes(result)


def _implied_prefixes(tokens: list[Token]) -> list[Token]:
    """'calculated creatinine clearance > 50 mL/min by Cockcroft-Gault formula': a method
    before the analyte that the method note after its value implies (lexicon.METHOD_IMPLIES)
    says nothing more, and is dropped; any other pair stays for items to check."""
    result: list[Token] = []
    for index, token in enumerate(tokens):
        if (
            token.type == "METHOD"
            and index + 1 < len(tokens)
            and tokens[index + 1].type == "ANALYTE"
            and _implied(str(token), _next_method(tokens, index + 2))
        ):
            continue
        result.append(token)
    return result


def _next_method(tokens: list[Token], start: int) -> str | None:
    """The methods of the first METHOD token from `start`, before any other analyte."""
    for token in tokens[start:]:
        if token.type == "ANALYTE":
            return None
        if token.type == "METHOD":
            return str(token)
    return None


def _implied(prefix: str, note: str | None) -> bool:
    """Whether every method of `prefix` is implied by a method of `note` ('|'-joined)."""
    if note is None:
        return False
    implied = set().union(*(METHOD_IMPLIES.get(m, frozenset()) for m in note.split("|")))
    return set(prefix.split("|")) <= implied


# "MEN1", "MEN 2A", "MEN-2B", "MEN type II", "MEN syndrome": multiple endocrine neoplasia, in
# upper case only ("Men aged 18-65" are men). A roman type is read after a hyphen, "type" or a
# space ("MEN IIA"), never a bare "MEN I"; "type" is never upper case, so an all-capitals
# criterion ("MEN TYPE 2 DIABETES", "MEN AND WOMEN AGED 18-65") keeps its men.
_ENDOCRINE_NEOPLASIA = re.compile(
    r"MEN(?:"
    r"(?:\s*-\s*|\s+[Tt]ype\s*-?\s*)(?P<named>[12][AaBb]?|II[AB]|I{1,2})"
    r"|(?P<attached>[12][AaBb]?)"
    r"|\s+(?P<spaced>[12][AaBb]?|II[AB]?)"
    r"|(?P<syndrome>(?=\s+syndromes?(?![A-Za-z0-9])))"
    r")(?![A-Za-z0-9])"
)
_SYNDROME = re.compile(r"\s+syndromes?(?![A-Za-z0-9])")
# what may not follow the type: a quantity ("MEN 2 YEARS", "MEN 1-2") or the diabetes of a
# type ("MEN type 2 diabetes" is men with it)
_NOT_A_TYPE_AFTER = re.compile(r"\s*(?:[-–]\s*\d|to\s+\d|diabet|t[12]dm\b|dm\b)", re.IGNORECASE)


def _endocrine_neoplasia(text: str, pos: int) -> tuple[str, int] | None:
    """'MEN2A', 'MEN type 1 syndrome' at `pos`: (the concept, the end), else None."""
    if not text.startswith("MEN", pos) or (pos and text[pos - 1].isalnum()):
        return None
    found = _ENDOCRINE_NEOPLASIA.match(text, pos)
    if found is None:
        return None
    end = found.end()
    if _NOT_A_TYPE_AFTER.match(text, end) or _TIME_UNIT.match(text, end) or _unit_token(text, end):
        return None
    kind = found.group("named") or found.group("attached") or found.group("spaced") or ""
    syndrome = _SYNDROME.match(text, end)
    return ENDOCRINE_NEOPLASIA_TYPES[kind.lower()], syndrome.end() if syndrome else end


_RECIST = (
    r"(?:response\s+evaluation\s+criteria\s+in\s+solid\s+tumou?rs?"
    r"(?:\s*\(\s*recist\s*\))?|recist)"
    r"(?:\s*,?\s*(?:criteria\s+)?(?:v\.?|version\s*)?\s*(?P<version>1\.[01])(?!\d|\.\d))?"
    r"(?:\s+criteria)?"
)
_MEASURABLE = re.compile(
    r"(?<![\w-])(?:(?:at\s+least|a\s+minimum\s+of|one\s+or\s+more)\s+(?:one|1)\s+)?"
    r"measurable\s+(?:disease|(?:(?:tumou?r|target)\s+)?lesions?)"
    r"(?P<criteria>\s*,?\s*(?:as\s+)?"
    r"(?:(?P<paren>\()\s*)?"
    r"(?:(?:per|according\s+to|by|based\s+on|using|(?:as\s+)?(?:defined|determined|assessed)"
    r"\s+by)\s+(?:the\s+)?)?" + _RECIST + r"(?(paren)\s*\)))?"
    r"(?![\w-])",
    re.IGNORECASE,
)


def _measurable(text: str, pos: int) -> tuple[str, int] | None:
    """'measurable disease', '(at least one) measurable lesion', with the response criteria
    named after it ('per RECIST 1.1', '(Response Evaluation Criteria in Solid Tumors,
    version 1.1)'): the criteria (rules.RESPONSE_CRITERIA) and the end. Another version or
    other criteria are left as words: the text then stays with a person."""
    found = _MEASURABLE.match(text, pos)
    if found is None:
        return None
    if found.group("criteria") is None:
        return "any", found.end()
    version = found.group("version")
    if version == "1.0":
        return None
    return ("recist_1_1" if version else "recist"), found.end()


_MAY_NAME_CONSENT = re.compile(r"consent|icf", re.IGNORECASE)  # in every consent phrase


def _consent_moment(text: str, pos: int) -> tuple[str, str, int] | None:
    """'at the time of obtaining informed consent' (the moment of screening) or 'signing the
    ICF' (the screening date a window counts back from) at `pos`: type, value, end."""
    if text[pos].lower() not in "asuwgpto" or (pos and text[pos - 1].isalnum()):
        return None
    moment = CONSENT_MOMENT.match(text, pos)
    if moment:
        return "AT_SCREENING", "screening", moment.end()
    act = CONSENT_ACT.match(text, pos)
    if act:
        return "ANCHOR", "screening", act.end()
    return None


def tokenize(text: str) -> list[Token]:
    """Tokens of one normalised criterion; fillers are dropped."""
    insensitive, sensitive, table = _phrase_patterns()
    text = _blank_references(_blank_abbreviations(text))
    lowered = _lowered(text)
    tokens: list[Token] = []
    pos = 0
    length = len(text)
    # where a generated phrase may start (a word some one starts with), and whether the
    # text may name consent at all: each looked for once, not at every position
    _, generated_lengths = _generated_index()
    generated_starts = {
        word.start() for word in _ALNUM.finditer(text) if word.group(0).lower() in generated_lengths
    }
    consent = _MAY_NAME_CONSENT.search(text) is not None

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
            comma = _decimal_comma(text, pos)
            add("NUMBER", comma or number.group(0).replace(",", ""), pos)
            pos = number.end() if comma is None else pos + len(comma)
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
        method = _method_note(text, pos, tokens[-1] if tokens else None)
        if method is not None:
            add("METHOD", method[0], pos)
            pos = method[1]
            continue
        neoplasia = _endocrine_neoplasia(text, pos) if char == "M" else None
        if neoplasia is not None:
            add("CONCEPT", neoplasia[0], pos)
            tokens[-1].end_pos = neoplasia[1]
            pos = neoplasia[1]
            continue
        measurable = _measurable(text, pos) if lowered[pos] in "aom" else None
        if measurable is not None:
            add("MEASURABLE", measurable[0], pos)
            tokens[-1].end_pos = measurable[1]
            pos = measurable[1]
            continue
        moment = _consent_moment(text, pos) if consent else None
        if moment is not None:
            add(*moment[:2], pos)
            pos = moment[2]
            continue
        bare = _BARE_ULN.match(text, pos) if tokens and tokens[-1].type in _COMPARATORS else None
        if bare:
            add("NUMBER", "1", pos)
            add("UNIT", "xULN", pos)
            pos = bare.end()
            continue
        best: tuple[int, Entry] | None = None
        first = lowered[pos]
        for index, case_sensitive in ((insensitive, False), (sensitive, True)):
            pattern = index.get(first)
            found = pattern.match(text if case_sensitive else lowered, pos) if pattern else None
            if found and (best is None or found.end() > best[0]):
                key = re.sub(r"\s+", " ", found.group(0))
                entry = table.get(key if case_sensitive else key.lower())
                if entry is not None:
                    best = (found.end(), entry)
        generated = (
            _generated_match(text, pos) if char.isalpha() and pos in generated_starts else None
        )
        if generated is not None and (best is None or generated[0] > best[0]):
            best = generated  # a longer generated phrase; on a tie the other entry stays
        if best is not None:
            end, entry = best
            if entry.type != "FILLER":
                add(entry.type, entry.value, pos)
                tokens[-1].end_pos = end  # the phrase's own end (_with_ends sets the span)
            pos = end
            continue
        if text[pos : pos + 3].lower() in ("uln", "unl") or text[pos : pos + 4].lower() == "iuln":
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
        chunk_lower = chunk.lower()
        if chunk_lower in NUMBER_WORDS:
            add("NUMBER", NUMBER_WORDS[chunk_lower], pos)
            pos += len(chunk)
            time = _TIME_UNIT.match(text, pos)
            uln = _WORD_ULN.match(text, pos)
            if time:
                add("TIME_UNIT", TIME_UNITS[time.group(1).lower()], pos)
                pos = time.end()
            elif uln:
                add("UNIT", "xULN", pos)
                pos = uln.end()
            continue
        if chunk_lower in TIME_UNITS and len(chunk_lower) > 1:
            add("TIME_UNIT", TIME_UNITS[chunk_lower], pos)
        else:
            add("WORD", chunk, pos)
        pos += len(chunk)
    return _with_ends(_diagnosis_dates(tokens), text)


def _diagnosis_dates(tokens: list[Token]) -> list[Token]:
    """'diagnosed with', 'diagnosis of' (lexicon.DIAGNOSIS_PHRASES) dropped as fillers, or,
    when a time window follows, kept as a word the grammar does not cover: the window then
    dates the diagnosis, which no rule states ('Diagnosis of DVT in the previous 3 months')."""
    if not any(t.type == "DIAGNOSIS" for t in tokens):
        return tokens
    kept: list[Token] = []
    for index, token in enumerate(tokens):
        if token.type == "DIAGNOSIS":
            if not any(t.type == "WITHIN" for t in tokens[index + 1 :]):
                continue
            token = Token("WORD", str(token), start_pos=token.start_pos)
        kept.append(token)
    return kept


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


def _shared_transplant(tokens: list[Token], text: str) -> list[Token]:
    """'solid organ or bone marrow transplant': the last item's 'transplant' is shared.

    An organ's transplant joins the organ list ("solid organ or bone marrow transplant");
    another transplant concept whose words end in "transplant(ation)" ("solid organ or
    allogeneic stem cell transplant") gives the organ its own TRANSPLANT token.
    """
    result: list[Token] = []
    for token in tokens:
        value = str(token)
        shared = (
            token.type == "CONCEPT"
            and len(result) >= 2
            and result[-1].type in _LETTER_LINKS
            and result[-2].type == "ORGAN"
        )
        if shared and value.startswith("transplant_"):
            result.append(
                Token("ORGAN", value.removeprefix("transplant_"), start_pos=token.start_pos)
            )
            result.append(Token("TRANSPLANT", "transplant", start_pos=token.start_pos))
            continue
        if shared and _names_a_transplant(token, text):
            link = result.pop()
            result.append(Token("TRANSPLANT", "transplant", start_pos=link.start_pos))
            result.append(link)
        result.append(token)
    return result


def _names_a_transplant(token: Token, text: str) -> bool:
    """A transplant concept (concepts.yaml `procedure`) written out to its last word
    ("allogeneic stem cell transplant", not "allo-HSCT")."""
    concept = concepts.CONCEPTS.get(str(token))
    words = text[token.start_pos or 0 : token.end_pos or 0]
    return concept is not None and concept.procedure and _TRANSPLANT_END.search(words) is not None


_TRANSPLANT_END = re.compile(r"transplant(?:s|ation)?\s*$", re.IGNORECASE)


def _alternative_quantities(tokens: list[Token]) -> list[Token]:
    """'9.0 g/dL or 5.6 mmol/L', '< 90 g/L (< 9 g/dL)': the second quantity becomes one
    ALT_QUANTITY token (items.py checks that both state the same threshold)."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        length = _restated_quantity(tokens, index, result[-1] if result else None)
        if length:
            window = tokens[index : index + length]
            number, unit = [t for t in window[2:] if t.type in ("NUMBER", "UNIT")]
            result.extend(window[:2])
            result.append(Token("ALT_QUANTITY", f"{number} {unit}", start_pos=window[2].start_pos))
            index += length
            continue
        result.append(tokens[index])
        index += 1
    return result


def _restated_quantity(tokens: list[Token], index: int, before: Token | None) -> int:
    """How many tokens from `index` make 'NUMBER UNIT' and the same quantity restated in
    another unit: 'or NUMBER UNIT', or in brackets, with the comparator before the first
    number repeated or not ('< 90 g/L (< 9 g/dL)'); 0 when they do not."""
    kinds = [t.type for t in tokens[index : index + 8]]
    if kinds[:2] != ["NUMBER", "UNIT"]:
        return 0
    if kinds[2:5] == ["OR", "NUMBER", "UNIT"]:
        length = 5
    elif kinds[2:3] == ["LPAR"] and kinds[3:6] == ["NUMBER", "UNIT", "RPAR"]:
        length = 6
    elif (
        kinds[2:3] == ["LPAR"]
        and kinds[4:7] == ["NUMBER", "UNIT", "RPAR"]
        and before is not None
        and kinds[3] == before.type
        and kinds[3] in _COMPARATORS
    ):
        length = 7
    else:
        return 0
    units = [str(t) for t in tokens[index : index + length] if t.type == "UNIT"]
    if units[0] == units[1] or units[1] == "xULN":
        return 0
    return length


_LETTER_LINKS = {"COMMA", "OR", "AND", "ANDOR", "SLASH"}
# Class numerals of the NYHA functional class, read only right after "NYHA" and its links
# ("NYHA class III or IV"): elsewhere "IV" may be intravenous and "I" a pronoun.
_NYHA_NUMERALS = {
    **{numeral: value for numeral, value in ROMAN.items() if value != "5"},
    **{chr(0x2160 + n): str(n + 1) for n in range(4)},  # Ⅰ Ⅱ Ⅲ Ⅳ
    **{chr(0x2170 + n): str(n + 1) for n in range(4)},  # ⅰ ⅱ ⅲ ⅳ
}
_NYHA_RANGE = re.compile(r"([^\s-]+)-([^\s-]+)")
_NYHA_LINKS = _LETTER_LINKS | {
    "DASH", "TO", "FROM", "BETWEEN", "NUMBER", "GE", "LE", "GT", "LT", "EQ", "OVER", "UNDER",
}  # fmt: skip


def _nyha_numerals(token: Token) -> list[Token] | None:
    """'III' as NUMBER 3, 'III-IV' as NUMBER DASH NUMBER, 'grade III' as NUMBER 3."""
    if token.type == "GRADE" and str(token) in ("1", "2", "3", "4"):
        return [Token("NUMBER", str(token), start_pos=token.start_pos)]
    if token.type != "WORD":
        return None
    word = str(token).lower()
    start = token.start_pos or 0
    if word in _NYHA_NUMERALS:
        return [Token("NUMBER", _NYHA_NUMERALS[word], start_pos=start)]
    pair = _NYHA_RANGE.fullmatch(word)
    if pair and pair.group(1) in _NYHA_NUMERALS and pair.group(2) in _NYHA_NUMERALS:
        dash = start + len(pair.group(1))
        return [
            Token("NUMBER", _NYHA_NUMERALS[pair.group(1)], start_pos=start),
            Token("DASH", "-", start_pos=dash),
            Token("NUMBER", _NYHA_NUMERALS[pair.group(2)], start_pos=dash + 1),
        ]
    return None


def _trailing_qualifiers(tokens: list[Token]) -> list[Token]:
    """The QUALIFIER tokens at the end of `tokens` ("active", "chronic active")."""
    count = 0
    while count < len(tokens) and tokens[-1 - count].type == "QUALIFIER":
        count += 1
    return tokens[len(tokens) - count :]


_INFECTION_WORDS = {"WORD": {"virus", "viral"}, "CONCEPT": {"infection", "viral_infection"}}


def _contextual_letters(tokens: list[Token]) -> list[Token]:
    """Single letters after "hepatitis B" ("hepatitis B, C") or "Child-Pugh" ("B/C"), and
    class numerals after "NYHA" ("III/IV")."""
    result: list[Token] = []
    context: str | None = None  # "hepatitis", "child_pugh" or "nyha"
    after_letter = False  # the last token was a hepatitis letter read in context
    qualifiers: list[Token] = []  # those just before the hepatitis that opened the context
    for token in tokens:
        numerals = _nyha_numerals(token) if context == "nyha" else None
        if numerals is not None:
            result.extend(numerals)
            continue
        if after_letter and str(token).lower() in _INFECTION_WORDS.get(token.type, ()):
            continue  # "hepatitis B or C infection": the infection the letters name
        after_letter = False
        letter = str(token).lower() if token.type == "WORD" and len(str(token)) == 1 else None
        if letter and context == "hepatitis" and letter in "abcde":
            concept = f"hepatitis_{letter}"
            if concept in concepts.CONCEPTS:
                token = Token("CONCEPT", concept, start_pos=token.start_pos)
                after_letter = True
                # "active hepatitis B or C": the letter's hepatitis is active too
                result.extend(Token(q.type, q.value, start_pos=token.start_pos) for q in qualifiers)
        elif letter and context == "child_pugh" and letter in "abc":
            token = Token("CP_CLASS", letter, start_pos=token.start_pos)
        if token.type == "CONCEPT" and re.fullmatch(r"hepatitis_[a-e]", str(token)):
            if context != "hepatitis":
                qualifiers = _trailing_qualifiers(result)
            context = "hepatitis"
        elif token.type == "SCORE" and str(token) in ("child_pugh", "nyha"):
            context = str(token)
        elif context == "nyha" and token.type in _NYHA_LINKS | {"CLASS_WORD"}:
            pass
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


_COMPARISON_OPENERS = {"NUMBER", "GE", "LE", "GT", "LT", "EQ", "OVER", "UNDER", "BETWEEN", "FROM"}
_VALUE_TOKENS = _COMPARISON_OPENERS | {"UNIT", "DASH", "TO", "COMMA", "OR", "AND", "SLASH"}


def _scale_of(token: Token) -> str | None:
    """The performance scale a SCORE token names ("performance_status" when none)."""
    if token.type == "SCORE" and str(token) in PERFORMANCE_SCALES:
        return str(token)
    return None


def _one_scale(first: str, second: str) -> str | None:
    """Two names of one performance scale ("ECOG" and "performance status"): the named one.

    Two different named scales ("ECOG", "Karnofsky") are two scales: None.
    """
    if first == second or second == "performance_status":
        return first
    return second if first == "performance_status" else None


def _merged_scales(tokens: list[Token]) -> list[Token]:
    """Runs of names for one performance scale as one SCORE token.

    "Eastern Cooperative Oncology Group (ECOG) performance score", "ECOG PS score",
    "performance status (ECOG)", "ECOG physical status", "Performance status: ECOG" name one
    scale; a score of no named scale takes the name given after its values ("Performance
    status 0-2 (ECOG)"). A colon between a score and its values goes ("ECOG PS: 0-1"). Words
    that only go on naming a scale (lexicon.SCALE_TAILS) left anywhere else are unknown words.
    """
    result: list[Token] = []
    for token in tokens:
        last = _scale_of(result[-1]) if result else None
        if last and token.type in ("SCALE_TAIL", "GRADE_WORD"):
            continue
        scale = _scale_of(token)
        if last and scale and _one_scale(last, scale):
            result[-1] = _renamed(result[-1], _one_scale(last, scale))
            continue
        if token.type == "RPAR" and _bracketed_name(result) and _named_in_brackets(result):
            continue
        if (
            token.type in _COMPARISON_OPENERS
            and len(result) >= 2
            and result[-1].type == "COLON"
            and result[-2].type == "SCORE"
        ):
            result.pop()  # "ECOG PS: 0-1"
        if scale and len(result) >= 2 and result[-1].type == "COLON":
            before = _scale_of(result[-2])
            if before == "performance_status":  # "Performance status: Karnofsky ..."
                del result[-2:]
        result.append(token)
    return [
        Token("WORD", token.value, start_pos=token.start_pos)
        if token.type == "SCALE_TAIL"
        else token
        for token in result
    ]


def _renamed(token: Token, scale: str | None) -> Token:
    return Token("SCORE", scale or str(token), start_pos=token.start_pos)


def _bracketed_name(tokens: list[Token]) -> bool:
    """Whether the tokens end in "( SCORE" naming a performance scale."""
    return len(tokens) >= 3 and tokens[-2].type == "LPAR" and _scale_of(tokens[-1]) is not None


def _named_in_brackets(tokens: list[Token]) -> bool:
    """Fold a bracketed scale name ending `tokens` into the score it names, in place.

    "performance status (ECOG" names the score before it; "PS 0-2 (ECOG" names a score of
    no named scale that only values follow. Anything else is left alone: False.
    """
    name = _scale_of(tokens[-1])
    before = _scale_of(tokens[-3])
    assert name is not None
    if before is not None and _one_scale(before, name):
        tokens[-3] = _renamed(tokens[-3], _one_scale(before, name))
        del tokens[-2:]
        return True
    owner = _unnamed_owner(tokens[:-2])
    if owner is not None and name != "performance_status":
        tokens[owner] = _renamed(tokens[owner], name)
        del tokens[-2:]
        return True
    return False


def _unnamed_owner(tokens: list[Token]) -> int | None:
    """The index of a performance status of no named scale that only values follow."""
    index = len(tokens) - 1
    while index >= 0 and tokens[index].type in _VALUE_TOKENS:
        index -= 1
    if index < 0 or index == len(tokens) - 1 or _scale_of(tokens[index]) != "performance_status":
        return None
    return index


_RESTATABLE = frozenset(_COMPARATORS | {"CONCEPT", "DRUG_CLASS"})


def _restatements(tokens: list[Token]) -> list[Token]:
    """'less than or equal to (≤) 30', 'scleroderma (systemic sclerosis)': a bracket that
    restates the comparator, diagnosis or drug class before it (the same token) is dropped;
    a bracket that says otherwise is kept (and not read)."""
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        result.append(token)
        following = tokens[index + 1 : index + 4]
        if (
            token.type in _RESTATABLE
            and [t.type for t in following] == ["LPAR", token.type, "RPAR"]
            and str(following[1]) == str(token)
        ):
            index += 4
            continue
        index += 1
    return result


_HEAD_LINKS = {"OR", "AND", "ANDOR", "SLASH"}


def _elliptic_heads(tokens: list[Token], text: str) -> list[Token]:
    """'Renal or hepatic insufficiency', 'type I or type II diabetes mellitus': uncovered
    words before 'or'/'and'/'/' that, with the last words of the diagnosis after it, make
    a diagnosis phrase of their own become that diagnosis (the head noun is shared).

    Only words the vocabulary does not know alone are read so, and only when the words
    and the shared tail together are a phrase of the vocabulary; the longest shared tail
    wins, then the most words.
    """
    result: list[Token] = []
    for index, token in enumerate(tokens):
        result.append(token)
        if (
            token.type != "CONCEPT"
            or index < 2
            or tokens[index - 1].type not in _HEAD_LINKS
            or tokens[index - 2].type != "WORD"
            or token.end_pos is None
        ):
            continue
        run = 0  # uncovered words just before the link, at most three
        while run < 3 and index - 2 - run >= 0 and tokens[index - 2 - run].type == "WORD":
            run += 1
        found = _shared_head(tokens[index - 1 - run : index + 1], text)
        if found is not None:
            first, concept = found
            link, head = result[-2], result[-1]
            del result[len(result) - 2 - (run - first) :]
            start = tokens[index - 1 - run + first].start_pos
            result.extend((Token("CONCEPT", concept, start_pos=start), link, head))
    return result


def _shared_head(window: list[Token], text: str) -> tuple[int, str] | None:
    """For words, a link and a diagnosis (`window`): the index of the first word that,
    with a tail of the diagnosis's words, names a diagnosis, and that diagnosis."""
    words, link, head = window[:-2], window[-2], window[-1]
    assert head.start_pos is not None and head.end_pos is not None
    head_words = text[head.start_pos : head.end_pos].split()
    table, generated = entries(), generated_entries()
    for cut in range(1, len(head_words)):
        tail = " ".join(head_words[cut:]).lower()
        for first, word in enumerate(words):
            before = " ".join(text[word.start_pos : link.start_pos].split()).lower()
            entry = table.get(f"{before} {tail}") or generated.get(f"{before} {tail}")
            if entry is not None and entry.type == "CONCEPT":
                return first, entry.value
    return None


# The result of a qualitative test, read only right beside the test's name ("HBsAg positive",
# "negative anti-HCV", "HCV RNA not detected", "HBsAg (+)"); anywhere else these words stay
# unknown words, as before. Reactive and detected (detectable) are positive.
_RESULT_WORDS = {
    **dict.fromkeys(
        ("positive", "positivity", "reactive", "detectable", "detected", "+"), "positive"
    ),
    **dict.fromkeys(
        ("negative", "non-reactive", "nonreactive", "undetectable", "undetected"), "negative"
    ),
}
_AFTER_NOT = {"detected", "detectable", "reactive"}  # "not detected": negative
_TEST_WORDS = {"test", "tests", "testing", "result", "results", "status", "assay"}
_TESTED = {"test", "tests", "tested", "testing"}  # "tested negative for HBsAg"


def _word(token: Token, words: set[str] | dict[str, str]) -> bool:
    return token.type == "WORD" and str(token).lower() in words


def _result_at(tokens: list[Token], index: int) -> tuple[str, int] | None:
    """A test result written from tokens[index]: (positive or negative, tokens it takes)."""
    if index >= len(tokens):
        return None
    token, rest = tokens[index], tokens[index + 1 : index + 3]
    if _word(token, _RESULT_WORDS):
        return _RESULT_WORDS[str(token).lower()], 1
    if token.type == "NOT" and rest and _word(rest[0], _AFTER_NOT):
        return "negative", 2
    if token.type == "LPAR" and len(rest) == 2 and rest[1].type == "RPAR":
        if _word(rest[0], {"+"}):
            return "positive", 3  # "(+)"
        if rest[0].type == "DASH":
            return "negative", 3  # "(-)"
    return None


def _retyped(token: Token, type_: str, value: str | None = None) -> Token:
    return Token(type_, value if value is not None else str(token), start_pos=token.start_pos)


def _test_results(tokens: list[Token]) -> list[Token]:
    """RESULT, TEST_WORD and FOR tokens around the names of qualitative tests (TEST):
    'HBsAg-positive', 'HIV antibody test positive', 'positive for anti-HCV', 'negative HBsAg
    test', 'tested negative for HBsAg'. Criteria without a test's name are left as they were."""
    if not any(token.type == "TEST" for token in tokens):
        return tokens
    result: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        found = _result_at(tokens, index)
        if found is not None:
            after = index + found[1]
            has_for = after < len(tokens) and _word(tokens[after], {"for"})
            test_at = after + has_for
            if test_at < len(tokens) and tokens[test_at].type == "TEST":
                if result and _word(result[-1], _TESTED):
                    result[-1] = _retyped(result[-1], "TEST_WORD")
                result.append(_retyped(token, "RESULT", found[0]))
                if has_for:
                    result.append(_retyped(tokens[after], "FOR"))
                index = test_at
                continue
        if token.type != "TEST":
            result.append(token)
            index += 1
            continue
        result.append(token)
        index = _after_test(tokens, index + 1, result)
    return result


def _after_test(tokens: list[Token], index: int, result: list[Token]) -> int:
    """Read what follows a test's name into `result`: its words ('test', 'result') and its
    result ('positive'), if written there; the index after them."""
    start = index + 1 if index < len(tokens) and tokens[index].type == "DASH" else index
    end = start
    while end < len(tokens) and _word(tokens[end], _TEST_WORDS):
        end += 1
    found = _result_at(tokens, end)
    named_before = len(result) >= 2 and result[-2].type in ("RESULT", "FOR")
    if found is None and not named_before:
        return index
    result.extend(_retyped(word, "TEST_WORD") for word in tokens[start:end])
    if found is None:
        return end
    result.append(_retyped(tokens[end], "RESULT", found[0]))
    return end + found[1]


_LOAD_FOLLOWERS = COMPARATOR_TYPES | {"BETWEEN"}


def _viral_loads(tokens: list[Token]) -> list[Token]:
    """'HBV DNA > 2000 IU/mL': the name of a qualitative test followed by a comparison names
    the viral load counting the same nucleic acid (qualitative_tests.csv, `viral_load`), an
    ANALYTE; followed by anything else it stays the test ('HBV DNA negative')."""
    result = list(tokens)
    for index, token in enumerate(tokens[:-1]):
        if token.type != "TEST" or tokens[index + 1].type not in _LOAD_FOLLOWERS:
            continue
        load = qualitative.TESTS[str(token)].viral_load
        if load is not None:
            result[index] = _retyped(token, "ANALYTE", load)
    return result


def _closing_notes(tokens: list[Token]) -> list[Token]:
    """Notes that close a criterion without their punctuation: '(at screening)' as 'at
    screening', and a comma before a closing 'inclusive' or moment dropped ('aged 18-65
    years, inclusive, at the time of signing informed consent'). A note followed by more
    words keeps its punctuation."""
    folded: list[Token] = []
    index = 0
    while index < len(tokens):
        if tokens[index].type == "LPAR" and [t.type for t in tokens[index : index + 3]] == [
            "LPAR",
            "AT_SCREENING",
            "RPAR",
        ]:
            moment = tokens[index + 1]
            folded.append(Token(moment.type, moment.value, start_pos=tokens[index].start_pos))
            index += 3
            continue
        folded.append(tokens[index])
        index += 1
    result: list[Token] = []
    for index, token in enumerate(folded):
        closing = token.type == "COMMA" and len(folded) - index <= _LONGEST_CLOSING_NOTE + 1
        if closing and [t.type for t in folded[index + 1 :]] in _CLOSING_NOTES:
            continue
        result.append(token)
    return result


_CLOSING_NOTES = (
    ["INCLUDING"],
    ["AT_SCREENING"],
    ["INCLUDING", "AT_SCREENING"],
    ["INCLUDING", "COMMA", "AT_SCREENING"],
)
_LONGEST_CLOSING_NOTE = max(map(len, _CLOSING_NOTES))


def _with_ends(tokens: list[Token], text: str) -> list[Token]:
    """Each token ends where the next begins (trailing spaces trimmed): spans keep fillers.

    "(" followed by "or" becomes one PAREN_OR token: the grammar then tells a
    parenthesised alternative from a parenthesised note with one token of lookahead.
    """
    tokens = _elliptic_heads(tokens, text)
    merged: list[Token] = []
    for token in _either_sex(
        _shared_transplant(
            _alternative_quantities(
                _contextual_letters(
                    _contextual_lactation(
                        _merged_scales(
                            _restatements(
                                _test_results(
                                    _viral_loads(_closing_notes(_method_prefixes(tokens)))
                                )
                            )
                        )
                    )
                )
            ),
            text,
        )
    ):
        if token.type == "OR" and merged and merged[-1].type == "LPAR":
            opening = merged.pop()
            token = Token("PAREN_OR", "(or", start_pos=opening.start_pos)
        merged.append(token)
    for index, token in enumerate(merged):
        end = merged[index + 1].start_pos if index + 1 < len(merged) else len(text)
        assert end is not None
        while end > (token.start_pos or 0) + 1 and text[end - 1].isspace():
            end -= 1
        token.end_pos = end  # each token is this call's own: set in place, not copied
    return merged
