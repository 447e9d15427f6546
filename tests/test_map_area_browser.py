"""Every map page for every role that may open it, at 1400 × 900 and on a phone (390 × 844), in
Debian's headless Chromium (issue 12): on load, with the panels closed, the map covers at least
60 % of the viewport and the map itself is under the pointer at at least 80 % of a grid over its
visible area; nothing a page shows holds an English error word; the scale bar is metric only.
And the unsafe-places page's own promises: counts that follow the slider, popups in plain
words, comparison dates in Swedish time, its form's bad input in Swedish.

One demo server and one browser for the module; one browser context per role and size, its
page reused from view to view. The views a role may open are the header's links."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from api.app import create_app
from store import Store
from store.accounts import add_user
from tests.browser import PageLog
from tests.conftest import SECRET, LiveServer
from trygg.settings import Settings

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
# Every page with a map on load; a role's header links decide which of them it opens.
MAP_PAGES = ("/kartor/oversikt", "/kartor/planering", "/kartor/tackning",
             "/kartor/otrygga-platser", "/kartor/redigera", "/tyck-till", "/folj-med",
             "/samverkan")
# Pages that do not meet it yet (their owners' work in progress; reported to the integrator):
# the public form pages hold a small map beside the form, and /folj-med draws its map only
# when something has been published.
NOT_YET: frozenset[str] = frozenset()  # pages known to fail the checks (none)
ROLES = (None, "rad", "planerare", "patrullchef", "admin", "rapportor")
ENGLISH = re.compile(r"\binvalid\b|Input should|is required|\bfield\b|Not Found|problem\(s\)",
                     re.IGNORECASE)
# The map's share of the viewport and, over a 20 px grid of its visible area, the share of
# points where the map itself (not a control, panel, legend or header) is under the pointer.
_MAP_AREA = """() => {
  const r = document.querySelector(".leaflet-container").getBoundingClientRect();
  const left = Math.max(0, r.left), right = Math.min(innerWidth, r.right);
  const top = Math.max(0, r.top), bottom = Math.min(innerHeight, r.bottom);
  const share = Math.max(0, right - left) * Math.max(0, bottom - top) / (innerWidth * innerHeight);
  let all = 0, map = 0;
  for (let x = left + 10; x < right; x += 20) for (let y = top + 10; y < bottom; y += 20) {
    all++;
    const e = document.elementFromPoint(x, y);
    if (e && e.closest(".leaflet-container") && !e.closest(".leaflet-control, .trygg-box")) map++;
  }
  return {share: share, hits: all ? map / all : 0};
}"""


# Whether the element is itself under the pointer at its centre once scrolled into view.
_UNCOVERED = """(selector) => {
  const a = document.querySelector(selector);
  a.scrollIntoView({block: "nearest"});
  const r = a.getBoundingClientRect();
  const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  return e !== null && (e === a || a.contains(e));
}"""


@pytest.fixture(scope="module")
def server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[LiveServer, str]]:
    """The demo in demo mode over real HTTP, with a partner reporter's key (no demo account)."""
    path = tmp_path_factory.mktemp("map-area") / "trygg.sqlite"
    src, dst = sqlite3.connect(demo_template), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    store = Store.open(path)
    partner = add_user(store, "test-rapportor", "rapportor", secret=SECRET,
                       organisation="Bostadsbolaget")
    settings = Settings(db=path, demo=True, secret=SECRET)
    with LiveServer(create_app(settings, store=store)) as live:
        yield live, partner
    store.close()


def _signed_in(browser: Browser, live: LiveServer, partner: str, role: str | None,
               size: dict[str, int]) -> tuple[Page, PageLog]:
    phone = size["width"] < 700
    context = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone,
                                  locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(page, live.url)
    page.goto(live.url + "/", wait_until="load")
    if role == "rapportor":
        page.goto(live.url + "/logga-in", wait_until="load")
        page.fill("#token", partner)
        with page.expect_navigation():
            page.locator("form:has(#token) button[type=submit]").click()
    elif role:
        with page.expect_navigation():
            page.click(f"text=Logga in som demo-{role}")
    return page, log


def _english(page: Page) -> list[str]:
    return ENGLISH.findall(page.locator("body").inner_text())


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
@pytest.mark.parametrize("role", ROLES, ids=[r or "anonym" for r in ROLES])
def test_every_map_page_leaves_the_map_to_the_map(browser: Browser, server, role: str | None,
                                                  size: str) -> None:
    live, partner = server
    phone = size == "phone"
    page, log = _signed_in(browser, live, partner, role, SIZES[size])
    links = page.locator("header.top nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    pages = [p for p in MAP_PAGES if p in hrefs]
    assert pages, (role, hrefs)
    failures = []
    for path in pages:
        response = page.goto(live.url + path, wait_until="load")
        assert response is not None and response.ok, (path, response and response.status)
        if page.locator(".leaflet-container").count() == 0:  # the page's scripts have run
            failures.append((path, "no map on load"))
            continue
        page.wait_for_timeout(100)  # Leaflet lays out its panes after load
        export = page.locator("#export-csv")  # nothing (the attribution) covers it
        if export.is_visible() and not page.evaluate(_UNCOVERED, "#export-csv"):
            failures.append((path, "Exportera CSV is covered"))
        header = page.locator("header.top").bounding_box()
        if header is None or header["height"] > (90 if phone else 60):
            failures.append((path, f"header {header}"))
        if page.evaluate("() => document.documentElement.scrollWidth") > SIZES[size]["width"]:
            failures.append((path, "the page scrolls sideways"))
        # Panels and legend are boxes that close (on a phone they start closed).
        opened = page.eval_on_selector_all("details.trygg-box", "els => els.map(e => e.open)")
        if any(o is phone for o in opened):
            failures.append((path, f"boxes open: {opened}"))
        page.eval_on_selector_all("details.trygg-box", "els => els.forEach(e => e.open = false)")
        area = page.evaluate(_MAP_AREA)
        if area["share"] < 0.6 or area["hits"] < 0.8:
            failures.append((path, round(area["share"], 2), round(area["hits"], 2)))
        scale = page.locator(".leaflet-control-scale")
        if scale.count():
            assert page.locator(".leaflet-control-scale-line").count() == 1, path  # metres only
            assert not re.search(r"\b(mi|ft)\b", scale.inner_text()), path
        assert _english(page) == [], path
    assert log.errors == [] and log.dialogs == [], (role, size)
    page.context.close()
    assert [f for f in failures if f[0] not in NOT_YET] == [], (role, size, failures)
    if failures:
        pytest.xfail(f"known, in other engineers' pages: {failures}")


def test_every_map_page_is_opened_by_some_role(server) -> None:
    """The header links the tests above follow reach every map page for at least one role."""
    live, _ = server
    import httpx2 as httpx

    served = {path for path in MAP_PAGES
              if httpx.get(live.url + path, follow_redirects=False).status_code != 404}
    assert served == set(MAP_PAGES)


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_unsafe_places_counts_popups_dates_and_form(browser: Browser, server, size: str) -> None:
    live, partner = server
    page, log = _signed_in(browser, live, partner, "rad", SIZES[size])
    page.goto(live.url + "/kartor/otrygga-platser?compare=last_year", wait_until="load")
    page.wait_for_selector("#hs-map.leaflet-container")
    data = page.evaluate("() => window.tryggHotspots.data")
    # Cells are visible at the start zoom: every counted cell drawn, none smaller than a dot.
    sizes = page.eval_on_selector_all(
        "#hs-map path.leaflet-interactive", "els => els.map(e => { const b = e.getBBox(); "
        "return Math.min(b.width, b.height); })")
    assert len(sizes) >= len(data["features"]) and min(sizes) >= 7, sizes[:5]
    # The counts follow the slider: the month's own figures, as the data has them.
    total = page.locator(".hs-count").inner_text()
    page.get_by_label("Hela perioden").uncheck()
    slider = page.locator("#hs-slider")
    busiest = max(range(len(data["periods"])), key=lambda i: sum(
        sum(s[i] for s in f["properties"]["by_group"].values()) for f in data["features"]))
    slider.fill(str(busiest))
    label = data["periods"][busiest]
    expected = sum(sum(s[busiest] for s in f["properties"]["by_group"].values())
                   for f in data["features"])
    shown = page.locator(".hs-count").inner_text()
    assert shown != total and shown.replace("\u00a0", " ").startswith(
        f"På kartan: {expected} "), shown
    reports = [p for p in data["points"] if p["layer"] == "unsafe_places" and p["period"] == label]
    done = sum(p["status"] == "åtgärdad" for p in reports)
    assert (f"Rapporter: {len(reports)} (åtgärdade {done}, öppna {len(reports) - done})"
            in page.locator("#hs-status").inner_text())
    assert label in page.locator("#hs-period-label").inner_text()
    # Plural: "1 händelse", never "1 händelser", anywhere the page writes a count.
    assert not re.search(r"\b1 (händelser|rapporter|ärenden|månader)\b",
                         page.locator("body").inner_text())
    # Trend popups in plain words, a statistic only with its meaning.
    page.get_by_label("Hela perioden").check()
    page.get_by_label("Trendklasser").check()
    page.get_by_label("Visa punkter").uncheck()  # a point's popup would open over its cell
    assert page.locator(".hs-view-name").inner_text() == "Trendklasser"
    page.locator("#hs-map path.leaflet-interactive").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert re.search(r"ökande trend|minskande trend|ingen tydlig trend|för få för att avgöra",
                     text), text
    assert "Mann" not in text and "z (p)" not in text
    assert all("p = " not in line or "av 100 fall" in line for line in text.splitlines()), text
    # The comparison's legend in Swedish local days: a year earlier, against the window.
    page.get_by_label("Jämförelse av två perioder").check()
    first, second = data["comparison"]["first"], data["comparison"]["second"]
    start, end = page.locator("#hs-from").input_value(), page.locator("#hs-to").input_value()
    legend = page.locator("#hs-legend").inner_text()
    assert f"period 2 ({start}–{end})" in legend.lower(), legend
    year_before = f"{int(start[:4]) - 1}{start[4:]}"
    assert f"period 1 ({year_before}–" in legend.lower(), (legend, first, second)
    # The form's bad input: Swedish messages naming the field, nothing sent.
    page.fill("#hs-from", "2024-06-30")
    page.fill("#hs-to", "2024-06-01")
    page.locator("#hs-window button[type=submit]").click()
    error = page.locator("#hs-form-error")
    assert error.is_visible() and "Period till: datumet ligger före från-datumet" in \
        error.inner_text()
    assert "compare" in page.url and "2024-06-30" not in page.url
    page.select_option("#hs-compare", "chosen")
    page.fill("#hs-from", "2024-01-01")
    page.locator("#hs-window button[type=submit]").click()
    assert "Jämförelseperiod från: ange ett datum" in error.inner_text()
    assert _english(page) == []
    assert log.errors == [] and log.dialogs == []
    page.context.close()
