"""The compile cache: reused across loads, keyed by text, robust to a broken file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from screener import cache
from screener import rules as r
from screener.cache import CompileCache, engine_version


def test_cache_reuses_compiled_criteria(tmp_path: Path) -> None:
    path = tmp_path / "c.pickle"
    first = CompileCache(path)
    compiled = first.compile("Aged 18-70 years.", "inclusion")
    assert r.render(compiled.rule) == "age in [18, 70] years"
    first.save()
    assert path.exists()
    second = CompileCache(path)
    again = second.compile("Aged 18-70 years.", "inclusion")
    assert again == compiled and second.added == 0
    second.compile("Aged 20-70 years.", "inclusion")
    assert second.added == 1  # another text is compiled, not looked up


def test_kind_is_part_of_the_key(tmp_path: Path) -> None:
    cache = CompileCache(tmp_path / "c.pickle")
    inclusion = cache.compile("Diabetes, age 18-70 years", "inclusion")
    exclusion = cache.compile("Diabetes, age 18-70 years", "exclusion")
    assert isinstance(inclusion.rule, r.AllOf) and isinstance(exclusion.rule, r.AnyOf)


def test_broken_cache_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.pickle"
    path.write_bytes(b"not a pickle")
    cache = CompileCache(path)
    assert cache.entries == {}
    cache.compile("Pregnancy", "exclusion")
    cache.save()
    assert CompileCache(path).entries


def test_saving_keeps_only_the_most_recently_used_versions(tmp_path: Path) -> None:
    """Each engine version has its own file; an upgrade must not leave them all behind."""
    others = [tmp_path / f"compiled-old{i}.pickle" for i in range(6)]
    for age, old in enumerate(others):
        old.write_bytes(b"")
        os.utime(old, (1_000_000 - age, 1_000_000 - age))  # old0 the most recently used
    unrelated = tmp_path / "pint-1.0"
    unrelated.write_bytes(b"")
    current = CompileCache(tmp_path / "compiled-current.pickle")
    current.compile("Pregnancy", "exclusion")
    current.save()
    kept = sorted(f.name for f in tmp_path.glob("compiled-*.pickle"))
    assert kept == sorted(["compiled-current.pickle",
                           *(f.name for f in others[: cache.KEPT_VERSIONS - 1])])
    assert unrelated.exists()


def test_reading_a_cache_file_marks_it_used(tmp_path: Path) -> None:
    path = tmp_path / "compiled-v.pickle"
    first = CompileCache(path)
    first.compile("Pregnancy", "exclusion")
    first.save()
    os.utime(path, (1_000_000, 1_000_000))
    CompileCache(path)
    assert path.stat().st_mtime > 1_000_000


def test_engine_version_names_the_cache_file() -> None:
    assert engine_version() in CompileCache().path.name


def test_every_vocabulary_file_is_part_of_the_key() -> None:
    # a vocabulary file left out would let a cache compiled with an older one be reused
    shipped = {path.name for path in (Path(cache.__file__).parent / "data").iterdir()}
    assert shipped == set(cache._DATA_FILES)


SAMPLES = [
    "Aged 18-70 years",
    "Total bilirubin (TBil) ≥ 171μmol/L",
    "INR between 1.5 and 2.6",
    "Known HIV infection",
    "MELD score > 30",
]


def _parses(parser: object) -> list[object]:
    """Parse trees of SAMPLES (trees compare equal whether a rule name is a str or a Token)."""
    from screener.compiler.normalise import normalise
    from screener.compiler.tokens import tokenize

    return [parser.parse(tokenize(normalise(text))) for text in SAMPLES]  # type: ignore[attr-defined]


def test_the_grammar_tables_are_cached_and_parse_as_freshly_built_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.compiler import items

    monkeypatch.setenv("SCREENER_CACHE_DIR", str(tmp_path))
    built = items.item_parser.__wrapped__()
    assert (tmp_path / "lark" / "criterion-lalr.pickle").is_file()
    loaded = items.item_parser.__wrapped__()
    assert _parses(loaded) == _parses(built) == _parses(items.strict_item_parser())


def test_without_a_cache_folder_the_grammar_tables_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from screener.compiler import items

    blocked = tmp_path / "a-file"
    blocked.write_text("no folder can be made under a file", encoding="utf-8")
    monkeypatch.setenv("SCREENER_CACHE_DIR", str(blocked))
    assert _parses(items.item_parser.__wrapped__()) == _parses(items.strict_item_parser())
