"""Pages in a real headless Chromium (Debian's /usr/bin/chromium via Playwright), with the map
tiles failing to load as they do offline: no console errors, no page errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser
TILE_HOSTS = ("tile.openstreetmap.org",)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is needed; make test installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


class PageLog:
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


def open_page(browser: Browser, server: LiveServer, path: str) -> tuple[Page, PageLog]:
    page = browser.new_page()
    log = PageLog(page, server.url)
    response = page.goto(server.url + path, wait_until="load")
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    return page, log


def test_start_page_and_docs_have_no_console_errors(browser: Browser, live_demo: LiveServer
                                                    ) -> None:
    page, log = open_page(browser, live_demo, "/")
    assert page.locator("h1").inner_text() == "Trygg"
    assert "Demoläge" in page.content()
    page.wait_for_timeout(200)
    assert log.errors == []
    page.close()
    # The API docs load Swagger UI from a CDN in stock FastAPI; ours serve it locally.
    page, log = open_page(browser, live_demo, "/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=15_000)
    assert "Trygg" in page.locator(".swagger-ui .info").inner_text()
    assert log.errors == []
    page.close()


def test_demo_login_and_overview_map(browser: Browser, live_demo: LiveServer) -> None:
    page, log = open_page(browser, live_demo, "/")
    page.click("text=Logga in som demo-patrullchef")
    page.wait_for_url(live_demo.url + "/")
    assert "Inloggad som" in page.content() and "demo-patrullchef" in page.content()
    page.goto(live_demo.url + "/kartor/oversikt", wait_until="load")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_selector("#trygg-legend")
    legend = page.locator("#trygg-legend").inner_text()
    assert "Riskvägar" in legend and "schematisk" in legend.lower()
    assert page.locator("path.leaflet-interactive").count() > 20
    assert log.errors == [] and log.dialogs == []
    page.close()
