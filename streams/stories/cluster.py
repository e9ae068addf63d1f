"""Offline clustering: records in, the same records out with their story. Pure module.

The ``newsstream cluster`` command reads JSON lines and calls ``cluster_records``;
it runs exactly the index the worker runs, one record at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from streams.errors import InputError
from streams.stories.fingerprint import StoryDoc, parse_ts
from streams.stories.index import StoryIndex
from streams.stories.text import h64

EXPIRE_EVERY = 1  # cheap: the index walks its stories at most once per 1/48 window


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def record_id(record: dict[str, Any]) -> str:
    """The record's id, or a stable one from its URL, else its source + title + time."""
    for key in ("article_id", "id"):
        value = record.get(key)
        if isinstance(value, str | int) and str(value):
            return str(value)
    url = _text(record, "url")
    basis = url or "\x1f".join(
        (_text(record, "source"), _text(record, "title"), _text(record, "published"))
    )
    return f"r-{h64(basis):016x}"


def doc_for(record: dict[str, Any], fallback_ts: float) -> StoryDoc:
    """A StoryDoc for a record; InputError when it has no title or a bad time."""
    if not isinstance(record, dict):
        raise InputError(f"record: expected an object, got {type(record).__name__}")
    title = _text(record, "title").strip()
    if not title:
        raise InputError("title: missing or empty")
    published = _text(record, "published").strip()
    ts = parse_ts(published) if published else fallback_ts
    body = "\n".join(p for p in (_text(record, "summary"), _text(record, "content")) if p)
    url = _text(record, "url")
    return StoryDoc(
        article_id=record_id(record),
        url=url,
        outlet=_text(record, "source") or _text(record, "outlet") or "unknown",
        published_ts=ts,
        title=title,
        text=body,
        content_hash=f"{h64(title + chr(10) + body):016x}",
    )


def cluster_records(
    records: Iterable[dict[str, Any]], *, window_hours: float = 72
) -> Iterator[dict[str, Any]]:
    """Yield each record with ``story_id``, ``duplicate_of``, ``is_new_story``, ``syndicated``.

    Records without ``published`` take the last time seen (arrival order). A record
    that cannot be read (no title, bad time, not an object) is yielded with
    ``story_id`` None and ``error`` saying why, and clustering goes on.
    """
    index = StoryIndex(window_hours=window_hours)
    last_ts = 0.0
    for n, record in enumerate(records, start=1):
        try:
            doc = doc_for(record, last_ts)
        except InputError as exc:
            bad = dict(record) if isinstance(record, dict) else {"record": record}
            bad.update(story_id=None, duplicate_of=None, error=f"record {n}: {exc}")
            yield bad
            continue
        last_ts = max(last_ts, doc.published_ts)
        if n % EXPIRE_EVERY == 0:
            index.expire(last_ts)
        decision = index.assign(doc)
        out = dict(record)
        out.update(
            story_id=decision.story_id,
            duplicate_of=decision.duplicate_of,
            is_new_story=decision.is_new_story,
            syndicated=decision.syndicated,
        )
        yield out
