"""Transplants: criteria naming them, and a patient's transplant recorded as a status
(condition entry, ICD-10-CM Z94) or as a procedure (procedure entry, with its date).

One model (concepts.yaml `procedure: true`): `history(transplant_liver)` reads both records;
a window ("within 100 days") is decided only by the date of the operation, which a dated
procedure entry gives. Allogeneic and autologous stem cell transplants are never confused:
no ICD-10-CM code says which (Z94.81, Z94.84, T86.0, T86.5 cover both).
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
from screener.evaluate import evaluate
from screener.facts import PatientFacts
from tests.helpers import SCREENING_DATE, canonical, outcome, patient

# ---------------------------------------------------------------- compiling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Prior allogeneic hematopoietic stem cell transplantation", "history(allogeneic_hsct)"),
        ("Previous allogeneic bone marrow transplant.", "history(allogeneic_hsct)"),
        ("Prior allogenic HSCT", "history(allogeneic_hsct)"),
        ("Prior autologous stem cell transplant within 100 days",
         "history(autologous_hsct, within 100 days)"),
        ("allogeneic HSCT within 6 months", "history(allogeneic_hsct, within 6 months)"),
        ("allo-HSCT within 6 months", "history(allogeneic_hsct, within 6 months)"),
        ("Prior organ transplantation", "history(organ_transplant)"),
        ("History of organ transplantation.", "history(organ_transplant)"),
        ("history of solid organ or allogeneic stem cell transplant",
         "history(solid_organ_transplant) or history(allogeneic_hsct)"),
        ("Patients who have undergone a prior allogeneic or autologous stem cell transplant.",
         "history(allogeneic_hsct) or history(autologous_hsct)"),
        ("Prior allogeneic stem cell or solid organ transplantation",
         "history(allogeneic_hsct) or history(solid_organ_transplant)"),
        # what compiled before
        ("Received solid organ or bone marrow transplant",
         "history(solid_organ_transplant) or history(transplant_bone_marrow)"),
        ("Prior liver transplantation", "history(transplant_liver)"),
    ],
)  # fmt: skip
def test_transplant_criteria_compile(text: str, expected: str) -> None:
    assert canonical(text, "exclusion") == expected


@pytest.mark.parametrize(
    "text",
    [
        "relapse after allogeneic transplant",
        # every organ transplant is allogeneic: "allogeneic" there says nothing of a marrow
        "History of allogeneic organ transplant",
        "allogeneic transplant within 6 months",
        # autologous islets, chondrocytes, fat: a bare autologous transplant is no marrow
        "Prior autologous transplant",
        # "allo-HSCT" does not end in a transplant word to share with "solid organ"
        "history of solid organ or allo-HSCT",
        "Allogeneic HSCT within 3 months prior to the first study drug dose.",
    ],
)
def test_unread_transplant_criteria_stay_review(text: str) -> None:
    assert r.has_review(compile_criterion(text, "exclusion").rule)


# ---------------------------------------------------------------- evaluating

ALLO = "Prior allogeneic hematopoietic stem cell transplantation"
AUTO_WINDOW = "Prior autologous stem cell transplant within 100 days"  # from 2026-08-13


def status(text: str, **fields: Any) -> str:
    return outcome(text, patient(**fields), "exclusion").status.value


@pytest.mark.parametrize(
    "record",
    [
        {"conditions": [{"code": "Z94.84"}]},  # "Stem cells transplant status"
        {"conditions": [{"code": "Z94.81"}]},  # "Bone marrow transplant status"
        {"conditions": [{"code": "T86.5"}]},  # "Complications of stem cell transplant"
        {"conditions": [{"name": "stem cell transplant"}]},
        {"procedures": [{"name": "hematopoietic stem cell transplantation",
                         "dates": ["2020-01-01"]}]},
        {"conditions": [{"name": "autologous stem cell transplant"}]},
    ],
)  # fmt: skip
def test_a_stem_cell_transplant_that_does_not_say_which_leaves_allogeneic_open(
    record: dict[str, Any],
) -> None:
    assert status(ALLO, **record) == "unknown"
    assert status("History of stem cell transplant", **record) == "met"


@pytest.mark.parametrize(
    "record",
    [
        {"conditions": [{"name": "allogeneic stem cell transplant"}]},
        {"conditions": [{"name": "allo-HSCT", "status": "resolved"}]},
        {"procedures": [{"name": "allogeneic bone marrow transplant", "dates": ["2020-01-01"]}]},
        {"procedures": [{"name": "Allogeneic HSCT"}]},  # undated: done before, some time
    ],
)
def test_an_allogeneic_transplant_is_read_from_either_record(record: dict[str, Any]) -> None:
    assert status(ALLO, **record) == "met"
    assert status("History of stem cell transplant", **record) == "met"
    assert status("Prior organ transplantation", **record) == "met"
    assert status("Prior solid organ transplantation", **record) == "unknown"


@pytest.mark.parametrize(
    "record",
    [
        {"conditions": [{"name": "stem cell transplant", "status": "absent"}]},
        {"procedures": [{"name": "stem cell transplant", "status": "absent"}]},
        {"procedures": [{"name": "allogeneic stem cell transplant", "status": "absent"}]},
    ],
)
def test_a_transplant_known_never_done_rules_out_the_narrower_ones(
    record: dict[str, Any],
) -> None:
    assert status(ALLO, **record) == "not_met"


def test_an_autologous_transplant_known_never_done_leaves_allogeneic_open() -> None:
    record = {"procedures": [{"name": "autologous stem cell transplant", "status": "absent"}]}
    assert status(ALLO, **record) == "unknown"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"dates": ["2026-10-01"]}, "met"),
        ({"dates": ["2026-08-13"]}, "met"),  # the window's first day
        ({"dates": ["2026-08-12"]}, "unknown"),  # before it: another may be recent
        ({"start": "2026-10-01", "end": "2026-10-01"}, "met"),
        # an operation does not go on: a start with no end is its day
        ({"start": "2025-10-01"}, "unknown"),
        ({}, "unknown"),  # undated
        ({"dates": ["2026-12-01"]}, "unknown"),  # after the screening date: not on file yet
        ({"status": "absent"}, "not_met"),
    ],
)
def test_a_window_is_decided_by_the_date_of_the_operation(
    entry: dict[str, Any], expected: str
) -> None:
    record = {"procedures": [{"name": "autologous stem cell transplant", **entry}]}
    assert status(AUTO_WINDOW, **record) == expected


@pytest.mark.parametrize(
    "condition",
    [
        {"name": "autologous stem cell transplant", "onset": "2026-10-01"},
        {"name": "autologous stem cell transplant", "onset": "2015-01-01"},
    ],
)
def test_a_status_entry_dates_no_operation(condition: dict[str, str]) -> None:
    """The onset of a status (Z94.84 may be recorded years after the graft) is not the day of
    the operation, so it neither meets nor fails a window; it does meet the history."""
    assert status(AUTO_WINDOW, conditions=[condition]) == "unknown"
    assert status("History of autologous stem cell transplant", conditions=[condition]) == "met"


def test_a_transplant_status_is_a_lasting_history() -> None:
    """ "Organ transplant recipient" (condition) and "history of" read a status code alike."""
    assert status("Organ transplant recipient", conditions=[{"code": "Z94.0"}]) == "met"
    assert status("History of kidney transplant", conditions=[{"code": "Z94.0"}]) == "met"
    old = {"conditions": [{"name": "liver transplant", "onset": "2015-01-01"}]}
    assert status("liver transplant within 6 months", **old) == "unknown"


_TRANSPLANT_PHRASES = sorted(
    (phrase, concept_id)
    for phrase, concept_id in concepts.phrases()
    if concepts.CONCEPTS[concept_id].procedure
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_TRANSPLANT_PHRASES), st.integers(0, 99))
def test_a_procedure_entry_of_any_transplant_meets_its_window(
    entry: tuple[str, str], days_ago: int
) -> None:
    """Any transplant named as a procedure, dated inside "within 100 days", meets it and its
    broader transplants, and a condition entry of the same name meets the history only."""
    phrase, concept_id = entry
    day = (SCREENING_DATE - dt.timedelta(days=days_ago)).isoformat()
    window = r.Window(100, "days")
    as_procedure = patient(procedures=[{"name": phrase, "dates": [day]}])
    as_condition = patient(conditions=[{"name": phrase}])
    for target in {concept_id} | concepts.ancestors(concept_id):
        within = r.Condition(target, r.ConditionMode.HISTORY, window)
        ever = r.Condition(target, r.ConditionMode.HISTORY)
        for subject, rule, expected in [
            (as_procedure, within, "met"),
            (as_procedure, ever, "met"),
            (as_condition, ever, "met"),
            (as_condition, within, "unknown"),
        ]:
            found = evaluate(rule, PatientFacts(subject, SCREENING_DATE)).status.value
            assert found == expected, (phrase, rule.render())
