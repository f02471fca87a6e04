"""Headings defined by the labs after them: 'Adequate renal function (CrCl ≥ 60 mL/min)'.

A heading names an organ's function, with or without a verdict ("adequate",
"impaired"), and a definition follows it: after ':', inside a closing '( )', or
after "defined as", "as shown by", "as evidenced by the following:". The heading
adds nothing to its definition; the definition is the criterion. A heading with
any other word ("within 14 days", "for patients with", "any of the following")
is not recognised here, so the text stays review.

"Uncontrolled hypertension (systolic ≥ 160 mmHg or diastolic ≥ 100 mmHg)" (also poorly,
inadequately or not well controlled hypertension or blood pressure) is a heading of its own:
its definition must be blood pressures above thresholds only, and read the same in an
inclusion and an exclusion (structure.py), and it is then the criterion.

An impairment named by a noun ("severe renal impairment", "hepatic dysfunction",
"moderate or severe renal insufficiency") is a heading with the verdict "impaired"; its
severity is what the definition says ("Severe renal impairment (CrCl < 30 mL/min)").

A verdict must agree with the side of every threshold ("adequate": platelets
above, bilirubin below; "impaired": the reverse): a definition that disagrees
("inadequate marrow function: must have ANC ≥ 1500") is not read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Token

from screener import rules as r

_ORGAN = (
    r"(?:bone\s+marrow|marrow|ha?ematolog(?:ic|ical|y)|ha?ematopoietic|hepatic|liver|renal"
    r"|kidney|(?:end[-\s]?)?organ|coagulation|cardiac)"
)
_ORGAN_LINK = r"\s*(?:,\s*and|,|/|and|&)\s*"
_GOOD = r"adequate|normal|sufficient|acceptable|satisfactory|good|preserved"
_BAD = r"impaired|inadequate|abnormal|insufficient|poor|reduced|decreased|compromised"
_INTRO_WORDS = (
    r"(?:as\s+)?(?:defined|shown|evidenced|demonstrated|indicated|determined|measured)\s+(?:as|by)"
    r"(?:\s+the\s+following(?:\s+(?:laboratory\s+|lab\s+)?"
    r"(?:values|criteria|criterion|parameters|tests|results))?)?(?![\w-])\s*:?"
)
# "severe renal impairment", "moderate or severe hepatic dysfunction": an impaired function
# named by a noun, its severity given by the definition after it
_SEVERITY = (
    r"(?:(?:mild|moderate|severe|significant|clinically\s+significant)"
    r"(?:\s*(?:or|and/or|to|-to-|-)\s*(?:moderate|severe))?\s+)"
)
_DYSFUNCTION = r"impairment|insufficiency|dysfunction"
_HEADING = re.compile(
    rf"(?:(?:(?P<verdict>{_GOOD}|{_BAD})\s+)?"
    rf"(?:{_ORGAN}(?:\s+functions?)?{_ORGAN_LINK})*{_ORGAN}\s+functions?"
    rf"|{_SEVERITY}?(?:{_ORGAN}{_ORGAN_LINK})*{_ORGAN}\s+(?P<noun>{_DYSFUNCTION}))(?![\w-])"
    rf"\s*,?\s*(?:(?P<colon>:)|(?P<paren>\()\s*(?:i\.\s?e\.?\s*,?\s*|{_INTRO_WORDS}\s*)?"
    rf"|{_INTRO_WORDS})",
    re.IGNORECASE,
)
_GOOD_WORDS = frozenset(_GOOD.split("|"))
# "Uncontrolled hypertension (systolic ≥ 160 mmHg or diastolic ≥ 100 mmHg)": a heading of high
# blood pressure, defined by pressures above thresholds only (verdict "high pressure").
_PRESSURE_HEADING = re.compile(
    r"(?:uncontroll?(?:ed|able)|poorly\s+controlled|inadequately\s+controlled"
    r"|not\s+(?:well\s+|adequately\s+)?controlled)\s+(?:arterial\s+|systemic\s+)?"
    r"(?:hypertension|blood\s+pressures?)(?:\s*\(\s*HTN\s*\))?"
    rf"\s*,?\s*(?:(?P<colon>:)|(?P<paren>\()\s*(?:i\.\s?e\.?\s*,?\s*|{_INTRO_WORDS}\s*)?"
    rf"|{_INTRO_WORDS})",
    re.IGNORECASE,
)
_PRESSURE_HEADING_TYPES = frozenset(
    {
        "WORD",
        "AND",
        "COMMA",
        "COLON",
        "LPAR",
        "RPAR",
        "QUALIFIER",
        "CONCEPT",
        "NOT",
        "BLOOD_PRESSURE",
    }
)
HIGH_PRESSURE = "high pressure"
_PRESSURES = frozenset({"systolic_bp", "diastolic_bp"})

# The side of a threshold that an adequate organ function lies on, per analyte.
_ADEQUATE_ABOVE = frozenset(
    {"hemoglobin", "platelets", "wbc", "anc", "alc", "albumin", "egfr",
     "creatinine_clearance", "pta", "lvef"}
)  # fmt: skip
_ADEQUATE_BELOW = frozenset(
    {"total_bilirubin", "direct_bilirubin", "creatinine", "inr", "prothrombin_time", "alt",
     "ast", "alp", "ggt", "bun", "urea", "ammonia", "ldh"}
)  # fmt: skip
_HEADING_TYPES = {"WORD", "ORGAN", "AND", "COMMA", "SLASH", "COLON", "LPAR"}
# a severity before an impairment named by a noun ("moderate or severe", "significant")
_NOUN_HEADING_TYPES = frozenset({*_HEADING_TYPES, "QUALIFIER", "OR", "ANDOR", "DASH", "TO"})
_LOWER_BOUNDS = {r.Op.GE, r.Op.GT, r.Op.OVER}
_UPPER_BOUNDS = {r.Op.LE, r.Op.LT, r.Op.UNDER}


@dataclass(frozen=True)
class Defined:
    """A recognised heading: its verdict ("adequate", "impaired" or "") and definition."""

    verdict: str
    definition: list[Token]


def defined_heading(tokens: list[Token], text: str) -> Defined | None:
    """The heading's verdict and definition when the tokens open with such a heading."""
    if not tokens:
        return None
    start = tokens[0].start_pos or 0
    match = _HEADING.match(text, start)
    allowed: frozenset[str] | set[str] = _HEADING_TYPES
    pressure = match is None and (match := _PRESSURE_HEADING.match(text, start)) is not None
    if match is None:
        return None
    if pressure:
        allowed = _PRESSURE_HEADING_TYPES
    elif match.group("noun"):
        allowed = _NOUN_HEADING_TYPES
    end = match.end()
    if any((t.start_pos or 0) < end and t.type not in allowed for t in tokens):
        return None  # a phrase of the lexicon runs across the heading's end
    if pressure and (tokens[-1].start_pos or 0) < end:
        return None
    definition = [t for t in tokens if (t.start_pos or 0) >= end]
    if match.group("paren"):
        definition = _closed(definition)
    if not definition or definition[0].type in ("EG", "INCLUDING"):
        return None
    if pressure:
        return Defined(HIGH_PRESSURE, definition)
    verdict = (match.group("verdict") or "").lower()
    if match.group("noun"):
        verdict = "impaired"
    elif verdict:
        verdict = "adequate" if verdict in _GOOD_WORDS else "impaired"
    return Defined(verdict, definition)


def _closed(tokens: list[Token]) -> list[Token]:
    """The tokens before the ')' closing an opened '(' when it ends the span, else none."""
    depth = 1
    for index, token in enumerate(tokens):
        depth += (token.type == "LPAR") - (token.type == "RPAR")
        if depth == 0:
            return tokens[:index] if index == len(tokens) - 1 else []
    return []


def states(rule: r.Rule, verdict: str) -> bool:
    """Whether a rule is lab thresholds (and review leaves) on the verdict's side."""
    if isinstance(rule, r.AllOf | r.AnyOf | r.Readings):
        return all(states(item, verdict) for item in rule.items)
    if isinstance(rule, r.Review):
        return True
    if not isinstance(rule, r.Compare | r.Between) or not isinstance(rule.subject, r.Lab):
        return False
    if not verdict:
        return True
    analyte = rule.subject.analyte
    if verdict == HIGH_PRESSURE:  # pressures above thresholds, nothing else
        return isinstance(rule, r.Compare) and analyte in _PRESSURES and rule.op in _LOWER_BOUNDS
    if isinstance(rule, r.Between):
        return analyte in _ADEQUATE_ABOVE | _ADEQUATE_BELOW
    above = rule.op in _LOWER_BOUNDS
    below = rule.op in _UPPER_BOUNDS
    adequate = (above and analyte in _ADEQUATE_ABOVE) or (below and analyte in _ADEQUATE_BELOW)
    impaired = (below and analyte in _ADEQUATE_ABOVE) or (above and analyte in _ADEQUATE_BELOW)
    return adequate if verdict == "adequate" else impaired
