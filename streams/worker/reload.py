"""The taxonomy, reloaded while the worker runs: users edit config/taxonomy.yaml (add a
category, a pattern) and the next articles use it, without a restart. A broken edit is
logged with file, key and reason, and the previous taxonomy stays in force."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from streams.errors import ConfigError
from streams.logs import get_logger

log = get_logger("worker.taxonomy")

CHECK_EVERY_S = 2.0


class ReloadingAnalyzer:
    def __init__(self, path: Path | None, check_every: float = CHECK_EVERY_S) -> None:
        from streams.understand import Analyzer

        self.path = path
        self.check_every = check_every
        self.analyzer: Any = Analyzer.from_file(path) if path else Analyzer.default()
        self._mtime = self._stat()
        self._checked = time.monotonic()

    def _stat(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path else None
        except OSError:
            return None

    def category_names(self) -> set[str]:
        return {c.name for c in self.analyzer.taxonomy.categories}

    def current(self) -> Any:
        """The analyzer to use now; looks at the file at most every ``check_every`` s."""
        now = time.monotonic()
        if self.path is None or now - self._checked < self.check_every:
            return self.analyzer
        self._checked = now
        mtime = self._stat()
        if mtime is None or mtime == self._mtime:
            return self.analyzer
        self._mtime = mtime
        from streams.understand import Analyzer

        try:
            self.analyzer = Analyzer.from_file(self.path)
        except ConfigError as exc:
            log.error("taxonomy not reloaded, keeping the previous one", extra={"error": str(exc)})
        else:
            log.info(
                "taxonomy reloaded",
                extra={"file": str(self.path), "categories": sorted(self.category_names())},
            )
        return self.analyzer
