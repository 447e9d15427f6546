"""The HTTP API through the real app and a real SQLite file: layers, roles, errors, sessions."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from store import Store
from store.migrations.runner import head_revision
from tests.conftest import auth
from trygg.settings import Settings

VIVSTA = [17.32583, 62.48694]
ARENA = [17.35, 62.50583]
ROAD = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [VIVSTA, ARENA]},
        "properties": {"name": "E4", "road_ref": "E4", "risk_weight": 2,
                       "risk_categories": ["hastighet"]}}


def place(category: str, description: str = "x") -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
            "properties": {"category": category, "description": description,
                           "reported_at": "2024-04-01"}}


def test_health_and_openapi(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok",
                                               "schema_version": int(head_revision())}
    spec = client.get("/openapi.json").json()
    assert "/api/layers/{layer}" in spec["paths"]


def test_anonymous_needs_login_outside_demo_mode(client: TestClient) -> None:
    response = client.get("/api/layers/risk_roads")
    assert response.status_code == 401
    assert set(response.json()) == {"error", "code", "details"}


def test_create_read_patch_delete(client: TestClient, tokens: dict[str, str]) -> None:
    planner = auth(tokens["planerare"])
    created = client.post("/api/layers/risk_roads", json=ROAD, headers=planner)
    assert created.status_code == 201, created.text
    (fid,) = created.json()["ids"]
    collection = client.get("/api/layers/risk_roads", headers=planner)
    assert collection.headers["content-type"].startswith("application/geo+json")
    doc = collection.json()
    assert doc["type"] == "FeatureCollection" and doc["features"][0]["id"] == fid
    assert doc["features"][0]["geometry"]["coordinates"][0] == pytest.approx(VIVSTA, abs=1e-6)
    assert doc["provenance"] == {"real": 1}

    patched = client.patch(f"/api/layers/risk_roads/{fid}", headers=planner,
                           json={"properties": {"risk_weight": 5, "version": 1}})
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["risk_weight"] == 5
    assert patched.json()["properties"]["version"] == 2
    stale = client.patch(f"/api/layers/risk_roads/{fid}", headers=planner,
                         json={"properties": {"risk_weight": 1}}, )
    assert stale.status_code == 200  # unconditional writes are allowed
    conflict = client.patch(f"/api/layers/risk_roads/{fid}",
                            headers={**planner, "If-Match": '"2"'},
                            json={"properties": {"risk_weight": 9}})
    assert conflict.status_code == 409 and "har ändrats av någon annan" in conflict.json()["error"]

    assert client.delete(f"/api/layers/risk_roads/{fid}", headers=planner).status_code == 204
    assert client.get(f"/api/layers/risk_roads/{fid}", headers=planner).status_code == 404


def test_invalid_post_is_422_with_details_and_writes_nothing(client: TestClient,
                                                             tokens: dict[str, str],
                                                             store: Store) -> None:
    bad = json.loads(json.dumps(ROAD))
    bad["properties"]["risk_weight"] = -3
    swapped = json.loads(json.dumps(ROAD))
    swapped["geometry"]["coordinates"] = [VIVSTA[::-1], ARENA[::-1]]
    body = {"type": "FeatureCollection", "features": [ROAD, bad, swapped]}
    response = client.post("/api/layers/risk_roads", json=body,
                           headers=auth(tokens["planerare"]))
    assert response.status_code == 422
    out = response.json()
    assert any("objekt 1: Riskvikt (risk_weight)" in d for d in out["details"])
    assert any("objekt 2: geometri" in d and "bytt plats" in d for d in out["details"])
    assert store.count("risk_roads") == 0


def test_unknown_layer_is_404(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.get("/api/layers/vagar", headers=auth(tokens["admin"]))
    assert response.status_code == 404 and "välj ett av:" in response.json()["error"]


@pytest.mark.parametrize("role, layer, status", [
    ("rad", "risk_roads", 403),
    ("patrullchef", "risk_roads", 403),
    ("planerare", "patrol_zones", 403),
    ("planerare", "events", 403),
    ("rad", "traffic_checks", 403),
])
def test_roles_that_may_not_write_get_403(client: TestClient, tokens: dict[str, str], role: str,
                                          layer: str, status: int) -> None:
    response = client.post(f"/api/layers/{layer}", json=ROAD, headers=auth(tokens[role]))
    assert response.status_code == status


def test_patrol_tracks_are_for_patrol_leaders_only(client: TestClient,
                                                   tokens: dict[str, str]) -> None:
    assert client.get("/api/layers/patrols", headers=auth(tokens["rad"])).status_code == 403
    assert client.get("/api/layers/patrols", headers=auth(tokens["planerare"])).status_code == 403
    assert client.get("/api/layers/patrols",
                      headers=auth(tokens["patrullchef"])).status_code == 200


def test_wrong_token_is_401(client: TestClient) -> None:
    response = client.get("/api/layers/risk_roads", headers=auth("not-a-token"))
    assert response.status_code == 401


def test_council_never_receives_sensitive_records(client: TestClient,
                                                  tokens: dict[str, str]) -> None:
    body = {"type": "FeatureCollection", "features": [
        place("belysning", "Mörk gångväg"), place("vald_i_nara_relation", "KÄNSLIG-TEXT")]}
    created = client.post("/api/layers/unsafe_places", json=body,
                           headers=auth(tokens["patrullchef"]))
    sensitive_id = created.json()["ids"][1]
    police = client.get("/api/layers/unsafe_places", headers=auth(tokens["patrullchef"]))
    assert len(police.json()["features"]) == 2
    for path in ("/api/layers/unsafe_places", "/api/layers", f"/api/layers/unsafe_places/"
                 f"{sensitive_id}"):
        response = client.get(path, headers=auth(tokens["rad"]))
        assert "KÄNSLIG-TEXT" not in response.text
        assert "vald_i_nara_relation" not in response.text or path == "/api/layers"
    one = client.get(f"/api/layers/unsafe_places/{sensitive_id}", headers=auth(tokens["rad"]))
    assert one.status_code == 404


def test_file_upload_import_is_all_or_nothing(client: TestClient, tokens: dict[str, str],
                                              store: Store) -> None:
    good = json.dumps({"type": "FeatureCollection", "features": [ROAD]})
    response = client.post("/api/layers/risk_roads/import", headers=auth(tokens["planerare"]),
                           files={"file": ("vagar.geojson", good, "application/geo+json")})
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 1
    broken = client.post("/api/layers/risk_roads/import", headers=auth(tokens["planerare"]),
                         files={"file": ("trasig.geojson", good[:-5], "application/json")})
    assert broken.status_code == 422 and "trasig.geojson" in broken.json()["error"]
    assert store.count("risk_roads") == 1


def test_demo_mode_reads_anonymously_but_hides_sensitive_and_tracks(
        demo_store: Store, settings: Settings) -> None:
    demo = settings.model_copy(update={"demo": True})
    with TestClient(create_app(demo, store=demo_store)) as c:
        layers = {item["name"]: item for item in c.get("/api/layers").json()}
        assert "patrols" not in layers
        assert layers["risk_roads"]["provenance"] == {"derived": layers["risk_roads"]["count"]}
        places = c.get("/api/layers/unsafe_places").json()["features"]
        assert places and not any(f["properties"]["sensitive"] for f in places)
        assert c.get("/api/layers/patrols").status_code == 401
        assert c.post("/api/layers/risk_roads", json=ROAD).status_code == 401
        start = c.get("/")
        assert start.status_code == 200
        for name in ("demo-planerare", "demo-patrullchef", "demo-rad", "demo-admin"):
            assert name in start.text


def test_session_login_with_token_and_logout(client: TestClient, tokens: dict[str, str]) -> None:
    assert client.post("/logga-in", data={"token": "fel"}, follow_redirects=False)\
        .status_code == 401
    response = client.post("/logga-in", data={"token": tokens["rad"]}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/api/me").json() == {"name": "test-rad", "role": "rad"}
    client.post("/logga-ut", follow_redirects=False)
    assert client.get("/api/me").json() == {"name": None, "role": None}


def test_login_is_rate_limited(settings: Settings, store: Store) -> None:
    limited = settings.model_copy(update={"login_attempts_per_minute": 3})
    with TestClient(create_app(limited, store=store)) as c:
        codes = [c.post("/logga-in", data={"token": f"fel{i}"}).status_code for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_demo_login_refused_outside_demo_mode(client: TestClient) -> None:
    assert client.post("/logga-in/demo", data={"role": "admin"}).status_code == 404


def test_production_refuses_demo_secret(tmp_path) -> None:
    with pytest.raises(ValueError, match="TRYGG_SECRET"):
        create_app(Settings(db=tmp_path / "x.sqlite", demo=False))


def test_cached_layer_responses_follow_every_write(client: TestClient, tokens: dict[str, str],
                                                   store: Store) -> None:
    planner = auth(tokens["planerare"])
    (fid,) = client.post("/api/layers/risk_roads", json=ROAD, headers=planner).json()["ids"]
    first = client.get("/api/layers/risk_roads", headers=planner).json()
    assert first["features"][0]["properties"]["risk_weight"] == 2
    client.patch(f"/api/layers/risk_roads/{fid}", headers=planner,
                 json={"properties": {"risk_weight": 7}})
    assert client.get("/api/layers/risk_roads", headers=planner)\
        .json()["features"][0]["properties"]["risk_weight"] == 7
    other = Store.open(store.path)  # a write from another process, e.g. `trygg import`
    other.update("risk_roads", fid, {"risk_weight": 8})
    other.close()
    assert client.get("/api/layers/risk_roads", headers=planner)\
        .json()["features"][0]["properties"]["risk_weight"] == 8
