"""Evaluate a compiled rule against a patient's facts.

Every leaf gives an `Outcome`: a status, the reason in words, the patient
values it used, and the data that would decide it when it is `unknown`.
Compound nodes combine with Kleene logic (screener.logic).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from screener import analytes, concepts, qualitative, timecalc
from screener import rules as r
from screener.derived import CG_ANALYTE, DerivedValue, cockcroft_gault_clearance, derive_score
from screener.facts import PatientFacts, Reading, TestReading, horizon
from screener.logic import Status, agree, all_of, any_of, negate
from screener.patient import ConditionEntry, ProcedureEntry, day_of
from screener.reference_ranges import upper_limit
from screener.results import Converted, ValueUsed

_EPSILON = 1e-9
_DAYS_PER = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25, "hours": 1 / 24}


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str
    values: tuple[ValueUsed, ...] = ()
    missing: tuple[str, ...] = ()


def _unknown(reason: str, missing: str, values: tuple[ValueUsed, ...] = ()) -> Outcome:
    return Outcome(Status.UNKNOWN, reason, values, (missing,))


# ---------------------------------------------------------------- comparisons


def compare_numbers(value: float, op: r.Op, threshold: float) -> Status:
    """Compare two numbers in the same unit; `over`/`under` are review on the boundary."""
    equal = abs(value - threshold) <= _EPSILON * max(1.0, abs(threshold))
    if op is r.Op.EQ:
        return Status.MET if equal else Status.NOT_MET
    if equal:
        if op in (r.Op.OVER, r.Op.UNDER):
            return Status.REVIEW
        return Status.MET if op in (r.Op.GE, r.Op.LE) else Status.NOT_MET
    above = value > threshold
    if op in (r.Op.GT, r.Op.GE, r.Op.OVER):
        return Status.MET if above else Status.NOT_MET
    return Status.NOT_MET if above else Status.MET


def in_range(value: float, rule: r.Between, low: float, high: float) -> Status:
    low_ok = compare_numbers(value, r.Op.GE if rule.low_inclusive else r.Op.GT, low)
    high_ok = compare_numbers(value, r.Op.LE if rule.high_inclusive else r.Op.LT, high)
    return all_of([low_ok, high_ok])


@lru_cache(maxsize=8192)
def _describe_test(rule: r.Compare | r.Between) -> str:
    """The comparison part of a rule's printed form ('>= 171 umol/L'), for reasons."""
    text = rule.render()
    return text[text.index(" ") + 1 :] if " " in text else text


def _test(rule: r.Compare | r.Between, value: float, convert: Callable[[Decimal], float]) -> Status:
    if isinstance(rule, r.Compare):
        return compare_numbers(value, rule.op, convert(rule.value))
    return in_range(value, rule, convert(rule.low), convert(rule.high))


def _near_threshold(
    rule: r.Compare | r.Between, value: float, margin: float, convert: Callable[[Decimal], float]
) -> bool:
    bounds = [rule.value] if isinstance(rule, r.Compare) else [rule.low, rule.high]
    return margin > 0 and any(abs(value - convert(b)) <= margin for b in bounds)


@lru_cache(maxsize=4096)
def threshold_in_canonical(analyte_id: str, value: Decimal, unit: str) -> float:
    """A criterion threshold in the analyte's canonical unit (normalised once)."""
    converted = analytes.convert(analyte_id, float(value), unit or None)
    if isinstance(converted, analytes.UnitProblem):  # the compiler rejects these
        raise ValueError(converted.reason)
    return converted.value


def normalise_thresholds(rule: r.Rule) -> None:
    """Convert every lab threshold of a rule to its canonical unit now (at compile time)."""
    for leaf in r.leaves(rule):
        if isinstance(leaf, r.Compare | r.Between) and isinstance(leaf.subject, r.Lab | r.Rise):
            if leaf.unit == "xULN":
                continue
            bounds = [leaf.value] if isinstance(leaf, r.Compare) else [leaf.low, leaf.high]
            for bound in bounds:
                threshold_in_canonical(leaf.subject.analyte, bound, leaf.unit)


def _reading_value(reading: Reading, name: str) -> ValueUsed:
    converted = None
    if reading.value is not None and reading.note:
        converted = Converted(value=round(reading.value, 4), unit=reading.unit)
    note = reading.note or None
    if reading.preliminary:
        note = ((note + "; ") if note else "") + "preliminary result"
    return ValueUsed(
        name=name,
        value=reading.raw_value,
        unit=reading.raw_unit,
        date=reading.day,
        converted=converted,
        note=note,
    )


# ---------------------------------------------------------------- leaves


def _lab(rule: r.Compare | r.Between, subject: r.Lab, facts: PatientFacts) -> Outcome:
    if subject.analyte == CG_ANALYTE and rule.unit != "xULN":
        outcome = _cockcroft_gault(rule, subject, facts)
    else:
        outcome = _lab_latest(rule, subject, facts)
    if rule.within is None or not rule.within.anchor or outcome.status is Status.UNKNOWN:
        return outcome
    # a later event's window: a value of today may be too old by then, a new one may differ
    window = rule.within.render().replace("_", " ")
    return _unknown(
        f"{outcome.reason}; the criterion wants a value within {window}, which comes later",
        f"{analytes.ANALYTES[subject.analyte].name} within {rule.within.render()}",
        outcome.values,
    )


def _cockcroft_gault(rule: r.Compare | r.Between, subject: r.Lab, facts: PatientFacts) -> Outcome:
    """A Cockcroft-Gault clearance: the one on file (35591-7), or the one computed from the
    patient's age, sex, weight and creatinine (derived.cockcroft_gault_clearance), whichever
    is later (on the same day, the one on file). A measured clearance or an eGFR is another
    method and never stands in; the reason names one on file."""
    recorded = facts.latest(subject.analyte)
    derived = cockcroft_gault_clearance(facts)
    if isinstance(derived, DerivedValue):
        assert derived.used.date is not None
        if recorded is None or recorded.day < derived.used.date:
            return _compare_derived(rule, subject, derived, facts)
    if recorded is not None:
        return _lab_latest(rule, subject, facts)
    assert isinstance(derived, Outcome)
    others = _other_methods(facts)
    reason = f"{derived.reason}; none on file" + (f" ({others})" if others else "")
    return Outcome(derived.status, reason, derived.values, derived.missing)


def _other_methods(facts: PatientFacts) -> str:
    """A measured creatinine clearance or an eGFR on file, which a Cockcroft-Gault criterion
    does not take: named in its reason."""
    found = [
        reading
        for reading in (facts.latest("creatinine_clearance"), facts.latest("egfr"))
        if reading is not None and reading.analyte != CG_ANALYTE
    ]
    if not found:
        return ""
    shown = "; ".join(
        f"{analytes.ANALYTES[x.analyte].name} {_shown_raw(x)} {x.raw_unit or ''} of {x.day}"
        for x in found
    )
    return f"{shown} on file is another method and does not stand in for it"


def _shown_raw(reading: Reading) -> str:
    raw = reading.raw_value
    return f"{raw:g}" if isinstance(raw, float) else str(raw)


def _compare_derived(
    rule: r.Compare | r.Between, subject: r.Lab, derived: DerivedValue, facts: PatientFacts
) -> Outcome:
    """A computed lab value (one or more possibilities) against the rule: decided only when
    every possibility agrees."""
    used = (derived.used,)
    day = derived.used.date
    assert day is not None
    if rule.within is not None and day < _window_start(facts.on, rule.within):
        return _unknown(
            f"{derived.label} computed from values of {day}, before the criterion's window",
            derived.label,
            used,
        )

    def convert(bound: Decimal) -> float:
        return threshold_in_canonical(subject.analyte, bound, rule.unit)

    statuses = {_test(rule, float(value), convert) for value in derived.values}
    shown = " or ".join(f"{float(v):.2f}" for v in derived.values)
    criterion = _describe_test(rule)
    if len(statuses) == 1:
        status = statuses.pop()
        return Outcome(
            status,
            f"{derived.label} {shown} {derived.used.unit} on {day} ({derived.note}); "
            f"criterion {criterion}: {status}",
            used,
        )
    return Outcome(
        Status.UNKNOWN,
        f"{derived.label} {shown} {derived.used.unit} on {day} ({derived.note}); "
        f"criterion {criterion} depends on it",
        used,
        derived.missing,
    )


def _lab_latest(rule: r.Compare | r.Between, subject: r.Lab, facts: PatientFacts) -> Outcome:
    analyte = analytes.ANALYTES[subject.analyte]
    reading = facts.latest(subject.analyte)
    if reading is None:
        return _unknown(_not_on_file(analyte, facts), analyte.name)
    used = (_reading_value(reading, analytes.ANALYTES[reading.analyte].name),)
    if rule.within is not None:  # the criterion's own window replaces the horizon
        stale = reading.day < _window_start(facts.on, rule.within)
        age_limit = f"the criterion's window of {rule.within.amount} {rule.within.unit}"
    else:
        days = horizon(facts.rules, subject.analyte, facts.rules.lab_horizon_days)
        stale = facts.is_stale(reading.when, days)
        age_limit = f"{days} days"
    if stale:
        recorded = (
            f"{reading.raw_value:g}"
            if isinstance(reading.raw_value, float)
            else str(reading.raw_value)
        )
        return _unknown(
            f"{used[0].name} {recorded} {reading.raw_unit or ''} of {reading.day} is older "
            f"than {age_limit} (stale)",
            analyte.name,
            used,
        )
    if reading.value is None:
        return Outcome(Status.REVIEW, f"{analyte.name}: {reading.problem}", used)
    unit = rule.unit
    if unit == "xULN":
        limit = upper_limit(reading, facts)  # the observation's own, else a site default
        if isinstance(limit, str):
            return _unknown(
                f"{analyte.name}: {limit}", f"{analyte.name} upper limit of normal", used
            )
        ratio = reading.value / limit.value
        status = _test(rule, ratio, float)
        source = ""
        if limit.note:
            source = f" ({limit.note})"
            note = f"{used[0].note}; {limit.note}" if used[0].note else limit.note
            used = (used[0].model_copy(update={"note": note}),)
        return Outcome(
            status,
            f"{analyte.name} {ratio:.2f} × ULN{source}; criterion {_describe_test(rule)}: {status}",
            used,
        )

    def convert(bound: Decimal) -> float:
        return threshold_in_canonical(subject.analyte, bound, unit)

    if reading.comparator:
        return _censored(rule, reading, analyte.name, convert, used)
    status = _test(rule, reading.value, convert)
    shown = f"{reading.value:g} {reading.unit}".strip()
    reason = f"{used[0].name} {shown} on {reading.day}; criterion {_describe_test(rule)}"
    if _near_threshold(rule, reading.value, reading.uncertainty, convert):
        reason += " (at threshold after conversion: decided with the published factor)"
    return Outcome(status, f"{reason}: {status}", used)


def _not_on_file(analyte: analytes.Analyte, facts: PatientFacts) -> str:
    """'X not on file', naming any reading of the same quantity by another method (QTcB for
    a QTcF criterion): such a reading is on file but does not stand in for X."""
    others = [r for r in (facts.latest(o) for o in analyte.distinct_from) if r is not None]
    if not others:
        return f"{analyte.name} not on file"
    shown = "; ".join(
        f"{analytes.ANALYTES[x.analyte].name} {x.raw_value:g} {x.raw_unit or ''} of {x.day}"
        if isinstance(x.raw_value, float)
        else f"{analytes.ANALYTES[x.analyte].name} '{x.raw_value}' of {x.day}"
        for x in others
    )
    return (
        f"{analyte.name} not on file; {shown} is on file, but it is computed by another "
        f"method and does not stand in for {analyte.name}"
    )


def _censored(
    rule: r.Compare | r.Between,
    reading: Reading,
    name: str,
    convert: Callable[[Decimal], float],
    used: tuple[ValueUsed, ...],
) -> Outcome:
    """A result reported as '< 20': decided only when every value it allows agrees.

    "HBV DNA < 20 IU/mL" decides "< 2000" (met) but not "> 10" (unknown).
    """
    assert reading.value is not None and reading.comparator is not None
    bound = reading.value
    step = max(abs(bound), 1.0) * 1e-9
    if reading.comparator in ("<", "<="):
        ends = [-1e300, bound - step if reading.comparator == "<" else bound]
    else:
        ends = [bound + step if reading.comparator == ">" else bound, 1e300]
    statuses = {_test(rule, end, convert) for end in ends}
    shown = f"{reading.comparator} {bound:g} {reading.unit}".strip()
    criterion = _describe_test(rule)
    if len(statuses) == 1:
        status = statuses.pop()
        return Outcome(
            status,
            f"{name} {shown}; criterion {criterion}: {status} for every value the result allows",
            used,
        )
    return _unknown(
        f"{name} reported as {shown}: criterion {criterion} depends on the exact value",
        f"{name} exact value",
        used,
    )


def _rise(rule: r.Compare | r.Between, subject: r.Rise, facts: PatientFacts) -> Outcome:
    analyte = analytes.ANALYTES[subject.analyte]
    series = [x for x in facts.readings.get(subject.analyte, []) if x.value is not None]
    if len(series) < 2:
        return _unknown(
            f"daily change of {analyte.name} needs two values", f"a second {analyte.name} value"
        )
    previous, latest = series[-2], series[-1]
    used = (_reading_value(previous, analyte.name), _reading_value(latest, analyte.name))
    hours = (latest.when - previous.when).total_seconds() / 3600
    if not facts.rules.rise_min_hours <= hours <= facts.rules.rise_max_days * 24:
        return _unknown(
            f"{analyte.name} values {hours:.0f} h apart (need "
            f"{facts.rules.rise_min_hours:g} h to {facts.rules.rise_max_days:g} days)",
            f"{analyte.name} values 12 h to 7 days apart",
            used,
        )
    if facts.is_stale(latest.when, facts.rules.lab_horizon_days):
        return _unknown(f"{analyte.name} of {latest.day} is stale", analyte.name, used)
    assert latest.value is not None and previous.value is not None
    rate = (latest.value - previous.value) / (hours / _DAYS_PER_UNIT[subject.per] / 24)
    status = _test(rule, rate, lambda b: threshold_in_canonical(subject.analyte, b, rule.unit))
    return Outcome(
        status,
        f"{analyte.name} changed {rate:+.2f} {latest.unit} per {subject.per} "
        f"({previous.day} → {latest.day}); criterion {_describe_test(rule)}: "
        f"{status}",
        used,
    )


_DAYS_PER_UNIT = {"day": 1.0, "week": 7.0, "hour": 1 / 24}


# a fractional age bound is read in the next finer unit ("0.5 years" is 6 completed months)
_FINER_AGE_UNIT = {"years": ("months", 12), "weeks": ("days", 7)}


def _age_bounds(rule: r.Compare | r.Between, unit: str) -> list[tuple[r.Op, Decimal, str]] | None:
    """Each bound of an age rule as (operator, value, unit) in whole units, for comparing with
    a completed age: "age in [0.5, 18] years" is at least 6 completed months and at most 18
    completed years (a 10-month-old is 0 completed years, yet at least half a year old). None
    when a bound is whole in no unit the age is counted in ("1.3 years", "2.5 months")."""
    if isinstance(rule, r.Compare):
        bounds = [(rule.op, rule.value)]
    else:
        bounds = [
            (r.Op.GE if rule.low_inclusive else r.Op.GT, rule.low),
            (r.Op.LE if rule.high_inclusive else r.Op.LT, rule.high),
        ]
    found: list[tuple[r.Op, Decimal, str]] = []
    for op, value in bounds:
        bound_unit = unit
        if value != value.to_integral_value():
            if unit not in _FINER_AGE_UNIT:
                return None
            bound_unit, factor = _FINER_AGE_UNIT[unit]
            value *= factor
            if value != value.to_integral_value():
                return None
        found.append((op, value, bound_unit))
    return found


def _age(rule: r.Compare | r.Between, facts: PatientFacts) -> Outcome:
    unit = rule.unit or "years"
    if unit not in ("years", "months", "weeks", "days"):
        return Outcome(Status.REVIEW, f"an age in {unit} is not evaluated")
    bounds = _age_bounds(rule, unit)
    if bounds is None:
        return Outcome(
            Status.REVIEW, f"age criterion {_describe_test(rule)}: a bound in no whole unit"
        )
    shown_unit = bounds[0][2] if all(b[2] == bounds[0][2] for b in bounds) else unit
    ages = {u: facts.age_on(u) for u in {shown_unit, *(b[2] for b in bounds)}}
    interval = ages[shown_unit]
    if interval is None:
        return _unknown("age not on file", "birth date")
    statuses: list[Status] = []
    for op, value, bound_unit in bounds:
        low_high = ages[bound_unit]
        assert low_high is not None
        found = {compare_numbers(float(age), op, float(value)) for age in low_high}
        statuses.append(found.pop() if len(found) == 1 else Status.UNKNOWN)
    low, high = interval
    shown = f"{low} {shown_unit}" if low == high else f"{low}–{high} {shown_unit}"
    used = (
        ValueUsed(
            name="age", value=float(low) if low == high else shown, unit=shown_unit, date=facts.on
        ),
    )
    status = all_of(statuses)
    if status is not Status.UNKNOWN:
        return Outcome(
            status,
            f"age {shown} on {facts.on}; criterion {_describe_test(rule)}: {status}",
            used,
        )
    return _unknown(f"age known only as {shown}", "exact birth date", used)


def _fact(rule: r.Compare | r.Between, subject: r.Fact, facts: PatientFacts) -> Outcome:
    patient_facts = facts.patient.facts
    if subject.name == "life_expectancy":
        fact = patient_facts.life_expectancy
        if fact is None:
            return _unknown("life expectancy not on file", "life expectancy")
        used = (
            ValueUsed(name="life expectancy", value=fact.value, unit=fact.unit, date=fact.date),
        )
        if facts.is_stale(
            fact.date, horizon(facts.rules, "life_expectancy", facts.rules.fact_horizon_days)
        ):
            return _unknown(f"life expectancy of {fact.date} is stale", "life expectancy", used)
        days = fact.value * _DAYS_PER[fact.unit]
        status = _test(rule, days, lambda b: float(b) * _DAYS_PER[rule.unit])
        return Outcome(
            status,
            f"life expectancy {fact.value:g} {fact.unit}; criterion "
            f"{_describe_test(rule)}: {status}",
            used,
        )
    if subject.name == "he_grade":
        grade = patient_facts.hepatic_encephalopathy_grade
        if grade is not None and not facts.is_stale(grade.date, facts.rules.fact_horizon_days):
            used = (
                ValueUsed(
                    name="hepatic encephalopathy grade", value=float(grade.value), date=grade.date
                ),
            )
            status = _test(rule, float(grade.value), float)
            return Outcome(
                status,
                f"hepatic encephalopathy grade {grade.value}; criterion "
                f"{_describe_test(rule)}: {status}",
                used,
            )
        match = facts.concept_match("hepatic_encephalopathy")
        if match.absent:
            status = _test(rule, 0.0, float)
            return Outcome(
                status,
                "hepatic encephalopathy recorded absent (grade 0); criterion "
                f"{_describe_test(rule)}: {status}",
            )
        return _unknown("hepatic encephalopathy grade not on file", "hepatic encephalopathy grade")
    return Outcome(Status.REVIEW, f"no data source for '{subject.name}'")


def _score(rule: r.Compare | r.Between | r.OneOf, subject: r.Score, facts: PatientFacts) -> Outcome:
    derived = derive_score(subject.name, facts)
    if isinstance(derived, Outcome):
        return derived
    statuses: list[Status] = []
    for value in derived.values:
        if isinstance(rule, r.OneOf):
            statuses.append(Status.MET if str(value).lower() in rule.values else Status.NOT_MET)
        else:
            statuses.append(_test(rule, float(value), float))
    shown = " or ".join(f"{v:g}" if isinstance(v, float) else v for v in derived.values)
    used = (derived.used,)
    criterion = rule.render().split(" ", 1)[1]
    if len(set(statuses)) == 1:
        status = statuses[0]
        note = f" ({derived.note})" if derived.note else ""
        return Outcome(
            status, f"{derived.label} {shown}{note}; criterion {criterion}: {status}", used
        )
    return Outcome(
        Status.UNKNOWN,
        f"{derived.label} {shown} ({derived.note}); criterion {criterion} depends on it",
        used,
        tuple(derived.missing),
    )


def _condition(rule: r.Condition, facts: PatientFacts) -> Outcome:
    concept = concepts.ALL_CONCEPTS[rule.concept]
    if concept.procedure:
        return _anchored(_operation(rule, concept, facts), rule.within, facts)
    if rule.within is not None:
        return _anchored(_condition_within(rule, rule.within, facts), rule.within, facts)
    match = facts.concept_match(rule.concept)

    def names(entries: tuple[concepts.EntryLike, ...]) -> str:
        return ", ".join(e.name or e.code or "?" for e in entries)

    used = tuple(
        ValueUsed(
            name=e.name or e.code or "condition", value=e.status, date=getattr(e, "onset", None)
        )
        for e in [*match.present, *match.suspected, *match.resolved]
    )
    label = concept.name
    if rule.mode is r.ConditionMode.HISTORY:
        if match.present or match.resolved:
            return Outcome(
                Status.MET, f"history of {label}: {names(match.present + match.resolved)}", used
            )
    elif match.present:
        return Outcome(Status.MET, f"{label} present: {names(match.present)}", used)
    if rule.mode is r.ConditionMode.PRESENT_OR_SUSPECTED and match.suspected:
        return Outcome(Status.MET, f"{label} suspected: {names(match.suspected)}", used)
    if match.suspected:
        return _unknown(
            f"{label} only suspected: {names(match.suspected)}", f"confirmation of {label}", used
        )
    if rule.mode is not r.ConditionMode.HISTORY and match.resolved:
        return Outcome(
            Status.REVIEW,
            f"{label} resolved ({names(match.resolved)}); the "
            "criterion does not say whether a past one counts",
            used,
        )
    if match.absent:
        return Outcome(Status.NOT_MET, f"{label} recorded absent", used)
    return _unknown(f"{label} not recorded", label, used)


def _condition_within(rule: r.Condition, window: r.Window, facts: PatientFacts) -> Outcome:
    """'X within 6 months': X present now, or a resolved X dated inside the window."""
    label = concepts.ALL_CONCEPTS[rule.concept].name
    match = facts.concept_match(rule.concept)
    cutoff = _window_start(facts.on, window)
    entries = [*match.present, *match.resolved, *match.suspected]
    used = tuple(
        ValueUsed(name=e.name or e.code or "condition", value=e.status, date=_onset(e))
        for e in entries
    )
    span = f"{window.amount} {window.unit}"
    if match.present:
        shown = ", ".join(e.name or e.code or "?" for e in match.present)
        return Outcome(Status.MET, f"{label} present: {shown}", used)
    recent = [
        e
        for e in match.resolved
        if not (e.code and concepts.is_history_code(e.code, rule.concept))  # Z85: not the event
        and cutoff <= (_onset(e) or dt.date.min) <= facts.on
    ]
    if recent:
        shown = ", ".join(f"{e.name or e.code} of {_onset(e)}" for e in recent)
        return Outcome(Status.MET, f"{label} within {span}: {shown}", used)
    if match.suspected:
        return _unknown(f"{label} only suspected", f"confirmation of {label}", used)
    if match.resolved:
        return _unknown(
            f"{label} resolved, with an onset before the last {span} or none recorded; when "
            "it ended is not recorded",
            f"when {label} ended",
            used,
        )
    if match.absent:
        return Outcome(Status.NOT_MET, f"{label} recorded absent", used)
    return _unknown(f"{label} not recorded", label, used)


def _operation(rule: r.Condition, concept: concepts.Concept, facts: PatientFacts) -> Outcome:
    """A condition a procedure makes (a transplant, concepts.yaml `procedure`), from condition
    entries (a status such as Z94.4, present or resolved alike) and procedure entries named by
    the concept. It lasts: "transplant recipient" and "history of transplant" read the same.
    A window counts from the day of the operation, which only a dated procedure entry gives
    (a status entry's onset may be years later); no entry at all, or one undated or before the
    window, leaves it unknown, and only entries recorded absent make it not met."""
    label = concept.name
    span = f" within {rule.within.render()}" if rule.within else ""
    match = facts.concept_match(rule.concept)
    statuses = [*match.present, *match.resolved]
    if rule.mode is r.ConditionMode.PRESENT_OR_SUSPECTED:
        statuses += match.suspected
    operations = [
        e
        for e in facts.patient.procedures
        if e.status != "absent" and rule.concept in concepts.procedure_concepts(e.name)
    ]
    cutoff = _window_start(facts.on, rule.within) if rule.within else dt.date.min
    used = [
        ValueUsed(name=e.name or e.code or "condition", value=e.status, date=_onset(e))
        for e in statuses
    ]
    open_reasons: list[str] = []
    for entry in operations:
        days = _operation_days(entry, facts)
        if days is None:
            continue  # dated after the screening date only
        last = days[-1] if days else None
        used.append(ValueUsed(name=_procedure_name(entry), value="present", date=last))
        if rule.within is None or (last is not None and last >= cutoff):
            shown = f" on {last}" if last else ""
            return Outcome(
                Status.MET, f"{label}{span}: {_procedure_name(entry)}{shown}", tuple(used)
            )
        open_reasons.append(
            f"{_procedure_name(entry)} last on {last}, before the window"
            if last
            else f"{_procedure_name(entry)} is on file without a date"
        )
    if statuses and rule.within is None:
        shown = ", ".join(e.name or e.code or "?" for e in statuses)
        return Outcome(Status.MET, f"history of {label}: {shown}", tuple(used))
    open_reasons += [
        f"{e.name or e.code} on file without the date of the operation" for e in statuses
    ]
    open_reasons += [
        f"{e.name or e.code} only suspected" for e in match.suspected if e not in statuses
    ]
    missing = f"{label.lower()}{span}" if rule.within else label
    if open_reasons:
        return Outcome(
            Status.UNKNOWN, f"{label}{span}: " + "; ".join(open_reasons), tuple(used), (missing,)
        )
    denied = [*match.absent] + [
        e
        for e in facts.patient.procedures
        if e.status == "absent" and concepts.procedure_concept_ruled_out(e.name, rule.concept)
    ]
    if denied:
        return Outcome(Status.NOT_MET, f"{label} recorded absent", tuple(used))
    return _unknown(f"{label} not recorded{_broader_operations(concept, facts)}", missing)


def _operation_days(entry: ProcedureEntry, facts: PatientFacts) -> list[dt.date] | None:
    """The days of a one-off procedure entry on or before the screening date, oldest first:
    its `dates`, `start` and `end` (an operation has no course that goes on). Empty for an
    undated entry; None when every date lies after the screening date."""
    moments = [*entry.dates, *(m for m in (entry.start, entry.end) if m is not None)]
    days = sorted(day_of(m) for m in moments if facts.counts(m))
    return None if moments and not days else days


def _broader_operations(concept: concepts.Concept, facts: PatientFacts) -> str:
    """' (stem cell transplant on file, not recorded as allogeneic ...)': entries of a broader
    concept that do not say which (Z94.84 is an allogeneic or an autologous graft)."""
    broader = concepts.ancestors(concept.id)

    def says_less(found: set[str]) -> bool:
        return bool(found & broader) and concept.id not in found

    names = [
        e.name or e.code or "?"
        for e in facts.conditions
        if e.status != "absent" and says_less(concepts.entry_concepts(e.name, e.code))
    ] + [
        _procedure_name(e)
        for e in facts.patient.procedures
        if e.status != "absent"
        and _operation_days(e, facts) is not None
        and says_less(concepts.procedure_concepts(e.name))
    ]
    if not names:
        return ""
    return f" ({', '.join(names)} on file, not recorded as {concept.name.lower()})"


def _onset(entry: concepts.EntryLike) -> dt.date | None:
    """The onset day of a condition entry, if recorded."""
    moment = getattr(entry, "onset", None)
    return day_of(moment) if moment is not None else None


def _anchored(outcome: Outcome, window: r.Window | None, facts: PatientFacts) -> Outcome:
    """A `met` counted back from the screening date, for a window that counts back from a
    later event: it holds only if that event comes soon enough, so it stays open."""
    if window is None or not window.anchor or outcome.status is not Status.MET:
        return outcome
    event = window.anchor.replace("_", " ")
    return Outcome(
        Status.UNKNOWN,
        f"{outcome.reason} (counted back from the screening date {facts.on}); whether "
        f"within {window.render().replace('_', ' ')} depends on when it comes",
        outcome.values,
        (f"date of {event}",),
    )


# ICD-10-CM status codes of a pregnancy going on (titles of simple-icd-10-cm 1.5.0): Z33.1
# "Pregnant state, incidental", Z33.3 "Pregnant state, gestational carrier". Not Z33.2
# "Encounter for elective termination of pregnancy", nor chapter O (which counts the puerperium).
PREGNANT_STATE_CODES = frozenset({"Z33.1", "Z33.3"})
# A pregnancy lasts at most about 42 weeks: an entry begun earlier is not the present one.
PREGNANCY_MAX_DAYS = 42 * 7
# Z99.2 "Dependence on renal dialysis": a present entry says dialysis goes on now.
DIALYSIS_DEPENDENCE_CODES = frozenset({"Z99.2"})


def _coded_present(
    facts: PatientFacts, codes: frozenset[str]
) -> list[tuple[ConditionEntry, dt.date | None]]:
    """The present condition entries coded (ICD-10-CM) with one of `codes`, each with its
    latest date (recorded or onset; None when undated). Resolved or absent entries say
    nothing of now and are left out."""
    found: list[tuple[ConditionEntry, dt.date | None]] = []
    for entry in facts.conditions:
        if entry.status != "present" or entry.code is None or entry.system != "icd10cm":
            continue
        if concepts.icd_key(entry.code) in codes:
            dates = [d for d in (entry.onset, entry.recorded) if d is not None]
            found.append((entry, max(dates) if dates else None))
    return found


def _coded_name(entry: ConditionEntry) -> str:
    code = concepts.icd_key(entry.code or "") or entry.code
    return f"{code} ({entry.name})" if entry.name else str(code)


def _pregnant_state(facts: PatientFacts) -> tuple[ConditionEntry, dt.date | None] | None:
    """The latest present pregnant-state entry (PREGNANT_STATE_CODES) whose pregnancy may
    still go on: begun within PREGNANCY_MAX_DAYS, or undated."""
    current = [
        (entry, day)
        for entry, day in _coded_present(facts, PREGNANT_STATE_CODES)
        if entry.onset is None or facts.age_days(entry.onset) <= PREGNANCY_MAX_DAYS
    ]
    if not current:
        return None
    return max(current, key=lambda found: found[1] or dt.date.min)


def _pregnancy(name: str, facts: PatientFacts) -> Outcome:
    """Pregnant or lactating from the status recorded (a test, FHIR 82810-3); pregnant also
    from a present pregnant-state code (Z33.1, Z33.3), unless a later status says not."""
    patient = facts.patient
    if patient.sex == "male":
        return Outcome(Status.NOT_MET, f"sex at birth male: known not {name}")
    recorded = _pregnancy_status(name, facts)
    coded = _pregnant_state(facts) if name == "pregnant" else None
    if coded is None:
        return recorded
    entry, day = coded
    fact = patient.pregnancy
    if (
        fact is not None
        and facts.counts(fact.date)
        and fact.status != "present"
        and (day is None or day <= day_of(fact.date))
    ):
        return recorded  # a later (or same-day) status says not pregnant
    on = f" on {day}" if day else ""
    used = (ValueUsed(name=_coded_name(entry), value="present", date=day),)
    return Outcome(
        Status.MET, f"{name}: {_coded_name(entry)} recorded present{on}", (*used, *recorded.values)
    )


def _pregnancy_status(name: str, facts: PatientFacts) -> Outcome:
    """Pregnant or lactating from the status fact of the patient file, fresh."""
    patient = facts.patient
    fact = patient.pregnancy if name == "pregnant" else patient.lactation
    if fact is None or not facts.counts(fact.date):
        return _unknown(f"{name} status not on file", f"{name} status")
    days = (
        horizon(facts.rules, "pregnancy", facts.rules.pregnancy_horizon_days)
        if name == "pregnant"
        else horizon(facts.rules, "lactation", facts.rules.fact_horizon_days)
    )
    used = (ValueUsed(name=f"{name} status", value=fact.status, date=fact.date),)
    if facts.is_stale(fact.date, days):
        return _unknown(
            f"{name} status of {fact.date} is older than {days} days", f"{name} status", used
        )
    status = Status.MET if fact.status == "present" else Status.NOT_MET
    return Outcome(status, f"{name}: {fact.status} on {fact.date}", used)


def _window_start(on: dt.date, window: r.Window) -> dt.date:
    """The first day in the window: `amount` units back, or the day after for a strict
    window ("less than 4 weeks before" leaves out the day exactly 4 weeks back)."""
    first = timecalc.add_calendar(on, -window.amount, window.unit)
    return first + dt.timedelta(days=1) if window.strict else first


def _participation(rule: r.TrialParticipation, facts: PatientFacts) -> Outcome:
    return _anchored(_participation_now(rule, facts), rule.within, facts)


def _participation_now(rule: r.TrialParticipation, facts: PatientFacts) -> Outcome:
    entries = [e for e in facts.patient.trial_participation if facts.counts(e.start)]
    cutoff = _window_start(facts.on, rule.within) if rule.within else None
    open_reasons: list[str] = []
    for entry in entries:
        if entry.status == "absent":
            continue
        label = entry.trial_id or "a trial"
        if rule.types and entry.intervention_type is None:
            open_reasons.append(f"intervention type of {label} not recorded")
            continue
        if rule.types and entry.intervention_type not in rule.types:
            continue
        ongoing = (
            entry.ongoing
            if entry.ongoing is not None
            else (False if entry.end is not None and entry.end <= facts.on else None)
        )
        if ongoing:
            return Outcome(Status.MET, f"takes part in {label} (ongoing)")
        if cutoff is not None and entry.end is not None:
            if entry.end >= cutoff:
                return Outcome(
                    Status.MET,
                    f"took part in {label} until {entry.end}, "
                    f"within {rule.within.render() if rule.within else ''}",
                )
            continue
        if ongoing is None:
            open_reasons.append(f"whether {label} is ongoing or when it ended")
    if open_reasons:
        return Outcome(Status.UNKNOWN, "; ".join(open_reasons), (), tuple(open_reasons))
    denied = any(
        e.status == "absent"
        and (not rule.types or e.intervention_type is None or e.intervention_type in rule.types)
        for e in entries
    )
    if denied:
        return Outcome(Status.NOT_MET, "recorded: no participation in other trials")
    return _unknown("participation in other trials not recorded", "participation in other trials")


def _medication(rule: r.Medication, facts: PatientFacts) -> Outcome:
    return _anchored(_medication_now(rule, facts), rule.within, facts)


def _medication_now(rule: r.Medication, facts: PatientFacts) -> Outcome:
    if rule.ever:
        cutoff = dt.date.min  # any use on file
    elif rule.within:
        cutoff = _window_start(facts.on, rule.within)
    else:
        cutoff = facts.on  # current use
    label = rule.drug_class.replace("_", " ")
    denied = False
    for entry in facts.patient.medications:
        if not facts.counts(entry.start):
            continue
        if entry.status == "absent":
            # "not taken" does not say "never taken"; a member not taken leaves the others
            ruled_out = concepts.denied_classes(entry.name, entry.drug_class, entry.code)
            denied = denied or (not rule.ever and rule.drug_class in ruled_out)
            continue
        classes = concepts.medication_classes(entry.name, entry.drug_class, entry.code)
        if rule.drug_class not in classes:
            continue
        end = entry.end.date() if isinstance(entry.end, dt.datetime) else entry.end
        if end is None or end >= cutoff:
            name = entry.name or entry.drug_class or entry.code
            return Outcome(
                Status.MET,
                f"{label}: {name}",
                (
                    ValueUsed(
                        name=str(name),
                        value="present",
                        date=entry.start
                        if isinstance(entry.start, dt.date)
                        and not isinstance(entry.start, dt.datetime)
                        else None,
                    ),
                ),
            )
    if denied:
        return Outcome(Status.NOT_MET, f"{label}: recorded not taken")
    return _unknown(f"{label} use not recorded", f"{label} use")


def _procedure(rule: r.Procedure, facts: PatientFacts) -> Outcome:
    if rule.procedure not in concepts.PROCEDURES:
        return Outcome(Status.REVIEW, f"no procedure '{rule.procedure}' in the vocabulary")
    return _anchored(_procedure_now(rule, facts), rule.within, facts)


def _procedure_now(rule: r.Procedure, facts: PatientFacts) -> Outcome:
    """Met by an entry of the procedure (or a narrower one) dated in the rule's time: a
    session or a course reaching the window, any time for `ever`, a course still going on
    (or a session on the screening date) for current. Not met only when an entry records
    it (or a broader procedure) not done; an entry outside the time, or undated, and no
    entry at all leave it unknown: a record that is not there says nothing."""
    label = concepts.PROCEDURES[rule.procedure].name
    cutoff = _procedure_cutoff(rule, facts.on)
    denied: list[ProcedureEntry] = []
    open_reasons: list[str] = []
    used: list[ValueUsed] = []
    broader: list[ProcedureEntry] = []  # a surgery not recorded as major, for major_surgery
    for entry in facts.patient.procedures:
        if entry.status == "absent":
            if concepts.procedure_ruled_out(entry.name, entry.code, rule.procedure):
                denied.append(entry)
                used.append(ValueUsed(name=_procedure_name(entry), value="absent"))
            continue
        kinds = concepts.procedure_kinds(entry.name, entry.code)
        if rule.procedure not in kinds:
            if kinds & concepts.procedure_broader(rule.procedure):
                broader.append(entry)
            continue
        timing = _procedure_in_time(entry, cutoff, facts)
        if timing is None:
            continue  # dated after the screening date only
        last = timing.last
        used.append(ValueUsed(name=_procedure_name(entry), value="present", date=last))
        if timing.reached:
            return Outcome(
                Status.MET,
                f"{label}{_procedure_span(rule)}: {_procedure_name(entry)}{timing.shown}",
                tuple(used),
            )
        if last is None:
            open_reasons.append(f"{_procedure_name(entry)} is on file without a date")
        elif rule.within is None and not rule.ever:
            open_reasons.append(
                f"{_procedure_name(entry)} last on {last}; whether it goes on is not recorded"
            )
        else:
            open_reasons.append(f"{_procedure_name(entry)} last on {last}, before the window")
    dependence = _dialysis_dependence(rule, facts)
    if dependence is not None:
        if denied:  # the entries disagree: a person looks
            shown = ", ".join(_procedure_name(e) for e in denied)
            return _unknown(
                f"{label}: {dependence.reason}, but recorded not done ({shown})",
                label.lower(),
                (*used, *dependence.values),
            )
        return Outcome(
            Status.MET,
            f"{label}{_procedure_span(rule)}: {dependence.reason}",
            (*used, *dependence.values),
        )
    if open_reasons:
        return Outcome(
            Status.UNKNOWN,
            f"{label}{_procedure_span(rule)}: " + "; ".join(open_reasons),
            tuple(used),
            (f"{label.lower()}{_procedure_span(rule)}",),
        )
    if denied:
        shown = ", ".join(_procedure_name(e) for e in denied)
        return Outcome(Status.NOT_MET, f"{label}: recorded not done ({shown})", tuple(used))
    reason = f"{label} not recorded"
    if broader:
        shown = ", ".join(_procedure_name(e) for e in broader)
        reason += f" ({shown} on file, not recorded as {label.lower()})"
    return _unknown(reason, f"{label.lower()}{_procedure_span(rule)}")


def _dialysis_dependence(rule: r.Procedure, facts: PatientFacts) -> Outcome | None:
    """Current dialysis, or dialysis ever, from a present Z99.2 "Dependence on renal
    dialysis" (DIALYSIS_DEPENDENCE_CODES); None when there is none or the rule is another
    (a haemodialysis: Z99.2 does not say which; a window: the dates are not known)."""
    if rule.procedure != "dialysis" or rule.within is not None:
        return None
    found = _coded_present(facts, DIALYSIS_DEPENDENCE_CODES)
    if not found:
        return None
    entry, day = found[-1]
    on = f" on {day}" if day else ""
    used = (ValueUsed(name=_coded_name(entry), value="present", date=day),)
    return Outcome(Status.MET, f"{_coded_name(entry)} recorded present{on}", used)


def _procedure_cutoff(rule: r.Procedure, on: dt.date) -> dt.date:
    """The first day that counts: any day for `ever`, the window's first day, or the
    screening date itself for a current procedure."""
    if rule.ever:
        return dt.date.min
    return _window_start(on, rule.within) if rule.within else on


def _procedure_span(rule: r.Procedure) -> str:
    if rule.ever:
        return " (ever)"
    return f" within {rule.within.render()}" if rule.within else " (current)"


def _procedure_name(entry: ProcedureEntry) -> str:
    return entry.name or entry.code or "procedure"


@dataclass(frozen=True)
class _Timing:
    """When a procedure entry took place, as far as it bears on a rule's time."""

    reached: bool  # dated in the rule's time (or, for `ever`, done at all)
    last: dt.date | None  # its last day on or before the screening date (a course going
    # on: its first day)
    shown: str  # " on 2026-02-20", " going on since 2025-01-01", "" when undated


def _procedure_in_time(
    entry: ProcedureEntry, cutoff: dt.date, facts: PatientFacts
) -> _Timing | None:
    """How an entry of the procedure stands to `cutoff` (the first day that counts).

    Sessions (`dates`) count by their day; a course (`start`, `end`) reaches up to its end,
    and without an end (or one after the screening date) it goes on. An undated entry
    reaches only `ever` (cutoff `date.min`): recorded as done, it was done before. None
    when every date of the entry lies after the screening date.
    """
    sessions = sorted(day_of(d) for d in entry.dates if facts.counts(d))
    course = entry.start is not None or entry.end is not None
    started = course and facts.counts(entry.start)
    if not sessions and not started:
        if entry.dates or course:
            return None
        return _Timing(cutoff == dt.date.min, None, "")
    last_session = sessions[-1] if sessions else None
    if started:
        end = day_of(entry.end) if entry.end is not None else None
        if end is None or end >= facts.on:
            begun = day_of(entry.start) if entry.start is not None else None
            return _Timing(True, begun, f" going on since {begun}" if begun else " going on")
        last = max(end, last_session) if last_session else end
        return _Timing(last >= cutoff, last, f" until {last}")
    assert last_session is not None
    return _Timing(last_session >= cutoff, last_session, f" on {last_session}")


def _test_result(rule: r.TestResult, facts: PatientFacts) -> Outcome:
    """The latest result of a qualitative test against the result the criterion names.

    No result on file, or only one older than the lab horizon (per test id in
    `TimeRules.per_item`), is unknown; so is an indeterminate one (a repeat test decides). A
    value that reads as no result, or results of one moment that disagree, go to a person.
    """
    name = qualitative.TESTS[rule.test].name
    latest = facts.latest_tests(rule.test)
    if not latest:
        return _unknown(f"{name} not on file", name)
    used = tuple(_test_value(reading, name) for reading in latest)
    day = latest[0].day
    shown = ", ".join(f"'{_shown_result(reading)}'" for reading in latest)
    days = horizon(facts.rules, rule.test, facts.rules.lab_horizon_days)
    if facts.is_stale(latest[0].when, days):
        return _unknown(f"{name} {shown} of {day} is older than {days} days (stale)", name, used)
    results = {reading.result for reading in latest}
    if None in results:
        return Outcome(Status.REVIEW, f"{name} {shown} on {day} is not read as a result", used)
    if len(results) > 1:
        return Outcome(Status.REVIEW, f"{name} results of {day} disagree: {shown}", used)
    (result,) = results
    if result == "indeterminate":
        return _unknown(
            f"{name} {shown} on {day}: indeterminate; a repeat test decides", name, used
        )
    status = Status.MET if result == rule.result else Status.NOT_MET
    return Outcome(
        status, f"{name} {shown} on {day} reads {result}; criterion {rule.result}: {status}", used
    )


_RECIST_NAME = re.compile(
    r"(?:recist|response\s+evaluation\s+criteria\s+in\s+solid\s+tumou?rs?)"
    r"\s*(?:v\.?|version)?\s*(?P<version>1\.[01])?",
    re.IGNORECASE,
)
_CRITERIA_SHOWN = {"any": "any criteria", "recist": "RECIST", "recist_1_1": "RECIST 1.1"}


def response_criteria(recorded: str | None) -> str | None:
    """The criteria a measurable-disease record names: 'recist_1_1', 'recist_1_0', 'recist'
    (no version), other criteria as written (case-folded), None when not stated."""
    if recorded is None:
        return None
    found = _RECIST_NAME.fullmatch(recorded.strip())
    if found is None:
        return recorded.strip().casefold()
    version = found.group("version")
    return f"recist_{version.replace('.', '_')}" if version else "recist"


def _measurable_disease(rule: r.MeasurableDisease, facts: PatientFacts) -> Outcome:
    """Measurable disease as recorded (patient `facts.measurable_disease`). A criterion naming
    RECIST is decided only by a record under RECIST (1.1 by a record under RECIST 1.1): a
    lesion measurable under other criteria may not be under RECIST. A record older than the
    fact horizon is unknown: the disease may have changed since the imaging."""
    wanted = _CRITERIA_SHOWN[rule.criteria]
    missing = f"measurable disease ({wanted})" if rule.criteria != "any" else "measurable disease"
    fact = facts.patient.facts.measurable_disease
    if fact is None:
        return _unknown("measurable disease not on file", missing)
    shown = "measurable disease" if fact.value else "no measurable disease"
    under = f" ({fact.criteria})" if fact.criteria else ""
    used = (
        ValueUsed(
            name="measurable disease",
            value="yes" if fact.value else "no",
            date=fact.date,
            note=fact.criteria,
        ),
    )
    days = horizon(facts.rules, "measurable_disease", facts.rules.fact_horizon_days)
    if facts.is_stale(fact.date, days):
        return _unknown(
            f"{shown}{under} of {fact.date} is older than {days} days (stale)", missing, used
        )
    recorded = response_criteria(fact.criteria)
    fits = (
        rule.criteria == "any"
        or (rule.criteria == "recist" and recorded is not None and recorded.startswith("recist"))
        or recorded == rule.criteria
    )
    if not fits:
        assessed = f"assessed under {fact.criteria}" if fact.criteria else "criteria not recorded"
        return _unknown(
            f"{shown} on {fact.date}, {assessed}; the criterion asks {wanted}", missing, used
        )
    status = Status.MET if fact.value else Status.NOT_MET
    return Outcome(status, f"{shown}{under} on {fact.date}; criterion {wanted}: {status}", used)


def _shown_result(reading: TestReading) -> str:
    value = reading.raw_value
    return f"{value:g}" if isinstance(value, float) else value


def _test_value(reading: TestReading, name: str) -> ValueUsed:
    return ValueUsed(
        name=name,
        value=reading.raw_value,
        date=reading.day,
        note="preliminary result" if reading.preliminary else None,
    )


def _sex(rule: r.Sex, facts: PatientFacts) -> Outcome:
    sex = facts.patient.sex
    if sex == "unknown":
        return _unknown("sex not on file", "sex")
    status = Status.MET if sex == rule.value else Status.NOT_MET
    return Outcome(
        status,
        f"sex {sex}; criterion {rule.value}: {status}",
        (ValueUsed(name="sex", value=sex),),
    )


# ---------------------------------------------------------------- dispatch


def evaluate(rule: r.Rule, facts: PatientFacts) -> Outcome:
    """The outcome of a rule for one patient (once per patient for a shared rule).

    The memo holds the rule itself beside its outcome: a rule object that was let go
    could otherwise leave its id to a new, different rule.
    """
    key = id(rule)
    entry = facts.outcomes.get(key)
    if entry is not None and entry[0] is rule:
        remembered: Outcome = entry[1]
        return remembered
    found = _evaluate(rule, facts)
    facts.outcomes[key] = (rule, found)
    return found


def _evaluate(rule: r.Rule, facts: PatientFacts) -> Outcome:
    if isinstance(rule, r.AllOf | r.AnyOf):
        outcomes = [evaluate(item, facts) for item in rule.items]
        combine = all_of if isinstance(rule, r.AllOf) else any_of
        return _combined(
            combine([o.status for o in outcomes]),
            outcomes,
            "all of" if isinstance(rule, r.AllOf) else "any of",
        )
    if isinstance(rule, r.Not):
        inner = evaluate(rule.item, facts)
        return Outcome(negate(inner.status), f"not ({inner.reason})", inner.values, inner.missing)
    if isinstance(rule, r.Implies):
        condition = evaluate(rule.condition, facts)
        then = evaluate(rule.then, facts)
        status = any_of([negate(condition.status), then.status])
        return Outcome(
            status,
            f"if ({condition.reason}) then ({then.reason})",
            condition.values + then.values,
            condition.missing + then.missing,
        )
    if isinstance(rule, r.Qualified):
        inner = evaluate(rule.item, facts)
        if inner.status is Status.MET:
            return Outcome(
                Status.REVIEW,
                f"{inner.reason}; whether it is '{rule.qualifier}' needs a person",
                inner.values,
            )
        if inner.status is Status.NOT_MET:
            return Outcome(
                Status.NOT_MET, f"{inner.reason}, so not '{rule.qualifier}' either", inner.values
            )
        return inner
    if isinstance(rule, r.Readings):
        outcomes = [evaluate(item, facts) for item in rule.items]
        status = agree([o.status for o in outcomes])
        described = "; ".join(f"reading {i + 1}: {o.status}" for i, o in enumerate(outcomes))
        verdict = "the readings agree" if status.definite else "the readings do not settle it"
        return Outcome(
            status,
            f"ambiguous text, {verdict} ({described})",
            tuple(v for o in outcomes for v in o.values),
            tuple(m for o in outcomes for m in o.missing),
        )
    return _leaf(rule, facts)


@lru_cache(maxsize=16384)
def _review_outcome(text: str) -> Outcome:
    return Outcome(Status.REVIEW, f'needs a person: "{text}"')


def _leaf(rule: r.Rule, facts: PatientFacts) -> Outcome:
    if isinstance(rule, r.Review):
        return _review_outcome(rule.text)
    return _evaluate_leaf(rule, facts)


def _evaluate_leaf(rule: r.Rule, facts: PatientFacts) -> Outcome:
    if isinstance(rule, r.Compare | r.Between | r.OneOf):
        subject = rule.subject
        if isinstance(subject, r.Score):
            return _score(rule, subject, facts)
        if isinstance(rule, r.OneOf):
            return Outcome(Status.REVIEW, f"no categories for {subject.render()}")
        if isinstance(subject, r.Lab):
            return _lab(rule, subject, facts)
        if isinstance(subject, r.Rise):
            return _rise(rule, subject, facts)
        if isinstance(subject, r.Age):
            return _age(rule, facts)
        return _fact(rule, subject, facts)
    if isinstance(rule, r.Sex):
        return _sex(rule, facts)
    if isinstance(rule, r.Condition):
        return _condition(rule, facts)
    if isinstance(rule, r.Pregnant):
        return _pregnancy("pregnant", facts)
    if isinstance(rule, r.Lactating):
        return _pregnancy("lactating", facts)
    if isinstance(rule, r.TrialParticipation):
        return _participation(rule, facts)
    if isinstance(rule, r.Medication):
        return _medication(rule, facts)
    if isinstance(rule, r.Procedure):
        return _procedure(rule, facts)
    if isinstance(rule, r.TestResult):
        return _test_result(rule, facts)
    if isinstance(rule, r.MeasurableDisease):
        return _measurable_disease(rule, facts)
    raise TypeError(f"no evaluation for {type(rule).__name__}")


def _combined(status: Status, outcomes: list[Outcome], word: str) -> Outcome:
    if status is Status.NOT_MET and word == "all of":
        deciding = [o for o in outcomes if o.status is Status.NOT_MET]
    elif status is Status.MET and word == "any of":
        deciding = [o for o in outcomes if o.status is Status.MET]
    else:
        deciding = outcomes
    reason = "; ".join(o.reason for o in deciding)
    undetermined = [o for o in deciding if not o.status.definite]
    missing = tuple(dict.fromkeys(m for o in undetermined for m in o.missing))
    values = tuple(v for o in outcomes for v in o.values)
    return Outcome(status, reason, values, missing)


__all__ = ["DerivedValue", "Outcome", "evaluate"]
