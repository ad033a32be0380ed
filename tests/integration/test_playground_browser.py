"""The playground page in headless Chromium against the real server on the shipped samples:
it loads, a changed parameter updates the preview, the URL it shows keeps the contract, the
answer's headers and the node's cache figures are shown. Screenshots go to .artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import ConsoleMessage, Page

from domain.route import parse_image_path
from tests.support import images
from tests.support.browser import artefacts, chromium
from tests.support.server import RunningServer

pytestmark = pytest.mark.integration

# The image URL grammar of the HTTP contract (section 1), written out independently of the code.
CONTRACT = re.compile(
    r"/media_stream-image/(?:media/[a-z_][a-z0-9_]{0,62}/uploads/.+|static/images/[^/]+)"
    r"/(?P<width>[0-9]{1,4})/(?P<height>[0-9]{1,4})/(?:contain|cover|fill|inside|outside)"
    r"/(?:center|centre|top|north|bottom|south|left|west|right|east|northwest|northeast"
    r"|southwest|southeast|entropy|attention)"
    r"/(?:transparent|(?:%23)?(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}))"
    r"/[0-9]{1,3}/[0-9]{1,3}\.(?:webp|avif|jpeg|jpg|png|gif|tiff|svg|auto)"
)
FOO = "/media_stream-image/media/webside/uploads/products/foo.jpg"
FIRST = FOO + "/400/300/contain/center/transparent/0/80.webp"
CHANGED = FOO + "/320/200/cover/center/FF8800/0/80.png"
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("playground")
    env = {"CACHE_FILE_DIRECTORY": str(folder / "cache"), "LOG_LEVEL": "warning"}
    with RunningServer(env, folder / "server.log") as running:
        yield running


@pytest.fixture
def page(server: RunningServer) -> Iterator[tuple[Page, list[str]]]:
    """The playground loaded, with the console errors and page errors seen so far."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # the browser asks for /favicon.ico on its own; there is none (a 404 is right)
        if message.type == "error" and "favicon.ico" not in message.location.get("url", ""):
            problems.append(f"console: {message.text} at {message.location}")

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        opened = context.new_page()
        opened.on("console", on_console)
        opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        opened.goto(server.url("/"))
        yield opened, problems
        context.close()


def preview_shows(page: Page, path: str, width: int, height: int) -> None:
    page.wait_for_function(
        """([path, width, height]) => {
            const image = document.getElementById("preview");
            return document.getElementById("preview-frame").dataset.state === "ready"
                && image.dataset.url === path
                && image.naturalWidth === width && image.naturalHeight === height;
        }""",
        arg=[path, width, height],
        timeout=WAIT_MS,
    )


def shown_path(page: Page, server: RunningServer) -> str:
    shown = page.input_value("#url")
    assert shown.startswith(server.base_url + "/")
    return shown[len(server.base_url) :]


def test_a_changed_parameter_updates_the_preview_and_the_url(
    page: tuple[Page, list[str]], server: RunningServer
) -> None:
    browser_page, problems = page
    shots = artefacts("playground")
    preview_shows(browser_page, FIRST, 400, 300)
    browser_page.screenshot(path=str(shots / "1-loaded.png"), full_page=True)

    browser_page.fill("#width", "320")
    browser_page.fill("#height", "200")
    browser_page.select_option("#fit", "cover")
    browser_page.fill("#background", "#FF8800")
    browser_page.select_option("#format", "png")
    preview_shows(browser_page, CHANGED, 320, 200)
    browser_page.screenshot(path=str(shots / "2-changed.png"), full_page=True)
    print(f"screenshots in {shots}")

    path = shown_path(browser_page, server)
    assert CONTRACT.fullmatch(path), path
    assert path == CHANGED
    parsed = parse_image_path(path)
    assert (parsed.box.width, parsed.box.height, parsed.fit.value) == (320, 200, "cover")
    assert browser_page.inner_text("#h-type") == "image/png"
    assert browser_page.inner_text("#h-cache") == "MISS"
    assert browser_page.inner_text("#h-pixels") == "320 \u00d7 200"
    assert "total;dur=" in browser_page.inner_text("#h-timing")
    # the URL shown is the one the server answered: the same result, now from memory
    again = httpx.get(browser_page.input_value("#url"), timeout=10)
    assert again.headers["x-cache"] == "HIT-MEMORY"
    assert images.open_image(again.content).size == (320, 200)
    assert f"({len(again.content):,} B)" in browser_page.inner_text("#h-size")
    assert problems == []


def test_the_status_panel_shows_the_node_cache_figures(
    page: tuple[Page, list[str]], server: RunningServer
) -> None:
    browser_page, problems = page
    shots = artefacts("playground-status")
    preview_shows(browser_page, FIRST, 400, 300)
    path = shown_path(browser_page, server)
    for _ in range(2):
        assert httpx.get(server.url(path), timeout=10).headers["x-cache"] == "HIT-MEMORY"
    figures = httpx.get(server.url("/playground/status"), timeout=10).json()
    memory = next(layer for layer in figures["layers"] if layer["layer"] == "memory")
    assert memory["hits"] >= 2

    browser_page.wait_for_function(
        """(least) => {
            const row = document.querySelector('#layers tr[data-layer="memory"]');
            return row !== null && Number(row.cells[1].textContent) >= least;
        }""",
        arg=memory["hits"],
        timeout=WAIT_MS,
    )
    row = browser_page.inner_text('#layers tr[data-layer="memory"]')
    assert re.search(r"\d+(\.\d)? %", row), row
    assert "results" in browser_page.inner_text("#s-memory")
    assert re.search(r"files, .* \((ok|warning|critical)\)", browser_page.inner_text("#s-storage"))
    browser_page.screenshot(path=str(shots / "status.png"), full_page=True)
    assert problems == []


def test_a_value_outside_the_contract_shows_the_service_error(
    page: tuple[Page, list[str]], server: RunningServer
) -> None:
    browser_page, _ = page
    browser_page.wait_for_selector('#preview-frame[data-state="ready"]', timeout=WAIT_MS)

    browser_page.fill("#width", "9000")
    browser_page.wait_for_selector('#preview-frame[data-state="error"]', timeout=WAIT_MS)

    assert "400 INVALID_REQUEST" in browser_page.inner_text("#message")
    assert browser_page.inner_text("#h-status").startswith("400")
    assert shown_path(browser_page, server).split("/")[-7] == "9000"
    browser_page.screenshot(path=str(artefacts("playground-error") / "error.png"), full_page=True)
