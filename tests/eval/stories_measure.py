"""Measure story clustering: pairwise precision/recall on our eval set and on real data.

    .venv/bin/python tests/eval/stories_measure.py            # eval set + UCDP + MSRP
    .venv/bin/python tests/eval/stories_measure.py --eval-only   # eval set + hand-written pairs

Real data is read from /work/shared/data/labelled (not in the repo, never copied):
UCDP GED Ukraine (several agency headlines per conflict event: those should share a
story) and MSRP (sentence pairs judged paraphrase or not: same-story and
near-copy decisions on pairs).
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streams.stories.cluster import cluster_records, doc_for
from streams.stories.fingerprint import fingerprint
from streams.stories.verify import same_story, syndicated

EVAL = Path(__file__).with_name("stories_eval.jsonl")
HARD = Path(__file__).with_name("stories_hard.jsonl")
HOLDOUT = Path(__file__).with_name("stories_holdout.jsonl")  # never tuned on
DATA = Path("/work/shared/data/labelled")


def pairwise(gold: list[str], pred: list[str]) -> tuple[float, float, int, int]:
    """Pairwise precision and recall of a predicted clustering against gold labels."""

    def pairs(labels: list[str]) -> set[tuple[int, int]]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, lab in enumerate(labels):
            groups[lab].append(i)
        return {p for g in groups.values() for p in itertools.combinations(g, 2)}

    g, p = pairs(gold), pairs(pred)
    tp = len(g & p)
    return (tp / len(p) if p else 1.0), (tp / len(g) if g else 1.0), len(g), len(p)


def cluster_labels(rows: Iterable[dict[str, Any]]) -> tuple[list[str], list[str]]:
    gold, pred = [], []
    for out in cluster_records(rows):
        gold.append(out["story"])
        pred.append(out["story_id"])
    return gold, pred


def eval_set() -> dict[str, Any]:
    rows = [json.loads(line) for line in EVAL.open(encoding="utf-8")]
    gold, pred = cluster_labels(rows)
    p, r, ng, _npred = pairwise(gold, pred)
    return {
        "articles": len(rows),
        "stories": len(set(gold)),
        "predicted_stories": len(set(pred)),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "gold_pairs": ng,
    }


def hard_set(path: Path = HARD) -> dict[str, Any]:
    """Hand-written hard pairs, clustered as one stream: per kind, the share of pairs
    decided right (apart: kept in two stories; follow / rewrite: one story)."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    out = list(cluster_records(rows))
    pairs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in out:
        pairs[o["id"].split("-")[0]].append(o)
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for a, b in pairs.values():
        total[a["pair"]] += 1
        same = a["story_id"] == b["story_id"]
        right[a["pair"]] += same == (a["pair"] != "apart")
    p, r, _ng, _ = pairwise([o["story"] for o in out], [str(o["story_id"]) for o in out])
    return {
        "pairs": sum(total.values()),
        **{f"{k}_right": f"{right[k]}/{total[k]}" for k in sorted(total)},
        "precision": round(p, 4),
        "recall": round(r, 4),
    }


def ucdp() -> dict[str, Any]:
    """Each UCDP event lists its source headlines ("Outlet,date,headline"). Articles are
    the distinct (outlet, date, headline) triples; one that several events cite is kept
    once, with the first event as its label, and pairs across such events are left out."""
    path = DATA / "ucdp_ged_ukraine" / "UCDP-Ukraine.csv"
    seen: dict[tuple[str, str, str], int] = {}
    rows: list[dict[str, Any]] = []
    labels_of: list[set[str]] = []
    with path.open(encoding="cp1252", newline="") as fh:
        for ev in csv.DictReader(fh):
            for raw in ev["source_article"].split('";"'):
                parts = raw.strip('"').split(",", 2)
                if len(parts) < 3 or not parts[2].strip():
                    continue
                key = (parts[0], parts[1], parts[2].strip())
                if key in seen:
                    labels_of[seen[key]].add(ev["id"])
                    continue
                seen[key] = len(rows)
                labels_of.append({ev["id"]})
                rows.append(
                    {
                        "title": key[2],
                        "source": key[0],
                        "published": f"{key[1]}T12:00:00Z",
                        "story": ev["id"],
                    }
                )
    rows_sorted = sorted(range(len(rows)), key=lambda i: rows[i]["published"])
    gold_sets = [labels_of[i] for i in rows_sorted]
    out = list(cluster_records(rows[i] for i in rows_sorted))
    by_pred: dict[str, list[int]] = defaultdict(list)
    by_gold: dict[str, list[int]] = defaultdict(list)
    for i, o in enumerate(out):
        by_pred[str(o["story_id"])].append(i)
        for lab in gold_sets[i]:
            by_gold[lab].append(i)
    pred_pairs = {p for g in by_pred.values() for p in itertools.combinations(g, 2)}
    gold_pairs = {p for g in by_gold.values() for p in itertools.combinations(g, 2)}
    tp = len(pred_pairs & gold_pairs)
    multi = Counter(len(g) for g in by_gold.values())
    return {
        "headlines": len(rows),
        "events": len(by_gold),
        "events_with_2plus_headlines": sum(v for k, v in multi.items() if k > 1),
        "precision": round(tp / len(pred_pairs), 4) if pred_pairs else None,
        "recall": round(tp / len(gold_pairs), 4),
        "gold_pairs": len(gold_pairs),
        "predicted_pairs": len(pred_pairs),
    }


def msrp() -> dict[str, Any]:
    path = DATA / "msrp" / "msr_paraphrase_test.txt"
    tp = fp_ = fn = tn = syn_pos = syn_neg = 0
    with path.open(encoding="utf-8-sig") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            label = parts[0] == "1"
            a = fingerprint(doc_for({"title": parts[3], "summary": parts[3]}, 0.0))
            b = fingerprint(doc_for({"title": parts[4], "summary": parts[4]}, 0.0))
            same = same_story(a, b, 0.0)
            syn = syndicated(a, b)
            tp += same and label
            fp_ += same and not label
            fn += (not same) and label
            tn += (not same) and not label
            syn_pos += syn and label
            syn_neg += syn and not label
    return {
        "pairs": tp + fp_ + fn + tn,
        "paraphrase_pairs": tp + fn,
        "same_story_precision": round(tp / (tp + fp_), 4) if tp + fp_ else None,
        "same_story_recall": round(tp / (tp + fn), 4),
        "syndicated_flagged_paraphrase": syn_pos,
        "syndicated_flagged_non_paraphrase": syn_neg,
    }


if __name__ == "__main__":
    print("eval set:", eval_set())
    print("hard pairs:", hard_set())
    print("held-out pairs:", hard_set(HOLDOUT))
    if "--eval-only" not in sys.argv:
        print("ucdp:", ucdp())
        print("msrp:", msrp())
