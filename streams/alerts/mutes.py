"""Mutes: silence a story or an entity (a place, country code, outlet or keyword) for a
while. Pure: the store (deliver/mute_store.py) reads and writes them, the notifier asks
``muted_by(alert, now)`` before it delivers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from streams.alerts.match import has_keyword
from streams.events import Alert

MuteKind = Literal["story", "entity"]
MUTE_KINDS = ("story", "entity")


@dataclass(frozen=True, slots=True)
class Mute:
    kind: MuteKind
    value: str
    until: float  # epoch seconds
    created: float
    reason: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.value if self.kind == "story" else self.value.casefold()


class Mutes:
    """An immutable set of mutes; ``add`` and ``remove`` return a new one."""

    def __init__(self, items: Iterable[Mute] = ()) -> None:
        self._items: dict[tuple[str, str], Mute] = {m.key: m for m in items}

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mutes) and self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def add(
        self, kind: MuteKind, value: str, seconds: float, now: float, reason: str = ""
    ) -> Mutes:
        if kind not in MUTE_KINDS:
            raise ValueError(f"mute kind must be story or entity, not {kind!r}")
        if not value.strip():
            raise ValueError("nothing to mute: the value is empty")
        if seconds <= 0:
            raise ValueError("a mute needs a positive duration")
        m = Mute(kind=kind, value=value.strip(), until=now + seconds, created=now, reason=reason)
        items = dict(self._items)
        items[m.key] = m
        return Mutes(items.values())

    def remove(self, kind: MuteKind, value: str) -> Mutes:
        key = (kind, value.strip() if kind == "story" else value.strip().casefold())
        return Mutes(m for k, m in self._items.items() if k != key)

    def active(self, now: float) -> list[Mute]:
        return sorted((m for m in self._items.values() if m.until > now), key=lambda m: m.until)

    def pruned(self, now: float) -> Mutes:
        return Mutes(self.active(now))

    def muted_by(self, alert: Alert, now: float) -> Mute | None:
        """The mute that silences this alert, if any."""
        for m in self.active(now):
            if m.kind == "story":
                if m.value == alert.story_id:
                    return m
            elif entity_matches(m.value, alert):
                return m
        return None

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(m) for m in self._items.values()]

    @classmethod
    def from_json(cls, data: Any) -> Mutes:
        if not isinstance(data, list):
            raise ValueError("mutes file: expected a list")
        items = []
        for i, d in enumerate(data):
            try:
                items.append(
                    Mute(
                        kind=d["kind"],
                        value=str(d["value"]),
                        until=float(d["until"]),
                        created=float(d.get("created", 0.0)),
                        reason=str(d.get("reason", "")),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"mutes file: item {i}: {exc}") from None
        return cls(items)


def entity_matches(entity: str, alert: Alert) -> bool:
    """An entity is a place name, a country code, an outlet, or a word in the headline."""
    e = entity.strip().casefold()
    for p in alert.places:
        if p.name.casefold() == e or (p.country_code or "").casefold() == e:
            return True
    if any(s.outlet.casefold() == e for s in alert.sources):
        return True
    return has_keyword(alert.headline, (e,))
