"""The dashboard in a real browser: a seeded collector (tests/unit/collector/web/dashboard_world.py) served
by a real uvicorn on 127.0.0.1 in a thread, and Debian's headless Chromium driven by Selenium through
/usr/bin/chromedriver (Selenium Manager never downloads anything: both paths are given, SE_OFFLINE=true).

Outside CI a missing chromium or chromedriver skips the test saying which; in CI it fails (need_tool)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need_tool
from tests.integration.collector_server import free_port
from tests.unit.collector.web.dashboard_world import Dashboard

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WIDTH, HEIGHT = 1366, 768  # a school-office PC


@contextmanager
def serving(board: Dashboard) -> Iterator[str]:
    """uvicorn serving the board's app on a free loopback port; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(board.app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, name="dashboard-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError("uvicorn did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@dataclass
class Browser:
    driver: Any  # selenium.webdriver.Chrome
    base: str
    downloads: Path
    shots: Path
    console: list[dict[str, Any]] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.collect_console()

    def collect_console(self) -> None:
        self.console += self.driver.get_log("browser")

    def errors(self) -> list[dict[str, Any]]:
        self.collect_console()
        return [entry for entry in self.console if entry.get("level") in ("SEVERE", "ERROR")]

    def shot(self, name: str) -> Path:
        """A screenshot of the whole page (the window stretched to its height), saved as a test artifact."""
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight") or HEIGHT)
        self.driver.set_window_size(WIDTH, max(HEIGHT, min(height, 6000)))
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(WIDTH, HEIGHT)
        return path

    def follow(self, element: Any, submit: bool = False, timeout: float = 60) -> None:
        """Click a link or button (or submit a form field) and wait until the next page has replaced this
        one: reading right after a click may otherwise find the old page's elements, gone a moment later."""
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.driver.find_element("tag name", "html")

        def replaced(_driver: Any) -> bool:
            try:
                old.is_enabled()
            except StaleElementReferenceException:
                return True
            except WebDriverException as exc:  # Chrome may name a node of the replaced document this way
                if "does not belong to the document" in str(exc):
                    return True
                raise
            return False

        if submit:
            element.submit()
        else:
            element.click()
        WebDriverWait(self.driver, timeout).until(replaced)
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        self.collect_console()

    def download(self, path: str, suffix: str, timeout: float = 120) -> Path:
        """Follow a link to an attachment and wait for the file to be complete in the downloads folder."""
        before = set(self.downloads.iterdir())
        self.driver.get(self.base + path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [p for p in set(self.downloads.iterdir()) - before
                    if p.suffix == suffix and not p.name.endswith(".crdownload")]
            if done and done[0].stat().st_size > 0:
                return done[0]
            time.sleep(0.2)
        raise AssertionError(f"no {suffix} download from {path} within {timeout:.0f} s")


def chrome(downloads: Path) -> Any:
    """Headless Chromium from the system paths; nothing is downloaded."""
    need_tool(CHROMIUM)
    need_tool(CHROMEDRIVER)
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars", "--lang=vi", f"--window-size={WIDTH},{HEIGHT}"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "plugins.always_open_pdf_externally": True, "intl.accept_languages": "vi"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(120)
    return driver


@contextmanager
def browsing(board: Dashboard, artifacts: Path) -> Iterator[Browser]:
    downloads, shots = artifacts / "downloads", artifacts / "screenshots"
    downloads.mkdir(parents=True, exist_ok=True)
    shots.mkdir(parents=True, exist_ok=True)
    with serving(board) as base:
        driver = chrome(downloads)
        browser = Browser(driver, base, downloads, shots)
        try:
            yield browser
        finally:
            (artifacts / "console.json").write_text(json.dumps(browser.console, indent=1), encoding="utf-8")
            driver.quit()


def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots and downloads are kept: $SECAUDIT_TEST_ARTIFACTS/dashboard if set (CI uploads it),
    else the test's tmp directory."""
    root = os.environ.get("SECAUDIT_TEST_ARTIFACTS")
    if root:
        path = Path(root) / "dashboard"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("dashboard-browser")
