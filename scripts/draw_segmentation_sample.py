"""Draw the records hand-segmented in tests/data/segmentation_gold.json.

The sample is drawn from `ctgov_dev_large.json` of the development corpus (`../shared/corpus`
beside the repository, see its README), stratified by the `source_format` that
`ctgov_dev_large_sources.csv` gives each record: 5 records from each of api_v2_json,
classic_v1_json, classic_xml and trialgpt_split_fields, 20 in all.

Within a format, records of at most MAX_CHARS characters (so that a person can segment them
by hand with care) are split into "structured" ones (NCI-style headings, nested or inline
numbered items, sub-headings ending with ":", items before the first heading, no heading at
all) and the rest; STRUCTURED records are drawn from the first group and the remainder from
the second, with a FIXED seed, so that re-running reproduces the same sample exactly. The
detection is a handful of regular expressions: it never calls the segmenter.

    python scripts/draw_segmentation_sample.py                 # print the sample as JSON
    python scripts/draw_segmentation_sample.py --out /tmp/sample.json
    python scripts/draw_segmentation_sample.py --check tests/data/segmentation_gold.json
        # exit 1 unless the gold file holds exactly the drawn records, in order

The expected segments in the gold file are written by hand from the text.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SEED = 20251121
FORMATS = ("api_v2_json", "classic_v1_json", "classic_xml", "trialgpt_split_fields")
PER_FORMAT = 5
STRUCTURED = 2
MAX_CHARS = 3000

_SECTION = re.compile(
    r"^\W*(?:key\s+)?(?:inclusion|exclusion)(?:\s+criteria)?\s*:?\s*$", re.IGNORECASE
)
_NCI = re.compile(r"DISEASE CHARACTERISTICS|PATIENT CHARACTERISTICS|PRIOR CONCURRENT THERAPY")
_MARKER = re.compile(r"^(\s*)(?:[*\-•]|\d{1,2}[.)]|[a-z][.)]|\(\w{1,3}\))\s")
_INLINE_NUMBERS = re.compile(r"(?:^|\s)1[.)]\s.*\s2[.)]\s")


def structured(text: str) -> bool:
    """True when the record shows structure beyond one flat list per section."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    nonblank = [line for line in lines if line.strip()]
    if _NCI.search(text):
        return True
    headings = [i for i, line in enumerate(nonblank) if _SECTION.match(line.strip())]
    if not headings or headings[0] > 0:
        return True  # no section heading, or something before the first one
    marker_indents = [len(m.group(1)) for line in nonblank if (m := _MARKER.match(line))]
    if marker_indents and max(marker_indents) - min(marker_indents) >= 2:
        return True  # nested markers
    sub_headings = [
        line for line in nonblank if line.strip().endswith(":") and not _SECTION.match(line.strip())
    ]
    return bool(sub_headings) or any(_INLINE_NUMBERS.search(line) for line in nonblank)


def records(corpus: Path = CORPUS) -> list[tuple[str, str, str]]:
    """(source_format, nct, criteria) of every record of ctgov_dev_large.json, in file order."""
    with (corpus / "ctgov_dev_large_sources.csv").open(encoding="utf-8", newline="") as handle:
        formats = {row["nctId"]: row["source_format"] for row in csv.DictReader(handle)}
    large = json.loads((corpus / "ctgov_dev_large.json").read_text(encoding="utf-8"))
    found = []
    for study in large["studies"]:
        section = study["protocolSection"]
        nct = section["identificationModule"]["nctId"]
        criteria = section["eligibilityModule"].get("eligibilityCriteria", "")
        found.append((formats[nct], nct, criteria))
    return found


def draw(corpus: Path = CORPUS) -> list[dict[str, Any]]:
    """The sample: {"nct", "style", "text"} for 5 records per format, sorted by format, id."""
    rng = random.Random(SEED)
    everything = records(corpus)
    sample: list[dict[str, Any]] = []
    for fmt in FORMATS:
        pool = sorted(
            (nct, text)
            for style, nct, text in everything
            if style == fmt and len(text) <= MAX_CHARS
        )
        rich = [item for item in pool if structured(item[1])]
        plain = [item for item in pool if not structured(item[1])]
        take_rich = min(STRUCTURED, len(rich))
        chosen = rng.sample(rich, take_rich) + rng.sample(plain, PER_FORMAT - take_rich)
        sample.extend({"nct": nct, "style": fmt, "text": text} for nct, text in sorted(chosen))
    return sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, help="write the sample (ids, styles, texts) here")
    parser.add_argument("--check", type=Path, help="verify this gold file holds the same records")
    args = parser.parse_args(argv)
    sample = draw(args.corpus)
    if args.check:
        gold = json.loads(args.check.read_text(encoding="utf-8"))
        found = [(entry["nct"], entry["style"]) for entry in gold]
        if found != [(entry["nct"], entry["style"]) for entry in sample]:
            print(f"{args.check}: records differ from the draw", file=sys.stderr)
            return 1
        print(f"{args.check}: {len(sample)} records, same sample")
        return 0
    document = json.dumps(sample, ensure_ascii=False, indent=1) + "\n"
    if args.out:
        args.out.write_text(document, encoding="utf-8")
        print(f"wrote {len(sample)} records to {args.out}")
    else:
        sys.stdout.write(document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
