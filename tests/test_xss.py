"""Escaping: an XSS corpus posted through the API into every user-entered text field, then every
page loaded in headless Chromium as every role; any dialog or injected script execution fails."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser

from api.app import create_app
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, LiveServer
from tests.browser import PageLog
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
    }


@pytest.fixture
def xss_server(demo_store: Store, settings: Settings) -> Iterator[tuple[LiveServer, str]]:
    token = add_user(demo_store, "xss-admin", "admin", secret=SECRET)
    demo = settings.model_copy(update={"demo": True})
    with LiveServer(create_app(demo, store=demo_store)) as server:
        with httpx.Client(base_url=server.url,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for i, text in enumerate(XSS):
                for layer, feature in _features(text, i).items():
                    response = client.post(f"/api/layers/{layer}", json=feature)
                    assert response.status_code == 201, response.text
                action = {"commitment": "fotpatrullering", "what": text, "owner": "polisen",
                          "place": text, "note": text, "lon": 17.33, "lat": 62.49}
                response = client.post("/api/lofte/atgarder", json=action)
                assert response.status_code == 201, response.text
        yield server, token


@pytest.mark.parametrize("role", [None, "planerare", "patrullchef", "rad", "admin"])
def test_xss_corpus_never_runs_on_any_page(browser: Browser,
                                           xss_server: tuple[LiveServer, str],
                                           role: str | None) -> None:
    server, _ = xss_server
    context = browser.new_context()
    page = context.new_page()
    log = PageLog(page, server.url)
    page.add_init_script("window.__xss = []; const _a = window.alert; "
                         "window.alert = (m) => { window.__xss.push(String(m)); };")
    if role:
        page.goto(server.url + "/", wait_until="load")
        page.click(f"text=Logga in som demo-{role}")
        page.wait_for_url(server.url + "/")
    for path in PAGES:
        if role not in PAGE_ROLES.get(path, {role}):
            continue
        response = page.goto(server.url + path, wait_until="load")
        assert response is not None and response.ok, f"{path} as {role}: {response.status}"
        page.wait_for_timeout(300)
        # Open every popup, so popup HTML is rendered too.
        for marker in page.locator("path.leaflet-interactive").all()[:200]:
            try:
                marker.click(timeout=300, force=True)
            except Exception:
                pass
        executed = page.evaluate("window.__xss")
        assert executed == [], f"{path} as {role}: script ran: {executed}"
    assert log.dialogs == []
    assert [e for e in log.errors if "xss" in e.lower()] == []
    context.close()


def test_pages_never_contain_the_corpus_unescaped(xss_server: tuple[LiveServer, str]) -> None:
    server, token = xss_server
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
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
