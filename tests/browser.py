"""Headless Chromium for page tests: Debian's /usr/bin/chromium through Playwright (never a
downloaded browser), map tiles failing as they do offline, console errors and dialogs recorded.

Pages run under the app's Content-Security-Policy (no 'unsafe-eval'): give
``page.wait_for_function`` a function (``"() => ..."``), never a bare expression, which
Playwright would eval inside the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
TILE_HOSTS = ("tile.openstreetmap.org",)


def launched_browser() -> Iterator[Browser]:
    """Chromium started headless with the flags a closed network needs."""
    assert CHROMIUM.exists(), "Debian's chromium is needed; make test installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class PageLog:
    """What a page reported: console errors (failed tiles excepted) and dialogs."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: m.type == "error" and self._console(m))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        # Tiles come from the internet in real use: here they fail, as in CI.
        page.route("**/*", lambda route: route.abort() if any(
            h in route.request.url for h in TILE_HOSTS) or not route.request.url.startswith(
            base_url) else route.continue_())

    def _console(self, message) -> None:
        text = message.text
        location = message.location.get("url", "") if message.location else ""
        if any(h in text or h in location for h in TILE_HOSTS):
            return  # a failed tile is expected offline
        if "Failed to load resource" in text and "tile" in location:
            return
        self.errors.append(f"console: {text} ({location})")


# Every image has loaded or failed (an image's state and its load or error event come in one task,
# so their handlers have run) and every frame of the page's origin has loaded.
SETTLED = """() => [...document.images].every(image => image.complete)
  && [...document.querySelectorAll("iframe")].every(frame => {
    try { return !frame.contentDocument || frame.contentDocument.readyState === "complete"; }
    catch (e) { return true; }
  })"""


def settle(page: Page) -> None:
    """Wait, by polling, until the page's images and frames are done (a busy machine only waits
    longer; nothing here is a fixed sleep)."""
    page.wait_for_function(SETTLED, polling=50, timeout=60_000)


def open_page(browser: Browser, server: LiveServer, path: str) -> tuple[Page, PageLog]:
    """A new page at ``path`` of ``server``, checked to have loaded, with its log."""
    page = browser.new_page()
    page.set_default_timeout(60_000)  # generous: a loaded 2-core machine renders slowly
    log = PageLog(page, server.url)
    response = page.goto(server.url + path, wait_until="load")
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    return page, log
