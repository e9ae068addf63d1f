"""``newsstream run``: the process tree.

Each service runs as its own child process (``newsstream <service>``), in its own
session so a Ctrl-C reaches only us and we stop the children in order. Every child
asks the kernel to SIGKILL it when we die (PR_SET_PDEATHSIG), so even a SIGKILLed
supervisor leaves no process behind. A child that crashes is restarted with
exponential backoff (1 s, 2 s, 4 s … 30 s; reset after a minute of good health).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from streams.broker import die_with_parent
from streams.logs import get_logger

log = get_logger("supervisor")

HEALTHY_AFTER = 60.0
MAX_BACKOFF = 30.0


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    restart: bool = True
    # The embedded broker's hooks: when it dies, everything that held state in it stops
    # (so nothing writes to the new, empty broker before its topics exist); once it is
    # back, the topics are recreated and the services start again.
    on_exit: Callable[[], None] | None = None
    after_restart: Callable[[], None] | None = None


@dataclass
class Child:
    spec: ChildSpec
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    restarts: int = 0
    failures: int = 0  # consecutive crashes, for the backoff
    restart_at: float | None = None
    held: bool = False  # stopped on purpose while the broker is away


def backoff(failures: int) -> float:
    """Seconds to wait before restarting a child that crashed ``failures`` times in a row."""
    return float(min(MAX_BACKOFF, 2 ** max(0, failures - 1)))


def newsstream_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "streams", *args]


class Supervisor:
    def __init__(self, specs: Sequence[ChildSpec], base_env: dict[str, str]) -> None:
        self.children = [Child(s) for s in specs]
        self.base_env = base_env
        self._stopping = False

    def _spawn(self, child: Child) -> None:
        env = dict(self.base_env, **child.spec.env)
        child.proc = subprocess.Popen(
            child.spec.argv,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        child.started = time.monotonic()
        child.restart_at = None
        log.info("started", extra={"service": child.spec.name, "pid": child.proc.pid})

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self.children if c.proc is not None]

    def tick(self) -> None:
        """One pass of the watch loop: notice crashes, restart when their backoff is over."""
        now = time.monotonic()
        for child in self.children:
            proc = child.proc
            if proc is not None and proc.poll() is not None:
                code = proc.returncode
                child.proc = None
                if self._stopping or child.held:
                    continue
                ran = now - child.started
                child.failures = 1 if ran > HEALTHY_AFTER else child.failures + 1
                if child.spec.on_exit is not None:
                    child.spec.on_exit()
                if not child.spec.restart:
                    log.warning("exited", extra={"service": child.spec.name, "code": code})
                    continue
                delay = backoff(child.failures)
                child.restart_at = now + delay
                log.warning(
                    "crashed; restarting",
                    extra={"service": child.spec.name, "code": code, "restart_in_s": delay},
                )
            elif child.proc is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
                if child.spec.after_restart is not None:
                    child.spec.after_restart()

    def stop_others(self, keep: Child, timeout: float = 8.0) -> None:
        """Stop every child but ``keep``; they stay down until ``start_others``."""
        others = [c for c in self.children if c is not keep]
        _terminate([c.proc for c in others if c.proc is not None], timeout)
        for child in others:
            child.proc, child.restart_at, child.held = None, None, True

    def start_others(self, keep: Child) -> None:
        for child in self.children:
            if child is not keep and child.proc is None:
                child.held = False
                child.restarts += 1
                self._spawn(child)

    def run(self, until: Callable[[], bool]) -> None:
        while not until():
            self.tick()
            time.sleep(0.2)

    def stop(self, timeout: float = 8.0) -> None:
        """SIGTERM every child (last started first), SIGKILL what is left after ``timeout``."""
        self._stopping = True
        _terminate([c.proc for c in reversed(self.children) if c.proc is not None], timeout)


def _terminate(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM the live ones, wait up to ``timeout`` in all, SIGKILL the stragglers."""
    live = [p for p in procs if p.poll() is None]
    for proc in live:
        _signal(proc, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in live:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("did not stop in time; killing", extra={"pid": proc.pid})
            _signal(proc, signal.SIGKILL)
            proc.wait()


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    # the child leads its own process group: signal the group so its helpers go too
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
