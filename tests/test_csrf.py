"""Cross-site request forgery: cookie-authenticated writes and logins must come from the app's own
pages (Origin/Referer/Sec-Fetch-Site) and carry the session's token; Bearer calls are unaffected.
Over HTTP with forged headers, and in Chromium from a page served on another port of 127.0.0.1
(same site, so SameSite=Lax cookies are sent) that auto-submits forms and fetches."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from api.app import create_app
from api.security import REFUSED_SV, csrf_token
from store import Store
from store.accounts import add_user
from tests.browser import PageLog
from tests.conftest import SECRET, LiveServer, auth
from trygg.settings import Settings

EVIL = "http://evil.example"
PERIOD = "from=2024-10-01&to=2024-12-31"
PLACE = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [17.33, 62.49]},
         "properties": {"category": "annat", "description": "csrf-test",
                        "reported_at": "2024-05-01"}}
CSV = b"lat,lon,category,description,reported_at\n62.49,17.33,annat,csrf-import,2024-05-01\n"


@pytest.fixture
def signed_in(client: TestClient, tokens: dict[str, str]) -> tuple[TestClient, str]:
    """The client signed in as admin by the login form, and the session's CSRF token."""
    response = client.post("/logga-in", data={"token": tokens["admin"]}, follow_redirects=False)
    assert response.status_code == 303
    return client, csrf_token(SECRET, client.cookies["trygg_session"])


def _kept(client: TestClient, tokens: dict[str, str]) -> int:
    return len(client.get("/api/rapporter", headers=auth(tokens["admin"])).json())


def _places(client: TestClient, tokens: dict[str, str]) -> int:
    layer = client.get("/api/layers/unsafe_places", headers=auth(tokens["admin"])).json()
    return len(layer["features"])


def _refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error"] == REFUSED_SV and isinstance(body["details"], list)
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},
    {"Origin": "http://testserver:8001"},  # same host, other port
    {"Referer": EVIL + "/page"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
])
def test_cookie_writes_from_elsewhere_are_refused(signed_in, tokens, headers) -> None:
    client, token = signed_in
    before_kept, before_places = _kept(client, tokens), _places(client, tokens)
    _refused(client.post(f"/api/rapporter?{PERIOD}", headers={**headers, "X-CSRF-Token": token}))
    _refused(client.post("/api/layers/unsafe_places/import", headers=headers,
                         files={"file": ("p.csv", CSV, "text/csv")},
                         data={"csrf_token": token}))
    _refused(client.post("/api/layers/unsafe_places", json=PLACE, headers=headers))
    _refused(client.post("/logga-ut", headers=headers, data={"csrf_token": token},
                         follow_redirects=False))
    assert client.get("/api/me").json()["role"] == "admin"  # still signed in
    assert (_kept(client, tokens), _places(client, tokens)) == (before_kept, before_places)


def test_own_origin_needs_the_session_token(signed_in, tokens) -> None:
    client, token = signed_in
    own = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    before = _places(client, tokens)
    _refused(client.post("/api/layers/unsafe_places", json=PLACE, headers=own))
    _refused(client.post("/api/layers/unsafe_places", json=PLACE,
                         headers={**own, "X-CSRF-Token": "0" * 64}))
    response = client.post("/api/layers/unsafe_places", json=PLACE,
                           headers={**own, "X-CSRF-Token": token})
    assert response.status_code == 201, response.text
    response = client.post("/api/layers/unsafe_places/import", headers={
        **own, "X-CSRF-Token": token}, files={"file": ("p.csv", CSV, "text/csv")})
    assert response.status_code == 200, response.text
    assert _places(client, tokens) == before + 2
    # A form posts the token as a field; the body still reaches the route intact.
    response = client.post("/logga-ut", headers=own, data={"csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/me").json()["role"] is None


def test_login_from_another_site_is_refused(client: TestClient, tokens) -> None:
    """Login CSRF: a foreign page must not sign the victim's browser in to another account."""
    for headers in ({"Origin": EVIL}, {"Referer": EVIL + "/"}, {"Sec-Fetch-Site": "same-site"}):
        _refused(client.post("/logga-in", data={"token": tokens["rad"]}, headers=headers,
                             follow_redirects=False))
        assert "trygg_session" not in client.cookies
    response = client.post("/logga-in", data={"token": tokens["rad"]},
                           headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert response.status_code == 303 and "trygg_session" in client.cookies


def test_bearer_calls_are_unaffected(client: TestClient, tokens) -> None:
    response = client.post("/api/layers/unsafe_places", json=PLACE,
                           headers={**auth(tokens["admin"]), "Origin": EVIL,
                                    "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 201, response.text


def test_public_url_is_allowed_and_makes_the_cookie_secure(settings: Settings, store: Store,
                                                           tokens) -> None:
    public = settings.model_copy(update={"public_url": "https://trygg.example.se/"})
    with TestClient(create_app(public, store=store), base_url="https://trygg.example.se") as c:
        response = c.post("/logga-in", data={"token": tokens["admin"]},
                          headers={"Origin": "https://trygg.example.se"}, follow_redirects=False)
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        _refused(c.post("/logga-in", data={"token": tokens["admin"]},
                        headers={"Origin": "http://trygg.example.se"}))
    plain = TestClient(create_app(settings, store=store))
    response = plain.post("/logga-in", data={"token": tokens["admin"]}, follow_redirects=False)
    assert "secure" not in response.headers["set-cookie"].lower()


# --- in Chromium, from another port of the same host ----------------------------------------------

class _Attacker:
    """A page server on another port of 127.0.0.1: same site as the app, another origin."""

    def __init__(self, pages: dict[str, str]) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Attacker:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def victim(demo_store: Store, settings: Settings) -> Iterator[tuple[LiveServer, str, str]]:
    """The demo app over HTTP, an admin token to look with and an attacker's own token."""
    admin = add_user(demo_store, "csrf-admin", "admin", secret=SECRET)
    attacker = add_user(demo_store, "angripare", "rad", secret=SECRET)
    with LiveServer(create_app(settings.model_copy(update={"demo": True}),
                               store=demo_store)) as server:
        yield server, admin, attacker


def _forged_pages(app: str, attacker_token: str) -> dict[str, str]:
    auto = "<script>document.forms[0].submit()</script>"
    return {
        "/keep": f'<form method="post" action="{app}/api/rapporter?{PERIOD}"></form>{auto}',
        "/place": f'<form method="post" enctype="text/plain" action="{app}/api/layers/'
                  'unsafe_places"><input name=\'{"type":"Feature","x":"\' value=\'"}\'>'
                  f"</form>{auto}",
        "/import": f"""<form method="post" enctype="multipart/form-data"
            action="{app}/api/layers/unsafe_places/import"><input type="file" name="file"></form>
            <script>
            const dt = new DataTransfer();
            dt.items.add(new File([{CSV.decode()!r}], "p.csv", {{type: "text/csv"}}));
            document.forms[0].elements.file.files = dt.files;
            document.forms[0].submit();
            </script>""",
        "/fetch": f"""<script>
            const data = new FormData();
            data.append("file", new Blob([{CSV.decode()!r}], {{type: "text/csv"}}), "p.csv");
            Promise.allSettled([
              fetch("{app}/api/layers/unsafe_places/import", {{method: "POST", body: data,
                    mode: "no-cors", credentials: "include"}}),
              fetch("{app}/api/rapporter?{PERIOD}", {{method: "POST", mode: "no-cors",
                    credentials: "include"}}),
            ]).then(() => {{ document.title = "done"; }});
            </script>""",
        "/login": f'<form method="post" action="{app}/logga-in"><input name="token" '
                  f'value="{attacker_token}"></form>{auto}',
    }


@pytest.mark.browser
def test_forged_forms_and_fetches_from_another_port_write_nothing(
        browser: Browser, victim: tuple[LiveServer, str, str]) -> None:
    server, admin, attacker_token = victim
    look = httpx.Client(base_url=server.url, headers=auth(admin), timeout=60)

    def counts() -> tuple[int, int]:
        places = look.get("/api/layers/unsafe_places").json()["features"]
        return len(look.get("/api/rapporter").json()), len(places)

    before = counts()
    context = browser.new_context()
    page = context.new_page()
    log = PageLog(page, server.url)
    page.goto(server.url + "/", wait_until="load")
    page.click("text=Logga in som demo-admin")
    page.wait_for_url(server.url + "/")
    with _Attacker(_forged_pages(server.url, attacker_token)) as evil:
        page.unroute("**/*")  # the PageLog's router would block the attacker's origin
        statuses = []
        for path in ("/keep", "/place", "/import", "/login"):
            with page.expect_response(lambda r: r.url.startswith(server.url)
                                      and r.request.method == "POST") as answer:
                page.goto(evil.url + path)
            statuses.append((path, answer.value.status))
            page.wait_for_load_state("load")
        page.goto(evil.url + "/fetch")
        page.wait_for_function("() => document.title === 'done'", timeout=30_000)
    assert statuses == [(p, 403) for p in ("/keep", "/place", "/import", "/login")]
    assert counts() == before
    # Still the admin, not signed in as the attacker's account.
    page.goto(server.url + "/", wait_until="load")
    me = page.evaluate("fetch('/api/me').then(r => r.json())")
    assert me == {"name": "demo-admin", "role": "admin"}
    assert log.dialogs == []
    context.close()
    look.close()


@pytest.mark.browser
def test_the_apps_own_pages_still_write(browser: Browser,
                                        victim: tuple[LiveServer, str, str]) -> None:
    """Login form, demo login, report keeping, an import by the page's own script, logout."""
    server, admin, attacker_token = victim
    look = httpx.Client(base_url=server.url, headers=auth(admin), timeout=60)
    kept = len(look.get("/api/rapporter").json())
    context = browser.new_context()
    page = context.new_page()
    log = PageLog(page, server.url)
    page.goto(server.url + "/logga-in", wait_until="load")
    page.fill("#token", attacker_token)
    page.click("button:has-text('Logga in')")
    page.wait_for_url(server.url + "/")
    assert "angripare" in page.content()
    page.click("text=Logga in som demo-admin")  # with a session cookie: the token is needed
    page.wait_for_url(server.url + "/")
    assert "demo-admin" in page.content()
    page.goto(server.url + "/kartor/lofte", wait_until="load")
    page.click("#keep-report")
    page.wait_for_selector("#report-message:has-text('sparad')", timeout=120_000)
    assert len(look.get("/api/rapporter").json()) == kept + 1
    status = page.evaluate("""async (csv) => {
        const data = new FormData();
        data.append("file", new Blob([csv], {type: "text/csv"}), "p.csv");
        const token = document.querySelector('meta[name="csrf-token"]').content;
        const ok = await fetch("/api/layers/unsafe_places/import", {method: "POST", body: data,
            headers: {"X-CSRF-Token": token}});
        const bare = await fetch("/api/layers/unsafe_places/import", {method: "POST",
            body: data});
        return [ok.status, bare.status];
    }""", CSV.decode())
    assert status == [200, 403]
    page.click("button:has-text('Logga ut')")
    page.wait_for_url(server.url + "/")
    assert page.evaluate("fetch('/api/me').then(r => r.json())")["role"] is None
    assert log.errors == [] or all("403" in e for e in log.errors), log.errors
    assert log.dialogs == []
    context.close()
    look.close()
