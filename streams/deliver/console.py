"""The console destination: readable blocks on stdout. What a newcomer sees in the demo."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from streams.alerts.console import render_console, render_console_digest
from streams.events import Alert


class ConsoleSender:
    kind = "console"

    def __init__(self, stream: TextIO | None = None, color: bool | None = None) -> None:
        self._stream = stream
        self._color = color

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def _use_color(self) -> bool:
        if self._color is not None:
            return self._color
        return bool(getattr(self.stream, "isatty", lambda: False)())

    def skip_reason(self, alert: Alert) -> str | None:
        return None

    async def send(self, alert: Alert) -> str:
        self.stream.write(render_console(alert, color=self._use_color()) + "\n\n")
        self.stream.flush()
        return ""

    async def send_digest(self, alerts: Sequence[Alert], reason: str) -> str:
        self.stream.write(render_console_digest(alerts, reason, color=self._use_color()) + "\n\n")
        self.stream.flush()
        return ""

    async def close(self) -> None:
        return None
