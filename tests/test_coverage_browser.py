"""The coverage page /kartor/tackning in headless Chromium: no console errors, the zones,
legend, heat layer (served locally), period picker and weekly chart are there."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.conftest import LiveServer
from tests.browser import PageLog

pytestmark = pytest.mark.browser


def test_coverage_page_for_the_patrol_leader(browser: Browser,
                                             live_demo: LiveServer) -> None:
    page = browser.new_page()
    log = PageLog(page, live_demo.url)
    # Anonymous visitors are sent to the login page, even in demo mode.
    page.goto(live_demo.url + "/kartor/tackning", wait_until="load")
    assert page.url.endswith("/logga-in")
    page.goto(live_demo.url + "/", wait_until="load")
    page.click("text=Logga in som demo-patrullchef")
    page.wait_for_url(live_demo.url + "/")
    response = page.goto(live_demo.url + "/kartor/tackning?from=2024-10-28&to=2024-11-24",
                         wait_until="load")
    assert response is not None and response.ok
    page.wait_for_selector(".leaflet-container")
    legend = page.locator("#trygg-legend").inner_text()
    assert "90–100 %" in legend and "Patrullspår" in legend and "okänd plats" in legend
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    assert page.locator("#trygg-week-chart rect").count() == 4 * 4  # 4 zones × 4 weeks
    assert page.locator("#trygg-period input[name=from]").input_value() == "2024-10-28"
    # A zone's popup carries its figures.
    page.locator("path.trygg-zone").last.dispatch_event("click")
    page.wait_for_selector(".leaflet-popup-content")
    assert "Besök" in page.locator(".leaflet-popup-content").inner_text()
    # The period picker reloads the page with the chosen period.
    page.fill("#trygg-period input[name=from]", "2024-09-02")
    page.fill("#trygg-period input[name=to]", "2024-09-29")
    page.click("#trygg-period button")
    page.wait_for_url("**/kartor/tackning?from=2024-09-02&to=2024-09-29")
    page.wait_for_selector("#trygg-week-chart")
    assert "2024-09-02 – 2024-09-29" in page.locator("#trygg-panel").inner_text()
    page.wait_for_timeout(200)
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_coverage_page_refuses_the_council(browser: Browser,
                                           live_demo: LiveServer) -> None:
    page = browser.new_page()
    page.goto(live_demo.url + "/", wait_until="load")
    page.click("text=Logga in som demo-rad")
    page.wait_for_url(live_demo.url + "/")
    response = page.goto(live_demo.url + "/kartor/tackning", wait_until="load")
    assert response is not None and response.status == 403
    assert "patrullchef" in page.content()
    page.close()
