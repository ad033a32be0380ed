"""Several nodes acting as one cache, simulated with in-memory adapters in one process.

Each `Node` has its own memory tier and disk stand-in; the nodes share what Redis would hold:
a result layer answering HIT-REDIS, the work leases, the negative cache, the access counts and
the flush broadcast. One `MemoryOriginFetcher` records every fetch of every node.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

import pytest

from adapters.memory import MemoryOriginFetcher, MemoryResultCache
from application.errors import OriginNotFound, OriginUnavailable
from application.flush_tenant import TenantFlush
from application.serve_image import ImageAnswer, ImageQuery
from domain.errors import InvalidRequest
from domain.negotiation import AcceptedFormats
from domain.request import ResultKey
from domain.result import CacheLayer, CacheStatus, FallbackReason
from domain.route import parse_image_path
from tests.fakes.processor import ScriptedImageProcessor
from tests.support.node import SharedStandIns, node, opened

T = TypeVar("T")
URL = "/media_stream-image/media/acme/uploads/{name}/300/200/cover/center/FFFFFF/0/80.webp"
ORIGINAL = b"\xff\xd8\xff original jpeg"
NEGATIVE_TTL = 300.0


def run(coroutine: Coroutine[object, object, T]) -> T:
    return asyncio.run(coroutine)


class Shared(SharedStandIns):
    """What the nodes share: the stand-ins for Redis, and the origin."""

    def __init__(self, *, delay: float = 0.0, lease_seconds: float = 5.0) -> None:
        super().__init__()
        self.origin = MemoryOriginFetcher(
            {f"media/acme/uploads/{name}": ORIGINAL for name in ("a.jpg", "b.jpg", "c.jpg")},
            delay=delay,
        )
        self.lease_seconds = lease_seconds


class Node:
    """One media-stream node built by the container (`tests.support.node`) over the shared
    stand-ins; its disk tier is a memory stand-in too."""

    def __init__(
        self, shared: Shared, *, disk: MemoryResultCache | None = None, redis: bool = True
    ) -> None:
        self.shared = shared
        self.processor = ScriptedImageProcessor()
        container = node(
            origin=shared.origin,
            processor=self.processor,
            clock=shared.clock,
            fallback=b"PLACEHOLDER",
            shared=shared if redis else None,
            CACHE_IMAGE_NEGATIVE_TTL=NEGATIVE_TTL,
            CACHE_LEASE_TTL=round(shared.lease_seconds * 1000),
            CACHE_WARMING_TOP_N=2,
        )
        if not redis:  # one node alone keeps its own leases, misses, counts and broadcast
            container.shared.work_leases.override(shared.leases)
            container.shared.access_counter.override(shared.access)
            container.shared.flush_broadcast.override(shared.broadcast)
        self.memory = container.imaging.memory_cache()
        self.disk = disk or MemoryResultCache(
            max_bytes=1 << 20, max_keys=100, layer=CacheLayer.DISK
        )
        container.imaging.disk_cache.override(self.disk)
        imaging = container.imaging
        opened(container, imaging.serve_image, imaging.flush_tenant, imaging.warm_cache)
        self.cache = imaging.result_cache()
        self.local_missing = imaging.memory_negative_cache()
        self.missing = imaging.negative_cache()
        self.serve = imaging.serve_image()
        self.flush = imaging.flush_tenant()
        self.forget = imaging.forget_flushed_tenants()
        self.warm = imaging.warm_cache()

    async def start(self) -> None:
        await self.shared.broadcast.listen(self.forget)

    async def ask(self, name: str = "a.jpg") -> ImageAnswer:
        return await self.serve(ImageQuery(request=parse_image_path(URL.format(name=name))))


def statuses(answers: list[ImageAnswer]) -> list[str]:
    return [answer.cache.value for answer in answers]


def test_a_second_node_answers_from_the_shared_layer_and_then_from_its_memory() -> None:
    shared = Shared()
    one, two = Node(shared), Node(shared)

    async def story() -> list[ImageAnswer]:
        first, second = await one.ask(), await two.ask()
        await two.cache.drain()  # the copy into two's memory is made in the background
        return [first, second, await two.ask(), await one.ask()]

    answers = run(story())
    assert statuses(answers) == ["MISS", "HIT-REDIS", "HIT-MEMORY", "HIT-MEMORY"]
    assert {answer.result.etag for answer in answers} == {answers[0].result.etag}
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]
    assert len(two.processor.calls) == 0


def test_concurrent_misses_on_several_nodes_fetch_and_transform_once() -> None:
    shared = Shared(delay=0.05)
    nodes = [Node(shared) for _ in range(3)]

    async def burst() -> list[ImageAnswer]:
        return await asyncio.gather(*(nodes[i % 3].ask() for i in range(30)))

    answers = run(burst())
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]
    assert sum(len(node.processor.calls) for node in nodes) == 1
    assert len({answer.result.etag for answer in answers}) == 1
    assert set(statuses(answers)) == {"MISS", "HIT-REDIS"}
    assert {answer.fallback for answer in answers} == {None}


def test_a_leader_that_dies_leaves_the_work_to_a_follower_once_its_lease_expires() -> None:
    shared = Shared(lease_seconds=0.2)
    node = Node(shared)
    result_name = str(result_key("a.jpg"))

    async def story() -> tuple[ImageAnswer, float]:
        # A node that took the lease and died: nobody renews or releases it.
        assert await shared.leases.acquire(result_name, 0.2) is not None
        started = asyncio.get_running_loop().time()
        answer = await node.ask()
        return answer, asyncio.get_running_loop().time() - started

    answer, waited = run(story())
    assert answer.cache is CacheStatus.MISS
    assert answer.fallback is None
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]
    assert 0.15 < waited < 1.0


def test_a_leader_that_works_longer_than_its_lease_keeps_it_by_renewing() -> None:
    shared = Shared(delay=0.4, lease_seconds=0.15)
    one, two = Node(shared), Node(shared)

    async def story() -> list[ImageAnswer]:
        first = asyncio.create_task(one.ask())
        await asyncio.sleep(0.05)
        return [await two.ask(), await first]

    answers = run(story())
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]
    assert statuses(answers) == ["HIT-REDIS", "MISS"]


def test_a_failed_leader_hands_over_and_a_follower_tries_the_origin_itself() -> None:
    shared = Shared(delay=0.05)
    shared.origin.fail_with("media/acme/uploads/a.jpg", OriginUnavailable("503"))
    one, two = Node(shared), Node(shared)

    async def burst() -> list[ImageAnswer]:
        return await asyncio.gather(one.ask(), two.ask())

    answers = run(burst())
    assert {answer.fallback for answer in answers} == {FallbackReason.ORIGIN_UNAVAILABLE}
    assert len(shared.origin.requests) == 2  # 5xx is not remembered: one try per node


def test_an_origin_404_seen_by_one_node_is_not_asked_again_by_another() -> None:
    shared = Shared(delay=0.05)
    shared.origin.fail_with("media/acme/uploads/a.jpg", OriginNotFound("404"))
    one, two = Node(shared), Node(shared)

    async def story() -> list[ImageAnswer]:
        together = await asyncio.gather(one.ask(), two.ask())
        return [*together, await two.ask(), await one.ask()]

    answers = run(story())
    assert {answer.fallback for answer in answers} == {FallbackReason.ORIGIN_NOT_FOUND}
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]
    assert run(two.local_missing.remaining(parse_image_path(URL.format(name="a.jpg")).source))


def test_a_flush_on_one_node_empties_every_layer_of_every_node() -> None:
    shared = Shared()
    one, two = Node(shared), Node(shared)

    async def story() -> tuple[ImageAnswer, ImageAnswer, object]:
        await one.start()
        await two.start()
        await one.ask("a.jpg")
        await two.ask("a.jpg")  # now in two's memory too
        await one.ask("b.jpg")
        flush = await one.flush("acme")
        return await two.ask("a.jpg"), await one.ask("b.jpg"), flush

    after_two, after_one, flush = run(story())
    assert after_two.cache is CacheStatus.MISS
    assert after_one.cache is CacheStatus.MISS
    assert flush == flush_of(memory=2, redis=2, disk=2, nodes=2)
    assert shared.broadcast.announced == ["acme"]
    assert two.memory.stats().entries == 1  # only what was asked after the flush
    assert len(shared.origin.requests) == 4


def test_a_flush_forgets_missing_originals_so_a_new_upload_shows_at_once() -> None:
    shared = Shared()
    shared.origin.fail_with("media/acme/uploads/c.jpg", OriginNotFound("not yet"))
    one, two = Node(shared), Node(shared)

    async def story() -> list[ImageAnswer]:
        await one.start()
        await two.start()
        missing = [await one.ask("c.jpg"), await two.ask("c.jpg")]
        shared.origin.put("media/acme/uploads/c.jpg", ORIGINAL)
        await one.flush("acme")
        return [*missing, await two.ask("c.jpg")]

    answers = run(story())
    assert [answer.fallback for answer in answers] == [FallbackReason.ORIGIN_NOT_FOUND] * 2 + [None]
    assert len(shared.origin.requests) == 2


def test_missed_announcements_clear_the_memory_tier_but_not_the_shared_layers() -> None:
    shared = Shared()
    node = Node(shared)

    async def story() -> ImageAnswer:
        await node.ask()
        await node.forget(None)
        return await node.ask()

    assert run(story()).cache is CacheStatus.HIT_REDIS
    assert shared.origin.requests == ["media/acme/uploads/a.jpg"]


def test_a_result_made_while_its_tenant_was_flushed_is_not_stored() -> None:
    shared = Shared(delay=0.1)
    one, two = Node(shared), Node(shared)

    async def story() -> tuple[ImageAnswer, ImageAnswer]:
        await one.start()
        await two.start()
        in_flight = asyncio.create_task(one.ask())
        await asyncio.sleep(0.05)  # fetching from the origin now
        await two.flush("acme")
        return await in_flight, await one.ask()

    during, after = run(story())
    assert during.cache is CacheStatus.MISS
    assert after.cache is CacheStatus.MISS  # the pre-flush result was never stored
    assert len(shared.origin.requests) == 2


def test_warming_copies_the_most_accessed_results_into_a_fresh_node() -> None:
    shared = Shared()
    busy = Node(shared)

    async def story() -> tuple[int, list[ImageAnswer]]:
        for name, times in (("a.jpg", 3), ("b.jpg", 2), ("c.jpg", 1)):
            for _ in range(times):
                await busy.ask(name)
        restarted = Node(shared, disk=busy.disk, redis=False)  # its own disk, nothing else
        copied = await restarted.warm()
        return copied, [await restarted.ask(name) for name in ("a.jpg", "b.jpg", "c.jpg")]

    copied, answers = run(story())
    assert copied == 2
    assert statuses(answers) == ["HIT-MEMORY", "HIT-MEMORY", "HIT-DISK"]


def result_key(name: str) -> ResultKey:
    request = parse_image_path(URL.format(name=name))
    return ResultKey.of(request.source, request.spec_for(AcceptedFormats.from_header(None)))


def flush_of(*, memory: int, redis: int, disk: int, nodes: int) -> TenantFlush:
    return TenantFlush(
        "acme",
        {"memory": memory, "redis": redis, "disk": disk},
        missing=0,
        access_counts=2,
        nodes_notified=nodes,
    )


def test_an_announced_flush_of_an_invalid_tenant_is_refused() -> None:
    node = Node(Shared())

    async def story() -> ImageAnswer:
        await node.ask()
        with pytest.raises(InvalidRequest):
            await node.forget("../acme")
        return await node.ask()

    assert run(story()).cache is CacheStatus.HIT_MEMORY
