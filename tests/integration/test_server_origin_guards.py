"""The real server over real HTTP against misbehaving loopback origins: X-Fallback tells why.

Two nodes run: `server` for retries, redirects, address checks and bodies (its breaker needs
1000 requests to trip), and `breaker_node`, whose breaker trips after three and which talks to
an origin the tests switch on and off.
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from entrypoints.cli.main import main
from tests.support import images
from tests.support.origin_server import LoopbackOrigin, RecordedRequest, Reply
from tests.support.scripts import Script, Switch
from tests.support.server import RunningServer

PREFIX = "/media_stream-image/media/acme/uploads"
OPTIONS = "200/120/contain/center/FF0000/0/80.png"
ADMIN_SECRET = "admin-secret-for-tests"
DOMAINS_TOKEN = "domains-token-for-tests"
JPEG = images.jpeg(320, 200)
IMAGE = Reply(headers={"Content-Type": "image/jpeg"}, body=JPEG)
GIF_CAP = 64 * 1024
BIG_GIF = b"GIF89a" + b"\0" * (GIF_CAP * 3)


def url(name: str, options: str = OPTIONS) -> str:
    return f"{PREFIX}/{name}/{options}"


def origin_path(name: str) -> str:
    return f"/media/acme/uploads/{name}"


def tenant_domains(request: RecordedRequest) -> Reply:
    if request.headers.get("x-internal-token") != DOMAINS_TOKEN:
        return Reply(403, body=b"who are you")
    return Reply(
        headers={"Content-Type": "application/json"}, body=json.dumps(["localhost"]).encode()
    )


@pytest.fixture(scope="module")
def second() -> Iterator[LoopbackOrigin]:
    """A host the allow-list does not name (127.0.0.2)."""
    with LoopbackOrigin({"/elsewhere.jpg": IMAGE}, host="127.0.0.2") as running:
        yield running


@pytest.fixture(scope="module")
def tenant_target() -> Iterator[LoopbackOrigin]:
    """Where a tenant domain ("localhost") points: 127.0.0.1, not named in the allow-list."""
    with LoopbackOrigin({"/elsewhere.jpg": IMAGE}, host="127.0.0.1") as running:
        yield running


@pytest.fixture(scope="module")
def origin(second: LoopbackOrigin, tenant_target: LoopbackOrigin) -> Iterator[LoopbackOrigin]:
    routes = {
        origin_path("flaky.jpg"): Script(Reply(503), IMAGE),
        origin_path("slow-once.jpg"): Script(Reply(body=JPEG, delay=3.0), IMAGE),
        origin_path("retry-after.jpg"): Script(Reply(503, {"Retry-After": "1"}), IMAGE),
        origin_path("moved.jpg"): Reply(301, {"Location": "/hop/1"}),
        "/hop/1": Reply(302, {"Location": "/hop/2"}),
        "/hop/2": Reply(307, {"Location": origin_path("products/foo.jpg")}),
        origin_path("products/foo.jpg"): IMAGE,
        origin_path("escape.jpg"): Reply(302, {"Location": second.url("/elsewhere.jpg")}),
        origin_path("tenant.jpg"): Reply(
            302, {"Location": f"http://localhost:{tenant_target.port}/elsewhere.jpg"}
        ),
        origin_path("huge.gif"): Reply(body=BIG_GIF, chunked=True),
        origin_path("huge-claim.gif"): Reply(
            headers={"Content-Length": str(GIF_CAP + 1)}, body=BIG_GIF[:9000]
        ),
        origin_path("gzip.png"): Reply(
            headers={"Content-Type": "image/png", "Content-Encoding": "gzip"},
            body=gzip.compress(images.png_with_alpha(40, 40)),
        ),
        origin_path("page.jpg"): Reply(
            headers={"Content-Type": "image/jpeg"}, body=b"<!doctype html><p>Log in</p>"
        ),
        "/internal/tenant-domains": tenant_domains,
    }
    with LoopbackOrigin(routes) as running:
        yield running


def node_env(origin: LoopbackOrigin, cache: Path, **extra: str) -> dict[str, str]:
    return {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(cache),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "2",
        "INTERNAL_ADMIN_SECRET": ADMIN_SECRET,
        "HTTP_MAX_RETRIES": "2",
        "HTTP_RETRY_DELAY": "10",
        "HTTP_MAX_RETRY_DELAY": "2000",
        "HTTP_READ_TIMEOUT": "400",
        "EXTERNAL_REQUEST_TIMEOUT": "5000",
        **extra,
    }


@pytest.fixture(scope="module")
def server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("guarded")
    env = node_env(
        origin,
        root / "cache",
        MAX_SOURCE_BYTES_GIF=str(GIF_CAP),
        HTTP_CIRCUIT_BREAKER_MIN_REQUESTS="1000",
        TENANT_DOMAINS_REFRESH_URL=origin.url("/internal/tenant-domains"),
        INTERNAL_DOMAINS_SECRET=DOMAINS_TOKEN,
        TENANT_DOMAINS_REFRESH_INTERVAL_MS="200",
    )
    with RunningServer(env, root / "server.log") as running:
        yield running


def get(server: RunningServer, path: str) -> httpx.Response:
    return httpx.get(server.url(path), timeout=30)


def assert_fallback(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 200
    assert response.headers.get("x-fallback") == reason
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["content-type"] == "image/png"
    assert images.open_image(response.content).size == (200, 120)


def assert_real_image(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert "x-fallback" not in response.headers
    assert images.open_image(response.content).size == (200, 120)


# --- retries ----------------------------------------------------------------------------------


def test_a_503_then_200_is_retried_into_the_real_image(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    assert_real_image(get(server, url("flaky.jpg")))
    assert origin.paths.count(origin_path("flaky.jpg")) == 2


def test_a_slow_origin_times_out_and_the_retry_succeeds(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    started = time.monotonic()
    assert_real_image(get(server, url("slow-once.jpg")))
    assert origin.paths.count(origin_path("slow-once.jpg")) == 2
    assert time.monotonic() - started < 2.5  # the first answer would have taken 3 s


def test_retry_after_is_waited_for(server: RunningServer, origin: LoopbackOrigin) -> None:
    started = time.monotonic()
    assert_real_image(get(server, url("retry-after.jpg")))
    assert time.monotonic() - started >= 0.95
    assert origin.paths.count(origin_path("retry-after.jpg")) == 2


# --- redirects and addresses ------------------------------------------------------------------


def test_a_redirect_chain_within_the_allowed_host_is_followed(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    assert_real_image(get(server, url("moved.jpg")))
    assert "/hop/2" in origin.paths


def test_a_redirect_to_a_loopback_address_not_allowed_is_never_connected_to(
    server: RunningServer, second: LoopbackOrigin
) -> None:
    assert_fallback(get(server, url("escape.jpg")), "origin-refused")
    assert second.requests == []


def test_a_tenant_domain_pointing_at_loopback_is_never_connected_to(
    server: RunningServer, origin: LoopbackOrigin, tenant_target: LoopbackOrigin
) -> None:
    refreshed = wait_until(server, lambda body: not body["tenantDomains"]["neverRefreshed"])
    assert refreshed["tenantDomains"]["domains"] == 1

    assert_fallback(get(server, url("tenant.jpg")), "origin-refused")
    assert tenant_target.requests == []
    token_requests = [r for r in origin.requests if r.path == "/internal/tenant-domains"]
    assert token_requests[0].headers["x-internal-token"] == DOMAINS_TOKEN


def wait_until(
    server: RunningServer, ready: Callable[[dict[str, Any]], bool], timeout: float = 10.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = get(server, "/health/origin").json()
        if ready(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


# --- bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("huge.gif", "source-too-large"),  # no Content-Length: stopped while streaming
        ("huge-claim.gif", "source-too-large"),  # a Content-Length over the GIF cap
        ("gzip.png", "origin-refused"),
        ("page.jpg", "not-an-image"),
    ],
)
def test_bodies_the_service_will_not_take_answer_the_fallback(
    server: RunningServer, origin: LoopbackOrigin, name: str, reason: str
) -> None:
    assert_fallback(get(server, url(name)), reason)
    assert origin.paths.count(origin_path(name)) == 1  # never retried


# --- the circuit breaker ----------------------------------------------------------------------

SWITCH = Switch(up=IMAGE, down=Reply(503, body=b"down"))


@pytest.fixture(scope="module")
def flaky_origin() -> Iterator[LoopbackOrigin]:
    routes = {origin_path(f"{n}.jpg"): SWITCH for n in range(40)}
    routes[origin_path("missing.jpg")] = Reply(404)
    with LoopbackOrigin(routes) as running:
        yield running


@pytest.fixture(scope="module")
def breaker_node(
    flaky_origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("breaker")
    env = node_env(
        flaky_origin,
        root / "cache",
        HTTP_MAX_RETRIES="0",
        HTTP_CIRCUIT_BREAKER_MIN_REQUESTS="3",
        HTTP_CIRCUIT_BREAKER_FAILURE_THRESHOLD="50",
        HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT="600",
        HTTP_CIRCUIT_BREAKER_HALF_OPEN_REQUESTS="1",
    )
    with RunningServer(env, root / "server.log") as running:
        yield running


@pytest.fixture
def node(breaker_node: RunningServer) -> RunningServer:
    """The breaker node with its breakers closed and the origin up."""
    reset = httpx.post(
        breaker_node.url("/health/circuit-breaker/reset"),
        headers={"X-Internal-Secret": ADMIN_SECRET},
    )
    assert reset.status_code == 200
    SWITCH.is_up = True
    return breaker_node


class Images:
    """Distinct image URLs, so no answer comes from a cache."""

    next = 0

    @classmethod
    def url(cls) -> str:
        cls.next += 1
        return url(f"{cls.next % 40}.jpg", f"{100 + cls.next}/60/fill/center/FF0000/0/80.png")


def breaker_state(node: RunningServer) -> str:
    body = get(node, "/health/circuit-breaker").json()
    return str(body["state"])


def trip(node: RunningServer) -> None:
    SWITCH.is_up = False
    reasons = [get(node, Images.url()).headers.get("x-fallback") for _ in range(3)]
    assert reasons == ["origin-unavailable"] * 3
    assert breaker_state(node) == "open"


def test_an_open_breaker_answers_circuit_open_without_asking_the_origin(
    node: RunningServer,
) -> None:
    trip(node)
    asked = SWITCH.requests

    response = get(node, Images.url())

    assert response.headers["x-fallback"] == "circuit-open"
    assert response.headers["cache-control"] == "public, max-age=60"
    assert SWITCH.requests == asked
    assert get(node, "/health/origin").status_code == 503


def test_a_recovered_origin_closes_the_breaker_after_the_reset_timeout(
    node: RunningServer,
) -> None:
    trip(node)
    SWITCH.is_up = True
    assert get(node, Images.url()).headers["x-fallback"] == "circuit-open"

    time.sleep(0.65)  # HTTP_CIRCUIT_BREAKER_RESET_TIMEOUT: the next request is a probe

    assert "x-fallback" not in get(node, Images.url()).headers
    assert breaker_state(node) == "closed"


def test_a_404_storm_never_trips_the_breaker(node: RunningServer) -> None:
    for width in range(6):
        response = get(node, url("missing.jpg", f"{50 + width}/50/fill/center/FF0000/0/80.png"))
        assert response.headers["x-fallback"] == "origin-not-found"

    assert breaker_state(node) == "closed"


def test_reset_needs_the_secret(node: RunningServer) -> None:
    trip(node)

    refused = httpx.post(node.url("/health/circuit-breaker/reset"))
    wrong = httpx.post(
        node.url("/health/circuit-breaker/reset"), headers={"X-Internal-Secret": "guess"}
    )

    assert (refused.status_code, wrong.status_code) == (401, 401)
    assert wrong.json()["code"] == "UNAUTHORIZED"
    assert breaker_state(node) == "open"


def test_the_cli_resets_the_breakers_of_the_running_node(
    node: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    trip(node)
    SWITCH.is_up = True
    monkeypatch.setenv("INTERNAL_ADMIN_SECRET", ADMIN_SECRET)
    monkeypatch.setenv("HOST", "127.0.0.1")
    monkeypatch.setenv("PORT", str(node.port))
    monkeypatch.chdir(tmp_path)  # no stray .env

    status = main(["breaker", "reset"])

    assert status == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["state"] == "closed"
    assert len(printed["reset"]) == 1
    assert breaker_state(node) == "closed"
    assert "x-fallback" not in get(node, Images.url()).headers
