"""Escaping: an XSS corpus posted through the API (JSON, a GPX and a CSV import) into every
user-entered text field, then every page loaded in headless Chromium as every role with every
popup and tooltip opened; any dialog, injected script, inline handler or page error fails.
The browser bypasses the Content-Security-Policy here: escaping must hold without its help."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser

from api.app import create_app
from store.accounts import add_user
from tests.conftest import SECRET, LiveServer, copy_store
from tests.browser import PageLog, settle
from trygg.settings import Settings

pytestmark = pytest.mark.browser

XSS = [
    '<script>alert("xss-script")</script>',
    '<img src=x onerror=alert("xss-img")>',
    '"><svg onload=alert("xss-svg")>',
    "'><iframe src=javascript:alert('xss-iframe')>",
    "</table><b onmouseover=alert('xss-b')>hover</b>",
    "javascript:alert('xss-link')",
    "${alert('xss-template')}",
    "{{constructor.constructor('alert(\"xss-angular\")')()}}",
    # Server-side template injection: folium compiles rendered HTML as Jinja again.
    "{{ 'SSTI' ~ '-EVAL' }}",
    "{% if true %}SSTI{{ '-EVAL' }}{% endif %}",
    "{{ cycler.__init__.__globals__.os.getcwd() ~ '-SSTI' }}",
    # JavaScript contexts: folium's template literals, tooltips, inline JSON.
    "\\`);alert('xss-backslash-backtick');//",
    "\\\\`);alert('xss-double-backslash');//",
    "`);alert('xss-backtick');//",
    "`+alert('xss-backtick-plus')+`",
    "${alert(1)}",
    "\\u003cimg src=x onerror=alert('xss-u003c')\\u003e",
    "\\x3cimg src=x onerror=alert('xss-x3c')\\x3e",
    "</script><script>alert('xss-close-script')</script>",
    "<!--<script>alert('xss-comment')</script>",
    "line\u2028sep\u2029end`);alert('xss-u2028');//",
    "bad escapes \\unit \\x \\u{zz} \\",
]
VIVSTA = [17.32583, 62.48694]
PAGES = ["/", "/kartor/oversikt", "/kartor/tackning", "/kartor/planering",
         "/kartor/otrygga-platser", "/kartor/lofte",
         "/api/rapport?from=2024-10-01&to=2024-12-31&format=html"]
# Pages a role may open (others answer 403 or send to login, tested in test_access_matrix.py).
PAGE_ROLES = {
    "/kartor/tackning": {"patrullchef", "admin"},
    "/kartor/planering": {"planerare", "admin", None},
}


def _features(text: str, i: int) -> dict[str, dict]:
    point = {"type": "Point", "coordinates": [VIVSTA[0] + i * 1e-3, VIVSTA[1]]}
    ring = [[17.32 + i * 1e-3, 62.484], [17.321 + i * 1e-3, 62.484],
            [17.321 + i * 1e-3, 62.485], [17.32 + i * 1e-3, 62.484]]
    return {
        "unsafe_places": {"type": "Feature", "geometry": point, "properties": {
            "category": "annat", "description": text, "reported_at": "2024-05-01"}},
        "risk_roads": {"type": "Feature", "properties": {"name": text, "note": text,
                                                         "road_ref": text[:20]},
                       "geometry": {"type": "LineString",
                                    "coordinates": [VIVSTA, [17.35, 62.5 + i * 1e-3]]}},
        "traffic_checks": {"type": "Feature", "geometry": point, "properties": {
            "place": text, "status": "planerad"}},
        "patrol_zones": {"type": "Feature", "properties": {"name": text},
                         "geometry": {"type": "Polygon", "coordinates": [ring]}},
        "candidate_sites": {"type": "Feature", "geometry": point, "properties": {
            "name": text, "note": text}},
        "activities": {"type": "Feature", "geometry": point, "properties": {
            "kind": "informationstraff", "date": "2024-10-10", "place": text, "audience": text,
            "description": text}},
        "patrols": {"type": "Feature", "properties": {
            "unit": text, "kind": "fot", "times": ["2024-11-20T18:00:00+00:00",
                                                  "2024-11-20T18:20:00+00:00"],
            "start": "2024-11-20T18:00:00+00:00", "end": "2024-11-20T18:20:00+00:00"},
            "geometry": {"type": "LineString", "coordinates": [[17.325, 62.4869],
                                                               [17.327, 62.4875]]}},
        "events": {"type": "Feature", "geometry": point, "properties": {
            "event_id": 990_000 + i, "type": text, "time": "2024-06-15T20:00:00+00:00",
            "name": text, "summary": text, "place": text, "precision": "place",
            "precision_m": 300.0, "municipality": text}},
        "gazetteer": {"type": "Feature", "geometry": point, "properties": {
            "name": f"{text} {i}", "aliases": [text], "kind": text, "precision_m": 400.0}},
    }


def _gpx(texts: list[str]) -> bytes:
    """A GPX file with one foot-patrol track per text, the text as the track's name."""
    tracks = "".join(
        f"<trk><name>{xml_escape(text)}</name><trkseg>"
        f'<trkpt lat="62.487" lon="{17.325 + i * 1e-3:.4f}"><time>2024-11-21T18:00:00Z</time>'
        f'</trkpt><trkpt lat="62.4875" lon="{17.327 + i * 1e-3:.4f}">'
        "<time>2024-11-21T18:20:00Z</time></trkpt></trkseg></trk>"
        for i, text in enumerate(texts))
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="xss" '
            f'xmlns="http://www.topografix.com/GPX/1/1">{tracks}</gpx>').encode()


def _csv(texts: list[str]) -> bytes:
    """A CSV of traffic checks, each text as the place."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["lat", "lon", "place", "status", "start"])
    for i, text in enumerate(texts):
        writer.writerow([62.489, 17.33 + i * 1e-3, text, "genomford",
                         "2024-11-22T19:00:00+00:00"])
    return out.getvalue().encode()


@pytest.fixture(scope="module")
def xss_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[tuple[LiveServer, str]]:
    """The demo in demo mode with the corpus in every text field, served once for the module:
    its tests only read (the demo logins add nothing a page shows)."""
    demo = Settings(db=tmp_path_factory.mktemp("xss") / "trygg.sqlite", demo=True, secret=SECRET)
    store = copy_store(demo_template, demo.db)
    token = add_user(store, "xss-admin", "admin", secret=SECRET)
    with LiveServer(create_app(demo, store=store)) as server:
        with httpx.Client(base_url=server.url, timeout=120,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for i, text in enumerate(XSS):
                for layer, feature in _features(text, i).items():
                    response = client.post(f"/api/layers/{layer}", json=feature)
                    assert response.status_code == 201, response.text
                action = {"commitment": "fotpatrullering", "what": text, "owner": "polisen",
                          "place": text, "note": text, "lon": 17.33, "lat": 62.49}
                response = client.post("/api/lofte/atgarder", json=action)
                assert response.status_code == 201, response.text
            for layer, name, data in (("patrols", "xss.gpx", _gpx(XSS)),
                                      ("traffic_checks", "xss.csv", _csv(XSS))):
                response = client.post(f"/api/layers/{layer}/import",
                                       files={"file": (name, data)})
                assert response.status_code == 200, response.text
        yield server, token
    store.close()


# Records every Leaflet map as it is made (folium's are globals, /static/hotspots.js keeps its own).
TRACK_MAPS = """window.__maps = []; let _leaflet;
Object.defineProperty(window, "L", {configurable: true, get() { return _leaflet; }, set(v) {
  _leaflet = v;
  try { v.Map.addInitHook(function () { window.__maps.push(this); }); } catch (e) {}
}});"""
# Opens every popup and tooltip of every Leaflet map on the page (each feature of a GeoJSON layer
# too, through the events Leaflet listens to), so their HTML is put into the page.
OPEN_ALL = """() => {
  let opened = 0;
  for (const map of window.__maps || []) {
    map.eachLayer(layer => {
      if (layer.eachLayer) return;  // groups: their features are visited themselves
      const at = layer.getLatLng ? layer.getLatLng()
               : layer.getBounds ? layer.getBounds().getCenter() : map.getCenter();
      for (const type of ["mouseover", "click"]) {
        try { layer.fire(type, {latlng: at}, true); opened++; } catch (e) {}
      }
    });
  }
  return opened;
}"""
# What an injection would leave behind: inline handlers and scripts the app did not write.
INJECTED = """() => {
  const out = [];
  for (const node of document.querySelectorAll("*")) {
    for (const attr of node.attributes) {
      const url = ["href", "src", "action", "formaction", "xlink:href"].includes(attr.name);
      if (attr.name.startsWith("on") || (url && /^\\s*javascript:/i.test(attr.value)))
        out.push(node.tagName + " " + attr.name + "=" + attr.value.slice(0, 60));
    }
  }
  for (const script of document.querySelectorAll("script")) {
    if (!script.nonce && !script.src && script.type !== "application/json")
      out.push("script without nonce: " + script.textContent.slice(0, 60));
  }
  return out;
}"""


@pytest.mark.parametrize("role", [None, "planerare", "patrullchef", "rad", "admin"])
def test_xss_corpus_never_runs_on_any_page(browser: Browser,
                                           xss_server: tuple[LiveServer, str],
                                           role: str | None) -> None:
    server, _ = xss_server
    context = browser.new_context(bypass_csp=True)  # escaping alone must hold
    context.set_default_timeout(60_000)  # generous: a loaded 2-core machine renders slowly
    page = context.new_page()
    log = PageLog(page, server.url)
    page.add_init_script("window.__xss = []; const _a = window.alert; "
                         "window.alert = (m) => { window.__xss.push(String(m)); };")
    page.add_init_script(TRACK_MAPS)
    if role:
        page.goto(server.url + "/", wait_until="load")
        page.click(f"text=Logga in som demo-{role}")
        page.wait_for_url(server.url + "/")
    for path in PAGES:
        if role not in PAGE_ROLES.get(path, {role}):
            continue
        response = page.goto(server.url + path, wait_until="load", timeout=120_000)
        assert response is not None and response.ok, f"{path} as {role}: {response.status}"
        settle(page)
        opened = page.evaluate(OPEN_ALL)
        if path.startswith("/kartor/") and path != "/kartor/lofte":
            assert opened > 0, f"{path} as {role}: no map layers (did the page script run?)"
        settle(page)  # let injected images fail and their handlers run
        executed = page.evaluate("window.__xss")
        assert executed == [], f"{path} as {role}: script ran: {executed}"
        injected = page.evaluate(INJECTED)
        assert injected == [], f"{path} as {role}: injected markup: {injected}"
    assert log.dialogs == []
    page_errors = [e for e in log.errors if e.startswith("page error") or "xss" in e.lower()]
    assert page_errors == [], f"as {role}: {page_errors}"
    context.close()


def test_pages_never_contain_the_corpus_unescaped(xss_server: tuple[LiveServer, str]) -> None:
    server, token = xss_server
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                      timeout=120) as c:
        for path in PAGES:
            response = c.get(path)
            assert response.status_code == 200, f"{path}: {response.status_code}"
            html = response.text
            # JSON data islands hold user text as data (read with JSON.parse, shown with
            # textContent); they only must not be able to close their element.
            islands = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>',
                                 html, flags=re.S)
            assert not any("<" in island for island in islands)
            markup = re.sub(r'<script[^>]*type="application/json"[^>]*>.*?</script>', "", html,
                            flags=re.S)
            # Text without HTML's special characters reads the same escaped or not.
            leaked = [text for text in XSS if text in markup and set(text) & set("<>\"'&")]
            assert leaked == [], f"{path} holds unescaped user text: {leaked}"
            assert "SSTI-EVAL" not in html, f"{path}: user text was run as a template"
            assert os.getcwd() + "-SSTI" not in html, f"{path}: user text ran on the server"


def test_maps_bind_popups_and_tooltips_only_through_the_js_literal_helpers() -> None:
    """folium's Popup and Tooltip splice HTML into JavaScript template literals; maps/ must use
    maps.base.FeatureLayer (escaped markup in properties passed through js_literal) or
    GeoJsonTooltip on escaped_geojson data."""
    from trygg.settings import PROJECT_ROOT

    wrong = []
    for path in sorted((PROJECT_ROOT / "maps").glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if re.search(r"folium\.(Popup|Tooltip)\(|\b(popup|tooltip)=(?!folium\.GeoJsonTooltip)",
                         code) and "never" not in line:
                wrong.append(f"{path.name}:{number}: {line.strip()}")
    assert wrong == []
