"""Summarise a py-spy ``--format raw`` profile (collapsed stacks): where a worker's
samples go, by package (inclusive: a sample counts for every package on its stack) and by
leaf function (self time).

    python benchmarks/profile_summary.py profile.txt [--top 15]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::(?P<line>\d+))?\)$")
# by function: the worker's agents and faust's consumer thread
FUNCTIONS = (
    ("understand_agent", "agent: understand (decode, classify, fingerprint, send)"),
    ("stories_agent", "agent: stories (decode, index, event, sends)"),
    ("alerts_agent", "agent: alerts"),
    ("forward", "agent: forward"),
    ("WorkerThread.run", "faust consumer thread (fetching)"),
)
# by file: where the code lives
AREAS = (
    ("streams/understand/", "classify + extract (streams.understand)"),
    ("streams/stories/", "story index + fingerprints (streams.stories)"),
    ("streams/alerts/", "alert rules (streams.alerts)"),
    ("streams/events.py", "JSON encode/decode (streams.events)"),
    ("faust/", "faust"),
    ("aiokafka/", "aiokafka"),
)


# a sample with none of these on its stack is the framework's own time (faust, aiokafka,
# the event loop, the consumer thread), however our agent functions sit below it
OWN_WORK = (
    "streams/understand/",
    "streams/stories/",
    "streams/alerts/",
    "streams/events.py",
    "streams/enrich.py",
    "streams/metrics.py",
    "streams/logs.py",
    "streams/worker/state.py",
)


def area(path: str) -> str | None:
    for needle, name in AREAS:
        if needle in path:
            return name
    return None


def summarise(path: Path, top: int = 15) -> dict[str, object]:
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    total = own = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        k = int(n)
        total += k
        frames = stack.split(";")
        seen = set()
        if any(w in fr for fr in frames for w in OWN_WORK):
            own += k
        for fr in frames:
            m = FRAME.match(fr)
            if not m:
                continue
            names = [area(m["file"])]
            names += [label for f, label in FUNCTIONS if m["func"].endswith(f)]
            for name in names:
                if name and name not in seen:
                    seen.add(name)
                    inclusive[name] += k
        m = FRAME.match(frames[-1])
        leaf = f"{m['func']} ({Path(m['file']).name})" if m else frames[-1]
        leaves[leaf] += k
    pct = lambda c: round(100 * c / max(total, 1), 1)  # noqa: E731
    return {
        "samples": total,
        "own_work_pct": pct(own),
        "framework_pct": pct(total - own),
        "by_area_pct": {a: pct(c) for a, c in inclusive.most_common()},
        "top_self_pct": {f: pct(c) for f, c in leaves.most_common(top)},
    }


def render(summary: dict[str, object]) -> str:
    lines = [
        f"samples: {summary['samples']}",
        f"our own work (our modules on the stack): {summary['own_work_pct']}%; "
        f"framework only (faust, aiokafka, event loop, threads): {summary['framework_pct']}%",
        "inclusive share by area:",
    ]
    for name, p in summary["by_area_pct"].items():  # type: ignore[attr-defined]
        lines.append(f"  {p:5.1f}%  {name}")
    lines.append("self time, top functions:")
    for name, p in summary["top_self_pct"].items():  # type: ignore[attr-defined]
        lines.append(f"  {p:5.1f}%  {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("path", type=Path)
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    print(render(summarise(a.path, a.top)))
