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
from streams.worker.app import NewsApp
from streams.worker.state import AlertStateTable, StoryIndexTable

log = get_logger("worker")


def _analyzer(app: NewsApp) -> Any:
    from streams.understand import Analyzer

    path = app.settings.taxonomy_file
    return Analyzer.from_file(path) if path else Analyzer.default()


def register(app: NewsApp) -> None:
    names = app.names
    settings = app.settings
    counters = app.counters
    analyzer = _analyzer(app)
    categories = {c.name for c in analyzer.taxonomy.categories} | {"other"}

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
        counters.dead_letters += 1
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
            try:
                article = loads(Article, event.value)
                key = article.article_id.encode()
                if versions.get(key) == article.content_hash.encode():
                    counters.exact_repeats += 1  # a retried send or a re-poll: same version
                    continue
                versions[key] = article.content_hash.encode()
                counters.articles += 1
                u = analyzer.analyze(article.title, article.summary, article.content)
                await stories_in.send(key=key, value=dumps(understood(article, u)))
            except Exception as exc:  # one bad message must not stop the stream
                await to_deadletter("worker.understand", event, _reason(exc))

    @app.agent(stories_in, name="stories")
    async def stories_agent(stream: Any) -> None:
        async for event in stream.events():
            try:
                item = loads(UnderstoodArticle, event.value)
                decision = stories.assign(item)
                if decision.kind == "duplicate":
                    counters.duplicates += 1
                    continue
                counters.new_stories += decision.is_new_story
                counters.joined += decision.kind == "joined"
                counters.updates += decision.kind == "update"
                ev = enriched(item, decision)
                body, key = dumps(ev), ev.story_id.encode()
                await events.send(key=key, value=body)
                for name in category_topics(ev, categories):
                    counters.by_category[name] = counters.by_category.get(name, 0) + 1
                    await per_category[name].send(key=key, value=body)
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

    @app.agent(events, name="alerts")
    async def alerts_agent(stream: Any) -> None:
        async for event in stream.events():
            try:
                ev = loads(EnrichedEvent, event.value)
                alert = alert_states.decide(ev)
                if alert is not None:
                    counters.alerts += 1
                    await alerts.send(key=ev.story_id.encode(), value=dumps(alert))
            except Exception as exc:
                await to_deadletter("worker.alerts", event, _reason(exc))

    @app.timer(interval=60.0)
    async def expire_stories() -> None:
        removed = stories.expire(time.time())
        if removed:
            log.info("stories expired", extra={"articles_forgotten": removed})


def _reason(exc: Exception) -> Exception:
    if isinstance(exc, SchemaError):
        return exc
    log.exception("processing failed")
    return exc
