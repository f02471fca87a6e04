"""A patient's data prepared once for screening: dated, filtered and in canonical units.

Only data dated on or before the screening date count. Observations are
resolved to analytes (by LOINC, else by name) and converted once into the
analyte's canonical unit, so evaluation compares plain numbers. An observation
whose unit cannot be read keeps its problem: the criteria that need it say why
they cannot decide. Observations of qualitative tests (HBsAg, anti-HCV, ...;
screener/qualitative.py) are results, read once as positive or negative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from screener import analytes, concepts, qualitative
from screener.patient import ConditionEntry, Observation, Patient, day_of

if TYPE_CHECKING:
    from screener.reference_ranges import ReferenceRanges

USABLE_STATUSES = {"final", "amended", "corrected", "preliminary"}
# Measurements of the patient file's `facts` that are analytes too: (fact, analyte id, unit).
MEASUREMENT_FACTS = (("weight_kg", "body_weight", "kg"), ("height_m", "body_height", "m"))


@dataclass(frozen=True)
class TimeRules:
    """How old a value may be and still decide (days)."""

    lab_horizon_days: int = 90
    pregnancy_horizon_days: int = 7
    fact_horizon_days: int = 90
    per_item: tuple[tuple[str, int], ...] = ()  # ("hba1c", 120), ("life_expectancy", 30)
    score_input_span_hours: float = 48
    rise_min_hours: float = 12
    rise_max_days: float = 7


@dataclass(frozen=True)
class Reading:
    """One observation of an analyte, converted to the analyte's canonical unit."""

    analyte: str
    when: dt.datetime
    raw_value: float | str
    raw_unit: str | None
    value: float | None  # canonical unit; None when not convertible
    unit: str
    problem: str | None
    uncertainty: float
    note: str
    preliminary: bool
    reference_high: float | None  # canonical unit
    reference_problem: str | None
    comparator: str | None = None  # "<" 20 IU/mL: the true value lies below `value`
    reference_given: bool = False  # the observation carries a reference range (low and/or high)

    @property
    def day(self) -> dt.date:
        return self.when.date()


@dataclass(frozen=True)
class TestReading:
    """One result of a qualitative test, as recorded and as read."""

    test: str
    when: dt.datetime
    raw_value: float | str
    result: qualitative.Result | None  # None: the value is not a result screener reads
    preliminary: bool

    @property
    def day(self) -> dt.date:
        return self.when.date()


def _moment(value: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time(12, 0))


def _reading(analyte_id: str, observation: Observation) -> Reading:
    analyte = analytes.ANALYTES[analyte_id]
    raw = observation.value
    value: float | None = None
    problem: str | None = None
    note = ""
    uncertainty = 0.0
    if isinstance(raw, str):
        problem = f"qualitative result '{raw}'"
    else:
        converted = analytes.convert(analyte_id, float(raw), observation.unit, observation.decimals)
        if isinstance(converted, analytes.UnitProblem):
            problem = converted.reason
        else:
            value, note, uncertainty = converted.value, converted.note, converted.uncertainty
    high: float | None = None
    reference_problem: str | None = None
    reference = observation.reference_range
    given = reference is not None and (reference.low is not None or reference.high is not None)
    if reference is not None and reference.high is not None:
        ref_unit = reference.unit or observation.unit
        converted_high = analytes.convert(analyte_id, reference.high, ref_unit)
        if isinstance(converted_high, analytes.UnitProblem):
            reference_problem = converted_high.reason
        else:
            high = converted_high.value
    return Reading(
        analyte=analyte_id,
        when=_moment(observation.date),
        raw_value=float(raw) if not isinstance(raw, str) else raw,
        raw_unit=observation.unit,
        value=value,
        unit=analyte.canonical_unit,
        problem=problem,
        uncertainty=uncertainty,
        note=note,
        preliminary=observation.status == "preliminary",
        comparator=observation.comparator,
        reference_high=high,
        reference_problem=reference_problem,
        reference_given=given,
    )


def resolve(observation: Observation) -> analytes.Analyte | qualitative.QualitativeTest | None:
    """What an observation measures: its LOINC code decides (analyte or qualitative test),
    else its name."""
    if observation.loinc:
        found = analytes.by_loinc(observation.loinc) or qualitative.by_loinc(observation.loinc)
        if found is not None:
            return found
    if observation.name:
        return analytes.by_name(observation.name) or qualitative.by_name(observation.name)
    return None


def horizon(rules: TimeRules, item: str, default: int) -> int:
    """The horizon of one analyte id or fact name: its own setting, else the default."""
    return dict(rules.per_item).get(item, default)


@dataclass
class PatientFacts:
    """Everything evaluation needs about one patient on one screening date."""

    patient: Patient
    on: dt.date
    rules: TimeRules = field(default_factory=TimeRules)
    warnings: list[str] = field(default_factory=list)
    reference_ranges: ReferenceRanges | None = None  # site defaults for '× ULN'; none by default
    _ages: dict[str, tuple[int, int] | None] = field(default_factory=dict, repr=False)
    # id(rule): (rule, Outcome), kept with its rule so that the id stays its own
    outcomes: dict[int, tuple[Any, Any]] = field(default_factory=dict, repr=False)
    _matches: dict[str, concepts.MatchResult[ConditionEntry]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        """Facts dated after the screening date do not count: drop them once, here."""
        recorded = self.patient.facts
        future = [
            name
            for name in type(recorded).model_fields
            if (value := getattr(recorded, name)) is not None
            and isinstance(getattr(value, "date", None), dt.date)
            and not self.counts(value.date)
        ]
        if future:
            kept = recorded.model_copy(update=dict.fromkeys(future))
            self.patient = self.patient.model_copy(update={"facts": kept})

    def counts(self, moment: dt.date | dt.datetime | None) -> bool:
        return moment is None or day_of(moment) <= self.on

    def age_days(self, moment: dt.date | dt.datetime) -> int:
        return (self.on - day_of(moment)).days

    @cached_property
    def readings(self) -> dict[str, list[Reading]]:
        """Readings per analyte id, oldest first, dated on or before the screening date.

        A reading is also filed under the analytes it counts as (`Analyte.counts_as`: a
        Cockcroft-Gault clearance is a creatinine clearance), keeping its own analyte id.
        Body weight and height recorded as facts (`weight_kg`, `height_m`) are readings too.
        """
        found: dict[str, list[Reading]] = {}
        for index, observation in enumerate(self.patient.observations):
            if observation.status not in USABLE_STATUSES or not self.counts(observation.date):
                continue
            analyte = resolve(observation)
            if analyte is None:
                label = observation.loinc or observation.name
                self.warnings.append(
                    f"observations[{index}]: '{label}' is not a known analyte or test"
                )
                continue
            if isinstance(analyte, analytes.Analyte):
                reading = _reading(analyte.id, observation)
                for analyte_id in (analyte.id, *analyte.counts_as):
                    found.setdefault(analyte_id, []).append(reading)
        for name, analyte_id, unit in MEASUREMENT_FACTS:  # future facts are already dropped
            fact = getattr(self.patient.facts, name)
            if fact is not None:
                measured = Observation(
                    name=f"facts.{name}", value=fact.value, unit=unit, date=fact.date
                )
                found.setdefault(analyte_id, []).append(_reading(analyte_id, measured))
        for series in found.values():
            series.sort(key=lambda reading: reading.when)
        return found

    @cached_property
    def test_readings(self) -> dict[str, list[TestReading]]:
        """Results per qualitative test id, oldest first, dated on or before the screening
        date (an observation that names an analyte is a reading, never a result)."""
        found: dict[str, list[TestReading]] = {}
        for observation in self.patient.observations:
            if observation.status not in USABLE_STATUSES or not self.counts(observation.date):
                continue
            test = resolve(observation)
            if not isinstance(test, qualitative.QualitativeTest):
                continue
            reading = TestReading(
                test=test.id,
                when=_moment(observation.date),
                raw_value=observation.value,
                result=qualitative.read_result(observation.value),
                preliminary=observation.status == "preliminary",
            )
            found.setdefault(test.id, []).append(reading)
        for series in found.values():
            series.sort(key=lambda reading: reading.when)
        return found

    def latest_tests(self, test_id: str) -> list[TestReading]:
        """The results of a test dated at its latest moment (several when a day repeats)."""
        series = self.test_readings.get(test_id, [])
        return [reading for reading in series if series and reading.when == series[-1].when]

    def latest(self, analyte_id: str) -> Reading | None:
        series = self.readings.get(analyte_id)
        return series[-1] if series else None

    def is_stale(self, moment: dt.date | dt.datetime, horizon_days: int) -> bool:
        return self.age_days(moment) > horizon_days

    def age_on(self, unit: str) -> tuple[int, int] | None:
        if unit not in self._ages:
            self._ages[unit] = self.patient.age_on(self.on, unit)
        return self._ages[unit]

    def concept_match(self, concept_id: str) -> concepts.MatchResult[ConditionEntry]:
        """How the patient's dated conditions bear on a concept (computed once per concept)."""
        found = self._matches.get(concept_id)
        if found is None:
            found = concepts.match(concept_id, self.conditions)
            self._matches[concept_id] = found
        return found

    @cached_property
    def conditions(self) -> list[ConditionEntry]:
        return [c for c in self.patient.conditions if self.counts(c.onset or c.recorded)]
