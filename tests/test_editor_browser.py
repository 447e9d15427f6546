"""The map editor (/kartor/redigera) in Chromium under the app's Content-Security-Policy, at
1400 × 900 and on a phone (390 × 844): an admin draws a patrol zone with Leaflet-Geoman by mouse
clicks and finds it through the API with its geometry; edits a risk road's weight and
categories (saved with its version); a weight below the minimum and a stale version are shown
in Swedish beside the form; moves an unsafe place; deletes a candidate site. A planner is
offered only the layers it may write; the council gets no editor (403 page, no link)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shapely
from playwright.sync_api import APIRequestContext, Browser, BrowserContext, Page

from api.app import create_app
from store import Store
from store.accounts import add_user
from tests.browser import PageLog
from tests.conftest import SECRET, LiveServer, auth
from trygg.settings import Settings

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
ENGLISH = ("invalid", "Input should", "is required", "field", "Not Found", "problem(s)",
           "below the minimum", "changed by someone")
RECORD_VIOLATIONS = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
  e.violatedDirective + " " + e.blockedURI));"""


XSS = '<img src=x onerror="window.__xss=1">{{ 7*7 }}'


class Served:
    """The demo app over HTTP, and another admin's API client (a bearer token, no cookie)."""

    def __init__(self, server: LiveServer, http: APIRequestContext) -> None:
        self.url = server.url
        self.http = http


@pytest.fixture
def served(browser: Browser, demo_store: Store, settings: Settings) -> Iterator[Served]:
    token = add_user(demo_store, "e-admin", "admin", secret=SECRET)
    app = create_app(settings.model_copy(update={"demo": True}), store=demo_store)
    with LiveServer(app) as server:
        other = browser.new_context(base_url=server.url, extra_http_headers=auth(token))
        yield Served(server, other.request)
        other.close()


def signed_in(browser: Browser, served: Served, role: str, viewport: dict[str, int]
              ) -> tuple[BrowserContext, Page, PageLog]:
    phone = viewport["width"] < 700
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(page, served.url)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(served.url + "/", wait_until="load")
    page.click(f"text=Logga in som demo-{role}")
    page.wait_for_url(served.url + "/")
    return context, page, log


def open_sheet(page: Page) -> None:
    if not page.evaluate("() => document.getElementById('ed-sheet').open"):
        page.click("#ed-sheet > summary")


def pick_layer(page: Page, layer: str) -> None:
    open_sheet(page)
    page.select_option("#ed-layer", layer)
    page.wait_for_function("() => / objekt i /.test(document.getElementById('ed-status')"
                           ".textContent)")


def pick_feature(page: Page, feature_id: int) -> None:
    open_sheet(page)
    page.select_option("#ed-feature", str(feature_id))
    page.wait_for_selector("#ed-form:not([hidden])")


def save_and_wait(page: Page) -> None:
    open_sheet(page)
    page.click("#ed-save")
    page.wait_for_function("() => document.getElementById('ed-status').textContent"
                           ".startsWith('Sparat') || document.getElementById('ed-error')"
                           ".textContent !== ''")


def sheet_text(page: Page) -> str:
    return page.inner_text("#ed-sheet")


def no_english(page: Page) -> None:
    text = sheet_text(page)
    assert not [w for w in ENGLISH if w in text], text


def features(served: Served, layer: str) -> list[dict]:
    answer = served.http.get(f"/api/layers/{layer}")
    assert answer.status == 200
    return answer.json()["features"]


def drag(page: Page, x: float, y: float, *, dx: float, dy: float, touch: bool,
         before_release: Callable[[], None] | None = None) -> None:
    """Drag from (x, y) by (dx, dy): with the mouse, or on a phone with one finger (Chromium's
    touch events through the DevTools protocol); ``before_release`` runs with the object still
    held."""
    steps = [(x + dx * i / 8, y + dy * i / 8) for i in range(9)]
    # Leaflet moves a dragged object on the next animation frame: wait for one after each move.
    frame = "() => new Promise(done => requestAnimationFrame(() => done(null)))"
    if not touch:
        page.mouse.move(x, y)
        page.mouse.down()
        for px, py in steps[1:]:
            page.mouse.move(px, py)
            page.evaluate(frame)
        if before_release:
            before_release()
        page.mouse.up()
        return
    cdp = page.context.new_cdp_session(page)
    for kind, (px, py) in [("touchStart", steps[0])] + [("touchMove", p) for p in steps[1:]]:
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": px, "y": py}]})
        page.evaluate(frame)
    if before_release:
        before_release()
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def corners(page: Page) -> list[tuple[float, float]]:
    """Three corners of a triangle in the map's upper half (clear of a folded sheet)."""
    box = page.locator("#ed-map").bounding_box()
    assert box is not None
    return [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            for fx, fy in ((0.3, 0.2), (0.6, 0.25), (0.45, 0.45))]


def draw_zone(page: Page, button: str = "#ed-draw") -> None:
    """Three corners clicked on the map, and the first clicked again to close the ring."""
    open_sheet(page)
    page.click(button)
    points = corners(page)
    for x, y in points + points[:1]:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)  # three separate clicks, not a double click
    page.wait_for_selector("#ed-form:not([hidden])")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1400x900", "390x844"])
def test_admin_draws_edits_moves_and_deletes_on_the_map(browser: Browser, served: Served,
                                                        viewport: dict[str, int]) -> None:
    context, page, log = signed_in(browser, served, "admin", viewport)
    nav = page.locator(".views-nav a", has_text="Redigera")
    assert nav.count() == 1
    nav.click()
    page.wait_for_selector("#ed-map.leaflet-container")
    page.wait_for_function("() => / objekt i /.test(document.getElementById('ed-status')"
                           ".textContent)")
    offered = page.eval_on_selector_all("#ed-layer option", "os => os.map(o => o.value)")
    assert offered == ["patrol_zones", "risk_roads", "unsafe_places", "candidate_sites"]
    map_box = page.locator("#ed-map").bounding_box()
    assert map_box is not None
    assert map_box["width"] * map_box["height"] >= 0.6 * viewport["width"] * viewport["height"]
    if viewport is PHONE:  # the sheet starts folded: the map free to touch
        assert not page.evaluate("() => document.getElementById('ed-sheet').open")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # The map under the pointer with the sheet folded: tests/test_map_area_browser.py.

    # A new patrol zone, drawn by clicks.
    zones_before = {f["id"] for f in features(served, "patrol_zones")}
    draw_zone(page)
    open_sheet(page)
    page.fill("#ed-f-name", "Ritad zon vid torget")
    save_and_wait(page)
    assert page.inner_text("#ed-status").startswith("Sparat"), sheet_text(page)
    new = [f for f in features(served, "patrol_zones") if f["id"] not in zones_before]
    assert len(new) == 1 and new[0]["properties"]["name"] == "Ritad zon vid torget"
    assert new[0]["properties"]["source"] == "Inlagd av demo-admin"
    zone = shapely.geometry.shape(new[0]["geometry"])
    assert zone.geom_type == "Polygon" and zone.is_valid and zone.area > 0
    assert len(zone.exterior.coords) == 4  # three corners and the closing one

    # A risk road: weight and categories; a weight below 0 first, in Swedish beside the field.
    pick_layer(page, "risk_roads")
    road = features(served, "risk_roads")[0]
    pick_feature(page, road["id"])
    page.fill("#ed-f-risk_weight", "-1")
    save_and_wait(page)
    error = page.inner_text("#ed-err-risk_weight")
    assert "Riskvikt" in error and "minst 0" in error
    no_english(page)
    assert features(served, "risk_roads")[0]["properties"]["version"] == \
        road["properties"]["version"]  # nothing saved
    page.fill("#ed-f-risk_weight", "2,5")
    for checkbox in page.locator("#ed-fields input[name=risk_categories]").all():
        checkbox.uncheck()
    page.check("#ed-fields input[name=risk_categories][value=buskorning]")
    page.check("#ed-fields input[name=risk_categories][value=a_traktor]")
    save_and_wait(page)
    assert page.inner_text("#ed-status").startswith("Sparat"), sheet_text(page)
    saved = next(f for f in features(served, "risk_roads") if f["id"] == road["id"])
    assert saved["properties"]["risk_weight"] == 2.5
    assert saved["properties"]["risk_categories"] == ["buskorning", "a_traktor"]
    assert saved["properties"]["version"] == road["properties"]["version"] + 1
    assert saved["geometry"] == road["geometry"]  # only the form's fields were sent

    # Someone else changes the road meanwhile: the page's version is stale (409).
    other = served.http.patch(f"/api/layers/risk_roads/{road['id']}",
                              data={"properties": {"note": "ändrad av någon annan"}})
    assert other.status == 200
    page.fill("#ed-f-risk_weight", "3")
    save_and_wait(page)
    assert "Någon annan har ändrat objektet" in page.inner_text("#ed-error")
    no_english(page)
    assert next(f for f in features(served, "risk_roads")
                if f["id"] == road["id"])["properties"]["risk_weight"] == 2.5
    page.click("#ed-reload")
    page.wait_for_function("() => / objekt i /.test(document.getElementById('ed-status')"
                           ".textContent)")

    # An unsafe place, dragged to a new spot.
    pick_layer(page, "unsafe_places")
    place = features(served, "unsafe_places")[0]
    pick_feature(page, place["id"])
    if viewport is PHONE:
        page.click("#ed-sheet > summary")  # fold the sheet to reach the map
    marker = page.locator(".leaflet-marker-icon.ed-selected")
    box = marker.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    drag(page, x, y, dx=60, dy=40, touch=viewport is PHONE)
    save_and_wait(page)
    assert page.inner_text("#ed-status").startswith("Sparat"), sheet_text(page)
    moved = next(f for f in features(served, "unsafe_places") if f["id"] == place["id"])
    assert moved["geometry"]["coordinates"] != place["geometry"]["coordinates"]
    lon0, lat0 = place["geometry"]["coordinates"]
    lon1, lat1 = moved["geometry"]["coordinates"]
    assert lon1 > lon0 and lat1 < lat0  # right and down on the screen: east and south
    assert moved["properties"]["version"] == place["properties"]["version"] + 1
    assert moved["properties"]["category"] == place["properties"]["category"]

    # A candidate site, deleted.
    site = delete_new_site(page, served, "Rastficka att ta bort", (17.33, 62.49))
    assert served.http.get(f"/api/layers/candidate_sites/{site}").status == 404

    assert page.evaluate("() => window.__csp") == []
    refused = ("status of 422", "status of 409")  # the two refusals asked for above
    assert [e for e in log.errors if not any(r in e for r in refused)] == []
    assert len(log.errors) == 2 and log.dialogs == []
    context.close()


def test_a_planner_gets_only_its_layers_and_the_council_no_editor(browser: Browser,
                                                                  served: Served) -> None:
    made = served.http.post("/api/layers/candidate_sites", data={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [17.33, 62.49]},
        "properties": {"name": XSS}})
    assert made.status == 201
    context, page, log = signed_in(browser, served, "planerare", DESKTOP)
    page.goto(served.url + "/kartor/redigera", wait_until="load")
    page.wait_for_selector("#ed-map.leaflet-container")
    offered = page.eval_on_selector_all("#ed-layer option", "os => os.map(o => o.value)")
    assert offered == ["risk_roads", "unsafe_places", "candidate_sites"]
    # A name is text everywhere: in the list, the tooltip and the form.
    pick_layer(page, "candidate_sites")
    pick_feature(page, made.json()["ids"][0])
    assert XSS in page.inner_text("#ed-feature") and page.input_value("#ed-f-name") == XSS
    page.locator(".leaflet-marker-icon.ed-selected").hover()
    page.wait_for_selector(".leaflet-tooltip")
    assert XSS in page.inner_text(".leaflet-tooltip")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator(".leaflet-container img[src=x], .leaflet-tooltip img").count() == 0
    assert log.errors == [] and page.evaluate("() => window.__csp") == []
    context.close()

    context, page, log = signed_in(browser, served, "rad", DESKTOP)
    assert page.locator(".views-nav a[href='/kartor/redigera']").count() == 0
    response = page.goto(served.url + "/kartor/redigera", wait_until="load")
    assert response is not None and response.status == 403
    assert page.locator("#ed-map").count() == 0
    assert "rita och ändra lagren på kartan" in page.inner_text("main")
    context.close()


def delete_new_site(page: Page, served, name: str, lon_lat: tuple[float, float]) -> int:
    """Add a candidate site through the API, then delete it on the page; its id."""
    made = served.http.post("/api/layers/candidate_sites", data={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": list(lon_lat)},
        "properties": {"name": name, "kind": "rastficka"}})
    assert made.status == 201
    site = int(made.json()["ids"][0])
    pick_layer(page, "candidate_sites")
    pick_feature(page, site)
    page.click("#ed-delete")
    page.click("#ed-delete-confirm")
    page.wait_for_function("() => document.getElementById('ed-status').textContent"
                           ".startsWith('Borttaget')")
    return site


def status(page: Page) -> str:
    return page.inner_text("#ed-status")


def undo(page: Page, *, keyboard: bool, expect: str) -> None:
    """Ångra by Ctrl+Z (focus outside a text field) or by the button, and wait for ``expect``
    at the start of the status line."""
    if keyboard:
        page.keyboard.press("Control+z")
    else:
        open_sheet(page)
        page.click("#ed-undo")
    try:
        page.wait_for_function("(want) => document.getElementById('ed-status').textContent"
                               ".startsWith(want)", arg=expect)
    except Exception as exc:  # say what the page said instead
        raise AssertionError(f"waited for {expect!r}; the status said {status(page)!r}") \
            from exc


def marker_xy(page: Page) -> tuple[float, float]:
    box = page.locator(".leaflet-marker-icon.ed-selected").bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] - 4


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1400x900", "390x844"])
def test_undo_and_an_unsafe_place_drawn_as_an_area(browser: Browser, served: Served,
                                                   viewport: dict[str, int]) -> None:
    """An unsafe place drawn as a polygon and saved; Ångra (Ctrl+Z at the desk, the button on
    a phone) changes a saved edit back and deletes a saved new object through the API with the
    version they left, drops a drawing or a move not yet saved, brings a deleted object back,
    and says in Swedish when someone else has changed the object since."""
    phone = viewport is PHONE
    context, page, log = signed_in(browser, served, "admin", viewport)
    page.goto(served.url + "/kartor/redigera", wait_until="load")
    page.wait_for_selector("#ed-map.leaflet-container")
    page.wait_for_function("() => / objekt i /.test(document.getElementById('ed-status')"
                           ".textContent)")
    assert page.is_disabled("#ed-undo")  # nothing to undo yet
    pick_layer(page, "unsafe_places")
    assert page.inner_text("#ed-draw") == "Placera ny punkt"
    assert page.is_visible("#ed-draw-2") and page.inner_text("#ed-draw-2") == "Rita nytt område"

    # An area: three corners, a category and a description; saved as a Polygon.
    before = {f["id"] for f in features(served, "unsafe_places")}
    draw_zone(page, "#ed-draw-2")
    open_sheet(page)
    page.select_option("#ed-f-category", "belysning")
    page.fill("#ed-f-description", "Mörk gång mellan husen")
    save_and_wait(page)
    assert status(page).startswith("Sparat"), sheet_text(page)
    (area,) = [f for f in features(served, "unsafe_places") if f["id"] not in before]
    shape = shapely.geometry.shape(area["geometry"])
    assert shape.geom_type == "Polygon" and shape.is_valid and len(shape.exterior.coords) == 4
    assert area["properties"]["category"] == "belysning"
    assert area["properties"]["description"] == "Mörk gång mellan husen"
    assert area["properties"]["report_source"] == "polisen"
    assert page.locator(".leaflet-overlay-pane path").count() >= 1  # drawn as an area

    # A saved change, undone: the description back, through the API (a new version).
    page.fill("#ed-f-description", "Mörk gång, lampan trasig")
    save_and_wait(page)
    assert status(page).startswith("Sparat"), sheet_text(page)
    assert "ändringen av" in (page.get_attribute("#ed-undo", "title") or "")
    page.locator("#ed-save").focus()  # the last click's target: not a text field
    undo(page, keyboard=not phone, expect="Ångrat")
    assert "är som förut (version 3)" in status(page), status(page)
    now = served.http.get(f"/api/layers/unsafe_places/{area['id']}").json()
    assert now["properties"]["description"] == "Mörk gång mellan husen"
    assert now["properties"]["version"] == 3
    assert now["geometry"] == area["geometry"]
    assert page.input_value("#ed-f-description") == "Mörk gång mellan husen"

    # Undo once more: the new area is deleted again.
    undo(page, keyboard=not phone, expect="Ångrat")
    assert "borttaget igen" in status(page)
    assert served.http.get(f"/api/layers/unsafe_places/{area['id']}").status == 404
    assert page.is_disabled("#ed-undo")

    # A drawing not finished, dropped: two corners clicked, then Ångra; nothing sent.
    paths = page.locator(".leaflet-overlay-pane path").count()
    open_sheet(page)
    page.click("#ed-draw-2")
    for x, y in corners(page)[:2]:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    assert page.locator(".leaflet-overlay-pane path").count() > paths  # the line drawn so far
    assert page.evaluate("() => !document.getElementById('ed-undo').disabled")
    undo(page, keyboard=not phone, expect="Ångrat: ritningen är borttagen")
    assert page.locator(".leaflet-overlay-pane path").count() == paths
    assert page.is_hidden("#ed-form")
    assert {f["id"] for f in features(served, "unsafe_places")} == before

    # A move not yet saved, undone: the point back where it was, nothing saved.
    place = features(served, "unsafe_places")[0]
    pick_feature(page, place["id"])
    if phone:
        page.click("#ed-sheet > summary")  # fold the sheet to reach the map
    x0, y0 = marker_xy(page)

    def held_is_a_change() -> None:
        # A move counts while the point is still held, not first when Geoman reports it (10 ms
        # after the release): an Ångra or Spara at once after letting go must see it.
        title = page.get_attribute("#ed-undo", "title") or ""
        assert "släpp ändringen som inte är sparad" in title, title
        assert page.is_enabled("#ed-undo")

    drag(page, x0, y0, dx=60, dy=40, touch=phone, before_release=held_is_a_change)
    x1, y1 = marker_xy(page)
    assert abs(x1 - x0 - 60) < 8 and abs(y1 - y0 - 40) < 8
    undo(page, keyboard=not phone, expect="Ångrat: ändringen av")
    x2, y2 = marker_xy(page)
    assert abs(x2 - x0) < 2 and abs(y2 - y0) < 2
    assert served.http.get(f"/api/layers/unsafe_places/{place['id']}").json() == place

    # The same move saved, then undone: the point back where it was, through the API.
    if phone:
        page.click("#ed-sheet > summary")
    drag(page, x0, y0, dx=60, dy=40, touch=phone)
    save_and_wait(page)
    assert status(page).startswith("Sparat"), sheet_text(page)
    moved = served.http.get(f"/api/layers/unsafe_places/{place['id']}").json()
    assert moved["geometry"]["coordinates"] != place["geometry"]["coordinates"]
    page.locator("#ed-save").focus()
    undo(page, keyboard=not phone, expect="Ångrat")
    back = served.http.get(f"/api/layers/unsafe_places/{place['id']}").json()
    assert back["geometry"]["coordinates"] == pytest.approx(place["geometry"]["coordinates"],
                                                            abs=1e-7)
    assert back["properties"]["version"] == place["properties"]["version"] + 2
    assert back["properties"]["category"] == place["properties"]["category"]

    # A deleted candidate site, brought back (a new number, the same name and place).
    site = delete_new_site(page, served, "Rastficka att ångra", (17.331, 62.491))
    undo(page, keyboard=not phone, expect="Ångrat")
    assert "är tillbaka, nu som nr" in status(page)
    back = [f for f in features(served, "candidate_sites")
            if f["properties"]["name"] == "Rastficka att ångra"]
    assert len(back) == 1 and back[0]["id"] != site
    assert back[0]["geometry"]["coordinates"] == pytest.approx([17.331, 62.491])
    assert back[0]["properties"]["kind"] == "rastficka"

    # Someone else changes a zone after this page saved it: the undo is refused, in Swedish.
    pick_layer(page, "patrol_zones")
    zone = features(served, "patrol_zones")[0]
    pick_feature(page, zone["id"])
    page.fill("#ed-f-name", "Zon med nytt namn")
    save_and_wait(page)
    assert status(page).startswith("Sparat"), sheet_text(page)
    other = served.http.patch(f"/api/layers/patrol_zones/{zone['id']}",
                              data={"properties": {"name": "Kollegans namn"}})
    assert other.status == 200
    page.locator("#ed-save").focus()
    undo(page, keyboard=not phone, expect="Kan inte ångra")
    assert "någon annan har ändrat" in status(page)
    assert served.http.get(f"/api/layers/patrol_zones/{zone['id']}").json()[
        "properties"]["name"] == "Kollegans namn"
    no_english(page)
    assert page.evaluate("() => window.__csp") == []
    assert [e for e in log.errors if "status of 409" not in e] == []
    assert len(log.errors) == 1 and log.dialogs == []
    context.close()
