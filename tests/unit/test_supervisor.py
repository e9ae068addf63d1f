from __future__ import annotations

import sys
import time

import pytest

from streams.supervisor import MAX_BACKOFF, ChildSpec, Supervisor, backoff


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 1), (1, 1), (2, 2), (3, 4), (5, 16), (6, MAX_BACKOFF), (50, MAX_BACKOFF)],
)
def test_backoff_doubles_and_caps(failures: int, delay: float) -> None:
    assert backoff(failures) == delay


def test_crashed_child_is_restarted_and_stop_kills_stubborn_ones(tmp_path) -> None:
    marker = tmp_path / "starts"
    crash = ChildSpec(
        "crasher",
        [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('x'); raise SystemExit(3)"],
    )
    stubborn = ChildSpec(
        "stubborn",
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)",
        ],
    )
    sup = Supervisor([crash, stubborn], {})
    sup.start()
    deadline = time.monotonic() + 10
    while marker.exists() is False or len(marker.read_text()) < 2:
        sup.tick()
        assert time.monotonic() < deadline, "crashed child was not restarted"
        time.sleep(0.05)
    assert sup.children[0].restarts >= 1
    t0 = time.monotonic()
    sup.stop(timeout=1.0)
    assert time.monotonic() - t0 < 3
    assert all(c.proc is None or c.proc.poll() is not None for c in sup.children)
