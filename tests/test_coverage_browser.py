"""The coverage page /kartor/tackning in headless Chromium: no console errors, the zones,
legend, heat layer (served locally), period picker and weekly chart are there; zones are
labelled and coloured by their share of the weekly target, the longest gaps and the baseline
comparison are shown, a click inside a zone on a road opens the zone, and on a phone the panel
and legend leave the map visible."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from maps.coverage import CLASSES, TARGET_CLASSES, WEEK_MET_COLOUR, WEEK_SHORT_COLOUR, target_colour
from tests.browser import PageLog
from tests.conftest import LiveServer

PERIOD = "from=2024-10-28&to=2024-11-24"
GREEN = TARGET_CLASSES[0][1]

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
    assert "andel av veckans minutmål" in legend and "Koper" in legend
    # The heat layer is off at first (it would hide the zones' colours); it can be turned on.
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 0
    page.locator(".leaflet-control-layers-overlays label", has_text="Närvaro").locator(
        "input").dispatch_event("click")
    page.wait_for_selector("canvas.leaflet-heatmap-layer", state="attached")
    assert page.locator("#trygg-week-chart > rect").count() == 4 * 4  # 4 zones × 4 weeks
    assert page.locator("#trygg-period input[name=from]").input_value() == "2024-10-28"
    # A zone's popup carries its figures.
    page.locator("path.trygg-zone").last.dispatch_event("click")
    page.wait_for_selector(".leaflet-popup-content")
    assert "Besök" in page.locator(".leaflet-popup-content").inner_text()
    # Its coverage per band is asked for as it opens, and filled in.
    expect(page.locator(".leaflet-popup-content .trygg-lazy")).to_have_count(0,
                                                                         timeout=60_000)
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert re.search(r"Dag 06–18\s+.*täckning \d+\s?%", popup), popup
    assert "beräknas" not in popup and "kunde inte" not in popup
    # The period picker reloads the page with the chosen period.
    page.fill("#trygg-period input[name=from]", "2024-09-02")
    page.fill("#trygg-period input[name=to]", "2024-09-29")
    page.click("#trygg-period button")
    page.wait_for_url("**/kartor/tackning?from=2024-09-02&to=2024-09-29**")
    page.wait_for_selector("#trygg-week-chart")
    assert "2024-09-02 – 2024-09-29" in page.locator("#trygg-panel").inner_text()
    assert "Jämfört med 2024-08-05 – 2024-09-01" in page.locator("#trygg-panel").inner_text()
    # A chosen baseline is used and kept in the form.
    page.goto(live_demo.url + "/kartor/tackning?from=2024-10-28&to=2024-11-24&baseline_from="
              "2024-09-02&baseline_to=2024-09-29", wait_until="load")
    page.wait_for_selector("#trygg-baseline")
    assert "Jämfört med 2024-09-02 – 2024-09-29" in page.locator("#trygg-panel").inner_text()
    assert page.locator("#trygg-period input[name=baseline_to]").input_value() == "2024-09-29"
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


def _log_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/", wait_until="load")
    page.click("text=Logga in som demo-patrullchef")
    page.wait_for_url(server.url + "/")


# A point (page pixels) where a road and a zone are both under the pointer, or None.
_ROAD_IN_ZONE = """() => {
  for (const zone of document.querySelectorAll("path.trygg-zone")) {
    const r = zone.getBoundingClientRect();
    for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
      const x = r.left + r.width * i / 40, y = r.top + r.height * j / 40;
      const hit = document.elementsFromPoint(x, y);
      if (hit.includes(zone) && hit.some(e => e.classList && e.classList.contains("trygg-road"))
          && !hit.some(e => e.closest && e.closest(".trygg-box, .leaflet-control")))
        return [x, y];
    }
  }
  return null;
}"""

# The share of the viewport where the map itself is under the pointer (not a panel, legend,
# header or control), sampled on a 20 px grid.
_MAP_SHARE = """() => {
  let all = 0, map = 0;
  for (let x = 10; x < innerWidth; x += 20) for (let y = 10; y < innerHeight; y += 20) {
    all++;
    const e = document.elementFromPoint(x, y);
    if (e && e.closest(".leaflet-container") && !e.closest(".leaflet-control, .trygg-box, "
        + ".trygg-header, .leaflet-tooltip")) map++;
  }
  return map / all;
}"""


def test_coverage_map_shows_the_gaps(browser: Browser, live_demo: LiveServer,
                                     tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(page, live_demo.url)
    _log_in(page, live_demo)
    page.goto(live_demo.url + "/kartor/tackning?" + PERIOD, wait_until="load")
    page.wait_for_selector("path.trygg-zone")
    figures = page.request.get(live_demo.url + "/api/coverage/patrols?" + PERIOD).json()
    zones = figures["zones"]
    assert len(zones) == 4

    # Permanent, readable labels: every zone's name with its share of the target.
    labels = page.locator(".leaflet-tooltip.trygg-zone-label")
    assert labels.count() == len(zones)
    texts = labels.all_inner_texts()
    for zone in zones:
        assert any(zone["name"] in t for t in texts), zone["name"]
    assert all(re.search(r"\d+ % av målet", t.replace("\u00a0", " ")) for t in texts)

    # Fill colours follow the target share; a zone below its target is never green.
    fills = page.eval_on_selector_all("path.trygg-zone", "els => els.map(e => e.getAttribute("
                                      "'fill'))")
    expected = [target_colour(z["target_pct"]) for z in zones]
    assert sorted(f.lower() for f in fills) == sorted(expected)
    assert any(z["target_pct"] < 100 for z in zones)
    for zone in zones:
        if zone["target_pct"] < 100:
            assert target_colour(zone["target_pct"]) != GREEN
    assert fills.count(GREEN) == sum(z["target_pct"] >= 100 for z in zones)

    panel = page.locator("#trygg-panel")
    text = panel.inner_text().replace("\u00a0", " ")
    # The longest gap of each zone, with its duration and when.
    gaps = page.locator("#trygg-gaps li")
    assert gaps.count() == len(zones)
    assert all(re.search(r"\d+ (dygn|h|min)", g.replace("\u00a0", " "))
               and re.search(r"\d\d:\d\d", g) for g in gaps.all_inner_texts())
    assert "Längsta lucka" in text
    # The baseline: by default as many days just before the period, current against then.
    assert "Jämfört med 2024-09-30 – 2024-10-27" in text
    rows = page.locator("#trygg-baseline tbody tr")
    assert rows.count() == len(zones)
    assert all(re.search(r"[+−±]\d+", r) for r in rows.all_inner_texts())
    # The default baseline is not written into the form, so it follows a new period.
    assert page.locator("#trygg-period input[name=baseline_from]").input_value() == ""
    # Whole percent and whole minutes: no decimals on percentages in the panel.
    assert not re.search(r"\d,\d+ %", text)
    # The week chart has its own key, in colours that are not in the legend.
    assert page.locator("#trygg-week-key").count() == 1
    legend_colours = {c for _, c, _ in TARGET_CLASSES + CLASSES}
    bar_colours = set(page.eval_on_selector_all("#trygg-week-chart rect", "els => els.map("
                                                "e => e.getAttribute('fill'))"))
    assert bar_colours <= {WEEK_MET_COLOUR, WEEK_SHORT_COLOUR}
    assert not bar_colours & legend_colours

    # A real click inside a zone, on a road, opens the zone; the zone popup has the gap.
    point = page.evaluate(_ROAD_IN_ZONE)
    assert point is not None, "no road crosses a zone in the demo"
    page.mouse.click(*point)
    page.wait_for_selector(".leaflet-popup-content")
    content = page.locator(".leaflet-popup-content").inner_text()
    assert "Område" in content and "Längsta lucka" in content and "Väg" not in content
    assert "Jämförelseperiod" in content and "Koper-dos" in content
    page.screenshot(path=str(tmp_path / "coverage-1400.png"))
    page.wait_for_timeout(200)
    assert log.errors == [] and log.dialogs == []
    context.close()


def test_coverage_map_on_a_phone(browser: Browser, live_demo: LiveServer,
                                 tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(page, live_demo.url)
    _log_in(page, live_demo)
    page.goto(live_demo.url + "/kartor/tackning?" + PERIOD, wait_until="load")
    page.wait_for_selector("path.trygg-zone")
    # Panel and legend start collapsed: the map takes most of the screen.
    assert page.eval_on_selector("#trygg-panel", "e => e.open") is False
    assert page.eval_on_selector("#trygg-legend", "e => e.open") is False
    shot = tmp_path / "coverage-390.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 0
    assert page.evaluate(_MAP_SHARE) >= 0.5
    # Opened, the panel fits the screen's width; opening the legend closes it.
    page.locator("#trygg-panel > summary").click()
    assert page.eval_on_selector("#trygg-panel", "e => e.open") is True
    box = page.locator("#trygg-panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator("#trygg-gaps li").count() == 4
    page.locator("#trygg-legend > summary").click()
    assert page.eval_on_selector("#trygg-legend", "e => e.open") is True
    assert page.eval_on_selector("#trygg-panel", "e => e.open") is False
    page.wait_for_timeout(200)
    assert log.errors == [] and log.dialogs == []
    context.close()
