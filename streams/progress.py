"""Progress of a long batch run on stderr: items done, rate, elapsed, redrawn in place.

Only when stderr is a terminal: a pipe or a file gets nothing, so logs and scripts
stay clean. Redraws are throttled (``interval``), so the per-item cost is one counter
increment and one clock read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO, TypeVar

T = TypeVar("T")

CLEAR = "\r\x1b[K"  # back to column 0, erase the line


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:04.1f}"
    return f"{minutes}:{secs:04.1f}"


def format_line(label: str, done: int, elapsed: float, unit: str = "items") -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    return f"{label}: {done:,} {unit}  {rate:,.0f}/s  {_elapsed(elapsed)}"


class Progress:
    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        unit: str = "items",
        interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool | None = None,
    ) -> None:
        self.label, self.unit, self.interval, self.clock = label, unit, interval, clock
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self.done = 0
        self.draws = 0
        self.started = clock()
        self._next = self.started + interval
        self._shown = False

    def tick(self, n: int = 1) -> None:
        self.done += n
        if self.enabled:
            now = self.clock()
            if now >= self._next:
                self._draw(now)

    def _draw(self, now: float) -> None:
        self._next = now + self.interval
        self.draws += 1
        self._shown = True
        line = format_line(self.label, self.done, now - self.started, self.unit)
        self.stream.write(CLEAR + line)
        self.stream.flush()

    def say(self, message: str) -> None:
        """A message on its own line, without mangling the progress line."""
        if self.enabled and self._shown:
            self.stream.write(CLEAR)
            self._shown = False
            self._next = self.clock()  # redraw at the next item
        self.stream.write(message + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, counting each; the final line is drawn when they run out."""
        if not self.enabled:
            for item in items:
                self.done += 1
                yield item
            return
        try:
            for item in items:
                yield item
                self.tick()
        finally:
            self.finish()
