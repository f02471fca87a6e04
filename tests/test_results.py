"""screener.results.trusted: the screening hot path's constructor equals model_construct."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel

from screener.logic import Status
from screener.results import (
    Answer,
    CriterionClass,
    CriterionResult,
    Effect,
    Kind,
    OpenCounts,
    Origin,
    TrialResult,
    ValueUsed,
    Verdict,
    trusted,
)


def _criterion_fields() -> dict[str, object]:
    return {
        "id": "inc-1",
        "kind": Kind.INCLUSION,
        "class_": CriterionClass.CLINICAL,
        "origin": Origin.TEXT,
        "text": "Aged 18-70 years",
        "status": Status.MET,
        "effect": Effect.PASS,
        "rule": "age in [18, 70] years",
        "reason": "age 54 years",
        "values": [ValueUsed(name="age", value="54", unit="years", date=dt.date(2026, 1, 2))],
        "missing": [],
        "answer": Answer(status=Status.MET, by="coordinator"),
        "context": None,
    }


def _trial_fields() -> dict[str, object]:
    criterion = trusted(CriterionResult, _criterion_fields())
    return {
        "id": "NCT00000001",
        "title": "A trial",
        "status": "RECRUITING",
        "verdict": Verdict.ELIGIBLE,
        "pending_confirmation": False,
        "open": OpenCounts(),
        "criteria": [criterion],
    }


@pytest.mark.parametrize(
    ("model", "fields"),
    [(CriterionResult, _criterion_fields), (TrialResult, _trial_fields)],
)
def test_trusted_equals_model_construct(model: type[BaseModel], fields: object) -> None:
    assert callable(fields)
    fast, slow = trusted(model, fields()), model.model_construct(**fields())
    assert type(fast) is model
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump(mode="json", by_alias=True) == slow.model_dump(
        mode="json", by_alias=True
    )
    assert fast.model_dump_json() == slow.model_dump_json()


def test_trusted_result_is_frozen_like_any_other() -> None:
    result = trusted(CriterionResult, _criterion_fields())
    with pytest.raises(ValueError, match="frozen"):
        result.reason = "changed"  # type: ignore[misc]


def test_trusted_with_fields_left_out_fills_defaults_as_model_construct() -> None:
    fields = _criterion_fields()
    for name in ("values", "missing", "answer", "context"):
        del fields[name]
    fast = trusted(CriterionResult, dict(fields))
    assert fast == CriterionResult.model_construct(**fields)
    assert fast.values == [] and fast.answer is None
    assert fast.model_fields_set == set(fields)


TRIAL = """\
id: {id}
title: Trial {id}
exclusion:
  - {text}
"""


def test_a_rule_repeated_across_trials_is_evaluated_once_per_patient(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import screener.evaluate as evaluate_module
    from screener.library import TrialLibrary
    from screener.patient import patient_from_dict
    from screener.trials import load_trial_text

    texts = {"T-A": "Pregnancy", "T-B": "Pregnant", "T-C": "Total bilirubin ≥ 171 μmol/L"}
    library = TrialLibrary.from_specs(
        load_trial_text(TRIAL.format(id=i, text=t), f"{i}.yaml") for i, t in texts.items()
    )
    evaluated: list[str] = []
    real = evaluate_module._evaluate

    def counting(rule, facts):  # type: ignore[no-untyped-def]
        evaluated.append(evaluate_module.r.render(rule))
        return real(rule, facts)

    monkeypatch.setattr(evaluate_module, "_evaluate", counting)
    patient = patient_from_dict({"id": "p", "sex": "male", "birth_date": "1970-01-01"}, "p")
    for _ in range(2):  # each screening evaluates afresh: outcomes belong to one patient
        report = library.screen(patient, on=dt.date(2026, 1, 15))
        by_trial = {t.id: t.criteria[-1] for t in report.trials}
        assert by_trial["T-A"].text == "Pregnancy" and by_trial["T-B"].text == "Pregnant"
        assert by_trial["T-A"].status is by_trial["T-B"].status is Status.NOT_MET
        assert by_trial["T-C"].status is Status.UNKNOWN
    assert sorted(evaluated) == sorted(["pregnant", "lab(total_bilirubin) >= 171 umol/L"] * 2)
