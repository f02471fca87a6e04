"""Hypothesis strategies shared by tests: statuses and rule trees.

`rule_trees()` draws arbitrary trees of the nodes of screener/rules.py (not
strings), within the limits the canonical language (grammar/rule.lark) sets on
their fields: identifiers match NAME `[a-z][a-z0-9_]*`, numbers are finite and
non-negative, a Between's bounds are ordered, a Window's amount is at least 1.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from hypothesis import strategies as st

from screener import qualitative
from screener import rules as r
from screener.logic import Status

statuses = st.sampled_from(Status)

# ---------------------------------------------------------------- fields

# Words of the language are valid identifiers too: the parser must read them as
# names wherever a name is expected (`condition(or_suspected)`, `lab(and)`).
KEYWORDS = (
    "and",
    "or",
    "not",
    "in",
    "implies",
    "qualified",
    "readings",
    "sex",
    "condition",
    "or_suspected",
    "history",
    "pregnant",
    "lactating",
    "other_trial",
    "any",
    "ongoing",
    "within",
    "medication",
    "review",
    "age",
    "lab",
    "rise",
    "score",
    "fact",
    "over",
    "under",
    "test",
    "positive",
    "negative",
)

names = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True),
    st.sampled_from(KEYWORDS),
)

UNITS = (
    "",
    "umol/L",
    "mg/dL",
    "%",
    "10^9/L",
    "mL/min/1.73m2",
    "xULN",
    "years",
    "months",
    "days",
    "U/L",
    "g/L",
)
units = st.sampled_from(UNITS)

# Extremes of the printed form: large, tiny, and Decimals carrying an exponent
# or trailing zeros (format_number must print them plainly).
SPECIAL_NUMBERS = tuple(
    Decimal(text)
    for text in ("0", "0.0001", "100000", "1E+5", "1.50", "2.5E+3", "1000000000", "9999.9999")
)
numbers = st.one_of(
    st.sampled_from(SPECIAL_NUMBERS),
    st.integers(min_value=0, max_value=10**9).map(Decimal),
    st.integers(min_value=0, max_value=4).flatmap(
        lambda places: st.decimals(
            min_value=0, max_value=10**6, places=places, allow_nan=False, allow_infinity=False
        )
    ),
)

# The scores the engine knows, drawn often besides arbitrary names.
SCORES = ("meld", "meld_na", "meld3", "child_pugh", "child_pugh_class", "ecog", "karnofsky", "nyha")

subjects = st.one_of(
    st.just(r.Age()),
    st.builds(r.Lab, names),
    st.builds(r.Rise, names, names),
    st.builds(r.Score, names | st.sampled_from(SCORES)),
    st.builds(r.Fact, names),
)

windows = st.builds(
    r.Window,
    st.integers(min_value=1, max_value=10_000),
    st.sampled_from(("days", "weeks", "months", "years")),
    st.sampled_from(("", *r.ANCHORS)),
    st.booleans(),
)

TRIAL_TYPES = ("drug", "biological", "device", "procedure", "behavioural", "other")

# Free text of Review and Qualified: anything, with the characters that matter to
# the quoting rule (and to the surrounding syntax) over-represented.
free_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from('"\\\n\t;()[]{}')),
    max_size=40,
)


@st.composite
def _between(draw: st.DrawFn) -> r.Between:
    low, high = sorted((draw(numbers), draw(numbers)))
    subject = draw(subjects)
    within = draw(st.none() | windows) if isinstance(subject, r.Lab) else None
    return r.Between(
        subject, low, high, draw(units), draw(st.booleans()), draw(st.booleans()), within
    )


leaves = st.one_of(
    st.builds(r.Compare, subjects, st.sampled_from(r.Op), numbers, units),
    st.builds(r.Compare, st.builds(r.Lab, names), st.sampled_from(r.Op), numbers, units, windows),
    _between(),
    st.builds(r.OneOf, subjects, st.lists(names, min_size=1, max_size=4).map(tuple)),
    st.builds(r.Sex, st.sampled_from(("female", "male"))),
    st.builds(r.Condition, names, st.sampled_from(r.ConditionMode)),
    st.builds(r.Condition, names, st.just(r.ConditionMode.HISTORY), windows),
    st.just(r.Pregnant()),
    st.just(r.Lactating()),
    st.builds(
        r.TrialParticipation,
        st.lists(st.sampled_from(TRIAL_TYPES), max_size=3, unique=True).map(tuple),
        st.none() | windows,
    ),
    st.builds(r.Medication, names, st.none() | windows),
    st.builds(r.Medication, names, st.none(), st.just(True)),
    st.builds(r.Procedure, names, st.none() | windows),
    st.builds(r.Procedure, names, st.none(), st.just(True)),
    # a test leaf names a test of the vocabulary and one of the two results (parse checks both)
    st.builds(
        r.TestResult,
        st.sampled_from(sorted(qualitative.TESTS)),
        st.sampled_from(qualitative.RESULTS),
    ),
    st.builds(r.MeasurableDisease, st.sampled_from(r.RESPONSE_CRITERIA)),
    st.builds(r.Review, free_text),
)


# ---------------------------------------------------------------- trees


@cache
def rule_trees(max_depth: int = 3) -> st.SearchStrategy[r.Rule]:
    """Rule trees of every node type, at most `max_depth` compounds deep."""
    if max_depth <= 0:
        return leaves
    child = rule_trees(max_depth - 1)

    def several(low: int, high: int) -> st.SearchStrategy[tuple[r.Rule, ...]]:
        return st.lists(child, min_size=low, max_size=high).map(tuple)

    compounds = st.one_of(
        st.builds(r.AllOf, several(2, 4)),
        st.builds(r.AnyOf, several(2, 4)),
        st.builds(r.Not, child),
        st.builds(r.Implies, child, child),
        st.builds(r.Qualified, free_text, child),
        st.builds(r.Readings, several(2, 3)),
    )
    # Leaves first: hypothesis shrinks towards the first alternative.
    return st.one_of(leaves, compounds)
