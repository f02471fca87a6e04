"""Time windows stated in criteria (labs, diagnoses, drugs, other trials), drug use ever, and
sex-restricted pregnancy wording."""

from __future__ import annotations

import pytest

from screener import rules as r
from screener.compiler import compile_criterion
from tests.helpers import lab, outcome, patient


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "HbA1c 7.5%-12.5% in last 90 days",
            "inclusion",
            "lab(hba1c) in [7.5, 12.5] % within 90 days",
        ),
        (
            "HbA1c between 7.5% and 12.5% within the past 3 months",
            "inclusion",
            "lab(hba1c) in [7.5, 12.5] % within 3 months",
        ),
        (
            "Myocardial infarction within 6 months prior to screening",
            "exclusion",
            "history(myocardial_infarction, within 6 months)",
        ),
        (
            "History of stroke in the past 12 months",
            "exclusion",
            "history(stroke, within 12 months)",
        ),
        (
            "Received systemic corticosteroids within 14 days of the first dose of study drug",
            "exclusion",
            "medication(steroid, within 14 days before first_dose)",
        ),
        (
            "Treatment with immunosuppressive drugs within 4 weeks prior to randomization",
            "exclusion",
            "medication(immunosuppressant, within 4 weeks before randomisation)",
        ),
        (
            "Participation in another clinical trial within 30 days prior to enrollment",
            "exclusion",
            "other_trial(any, within 30 days before enrolment)",
        ),
        ("Current use of immunosuppressants", "exclusion", "medication(immunosuppressant)"),
        # "at screening" names the moment every lab of a criterion is meant for
        ("ALT ≤ 2.5 × ULN at screening", "inclusion", "lab(alt) <= 2.5 xULN"),
        ("Age ≥ 18 years at the time of signing informed consent", "inclusion", "age >= 18 years"),
    ],
)
def test_windows_compile(text: str, kind: str, expected: str) -> None:
    assert r.render(compile_criterion(text, kind).rule) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a lab "within 14 days prior to registration" is a test still to be taken
        "Creatinine ≤ 1.5 mg/dL within 14 days prior to registration",
        # the calendar of windows counts days, weeks, months and years
        "Use of corticosteroids within 24 hours prior to screening",
        # "before" what?
        "Use of corticosteroids within 4 weeks before",
        # an age at a later event grows meanwhile
        "Age ≤ 70 years at randomization",
        # the window may bound the last item or all of them
        "Stroke or myocardial infarction within the last 3 months",
    ],
)
def test_windows_that_do_not_compile_whole(text: str) -> None:
    rule = compile_criterion(text, "exclusion").rule
    assert r.has_review(rule), r.render(rule)


# ---------------------------------------------------------------- labs


def test_a_window_in_the_criterion_replaces_the_lab_horizon() -> None:
    sixty_days_old = patient(observations=[lab("HbA1c", 8.0, "%", date="2026-09-22")])
    shorter = outcome("HbA1c ≤ 9% within the last 30 days", sixty_days_old)
    assert shorter.status == "unknown"
    assert "window of 30 days" in shorter.reason
    assert outcome("HbA1c ≤ 9%", sixty_days_old).status == "met"  # the 90-day horizon

    five_months_old = patient(observations=[lab("HbA1c", 8.0, "%", date="2026-06-25")])
    assert outcome("HbA1c ≤ 9%", five_months_old).status == "unknown"
    assert outcome("HbA1c ≤ 9% within the past 6 months", five_months_old).status == "met"
    assert outcome("HbA1c ≥ 9% within the past 6 months", five_months_old).status == "not_met"


def test_a_lab_window_before_a_later_event_never_decides() -> None:
    rule = r.Compare(
        r.Lab("creatinine"), r.Op.LE, r.Decimal("1.5"), "mg/dL", r.Window(14, "days", "first_dose")
    )
    from screener.evaluate import evaluate
    from screener.facts import PatientFacts
    from tests.helpers import SCREENING_DATE

    today = patient(observations=[lab("creatinine", 1.0, "mg/dL")])
    result = evaluate(rule, PatientFacts(today, SCREENING_DATE))
    assert result.status == "unknown"
    assert "first dose" in result.reason


# ---------------------------------------------------------------- diagnoses

MI_WITHIN = "Myocardial infarction within 6 months prior to screening"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"name": "myocardial infarction", "status": "present"}, "met"),
        ({"name": "myocardial infarction", "status": "resolved", "onset": "2026-08-01"}, "met"),
        ({"name": "myocardial infarction", "status": "resolved", "onset": "2020-08-01"}, "unknown"),
        ({"name": "myocardial infarction", "status": "resolved"}, "unknown"),
        ({"name": "myocardial infarction", "status": "absent"}, "not_met"),
        (
            {"name": "myocardial infarction", "status": "suspected", "onset": "2026-11-01"},
            "unknown",
        ),
    ],
)
def test_a_dated_diagnosis(entry: dict[str, str], expected: str) -> None:
    assert outcome(MI_WITHIN, patient(conditions=[entry]), "exclusion").status == expected


def test_a_dated_diagnosis_with_nothing_recorded_is_unknown() -> None:
    assert outcome(MI_WITHIN, patient(), "exclusion").status == "unknown"


def test_a_history_code_does_not_date_the_event() -> None:
    # Z85.3 recorded last month: the breast cancer itself may be decades old
    subject = patient(
        conditions=[
            {"code": "Z85.3", "system": "icd10cm", "status": "present", "onset": "2026-10-01"}
        ]
    )
    result = outcome("History of malignancy within 5 years", subject, "exclusion")
    assert result.status == "unknown"


# ---------------------------------------------------------------- drugs and trials


def test_a_washout_before_a_later_event_decides_only_what_holds_whenever_it_comes() -> None:
    text = "Treatment with immunosuppressive drugs within 4 weeks prior to randomization"
    on_it = patient(medications=[{"name": "tacrolimus", "start": "2026-01-01"}])
    result = outcome(text, on_it, "exclusion")
    assert result.status == "unknown"
    assert "randomisation" in result.reason and "screening date" in result.reason
    denied = patient(medications=[{"drug_class": "immunosuppressant", "status": "absent"}])
    assert outcome(text, denied, "exclusion").status == "not_met"
    # counted back from the screening date itself, the same use decides
    same_day = "Treatment with immunosuppressive drugs within 4 weeks prior to screening"
    assert outcome(same_day, on_it, "exclusion").status == "met"


def test_a_washout_counts_calendar_time_back_from_the_screening_date() -> None:
    text = "Received systemic corticosteroids within 4 weeks prior to screening"
    stopped_recently = patient(
        medications=[{"name": "prednisone", "start": "2026-09-01", "end": "2026-11-01"}]
    )
    assert outcome(text, stopped_recently, "exclusion").status == "met"
    stopped_long_ago = patient(
        medications=[{"name": "prednisone", "start": "2026-01-01", "end": "2026-02-01"}]
    )
    # an old course does not say no other course came since: not decided
    assert outcome(text, stopped_long_ago, "exclusion").status == "unknown"


def test_prior_use_of_a_drug_class_is_any_use_before_screening() -> None:
    text = "Prior chemotherapy"
    assert r.render(compile_criterion(text, "exclusion").rule) == "medication(chemotherapy, ever)"
    years_ago = patient(
        medications=[{"name": "carboplatin", "start": "2019-01-01", "end": "2019-06-01"}]
    )
    assert outcome(text, years_ago, "exclusion").status == "met"
    # "not taken" says nothing of the past
    denied = patient(medications=[{"drug_class": "chemotherapy", "status": "absent"}])
    assert outcome(text, denied, "exclusion").status == "unknown"
    assert outcome("No prior chemotherapy", years_ago).status == "not_met"


def test_women_who_are_not_breastfeeding_is_a_condition_on_women() -> None:
    text = "Women who are not breastfeeding."
    assert r.render(compile_criterion(text).rule) == "not lactating"
    nursing = patient(sex="female", lactation={"status": "present", "date": "2026-11-20"})
    not_nursing = patient(sex="female", lactation={"status": "absent", "date": "2026-11-20"})
    assert outcome(text, nursing).status == "not_met"
    assert outcome(text, not_nursing).status == "met"
    assert outcome(text, patient(sex="male")).status == "met"


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("ECOG performance status 0-1", {"ecog": {"value": 1, "date": "2026-12-20"}}),
        (
            "Life expectancy > 3 months",
            {"life_expectancy": {"value": 12, "unit": "months", "date": "2026-12-20"}},
        ),
    ],
)
def test_facts_dated_after_the_screening_date_do_not_count(
    text: str, facts: dict[str, object]
) -> None:
    assert outcome(text, patient(facts=facts)).status == "unknown"


# ---------------------------------------------------------------- strict windows


@pytest.mark.parametrize(
    ("last_day", "inclusive", "strict"),
    [
        ("2026-10-23", "unknown", "unknown"),  # 29 days before the screening date
        ("2026-10-24", "met", "unknown"),  # exactly 4 weeks: "within", but not "less than"
        ("2026-10-25", "met", "met"),
    ],
)
def test_a_strict_window_leaves_out_the_day_exactly_its_length_back(
    last_day: str, inclusive: str, strict: str
) -> None:
    from screener.canonical import parse_rule
    from screener.evaluate import evaluate
    from screener.facts import PatientFacts
    from tests.helpers import SCREENING_DATE

    course = patient(medications=[{"name": "prednisone", "start": "2026-09-01", "end": last_day}])
    session = patient(procedures=[{"name": "surgery", "dates": [last_day]}])
    for subject, leaf in ((course, "medication(steroid, "), (session, "procedure(surgery, ")):
        facts = PatientFacts(subject, SCREENING_DATE)
        assert evaluate(parse_rule(leaf + "within 4 weeks)"), facts).status == inclusive
        assert evaluate(parse_rule(leaf + "within < 4 weeks)"), facts).status == strict
        assert evaluate(parse_rule(leaf + "within < 28 days)"), facts).status == strict


def test_a_strict_window_prints_and_parses_back() -> None:
    from screener.canonical import parse_rule

    window = r.Window(3, "months", "randomisation", strict=True)
    rule = r.Not(r.Medication("chemotherapy", window))
    assert r.render(rule) == "not medication(chemotherapy, within < 3 months before randomisation)"
    assert parse_rule(r.render(rule)) == rule


@pytest.mark.parametrize("kind", ["inclusion", "exclusion"])
@pytest.mark.parametrize(
    "text",
    [
        "Diagnosis of deep vein thrombosis in the previous 3 months.",
        "Diagnosed with hepatitis B within the past 6 months",
        "A diagnosis of stroke within 6 months prior to randomisation",
    ],
)
def test_a_window_on_a_diagnosis_dates_it_and_stays_review(text: str, kind: str) -> None:
    """The window bounds when the diagnosis was made, which no rule states: a DVT diagnosed
    6 months ago and still present is no 'diagnosis in the previous 3 months'."""
    rule = compile_criterion(text, kind).rule
    assert isinstance(rule, r.Review), r.render(rule)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Patients diagnosed with diabetes", "condition(diabetes)"),
        ("A diagnosis of HIV", "condition(hiv)"),
        ("DVT within 3 months", "history(deep_vein_thrombosis, within 3 months)"),
    ],
)
def test_diagnosis_words_without_a_window_name_the_condition(text: str, expected: str) -> None:
    assert r.render(compile_criterion(text, "exclusion").rule) == expected
