"""Pages in a real headless Chromium (Debian's /usr/bin/chromium via Playwright), with the map
tiles failing to load as they do offline: no console errors, no page errors."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

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


# The views each role finds in the header (api/navigation.py), demo mode; None: not signed in.
PUBLIC = ["Tyck till", "Följ med"]  # open to everyone, signed in or not
NAV = {
    None: ["Översikt", "Planering", "Otrygga platser", "Löftesregistret", *PUBLIC],
    "rad": ["Översikt", "Otrygga platser", "Löftesregistret", *PUBLIC],
    "planerare": ["Översikt", "Planering", "Otrygga platser", "Löftesregistret", "Redigera",
                  "Moderering", *PUBLIC],
    "patrullchef": ["Översikt", "Täckning", "Otrygga platser", "Löftesregistret", "Redigera",
                    "Moderering", *PUBLIC],
}
def _sign_in(page: Page, server: LiveServer, role: str | None) -> None:
    page.goto(server.url + "/", wait_until="load")
    if role:
        page.click(f"text=Logga in som demo-{role}")
        page.wait_for_url(server.url + "/")


def test_one_navigation_with_the_views_each_role_may_open(browser: Browser,
                                                          live_demo: LiveServer) -> None:
    page, log = open_page(browser, live_demo, "/")
    for role, expected in NAV.items():
        page.context.clear_cookies()
        _sign_in(page, live_demo, role)
        links = page.locator("header.top nav a")
        assert links.all_inner_texts() == expected, role
        for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
            if href != "/kartor/tackning":  # opened in tests/test_coverage_browser.py
                assert page.request.get(live_demo.url + str(href)).ok, (role, href)
        if role:
            assert page.locator("header.top button", has_text="Logga ut").is_visible()
    # Every page has the same header, the current view marked: a map page, a page, an error.
    for path in ("/kartor/oversikt", "/kartor/lofte", "/no-such-page"):
        page.goto(live_demo.url + path, wait_until="load")
        assert page.locator("header.top nav a").all_inner_texts() == NAV["patrullchef"], path
        current = page.locator("header.top nav a[aria-current=page]")
        assert current.count() == (0 if path == "/no-such-page" else 1), path
        assert "demo-patrullchef" in page.locator("header.top .who").inner_text()
    assert log.dialogs == []
    page.close()


# The map pages' share of the screen, for every role and both sizes: tests/test_map_area_browser.py.
