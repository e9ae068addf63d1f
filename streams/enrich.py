"""Pure glue between stages: what the worker builds from an article, what the
understanding stage found, and the story decision. No Kafka here."""

from __future__ import annotations

from typing import Any

from streams.events import Article, ArticleKind, EnrichedEvent, UnderstoodArticle, utcnow_iso


def event_id(article: Article) -> str:
    """Unique per article version: a retried send of the same version has the same id."""
    return f"{article.article_id}:{article.content_hash[:12]}"


def understood(
    article: Article, u: Any, fingerprint: dict[str, Any] | None = None
) -> UnderstoodArticle:
    """Wrap an article with an ``Understanding`` (streams.understand) and, optionally, its
    story fingerprint."""
    return UnderstoodArticle(
        article=article,
        categories=u.categories,
        figures=u.figures,
        places=u.places,
        attribution=u.attribution,
        severity=u.severity,
        understood_at=utcnow_iso(),
        fingerprint=fingerprint,
    )


def enriched(item: UnderstoodArticle, decision: Any) -> EnrichedEvent:
    """Build the public event from an understood article and its ``StoryDecision``."""
    article = item.article
    kind: ArticleKind = (
        "updated" if decision.kind == "update" or article.kind == "updated" else "new"
    )
    return EnrichedEvent(
        event_id=event_id(article),
        kind=kind,
        article=article,
        story_id=decision.story_id,
        is_new_story=decision.is_new_story,
        sources=list(decision.sources),
        source_count=decision.source_count,
        first_seen=decision.first_seen,
        syndicated=decision.syndicated,
        duplicate_of=decision.duplicate_of,
        categories=item.categories,
        figures=item.figures,
        places=item.places,
        attribution=item.attribution,
        severity=item.severity,
        changes=dict(decision.changes or {}),
        processed_at=utcnow_iso(),
    )


def category_topics(event: EnrichedEvent, known: set[str], threshold: float = 0.0) -> list[str]:
    """Names of the per-category topics an event goes to ('other' when none applies)."""
    names = [c.name for c in event.categories if c.score >= threshold and c.name in known]
    return names or ["other"]
