"""Batch commands show progress on a terminal and stay silent in a pipe."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from streams.progress import CLEAR

SIZES = {"classify": 3000, "cluster": 500}  # cluster is slower per item


def articles(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "articles.jsonl"
    rows = [
        {
            "title": f"Drones strike fuel depot number {i} overnight, governor says",
            "summary": f"Officials said {i % 7} people were hurt when a depot near a border "
            "town caught fire after the attack.",
            "url": f"https://wire.example/{i}",
            "source": "wire",
        }
        for i in range(n)
    ]
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows) + b"not json\n")
    return path


def run(command: str, stdin: Path, stderr: int) -> tuple[subprocess.Popen[bytes], float]:
    started = time.monotonic()
    with open(stdin, "rb") as fin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams", command],
            stdin=fin,
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
    return proc, started


@pytest.mark.parametrize("command", ["classify", "cluster"])
def test_progress_on_a_terminal(command: str, tmp_path: Path) -> None:
    n = SIZES[command]
    master, slave = pty.openpty()
    proc, started = run(command, articles(tmp_path, n), slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    elapsed = time.monotonic() - started
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0
    assert len(out.splitlines()) == n
    text = seen.decode().replace("\r\n", "\n")
    draws = text.count(CLEAR)
    assert 1 <= draws <= elapsed * 4 + 3, f"{draws} redraws in {elapsed:.1f}s"
    assert f"{command}: {n:,} articles" in text.splitlines()[-1]
    assert "/s" in text.splitlines()[-1]
    # the bad line is reported on a line of its own, not glued to the progress line
    assert f"\n{command}: line {n + 1}: not JSON" in "\n" + text.replace(CLEAR, "\n")


@pytest.mark.parametrize("command", ["classify", "cluster"])
def test_no_progress_in_a_pipe(command: str, tmp_path: Path) -> None:
    n = SIZES[command]
    proc, _ = run(command, articles(tmp_path, n), subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0 and len(out.splitlines()) == n
    (line,) = err.decode().splitlines()  # only the bad line's report: no progress
    assert line.startswith(f"{command}: line {n + 1}: not JSON") and line.endswith("skipped")
