"""Stream positions: what a client has seen, as one opaque id.

An SSE event id is the client's whole read position across partitions:
``v1:<partition>-<next offset>.<partition>-<next offset>...``. A partition left out
means "from the start of the log" (offset 0, or the oldest kept). Because the id
holds every partition, a client that resumes with it misses nothing on any partition,
whichever partition its last event came from.

Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from streams.gateway.filters import FilterError

PREFIX = "v1:"
MAX_PARTITIONS = 4096
MAX_OFFSET = 2**63 - 1
_ENTRY = re.compile(r"^(\d{1,5})-(\d{1,19})$")

Position = dict[int, int]


def encode_position(position: Mapping[int, int]) -> str:
    # Zero entries are left out: they mean the same as a missing one, and ids stay short.
    return PREFIX + ".".join(f"{p}-{o}" for p, o in sorted(position.items()) if o > 0)


def decode_position(text: str, param: str = "Last-Event-ID") -> Position:
    """Parse an id made by ``encode_position``; raise FilterError naming ``param``."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise FilterError(param, f"not a stream position (expected {PREFIX}...)")
    body = text[len(PREFIX) :]
    position: Position = {}
    if not body:
        return position
    entries = body.split(".")
    if len(entries) > MAX_PARTITIONS:
        raise FilterError(param, f"more than {MAX_PARTITIONS} partitions")
    for entry in entries:
        m = _ENTRY.match(entry)
        if not m:
            raise FilterError(param, f"bad entry {entry[:40]!r} (expected partition-offset)")
        partition, offset = int(m.group(1)), int(m.group(2))
        if offset > MAX_OFFSET:
            raise FilterError(param, f"offset {offset} out of range")
        if partition in position:
            raise FilterError(param, f"partition {partition} given twice")
        position[partition] = offset
    return position
