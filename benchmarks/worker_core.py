"""The worker's own work per article without Kafka or faust: what the agents of
streams/worker/agents.py do between receiving a message and sending their output, in one
loop on one core. Its rate is the ceiling any framework could give one worker process;
the worker's measured rate over it is the share the framework leaves us.

    .venv/bin/python benchmarks/worker_core.py [--n 3000] [--rounds 3]

Same articles as the worker throughput benchmark (``common.make_articles``), encoded as
the poller sends them. Per article, as the agents do: decode the Article; classify +
extract; fingerprint and encode the stories-in item; its share of packing and unpacking
a stories-in batch record and decoding the item; the story decision; build and encode the
enriched event; the alert decision beside it and, if any, encode the alert.
Table writes are replaced by the JSON encoding the tables would store.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from common import encoded, make_articles

from streams.alerts.decider import AlertDecider, StoryAlertState
from streams.alerts.rules import RuleSet
from streams.enrich import enriched, understood
from streams.events import (
    Article,
    UnderstoodArticle,
    dumps,
    from_dict,
    loads,
    pack_batches,
    unpack_batch,
)
from streams.stories import StoryIndex, features_for
from streams.stories.fingerprint import fingerprint_from_dict, fingerprint_to_dict
from streams.understand import Analyzer

PARTS = ("decode", "understand", "fingerprint", "hop", "story", "event", "alert")


class CoreWork:
    """The agents' per-article work on fresh state, in one process. ``process`` returns the
    enriched event's JSON (None for a duplicate) and, given ``spent``, adds the seconds of
    each part to it. The forwarding agent's "with our work" variant runs it too."""

    def __init__(self) -> None:
        self.analyzer = Analyzer.default()
        self.index = StoryIndex(window_hours=72.0)
        self.decider = AlertDecider(RuleSet(None))
        self.states: dict[str, bytes] = {}

    def process(self, value: bytes, spent: dict[str, float] | None = None) -> bytes | None:
        clock = time.perf_counter
        marks = [clock()]
        article = loads(Article, value)
        marks.append(clock())
        u = self.analyzer.analyze(article.title, article.summary, article.content)
        marks.append(clock())
        doc = features_for(article, u.places, u.figures, fingerprinted=True)
        fp = fingerprint_to_dict(doc.fp) if doc.fp is not None else None
        record = dumps(understood(article, u, fp))
        marks.append(clock())
        # one article's batch alone: packing and unpacking cost the same per item
        item = from_dict(UnderstoodArticle, unpack_batch(pack_batches([record])[0])[0])
        doc = features_for(item.article, item.places, item.figures)
        if item.fingerprint is not None:
            doc.fp = fingerprint_from_dict(item.fingerprint)
        marks.append(clock())
        decision = self.index.assign(doc)
        entry = self.index.entry_for(doc.article_id)
        if entry is not None:
            orjson.dumps(entry.to_dict())
        marks.append(clock())
        body = None
        if decision.kind != "duplicate":
            ev = enriched(item, decision)
            body = dumps(ev)
            marks.append(clock())
            raw = self.states.get(ev.story_id)
            state = StoryAlertState.from_dict(orjson.loads(raw)) if raw is not None else None
            alert, new_state = self.decider.decide(ev, state, datetime.now(UTC))
            self.states[ev.story_id] = orjson.dumps(new_state.to_dict())
            if alert is not None:
                dumps(alert)
            marks.append(clock())
        if spent is not None:
            for part, a, b in zip(PARTS, marks, marks[1:], strict=False):
                spent[part] += b - a
        return body


def run_once(payload: list[tuple[bytes, bytes]]) -> dict[str, float]:
    """Seconds spent in each part over the whole payload (fresh state each run)."""
    work = CoreWork()
    spent = dict.fromkeys(PARTS, 0.0)
    for _key, value in payload:
        work.process(value, spent)
    return spent


def measure(n: int = 3000, rounds: int = 3) -> dict[str, Any]:
    """Best of ``rounds``: articles/s of the whole loop and µs per article of each part."""
    payload = encoded(make_articles(n, "core", seed=11))
    best: dict[str, float] | None = None
    for _ in range(rounds):
        spent = run_once(payload)
        if best is None or sum(spent.values()) < sum(best.values()):
            best = spent
    assert best is not None
    total = sum(best.values())
    return {
        "rate": n / total,
        "us_per_article": 1e6 * total / n,
        "parts_us": {k: round(1e6 * v / n, 1) for k, v in best.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    m = measure(args.n, args.rounds)
    parts = ", ".join(f"{k} {v:.0f}" for k, v in m["parts_us"].items())
    print(f"worker core, no Kafka: {m['rate']:,.0f} articles/s ({m['us_per_article']:.0f} µs)")
    print(f"µs per article: {parts}")


if __name__ == "__main__":
    main()
