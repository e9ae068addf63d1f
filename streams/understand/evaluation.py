"""Measure the analyzer against a labelled JSON-lines set: per-category precision, recall
and F1, macro-F1, and figure recall where items state expected figures. Pure module
(reads one file).

Each line: ``{"id", "title", "summary", "labels": [...], "figures": [{"kind", "value"}]}``
(``summary`` and ``figures`` optional; empty ``labels`` means "other").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from streams.errors import InputError
from streams.understand.analyzer import Analyzer


@dataclass(slots=True)
class CategoryScore:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class EvalReport:
    path: str
    items: int
    categories: list[CategoryScore]
    exact: int  # items whose whole label set was right
    figures_expected: int = 0
    figures_found: int = 0
    errors: list[str] = field(default_factory=list)  # "id: expected [...] got [...]"

    @property
    def macro_f1(self) -> float:
        return sum(c.f1 for c in self.categories) / len(self.categories) if self.categories else 0.0

    @property
    def figure_recall(self) -> float:
        return self.figures_found / self.figures_expected if self.figures_expected else 1.0


def evaluate(analyzer: Analyzer, path: str | Path) -> EvalReport:
    """Run the analyzer over every item of a labelled set and score it."""
    names = [c.name for c in analyzer.taxonomy.categories]
    scores = {n: CategoryScore(n) for n in names}
    report = EvalReport(str(path), 0, list(scores.values()), 0)
    for lineno, item in _items(path):
        labels = item.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise InputError(f"{path}:{lineno}: 'labels' must be a list of strings")
        if not isinstance(item.get("title"), str):
            raise InputError(f"{path}:{lineno}: 'title' must be a string")
        u = analyzer.analyze(
            item["title"], str(item.get("summary") or ""), str(item.get("content") or "")
        )
        got = {c.name for c in u.categories}
        want = set(labels)
        report.items += 1
        report.exact += got == want
        for n in names:
            s = scores[n]
            s.tp += n in got and n in want
            s.fp += n in got and n not in want
            s.fn += n in want and n not in got
        if got != want:
            report.errors.append(
                f"{item.get('id', lineno)}: expected {sorted(want)} got {sorted(got)}: "
                f"{item['title']}"
            )
        for exp in item.get("figures") or []:
            report.figures_expected += 1
            report.figures_found += any(
                f.kind == exp.get("kind") and f.value == exp.get("value") for f in u.figures
            )
    return report


def _items(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{path}:{i}: not JSON: {exc}") from None
        if not isinstance(item, dict):
            raise InputError(f"{path}:{i}: expected a JSON object")
        out.append((i, item))
    return out


def format_report(report: EvalReport, max_errors: int = 20) -> str:
    """The report as a small text table (what ``newsstream eval`` prints)."""
    lines = [f"{report.path}: {report.items} items, {report.exact} exactly right", ""]
    lines.append(
        f"{'category':<20} {'prec':>6} {'recall':>6} {'f1':>6} {'tp':>5} {'fp':>5} {'fn':>5}"
    )
    for c in report.categories:
        lines.append(
            f"{c.name:<20} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} "
            f"{c.tp:>5} {c.fp:>5} {c.fn:>5}"
        )
    lines.append(f"{'macro-F1':<20} {'':>6} {'':>6} {report.macro_f1:>6.3f}")
    if report.figures_expected:
        lines.append(
            f"figures: {report.figures_found}/{report.figures_expected} expected figures found "
            f"(recall {report.figure_recall:.3f})"
        )
    if report.errors:
        lines.append("")
        lines.append(f"misclassified ({len(report.errors)}):")
        lines.extend(f"  {e}" for e in report.errors[:max_errors])
        if len(report.errors) > max_errors:
            lines.append(f"  ... and {len(report.errors) - max_errors} more")
    return "\n".join(lines)
