"""Trial files: one trial per YAML file, its published criteria kept verbatim.

The format is described in docs/trial-format.md. `load_trial_file` turns one
file into a `TrialSpec` or raises one `InputError` listing every problem of
that file; `load_trial_paths` loads files and folders, collecting the errors
of bad files instead of stopping; `dump_trial` writes a spec back as YAML
that loads to the same spec.

`load_trial_paths` also reads ClinicalTrials.gov API v2 JSON (one study, a
page of studies, or folders of them), recognised by content; the mapping from
registry fields to a `TrialSpec` is `screener.ctgov`'s job.

Scalars in a trial file are read as text: YAML's implicit booleans, numbers
and dates (`NO`, `1.50`, `2020-01-01`) stay the strings that were written,
so verbatim criterion text survives. Only an empty value (or `null`, `~`)
means "absent".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from screener.errors import InputError, pydantic_field
from screener.resources import bundled_dir

CriterionKind = Literal["inclusion", "exclusion", "unclassified"]
Sex = Literal["all", "female", "male"]
AgeUnit = Literal["years", "months", "weeks", "days"]

TRIAL_FILE_SUFFIXES = (".yaml", ".yml")
REGISTRY_FILE_SUFFIXES = (".json",)

# Recruitment statuses as ClinicalTrials.gov spells them (API v2 enum).
RECRUITMENT_STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)

_DEFAULT_ID_PREFIX: dict[str, str] = {
    "inclusion": "inc",
    "exclusion": "exc",
    "unclassified": "unc",
}
_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_AGE_UNITS: dict[str, AgeUnit] = {
    "year": "years",
    "years": "years",
    "month": "months",
    "months": "months",
    "week": "weeks",
    "weeks": "weeks",
    "day": "days",
    "days": "days",
}
_DAYS_PER_UNIT: dict[AgeUnit, float] = {
    "years": 365.2425,
    "months": 365.2425 / 12,
    "weeks": 7.0,
    "days": 1.0,
}
_AGE_TEXT = re.compile(r"\s*(\d+)\s*([A-Za-z]+)\s*")
_NO_LIMIT = frozenset({"n/a", "na", "none"})
_BOOLEANS = {"true": True, "yes": True, "false": False, "no": False}


def normalise_status(text: str) -> str:
    """A recruitment status as ClinicalTrials.gov spells it: "Not yet recruiting",
    "not_yet_recruiting" → NOT_YET_RECRUITING; unknown → `ValueError`."""
    status = re.sub(r"[\s,_-]+", "_", text.strip()).upper()
    if status not in RECRUITMENT_STATUSES:
        raise ValueError(
            f"unknown recruitment status {text!r}: use one of "
            + ", ".join(sorted(RECRUITMENT_STATUSES))
        )
    return status


Problem = tuple[str, str]
"""(field, message): one problem of a trial file."""


# ---------------------------------------------------------------------------
# model


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("is empty")
    return text


Text = Annotated[StrictStr, AfterValidator(_not_blank)]
Identifier = Annotated[StrictStr, Field(pattern=_ID_PATTERN)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AgeLimit(_Frozen):
    """An age bound as a trial registry states it: a whole number and a unit."""

    value: int = Field(ge=0, strict=True)
    unit: AgeUnit

    @classmethod
    def parse(cls, text: str) -> AgeLimit | None:
        """ "18 years", "6 Months", "1 Year" → AgeLimit; "N/A" → None (no limit)."""
        if text.strip().lower() in _NO_LIMIT:
            return None
        match = _AGE_TEXT.fullmatch(text)
        unit = _AGE_UNITS.get(match.group(2).lower()) if match else None
        if match is None or unit is None:
            raise ValueError(
                f"{text!r} is not an age: write a whole number and a unit such as "
                "'18 years' (years, months, weeks or days), or 'N/A' for no limit"
            )
        return cls(value=int(match.group(1)), unit=unit)

    @property
    def approximate_days(self) -> float:
        """For ordering limits only; completed ages are timecalc's job."""
        return self.value * _DAYS_PER_UNIT[self.unit]

    def __str__(self) -> str:
        return f"{self.value} {self.unit[:-1] if self.value == 1 else self.unit}"


class CriterionSpec(_Frozen):
    """One published criterion, verbatim, with an optional coordinator rewrite."""

    id: Identifier
    kind: CriterionKind
    text: Text
    rewrite: Text | None = None
    context: Text | None = Field(default=None, description="heading that introduced the item")
    condition: Text | None = Field(
        default=None,
        description="heading that restricts whom the item applies to ('For women of "
        "childbearing potential:')",
    )
    condition_scope: Literal["uncertain"] | None = Field(
        default=None,
        description="'uncertain' when the restricting heading interrupts a numbered list and "
        "may end before this item: the item is then read with and without it",
    )


class Location(_Frozen):
    """One trial site as the registry lists it; any part may be unknown."""

    facility: Text | None = None
    city: Text | None = None
    country: Text | None = None

    @model_validator(mode="after")
    def _something(self) -> Location:
        if self.facility is None and self.city is None and self.country is None:
            raise ValueError("a location needs a facility, a city or a country")
        return self

    def __str__(self) -> str:
        return ", ".join(part for part in (self.facility, self.city, self.country) if part)


class TrialSpec(_Frozen):
    """One trial file: identification, structured limits, criteria."""

    id: Identifier
    title: Text
    status: StrictStr | None = Field(default=None, description="recruitment status")
    sex: Sex = "all"
    minimum_age: AgeLimit | None = None
    maximum_age: AgeLimit | None = None
    healthy_volunteers: bool | None = Field(
        default=None, description="whether the trial accepts healthy volunteers"
    )
    conditions: list[Text] = Field(default_factory=list)
    locations: list[Location] = Field(default_factory=list)
    source: Text | None = None
    note: Text | None = None
    inclusion: list[CriterionSpec] = Field(default_factory=list)
    exclusion: list[CriterionSpec] = Field(default_factory=list)
    unclassified: list[CriterionSpec] = Field(
        default_factory=list,
        description="items whose section (inclusion or exclusion) the text does not show",
    )

    @property
    def criteria(self) -> list[CriterionSpec]:
        """Inclusion criteria, then exclusion criteria, then unclassified items."""
        return [*self.inclusion, *self.exclusion, *self.unclassified]

    @model_validator(mode="before")
    @classmethod
    def _fill_in(cls, data: Any) -> Any:
        return _normalise(data) if isinstance(data, Mapping) else data

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return normalise_status(value) if isinstance(value, str) else value

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"expected all, female or male, got {_describe(value)}")
        sex = value.strip().lower()
        if sex not in ("all", "female", "male"):
            raise ValueError(f"unknown sex {value!r}: use all, female or male")
        return sex

    @field_validator("minimum_age", "maximum_age", mode="before")
    @classmethod
    def _age(cls, value: Any) -> Any:
        return _coerce_age(value)

    @field_validator("healthy_volunteers", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        if value is None or isinstance(value, bool):
            return value
        raise ValueError(f"expected yes or no, got {_describe(value)}")

    @field_validator(
        "conditions", "locations", "inclusion", "exclusion", "unclassified", mode="before"
    )
    @classmethod
    def _empty_list(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> TrialSpec:
        entries = [
            (kind, index, criterion.id, criterion.kind)
            for kind, criteria in (
                ("inclusion", self.inclusion),
                ("exclusion", self.exclusion),
                ("unclassified", self.unclassified),
            )
            for index, criterion in enumerate(criteria)
        ]
        problems = _cross_checks(entries, self.minimum_age, self.maximum_age)
        if problems:
            raise PydanticCustomError(
                "trial_consistency", "{message}", {"message": _join(problems)}
            )
        return self


def _normalise(data: Mapping[Any, Any]) -> dict[Any, Any]:
    """Give every criterion its kind and, where absent, its positional id.

    A criterion written as a bare string is shorthand for `{text: ...}`.
    Anything malformed is left for validation to report.
    """
    result = dict(data)
    for kind, prefix in _DEFAULT_ID_PREFIX.items():
        items = result.get(kind)
        if not isinstance(items, list):
            continue
        filled: list[Any] = []
        for position, item in enumerate(items, start=1):
            if isinstance(item, str):
                item = {"text": item}
            if isinstance(item, Mapping):
                item = dict(item)
                if item.get("id") is None:
                    item["id"] = f"{prefix}-{position}"
                item.setdefault("kind", kind)
            filled.append(item)
        result[kind] = filled
    return result


def _coerce_age(value: Any) -> Any:
    if isinstance(value, str):
        return AgeLimit.parse(value)
    if value is None or isinstance(value, AgeLimit | Mapping):
        return value
    raise ValueError(f"expected an age such as '18 years', got {_describe(value)}")


def _age_or_none(value: Any) -> AgeLimit | None:
    try:
        age = _coerce_age(value)
        return age if isinstance(age, AgeLimit) else None
    except ValueError:
        return None


def _cross_checks(
    entries: Iterable[tuple[str, int, object, object]], minimum: object, maximum: object
) -> list[Problem]:
    """Problems no single field shows: duplicate ids, misfiled kinds, age order.

    `entries` are (list name, index, id, kind) of every criterion.
    """
    problems: list[Problem] = []
    first_use: dict[str, str] = {}
    for list_name, index, criterion_id, kind in entries:
        where = f"{list_name}[{index}]"
        if kind in _DEFAULT_ID_PREFIX and kind != list_name:
            problems.append((f"{where}.kind", f"a criterion of kind {kind} under {list_name}"))
        if not isinstance(criterion_id, str):
            continue
        if criterion_id in first_use:
            earlier = first_use[criterion_id]
            problems.append(
                (f"{where}.id", f"duplicate criterion id {criterion_id!r} (also {earlier})")
            )
        else:
            first_use[criterion_id] = where
    low, high = _age_or_none(minimum), _age_or_none(maximum)
    if low is not None and high is not None and low.approximate_days > high.approximate_days:
        problems.append(("maximum_age", f"maximum age {high} is below the minimum age {low}"))
    return problems


def _raw_cross_checks(data: Mapping[Any, Any]) -> list[Problem]:
    """`_cross_checks` on unvalidated (normalised) file data."""
    entries = [
        (kind, index, item.get("id"), item.get("kind"))
        for kind in _DEFAULT_ID_PREFIX
        if isinstance(data.get(kind), list)
        for index, item in enumerate(data[kind])
        if isinstance(item, Mapping)
    ]
    return _cross_checks(entries, data.get("minimum_age"), data.get("maximum_age"))


# ---------------------------------------------------------------------------
# reading


class _TrialLoader(yaml.SafeLoader):
    """SafeLoader that reads every plain scalar except null as text and
    refuses duplicate keys (which YAML would otherwise silently overwrite)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping",
                        node.start_mark,
                        f"found the key {key_node.value!r} twice",
                        key_node.start_mark,
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_TrialLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml_text(text: str, source: str) -> Any:
    """YAML text of a project file (plain scalars read as text); an `InputError` naming
    `source`, line and column when it is not YAML."""
    try:
        return yaml.load(text, Loader=_TrialLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise InputError(source, "", _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise InputError(source, "", f"invalid YAML: {exc}") from None


def load_trial_text(text: str, source: str) -> TrialSpec:
    """Parse the YAML text of one trial file; `source` names it in errors."""
    data = parse_yaml_text(text, source)
    if not isinstance(data, Mapping):
        found = "the file is empty" if data is None else f"found {_describe(data)}"
        message = f"expected a mapping of trial fields (id, title, ...); {found}"
        raise InputError(source, "", message)
    data = _normalise(data)
    try:
        return TrialSpec.model_validate(data)
    except ValidationError as exc:
        problems = [
            _problem(error) for error in exc.errors() if error["type"] != "trial_consistency"
        ]
        problems += _raw_cross_checks(data)
        if not problems:  # cannot happen unless the two checks disagree
            problems = [("", str(exc))]
        field, first = problems[0]
        rest = [f"{f}: {m}" if f else m for f, m in problems[1:]]
        raise InputError(source, field, "; ".join([first, *rest])) from None


def read_text_file(path: Path) -> str:
    """The UTF-8 text of a file (a byte-order mark dropped); unreadable → `InputError`."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(source, "", f"cannot read the file: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(source, "", f"not UTF-8 text (byte {exc.start})") from None


def load_trial_file(path: Path) -> TrialSpec:
    """Load one trial file (YAML); every problem of the file in one `InputError`."""
    return load_trial_text(read_text_file(path), str(path))


class LoadedTrial(NamedTuple):
    """A trial and where it came from."""

    spec: TrialSpec
    source: str  # the file, or "file.json#studies[3]" for one study of a page
    id_field: str  # the field that gave the id: "id", or the registry's nctId


def load_trial_paths(paths: Iterable[Path]) -> tuple[list[TrialSpec], list[InputError]]:
    """Load trial files, registry JSON and folders of them (sorted by name).

    A bad file, or a bad study of a registry page, is reported in the error
    list and never stops the others; a trial whose id an earlier one already
    used is rejected.
    """
    loaded, errors = load_trial_sources(paths)
    return [trial.spec for trial in loaded], errors


def load_trial_sources(
    paths: Iterable[Path], registry_only: bool = False
) -> tuple[list[LoadedTrial], list[InputError]]:
    """`load_trial_paths` keeping each trial's source; with `registry_only`,
    only ClinicalTrials.gov JSON is accepted (folders: their *.json files)."""
    trials: list[LoadedTrial] = []
    errors: list[InputError] = []
    owner: dict[str, str] = {}
    seen: set[Path] = set()
    suffixes = (
        REGISTRY_FILE_SUFFIXES if registry_only else (TRIAL_FILE_SUFFIXES + REGISTRY_FILE_SUFFIXES)
    )
    for path in paths:
        files, problem = _trial_files(path, suffixes)
        if problem is not None:
            errors.append(problem)
        for file in files:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                found, problems = _load_any_file(file, registry_only)
            except InputError as exc:
                errors.append(exc)
                continue
            errors += problems
            for trial in found:
                if trial.spec.id in owner:
                    errors.append(
                        InputError(
                            trial.source,
                            trial.id_field,
                            f"trial id {trial.spec.id!r} is already used by {owner[trial.spec.id]}",
                        )
                    )
                    continue
                owner[trial.spec.id] = trial.source
                trials.append(trial)
    return trials, errors


def _load_any_file(path: Path, registry_only: bool) -> tuple[list[LoadedTrial], list[InputError]]:
    """One file: registry JSON (by content or a .json name) or a YAML trial file."""
    text = read_text_file(path)
    source = str(path)
    named_json = path.suffix.lower() in REGISTRY_FILE_SUFFIXES
    if registry_only or named_json or text.lstrip().startswith(("{", "[")):
        from screener import ctgov  # imported here: ctgov builds on this module

        try:
            data = ctgov.parse_json(text, source)
        except InputError:
            if registry_only or named_json:
                raise
        else:
            if registry_only or named_json or ctgov.is_registry_document(data):
                return ctgov.load_registry_data(data, source)
        # not JSON after all: YAML flow syntax such as `{id: T, title: t}`
    return [LoadedTrial(load_trial_text(text, source), source, "id")], []


def _trial_files(path: Path, suffixes: tuple[str, ...]) -> tuple[list[Path], InputError | None]:
    if path.is_dir():
        files = sorted(
            child
            for child in path.iterdir()
            if child.suffix.lower() in suffixes
            and not child.name.startswith(".")
            and child.is_file()
        )
        if not files:
            wanted = ", ".join(f"*{suffix}" for suffix in suffixes)
            return [], InputError(str(path), "", f"the folder holds no trial files ({wanted})")
        return files, None
    if path.exists():
        return [path], None
    return [], InputError(str(path), "", "no such file or folder")


def default_library_dir() -> Path:
    """The bundled trial library (the repository's rules/ folder)."""
    return bundled_dir("rules")


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    what = "; ".join(part for part in (exc.context, exc.problem) if part)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"invalid YAML{where}: {what}"


_FILE_FIELDS = list(TrialSpec.model_fields)
_ITEM_FIELDS = ["text", "id", "rewrite", "context", "condition", "condition_scope"]
_AGE_FIELDS = ["value", "unit"]
_LOCATION_FIELDS = list(Location.model_fields)


def _problem(error: ErrorDetails) -> Problem:
    """A pydantic error as (field, message) in a trial author's words."""
    loc = error["loc"]
    field = pydantic_field(loc)
    found = _describe(error.get("input"))
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "missing":
        message = "required, but missing"
    elif kind == "extra_forbidden":
        allowed = {
            "inclusion": _ITEM_FIELDS,
            "exclusion": _ITEM_FIELDS,
            "unclassified": _ITEM_FIELDS,
            "locations": _LOCATION_FIELDS,
        }.get(str(loc[0]), _AGE_FIELDS if len(loc) > 1 else _FILE_FIELDS)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        message = f"unknown field ({hint}allowed: {', '.join(allowed)})"
    elif kind in ("string_type", "string_sub_type"):
        message = f"expected text, got {found}"
    elif kind == "list_type":
        message = f"expected a list, got {found}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        what = "a mapping"
        if len(loc) == 2:
            what = (
                "a location (a mapping with facility:, city:, country:)"
                if loc[0] == "locations"
                else "a criterion (a mapping with text:)"
            )
        message = f"expected {what}, got {found}"
    elif kind == "string_pattern_mismatch":
        message = (
            f"{error.get('input')!r} is not a valid id: use letters, digits, '.', "
            "'_' and '-', starting with a letter or digit"
        )
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    else:
        message = error["msg"]
    return field, message


def validation_problems(exc: ValidationError) -> list[Problem]:
    """A `TrialSpec` validation error as (field, message) pairs in a trial author's words."""
    return [_problem(error) for error in exc.errors()]


def describe(value: object) -> str:
    """A value as an error message names it: 'a list', "'text'", 'int value 3'."""
    return _describe(value)


def _describe(value: object) -> str:
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return f"{type(value).__name__} value {value!r}"


def _join(problems: list[Problem]) -> str:
    return "; ".join(f"{field}: {message}" if field else message for field, message in problems)


# ---------------------------------------------------------------------------
# writing
#
# The writer is hand-made rather than yaml.dump: PyYAML's emitter folds the
# Unicode line breaks U+0085, U+2028 and U+2029 inside quoted scalars, so it
# does not round-trip every text. Each scalar is written in the most readable
# style that reads back to exactly the same text (checked by reading it).


def dump_trial(spec: TrialSpec) -> str:
    """The spec as trial-file YAML; `load_trial_text(dump_trial(s), ...) == s`.

    Optional fields that are absent and positional criterion ids are left out.
    """
    lines = [_entry("id", spec.id), _entry("title", spec.title)]
    if spec.status is not None:
        lines.append(_entry("status", spec.status))
    lines.append(_entry("sex", spec.sex))
    for name, age in (("minimum_age", spec.minimum_age), ("maximum_age", spec.maximum_age)):
        if age is not None:
            lines.append(_entry(name, str(age)))
    if spec.healthy_volunteers is not None:
        lines.append(f"healthy_volunteers: {'yes' if spec.healthy_volunteers else 'no'}")
    if spec.conditions:
        lines.append("conditions:")
        lines += ["  - " + _scalar(condition, _LIST_ITEM) for condition in spec.conditions]
    if spec.locations:
        lines.append("locations:")
        for location in spec.locations:
            lines += _mapping_item(
                [
                    ("facility", location.facility),
                    ("city", location.city),
                    ("country", location.country),
                ]
            )
    for name, value in (("source", spec.source), ("note", spec.note)):
        if value is not None:
            lines.append(_entry(name, value))
    for kind, criteria in (
        ("inclusion", spec.inclusion),
        ("exclusion", spec.exclusion),
        ("unclassified", spec.unclassified),
    ):
        if criteria:
            if not lines[-1].endswith("\n"):  # else a kept block scalar (`|+`) ends it
                lines.append("")
            lines.append(f"{kind}:")
            for position, criterion in enumerate(criteria, start=1):
                lines += _criterion_lines(criterion, position)
    return "\n".join(lines) + "\n"


def _criterion_lines(criterion: CriterionSpec, position: int) -> list[str]:
    fields: list[tuple[str, str | None]] = [("text", criterion.text)]
    if criterion.id != f"{_DEFAULT_ID_PREFIX[criterion.kind]}-{position}":
        fields.append(("id", criterion.id))
    fields += [
        ("context", criterion.context),
        ("condition", criterion.condition),
        ("condition_scope", criterion.condition_scope),
        ("rewrite", criterion.rewrite),
    ]
    return _mapping_item(fields)


def _mapping_item(fields: list[tuple[str, str | None]]) -> list[str]:
    """A list item that is a mapping, its absent (None) fields left out."""
    present = [(name, value) for name, value in fields if value is not None]
    return [
        ("    " if index else "  - ") + _entry(name, value, _CRITERION_FIELD)
        for index, (name, value) in enumerate(present)
    ]


class _Place(NamedTuple):
    """Where a scalar is written: a test document around it and its indentation."""

    before: str  # the document up to the scalar
    expect: Callable[[str], object]  # what that document reads as
    indent: int  # the column of a block scalar's lines


_TOP_FIELD = _Place("k: ", lambda text: {"k": text}, 2)
_LIST_ITEM = _Place("k:\n  - ", lambda text: {"k": [text]}, 4)
_CRITERION_FIELD = _Place("k:\n  - k: ", lambda text: {"k": [{"k": text}]}, 6)


def _entry(key: str, value: str, place: _Place = _TOP_FIELD) -> str:
    return f"{key}: {_scalar(value, place)}"


def _scalar(text: str, place: _Place) -> str:
    """`text` as a YAML scalar that reads back exactly at `place`."""
    for candidate in _styles(text, place.indent):
        if _reads_back(place.before + candidate + "\n", place.expect(text)):
            return candidate
    raise AssertionError(f"no YAML form found for {text!r}")  # the escaped form always works


def _styles(text: str, indent: int) -> list[str]:
    """Candidate spellings, most readable first; the last always works."""
    candidates: list[str] = []
    if "\n" not in text and all(_is_plain_char(ch) for ch in text):
        candidates.append(text)
        if "'" in text and '"' not in text and "\\" not in text:
            candidates.append(f'"{text}"')
        candidates.append("'" + text.replace("'", "''") + "'")
    elif "\n" in text and all(ch == "\n" or _is_plain_char(ch) for ch in text):
        candidates.append(_literal_block(text, indent))
    candidates.append(_double_quoted(text))
    return candidates


def _is_plain_char(ch: str) -> bool:
    """Printable, not a line break, and not a tab: safe to write as it is."""
    code = ord(ch)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or code >= 0x10000
    ) and code not in (0x2028, 0x2029, 0xFEFF)


def _literal_block(text: str, indent: int) -> str:
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomping = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    indicator = "2" if body.lstrip("\n").startswith(" ") else ""
    lines = [(" " * indent + line) if line else "" for line in body.split("\n")]
    lines += [""] * (trailing - 1)
    return f"|{indicator}{chomping}\n" + "\n".join(lines)


def _double_quoted(text: str) -> str:
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t"}
    out: list[str] = []
    for ch in text:
        if ch in escapes:
            out.append(escapes[ch])
        elif _is_plain_char(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _reads_back(document: str, expected: object) -> bool:
    try:
        return bool(yaml.load(document, Loader=_TrialLoader) == expected)  # a SafeLoader
    except yaml.YAMLError:
        return False
