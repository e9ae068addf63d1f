"""Shared fixtures: one real embedded broker per test session (Tansu, memory-only)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator

import pytest

from streams.broker import EmbeddedBroker

_counter = itertools.count()


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """A real Kafka-protocol broker on loopback for the whole test run.

    Set NEWSSTREAM_TEST_BOOTSTRAP to run the integration tests against an existing
    Kafka instead.
    """
    external = os.environ.get("NEWSSTREAM_TEST_BOOTSTRAP")
    if external:
        host, _, port = external.rpartition(":")
        b = EmbeddedBroker(host, int(port))
        yield b
        return
    b = EmbeddedBroker()
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def topic_prefix() -> str:
    """A fresh topic prefix per test, so tests sharing the broker never see each other."""
    return f"t{os.getpid()}-{next(_counter)}."
