"""Story clustering cost: articles/second and bytes per remembered article.

    .venv/bin/python benchmarks/bench_cluster.py            # 1k, 100k, 1M
    .venv/bin/python benchmarks/bench_cluster.py 1000 100000
    .venv/bin/python benchmarks/bench_cluster.py 1000000 --rss   # peak RSS, full speed

For each size N: fill an index with N synthetic articles (stories of 1-6 outlets,
rewritten headlines, within one 72 h window), then time 2 000 more through
``StoryIndex.assign`` against that full index. Memory is the tracemalloc growth of
the index while filling it (articles measured without tracemalloc's own overhead
would be a little cheaper), divided by N. Synthetic text: random words from a
5 000-word vocabulary plus story-specific names and places, so buckets are realistic
rather than all-unique.
"""

from __future__ import annotations

import gc
import random
import resource
import sys
import time
import tracemalloc

from streams.stories.fingerprint import StoryDoc
from streams.stories.index import StoryIndex
from streams.stories.places import _gazetteer

T0 = 1_714_543_200.0  # 2024-05-01T06:00Z
WINDOW_S = 72 * 3600


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3))


class Synth:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.vocab = [_word(self.rng) for _ in range(5000)]
        self.places = [_word(self.rng).title() for _ in range(3000)]
        self.n = 0

    def stories(self, n_articles: int, span_s: float) -> list[StoryDoc]:
        rng = self.rng
        docs: list[StoryDoc] = []
        while len(docs) < n_articles:
            event = rng.sample(self.vocab, 14)
            names = [_word(rng).title() + " " + _word(rng).title() for _ in range(2)]
            place = rng.choice(self.places)
            t = T0 + rng.random() * span_s
            for k in range(rng.choice([1, 2, 3, 4, 5, 6])):
                self.n += 1
                words = rng.sample(event, 9)
                title = " ".join(words[:6]) + f" in {place}"
                text = (
                    f"The {' '.join(words[3:])} said {names[k % 2]} on {place} "
                    f"{' '.join(rng.sample(self.vocab, 20))} {rng.randint(2, 90)} people."
                )
                docs.append(
                    StoryDoc(
                        article_id=f"a{self.n:09d}",
                        outlet=f"outlet{rng.randint(1, 300)}",
                        url=f"https://outlet{k}.example.com/news/2024/05/01/{title[:40]}-{self.n}",
                        published_ts=t + k * rng.randint(60, 7200),
                        title=title,
                        text=text,
                        content_hash=f"{self.n:016x}",
                    )
                )
        return docs[:n_articles]


def run(n: int, traced: bool) -> tuple[int, float, float, float]:
    synth = Synth()
    fill = synth.stories(n, WINDOW_S * 0.9)
    probe = synth.stories(2000, WINDOW_S * 0.9)
    _gazetteer()  # loaded once per process; not part of the per-article cost
    gc.collect()
    if traced:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    idx = StoryIndex()
    t = time.perf_counter()
    for d in fill:
        idx.assign(d)
    fill_rate = n / (time.perf_counter() - t)
    gc.collect()
    if traced:
        per_article = (tracemalloc.get_traced_memory()[0] - before) / n
        tracemalloc.stop()
    else:  # peak RSS growth (KiB on Linux): an upper bound, includes the fill list's churn
        per_article = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024 / n
    t = time.perf_counter()
    for d in probe:
        idx.assign(d)
    probe_rate = len(probe) / (time.perf_counter() - t)
    return n, per_article, fill_rate, probe_rate


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or [1_000, 100_000, 1_000_000]
    traced = "--rss" not in sys.argv
    print(
        f"{'remembered':>11} {'bytes/article':>14} {'fill art/s':>11} {'assign art/s':>13}"
        f"  (memory by {'tracemalloc; fill rate slowed by it' if traced else 'peak RSS'})"
    )
    for n in sizes:
        n, mem, fill, probe = run(n, traced)
        print(f"{n:>11,} {mem:>14.0f} {fill:>11,.0f} {probe:>13,.0f}", flush=True)


if __name__ == "__main__":
    main()
