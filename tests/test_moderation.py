"""Moderation of tips (issue 13) over real HTTP on a real SQLite store: who may moderate,
approve (edited first; personal data scrubbed and flagged; the tip becomes a real unsafe place
from "Tyck till" on the council's map and in the hotspots), reject (never shown), merge into an
unsafe place (counted as one more reporter), duplicates suggested, only new tips decided, the
reporter's status following, and every decision audited with who and when."""

from __future__ import annotations

import time
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.moderation import DecisionName
from geo.tips import DECISIONS
from services.tips import form_token
from store import Store
from store.accounts import add_user
from store.tips import list_tips, tip_audit
from tests.conftest import SECRET, auth
from trygg.settings import Settings

VIVSTA = (17.32583, 62.48694)
PERSONAL = ("Jag heter Anna Svensson, ring 070-123 45 67 eller anna.s@example.se, "
            "pnr 850312-1234. Lampan vid gångtunneln har varit trasig i veckor")
HOTSPOTS = "/api/hotspots?from=2022-01-01&to=2030-12-31"


@pytest.fixture
def web(demo_store: Store, settings: Settings):
    with TestClient(create_app(settings.model_copy(update={"tips_per_client_per_hour": 100}),
                               store=demo_store)) as client:
        yield client


@pytest.fixture
def keys(demo_store: Store) -> dict[str, str]:
    made = {role: add_user(demo_store, f"m-{role}", role, secret=SECRET)
            for role in ("planerare", "patrullchef", "rad", "admin")}
    made["rapportor"] = add_user(demo_store, "m-bo", "rapportor", secret=SECRET,
                                 organisation="Bostadsbolaget")
    return made


def submit(web: TestClient, **changes: Any) -> dict[str, Any]:
    body = {"lon": VIVSTA[0], "lat": VIVSTA[1], "category": "belysning",
            "description": "Trasig gatlampa", "website": "",
            "form_token": form_token(SECRET, issued_at_s=time.time() - 30), **changes}
    made = web.post("/api/tyck-till", json=body)
    assert made.status_code == 201, made.text
    receipt = made.json()["receipt"]
    (row,) = [t for t in list_tips(web.app.state.store) if t["receipt"] == receipt]
    return {"id": row["id"], "receipt": receipt}


def decide(web: TestClient, key: str, tip_id: int, **body: Any):
    return web.post(f"/api/moderering/{tip_id}", headers=auth(key), json=body)


def test_decision_names_are_the_domain_decisions() -> None:
    assert get_args(DecisionName) == tuple(DECISIONS)


def test_only_planners_patrol_leaders_and_admin_moderate(web: TestClient,
                                                         keys: dict[str, str]) -> None:
    tip = submit(web)
    for role in ("planerare", "patrullchef", "admin"):
        assert web.get("/api/moderering", headers=auth(keys[role])).status_code == 200
        assert web.get("/moderering", headers=auth(keys[role])).status_code == 200
    for role in ("rad", "rapportor"):
        assert web.get("/api/moderering", headers=auth(keys[role])).status_code == 403
        assert decide(web, keys[role], tip["id"], decision="approve").status_code == 403
        assert web.get("/moderering", headers=auth(keys[role])).status_code == 403
    assert web.get("/api/moderering").status_code == 401
    assert web.post(f"/api/moderering/{tip['id']}", json={"decision": "approve"}
                    ).status_code == 401
    assert web.get("/moderering", follow_redirects=False).status_code == 303
    assert web.get(f"/api/tyck-till/{tip['receipt']}").json()["state"] == "ny"


def test_approval_scrubs_flags_and_puts_the_tip_on_the_councils_map(
        web: TestClient, demo_store: Store, keys: dict[str, str]) -> None:
    tip = submit(web, description=PERSONAL)
    (queued,) = web.get("/api/moderering", headers=auth(keys["planerare"])).json()
    assert set(queued["personal_data"]) == {"personnummer", "email", "phone", "name"}
    for leak in ("Anna", "070-123", "anna.s@", "850312"):
        assert leak not in queued["description"]  # scrubbed for every moderator but admin
    raw = web.get("/api/moderering", headers=auth(keys["admin"])).json()[0]
    assert raw["description"] == PERSONAL and raw["description_scrubbed"] == \
        queued["description"]
    before = web.get(HOTSPOTS, headers=auth(keys["rad"])).json()["status"]["reported"]

    edited = PERSONAL + " – och vid cykelbanan"
    done = decide(web, keys["patrullchef"], tip["id"], decision="approve", description=edited,
                  category="skadegorelse", note="Tack, vi har skickat det till kommunen")
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["state"] == "godkand" and answer["decided_by"] == "m-patrullchef"
    assert set(answer["personal_data"]) == {"personnummer", "email", "phone", "name"}
    place = demo_store.read("unsafe_places", ids=[answer["place_id"]]).iloc[0]
    assert (place["category"], place["provenance"], place["source"], place["report_source"],
            place["status"]) == ("skadegorelse", "real", "Tyck till", "medborgare", "oppen")
    assert "vid cykelbanan" in place["description"] and "[namn borttaget]" in place["description"]
    (stored,) = list_tips(demo_store)
    for leak in ("Anna", "070-123", "anna.s@", "850312"):
        assert leak not in place["description"] and leak not in stored["description"]
    for role in ("rad", "admin"):
        layer = web.get("/api/layers/unsafe_places", headers=auth(keys[role])).text
        assert "vid cykelbanan" in layer and "Anna" not in layer
    hot = web.get(HOTSPOTS, headers=auth(keys["rad"])).json()
    assert hot["status"]["reported"] == before + 1
    assert any("vid cykelbanan" in p["description"] for p in hot["points"])
    status = web.get(f"/api/tyck-till/{tip['receipt']}").json()
    assert status["state"] == "godkand" and status["on_map"] is True
    assert status["note"] == "Tack, vi har skickat det till kommunen"
    page = web.get(f"/tyck-till/status/{tip['receipt']}").text
    assert "Godkänt" in page and "Tack, vi har skickat" in page

    again = decide(web, keys["admin"], tip["id"], decision="reject")
    assert again.status_code == 422 and "redan beslutat" in again.json()["error"]
    audit = tip_audit(demo_store, tip["id"])
    assert [a["action"] for a in audit] == ["tip.submit", "tip.godkand"]
    assert audit[0]["actor"] is None
    assert (audit[1]["actor"], audit[1]["role"]) == ("m-patrullchef", "patrullchef")
    assert audit[1]["at"] and audit[1]["details"]["edited"] == ["category", "description"]
    assert audit[1]["details"]["place_id"] == answer["place_id"]
    shown = web.get(f"/api/moderering/{tip['id']}", headers=auth(keys["planerare"])).json()
    assert [a["actor"] for a in shown["audit"]] == [None, "m-patrullchef"]
    inserted = demo_store.audit(layer="unsafe_places", limit=1)[0]
    assert (inserted["action"], inserted["actor"], inserted["feature_id"]) == (
        "insert", "m-patrullchef", answer["place_id"])


def test_a_rejected_tip_never_appears(web: TestClient, demo_store: Store,
                                      keys: dict[str, str]) -> None:
    places = demo_store.count("unsafe_places")
    tip = submit(web, description="Avvisas: reklam för en webbshop")
    done = decide(web, keys["planerare"], tip["id"], decision="reject", note="Inte en plats")
    assert done.status_code == 200 and done.json()["state"] == "avvisad"
    assert done.json()["place_id"] is None
    assert demo_store.count("unsafe_places") == places
    for path in ("/api/layers/unsafe_places", HOTSPOTS, "/kartor/oversikt"):
        assert "webbshop" not in web.get(path, headers=auth(keys["rad"])).text
    assert web.get("/api/moderering", headers=auth(keys["planerare"])).json() == []
    rejected = web.get("/api/moderering?state=avvisad", headers=auth(keys["planerare"])).json()
    assert [t["id"] for t in rejected] == [tip["id"]]
    assert web.get(f"/api/tyck-till/{tip['receipt']}").json()["on_map"] is False
    assert "inte en plats på kartan" in web.get(f"/tyck-till/status/{tip['receipt']}").text
    edit = decide(web, keys["planerare"], submit(web)["id"], decision="reject",
                  description="ändrad")
    assert edit.status_code == 422 and "godkänns" in edit.json()["error"]


def test_duplicates_are_suggested_and_a_merge_counts_the_reporter(
        web: TestClient, demo_store: Store, keys: dict[str, str]) -> None:
    first = submit(web, description="Mörkt vid lekplatsen")
    second = submit(web, lon=VIVSTA[0] + 0.0003, description="Lekplatsen är helt mörk")  # ~16 m
    far = submit(web, lon=VIVSTA[0] + 0.01, description="Mörkt vid skolan")  # ~500 m
    other = submit(web, category="narkotika", description="Langning vid lekplatsen")
    queue = {t["id"]: t for t in web.get("/api/moderering",
                                         headers=auth(keys["planerare"])).json()}
    assert [(d["kind"], d["id"]) for d in queue[second["id"]]["duplicates"]] == [
        ("tip", first["id"])]
    assert queue[far["id"]]["duplicates"] == [] and queue[other["id"]]["duplicates"] == []
    approved = decide(web, keys["planerare"], first["id"], decision="approve").json()
    place_id = approved["place_id"]
    assert approved["reporters"] == 1
    (queued,) = [t for t in web.get("/api/moderering", headers=auth(keys["planerare"])).json()
                 if t["id"] == second["id"]]
    (dup,) = [d for d in queued["duplicates"] if d["kind"] == "unsafe_place"]
    assert dup["id"] == place_id and dup["reporters"] == 1 and 10 < dup["distance_m"] < 25
    places = demo_store.count("unsafe_places")
    merged = decide(web, keys["admin"], second["id"], decision="merge", merge_into=place_id)
    assert merged.status_code == 200, merged.text
    assert merged.json()["state"] == "sammanslagen" and merged.json()["reporters"] == 2
    assert demo_store.count("unsafe_places") == places  # no new place
    status = web.get(f"/api/tyck-till/{second['receipt']}").json()
    assert status["state"] == "sammanslagen" and status["on_map"] is True
    assert [a["action"] for a in tip_audit(demo_store, second["id"])] == [
        "tip.submit", "tip.sammanslagen"]
    for body in ({"decision": "merge"}, {"decision": "merge", "merge_into": 999_999},
                 {"decision": "approve", "merge_into": place_id},
                 {"decision": "maybe"}):
        refused = decide(web, keys["admin"], far["id"], **body)
        assert refused.status_code == 422, (body, refused.text)
    sensitive = demo_store.read("unsafe_places")
    sensitive_id = int(sensitive.index[sensitive["sensitive"].fillna(False).astype(bool)][0])
    refused = decide(web, keys["admin"], far["id"], decision="merge", merge_into=sensitive_id)
    assert refused.status_code == 422 and "känslig" in refused.json()["error"]
    assert decide(web, keys["admin"], 999_999, decision="reject").status_code == 404
    assert web.get(f"/api/tyck-till/{far['receipt']}").json()["state"] == "ny"


def test_buskorning_and_partner_reports_on_approval(web: TestClient, demo_store: Store,
                                                    keys: dict[str, str]) -> None:
    busk = submit(web, category="buskorning", time_of_day="natt", gathering="ja",
                  description="A-traktorer varvar på torget")
    place_id = decide(web, keys["planerare"], busk["id"], decision="approve").json()["place_id"]
    place = demo_store.read("unsafe_places", ids=[place_id]).iloc[0]
    assert place["category"] == "trafik"
    assert "När: natt 00–06." in place["description"] and "Folk samlas där: ja." in \
        place["description"]
    partner = web.post("/api/samverkan/rapporter", headers=auth(keys["rapportor"]), json={
        "lon": VIVSTA[0], "lat": VIVSTA[1], "category": "skadegorelse",
        "description": "Klotter på garagen"})
    assert partner.status_code == 201
    queued = [t for t in web.get("/api/moderering", headers=auth(keys["admin"])).json()
              if t["id"] == partner.json()["id"]]
    assert queued[0]["organisation"] == "Bostadsbolaget" and queued[0]["channel"] == "samverkan"
    place_id = decide(web, keys["admin"], partner.json()["id"],
                      decision="approve").json()["place_id"]
    place = demo_store.read("unsafe_places", ids=[place_id]).iloc[0]
    assert (place["report_source"], place["source"]) == ("samverkan",
                                                         "Tyck till (Bostadsbolaget)")
    own = web.get("/api/samverkan/rapporter", headers=auth(keys["rapportor"])).json()
    assert own[0]["state"] == "godkand"
    to_busk = decide(web, keys["admin"], submit(web)["id"], decision="approve",
                     category="buskorning")
    assert to_busk.status_code == 422 and "time_of_day" in to_busk.json()["error"]
