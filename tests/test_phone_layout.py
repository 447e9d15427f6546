"""Pages on a phone (390 × 844) in headless Chromium: nothing scrolls the page sideways, the
header stays compact, the unsafe-places map is first and takes most of the screen, and the
register's rows stack with their labels instead of a wide table."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import PageLog
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def phone_page(browser: Browser, server: LiveServer, role: str) -> tuple[Page, PageLog]:
    """A phone-sized page signed in as the demo account of ``role``."""
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.set_default_timeout(60_000)
    log = PageLog(page, server.url)
    page.goto(server.url + "/", wait_until="load")
    page.click(f"text=Logga in som demo-{role}")
    page.wait_for_url(server.url + "/")
    return page, log


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: the page is {width} px wide"


def test_unsafe_places_map_first_and_large_on_a_phone(browser: Browser,
                                                      live_demo: LiveServer) -> None:
    page, log = phone_page(browser, live_demo, "rad")
    page.goto(live_demo.url + "/kartor/otrygga-platser", wait_until="load")
    page.wait_for_selector("#hs-map.leaflet-container")
    header = page.locator("header.top").bounding_box()
    box = page.locator("#hs-map").bounding_box()
    panel = page.locator(".hs-panel").bounding_box()
    assert header and box and panel
    assert header["height"] <= 90, header
    assert box["width"] >= 380 and box["height"] >= 0.6 * PHONE["height"], box
    assert box["y"] < panel["y"]  # the map comes first, the controls below it
    no_sideways_scroll(page)
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_register_rows_stack_on_a_phone(browser: Browser, live_demo: LiveServer) -> None:
    page, log = phone_page(browser, live_demo, "patrullchef")
    page.goto(live_demo.url + "/kartor/lofte", wait_until="load")
    row = page.locator("table.actions tbody tr[data-id]").first
    row.wait_for()
    assert page.locator("table.actions thead").first.is_hidden()
    cells = row.locator("td")
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert first and second and second["y"] > first["y"]  # stacked, not side by side
    label = cells.nth(1).evaluate("td => getComputedStyle(td, '::before').content")
    assert "Ansvarig" in label
    no_sideways_scroll(page)
    page.goto(live_demo.url + "/", wait_until="load")
    no_sideways_scroll(page)
    assert log.errors == [] and log.dialogs == []
    page.close()
