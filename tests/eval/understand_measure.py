"""Measure strike detection on real labelled data (not in the repo, never copied into it).

    .venv/bin/python tests/eval/understand_measure.py
    .venv/bin/python tests/eval/understand_measure.py --misses ucdp --n 40   # look at misses

Read from /work/shared/data/labelled:

- UCDP GED Ukraine: every agency headline an event cites (``source_headline``, split on
  ``;``), kept when it has at least 5 words and is plain ASCII (English). Nearly all report
  conflict events, so the share classified ``strike`` is a recall.
- CIR/Bellingcat: the ``title`` of entries in strike-type groups (Bombing or Explosion,
  Civilian / Military Infrastructure Damage, Civilian Casualty): recall; and of entries in
  "Russian Military Presence" (troop movements, no attack): the false strike rate.

Prints one line per measure; ``--misses`` prints examples to a terminal for tuning only.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Callable
from pathlib import Path

from streams.understand import Analyzer

DATA = Path("/work/shared/data/labelled")
STRIKE_GROUPS = (
    "Civilian Infrastructure Damage",
    "Bombing or Explosion",
    "Civilian Casualty",
    "Military Infrastructure Damage",
)


def ucdp_headlines() -> list[str]:
    path = DATA / "ucdp_ged_ukraine" / "UCDP-Ukraine.csv"
    out = []
    with path.open(encoding="cp1252", newline="") as fh:
        for ev in csv.DictReader(fh):
            for h in ev["source_headline"].split(";"):
                h = h.strip()
                if len(h.split()) >= 5 and h.isascii():
                    out.append(h)
    return out


def cir_titles() -> tuple[list[str], list[str]]:
    path = DATA / "cir_bellingcat_events" / "events.csv"
    strikes, presence = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            group = row["event_group"]
            if group.startswith(STRIKE_GROUPS):
                strikes.append(row["title"])
            elif group.startswith("Russian Military Presence"):
                presence.append(row["title"])
    return strikes, presence


def measure(analyzer: Analyzer, texts: list[str], want: bool) -> tuple[int, int, list[str]]:
    """(classified strike, total, texts where the answer differs from ``want``)."""

    def is_strike(t: str) -> bool:
        return any(c.name == "strike" for c in analyzer.analyze(t).categories)

    hits, wrong = 0, []
    for t in texts:
        got = is_strike(t)
        hits += got
        if got != want:
            wrong.append(t)
    return hits, len(texts), wrong


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--misses", choices=["ucdp", "cir", "presence"])
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    analyzer = Analyzer.default()
    strikes, presence = cir_titles()
    sets: dict[str, tuple[Callable[[], list[str]], bool, str]] = {
        "ucdp": (ucdp_headlines, True, "UCDP headlines, strike recall"),
        "cir": (lambda: strikes, True, "CIR strike-type groups, strike recall"),
        "presence": (lambda: presence, False, "CIR Russian Military Presence, false strike rate"),
    }
    for key, (load, want, label) in sets.items():
        hits, total, wrong = measure(analyzer, load(), want)
        print(f"{label}: {hits} / {total} = {hits / total:.3f}")
        if args.misses == key:
            for t in random.Random(1).sample(wrong, min(args.n, len(wrong))):
                print("   ", t)


if __name__ == "__main__":
    main()
