"""SharedFlight on in-memory leases: who works, who waits, and for how long."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from adapters.memory import MemoryWorkLeases, SystemClock
from application.shared_flight import SharedFlight


class Board:
    """A shared outcome store and a log of who worked."""

    def __init__(self) -> None:
        self.outcome: str | None = None
        self.workers: list[str] = []

    async def settled(self) -> str | None:
        return self.outcome

    def work(self, who: str, seconds: float = 0.0) -> Callable[[], Awaitable[str]]:
        async def run() -> str:
            self.workers.append(who)
            await asyncio.sleep(seconds)
            self.outcome = f"made by {who}"
            return self.outcome

        return run


def test_one_caller_works_and_the_others_take_its_outcome() -> None:
    flight: SharedFlight[str] = SharedFlight(
        MemoryWorkLeases(SystemClock()), lease_seconds=1, max_wait=5
    )
    board = Board()

    async def together() -> list[str]:
        return await asyncio.gather(
            *(flight.run("k", board.settled, board.work(f"n{i}", 0.05)) for i in range(5))
        )

    assert asyncio.run(together()) == ["made by n0"] * 5
    assert board.workers == ["n0"]


def test_a_caller_that_waited_too_long_works_alone() -> None:
    leases = MemoryWorkLeases(SystemClock())
    flight: SharedFlight[str] = SharedFlight(leases, lease_seconds=5, max_wait=0.1)
    board = Board()

    async def story() -> tuple[str, float]:
        await leases.acquire("k", 60)  # a holder that never finishes
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcome = await flight.run("k", board.settled, board.work("impatient"))
        return outcome, loop.time() - started

    outcome, waited = asyncio.run(story())
    assert outcome == "made by impatient"
    assert 0.1 <= waited < 0.5


def test_the_lease_is_released_when_the_work_fails() -> None:
    leases = MemoryWorkLeases(SystemClock())
    flight: SharedFlight[str] = SharedFlight(leases, lease_seconds=5, max_wait=5)

    async def broken() -> str:
        raise RuntimeError("boom")

    async def story() -> bool:
        with pytest.raises(RuntimeError):
            await flight.run("k", Board().settled, broken)
        return await leases.is_held("k")

    assert asyncio.run(story()) is False


def test_a_lease_must_have_a_lifetime() -> None:
    with pytest.raises(ValueError):
        SharedFlight(MemoryWorkLeases(SystemClock()), lease_seconds=0, max_wait=1)
