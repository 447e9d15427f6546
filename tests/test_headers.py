"""Security headers on every answer (every served route as admin and anonymous, static files,
errors), the CSP nonce on every inline script, and every page in Chromium under the real policy
with no Content-Security-Policy violation."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from api.app import create_app
from api.routing import served_routes
from api.security import TILE_SOURCES
from store import Store
from store.accounts import add_user
from tests.browser import PageLog, settle
from tests.conftest import SECRET, LiveServer, auth
from tests.test_csrf import _Attacker
from tests.test_access_matrix import MATRIX
from tests.test_xss import OPEN_ALL, TRACK_MAPS
from trygg.settings import Settings

PAGES = ["/", "/logga-in", "/kartor/oversikt", "/kartor/tackning", "/kartor/planering",
         "/kartor/otrygga-platser", "/kartor/lofte", "/docs", "/folj-med",
         "/tyck-till", "/moderering",
         "/api/rapport?from=2024-10-01&to=2024-12-31&format=html"]


@pytest.fixture
def app_and_token(demo_store: Store, settings: Settings) -> tuple[FastAPI, str]:
    token = add_user(demo_store, "h-admin", "admin", secret=SECRET)
    return create_app(settings.model_copy(update={"demo": True}), store=demo_store), token


def _check(response, what: str, *, signed_in: bool) -> None:
    h = response.headers
    csp = h.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, what
    assert re.search(r"script-src 'self' 'nonce-[\w-]+'", csp), what
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], what
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp, what
    assert h.get("x-frame-options") == "DENY", what
    assert h.get("x-content-type-options") == "nosniff", what
    assert h.get("referrer-policy") == "same-origin", what
    if signed_in:
        assert h.get("cache-control") == "no-store", what


def test_every_route_answers_with_the_security_headers(app_and_token) -> None:
    app, token = app_and_token
    routes = served_routes(app)
    assert routes <= set(MATRIX), "a route without a call in tests/test_access_matrix.py"
    with TestClient(app) as client:
        for method, template in sorted(routes):
            for call in MATRIX[(method, template)][1]:
                path = template.format(**{k: v for k, v in call.items() if k in (
                    "layer", "feature_id", "action_id", "report_id", "commitment", "receipt",
                    "tip_id")})
                if "query" in call:
                    path += "?" + call["query"]
                for headers in (auth(token), {}):
                    client.cookies.clear()
                    response = client.request(method, path, headers=headers,
                                              json=call.get("json"), data=call.get("data"),
                                              files=call.get("files"), follow_redirects=False)
                    _check(response, f"{method} {path} {response.status_code}",
                           signed_in=bool(headers))
        for path in ("/static/trygg.css", "/static/planning.js", "/static/vendor/leaflet/"
                     "leaflet.js", "/no/such/page", "/api/layers/nope"):
            _check(client.get(path), path, signed_in=False)
        # A signed-in session and the CSRF refusal carry them too.
        client.post("/logga-in", data={"token": token}, follow_redirects=False)
        _check(client.get("/kartor/oversikt"), "page with session", signed_in=True)
        refused = client.post("/api/rapporter?from=2024-10-01&to=2024-10-31",
                              headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403
        _check(refused, "CSRF refusal", signed_in=True)


def test_inline_scripts_carry_the_responses_nonce(app_and_token) -> None:
    app, token = app_and_token
    with TestClient(app, headers=auth(token)) as client:
        seen = set()
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            nonce = re.search(r"'nonce-([\w-]+)'",
                              response.headers["content-security-policy"]).group(1)
            seen.add(nonce)
            html = response.text
            assert "__trygg_" not in html, f"{path}: a placeholder was left"
            for tag in re.findall(r"<script\b[^>]*>", html):
                if "application/json" in tag:
                    continue
                assert f'nonce="{nonce}"' in tag or "src=" in tag, f"{path}: {tag}"
                if "src=" not in tag:
                    assert f'nonce="{nonce}"' in tag, f"{path}: inline script without nonce"
        assert len(seen) == len(PAGES), "a nonce was used twice"


def test_tiles_the_maps_use_are_allowed(app_and_token) -> None:
    app, token = app_and_token
    with TestClient(app, headers=auth(token)) as client:
        csp = client.get("/").headers["content-security-policy"]
        img = next(p for p in csp.split(";") if p.strip().startswith("img-src"))
        hosts = set()
        for path in ("/kartor/oversikt", "/kartor/tackning", "/kartor/planering"):
            hosts |= set(re.findall(r"https://([\w.{}-]+)/\{z\}", client.get(path).text))
        hosts |= set(re.findall(r"https://([\w.{}-]+)/\{z\}",
                                client.get("/static/hotspots.js").text))
    assert hosts, "no tile URL found in the maps"
    for host in hosts:
        assert f"https://{host}" in TILE_SOURCES or host.endswith(".tile.openstreetmap.org")
        assert f"https://{host}" in img or "https://*.tile.openstreetmap.org" in img


# --- in Chromium ----------------------------------------------------------------------------------

RECORD_VIOLATIONS = """window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
  e.violatedDirective + " " + e.blockedURI + " " + (e.sample || "")));"""


@pytest.fixture
def live(app_and_token) -> Iterator[LiveServer]:
    app, _ = app_and_token
    with LiveServer(app) as server:
        yield server


@pytest.mark.browser
def test_every_page_passes_the_content_security_policy(browser: Browser,
                                                       live: LiveServer) -> None:
    context = browser.new_context()
    context.set_default_timeout(60_000)  # generous: a loaded 2-core machine renders slowly
    page = context.new_page()
    log = PageLog(page, live.url)
    csp_console: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and csp_console.append(m.text))
    page.add_init_script(RECORD_VIOLATIONS)
    page.add_init_script(TRACK_MAPS)
    page.goto(live.url + "/", wait_until="load")
    page.click("text=Logga in som demo-admin")
    page.wait_for_url(live.url + "/")
    violations = []
    for path in PAGES:
        response = page.goto(live.url + path, wait_until="load", timeout=120_000)
        assert response is not None and response.ok, path
        if path == "/docs":
            page.wait_for_selector(".swagger-ui .info")
            page.click(".opblock-summary >> nth=0")  # Swagger UI's own interactions
            page.wait_for_selector(".opblock.is-open .opblock-body")
        elif path.startswith("/kartor/") and path != "/kartor/lofte":
            page.wait_for_selector(".leaflet-container")
            assert page.evaluate(OPEN_ALL) > 0, f"{path}: the map script did not run"
        settle(page)  # what the page loads, popups' images included, has loaded or failed
        violations += [f"{path}: {v}" for v in page.evaluate("window.__csp")
                       if not any(h.split("//")[1].lstrip("*.") in v for h in TILE_SOURCES)]
    assert violations == []
    assert [m for m in csp_console if "tile.openstreetmap.org" not in m] == []
    assert log.errors == [] and log.dialogs == []
    context.close()


@pytest.mark.browser
def test_pages_refuse_to_be_framed(browser: Browser, live: LiveServer) -> None:
    """A page on another port frames the start page: Chromium must show nothing of it."""
    framing = f'<iframe id="f" src="{live.url}/" width="800" height="600"></iframe>'
    with _Attacker({"/": framing}) as evil:
        page = browser.new_page()
        page.set_default_timeout(60_000)
        page.goto(evil.url + "/", wait_until="load")
        page.wait_for_timeout(1000)
        framed = [f for f in page.frames if f is not page.main_frame]
        assert framed, "no frame"
        assert all("Medborgarlöfte" not in f.content() for f in framed)
        page.close()
