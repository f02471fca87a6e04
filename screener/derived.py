"""Scores derived from a patient's data (MELD, MELD-Na, MELD 3.0, Child-Pugh), with inputs,
and the Cockcroft-Gault creatinine clearance (`cockcroft_gault_clearance`).

A derived score lists its inputs with their dates. Inputs must be fresh and lie
within the configured span of each other. When dialysis status is unknown,
MELD is computed both ways: a criterion is decided only if both agree.
A score given directly in the patient file is used when it cannot be computed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from screener import analytes, scores, units
from screener.facts import PatientFacts, Reading, horizon
from screener.logic import Status
from screener.patient import day_of
from screener.results import Converted, ValueUsed

if TYPE_CHECKING:
    from screener.evaluate import Outcome

LABELS = {
    "meld": "MELD",
    "meld_na": "MELD-Na",
    "meld3": "MELD 3.0",
    "child_pugh": "Child-Pugh points",
    "child_pugh_class": "Child-Pugh class",
    "ecog": "ECOG",
    "karnofsky": "Karnofsky",
    "nyha": "NYHA class",
}
RECORDED = ("ecog", "karnofsky", "nyha")
"""Scores recorded as facts of their own (`Facts.ecog`, ...), never computed."""
_INPUTS = {
    "meld": ("total_bilirubin", "inr", "creatinine"),
    "meld_na": ("total_bilirubin", "inr", "creatinine", "sodium"),
    "meld3": ("total_bilirubin", "inr", "creatinine", "sodium", "albumin"),
    "child_pugh": ("total_bilirubin", "albumin", "inr"),
}
_DIALYSIS_WORDS = ("dialysis", "cvvhd", "cvvh", "crrt", "haemofiltration", "hemofiltration")


@dataclass(frozen=True)
class DerivedValue:
    label: str
    values: tuple[float | str, ...]  # more than one when an input is unknown (dialysis)
    used: ValueUsed
    note: str = ""
    missing: tuple[str, ...] = field(default_factory=tuple)


def conventional(reading: Reading) -> float:
    """A reading in the conventional unit the score formulas take (mg/dL, g/dL)."""
    analyte = analytes.ANALYTES[reading.analyte]
    assert reading.value is not None
    return reading.value / analyte.factor if analyte.factor else reading.value


def _input_value(reading: Reading) -> ValueUsed:
    """A score input as recorded, with its value in the formula's unit when that differs."""
    analyte = analytes.ANALYTES[reading.analyte]
    converted = None
    note = None
    formula_unit = analyte.conventional_unit
    recorded = units.canonical_unit_text(reading.raw_unit) if reading.raw_unit else None
    if formula_unit and recorded != units.canonical_unit_text(formula_unit):
        converted = Converted(value=round(conventional(reading), 3), unit=formula_unit)
        note = f"in {formula_unit} for the score formula"
    return ValueUsed(
        name=analyte.name,
        value=reading.raw_value,
        unit=reading.raw_unit,
        date=reading.day,
        converted=converted,
        note=note,
    )


def dialysis_status(facts: PatientFacts, before: dt.datetime) -> bool | None:
    """Dialysis twice (or 24 h continuous) in the 7 days before `before`; None when unknown."""
    week_start = before - dt.timedelta(days=7)
    entries = [
        p
        for p in facts.patient.procedures
        if any(w in (p.name or "").lower() for w in _DIALYSIS_WORDS)
    ]
    if not entries:
        return None
    known_absent = False
    sessions = [  # sessions are pooled: each may be recorded as an entry of its own
        d if isinstance(d, dt.datetime) else dt.datetime.combine(d, dt.time(12))
        for entry in entries
        if entry.status != "absent"
        for d in entry.dates
    ]
    if sum(week_start <= s <= before for s in sessions) >= 2:
        return True
    for entry in entries:
        if entry.status == "absent":
            known_absent = True
            continue
        if entry.start is not None:
            start = (
                entry.start
                if isinstance(entry.start, dt.datetime)
                else dt.datetime.combine(entry.start, dt.time(0))
            )
            end_raw = entry.end
            end = (
                before
                if end_raw is None
                else (
                    end_raw
                    if isinstance(end_raw, dt.datetime)
                    else dt.datetime.combine(end_raw, dt.time(23, 59))
                )
            )
            overlap = min(end, before) - max(start, week_start)
            if overlap >= dt.timedelta(hours=24):
                return True
        if entry.dates or entry.start is not None:
            known_absent = True
    return False if known_absent else None


def _given(name: str, facts: PatientFacts) -> DerivedValue | None:
    for entry in reversed(facts.patient.scores):
        if entry.name == name and facts.counts(entry.date):
            if facts.is_stale(entry.date, facts.rules.lab_horizon_days):
                continue
            used = ValueUsed(
                name=LABELS.get(name, name),
                value=entry.value,
                date=day_of(entry.date),
                note="as given in the patient file",
            )
            value = entry.value if isinstance(entry.value, str) else float(entry.value)
            return DerivedValue(LABELS.get(name, name), (value,), used, "as recorded")
    return None


def derive_score(name: str, facts: PatientFacts) -> DerivedValue | Outcome:
    """The score's possible value(s) with inputs, or an Outcome saying why it is unknown."""
    from screener.evaluate import Outcome

    label = LABELS.get(name, name)
    if name in RECORDED:
        return _recorded(name, facts)
    base = "child_pugh" if name == "child_pugh_class" else name
    if base not in _INPUTS:
        return Outcome(Status.REVIEW, f"no source for score '{name}'")
    readings: dict[str, Reading] = {}
    missing: list[str] = []
    for analyte_id in _INPUTS[base]:
        reading = facts.latest(analyte_id)
        analyte_name = analytes.ANALYTES[analyte_id].name
        if (
            reading is None
            or reading.value is None
            or facts.is_stale(
                reading.when, horizon(facts.rules, analyte_id, facts.rules.lab_horizon_days)
            )
        ):
            missing.append(analyte_name)
        else:
            readings[analyte_id] = reading
    extra_missing: list[str] = []
    if base == "child_pugh":
        ascites = facts.patient.facts.ascites
        if ascites is None or facts.is_stale(ascites.date, facts.rules.fact_horizon_days):
            extra_missing.append("ascites")
        if _he_grade(facts) is None:
            extra_missing.append("hepatic encephalopathy grade")
    if missing or extra_missing:
        given = _given(name, facts) or (
            _given("child_pugh", facts) if name == "child_pugh_class" else None
        )
        if given is not None:
            if name == "child_pugh_class" and given.label != label:
                points = int(float(given.values[0]))
                return DerivedValue(
                    label,
                    (scores.child_pugh_class(points),),
                    given.used,
                    "from the recorded points",
                )
            return given
        wanted = missing + extra_missing
        return Outcome(Status.UNKNOWN, f"{label} needs {', '.join(wanted)}", (), tuple(wanted))
    times = [x.when for x in readings.values()]
    span = max(times) - min(times)
    if span > dt.timedelta(hours=facts.rules.score_input_span_hours):
        return Outcome(
            Status.UNKNOWN,
            f"{label} inputs are {span.days} days apart (more than "
            f"{facts.rules.score_input_span_hours:g} h)",
            (),
            (f"{label} inputs drawn together",),
        )
    inputs = [_input_value(x) for x in readings.values()]
    value = {k: conventional(x) for k, x in readings.items()}
    if base == "child_pugh":
        ascites_fact = facts.patient.facts.ascites
        grade = _he_grade(facts)
        assert ascites_fact is not None and grade is not None
        result = scores.child_pugh(
            value["total_bilirubin"], value["albumin"], value["inr"], ascites_fact.value, grade
        )
        inputs += [
            ValueUsed(name="ascites", value=ascites_fact.value, date=ascites_fact.date),
            ValueUsed(name="hepatic encephalopathy grade", value=float(grade)),
        ]
        shown: float | str = result.cls if name == "child_pugh_class" else float(result.points)
        used = ValueUsed(name=label, value=shown, derived_from=inputs)
        return DerivedValue(label, (shown,), used)
    creatinine_time = readings["creatinine"].when
    dialysis = dialysis_status(facts, creatinine_time)
    options = [dialysis] if dialysis is not None else [False, True]
    results = [_meld_family(base, value, option, facts) for option in options]
    if any(isinstance(x, str) for x in results):
        reason = next(x for x in results if isinstance(x, str))
        return Outcome(Status.UNKNOWN, f"{label}: {reason}", (), (reason,))
    numbers = tuple(float(x) for x in results)
    if dialysis is None:
        note = (
            f"{numbers[0]:g} without dialysis, {numbers[1]:g} with dialysis: "
            "dialysis in the week before the creatinine is not recorded"
        )
        inputs.append(
            ValueUsed(name="dialysis in the week before the creatinine", value="not recorded")
        )
    else:
        note = "dialysis recorded" if dialysis else "no dialysis in the week before the creatinine"
        inputs.append(
            ValueUsed(
                name="dialysis in the week before the creatinine", value="yes" if dialysis else "no"
            )
        )
    distinct = tuple(dict.fromkeys(numbers))
    used = ValueUsed(
        name=label,
        value=distinct[0] if len(distinct) == 1 else " or ".join(f"{n:g}" for n in distinct),
        derived_from=inputs,
    )
    return DerivedValue(
        label,
        distinct,
        used,
        note,
        ("dialysis in the week before the creatinine",) if dialysis is None else (),
    )


def _meld_family(
    name: str, value: dict[str, float], dialysis: bool, facts: PatientFacts
) -> float | str:
    bili, inr, creatinine = value["total_bilirubin"], value["inr"], value["creatinine"]
    if name == "meld":
        return scores.meld(creatinine, bili, inr, dialysis)
    if name == "meld_na":
        return scores.meld_na(creatinine, bili, inr, value["sodium"], dialysis)
    age = facts.age_on("years")
    if age is None:
        return "age needed"
    if facts.patient.sex == "unknown":
        return "sex needed"
    return scores.meld3(
        age[0],
        facts.patient.sex == "female",
        bili,
        value["sodium"],
        inr,
        creatinine,
        value["albumin"],
        dialysis,
    )


def _he_grade(facts: PatientFacts) -> int | None:
    grade = facts.patient.facts.hepatic_encephalopathy_grade
    if grade is not None and not facts.is_stale(grade.date, facts.rules.fact_horizon_days):
        return grade.value
    if facts.concept_match("hepatic_encephalopathy").absent:
        return 0
    return None


def _recorded(name: str, facts: PatientFacts) -> DerivedValue | Outcome:
    """A score recorded as a fact (ECOG, Karnofsky, NYHA class); unknown when absent or stale.

    ECOG and Karnofsky stand in for each other as a hint only (`_other_scale`)."""
    from screener.evaluate import Outcome

    label = LABELS[name]
    recorded = getattr(facts.patient.facts, name)
    days = facts.rules.fact_horizon_days
    other = {"ecog": "karnofsky", "karnofsky": "ecog"}.get(name)
    if recorded is None or facts.is_stale(recorded.date, days):
        if other is not None and getattr(facts.patient.facts, other) is not None:
            return _other_scale(name, other, facts)
        if recorded is None:
            return Outcome(Status.UNKNOWN, f"{label} not on file", (), (label,))
        used = ValueUsed(name=label, value=float(recorded.value), date=recorded.date)
        reason = f"{label} {recorded.value} on {recorded.date} is stale (older than {days} days)"
        return Outcome(Status.UNKNOWN, reason, (used,), (label,))
    used = ValueUsed(name=label, value=float(recorded.value), date=recorded.date)
    return DerivedValue(label, (float(recorded.value),), used)


def _other_scale(name: str, other: str, facts: PatientFacts) -> Outcome:
    """A criterion in one performance scale with only the other recorded: review, with the
    approximate equivalent as a hint (`scores.PERFORMANCE_TABLE`), never a decision."""
    from screener.evaluate import Outcome

    days = facts.rules.fact_horizon_days
    recorded = getattr(facts.patient.facts, name)
    shown = getattr(facts.patient.facts, other)
    if name == "ecog":
        low, high = scores.ecog_hint_for_karnofsky(shown.value)
    else:
        low, high = scores.karnofsky_hint_for_ecog(shown.value)
    equivalent = f"{LABELS[name]} {low}" if low == high else f"{LABELS[name]} {low}–{high}"
    hint = f"≈ {equivalent} by {scores.PERFORMANCE_TABLE}, a hint only"
    stale = f"older than {days} days; " if facts.is_stale(shown.date, days) else ""
    value = f"{LABELS[other]} {shown.value} on {shown.date}"
    if recorded is None:
        found = f"only {value} recorded"
    else:
        found = f"{LABELS[name]} {recorded.value} on {recorded.date} is stale; {value} recorded"
    used = ValueUsed(
        name=LABELS[other],
        value=float(shown.value),
        date=shown.date,
        note=f"{hint}, not used to decide",
    )
    reason = f"{LABELS[name]} criterion; {found} ({stale}{hint}): review"
    return Outcome(Status.REVIEW, reason, (used,))


# ---------------------------------------------------------------- Cockcroft-Gault

CG_ANALYTE = "creatinine_clearance_cg"
CG_FORMULA = (
    "Cockcroft-Gault (140 − age) × weight / (72 × creatinine mg/dL), × 0.85 if female, "
    "actual body weight (scores.cockcroft_gault; clinical-reference.md §2.7)"
)
CG_MIN_AGE = 18  # the formula was derived in adults; children take other equations (Schwartz)


def cockcroft_gault_clearance(facts: PatientFacts) -> DerivedValue | Outcome:
    """The Cockcroft-Gault creatinine clearance computed from the latest serum creatinine,
    the latest body weight (within the score input span of the creatinine), the age on the
    creatinine's day and the sex, with those inputs; or an Outcome saying why it cannot be.

    Both inputs must be fresh (their horizons, as a lab value's). The weight is the actual
    body weight recorded: a criterion on ideal or adjusted weight says so and stays with a
    person. An uncertain age (partial birth date) or an unrecorded sex give one value for
    each possibility; a criterion is decided only if they agree.
    """
    from screener.evaluate import Outcome

    label = analytes.ANALYTES[CG_ANALYTE].name
    readings: dict[str, Reading] = {}
    problems: list[str] = []
    for analyte_id in ("creatinine", "body_weight"):
        reading = facts.latest(analyte_id)
        name = analytes.ANALYTES[analyte_id].name
        days = horizon(facts.rules, analyte_id, facts.rules.lab_horizon_days)
        if reading is None:
            problems.append(f"{name} not on file")
        elif facts.is_stale(reading.when, days):
            problems.append(f"{name} of {reading.day} is older than {days} days")
        elif reading.value is None or reading.comparator:
            problems.append(f"{name} '{reading.raw_value}' is not a measured value")
        else:
            readings[analyte_id] = reading
    if problems:
        return _cg_unknown(label, "; ".join(problems))
    creatinine, weight = readings["creatinine"], readings["body_weight"]
    span = abs(creatinine.when - weight.when)
    limit = facts.rules.score_input_span_hours
    if span > dt.timedelta(hours=limit):
        return _cg_unknown(
            label,
            f"the body weight of {weight.day} and the creatinine of {creatinine.day} are more "
            f"than {limit:g} h apart",
        )
    ages = facts.patient.age_on(creatinine.day, "years")
    if ages is None:
        return _cg_unknown(label, "age not on file")
    if ages[0] < CG_MIN_AGE or ages[1] >= 140:
        return Outcome(
            Status.REVIEW,
            f"{label} is not computed at age {ages[0]}: the formula is for adults",
        )
    sexes = {"female": (True,), "male": (False,)}.get(facts.patient.sex, (False, True))
    age_options = sorted({ages[0], ages[1]})
    mg_dl = conventional(creatinine)
    assert weight.value is not None
    numbers = tuple(
        dict.fromkeys(
            scores.cockcroft_gault(age, weight.value, mg_dl, female)
            for age in age_options
            for female in sexes
        )
    )
    missing = tuple(
        item
        for item, uncertain in (("birth date", len(age_options) > 1), ("sex", len(sexes) > 1))
        if uncertain
    )
    inputs = [
        ValueUsed(name="age on the creatinine's day", value=" or ".join(map(str, age_options))),
        ValueUsed(name="sex", value=facts.patient.sex),
        _input_value(creatinine),
        _weight_value(weight),
    ]
    used = ValueUsed(
        name=label,
        value=numbers[0] if len(numbers) == 1 else " or ".join(f"{n:.2f}" for n in numbers),
        unit="mL/min",
        date=max(creatinine.day, weight.day),
        derived_from=inputs,
        note=f"computed: {CG_FORMULA}",
    )
    note = "computed from age, sex, body weight and serum creatinine"
    if missing:
        note += f"; {' and '.join(missing)} not known exactly"
    return DerivedValue(label, numbers, used, note, missing)


def _weight_value(reading: Reading) -> ValueUsed:
    """The body weight as recorded, in kg for the formula when recorded otherwise."""
    converted = None
    if reading.raw_unit is None or units.canonical_unit_text(reading.raw_unit) != "kg":
        assert reading.value is not None
        converted = Converted(value=round(reading.value, 3), unit="kg")
    return ValueUsed(
        name=analytes.ANALYTES[reading.analyte].name,
        value=reading.raw_value,
        unit=reading.raw_unit,
        date=reading.day,
        converted=converted,
        note="actual body weight, in kg for the formula" if converted else "actual body weight",
    )


def _cg_unknown(label: str, why: str) -> Outcome:
    from screener.evaluate import Outcome

    return Outcome(Status.UNKNOWN, f"{label} cannot be computed: {why}", (), (label,))
