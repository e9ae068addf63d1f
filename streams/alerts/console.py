"""Alerts as readable multi-line blocks for a terminal (the demo's first impression). Pure."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from streams.alerts.render import change_summary, figures_summary, place_line, top_category
from streams.events import Alert

WIDTH = 78
SEVERITY_WORD = {1: "low", 2: "minor", 3: "notable", 4: "serious", 5: "critical"}
SOURCES_SHOWN = 6

_ANSI = {
    "bold": "\033[1m",
    "dim": "\033[2m",
    "red": "\033[31m",
    "yellow": "\033[33m",
    "end": "\033[0m",
}


def _style(text: str, style: str, color: bool) -> str:
    return f"{_ANSI[style]}{text}{_ANSI['end']}" if color else text


def render_console(alert: Alert, color: bool = False) -> str:
    category, score = top_category(alert)
    sev = max(1, min(alert.severity, 5))
    kind = "UPDATE" if alert.action == "update" else "ALERT"
    label = f" {kind} · {category.upper()} · severity {alert.severity} ({SEVERITY_WORD[sev]}) "
    rule_color = "red" if sev >= 4 else "yellow" if sev == 3 else "dim"
    top = "━━" + label + "━" * max(2, WIDTH - len(label) - 2)
    lines = [_style(top, rule_color, color)]
    for i, part in enumerate(textwrap.wrap(alert.headline or "(no headline)", WIDTH - 2) or [""]):
        lines.append(("  " if i else "▶ ") + _style(part, "bold", color))
    if alert.action == "update" and alert.changes:
        lines.append(f"  changed:  {change_summary(alert.changes)}")
    figures = figures_summary(alert)
    if figures:
        lines.append("  figures:  " + " · ".join(f"{label.lower()} {v}" for label, v in figures))
    if place := place_line(alert):
        lines.append(f"  place:    {place}")
    lines.append(f"  category: {category} (score {score:.2f})")
    lines.append(f"  sources:  {alert.source_count} outlet{'s' if alert.source_count != 1 else ''}")
    for s in alert.sources[:SOURCES_SHOWN]:
        lines.append(f"            - {s.outlet}: {s.url}" if s.url else f"            - {s.outlet}")
    if len(alert.sources) > SOURCES_SHOWN:
        lines.append(f"            … and {len(alert.sources) - SOURCES_SHOWN} more")
    meta = f"story {alert.story_id} · rev {alert.revision} · rule {alert.rule}"
    lines.append(_style(f"  first seen {alert.first_seen or '?'} · {meta}", "dim", color))
    return "\n".join(lines)


def render_console_digest(alerts: Sequence[Alert], reason: str = "", color: bool = False) -> str:
    head = f" DIGEST · {len(alerts)} alerts{' · ' + reason if reason else ''} "
    lines = [_style("━━" + head + "━" * max(2, WIDTH - len(head) - 2), "yellow", color)]
    for a in alerts:
        category, _ = top_category(a)
        tag = "update" if a.action == "update" else category
        lines.append(f"  • [{tag} · sev {a.severity}] {a.headline}")
    return "\n".join(lines)
