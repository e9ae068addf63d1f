"""The taxonomy file (config/taxonomy.yaml): categories as weighted patterns, loaded and
validated once. Any problem raises ConfigError naming the file, the exact key and why.

Patterns are regular expressions matched against the *lowercased* text, so they must be
written in lowercase (checked here). See docs/understanding.md for the format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streams.config_file import read_yaml
from streams.errors import ConfigError

FIGURE_KINDS = (
    "killed", "injured", "serious", "missing", "launched", "intercepted", "distance", "money",
)  # fmt: skip
ATTRIBUTION_KINDS = ("outlet", "official", "agency", "other")


@dataclass(frozen=True, slots=True)
class PatternSpec:
    key: str  # e.g. categories.strike.patterns[3], for explanations and errors
    regex: re.Pattern[str]
    weight: float
    requires: tuple[str, ...] = ()
    window: int = 80
    label: str = ""


@dataclass(frozen=True, slots=True)
class CategorySpec:
    name: str
    description: str
    threshold: float
    patterns: tuple[PatternSpec, ...]
    cues: dict[str, tuple[re.Pattern[str], ...]]
    block: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class SeverityRule:
    severity: int
    category: str | None = None
    figure: str | None = None
    min: float = 0.0


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: str
    categories: tuple[CategorySpec, ...]
    title_boost: float
    severity_default: int
    severity_categories: dict[str, int]
    severity_rules: tuple[SeverityRule, ...]
    outlets: dict[str, str] = field(default_factory=dict)  # name -> outlet | agency


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy YAML file."""
    name = str(path)
    data = read_yaml(path)
    return parse_taxonomy(data, name)


def parse_taxonomy(data: Any, source: str = "<taxonomy>") -> Taxonomy:
    v = _Validator(source)
    top = v.mapping(
        data,
        "",
        {"version", "threshold", "window", "title_boost", "categories"}
        | {"severity", "attribution"},
    )
    if top.get("version", 1) != 1:
        raise ConfigError(source, "version", "only version 1 is supported")
    threshold = v.unit(top.get("threshold", 0.5), "threshold")
    window = v.integer(top.get("window", 80), "window", 1, 2000)
    boost = v.number(top.get("title_boost", 1.25), "title_boost", 1.0, 3.0)
    cats_raw = v.mapping(top.get("categories"), "categories", None)
    if not cats_raw:
        raise ConfigError(source, "categories", "at least one category is required")
    cats = tuple(v.category(str(n), c, threshold, window) for n, c in cats_raw.items())
    names = {c.name for c in cats}
    sev = v.mapping(top.get("severity", {}), "severity", {"default", "categories", "rules"})
    sev_cats = v.mapping(sev.get("categories", {}), "severity.categories", None)
    for n, level in sev_cats.items():
        if n not in names:
            raise ConfigError(source, f"severity.categories.{n}", "unknown category")
        v.integer(level, f"severity.categories.{n}", 1, 5)
    rules = tuple(
        v.rule(r, f"severity.rules[{i}]", names)
        for i, r in enumerate(v.sequence(sev.get("rules", []), "severity.rules"))
    )
    attr = v.mapping(top.get("attribution", {}), "attribution", {"outlets"})
    outlets = v.mapping(attr.get("outlets", {}), "attribution.outlets", None)
    for n, kind in outlets.items():
        if kind not in ("outlet", "agency"):
            raise ConfigError(source, f"attribution.outlets.{n}", "must be outlet or agency")
    return Taxonomy(
        source=source,
        categories=cats,
        title_boost=boost,
        severity_default=v.integer(sev.get("default", 1), "severity.default", 1, 5),
        severity_categories={str(k): int(x) for k, x in sev_cats.items()},
        severity_rules=rules,
        outlets={str(k): str(x) for k, x in outlets.items()},
    )


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(self.source, key, reason)

    def mapping(self, value: Any, key: str, allowed: set[str] | None) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key or "(top level)", f"expected a mapping, got {_kind(value)}")
        for k in value:
            if not isinstance(k, str):
                raise self.fail(_join(key, str(k)), "keys must be strings")
            if allowed is not None and k not in allowed:
                raise self.fail(
                    _join(key, k), f"unknown field (allowed: {', '.join(sorted(allowed))})"
                )
        return value

    def sequence(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"expected a list, got {_kind(value)}")
        return value

    def number(self, value: Any, key: str, lo: float, hi: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(key, f"must be between {lo} and {hi}, got {value}")
        return float(value)

    def unit(self, value: Any, key: str) -> float:
        return self.number(value, key, 0.0, 1.0)

    def integer(self, value: Any, key: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"expected an integer, got {_kind(value)}")
        if not lo <= value <= hi:
            raise self.fail(key, f"must be between {lo} and {hi}, got {value}")
        return value

    def regex(self, value: Any, key: str) -> re.Pattern[str]:
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"expected a regular expression string, got {_kind(value)}")
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise self.fail(key, f"bad regular expression: {exc}") from None
        if re.search(r"(?<!\\)[A-Z]", re.sub(r"\\[A-Za-z]|\[:[a-z]+:\]", "", value)):
            raise self.fail(key, "patterns match lowercased text: write them in lowercase")
        if compiled.search("") is not None:
            raise self.fail(key, "pattern matches the empty string")
        return compiled

    def regex_list(self, value: Any, key: str) -> tuple[re.Pattern[str], ...]:
        if isinstance(value, str):
            return (self.regex(value, key),)
        return tuple(self.regex(p, f"{key}[{i}]") for i, p in enumerate(self.sequence(value, key)))

    def category(self, name: str, value: Any, threshold: float, window: int) -> CategorySpec:
        key = f"categories.{name}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise self.fail(key, "category names are lowercase letters, digits and _")
        c = self.mapping(
            value, key, {"description", "threshold", "cues", "patterns", "block"} | {"window"}
        )
        cues_raw = self.mapping(c.get("cues", {}), f"{key}.cues", None)
        cues = {n: self.regex_list(p, f"{key}.cues.{n}") for n, p in cues_raw.items()}
        win = self.integer(c.get("window", window), f"{key}.window", 1, 2000)
        pats_raw = self.sequence(c.get("patterns"), f"{key}.patterns")
        if not pats_raw:
            raise self.fail(f"{key}.patterns", "at least one pattern is required")
        pats = tuple(
            self.pattern(p, f"{key}.patterns[{i}]", cues, win) for i, p in enumerate(pats_raw)
        )
        block = self.regex_list(c["block"], f"{key}.block") if c.get("block") else ()
        desc = c.get("description", "")
        if not isinstance(desc, str):
            raise self.fail(f"{key}.description", f"expected a string, got {_kind(desc)}")
        return CategorySpec(
            name=name,
            description=desc,
            threshold=self.unit(c.get("threshold", threshold), f"{key}.threshold"),
            patterns=pats,
            cues=cues,
            block=block,
        )

    def pattern(self, value: Any, key: str, cues: dict[str, Any], window: int) -> PatternSpec:
        if isinstance(value, str):
            value = {"match": value}
        p = self.mapping(value, key, {"match", "weight", "requires", "window", "label"})
        if "match" not in p:
            raise self.fail(f"{key}.match", "required")
        requires = p.get("requires", [])
        if isinstance(requires, str):
            requires = [requires]
        for i, r in enumerate(self.sequence(requires, f"{key}.requires")):
            if r not in cues:
                raise self.fail(f"{key}.requires[{i}]", f"no cue group named {r!r}")
        label = p.get("label", "")
        if not isinstance(label, str):
            raise self.fail(f"{key}.label", f"expected a string, got {_kind(label)}")
        return PatternSpec(
            key=key,
            regex=self.regex(p["match"], f"{key}.match"),
            weight=self.unit(p.get("weight", 0.6), f"{key}.weight"),
            requires=tuple(requires),
            window=self.integer(p.get("window", window), f"{key}.window", 1, 2000),
            label=label,
        )

    def rule(self, value: Any, key: str, names: set[str]) -> SeverityRule:
        r = self.mapping(value, key, {"severity", "category", "figure", "min"})
        if "severity" not in r:
            raise self.fail(f"{key}.severity", "required")
        cat = r.get("category")
        if cat is not None and cat not in names:
            raise self.fail(f"{key}.category", f"unknown category {cat!r}")
        fig = r.get("figure")
        if fig is not None and fig not in FIGURE_KINDS:
            raise self.fail(f"{key}.figure", f"unknown figure kind {fig!r}")
        return SeverityRule(
            severity=self.integer(r["severity"], f"{key}.severity", 1, 5),
            category=cat,
            figure=fig,
            min=self.number(r.get("min", 0), f"{key}.min", 0, 1e15),
        )


def _join(key: str, sub: str) -> str:
    return f"{key}.{sub}" if key else sub


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
