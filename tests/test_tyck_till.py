"""Tyck till (issue 13) over real HTTP on a real SQLite store: anonymous reports with a receipt,
nothing shown before approval, bot checks (honeypot, minimum time, forged or stale form tokens),
cross-site posts refused, limits per client and overall, size limits, the sensitive categories
never offered, and partner reporters (rapportor) who see only their own reports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from cli import cli
from services.tips import FORM_VALID_S, MIN_SECONDS_TO_SUBMIT, form_token
from store import Store
from store.accounts import add_user, user_by_name
from store.tips import list_tips
from tests.conftest import SECRET, auth
from trygg.settings import Settings

VIVSTA = (17.32583, 62.48694)  # inside the demo's municipality (Timrå)
STOCKHOLM = (18.0686, 59.3293)


def token(age_s: float = 60.0) -> str:
    """A form token as the page would have given ``age_s`` seconds ago."""
    return form_token(SECRET, issued_at_s=time.time() - age_s)


def tip(**changes: Any) -> dict[str, Any]:
    body = {"lon": VIVSTA[0], "lat": VIVSTA[1], "category": "belysning",
            "description": "Gatlampan vid busshållplatsen är trasig", "form_token": token(),
            "website": ""}
    return {**body, **changes}


@pytest.fixture
def app_for(demo_store: Store, settings: Settings) -> Iterator[Any]:
    """Clients of apps over the demo store with some settings changed."""
    clients: list[TestClient] = []

    def make(**changes: Any) -> TestClient:
        client = TestClient(create_app(settings.model_copy(update=changes), store=demo_store))
        clients.append(client.__enter__())
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def web(app_for) -> TestClient:
    return app_for()


@pytest.fixture
def keys(demo_store: Store) -> dict[str, str]:
    made = {role: add_user(demo_store, f"t-{role}", role, secret=SECRET)
            for role in ("planerare", "rad", "admin")}
    made["rapportor"] = add_user(demo_store, "t-bo", "rapportor", secret=SECRET,
                                 organisation="Bostadsbolaget AB")
    made["rapportor2"] = add_user(demo_store, "t-skola", "rapportor", secret=SECRET,
                                  organisation="Skolan")
    return made


def test_a_report_gets_a_receipt_and_shows_nowhere_until_approved(web: TestClient,
                                                                 demo_store: Store,
                                                                 keys: dict[str, str]) -> None:
    places_before = demo_store.count("unsafe_places")
    text = "Mörkt och otryggt vid tunneln, jättekonstigt ljus"
    made = web.post("/api/tyck-till", json=tip(description=text))
    assert made.status_code == 201, made.text
    receipt = made.json()["receipt"]
    assert made.json()["state"] == "ny" and made.json()["on_map"] is False
    assert "set-cookie" not in made.headers
    status = web.get(f"/api/tyck-till/{receipt}")
    assert status.status_code == 200 and status.json()["state_sv"].startswith("mottaget")
    assert text not in status.text and "lon" not in status.json()  # a receipt tells no place
    page = web.get(f"/tyck-till/status/{receipt}")
    assert page.status_code == 200 and "granskas" in page.text
    assert web.get("/tyck-till/status/FEL-KOD").status_code == 404
    assert web.get("/api/tyck-till/FEL-KOD").status_code == 404
    assert demo_store.count("unsafe_places") == places_before
    for role in ("rad", "admin", "planerare"):
        for path in ("/api/layers/unsafe_places", "/api/hotspots?from=2022-01-01&to=2030-12-31",
                     "/kartor/oversikt"):
            answer = web.get(path, headers=auth(keys[role]))
            assert answer.status_code == 200, (role, path)
            assert text not in answer.text, (role, path)
    queue = web.get("/api/moderering", headers=auth(keys["planerare"])).json()
    assert [t["description"] for t in queue] == [text]


def test_the_page_never_offers_the_sensitive_categories(web: TestClient) -> None:
    page = web.get("/tyck-till")
    assert page.status_code == 200
    html = page.text
    assert 'value="belysning"' in html and 'value="buskorning"' in html
    for never in ("vald_i_nara_relation", "sexualbrott", "vald"):
        assert f'value="{never}"' not in html
    assert html.count('name="category"') == 7  # geo.tips.TIP_CATEGORIES, nothing more
    assert "Våld i nära relation och sexualbrott tar vi inte emot här" in html
    assert "112" in html and "114 14" in html
    assert "kvinnofridslinjen.se" in html and "brottsofferjouren.se" in html
    assert 'name="website"' in html and 'name="form_token"' in html
    assert "<script>" not in html and "<script nonce" not in html  # CSP: scripts by src only
    for never in ("vald_i_nara_relation", "sexualbrott"):
        refused = web.post("/api/tyck-till", json=tip(category=never))
        assert refused.status_code == 422
        assert "112" in refused.json()["error"] and "114 14" in refused.json()["error"]
    assert web.post("/api/tyck-till", json=tip(category="vald")).status_code == 422


def test_bot_checks_refuse_and_store_nothing(web: TestClient, demo_store: Store) -> None:
    cases = {
        "honeypot": tip(website="http://spam.example"),
        "too fast": tip(form_token=token(age_s=MIN_SECONDS_TO_SUBMIT / 3)),
        "from the future": tip(form_token=token(age_s=-120)),
        "too old": tip(form_token=token(age_s=FORM_VALID_S + 60)),
        "forged": tip(form_token=f"{int(time.time()) - 60}.{'0' * 32}"),
        "missing": tip(form_token=""),
        "other secret": tip(form_token=form_token("another-secret-0123456789",
                                                  issued_at_s=time.time() - 60)),
    }
    for name, body in cases.items():
        refused = web.post("/api/tyck-till", json=body)
        assert refused.status_code == 422, (name, refused.text)
        assert refused.json()["error"]
    assert list_tips(demo_store) == []
    assert web.post("/api/tyck-till", json=tip(form_token=token(
        MIN_SECONDS_TO_SUBMIT + 1))).status_code == 201


def test_cross_site_posts_are_refused(web: TestClient, demo_store: Store) -> None:
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Referer": "https://evil.example/form.html"}, {"Origin": "null"}):
        refused = web.post("/api/tyck-till", json=tip(), headers=headers)
        assert refused.status_code == 403, (headers, refused.text)
    # An HTML form on another site can only send a form, never JSON: refused too.
    form = web.post("/api/tyck-till", data={k: str(v) for k, v in tip().items()})
    assert form.status_code == 422
    assert list_tips(demo_store) == []
    same = web.post("/api/tyck-till", json=tip(), headers={
        "Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 201, same.text


def test_limits_per_client_and_overall(app_for, demo_store: Store) -> None:
    per_client = app_for(tips_per_client_per_hour=2, tips_per_hour=100)
    assert [per_client.post("/api/tyck-till", json=tip()).status_code
            for _ in range(3)] == [201, 201, 429]
    refused = per_client.post("/api/tyck-till", json=tip())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "försök igen senare" in refused.json()["error"]
    assert len(list_tips(demo_store)) == 2
    # Refused attempts (bots, bad input) do not use up the hour.
    overall = app_for(tips_per_client_per_hour=100, tips_per_hour=2)
    assert overall.post("/api/tyck-till", json=tip(website="x")).status_code == 422
    assert [overall.post("/api/tyck-till", json=tip()).status_code
            for _ in range(3)] == [201, 201, 429]
    assert len(list_tips(demo_store)) == 4


def test_size_and_place_limits(app_for, demo_store: Store) -> None:
    web = app_for(max_body_mb=0.01)
    assert web.post("/api/tyck-till", json=tip(description="x" * 2001)).status_code == 422
    assert web.post("/api/tyck-till", json=tip(description="x" * 20_000)).status_code == 413
    assert web.post("/api/tyck-till", json=tip(description="   ")).status_code == 422
    outside = web.post("/api/tyck-till", json=tip(lon=STOCKHOLM[0], lat=STOCKHOLM[1]))
    assert outside.status_code == 422 and "utanför kommunen" in outside.json()["error"]
    future = web.post("/api/tyck-till", json=tip(time="2999-01-01T10:00"))
    assert future.status_code == 422 and "framtiden" in future.json()["error"]
    assert list_tips(demo_store) == []
    kept = web.post("/api/tyck-till", json=tip(description="x" * 2000, time="2024-10-27 21:30"))
    assert kept.status_code == 201
    (row,) = list_tips(demo_store)
    assert row["observed_at"] == "2024-10-27T20:30:00+00:00"  # Stockholm time, stored in UTC


def test_buskorning_says_when_and_whether_people_gather(web: TestClient) -> None:
    missing = web.post("/api/tyck-till", json=tip(category="buskorning"))
    assert missing.status_code == 422
    assert "time_of_day" in missing.json()["error"] and "gathering" in missing.json()["error"]
    assert web.post("/api/tyck-till", json=tip(time_of_day="kvall")).status_code == 422
    assert web.post("/api/tyck-till", json=tip(category="buskorning", time_of_day="lunch",
                                               gathering="ja")).status_code == 422
    made = web.post("/api/tyck-till", json=tip(category="buskorning", time_of_day="kvall",
                                               gathering="ja"))
    assert made.status_code == 201 and made.json()["category_sv"] == "buskörning eller A-traktor"


def test_partner_reporters_see_only_their_own(web: TestClient, demo_store: Store,
                                             keys: dict[str, str]) -> None:
    body = {k: v for k, v in tip().items() if k not in ("form_token", "website")}
    mine = web.post("/api/samverkan/rapporter", headers=auth(keys["rapportor"]),
                    json={**body, "description": "Klotter i trapphus B"})
    assert mine.status_code == 201, mine.text
    assert mine.json()["organisation"] == "Bostadsbolaget AB"
    theirs = web.post("/api/samverkan/rapporter", headers=auth(keys["rapportor2"]),
                      json={**body, "description": "Ungdomar samlas vid skolan"})
    assert theirs.status_code == 201
    public = web.post("/api/tyck-till", json=tip(description="Allmänhetens tips"))
    assert public.status_code == 201
    listed = web.get("/api/samverkan/rapporter", headers=auth(keys["rapportor"])).json()
    assert [r["description"] for r in listed] == ["Klotter i trapphus B"]
    listed = web.get("/api/samverkan/rapporter", headers=auth(keys["rapportor2"])).json()
    assert [r["description"] for r in listed] == ["Ungdomar samlas vid skolan"]
    # No layer, no moderation, no council page for a partner.
    for method, path in (("GET", "/api/moderering"), ("GET", "/api/layers/unsafe_places"),
                         ("GET", "/api/layers"), ("GET", "/api/hotspots"),
                         ("POST", f"/api/moderering/{mine.json()['id']}")):
        answer = web.request(method, path, headers=auth(keys["rapportor"]),
                             json={"decision": "approve"})
        assert answer.status_code == 403, (path, answer.text)
    for role in ("planerare", "rad", "admin"):
        assert web.get("/api/samverkan/rapporter", headers=auth(keys[role])).status_code == 403
    assert web.get("/api/samverkan/rapporter").status_code == 401
    page = web.get("/samverkan", headers=auth(keys["rapportor"]))
    assert page.status_code == 200 and "Bostadsbolaget AB" in page.text
    assert web.get("/samverkan", headers=auth(keys["rad"])).status_code == 403


def test_partner_csv_is_all_or_nothing(web: TestClient, demo_store: Store,
                                       keys: dict[str, str]) -> None:
    header = "lon;lat;category;description;time;time_of_day;gathering\n"
    good = (f"{VIVSTA[0]};{VIVSTA[1]};skadegorelse;Krossad ruta i port 3;2024-11-04 22:00;;\n"
            f"17,3300;62,4900;buskorning;A-traktorer kör runt;;kvall;ja\n")
    bad = good + (f"{VIVSTA[0]};{VIVSTA[1]};sexualbrott;x;;;\n"
                  f"abc;62.49;belysning;Mörkt;;;\n"
                  f"{VIVSTA[0]};{VIVSTA[1]};buskorning;Buskörning;;;\n")
    files = {"file": ("vecka45.csv", (header + bad).encode(), "text/csv")}
    refused = web.post("/api/samverkan/rapporter/import", headers=auth(keys["rapportor"]),
                       files=files)
    assert refused.status_code == 422
    details = refused.json()["details"]
    assert any("rad 4" in d and "112" in d for d in details)
    assert any("rad 5" in d and "'lon'" in d for d in details)
    assert any("rad 6" in d and "time_of_day" in d for d in details)
    assert list_tips(demo_store) == []
    made = web.post("/api/samverkan/rapporter/import", headers=auth(keys["rapportor"]),
                    files={"file": ("vecka45.csv", (header + good).encode(), "text/csv")})
    assert made.status_code == 201, made.text
    assert [r["category"] for r in made.json()] == ["skadegorelse", "buskorning"]
    assert {r["organisation"] for r in list_tips(demo_store)} == {"Bostadsbolaget AB"}
    not_text = web.post("/api/samverkan/rapporter/import", headers=auth(keys["rapportor"]),
                        files={"file": ("x.csv", b"\xff\xfe\x00bad", "text/csv")})
    assert not_text.status_code == 422 and "UTF-8" in not_text.json()["error"]


def test_users_add_rapportor_needs_its_organisation(demo_store: Store, settings: Settings,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_DB", str(settings.db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    runner = CliRunner()
    refused = runner.invoke(cli, ["users", "add", "vakt", "--role", "rapportor"])
    assert refused.exit_code != 0 and "--org" in refused.output
    made = runner.invoke(cli, ["users", "add", "vakt", "--role", "rapportor", "--org",
                               "Väktarbolaget"])
    assert made.exit_code == 0, made.output
    user = user_by_name(demo_store, "vakt")
    assert user is not None and (user.role, user.organisation) == ("rapportor", "Väktarbolaget")
    other = runner.invoke(cli, ["users", "add", "p2", "--role", "planerare", "--org", "X"])
    assert other.exit_code != 0 and user_by_name(demo_store, "p2") is None
