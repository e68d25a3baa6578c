"""A real headless Chromium for page tests: Debian's chromium driven by its chromedriver.

No browser is downloaded: the binaries come from Debian (`scripts/install-browser`), and
Selenium is told exactly where they are so its driver manager never runs. Works as root and
without a display. Screenshots go to `test-artifacts/`, full page height.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LAPTOP = (1366, 860)
# No host name resolves but the loopback address: the page gets no CDN, as on a machine offline.
OFFLINE = ("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",)
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", f"--window-size={LAPTOP[0]},{LAPTOP[1]}",
)  # fmt: skip


def open_chromium(profile: Path, extra_flags: tuple[str, ...] = ()):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, *extra_flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    return driver


def chromium_session(tmp_path: Path, extra_flags: tuple[str, ...] = ()) -> Iterator:
    """For a fixture: `yield from chromium_session(tmp_path)`; skips (fails on CI) without it."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "Debian's chromium and chromium-driver are needed: run ./scripts/install-browser"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    driver = open_chromium(tmp_path / "chromium-profile", extra_flags)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver, name: str, width: int = LAPTOP[0]) -> Path:
    """The whole page as a PNG in test-artifacts/, at laptop width unless told (a phone: 400)."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.set_window_size(width, LAPTOP[1])
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(LAPTOP[1], min(height + 40, 6000)))
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(*LAPTOP)
    return path


def page_width_at(driver, width: int) -> tuple[int, int]:
    """(viewport width, page width) with the window `width` px wide: the page fits if equal."""
    driver.set_window_size(width, LAPTOP[1])
    return driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth]")
