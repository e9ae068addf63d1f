"""Stand-ins for tests: real local servers for outside services (fake_slack.py), and
factories for the messages alert code reads. All text is fictional, in our own words."""

from __future__ import annotations

from typing import Any

from streams.events import Alert, Article, Category, EnrichedEvent, Figure, Place, Source


def make_source(outlet: str, n: int = 1, syndicated: bool = False, story: str = "") -> Source:
    slug = outlet.split(".")[0]
    return Source(
        outlet=outlet,
        url=f"https://{outlet}/world/story-{n}",
        # articles of different stories never share an id
        article_id=f"a-{story}-{slug}-{n}" if story else f"a-{slug}-{n}",
        syndicated=syndicated,
    )


def make_figure(kind: str, value: float, text: str = "") -> Figure:
    return Figure(
        kind=kind, value=value, text=text or f"{value:g} {kind}", field="title", start=0, end=1
    )


def make_event(
    story_id: str = "s-abc",
    title: str = "Drone strike on fuel depot near Izhevsk kills two, officials say",
    categories: tuple[tuple[str, float], ...] = (("strike", 0.9),),
    figures: tuple[tuple[str, float], ...] = (("killed", 2),),
    places: tuple[tuple[str, str | None], ...] = (("Izhevsk", "RU"),),
    outlets: tuple[str, ...] = ("wire.example",),
    severity: int = 4,
    summary: str = "Regional authorities said a drone hit a fuel depot overnight.",
    **extra: Any,
) -> EnrichedEvent:
    sources = [make_source(o, i + 1, story=story_id) for i, o in enumerate(outlets)]
    article = Article(
        article_id=sources[0].article_id if sources else "a-0",
        feed_url="https://wire.example/rss",
        outlet=outlets[0] if outlets else "wire.example",
        url=sources[0].url if sources else "",
        title=title,
        summary=summary,
    )
    return EnrichedEvent(
        event_id=f"{article.article_id}:0123456789ab",
        kind="new",
        article=article,
        story_id=story_id,
        is_new_story=True,
        sources=sources,
        source_count=len({s.outlet for s in sources}),
        first_seen="2024-05-18T06:00:00.000Z",
        categories=[Category(name=n, score=s) for n, s in categories],
        figures=[make_figure(k, v) for k, v in figures],
        places=[
            Place(name=n, country_code=c, lat=None, lon=None, kind="city", role="event")
            for n, c in places
        ],
        severity=severity,
        **extra,
    )


def make_alert(
    story_id: str = "s-abc",
    revision: int = 0,
    headline: str = "Drone strike on fuel depot near Izhevsk kills two, officials say",
    destinations: tuple[str, ...] = ("default",),
    changes: dict[str, Any] | None = None,
    rule: str = "deadly-strike",
    outlets: tuple[str, ...] = ("wire.example",),
    severity: int = 4,
    figures: tuple[tuple[str, float], ...] = (("killed", 2),),
) -> Alert:
    sources = [make_source(o, i + 1, story=story_id) for i, o in enumerate(outlets)]
    return Alert(
        alert_id=f"{story_id}:{revision}",
        story_id=story_id,
        revision=revision,
        action="new" if revision == 0 else "update",
        rule=rule,
        destinations=list(destinations),
        headline=headline,
        url=sources[0].url if sources else "",
        categories=[Category(name="strike", score=0.9)],
        severity=severity,
        figures=[make_figure(k, v) for k, v in figures],
        places=[
            Place(name="Izhevsk", country_code="RU", lat=None, lon=None, kind="city", role="event")
        ],
        sources=sources,
        source_count=len(sources),
        first_seen="2024-05-18T06:00:00.000Z",
        event_id="a-wire-1:0123456789ab",
        changes=changes or {},
        created_at="2024-05-18T06:00:01.000Z",
    )
