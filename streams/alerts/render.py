"""Alerts as Slack Block Kit messages, console blocks and webhook bodies. Pure.

Slack's limits are enforced here (header 150 chars, section text 3,000, 10 fields,
50 blocks) so a long story never gets a message refused with ``invalid_blocks``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streams.events import Alert, Figure, dumps

HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
FIELDS_MAX = 10
BLOCKS_MAX = 50
TEXT_MAX = 3000  # the notification fallback; Slack allows more, phones show less
SOURCES_SHOWN = 15
DIGEST_ITEMS_SHOWN = 40

FIGURE_LABELS = {
    "killed": "Killed",
    "injured": "Injured",
    "serious": "Seriously injured",
    "missing": "Missing",
    "launched": "Launched",
    "intercepted": "Intercepted",
    "distance": "Distance",
    "money": "Money",
}
SEVERITY_MARK = {1: "⚪", 2: "🔵", 3: "🟡", 4: "🟠", 5: "🔴"}


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; everything else is literal in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(url: str, label: str) -> str:
    # "|" ends the URL part of a Slack link; a ">" would end the link itself.
    if not url.startswith(("http://", "https://")):
        return escape_mrkdwn(label)
    safe_url = escape_mrkdwn(url).replace("|", "%7C")
    return f"<{safe_url}|{escape_mrkdwn(label).replace('|', '¦')}>"


def format_number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def format_figure(f: Figure) -> str:
    prefix = "at least " if f.lower_bound else ("about " if f.approximate else "")
    if f.low is not None and f.high is not None and f.low != f.high:
        number = f"{format_number(f.low)}–{format_number(f.high)}"
    else:
        number = format_number(f.value)
    unit = f" {f.unit}" if f.unit and f.kind in ("distance", "money", "launched") else ""
    return f"{prefix}{number}{unit}"


def top_category(alert: Alert) -> tuple[str, float]:
    if not alert.categories:
        return "other", 0.0
    c = max(alert.categories, key=lambda c: c.score)
    return c.name, c.score


def place_line(alert: Alert) -> str:
    events = [p for p in alert.places if p.role == "event"] or list(alert.places)
    names = []
    for p in events[:3]:
        name = f"{p.name}, {p.country_code}" if p.country_code and p.kind != "country" else p.name
        if name not in names:
            names.append(name)
    return "; ".join(names)


def figures_summary(alert: Alert) -> list[tuple[str, str]]:
    return [(FIGURE_LABELS.get(f.kind, f.kind.title()), format_figure(f)) for f in alert.figures]


def change_summary(changes: dict[str, Any]) -> str:
    parts = []
    if "severity" in changes:
        old, new = changes["severity"]
        parts.append(f"severity {old} → {new}")
    for kind, (old, new) in (changes.get("figures") or {}).items():
        label = FIGURE_LABELS.get(kind, kind).lower()
        was = format_number(old) if old is not None else "—"
        parts.append(f"{label} {was} → {format_number(new)}")
    added = changes.get("sources_added") or []
    if added:
        outlets = ", ".join(dict.fromkeys(s["outlet"] for s in added))
        parts.append(f"{len(added)} new source{'s' if len(added) > 1 else ''} ({outlets})")
    return "; ".join(parts)


def render_text(alert: Alert) -> str:
    """One line for notifications and clients that cannot show blocks."""
    category, _ = top_category(alert)
    bits = [f"[{category} · severity {alert.severity}]"]
    if alert.action == "update":
        bits.insert(0, "Update:")
    bits.append(alert.headline or "(no headline)")
    figures = ", ".join(f"{label.lower()} {value}" for label, value in figures_summary(alert)[:3])
    if figures:
        bits.append(f"— {figures}")
    if place := place_line(alert):
        bits.append(f"— {place}")
    return escape_mrkdwn(truncate(" ".join(bits), TEXT_MAX))


def _sources_mrkdwn(alert: Alert) -> str:
    shown = alert.sources[:SOURCES_SHOWN]
    links = [_link(s.url, s.outlet or s.url) for s in shown]
    more = len(alert.sources) - len(shown)
    text = "*Sources:* " + " · ".join(links) if links else "*Sources:* none yet"
    if more > 0:
        text += f" and {more} more"
    # Never cut through a link: drop whole links until it fits.
    while len(text) > SECTION_MAX and links:
        links.pop()
        more += 1
        text = "*Sources:* " + " · ".join(links) + f" and {more} more"
    return text


def render_slack(alert: Alert) -> dict[str, Any]:
    """A Block Kit message (``{"text", "blocks"}``) for one alert."""
    category, score = top_category(alert)
    mark = SEVERITY_MARK.get(max(1, min(alert.severity, 5)), "⚪")
    title = f"{'Update: ' if alert.action == 'update' else ''}{alert.headline or '(no headline)'}"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_MAX)}},
    ]
    line = f"{mark} *{escape_mrkdwn(category)}* ({score:.2f}) · severity *{alert.severity}*"
    if place := place_line(alert):
        line += f" · 📍 {escape_mrkdwn(place)}"
    if alert.url:
        line += f"\n{_link(alert.url, 'Read the article')}"
    blocks.append(_section(line))
    if alert.action == "update" and alert.changes:
        blocks.append(_section(f"*What changed:* {escape_mrkdwn(change_summary(alert.changes))}"))
    fields = [
        {"type": "mrkdwn", "text": truncate(f"*{label}*\n{escape_mrkdwn(value)}", FIELD_MAX)}
        for label, value in figures_summary(alert)[:FIELDS_MAX]
    ]
    if fields:
        blocks.append({"type": "section", "fields": fields})
    blocks.append(_section(_sources_mrkdwn(alert)))
    context = (
        f"story `{escape_mrkdwn(alert.story_id)}` · revision {alert.revision} · "
        f"{alert.source_count} outlet{'s' if alert.source_count != 1 else ''} · "
        f"first seen {escape_mrkdwn(alert.first_seen or '?')} · rule {escape_mrkdwn(alert.rule)}"
    )
    blocks.append(
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": truncate(context, SECTION_MAX)}],
        }
    )
    return {"text": render_text(alert), "blocks": blocks[:BLOCKS_MAX]}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_MAX)}}


def digest_line(alert: Alert) -> str:
    category, _ = top_category(alert)
    head = escape_mrkdwn(truncate(alert.headline or "(no headline)", 200))
    headline = _link(alert.url, head) if alert.url else head
    extra = ", ".join(f"{label.lower()} {v}" for label, v in figures_summary(alert)[:2])
    tag = "update" if alert.action == "update" else category
    return f"• [{escape_mrkdwn(tag)} · sev {alert.severity}] {headline}" + (
        f" — {escape_mrkdwn(extra)}" if extra else ""
    )


def render_slack_digest(alerts: Sequence[Alert], reason: str = "") -> dict[str, Any]:
    """Many alerts as one message: what a backlog or a throttled rule becomes."""
    n = len(alerts)
    title = f"{n} alert{'s' if n != 1 else ''} in a digest"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, HEADER_MAX)}}
    ]
    if reason:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": reason}]})
    chunk = ""
    shown = list(alerts)[:DIGEST_ITEMS_SHOWN]
    for alert in shown:
        line = digest_line(alert)
        if len(chunk) + len(line) + 1 > SECTION_MAX:
            blocks.append(_section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(_section(chunk))
    if n > len(shown):
        blocks.append(_section(f"…and {n - len(shown)} more"))
    text = f"{title}: " + "; ".join(escape_mrkdwn(a.headline) for a in shown[:5])
    return {"text": truncate(text, TEXT_MAX), "blocks": blocks[: BLOCKS_MAX - 1]}


def render_webhook_body(alert: Alert) -> bytes:
    """The generic webhook body: the alert exactly as it travels on the alerts topic."""
    return dumps(alert)


def render_webhook_digest(alerts: Sequence[Alert]) -> bytes:
    return dumps({"type": "digest", "alerts": list(alerts)})
