"""The planning page's editing in headless Chromium (issue 12), as planerare at 1400×900 and at
390×844 (the panel a sheet that is closed for work on the map): a planned check is changed,
dragged (snapped again on the server), refused in Swedish after someone else changed it, and
deleted; the weekly plan is saved as planned checks and the list is sorted and filtered; the
planner adds, renames and moves a candidate site by clicking; a category without roads is
disabled with the reason and an error clears the old result; the date field and the end time
follow Stockholm's clock. Tiles fail to load, as offline; no console errors or dialogs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from playwright.sync_api import Browser, Page

from geo.crs import WEB_CRS, WORK_CRS
from store import Store
from tests.browser import PageLog
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser
SIZES = [pytest.param((1400, 900), id="wide"), pytest.param((390, 844), id="phone")]
ON_E4 = (62.46583, 17.33208)  # lat, lon: the schematic E4 between Birsta and Timrå
STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAP_JS = "JSON.parse(document.getElementById('planning-config').textContent).map"


def planner_page(browser: Browser, server: LiveServer, size: tuple[int, int]
                  ) -> tuple[Page, PageLog]:
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(60_000)
    log = PageLog(page, server.url)
    page.goto(server.url + "/", wait_until="load")
    page.click("text=Logga in som demo-planerare")
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/kartor/planering", wait_until="load")
    page.wait_for_selector("#suggested-list li", state="attached", timeout=60_000)
    return page, log  # signed in as demo-planerare, the suggested sites drawn


def _panel(page: Page, shown: bool) -> None:
    """Open or close the panel as a person does, by its title (on a phone it starts closed)."""
    if page.evaluate("() => document.getElementById('planning-panel').open") != shown:
        page.click("#planning-panel > summary")
    page.wait_for_function("(want) => document.getElementById('planning-panel').open === want",
                           arg=shown)


def _view(page: Page, lat: float, lon: float, zoom: int = 14) -> None:
    page.evaluate(f"([lat, lon, z]) => window[{MAP_JS}].setView([lat, lon], z, "
                  "{animate: false})", [lat, lon, zoom])
    page.wait_for_timeout(200)  # a frame for Leaflet to place the markers


def _screen(page: Page, lat: float, lon: float) -> tuple[float, float]:
    return tuple(page.evaluate(f"""([lat, lon]) => {{
        const map = window[{MAP_JS}];
        const p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }}""", [lat, lon]))


def _drag(page: Page, selector: str, to: tuple[float, float]) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(to[0], to[1], steps=8)
    page.mouse.up()


def _along_e4(store: Store, *, metres: float, off_m: float) -> tuple[float, float]:
    """(lat, lon) ``metres`` along the E4 from ON_E4 and ``off_m`` east of the line."""
    roads = store.read("risk_roads")
    e4 = roads.geometry[roads["road_ref"] == "E4"].iloc[0]
    here = gpd.GeoSeries([shapely.Point(ON_E4[1], ON_E4[0])], crs=WEB_CRS).to_crs(WORK_CRS)[0]
    there = e4.interpolate(e4.project(here) + metres)
    web = gpd.GeoSeries([shapely.Point(there.x + off_m, there.y)], crs=WORK_CRS).to_crs(WEB_CRS)
    return web[0].y, web[0].x


def _snap_distance(page: Page, server: LiveServer, feature: dict) -> float:
    lon, lat = feature["geometry"]["coordinates"]
    return page.request.post(f"{server.url}/api/siting/snap",
                             data={"lon": lon, "lat": lat}).json()["distance_m"]


def _local(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso).astimezone(STOCKHOLM)


@pytest.mark.parametrize("size", SIZES)
def test_a_planned_check_is_changed_dragged_refused_after_a_conflict_and_deleted(
        browser: Browser, live_demo: LiveServer, demo_store: Store, size: tuple[int, int]) -> None:
    page, log = planner_page(browser, live_demo, size)
    _panel(page, False)
    _view(page, *ON_E4)
    x, y = _screen(page, *ON_E4)
    page.mouse.click(x, y + 5)
    page.wait_for_function(
        "() => document.getElementById('pick-text').textContent.startsWith('Vald plats')")

    # Planned across the spring clock change: 01:00 for three hours ends 05:00 summer time.
    _panel(page, True)
    page.fill("#check-date", "2099-03-29")
    page.fill("#check-time", "01:00")
    page.fill("#check-hours", "3")
    assert "Slutar 2099-03-29 05:00" in page.locator("#check-end").inner_text()
    page.click("#save-check")
    page.wait_for_function(
        "() => document.getElementById('save-status').textContent.startsWith('Kontroll planerad')")
    fid = int(page.locator("#save-status").get_attribute("data-saved-id") or 0)
    url = f"{live_demo.url}/api/layers/traffic_checks/{fid}"
    props = page.request.get(url).json()["properties"]
    assert _local(props["start"]).strftime("%Y-%m-%d %H:%M") == "2099-03-29 01:00"
    assert _local(props["end"]).strftime("%H:%M") == "05:00"
    elapsed = dt.datetime.fromisoformat(props["end"]) - dt.datetime.fromisoformat(props["start"])
    assert elapsed == dt.timedelta(hours=3)  # elapsed hours, not wall-clock ones

    # Changed in the form: two hours, another place, a kind more.
    item = page.locator(f"#planned-list li[data-id='{fid}']")
    assert "2099-03-29 01:00–05:00" in item.inner_text()  # Stockholm times in the list
    item.locator("button", has_text="Ändra").click()
    assert page.locator("#edit-check").is_visible()
    assert page.input_value("#edit-time") == "01:00" and page.input_value("#edit-hours") == "3"
    page.fill("#edit-hours", "2")
    page.fill("#edit-place", "E4 vid Birsta, norra infarten")
    page.check("input[name=edit-kind][value=hastighet]")
    page.click("#edit-save")
    page.wait_for_function(
        "() => document.getElementById('edit-status').textContent === 'Ändringarna är sparade.'")
    feature = page.request.get(url).json()
    assert feature["properties"]["version"] == props["version"] + 1
    assert _local(feature["properties"]["end"]).strftime("%H:%M") == "04:00"
    assert "hastighet" in feature["properties"]["kinds"]
    assert feature["properties"]["place"] == "E4 vid Birsta, norra infarten"

    # Dragged 300 m along the road and 40 m beside it: the server puts it on the road.
    _panel(page, False)
    _view(page, *ON_E4, zoom=14)
    target = _screen(page, *_along_e4(demo_store, metres=300, off_m=40))
    _drag(page, ".planned-icon.editing", target)
    page.wait_for_function(
        "() => document.getElementById('edit-status').textContent.startsWith('Flyttad till')")
    moved = page.request.get(url).json()
    assert moved["geometry"]["coordinates"] != feature["geometry"]["coordinates"]
    assert _snap_distance(page, live_demo, moved) < 1.0
    assert moved["properties"]["version"] == feature["properties"]["version"] + 1

    # Someone else changes it meanwhile: saving the form is refused in Swedish, nothing lost.
    demo_store.update("traffic_checks", fid, {"place": "Ändrad av en kollega"})
    _panel(page, True)
    page.fill("#edit-place", "Min ändring")
    page.click("#edit-save")
    page.wait_for_function(
        "() => document.getElementById('edit-status').textContent.includes('någon annan har "
        "ändrat')")
    assert "ladda om" in page.locator("#edit-status").inner_text()
    assert page.request.get(url).json()["properties"]["place"] == "Ändrad av en kollega"
    page.click("#edit-delete")
    page.click("#edit-delete")  # the second click deletes: refused too, with the old version
    page.wait_for_function(
        "() => document.getElementById('edit-status').textContent.startsWith('Kunde inte ta "
        "bort: någon annan har ändrat')")
    assert page.request.get(url).status == 200

    # After a reload it is deleted.
    page.reload(wait_until="load")
    _panel(page, True)
    page.locator(f"#planned-list li[data-id='{fid}'] button").click()
    page.click("#edit-delete")
    page.click("#edit-delete")
    page.wait_for_function(
        f"() => document.getElementById('save-status').textContent === "
        f"'Kontroll {fid} är borttagen.'")
    assert page.request.get(url).status == 404
    page.wait_for_function(  # the list is read again after the delete
        f"() => !document.querySelector(\"#planned-list li[data-id='{fid}']\")")
    # Chromium logs the two refused calls (409); nothing else went wrong.
    conflicts = [e for e in log.errors if "status of 409 (Conflict)" in e]
    assert len(conflicts) == 2 and len(log.errors) == 2 and log.dialogs == []
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_weekly_plan_is_saved_and_the_list_is_sorted_and_filtered(
        browser: Browser, live_demo: LiveServer, size: tuple[int, int]) -> None:
    page, log = planner_page(browser, live_demo, size)
    _panel(page, True)
    next_week = dt.datetime.now(STOCKHOLM).date() + dt.timedelta(days=7)
    year, number, _ = next_week.isocalendar()
    week = f"{year}-W{number:02d}"
    assert page.input_value("#week") == week  # plans are for days to come: next week
    page.fill("#checks", "4")
    page.click("#schedule-button")
    page.wait_for_selector("#schedule-table", timeout=60_000)
    assert page.locator("#save-week").is_enabled()
    page.check("input[name=week-kind][value=hastighet]")
    page.click("#save-week")
    page.wait_for_function(
        "() => document.getElementById('week-status').textContent === "
        "'4 kontroller är sparade som planerade.'")
    assert page.locator("#save-week").is_disabled()  # saved once
    ids = [int(i) for i in (page.locator("#week-status").get_attribute("data-saved-ids")
                            or "").split(",")]
    saved = [page.request.get(f"{live_demo.url}/api/layers/traffic_checks/{i}").json()
             for i in ids]
    assert all(f["properties"]["status"] == "planerad" for f in saved)
    assert all(f["properties"]["kinds"] == ["hastighet", "allman"] for f in saved)

    # The list: sorted by start; filtered by kind, week and status.
    page.wait_for_function("(n) => document.querySelectorAll('#planned-list li[data-id]')"
                           ".length >= n", arg=4)
    shown = [int(i) for i in page.eval_on_selector_all(
        "#planned-list li[data-id]", "items => items.map(li => li.dataset.id)")]
    by_start = [f["id"] for f in sorted(saved, key=lambda f: (f["properties"]["start"],
                                                              f["id"]))]
    assert [i for i in shown if i in ids] == by_start
    page.select_option("#filter-kind", "nykterhet")
    assert page.locator("#planned-list li[data-id]").count() == 0
    assert "Inga kontroller med det urvalet." in page.locator("#planned-list").inner_text()
    page.select_option("#filter-kind", "hastighet")
    assert page.locator("#planned-list li[data-id]").count() == 4
    page.fill("#filter-week", week)
    page.dispatch_event("#filter-week", "change")
    assert page.locator("#planned-list li[data-id]").count() == 4
    page.fill("#filter-week", "2099-W01")
    page.dispatch_event("#filter-week", "change")
    assert page.locator("#planned-list li[data-id]").count() == 0
    page.fill("#filter-week", "")
    page.dispatch_event("#filter-week", "change")
    page.select_option("#filter-kind", "")
    page.select_option("#filter-status", "genomford")  # the demo's performed checks
    performed = [int(i) for i in page.eval_on_selector_all(
        "#planned-list li[data-id]", "items => items.map(li => li.dataset.id)")]
    assert len(performed) == 24 and not set(performed) & set(ids)
    assert page.locator("#planned-list button").count() == 0  # records, not plans: no editing
    assert log.errors == [] and log.dialogs == []
    page.close()


@pytest.mark.parametrize("size", SIZES)
def test_candidate_sites_by_click_a_disabled_category_and_errors_clear_the_result(
        browser: Browser, live_demo: LiveServer, demo_store: Store, size: tuple[int, int]) -> None:
    roads = demo_store.read("risk_roads")
    demo_store.update_many("risk_roads", {  # no road carries A-traktor any more
        int(i): {"risk_categories": [c for c in cats if c != "a_traktor"]}
        for i, cats in roads["risk_categories"].items()})
    page, log = planner_page(browser, live_demo, size)
    _panel(page, True)
    traktor = page.locator("#category option[value=a_traktor]")
    assert traktor.is_disabled()
    assert traktor.get_attribute("title") == "inga riskvägar med kategorin A-traktor"
    assert "A-traktor går inte att välja" in page.locator("#category-hint").inner_text()
    assert page.locator("#category option[value=buskorning]").is_enabled()  # the demo has it

    page.select_option("#category", "buskorning")
    page.click("#suggest-button")
    page.wait_for_selector("#suggested-list li")
    blue = "() => document.querySelectorAll('path.leaflet-interactive[stroke=\"#1f78b4\"]')" \
           ".length"
    assert page.evaluate(blue) > 0
    page.fill("#hours", "kväll")  # an error: the old circles and list go
    page.click("#suggest-button")
    page.wait_for_selector("#suggest-result .error")
    error = page.locator("#suggest-result").inner_text()
    assert error.startswith("Fel: ") and "fältet hours" in error
    assert not {"invalid", "Input should", "field"} & set(error.split())
    assert page.locator("#suggested-list").count() == 0 and page.evaluate(blue) == 0

    # A new candidate site where the planner clicks, snapped to the road.
    page.check("#candidate-mode")
    _panel(page, False)
    _view(page, *ON_E4)
    x, y = _screen(page, *ON_E4)
    page.mouse.click(x + 6, y)
    page.wait_for_function(
        "() => document.getElementById('candidate-text').textContent.startsWith('Ny plats vid')")
    _panel(page, True)
    page.fill("#candidate-name", "Rastficka <b>Birsta</b>")
    page.select_option("#candidate-kind", "rastficka")
    page.click("#candidate-save")
    page.wait_for_function(
        "() => document.getElementById('candidate-status').textContent.startsWith('Platsen är "
        "sparad')")
    sid = int(page.locator("#candidate-status").get_attribute("data-saved-id") or 0)
    url = f"{live_demo.url}/api/layers/candidate_sites/{sid}"
    site = page.request.get(url).json()
    assert site["properties"]["name"] == "Rastficka <b>Birsta</b>"
    assert site["properties"]["kind"] == "rastficka" and site["properties"]["provenance"] == "real"
    assert _snap_distance(page, live_demo, site) < 1.0
    page.wait_for_selector(".candidate-icon")

    # Renamed after a click on it, then dragged along the road.
    page.uncheck("#candidate-mode")
    _panel(page, False)
    _view(page, *ON_E4, zoom=15)
    page.locator(".candidate-icon[title^='Rastficka']").first.click()
    page.wait_for_function(
        f"() => document.getElementById('candidate-text').textContent.startsWith("
        f"'Ändrar plats {sid}')")
    _panel(page, True)
    page.fill("#candidate-name", "Rastficka Birsta norr")
    page.click("#candidate-save")
    page.wait_for_function(
        "() => document.getElementById('candidate-status').textContent === 'Platsen är ändrad.'")
    assert page.request.get(url).json()["properties"]["name"] == "Rastficka Birsta norr"
    _panel(page, False)
    _view(page, *ON_E4, zoom=14)
    _drag(page, ".candidate-icon[title^='Rastficka Birsta norr']",
          _screen(page, *_along_e4(demo_store, metres=-300, off_m=-30)))
    page.wait_for_function(
        "() => document.getElementById('candidate-status').textContent.endsWith('är flyttad.')")
    moved = page.request.get(url).json()
    assert moved["geometry"]["coordinates"] != site["geometry"]["coordinates"]
    assert _snap_distance(page, live_demo, moved) < 1.0
    assert page.locator(".leaflet-tooltip b").count() == 0  # names are text, never markup

    # A weekly plan that fails clears the plan and the sites drawn before it.
    _panel(page, True)
    page.fill("#hours", "")
    page.fill("#checks", "3")
    page.click("#schedule-button")
    page.wait_for_selector("#schedule-table")
    page.fill("#available", "alltid")
    page.click("#schedule-button")
    page.wait_for_selector("#schedule-result .error")
    assert page.locator("#schedule-table").count() == 0 and page.evaluate(blue) == 0
    assert page.locator("#save-week").is_disabled()
    # Chromium logs the two refused calls (422); nothing else went wrong.
    refused = [e for e in log.errors if "status of 422" in e]
    assert len(refused) == 2 and len(log.errors) == 2 and log.dialogs == []
    page.close()


def test_the_date_field_and_end_times_follow_stockholm_at_night(
        browser: Browser, live_demo: LiveServer) -> None:
    page, log = planner_page(browser, live_demo, (390, 844))
    # 00:30 summer time on 11 June 2025 is still 10 June in UTC: the field says the 11th.
    page.clock.set_fixed_time(dt.datetime(2025, 6, 10, 22, 30, tzinfo=dt.UTC))
    page.reload(wait_until="load")
    page.wait_for_function("() => document.body.dataset.planningReady === '1'")
    assert page.input_value("#check-date") == "2025-06-11"
    assert page.get_attribute("#check-date", "min") == "2025-06-11"
    assert page.input_value("#week") == "2025-W25"  # the week of 18 June
    _panel(page, True)
    cases = [("2025-03-30", "01:00", "3", "Slutar 2025-03-30 05:00"),  # clocks go forward
             ("2025-10-26", "01:30", "2", "Slutar 2025-10-26 02:30"),  # clocks go back
             ("2025-06-11", "22:00", "4,5", None)]
    for day, time, hours, end in cases:
        page.fill("#check-date", day)
        page.fill("#check-time", time)
        if end is None:
            page.fill("#check-hours", "4.5")
            assert page.locator("#check-end").inner_text() == "Slutar 2025-06-12 02:30 (4,5 tim)"
        else:
            page.fill("#check-hours", hours)
            assert page.locator("#check-end").inner_text().startswith(end)
    assert pd.Timestamp("2025-03-30 01:00", tz=STOCKHOLM) + pd.Timedelta(hours=3) == \
        pd.Timestamp("2025-03-30 05:00", tz=STOCKHOLM)  # the rule the page follows
    assert log.errors == [] and log.dialogs == []
    page.close()
