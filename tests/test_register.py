"""The promise register through the API (issue 12): places from the gazetteer, sane due dates,
edits with If-Match, deleting (admin only) and the register page's place choices and links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo.promise import latest_due
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import Settings

ENGLISH = ("invalid", "is required", "field", "problem(s)", "Input should", "must be")


@pytest.fixture
def app(demo_store: Store) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    settings = Settings(db=demo_store.path, demo=False, secret=SECRET)
    heads = {role: auth(add_user(demo_store, f"r-{role}", role, secret=SECRET))
             for role in ("rad", "admin", "planerare")}
    with TestClient(create_app(settings, store=demo_store)) as client:
        yield client, heads


def _add(client: TestClient, head: dict[str, str], **extra):
    return client.post("/api/lofte/atgarder", headers=head, json={
        "commitment": "fotpatrullering", "what": "Kvällspatrull", "owner": "polisen", **extra})


def _swedish(answer) -> str:
    text = answer.json()["error"]
    assert not [w for w in ENGLISH if w in text], text
    return text


def test_places_from_the_gazetteer_a_road_a_zone_and_unknown_ones(app, demo_store) -> None:
    client, heads = app
    at = _add(client, heads["rad"], named="Söråker")
    assert at.status_code == 201, at.text
    assert at.json()["place"] == "Söråker"
    gaz = demo_store.read("gazetteer").set_index("name")
    stored = demo_store.get("promise_actions", at.json()["id"]).geometry.iloc[0]
    assert stored.distance(gaz.geometry["Söråker"]) < 1.0
    road = _add(client, heads["rad"], named="väg 331", place="länsväg 331, Bergeforsen")
    assert road.status_code == 201, road.text
    area = demo_store.get("promise_actions", road.json()["id"]).geometry.iloc[0]
    assert area.geom_type == "Polygon" and road.json()["place"] == "länsväg 331, Bergeforsen"
    for name in ("Bergeforsen", "Stavreviken", "Tunbodarna"):
        assert area.contains(gaz.geometry[name])
    assert not area.contains(gaz.geometry["Söråker"])
    unknown = _add(client, heads["rad"], named="Narnia")
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_place"
    assert _swedish(unknown).startswith("Plats: 'Narnia' finns inte")
    zone = _add(client, heads["rad"], zone="Ingenstans")
    assert zone.status_code == 422 and _swedish(zone).startswith("Område: 'Ingenstans'")


def test_due_dates_before_the_promise_or_years_ahead_are_refused(app) -> None:
    client, heads = app
    early = _add(client, heads["rad"], due="1999-05-01")
    assert early.status_code == 422 and early.json()["code"] == "due_too_early"
    assert "Klart senast" in _swedish(early) and "2023-01-01" in early.json()["error"]
    late = _add(client, heads["rad"], due="2099-01-01")
    assert late.status_code == 422 and late.json()["code"] == "due_too_late"
    assert "Klart senast" in _swedish(late)
    fine = _add(client, heads["rad"], due="2024-06-30")
    assert fine.status_code == 201, fine.text
    aid, version = fine.json()["id"], fine.json()["version"]
    moved = client.patch(f"/api/lofte/atgarder/{aid}", headers=heads["rad"],
                         json={"due": "1999-05-01", "version": version})
    assert moved.status_code == 422 and moved.json()["code"] == "due_too_early"
    assert latest_due(date(2024, 2, 29)) == date(2027, 2, 28)


def test_edit_text_owner_and_due_with_if_match_and_a_conflict(app) -> None:
    client, heads = app
    made = _add(client, heads["rad"]).json()
    path = f"/api/lofte/atgarder/{made['id']}"
    changed = client.patch(path, headers={**heads["rad"], "If-Match": f'"{made["version"]}"'},
                           json={"what": "Kvällspatrull i Söråker", "owner": "kommunen",
                                 "due": "2024-10-31"})
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert (out["what"], out["owner"], out["due"][:10]) == (
        "Kvällspatrull i Söråker", "kommunen", "2024-10-31")
    assert out["version"] == made["version"] + 1
    stale = client.patch(path, headers={**heads["rad"], "If-Match": f'W/"{made["version"]}"'},
                         json={"what": "Gammal text"})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    # If-Match wins over the body's version.
    assert client.patch(path, headers={**heads["rad"], "If-Match": str(out["version"])},
                        json={"note": "x", "version": 1}).status_code == 200
    bad = client.patch(path, headers={**heads["rad"], "If-Match": "abc"}, json={"note": "y"})
    assert bad.status_code == 422 and bad.json()["code"] == "bad_version"
    assert _swedish(bad).startswith("If-Match")
    cleared = client.patch(path, headers=heads["rad"], json={"due": None})
    assert cleared.status_code == 200 and cleared.json()["due"] is None


def test_only_the_admin_deletes_an_action(app) -> None:
    client, heads = app
    made = _add(client, heads["rad"]).json()
    path = f"/api/lofte/atgarder/{made['id']}"
    for role in ("rad", "planerare"):
        assert client.delete(path, headers=heads[role]).status_code == 403
    assert client.delete(path, headers=heads["admin"]).status_code == 204
    listed = client.get("/api/lofte/atgarder", headers=heads["rad"]).json()
    assert made["id"] not in [a["id"] for a in listed]


def test_register_page_offers_places_and_links_kept_reports(app) -> None:
    client, heads = app
    assert client.post("/api/rapporter?from=2024-09-01&to=2024-11-30",
                       headers=heads["admin"]).status_code == 201
    council = client.get("/kartor/lofte", headers=heads["rad"]).text
    assert 'value="named:Söråker"' in council and 'value="named:väg 331"' in council
    assert 'value="zone:Timrå station"' in council and 'value="point"' in council
    assert 'href="/api/rapport?from=2024-09-01&amp;to=2024-11-30&amp;format=html"' in council
    assert "delete-action" not in council and "edit-action" in council
    assert 'min="2023-01-01"' in council
    assert "delete-action" in client.get("/kartor/lofte", headers=heads["admin"]).text
