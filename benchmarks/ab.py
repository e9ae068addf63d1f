"""A/B a worker change before it is applied: copy ``streams/`` to a scratch tree, apply a
patch there (``git apply``, outside this repository), then time our worker raw → enriched
with the current tree (A) and the patched one (B) on one broker, alternating A and B so a
busy machine hurts both alike. Prints median articles/s and CPU ms/article of each.

    .venv/bin/python benchmarks/ab.py benchmarks/proposals/worker-linger.patch --n 1500
    .venv/bin/python benchmarks/ab.py PATCH --env NEWSSTREAM_FETCH_MAX_WAIT_MS=50  # B only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import pipeline  # noqa: E402
from common import ROOT, say  # noqa: E402

from streams.broker import EmbeddedBroker  # noqa: E402


def patched_tree(patch: Path | None) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="newsstream-ab-"))
    shutil.copytree(
        ROOT / "streams", tree / "streams", ignore=shutil.ignore_patterns("__pycache__")
    )
    if patch is not None:
        subprocess.run(["git", "apply", str(patch.resolve())], cwd=tree, check=True)
    return tree


async def ab(
    patch: Path | None, n: int, rounds: int, b_env: dict[str, str], rate: float | None
) -> None:
    tree = patched_tree(patch)
    data = Path(tempfile.mkdtemp(prefix="newsstream-ab-data-"))
    broker = EmbeddedBroker()
    broker.start()
    pid = broker.proc.pid if broker.proc else None
    got: dict[str, list[dict[str, float]]] = {"A": [], "B": []}
    lat: dict[str, list[dict[str, Any]]] = {"A": [], "B": []}
    saved = dict(os.environ)
    try:
        for r in range(rounds):
            for side in ("A", "B") if r % 2 == 0 else ("B", "A"):
                os.environ.clear()
                os.environ.update(saved | (b_env if side == "B" else {}))
                # the harness sets the fetch wait itself: take B's from --env
                wait = int(b_env.get("NEWSSTREAM_FETCH_MAX_WAIT_MS", 10)) if side == "B" else 10
                res = await pipeline.throughput(
                    broker.bootstrap, "ours", n, data / f"{side}{r}", wait_ms=wait,
                    broker_pid=pid, tree=tree if side == "B" else None,
                )  # fmt: skip
                got[side].append(res)
                say(f"round {r} {side}: {res['rate']:.0f}/s, {res['cpu_ms_per_article']:.2f} ms")
                if rate:
                    lat[side] += await pipeline.latency(
                        broker.bootstrap, [(rate, 6.0)], data / f"L{side}{r}", wait,
                        tree=tree if side == "B" else None,
                    )  # fmt: skip
    finally:
        os.environ.clear()
        os.environ.update(saved)
        broker.stop()
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(data, ignore_errors=True)
    for side, rows in got.items():
        speed = statistics.median(x["rate"] for x in rows)
        cpu = statistics.median(x["cpu_ms_per_article"] for x in rows)
        bcpu = statistics.median(x["broker_cpu_ms_per_article"] or 0 for x in rows)
        print(f"{side}: {speed:7.1f} articles/s  worker {cpu:.2f} CPU ms/article  "
              f"broker {bcpu:.2f} CPU ms/article  (median of {len(rows)})")  # fmt: skip
        if lat[side]:
            p50 = statistics.median(x["p50_ms"] for x in lat[side])
            p99 = statistics.median(x["p99_ms"] for x in lat[side])
            print(f"{side}: latency at {rate:.0f}/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms (median)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("patch", type=Path, nargs="?")
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for side B only")
    ap.add_argument("--latency", type=float, default=None, help="also latency at this rate/s")
    a = ap.parse_args()
    b_env = dict(kv.split("=", 1) for kv in a.env)
    asyncio.run(ab(a.patch, a.n, a.rounds, b_env, a.latency))


if __name__ == "__main__":
    main()
