"""One error root. Each error says whether retrying can help (``retriable``);
``RetryLater`` carries the delay a peer asked for (Retry-After). Retry code asks
the error instead of listing types."""

from __future__ import annotations


class NewsstreamError(Exception):
    """Root of every error we raise on purpose."""

    retriable: bool = False


class ConfigError(NewsstreamError):
    """A setting or config file is wrong. Printed as ``file: key: reason``, never a traceback."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}" if key else f"{file}: {reason}")


class InputError(NewsstreamError):
    """Bad input (a feed, a message, a line): reported, skipped, never fatal for the rest."""


class RetryLater(NewsstreamError):
    """A peer asked us to come back later (429/503 with Retry-After, back-pressure)."""

    retriable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(NewsstreamError):
    """A failure that may go away by itself: timeout, 5xx, connection refused."""

    retriable = True


class PermanentError(NewsstreamError):
    """A failure retrying cannot fix: 4xx other than 429, invalid payload, 410 Gone."""
