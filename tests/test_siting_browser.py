"""The planning page in headless Chromium: suggested sites appear, a click on the map is snapped
to a risk road, "Planera kontroll" saves a planned check that the API then returns, and a weekly
plan is drawn. Tiles fail to load, as offline; no console errors, page errors or dialogs."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.test_planning_browser import planner_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
# A point on the schematic E4 between Birsta and Timrå, away from the suggested sites.
ON_E4 = (62.46583, 17.33208)  # lat, lon


def test_click_the_map_save_a_planned_check_and_find_it_through_the_api(
        browser: Browser, live_demo: LiveServer) -> None:
    page, log = planner_page(browser, live_demo, (1280, 720))
    assert page.locator("#suggested-list li").count() == 5
    assert "Täckt andel av all riskvikt" in page.locator("#suggest-result").inner_text()
    assert "schematiska" in page.locator("#schematic-note").inner_text()
    assert "Riskvikt 43" in page.locator("#trygg-legend").inner_text()

    # Centre the map on a point of E4 and click 5 px below it (about 20 m off the road).
    page.evaluate("""([lat, lon]) => {
        const cfg = JSON.parse(document.getElementById('planning-config').textContent);
        window[cfg.map].setView([lat, lon], 14, {animate: false});
    }""", list(ON_E4))
    page.wait_for_timeout(300)
    point = page.evaluate("""([lat, lon]) => {
        const cfg = JSON.parse(document.getElementById('planning-config').textContent);
        const map = window[cfg.map];
        const p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", list(ON_E4))
    page.mouse.click(point[0], point[1] + 5)
    page.wait_for_function(
        "() => document.getElementById('pick-text').textContent.startsWith('Vald plats')")
    assert "E4" in page.locator("#pick-text").inner_text()
    assert "Flyttad" in page.locator("#save-status").inner_text()

    page.fill("#check-date", "2099-03-05")  # plans are for days to come
    page.fill("#check-time", "22:00")
    page.fill("#check-place", "<img src=x onerror=alert(1)> E4 Birsta")
    page.check("input[name=kind][value=nykterhet]")
    page.click("#save-check")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('Kontroll planerad')")
    saved_id = page.locator("#save-status").get_attribute("data-saved-id")
    assert saved_id

    feature = page.request.get(f"{live_demo.url}/api/layers/traffic_checks/{saved_id}").json()
    props = feature["properties"]
    assert props["status"] == "planerad"
    assert sorted(props["kinds"]) == ["allman", "nykterhet"]
    assert props["start"] == "2099-03-05T21:00:00+00:00"  # 22:00 Swedish winter time
    assert props["end"] == "2099-03-05T23:00:00+00:00"
    assert props["place"] == "<img src=x onerror=alert(1)> E4 Birsta"
    lon, lat = feature["geometry"]["coordinates"]
    snapped = page.request.post(f"{live_demo.url}/api/siting/snap",
                                data={"lon": lon, "lat": lat}).json()
    assert snapped["distance_m"] < 1.0 and snapped["road"].startswith("E4")

    # The planned list shows it as text (no element made from the place), and the export has it.
    page.wait_for_function(
        "() => document.getElementById('planned-list').textContent.includes('E4 Birsta')")
    assert page.locator("#planned-list img").count() == 0
    assert "<img src=x" in page.locator("#planned-list").inner_text()
    exported = page.request.get(f"{live_demo.url}/api/siting/planned.csv").text()
    # The same instant, in UTC or in Stockholm time (issue 12: exports in local time).
    assert ("2099-03-05T21:00:00+00:00" in exported or "2099-03-05T22:00:00+01:00" in exported)
    assert "E4 Birsta" in exported
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_weekly_plan_is_drawn_as_a_table_and_compared_with_the_risk(
        browser: Browser, live_demo: LiveServer) -> None:
    page, log = planner_page(browser, live_demo, (1280, 720))
    page.fill("#week", "2024-W10")  # a week shown, not saved: the past is fine
    page.fill("#checks", "5")
    page.select_option("#category", "rattfylleri")
    page.click("#schedule-button")
    page.wait_for_selector("#schedule-table", timeout=60_000)
    assert page.locator("#schedule-table tr").count() == 1 + 5
    text = page.locator("#schedule-result").inner_text()
    assert "Vecka 2024-W10, frö 1: 5 kontroller" in text and "vardag natt" in text
    assert log.errors == [] and log.dialogs == []
    page.close()
