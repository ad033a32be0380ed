"""The hostile corpus through the real server: every answer is a fallback with the right reason,
a 400, or a harmless real image; the process stays up and its memory stays bounded."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest

from tests.support import hostile
from tests.support.images import open_image
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

CORPUS = hostile.corpus()
OPTIONS = "200/120/contain/center/FF0000/0/80"
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
MIB = 1024 * 1024
# The server settles at about 77 MiB after its first renders. Rendering the corpus once takes
# some more (allocator arenas of the worker threads, decoder buffers, remembered fallbacks),
# but nothing of a hostile file may stay: a second pass over the same corpus must cost next to
# nothing more. Measured on the 2-core CI machine: +29 MiB for the first pass (to 106 MiB),
# -3 to +1 MiB for the second. The bounds leave room for allocator noise, not for a leak:
# a leaked decoded bomb frame alone would be 50 MP x 4 B = 190 MiB.
FIRST_PASS_GROWTH = 64 * MIB
SECOND_PASS_GROWTH = 16 * MIB

HOSTILE_URLS = [
    "/media_stream-image/media/acme/uploads/%2e%2e/%2e%2e/etc/passwd/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/x/%252e%252e/b.png/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/%252525252e%252525252e/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/a%00.png/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/a%5c..%5cb.png/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/http:%2f%2fevil/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/" + "a" * 256 + "/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/" + "a/" * 1100 + "1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/%C0%AE.png/1/1/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/a.png/8192/8192/fill/center/FFF/0/1.png",
    "/media_stream-image/media/acme/uploads/a.png/1/1/fill/center/FFF/0/1.php",
]


BYTE_CAPPED = ("JPEG", "PNG", "WEBP", "GIF", "SVG")


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    routes = {
        f"/media/acme/uploads/hostile/{specimen.name}": Reply(body=specimen.data)
        for specimen in CORPUS
    }
    with LoopbackOrigin(routes) as running:
        yield running


@pytest.fixture(scope="module")
def server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("hostile")
    env = {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(root / "cache"),
        "LOG_LEVEL": "error",
        "IMAGE_WORKER_THREADS": "2",
        "IMAGE_PROCESSING_TIMEOUT": "10000",
        "RATE_LIMIT_ENABLED": "false",
        # the origin's per-format byte caps would stop some bombs before any decoding (they are
        # tested with the origin); raised here so the decoder's own limits are what is tested
        **{f"MAX_SOURCE_BYTES_{kind}": str(32 << 20) for kind in BYTE_CAPPED},
        "MAX_SOURCE_BYTES": str(32 << 20),
    }
    with RunningServer(env, root / "server.log") as running:
        yield running


def url(name: str, fmt: str = "png") -> str:
    return f"/media_stream-image/media/acme/uploads/hostile/{name}/{OPTIONS}.{fmt}"


def check(client: httpx.Client, specimen: hostile.Specimen, fmt: str) -> None:
    response = client.get(url(specimen.name, fmt))
    where = f"{specimen.name} as {fmt}"
    assert response.status_code == 200, where
    assert response.headers["x-content-type-options"] == "nosniff"
    if specimen.expect != hostile.IMAGE:
        assert response.headers.get("x-fallback") == specimen.expect, where
        assert response.headers["cache-control"] == "public, max-age=60", where
        # the placeholder is a raster: asked as SVG, it is answered as PNG (ADR 5)
        assert response.headers["content-type"] == "image/png" if fmt == "svg" else f"image/{fmt}"
        assert open_image(response.content).size == (200, 120), where
    elif fmt == "svg":
        assert "x-fallback" not in response.headers, where
        assert response.headers["content-type"] == "image/svg+xml", where
        assert response.headers["content-security-policy"] == SVG_CSP, where
        for banned in specimen.banned:
            assert banned not in response.text, where
        ET.fromstring(response.content)
    else:
        assert "x-fallback" not in response.headers, where
        assert open_image(response.content).size == (200, 120), where


def run_corpus(server: RunningServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for specimen in CORPUS:
            check(client, specimen, "png")
            if specimen.is_svg:
                check(client, specimen, "svg")
        for hostile_url in HOSTILE_URLS:
            response = client.get(hostile_url)
            assert response.status_code == 400, hostile_url
            assert response.json()["status"] == 400


def test_the_corpus_gets_fallbacks_or_harmless_images_and_memory_stays_bounded(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for name in ("cmyk.jpg", "animated.gif", "truncated.png"):  # warm every code path once
            client.get(url(name))
    settled = server.rss_bytes()

    run_corpus(server)
    after_first = server.rss_bytes()
    run_corpus(server)
    after_second = server.rss_bytes()

    assert server.alive
    assert httpx.get(server.url("/health/live"), timeout=5).status_code == 200
    assert after_first - settled < FIRST_PASS_GROWTH, (settled, after_first)
    assert after_second - after_first < SECOND_PASS_GROWTH, (after_first, after_second)
    assert "Traceback" not in server.log_text()
    assert not origin.errors
    print(  # shown with -s: the numbers behind the bounds
        f"RSS settled {settled / MIB:.0f} MiB, after the corpus {after_first / MIB:.0f} MiB, "
        f"after a second pass {after_second / MIB:.0f} MiB"
    )


def test_the_server_outlives_a_burst_of_bombs(server: RunningServer) -> None:
    bombs = [specimen for specimen in CORPUS if specimen.expect == "decompression-bomb"]
    urls = [url(specimen.name, fmt) for specimen in bombs for fmt in ("webp", "jpeg", "gif")]

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
            return list(await asyncio.gather(*(client.get(each) for each in urls)))

    responses = asyncio.run(burst())

    answered = [response for response in responses if response.status_code == 200]
    shed = [response for response in responses if response.status_code == 503]
    assert len(answered) + len(shed) == len(responses)
    assert len(answered) >= len(responses) // 2
    assert {response.headers["x-fallback"] for response in answered} == {"decompression-bomb"}
    # more than the render queue holds at once is shed quickly, never piled up (ADR 10)
    assert all(response.headers["retry-after"].isdigit() for response in shed)
    assert server.alive
