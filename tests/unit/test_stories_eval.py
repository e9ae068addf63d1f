"""Pairwise precision/recall of story clustering on our own eval set, via the real code."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

from streams.stories.cluster import cluster_records

EVAL = Path(__file__).parents[1] / "eval" / "stories_eval.jsonl"


def _pairs(labels: list[str]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        groups[lab].append(i)
    return {p for g in groups.values() for p in itertools.combinations(g, 2)}


def test_eval_set_precision_and_recall() -> None:
    rows = [json.loads(line) for line in EVAL.open(encoding="utf-8")]
    assert len(rows) >= 500 and len({r["story"] for r in rows}) >= 150
    out = list(cluster_records(rows))
    gold = _pairs([o["story"] for o in out])
    pred = _pairs([o["story_id"] for o in out])
    precision = len(gold & pred) / len(pred)
    recall = len(gold & pred) / len(gold)
    assert precision >= 0.97, precision
    # target is 0.9; see docs/stories.md for where recall is lost
    assert recall >= 0.85, recall
