"""HttpxOriginFetcher against real HTTP origins on loopback: answers, limits, bodies, encoding.

Retries, the circuit breaker, redirects and address checks have their own modules
(`test_httpx_origin_resilience.py`, `test_httpx_origin_redirects.py`).
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from collections.abc import Iterator
from typing import Any, NoReturn

import httpx
import pytest

from adapters.httpx import HttpxOriginFetcher, OriginTimeouts
from application.errors import (
    OriginError,
    OriginNotAnImage,
    OriginNotFound,
    OriginRefused,
    OriginTimeout,
    OriginTooLarge,
    OriginUnavailable,
)
from application.origin_admission import OriginAdmission
from application.ports.origin_fetcher import Original
from domain.policy import HostAllowList
from domain.request import ImageSource, SourceKind
from entrypoints.settings import Settings
from tests.support.origin_bodies import CAPS, FAST, GIF, JPEG, NO_RETRY, PNG, SVG, sized
from tests.support.origin_server import LoopbackOrigin, Reply, Route

IMAGE: Route = (200, {"Content-Type": "image/png"}, PNG)
CAP = CAPS.png
TOO_BIG = sized(PNG, CAP + 1)

ROUTES: dict[str, Route] = {
    "/static/images/cat.png": IMAGE,
    "/media/shop/uploads/dir/a b/ünï.png": IMAGE,
    "/static/images/x+y (1),v.png": IMAGE,
    "/cdn/static/images/cat.png": IMAGE,
    "/static/images/photo.jpg": (200, {"Content-Type": "image/jpeg"}, JPEG),
    "/static/images/logo.svg": (200, {"Content-Type": "image/svg+xml"}, SVG),
    "/static/images/gone.png": (410, {}, b"gone"),
    "/static/images/forbidden.png": (403, {}, b"no"),
    "/static/images/teapot.png": (418, {}, b"short and stout"),
    "/static/images/down.png": (503, {}, b"try later"),
    "/static/images/broken.png": (500, {}, b"oops"),
    "/static/images/unsupported.png": (501, {}, b"no"),
    "/static/images/busy.png": (429, {}, b"slow down"),
    "/static/images/too-slow.png": (408, {}, b"timeout"),
    "/static/images/choices.png": (300, {}, b"pick one"),
    "/static/images/slow.png": Reply(body=PNG, delay=5.0),
    "/static/images/trickle.png": Reply(body=sized(PNG, 2048), chunk_size=64, chunk_delay=0.05),
    "/static/images/exact.png": (200, {}, sized(PNG, CAP)),
    "/static/images/big-declared.png": (200, {}, TOO_BIG),
    "/static/images/big-chunked.png": Reply(body=TOO_BIG, chunked=True),
    "/static/images/big-unframed.png": Reply(body=TOO_BIG, close_delimited=True),
    # Claims more than any cap but sends little: only an up-front check calls it too large.
    "/static/images/big-claim.png": (200, {"Content-Length": str(CAPS.largest + 1)}, PNG),
    # Claims less than the largest cap but more than the GIF cap, and sends 9000 bytes: only
    # the check after sniffing calls it too large (else the short body would be an error).
    "/static/images/big-gif-claim.gif": (
        200,
        {"Content-Length": str(CAPS.gif + 1)},
        sized(GIF, 9000),
    ),
    # Claims 200 bytes and sends a whole oversized body: HTTP framing ends the body at 200.
    "/static/images/lying-short.png": (200, {"Content-Length": "200"}, TOO_BIG),
    "/static/images/big-trickle.gif": Reply(
        body=sized(GIF, 200_000), chunked=True, chunk_size=4096, chunk_delay=0.05
    ),
    "/static/images/gzip.png": (200, {"Content-Encoding": "gzip"}, gzip.compress(PNG)),
    "/static/images/br.png": (200, {"Content-Encoding": "br"}, PNG),
    "/static/images/short.png": (200, {"Content-Length": str(len(PNG))}, PNG[:100]),
    "/static/images/page.jpg": (
        200,
        {"Content-Type": "image/jpeg"},
        b"<!doctype html><html><body>Log in</body></html>",
    ),
    "/static/images/empty.png": (200, {"Content-Type": "image/png"}, b""),
}


@pytest.fixture
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ROUTES) as server:
        yield server


def static(path: str) -> ImageSource:
    return ImageSource(SourceKind.STATIC, "public", path)


def fetch_all(base_url: str, *sources: ImageSource, **options: Any) -> list[Original]:
    """Fetch `sources` in turn through one fetcher (no retries unless asked), closed after."""

    async def scenario() -> list[Original]:
        settings = {"timeouts": FAST, "caps": CAPS, "retry": NO_RETRY, **options}
        fetcher = HttpxOriginFetcher(base_url, **settings)
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
    assert request.headers["host"] == f"127.0.0.1:{origin.port}"


@pytest.mark.parametrize(("path", "body"), [("photo.jpg", JPEG), ("logo.svg", SVG)])
def test_each_format_is_recognised_by_its_first_bytes(
    origin: LoopbackOrigin, path: str, body: bytes
) -> None:
    assert fetch(origin, path).data == body


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


def test_an_ipv6_loopback_origin_named_in_the_allow_list_is_fetched() -> None:
    with LoopbackOrigin(ROUTES, host="::1") as v6:
        assert fetch(v6, "cat.png").data == PNG
        assert v6.paths == ["/static/images/cat.png"]


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("unrouted.png", OriginNotFound),
        ("gone.png", OriginNotFound),
        ("forbidden.png", OriginNotFound),
        ("teapot.png", OriginNotFound),
        ("too-slow.png", OriginTimeout),
        ("busy.png", OriginUnavailable),
        ("down.png", OriginUnavailable),
        ("broken.png", OriginUnavailable),
        ("unsupported.png", OriginUnavailable),
        ("choices.png", OriginRefused),
        ("gzip.png", OriginRefused),
        ("br.png", OriginRefused),
        ("short.png", OriginUnavailable),
        ("page.jpg", OriginNotAnImage),
        ("empty.png", OriginNotAnImage),
    ],
)
def test_origin_answers_become_port_errors(
    origin: LoopbackOrigin, path: str, error: type[OriginError]
) -> None:
    with pytest.raises(error) as raised:
        fetch(origin, path)
    assert type(raised.value) is error
    assert origin.paths == [f"/static/images/{path}"]


def test_only_not_found_and_not_an_image_are_negatively_cacheable(origin: LoopbackOrigin) -> None:
    cacheable = {}
    for path in ("gone.png", "page.jpg", "down.png", "gzip.png", "big-declared.png"):
        with pytest.raises(OriginError) as raised:
            fetch(origin, path)
        cacheable[path] = raised.value.negative_cacheable
    assert cacheable == {
        "gone.png": True,
        "page.jpg": True,
        "down.png": False,
        "gzip.png": False,
        "big-declared.png": False,
    }


def test_a_silent_origin_times_out_on_the_read_timeout(origin: LoopbackOrigin) -> None:
    started = time.monotonic()
    with pytest.raises(OriginTimeout) as raised:
        fetch(origin, "slow.png")
    assert isinstance(raised.value.__cause__, httpx.ReadTimeout)
    assert time.monotonic() - started < 3.0  # the origin would have answered after 5 s


def test_a_trickling_origin_times_out_on_the_total_deadline(origin: LoopbackOrigin) -> None:
    # Each piece arrives well within the read timeout; the whole body would take 1.6 s.
    with pytest.raises(OriginTimeout) as raised:
        fetch(origin, "trickle.png", timeouts=OriginTimeouts(read=1.0, total=0.3))
    assert isinstance(raised.value.__cause__, TimeoutError)


def test_a_body_of_exactly_its_cap_is_accepted(origin: LoopbackOrigin) -> None:
    assert fetch(origin, "exact.png").data == sized(PNG, CAP)


@pytest.mark.parametrize(
    "path",
    [
        "big-declared.png",  # honest Content-Length over the PNG cap
        "big-chunked.png",  # no Content-Length: counted while streaming
        "big-unframed.png",  # no Content-Length, no chunking: the close ends the body
        "big-claim.png",  # a claim over every cap
        "big-gif-claim.gif",  # a claim over the GIF cap, known once the bytes say GIF
    ],
)
def test_a_body_over_its_cap_is_too_large(origin: LoopbackOrigin, path: str) -> None:
    with pytest.raises(OriginTooLarge):
        fetch(origin, path)


def test_a_content_length_shorter_than_the_body_cuts_the_body(origin: LoopbackOrigin) -> None:
    # The origin sends a whole oversized body after `Content-Length: 200`: only 200 bytes are
    # read, the rest is never taken from the socket.
    assert fetch(origin, "lying-short.png").data == TOO_BIG[:200]


def test_streaming_stops_as_soon_as_the_cap_is_passed(origin: LoopbackOrigin) -> None:
    # The whole chunked body would take 2.4 s to arrive; the GIF cap is passed after 9 pieces.
    started = time.monotonic()
    with pytest.raises(OriginTooLarge):
        fetch(origin, "big-trickle.gif", timeouts=OriginTimeouts(read=1.0, total=5.0))
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OriginUnavailable) as raised:
        fetch_all(f"http://127.0.0.1:{port}", static("cat.png"))
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


def test_the_allow_list_checks_the_lower_cased_host_of_the_base_url() -> None:
    settings = Settings(BACKEND_URL="https://IMG.Example.COM:8443/base/")
    assert settings.backend_host == "img.example.com"
    admission = OriginAdmission(settings.backend_host, HostAllowList.of(["img.example.com"]))
    assert admission.permitted


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


def test_the_loopback_origin_binds_loopback_addresses_only() -> None:
    with pytest.raises(ValueError):
        LoopbackOrigin(ROUTES, host="10.0.0.1")
