"""Test-wide settings: compiled-criteria cache in a temporary folder, never the user's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("screener-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SCREENER_CACHE_DIR", str(path))
        yield path
