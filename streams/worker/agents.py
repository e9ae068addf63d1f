"""Thin agents: decode → pure core → encode → send. Anything that cannot be
processed goes to the dead-letter topic with the reason; the agent keeps going."""

from __future__ import annotations

import time
from typing import Any

from streams.enrich import category_topics, enriched, understood
from streams.events import (
    Article,
    EnrichedEvent,
    SchemaError,
    UnderstoodArticle,
    dumps,
    loads,
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

    async def to_deadletter(stage: str, event: Any, exc: BaseException) -> None:
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
        record = dead_letter(
            stage,
            exc,
            topic=msg.topic,
            partition=msg.partition,
            offset=msg.offset,
            key=event.key,
            value=event.value if isinstance(event.value, bytes | str) else repr(event.value),
        )
        await deadletters.send(key=event.key, value=dumps(record))

    @app.agent(articles, name="understand")
    async def understand_agent(stream: Any) -> None:
        async for event in stream.events():
            t0 = time.perf_counter()
            try:
                article = loads(Article, event.value)
                key = article.article_id.encode()
                # value: content hash + where we read it. The same version from another
                # message (a retried send, a re-poll) is a repeat and dropped; the same
                # message again (replayed after a crash or a rebalance, its offset not
                # committed) is processed again: its output may never have landed.
                here = f"{article.content_hash}|{event.message.partition}:{event.message.offset}"
                seen = versions.get(key)
                if (
                    seen is not None
                    and seen != here.encode()
                    and seen.split(b"|", 1)[0] == article.content_hash.encode()
                ):
                    EXACT_REPEATS.inc()
                    continue
                versions[key] = here.encode()
                u = taxonomy.current().analyze(article.title, article.summary, article.content)
                doc = features_for(article, u.places, u.figures, fingerprinted=True)
                fp = fingerprint_to_dict(doc.fp) if doc.fp is not None else None
                await stories_in.send(key=key, value=dumps(understood(article, u, fp)))
                understood_n.inc()
                observe_hop(to_understood, article.fetched_at, time.time())
            except Exception as exc:  # one bad message must not stop the stream
                await to_deadletter("worker.understand", event, _reason(exc))
            finally:
                understand_s.observe(time.perf_counter() - t0)

    @app.agent(stories_in, name="stories")
    async def stories_agent(stream: Any) -> None:
        async for event in stream.events():
            t0 = time.perf_counter()
            try:
                item = loads(UnderstoodArticle, event.value)
                decision = stories.assign(item, event.message.offset)
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
                    continue
                ev = enriched(item, decision)
                body, key = dumps(ev), ev.story_id.encode()
                await events.send(key=key, value=body)
                observe_hop(to_enriched, item.understood_at, time.time())
                for name in category_topics(ev, {c.name for c in ev.categories}):
                    topic = per_category.get(name)
                    if topic is None:  # a category added to the taxonomy while we run
                        topic = per_category[name] = app.topic(names.category(name))
                        await topic.maybe_declare()
                        by_category[name] = CATEGORY_EVENTS.labels(name)
                    by_category[name].inc()
                    await topic.send(key=key, value=body)
                log.info(
                    "story decision",
                    extra={
                        "article_id": item.article.article_id,
                        "story_id": ev.story_id,
                        "decision": decision.kind,
                        "sources": ev.source_count,
                    },
                )
            except Exception as exc:
                await to_deadletter("worker.stories", event, _reason(exc))
            finally:
                stories_s.observe(time.perf_counter() - t0)

    @app.agent(events, name="alerts")
    async def alerts_agent(stream: Any) -> None:
        async for event in stream.events():
            t0 = time.perf_counter()
            try:
                ev = loads(EnrichedEvent, event.value)
                alert = alert_states.decide(ev)
                alerted_n.inc()
                if alert is not None:
                    await alerts.send(key=ev.story_id.encode(), value=dumps(alert))
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
            except Exception as exc:
                await to_deadletter("worker.alerts", event, _reason(exc))
            finally:
                alerts_s.observe(time.perf_counter() - t0)


def _reason(exc: Exception) -> Exception:
    if isinstance(exc, SchemaError):
        return exc
    log.exception("processing failed")
    return exc
