"""The patient profile: a JSON file a coordinator can write by hand (docs/patient-format.md).

The models only hold and check data; deciding criteria is `evaluate.py`'s job. The
rules the evaluator relies on: a thing not listed is unknown, an entry with status
`absent` is known absent, and only data dated on or before the screening date count.

Every model is frozen and rejects unknown fields, so a misspelt field name is an error
rather than silently ignored data. Keywords (statuses, units, sex, ...) are read
case-insensitively, with spaces and hyphens taken as underscores.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, core_schema

from screener import timecalc
from screener.errors import InputError, pydantic_field

# ---------------------------------------------------------------------------
# Scalar types


def day_of(moment: dt.date | dt.datetime) -> dt.date:
    """The calendar day of a date or a datetime."""
    return moment.date() if isinstance(moment, dt.datetime) else moment


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?"
)
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _to_day(value: object) -> object:
    if isinstance(value, dt.datetime) or (
        isinstance(value, str) and _ISO_MOMENT.fullmatch(value.strip())
    ):
        raise ValueError(f"expected a date without a time (YYYY-MM-DD), got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
    raise ValueError(f"expected an ISO 8601 date YYYY-MM-DD, got {value!r}")


def _to_moment(value: object) -> object:
    """A date stays a date (that whole day); a time zone offset is dropped, keeping the
    clock time as written, so all datetimes compare with each other."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and _ISO_MOMENT.fullmatch(value.strip()):
        try:
            return dt.datetime.fromisoformat(value.strip()).replace(tzinfo=None)
        except ValueError:
            raise ValueError(f"{value!r} is not a valid date and time") from None
    try:
        return _to_day(value)
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 date YYYY-MM-DD or date-time YYYY-MM-DDTHH:MM, got {value!r}"
        ) from None


def _number(value: object) -> Decimal | None:
    """The number written in a JSON number or a numeric string, exactly as written."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal | int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            return None
    return None


def _to_measured(value: object) -> object:
    """A number (numeric strings included) as float, any other text as a qualitative result."""
    number = _number(value)
    if number is not None:
        if not number.is_finite():
            raise ValueError("expected a finite number")
        return float(number)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError(f"expected a number or a text result such as 'positive', got {value!r}")


def _keyword(value: object) -> object:
    if isinstance(value, str):
        return re.sub(r"[\s-]+", "_", value.strip().lower())
    return value


_SEX = {"f": "female", "woman": "female", "m": "male", "man": "male"}
_INTERVENTION = {"behavioral": "behavioural"}


def _sex(value: object) -> object:
    if value is None:
        return "unknown"
    value = _keyword(value)
    return _SEX.get(value, value) if isinstance(value, str) else value


def _intervention(value: object) -> object:
    value = _keyword(value)
    return _INTERVENTION.get(value, value) if isinstance(value, str) else value


def _time_unit(value: object) -> object:
    return timecalc.normalize_unit(value) if isinstance(value, str) else value


Day = Annotated[dt.date, BeforeValidator(_to_day)]
Moment = Annotated[dt.datetime | dt.date, BeforeValidator(_to_moment)]
Measured = Annotated[float | str, BeforeValidator(_to_measured)]
TimeUnit = Annotated[timecalc.Unit, BeforeValidator(_time_unit)]
Text = Annotated[str, Field(min_length=1)]
Presence = Annotated[Literal["present", "absent"], BeforeValidator(_keyword)]


@dataclass(frozen=True)
class PartialDate:
    """A date known to the year ("1980"), the month ("1980-05") or the day ("1980-05-17")."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise ValueError("a day needs a month")
        dt.date(self.year, self.month or 1, self.day or 1)  # ValueError if it does not exist

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
        if match is None:
            raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {text!r}")
        year, month, day = (int(part) if part else None for part in match.groups())
        assert year is not None
        try:
            return cls(year, month, day)
        except ValueError:
            raise ValueError(f"{text!r} is not a calendar date") from None

    @property
    def complete(self) -> bool:
        return self.day is not None

    @property
    def earliest(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def latest(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return self.earliest

    def __str__(self) -> str:
        parts = [f"{self.year:04d}", *(f"{p:02d}" for p in (self.month, self.day) if p is not None)]
        return "-".join(parts)

    @classmethod
    def _coerce(cls, value: object) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool):
            return cls.parse(str(value))
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(f"expected YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"}


# ---------------------------------------------------------------------------
# Codes

_ICD10CM = re.compile(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?", re.IGNORECASE)
_SNOMED = re.compile(r"\d{6,18}")
_LOINC = re.compile(r"(\d{1,7})-(\d)")
_SYSTEMS = {
    "icd10cm": "icd10cm",
    "icd_10_cm": "icd10cm",
    "icd10": "icd10cm",
    "icd_10": "icd10cm",
    "snomed": "snomed",
    "snomed_ct": "snomed",
    "snomedct": "snomed",
    "sct": "snomed",
}


def loinc_check_digit(number: str) -> int:
    """The LOINC mod-10 check digit of the part before the hyphen (1975 → 2)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit // 10 + digit % 10
    return (10 - total % 10) % 10


def _system(value: object) -> object:
    value = _keyword(value)
    return _SYSTEMS.get(value, value) if isinstance(value, str) else value


# ---------------------------------------------------------------------------
# Models


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", allow_inf_nan=False, str_strip_whitespace=True
    )


class StatusFact(_Model):
    """A yes/no state known on a date (pregnancy, lactation)."""

    status: Presence = Field(description="present or absent")
    date: Day = Field(description="when this was established")


class AgeStatement(_Model):
    """An age as stated on a date, for when no birth date is recorded."""

    value: int = Field(ge=0, le=150, description="completed age in `unit`")
    unit: TimeUnit = Field(default="years", description="days, weeks, months or years")
    as_of: Day = Field(description="the date on which the age was this value")


class ConditionEntry(_Model):
    """A diagnosis or condition, by name and/or code."""

    name: Text | None = Field(default=None, description="e.g. 'hepatocellular carcinoma'")
    code: Text | None = Field(default=None, description="an ICD-10-CM or SNOMED CT code")
    system: Annotated[Literal["icd10cm", "snomed"] | None, BeforeValidator(_system)] = Field(
        default=None,
        validate_default=True,
        description="code system; may be left out for a code shaped like ICD-10-CM (K70.30)",
    )
    status: Annotated[
        Literal["present", "suspected", "absent", "resolved"], BeforeValidator(_keyword)
    ] = Field(default="present", description="absent = known not to have it")
    onset: Day | None = Field(default=None, description="when it started")
    recorded: Day | None = Field(default=None, description="when it was recorded")

    @field_validator("code")
    @classmethod
    def _upper_icd(cls, code: str | None) -> str | None:
        return code.upper() if code and _ICD10CM.fullmatch(code) else code

    @field_validator("system")
    @classmethod
    def _system_fits_code(cls, system: str | None, info: ValidationInfo) -> str | None:
        if "code" not in info.data:
            return system  # the code itself is invalid and reported on its own
        code = info.data["code"]
        if code is None:
            if system is not None:
                raise ValueError("a system needs a code")
            return None
        if system is None:
            if _ICD10CM.fullmatch(code):
                return "icd10cm"
            raise ValueError(f"give the code system of {code!r}: icd10cm or snomed")
        if system == "icd10cm" and not _ICD10CM.fullmatch(code):
            raise ValueError(f"{code!r} is not shaped like an ICD-10-CM code (K70.30)")
        if system == "snomed" and not _SNOMED.fullmatch(code):
            raise ValueError(f"{code!r} is not a SNOMED CT identifier (digits only)")
        return system

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.name is None and self.code is None:
            raise ValueError("give a name or a code")
        return self


class ReferenceRange(_Model):
    low: float | None = None
    high: float | None = None
    unit: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low is above high")
        return self


class Observation(_Model):
    """A laboratory result or other measurement."""

    name: Text | None = Field(default=None, description="e.g. 'total bilirubin', 'INR'")
    loinc: Text | None = Field(default=None, description="LOINC code with check digit, 1975-2")
    value: Measured = Field(description="a number, or text for a qualitative result")
    comparator: Literal["<", "<=", ">", ">="] | None = Field(
        default=None,
        description="the value is a bound, not a measurement: '<' 20 means below 20 "
        "(FHIR valueQuantity.comparator, e.g. HBV DNA < 20 IU/mL)",
    )
    decimals: int | None = Field(
        default=None,
        ge=0,
        description="digits after the decimal point as written (10.20 → 2); "
        "filled in from the value when left out, None for text",
    )
    unit: Text | None = Field(default=None, description="as reported; free text")
    date: Moment = Field(description="date or date-time of the sample; a date means that day")
    reference_range: ReferenceRange | None = None
    status: Annotated[
        Literal["final", "preliminary", "amended", "corrected", "cancelled", "entered_in_error"],
        BeforeValidator(_keyword),
    ] = Field(default="final", description="FHIR observation status")

    @model_validator(mode="before")
    @classmethod
    def _keep_decimals(cls, data: Any) -> Any:
        if isinstance(data, dict) and "decimals" not in data and "value" in data:
            number = _number(data["value"])
            if number is not None and number.is_finite():
                exponent = number.as_tuple().exponent
                assert isinstance(exponent, int)
                data = {**data, "decimals": max(0, -exponent)}
        return data

    @field_validator("loinc")
    @classmethod
    def _loinc(cls, code: str | None) -> str | None:
        if code is None:
            return None
        match = _LOINC.fullmatch(code)
        if match is None:
            raise ValueError(f"{code!r} is not a LOINC code (digits, hyphen, check digit: 1975-2)")
        if loinc_check_digit(match[1]) != int(match[2]):
            raise ValueError(f"{code!r} is not a LOINC code (wrong check digit; a typo?)")
        return code

    @model_validator(mode="after")
    def _named(self) -> Self:
        if self.name is None and self.loinc is None:
            raise ValueError("give a name or a loinc code")
        return self


def _check_period(start: dt.date | None, end: dt.date | None) -> None:
    if start is not None and end is not None and day_of(end) < day_of(start):
        raise ValueError("end is before start")


class ProcedureEntry(_Model):
    """A procedure or treatment course (surgery, radiotherapy, dialysis).

    Criteria find it by `code` (a SNOMED CT concept id of the vocabulary) or by `name` (a
    phrase of the vocabulary, whole): screener/data/concepts.yaml `procedures`. A transplant
    is found by `name` only, a phrase of a transplant concept ("liver transplant"), and dated
    by the operation's day (evaluate._operation).
    """

    name: Text | None = Field(default=None, description="e.g. 'haemodialysis', 'major surgery'")
    code: Text | None = Field(default=None, description="a SNOMED CT concept id, e.g. 302497006")
    status: Presence = Field(default="present", description="absent = known never done")
    start: Moment | None = Field(
        default=None, description="first day of a course; without `end` it is still going on"
    )
    end: Moment | None = Field(default=None, description="last day of a course")
    dates: list[Moment] = Field(
        default_factory=list, description="individual sessions, or the day of a one-off procedure"
    )

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.name is None and self.code is None:
            raise ValueError("give a name or a code")
        _check_period(self.start, self.end)
        return self


class MedicationEntry(_Model):
    """A medication, by name, drug class and/or code."""

    name: Text | None = None
    drug_class: Text | None = Field(default=None, description="e.g. 'anticoagulant'")
    code: Text | None = None
    status: Presence = Field(default="present", description="absent = known not taken")
    start: Moment | None = None
    end: Moment | None = Field(default=None, description="None = ongoing")

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.name is None and self.drug_class is None and self.code is None:
            raise ValueError("give a name, a drug_class or a code")
        _check_period(self.start, self.end)
        return self


class TrialParticipationEntry(_Model):
    """Participation in another clinical study."""

    trial_id: Text | None = Field(default=None, description="e.g. NCT01234567")
    status: Presence = Field(
        default="present",
        description="absent = known not to take part in other trials (of intervention_type, "
        "when given)",
    )
    intervention_type: Annotated[
        Literal["drug", "biological", "device", "procedure", "behavioural", "other"] | None,
        BeforeValidator(_intervention),
    ] = Field(default=None, description="None = not recorded")
    start: Day | None = None
    end: Day | None = None
    ongoing: bool | None = Field(default=None, description="None = not recorded")

    @model_validator(mode="after")
    def _valid(self) -> Self:
        _check_period(self.start, self.end)
        return self


class LifeExpectancy(_Model):
    value: float = Field(ge=0)
    unit: TimeUnit
    date: Day


class EncephalopathyGrade(_Model):
    value: int = Field(ge=0, le=4, description="West Haven grade 0-4")
    date: Day


class AscitesFact(_Model):
    value: Annotated[Literal["none", "mild", "moderate", "severe"], BeforeValidator(_keyword)]
    date: Day


class EcogFact(_Model):
    value: int = Field(ge=0, le=5)
    date: Day


class KarnofskyFact(_Model):
    value: int = Field(ge=0, le=100)
    date: Day


_NYHA_CLASSES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_NYHA_PREFIX = re.compile(r"^(?:nyha\s*)?(?:(?:functional\s+)?class\s*)?")


def _nyha_class(value: object) -> int:
    """NYHA functional class I-IV as 1-4: a whole number, or 'III', 'class III', 'NYHA III'."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value == int(value):
        found = _NYHA_CLASSES.get(str(int(value)))
    elif isinstance(value, str):
        found = _NYHA_CLASSES.get(_NYHA_PREFIX.sub("", value.strip().lower()))
    else:
        found = None
    if found is None:
        raise ValueError(f"NYHA functional class must be I-IV (1-4), got {value!r}")
    return found


class NyhaFact(_Model):
    value: Annotated[int, BeforeValidator(_nyha_class)] = Field(
        description="NYHA functional class 1-4; Roman numerals (I-IV) accepted"
    )
    date: Day


class Measurement(_Model):
    value: float = Field(gt=0)
    date: Day


class MeasurableDiseaseFact(_Model):
    """Whether imaging shows at least one measurable lesion, and under which criteria."""

    value: bool = Field(description="true: at least one measurable lesion; false: none")
    criteria: Text | None = Field(
        default=None, description="the response criteria applied, e.g. 'RECIST 1.1'"
    )
    date: Day = Field(description="the date of the imaging assessed")


class Facts(_Model):
    """Clinical assessments without a code of their own; each is dated."""

    life_expectancy: LifeExpectancy | None = None
    hepatic_encephalopathy_grade: EncephalopathyGrade | None = None
    ascites: AscitesFact | None = None
    ecog: EcogFact | None = None
    karnofsky: KarnofskyFact | None = None
    nyha: NyhaFact | None = None
    measurable_disease: MeasurableDiseaseFact | None = None
    weight_kg: Measurement | None = None
    height_m: Measurement | None = None

    @field_validator("height_m")
    @classmethod
    def _metres(cls, height: Measurement | None) -> Measurement | None:
        if height is not None and not 0.2 <= height.value <= 2.8:
            raise ValueError(f"{height.value} is not a height in metres (centimetres?)")
        return height


class ScoreEntry(_Model):
    """A clinical score as reported (meld, meld_na, child_pugh, child_pugh_class, ...)."""

    name: Annotated[str, BeforeValidator(_keyword)] = Field(min_length=1)
    value: Measured = Field(description="a number, or a class letter such as 'C'")
    date: Moment


class AnswerEntry(_Model):
    """A coordinator's decision on one criterion of one trial; it decides that criterion."""

    trial: str = Field(min_length=1, description="trial id")
    criterion: str = Field(min_length=1, description="criterion id as in the screening report")
    answer: Annotated[Literal["met", "not_met"], BeforeValidator(_keyword)]
    by: str = Field(min_length=1, description="who decided")
    date: Day | None = None
    note: Text | None = None


class Patient(_Model):
    """One patient's screening profile."""

    id: Text
    screening_date: Day | None = Field(
        default=None, description="None: the screening tool uses today or its --date"
    )
    birth_date: PartialDate | None = Field(
        default=None, description="YYYY-MM-DD, or YYYY-MM / YYYY when only that is known"
    )
    age: AgeStatement | None = Field(default=None, description="only when birth_date is unknown")
    sex: Annotated[Literal["female", "male", "unknown"], BeforeValidator(_sex)] = Field(
        default="unknown", description="sex at birth; F/M/woman/man accepted"
    )
    pregnancy: StatusFact | None = None
    lactation: StatusFact | None = None
    conditions: list[ConditionEntry] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    procedures: list[ProcedureEntry] = Field(default_factory=list)
    medications: list[MedicationEntry] = Field(default_factory=list)
    trial_participation: list[TrialParticipationEntry] = Field(default_factory=list)
    facts: Facts = Field(default_factory=Facts)
    scores: list[ScoreEntry] = Field(default_factory=list)
    answers: list[AnswerEntry] = Field(default_factory=list)
    notes: list[str] = Field(
        default_factory=list,
        description="what reading the source left out or assumed (FHIR input is read "
        "leniently; each note names the resource and field)",
    )

    @field_validator("birth_date")
    @classmethod
    def _born_before_screening(
        cls, birth: PartialDate | None, info: ValidationInfo
    ) -> PartialDate | None:
        screening = info.data.get("screening_date")
        if birth is not None and screening is not None and birth.earliest > screening:
            raise ValueError("birth date is after the screening date")
        return birth

    @field_validator("age")
    @classmethod
    def _not_both(cls, age: AgeStatement | None, info: ValidationInfo) -> AgeStatement | None:
        if age is not None and info.data.get("birth_date") is not None:
            raise ValueError("give birth_date or age, not both")
        return age

    @field_validator("pregnancy")
    @classmethod
    def _pregnant_female(
        cls, pregnancy: StatusFact | None, info: ValidationInfo
    ) -> StatusFact | None:
        male = info.data.get("sex") == "male"
        if male and pregnancy is not None and pregnancy.status == "present":
            raise ValueError("pregnancy present but sex is male")
        return pregnancy

    @field_validator("answers")
    @classmethod
    def _one_answer_each(cls, answers: list[AnswerEntry]) -> list[AnswerEntry]:
        seen: set[tuple[str, str]] = set()
        for index, entry in enumerate(answers):
            key = (entry.trial, entry.criterion)
            if key in seen:
                raise ValueError(
                    f"answers[{index}] repeats the answer to {entry.trial} {entry.criterion}"
                )
            seen.add(key)
        return answers

    def birth_range(self) -> tuple[dt.date, dt.date] | None:
        """Earliest and latest possible birth date; None when the age is unknown."""
        if self.birth_date is not None:
            return self.birth_date.earliest, self.birth_date.latest
        if self.age is not None:
            return timecalc.birth_range(self.age.value, self.age.unit, self.age.as_of)
        return None

    def age_on(self, on: dt.date, unit: str = "years") -> tuple[int, int] | None:
        """(min, max) completed age on `on`; None when the age is unknown.

        A full birth date gives min == max. ValueError if `on` is before any possible birth date.
        """
        births = self.birth_range()
        return None if births is None else timecalc.age_interval(*births, on, unit)

    def counts_on(self, moment: dt.date | dt.datetime) -> bool:
        """Whether data dated `moment` count: only data on or before the screening date do."""
        if self.screening_date is None:
            raise ValueError(f"patient {self.id}: no screening date set")
        return day_of(moment) <= self.screening_date


# ---------------------------------------------------------------------------
# Loading


def _model_of(field: Any) -> type[BaseModel] | None:
    """The model class inside an annotation such as `list[ConditionEntry]` or `Facts | None`."""
    if isinstance(field, type) and issubclass(field, BaseModel):
        return field
    for arg in get_args(field):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] | None = Patient
    for part in loc[:-1]:
        if isinstance(part, str) and model is not None and part in model.model_fields:
            model = _model_of(model.model_fields[part].annotation)
    names = list(model.model_fields) if model is not None else []
    hint = difflib.get_close_matches(str(loc[-1]), names, n=1)
    return "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _describe(error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_field(error["loc"])
    if kind == "missing":
        return "required field missing"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a JSON object"
    return error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")


def patient_from_dict(data: object, source: str) -> Patient:
    """Validate parsed JSON (or any mapping); InputError names every problem and its field."""
    try:
        return Patient.model_validate(data)
    except ValidationError as exc:
        problems = [(pydantic_field(e["loc"]), _describe(e)) for e in exc.errors()]
    if len(problems) == 1:
        raise InputError(source, *problems[0])
    raise InputError(source, "", "; ".join(f"{f}: {m}" if f else m for f, m in problems))


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object hook that refuses a key written twice."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r} in one object")
        result[key] = value
    return result


def no_constant(name: str) -> Any:
    """A JSON constant hook that refuses NaN and Infinity."""
    raise ValueError(f"{name} is not a number (JSON numbers must be finite)")


def loads_strict(
    text: str,
    parse_float: Callable[[str], Any] = Decimal,
    parse_int: Callable[[str], Any] | None = None,
) -> Any:
    """Patient JSON: decimals kept as written (10.20 has two, for Observation.decimals),
    duplicate keys and NaN/Infinity refused (ValueError, json.JSONDecodeError)."""
    return json.loads(
        text,
        parse_float=parse_float,
        parse_int=parse_int,
        parse_constant=no_constant,
        object_pairs_hook=unique_keys,
    )


def parse_json(
    text: str,
    source: str,
    parse_float: Callable[[str], Any] = Decimal,
    parse_int: Callable[[str], Any] | None = None,
) -> Any:
    """`loads_strict`, with every failure an InputError naming `source`."""
    try:
        return loads_strict(text, parse_float, parse_int)
    except json.JSONDecodeError as exc:
        raise InputError(
            source, "", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:
        raise InputError(source, "", str(exc)) from None


def read_text(path: Path | str) -> str:
    """A UTF-8 file's text; an InputError naming the file when it cannot be read."""
    source = str(path)
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InputError(source, "", "file not found") from None
    except IsADirectoryError:
        raise InputError(source, "", "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(source, "", f"cannot read the file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(source, "", "not UTF-8 text") from None


def load_patient(path: Path | str) -> Patient:
    """Read and validate a patient JSON file; every failure is an InputError.

    A FHIR R4 Bundle (or a lone Patient resource), recognised by its `resourceType`, is read
    by `screener.fhir` instead: leniently, with what it left out in `Patient.notes`.
    """
    source = str(path)
    data = parse_json(read_text(path), source)
    if isinstance(data, dict) and "resourceType" in data:
        from screener import fhir  # fhir builds on this module

        return fhir.patient_from_resource(data, source)
    return patient_from_dict(data, source)
