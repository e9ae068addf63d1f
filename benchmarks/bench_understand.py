"""Throughput of the understanding stage (classify + figures + places + attribution +
severity) on ~1 KB articles, one core. Plain script: prints numbers.

    .venv/bin/python benchmarks/bench_understand.py [--n 20000]

Articles are built from the evaluation set (tests/eval/understand_eval.jsonl): each one is
an item's title, and a body of its summary followed by other items' summaries until about
1 KB, so the mix of strikes, diplomacy, production and hard negatives is the eval set's.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from streams.understand import Analyzer

EVAL = Path(__file__).resolve().parents[1] / "tests" / "eval" / "understand_eval.jsonl"


def build_articles(n: int, size: int = 1000, seed: int = 7) -> list[tuple[str, str, str]]:
    items = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        item = items[i % len(items)]
        body = [item.get("summary", "")]
        while sum(len(b) + 1 for b in body) + len(item["title"]) < size:
            body.append(rng.choice(items).get("summary", ""))
        out.append((item["title"], body[0], " ".join(body[1:])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    analyzer = Analyzer.default()
    print(f"load taxonomy + gazetteer: {time.perf_counter() - t0:.2f} s")
    articles = build_articles(args.n)
    size = sum(len(t) + len(s) + len(c) for t, s, c in articles) / len(articles)
    for t, s, c in articles[:200]:  # warm-up
        analyzer.analyze(t, s, c)
    t0 = time.perf_counter()
    for t, s, c in articles:
        analyzer.analyze(t, s, c)
    dt = time.perf_counter() - t0
    print(f"articles: {len(articles)}  mean size: {size:.0f} chars")
    print(
        f"analyze: {len(articles) / dt:,.0f} articles/s ({dt / len(articles) * 1e6:.1f} us/article)"
    )


if __name__ == "__main__":
    main()
