"""Thin agents: decode → pure core → encode → send. Anything that cannot be
processed goes to the dead-letter topic with the reason; the agent keeps going.

Two hops per article (docs/architecture.md): ``understand`` reads ``articles`` in
batches and hands each batch to the story stage as one ``stories-in`` record;
``stories`` decides each article's story, publishes its enriched event (and category
copies) and takes the alert decision beside the story index, in the same serial stage.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any

from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError
from faust.streams import _current_event

from streams.enrich import category_topics, enriched, understood
from streams.errors import InputError
from streams.events import (
    Article,
    EnrichedEvent,
    SchemaError,
    UnderstoodArticle,
    batch_record,
    batch_spans,
    dumps,
    from_dict,
    loads,
    unpack_batch,
)
from streams.kafka import dead_letter
from streams.logs import get_logger
from streams.metrics import (
    ALERTS_RAISED,
    CATEGORY_EVENTS,
    DEAD_LETTERS,
    EXACT_REPEATS,
    HOP_LATENCY,
    PROCESSING,
    STAGE_ARTICLES,
    STORY_DECISIONS,
    observe_hop,
)
from streams.stories import features_for
from streams.stories.fingerprint import fingerprint_to_dict
from streams.worker.app import NewsApp
from streams.worker.reload import ReloadingAnalyzer
from streams.worker.state import AlertStateTable, StoryIndexTable

log = get_logger("worker")


def register(app: NewsApp) -> None:
    names = app.names
    settings = app.settings
    taxonomy = ReloadingAnalyzer(settings.taxonomy_file)
    categories = taxonomy.category_names() | {"other"}
    # metric children bound once: nothing but an increment per message
    understood_n, decided_n = STAGE_ARTICLES.labels("understood"), STAGE_ARTICLES.labels("decided")
    alerted_n = STAGE_ARTICLES.labels("alert_checked")
    understand_s, stories_s = PROCESSING.labels("understand"), PROCESSING.labels("stories")
    alerts_s = PROCESSING.labels("alerts")
    to_understood = HOP_LATENCY.labels("fetched_to_understood")
    to_enriched = HOP_LATENCY.labels("understood_to_enriched")
    to_alerted = HOP_LATENCY.labels("enriched_to_alerted")
    decisions = {k: STORY_DECISIONS.labels(k) for k in ("new", "joined", "update", "duplicate")}
    by_category = {c: CATEGORY_EVENTS.labels(c) for c in categories}
    raised = {a: ALERTS_RAISED.labels(a) for a in ("new", "update")}

    articles = app.topic(names.articles)
    stories_in = app.topic(names.stories_in, partitions=1)
    events = app.topic(names.events)
    alerts = app.topic(names.alerts)
    deadletters = app.topic(names.deadletter, partitions=1)
    per_category = {c: app.topic(names.category(c)) for c in sorted(categories)}

    versions = app.Table(
        "article-versions",
        default=None,
        partitions=settings.partitions,
        key_type=bytes,
        value_type=bytes,
    )
    stories = StoryIndexTable(app, window_hours=settings.story_window_hours)
    alert_states = AlertStateTable(app, settings.alerts_file)
    batch_max, batch_within = settings.batch_max, settings.batch_within_ms / 1000
    max_item = settings.max_item_bytes

    def to_deadletter(stage: str, event: Any, exc: BaseException, value: Any = None) -> None:
        msg = event.message
        DEAD_LETTERS.labels(stage).inc()
        log.warning(
            "dead letter",
            extra={
                "stage": stage,
                "topic": msg.topic,
                "partition": msg.partition,
                "offset": msg.offset,
                "error": str(exc)[:300],
            },
        )
        if value is None:
            value = event.value if isinstance(event.value, bytes | str) else repr(event.value)
        record = dead_letter(
            stage,
            exc,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            key=event.key,
            value=value,
        )
        # buffered, not awaited: delivered before the offset of ``event`` is committed
        deadletters.send_soon(key=event.key, value=dumps(record))

    def understand_one(event: Any) -> bytes | None:
        """The stories-in item for one article, or None for an exact repeat."""
        article = loads(Article, event.value)
        key = article.article_id.encode()
        # value: content hash + where we read it. The same version from another message
        # (a retried send, a re-poll) is a repeat and dropped; the same message again
        # (replayed after a crash or a rebalance, its offset not committed) is processed
        # again: its output may never have landed.
        here = f"{article.content_hash}|{event.message.partition}:{event.message.offset}"
        seen = versions.get(key)
        if (
            seen is not None
            and seen != here.encode()
            and seen.split(b"|", 1)[0] == article.content_hash.encode()
        ):
            EXACT_REPEATS.inc()
            return None
        versions[key] = here.encode()
        u = taxonomy.current().analyze(article.title, article.summary, article.content)
        doc = features_for(article, u.places, u.figures, fingerprinted=True)
        fp = fingerprint_to_dict(doc.fp) if doc.fp is not None else None
        understood_n.inc()
        observe_hop(to_understood, article.fetched_at, time.time())
        return dumps(understood(article, u, fp))

    @app.agent(articles, name="understand")
    async def understand_agent(stream: Any) -> None:
        previous: set[tuple[int, int]] = set()
        # noack_take: faust acknowledges nothing by itself. A batch is acknowledged only
        # once its stories-in record is on the broker, so a batch cut short by a stop or a
        # rebalance is read again by whoever owns its partitions next (take_events would
        # acknowledge it on the way out, even when cancelled mid-body).
        async for batch in stream.noack_take(batch_max, within=batch_within):
            items: list[bytes] = []
            sources: list[Any] = []  # the event each item came from
            # The same message delivered twice in a row (seen rarely from faust's take
            # buffer) would put one article twice into one stories-in record, where the
            # story stage takes the second copy for a replay and emits it again.
            here: set[tuple[int, int]] = set()
            for event in batch:
                where = (event.message.partition, event.message.offset)
                if where in here or where in previous:
                    continue
                here.add(where)
                # a table write goes to the changelog partition of the current event
                set_current_event(event)
                t0 = time.perf_counter()
                try:
                    item = understand_one(event)
                    if item is not None and len(item) > max_item:
                        to_deadletter("worker.understand", event, too_large(len(item)))
                    elif item is not None:
                        items.append(item)
                        sources.append(event)
                except Exception as exc:  # one bad message must not stop the stream
                    to_deadletter("worker.understand", event, _reason(exc))
                finally:
                    understand_s.observe(time.perf_counter() - t0)
            for a, b in batch_spans(items):
                try:
                    await deliver(stories_in, batch_record(items[a:b]))
                except TooLarge as exc:  # the broker's limit is below max_item_bytes
                    for event in sources[a:b]:
                        to_deadletter("worker.understand", event, exc)
            for event in batch:
                await stream.ack(event)
            previous = here

    def too_large(size: int) -> InputError:
        return InputError(
            f"understood article is {size:,} bytes, over the {max_item:,}-byte limit of a "
            "message (NEWSSTREAM_MAX_ITEM_BYTES)"
        )

    async def deliver(topic: Any, value: bytes, key: bytes | None = None) -> None:
        """Send ``value`` and wait until the broker has it; while the broker cannot take
        it, wait and try again (the stage holds its input rather than lose it). A record
        the broker refuses for its size raises TooLarge: no retry would help."""
        pause = 0.1
        while True:
            try:
                await (await topic.send(key=key, value=value))
                return
            except (MessageSizeTooLargeError, RecordTooLargeError) as exc:
                raise TooLarge(f"the broker refused a {len(value):,}-byte record: {exc}") from exc
            except Exception as exc:  # broker gone, timed out: never drop the batch
                log.warning(
                    "send failed, retrying",
                    extra={"topic": topic.get_topic_name(), "error": str(exc)[:300]},
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)

    async def send_out(topic: Any, key: bytes, value: bytes, sent: list[Any]) -> None:
        """Hand one output to the producer; ``confirm`` waits for the broker's ack."""
        sent.append((topic, key, value, await topic.send(key=key, value=value)))

    async def confirm(sent: list[Any], event: Any) -> None:
        """Wait until the broker has every output of one stories-in record; one it did not
        take (the producer gave up: a long outage) is sent again until it does."""
        for topic, key, value, fut in sent:
            try:
                await fut
            except Exception as exc:
                log.warning(
                    "send failed, sending again",
                    extra={"topic": topic.get_topic_name(), "error": str(exc)[:300]},
                )
                try:
                    await deliver(topic, value, key)
                except TooLarge as too_big:
                    to_deadletter("worker.stories", event, too_big, value)

    async def publish_event(ev: EnrichedEvent, sent: list[Any]) -> None:
        body, key = dumps(ev), ev.story_id.encode()
        await send_out(events, key, body, sent)
        for name in category_topics(ev, {c.name for c in ev.categories}):
            topic = per_category.get(name)
            if topic is None:  # a category added to the taxonomy while we run
                topic = per_category[name] = app.topic(names.category(name))
                await topic.maybe_declare()
                by_category[name] = CATEGORY_EVENTS.labels(name)
            by_category[name].inc()
            await send_out(topic, key, body, sent)

    async def alert_for(ev: EnrichedEvent, sent: list[Any]) -> None:
        t0 = time.perf_counter()
        alert = alert_states.decide(ev)
        alerted_n.inc()
        if alert is not None:
            await send_out(alerts, ev.story_id.encode(), dumps(alert), sent)
            raised[alert.action].inc()
            observe_hop(to_alerted, ev.processed_at, time.time())
            log.info(
                "alert raised",
                extra={
                    "article_id": ev.article.article_id,
                    "story_id": alert.story_id,
                    "alert_id": alert.alert_id,
                    "event_id": alert.event_id,
                    "rule": alert.rule,
                    "action": alert.action,
                },
            )
        alerts_s.observe(time.perf_counter() - t0)

    async def decide_one(item: UnderstoodArticle, offset: int, sent: list[Any]) -> None:
        decision = stories.assign(item, offset)
        decided_n.inc()
        kind = "new" if decision.is_new_story else decision.kind
        child = decisions.get(kind)
        if child is None:  # a kind the story stage added later: bind it once
            child = decisions[kind] = STORY_DECISIONS.labels(kind)
        child.inc()
        if decision.kind == "duplicate":
            log.info(
                "story decision",
                extra={
                    "article_id": item.article.article_id,
                    "story_id": decision.story_id,
                    "decision": "duplicate",
                    "duplicate_of": decision.duplicate_of,
                },
            )
            return
        ev = enriched(item, decision)
        await publish_event(ev, sent)
        observe_hop(to_enriched, item.understood_at, time.time())
        log.info(
            "story decision",
            extra={
                "article_id": item.article.article_id,
                "story_id": ev.story_id,
                "decision": decision.kind,
                "sources": ev.source_count,
            },
        )
        await alert_for(ev, sent)

    @app.agent(stories_in, name="stories")
    async def stories_agent(stream: Any) -> None:
        # noack: a record is acknowledged once every article in it is decided and its
        # outputs are on the broker, never on the way out of a body cut short (faust's
        # own iteration acknowledges in a ``finally``, so a stop mid-batch would commit
        # the rest of the batch unseen). A record read again is a replay the story index
        # knows.
        records = stream.noack()
        async for event in records.events():
            await decide_record(event)
            await records.ack(event)

    async def decide_record(event: Any) -> None:
        try:
            raw_items = unpack_batch(event.value)
        except SchemaError as exc:
            to_deadletter("worker.stories", event, exc)
            return
        versions_here: set[tuple[str, str]] = set()
        sent: list[Any] = []  # (topic, key, value, delivery future) of every output
        for raw in raw_items:
            t0 = time.perf_counter()
            try:
                item = from_dict(UnderstoodArticle, raw)
                version = (item.article.article_id, item.article.content_hash)
                if version in versions_here:  # one version once per record
                    continue
                versions_here.add(version)
                await decide_one(item, event.message.offset, sent)
            except Exception as exc:  # the rest of the batch goes on
                to_deadletter("worker.stories", event, _reason(exc), dumps(raw))
            finally:
                stories_s.observe(time.perf_counter() - t0)
        await confirm(sent, event)  # acknowledged by the caller only after this


class TooLarge(InputError):
    """A record the broker will not take for its size."""


def set_current_event(event: Any) -> None:
    """Make ``event`` the one faust's tables see in this task, as its own stream
    iteration does per event. Only the context variable: the stream's ``current_event``
    attribute belongs to faust's take buffer, which reads it from another task."""
    _current_event.set(weakref.ref(event))


def _reason(exc: Exception) -> Exception:
    if isinstance(exc, SchemaError):
        return exc
    log.exception("processing failed")
    return exc
