"""Washouts: a time since a drug class or procedure ("at least 4 weeks since prior
chemotherapy"), and one ended or done some time before a trial event ("steroids must have
been stopped at least 2 weeks before randomisation", "major surgery < 4 weeks prior to study
entry").

"At least N since X" is `not X within < N`: the day exactly N back is N since (a strict
window), a patient never given X meets it, and in an exclusion it stays with a person (it
would exclude the never treated). A medication list is not exhaustive: an old course does
not say no X came since, so it leaves the washout open; a record of X not taken closes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener import concepts
from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import SCREENING_DATE, canonical, patient, status

# ---------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # at least N since: X N back is N since (strict window); more than N: it is not
        ("At least 4 weeks since prior chemotherapy", "inclusion",
         "not medication(chemotherapy, within < 4 weeks)"),
        ("At least 5 years since prior chemotherapy", "inclusion",
         "not medication(chemotherapy, within < 5 years)"),
        ("≥ 28 days since last dose of a TNF inhibitor", "inclusion",
         "not medication(tnf_inhibitor, within < 28 days)"),
        ("More than 4 weeks since prior chemotherapy", "inclusion",
         "not medication(chemotherapy, within 4 weeks)"),
        ("> 2 wks from previous radiotherapy", "inclusion",
         "not procedure(radiotherapy, within 2 weeks)"),
        ("Minimum of two weeks since any major surgery", "inclusion",
         "not procedure(major_surgery, within < 2 weeks)"),
        ("At least 4 weeks since prior surgery", "inclusion",
         "not procedure(surgery, within < 4 weeks)"),
        ("Patients must be at least 4 weeks from the last dose of steroids", "inclusion",
         "not medication(steroid, within < 4 weeks)"),
        ("At least 1 month since prior treatment with rituximab", "inclusion",
         "not medication(rituximab, within < 1 months)"),
        ("14 days must have elapsed since the completion of chemotherapy", "inclusion",
         "not medication(chemotherapy, within < 14 days)"),
        ("At least 6 months since stopping steroids", "inclusion",
         "not medication(steroid, within < 6 months)"),
        ("More than 4 weeks since prior and no concurrent steroids", "inclusion",
         "(not medication(steroid, within 4 weeks)) and (not medication(steroid))"),
        ("At least 4 weeks since prior chemotherapy and at least 2 weeks since prior "
         "radiotherapy", "inclusion",
         "(not medication(chemotherapy, within < 4 weeks)) "
         "and (not procedure(radiotherapy, within < 2 weeks))"),
        # ended some time before an event
        ("Prior treatment with steroids must have ended at least 2 weeks before randomisation",
         "inclusion", "not medication(steroid, within < 2 weeks before randomisation)"),
        ("Steroids stopped ≥ 2 weeks before randomization", "inclusion",
         "not medication(steroid, within < 2 weeks before randomisation)"),
        ("Last dose of chemotherapy ≥ 21 days prior to the first dose of study drug",
         "inclusion", "not medication(chemotherapy, within < 21 days before first_dose)"),
        ("Discontinuation of steroids at least 3 months prior to screening", "inclusion",
         "not medication(steroid, within < 3 months)"),
        ("Last dose of a TNF inhibitor more than 8 weeks ago", "inclusion",
         "not medication(tnf_inhibitor, within 8 weeks)"),
        # a course completed some time before: required, or only ruled out then? both
        ("Radiotherapy must have been completed at least 4 weeks prior to enrollment",
         "inclusion",
         "readings(not procedure(radiotherapy, within < 4 weeks before enrolment); "
         "procedure(radiotherapy, ever) and (not procedure(radiotherapy, within < 4 weeks "
         "before enrolment)))"),
        # less than N: X within < N, in either kind
        ("Major surgery < 4 weeks prior to study entry", "exclusion",
         "procedure(major_surgery, within < 4 weeks before enrolment)"),
        ("Major surgery < 4 weeks prior to study entry", "inclusion",
         "procedure(major_surgery, within < 4 weeks before enrolment)"),
        ("Chemotherapy ≤ 14 days prior to randomization", "exclusion",
         "medication(chemotherapy, within 14 days before randomisation)"),
        ("Less than 4 weeks since the last dose of chemotherapy", "exclusion",
         "medication(chemotherapy, within < 4 weeks)"),
        ("Less than 6 months since the last dose of rituximab", "inclusion",
         "medication(rituximab, within < 6 months)"),
        ("< 4 weeks from prior surgery", "exclusion", "procedure(surgery, within < 4 weeks)"),
        ("Radiotherapy less than 2 weeks ago", "exclusion",
         "procedure(radiotherapy, within < 2 weeks)"),
        ("No chemotherapy less than 4 weeks prior to randomization", "inclusion",
         "not medication(chemotherapy, within < 4 weeks before randomisation)"),
        # the study's treatment named bare is the first dose
        ("Chemotherapy within 3 weeks prior to start of treatment", "exclusion",
         "medication(chemotherapy, within 3 weeks before first_dose)"),
        ("Major surgery within 4 weeks before the first administration", "exclusion",
         "procedure(major_surgery, within 4 weeks before first_dose)"),
        ("At least 4 weeks since prior investigational therapy", "inclusion",
         "not medication(investigational_agent, within < 4 weeks)"),
        # what compiled before: "within" keeps the day exactly N back
        ("No radiotherapy within 14 days prior to first dose", "inclusion",
         "not procedure(radiotherapy, within 14 days before first_dose)"),
    ],
)  # fmt: skip
def test_washouts_compile(text: str, kind: str, expected: str) -> None:
    assert canonical(text, kind) == expected


@pytest.mark.parametrize(
    "text",
    [
        # not a washout: the age of a diagnosis, a count of cycles, no known treatment
        "At least 4 weeks since diagnosis of diabetes",
        "At least 6 months since diagnosis",
        "At least 2 cycles of prior chemotherapy",
        "≥ 4 weeks from other investigational anticancer therapy",
        "At least 4 weeks since the investigational drug",
        "At least 4 weeks since prior first-line chemotherapy",
        "At least 4 weeks since prior radiotherapy to the target lesion",
        "At least 4 weeks since exposure to radiation",
        "Less than 4 weeks from the last clinical trial",
        # a time at the start or end of a list may bound each item or the whole
        "≥ 2 weeks from prior chemotherapy, radiation therapy or major surgery",  # gold g051
        "≥ 2 weeks from prior chemotherapy or major surgery",
        "At least 4 weeks since prior chemotherapy and recovered",
        "Major surgery or radiotherapy < 4 weeks prior to randomisation",
        "Chemotherapy or radiotherapy must have been stopped at least 4 weeks prior to "
        "randomisation",
        # a treatment some time before an event, with no word of an end: it may be required
        "Major surgery ≥ 4 weeks prior to study entry",
        "Prior curative-intent surgery at least 3 months prior to the nodal recurrence",
        "Completed chemotherapy at least 4 weeks prior to randomization",
        "Surgery at least 4 weeks before",
        "Radiotherapy within 2 weeks before the first administration of chemotherapy",
        # a time with no least or most, or not in days to years
        "Over 4 weeks since prior chemotherapy",
        "4 weeks since prior chemotherapy",
        "At least 24 hours since prior steroids",
        "At least 1.5 weeks since prior chemotherapy",
        # a short time since an end: a treatment still going on has none
        "Less than 2 weeks since discontinuation of steroids",
        "Steroids stopped less than 2 weeks before randomization",
    ],
)
def test_what_is_not_a_washout_stays_with_a_person(text: str) -> None:
    for kind in ("inclusion", "exclusion"):
        rule = compile_criterion(text, kind).rule
        treatments = [
            leaf for leaf in r.leaves(rule) if isinstance(leaf, r.Medication | r.Procedure)
        ]
        assert not treatments, (kind, r.render(rule))


@pytest.mark.parametrize(
    "text",
    [
        "At least 4 weeks since prior chemotherapy",
        "More than 4 weeks since the last dose of a TNF inhibitor",
        "14 days must have elapsed since the completion of chemotherapy",
        "Steroids stopped ≥ 2 weeks before randomization",
        "More than 4 weeks since prior and no concurrent steroids",
    ],
)
def test_a_least_time_since_in_an_exclusion_stays_with_a_person(text: str) -> None:
    """It would exclude a patient never given the treatment; the text likely means one who
    had it, long enough ago (or is an inclusion filed as an exclusion)."""
    assert not r.has_review(compile_criterion(text, "inclusion").rule)
    assert r.has_review(compile_criterion(text, "exclusion").rule)


# ---------------------------------------------------------------- evaluation

NEVER = {"drug_class": "chemotherapy", "status": "absent"}
LONG_AGO = {"name": "carboplatin", "start": "2025-01-01", "end": "2025-03-01"}
RECENT = {"name": "carboplatin", "start": "2026-09-01", "end": "2026-11-10"}
ONGOING = {"name": "carboplatin", "start": "2026-09-01"}
EXACTLY_4_WEEKS = {"name": "carboplatin", "start": "2026-09-01", "end": "2026-10-24"}


@pytest.mark.parametrize(
    ("medications", "at_least", "more_than"),
    [
        ([NEVER], "met", "met"),
        ([LONG_AGO, NEVER], "met", "met"),  # an old course, and none now
        ([LONG_AGO], "unknown", "unknown"),  # none since? the list does not say
        ([RECENT], "not_met", "not_met"),
        ([ONGOING], "not_met", "not_met"),
        ([EXACTLY_4_WEEKS], "unknown", "not_met"),  # 4 weeks since: at least 4, not more
        ([], "unknown", "unknown"),
        ([{"name": "ibuprofen", "start": "2026-11-01"}], "unknown", "unknown"),
    ],
)
def test_a_washout_since_prior_chemotherapy(
    medications: list[dict[str, str]], at_least: str, more_than: str
) -> None:
    subject = patient(medications=medications)
    assert status("At least 4 weeks since prior chemotherapy", subject) == at_least
    assert status("More than 4 weeks since prior chemotherapy", subject) == more_than


def test_a_washout_before_a_later_event_decides_only_what_holds_whenever_it_comes() -> None:
    text = "Prior treatment with chemotherapy must have ended at least 2 weeks before randomisation"
    assert status(text, patient(medications=[NEVER])) == "met"
    # stopped 11 days before screening: randomisation 3 days later or 3 weeks later?
    assert status(text, patient(medications=[RECENT])) == "unknown"
    assert status(text, patient(medications=[LONG_AGO])) == "unknown"
    assert status(text, patient()) == "unknown"


def test_a_recent_procedure_before_a_trial_event() -> None:
    text = "Major surgery < 4 weeks prior to study entry"
    three_weeks = patient(procedures=[{"name": "major surgery", "dates": ["2026-10-31"]}])
    assert status(text, three_weeks, "exclusion") == "unknown"  # entry may come after a week
    assert status(
        text, patient(procedures=[{"name": "surgery", "status": "absent"}]), "exclusion"
    ) == ("not_met")
    now = "Radiotherapy less than 2 weeks ago"
    session = patient(procedures=[{"name": "radiotherapy", "dates": ["2026-11-15"]}])
    two_weeks = patient(procedures=[{"name": "radiotherapy", "dates": ["2026-11-07"]}])
    assert status(now, session, "exclusion") == "met"
    assert status(now, two_weeks, "exclusion") == "unknown"  # 2 weeks ago is not less than 2


def test_a_course_completed_before_is_decided_where_both_readings_agree() -> None:
    text = "Radiotherapy must have been completed at least 4 weeks prior to screening"
    recent = patient(
        procedures=[{"name": "radiotherapy", "start": "2026-10-01", "end": "2026-11-14"}]
    )
    old = patient(procedures=[{"name": "radiotherapy", "start": "2025-10-01", "end": "2025-11-14"}])
    denied = patient(procedures=[{"name": "radiotherapy", "status": "absent"}])
    assert status(text, recent) == "not_met"
    assert status(text, old) == "unknown"
    # never treated: met as a washout, not met as a required course; a person decides
    assert status(text, denied) == "review"


# ---------------------------------------------------------------- properties

_CLASS_PHRASES = concepts.drug_class_phrases()


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_CLASS_PHRASES),
    st.integers(1, 52),
    st.sampled_from(["At least", "≥", ">=", "No less than", "A minimum of"]),
    st.sampled_from(["since prior", "since previous", "from prior", "since the last dose of",
                     "since last", "from the last dose of", "since treatment with"]),
    st.sampled_from(["weeks", "wks", "week"]),
)  # fmt: skip
def test_a_least_time_since_any_class_in_any_spelling(
    entry: tuple[str, str], weeks: int, least: str, since: str, unit: str
) -> None:
    phrase, class_id = entry
    text = f"{least} {weeks} {unit} {since} {phrase}"
    assert canonical(text) == f"not medication({class_id}, within < {weeks} weeks)"


_entries = st.one_of(
    st.just({"drug_class": "chemotherapy", "status": "absent"}),
    st.just({"name": "ibuprofen", "start": "2026-01-01"}),
    st.builds(
        lambda start, length, ongoing: {
            "name": "carboplatin",
            "start": (SCREENING_DATE - dt.timedelta(days=start)).isoformat(),
            **(
                {}
                if ongoing
                else {
                    "end": (SCREENING_DATE - dt.timedelta(days=max(start - length, 0))).isoformat()
                }
            ),
        },
        st.integers(0, 800),
        st.integers(0, 200),
        st.booleans(),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_entries, max_size=3), st.integers(1, 30))
def test_weeks_and_days_agree_and_the_washout_is_the_complement_of_recent_use(
    medications: list[dict[str, Any]], weeks: int
) -> None:
    """N weeks and 7N days give the same verdict; an inclusion "at least N since prior X"
    holds exactly where an exclusion "less than N since the last dose of X" does not."""
    subject = patient(medications=medications)
    in_weeks = status(f"At least {weeks} weeks since prior chemotherapy", subject)
    in_days = status(f"At least {7 * weeks} days since prior chemotherapy", subject)
    recent = status(
        f"Less than {weeks} weeks since the last dose of chemotherapy", subject, "exclusion"
    )
    flipped = {"met": "not_met", "not_met": "met", "unknown": "unknown"}
    assert in_weeks == in_days
    assert in_weeks == flipped[recent]
