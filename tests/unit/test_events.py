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
    UnderstoodArticle,
    dumps,
    from_dict,
    loads,
    pack_batches,
    unpack_batch,
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


def test_stories_in_batches_round_trip_and_split_by_size() -> None:
    items = [
        dumps(
            UnderstoodArticle(
                article=article(article_id=f"a{i}"), understood_at="2026-01-01T00:00:00Z"
            )
        )
        for i in range(50)
    ]
    one = pack_batches(items)
    assert len(one) == 1
    back = [from_dict(UnderstoodArticle, d) for d in unpack_batch(one[0])]
    assert [u.article.article_id for u in back] == [f"a{i}" for i in range(50)]
    # a size cap splits the batch in order; an item larger than the cap travels alone
    small = pack_batches(items, max_bytes=3 * len(items[0]))
    assert len(small) > 1 and all(len(r) <= 3 * len(items[0]) + 64 for r in small)
    assert [d["article"]["article_id"] for r in small for d in unpack_batch(r)] == [
        f"a{i}" for i in range(50)
    ]
    assert len(pack_batches(items[:2], max_bytes=10)) == 2
    assert pack_batches([]) == []


def test_stories_in_reads_single_items_of_version_1_and_refuses_the_rest() -> None:
    old = orjson.loads(dumps(UnderstoodArticle(article=article(article_id="x"))))
    assert unpack_batch(orjson.dumps(old)) == [old]
    for raw, message in [
        (b"[]", "expected an object"),
        (b"{nope", "not JSON"),
        (b'{"schema_version": 3, "items": []}', "unsupported schema_version"),
        (b'{"schema_version": 2}', "without an 'items' list"),
    ]:
        with pytest.raises(SchemaError, match=message):
            unpack_batch(raw)
    assert unpack_batch(pack_batches([b'{"bad": 1}'])[0]) == [{"bad": 1}]
