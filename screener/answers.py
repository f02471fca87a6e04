"""Coordinator answers: recording them, and finding them again when a patient is loaded.

An answer settles one criterion of one trial (`patient.AnswerEntry`). Where it
is kept:

- in the patient JSON file itself (its `answers` list), when the file is in the
  screener's own JSON format and has no sidecar. The file is rewritten with a
  2-space indent; everything else in it stays as it was, numbers exactly as
  written (10.20 stays 10.20: the number of decimals matters to unit conversion);
- otherwise in a sidecar `PATIENT.answers.json` next to it (`{"answers": [...]}`),
  e.g. for a FHIR bundle, which is an export the screener should not edit.
  `load_with_answers` merges a sidecar's answers into the patient it loads;
  an answer in the sidecar wins over one in the file for the same criterion.

Recording an answer to a criterion already answered replaces the earlier one
(`Recorded.replaced`). JSON Lines files hold many patients and take no answers:
record them in a patient's own file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from screener.errors import InputError, pydantic_field
from screener.patient import (
    AnswerEntry,
    Patient,
    load_patient,
    loads_strict,
    parse_json,
    patient_from_dict,
    read_text,
)

SIDECAR_SUFFIX = ".answers.json"


@dataclass(frozen=True)
class Recorded:
    """Where an answer went and which earlier answer, if any, it replaced."""

    path: Path
    sidecar: bool
    replaced: AnswerEntry | None


def sidecar_path(path: Path | str) -> Path:
    """`bundle.json` → `bundle.answers.json` (next to it)."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".json") + SIDECAR_SUFFIX)


def is_sidecar(path: Path | str) -> bool:
    return Path(path).name.endswith(SIDECAR_SUFFIX)


# ---------------------------------------------------------------------------
# reading


def answers_for(path: Path | str) -> list[AnswerEntry]:
    """The answers of the sidecar of a patient file; [] when it has none."""
    sidecar = sidecar_path(path)
    if not sidecar.is_file():
        return []
    document = _read_json(sidecar)
    if not isinstance(document, dict) or set(document) - {"answers"}:
        raise InputError(str(sidecar), "", 'expected {"answers": [...]}')
    return _entries(document.get("answers", []), str(sidecar))


def merge_answers(patient: Patient, extra: list[AnswerEntry]) -> Patient:
    """The patient with `extra` answers added; they replace answers to the same criterion."""
    if not extra:
        return patient
    keys = {(a.trial, a.criterion) for a in extra}
    kept = [a for a in patient.answers if (a.trial, a.criterion) not in keys]
    return patient.model_copy(update={"answers": [*kept, *extra]})


def load_with_answers(path: Path | str) -> Patient:
    """`load_patient(path)` with the answers of its sidecar, if it has one, merged in."""
    return merge_answers(load_patient(path), answers_for(path))


# ---------------------------------------------------------------------------
# writing


def record_answer(path: Path | str, entry: AnswerEntry) -> Recorded:
    """Record `entry` for the patient of `path`: in the file itself when it is a
    screener patient JSON without a sidecar, else in its sidecar.

    InputError when the file cannot take it: unreadable, not JSON, a JSON Lines
    file, or a patient file that does not validate (fix it first).
    """
    path = Path(path)
    source = str(path)
    if path.suffix.lower() == ".jsonl":
        raise InputError(
            source,
            "",
            "a JSON Lines file holds many patients; record answers in a patient's own file",
        )
    document = _read_json(path)
    if not isinstance(document, dict):
        raise InputError(source, "", "expected a JSON object (a patient or a FHIR resource)")
    if "resourceType" in document or sidecar_path(path).is_file():
        return _record_in_sidecar(path, entry)
    load_patient(path)  # a native patient file that does not validate: refuse, say why
    answers = document.setdefault("answers", [])
    if not isinstance(answers, list):
        raise InputError(source, "answers", "expected a list")
    replaced = _put(answers, entry, source)
    text = dump_json(document)
    patient_from_dict(_parse(text, source), source)  # what is written must load back
    _write(path, text)
    return Recorded(path, False, replaced)


def _record_in_sidecar(path: Path, entry: AnswerEntry) -> Recorded:
    sidecar = sidecar_path(path)
    existing = answers_for(path)
    answers: list[Any] = [a.model_dump(mode="json", exclude_none=True) for a in existing]
    replaced = _put(answers, entry, str(sidecar))
    _write(sidecar, dump_json({"answers": answers}))
    return Recorded(sidecar, True, replaced)


def _put(answers: list[Any], entry: AnswerEntry, source: str) -> AnswerEntry | None:
    """Replace the answer to the same criterion in place, or append; the one replaced."""
    new = entry.model_dump(mode="json", exclude_none=True)
    for index, old in enumerate(answers):
        if (
            isinstance(old, dict)
            and old.get("trial") == entry.trial
            and old.get("criterion") == entry.criterion
        ):
            answers[index] = new
            return _entries([_plain(old)], f"{source}: answers[{index}]")[0]
    answers.append(new)
    return None


def _entries(items: object, source: str) -> list[AnswerEntry]:
    if not isinstance(items, list):
        raise InputError(source, "answers", "expected a list")
    found: list[AnswerEntry] = []
    for index, item in enumerate(items):
        try:
            found.append(AnswerEntry.model_validate(_plain(item)))
        except ValidationError as error:
            first = error.errors()[0]
            where = pydantic_field(("answers", index, *first["loc"]))
            raise InputError(source, where, first["msg"]) from None
    return found


# ---------------------------------------------------------------------------
# JSON that keeps numbers as written


class _Number(str):
    """A JSON number kept as its text, so rewriting a file does not change it."""

    __slots__ = ()


def loads(text: str) -> Any:
    """Parse patient JSON as `load_patient` does: decimals kept exactly (10.20 has two),
    duplicate keys and NaN/Infinity refused (ValueError, json.JSONDecodeError)."""
    return loads_strict(text)


def _parse(text: str, source: str, keep_numbers: bool = False) -> Any:
    """Parsed JSON (numbers kept as written with `keep_numbers`); InputError naming `source`."""
    if keep_numbers:
        return parse_json(text, source, parse_float=_Number, parse_int=_Number)
    return parse_json(text, source)


def _read_json(path: Path) -> Any:
    """A JSON file with its numbers kept as `_Number` text; InputError naming the file."""
    return _parse(read_text(path), str(path), keep_numbers=True)


def _plain(value: Any) -> Any:
    """Parsed JSON with `_Number`s turned back into Python numbers."""
    if isinstance(value, _Number):
        return Decimal(value) if any(c in value for c in ".eE") else int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def dump_json(value: Any) -> str:
    """JSON with a 2-space indent (as `json.dumps(indent=2, ensure_ascii=False)`),
    numbers read by `_read_json` written back exactly as they were."""
    return _dump(value, 0) + "\n"


def _dump(value: Any, level: int) -> str:
    inner = "  " * (level + 1)
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return (
            "[\n"
            + ",\n".join(inner + _dump(v, level + 1) for v in value)
            + "\n"
            + ("  " * level + "]")
        )
    return json.dumps(value, ensure_ascii=False)


def _write(path: Path, text: str) -> None:
    """Replace `path` by `text` at once (a temporary file renamed over it)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise InputError(str(path), "", f"cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(str(path), "", f"cannot write: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
