"""Draw the stratified gold sample of real eligibility criteria (tests/data/gold_criteria.json).

The sample is drawn from the development corpus (/work/shared/corpus, see its README):
`ctgov_dev.json` is its own text style "dev"; each record of `ctgov_dev_large.json` has the
style given by `source_format` in `ctgov_dev_large_sources.csv` (api_v2_json,
classic_v1_json, classic_xml, trialgpt_split_fields).

Each record's eligibilityCriteria is split into items by a simple deterministic splitter
(`split_items`), each item is given one criterion type by keywords (`classify`), and a fixed
number of items is drawn at random with a FIXED seed from every (style, type) cell, topped up
round-robin where a cell is short, so that re-running reproduces the same sample exactly.

    python scripts/draw_gold_sample.py                      # print the sample as JSON
    python scripts/draw_gold_sample.py --out tests/data/gold_criteria.json
        # write the sample, keeping `expected`, `acceptable` and `note` of items already there
    python scripts/draw_gold_sample.py --check tests/data/gold_criteria.json
        # exit 1 unless the file holds exactly the sample this script draws

The gold `expected` values are written by hand from the text; this script never compiles.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

CORPUS = Path("/work/shared/corpus")
SEED = 20251121
PER_CELL = 5
TARGET = 170
MAX_CHARS = 400  # longer items are left out of the pool (they are review almost always)

STYLES = ("dev", "api_v2_json", "classic_v1_json", "classic_xml", "trialgpt_split_fields")
TYPES = ("lab", "age", "diagnosis", "window", "negation", "and_or", "other")
ITEM_FIELDS = ("id", "nct", "style", "type", "kind", "text")

# ---------------------------------------------------------------- splitting

_HEADING_WORDS = re.compile(r"\b(inclusion|exclusion)\b", re.IGNORECASE)
_INLINE_HEADING = re.compile(r"((?:inclusion|exclusion) criteria\s*:)", re.IGNORECASE)
_BULLET = re.compile(
    r"^(?:[*\-•·‐–]|\\-|\(?\d{1,2}(?:[.)]|\\\.)(?!\d)|\(?[a-z][.)]|\(?(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)[.)])\s+",
    re.IGNORECASE,
)


def _heading_kind(text: str, current: str) -> str:
    """The kind a heading line sets: inclusion/exclusion by its words, else unchanged."""
    words = {w.lower() for w in _HEADING_WORDS.findall(text)}
    if words == {"exclusion"}:
        return "exclusion"
    if words == {"inclusion"}:
        return "inclusion"
    return current


def _is_heading(text: str) -> bool:
    return text.endswith(":")


def _inline_numbered(segment: str) -> list[str]:
    """Split "1. a 2. b 3. c" at the sequential numbers 1., 2., 3. (one-line records)."""
    parts: list[str] = []
    expected = 1
    start = 0
    position = 0
    while True:
        match = re.compile(rf"(?:^|\s){expected}[.)]\s").search(segment, position)
        if match is None:
            break
        if expected > 1 or match.start() > 0:
            parts.append(segment[start : match.start()])
        start = match.end()
        position = match.end()
        expected += 1
    parts.append(segment[start:])
    return parts if expected > 2 else [segment]


def _split_flat(text: str) -> list[tuple[str, str]]:
    """Records with no line break at all: headings and " * " / " 1. " markers inline."""
    items: list[tuple[str, str]] = []
    kind = "unclassified"
    for chunk in _INLINE_HEADING.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if _INLINE_HEADING.fullmatch(chunk):
            kind = _heading_kind(chunk, kind)
            continue
        pieces = [p for p in re.split(r"(?:^|\s)\*\s", chunk)]
        if len(pieces) == 1:
            pieces = _inline_numbered(chunk)
        for piece in pieces:
            piece = " ".join(piece.split())
            if piece and not _is_heading(piece):
                items.append((kind, piece))
    return items


def split_items(criteria: str) -> list[tuple[str, str]]:
    """(kind, text) of every item of one record's eligibilityCriteria, in order.

    Rules: a blank line ends an item; a line starting with a bullet or number marker starts a
    new item (marker removed); an indented line directly under a non-blank line continues it
    (hard wrap, joined with one space); an unindented line starts a new item (classic plain
    lines). A line opening with "Inclusion/Exclusion Criteria:" and more text is that heading
    followed by an item. Lines ending with ":" are headings, not items; a heading naming
    inclusion or exclusion sets the kind of the items under it.
    """
    text = criteria.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" not in text:
        return _split_flat(text)
    items: list[tuple[str, str]] = []
    kind = "unclassified"
    current: list[str] = []

    def close() -> None:
        nonlocal kind
        if current:
            item = " ".join(" ".join(current).split())
            current.clear()
            if not item:
                return
            if _is_heading(item):
                kind = _heading_kind(item, kind)
            else:
                items.append((kind, item))

    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            close()
            continue
        heading = _INLINE_HEADING.match(stripped)
        if heading and stripped[heading.end() :].strip():
            # "Exclusion Criteria: 1. Age less than ..." on one line: heading, then its item
            close()
            kind = _heading_kind(heading.group(1), kind)
            stripped = stripped[heading.end() :].strip()
            line = stripped
        marker = _BULLET.match(stripped)
        if marker:
            close()
            rest = stripped[marker.end() :]
            inner = _BULLET.match(rest)  # "* 2\\. text", "* i. text": both markers go
            current.append(rest[inner.end() :] if inner else rest)
        elif current and line[:1].isspace() and not _is_heading(" ".join(current)):
            current.append(stripped)
        else:
            close()
            current.append(stripped)
    close()
    return items


# ---------------------------------------------------------------- criterion type

_LAB = re.compile(
    r"bilirubin|creatinine|clearance|\bALT\b|\bAST\b|SGOT|SGPT|transaminase|"
    r"(?-i:\beGFR\b|\bGFR\b)|aminotransferase|platelet|neutrophil|\bANC\b|granulocyte|leukocyte|"
    r"lymphocyte|\bWBC\b|"
    r"h(?:a)?emoglobin|\bHg?b\b|\bINR\b|albumin|HbA1c|\bA1c\b|\bBMI\b|body mass index|\bULN\b|"
    r"upper limit of normal|\bMELD\b|Child[- ]Pugh|\bECOG\b|Karnofsky|performance status|"
    r"\bLVEF\b|ejection fraction|glucose|potassium|sodium|calcium|magnesium|\bPTA\b|prothrombin|"
    r"lactate|mg/dl|[µμu]mol/l|g/dl|mm\^?3|10\^?9|/[µμu]l|mL/min",
    re.IGNORECASE,
)
_AGE = re.compile(r"\bage[sd]?\b|years? old|years? of age|\byrs? old", re.IGNORECASE)
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|twelve|\d+"
_WINDOW = re.compile(
    rf"\b(?:within|prior|past|previous|preceding|last|before|since|after)\b.*?"
    rf"\b(?:{_NUMBER_WORDS})[\s-]*(?:hours?|days?|weeks?|months?|years?)\b|"
    rf"\b(?:{_NUMBER_WORDS})[\s-]*(?:hours?|days?|weeks?|months?|years?)\b.*?"
    rf"\b(?:prior|before|preceding|ago)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\bno\b|\bnot\b|\bwithout\b|\bexcept\b|\bunless\b|\bnever\b|\bnone\b|\bexcluding\b|"
    r"\bother than\b|\bnon-",
    re.IGNORECASE,
)
_AND_OR = re.compile(r" and | or |and/or", re.IGNORECASE)
_DIAGNOSIS = re.compile(
    r"diagnos|confirmed|history of|disease|disorder|syndrome|cancer|carcinoma|tumou?r|"
    r"leuka?emi|lymphoma|myeloma|malignan|infection|failure|diabet|cirrhosis|hepatitis|\bHIV\b|"
    r"metasta|NSCLC|sepsis|asthma|hypertension|insufficiency|stroke|infarction|depress|"
    r"schizophreni|epilep|dementia|arthritis|obes",
    re.IGNORECASE,
)


def classify(text: str) -> str:
    """One type per item, by keywords, first match in this order of precedence:
    lab (analytes, scores, lab units), age, window (a time quantity with
    within/prior/past/...), negation, and_or, diagnosis, other."""
    if _LAB.search(text):
        return "lab"
    if _AGE.search(text) and re.search(r"\d", text):
        return "age"
    if _WINDOW.search(text):
        return "window"
    if _NEGATION.search(text):
        return "negation"
    if _AND_OR.search(text):
        return "and_or"
    if _DIAGNOSIS.search(text):
        return "diagnosis"
    return "other"


# ---------------------------------------------------------------- corpus and draw


def _records(corpus: Path) -> list[tuple[str, str, str]]:
    """(style, nct, criteria) of every record, in file order."""
    records: list[tuple[str, str, str]] = []
    dev = json.loads((corpus / "ctgov_dev.json").read_text(encoding="utf-8"))
    for study in dev["studies"]:
        section = study["protocolSection"]
        records.append(
            (
                "dev",
                section["identificationModule"]["nctId"],
                section["eligibilityModule"].get("eligibilityCriteria", ""),
            )
        )
    with (corpus / "ctgov_dev_large_sources.csv").open(encoding="utf-8", newline="") as handle:
        formats = {row["nctId"]: row["source_format"] for row in csv.DictReader(handle)}
    large = json.loads((corpus / "ctgov_dev_large.json").read_text(encoding="utf-8"))
    for study in large["studies"]:
        section = study["protocolSection"]
        nct = section["identificationModule"]["nctId"]
        records.append(
            (formats[nct], nct, section["eligibilityModule"].get("eligibilityCriteria", ""))
        )
    return records


def pool(corpus: Path = CORPUS) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every usable item, by (style, type); an item text seen before is left out."""
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    for style, nct, criteria in _records(corpus):
        for position, (kind, text) in enumerate(split_items(criteria)):
            if len(text) > MAX_CHARS or len(text) < 4 or text in seen:
                continue
            seen.add(text)
            type_ = classify(text)
            cells[(style, type_)].append(
                {
                    "nct": nct,
                    "position": position,
                    "style": style,
                    "type": type_,
                    "kind": kind,
                    "text": text,
                }
            )
    return cells


def draw(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    """The sample: PER_CELL items per cell where available, topped up round-robin to TARGET."""
    cells = pool(corpus)
    rng = random.Random(SEED)
    shuffled: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for key in [(s, t) for s in STYLES for t in TYPES]:
        items = list(cells.get(key, []))
        rng.shuffle(items)
        shuffled[key] = items
    taken = {key: min(PER_CELL, len(items)) for key, items in shuffled.items()}
    total = sum(taken.values())
    while total < TARGET:
        grew = False
        for key, items in shuffled.items():
            if total >= TARGET:
                break
            if taken[key] < len(items):
                taken[key] += 1
                total += 1
                grew = True
        if not grew:
            break
    chosen = [item for key, items in shuffled.items() for item in items[: taken[key]]]
    chosen.sort(
        key=lambda i: (STYLES.index(i["style"]), TYPES.index(i["type"]), i["nct"], i["position"])
    )
    return [
        {"id": f"g{n:03d}", **{k: item[k] for k in ITEM_FIELDS[1:]}}
        for n, item in enumerate(chosen, 1)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, help="write here, keeping the hand-written fields")
    parser.add_argument("--check", type=Path, help="verify this gold file holds the same sample")
    args = parser.parse_args(argv)
    sample = draw(args.corpus)
    if args.check:
        gold = json.loads(args.check.read_text(encoding="utf-8"))
        found = [{k: item[k] for k in ITEM_FIELDS} for item in gold["items"]]
        if found != sample:
            print(f"{args.check}: sample differs from the draw", file=sys.stderr)
            return 1
        print(f"{args.check}: {len(sample)} items, same sample")
        return 0
    if args.out:
        old: dict[tuple[str, str], dict[str, Any]] = {}
        if args.out.exists():
            previous = json.loads(args.out.read_text(encoding="utf-8"))
            old = {(i["nct"], i["text"]): i for i in previous.get("items", [])}
        items: list[dict[str, Any]] = []
        for item in sample:
            kept: dict[str, Any] = old.get((item["nct"], item["text"]), {})
            extra: dict[str, Any] = {
                k: kept[k] for k in ("expected", "acceptable", "note") if k in kept
            }
            items.append({**item, **extra})
        document: dict[str, Any] = {
            "about": "Gold meanings of real eligibility criteria, written by reading the text "
            "(never from the compiler). Drawn by scripts/draw_gold_sample.py "
            f'(seed {SEED}); `expected` is the canonical rule or "review".',
            "seed": SEED,
            "items": items,
        }
        args.out.write_text(
            json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {len(items)} items to {args.out}")
        return 0
    json.dump(sample, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
