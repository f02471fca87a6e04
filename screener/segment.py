"""Split ClinicalTrials.gov eligibility text into criteria, as a reader would.

`segment(text)` turns one record's `eligibilityCriteria` into `Segment`s: one per criterion,
in order, each with its section (`kind`), its text as published, the headings that introduced
it (`context`, `condition`) and its numbering (`path`). It is a pure function, linear in the
length of the text, and never raises.

One procedure reads the four text styles of the corpus: API v2 markdown (`* ` bullets, `1.`
numbering, nesting by indentation, `\\>` escapes), classic v1 plain text (one criterion per
line, no markers), classic XML (`-  ` bullets, hard wraps at column 99, often `\\r\\n`), and
flattened text (TrialGPT's items separated by ` \\n\\n `; single-line records with headings and
numbering inline: "Inclusion Criteria: 1. Signed ... 2. Be at least ...").

Rules, in the order they apply:

1. Lines. `\\r\\n` and `\\r` become `\\n`. In hard-wrapped text (no line longer than 100
   characters and most lines indented: the classic XML shape) a line directly under a
   non-blank line continues it. Elsewhere a line continues the item above it only when it is
   indented at least to the item's text (markdown continuation). A bullet alone on its line
   takes the text of the next line; a bare "Note:" line takes the paragraph below it.
   Continuations are joined with one space; nothing else in the text changes (`\\>` escapes,
   trailing ";" or "." stay). A paragraph indented under a list item ("Note: ..." under item
   4) belongs to that item, unless the item introduces sub-items (rule 5). Markdown heading
   marks ("## ") are dropped like list markers.
2. Section headings, in their many spellings and wherever they stand: on their own line
   ("Inclusion Criteria:", "Key Exclusion Criteria", "EXCLUSION CRITERIA", "Inclusion:",
   "[Inclusion Criteria]", "**Inclusion Criteria:**", "## Exclusion criteria",
   "• Inclusion Criteria:", "Non-inclusion criteria:"), glued to the first item
   ("Inclusion Criteria: 1. Signed ..."), or inside a flattened line ("... (Grades 3,4).
   Exclusion Criteria: 1. ..."). "Eligibility criteria:" and "Inclusion/Exclusion:" are
   headings that name no section. NCI-style headings ("DISEASE CHARACTERISTICS:", "PATIENT
   CHARACTERISTICS:", "PRIOR CONCURRENT THERAPY:") list requirements: their items are
   inclusions, with the heading as `context`. A section heading with more words than the
   section's name ("Donor Inclusion Criteria:", "Inclusion criteria (ARDS cohort):",
   "Specific exclusion criteria for healthy participants:") also gives its items that
   heading, verbatim, as `condition` or `context` (rule 6). `section_headings(text)` lists the
   section headings recognised, which are left out of the segments.
3. Kind comes only from the last section heading above an item. Items before the first
   inclusion/exclusion heading are inclusions when the record has an exclusion heading, else
   "unclassified" (so a record without headings gives "unclassified" items); so are items
   under a heading that names no section once a section has been seen.
4. Items. A line starting with a list marker starts an item: bullets (`*`, `-`, `\\-`, `•`,
   `●`, `–`, ...), numbers (`1.`, `1)`, `(1)`, `1).`, markdown's escaped `1\\.`), letters
   (`a.`, `a)`, `(a)`, `A.`), roman numerals (`i.`, `ii)`, `(iv)`), and item codes used on
   at least two lines ("SI01:", "SE4:"). Letters and numerals count only as part of a
   sequence starting at "a" or "i" in the record, so "E. coli" stays text. A bullet followed
   by a second marker ("* i. High risk ALL") counts as the second. The marker is removed. A
   line without a marker is a free paragraph: one item. Nesting comes from indentation (two
   or more columns deeper); from the numbering style (a letter list under a number, a numeral
   list under a letter, any other style, or a list numbered afresh from "1.", under an item
   that introduces sub-items); and from the numbering sequence ("11." after "10." is its
   sibling whatever its indentation). Items published flat after a short item ending with
   ":" ("- Specific medical conditions:" then "- History of ...") are its sub-items, up to
   the next such item; after a longer one they stay its siblings (the text cannot tell).
   Flattened lines are split at inline bullets ("* a * b * c") and at inline numbering that
   runs in sequence ("1. ... 2. ... 3. ...", "a.) ... b.) ...", "(i) ... (ii) ...") when it
   starts the line or follows a ":". An item's own number may continue inline ("8. ...
   9. ...") unless the next line carries the next number. So "2.5 mg/dL", "version 2." and
   "have either (1) X, (2) Y, or (3) Z" are never split. Markers with a parenthesis may skip
   one number ("3). ... 5). ...", a typing slip).
5. Headings inside a section. An item or paragraph that introduces sub-items is a heading,
   not an item: its text becomes the `context` (or `condition`) of each sub-item, nested
   headings joined with " / ". Introducing sub-items means ending with ":" ("Specific medical
   conditions:"), announcing a list without the colon ("... at least one of the following
   symptoms need to be present"), or, for a line without a marker, being a short title
   ("Age", "Hepatic", "Cohort 1", "Medical Conditions") above list items that are indented
   deeper or stand at its level after a blank line. A title directly above an item that is
   less indented takes that item's level ("   Prior/Concomitant Therapy" above "7."). The
   sub-items of a line heading are the items after it: a list runs to the next line of its
   level without a marker; in plain text (no markers) the lines run to the next line ending
   with ":" or the next section heading. A heading followed by nothing is an item itself, so
   no text is lost. An item with sub-items that does not introduce them this way
   ("Histologically confirmed ... cancer" above "Stage IIIB, IIIC, or IV") stays an item, and
   its sub-items are items too.
   Groups of sections: a short title alone directly above a section heading that is not an
   exclusion heading, on the record's first line or after the items of an exclusion section
   ("Cohort 1", "Patients with T2D"), heads every section up to the next such title. A title
   at the end of an inclusion list ("If female, using birth control") stays an item, and so
   does a group title that heads no item.
6. Condition or context. A heading is a `condition` when it restricts whom its items apply
   to, else `context` (it names a topic). `is_condition_heading` decides: a condition heading
   starts with "For", "If", "When" or "Among" (or "In" before a population word), or names a
   population (patients, participants, subjects, women, men, female, male, children, adults,
   donors, caregivers, controls, ... among its first four words, not after "the", "a" or
   "of", and not followed by a topic word such as "age" or by a verb), or a cohort, group or
   arm. It has at most twelve words; it does not start with a determiner ("Any baby:"), end
   with a topic word ("Type of Participant and Disease Characteristics"), have a verb outside
   a relative clause ("... is defined as:", but "Patients who are HIV-positive:" is fine), or
   use a word that introduces a list or a requirement ("following", "including", "such as",
   "defined", "as follows", "one of", "any of", "all of", "either", "must", "should",
   "will"). So "For women of childbearing potential:", "Patients with cirrhosis:", "Female
   patients:" and "Cohort 1" are conditions; "Specific medical conditions:", "Hepatic:",
   "PATIENT CHARACTERISTICS:", "Women with systemic autoimmune disease, including:" and
   "Patients must have normal organ function as defined below:" are context. A condition
   title without a marker whose sub-items continue a numbered list begun above it ("7.",
   "8." under "   Female participants:") may end before any of them (`condition_uncertain`).
   A short title (at most three words, not one for everyone such as "General:") that stands
   beside a condition heading among the headings of one section level is a condition too:
   "AYA:" beside "Caregiver:" names a population the word alone does not show.
   A qualified
   section heading is a condition when its extra words name a population or cohort, or a
   stage, part, phase, randomisation or participation ("Donor Inclusion Criteria:",
   "Exclusion Criteria for Stage 1"), or anything but a topic ("MCI Inclusion Criteria:",
   "Parkinson's Disease exclusion criteria": the patients with it), and context when they
   only name a topic ("Disease specific Inclusion Criteria:", "Exclusion criteria for
   medical history and comorbidities:", "Local primary exclusion criteria:").
7. Path: the item's numbering as published, joined with "." over its numbered ancestors
   ("3", "3.a", "4.2.iii"); bullets add nothing; "" where nothing is numbered.

Nothing is lost: every word of the input other than list markers and recognised section
headings appears in a segment's `text`, or once per run of items in their `context` or
`condition`, in the input's order.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Kind", "Segment", "is_condition_heading", "section_headings", "segment"]

Kind = Literal["inclusion", "exclusion", "unclassified"]


@dataclass(frozen=True)
class Segment:
    """One criterion of a record, as published."""

    kind: Kind
    text: str
    context: str | None = None
    condition: str | None = None
    path: str = ""
    condition_uncertain: bool = False  # the condition heading may end before this item


# ---------------------------------------------------------------------------- vocabulary


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_WRAP_WIDTH = 99  # classic XML text blocks are wrapped at this column
_WRAP_MAX_LINE = 100
_TITLE_WORDS = 6  # at most this many words make a title ("Performance status")
_CONDITION_WORDS = 12

_SECTION_WORD = r"(?:non[- ]?inclusion|inclusion|exclusion|eligibility|selection)"
_SECTION_NAME = rf"{_SECTION_WORD}(?:\s*(?:/|&|and|or)\s*{_SECTION_WORD})?"
_SECTION_LINE = re.compile(
    r"^[\[(]?\s*(?P<pre>(?:[^\W\d][\w/&'-]*\s+){0,4}?)"
    rf"(?P<words>{_SECTION_NAME})"
    r"(?:\s+(?:criteri(?:a|on|as)|requirements)"
    r"(?P<qual>\s*\([^()]{1,60}\)|\s+(?:for|related\s+to)\s+[^:：]{1,100}?)?"
    r"(?:\s+also\s+includes?)?)?"
    r"\s*[\])]?\s*(?P<sep>:|：|\s[-–]\s|$|(?=\s+(?:[*•]|\\-|\d{1,2}\.)\s))",
    re.IGNORECASE,
)
# "Eligibility criteria for the secondary randomisation to ... Inclusion criteria"
_SECTION_TAIL = re.compile(
    r"^(?P<pre>.{1,160}?)\s+(?P<words>Inclusion|Exclusion|INCLUSION|EXCLUSION)\s+"
    r"(?:criteria|Criteria|CRITERIA)\s*:?$"
)
_MIDLINE_SECTION = re.compile(
    r"(?<=\s)(?:(?:Key\s+)?(?:Inclusion|Exclusion)\s+[Cc]riteria\s*:"
    r"|(?:[A-Z]{2,}\s+){0,3}(?:INCLUSION|EXCLUSION)\s+CRITERIA\b"
    r"(?:\s+FOR(?:\s+[A-Z0-9][A-Z0-9-]*)+)?\s*:?)"
)
_SECTION_HINT = re.compile(r"clusion|eligib|selection|characteristics|concurrent therapy")
_NCI_HEADING = re.compile(
    r"^(?:DISEASE CHARACTERISTICS|PATIENT CHARACTERISTICS|PRIOR CONCURRENT THERAPY)\s*:?$",
    re.IGNORECASE,
)
_PREFIX_STOP = _words(
    "must meet meets met fulfil fulfill fulfils fulfills fulfilling satisfy satisfies who "
    "which that will would be are is was were have has had the these those following all any "
    "each not do does did with to in above below our their his her if when meeting also "
    "no without such"
)
_TAIL_STOP = _words(
    "must meet meets met meeting fulfil fulfill fulfils fulfills fulfilling satisfy satisfies "
    "who which not do does did will would any all see per above below other"
)
_GENERIC_QUALIFIERS = _words(
    "key main major minor general common study list of other additional further specific "
    "detailed basic principal"
)

_MD_HEADING = re.compile(r"^#{1,6}\s+")
_EMPHASIS = "*_ \t"
_NOTE_LABEL = re.compile(r"^(?:note|notes|nb|n\.b\.)\s*[:：]$", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"\b(?:the\s+following|as\s+follows|listed\s+below|defined\s+below|as\s+below)\b"
    r"(?:\s+[^\s.;:：]+){0,14}\s*[.:：]?\s*$",
    re.IGNORECASE,
)
_LIST_WORDS = re.compile(
    r"\b(?:following|including|includes?|included|such\s+as|defined|as\s+follows|below|"
    r"one\s+of|any\s+of|all\s+of|either|must|should|shall|will|need|needs)\b",
    re.IGNORECASE,
)
_POPULATION_WORD = re.compile(
    r"^(?:patients?|participants?|subjects?|individuals?|persons?|people|volunteers?|"
    r"controls?|women|men|woman|man|females?|males?|girls?|boys?|children|child|adolescents?|"
    r"adults?|infants?|babies|baby|neonates?|newborns?|mothers?|fathers?|parents?|"
    r"caregivers?|carers?|partners?|donors?|recipients?|siblings?|relatives?|students?|"
    r"workers?|wocbp|msm|proxy|proxies|cases?|smokers?|users?)$",
    re.IGNORECASE,
)
_TOPIC_WORDS = _words(
    "age characteristics characteristic status history information selection criteria "
    "criterion eligibility consent function requirements performance population"
)
_VERBS = _words(
    "are is was were be been will would must may might can could should shall have has had "
    "need needs do does did meet meets"
)
_ARTICLES = _words("the a an of 's")
_RELATIVES = _words("who whom whose which that if when")
_APPLICABILITY = re.compile(
    r"\b(?:stage|part|phase|randomi[sz]ations?|participation|sub-?stud(?:y|ies)|escalation|"
    r"expansion|R\d+)\b",
    re.IGNORECASE,
)
# the words of a qualified section heading that name a topic of the criteria, or the whole
# trial, rather than a population ("Disease specific", "for medical history and
# comorbidities", "Local primary", "for trial entry"); see `_qualifier_is_condition`
_TOPIC_QUALIFIERS = _words(
    "disease disease-specific specific medical history comorbidity comorbidities and or of "
    "for to the related trial entry enrolment enrollment screening local systemic primary "
    "secondary clinical laboratory lab safety prior concomitant concurrent therapy therapies "
    "treatment treatments medication medications characteristics eligibility baseline "
    "exclusions inclusions general other additional also include includes"
)
_GROUP_WORD = re.compile(r"\b(?:cohorts?|groups?|arms?|sub-?stud(?:y|ies))\b", re.IGNORECASE)
_RESTRICTING_START = re.compile(r"^(?:for|if|when|among|only\s+for|only\s+in)\b", re.IGNORECASE)
_DETERMINER = re.compile(r"^(?:any|all|each|every|the|a|an|this|these|those)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W_][\w'/&+-]*")

_ROMAN_NUMERALS = "i ii iii iv v vi vii viii ix x xi xii xiii xiv xv"
_ROMAN = {token: value for value, token in enumerate(_ROMAN_NUMERALS.split(), start=1)}
_ROMAN_TOKEN = {value: token for token, value in _ROMAN.items()}
_STYLE_DEPTH = {"decimal": 0, "upper": 1, "lower": 2, "ROMAN": 3, "roman": 3}

_BULLET = re.compile(r"^(?:(?:\\-|[*\-–—])(?=\s|$)|[•●○◦▪■➢►➤✓·])\s*")
_NUMBERED = re.compile(
    r"^(?:\((?P<pn>\d{1,3})\)|(?P<n>\d{1,3})(?P<nf>\\?\.\)|\)\.|\\?\.|\)))(?=\s|$)\s*"
)
_LETTERED = re.compile(
    r"^(?:\((?P<pl>[a-zA-Z])\)|(?P<l>[a-zA-Z])(?P<lf>\.\)|\)\.|\.|\)))(?=\s|$)\s*"
)
_ROMANED = re.compile(
    r"^(?:\((?P<pr>[ivxIVX]{1,4})\)|(?P<r>[ivxIVX]{1,4})(?P<rf>\.\)|\)\.|\.|\)))(?=\s|$)\s*"
)
_CODED = re.compile(r"^(?P<prefix>[A-Za-z]{1,4})(?P<num>\d{1,3})\s*[:.)](?=\s|$)\s*")
_INLINE_MARKER = re.compile(
    r"(?:(?<=\s)|^)(?:\((?P<p>\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})\)"
    r"|(?P<t>\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})(?P<f>\\?\.\)|\)\.|\\?\.|\)))(?=\s)"
)
_INLINE_BULLET = re.compile(r"(?:(?<=\s)|^)(?P<b>[*•])\s")
_COLON_GAP = re.compile(r"[:：]\s+")


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Marker:
    """A list marker: its sequence family, form, position in the sequence and path label."""

    style: str  # "bullet", "decimal", "lower", "upper", "roman", "ROMAN", "code:<prefix>"
    form: str  # ".", ")", ").", ".)", "()", ":" or the bullet character
    value: int  # position in its sequence (0 for bullets)
    label: str  # path component ("3", "a", "iv", "SI01"); "" for bullets
    alt: _Marker | None = None  # the letter reading of "i", "v", "x"


@dataclass(frozen=True)
class _Section:
    """A recognised section heading."""

    kind: Kind | None  # None: a heading naming no section ("Eligibility criteria:")
    heading: str  # verbatim
    qualified: bool  # has words beyond the section's name ("Donor Inclusion Criteria:")
    nci: bool = False


@dataclass
class _Line:
    """One logical line: wrapped continuations joined, marker parsed."""

    indent: int
    text: str
    blank_before: bool
    marker: _Marker | None = None
    text_col: int = 0  # column where the text after the marker starts
    section: _Section | None = None  # set when the line is a section heading
    glued: bool = False  # a piece of a flattened line


@dataclass
class _Node:
    """An item, paragraph or heading in the tree of one record."""

    line: _Line
    text: str = ""  # the item's text: its line, and the paragraphs joined to it
    children: list[_Node] = field(default_factory=list)
    scope: str | None = None  # what the first child says of the sub-items (see `_scope`)
    group: bool = False  # a title heading the sections below it ("Cohort 1")

    def join(self, paragraph: str) -> None:
        """Add a paragraph that continues the item, with one space."""
        self.text = f"{self.text} {paragraph.strip()}".strip()

    @property
    def is_marker(self) -> bool:
        return self.line.marker is not None


@dataclass(frozen=True)
class _Inline:
    """A marker inside a flattened line."""

    start: int  # where the marker starts
    end: int  # where the item's text starts
    marker: _Marker


# ---------------------------------------------------------------------------- public


def segment(text: str) -> list[Segment]:
    """Split one record's eligibility text into its criteria, in order."""
    return _segmentation(text)[0]


def section_headings(text: str) -> list[str]:
    """The section headings `segment` recognised in `text` (left out of its segments)."""
    return _segmentation(text)[1]


def is_condition_heading(heading: str) -> bool:
    """Whether a heading restricts whom its items apply to (rule 6 of the module docstring)."""
    text = unicodedata.normalize("NFKC", heading).strip().strip(_EMPHASIS).strip("([)]")
    text = text.strip().rstrip(":：").strip()
    words = [word.lower() for word in _WORD.findall(text)]
    if not words or len(words) > _CONDITION_WORDS or words[-1] in _TOPIC_WORDS:
        return False
    if _LIST_WORDS.search(text) or _DETERMINER.match(text) or _has_main_verb(words):
        return False
    if _RESTRICTING_START.match(text):
        return True
    if words[0] == "in":
        return any(_POPULATION_WORD.match(word) for word in words[1:4])
    return _names_population(words) or _GROUP_WORD.search(text) is not None


def _names_population(words: list[str]) -> bool:
    """A population word among the first four, heading its phrase ("Female patients with")."""
    for position, word in enumerate(words[:4]):
        if not _POPULATION_WORD.match(word):
            continue
        before = words[position - 1] if position else ""
        after = words[position + 1] if position + 1 < len(words) else ""
        if before not in _ARTICLES and after not in _TOPIC_WORDS and after not in _VERBS:
            return True
    return False


def _has_main_verb(words: list[str]) -> bool:
    """A verb outside a relative clause: "... is defined as", not "Patients who are ..."."""
    for word in words:
        if word in _RELATIVES:
            return False
        if word in _VERBS:
            return True
    return False


def _segmentation(text: str) -> tuple[list[Segment], list[str]]:
    if not text or not text.strip():
        return [], []
    lines = _inline_split(_logical_lines(text))
    headings = [line.section.heading for line in lines if line.section is not None]
    return _flatten(_build_tree(lines), lines), headings


# ---------------------------------------------------------------------------- lines


def _logical_lines(text: str) -> list[_Line]:
    """Physical lines joined into logical lines, each with its marker parsed (rule 1)."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    physical = [row.rstrip() for row in raw.split("\n")]
    wrapped = _hard_wrapped(physical)
    parser = _MarkerParser(physical)
    lines: list[_Line] = []
    blank = True
    previous = ""
    for row in physical:
        stripped = row.strip()
        if not stripped:
            blank = True
            continue
        line = _new_line(stripped, len(row) - len(row.lstrip()), blank, parser)
        if lines and _continues(lines[-1], previous, line, wrapped):
            lines[-1].text = f"{lines[-1].text} {stripped}".lstrip()
        else:
            lines.append(line)
        blank = False
        previous = row
    return lines


def _hard_wrapped(physical: list[str]) -> bool:
    """True for the classic XML shape: short lines, most of them indented."""
    rows = [row for row in physical[1:] if row.strip()]
    if not rows or max(len(row) for row in physical) > _WRAP_MAX_LINE:
        return False
    indented = sum(1 for row in rows if len(row) - len(row.lstrip()) >= 4)
    return indented * 2 >= len(rows)


def _new_line(stripped: str, indent: int, blank: bool, parser: _MarkerParser) -> _Line:
    """One physical line, its marker (or section heading) recognised."""
    heading_mark = _MD_HEADING.match(stripped)
    if heading_mark:
        stripped = stripped[heading_mark.end() :] or stripped
    marker, rest, offset = parser.parse(stripped)
    line = _Line(indent, rest, blank, marker, indent + offset)
    if marker is None or marker.style == "bullet":
        section = _section_of(rest)
        if section is not None:
            line.marker, line.section = None, section
    return line


def _continues(last: _Line, previous: str, line: _Line, wrapped: bool) -> bool:
    """Whether a physical line (read as `line`) continues the logical line above it."""
    if last.marker is None and last.section is None and _NOTE_LABEL.match(last.text):
        return True  # a bare "Note:" line takes the paragraph below it
    if line.blank_before or last.section is not None:
        return False
    if last.marker is not None and not last.text and line.marker is None:
        return True  # a bullet on its own line, its text on the next
    starts_item = line.marker is not None or line.section is not None
    if wrapped:
        first_word = line.text.split()[0] if line.text and line.marker is None else "-"
        was_full = len(previous) + 1 + len(first_word) > _WRAP_WIDTH
        return was_full or not starts_item
    if starts_item or last.marker is None:
        return False
    return line.indent >= last.text_col and line.indent > last.indent


class _MarkerParser:
    """Recognises list markers at the start of a line, with record-level checks (rule 4)."""

    def __init__(self, physical: list[str]) -> None:
        self._codes = self._code_prefixes(physical)
        self._letters, self._romans = self._sequenced_starts(physical)

    @staticmethod
    def _code_prefixes(physical: list[str]) -> frozenset[str]:
        """Item-code prefixes ("SI" of "SI01:") used on at least two lines."""
        seen: dict[str, int] = {}
        for row in physical:
            match = _CODED.match(row.strip())
            if match:
                prefix = match.group("prefix")
                seen[prefix] = seen.get(prefix, 0) + 1
        return frozenset(prefix for prefix, count in seen.items() if count >= 2)

    @staticmethod
    def _sequenced_starts(physical: list[str]) -> tuple[frozenset[str], frozenset[str]]:
        """Letter and numeral markers ("b)", "ii.") whose sequence starts in the record."""
        letters: set[str] = set()
        romans: set[str] = set()
        for row in physical:
            stripped = _BULLET.sub("", row.strip(), count=1)
            match = _LETTERED.match(stripped)
            if match:
                letter = match.group("pl") or match.group("l") or ""
                form = match.group("lf") or "()"
                if letter in "aA" or f"{chr(ord(letter) - 1)}{form}" in letters:
                    letters.add(f"{letter}{form}")
            match = _ROMANED.match(stripped)
            if match:
                token = match.group("pr") or match.group("r") or ""
                form = match.group("rf") or "()"
                value = _ROMAN.get(token.lower(), 0)
                previous = _ROMAN_TOKEN.get(value - 1, "")
                previous = previous.upper() if token.isupper() else previous
                if value == 1 or (value and f"{previous}{form}" in romans):
                    romans.add(f"{token}{form}")
        return frozenset(letters), frozenset(romans)

    def parse(self, stripped: str) -> tuple[_Marker | None, str, int]:
        """(marker, text after it, offset of that text) for one stripped line."""
        marker, rest = self._one(stripped)
        if marker is None:
            return None, stripped, 0
        if marker.style == "bullet":
            inner, inner_rest = self._one(rest)
            if inner is not None and inner.style != "bullet":
                marker, rest = inner, inner_rest
        return marker, rest, len(stripped) - len(rest)

    def _one(self, stripped: str) -> tuple[_Marker | None, str]:
        if not stripped:
            return None, stripped
        first = stripped[0]
        if first.isalpha() and stripped[1:2] not in (".", ")") and first not in "ivxIVX":
            return self._code(stripped)
        match = _BULLET.match(stripped)
        if match:
            char = stripped[: match.end()].strip().lstrip("\\") or "-"
            return _Marker("bullet", char, 0, ""), stripped[match.end() :]
        match = _NUMBERED.match(stripped)
        if match:
            number = match.group("pn") or match.group("n") or "0"
            form = (match.group("nf") or "()").replace("\\", "")
            return _Marker("decimal", form, int(number), number), stripped[match.end() :]
        roman_match = _ROMANED.match(stripped)
        letter_match = _LETTERED.match(stripped)
        roman = self._roman(roman_match) if roman_match else None
        letter = self._letter(letter_match) if letter_match else None
        if roman is not None and roman_match is not None:
            both = _Marker(roman.style, roman.form, roman.value, roman.label, letter)
            return both, stripped[roman_match.end() :]
        if letter is not None and letter_match is not None:
            return letter, stripped[letter_match.end() :]
        return self._code(stripped)

    def _code(self, stripped: str) -> tuple[_Marker | None, str]:
        match = _CODED.match(stripped) if self._codes else None
        if match is None or match.group("prefix") not in self._codes:
            return None, stripped
        prefix = match.group("prefix")
        marker = _Marker(f"code:{prefix}", ":", int(match.group("num")), prefix + match["num"])
        return marker, stripped[match.end() :]

    def _letter(self, match: re.Match[str]) -> _Marker | None:
        letter = match.group("pl") or match.group("l") or ""
        form = match.group("lf") or "()"
        if f"{letter}{form}" not in self._letters:
            return None
        style = "lower" if letter.islower() else "upper"
        return _Marker(style, form, ord(letter.lower()) - ord("a") + 1, letter)

    def _roman(self, match: re.Match[str]) -> _Marker | None:
        token = match.group("pr") or match.group("r") or ""
        form = match.group("rf") or "()"
        value = _ROMAN.get(token.lower())
        if value is None or f"{token}{form}" not in self._romans:
            return None
        if token not in (token.lower(), token.upper()):
            return None
        return _Marker("roman" if token.islower() else "ROMAN", form, value, token)


# ---------------------------------------------------------------------------- headings


def _section_of(text: str) -> _Section | None:
    """The section heading that is the whole of `text`, if it is one."""
    section, rest = _section_prefix(text)
    return section if section is not None and not rest else None


def _section_prefix(text: str) -> tuple[_Section | None, str]:
    """A section heading at the start of `text`, and the text after it (rule 2)."""
    if _SECTION_HINT.search(text.lower()) is None:
        return None, text
    stripped = text.strip()
    core = stripped.strip(_EMPHASIS)
    if core != stripped and (bold := _section_of(core)) is not None:
        return _Section(bold.kind, stripped, bold.qualified, bold.nci), ""
    if _NCI_HEADING.match(stripped):
        return _Section("inclusion", stripped, qualified=True, nci=True), ""
    tail = _section_tail(stripped)
    match = _SECTION_LINE.match(stripped)
    if match is None or not _plausible_prefix(match.group("pre")):
        return (tail, "") if tail is not None else (None, text)
    rest = stripped[match.end() :].strip()
    end = match.start("sep") if match.group("sep").strip() in ("-", "–") else match.end()
    qualified = _has_qualifier(match.group("pre")) or bool(match.group("qual"))
    section = _Section(_section_kind(match.group("words")), stripped[:end].strip(), qualified)
    if section.kind is None and not rest and tail is not None:
        return tail, ""
    return section, rest


def _section_tail(stripped: str) -> _Section | None:
    """A line ending with "Inclusion criteria" after words that qualify it."""
    tail = _SECTION_TAIL.match(stripped)
    if tail is None or len(stripped) > 200:
        return None
    words = {word.lower() for word in tail.group("pre").split()}
    if words & _TAIL_STOP or _LIST_WORDS.search(tail.group("pre")):
        return None
    return _Section(_section_kind(tail.group("words")), stripped, qualified=True)


def _plausible_prefix(prefix: str) -> bool:
    """Words before "inclusion criteria" that keep it a heading ("Key", "Donor", "List of")."""
    words = prefix.lower().split()
    return words == ["list", "of"] or not any(word in _PREFIX_STOP for word in words)


def _has_qualifier(prefix: str) -> bool:
    """Whether the words before the section's name say more than "Key" or "Other"."""
    return any(word not in _GENERIC_QUALIFIERS for word in prefix.lower().split())


def _section_kind(words: str) -> Kind | None:
    lowered = words.lower()
    exclusion = "exclusion" in lowered or re.search(r"non[- ]?inclusion", lowered) is not None
    inclusion = re.search(r"(?<!non)(?<!non-)(?<!non )inclusion", lowered) is not None
    if exclusion != inclusion:
        return "exclusion" if exclusion else "inclusion"
    return None


def _qualifier_text(heading: str) -> str:
    """The words of a qualified section heading other than the section's name."""
    text = re.sub(rf"\b{_SECTION_NAME}(?:\s+criteri(?:a|on|as))?", " ", heading, flags=re.I)
    words = [word for word in text.split() if word.lower() not in _GENERIC_QUALIFIERS]
    return " ".join(words).strip(" :：-[]")


def _is_colon_heading(text: str) -> bool:
    """Text ending with ":" (also inside bold markup: "**Cohort A:**")."""
    return text.rstrip(_EMPHASIS).endswith((":", "："))


def _is_title_heading(text: str) -> bool:
    """A short heading ending with ":" ("Specific medical conditions:", "Prior:")."""
    return _is_colon_heading(text) and len(text.split()) <= _TITLE_WORDS


def _is_lead_in(text: str) -> bool:
    """Text announcing a list without a colon ("... one of the following symptoms")."""
    lowered = text.lower()
    if "follow" not in lowered and "below" not in lowered:
        return False
    return _LEAD_IN.search(text) is not None


def _introduces(text: str) -> bool:
    return _is_colon_heading(text) or _is_lead_in(text)


def _title_like(text: str) -> bool:
    """A short line without sentence punctuation: "Age", "Cohort 1", "Medical Conditions"."""
    words = text.split()
    if not 1 <= len(words) <= _TITLE_WORDS or text.rstrip().endswith((".", ";", ",")):
        return False
    return text[:1].isupper() or text[:1].isdigit()


# ---------------------------------------------------------------------------- inline


def _inline_split(lines: list[_Line]) -> list[_Line]:
    """Split flattened lines at glued headings, inline bullets and inline numbering."""
    result: list[_Line] = []
    for position, line in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else None
        for piece in _split_headings(line):
            for bulleted in _split_bullets(piece):
                result.extend(_split_numbering(bulleted, following))
    return result


def _split_headings(line: _Line) -> list[_Line]:
    """Section headings glued to the start of a line, or standing inside it."""
    if line.section is not None:
        return [line]
    pieces: list[_Line] = []
    while line.marker is None:
        section, rest = _section_prefix(line.text)
        if section is None or not rest:
            break
        pieces.append(_Line(line.indent, section.heading, line.blank_before, section=section))
        line = _glued(line, rest)
    text = line.text
    if _SECTION_HINT.search(text.lower()) is None:
        return [*pieces, line]
    start = 0
    for cut in _MIDLINE_SECTION.finditer(text):
        before = text[start : cut.start()].strip()
        if before:
            pieces.append(_with_text(line, before) if start == 0 else _glued(line, before))
        heading = cut.group(0).strip()
        section = _section_of(heading) or _Section(_section_kind(heading), heading, True)
        pieces.append(_Line(line.indent, heading, False, section=section, glued=True))
        start = cut.end()
    if start == 0:
        return [*pieces, line]
    after = text[start:].strip()
    if after:
        pieces.append(_glued(line, after))
    return pieces


def _glued(line: _Line, text: str) -> _Line:
    """A piece of a flattened line, as a line of its own with its own marker."""
    marker, rest, offset = _MarkerParser([text]).parse(text)
    return _Line(line.indent, rest, False, marker, line.indent + offset, glued=True)


def _with_text(line: _Line, text: str) -> _Line:
    return _Line(line.indent, text, line.blank_before, line.marker, line.text_col, None, line.glued)


def _split_bullets(line: _Line) -> list[_Line]:
    """A flattened "* a * b * c": one item per bullet."""
    if line.section is not None or (line.marker is not None and line.marker.style != "bullet"):
        return [line]
    if "*" not in line.text and "•" not in line.text:
        return [line]
    full = line.text if line.marker is None else f"{line.marker.form} {line.text}"
    matches = list(_INLINE_BULLET.finditer(full))
    if len(matches) < 2 or len({m.group("b") for m in matches}) != 1:
        return [line]
    if line.marker is None and not line.glued:
        return [line]
    pieces: list[_Line] = []
    head = full[: matches[0].start()].strip()
    if head:
        pieces.append(_Line(line.indent, head, line.blank_before, glued=True))
    indent = line.indent + 2 if head else line.indent
    for position, match in enumerate(matches):
        end = matches[position + 1].start() if position + 1 < len(matches) else len(full)
        marker = _Marker("bullet", match.group("b"), 0, "")
        blank = line.blank_before and position == 0 and not head
        body = full[match.end() : end].strip()
        pieces.append(_Line(indent, body, blank, marker, indent + 2, glued=True))
    return pieces


def _split_numbering(line: _Line, following: _Line | None) -> list[_Line]:
    """Inline numbering running in sequence: from the line's start, or after a ":".

    An item's own number continues inline ("8. ... 9. ...") only when the next line does not
    carry the next number: "1. Consent form version 2. signed" above "2. Age" stays whole.
    """
    if line.section is not None:
        return [line]
    own = line.marker
    if own is not None and own.style != "bullet" and not _next_in_sequence(own, following):
        prefix = f"({own.label})" if own.form == "()" else f"{own.label}{own.form}"
        full = f"{prefix} {line.text}"
        chain = _chain_from(full, 0, any_start=True)
        if chain:
            return _chain_lines(line, full, chain)
    chain = _chain_from(line.text, 0)
    if chain:
        return _chain_lines(line, line.text, chain)
    for gap in _COLON_GAP.finditer(line.text):
        chain = _chain_from(line.text, gap.end())
        if chain:
            return _chain_lines(line, line.text, chain)
    return [line]


def _next_in_sequence(marker: _Marker, following: _Line | None) -> bool:
    other = following.marker if following is not None else None
    if other is None:
        return False
    same = (other.style, other.form) == (marker.style, marker.form)
    return same and other.value == marker.value + 1


def _chain_from(text: str, start: int, any_start: bool = False) -> list[_Inline]:
    """Markers numbering in sequence (1, 2, 3; a, b, c; i, ii, iii) from exactly `start`.

    The sequence starts at its first value unless `any_start` ("8. ... 9. ..." after item 7).
    """
    if _INLINE_MARKER.match(text, start) is None or _INLINE_MARKER.search(text, start + 1) is None:
        return []
    candidates = _inline_markers(text, start)
    for first in candidates:
        if first.start != start or (first.marker.value != 1 and not any_start):
            continue
        chain = [first]
        for candidate in candidates:
            if candidate.start >= chain[-1].end and _continues_chain(chain[-1], candidate):
                chain.append(candidate)
        if len(chain) >= 2:
            return chain
    return []


def _continues_chain(last: _Inline, candidate: _Inline) -> bool:
    same = (candidate.marker.style, candidate.marker.form) == (last.marker.style, last.marker.form)
    step = candidate.marker.value - last.marker.value
    return same and (step == 1 or (step == 2 and ")" in candidate.marker.form))


def _inline_markers(text: str, start: int) -> list[_Inline]:
    """Every marker of `text` from `start`, with each sequence reading of its token."""
    found: list[_Inline] = []
    for match in _INLINE_MARKER.finditer(text, start):
        token = match.group("p") or match.group("t") or ""
        form = "()" if match.group("p") else (match.group("f") or "").replace("\\", "")
        end = match.end()
        while end < len(text) and text[end].isspace():
            end += 1
        found.extend(_Inline(match.start(), end, marker) for marker in _readings(token, form))
    return found


def _readings(token: str, form: str) -> list[_Marker]:
    """The sequence readings of a marker token ("i" is a numeral and a letter)."""
    if token.isdigit():
        return [_Marker("decimal", form, int(token), token)]
    readings: list[_Marker] = []
    lowered = token.lower()
    if lowered in _ROMAN and token in (lowered, token.upper()):
        readings.append(
            _Marker("roman" if token.islower() else "ROMAN", form, _ROMAN[lowered], token)
        )
    if len(token) == 1:
        style = "lower" if token.islower() else "upper"
        readings.append(_Marker(style, form, ord(lowered) - ord("a") + 1, token))
    return readings


def _chain_lines(line: _Line, text: str, chain: list[_Inline]) -> list[_Line]:
    """Lines for the lead-in of an inline chain (if any) and each of its items."""
    pieces: list[_Line] = []
    head = text[: chain[0].start].strip()
    if head:
        pieces.append(_with_text(line, head))
    indent = line.indent + 2 if head else line.indent
    for position, item in enumerate(chain):
        end = chain[position + 1].start if position + 1 < len(chain) else len(text)
        blank = line.blank_before and position == 0 and not head
        body = text[item.end : end].strip()
        pieces.append(_Line(indent, body, blank, item.marker, indent + 2, glued=True))
    return pieces


# ---------------------------------------------------------------------------- tree


def _build_tree(lines: list[_Line]) -> _Node:
    """Nest the lines: items under the items and headings that introduce them (rules 4, 5)."""
    root = _Node(_Line(-10, "", True), "")
    stack: list[_Node] = [root]
    since_section: int | None = None  # lines since the last section heading (None: none yet)
    current: _Section | None = None
    for position, line in enumerate(lines):
        if line.section is not None:
            if _may_follow_group(current, line.section, since_section, position):
                _promote_group(stack, root, lines[position - 1], first=since_section is None)
            del stack[1:]
            root.children.append(_Node(line, line.text.strip()))
            since_section, current = 0, line.section
            continue
        if since_section is not None:
            since_section += 1
        following = lines[position + 1] if position + 1 < len(lines) else None
        level = _level(line, following)
        if level == line.indent and _attach_continuation(stack, line):
            continue
        line.indent = level
        _pop_to_parent(stack, line)
        parent = stack[-1]
        if parent.scope is None and parent is not root:
            parent.scope = _scope(parent, line)
        node = _Node(line, line.text.strip())
        parent.children.append(node)
        stack.append(node)
    return root


def _scope(parent: _Node, child: _Line) -> str:
    """What the first child says of a heading's sub-items: "list" or "plain" items under a
    line without a marker; "nested" (indented) or "flat" items under a list item."""
    if parent.is_marker:
        return "nested" if child.indent >= parent.line.indent + 2 else "flat"
    return "list" if child.marker is not None else "plain"


def _level(line: _Line, following: _Line | None) -> int:
    """The line's indentation, except a title directly above a shallower item takes its level."""
    if (
        line.marker is None
        and following is not None
        and following.marker is not None
        and following.indent < line.indent
        and _title_like(line.text)
    ):
        return following.indent
    return line.indent


def _attach_continuation(stack: list[_Node], line: _Line) -> bool:
    """Join a paragraph indented under a list item to it, unless the item introduces it."""
    if line.marker is not None or line.glued:
        return False
    for node in reversed(stack[1:]):
        if not node.is_marker:
            continue
        if line.indent < node.line.indent + 2 or _heading_capable(node) or node.children:
            return False
        node.join(line.text)
        return True
    return False


def _pop_to_parent(stack: list[_Node], line: _Line) -> None:
    """Pop the stack until its top takes `line` as a child."""
    if line.marker is not None:
        sibling = _sequence_sibling(stack, line.marker, line.indent)
        if sibling is not None:
            del stack[sibling:]
            return
    while len(stack) > 1 and not _accepts(stack[-1], line):
        stack.pop()


def _sequence_sibling(stack: list[_Node], marker: _Marker, indent: int) -> int | None:
    """Stack position of the open item this marker continues ("11." after "10.").

    When it continues two open lists ("5." after sub-item "4." of item "4."), the one
    indented like it wins; at equal distance, the innermost.
    """
    if marker.style == "bullet":
        return None
    readings = [marker] if marker.alt is None else [marker, marker.alt]
    found: list[int] = []
    for position in range(len(stack) - 1, 0, -1):
        other = stack[position].line.marker
        if other is None or other.style == "bullet":
            continue
        for reading in readings:
            same = (other.style, other.form) == (reading.style, reading.form)
            if same and reading.value == other.value + 1:
                found.append(position)
                break
    if not found:
        return None
    return min(found, key=lambda position: abs(stack[position].line.indent - indent))


def _accepts(node: _Node, line: _Line) -> bool:
    """Whether `line` nests under `node`."""
    if node.is_marker:
        return _marker_accepts(node, line)
    return _plain_accepts(node, line)


def _marker_accepts(node: _Node, line: _Line) -> bool:
    own = node.line.marker
    assert own is not None
    deeper = line.indent >= node.line.indent + 2
    if line.marker is None:
        return deeper and _heading_capable(node)
    if deeper:
        return True
    if abs(line.indent - node.line.indent) >= 2:
        return False
    if line.marker.style == own.style:
        if node.scope not in (None, "flat"):
            return False
        # items published flat under a short heading item: "- Specific medical conditions:"
        if _is_title_heading(node.text) and not _is_title_heading(line.text):
            return True
        # a list numbered afresh under an item that introduces it: "2. Leukemia:" then "1. ..."
        return line.marker.value == 1 and own.value != 0 and _introduces(node.text)
    return _heading_capable(node) or _sub_style(own, line.marker)


def _sub_style(parent: _Marker, child: _Marker) -> bool:
    """A letter list under a number, a numeral list under a letter, from its first value."""
    if parent.style not in _STYLE_DEPTH or child.style not in _STYLE_DEPTH or child.value != 1:
        return False
    return _STYLE_DEPTH[child.style] > _STYLE_DEPTH[parent.style]


def _plain_accepts(node: _Node, line: _Line) -> bool:
    """Whether `line` nests under a line without a marker (a heading, if it is one)."""
    if not _heading_capable(node):
        return False
    own, indent = node.line.indent, line.indent
    if node.scope == "list":  # plain lines only below its items: a line of their level ends it
        items = node.children[0].line.indent if node.children else own
        return (line.marker is not None and indent >= own - 1) or indent >= max(own, items) + 2
    if node.scope == "plain":
        return indent >= own - 1 and not _is_colon_heading(line.text)
    if _introduces(node.text):
        return indent >= own - 1
    # a title ("Age", "Group 1"): list items below it, or at its level if it stands alone
    if line.marker is None:
        return False
    return indent >= own + 2 or (indent >= own - 1 and node.line.blank_before)


def _heading_capable(node: _Node) -> bool:
    """Whether the node would be a heading if it had sub-items (rule 5)."""
    text = node.text
    return _introduces(text) or (not node.is_marker and _title_like(text))


def _may_follow_group(
    current: _Section | None, following: _Section, since: int | None, position: int
) -> bool:
    """Whether the line just before section heading `following` may head a group of sections.

    Only the record's first line, or a line after the items of an exclusion section, and
    never before an exclusion heading: a title at the end of an inclusion list ("If female,
    using birth control") or the only inclusion before "Exclusion Criteria:" stays an item.
    """
    if following.kind == "exclusion":
        return False
    if since is None:
        return position == 1
    return since >= 2 and current is not None and current.kind == "exclusion"


def _promote_group(stack: list[_Node], root: _Node, previous: _Line | None, first: bool) -> None:
    """Make a title alone above a section heading the heading of the sections below it.

    At the start of the record a title or a line ending with ":" qualifies; between sections
    only one that is a condition heading ("Cohort 2", "Patients with T1D") or ends with ":".
    """
    last = stack[-1]
    if previous is None or last.line is not previous or last.children or last.is_marker:
        return
    text = last.text
    if not last.line.blank_before or not (_title_like(text) or _is_colon_heading(text)):
        return
    if not first and not (is_condition_heading(text) or _is_colon_heading(text)):
        return
    stack[-2].children.remove(last)
    last.group = True
    root.children.append(last)


# ---------------------------------------------------------------------------- flatten


@dataclass
class _Item:
    """A segment before its kind is resolved."""

    kind: Kind | None
    after_section: bool  # an inclusion/exclusion heading came before it
    text: str
    context: list[str]
    condition: list[str]
    path: str
    condition_uncertain: bool = False


@dataclass
class _State:
    """What applies to the items being emitted."""

    kind: Kind | None = None
    seen_section: bool = False
    section_context: list[str] = field(default_factory=list)
    section_condition: list[str] = field(default_factory=list)
    group: _Node | None = None
    group_used: bool = False


def _flatten(root: _Node, lines: list[_Line]) -> list[Segment]:
    """The segments of the tree, in order (rules 3, 5, 6, 7)."""
    state = _State()
    items: list[_Item] = []
    parallel = _beside_population_headings(root.children)
    for node in root.children:
        if node.line.section is not None:
            _enter_section(state, node.line.section)
        elif node.group:
            _close_group(state, items)
            state.group, state.group_used = node, False
        else:
            context, condition = _group_headings(state)
            before = len(items)
            _emit(node, state, context, condition, [], items, parallel=id(node) in parallel)
            state.group_used = state.group_used or len(items) > before
    _close_group(state, items)
    has_exclusion = any(
        line.section is not None and line.section.kind == "exclusion" for line in lines
    )
    return [_segment_of(item, has_exclusion) for item in items]


def _segment_of(item: _Item, has_exclusion: bool) -> Segment:
    kind: Kind
    if item.kind is not None:
        kind = item.kind
    elif has_exclusion and not item.after_section:
        kind = "inclusion"
    else:
        kind = "unclassified"
    context = " / ".join(item.context) or None
    condition = " / ".join(item.condition) or None
    return Segment(kind, item.text, context, condition, item.path, item.condition_uncertain)


def _group_headings(state: _State) -> tuple[list[str], list[str]]:
    """The context and condition every item gets from its group and its section heading."""
    context, condition = list(state.section_context), list(state.section_condition)
    if state.group is not None:
        target = condition if is_condition_heading(state.group.text) else context
        target.insert(0, state.group.text)
    return context, condition


def _close_group(state: _State, items: list[_Item]) -> None:
    """A group title that headed no item is an item itself: no text is lost."""
    if state.group is not None and not state.group_used:
        items.append(_Item(state.kind, state.seen_section, state.group.text, [], [], ""))
    state.group = None


def _enter_section(state: _State, section: _Section) -> None:
    if section.kind is not None:
        state.seen_section = True
    state.kind = section.kind
    state.section_context, state.section_condition = [], []
    if section.nci:
        state.section_context.append(section.heading)
    elif section.qualified:
        if _qualifier_is_condition(_qualifier_text(section.heading)):
            state.section_condition.append(section.heading)
        else:
            state.section_context.append(section.heading)


def _qualifier_is_condition(qualifier: str) -> bool:
    """Whether the extra words of a section heading restrict whom it applies to.

    "Donor", "for healthy participants", "(ARDS cohort)", "for Stage 1", "for participation
    in R4" do; "for medical history and comorbidities", "Disease specific" name a topic.
    """
    words = qualifier.split()
    while words and words[0].lower() in ("for", "in", "the", "all"):
        words = words[1:]
    rest = " ".join(words)
    if not rest:
        return False
    if is_condition_heading(rest) or _APPLICABILITY.search(rest) is not None:
        return True
    # "MCI Inclusion Criteria:", "Parkinson's Disease exclusion criteria": words that name
    # neither a topic nor the whole trial name whom the section is for
    return any(word not in _TOPIC_QUALIFIERS for word in _WORD.findall(rest.lower()))


def _emit(
    node: _Node,
    state: _State,
    context: list[str],
    condition: list[str],
    path: list[str],
    items: list[_Item],
    uncertain: bool = False,
    parallel: bool = False,
) -> None:
    """Emit a node: an item, or a heading whose text goes to its sub-items. `parallel`: the
    node stands beside a heading of a population (`_beside_population_headings`)."""
    marker = node.line.marker
    own_path = [*path, marker.label] if marker is not None and marker.label else path
    text = node.text
    if node.children and _heading_capable(node):
        if is_condition_heading(text) or (parallel and _short_label(text)):
            condition = [*condition, text]
            uncertain = uncertain or _interrupts_a_list(node)
        else:
            context = [*context, text]
    elif text:
        items.append(
            _Item(
                state.kind,
                state.seen_section,
                text,
                context,
                condition,
                ".".join(own_path),
                uncertain and bool(condition),
            )
        )
    parallel_children = _beside_population_headings(node.children)
    for child in node.children:
        _emit(
            child,
            state,
            context,
            condition,
            own_path,
            items,
            uncertain,
            parallel=id(child) in parallel_children,
        )


def _beside_population_headings(nodes: list[_Node]) -> set[int]:
    """The headings (by id) of a run of sibling nodes, within one section, that stand beside
    a heading of a population: "AYA:" beside "Caregiver:" names a population too, whose
    items bind only its members, though the word alone does not say so."""
    found: set[int] = set()
    run: list[_Node] = []
    for node in [*nodes, None]:
        if node is not None and node.line.section is None and not node.group:
            run.append(node)
            continue
        headings = [n for n in run if n.children and _heading_capable(n)]
        if any(is_condition_heading(n.text) for n in headings):
            found.update(id(n) for n in headings)
        run = []
    return found


# a heading of the items that apply to everyone ("General:", "All participants:")
_EVERYONE = _words("general all common overall everyone both any")


def _short_label(text: str) -> bool:
    """A title of at most three words, not one for everyone: "AYA:", "Group B", "Healthy
    volunteers:"."""
    words = [word.lower() for word in _WORD.findall(text)]
    return 0 < len(words) <= 3 and not _EVERYONE & set(words) and not _LIST_WORDS.search(text)


def _interrupts_a_list(heading: _Node) -> bool:
    """Whether a title line stands inside a numbered list that runs on under it.

    "   Female participants:" between items 6 and 7 takes the level of 7 (rule 5), so the
    items after it are its sub-items; but the list began before the title, and nothing
    in the text says where the title's reach ends ("8. The participant provides written
    informed consent"). Such a restriction may end before any of its items.
    """
    if heading.line.marker is not None or len(heading.children) < 2:
        return False
    first = heading.children[0].line.marker
    return first is not None and first.style != "bullet" and first.value > 1
