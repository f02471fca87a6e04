"""A cache of compiled criteria, keyed by criterion text and the engine's grammar version.

Compiling real registry text is the slow step; a library loaded again (the
next CLI run) takes its rules from here. The cache holds trial text and
compiled rules only, never patient data. Location: `$SCREENER_CACHE_DIR`, else
`$XDG_CACHE_HOME/screener`, else `~/.cache/screener`. A cache file that cannot
be read is ignored and rebuilt; one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path

from screener import __version__
from screener.compiler import Compiled, compile_criterion
from screener.resources import cache_dir, data_path, grammar_path

_GRAMMAR_FILES = ("criterion.lark", "rule.lark")
_DATA_FILES = (
    "analytes.csv",
    "concepts.yaml",
    "icd_synonyms.csv",  # read by scripts/build_icd_vocabulary.py into icd_titles.tsv
    "icd_titles.tsv",
    "qualitative_tests.csv",
    "units.txt",
)


@cache
def engine_version() -> str:
    """A digest of everything that decides what a text compiles to."""
    digest = hashlib.sha256(__version__.encode())
    for name in _GRAMMAR_FILES:
        digest.update(grammar_path(name).read_bytes())
    for name in _DATA_FILES:
        digest.update(data_path(name).read_bytes())
    # every compiler module, so that a new one can never be left out of the key
    for module in sorted((Path(__file__).parent / "compiler").glob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()[:16]


KEPT_VERSIONS = 4
"""Cache files kept, most recently used first: one per engine version, so that an
upgrade does not leave every earlier version's file behind, while a few installs of
different versions sharing the folder do not evict each other."""


class CompileCache:
    """Compiled criteria by (text, kind), loaded once and saved when it grew."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_dir() / f"compiled-{engine_version()}.pickle"
        self.entries: dict[tuple[str, str], Compiled] = self._read()
        self.added = 0

    def _read(self) -> dict[tuple[str, str], Compiled]:
        try:
            with self.path.open("rb") as handle:
                data = pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
            return {}
        with contextlib.suppress(OSError):
            os.utime(self.path)  # used now: the pruning keeps the recently used
        return data if isinstance(data, dict) else {}

    def compile(self, text: str, kind: str) -> Compiled:
        key = (text, kind)
        found = self.entries.get(key)
        if found is None:
            found = compile_criterion(text, kind)
            self.entries[key] = found
            self.added += 1
        return found

    def save(self) -> None:
        """Write the cache atomically if anything was added; failures are not errors."""
        if not self.added:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.path.parent, delete=False) as handle:
                pickle.dump(self.entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(handle.name, self.path)
            self.added = 0
        except OSError:
            return
        self._prune()

    def _prune(self) -> None:
        """Delete the other versions' files beyond the KEPT_VERSIONS most recently used."""
        try:
            files = sorted(
                self.path.parent.glob("compiled-*.pickle"),
                key=lambda f: f.stat().st_mtime,
                reverse=True,
            )
        except OSError:
            return
        for old in files[KEPT_VERSIONS:]:
            if old != self.path:
                with contextlib.suppress(OSError):
                    old.unlink()
