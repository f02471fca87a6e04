"""Choosing trials by recruitment status and site, for the CLI and library users.

    TrialFilter.build(status=["recruiting"], country="France", site="lyon").keeps(spec)
    library.filtered(status="recruiting", country="France")   # TrialLibrary.filtered

A filter that is not given keeps every trial. Statuses are spelt as
ClinicalTrials.gov does, in any case, with spaces, hyphens or underscores
("not yet recruiting" = NOT_YET_RECRUITING). Countries match a location's
country whole, ignoring case; a site text matches a location whose facility or
city contains it, ignoring case. With both, one location must match both. A
trial without a status, or without locations, is dropped by the filter that
needs it: it cannot be shown to match.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from screener.trials import Location, TrialSpec, normalise_status


def _values(given: str | Iterable[str] | None) -> list[str]:
    if given is None:
        return []
    return [given] if isinstance(given, str) else list(given)


def _fold(text: str) -> str:
    """Case- and spacing-insensitive form used for matching."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class TrialFilter:
    """Recruitment statuses, countries and site texts a trial must match (empty: any)."""

    statuses: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    sites: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        status: str | Iterable[str] | None = None,
        country: str | Iterable[str] | None = None,
        site: str | Iterable[str] | None = None,
    ) -> TrialFilter:
        """A filter from user text; an unknown recruitment status raises `ValueError`."""
        return cls(
            statuses=frozenset(normalise_status(text) for text in _values(status)),
            countries=frozenset(_fold(text) for text in _values(country) if text.strip()),
            sites=tuple(dict.fromkeys(_fold(text) for text in _values(site) if text.strip())),
        )

    @property
    def active(self) -> bool:
        """Whether the filter can drop any trial."""
        return bool(self.statuses or self.countries or self.sites)

    def keeps(self, spec: TrialSpec) -> bool:
        """Whether the trial passes every part of the filter."""
        if self.statuses and spec.status not in self.statuses:
            return False
        if self.countries or self.sites:
            return any(self._location_matches(location) for location in spec.locations)
        return True

    def _location_matches(self, location: Location) -> bool:
        if self.countries and (
            location.country is None or _fold(location.country) not in self.countries
        ):
            return False
        if self.sites:
            places = [_fold(part) for part in (location.facility, location.city) if part]
            return any(site in place for site in self.sites for place in places)
        return True

    def __str__(self) -> str:
        parts = [
            f"status {' or '.join(sorted(self.statuses))}" if self.statuses else "",
            f"country {' or '.join(sorted(self.countries))}" if self.countries else "",
            f"site {' or '.join(repr(site) for site in self.sites)}" if self.sites else "",
        ]
        return ", ".join(part for part in parts if part) or "no filter"
