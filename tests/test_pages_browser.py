"""Pages in a real headless Chromium (Debian's /usr/bin/chromium via Playwright), with the map
tiles failing to load as they do offline: no console errors, no page errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import open_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser

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
    page.wait_for_selector(".swagger-ui .info", timeout=60_000)
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
