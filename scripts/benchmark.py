"""Benchmark: cold and warm compile of a registry file, and screenings per second.

    python scripts/benchmark.py [--corpus ../shared/corpus/ctgov_dev_large.json] [--patient P]

- first run: a fresh process loads and compiles every study with an empty cache folder
  (whole process, start-up included), reported as criteria per second;
- cold: the same with an empty cache of compiled criteria, the tables any earlier run
  leaves behind (pint's parsed unit definitions, the grammar's LALR tables) in place;
- warm: the same command again, the compiled criteria now cached;
- screening: one patient against every compiled trial, in one process on one core,
  reported as trial screenings per second.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "ctgov_dev_large.json"
DEFAULT_PATIENT = ROOT / "examples" / "liver_failure_patient.json"

LOAD = """
import sys
from screener import TrialLibrary
library = TrialLibrary.load(sys.argv[1])
print(sum(1 for t in library.trials for c in t.criteria if c.origin.value == "text"))
"""


def timed_load(corpus: Path, cache: Path) -> tuple[float, int]:
    """Seconds for a whole process to load and compile the corpus, and its criteria count."""
    env = {**os.environ, "SCREENER_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LOAD, str(corpus)], env=env, check=True,
                          capture_output=True, text=True)
    return time.perf_counter() - start, int(done.stdout.strip().splitlines()[-1])


def screenings_per_second(corpus: Path, patient_path: Path, seconds: float = 5.0) -> float:
    from screener import TrialLibrary, load_patient

    library = TrialLibrary.load(corpus).freeze()
    patient = load_patient(patient_path)
    library.screen(patient)  # warm caches (threshold conversion, parsers)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        library.screen(patient)
        count += len(library.trials)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--patient", type=Path, default=DEFAULT_PATIENT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = Path(cache_dir)
        first, criteria = timed_load(args.corpus, cache)
        for compiled in cache.glob("compiled-*.pickle"):
            compiled.unlink()
        cold, _ = timed_load(args.corpus, cache)
        warm, _ = timed_load(args.corpus, cache)
        os.environ["SCREENER_CACHE_DIR"] = str(cache)
        rate = screenings_per_second(args.corpus, args.patient)
    print(f"corpus: {args.corpus.name}, {criteria} text criteria")
    print(f"first run (empty cache folder, whole process): {first:.2f} s, "
          f"{criteria / first:,.0f} criteria/s")
    print(f"cold compile (no compiled criteria cached, whole process): {cold:.2f} s, "
          f"{criteria / cold:,.0f} criteria/s")
    print(f"warm re-run (cache filled, whole process): {warm:.2f} s, {criteria / warm:,.0f} "
          f"criteria/s ({cold / warm:.1f}x faster)")
    print(f"screening one patient: {rate:,.0f} trial screenings/s (one process, one core)")


if __name__ == "__main__":
    main()
