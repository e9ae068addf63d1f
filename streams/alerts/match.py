"""Does a story match a rule? Pure.

A rule looks at the story as we know it so far (``StoryView``): the figures are the
highest each kind has reached across the story's articles, so "killed >= 1" still holds
when a later article leaves the number out.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from streams.alerts.rules import AlertConfig, Rule
from streams.events import Category, Place, Source


@dataclass(frozen=True, slots=True)
class StoryView:
    categories: Sequence[Category]
    severity: int
    figures: Mapping[str, float]  # kind -> highest value seen
    places: Sequence[Place]
    text: str  # title, summary and content of the current article
    source_count: int
    sources: Sequence[Source] = field(default_factory=tuple)


@functools.lru_cache(maxsize=1024)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # Whole words only: "ban" must not fire on "Bangkok".
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def has_keyword(text: str, keywords: tuple[str, ...]) -> bool:
    return bool(keywords) and _keyword_pattern(keywords).search(text) is not None


def matches(rule: Rule, story: StoryView) -> bool:
    """True when every condition the rule gives holds for the story."""
    return not failed_conditions(rule, story)


def failed_conditions(rule: Rule, story: StoryView) -> list[str]:
    """The conditions of ``rule`` the story fails (empty: it matches). Says why, for logs."""
    failed: list[str] = []
    if rule.categories or rule.min_score > 0:
        wanted = set(rule.categories)
        if not any(
            (not wanted or c.name in wanted) and c.score >= rule.min_score for c in story.categories
        ):
            failed.append("categories")
    if story.severity < rule.min_severity:
        failed.append("min_severity")
    for kind, minimum in rule.figures:
        if story.figures.get(kind, float("-inf")) < minimum:
            failed.append(f"figures.{kind}")
    if rule.countries and not any(
        (p.country_code or "").upper() in rule.countries for p in story.places
    ):
        failed.append("countries")
    if rule.places and not any(p.name.casefold() in rule.places for p in story.places):
        failed.append("places")
    if rule.keywords and not has_keyword(story.text, rule.keywords):
        failed.append("keywords")
    if has_keyword(story.text, rule.exclude_keywords):
        failed.append("exclude_keywords")
    if story.source_count < rule.min_sources:
        failed.append("min_sources")
    if rule.outlets and not any(s.outlet.casefold() in rule.outlets for s in story.sources):
        failed.append("outlets")
    return failed


def matching_rules(config: AlertConfig, story: StoryView) -> list[Rule]:
    return [r for r in config.rules if matches(r, story)]
