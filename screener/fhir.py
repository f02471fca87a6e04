"""FHIR R4 input: a Bundle, or a folder of Bulk Data NDJSON files, read into Patients.

Reading is lenient. A resource that a strict FHIR model would reject (a missing field, a
field of the wrong type, an unknown code) is read as far as it can be, and what was left
out or assumed is reported in `Patient.notes`, each note naming the resource and the
field; nothing in a resource raises. Only the file itself can fail (an InputError): not a
Bundle or Patient, no Patient resource, or several in one Bundle.

What is read (docs/fhir.md has the full mapping and the reasons):
- Patient: id, birthDate (partial dates stay partial), gender, US Core birth sex;
- Observation: laboratory values, qualitative results, components (blood pressure),
  pregnancy and breastfeeding status, weight, height, ECOG, Karnofsky, NYHA class, and
  two screener conventions (life expectancy, participation in other clinical trials);
- Condition, MedicationStatement, MedicationRequest, Procedure, ResearchSubject.
Other resource types (AllergyIntolerance, Encounter, ...) are not read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from screener import analytes, concepts, qualitative
from screener.derived import _DIALYSIS_WORDS as DIALYSIS_WORDS  # the words MELD looks for
from screener.errors import InputError, pydantic_field
from screener.patient import (
    ConditionEntry,
    Facts,
    MedicationEntry,
    Observation,
    PartialDate,
    Patient,
    ProcedureEntry,
    StatusFact,
    TrialParticipationEntry,
    day_of,
    loinc_check_digit,
    patient_from_dict,
)
from screener.units import parse_unit

__all__ = ["is_fhir", "load_fhir_folder", "patient_from_resource"]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
BIRTH_SEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

Json = dict[str, Any]
Moment = dt.date | dt.datetime
M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------- lenient JSON access


@dataclass
class _Node:
    """A JSON object of a resource, read leniently: a field of the wrong type is reported
    in `notes` (with its path, e.g. Observation/o1.valueQuantity.value) and read as absent."""

    data: Json
    path: str
    notes: list[str]

    def warn(self, message: str, key: str = "") -> None:
        self.notes.append(f"{self.path}.{key}: {message}" if key else f"{self.path}: {message}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def node(self, key: str) -> _Node | None:
        value = self.data.get(key)
        if isinstance(value, list) and value and isinstance(value[0], dict):
            self.warn("expected one object, got a list: the first item is read", key)
            value = value[0]
        if value is None:
            return None
        if not isinstance(value, dict):
            self.warn(f"expected an object, got {_shown(value)}", key)
            return None
        return _Node(value, f"{self.path}.{key}", self.notes)

    def nodes(self, key: str) -> list[_Node]:
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            self.warn("expected a list, got one object: read as a list of one", key)
            value = [value]
        if not isinstance(value, list):
            self.warn(f"expected a list, got {_shown(value)}", key)
            return []
        found = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                found.append(_Node(item, f"{self.path}.{key}[{index}]", self.notes))
            else:
                self.warn(f"expected an object, got {_shown(item)}", f"{key}[{index}]")
        return found

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        self.warn(f"expected text, got {_shown(value)}", key)
        return None

    def number(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None:
            return None
        number = _decimal(value)
        if number is None:
            self.warn(f"expected a number, got {_shown(value)}", key)
        elif isinstance(value, str):
            self.warn(f"a number written as text ({value!r}); read as {number}", key)
        return number

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.warn(f"expected true or false, got {_shown(value)}", key)
        return None


def _shown(value: object) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _decimal(value: object) -> Decimal | None:
    """A finite number from a JSON number or a numeric string, as written."""
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            return None
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


# ---------------------------------------------------------------- codes and dates


@dataclass(frozen=True)
class _Coding:
    system: str
    code: str
    display: str | None


@dataclass(frozen=True)
class _Concept:
    """A CodeableConcept, read once (so that its problems are reported once)."""

    text: str | None
    codings: tuple[_Coding, ...]

    def coding(self, system: str) -> _Coding | None:
        return next((c for c in self.codings if c.system.rstrip("/") == system), None)

    def label(
        self, first: _Coding | None = None, known: Callable[[str], bool] | None = None
    ) -> str | None:
        """A name: the text, else the display of `first`, else any display; the first
        of these that `known` accepts wins over that order."""
        preferred = first.display if first is not None else None
        displays = [c.display for c in self.codings if c.display]
        candidates = [name for name in (self.text, preferred, *displays) if name]
        if known is not None:
            for name in candidates:
                if known(name):
                    return name
        return candidates[0] if candidates else None


def _concept(node: _Node | None) -> _Concept:
    if node is None:
        return _Concept(None, ())
    codings = []
    for coding in node.nodes("coding"):
        code = coding.text("code")
        if code is not None:
            codings.append(_Coding(coding.text("system") or "", code, coding.text("display")))
    return _Concept(node.text("text"), tuple(codings))


def _status_code(node: _Node, key: str) -> str | None:
    """A status that R4 gives as a CodeableConcept (lenient: a bare code is read too)."""
    if isinstance(node.data.get(key), str):
        node.warn("expected a CodeableConcept, got a bare code: read as its code", key)
        text = node.text(key)
        return text.lower() if text else None
    concept = _concept(node.node(key))
    if concept.codings:
        return concept.codings[0].code.lower()
    return concept.text.lower() if concept.text else None


_PARTIAL = re.compile(r"\d{4}(-\d{2})?")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_when(text: str) -> Moment | PartialDate:
    """A FHIR date or dateTime: a year or month stays partial; a time zone is dropped,
    keeping the clock time as written (as for patient files). ValueError if unreadable."""
    if _PARTIAL.fullmatch(text):
        return PartialDate.parse(text)
    if _DAY.fullmatch(text):
        return dt.date.fromisoformat(text)
    if not _DAY.match(text) or "T" not in text:
        raise ValueError(text)
    return dt.datetime.fromisoformat(text).replace(tzinfo=None)


def _when(node: _Node, key: str) -> Moment | PartialDate | None:
    text = node.text(key)
    if text is None:
        return None
    try:
        return _parse_when(text)
    except ValueError:
        node.warn(f"{text!r} is not a FHIR date or dateTime; left out", key)
        return None


def _exact(node: _Node, key: str) -> Moment | None:
    """A date or date-time known to the day; a partial one is reported and left out."""
    when = _when(node, key)
    if isinstance(when, PartialDate):
        node.warn(f"{when} is not known to the day; left out", key)
        return None
    return when


def _bound(node: _Node, key: str, *, end: bool) -> Moment | None:
    """The start (or end) of a period: a partial date widens the period to its whole
    year or month (earliest day for a start, latest for an end)."""
    when = _when(node, key)
    if isinstance(when, PartialDate):
        return when.latest if end else when.earliest
    return when


def _day(moment: Moment | None) -> dt.date | None:
    return None if moment is None else day_of(moment)


# ---------------------------------------------------------------- one patient's data


@dataclass
class _Collected:
    """Entries read from a patient's resources, before the Patient is built."""

    notes: list[str]
    medication_index: dict[str, _Resource]
    conditions: list[ConditionEntry] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    procedures: list[ProcedureEntry] = field(default_factory=list)
    medications: list[MedicationEntry] = field(default_factory=list)
    trials: list[TrialParticipationEntry] = field(default_factory=list)
    pregnancy: list[StatusFact] = field(default_factory=list)
    lactation: list[StatusFact] = field(default_factory=list)
    facts: dict[str, tuple[dt.date, BaseModel]] = field(default_factory=dict)

    def fact(self, name: str, day: dt.date, value: BaseModel) -> None:
        """Keep the latest value of a fact."""
        if name not in self.facts or self.facts[name][0] <= day:
            self.facts[name] = (day, value)


def _validated(model: type[M], data: Json, node: _Node) -> M | None:
    """The entry, or None with a note saying why the entry was left out."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{pydantic_field(e['loc']) or 'entry'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        node.warn(f"left out ({problems})")
        return None


# ---------------------------------------------------------------- Patient


def _sex(node: _Node) -> str:
    """Sex at birth: the US Core birth sex extension (F/M) wins over gender."""
    for extension in node.nodes("extension"):
        if extension.text("url") != BIRTH_SEX:
            continue
        code = (extension.text("valueCode") or "").upper()
        if code in ("F", "M"):
            return "female" if code == "F" else "male"
        if code not in ("UNK", "ASKU", ""):
            extension.warn(f"birth sex {code!r} is not F, M or UNK; gender is used", "valueCode")
    gender = (node.text("gender") or "unknown").lower()
    if gender not in ("male", "female", "other", "unknown"):
        node.warn(f"{gender!r} is not a FHIR gender; sex unknown", "gender")
    return gender if gender in ("male", "female") else "unknown"


def _patient_id(node: _Node) -> str:
    """The resource id, else its first identifier, else 'unknown' (with a note)."""
    found = node.text("id")
    if found is not None:
        return found
    identifiers = [i.text("value") for i in node.nodes("identifier")]
    found = next((i for i in identifiers if i), None)
    node.warn(f"no id; {found or 'unknown'!r} is used", "id")
    return found or "unknown"


def _demographics(node: _Node) -> Json:
    fields: Json = {"sex": _sex(node)}
    birth = node.text("birthDate")
    if birth is not None:
        try:
            fields["birth_date"] = PartialDate.parse(birth.split("T")[0])
        except ValueError:
            node.warn(f"{birth!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", "birthDate")
    return fields


# ---------------------------------------------------------------- Observation


_OBSERVATION_STATUS = {
    "final": "final",
    "amended": "amended",
    "corrected": "corrected",
    "preliminary": "preliminary",
}
_COMPARATORS = ("<", "<=", ">", ">=")


def _observation(node: _Node, found: _Collected) -> None:
    status = _observation_status(node)
    if status is None:
        return
    code = _concept(node.node("code"))
    loinc = _loinc(code, node)
    when = _observation_time(node)
    special = _SPECIAL_LOINC.get(loinc or "") or _SPECIAL_TEXT.get((code.label() or "").casefold())
    if special is not None:
        if when is None:
            node.warn("left out: no usable date")
        else:
            special(node, when, found)
        return
    if when is None:
        node.warn("left out: no usable date (effectiveDateTime, effectivePeriod.start, issued)")
        return
    if _value_key(node) is None and node.has("component"):
        for component in node.nodes("component"):
            part = _concept(component.node("code"))
            _measurement(component, part, _loinc(part, component), when, status, found, node)
        return
    _measurement(node, code, loinc, when, status, found, node)


def _observation_status(node: _Node) -> str | None:
    """The model's status, or None when the observation does not count."""
    status = (node.text("status") or "").lower()
    if status in ("cancelled", "entered-in-error"):
        return None
    if not status:
        node.warn("no status; read as final", "status")
        return "final"
    if status not in _OBSERVATION_STATUS:
        node.warn(f"status {status!r} has no usable result; left out", "status")
        return None
    return _OBSERVATION_STATUS[status]


def _loinc(code: _Concept, node: _Node) -> str | None:
    for coding in code.codings:
        if coding.system != LOINC:
            continue
        match = re.fullmatch(r"(\d{1,7})-(\d)", coding.code)
        if match and loinc_check_digit(match[1]) == int(match[2]):
            return coding.code
        node.warn(f"{coding.code!r} is not a valid LOINC code; the name is used", "code")
    return None


def _observation_time(node: _Node) -> Moment | None:
    period = node.node("effectivePeriod")
    for source, key in ((node, "effectiveDateTime"), (period, "start"), (node, "effectiveInstant")):
        if source is not None and source.has(key):
            return _exact(source, key)
    return _exact(node, "issued")


_VALUE_KEYS = (
    "valueQuantity",
    "valueCodeableConcept",
    "valueString",
    "valueBoolean",
    "valueInteger",
)


def _value_key(node: _Node) -> str | None:
    return next((k for k in node.data if k.startswith("value")), None)


def _measurement(
    node: _Node,
    code: _Concept,
    loinc: str | None,
    when: Moment,
    status: str,
    found: _Collected,
    parent: _Node,
) -> None:
    """One value (of an observation, or of one of its components) as an Observation."""
    name = code.label(code.coding(LOINC), _known_name)
    test = None if loinc and analytes.by_loinc(loinc) else qualitative.of_observation(loinc, name)
    value = _value(node) if test is None else _test_result(node)
    if value is None:
        return
    number_or_text, unit, comparator = value
    entry: Json = {
        "name": name,
        "loinc": loinc,
        "value": number_or_text,
        "unit": unit,
        "comparator": comparator,
        "date": when,
        "status": status,
        "reference_range": _reference_range(node if node.has("referenceRange") else parent),
    }
    observation = _validated(Observation, entry, node)
    if observation is not None:
        found.observations.append(observation)


def _known_name(name: str) -> bool:
    """Whether a name is one of an analyte or of a qualitative test."""
    return analytes.by_name(name) is not None or qualitative.by_name(name) is not None


# Qualitative results coded in SNOMED CT (the WHO DDCC value set lab-test-qual-result-snomed,
# as copied by the RKI: konvoulg/mio.prep.bericht ..._Lab_Study_Result_Qualitative_SNOMEDCT.fsh)
_ANSWERS = {
    (SNOMED, "10828004"): "positive",
    (SNOMED, "11214006"): "reactive",
    (SNOMED, "260373001"): "detected",
    (SNOMED, "260385009"): "negative",
    (SNOMED, "131194007"): "non-reactive",
    (SNOMED, "260415000"): "not detected",
    (SNOMED, "82334004"): "indeterminate",
    (SNOMED, "419984006"): "inconclusive",
    (SNOMED, "42425007"): "equivocal",
}
# Observation.interpretation, HL7 v3 ObservationInterpretationDetection (POS, NEG, IND, E,
# DET, ND): a laboratory's reading of a result reported as a number (an index, S/CO)
_INTERPRETATIONS = {
    "POS": "positive",
    "DET": "detected",
    "NEG": "negative",
    "ND": "not detected",
    "IND": "indeterminate",
    "E": "equivocal",
}


def _answer(concept: _Concept) -> str | None:
    """The result a coded value states in SNOMED CT, if it is one screener reads."""
    words = {_ANSWERS.get((c.system.rstrip("/"), c.code)) for c in concept.codings} - {None}
    return words.pop() if len(words) == 1 else None


def _interpretation(node: _Node) -> str | None:
    """The result `interpretation` states (POS, NEG, DET, ND, IND, E), if any and one."""
    words = {
        _INTERPRETATIONS.get(coding.code)
        for interpretation in node.nodes("interpretation")
        for coding in _concept(interpretation).codings
        if coding.system.rstrip("/") == INTERPRETATION
    } - {None}
    return words.pop() if len(words) == 1 else None


def _test_result(node: _Node) -> tuple[Decimal | str, str | None, str | None] | None:
    """The value of a qualitative test: a coded result (SNOMED CT) or a text, else the
    result its interpretation states (the number of an index is then left out, noted)."""
    if node.has("valueCodeableConcept"):
        concept = _concept(node.node("valueCodeableConcept"))
        answer, label = _answer(concept), concept.label()
        if answer is not None:
            if label is None or qualitative.read_result(label) == qualitative.read_result(answer):
                return label or answer, None, None  # as written, when it says the same
            node.warn(
                f"the code's result ({answer}) is read, not the text {label!r}",
                "valueCodeableConcept",
            )
            return answer, None, None
    flagged = _interpretation(node)
    if flagged is None or node.has("valueCodeableConcept") or node.has("valueString"):
        return _value(node)
    key = _value_key(node)
    if key is not None:
        node.warn(f"{key} left out: the result is read from interpretation ({flagged})", key)
    return flagged, None, None


def _value(node: _Node) -> tuple[Decimal | str, str | None, str | None] | None:
    """(number or text, unit, comparator); None, with a note, when there is no usable value."""
    key = _value_key(node)
    if key is None:
        reason = _concept(node.node("dataAbsentReason")).label()
        node.warn(f"no value{f' ({reason})' if reason else ''}; left out")
        return None
    if key not in _VALUE_KEYS:
        node.warn(f"{key} is not read; left out", key)
        return None
    if key == "valueQuantity":
        return _quantity(node)
    if key == "valueCodeableConcept":
        concept = _concept(node.node(key))
        codes = [c.code for c in concept.codings]
        result = concept.label() or (codes[0] if codes else None)
        if result is None:
            node.warn("an empty coded value; left out", key)
        return None if result is None else (result, None, None)
    if key == "valueBoolean":
        flag = node.boolean(key)
        return None if flag is None else ("true" if flag else "false", None, None)
    if key == "valueInteger":
        number = node.number(key)
        return None if number is None else (number, None, None)
    text = node.text(key)
    return None if text is None else (text, None, None)


def _quantity(node: _Node) -> tuple[Decimal, str | None, str | None] | None:
    quantity = node.node("valueQuantity")
    number = quantity.number("value") if quantity is not None else None
    if quantity is None or number is None:
        node.warn("a quantity without a number; left out", "valueQuantity")
        return None
    comparator = quantity.text("comparator")
    if comparator is not None and comparator not in _COMPARATORS:
        quantity.warn(f"comparator {comparator!r} is not read; left out", "comparator")
        return None
    return number, _unit(quantity), comparator


def _unit(quantity: _Node) -> str | None:
    """The UCUM code when it is a unit screener reads, else the unit text."""
    code, text = quantity.text("code"), quantity.text("unit")
    system = quantity.text("system")
    ordered = [code, text] if system in (None, UCUM) else [text, code]
    spellings = [s for s in ordered if s]
    readable = [s for s in spellings if parse_unit(s) is not None]
    return next(iter(readable or spellings), None)


def _reference_range(node: _Node) -> Json | None:
    ranges = node.nodes("referenceRange")
    if not ranges:
        return None
    bounds = {key: ranges[0].node(key) for key in ("low", "high")}
    values = {k: b.number("value") for k, b in bounds.items() if b is not None}
    units = {_unit(b) for b in bounds.values() if b is not None} - {None}
    if len(units) > 1:
        ranges[0].warn("low and high in different units; the range is left out")
        return None
    low, high = values.get("low"), values.get("high")
    if low is None and high is None:
        return None
    if low is not None and high is not None and low > high:
        ranges[0].warn("low is above high; the range is left out")
        return None
    return {
        "low": _float(low),
        "high": _float(high),
        "unit": units.pop() if units else None,
    }


def _float(number: Decimal | None) -> float | None:
    return None if number is None else float(number)


# ---------------------------------------------------------------- special observations


def _coded_status(
    node: _Node, when: Moment, answers: dict[tuple[str, str], str], what: str
) -> StatusFact | None:
    """A present/absent status from the coded value of a status observation."""
    value = _concept(node.node("valueCodeableConcept"))
    for coding in value.codings:
        status = answers.get((coding.system, coding.code))
        if status is not None:
            return StatusFact.model_validate({"status": status, "date": day_of(when)})
    shown = ", ".join(c.code for c in value.codings) or value.label()
    node.warn(f"{what} value {shown or 'missing'} is not one screener reads; {what} unknown")
    return None


_PREGNANCY = {
    (SNOMED, "77386006"): "present",  # Patient currently pregnant
    (SNOMED, "60001007"): "absent",  # Not pregnant
    (LOINC, "LA15173-0"): "present",  # Pregnant
    (LOINC, "LA26683-5"): "absent",  # Not pregnant
}
_BREASTFEEDING = {
    (LOINC, "LA29252-6"): "present",  # Currently breastfeeding
    (LOINC, "LA29253-4"): "absent",  # Not currently breastfeeding
}


def _pregnancy(node: _Node, when: Moment, found: _Collected) -> None:
    fact = _coded_status(node, when, _PREGNANCY, "pregnancy status")
    if fact is not None:
        found.pregnancy.append(fact)


def _lactation(node: _Node, when: Moment, found: _Collected) -> None:
    fact = _coded_status(node, when, _BREASTFEEDING, "breastfeeding status")
    if fact is not None:
        found.lactation.append(fact)


_KILOGRAMS = {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237}
_METRES = {"m": 1.0, "cm": 0.01, "mm": 0.001, "[in_i]": 0.0254, "in": 0.0254}
_TIME_UNITS = {"a": "years", "mo": "months", "wk": "weeks", "d": "days"}


def _plain_quantity(node: _Node, what: str) -> tuple[Decimal, str | None] | None:
    """A measured quantity: a bound ("< 3 mo") does not give a value."""
    value = _quantity(node) if node.has("valueQuantity") else None
    if value is None or value[2] is not None:
        node.warn(f"{what} needs a valueQuantity without a comparator; left out")
        return None
    return value[0], value[1]


def _scaled(node: _Node, scale: dict[str, float], what: str) -> float | None:
    """The quantity in the unit of `scale` (its factor 1.0 unit)."""
    value = _plain_quantity(node, what)
    if value is None:
        return None
    number, unit = value
    factor = scale.get(unit or "")
    if factor is None:
        node.warn(f"{what} in {unit!r} is not read (use {', '.join(scale)}); left out")
        return None
    return float(number) * factor


def _weight(node: _Node, when: Moment, found: _Collected) -> None:
    kilograms = _scaled(node, _KILOGRAMS, "body weight")
    if kilograms is not None:
        _fact(node, found, "weight_kg", {"value": kilograms, "date": day_of(when)})


def _height(node: _Node, when: Moment, found: _Collected) -> None:
    metres = _scaled(node, _METRES, "body height")
    if metres is not None:
        _fact(node, found, "height_m", {"value": round(metres, 4), "date": day_of(when)})


def _score_fact(name: str) -> Callable[[_Node, Moment, _Collected], None]:
    def read(node: _Node, when: Moment, found: _Collected) -> None:
        value = _value(node)
        number = value[0] if value is not None and value[2] is None else None
        if not isinstance(number, Decimal) or number != number.to_integral_value():
            node.warn(f"{name} needs a whole number; left out")
            return
        _fact(node, found, name, {"value": int(number), "date": day_of(when)})

    return read


# NYHA functional class findings as values of LOINC 88020-3 (DICOM CID 3736 "NYHA
# Classification"; the same SNOMED CT codes in HL7 Austria's and the German MII's heart
# failure value sets).
_NYHA_FINDINGS = {
    (SNOMED, "420300004"): 1,  # New York Heart Association Classification - Class I
    (SNOMED, "421704003"): 2,  # ... Class II
    (SNOMED, "420913000"): 3,  # ... Class III
    (SNOMED, "422293003"): 4,  # ... Class IV
}


def _nyha(node: _Node, when: Moment, found: _Collected) -> None:
    """NYHA functional class: a whole number, a SNOMED CT class finding, or a text such
    as "Class III" (the Facts model reads the text; anything else is left out, noted)."""
    value: object = None
    if node.has("valueCodeableConcept"):
        concept = _concept(node.node("valueCodeableConcept"))
        classes = [_NYHA_FINDINGS.get((c.system, c.code)) for c in concept.codings]
        value = next((c for c in classes if c is not None), concept.label())
    else:
        read = _value(node)
        if read is not None and read[2] is None:
            number = read[0]
            whole = isinstance(number, Decimal) and number == number.to_integral_value()
            value = int(number) if whole else number
    if value is None:
        node.warn("NYHA class needs a class I-IV; left out")
        return
    _fact(node, found, "nyha", {"value": value, "date": day_of(when)})


def _life_expectancy(node: _Node, when: Moment, found: _Collected) -> None:
    value = _plain_quantity(node, "life expectancy")
    if value is None:
        return
    number, unit = value
    if unit is None:
        node.warn("life expectancy needs a unit (a, mo, wk or d); left out")
        return
    fact = {"value": float(number), "unit": _TIME_UNITS.get(unit, unit), "date": day_of(when)}
    _fact(node, found, "life_expectancy", fact)


def _fact(node: _Node, found: _Collected, name: str, data: Json) -> None:
    """Check one fact as the Facts model does (height in metres, ECOG 0-5, ...)."""
    checked = _validated(Facts, {name: data}, node)
    value = getattr(checked, name) if checked is not None else None
    if isinstance(value, BaseModel):
        found.fact(name, data["date"], value)


_YES = {(LOINC, "LA33-6"), ("", "yes"), ("", "true")}
_NO = {(LOINC, "LA32-8"), ("", "no"), ("", "false")}


def _other_trials(node: _Node, when: Moment, found: _Collected) -> None:
    """Screener convention: participation in other clinical trials, yes or no."""
    answer = _yes_no(node)
    if answer is None:
        node.warn("participation in other clinical trials needs a yes/no value; left out")
        return
    entry = {"status": "present" if answer else "absent"}
    trial = _validated(TrialParticipationEntry, entry, node)
    if trial is not None:
        found.trials.append(trial)


def _yes_no(node: _Node) -> bool | None:
    flag = node.boolean("valueBoolean") if node.has("valueBoolean") else None
    if flag is not None:
        return flag
    concept = _concept(node.node("valueCodeableConcept"))
    keys = {(c.system, c.code) for c in concept.codings}
    keys.add(("", (concept.label() or "").casefold()))
    if keys & _YES:
        return True
    if keys & _NO:
        return False
    return None


_SPECIAL_LOINC: dict[str, Callable[[_Node, Moment, _Collected], None]] = {
    "82810-3": _pregnancy,  # Pregnancy status
    "63895-7": _lactation,  # Breastfeeding status
    "29463-7": _weight,  # Body weight
    "8302-2": _height,  # Body height
    "89247-1": _score_fact("ecog"),  # ECOG Performance Status score
    "89243-0": _score_fact("karnofsky"),  # Karnofsky Performance Status score
    "88020-3": _nyha,  # Functional capacity NYHA (LOINC; the patient's NYHA class)
}
_SPECIAL_TEXT: dict[str, Callable[[_Node, Moment, _Collected], None]] = {
    "life expectancy": _life_expectancy,
    "participation in other clinical trials": _other_trials,
}


# ---------------------------------------------------------------- Condition


_PRESENT = {"active", "recurrence", "relapse"}
_PAST = {"inactive", "remission", "resolved"}
_DOUBTED = {"provisional", "differential", "unconfirmed"}


def _condition(node: _Node, found: _Collected) -> None:
    status = _condition_status(node)
    if status is None:
        return
    concept = _concept(node.node("code"))
    code = _condition_code(concept, node)
    name = concept.label(known=lambda text: concepts.by_phrase(text) is not None)
    onset_period = node.node("onsetPeriod")
    onset = _bound(node, "onsetDateTime", end=False)
    if onset is None and onset_period is not None:
        onset = _bound(onset_period, "start", end=False)
    entry: Json = {
        "name": name,
        **(code or {}),
        "status": status,
        "onset": _day(onset),
        "recorded": _day(_bound(node, "recordedDate", end=False)),
    }
    condition = _validated(ConditionEntry, entry, node)
    if condition is None:
        return
    found.conditions.append(condition)
    if not concepts.entry_concepts(condition.name, _icd(condition)):
        node.warn(
            f"{condition.code or condition.name!r} matches no condition of the vocabulary "
            "(kept; no criterion reads it)"
        )


def _icd(condition: ConditionEntry) -> str | None:
    return condition.code if condition.system == "icd10cm" else None


def _condition_status(node: _Node) -> str | None:
    """present, suspected, absent or resolved; None when the entry is withdrawn."""
    verification = _status_code(node, "verificationStatus")
    clinical = _status_code(node, "clinicalStatus")
    if verification == "entered-in-error":
        return None
    if verification == "refuted":
        return "absent"
    if verification in _DOUBTED:
        return "suspected"
    if verification not in (None, "confirmed"):
        node.warn(f"verification status {verification!r} is not read; taken as suspected")
        return "suspected"
    if clinical in _PAST:
        return "resolved"
    if clinical is None and any(key.startswith("abatement") for key in node.data):
        return "resolved"  # an abated condition is inactive, resolved or in remission (con-4)
    if clinical not in _PRESENT:
        what = f"clinical status {clinical!r} is not read" if clinical else "no clinical status"
        node.warn(f"{what}; taken as active")
    return "present"


_ICD_SHAPE = re.compile(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?", re.IGNORECASE)


def _condition_code(concept: _Concept, node: _Node) -> Json | None:
    """ICD-10-CM preferred, else SNOMED CT; other systems are reported and not read."""
    icd = concept.coding(ICD10CM)
    if icd is not None and _ICD_SHAPE.fullmatch(icd.code):
        return {"code": icd.code, "system": "icd10cm"}
    if icd is not None:
        node.warn(f"{icd.code!r} is not an ICD-10-CM code; left out", "code")
    snomed = concept.coding(SNOMED)
    if snomed is not None and snomed.code.isdigit() and 6 <= len(snomed.code) <= 18:
        return {"code": snomed.code, "system": "snomed"}
    if snomed is not None:
        node.warn(f"{snomed.code!r} is not a SNOMED CT identifier; left out", "code")
    others = [
        f"{c.system or '(no system)'}|{c.code}" for c in concept.codings if c not in (icd, snomed)
    ]
    if others and icd is None and snomed is None:
        node.warn(f"codes {', '.join(others)} are not ICD-10-CM or SNOMED CT; not read", "code")
    return None


# ---------------------------------------------------------------- medications


# FHIR status → present (ongoing or with its end), ended (needs an end), absent, or None
# (not taken: intended, cancelled, draft, entered in error).
_STATEMENT_STATUS = {
    "active": "present",
    "on-hold": "present",
    "completed": "ended",
    "stopped": "ended",
    "not-taken": "absent",
    "intended": None,
    "entered-in-error": None,
}
_REQUEST_STATUS = {
    "active": "present",
    "on-hold": "present",
    "completed": "ended",
    "stopped": "ended",
    "cancelled": None,
    "draft": None,
    "entered-in-error": None,
}
_ORDER_INTENTS = {"order", "original-order", "reflex-order", "filler-order", "instance-order"}


def _medication_statement(node: _Node, found: _Collected) -> None:
    status = _status_in(node, _STATEMENT_STATUS)
    if status is None:
        return
    period = node.node("effectivePeriod")
    if node.has("effectiveDateTime"):
        start = _bound(node, "effectiveDateTime", end=False)
        end = start if status == "ended" else None
    else:
        start = _bound(period, "start", end=False) if period is not None else None
        end = _bound(period, "end", end=True) if period is not None else None
    _medication(node, found, status, start, end)


def _medication_request(node: _Node, found: _Collected) -> None:
    status = _status_in(node, _REQUEST_STATUS)
    intent = (node.text("intent") or "order").lower()
    if status is None or intent not in _ORDER_INTENTS:
        return
    dispense = node.node("dispenseRequest")
    validity = dispense.node("validityPeriod") if dispense is not None else None
    end = _bound(validity, "end", end=True) if validity is not None and status == "ended" else None
    _medication(node, found, status, _bound(node, "authoredOn", end=False), end)


def _status_in(node: _Node, table: dict[str, str | None]) -> str | None:
    """The status read through `table`; an unknown status is reported and left out."""
    status = (node.text("status") or "").lower()
    if status not in table:
        node.warn(f"status {status or 'missing'!r} is not read; left out", "status")
        return None
    return table[status]


def _medication(
    node: _Node, found: _Collected, status: str, start: Moment | None, end: Moment | None
) -> None:
    if status == "ended" and end is None:
        node.warn("ended on a date not recorded; left out (it could still count as current)")
        return
    concept = _medication_concept(node, found)
    code = concept.coding(ATC) or concept.coding(RXNORM)
    entry: Json = {
        "name": concept.label(code),
        "code": code.code if code is not None else None,
        "status": "absent" if status == "absent" else "present",
        "start": start,
        "end": end,
    }
    medication = _validated(MedicationEntry, entry, node)
    if medication is not None:
        found.medications.append(medication)


def _medication_concept(node: _Node, found: _Collected) -> _Concept:
    """medicationCodeableConcept, else the code of the referenced Medication resource,
    else the reference's display."""
    reference = node.node("medicationReference")
    if node.has("medicationCodeableConcept") or reference is None:
        return _concept(node.node("medicationCodeableConcept"))
    target = found.medication_index.get(reference.text("reference") or "")
    if target is not None:
        medication = _Node(target.data, target.label, found.notes)
        if medication.has("code"):
            return _concept(medication.node("code"))
    return _Concept(reference.text("display"), ())


# ---------------------------------------------------------------- Procedure, ResearchSubject


_PROCEDURE_STATUS = {
    "completed": "present",
    "in-progress": "present",
    "stopped": "present",
    "on-hold": "present",
    "not-done": "absent",
    "preparation": None,
    "entered-in-error": None,
}


def _is_dialysis(text: str) -> bool:
    return any(word in text.casefold() for word in DIALYSIS_WORDS)


def _names_procedure(text: str) -> bool:
    """A name the screening reads: one MELD counts as dialysis, a procedure's phrase, or a
    transplant's ("liver transplant": concepts.procedure_concepts)."""
    return (
        _is_dialysis(text)
        or concepts.procedure_by_phrase(text) is not None
        or bool(concepts.procedure_concepts(text))
    )


def _procedure(node: _Node, found: _Collected) -> None:
    status = _status_in(node, _PROCEDURE_STATUS)
    if status is None:
        return
    concept = _concept(node.node("code"))
    coding = concept.coding(SNOMED) or (concept.codings[0] if concept.codings else None)
    entry: Json = {
        "name": concept.label(coding, known=_names_procedure),
        "code": coding.code if coding is not None else None,
        "status": status,
    }
    if status == "present":
        entry.update(_performed(node, (node.text("status") or "").lower()))
    procedure = _validated(ProcedureEntry, entry, node)
    if procedure is not None:
        found.procedures.append(procedure)


def _performed(node: _Node, status: str) -> Json:
    """Dates of a procedure: a performedDateTime is a session; so is a period shorter than
    a day (a 4-hour haemodialysis) or a completed one with only a start. A longer or open
    period is a course (continuous dialysis counts from 24 hours)."""
    if node.has("performedDateTime"):
        moment = _exact(node, "performedDateTime")
        return {"dates": [moment] if moment is not None else []}
    period = node.node("performedPeriod")
    if period is None:
        return {}
    start, end = _exact(period, "start"), _exact(period, "end")
    if start is None:
        return {}
    if end is None and status == "completed":
        return {"dates": [start]}
    if end is not None and _instant(end) - _instant(start) < dt.timedelta(hours=24):
        return {"dates": [start]}
    return {"start": start, "end": end}


def _instant(moment: Moment) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment
    return dt.datetime.combine(moment, dt.time())


_ON_STUDY = {"on-study", "on-study-intervention", "on-study-observation", "follow-up"}
_OFF_STUDY = {"off-study", "withdrawn"}


def _research_subject(node: _Node, found: _Collected) -> None:
    """Participation in a clinical study (candidates and screening are not participation)."""
    status = (node.text("status") or "").lower()
    if status not in _ON_STUDY | _OFF_STUDY:
        return
    study = node.node("study")
    identifier = study.node("identifier") if study is not None else None
    names = [
        identifier.text("value") if identifier is not None else None,
        study.text("display") if study is not None else None,
        study.text("reference") if study is not None else None,
    ]
    period = node.node("period")
    entry: Json = {
        "trial_id": next((n for n in names if n), None),
        "start": _day(_bound(period, "start", end=False)) if period is not None else None,
        "end": _day(_bound(period, "end", end=True)) if period is not None else None,
        "ongoing": status in _ON_STUDY,
    }
    trial = _validated(TrialParticipationEntry, entry, node)
    if trial is not None:
        found.trials.append(trial)


_READERS: dict[str, Callable[[_Node, _Collected], None]] = {
    "Observation": _observation,
    "Condition": _condition,
    "MedicationStatement": _medication_statement,
    "MedicationRequest": _medication_request,
    "Procedure": _procedure,
    "ResearchSubject": _research_subject,
}
_SUBJECT_KEYS = {"ResearchSubject": ("individual", "subject")}


# ---------------------------------------------------------------- building a Patient


@dataclass
class _Resource:
    """One resource as found in the input, with where it was found."""

    data: Json
    label: str  # Observation/o1, or Observation (Observation.ndjson line 3)
    full_url: str | None = None

    @property
    def kind(self) -> str:
        kind = self.data.get("resourceType")
        return kind if isinstance(kind, str) else ""

    def subject(self) -> str | None:
        """The patient reference, as 'Patient/<id>' where it names one."""
        for key in _SUBJECT_KEYS.get(self.kind, ("subject",)):
            value = self.data.get(key)
            if isinstance(value, dict) and isinstance(value.get("reference"), str):
                return _reference_key(value["reference"])
        return None


def _reference_key(reference: str) -> str:
    """'https://x/fhir/Patient/7/_history/2' → 'Patient/7'; any other reference as written."""
    match = re.search(r"(?:^|/)(Patient/[^/]+)(?:/_history/[^/]*)?$", reference.strip())
    return match[1] if match else reference.strip()


def _label_of(data: Json, where: str) -> str:
    kind = data.get("resourceType")
    name = kind if isinstance(kind, str) else "resource"
    identifier = data.get("id")
    return f"{name}/{identifier}" if isinstance(identifier, str) else f"{name} ({where})"


@dataclass
class _Record:
    """The resources of one patient."""

    key: str  # Patient/<id>
    patient: _Resource | None = None
    resources: list[_Resource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _medication_index(resources: Iterable[_Resource]) -> dict[str, _Resource]:
    """Medication resources by the references that can name them."""
    index: dict[str, _Resource] = {}
    for resource in resources:
        if resource.kind != "Medication":
            continue
        identifier = resource.data.get("id")
        if isinstance(identifier, str):
            index[f"Medication/{identifier}"] = resource
        if resource.full_url:
            index[resource.full_url] = resource
    return index


def _build(record: _Record, medications: dict[str, _Resource], source: str) -> Patient:
    notes = record.notes
    fields: Json = {"id": record.key.removeprefix("Patient/"), "sex": "unknown"}
    if record.patient is not None:
        node = _Node(record.patient.data, record.patient.label, notes)
        fields.update(id=_patient_id(node), **_demographics(node))
    else:
        notes.append(f"{record.key}: no Patient resource; birth date and sex unknown")
    found = _Collected(notes, medications)
    for resource in record.resources:
        _READERS[resource.kind](_Node(resource.data, resource.label, notes), found)
    fields.update(_entries(found, fields["sex"], notes))
    fields["notes"] = list(notes)
    return patient_from_dict(fields, source)


def _entries(found: _Collected, sex: str, notes: list[str]) -> Json:
    pregnancy = _latest(found.pregnancy)
    if pregnancy is not None and sex == "male" and pregnancy.status == "present":
        notes.append(f"pregnancy present on {pregnancy.date} but sex at birth male; left out")
        pregnancy = None
    facts = {name: value for name, (_, value) in found.facts.items()}
    return {
        "pregnancy": pregnancy,
        "lactation": _latest(found.lactation),
        "conditions": found.conditions,
        "observations": found.observations,
        "procedures": _merge_sessions(found.procedures),
        "medications": found.medications,
        "trial_participation": found.trials,
        "facts": Facts.model_validate(facts),
    }


def _merge_sessions(procedures: list[ProcedureEntry]) -> list[ProcedureEntry]:
    """Sessions of one procedure (FHIR: a Procedure each) as one entry listing all their
    dates, as patient files write them: MELD counts dialysis sessions within an entry."""
    merged: list[ProcedureEntry] = []
    position: dict[tuple[str | None, str | None], int] = {}
    for entry in procedures:
        if entry.status != "present" or entry.start or entry.end or not entry.dates:
            merged.append(entry)
            continue
        key = (entry.name, entry.code)
        if key not in position:
            position[key] = len(merged)
            merged.append(entry)
            continue
        first = merged[position[key]]
        dates = sorted([*first.dates, *entry.dates], key=_instant)
        merged[position[key]] = first.model_copy(update={"dates": dates})
    return merged


def _latest(facts: list[StatusFact]) -> StatusFact | None:
    return max(facts, key=lambda fact: fact.date) if facts else None


# ---------------------------------------------------------------- Bundles


def is_fhir(data: object) -> bool:
    """Whether parsed JSON is a FHIR resource (it names its resourceType)."""
    return isinstance(data, dict) and isinstance(data.get("resourceType"), str)


def patient_from_resource(data: Json, source: str) -> Patient:
    """The Patient of a FHIR R4 Bundle (one Patient resource) or of a lone Patient resource.

    InputError when the file is not a Bundle or Patient, or holds no or several Patients.
    """
    kind = data.get("resourceType")
    if kind == "Patient":
        resources = [_Resource(data, _label_of(data, "the file"))]
        notes: list[str] = []
    elif kind == "Bundle":
        resources, notes = _bundle_resources(data)
    else:
        raise InputError(
            source, "resourceType", f"a FHIR {kind} resource; expected a Bundle or a Patient"
        )
    patients = [r for r in resources if r.kind == "Patient"]
    if not patients:
        raise InputError(source, "", "the Bundle has no Patient resource")
    if len(patients) > 1:
        shown = ", ".join(p.label for p in patients)
        raise InputError(
            source,
            "",
            f"the Bundle holds {len(patients)} Patient resources ({shown}); "
            "give one patient per file (or an NDJSON folder)",
        )
    record = _bundle_record(patients[0], resources, notes)
    return _build(record, _medication_index(resources), source)


def _bundle_resources(data: Json) -> tuple[list[_Resource], list[str]]:
    """The entries' resources, and the notes of reading the Bundle itself."""
    bundle = _Node(data, "Bundle", [])
    resources = []
    for index, entry in enumerate(bundle.nodes("entry")):
        resource = entry.node("resource")
        if resource is not None:
            where = f"entry {index}"
            full_url = entry.text("fullUrl")
            resources.append(_Resource(resource.data, _label_of(resource.data, where), full_url))
    return resources, bundle.notes


def _bundle_record(patient: _Resource, resources: list[_Resource], notes: list[str]) -> _Record:
    """The bundle's patient with the resources that are about it."""
    identifier = patient.data.get("id")
    key = f"Patient/{identifier}" if isinstance(identifier, str) else "Patient/unknown"
    names = {key, patient.full_url} - {None}
    record = _Record(key, patient, notes=notes)
    for resource in resources:
        if resource.kind not in _READERS:
            continue
        subject = resource.subject()
        if subject is None or subject in names:
            record.resources.append(resource)
        else:
            notes.append(f"{resource.label}: about {subject}, not this Bundle's patient; left out")
    return record


# ---------------------------------------------------------------- NDJSON folders


def load_fhir_folder(path: Path | str) -> list[tuple[Patient, list[str]]]:
    """The patients of a folder of FHIR Bulk Data NDJSON files (one resource per line),
    each with the notes of its reading (also in `Patient.notes`).

    Resources are grouped by the patient they reference; a patient referenced without a
    Patient resource is still screened (birth date and sex unknown). Problems of the
    files themselves (a line that is not JSON, a resource naming no patient) go into the
    notes of every patient, since any of them may be missing that data.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(str(path), "", "not a folder of FHIR NDJSON files")
    files = sorted(folder.glob("*.ndjson"))
    if not files:
        raise InputError(str(path), "", "no .ndjson files in the folder")
    shared: list[str] = []
    resources = [r for file in files for r in _read_ndjson(file, shared)]
    records = _group(resources, shared)
    medications = _medication_index(resources)
    patients = []
    for record in records.values():
        record.notes[:0] = shared
        patient = _build(record, medications, str(folder / record.key))
        patients.append((patient, list(patient.notes)))
    return patients


def _read_ndjson(file: Path, notes: list[str]) -> list[_Resource]:
    resources = []
    try:
        lines = file.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        notes.append(f"{file.name}: cannot be read ({exc}); its resources are missing")
        return []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{file.name} line {number}"
        try:
            data = json.loads(line, parse_float=Decimal)
        except ValueError as exc:
            notes.append(f"{where}: not valid JSON ({exc}); left out")
            continue
        if not is_fhir(data):
            notes.append(f"{where}: not a FHIR resource (no resourceType); left out")
            continue
        resources.append(_Resource(data, _label_of(data, where)))
    return resources


def _group(resources: list[_Resource], shared: list[str]) -> dict[str, _Record]:
    """Records by 'Patient/<id>': the Patient resources first, then what refers to them."""
    records: dict[str, _Record] = {}
    for resource in resources:
        if resource.kind == "Patient":
            identifier = resource.data.get("id")
            key = f"Patient/{identifier}" if isinstance(identifier, str) else resource.label
            if key in records:
                shared.append(f"{resource.label}: a second Patient resource {key}; left out")
                continue
            records[key] = _Record(key, resource)
    for resource in resources:
        if resource.kind not in _READERS:
            continue
        subject = resource.subject()
        if subject is None or not subject.startswith("Patient/"):
            shared.append(f"{resource.label}: names no patient (subject); left out")
            continue
        record = records.setdefault(subject, _Record(subject))
        record.resources.append(resource)
    return records
