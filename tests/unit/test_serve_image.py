"""The serve-image use case with in-memory adapters: caching, coalescing, fallbacks, 304."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import TypeVar

import pytest

from adapters.memory import (
    FixedClock,
    MemoryOriginFetcher,
    MemoryResultCache,
)
from application.errors import (
    ApplicationError,
    DecodeFailed,
    DecompressionBomb,
    NotAnImage,
    OriginNotFound,
    OriginRefused,
    OriginTimeout,
    OriginTooLarge,
    OriginUnavailable,
)
from application.serve_image import ImageAnswer, ImageQuery
from application.tiered_cache import TieredResultCache
from domain.errors import InvalidRequest
from domain.formats import OutputFormat
from domain.negotiation import AcceptedFormats
from domain.request import ResultKey
from domain.result import CacheStatus, FallbackReason
from domain.route import parse_image_path
from tests.fakes.processor import ScriptedImageProcessor
from tests.support.node import node, opened

T = TypeVar("T")
URL = (
    "/media_stream-image/media/acme/uploads/products/foo.jpg/300/200/cover/center/FFFFFF/0/80.{fmt}"
)
ORIGIN_PATH = "media/acme/uploads/products/foo.jpg"
ORIGINAL = b"\xff\xd8\xff original jpeg"
FALLBACK = b"PLACEHOLDER"
PRODUCED_AT = 1_700_000_000
NEGATIVE_TTL = 300


def run(coroutine: Coroutine[object, object, T]) -> T:
    return asyncio.run(coroutine)


class World:
    """A node with in-memory parts (`tests.support.node`), with handles on each of them."""

    def __init__(self, *, host: str = "", allowed: tuple[str, ...] = (), delay: float = 0.0):
        self.origin = MemoryOriginFetcher({ORIGIN_PATH: ORIGINAL}, delay=delay)
        self.processor = ScriptedImageProcessor(
            {b"NOT-IMAGE": NotAnImage("x"), b"CORRUPT": DecodeFailed("x")}
        )
        self.memory = MemoryResultCache(max_bytes=1 << 20, max_keys=100)
        self.clock = FixedClock(PRODUCED_AT)
        origin_settings: dict[str, object] = {}
        if host:
            origin_settings = {
                "BACKEND_URL": f"https://{host}",
                "VALIDATION_ALLOWED_DOMAINS": ",".join(allowed),
            }
        container = node(
            origin=self.origin,
            processor=self.processor,
            result_cache=TieredResultCache([self.memory]),
            clock=self.clock,
            fallback=FALLBACK,
            CACHE_IMAGE_NEGATIVE_TTL=NEGATIVE_TTL,
            ACCESS_INDEX_ENABLED=False,  # counts in memory, readable here
            **origin_settings,
        )
        opened(container, container.imaging.serve_image)
        self.missing = container.imaging.memory_negative_cache()
        self.access = container.shared.access_counter()
        self.serve = container.imaging.serve_image()

    async def ask(self, fmt: str = "webp", **headers: str) -> ImageAnswer:
        request = parse_image_path(URL.format(fmt=fmt))
        return await self.serve(ImageQuery(request=request, **headers))


def test_a_miss_is_fetched_transformed_and_then_served_from_memory() -> None:
    world = World()

    async def twice() -> tuple[ImageAnswer, ImageAnswer]:
        return await world.ask(), await world.ask()

    first, second = run(twice())
    assert first.cache is CacheStatus.MISS
    assert second.cache is CacheStatus.HIT_MEMORY
    assert first.result == second.result
    assert first.result.format is OutputFormat.WEBP
    assert first.result.data.endswith(b"|" + ORIGINAL)
    assert first.fallback is None
    assert world.origin.requests == [ORIGIN_PATH]
    assert len(world.processor.calls) == 1


def test_concurrent_identical_misses_fetch_and_transform_once() -> None:
    world = World(delay=0.05)

    async def burst() -> list[ImageAnswer]:
        return await asyncio.gather(*(world.ask() for _ in range(20)))

    answers = run(burst())
    assert world.origin.requests == [ORIGIN_PATH]
    assert len(world.processor.calls) == 1
    assert len({answer.result.etag for answer in answers}) == 1


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OriginNotFound("404"), FallbackReason.ORIGIN_NOT_FOUND),
        (OriginUnavailable("503"), FallbackReason.ORIGIN_UNAVAILABLE),
        (OriginTimeout("slow"), FallbackReason.ORIGIN_TIMEOUT),
        (OriginRefused("policy"), FallbackReason.ORIGIN_REFUSED),
        (OriginTooLarge("big"), FallbackReason.SOURCE_TOO_LARGE),
    ],
)
def test_an_origin_failure_answers_the_fallback_with_its_reason(
    error: ApplicationError, reason: FallbackReason
) -> None:
    world = World()
    world.origin.fail_with(ORIGIN_PATH, error)  # type: ignore[arg-type]

    answer = run(world.ask())

    assert answer.fallback is reason
    assert answer.cache is CacheStatus.MISS
    assert answer.result.data.endswith(b"|" + FALLBACK)
    assert answer.result.format is OutputFormat.WEBP
    assert world.memory.stats().entries == 0


@pytest.mark.parametrize(
    ("original", "reason"),
    [
        (b"NOT-IMAGE <html>", FallbackReason.NOT_AN_IMAGE),
        (b"CORRUPT jpeg", FallbackReason.DECODE_FAILED),
    ],
)
def test_a_processing_failure_answers_the_fallback(original: bytes, reason: FallbackReason) -> None:
    world = World()
    world.origin.put(ORIGIN_PATH, original)

    answer = run(world.ask())

    assert answer.fallback is reason
    assert answer.result.data.endswith(b"|" + FALLBACK)


def test_fallback_is_not_cached_so_the_real_image_shows_up_once_it_exists() -> None:
    world = World()
    world.origin.fail_with(ORIGIN_PATH, OriginUnavailable("not yet"))

    async def story() -> tuple[ImageAnswer, ImageAnswer]:
        missing = await world.ask()
        world.origin.put(ORIGIN_PATH, ORIGINAL)
        return missing, await world.ask()

    missing, present = run(story())
    assert missing.fallback is FallbackReason.ORIGIN_UNAVAILABLE
    assert present.fallback is None
    assert present.result.data.endswith(b"|" + ORIGINAL)


def test_fallback_rendering_is_remembered_per_spec() -> None:
    world = World()
    world.origin.fail_with(ORIGIN_PATH, OriginTimeout("slow"))

    async def thrice() -> None:
        for _ in range(3):
            await world.ask()

    run(thrice())
    fallback_renders = [call for call in world.processor.calls if call[0] == FALLBACK]
    assert len(fallback_renders) == 1
    assert len(world.origin.requests) == 3


def test_a_bomb_in_the_fallback_path_still_answers() -> None:
    world = World()
    world.origin.put(ORIGIN_PATH, b"BOMB")
    world.processor.failures[b"BOMB"] = DecompressionBomb("too many pixels")

    answer = run(world.ask())

    assert answer.fallback is FallbackReason.DECOMPRESSION_BOMB


def test_if_none_match_gives_not_modified_on_a_miss_and_on_a_hit() -> None:
    world = World()
    etag = run(World().ask()).result.etag

    async def story() -> tuple[ImageAnswer, ImageAnswer, ImageAnswer]:
        miss = await world.ask(if_none_match=f"W/{etag}")
        hit = await world.ask(if_none_match=f'"other", {etag}')
        stale = await world.ask(if_none_match='"other"')
        return miss, hit, stale

    miss, hit, stale = run(story())
    assert (miss.cache, miss.not_modified) == (CacheStatus.MISS, True)
    assert (hit.cache, hit.not_modified) == (CacheStatus.HIT_MEMORY, True)
    assert stale.not_modified is False


def test_if_modified_since_compares_with_the_production_time() -> None:
    world = World()
    after = "Tue, 14 Nov 2023 22:13:21 GMT"  # PRODUCED_AT + 1
    before = "Tue, 14 Nov 2023 22:13:19 GMT"  # PRODUCED_AT - 1

    assert run(world.ask(if_modified_since=after)).not_modified is True
    assert run(world.ask(if_modified_since=before)).not_modified is False
    assert run(world.ask(if_modified_since="yesterday-ish")).not_modified is False


def test_a_host_outside_the_allow_list_is_refused_before_the_origin_is_asked() -> None:
    world = World(host="evil.example", allowed=("shop.example",))

    with pytest.raises(InvalidRequest) as raised:
        run(world.ask())

    assert raised.value.status == 400
    assert raised.value.code == "HOST_NOT_ALLOWED"
    assert world.origin.requests == []


def test_an_allowed_subdomain_is_fetched() -> None:
    world = World(host="cdn.shop.example", allowed=("shop.example",))

    assert run(world.ask()).fallback is None
    assert world.origin.requests == [ORIGIN_PATH]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("image/avif,image/webp,*/*", OutputFormat.AVIF),
        ("image/webp,*/*;q=0.8", OutputFormat.WEBP),
        ("image/*,*/*", OutputFormat.JPEG),
        (None, OutputFormat.JPEG),
    ],
)
def test_auto_negotiates_from_accept_and_varies(accept: str | None, expected: OutputFormat) -> None:
    world = World()

    answer = run(world.ask("auto", accept=accept) if accept else world.ask("auto"))

    assert answer.result.format is expected
    assert answer.vary_accept is True
    spec = world.processor.calls[0][1]
    assert spec.alpha_format is (OutputFormat.PNG if expected is OutputFormat.JPEG else None)


def test_explicit_formats_do_not_vary_on_accept() -> None:
    assert run(World().ask("jpg")).vary_accept is False


def test_etag_survives_a_flush_and_reprocessing() -> None:
    world = World()

    async def story() -> tuple[ImageAnswer, int, ImageAnswer]:
        before = await world.ask()
        removed = await world.memory.delete_tenant("acme")
        world.clock.advance(3600)
        return before, removed, await world.ask()

    before, removed, after = run(story())
    assert removed == 1
    assert after.cache is CacheStatus.MISS
    assert after.result.etag == before.result.etag
    assert after.result.produced_at == before.result.produced_at + 3600


def test_an_origin_404_is_remembered_until_the_negative_ttl_runs_out() -> None:
    world = World()
    world.origin.fail_with(ORIGIN_PATH, OriginNotFound("gone"))

    async def story() -> list[ImageAnswer]:
        answers = [await world.ask(), await world.ask()]
        world.origin.put(ORIGIN_PATH, ORIGINAL)  # uploaded meanwhile: still remembered
        answers.append(await world.ask())
        world.clock.advance(NEGATIVE_TTL + 1)
        answers.append(await world.ask())
        return answers

    answers = run(story())
    reasons = [answer.fallback for answer in answers]
    assert reasons == [FallbackReason.ORIGIN_NOT_FOUND] * 3 + [None]
    assert world.origin.requests == [ORIGIN_PATH, ORIGIN_PATH]
    assert answers[-1].result.data.endswith(b"|" + ORIGINAL)


@pytest.mark.parametrize("error", [OriginUnavailable("503"), OriginTimeout("slow")])
def test_5xx_and_network_errors_are_not_remembered(error: OriginUnavailable) -> None:
    world = World()
    world.origin.fail_with(ORIGIN_PATH, error)

    async def thrice() -> None:
        for _ in range(3):
            await world.ask()

    run(thrice())
    assert world.origin.requests == [ORIGIN_PATH] * 3
    assert run(world.missing.remaining(parse_image_path(URL.format(fmt="webp")).source)) is None


def test_variants_of_one_original_requested_together_fetch_it_once() -> None:
    world = World(delay=0.05)

    async def burst() -> list[ImageAnswer]:
        return await asyncio.gather(*(world.ask(fmt) for fmt in ("webp", "png", "avif", "jpeg")))

    answers = run(burst())
    assert world.origin.requests == [ORIGIN_PATH]
    assert len(world.processor.calls) == 4
    assert {answer.result.format for answer in answers} == {
        OutputFormat.WEBP,
        OutputFormat.PNG,
        OutputFormat.AVIF,
        OutputFormat.JPEG,
    }


def test_every_served_result_counts_as_an_access_but_fallbacks_do_not() -> None:
    world = World()

    async def story() -> ImageAnswer:
        await world.ask()
        await world.ask()
        await asyncio.gather(*(world.ask() for _ in range(3)))
        world.origin.fail_with(ORIGIN_PATH, OriginUnavailable("down"))
        return await world.ask("png")

    fallback = run(story())
    request = parse_image_path(URL.format(fmt="webp"))
    key = ResultKey.of(request.source, request.spec_for(AcceptedFormats.from_header(None)))
    assert fallback.fallback is FallbackReason.ORIGIN_UNAVAILABLE
    assert world.access.count(key) == 5
    assert run(world.access.top(10)) == [key]


HEIF = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)


def test_a_heif_original_is_refused_by_the_renderer_and_remembered_as_missing() -> None:
    origin = MemoryOriginFetcher({ORIGIN_PATH: HEIF})
    container = node(origin=origin, CACHE_IMAGE_NEGATIVE_TTL=NEGATIVE_TTL)
    opened(container, container.imaging.serve_image)
    serve = container.imaging.serve_image()

    async def asked(times: int) -> list[ImageAnswer]:
        request = parse_image_path(URL.format(fmt="png"))
        return [await serve(ImageQuery(request=request)) for _ in range(times)]

    answers = run(asked(3))

    assert [answer.fallback for answer in answers] == [FallbackReason.NOT_AN_IMAGE] * 3
    assert origin.requests == [ORIGIN_PATH]  # the origin is not asked again for it
