"""A synthetic stream for fault tests: many unrelated articles plus a few strike stories
that several outlets report, all written from templates here (our own words)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from streams.events import Article

CITIES = [
    "Kharkiv",
    "Odesa",
    "Dnipro",
    "Zaporizhzhia",
    "Mykolaiv",
    "Kherson",
    "Sumy",
    "Poltava",
    "Chernihiv",
    "Lviv",
    "Belgorod",
    "Kursk",
    "Bryansk",
    "Voronezh",
    "Rostov",
    "Krasnodar",
    "Izhevsk",
    "Kazan",
    "Samara",
    "Saratov",
    "Tula",
    "Oryol",
    "Lipetsk",
    "Tambov",
]
TARGETS = [
    "fuel depot",
    "power substation",
    "rail junction",
    "ammunition depot",
    "airfield",
    "refinery",
    "radar site",
    "weapons plant",
]
OUTLETS = ["Northern Ledger", "Meridian Wire", "Harbor Daily", "Civic Post", "Lakeside Times"]
NOUNS = [
    "library",
    "bridge",
    "bakery",
    "orchestra",
    "marathon",
    "garden",
    "museum",
    "ferry",
    "school",
    "harvest",
    "festival",
    "startup",
    "stadium",
    "hospital",
    "tram",
    "market",
]
VERBS = [
    "opens",
    "expands",
    "celebrates",
    "delays",
    "announces",
    "renovates",
    "welcomes",
    "closes",
    "reviews",
    "funds",
]


@dataclass(frozen=True)
class Corpus:
    articles: list[Article]
    strike_stories: dict[str, list[str]]  # story label -> article ids


def build(n: int, stories: int = 20, seed: int = 7) -> Corpus:
    rng = random.Random(seed)
    out: list[Article] = []
    labels: dict[str, list[str]] = {}
    for s in range(stories):
        city, target = CITIES[s % len(CITIES)], TARGETS[s % len(TARGETS)]
        killed = 2 + s % 5
        label = f"story-{s}"
        for k, outlet in enumerate(rng.sample(OUTLETS, 3)):
            aid = f"strike-{s}-{k}"
            title = [
                f"Drone strike on {target} in {city} kills {killed}",
                f"{killed} dead after drones hit {target} near {city}",
                f"{city}: drones strike {target}, {killed} people killed",
            ][k]
            summary = (
                f"Drones struck a {target} in {city} overnight, killing {killed} people and "
                f"wounding {killed * 4}, regional officials said."
            )
            out.append(_article(aid, outlet, title, summary, s * 3 + k))
            labels.setdefault(label, []).append(aid)
    vocab = _pseudo_words(rng, 5000)
    for i in range(n - len(out)):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        words = rng.sample(vocab, 14)
        title = f"{words[0].title()} {noun} {verb} {' '.join(words[1:5])}"
        summary = f"{' '.join(words[5:])} {noun}."
        out.append(_article(f"other-{i}", rng.choice(OUTLETS), title, summary, i % 3000))
    rng.shuffle(out)
    return Corpus(out, labels)


def _pseudo_words(rng: random.Random, n: int) -> list[str]:
    """Distinct made-up words, so unrelated filler articles share no vocabulary by chance."""
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(3)))
    return sorted(words)


def _article(aid: str, outlet: str, title: str, summary: str, minute: int) -> Article:
    # recent times: the story index forgets what is older than its window (72 h)
    published = datetime.now(UTC) - timedelta(hours=12) + timedelta(minutes=minute % 600)
    return Article(
        article_id=aid,
        feed_url=f"https://{outlet.replace(' ', '').lower()}.example/rss",
        outlet=outlet,
        url=f"https://{outlet.replace(' ', '').lower()}.example/{aid}",
        title=title,
        summary=summary,
        published=published.isoformat(timespec="seconds").replace("+00:00", "Z"),
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        content_hash=f"{aid}-v1",
    )
