"""The screening results: typed models behind the versioned JSON contract.

`ScreeningReport` is what `screen PATIENT --format json` prints and what
`TrialLibrary.screen` returns. Its JSON Schema is checked in at
`schema/screening-report.schema.json` (regenerate with
`python -m screener.schema`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from screener.logic import Status

SCHEMA_VERSION = 1

ModelT = TypeVar("ModelT", bound=BaseModel)


def trusted(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    """`model.model_construct(**fields)` for values already typed and checked, faster.

    Screening builds a result per criterion and trial, thousands per patient, from
    values the engine typed itself. `model_construct` looks up every field's aliases
    and defaults on each call; when `fields` names every field by its Python name
    there is nothing to look up, and the instance is set up as `model_construct`
    sets it (pydantic's documented instance attributes). Any other call goes to
    `model_construct` itself. tests/test_results.py checks both give equal models.
    """
    if fields.keys() != model.__pydantic_fields__.keys() or model.__pydantic_post_init__:
        return model.model_construct(**fields)
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", fields)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


class Kind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"
    UNCLASSIFIED = "unclassified"


class CriterionClass(StrEnum):
    CLINICAL = "clinical"
    JUDGEMENT = "judgement"
    ADMINISTRATIVE = "administrative"


class Origin(StrEnum):
    TEXT = "text"
    STRUCTURED = "structured"
    REWRITE = "rewrite"


class Effect(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    OPEN = "open"


class Verdict(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    NEEDS_REVIEW = "needs_review"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Converted(_Model):
    value: float
    unit: str


class ValueUsed(_Model):
    """A patient value a decision used, as recorded and as compared."""

    name: str
    value: float | str | None
    unit: str | None = None
    date: dt.date | None = None
    converted: Converted | None = None
    derived_from: list[ValueUsed] = Field(default_factory=list)
    note: str | None = None


class Answer(_Model):
    """A coordinator's recorded decision on a criterion."""

    status: Status
    by: str
    on: dt.date | None = None


class CriterionResult(_Model):
    id: str
    kind: Kind
    class_: CriterionClass = Field(alias="class")
    origin: Origin
    text: str
    status: Status
    effect: Effect
    rule: str | None
    reason: str
    values: list[ValueUsed] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list, description="data that would decide it")
    answer: Answer | None = None
    context: str | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class OpenCounts(_Model):
    missing_data: int = 0
    judgement: int = 0
    administrative: int = 0


class TrialResult(_Model):
    id: str
    title: str
    status: str | None = Field(description="recruitment status of the trial")
    verdict: Verdict
    pending_confirmation: bool = Field(
        default=False,
        description="needs_review with only judgement and administrative items open",
    )
    open: OpenCounts
    criteria: list[CriterionResult]


class Rejected(_Model):
    source: str
    field: str
    message: str


class Engine(_Model):
    version: str
    grammar: str


class CollectItem(_Model):
    """A data item worth collecting next (screener.collect): what it would settle."""

    item: str = Field(description="the missing data item, as in a criterion's `missing`")
    criteria: int = Field(
        description="open criteria of trials not ineligible that list it as missing"
    )
    trials: int = Field(
        description="trials it alone would make definite or pending confirmation only "
        "(their only open clinical items need it and nothing else)"
    )
    trial_ids: list[str] = Field(
        default_factory=list, description="those trials, in report order (len = trials)"
    )
    needed_by: list[str] = Field(
        default_factory=list,
        description="every trial not ineligible with an open criterion that needs it",
    )


class ScreeningReport(_Model):
    schema_version: int = SCHEMA_VERSION
    engine: Engine
    patient: str
    screened_on: dt.date
    warnings: list[str] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)
    trials: list[TrialResult]
    to_collect: list[CollectItem] = Field(
        default_factory=list,
        description="missing data items across trials not ineligible, most criteria first",
    )

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)
