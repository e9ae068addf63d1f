"""Story clustering cost: articles/second and bytes per remembered article.

    .venv/bin/python benchmarks/bench_cluster.py                  # 1k, 100k, 1M (~5 min)
    .venv/bin/python benchmarks/bench_cluster.py 1000 100000
    .venv/bin/python benchmarks/bench_cluster.py 100000 --tracemalloc  # cross-check memory
    .venv/bin/python benchmarks/bench_cluster.py 1000000 --rss         # RSS growth instead

For each size N: fill an index with N synthetic articles (stories of 1-6 outlets,
rewritten headlines, all within one 72 h window, so nothing expires), then time
3 batches of 2 000 more through ``StoryIndex.assign`` against that full index
(best batch: the machine is shared). Two rates: ``assign`` computing the
fingerprint itself, and ``assign`` of documents fingerprinted upstream
(``features_for(..., fingerprinted=True)``): the serial part of the story stage.

Memory per article, default: the exact size of the index's own structures (story
blobs, key tables, buckets) / N. ``--tracemalloc``: traced growth while filling
(slow: tracemalloc hooks every allocation). ``--rss``: resident-set growth while
filling (the synthetic articles are generated on the fly, not held). The gazetteer
(a one-off table of ~13 MB) is loaded before measuring.
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from streams.stories.fingerprint import StoryDoc, fingerprint
from streams.stories.index import StoryIndex
from streams.stories.places import _gazetteer

T0 = 1_714_543_200.0  # 2024-05-01T06:00Z
WINDOW_S = 72 * 3600
PROBE = 2000


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))


class Synth:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.vocab = [_word(self.rng) for _ in range(5000)]
        self.places = [_word(self.rng).title() for _ in range(3000)]
        self.people = [_word(self.rng).title() for _ in range(20000)]
        self.n = 0

    def stories(self, n_articles: int, span_s: float) -> Iterator[StoryDoc]:
        rng = self.rng
        made = 0
        while made < n_articles:
            event = rng.sample(self.vocab, 14)
            names = [" ".join(rng.sample(self.people, 2)) for _ in range(2)]
            place = rng.choice(self.places)
            t = T0 + rng.random() * span_s
            count = rng.randint(2, 90)
            for k in range(rng.choice([1, 2, 3, 4, 5, 6])):
                if made >= n_articles:
                    return
                self.n += 1
                made += 1
                words = rng.sample(event, 9)
                title = " ".join(words[:6]) + f" in {place}"
                # every outlet names the main actor; some also quote a second one
                quoted = names[0] + (f" and {names[1]}" if k % 2 else "")
                text = (
                    f"The {' '.join(words[3:])} said {quoted} on {place}, where {count} "
                    f"people {' '.join(rng.sample(event, 4))}. "
                    f"{' '.join(rng.sample(self.vocab, 12))}."
                )
                yield StoryDoc(
                    article_id=f"u:{self.n:032x}",
                    outlet=f"outlet{rng.randint(1, 300)}",
                    url=f"https://outlet{k}.example.com/news/2024/05/01/{title[:40]}-{self.n}",
                    published_ts=t + k * rng.randint(60, 7200),
                    title=title,
                    text=text,
                    content_hash=f"{self.n:016x}",
                )


def index_bytes(idx: StoryIndex) -> int:
    """Bytes held by the index's own structures (not the interpreter's shared objects)."""
    size = sys.getsizeof(idx._stories) + sum(sys.getsizeof(b) for b in idx._stories if b)
    for table in (idx._seen, idx._sids, idx._buckets._single):
        size += sys.getsizeof(table._keys) + sys.getsizeof(table._vals)
    multi = idx._buckets._multi
    size += sys.getsizeof(multi) + sum(
        sys.getsizeof(k) + sys.getsizeof(a) for k, a in multi.items()
    )
    return size


def rss_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def probe_rates(idx: StoryIndex, synth: Synth) -> tuple[float, float]:
    """(assign art/s computing fingerprints, art/s with fingerprints precomputed)."""
    best_full = best_serial = 0.0
    for _ in range(3):
        docs = list(synth.stories(PROBE, WINDOW_S * 0.9))
        t = time.perf_counter()
        for d in docs:
            idx.assign(d)
        best_full = max(best_full, PROBE / (time.perf_counter() - t))
        docs = list(synth.stories(PROBE, WINDOW_S * 0.9))
        for d in docs:
            d.fp = fingerprint(d)
        t = time.perf_counter()
        for d in docs:
            idx.assign(d)
        best_serial = max(best_serial, PROBE / (time.perf_counter() - t))
    return best_full, best_serial


def run(n: int, mode: str) -> tuple[float, float, float, float]:
    synth = Synth()
    _gazetteer()  # loaded once per process; not part of the per-article cost
    gc.collect()
    before = rss_bytes()
    if mode == "tracemalloc":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    idx = StoryIndex()
    t = time.perf_counter()
    for d in synth.stories(n, WINDOW_S * 0.9):
        idx.assign(d)
    fill = n / (time.perf_counter() - t)
    gc.collect()
    if mode == "tracemalloc":
        per_article = (tracemalloc.get_traced_memory()[0] - before) / n
        tracemalloc.stop()
    elif mode == "rss":
        per_article = (rss_bytes() - before) / n
    else:
        per_article = index_bytes(idx) / n
    full, serial = probe_rates(idx, synth)
    return per_article, fill, full, serial


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [1_000, 100_000, 1_000_000]
    mode = (
        "tracemalloc" if "--tracemalloc" in sys.argv else "rss" if "--rss" in sys.argv else "size"
    )
    print(
        f"{'remembered':>11} {'bytes/article':>14} {'fill art/s':>11} {'assign art/s':>13} "
        f"{'serial art/s':>13}  (memory: {mode}; serial = fingerprinted upstream)"
    )
    for n in sizes:
        mem, fill, full, serial = run(n, mode)
        print(f"{n:>11,} {mem:>14.0f} {fill:>11,.0f} {full:>13,.0f} {serial:>13,.0f}", flush=True)


if __name__ == "__main__":
    main()
