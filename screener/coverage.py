"""How much of a criterion compiled: full, partial-decisive, partial-other or none.

`partial-decisive` means the compiled part alone decides the criterion for
some patients: with every review leaf left undetermined, some values of the
compiled leaves make the whole rule definite ("pregnant or lactating or
review(...)" is `met` for any pregnant patient).
"""

from __future__ import annotations

from enum import StrEnum

from screener import rules as r

TRUE, FALSE, OPEN = "T", "F", "U"


class Coverage(StrEnum):
    FULL = "full"
    PARTIAL_DECISIVE = "partial-decisive"
    PARTIAL_OTHER = "partial-other"
    NONE = "none"


def reachable(rule: r.Rule) -> frozenset[str]:
    """Outcomes the rule can take when compiled leaves vary and review leaves stay open."""
    if isinstance(rule, r.Review):
        return frozenset({OPEN})
    if isinstance(rule, r.AllOf | r.AnyOf):
        parts = [reachable(item) for item in rule.items]
        decisive, neutral = (FALSE, TRUE) if isinstance(rule, r.AllOf) else (TRUE, FALSE)
        found = set()
        if any(decisive in p for p in parts):
            found.add(decisive)
        if all(neutral in p for p in parts):
            found.add(neutral)
        if all(p - {decisive} for p in parts) and any(OPEN in p for p in parts):
            found.add(OPEN)
        return frozenset(found)
    if isinstance(rule, r.Not):
        swap = {TRUE: FALSE, FALSE: TRUE, OPEN: OPEN}
        return frozenset(swap[x] for x in reachable(rule.item))
    if isinstance(rule, r.Implies):
        return reachable(r.AnyOf((r.Not(rule.condition), rule.then)))
    if isinstance(rule, r.Qualified):
        inner = reachable(rule.item)
        return frozenset(
            ({FALSE} if FALSE in inner else set()) | ({OPEN} if inner & {TRUE, OPEN} else set())
        )
    if isinstance(rule, r.Readings):
        parts = [reachable(item) for item in rule.items]
        agreed = {x for x in (TRUE, FALSE) if all(x in p for p in parts)}
        return frozenset(agreed | {OPEN})
    return frozenset({TRUE, FALSE})


def coverage(rule: r.Rule) -> Coverage:
    found = r.leaves(rule)
    reviews = sum(isinstance(leaf, r.Review) for leaf in found)
    if reviews == 0:
        return Coverage.FULL
    if reviews == len(found):
        return Coverage.NONE
    if reachable(rule) & {TRUE, FALSE}:
        return Coverage.PARTIAL_DECISIVE
    return Coverage.PARTIAL_OTHER
