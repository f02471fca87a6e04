"""The document of `screen compile --format json`: per trial and criterion its rule,
coverage and review reasons, and the coverage summary the issue's floor is measured on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from screener.library import CompiledTrial
from screener.results import Origin


def compile_document(trials: Sequence[CompiledTrial]) -> dict[str, Any]:
    """The JSON of `screen compile`: per trial and criterion its rule or review reason."""
    document: list[dict[str, Any]] = []
    for trial in trials:
        document.append(
            {
                "id": trial.id,
                "criteria": [
                    {
                        "id": c.id,
                        "kind": c.kind.value,
                        "text": c.text,
                        "coverage": c.coverage,
                        "origin": c.origin.value,
                        "rule": c.canonical,
                        "reason": "; ".join(c.reasons) or None,
                    }
                    for c in trial.criteria
                ],
            }
        )
    return {"trials": document, "summary": coverage_summary(trials)}


def coverage_summary(trials: Sequence[CompiledTrial]) -> dict[str, int]:
    """How the published (origin: text) criteria compiled; rewrites are counted apart."""
    everything = [c for t in trials for c in t.criteria]
    texts = [c for c in everything if c.origin is Origin.TEXT]
    summary = {
        "criteria": len(texts),
        "full": 0,
        "partial_decisive": 0,
        "partial_other": 0,
        "none": 0,
        "rewritten": sum(c.origin is Origin.REWRITE for c in everything),
    }
    for criterion in texts:
        summary[criterion.coverage.replace("-", "_")] += 1
    return summary
