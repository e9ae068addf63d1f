"""Message types: round trips, poison input, and the published JSON Schemas."""

from __future__ import annotations

import orjson
import pytest

from streams.events import (
    Alert,
    Article,
    Category,
    EnrichedEvent,
    Evidence,
    Figure,
    SchemaError,
    Source,
    dumps,
    loads,
)
from streams.kafka import MAX_DEADLETTER_VALUE, dead_letter
from streams.schemas.generate import SCHEMAS, render
from tests.helpers import validate


def article(**kw: object) -> Article:
    base = dict(
        article_id="a1",
        feed_url="https://example.org/rss",
        outlet="Example",
        url="https://example.org/a1",
        title="Drones hit a depot",
        content_hash="abc123",
    )
    base.update(kw)
    return Article(**base)  # type: ignore[arg-type]


def event() -> EnrichedEvent:
    return EnrichedEvent(
        event_id="a1:abc123",
        kind="new",
        article=article(),
        story_id="s-1",
        is_new_story=True,
        sources=[Source("Example", "https://example.org/a1", "a1")],
        source_count=1,
        first_seen="2026-01-01T00:00:00Z",
        categories=[Category("strike", 0.9, [Evidence("title", 0, 6, "Drones")])],
        figures=[Figure("killed", 3, "three killed", "summary", 10, 22)],
    )


def test_enriched_event_round_trip_and_schema() -> None:
    ev = event()
    raw = dumps(ev)
    assert loads(EnrichedEvent, raw) == ev
    validate("enriched_event", orjson.loads(raw))


def test_article_schema_accepts_real_message() -> None:
    validate("article", orjson.loads(dumps(article())))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected an object"),
        (b'{"schema_version": 1, "article_id": "x"}', "required field missing"),
        (b'{"schema_version": 99, "article_id": "x"}', "unsupported schema_version"),
        (b'{"article_id": "x"}', "unsupported schema_version"),
    ],
)
def test_poison_messages_raise_schema_error(raw: bytes, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        loads(Article, raw)


def test_nested_type_errors_name_the_path() -> None:
    doc = orjson.loads(dumps(event()))
    doc["categories"] = "strike"
    with pytest.raises(SchemaError, match=r"EnrichedEvent\.categories"):
        loads(EnrichedEvent, orjson.dumps(doc))


def test_schema_rejects_missing_version() -> None:
    import jsonschema

    doc = orjson.loads(dumps(article()))
    del doc["schema_version"]
    with pytest.raises(jsonschema.ValidationError):
        validate("article", doc)


@pytest.mark.parametrize("stem", sorted(SCHEMAS))
def test_published_schema_files_are_current(stem: str) -> None:
    from importlib import resources

    on_disk = resources.files("streams.schemas").joinpath(f"{stem}.json").read_bytes()
    assert on_disk == render(stem), "run: python -m streams.schemas.generate"


def test_alert_type_is_in_schema_set() -> None:
    assert SCHEMAS["alert"][0] is Alert


def test_dead_letter_keeps_payload_and_reason_but_truncates_huge() -> None:
    huge = b"x" * (MAX_DEADLETTER_VALUE + 10)
    rec = dead_letter("worker.understand", ValueError("bad"), topic="t", offset=5, value=huge)
    assert rec.value_truncated and rec.value is not None
    assert len(rec.value) == MAX_DEADLETTER_VALUE
    assert (rec.error, rec.error_type, rec.offset) == ("bad", "ValueError", 5)
    validate("deadletter", orjson.loads(dumps(rec)))
