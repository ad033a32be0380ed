"""The render gate: a bounded queue in front of the processor, and a time budget per render."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from application.errors import DecodeFailed, Overloaded, ProcessingTimeout
from application.ports.image_processor import Rendition
from application.render_gate import RenderGate
from domain.formats import OutputFormat
from domain.transform import Background, Box, Fit, Position, TransformSpec
from tests.fakes.held_processor import FAIL, HeldImageProcessor

SPEC = TransformSpec(
    Box(10, 10), Fit.COVER, Position.CENTER, Background.parse("FFF"), 0, 80, OutputFormat.PNG
)


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_renders_beyond_the_workers_wait_and_beyond_the_queue_are_refused_at_once() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=2, queue_max=1, budget=5)
        renders = [asyncio.create_task(gate.render(b"%d" % n, SPEC)) for n in range(3)]
        await settle()

        assert (held.started, gate.running, gate.waiting) == (2, 2, 1)
        with pytest.raises(Overloaded) as refused:
            await gate.render(b"too many", SPEC)
        assert refused.value.retry_after == 1
        assert gate.queue_fill() == 1.0

        held.finish_all()
        await settle()
        held.finish_all()
        results = await asyncio.gather(*renders)
        assert [result.data for result in results] == [b"0", b"1", b"2"]
        assert (gate.running, gate.waiting, held.started) == (0, 0, 3)

    run(scenario)


def test_a_freed_slot_goes_to_the_longest_waiter() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=3, budget=5)
        order: list[bytes] = []

        async def render(name: bytes) -> None:
            order.append((await gate.render(name, SPEC)).data)

        tasks = []
        for name in (b"first", b"second", b"third"):
            tasks.append(asyncio.create_task(render(name)))
            await settle()
        for _ in range(3):
            held.finish()
            await settle()
        await asyncio.gather(*tasks)

        assert order == [b"first", b"second", b"third"]

    run(scenario)


def test_a_slow_render_times_out_but_keeps_its_slot_until_it_really_ends() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=0, budget=0.05)

        with pytest.raises(ProcessingTimeout):
            await gate.render(b"slow", SPEC)
        # the work goes on (a thread cannot be stopped): no second render may start yet
        assert gate.running == 1
        with pytest.raises(Overloaded):
            await gate.render(b"next", SPEC)

        held.finish()
        await settle()
        assert gate.running == 0
        next_render = asyncio.create_task(gate.render(b"next", SPEC))
        await settle()
        held.finish()
        assert (await next_render).data == b"next"

    run(scenario)


def test_waiting_longer_than_the_budget_is_refused_as_overloaded() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=5, budget=0.05)
        first = asyncio.create_task(gate.render(b"first", SPEC))
        await settle()

        with pytest.raises(Overloaded, match="no render slot"):
            await gate.render(b"waits", SPEC)
        assert gate.waiting == 0

        held.finish()
        with pytest.raises(ProcessingTimeout):
            await first

    run(scenario)


def test_a_cancelled_waiter_leaves_no_slot_behind() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=2, budget=5)
        first = asyncio.create_task(gate.render(b"first", SPEC))
        await settle()
        waiter = asyncio.create_task(gate.render(b"gone", SPEC))
        await settle()

        waiter.cancel()
        await settle()
        held.finish()
        await first

        assert (gate.running, gate.waiting, held.started) == (0, 0, 1)

    run(scenario)


def test_a_cancelled_request_lets_its_render_finish_and_free_the_slot() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=0, budget=5)
        request = asyncio.create_task(gate.render(b"client left", SPEC))
        await settle()

        request.cancel()
        await settle()
        assert gate.running == 1  # still rendering
        held.finish()
        await settle()

        assert gate.running == 0
        assert held.finished == 1

    run(scenario)


def test_processing_errors_pass_through_and_free_the_slot() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=0, budget=5)
        failing = asyncio.create_task(gate.render(FAIL, SPEC))
        await settle()
        held.finish()

        with pytest.raises(DecodeFailed):
            await failing
        assert gate.running == 0

    run(scenario)


def test_without_a_queue_fill_is_all_or_nothing() -> None:
    async def scenario() -> None:
        held = HeldImageProcessor()
        gate = RenderGate(held, workers=1, queue_max=0, budget=5)
        assert gate.queue_fill() == 0.0
        busy = asyncio.create_task(gate.render(b"x", SPEC))
        await settle()
        assert gate.queue_fill() == 1.0
        held.finish()
        assert await busy == Rendition(b"x", OutputFormat.PNG)

    run(scenario)


def test_a_gate_needs_sane_sizes() -> None:
    with pytest.raises(ValueError, match="workers"):
        RenderGate(HeldImageProcessor(), workers=0, queue_max=1, budget=1)
