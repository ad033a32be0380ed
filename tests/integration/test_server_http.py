"""The real server over real HTTP, against a real origin on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import images
from tests.support.origin_server import LoopbackOrigin, Reply
from tests.support.server import RunningServer

PREFIX = "/media_stream-image/media/acme/uploads"
LONG_CACHE = (
    "public, max-age=31104000, s-maxage=31104000, immutable, "
    "stale-while-revalidate=604800, stale-if-error=2592000"
)
ORIGIN_ROUTES = {
    "/media/acme/uploads/products/foo.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=images.jpeg()
    ),
    "/media/acme/uploads/logo.png": Reply(
        headers={"Content-Type": "image/png"}, body=images.png_with_alpha()
    ),
    "/media/acme/uploads/page.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=b"<!doctype html><html>hello</html>"
    ),
    "/media/acme/uploads/truncated.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=images.truncated_jpeg()
    ),
    "/media/acme/uploads/bomb.png": Reply(
        headers={"Content-Type": "image/png"}, body=images.png_bomb()
    ),
    # a HEIF photo from a phone: an image, in a format there is no decoder for
    "/media/acme/uploads/phone.heic": Reply(
        headers={"Content-Type": "image/heic"},
        body=b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(200_000),
    ),
    "/media/acme/uploads/slow.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=images.jpeg(), delay=0.5
    ),
}


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ORIGIN_ROUTES) as running:
        yield running


def server_env(origin: LoopbackOrigin, cache_dir: Path) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(cache_dir),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "2",
    }


@pytest.fixture(scope="module")
def server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("server")
    with RunningServer(server_env(origin, root / "cache"), root / "server.log") as running:
        yield running


def get(server: RunningServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


def fetches(origin: LoopbackOrigin, path: str) -> int:
    return origin.paths.count(path)


def test_an_image_is_transformed_and_then_served_from_memory(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    url = f"{PREFIX}/products/foo.jpg/300/200/cover/center/transparent/0/80.webp"

    first = get(server, url, **{"X-Correlation-ID": "req-123"})
    second = get(server, url)

    assert first.status_code == 200
    assert first.headers["content-type"] == "image/webp"
    assert first.content[:4] == b"RIFF"
    assert first.content[8:12] == b"WEBP"
    assert images.open_image(first.content).size == (300, 200)
    assert int(first.headers["content-length"]) == len(first.content)
    assert first.headers["cache-control"] == LONG_CACHE
    assert first.headers["x-cache"] == "MISS"
    assert first.headers["x-correlation-id"] == "req-123"
    assert "last-modified" in first.headers
    assert "vary" not in first.headers
    assert "x-fallback" not in first.headers
    assert second.headers["x-cache"] == "HIT-MEMORY"
    assert second.headers["etag"] == first.headers["etag"]
    assert second.content == first.content
    assert fetches(origin, "/media/acme/uploads/products/foo.jpg") == 1


def test_contain_pads_with_the_background_colour(server: RunningServer) -> None:
    url = f"{PREFIX}/products/foo.jpg/400/400/contain/center/00FF00/0/95.png"

    response = get(server, url)

    image = images.open_image(response.content).convert("RGB")
    assert response.headers["content-type"] == "image/png"
    assert image.size == (400, 400)
    assert image.getpixel((200, 5)) == (0, 255, 0)
    assert image.getpixel((200, 394)) == (0, 255, 0)


def test_transparent_padding_keeps_alpha(server: RunningServer) -> None:
    url = f"{PREFIX}/logo.png/300/150/contain/center/transparent/0/90.webp"

    image = images.open_image(get(server, url).content).convert("RGBA")

    assert image.size == (300, 150)
    assert image.getpixel((2, 75))[3] == 0
    assert image.getpixel((150, 75))[3] == 255


def test_head_answers_headers_without_a_body(server: RunningServer) -> None:
    url = f"{PREFIX}/products/foo.jpg/120/80/fill/center/transparent/0/70.jpeg"

    full = get(server, url)
    head = httpx.head(server.url(url), timeout=30)

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["etag"] == full.headers["etag"]
    assert full.content[:3] == b"\xff\xd8\xff"


def test_if_none_match_gives_304_on_the_first_request(server: RunningServer) -> None:
    url = f"{PREFIX}/products/foo.jpg/64/64/cover/left/transparent/0/60.jpg"
    probe = f"{PREFIX}/products/foo.jpg/64/64/cover/left/transparent/0/60.jpeg"
    etag = get(server, probe).headers["etag"]  # jpg and jpeg name one result

    response = get(server, url, **{"If-None-Match": f'"nope", W/{etag}'})

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_auto_negotiates_avif_and_varies_on_accept(server: RunningServer) -> None:
    url = f"{PREFIX}/products/foo.jpg/200/100/cover/center/transparent/0/50.auto"

    avif = get(server, url, Accept="image/avif,image/webp,*/*")
    plain = get(server, url, Accept="*/*")

    assert avif.headers["content-type"] == "image/avif"
    assert avif.content[4:12] == b"ftypavif"
    assert avif.headers["vary"] == "Accept"
    assert plain.headers["content-type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.jpg", "origin-not-found"),
        ("page.jpg", "not-an-image"),
        ("truncated.jpg", "decode-failed"),
        ("bomb.png", "decompression-bomb"),
    ],
)
def test_failures_after_validation_answer_the_fallback(
    server: RunningServer, name: str, reason: str
) -> None:
    url = f"{PREFIX}/{name}/200/120/contain/center/FF0000/0/80.png"

    response = get(server, url)

    assert response.status_code == 200
    assert response.headers["x-fallback"] == reason
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["content-type"] == "image/png"
    image = images.open_image(response.content).convert("RGB")
    assert image.size == (200, 120)
    assert image.getpixel((1, 60)) == (255, 0, 0)  # the placeholder is letterboxed in red
    assert get(server, "/health/live").status_code == 200


def test_a_heif_original_is_refused_from_its_first_bytes_and_not_asked_for_again(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    answers = [
        get(server, f"{PREFIX}/phone.heic/{width}/120/contain/center/FF0000/0/80.png")
        for width in (200, 200, 150)  # the same result twice, then another size
    ]

    assert [answer.headers["x-fallback"] for answer in answers] == ["not-an-image"] * 3
    assert {images.open_image(answer.content).size for answer in answers} == {
        (200, 120),
        (150, 120),
    }
    assert fetches(origin, "/media/acme/uploads/phone.heic") == 1


def test_a_bad_request_is_a_json_400_with_the_correlation_id(server: RunningServer) -> None:
    url = f"{PREFIX}/products/foo.jpg/9000/200/cover/center/transparent/0/80.webp"

    response = get(server, url, **{"X-Correlation-ID": "abc.DEF-1"})

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "INVALID_REQUEST"
    assert "width" in body["message"]
    assert body["correlationId"] == "abc.DEF-1" == response.headers["x-correlation-id"]
    assert body["path"].startswith(PREFIX)
    assert body["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    "path",
    [
        f"{PREFIX}/%252e%252e/secret.jpg/10/10/cover/center/transparent/0/80.webp",
        f"{PREFIX}/a.jpg/10/10/cover/center/transparent/0/80.bmp",
        f"{PREFIX}/a.jpg/10/10/cover/center/notacolour/0/80.webp",
        f"{PREFIX}/a.jpg/8000/8000/cover/center/transparent/0/80.webp",
        "/media_stream-image/media/Acme/uploads/a.jpg/10/10/cover/center/transparent/0/80.webp",
    ],
)
def test_invalid_requests_never_reach_the_origin(
    server: RunningServer, origin: LoopbackOrigin, path: str
) -> None:
    before = len(origin.paths)

    response = get(server, path)

    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert len(origin.paths) == before


def test_unknown_routes_are_json_404_and_wrong_methods_405(server: RunningServer) -> None:
    under_prefix = get(server, "/media_stream-image/media/acme/nope.jpg")
    elsewhere = get(server, "/nothing-here", **{"X-Correlation-ID": "bad id with spaces"})
    posted = httpx.post(server.url(f"{PREFIX}/a.jpg/1/1/fill/center/transparent/0/1.png"))

    assert under_prefix.status_code == 404
    assert under_prefix.json()["code"] == "NOT_FOUND"
    assert elsewhere.status_code == 404
    assert elsewhere.json()["correlationId"] == elsewhere.headers["x-correlation-id"]
    assert len(elsewhere.headers["x-correlation-id"]) == 36  # a fresh UUID4
    assert posted.status_code == 405
    assert posted.json()["status"] == 405


def test_concurrent_identical_misses_ask_the_origin_once(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    url = server.url(f"{PREFIX}/slow.jpg/150/150/cover/attention/transparent/0/75.webp")

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            return await asyncio.gather(*(client.get(url) for _ in range(20)))

    responses = asyncio.run(burst())

    assert {response.status_code for response in responses} == {200}
    assert len({response.headers["etag"] for response in responses}) == 1
    assert fetches(origin, "/media/acme/uploads/slow.jpg") == 1


def test_static_files_and_probes(server: RunningServer) -> None:
    placeholder = get(server, "/default.png")

    assert placeholder.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Disallow" in get(server, "/robots.txt").text
    assert "media-stream" in get(server, "/").text
    assert get(server, "/health/ready").json() == {"status": "ok"}


def test_a_restarted_node_answers_from_disk(origin: LoopbackOrigin, tmp_path: Path) -> None:
    url = f"{PREFIX}/products/foo.jpg/90/60/inside/center/transparent/0/80.jpeg"
    # without warming: it would copy the result (known to the access index) into memory first
    env = {**server_env(origin, tmp_path / "cache"), "CACHE_WARMING_ON_START": "false"}

    with RunningServer(env, tmp_path / "first.log") as first:
        produced = get(first, url)
    asked = fetches(origin, "/media/acme/uploads/products/foo.jpg")
    with RunningServer(env, tmp_path / "second.log") as second:
        replayed = get(second, url)

    assert produced.headers["x-cache"] == "MISS"
    assert replayed.headers["x-cache"] == "HIT-DISK"
    assert replayed.content == produced.content
    assert replayed.headers["etag"] == produced.headers["etag"]
    assert fetches(origin, "/media/acme/uploads/products/foo.jpg") == asked


def test_the_origin_sees_the_request_correlation_id(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    url = f"{PREFIX}/products/foo.jpg/33/22/fill/center/transparent/0/70.png"

    get(server, url, **{"X-Correlation-ID": "trace-origin-1"})

    seen = [r for r in origin.requests if r.path == "/media/acme/uploads/products/foo.jpg"]
    assert seen[-1].headers.get("x-correlation-id") == "trace-origin-1"
