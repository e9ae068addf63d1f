"""SeekGuard keeps a seek in force against faust's fetch loop (streams/worker/transport.py).

The race it closes, in faust's own terms: the fetch loop hands a record to the streams,
a rebalance clears the stream buffers and seeks to the committed offset, then the loop
stores the old record's offset as read and drops every record fetched again below it.
Here the fetch loop is modelled by the few lines of faust's ``_drain_messages`` that
matter: drop below the read offset, hand over, store the offset as read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from streams.worker.transport import SeekGuard

TP = "articles-0"


async def fetch(offsets: list[int]) -> AsyncGenerator[tuple[str, int], None]:
    for offset in offsets:
        yield TP, offset


async def drain(
    records: AsyncIterator[tuple[str, int]],
    read_offset: dict[str, int | None],
    handed: list[int],
    during: Callable[[int], Any] | None = None,
) -> None:
    async for tp, offset in records:
        r = read_offset.get(tp)
        if r is None or offset >= r:
            handed.append(offset)
            if during is not None:
                await during(offset)  # the hand-over is where a rebalance can strike
            read_offset[tp] = offset


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_seek_during_a_hand_over_is_not_undone() -> None:
    read_offset: dict[str, int | None] = {}
    guard = SeekGuard(read_offset)
    handed: list[int] = []

    async def rebalance_at(offset: int) -> None:
        if offset == 180:  # faust: clear the buffers (175..180 lost), seek to committed
            del handed[handed.index(175) :]
            read_offset[TP] = 175
            guard.sought([TP])

    async def main() -> None:
        await drain(guard.records(fetch(list(range(170, 190)))), read_offset, handed, rebalance_at)
        # the fetch after the seek starts again at the committed offset
        await drain(guard.records(fetch(list(range(175, 195)))), read_offset, handed)

    run(main())
    assert handed == list(range(170, 195))  # 175..180 handed over again, nothing skipped


def test_without_the_guard_the_same_race_loses_records() -> None:
    """The model above reproduces the loss when the guard is left out."""
    read_offset: dict[str, int | None] = {}
    handed: list[int] = []

    async def rebalance_at(offset: int) -> None:
        if offset == 180:
            del handed[handed.index(175) :]
            read_offset[TP] = 175

    async def main() -> None:
        await drain(fetch(list(range(170, 190))), read_offset, handed, rebalance_at)
        await drain(fetch(list(range(175, 195))), read_offset, handed)

    run(main())
    # 175..180 were cleared and, fetched again, dropped as already read: never processed
    assert handed == [*range(170, 175), *range(181, 190), *range(189, 195)]
    assert not set(range(175, 181)) & set(handed)


def test_records_fetched_before_a_seek_of_their_partition_are_not_handed_over() -> None:
    read_offset: dict[str, int | None] = {}
    guard = SeekGuard(read_offset)
    handed: list[int] = []
    other = "articles-1"

    async def fetched() -> AsyncGenerator[tuple[str, int], None]:
        yield TP, 10
        read_offset[TP] = 5  # a seek while this fetch's records are being handed over
        guard.sought([TP])
        yield other, 3  # another partition: not sought, still handed over
        yield TP, 11  # fetched at the old position: dropped, read again from 5

    async def main() -> list[tuple[str, int]]:
        return [r async for r in guard.records(fetched())]

    got = run(main())
    assert got == [(TP, 10), (other, 3)]
    assert guard.pending == {TP: 5}  # reset when the first record after the seek comes
    run(drain(guard.records(fetch([5, 6])), read_offset, handed))
    assert handed == [5, 6] and guard.pending == {}


def test_a_fetch_is_closed_when_its_reader_stops_early() -> None:
    guard = SeekGuard({})
    closed: list[bool] = []

    async def fetched() -> AsyncGenerator[tuple[str, int], None]:
        try:
            for offset in range(100):
                yield TP, offset
        finally:
            closed.append(True)

    async def main() -> None:
        records = guard.records(fetched())
        async for _tp, offset in records:
            if offset == 2:
                break
        await records.aclose()

    run(main())
    assert closed == [True]
