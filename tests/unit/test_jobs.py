"""Jobs through the container's embedded worker: Dramatiq's StubBroker and a Worker in this
process, in-memory adapters, the use cases the web node uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from adapters.memory.metrics import MemoryMetrics
from application.errors import NotAnImage, OriginUnavailable
from application.ports.health import HealthReport, HealthStatus
from application.serve_image import ImageQuery
from application.tiered_cache import TieredResultCache
from domain.jobs import Job, JobKind, JobState, Priority
from domain.result import CacheStatus
from domain.route import parse_image_path
from entrypoints.composition import Container, opened
from tests.fakes.processor import ScriptedImageProcessor
from tests.support.node import SharedStandIns, node

T = TypeVar("T")
URL = "/media_stream-image/media/acme/uploads/a.jpg/300/200/cover/center/FFFFFF/0/80.webp"
ORIGIN_PATH = "media/acme/uploads/a.jpg"
# a safety net for a broken worker, not a measure: every job here takes milliseconds
PATIENCE = 20.0


class World:
    def __init__(self, metrics: MemoryMetrics | None = None, **settings: object) -> None:
        self.origin = MemoryOriginFetcher({ORIGIN_PATH: b"\xff\xd8\xff jpeg"})
        self.processor = ScriptedImageProcessor()
        self.memory = MemoryResultCache(max_bytes=1 << 20, max_keys=100)
        values: dict[str, object] = {
            "ACCESS_INDEX_ENABLED": False,
            "JOBS_RETRY_MIN_BACKOFF": 10,
            "JOBS_RETRY_MAX_BACKOFF": 20,
        }
        values.update(settings)
        self.container: Container = node(
            origin=self.origin,
            processor=self.processor,
            result_cache=TieredResultCache([self.memory]),
            metrics=metrics,
            **values,
        )

    def run(self, scenario: Callable[[Container], Awaitable[T]]) -> T:
        async def within() -> T:
            async with opened(self.container):
                return await scenario(self.container)

        return asyncio.run(within())


def generate(path: str = URL) -> Job:
    return Job(JobKind.GENERATE, {"path": path}, Priority.PREGENERATE, "req-42")


async def ended(container: Container, ids: Sequence[str]) -> dict[str, JobState]:
    queue = container.jobs.queue()
    async with asyncio.timeout(PATIENCE):
        while True:
            states = dict(await queue.states(ids))
            if all(state is not JobState.PENDING for state in states.values()):
                return states
            await asyncio.sleep(0.01)


def test_a_generate_job_stores_the_variant_that_a_request_then_hits() -> None:
    world = World()

    async def scenario(container: Container) -> tuple[dict[str, JobState], CacheStatus]:
        job_id = await container.jobs.queue().enqueue(generate())
        states = await ended(container, [job_id])
        answer = await container.imaging.serve_image()(ImageQuery(parse_image_path(URL)))
        return states, answer.cache

    states, status = world.run(scenario)
    assert list(states.values()) == [JobState.DONE]
    assert status is CacheStatus.HIT_MEMORY
    assert world.origin.requests == [ORIGIN_PATH]
    assert len(world.processor.calls) == 1


def test_a_job_run_twice_transforms_once() -> None:
    world = World()

    async def scenario(container: Container) -> dict[str, JobState]:
        queue = container.jobs.queue()
        first = await queue.enqueue(generate())
        await ended(container, [first])
        second = await queue.enqueue(generate())
        return await ended(container, [first, second])

    assert set(world.run(scenario).values()) == {JobState.DONE}
    assert len(world.processor.calls) == 1


def test_a_bad_image_is_dead_lettered_without_retries() -> None:
    world = World()
    world.origin.put(ORIGIN_PATH, b"NOT-IMAGE")
    world.processor.failures[b"NOT-IMAGE"] = NotAnImage("no image")

    async def scenario(container: Container) -> tuple[dict[str, JobState], int]:
        job_id = await container.jobs.queue().enqueue(generate())
        states = await ended(container, [job_id])
        stats = await container.jobs.queue().stats()
        return states, sum(queue.dead for queue in stats)

    states, dead = world.run(scenario)
    assert list(states.values()) == [JobState.FAILED]
    assert dead == 1
    assert world.origin.requests == [ORIGIN_PATH]  # asked once: not retried


def test_an_unavailable_origin_is_retried_then_dead_lettered_and_retry_dead_finishes_it() -> None:
    world = World(JOBS_MAX_RETRIES=2)
    world.origin.fail_with(ORIGIN_PATH, OriginUnavailable("connection refused"))

    async def scenario(container: Container) -> tuple[JobState, int, JobState, CacheStatus]:
        queue = container.jobs.queue()
        job_id = await queue.enqueue(generate())
        failed = (await ended(container, [job_id]))[job_id]
        asked = len(world.origin.requests)
        world.origin.put(ORIGIN_PATH, b"\xff\xd8\xff jpeg")
        assert await queue.retry_dead() == 1
        done = (await ended(container, [job_id]))[job_id]
        answer = await container.imaging.serve_image()(ImageQuery(parse_image_path(URL)))
        return failed, asked, done, answer.cache

    failed, asked, done, status = world.run(scenario)
    assert failed is JobState.FAILED
    assert asked == 3  # the first attempt and two retries
    assert done is JobState.DONE
    assert status is CacheStatus.HIT_MEMORY


def test_a_job_that_cannot_run_as_written_is_refused_at_once() -> None:
    world = World()

    async def scenario(container: Container) -> dict[str, JobState]:
        queue = container.jobs.queue()
        ids = [
            await queue.enqueue(generate("/not/an/image/url")),
            await queue.enqueue(Job(JobKind.FLUSH_TENANT, {}, Priority.MAINTENANCE)),
            await queue.enqueue(Job(JobKind.CLEANUP)),  # no access index here
        ]
        return await ended(container, ids)

    assert set(world.run(scenario).values()) == {JobState.FAILED}
    assert world.origin.requests == []


def test_maintenance_jobs_run_their_use_cases() -> None:
    world = World()

    async def scenario(container: Container) -> tuple[dict[str, JobState], int]:
        await container.imaging.serve_image()(ImageQuery(parse_image_path(URL)))
        queue = container.jobs.queue()
        ids = [
            await queue.enqueue(Job(JobKind.WARM)),
            await queue.enqueue(Job(JobKind.FLUSH_TENANT, {"tenant": "acme"})),
        ]
        states = await ended(container, ids)
        return states, world.memory.stats().entries

    states, left = world.run(scenario)
    assert set(states.values()) == {JobState.DONE}
    assert left == 0  # the flush job emptied the tenant's results


def test_of_two_nodes_sharing_leases_one_runs_a_schedule_until_it_lets_go() -> None:
    shared = SharedStandIns()
    first = node(shared=shared, ACCESS_INDEX_ENABLED=False).jobs.warming_schedule()
    second = node(shared=shared, ACCESS_INDEX_ENABLED=False).jobs.warming_schedule()

    async def scenario() -> list[bool]:
        held = [await first.held(), await second.held(), await first.held()]
        await first.release()
        return [*held, await second.held(), await first.held()]

    assert asyncio.run(scenario()) == [True, False, True, True, False]


def test_the_queue_indicator_warns_of_dead_letters_and_sets_the_gauges() -> None:
    metrics = MemoryMetrics()
    world = World(metrics=metrics)
    world.origin.put(ORIGIN_PATH, b"NOT-IMAGE")
    world.processor.failures[b"NOT-IMAGE"] = NotAnImage("no image")

    async def scenario(container: Container) -> tuple[HealthReport, HealthReport]:
        before = await container.jobs.indicator().check()
        await ended(container, [await container.jobs.queue().enqueue(generate())])
        return before, await container.jobs.indicator().check()

    before, after = world.run(scenario)
    assert before.status is HealthStatus.UP
    assert after.status is HealthStatus.WARN
    assert after.details["pregenerateDead"] == 1
    assert metrics.value("mediastream_job_dead_letters", queue="pregenerate") == 1
    assert metrics.value("mediastream_jobs_total", queue="pregenerate", outcome="dead") == 1
