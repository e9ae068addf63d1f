"""The understanding stage's entry point: classify, extract figures, places and attribution,
rate severity. Pure module; the worker and the CLI call ``Analyzer.analyze`` /
``classify_record``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streams.errors import InputError
from streams.events import Attribution, Category, Figure, Place
from streams.understand.attribution import AttributionFinder, attributed_to
from streams.understand.classify import Classifier
from streams.understand.figures import FigureFinder, dedupe_figures
from streams.understand.gazetteer import gazetteer
from streams.understand.places import find_places
from streams.understand.severity import rule_holds, severity
from streams.understand.taxonomy import Taxonomy, load_taxonomy
from streams.understand.text import Doc

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.default.yaml")


@dataclass(slots=True)
class Understanding:
    categories: list[Category]
    figures: list[Figure]
    places: list[Place]
    attribution: list[Attribution]
    severity: int


class Analyzer:
    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._classifier = Classifier(taxonomy)
        self._figures = FigureFinder()
        self._attribution = AttributionFinder(taxonomy.outlets)
        gazetteer()  # build once now rather than inside the first article

    @classmethod
    def from_file(cls, path: str | Path) -> Analyzer:
        return cls(load_taxonomy(path))

    @classmethod
    def default(cls) -> Analyzer:
        return cls.from_file(DEFAULT_TAXONOMY)

    def analyze(self, title: str, summary: str = "", content: str = "") -> Understanding:
        doc = Doc(title or "", summary or "", content or "")
        categories = self._classifier.classify(doc)
        figures = self._figures.find(doc)
        attribution = self._attribution.find(doc)
        if attribution:
            for f in figures:
                f.attributed_to = attributed_to(doc, attribution, _absolute(doc, f.field, f.start))
        figures = dedupe_figures(figures)
        sentences = {
            doc.sentence(_absolute(doc, e.field, e.start))[0]
            for c in categories
            for e in c.evidence
        }
        places = find_places(doc, sentences)
        level = severity(self.taxonomy, categories, figures)
        return Understanding(categories, figures, places, attribution, level)

    def explain(self, u: Understanding) -> str:
        """Why we decided what we did, one fact per line (for ``classify --explain``)."""
        tax = self.taxonomy
        lines: list[str] = []
        if not u.categories:
            lines.append("category: other (no category reached its threshold)")
        thresholds = {c.name: c.threshold for c in tax.categories}
        for c in u.categories:
            lines.append(f"category {c.name}: score {c.score:.2f} >= {thresholds[c.name]:.2f}")
            for e in c.evidence:
                pat = self._classifier.pattern_for(c.name, e)
                why = f" ({pat.label or pat.key}, weight {pat.weight:g})" if pat else ""
                lines.append(f"  {e.field}[{e.start}:{e.end}] {e.text!r}{why}")
        for f in u.figures:
            extra = [
                x
                for x in (
                    f"range {f.low:g}-{f.high:g}"
                    if f.low is not None and f.high is not None
                    else "",
                    "at least" if f.lower_bound else "",
                    "approximate" if f.approximate else "",
                    f"period {f.period}" if f.period else "",
                    f"according to {f.attributed_to}" if f.attributed_to else "",
                )
                if x
            ]
            lines.append(
                f"figure {f.kind}: {f.value:g} {f.unit or ''} from {f.text!r}"
                + (f" ({', '.join(extra)})" if extra else "")
            )
        for p in u.places:
            lines.append(f"place {p.name} ({p.kind}, {p.country_code}) role={p.role}: {p.text!r}")
        for a in u.attribution:
            lines.append(f"source {a.name} ({a.kind}): {a.text!r}")
        names = {c.name for c in u.categories}
        reasons = [f"default {tax.severity_default}"]
        reasons += [
            f"{n} base {tax.severity_categories[n]}"
            for n in sorted(names)
            if n in tax.severity_categories
        ]
        for i, r in enumerate(tax.severity_rules):
            if rule_holds(r, names, u.figures):
                cond = " and ".join(
                    x
                    for x in (r.category or "", f"{r.figure} >= {r.min:g}" if r.figure else "")
                    if x
                )
                reasons.append(f"severity.rules[{i}] ({cond}) -> {r.severity}")
        lines.append(f"severity {u.severity}: highest of " + "; ".join(reasons))
        return "\n".join(lines)


def _absolute(doc: Doc, field: str, start: int) -> int:
    return doc.bounds[doc.fields.index(field)][0] + start


def classify_record(
    analyzer: Analyzer, rec: dict[str, Any], explain: bool = False
) -> dict[str, Any]:
    """A JSON-lines record (``title`` required; ``summary``/``content`` optional) with the
    understanding added. Raises InputError for a record we cannot read."""
    if not isinstance(rec, dict):
        raise InputError(f"expected a JSON object, got {type(rec).__name__}")
    title = rec.get("title")
    if not isinstance(title, str):
        raise InputError("record has no string field 'title'")
    fields = []
    for name in ("summary", "content"):
        value = rec.get(name) or ""
        if not isinstance(value, str):
            raise InputError(f"field {name!r} must be a string, got {type(value).__name__}")
        fields.append(value)
    u = analyzer.analyze(title, fields[0], fields[1])
    out = dict(rec)
    out["categories"] = [dataclasses.asdict(c) for c in u.categories]
    out["figures"] = [dataclasses.asdict(f) for f in u.figures]
    out["places"] = [dataclasses.asdict(p) for p in u.places]
    out["attribution"] = [dataclasses.asdict(a) for a in u.attribution]
    out["severity"] = u.severity
    if explain:
        out["explanation"] = analyzer.explain(u)
    return out
