"""HttpxOriginFetcher against a real HTTP origin on loopback."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import Iterator
from typing import Any, NoReturn

import httpx
import pytest

from adapters.httpx import HttpxOriginFetcher
from application.errors import (
    OriginError,
    OriginNotFound,
    OriginRefused,
    OriginTimeout,
    OriginTooLarge,
    OriginUnavailable,
)
from application.ports.origin_fetcher import Original
from domain.request import ImageSource, SourceKind
from tests.support.origin_server import LoopbackOrigin, Reply, Route

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
CAP = 64 * 1024
TOO_BIG = b"\0" * (CAP + 1)
FAST = {"connect_timeout": 1.0, "read_timeout": 0.3, "total_timeout": 3.0, "max_bytes": CAP}
IMAGE: Route = (200, {"Content-Type": "image/png"}, PNG)

ROUTES: dict[str, Route] = {
    "/static/images/cat.png": IMAGE,
    "/media/shop/uploads/dir/a b/ünï.png": IMAGE,
    "/static/images/x+y (1),v.png": IMAGE,
    "/cdn/static/images/cat.png": IMAGE,
    "/static/images/gone.png": (410, {}, b"gone"),
    "/static/images/forbidden.png": (403, {}, b"no"),
    "/static/images/down.png": (503, {}, b"try later"),
    "/static/images/broken.png": (500, {}, b"oops"),
    "/static/images/moved.png": (302, {"Location": "/static/images/cat.png"}, b""),
    "/static/images/slow.png": Reply(body=PNG, delay=5.0),
    "/static/images/trickle.png": Reply(body=PNG, chunk_size=64, chunk_delay=0.05),
    "/static/images/exact.png": (200, {}, b"\1" * CAP),
    "/static/images/big-declared.png": (200, {}, TOO_BIG),
    "/static/images/big-chunked.png": Reply(body=TOO_BIG, chunked=True),
    # Claims more than the cap but sends little: only an up-front check calls it too large.
    "/static/images/big-claim.png": (200, {"Content-Length": str(CAP + 1)}, b"tiny"),
    "/static/images/big-trickle.png": Reply(
        body=b"\2" * 200_000, chunked=True, chunk_size=4096, chunk_delay=0.05
    ),
    "/static/images/gzip.png": (200, {"Content-Encoding": "gzip"}, gzip.compress(PNG)),
    "/static/images/short.png": (200, {"Content-Length": str(len(PNG))}, PNG[:100]),
}


@pytest.fixture
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ROUTES) as server:
        yield server


def static(path: str) -> ImageSource:
    return ImageSource(SourceKind.STATIC, "public", path)


def fetch_all(base_url: str, *sources: ImageSource, **options: Any) -> list[Original]:
    """Fetch `sources` in turn through one fetcher, closed afterwards."""

    async def scenario() -> list[Original]:
        fetcher = HttpxOriginFetcher(base_url, **{**FAST, **options})
        try:
            return [await fetcher.fetch(source) for source in sources]
        finally:
            await fetcher.close()

    return asyncio.run(scenario())


def fetch(origin: LoopbackOrigin, path: str, **options: Any) -> Original:
    return fetch_all(origin.base_url, static(path), **options)[0]


def test_an_image_comes_back_byte_exact_with_its_claimed_type(origin: LoopbackOrigin) -> None:
    assert fetch(origin, "cat.png") == Original(PNG, "image/png")
    [request] = origin.requests
    assert (request.method, request.target) == ("GET", "/static/images/cat.png")
    assert request.headers["accept-encoding"] == "identity"
    assert request.headers["user-agent"] == "media-stream/0.1"


def test_the_user_agent_is_configurable(origin: LoopbackOrigin) -> None:
    fetch_all(origin.base_url, static("cat.png"), user_agent="shop-images/2")
    assert origin.requests[0].headers["user-agent"] == "shop-images/2"


def test_path_segments_are_percent_encoded_as_utf8(origin: LoopbackOrigin) -> None:
    media = ImageSource(SourceKind.MEDIA, "shop", "dir/a b/ünï.png")
    odd = static("x+y (1),v.png")
    assert [o.data for o in fetch_all(origin.base_url, media, odd)] == [PNG, PNG]
    assert [request.target for request in origin.requests] == [
        "/media/shop/uploads/dir/a%20b/%C3%BCn%C3%AF.png",
        "/static/images/x%2By%20(1),v.png",
    ]


def test_a_base_url_path_prefixes_the_origin_path(origin: LoopbackOrigin) -> None:
    assert fetch_all(origin.base_url + "/cdn/", static("cat.png"))[0].data == PNG
    assert origin.paths == ["/cdn/static/images/cat.png"]


def test_fetches_share_a_pooled_connection(origin: LoopbackOrigin) -> None:
    fetch_all(origin.base_url, static("cat.png"), static("cat.png"), static("cat.png"))
    assert len({request.client_port for request in origin.requests}) == 1


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("unrouted.png", OriginNotFound),
        ("gone.png", OriginNotFound),
        ("forbidden.png", OriginNotFound),
        ("down.png", OriginUnavailable),
        ("broken.png", OriginUnavailable),
        ("gzip.png", OriginRefused),
        ("short.png", OriginUnavailable),
    ],
)
def test_origin_answers_become_port_errors(
    origin: LoopbackOrigin, path: str, error: type[OriginError]
) -> None:
    with pytest.raises(error) as raised:
        fetch(origin, path)
    assert type(raised.value) is error
    assert origin.paths == [f"/static/images/{path}"]


def test_a_redirect_is_refused_and_not_followed(origin: LoopbackOrigin) -> None:
    with pytest.raises(OriginRefused):
        fetch(origin, "moved.png")
    assert origin.paths == ["/static/images/moved.png"]


def test_a_silent_origin_times_out_on_the_read_timeout(origin: LoopbackOrigin) -> None:
    started = time.monotonic()
    with pytest.raises(OriginTimeout) as raised:
        fetch(origin, "slow.png")
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    assert time.monotonic() - started < 3.0  # the origin would have answered after 5 s


def test_a_trickling_origin_times_out_on_the_total_deadline(origin: LoopbackOrigin) -> None:
    # Each piece arrives well within the read timeout; the whole body would take 1.6 s.
    with pytest.raises(OriginTimeout) as raised:
        fetch(origin, "trickle.png", read_timeout=1.0, total_timeout=0.3)
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_a_body_of_exactly_max_bytes_is_accepted(origin: LoopbackOrigin) -> None:
    assert fetch(origin, "exact.png").data == b"\1" * CAP


@pytest.mark.parametrize("path", ["big-declared.png", "big-chunked.png", "big-claim.png"])
def test_a_body_over_max_bytes_is_too_large(origin: LoopbackOrigin, path: str) -> None:
    with pytest.raises(OriginTooLarge):
        fetch(origin, path)


def test_streaming_stops_as_soon_as_the_cap_is_passed(origin: LoopbackOrigin) -> None:
    # The whole chunked body would take 2.4 s to arrive; the cap is passed after 5 pieces.
    started = time.monotonic()
    with pytest.raises(OriginTooLarge):
        fetch(origin, "big-trickle.png", read_timeout=1.0, max_bytes=16 * 1024)
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OriginUnavailable) as raised:
        fetch_all(f"http://127.0.0.1:{port}", static("cat.png"))
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_host_is_the_lower_cased_host_of_the_base_url() -> None:
    fetcher = HttpxOriginFetcher("https://IMG.Example.COM:8443/base/")
    assert fetcher.host == "img.example.com"
    asyncio.run(fetcher.close())


@pytest.mark.parametrize(
    "base_url", ["ftp://example.com", "example.com/images", "http:///nohost", "http://h/?q=1"]
)
def test_a_base_url_that_is_not_an_http_url_is_refused(base_url: str) -> None:
    with pytest.raises(ValueError):
        HttpxOriginFetcher(base_url)


def serve_then_fail(server: LoopbackOrigin) -> NoReturn:
    with server:
        assert httpx.get(server.url("/static/images/cat.png")).content == PNG
        base_url = server.base_url
        raise RuntimeError(base_url)


def test_the_loopback_origin_stops_even_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError) as raised:
        serve_then_fail(LoopbackOrigin(ROUTES))
    base_url = str(raised.value)
    assert base_url.startswith("http://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/static/images/cat.png", timeout=1.0)
