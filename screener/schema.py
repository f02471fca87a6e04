"""The JSON Schema of the screening report, generated from `results.ScreeningReport`.

`python -m screener.schema [PATH]` writes it (default: the checked-in
`schema/screening-report.schema.json` at the top of the repository). A test
compares the checked-in file with `schema_text()`, so a change to the models
that is not regenerated fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from screener.resources import PACKAGE_DIR
from screener.results import SCHEMA_VERSION, ScreeningReport

SCHEMA_FILE = PACKAGE_DIR.parent / "schema" / "screening-report.schema.json"
"""Where the schema is checked in (the repository's schema/ folder)."""

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def report_schema() -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of what `screen PATIENT --format json` prints."""
    generated = ScreeningReport.model_json_schema(by_alias=True, mode="serialization")
    generated.pop("title", None)
    return {
        "$schema": DIALECT,
        "$id": f"urn:screener:screening-report:v{SCHEMA_VERSION}",
        "title": "Screening report",
        **generated,
    }


def schema_text() -> str:
    """The schema as written to the checked-in file."""
    return json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_FILE) -> Path:
    """Write the schema to `path` (folders created as needed); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> None:
    """`python -m screener.schema [PATH]`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        sys.exit("usage: python -m screener.schema [PATH]")
    written = write_schema(Path(args[0]) if args else SCHEMA_FILE)
    print(f"wrote {written}")


if __name__ == "__main__":
    main()
