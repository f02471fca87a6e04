"""ClinicalTrials.gov API v2 study JSON as trial input.

A registry document is one study (`{"protocolSection": {...}}`, what
`/api/v2/studies/NCT...` returns), a page of them (`{"studies": [...]}`, what
`/api/v2/studies` returns) or a plain list of studies (the website's "Download
JSON"). Each study becomes a `TrialSpec`:

| registry field (under protocolSection) | TrialSpec |
|---|---|
| identificationModule.nctId | id |
| identificationModule.briefTitle (else officialTitle) | title |
| statusModule.overallStatus | status |
| conditionsModule.conditions | conditions |
| contactsLocationsModule.locations[].facility, city, country | locations |
| eligibilityModule.sex (ALL, FEMALE, MALE) | sex |
| eligibilityModule.minimumAge, maximumAge ("18 Years", "N/A") | minimum_age, maximum_age |
| eligibilityModule.healthyVolunteers | healthy_volunteers |
| eligibilityModule.eligibilityCriteria | inclusion, exclusion, unclassified |

The criteria text is split into items by `screener.segment.segment`; each
item keeps its text verbatim, with the heading that introduced it (`context`)
and a heading that restricts whom it applies to (`condition`). Items whose
section the text does not show are `unclassified`: they are always review.

A malformed study is rejected on its own, as an `InputError` whose source
names the file and the study ("page.json#studies[3]") and whose message
names the study's nctId where it has one; the other studies still load.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screener.errors import InputError
from screener.segment import segment
from screener.trials import (
    AgeLimit,
    LoadedTrial,
    Problem,
    TrialSpec,
    describe,
    load_trial_sources,
    validation_problems,
)

PROTOCOL = "protocolSection"
IDENTIFICATION = f"{PROTOCOL}.identificationModule"
STATUS = f"{PROTOCOL}.statusModule"
CONDITIONS = f"{PROTOCOL}.conditionsModule"
LOCATIONS = f"{PROTOCOL}.contactsLocationsModule"
ELIGIBILITY = f"{PROTOCOL}.eligibilityModule"

NCT_ID_FIELD = f"{IDENTIFICATION}.nctId"
"""Where a study's id comes from (named in errors about it)."""

UNTITLED = "(no title in the registry record)"
"""The title of a study whose record has neither briefTitle nor officialTitle."""

_SEX = {"ALL": "all", "FEMALE": "female", "MALE": "male"}
_UNSUPPORTED_AGE = re.compile(r"\s*\d+\s*(hours?|minutes?|seconds?)\s*", re.IGNORECASE)

# Where each TrialSpec field comes from, to name registry fields in errors.
_REGISTRY_FIELD = {
    "id": NCT_ID_FIELD,
    "title": f"{IDENTIFICATION}.briefTitle",
    "status": f"{STATUS}.overallStatus",
    "sex": f"{ELIGIBILITY}.sex",
    "minimum_age": f"{ELIGIBILITY}.minimumAge",
    "maximum_age": f"{ELIGIBILITY}.maximumAge",
    "healthy_volunteers": f"{ELIGIBILITY}.healthyVolunteers",
    "conditions": f"{CONDITIONS}.conditions",
    "locations": f"{LOCATIONS}.locations",
    "inclusion": f"{ELIGIBILITY}.eligibilityCriteria",
    "exclusion": f"{ELIGIBILITY}.eligibilityCriteria",
    "unclassified": f"{ELIGIBILITY}.eligibilityCriteria",
}


# ---------------------------------------------------------------------------
# documents


def parse_json(text: str, source: str) -> Any:
    """The JSON document of `text`; invalid JSON → one `InputError` for the file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise InputError(source, "", message) from None
    except RecursionError:
        raise InputError(source, "", "invalid JSON: nested too deeply") from None


def is_registry_document(data: object) -> bool:
    """Whether `data` has the shape of a study, a page of studies or a list of studies."""
    if isinstance(data, Mapping):
        return PROTOCOL in data or "studies" in data
    return (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(item, Mapping) and PROTOCOL in item for item in data)
    )


def load_registry_text(text: str, source: str) -> tuple[list[LoadedTrial], list[InputError]]:
    """The studies of one registry JSON text; `source` names the file in errors."""
    try:
        data = parse_json(text, source)
    except InputError as error:
        return [], [error]
    return load_registry_data(data, source)


def load_registry_data(data: object, source: str) -> tuple[list[LoadedTrial], list[InputError]]:
    """The studies of a parsed registry document: the good ones and one error per bad one."""
    if isinstance(data, Mapping) and PROTOCOL in data:
        return _load_studies([(source, data)])
    if isinstance(data, Mapping) and "studies" in data:
        studies = data["studies"]
        if not isinstance(studies, list):
            message = f"expected a list of studies, got {describe(studies)}"
            return [], [InputError(source, "studies", message)]
        if not studies:
            return [], [InputError(source, "studies", "the page holds no studies")]
        return _load_studies(
            (f"{source}#studies[{index}]", study) for index, study in enumerate(studies)
        )
    if isinstance(data, list) and data:
        return _load_studies((f"{source}#[{index}]", study) for index, study in enumerate(data))
    if isinstance(data, Mapping):
        keys = ", ".join(repr(str(key)) for key in list(data)[:5]) or "none"
        found = f"a mapping with the keys {keys}"
    else:
        found = "an empty list" if data == [] else describe(data)
    message = (
        'expected ClinicalTrials.gov API v2 JSON: a study ({"protocolSection": ...}) '
        f'or a page of studies ({{"studies": [...]}}); found {found}'
    )
    return [], [InputError(source, "", message)]


def load_registry_paths(
    paths: Iterable[Path],
) -> tuple[list[LoadedTrial], list[InputError]]:
    """Registry JSON files and folders of them (their *.json files), for `screen import`."""
    return load_trial_sources(paths, registry_only=True)


def _load_studies(
    studies: Iterable[tuple[str, object]],
) -> tuple[list[LoadedTrial], list[InputError]]:
    loaded: list[LoadedTrial] = []
    errors: list[InputError] = []
    for source, study in studies:
        try:
            loaded.append(LoadedTrial(study_to_spec(study, source), source, NCT_ID_FIELD))
        except InputError as error:
            errors.append(error)
    return loaded, errors


# ---------------------------------------------------------------------------
# one study


def study_to_spec(study: object, source: str) -> TrialSpec:
    """One API v2 study as a `TrialSpec`; every problem of the study in one `InputError`."""
    reader = _StudyReader(study)
    data = reader.trial_data(source)
    nct_id = data.get("id") if isinstance(data.get("id"), str) else None
    if not reader.problems:
        try:
            return TrialSpec.model_validate(data)
        except ValidationError as exc:
            reader.problems += [
                (_registry_field(field), message) for field, message in validation_problems(exc)
            ]
    field, first = reader.problems[0]
    rest = [f"{f}: {m}" if f else m for f, m in reader.problems[1:]]
    message = "; ".join([first, *rest])
    if nct_id:
        message += f" (study {nct_id})"
    raise InputError(source, field, message)


def _registry_field(field: str) -> str:
    """A TrialSpec field path ("locations[2].city") as the registry field it came from."""
    head, _, rest = field.partition(".")
    name, bracket, index = head.partition("[")
    registry = _REGISTRY_FIELD.get(name)
    if registry is None:
        return field
    if name in ("inclusion", "exclusion", "unclassified"):
        return registry
    return registry + (bracket + index if bracket else "") + ("." + rest if rest else "")


class _StudyReader:
    """Reads the fields of one study, collecting (field, message) problems."""

    def __init__(self, study: object) -> None:
        self.study = study
        self.problems: list[Problem] = []

    def trial_data(self, source: str) -> dict[str, Any]:
        """The TrialSpec fields of the study (validated by TrialSpec afterwards)."""
        if not isinstance(self.study, Mapping):
            self.problems.append(("", f"expected a study (a mapping), got {describe(self.study)}"))
            return {}
        protocol = self.study.get(PROTOCOL)
        if not isinstance(protocol, Mapping):
            found = "missing" if protocol is None else f"got {describe(protocol)}"
            self.problems.append((PROTOCOL, f"expected the study's protocol section, {found}"))
            return {}
        identification = self._module(protocol, "identificationModule")
        status = self._module(protocol, "statusModule")
        conditions = self._module(protocol, "conditionsModule")
        contacts = self._module(protocol, "contactsLocationsModule")
        eligibility = self._module(protocol, "eligibilityModule")

        data: dict[str, Any] = {}
        notes: list[str] = []
        nct_id = self._text(identification, NCT_ID_FIELD)
        if nct_id is None:
            if not any(field == NCT_ID_FIELD for field, _ in self.problems):
                self.problems.append((NCT_ID_FIELD, "required, but missing"))
        else:
            data["id"] = nct_id.strip()
        title = self._text(identification, f"{IDENTIFICATION}.briefTitle") or self._text(
            identification, f"{IDENTIFICATION}.officialTitle"
        )
        if title is None or not title.strip():
            title = UNTITLED
            notes.append("The registry record has no title.")
        data["title"] = title
        data["status"] = self._text(status, f"{STATUS}.overallStatus")
        data["conditions"] = self._conditions(conditions)
        data["locations"] = self._locations(contacts)
        data["sex"] = self._sex(eligibility)
        for key, name in (("minimumAge", "minimum_age"), ("maximumAge", "maximum_age")):
            data[name] = self._age(eligibility, f"{ELIGIBILITY}.{key}")
        self._age_order(data.get("minimum_age"), data.get("maximum_age"))
        data["healthy_volunteers"] = self._yes_no(eligibility, f"{ELIGIBILITY}.healthyVolunteers")
        criteria = self._text(eligibility, f"{ELIGIBILITY}.eligibilityCriteria")
        if criteria is None or not criteria.strip():
            notes.append("The registry record has no eligibility criteria text.")
        else:
            data.update(_criteria(criteria))
            if not any(data[kind] for kind in ("inclusion", "exclusion", "unclassified")):
                notes.append("No criterion was found in the eligibility criteria text.")
        data["source"] = f"ClinicalTrials.gov API v2 record: {source}"
        if notes:
            data["note"] = " ".join(notes)
        return data

    # --- field readers ---------------------------------------------------

    def _module(self, protocol: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        module = protocol.get(name)
        if module is None:
            return {}
        if not isinstance(module, Mapping):
            message = f"expected a mapping, got {describe(module)}"
            self.problems.append((f"{PROTOCOL}.{name}", message))
            return {}
        return module

    def _value(self, module: Mapping[str, Any], path: str) -> Any:
        return module.get(path.rsplit(".", 1)[1])

    def _text(self, module: Mapping[str, Any], path: str) -> str | None:
        value = self._value(module, path)
        if value is None or isinstance(value, str):
            return value
        self.problems.append((path, f"expected text, got {describe(value)}"))
        return None

    def _list(self, module: Mapping[str, Any], path: str) -> list[Any]:
        """The list at `path`; a problem and an empty list when it is something else."""
        value = self._value(module, path)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append((path, f"expected a list, got {describe(value)}"))
            return []
        return value

    def _conditions(self, module: Mapping[str, Any]) -> list[str]:
        path = f"{CONDITIONS}.conditions"
        value = self._list(module, path)
        found: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.problems.append((f"{path}[{index}]", f"expected text, got {describe(item)}"))
            elif item.strip():
                found.append(item)
        return found

    def _locations(self, module: Mapping[str, Any]) -> list[dict[str, str]]:
        path = f"{LOCATIONS}.locations"
        value = self._list(module, path)
        found: list[dict[str, str]] = []
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if not isinstance(item, Mapping):
                self.problems.append((where, f"expected a mapping, got {describe(item)}"))
                continue
            location = {
                key: text.strip()
                for key in ("facility", "city", "country")
                if (text := self._text(item, f"{where}.{key}")) is not None and text.strip()
            }
            if location:  # a site with none of the three is nothing to filter on
                found.append(location)
        return found

    def _sex(self, module: Mapping[str, Any]) -> str:
        path = f"{ELIGIBILITY}.sex"
        value = self._text(module, path)
        if value is None:
            return "all"
        sex = _SEX.get(value.strip().upper())
        if sex is None:
            self.problems.append((path, f"unknown sex {value!r}: expected ALL, FEMALE or MALE"))
            return "all"
        return sex

    def _age(self, module: Mapping[str, Any], path: str) -> AgeLimit | None:
        value = self._text(module, path)
        if value is None or not value.strip():
            return None
        unsupported = _UNSUPPORTED_AGE.fullmatch(value)
        if unsupported is not None:
            unit = unsupported.group(1).lower().rstrip("s") + "s"
            self.problems.append(
                (
                    path,
                    (
                        f"{value!r}: an age limit in {unit} is not supported (ages are whole "
                        "years, months, weeks or days), so this study cannot be screened as "
                        "published"
                    ),
                )
            )
            return None
        try:
            return AgeLimit.parse(value)
        except ValueError as exc:
            self.problems.append((path, str(exc)))
            return None

    def _age_order(self, low: AgeLimit | None, high: AgeLimit | None) -> None:
        if low is not None and high is not None and low.approximate_days > high.approximate_days:
            self.problems.append(
                (f"{ELIGIBILITY}.maximumAge", f"maximum age {high} is below the minimum age {low}")
            )

    def _yes_no(self, module: Mapping[str, Any], path: str) -> bool | None:
        value = self._value(module, path)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false"):
            return value.strip().lower() in ("yes", "true")
        self.problems.append((path, f"expected true or false, got {describe(value)}"))
        return None


def _criteria(text: str) -> dict[str, list[dict[str, str | None]]]:
    """The eligibility text as inclusion, exclusion and unclassified items, verbatim."""
    found: dict[str, list[dict[str, str | None]]] = {
        "inclusion": [],
        "exclusion": [],
        "unclassified": [],
    }
    for item in segment(text):
        if not item.text.strip():
            continue
        found[item.kind].append(
            {
                "text": item.text,
                "context": item.context if item.context and item.context.strip() else None,
                "condition": item.condition if item.condition and item.condition.strip() else None,
                "condition_scope": "uncertain" if item.condition_uncertain else None,
            }
        )
    return found
