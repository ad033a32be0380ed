"""Headless Chromium for the page tests, driven by Playwright with the machine's own browser.

`chromium()` finds the executable (`CHROMIUM` in the environment, else `chromium` or
`chromium-browser` on PATH) and fails the test, never skips it, when there is none: `.ci/run`
installs Debian's `chromium`. `artefacts(name)` is the folder screenshots go to,
`.artifacts/<name>/` at the repository's root (ignored by git).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("chromium", "chromium-browser")


def chromium_path() -> str:
    """The Chromium executable to drive; fails the calling test when there is none."""
    named = os.environ.get("CHROMIUM")
    found = named or next((path for name in NAMES if (path := shutil.which(name))), None)
    if not found or not Path(found).exists():
        pytest.fail(
            "no Chromium to run the page tests: install it (`apt-get install -y chromium`, as "
            ".ci/run does) or set CHROMIUM to its executable",
            pytrace=False,
        )
    return found


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed (with Playwright's driver) however the test ends."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def artefacts(name: str) -> Path:
    """`.artifacts/<name>/`, created empty of old screenshots."""
    folder = ROOT / ".artifacts" / name
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder
