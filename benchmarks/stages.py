"""Stage throughput on one core, in this process: parse (feed bytes → items), normalise
(items → Article), cluster (StoryIndex.assign against ~10k remembered articles) and
classify + extract (Analyzer.analyze on ~1 KB articles); memory per remembered article.

The feed is a 50-item RSS 2.0 document written here, shaped like a wire service's feed:
namespaces (content, dc, media, atom), CDATA HTML descriptions with links and images,
full ``content:encoded`` bodies of ~1 KB, categories, creators and RFC 822 dates.
"""

from __future__ import annotations

import time
from email.utils import formatdate
from html import escape

import bench_cluster
import bench_understand
from common import say

from streams.ingest.normalize import FeedContext, normalise_feed
from streams.ingest.parse import parse_feed
from streams.understand import Analyzer

SECTIONS = ("world", "europe", "business", "sport", "science", "politics")
NOW = 1_715_800_000.0


def rss_document(items: int = 50, seed: int = 3) -> bytes:
    """A realistic RSS 2.0 feed of ``items`` ~1 KB stories (our own generated copy)."""
    parts = []
    for i, (title, summary, content) in enumerate(bench_understand.news_mix(items, seed=seed)):
        section = SECTIONS[i % len(SECTIONS)]
        url = f"https://www.dailyledger.example/{section}/2024/05/15/story-{1000 + i}"
        paragraphs = "".join(f"<p>{escape(s)}.</p>" for s in content.split(". ") if s)
        parts.append(
            f"""
    <item>
      <title>{escape(title)}</title>
      <link>{url}?utm_source=rss&amp;utm_medium=feed</link>
      <guid isPermaLink="false">dl-{section}-{1000 + i}</guid>
      <pubDate>{formatdate(NOW - i * 420, usegmt=True)}</pubDate>
      <dc:creator>Staff reporter {i % 7}</dc:creator>
      <category>{section.title()}</category><category>Top stories</category>
      <description><![CDATA[<p>{escape(summary)}
        <a href="{url}">Read more</a></p>
        <img src="https://img.dailyledger.example/{i}.jpg" alt="photo"/>]]></description>
      <content:encoded><![CDATA[<div class="body"><p><strong>{escape(summary)}</strong></p>
        {paragraphs}<figure><img src="https://img.dailyledger.example/{i}-2.jpg"/>
        <figcaption>File photo.</figcaption></figure></div>]]></content:encoded>
      <media:content url="https://img.dailyledger.example/{i}.jpg" medium="image"
        width="1024" height="576"/>
    </item>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"
  xmlns:atom="http://www.w3.org/2005/Atom">
  <channel>
    <title>The Daily Ledger - Top stories</title>
    <link>https://www.dailyledger.example/</link>
    <description>Latest news from the Daily Ledger</description>
    <language>en-gb</language>
    <lastBuildDate>{formatdate(NOW, usegmt=True)}</lastBuildDate>
    <ttl>5</ttl>
    <atom:link href="https://www.dailyledger.example/rss.xml" rel="self"
      type="application/rss+xml"/>{"".join(parts)}
  </channel>
</rss>
""".encode()


def _timed(fn: object, min_seconds: float) -> tuple[int, float]:
    runs, t0 = 0, time.perf_counter()
    while True:
        fn()  # type: ignore[operator]
        runs += 1
        dt = time.perf_counter() - t0
        if dt >= min_seconds:
            return runs, dt


def parse_ms(doc: bytes, seconds: float = 1.0) -> float:
    """CPU-bound milliseconds of one ``parse_feed`` of ``doc``."""
    runs, dt = _timed(lambda: parse_feed(doc, base_url="https://wire.test/"), seconds)
    return 1000 * dt / runs


def parse_and_normalise(seconds: float = 3.0) -> dict[str, float]:
    doc = rss_document()
    base = "https://www.dailyledger.example/rss.xml"
    parsed = parse_feed(doc, base_url=base)
    n = len(parsed.items)
    assert n == 50, f"the benchmark feed parsed into {n} items"
    runs, dt = _timed(lambda: parse_feed(doc, base_url=base), seconds)
    parse_rate = n * runs / dt
    ctx = FeedContext(base, "Daily Ledger", None, ["bench"])
    arts = normalise_feed(parsed, ctx, NOW, base_url=base)
    size = sum(len(a.title) + len(a.summary) + len(a.content) for a in arts) / len(arts)
    runs, dt = _timed(lambda: normalise_feed(parsed, ctx, NOW, base_url=base), seconds)
    return {
        "parse_items_per_s": parse_rate,
        "parse_ms_per_feed": 1000 * n / parse_rate,
        "doc_bytes": len(doc),
        "normalise_items_per_s": n * runs / dt,
        "article_chars": size,
    }


def classify(n: int = 2000) -> dict[str, float]:
    analyzer = Analyzer.default()
    return bench_understand.measure(analyzer, bench_understand.news_mix(n))


def cluster(remembered: int = 10_000) -> dict[str, float]:
    per_article, fill, full, serial = bench_cluster.run(remembered, "size")
    return {
        "remembered": remembered,
        "bytes_per_article": per_article,
        "assign_per_s": full,
        "assign_fingerprinted_per_s": serial,
        "fill_per_s": fill,
    }


def measure(quick: bool = False) -> dict[str, dict[str, float]]:
    say("stages: parse + normalise")
    pn = parse_and_normalise(1.0 if quick else 3.0)
    say("stages: classify + extract")
    cl = classify(600 if quick else 2000)
    say("stages: cluster")
    cu = cluster(2000 if quick else 10_000)
    return {"parse_normalise": pn, "classify": cl, "cluster": cu}
