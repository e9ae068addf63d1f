"""What the story index remembers about an article: a few dozen small ints.

``features_for`` turns an Article into a StoryDoc (plain text and identity);
``fingerprint`` turns a StoryDoc into a Fingerprint (hashes only); ``band_keys``
names the buckets an article is filed under, which also serve as repartition keys
when the index is split across workers. Pure module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from streams.errors import InputError
from streams.events import Article, Figure, Place
from streams.stories import text as tx
from streams.stories.places import big_city_key, city_keys

LEDE_WORDS = 45  # rewrites agree on the lede; later paragraphs drift to background
MAX_TOKENS = 24
MAX_NAMES = 8
MAX_PLACES = 6
MAX_NUMBERS = 6
MAX_BAND_KEYS = 10
SKETCH_K = 8


@dataclass(slots=True)
class StoryDoc:
    """What the index needs from an article; built by ``features_for``."""

    article_id: str
    url: str
    outlet: str
    published_ts: float
    title: str
    text: str  # summary and content, without the title
    content_hash: str
    places: list[str] = field(default_factory=list)  # place names; "cc:XX" for countries
    figures: dict[str, float] = field(default_factory=dict)
    # computed off the serial story stage (``features_for(..., fingerprinted=True)``) so the
    # single decision point only looks up; None: ``StoryIndex.assign`` computes it
    fp: Fingerprint | None = None


@dataclass(slots=True, frozen=True)
class Fingerprint:
    tokens: tuple[int, ...]  # keyword stems of title + lede
    names: tuple[int, ...]  # capitalised names that are not places
    places: tuple[int, ...]  # cities / regions
    numbers: tuple[int, ...]  # stated numbers x10, years excluded
    sketch: tuple[int, ...]  # bottom-k of word 3-shingles of the body: near-copy test
    title_hash: int
    text_hash: int
    # worded as a follow-up ("toll rises to", "suspect named"): see verify.py
    cued: bool = False


def fingerprint_to_dict(fp: Fingerprint) -> dict[str, Any]:
    """The fingerprint as JSON-friendly data, to carry it from the parallel understand stage
    to the serial story stage."""
    return {
        "tokens": list(fp.tokens),
        "names": list(fp.names),
        "places": list(fp.places),
        "numbers": list(fp.numbers),
        "sketch": list(fp.sketch),
        "title_hash": fp.title_hash,
        "text_hash": fp.text_hash,
        "cued": fp.cued,
    }


def fingerprint_from_dict(data: Any) -> Fingerprint:
    """Inverse of ``fingerprint_to_dict``; raises InputError on anything else."""
    try:
        return Fingerprint(
            tuple(map(int, data["tokens"])),
            tuple(map(int, data["names"])),
            tuple(map(int, data["places"])),
            tuple(map(int, data["numbers"])),
            tuple(map(int, data["sketch"])),
            int(data["title_hash"]),
            int(data["text_hash"]),
            bool(data.get("cued", False)),  # absent in fingerprints written before it
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"bad fingerprint: {exc}") from None


def parse_ts(value: str) -> float:
    """ISO-8601 to epoch seconds (naive times are UTC); InputError when unusable."""
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InputError(f"published: not an ISO-8601 time: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def features_for(
    article: Article,
    places: Sequence[Place] = (),
    figures: Sequence[Figure] = (),
    *,
    fingerprinted: bool = False,
) -> StoryDoc:
    """The StoryDoc for an article, with the places and figures understanding found."""
    names = [
        (f"cc:{p.country_code}" if p.kind == "country" and p.country_code else p.name)
        for p in places
    ]
    figs: dict[str, float] = {}
    for f in figures:
        figs[f.kind] = max(figs.get(f.kind, f.value), f.value)
    body = "\n".join(p for p in (article.summary, article.content) if p)
    doc = StoryDoc(
        article_id=article.article_id,
        url=article.url,
        outlet=article.outlet,
        published_ts=parse_ts(article.published),
        title=article.title,
        text=body,
        content_hash=article.content_hash or f"{tx.h64(article.text()):016x}",
        places=names,
        figures=figs,
    )
    if fingerprinted:
        doc.fp = fingerprint(doc)
    return doc


# Capitalised words in runs that are roles or nationalities, not the names of who acted:
# "Governor Anna Lysenko" and "Ukrainian officials" must not tie two events together.
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


ROLE_WORDS = _word_set(
    """governor mayor president minister ministers prime foreign defence defense interior
    chief ceo spokesman spokeswoman spokesperson general commander head deputy regional
    ukrainian russian american british french german chinese israeli iranian turkish
    polish european western eastern northern southern ministry army navy forces"""
)
# Follow-up wording in the headline or lede: a revised toll, bodies found, a suspect
# named. Surface forms, not stems: "a pay rise" is not a toll that rises.
FOLLOW_UP_WORDS = _word_set(
    """rises rose risen climbs climbed reaches reached passes passed raising bodies
    suspect arrested named charged"""
)
SKETCH_WORDS = 300  # reprints agree from the start; shingling a long body only costs time


def _distinct(values: list[int], cap: int) -> tuple[int, ...]:
    return tuple(dict.fromkeys(values))[:cap]


@lru_cache(maxsize=20_000)  # runs of the day repeat; bounded so memory is too
def _city(run: str) -> str | None:
    found = city_keys([run])
    return found[0] if found else None


def _lowered(ws: list[str]) -> list[str]:
    """``[w.lower() for w in ws]`` in C: words hold no spaces and lower-case letter by letter
    (the one context rule, a Greek final sigma, is outside the word pattern)."""
    return " ".join(ws).lower().split(" ") if ws else []


def fingerprint(doc: StoryDoc) -> Fingerprint:
    body_words = tx.words(doc.text)
    body_low = " ".join(body_words).lower()
    lede = " ".join(doc.text.split(None, LEDE_WORDS)[:LEDE_WORDS])
    # one scan each of the lede and the title gives their words and their runs
    lede_parts = tx.word_parts(lede)
    lede_words = lede_parts[1::2]
    title_parts = tx.word_parts(doc.title)
    title_words = title_parts[1::2]
    runs = tx.runs_of(lede_parts)
    if not tx.is_title_case_words(title_words):
        runs = tx.runs_of(title_parts) + runs
    # a lone sentence opener is dropped as an ordinary word, but headlines and ledes
    # often open on the place ("Chernihiv strike: ...")
    for opener in (title_words[:1], lede_words[:1]):
        if opener and opener[0][0].isupper() and _big_city(opener[0]) is not None:
            runs.append(opener[0])
    given = [p for p in doc.places if not p.startswith("cc:")]
    given_cities = [_city(p) for p in given]
    run_cities = [_city(r) for r in runs]
    place_ids = [c for c in given_cities if c is not None]
    place_ids += [c for c in run_cities if c is not None]
    place_ids += [p.lower() for p, c in zip(given, given_cities, strict=True) if c is None]
    place_words = {tx.stem(w) for key in given for w in key.split()}
    for r, c in zip(runs, run_cities, strict=True):
        for w in r.split():
            if c is not None or _city(w) is not None:
                place_words.add(tx.stem(w))
    name_words = [
        st
        for r in runs
        for w in r.split()
        if len(w) > 2 and (st := tx.stem(w)) not in place_words and w.lower() not in ROLE_WORDS
    ]
    # tokens say what happened; who and where are compared separately
    named = place_words | set(name_words)
    head_words = title_words + lede_words
    stem_hashes = [h for s, h in tx.keyword_hashes(head_words) if s not in named]
    numbers = tx.number_codes(head_words)
    if body_words:
        lowered = body_low.split(" ", SKETCH_WORDS)[:SKETCH_WORDS]
    else:
        lowered = _lowered(title_words[:SKETCH_WORDS])
    return Fingerprint(
        tokens=_distinct(stem_hashes, MAX_TOKENS),
        names=_distinct(list(map(tx.h32, name_words)), MAX_NAMES),
        places=_distinct(list(map(tx.h32, place_ids)), MAX_PLACES),
        numbers=_distinct(numbers, MAX_NUMBERS),
        sketch=tx.sketch(lowered, SKETCH_K),
        title_hash=tx.h32(" ".join(title_words).lower()),
        text_hash=tx.h32(body_low),
        cued=not FOLLOW_UP_WORDS.isdisjoint(_lowered(head_words)),
    )


_big_city = lru_cache(maxsize=8192)(big_city_key)  # headline openers repeat


def band_ints(fp: Fingerprint) -> list[int]:
    """Bucket keys: places and names first (rare, telling), then keyword stems.

    Keywords are taken in hash order, a consistent random pick (a MinHash with one
    row per band), so two rewrites that share most keywords share some keys.
    """
    keys = list(dict.fromkeys([*fp.places, *fp.names]))
    for t in sorted(fp.tokens):
        if len(keys) >= MAX_BAND_KEYS:
            break
        if t not in keys:
            keys.append(t)
    return keys[:MAX_BAND_KEYS]


def band_keys(fp: Fingerprint) -> list[str]:
    """Band keys as strings, usable as Kafka repartition keys."""
    return [f"{k:08x}" for k in band_ints(fp)]
