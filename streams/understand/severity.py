"""Severity 1–5 from categories and figures, by the taxonomy's ``severity:`` rules.
Pure module.

The level is the highest of: the default, the base level of each category found, and the
level of every rule whose conditions hold. A rule holds when its category (if any) was
found and, if it names a figure kind, some figure of that kind is at least ``min``.
"""

from __future__ import annotations

from streams.events import Category, Figure
from streams.understand.taxonomy import SeverityRule, Taxonomy


def severity(taxonomy: Taxonomy, categories: list[Category], figures: list[Figure]) -> int:
    names = {c.name for c in categories}
    level = taxonomy.severity_default
    for name in names:
        level = max(level, taxonomy.severity_categories.get(name, level))
    for rule in taxonomy.severity_rules:
        if rule.severity > level and rule_holds(rule, names, figures):
            level = rule.severity
    return max(1, min(5, level))


def rule_holds(rule: SeverityRule, names: set[str], figures: list[Figure]) -> bool:
    if rule.category is not None and rule.category not in names:
        return False
    if rule.figure is None:
        return True
    return any(f.kind == rule.figure and f.value >= rule.min for f in figures)
