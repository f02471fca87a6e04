"""The class of a criterion: clinical, judgement or administrative."""

from __future__ import annotations

import re

from screener.compiler.lexicon import CONSENT_ACT, CONSENT_MOMENT, ESTIMATE_PHRASES
from screener.results import CriterionClass

_ADMINISTRATIVE = re.compile(
    r"\b(?:informed consent|consent form|consent|willing(?:ness)?|unwilling|agrees?|agreement"
    r"|comply|compliance|cooperate|sign(?:ed|s)?\b|voluntar(?:y|ily)|contracepti(?:on|ve)"
    r"|able to communicate|complete the study|follow-up schedule|follow up schedule"
    r"|understand)",
    re.IGNORECASE,
)
_JUDGEMENT = re.compile(
    r"\b(?:investigators?|researchers?|physician|doctor|in the opinion|judge?ment|considered"
    r"|deemed|inappropriate|unsuitable|not suitable|ethics|ethical|adherence|confounding"
    r"|bias|foreseeable|disputes?|medical errors?)\b",
    re.IGNORECASE,
)


# Consent as the moment a value is meant for ("age ≥ 18 at the time of signing informed
# consent") names a date, not an administrative step.
_CONSENT_MOMENT = re.compile(
    r"\b(?:at the time of|at time of|prior to|before|of)\s+(?:the\s+)?(?:signing|signature)"
    r"\s+(?:of\s+)?(?:the\s+)?(?:written\s+)?(?:informed consent|icf)(?:\s+form)?"
    r"(?:\s*\(icf\))?",
    re.IGNORECASE,
)


# "at the time of obtaining informed consent", "prior to signing the ICF": the moment of
# consent that the tokenizer reads as the moment of screening (lexicon.CONSENT_MOMENT) or
# counts a window back from (lexicon.CONSENT_ACT)
_CONSENT_DATE = re.compile(
    rf"\b(?:{CONSENT_MOMENT.pattern}|(?:prior\s+to|before|of)\s+(?:{CONSENT_ACT.pattern}))",
    re.IGNORECASE,
)


# Who estimates a life expectancy ("life expectancy > 12 weeks as determined by the
# investigator"): an investigator always does, so the phrase after a life expectancy is no
# judgement of its own (lexicon.ESTIMATE_PHRASES; the grammar reads it there only).
_LIFE_EXPECTANCY = re.compile(
    r"\b(?:life[- ]expectancy|survival|expected to survive)\b", re.IGNORECASE
)
_ESTIMATE = re.compile(
    "|".join(
        r"\s+".join(re.escape(word) for word in phrase.split())
        for phrase in sorted(ESTIMATE_PHRASES, key=len, reverse=True)
    ),
    re.IGNORECASE,
)


def _without_estimator(text: str) -> str:
    """The text with who estimates a life expectancy left out, after a life expectancy."""
    found = _LIFE_EXPECTANCY.search(text)
    if found is None:
        return text
    return text[: found.end()] + _ESTIMATE.sub(" ", text[found.end() :])


def classify(text: str) -> CriterionClass:
    """Administrative (consent, willingness), judgement (investigator, ethics) or clinical."""
    text = _without_estimator(_CONSENT_DATE.sub(" ", _CONSENT_MOMENT.sub(" ", text)))
    if _ADMINISTRATIVE.search(text):
        return CriterionClass.ADMINISTRATIVE
    if _JUDGEMENT.search(text):
        return CriterionClass.JUDGEMENT
    return CriterionClass.CLINICAL
