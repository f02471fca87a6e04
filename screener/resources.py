"""Where the grammar and the bundled trial library are, installed or not.

A wheel carries them inside the package (`screener/_bundled/`, see
pyproject.toml); an editable install or a checkout finds them at the top of
the repository, next to the package.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


class ResourceMissing(RuntimeError):
    """The installation lacks a folder it needs (a broken install)."""


@cache
def bundled_dir(name: str) -> Path:
    """The folder `grammar` or `rules`, wherever this installation keeps it."""
    for candidate in (PACKAGE_DIR / "_bundled" / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise ResourceMissing(f"the screener installation has no '{name}' folder")


def grammar_path(filename: str) -> Path:
    return bundled_dir("grammar") / filename


def data_path(filename: str) -> Path:
    """A vocabulary file shipped inside the package (screener/data)."""
    return PACKAGE_DIR / "data" / filename


def cache_dir() -> Path:
    """Where screener keeps its caches: `$SCREENER_CACHE_DIR`, else
    `$XDG_CACHE_HOME/screener`, else `~/.cache/screener`."""
    explicit = os.environ.get("SCREENER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "screener"
