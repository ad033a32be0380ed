"""The opt-in features of ADR 24 over the real server and a loopback origin: the info route
on real originals, the origin asked once for an image and its info, signatures required
before any origin request, and presets sharing their spelled-out twin's result."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from PIL import Image

from domain import thumbhash
from domain.signing import UrlSigner
from tests.support import images
from tests.support.origin_server import LoopbackOrigin, RecordedRequest, Reply
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

SECRET = "features-test-secret"
KEY = "integration-signing-key-1"
OLD_KEY = "integration-signing-key-0"
THUMB = "120/90/cover/center/transparent/0/80.jpeg"
PRESETS = json.dumps({"thumb": THUMB})
META = "/media_stream-meta/media/acme/uploads"
IMAGE = "/media_stream-image/media/acme/uploads"
HELD = "/media/acme/uploads/held.jpg"
RELEASE = threading.Event()


def rotated_jpeg() -> bytes:
    """Stored 300 x 200 with EXIF orientation 6: shown 200 wide and 300 high."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return images.encode(Image.new("RGB", (300, 200), (200, 40, 40)), "JPEG", exif=exif.tobytes())


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (50, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))] * 2
    return images.encode(
        frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0
    )


def held(request: RecordedRequest) -> Reply:
    """Answers only once the test releases it (or after 10 s, so a failing test ends)."""
    RELEASE.wait(10)
    return Reply(headers={"Content-Type": "image/jpeg"}, body=images.jpeg(400, 300))


ROUTES = {
    "/media/acme/uploads/rotated.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=rotated_jpeg()
    ),
    "/media/acme/uploads/anim.gif": Reply(
        headers={"Content-Type": "image/gif"}, body=animated_gif()
    ),
    "/media/acme/uploads/alpha.png": Reply(
        headers={"Content-Type": "image/png"}, body=images.png_with_alpha(300, 150)
    ),
    "/media/acme/uploads/photo.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=images.jpeg(640, 480)
    ),
    "/media/acme/uploads/page.jpg": Reply(
        headers={"Content-Type": "image/jpeg"}, body=b"<!doctype html><html>hello</html>"
    ),
    HELD: held,
}


@pytest.fixture(scope="module")
def origin() -> Iterator[LoopbackOrigin]:
    with LoopbackOrigin(ROUTES) as running:
        yield running
        RELEASE.set()


def start(origin: LoopbackOrigin, root: Path, **extra: str) -> RunningServer:
    env = {
        "BACKEND_URL": origin.base_url,
        "CACHE_FILE_DIRECTORY": str(root / "cache"),
        "LOG_LEVEL": "warning",
        "IMAGE_WORKER_THREADS": "2",
        "IMAGE_RENDER_PROCESSES": "1",
        "RATE_LIMIT_ENABLED": "false",
        "INTERNAL_ADMIN_SECRET": SECRET,
        "IMAGE_INFO_ENABLED": "true",
        "IMAGE_PRESETS": PRESETS,
        **extra,
    }
    return RunningServer(env, root / "server.log")


@pytest.fixture(scope="module")
def server(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("features")
    with start(origin, root, URL_SIGNING_KEYS=f"{KEY},{OLD_KEY}") as running:
        yield running
        assert "Traceback" not in running.log_text()


@pytest.fixture(scope="module")
def locked(
    origin: LoopbackOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    root = tmp_path_factory.mktemp("locked")
    with start(
        origin, root, URL_SIGNING_KEYS=KEY, URL_SIGNING_REQUIRED="true", PRESETS_ONLY="true"
    ) as running:
        yield running


def get(server: RunningServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(server.url(path), headers=headers, timeout=30)


def fetches(origin: LoopbackOrigin, path: str) -> int:
    return origin.paths.count(path)


def test_info_of_a_jpeg_with_exif_rotation(server: RunningServer) -> None:
    first = get(server, f"{META}/rotated.jpg")
    again = get(server, f"{META}/rotated.jpg", **{"If-None-Match": first.headers["etag"]})

    info = first.json()
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/json"
    assert (info["width"], info["height"], info["format"]) == (200, 300, "jpeg")
    assert (info["frames"], info["hasAlpha"]) == (1, False)
    assert info["bytes"] == len(rotated_jpeg())
    assert info["dominantColor"] == "#c82828"
    placeholder = thumbhash.decode(base64.b64decode(info["thumbhash"]))
    assert placeholder.width < placeholder.height  # upright: portrait
    r, g, b, _ = thumbhash.average_rgba(base64.b64decode(info["thumbhash"]))
    assert (r, g, b) == pytest.approx((200 / 255, 40 / 255, 40 / 255), abs=0.06)
    preview = images.open_image(base64.b64decode(info["preview"].split(",", 1)[1]))
    assert preview.height == 16
    assert preview.width < 16
    assert first.headers["x-cache"] == "MISS"
    assert (again.status_code, again.headers["x-cache"]) == (304, "HIT-MEMORY")


def test_info_of_an_animated_gif_and_a_png_with_alpha(server: RunningServer) -> None:
    gif = get(server, f"{META}/anim.gif").json()
    png = get(server, f"{META}/alpha.png").json()

    assert (gif["format"], gif["frames"], gif["width"], gif["height"]) == ("gif", 4, 50, 30)
    assert gif["hasAlpha"] is False
    assert (png["format"], png["frames"], png["hasAlpha"]) == ("png", 1, True)
    assert (png["width"], png["height"]) == (300, 150)
    assert base64.b64decode(png["thumbhash"])[2] & 0x80  # the hash carries alpha


def test_missing_and_non_image_originals_are_json_errors_not_fallbacks(
    server: RunningServer,
) -> None:
    missing = get(server, f"{META}/nothing-here.jpg")
    page = get(server, f"{META}/page.jpg")

    assert (missing.status_code, missing.json()["code"]) == (404, "ORIGIN_NOT_FOUND")
    assert (page.status_code, page.json()["code"]) == (422, "NOT_AN_IMAGE")
    for response in (missing, page):
        assert response.headers["content-type"].startswith("application/json")
        assert "x-fallback" not in response.headers
        assert "127.0.0.1" not in response.text  # the upstream URL is never sent


def coalesced(server: RunningServer) -> float:
    text = get(server, "/metrics", **{"X-Internal-Secret": SECRET}).text
    for line in text.splitlines():
        if line.startswith("mediastream_coalesced_requests_total "):
            return float(line.split()[1])
    return 0.0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def test_an_image_and_its_info_together_ask_the_origin_once(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    before = coalesced(server)
    with ThreadPoolExecutor(2) as pool:
        image = pool.submit(get, server, f"{IMAGE}/held.jpg/{THUMB}")
        wait_for(lambda: fetches(origin, HELD) == 1, "the origin to be asked for the image")
        info = pool.submit(get, server, f"{META}/held.jpg")
        # the info request has joined the fetch in flight once it counts as coalesced
        wait_for(lambda: coalesced(server) > before, "the info request to join the fetch")
        RELEASE.set()
        image_response, info_response = image.result(), info.result()

    assert image_response.status_code == 200
    assert "x-fallback" not in image_response.headers
    assert images.open_image(image_response.content).size == (120, 90)
    assert (info_response.json()["width"], info_response.json()["height"]) == (400, 300)
    assert fetches(origin, HELD) == 1


def test_a_preset_url_and_its_spelled_out_twin_share_one_result(
    server: RunningServer, origin: LoopbackOrigin
) -> None:
    preset = get(server, "/media_stream-image/preset/thumb/media/acme/uploads/photo.jpg")
    twin = get(server, f"{IMAGE}/photo.jpg/{THUMB}")
    unknown = get(server, "/media_stream-image/preset/poster/media/acme/uploads/photo.jpg")

    assert (preset.headers["x-cache"], twin.headers["x-cache"]) == ("MISS", "HIT-MEMORY")
    assert twin.content == preset.content
    assert images.open_image(preset.content).size == (120, 90)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "PRESET_NOT_FOUND")
    assert fetches(origin, "/media/acme/uploads/photo.jpg") == 1


def test_with_keys_a_bad_signature_is_refused_and_unsigned_urls_still_work(
    server: RunningServer,
) -> None:
    path = f"{IMAGE}/photo.jpg/60/60/cover/center/transparent/0/70.webp"
    signed_with_old = UrlSigner((OLD_KEY,)).signed(path)

    unsigned = get(server, path)
    old = get(server, signed_with_old)
    bad = get(server, path + "?s=" + "A" * 43)

    assert (unsigned.status_code, old.status_code) == (200, 200)
    assert old.headers["x-cache"] == "HIT-MEMORY"  # the signature is not part of the key
    assert (bad.status_code, bad.json()["code"]) == (403, "INVALID_SIGNATURE")


def sign_with_the_cli(path: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "sign", path],
        env={**os.environ, "URL_SIGNING_KEYS": KEY, "ENV_FILE": os.devnull},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return completed.stdout.strip()


def test_required_signatures_refuse_unsigned_requests_without_asking_the_origin(
    locked: RunningServer, origin: LoopbackOrigin
) -> None:
    preset = "/media_stream-image/preset/thumb/media/acme/uploads/alpha.png"
    info = f"{META}/anim.gif"
    asked = len(origin.requests)

    refused = [
        get(locked, preset),
        get(locked, info),
        get(locked, preset + "?s=" + UrlSigner((OLD_KEY,)).sign(preset)),
    ]
    assert len(origin.requests) == asked  # refused before any origin request
    signed = get(locked, sign_with_the_cli(preset))
    signed_info = get(locked, sign_with_the_cli(info))
    spelled = get(locked, sign_with_the_cli(f"{IMAGE}/alpha.png/{THUMB}"))

    assert [r.status_code for r in refused] == [403, 403, 403]
    assert {r.json()["code"] for r in refused} == {"INVALID_SIGNATURE"}
    assert signed.status_code == 200
    assert signed.headers["content-type"] == "image/jpeg"
    assert signed_info.json()["frames"] == 4
    assert (spelled.status_code, spelled.json()["code"]) == (403, "PRESETS_ONLY")
