"""The info route's use case with in-memory adapters, and the HTTP app built by the container:
caching, the origin asked once with an image, clear JSON errors, 304, signatures, presets."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.memory import (
    FixedClock,
    MemoryOriginFetcher,
    MemoryResultCache,
)
from application.describe_image import InfoQuery, InfoUnavailable
from application.errors import OriginUnavailable
from application.tiered_cache import TieredResultCache
from domain.image_info import info_key
from domain.request import ImageSource, SourceKind
from domain.result import CacheStatus, FallbackReason
from domain.signing import UrlSigner
from entrypoints.composition import Container, close_container
from entrypoints.http.app import make_litestar
from tests.support import images
from tests.support.node import node, opened

JPEG_PATH = "media/acme/uploads/a.jpg"
SOURCE = ImageSource(SourceKind.MEDIA, "acme", "a.jpg")
KEY = "a-signing-key-of-some-length"
THUMB = "40/30/cover/center/transparent/0/80.jpeg"


class World:
    """DescribeImage as the container builds it (`tests.support.node`): memory adapters and
    the real Pillow describer behind the render gate."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.origin = MemoryOriginFetcher(
            {JPEG_PATH: images.jpeg(160, 120), "media/acme/uploads/page.jpg": b"<html>"},
            delay=delay,
        )
        self.clock = FixedClock(1_700_000_000)
        self.memory = MemoryResultCache(max_bytes=1 << 20, max_keys=100)
        container = node(
            origin=self.origin,
            result_cache=TieredResultCache([self.memory]),
            clock=self.clock,
            IMAGE_INFO_ENABLED=True,
            IMAGE_WORKER_THREADS=2,
            ACCESS_INDEX_ENABLED=False,
            CACHE_IMAGE_NEGATIVE_TTL=300,
        )
        opened(container, container.features.describe_image)
        self.missing = container.imaging.memory_negative_cache()
        self.describe = container.features.describe_image()


def test_info_is_described_once_then_served_from_the_cache() -> None:
    world = World()

    async def twice() -> tuple[object, ...]:
        first = await world.describe(InfoQuery(SOURCE))
        second = await world.describe(InfoQuery(SOURCE, if_none_match=first.result.etag))
        return first, second

    first, second = asyncio.run(twice())

    body = json.loads(first.result.data)  # type: ignore[attr-defined]
    assert body["width"] == 160
    assert body["height"] == 120
    assert body["format"] == "jpeg"
    assert body["bytes"] == len(images.jpeg(160, 120))
    assert body["preview"].startswith("data:image/png;base64,")
    assert (first.cache, second.cache) == (CacheStatus.MISS, CacheStatus.HIT_MEMORY)  # type: ignore[attr-defined]
    assert second.not_modified  # type: ignore[attr-defined]
    assert world.origin.requests == [JPEG_PATH]


def test_concurrent_info_requests_fetch_and_decode_once() -> None:
    world = World(delay=0.05)

    async def together() -> list[object]:
        return list(await asyncio.gather(*(world.describe(InfoQuery(SOURCE)) for _ in range(4))))

    answers = asyncio.run(together())

    assert world.origin.requests == [JPEG_PATH]
    assert len({answer.result.etag for answer in answers}) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "status", "code", "fetches"),
    [
        ("missing.jpg", 404, "ORIGIN_NOT_FOUND", 1),  # an origin 4xx is remembered
        ("page.jpg", 422, "NOT_AN_IMAGE", 2),  # as for images, a decode failure is not
    ],
)
def test_a_missing_or_non_image_original_is_a_clear_error(
    path: str, status: int, code: str, fetches: int
) -> None:
    world = World()
    source = ImageSource(SourceKind.MEDIA, "acme", path)

    async def twice() -> list[InfoUnavailable]:
        refusals = []
        for _ in range(2):
            with pytest.raises(InfoUnavailable) as refused:
                await world.describe(InfoQuery(source))
            refusals.append(refused.value)
        return refusals

    refusals = asyncio.run(twice())

    assert [(r.status, r.code) for r in refusals] == [(status, code)] * 2
    assert world.origin.requests == [source.origin_path] * fetches
    assert asyncio.run(world.memory.get(info_key(source))) is None


def test_an_origin_outage_is_a_502_and_not_remembered() -> None:
    world = World()
    world.origin.fail_with(JPEG_PATH, OriginUnavailable("down"))

    with pytest.raises(InfoUnavailable) as refused:
        asyncio.run(world.describe(InfoQuery(SOURCE)))

    assert (refused.value.status, refused.value.reason) == (502, FallbackReason.ORIGIN_UNAVAILABLE)
    assert "down" not in refused.value.message
    assert asyncio.run(world.missing.recall(SOURCE)) is None


# -- over HTTP, the app the container builds ----------------------------------------------------


@pytest.fixture
def origin() -> MemoryOriginFetcher:
    return MemoryOriginFetcher({JPEG_PATH: images.jpeg(160, 120)}, delay=0.05)


def app_container(tmp_path: Path, origin: MemoryOriginFetcher, **settings: object) -> Container:
    memory_only = TieredResultCache([MemoryResultCache(max_bytes=1 << 20, max_keys=50)])
    return node(tmp_path, origin=origin, result_cache=memory_only, **settings)


def test_the_info_route_is_off_unless_enabled(tmp_path: Path, origin: MemoryOriginFetcher) -> None:
    with TestClient(app=make_litestar(app_container(tmp_path, origin))) as client:
        response = client.get("/media_stream-meta/media/acme/uploads/a.jpg")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert origin.requests == []


def test_the_info_route_answers_json_with_etag_and_304(
    tmp_path: Path, origin: MemoryOriginFetcher
) -> None:
    container = app_container(tmp_path, origin, IMAGE_INFO_ENABLED=True)
    with TestClient(app=make_litestar(container)) as client:
        first = client.get("/media_stream-meta/media/acme/uploads/a.jpg")
        again = client.get(
            "/media_stream-meta/media/acme/uploads/a.jpg",
            headers={"If-None-Match": first.headers["etag"]},
        )
        head = client.head("/media_stream-meta/media/acme/uploads/a.jpg")
        bad = client.get("/media_stream-meta/media/acme/uploads/%2e%2e/etc/passwd")
        neither = client.get("/media_stream-meta/elsewhere/a.jpg")

    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert first.json()["width"] == 160
    assert (first.headers["x-cache"], again.status_code) == ("MISS", 304)
    assert head.content == b""
    assert head.headers["content-length"] == str(len(first.content))
    assert bad.status_code == 400
    assert neither.status_code == 404
    assert origin.requests == [JPEG_PATH]


def test_an_image_and_its_info_together_ask_the_origin_once(
    tmp_path: Path, origin: MemoryOriginFetcher
) -> None:
    container = app_container(tmp_path, origin, IMAGE_INFO_ENABLED=True)
    opened(container, container.imaging.serve_image, container.features.describe_image)
    serve = container.imaging.serve_image()
    describe = container.features.describe_image()
    from application.serve_image import ImageQuery
    from domain.route import parse_image_path

    request = parse_image_path(f"/media_stream-image/media/acme/uploads/a.jpg/{THUMB}")

    async def together() -> None:
        try:
            await asyncio.gather(serve(ImageQuery(request)), describe(InfoQuery(SOURCE)))
        finally:
            await close_container(container)

    asyncio.run(together())

    assert origin.requests == [JPEG_PATH]


def test_required_signatures_refuse_before_the_origin_is_asked(
    tmp_path: Path, origin: MemoryOriginFetcher
) -> None:
    container = app_container(
        tmp_path,
        origin,
        IMAGE_INFO_ENABLED=True,
        URL_SIGNING_KEYS=(KEY,),
        URL_SIGNING_REQUIRED=True,
    )
    image = f"/media_stream-image/media/acme/uploads/a.jpg/{THUMB}"
    info = "/media_stream-meta/media/acme/uploads/a.jpg"
    signer = UrlSigner((KEY,))
    with TestClient(app=make_litestar(container)) as client:
        refused = [client.get(image), client.get(info), client.get(image + "?s=bad")]
        refused.append(client.get(info + "?s=" + signer.sign(image)))  # another path's
        assert origin.requests == []
        signed = client.get(signer.signed(image))
        signed_info = client.get(signer.signed(info))
        busted = client.get(signer.signed(image) + "&v=2")  # other parameters do not matter

    assert [r.status_code for r in refused] == [403] * 4
    assert {r.json()["code"] for r in refused} == {"INVALID_SIGNATURE"}
    assert (signed.status_code, signed_info.status_code) == (200, 200)
    assert busted.headers["x-cache"] == "HIT-MEMORY"  # the query is not part of the key


def test_a_preset_and_its_twin_share_one_result(
    tmp_path: Path, origin: MemoryOriginFetcher
) -> None:
    container = app_container(tmp_path, origin, IMAGE_PRESETS=json.dumps({"thumb": THUMB}))
    with TestClient(app=make_litestar(container)) as client:
        preset = client.get("/media_stream-image/preset/thumb/media/acme/uploads/a.jpg")
        twin = client.get(f"/media_stream-image/media/acme/uploads/a.jpg/{THUMB}")
        unknown = client.get("/media_stream-image/preset/huge/media/acme/uploads/a.jpg")

    assert (preset.headers["x-cache"], twin.headers["x-cache"]) == ("MISS", "HIT-MEMORY")
    assert images.open_image(preset.content).size == (40, 30)
    assert twin.content == preset.content
    assert (unknown.status_code, unknown.json()["code"]) == (404, "PRESET_NOT_FOUND")
    assert origin.requests == [JPEG_PATH]


def test_presets_only_refuses_spelled_out_sizes(
    tmp_path: Path, origin: MemoryOriginFetcher
) -> None:
    container = app_container(
        tmp_path, origin, IMAGE_PRESETS=json.dumps({"thumb": THUMB}), PRESETS_ONLY=True
    )
    with TestClient(app=make_litestar(container)) as client:
        refused = client.get(f"/media_stream-image/media/acme/uploads/a.jpg/{THUMB}")
        preset = client.get("/media_stream-image/preset/thumb/media/acme/uploads/a.jpg")

    assert (refused.status_code, refused.json()["code"]) == (403, "PRESETS_ONLY")
    assert preset.status_code == 200
    assert origin.requests == [JPEG_PATH]
