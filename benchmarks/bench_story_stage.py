"""CPU of the story stage's own code per article, on the worker's article mix, without Kafka.

    .venv/bin/python benchmarks/bench_story_stage.py                 # 4000 articles, best of 5
    .venv/bin/python benchmarks/bench_story_stage.py --n 2000 --rounds 7
    .venv/bin/python benchmarks/bench_story_stage.py --profile       # cProfile, top functions
    .venv/bin/python benchmarks/bench_story_stage.py --dump out.tsv  # decisions, for a diff
    .venv/bin/python benchmarks/bench_story_stage.py --storm --n 6000  # giant stories
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        .venv/bin/python benchmarks/bench_story_stage.py --only assign --repeat 1  # vs 0

Articles come from ``common.make_articles`` (~1 KB, stories of 1-4 outlets). The
understanding stage's places and figures are computed once, up front, so only the
stories code is timed, split as the worker runs it (streams/worker/agents.py, state.py):

* understand agent: ``features_for(..., fingerprinted=True)`` = ``fingerprint`` (timed
  alone) + the rest of ``features_for``; then ``fingerprint_to_dict``;
* stories agent: ``features_for`` (no fingerprint), ``fingerprint_from_dict`` of the
  dict as orjson read it back, ``StoryIndex.assign`` (a fresh index per round, articles
  in order), then ``entry_for(...).to_dict()`` (the table write);
* json: orjson dumps + loads of the fingerprint dict alone (its share of the message).

Each phase is timed over all articles, best of ``--rounds`` (the machine is shared).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import common  # noqa: E402
from common import make_articles  # noqa: E402

from streams.events import Article, Figure, Place  # noqa: E402
from streams.stories.fingerprint import (  # noqa: E402
    StoryDoc,
    features_for,
    fingerprint,
    fingerprint_from_dict,
    fingerprint_to_dict,
    iso,
)
from streams.stories.index import StoryIndex  # noqa: E402
from streams.understand import Analyzer  # noqa: E402

Item = tuple[Article, list[Place], list[Figure]]
CLOCK = 1_714_543_200.0  # 2024-05-01T06:00Z


def prepare(n: int, seed: int) -> list[Item]:
    # a fixed clock: the articles' times (and so tie orders) are the same in every run
    common.recent_iso = lambda seconds_ago: iso(CLOCK - seconds_ago)
    analyzer = Analyzer.default()
    out = []
    for a in make_articles(n, "bench", seed=seed):
        u = analyzer.analyze(a.title, a.summary, a.content)
        out.append((a, u.places, u.figures))
    return out


def prepare_storm(n: int, seed: int) -> list[Item]:
    """The understanding benchmark's template text alone, as docs/performance.md
    ("Findings") ran it: no invented names, so most articles join a few hundred giant
    stories, the shape of a heavily syndicated breaking story."""
    from bench_understand import news_mix

    rng = random.Random(seed)
    analyzer = Analyzer.default()
    out = []
    for i, (title, summary, content) in enumerate(news_mix(n, seed=seed)):
        outlet = f"outlet{rng.randint(1, 40)}"
        a = Article(
            article_id=f"storm-{i}",
            feed_url=f"https://{outlet}.example/rss",
            outlet=outlet,
            url=f"https://{outlet}.example/news/storm-{i}",
            title=title,
            summary=summary,
            content=content,
            published=iso(CLOCK - 3600 + i * 3600 / max(n, 1)),
            fetched_at=iso(CLOCK),
            content_hash=f"h-storm-{i}",
        )
        u = analyzer.analyze(a.title, a.summary, a.content)
        out.append((a, u.places, u.figures))
    return out


def storm(items: list[Item], rounds: int, chunk: int = 1000) -> list[float]:
    """µs per article of ``assign`` (fingerprints computed before) for each ``chunk``
    articles in order: flat when the cost does not grow with the stories."""
    docs = [features_for(a, p, f, fingerprinted=True) for a, p, f in items]
    best = [float("inf")] * ((len(docs) + chunk - 1) // chunk)
    clock = time.process_time
    for _ in range(rounds):
        idx = StoryIndex()
        for c in range(len(best)):
            t = clock()
            for d in docs[c * chunk : (c + 1) * chunk]:
                idx.assign(d)
            best[c] = min(best[c], (clock() - t) / len(docs[c * chunk : (c + 1) * chunk]) * 1e6)
    return best


def best_of(rounds: int, run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t)
    return best


def assign_all(docs: list[StoryDoc]) -> StoryIndex:
    idx = StoryIndex()
    for d in docs:
        idx.assign(d)
    return idx


def measure(items: list[Item], rounds: int) -> dict[str, float]:
    n = len(items)
    docs = [features_for(a, p, f) for a, p, f in items]
    fps = [fingerprint(d) for d in docs]
    dicts = [fingerprint_to_dict(fp) for fp in fps]
    wire = [orjson.loads(orjson.dumps(d)) for d in dicts]

    def fp_only() -> None:
        for d in docs:
            fingerprint(d)

    def features() -> None:
        for a, p, f in items:
            features_for(a, p, f)

    def to_dict() -> None:
        for fp in fps:
            fingerprint_to_dict(fp)

    def json_trip() -> None:
        for d in dicts:
            orjson.loads(orjson.dumps(d))

    def from_dict() -> None:
        for d in wire:
            fingerprint_from_dict(d)

    def assign() -> None:
        for d, fp in zip(docs, fps, strict=True):
            d.fp = fp
        assign_all(docs)

    def assign_and_entry() -> None:
        for d, fp in zip(docs, fps, strict=True):
            d.fp = fp
        idx = StoryIndex()
        for d in docs:
            idx.assign(d)
            e = idx.entry_for(d.article_id)
            if e is not None:
                e.to_dict()

    us = {
        "fingerprint": best_of(rounds, fp_only),
        "features_for (no fp)": best_of(rounds, features),
        "to_dict": best_of(rounds, to_dict),
        "json dumps+loads": best_of(rounds, json_trip),
        "from_dict": best_of(rounds, from_dict),
        "assign": best_of(rounds, assign),
    }
    us["entry_for+to_dict"] = best_of(rounds, assign_and_entry) - us["assign"]
    out = {k: v / n * 1e6 for k, v in us.items()}
    out["TARGET fp+to/from dict+assign"] = (
        out["fingerprint"] + out["to_dict"] + out["from_dict"] + out["assign"]
    )
    return out


def worker_path(items: list[Item]) -> list[str]:
    """Both agents' stories calls in order, as the worker makes them; decisions as rows."""
    idx = StoryIndex()
    rows = []
    for a, p, f in items:
        up = features_for(a, p, f, fingerprinted=True)
        assert up.fp is not None
        sent = orjson.loads(orjson.dumps(fingerprint_to_dict(up.fp)))
        doc = features_for(a, p, f)
        doc.fp = fingerprint_from_dict(sent)
        d = idx.assign(doc)
        e = idx.entry_for(doc.article_id)
        if e is not None:
            e.to_dict()
        srcs = ",".join(f"{s.outlet}/{s.article_id}/{int(s.syndicated)}" for s in d.sources)
        rows.append(
            f"{a.article_id}\t{d.kind}\t{d.story_id}\t{d.duplicate_of}\t{int(d.syndicated)}"
            f"\t{d.source_count}\t{srcs}"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="cProfile the worker path")
    ap.add_argument("--dump", type=Path, help="write one decision per line to this file")
    ap.add_argument(
        "--storm", action="store_true", help="template text only: giant stories (µs per 1000)"
    )
    ap.add_argument(
        "--only",
        choices=("fingerprint", "assign"),
        help="run only this phase, --repeat times, untimed (for an instruction count: "
        "valgrind's Ir at --repeat 1 minus at --repeat 0, / n)",
    )
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    items = (prepare_storm if args.storm else prepare)(args.n, args.seed)
    if args.only:
        docs = [features_for(a, p, f) for a, p, f in items]
        fps = [fingerprint(d) for d in docs]  # caches warm, as a running worker has them
        for _ in range(args.repeat):
            if args.only == "fingerprint":
                for d in docs:
                    fingerprint(d)
            else:
                for d, fp in zip(docs, fps, strict=True):
                    d.fp = fp
                assign_all(docs)
        return
    if args.storm and not (args.dump or args.profile):
        per = storm(items, args.rounds)
        print("assign µs/article per 1000 articles:", " ".join(f"{v:.0f}" for v in per))
        return
    worker_path(items)  # warm the caches (stems, cities), as a running worker has them
    if args.dump:
        args.dump.write_text("\n".join(worker_path(items)) + "\n")
        print(f"{args.n} decisions -> {args.dump}")
        return
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(worker_path, items)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
        return
    for name, v in measure(items, args.rounds).items():
        print(f"{name:>30} {v:8.1f} us/article")


if __name__ == "__main__":
    main()
