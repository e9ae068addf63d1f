"""One alert per story: the first qualifying event raises it, later events update it. Pure.

The worker keeps a ``StoryAlertState`` per story (a faust table keyed by story_id, stored
as ``state.to_dict()``) and calls ``AlertDecider(rules).decide(event, state, now)``.
Figures and severity only ratchet up: an older article repeating a lower count is not news.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from streams.alerts.match import StoryView, matching_rules
from streams.alerts.rules import AlertConfig, RuleSet
from streams.events import Alert, EnrichedEvent, Figure, Source

# Figures whose change is worth telling people about (an update, a new webhook message).
KEY_FIGURE_KINDS = ("killed", "injured", "serious", "missing", "launched", "intercepted")
MAX_SOURCES_KEPT = 100  # keeps a long-running story's state small
_SOURCE_FIELDS = tuple(f.name for f in fields(Source))


@dataclass(slots=True)
class StoryAlertState:
    story_id: str
    revision: int = -1  # -1: no alert raised yet
    rule: str = ""
    destinations: list[str] = field(default_factory=list)
    severity: int = 0
    figures: dict[str, list[Any]] = field(default_factory=dict)  # kind -> [value, text, unit]
    sources: list[dict[str, Any]] = field(default_factory=list)  # Source as dicts
    headline: str = ""
    url: str = ""
    first_seen: str = ""
    last_alert_at: str = ""

    @property
    def alerted(self) -> bool:
        return self.revision >= 0

    def to_dict(self) -> dict[str, Any]:
        # its fields are JSON values already: a shallow copy, not asdict's deep walk
        return {f: getattr(self, f) for f in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoryAlertState:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def _iso(now: datetime) -> str:
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _source_key(s: dict[str, Any]) -> str:
    return str(s.get("url") or s.get("article_id") or "")


class AlertDecider:
    def __init__(self, rules: AlertConfig | RuleSet) -> None:
        self._rules = rules

    @property
    def config(self) -> AlertConfig:
        r = self._rules
        return r.config if isinstance(r, RuleSet) else r

    def decide(
        self, event: EnrichedEvent, state: StoryAlertState | None, now: datetime
    ) -> tuple[Alert | None, StoryAlertState]:
        old = state or StoryAlertState(story_id=event.story_id)
        new = _merge(old, event)
        if not old.alerted:
            view = StoryView(
                categories=event.categories,
                severity=new.severity,
                figures={k: float(v[0]) for k, v in new.figures.items()},
                places=event.places,
                text=event.article.text(),
                source_count=event.source_count,
                sources=[Source(**s) for s in new.sources],
            )
            rules = matching_rules(self.config, view)
            if not rules:
                return None, new
            new.revision, new.rule = 0, rules[0].name
            new.destinations = list(dict.fromkeys(d for r in rules for d in r.destinations))
            new.headline, new.url = event.article.title, event.article.url
            return self._alert(event, new, "new", {}, now), new
        changes = _changes(old, new)
        if not changes:
            return None, new
        new.revision = old.revision + 1
        return self._alert(event, new, "update", changes, now), new

    def _alert(
        self,
        event: EnrichedEvent,
        st: StoryAlertState,
        action: str,
        changes: dict[str, Any],
        now: datetime,
    ) -> Alert:
        st.last_alert_at = _iso(now)
        key_figures = [
            Figure(kind=k, value=float(v[0]), text=str(v[1]), field="", start=-1, end=-1, unit=v[2])
            for k, v in st.figures.items()
        ]
        other = [f for f in event.figures if f.kind not in KEY_FIGURE_KINDS]
        return Alert(
            alert_id=f"{st.story_id}:{st.revision}",
            story_id=st.story_id,
            revision=st.revision,
            action="new" if action == "new" else "update",
            rule=st.rule,
            destinations=list(st.destinations),
            headline=event.article.title or st.headline,
            url=event.article.url or st.url,
            categories=sorted(event.categories, key=lambda c: -c.score),
            severity=st.severity,
            figures=key_figures + other,
            places=list(event.places),
            sources=[Source(**s) for s in st.sources],
            source_count=max(event.source_count, 1),
            first_seen=st.first_seen,
            event_id=event.event_id,
            changes=changes,
            created_at=_iso(now),
        )


def _merge(old: StoryAlertState, event: EnrichedEvent) -> StoryAlertState:
    new = replace(old)  # shallow is enough: we replace containers, never mutate them
    new.severity = max(old.severity, event.severity)
    figures = dict(old.figures)
    for f in event.figures:
        if f.kind in KEY_FIGURE_KINDS and (f.kind not in figures or f.value > figures[f.kind][0]):
            figures[f.kind] = [f.value, f.text, f.unit]
    new.figures = figures
    seen = {_source_key(s) for s in old.sources}
    sources = list(old.sources)
    for s in event.sources:
        d = {f: getattr(s, f) for f in _SOURCE_FIELDS}
        if _source_key(d) not in seen:
            seen.add(_source_key(d))
            sources.append(d)
    new.sources = sources[:MAX_SOURCES_KEPT]
    new.first_seen = old.first_seen or event.first_seen
    return new


def _changes(old: StoryAlertState, new: StoryAlertState) -> dict[str, Any]:
    """What an update changed, for the message: only things a reader cares about."""
    changes: dict[str, Any] = {}
    if new.severity != old.severity:
        changes["severity"] = [old.severity, new.severity]
    figures = {
        k: [old.figures[k][0] if k in old.figures else None, v[0]]
        for k, v in new.figures.items()
        if k not in old.figures or old.figures[k][0] != v[0]
    }
    if figures:
        changes["figures"] = figures
    known = {_source_key(s) for s in old.sources}
    added = [s for s in new.sources if _source_key(s) not in known and not s.get("syndicated")]
    if added:
        changes["sources_added"] = [{"outlet": s["outlet"], "url": s["url"]} for s in added]
    return changes


def is_key_change(changes: dict[str, Any]) -> bool:
    """Severity or a key figure changed (not only new sources): worth a new webhook message."""
    return "severity" in changes or bool(changes.get("figures"))
