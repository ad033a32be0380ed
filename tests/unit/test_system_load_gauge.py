"""The real load gauge: CPU time of the process, event-loop lag and the render queue."""

from __future__ import annotations

import asyncio
import threading
import time

from adapters.system.load_gauge import SystemLoadGauge


def test_a_blocked_event_loop_shows_as_lag_and_busy_threads_as_cpu() -> None:
    fill = [0.0]

    async def scenario() -> tuple[float, float, float, float]:
        gauge = SystemLoadGauge(lambda: fill[0], interval=0.05, smoothing=1, cpus=1)
        idle = gauge.reading()
        await asyncio.sleep(0.12)
        time.sleep(0.3)  # noqa: ASYNC251 - the loop stuck on purpose: a sample runs late
        await asyncio.sleep(0.01)  # the late sample runs, the one after it is not due yet
        lagging = gauge.reading()

        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                sum(range(1000))

        worker = threading.Thread(target=spin)
        worker.start()
        try:
            await asyncio.sleep(0.3)
            busy = gauge.reading()
        finally:
            stop.set()
            worker.join()
        fill[0] = 0.5
        queued = gauge.reading().queue_fill
        await gauge.close()
        return idle.loop_lag_ms, lagging.loop_lag_ms, busy.cpu, queued

    idle_lag, lag, cpu, queued = asyncio.run(scenario())

    assert idle_lag == 0.0
    assert 150 < lag < 1000  # the 300 ms stall, give or take a busy machine's scheduling
    # one core's worth of spinning, on a gauge told there is one core; the spinner shares the
    # GIL with the loop and the machine with other work, so well under 1.0, but far from idle
    assert cpu > 0.2
    assert queued == 0.5


def test_outside_a_loop_the_gauge_reports_what_it_knows() -> None:
    gauge = SystemLoadGauge(lambda: 0.25)

    reading = gauge.reading()

    assert (reading.cpu, reading.loop_lag_ms, reading.queue_fill) == (0.0, 0.0, 0.25)
