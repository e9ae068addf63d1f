"""The topics we own: names, partition counts, cleanup policies.

Every topic is created explicitly before any producer or worker touches it: a broker
that auto-creates topics (Tansu does, with 4 partitions) would otherwise pick the
partition count for us, and a faust table whose source and changelog disagree crashes.
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.settings import Settings

DEFAULT_CATEGORIES = ("strike", "diplomacy", "production_policy", "other")


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    compacted: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True)
class TopicNames:
    articles: str
    events: str
    alerts: str
    deadletter: str
    stories_in: str
    feed_state: str
    prefix: str

    def category(self, name: str) -> str:
        return f"{self.prefix}events.{name}"


def topic_names(settings: Settings) -> TopicNames:
    t = settings.topic
    return TopicNames(
        articles=t("articles"),
        events=t("events"),
        alerts=t("alerts"),
        deadletter=t("deadletter"),
        stories_in=t("stories-in"),
        feed_state=t("feed-state"),
        prefix=settings.topic_prefix,
    )


def topic_specs(
    settings: Settings, categories: tuple[str, ...] = DEFAULT_CATEGORIES
) -> list[TopicSpec]:
    n = topic_names(settings)
    p = settings.partitions
    specs = [
        TopicSpec(n.articles, p, description="raw normalised articles, key article_id"),
        TopicSpec(n.events, p, description="enriched events, key story_id"),
        TopicSpec(n.alerts, p, description="alert decisions, key story_id"),
        TopicSpec(n.deadletter, 1, description="messages we could not process, with the reason"),
        # The story index is one serial decision point (see docs/architecture.md).
        TopicSpec(n.stories_in, 1, description="internal: understood articles to the story stage"),
        TopicSpec(n.feed_state, 1, compacted=True, description="poller memory, key feed url"),
    ]
    specs += [
        TopicSpec(n.category(c), p, description=f"enriched events of category {c}, key story_id")
        for c in categories
    ]
    return specs
