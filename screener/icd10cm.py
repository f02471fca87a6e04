"""The ICD-10-CM tabular tree (chapters, blocks, categories, subcodes) of simple-icd-10-cm.

The package (pinned in pyproject.toml) carries the official CMS tabular list. Importing it
parses that list from XML, about 2.4 s, so it is imported on first use: only screening a
coded condition or checking the vocabulary's codes pays for it, never `screen compile`.

Codes here are in the package's spelling: upper case, dotted after the third character
("K72.01"), blocks as "C15-C26". `spelling` turns a normalised undotted code into it.
"""

from __future__ import annotations

import gc
import warnings
from functools import cache, lru_cache
from types import ModuleType

__all__ = ["PACKAGE", "has_children", "is_code", "is_known", "lineage", "nearest", "spelling"]

PACKAGE = "simple-icd-10-cm 1.5.0"


@cache
def _tree() -> ModuleType:
    """The package, imported on first use (it builds the whole tree at import).

    Its tree (some 600,000 objects) lives as long as the process, so it is moved out of
    the cyclic garbage collector's sight, as `TrialLibrary.freeze` does for a library:
    otherwise every full collection walks it (a tenth of screening time). `gc.freeze()`
    affects every object alive at that moment.
    """
    with warnings.catch_warnings(action="ignore", category=DeprecationWarning):
        import simple_icd_10_cm  # reads its data with importlib.resources' legacy API
    gc.freeze()
    return simple_icd_10_cm


def spelling(undotted: str) -> str:
    """The package's spelling of an upper-case undotted code: "K7201" → "K72.01"."""
    return undotted if len(undotted) <= 3 else f"{undotted[:3]}.{undotted[3:]}"


def is_known(item: str) -> bool:
    """Whether the package has this code or block (exact spelling)."""
    return bool(_tree().is_valid_item(item))


def is_code(item: str) -> bool:
    """Whether a known item is a category or subcode, not a block or chapter."""
    return bool(_tree().is_category_or_subcategory(item))


def has_children(item: str) -> bool:
    """Whether a known item has anything below it."""
    return not _tree().is_leaf(item)


@lru_cache(maxsize=1 << 17)
def lineage(item: str) -> frozenset[str]:
    """The item and everything above it (categories, blocks, chapter); empty when unknown."""
    if not is_known(item):
        return frozenset()
    return frozenset((item, *(str(a) for a in _tree().get_ancestors(item))))


@lru_cache(maxsize=1 << 17)
def nearest(code: str) -> str | None:
    """The code itself when known, else its longest known prefix of 3 or more characters.

    ICD-10-CM extends a code to the right to make the codes below it, so an unknown code
    (a retired one, one from a later release, an extension the package lacks) lies under
    its longest known prefix, if it is an ICD-10-CM code at all.
    """
    for end in range(len(code), 2, -1):
        prefix = code[:end].rstrip(".")
        if len(prefix) >= 3 and is_known(prefix):
            return prefix
    return None
