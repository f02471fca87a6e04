"""The words of the criterion grammar: fixed keyword phrases and the vocabularies.

Each entry maps a phrase to a token type (a terminal of grammar/criterion.lark)
and a value. Analyte, concept, drug-class and procedure phrases come from the data files
(screener/data/); the keyword phrases live here because they are the grammar's
own words. Words that change meaning (not, no, except, unless, without, only,
other, severe, active, history of) are never fillers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from screener import analytes, concepts, qualitative


@dataclass(frozen=True)
class Entry:
    type: str
    value: str
    case_sensitive: bool = False


# Words with no meaning of their own in a criterion; the tokenizer drops them.
FILLERS = (
    "a",
    "an",
    "the",
    "patients",
    "patient",
    "subjects",
    "subject",
    "participants",
    "participant",
    "candidates",
    "candidate",
    "individuals",
    "study participants",
    "study participant",
    "study subjects",
    "study subject",
    "study patients",
    "trial participants",
    "persons",
    "people",
    "those",
    "who",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "with",
    "known",
    "documented",
    "presence of",
    "evidence of",
    "serum",
    "plasma",
    "level",
    "levels",
    "value",
    "values",
    "count",
    "counts",
    "concentration",
    "concentrations",
    "score",
    "scores",
    "of",
    "must",
    "should",
    "will",
    # "must" said otherwise ("Patients had to be aged 18 years or older")
    "has to be",
    "have to be",
    "had to be",
)

# The token types of comparators (≥ ≤ > < =, "over", "under")
COMPARATOR_TYPES = frozenset({"GE", "LE", "GT", "LT", "EQ", "OVER", "UNDER"})

KEYWORDS: dict[str, tuple[str, str]] = {
    # comparators (longest phrase wins, so "no more than" beats "more than")
    "≥": ("GE", ">="),
    "≤": ("LE", "<="),
    ">": ("GT", ">"),
    "<": ("LT", "<"),
    "=": ("EQ", "="),
    "more than": ("GT", ">"),
    "greater than": ("GT", ">"),
    "higher than": ("GT", ">"),
    "in excess of": ("GT", ">"),
    "longer than": ("GT", ">"),
    "less than": ("LT", "<"),
    "lower than": ("LT", "<"),
    "fewer than": ("LT", "<"),
    "at least": ("GE", ">="),
    "no less than": ("GE", ">="),
    "not less than": ("GE", ">="),
    "greater than or equal to": ("GE", ">="),
    "more than or equal to": ("GE", ">="),
    "equal to or greater than": ("GE", ">="),
    "equal to or more than": ("GE", ">="),
    "no more than": ("LE", "<="),
    "not more than": ("LE", "<="),
    "at most": ("LE", "<="),
    "not exceeding": ("LE", "<="),
    "no greater than": ("LE", "<="),
    "not greater than": ("LE", "<="),
    "up to": ("LE", "<="),
    "less than or equal to": ("LE", "<="),
    "equal to or less than": ("LE", "<="),
    "lesser than": ("LT", "<"),
    "lesser than or equal to": ("LE", "<="),
    # "or" dropped: "greater than equal to (≥) 4 months"
    "greater than equal to": ("GE", ">="),
    "less than equal to": ("LE", "<="),
    "over": ("OVER", "over"),
    "above": ("OVER", "over"),
    "exceeding": ("OVER", "over"),
    "exceeds": ("OVER", "over"),
    "older than": ("OVER", "over"),
    "under": ("UNDER", "under"),
    "below": ("UNDER", "under"),
    "younger than": ("UNDER", "under"),
    "equal to": ("EQ", "="),
    # list and range words
    "and": ("AND", "and"),
    "&": ("AND", "and"),
    "or": ("OR", "or"),
    "and/or": ("ANDOR", "or"),
    "and or": ("ANDOR", "or"),
    "either": ("EITHER", "either"),
    "nor": ("NOR", "nor"),
    "neither": ("NEITHER", "neither"),
    "between": ("BETWEEN", "between"),
    "from": ("FROM", "from"),
    "to": ("TO", "to"),
    "no": ("NO", "no"),
    "not": ("NOT", "not"),
    "without": ("WITHOUT", "without"),
    "e.g.": ("EG", "e.g."),
    "e.g": ("EG", "e.g."),
    "eg": ("EG", "e.g."),
    "e. g.": ("EG", "e.g."),
    "such as": ("EG", "e.g."),
    "for example": ("EG", "e.g."),
    "for instance": ("EG", "e.g."),
    "etc": ("ETC", "etc"),
    "etc.": ("ETC", "etc"),
    "et al": ("ETC", "etc"),
    "and so on": ("ETC", "etc"),
    "including": ("INCLUDING", "including"),
    "i.e.": ("IE", "i.e."),
    "i.e": ("IE", "i.e."),
    "ie": ("IE", "i.e."),
    "ie.": ("IE", "i.e."),
    "inclusive": ("INCLUDING", "including"),
    "included": ("INCLUDING", "including"),
    # conditions
    "history of": ("HISTORY", "history"),
    "a history of": ("HISTORY", "history"),
    "past history of": ("HISTORY", "history"),
    "previous history of": ("HISTORY", "history"),
    "prior history of": ("HISTORY", "history"),
    "personal history of": ("HISTORY", "history"),
    "prior personal history of": ("HISTORY", "history"),
    "medical history of": ("HISTORY", "history"),
    "suspected": ("SUSPECTED", "suspected"),
    "known or suspected": ("OR_SUSPECTED", "known or suspected"),
    "suspected or known": ("OR_SUSPECTED", "known or suspected"),
    "confirmed": ("CONFIRMED", "confirmed"),
    "proven": ("CONFIRMED", "confirmed"),
    "severe": ("QUALIFIER", "severe"),
    "serious": ("QUALIFIER", "serious"),
    "significant": ("QUALIFIER", "significant"),
    "clinically significant": ("QUALIFIER", "clinically significant"),
    "uncontrolled": ("QUALIFIER", "uncontrolled"),
    "active": ("QUALIFIER", "active"),
    "other": ("QUALIFIER", "other"),
    "major": ("QUALIFIER", "major"),
    "grade": ("GRADE_WORD", "grade"),
    # who
    "age": ("AGE", "age"),
    "aged": ("AGE", "age"),
    "ages": ("AGE", "age"),
    "age range": ("AGE", "age"),
    "age range from": ("AGE", "age"),
    "years old": ("YEARS_OLD", "years"),
    "year old": ("YEARS_OLD", "years"),
    "years of age": ("YEARS_OLD", "years"),
    "year of age": ("YEARS_OLD", "years"),
    "old": ("OLD", "old"),
    # "older" says the number is an age; "or more", "or above" may follow a duration too
    # ("type 2 diabetes, 10 years or more"): items._age_unit tells them apart by value
    "or older": ("OR_OLDER", "older"),
    "or above": ("OR_OLDER", ">="),
    "and above": ("OR_OLDER", ">="),
    "and older": ("OR_OLDER", "older"),
    "or more": ("OR_OLDER", ">="),
    "or greater": ("OR_OLDER", ">="),
    "or higher": ("OR_OLDER", ">="),
    "or over": ("OR_OLDER", ">="),
    "or younger": ("OR_YOUNGER", "<="),
    "or less": ("OR_YOUNGER", "<="),
    "or below": ("OR_YOUNGER", "<="),
    "and below": ("OR_YOUNGER", "<="),
    "or under": ("OR_YOUNGER", "<="),
    "and under": ("OR_YOUNGER", "<="),
    "women": ("FEMALE", "female"),
    "woman": ("FEMALE", "female"),
    "female": ("FEMALE", "female"),
    "females": ("FEMALE", "female"),
    "men": ("MALE", "male"),
    "man": ("MALE", "male"),
    "male": ("MALE", "male"),
    "males": ("MALE", "male"),
    # either sex, said as a sex that restricts nothing ("patients of both sexes")
    **dict.fromkeys(
        (
            "both sexes",
            "both genders",
            "either sex",
            "either gender",
            "all genders",
            "all sexes",
            "any gender",
            "any sex",
            "regardless of gender",
            "regardless of sex",
            "gender unlimited",
            "unlimited gender",
            "gender not limited",
            "gender is not limited",
            "no gender limit",
            "no gender limitation",
            "no gender restriction",
            "no limitation on gender",
            "no restriction on gender",
        ),
        ("SEX_ANY", "any"),
    ),
    "life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected survival": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expecting lifetime": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected lifetime": ("LIFE_EXPECTANCY", "life_expectancy"),
    "estimated life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "life-expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "estimated life-expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "predicted life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "anticipated life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "projected life expectancy": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected survival time": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected survival period": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected survival duration": ("LIFE_EXPECTANCY", "life_expectancy"),
    "estimated survival": ("LIFE_EXPECTANCY", "life_expectancy"),
    "estimated survival time": ("LIFE_EXPECTANCY", "life_expectancy"),
    "estimated survival period": ("LIFE_EXPECTANCY", "life_expectancy"),
    "predicted survival": ("LIFE_EXPECTANCY", "life_expectancy"),
    "anticipated survival": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected to survive": ("LIFE_EXPECTANCY", "life_expectancy"),
    "expected to survive for": ("LIFE_EXPECTANCY", "life_expectancy"),
    "pregnancy": ("PREGNANCY", "pregnant"),
    "pregnant": ("PREGNANCY", "pregnant"),
    # a pregnancy test is a test, never the pregnancy: one uncovered word, so that a dropped
    # filler ("serum") can never leave "pregnancy" to be read as pregnant
    "pregnancy test": ("WORD", "pregnancy test"),
    "pregnancy tests": ("WORD", "pregnancy tests"),
    "pregnancy testing": ("WORD", "pregnancy testing"),
    "serum pregnancy": ("WORD", "serum pregnancy"),
    "urine pregnancy": ("WORD", "urine pregnancy"),
    "urinary pregnancy": ("WORD", "urinary pregnancy"),
    "blood pregnancy": ("WORD", "blood pregnancy"),
    "plasma pregnancy": ("WORD", "plasma pregnancy"),
    "lactation": ("LACTATION", "lactating"),
    "lactating": ("LACTATION", "lactating"),
    "breastfeeding": ("LACTATION", "lactating"),
    "breast-feeding": ("LACTATION", "lactating"),
    "breast feeding": ("LACTATION", "lactating"),
    # other trials
    "participating in": ("PARTICIPATING", "present"),
    "taking part in": ("PARTICIPATING", "present"),
    "enrolled in": ("PARTICIPATING", "present"),
    "participation in": ("PARTICIPATION", "any"),
    "participate in": ("PARTICIPATION", "any"),
    "enrollment in": ("PARTICIPATION", "any"),
    "enrolment in": ("PARTICIPATION", "any"),
    "participated in": ("PARTICIPATED", "past"),
    "took part in": ("PARTICIPATED", "past"),
    "taken part in": ("PARTICIPATED", "past"),
    # "concurrent" (and "simultaneous", "at the same time") says alongside something else: a
    # diagnosis so named is one beside the disease under study (items.confirmed)
    "concurrent": ("CONCURRENT", "concurrent"),
    "concurrently": ("CONCURRENT", "concurrent"),
    # "current(ly)" says now; "concurrent" may mean alongside the study treatment (later):
    # a procedure reads the first only (items.procedure_current)
    "current": ("CONCURRENT", "current"),
    "currently": ("CONCURRENT", "current"),
    "currently undergoing": ("CONCURRENT", "current"),
    "at the same time": ("CONCURRENT", "concurrent"),
    "simultaneously": ("CONCURRENT", "concurrent"),
    "simultaneous": ("CONCURRENT", "concurrent"),
    "ongoing": ("CONCURRENT", "ongoing"),
    "clinical trial": ("TRIAL", "trial"),
    "clinical trials": ("TRIAL", "trial"),
    "clinical study": ("TRIAL", "trial"),
    "clinical studies": ("TRIAL", "trial"),
    "study": ("TRIAL", "trial"),
    "studies": ("TRIAL", "trial"),
    "trial": ("TRIAL", "trial"),
    "trials": ("TRIAL", "trial"),
    "another": ("QUALIFIER", "other"),
    "drug": ("DRUGS", "drug"),
    "drugs": ("DRUGS", "drug"),
    "within": ("WITHIN", "within"),
    "in the past": ("WITHIN", "within"),
    "in the last": ("WITHIN", "within"),
    "during the past": ("WITHIN", "within"),
    "during the last": ("WITHIN", "within"),
    "in the previous": ("WITHIN", "within"),
    "in the preceding": ("WITHIN", "within"),
    # transplants, therapy, rates, scores
    "transplantation": ("TRANSPLANT", "transplant"),
    "transplant": ("TRANSPLANT", "transplant"),
    "transplants": ("TRANSPLANT", "transplant"),
    "need": ("NEED", "need"),
    "needs": ("NEED", "need"),
    "require": ("NEED", "need"),
    "requires": ("NEED", "need"),
    "must receive": ("NEED", "need"),
    "receiving": ("NEED", "receiving"),  # "receiving"/"on" say now; "need" may be later
    "on": ("NEED", "receiving"),
    "therapy": ("THERAPY", "therapy"),
    "treatment": ("THERAPY", "therapy"),
    # class nouns after a drug class ("antipsychotic medication", "immunosuppressant agents")
    "medication": ("MEDICATION", "medication"),
    "medications": ("MEDICATION", "medication"),
    "medicine": ("MEDICATION", "medication"),
    "medicines": ("MEDICATION", "medication"),
    "agent": ("MEDICATION", "medication"),
    "agents": ("MEDICATION", "medication"),
    # "ALP elevation > 1.5 x ULN", "elevation of bilirubin > 1.5 x ULN" (items.lab_elevation)
    "elevation": ("ELEVATION", "elevation"),
    "elevations": ("ELEVATION", "elevation"),
    "elevation of": ("ELEVATION", "elevation"),
    "elevations of": ("ELEVATION", "elevation"),
    "increase of": ("INCREASE", "rise"),
    "increase": ("INCREASE", "rise"),
    "rise of": ("INCREASE", "rise"),
    "rise": ("INCREASE", "rise"),
    "per": ("PER", "per"),
    "a day": ("PER_DAY", "day"),
    "daily": ("PER_DAY", "day"),
    "points": ("POINTS", "points"),
    "point": ("POINTS", "points"),
    "pts": ("POINTS", "points"),
    "class": ("CLASS_WORD", "class"),
    "meld": ("SCORE", "meld"),
    "meld score": ("SCORE", "meld"),
    "model for end-stage liver disease": ("SCORE", "meld"),
    "meld-na": ("SCORE", "meld_na"),
    "meld na": ("SCORE", "meld_na"),
    "meldna": ("SCORE", "meld_na"),
    "meld-sodium": ("SCORE", "meld_na"),
    "meld 3.0": ("SCORE", "meld3"),
    "meld3.0": ("SCORE", "meld3"),
    "child-pugh": ("SCORE", "child_pugh"),
    "child pugh": ("SCORE", "child_pugh"),
    "child-turcotte-pugh": ("SCORE", "child_pugh"),
    "ctp": ("SCORE", "child_pugh"),
    "child-pugh-turcotte": ("SCORE", "child_pugh"),
    "hepatic encephalopathy grade": ("HE_GRADE", "he_grade"),
    "encephalopathy": ("GRADED_NOUN", "hepatic_encephalopathy"),
    "grade of hepatic encephalopathy": ("HE_GRADE", "he_grade"),
}

# Adjectives that only narrow the diagnosis they qualify ("untreated brain
# metastases" is a subset of brain metastases): a person judges the adjective.
NARROWING_QUALIFIERS = (
    "untreated",
    "symptomatic",
    "unstable",
    "progressive",
    "advanced",
    "recurrent",
    "refractory",
    "relapsed",
    "persistent",
    "moderate",
    "moderate to severe",
    "moderate-to-severe",
    "life-threatening",
    "poorly controlled",
    "inadequately controlled",
    "clinically relevant",
    "clinically active",
    "acute",
    "chronic",
    "newly diagnosed",
    "histologically confirmed",
    "cytologically confirmed",
    "pathologically confirmed",
    "histologically or cytologically confirmed",
    "histologically and/or cytologically confirmed",
    "pre-existing",
    "preexisting",
    "intercurrent",
    "ongoing",
    "uncontrollable",
    "medically uncontrolled",
    "unresectable",
    "locally advanced",
    "mild",
    "primary",
    "bilateral",
    "recent",
    "adequately treated",
    "effectively treated",
    # never "secondary", "metastatic", "congenital", "hereditary", "idiopathic": the
    # classification files such forms apart (metastases to the liver are not liver cancer,
    # congenital heart defects lie in Q20-Q28, outside heart disease), so they do not narrow
)
KEYWORDS.update({word: ("QUALIFIER", word) for word in NARROWING_QUALIFIERS})
KEYWORDS.update(
    {
        "any": ("FILLER", "any"),
        "prior": ("HISTORY", "history"),
        "previous": ("HISTORY", "history"),
        "past": ("HISTORY", "history"),
    }
)

# Performance status scales (ECOG = WHO = Zubrod; Karnofsky is another scale) and the
# NYHA functional class.
SCORE_PHRASES = {
    "ecog": (
        "ecog",
        "ecog ps",
        "ecog score",
        "ecog status",
        "ecog performance status",
        "ecog performance score",
        "ecog performance status score",
        "ecog performance status (ps)",
        "eastern cooperative oncology group",
        "eastern cooperative oncology group (ecog)",
        "eastern cooperative oncology group performance status",
        "eastern cooperative oncology group (ecog) performance status",
        "eastern cooperative oncology group (ecog) performance status (ps)",
        "eastern cooperative oncology group (ecog) score",
        "eastern cancer cooperative group",
        "eastern co-operative oncology group",
        # WHO and Zubrod performance status: the same 0-5 scale as ECOG (Oken et al., Am J
        # Clin Oncol 1982; WHO Handbook for Reporting Results of Cancer Treatment, 1979):
        # clinical-reference.md §2.5, "Ordinal 0-5 ... Also called the WHO or Zubrod scale"
        "who performance status",
        "who performance",
        "who performance score",
        "who scale",
        "world health organization performance status",
        "world health organisation performance status",
        "world health organization (who) performance status",
        "world health organisation (who) performance status",
        "zubrod",
        "zubrod score",
        "zubrod scale",
        "zubrod performance status",
        "ecog scale",
    ),
    "karnofsky": (
        "karnofsky",
        "kps",
        "karnofsky score",
        "karnofsky index",
        "karnofsky performance status",
        "karnofsky performance score",
        "karnofsky performance status (kps)",
        "karnofsky performance scale",
        "karnofsky scale",
        "karnovsky",
        "karnovsky scale",
        "karnovsky performance status",
    ),
    # NYHA functional class I-IV: the class numerals after it are read by
    # tokens._contextual_letters ("NYHA class III or IV", "NYHA III/IV").
    "nyha": tuple(
        f"{name}{tail}"
        for name in (
            "nyha",
            "new york heart association",
            "new york heart association (nyha)",
            "new york heart association [nyha]",
            "nyha (new york heart association)",
        )
        for tail in (
            "",
            " class",
            " classes",
            " functional class",
            " functional classes",
            " classification",
            " functional classification",
            " classification class",
            " functional classification class",
        )
    ),
}
# A performance status on no named scale: ECOG (= WHO = Zubrod) when every value lies in 0-5,
# the only scale of 0-5 grades; Karnofsky and Lansky share 0-100, so a larger value is refused.
SCORE_PHRASES["performance_status"] = (
    "performance status",
    "performance status (ps)",
    "performance score",
    "performance status score",
    "ps",
    "who ps",
    "who/ecog performance status",
    "ecog/who performance status",
    "who/ecog ps",
    "ecog/who ps",
    "who/ecog",
    "ecog/who",
    "eastern cooperative oncology group physical status",
    "eastern cooperative oncology group physical status level",
)
KEYWORDS.update({p: ("SCORE", score) for score, phrases in SCORE_PHRASES.items() for p in phrases})
PERFORMANCE_SCALES = ("ecog", "karnofsky", "performance_status")
"""The scores of SCORE_PHRASES that name a performance status (tokens._merged_scales)."""
# Words that go on naming a performance scale already named ("ECOG physical status score",
# "Karnofsky performance scale", "ECOG performance status grade of 0-2"): read only right
# after the scale's name (tokens._merged_scales); anywhere else they are unknown words.
SCALE_TAILS = (
    "status",
    "physical status",
    "physical condition",
    "behavior status",
    "behaviour status",
    "behavioral status",
    "performance",
    "performance level",
    "performance scale",
    "performance index",
    "scale",
    "index",
)
KEYWORDS.update({p: ("SCALE_TAIL", p) for p in SCALE_TAILS})


# Words of time, history, inclusivity and phrasing met in registry text.
KEYWORDS.update(
    {
        "ranging": ("FILLER", "ranging"),
        "ranging from": ("FILLER", "from"),
        "minimum": ("MINIMUM", "minimum"),
        "a minimum": ("MINIMUM", "minimum"),
        "received": ("HISTORY", "history"),
        "has received": ("HISTORY", "history"),
        "have received": ("HISTORY", "history"),
        # "previously" only with a verb of drug use: "previously untreated" says no such thing
        "previously received": ("HISTORY", "history"),
        "previously treated with": ("HISTORY", "history"),
        "previously been treated with": ("HISTORY", "history"),
        "been previously treated with": ("HISTORY", "history"),
        "previously exposed to": ("HISTORY", "history"),
        "underwent": ("HISTORY", "history"),
        "undergone": ("HISTORY", "history"),
        "has undergone": ("HISTORY", "history"),
        "have undergone": ("HISTORY", "history"),
        "had undergone": ("HISTORY", "history"),
        "both inclusive": ("INCLUDING", "including"),
        "bounds included": ("INCLUDING", "including"),
        "bounds inclusive": ("INCLUDING", "including"),
        "limits included": ("INCLUDING", "including"),
        "limits inclusive": ("INCLUDING", "including"),
        # "BMI within the range 18 and 30 kg/m2", "in the range of 18.5-30"
        "within the range": ("BETWEEN", "between"),
        # "Total blood cholesterol range 3,11 - 6,50 mmol/L"
        "range": ("BETWEEN", "between"),
        "range of": ("BETWEEN", "between"),
        "within the range of": ("BETWEEN", "between"),
        "in the range": ("BETWEEN", "between"),
        "in the range of": ("BETWEEN", "between"),
        "within a range of": ("BETWEEN", "between"),
        "inclusive of both": ("INCLUDING", "including"),
        "including critical value": ("INCLUDING", "including"),
        "including critical values": ("INCLUDING", "including"),
        "including boundary values": ("INCLUDING", "including"),
        "breast-feeding an infant": ("LACTATION", "lactating"),
        # "nursing" with a mother or baby is breastfeeding; a bare "nursing" only beside
        # pregnancy (tokens._contextual_lactation), never in "nursing home" or "nursing staff"
        "nursing mother": ("LACTATION", "lactating"),
        "nursing mothers": ("LACTATION", "lactating"),
        "nursing women": ("LACTATION", "lactating"),
        "nursing woman": ("LACTATION", "lactating"),
        "nursing females": ("LACTATION", "lactating"),
        "nursing female": ("LACTATION", "lactating"),
        "nursing a baby": ("LACTATION", "lactating"),
        "nursing an infant": ("LACTATION", "lactating"),
        "nursing a child": ("LACTATION", "lactating"),
        "breastfeeding an infant": ("LACTATION", "lactating"),
        "breast feeding an infant": ("LACTATION", "lactating"),
    }
)

# Who estimates a life expectancy ("life expectancy > 12 weeks as determined by the
# investigator"): an investigator always does, so after a life expectancy these phrases say
# nothing more (grammar: life_expectancy ESTIMATE; classify.py lets them pass there only).
_ESTIMATORS = tuple(
    f"{by} {who}"
    for by in ("determined by", "assessed by", "estimated by", "judged by", "evaluated by")
    for who in (
        "the investigator",
        "investigator",
        "the investigators",
        "the treating investigator",
        "treating investigator",
        "the treating physician",
        "treating physician",
    )
)
ESTIMATE_PHRASES = (
    *_ESTIMATORS,
    *(f"as {phrase}" for phrase in _ESTIMATORS),
    "in the opinion of the investigator",
    "in the opinion of the treating investigator",
    "in the investigator's opinion",
    "in the investigator's judgement",
    "in the investigator's judgment",
    "per investigator",
    "per the investigator",
    "per investigator assessment",
    "based on the investigator assessment",
    "based on the investigator's assessment",
    "based on investigator assessment",
    "based on investigator's assessment",
    "based on investigator's judgement",
    "based on investigator's judgment",
    "based on the investigator's judgement",
    "based on the investigator's judgment",
    "based on investigator judgement",
    "based on investigator judgment",
    "according to the investigator",
)
KEYWORDS.update({phrase: ("ESTIMATE", "investigator") for phrase in ESTIMATE_PHRASES})

# Time windows: their openings, and the trial events they may count back from
# ("within 4 weeks prior to randomization"). "screening" is the engine's own date;
# the others come later (rules.ANCHORS). "of" is a filler: "within 14 days of
# registration" reads as "within 14 days, registration".
KEYWORDS.update(
    {
        phrase: ("WITHIN", "within")
        for phrase in (
            "within the past",
            "within the last",
            "within past",
            "within last",
            "in past",
            "in last",
            "during past",
            "during last",
            "within the previous",
            "within the preceding",
            "over the past",
            "over the last",
            "during the previous",
            "during the preceding",
        )
    }
)
KEYWORDS.update(
    {
        phrase: ("PRIOR", "prior")
        for phrase in (
            "prior to",
            "before",
            "preceding",
            "immediately prior to",
            "immediately before",
            "previous to",
        )
    }
)
_STUDY_TREATMENT = (
    "study drug",
    "study drugs",
    "study treatment",
    "study medication",
    "study intervention",
    "study therapy",
    "study agent",
    "study product",
    "investigational product",
    "investigational medicinal product",
    "investigational drug",
    "investigational agent",
    "trial treatment",
    "trial drug",
    "trial medication",
)
_ANCHOR_PHRASES: dict[str, tuple[str, ...]] = {
    "screening": (
        "screening",
        "screening visit",
        "study screening",
        "signing informed consent",
        "signing the informed consent",
        "signing of informed consent",
        "signing of the informed consent",
        "signing informed consent form",
        "signing the informed consent form",
        "signing of the informed consent form",
        "signing the icf",
        "signing of the icf",
        "signature of informed consent",
        "signature of the informed consent",
    ),
    "enrolment": (
        "enrollment",
        "enrolment",
        "study enrollment",
        "study enrolment",
        "study entry",
        "entry into the study",
        "entering the study",
        "registration",
        "study registration",
        "inclusion",
        "study inclusion",
        "study start",
        "start of the study",
        "study initiation",
    ),
    "randomisation": ("randomization", "randomisation", "random assignment"),
    "first_dose": (
        "first dose",
        "first dosing",
        "first study dose",
        "day 1",
        "study day 1",
        "cycle 1 day 1",
        "c1d1",
        "baseline",
        # the study's treatment, named bare: a trial's "treatment" starts after screening, so
        # a window back from it counts from the screening date or later (rules.ANCHORS); a
        # treatment named after it ("first administration of chemotherapy") is unread words
        "start of treatment",
        "start of therapy",
        "initiation of treatment",
        "treatment start",
        "treatment initiation",
        "first administration",
        *(
            f"{head} {thing}"
            for head in (
                "first dose of",
                "the first dose of",
                "first administration of",
                "the first administration of",
                "start of",
                "the start of",
                "starting",
                "initiation of",
                "initiating",
                "beginning",
                "beginning of",
            )
            for thing in (*_STUDY_TREATMENT, *(f"the {t}" for t in _STUDY_TREATMENT))
        ),
    ),
}
KEYWORDS.update(
    {phrase: ("ANCHOR", event) for event, phrases in _ANCHOR_PHRASES.items() for phrase in phrases}
)
# "the investigational drug", "this investigational agent": the trial's own drug, as in
# _STUDY_TREATMENT, not the drug class investigational_agent that "an investigational drug",
# "any other investigational agents" name (concepts.yaml). A word no grammar rule takes: the
# text stays with a person.
KEYWORDS.update(
    {
        f"{article} {phrase}": ("WORD", f"{article} {phrase}")
        for phrase, class_id in concepts.drug_class_phrases()
        if class_id == "investigational_agent" and phrase.startswith("investigational ")
        for article in ("the", "this", "these")
    }
)
# The moment of consent, as registry text names it ("at the time of obtaining informed
# consent", "at written informed consent", "at ICF signature"): a patient consents at
# screening, so an age then is the age now. The phrases are many, so they are patterns, not
# entries: tokens.py reads CONSENT_MOMENT as "at screening" and CONSENT_ACT as the anchor
# "screening" ("within 28 days prior to obtaining informed consent"); classify.py reads both
# as a date, not an administrative step.
CONSENT_ACTS = (
    "signing",
    "signing of",
    "signature of",
    "obtaining",
    "obtaining of",
    "obtainment of",
    "giving",
    "providing",
)
CONSENT_DOCUMENTS = (
    "informed consent",
    "informed consent form",
    "informed consent document",
    "consent",
    "consent form",
    "icf",
)
CONSENT_MOMENT_OPENERS = ("at", "at the time of", "at time of", "at the moment of", "upon", "when")
CONSENT_DOCUMENT_AFTERS = (
    "signature",
    "signing",
    "obtained",
    "obtaining",
    "is obtained",
    "is signed",
)


def _alternatives(phrases: tuple[str, ...]) -> str:
    """A group matching any of the phrases, longest first, any run of spaces between words."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(map(re.escape, p.split())) for p in ordered) + ")"


_END = r"(?![A-Za-z0-9])"
_CONSENT_DOCUMENT = (
    rf"(?:the\s+)?(?:written\s+)?{_alternatives(CONSENT_DOCUMENTS)}{_END}(?:\s*\(icf\))?"
)
CONSENT_ACT = re.compile(
    rf"(?:the\s+)?{_alternatives(CONSENT_ACTS)}\s+{_CONSENT_DOCUMENT}", re.IGNORECASE
)
"""'signing the informed consent form', 'the obtaining of written informed consent'."""
CONSENT_MOMENT = re.compile(
    rf"{_alternatives(CONSENT_MOMENT_OPENERS)}\s+(?:(?:the\s+)?{_alternatives(CONSENT_ACTS)}\s+)?"
    rf"{_CONSENT_DOCUMENT}(?:\s+{_alternatives(CONSENT_DOCUMENT_AFTERS)}{_END})?"
    rf"|at\s+the\s+time\s+{_CONSENT_DOCUMENT}\s+(?:is\s+)?(?:obtained|signed){_END}",
    re.IGNORECASE,
)
"""'at the time of obtaining informed consent', 'at ICF signature', 'at written informed
consent', 'at the time consent is obtained': the moment of consent as the moment of a value."""

# "at screening", "at baseline": the moment every lab and age of a criterion is meant
# for anyway (the engine uses the latest value within its horizon).
KEYWORDS.update(
    {
        f"{at} {event}": (
            "AT_SCREENING",
            "screening" if "screening" in event or "consent" in event else "later",
        )
        for at in ("at", "at the time of", "at time of", "during", "at the")
        for event in (
            "screening",
            "screening visit",
            "the screening visit",
            "baseline",
            "baseline visit",
            "enrollment",
            "enrolment",
            "study entry",
            "study enrollment",
            "study enrolment",
            "inclusion",
            "randomization",
            "randomisation",
            "registration",
            "signing informed consent",
            "signing the informed consent",
            "signing the informed consent form",
            "signing of informed consent",
            "signing of the informed consent",
            "informed consent",
            "consent",
        )
    }
)
# "Prior or concurrent X": use at any time before screening, or now (the grammar reads it
# for medications only, as medication(X, ever), which holds for current use too).
_EVER = ("prior", "previous", "past")
_NOW = ("concurrent", "current", "ongoing")
KEYWORDS.update(
    {
        f"{first} {join} {second}": ("EVER_OR_NOW", "ever")
        for ever in _EVER
        for now in _NOW
        for first, second in ((ever, now), (now, ever))
        for join in ("or", "and/or")
    }
)
# Words that say a drug was taken ("use of", "treatment with", "exposure to").
KEYWORDS.update(
    {
        phrase: ("USE", "use")
        for phrase in (
            "use of",
            "use",
            "usage of",
            "treatment with",
            "therapy with",
            "treated with",
            "receipt of",
            "exposure to",
            "exposed to",
            "administration of",
            "intake of",
            "taking",
            "taken",
            "used",
            "using",
            "administered",
        )
    }
)

# Time since a treatment ("at least 4 weeks since prior chemotherapy", "> 28 days from the
# last dose of a TNF inhibitor", "14 days must have elapsed since the completion of X") and
# a treatment ended some time before an event ("steroids must have been stopped at least 2
# weeks before randomisation"): grammar `washout`, items.washout_since / washout_before.
# LAST_DOSE names the last intake; ENDING the end of a treatment, in front of it (value
# "ending": "discontinuation of"; "completion": a course completed, which may be required
# rather than ruled out, read only after "since"); ENDED the same after it ("stopped").
KEYWORDS.update(
    {
        "since": ("SINCE", "since"),
        "elapsed since": ("ELAPSED", "since"),
        "passed since": ("ELAPSED", "since"),
        "ago": ("AGO", "ago"),
        **{
            phrase: ("LAST_DOSE", "last")
            for phrase in (
                "last",
                "last dose of",
                "last doses of",
                "last dose",
                "last administration of",
                "last treatment with",
                "last treatment of",
                "final dose of",
                "most recent dose of",
            )
        },
        **{
            phrase: ("ENDING", "ending")
            for phrase in (
                "discontinuation of",
                "discontinuing",
                "stopping",
                "cessation of",
            )
        },
        **{
            phrase: ("ENDING", "completion")
            for phrase in ("completion of", "completing", "the end of", "end of")
        },
        **{phrase: ("ENDED", "ended") for phrase in ("ended", "stopped", "discontinued", "ceased")},
        **{phrase: ("ENDED", "completion") for phrase in ("completed", "finished")},
    }
)

ORGANS = {
    "solid organ": "solid_organ",
    "bone marrow": "bone_marrow",
    "lung": "lung",
    "lungs": "lung",
    "liver": "liver",
    "pancreas": "pancreas",
    "small intestine": "small_intestine",
    "small bowel": "small_intestine",
    "intestine": "small_intestine",
    "kidney": "kidney",
    "kidneys": "kidney",
    "renal": "kidney",
    "heart": "heart",
    "cardiac": "heart",
}

# How a value was measured, named after its threshold ("LVEF ≥ 50% (by ECHO or MUGA)",
# "CrCl ≥ 60 mL/min (Cockcroft-Gault)") or before its name ("calculated creatinine
# clearance"): the usual ways to measure that analyte, which the patient's readings come
# from already, so the method adds no condition (tokens._method_note; items.lab_by_method).
# Any other method, or a method of another analyte, leaves the text to a person.
METHOD_NAMES: dict[str, tuple[str, ...]] = {
    "echo": (
        "echo",
        "echocardiogram",
        "echocardiograms",
        "echocardiography",
        "transthoracic echocardiogram",
        "transthoracic echocardiography",
        "tte",
        "cardiac echo",
        "cardiac ultrasound",
    ),
    "muga": (
        "muga",
        "muga scan",
        "multigated acquisition scan",
        "multi-gated acquisition scan",
        "multiple gated acquisition scan",
        "multigated acquisition (muga) scan",
        "radionuclide ventriculography",
    ),
    "cardiac_mri": ("cardiac mri", "cardiac magnetic resonance", "cmr", "mri"),
    "cockcroft_gault": ("cockcroft-gault", "cockcroft gault", "cockroft-gault", "cockroft gault"),
    "urine_collection": ("24-hour urine collection", "24 hour urine collection", "24-h urine"),
    "calculated": ("calculation", "calculated"),
    "measured": ("measurement", "measured"),
    "estimated": ("estimation", "estimated"),
}
ANALYTE_METHODS: dict[str, frozenset[str]] = {
    "lvef": frozenset({"echo", "muga", "cardiac_mri"}),
    "egfr": frozenset({"calculated", "estimated"}),  # an eGFR is calculated; never "measured"
    "creatinine_clearance_cg": frozenset({"cockcroft_gault", "calculated", "estimated"}),
}
"""The methods each analyte's readings are taken by; no other analyte takes a method. A
creatinine clearance takes none: its readings may be measured (24-h urine, 2164-2) or
calculated (Cockcroft-Gault, 35591-7), so naming one narrows it (tests/test_lab_phrasing.py):
to the analyte of METHOD_ANALYTES where there is one, else the text stays with a person."""
METHOD_ANALYTES: dict[tuple[str, str], str] = {
    ("creatinine_clearance", "cockcroft_gault"): "creatinine_clearance_cg",
}
"""(analyte, method) → the narrower analyte of readings by that method: "CrCl ≥ 60 mL/min
(Cockcroft-Gault)" is lab(creatinine_clearance_cg), which a measured clearance never meets."""
METHOD_IMPLIES: dict[str, frozenset[str]] = {
    "cockcroft_gault": frozenset({"calculated", "estimated"}),
}
"""Methods that say a more general one: "calculated creatinine clearance ... by the
Cockcroft-Gault formula" names one method twice (tokens._implied_prefixes)."""
# Participles that open a method note: "(assessed by MUGA or ECHO)", ", calculated by the
# Cockcroft-Gault formula"
METHOD_VERBS = (
    "assessed",
    "measured",
    "determined",
    "evaluated",
    "calculated",
    "estimated",
    "obtained",
    "documented",
)
METHOD_NOUNS = ("formula", "equation", "method", "calculation", "scan")
# Words before an analyte's name that say how it was measured ("calculated creatinine clearance")
METHOD_PREFIXES = {"calculated": "calculated", "estimated": "estimated", "measured": "measured"}

# "MEN1", "MEN 2A", "MEN type II", "MEN-2B": the upper-case abbreviation of multiple endocrine
# neoplasia before a type (tokens._endocrine_neoplasia), never the sex. The type → the concept
# of icd_titles.tsv: E31.21 "Multiple endocrine neoplasia [MEN] type I", E31.22 "... type IIA",
# E31.23 "... type IIB" (type 2: both); "MEN syndrome" is E31.2, all of them.
ENDOCRINE_NEOPLASIA_TYPES = {
    "1": "multiple_endocrine_neoplasia_type_i",
    "i": "multiple_endocrine_neoplasia_type_i",
    "2": "multiple_endocrine_neoplasia_type_2",
    "ii": "multiple_endocrine_neoplasia_type_2",
    "2a": "multiple_endocrine_neoplasia_type_iia",
    "iia": "multiple_endocrine_neoplasia_type_iia",
    "2b": "multiple_endocrine_neoplasia_type_iib",
    "iib": "multiple_endocrine_neoplasia_type_iib",
    "": "multiple_endocrine_neoplasia_syndromes",
}

# Blood pressure as one reading of two values ("BP ≥ 150/90 mmHg"): the grammar accepts it
# only before a comparator and a systolic/diastolic pair (items.pressure_pair).
BLOOD_PRESSURE_PHRASES = ("blood pressure", "arterial blood pressure", "BP")

# Bare words that never denote an analyte on their own, though they are listed
# as abbreviations somewhere (ambiguous: clinical-reference.md §0.11).
_AMBIGUOUS_ABBREVIATIONS = {"UA", "LD", "PC", "TP", "P", "Quick", "EF", "BG", "TC", "C-G", "Ur"}


# Analytes read from patient files but never named by criterion text: an oxygen saturation
# depends on the oxygen breathed, which a reading on file does not state (on 4 L/min a
# patient reads 95 % who reads 88 % on room air), so "SpO2 ≤ 93%" stays with a person.
_NOT_IN_CRITERIA = frozenset({"spo2", "oxygen_saturation"})


def _analyte_entries() -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for analyte in analytes.ANALYTES.values():
        if analyte.id in _NOT_IN_CRITERIA:
            continue
        for phrase in (analyte.name, analyte.id.replace("_", " "), *analyte.synonyms):
            phrase = phrase.strip()
            if not phrase or phrase in _AMBIGUOUS_ABBREVIATIONS or "(" in phrase:
                continue
            short = len(phrase) <= 3
            key = phrase if short else phrase.lower()
            entries.setdefault(key, Entry("ANALYTE", analyte.id, case_sensitive=short))
            if key.endswith(" count"):  # "platelet counts ≥ 100,000/μL": the same count
                entries.setdefault(key + "s", Entry("ANALYTE", analyte.id))
    return entries


def _test_entries() -> dict[str, Entry]:
    """Names of qualitative tests (data/qualitative_tests.csv): "HBsAg", "anti-HCV"."""
    entries: dict[str, Entry] = {}
    for test in qualitative.TESTS.values():
        for phrase in (test.name, *test.synonyms):
            phrase = phrase.strip()
            if phrase and "(" not in phrase:
                entries.setdefault(phrase.lower(), Entry("TEST", test.id))
    return entries


@cache
def generated_entries() -> dict[str, Entry]:
    """The condition phrases generated from ICD-10-CM titles (concepts.generated_phrases)
    that no entry of `entries` has: the tokenizer looks them up by words, not by pattern."""
    own = entries()
    return {
        phrase: Entry("CONCEPT", concept_id)
        for phrase, concept_id in concepts.generated_phrases()
        if phrase not in own
    }


# Words that say a condition was diagnosed: fillers ("Patients diagnosed with diabetes" is
# diabetes), except before a time window, which then bounds the diagnosis's date and not the
# time the condition was present ("diagnosis of DVT in the previous 3 months" does not hold
# for a DVT diagnosed 6 months ago and still present): tokens._diagnosis_dates.
DIAGNOSIS_PHRASES = (
    "diagnosed with",
    "diagnosed as",
    "diagnosis of",
    "a diagnosis of",
    "clinical diagnosis of",
)


@cache
def entries() -> dict[str, Entry]:
    """Every phrase the tokenizer knows but the generated ones, lower-cased unless
    case-sensitive."""
    table: dict[str, Entry] = {}
    for phrase in FILLERS:
        table[phrase] = Entry("FILLER", phrase)
    for phrase in DIAGNOSIS_PHRASES:
        table[phrase] = Entry("DIAGNOSIS", phrase)
    for organ, value in ORGANS.items():
        table[organ] = Entry("ORGAN", value)
    for phrase, concept_id in concepts.phrases():
        table[phrase.lower()] = Entry("CONCEPT", concept_id)
    for phrase, class_id in concepts.drug_class_phrases():
        table[phrase.lower()] = Entry("DRUG_CLASS", class_id)
    for phrase, procedure_id in concepts.procedure_phrases():
        table[phrase.lower()] = Entry("PROCEDURE", procedure_id)
    for key, entry in _analyte_entries().items():
        table.setdefault(key, entry)
    for key, entry in _test_entries().items():
        table.setdefault(key, entry)
    for phrase, (type_, value) in KEYWORDS.items():
        table[phrase] = Entry(type_, value)
    for phrase in BLOOD_PRESSURE_PHRASES:
        short = len(phrase) <= 3  # "BP" (also a rating scale, bipolar): case-sensitive
        table.setdefault(phrase if short else phrase.lower(), Entry("BLOOD_PRESSURE", "bp", short))
    return table
