"""The planning page's API (issue 12): a weekly plan saved as planned checks (one call, all or
none), planned checks changed and moved (snapped again) with If-Match versions, candidate sites
added and moved by a click (snapped to the road), and a category without risk roads refused in
Swedish. Real SQLite demo store, the app over HTTP (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from geo.crs import WEB_CRS, WORK_CRS
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import Settings

START = pd.Timestamp("2099-03-06 22:00", tz="Europe/Stockholm")  # plans are for days to come


def _near_road(store: Store, offset_m: float, *, at: float = 0.5) -> tuple[float, float]:
    """A WGS84 position ``offset_m`` north of a point of the first risk road."""
    road = store.read("risk_roads").geometry.iloc[0]
    p = road.interpolate(at, normalized=True)
    web = gpd.GeoSeries([shapely.Point(p.x, p.y + offset_m)], crs=WORK_CRS).to_crs(WEB_CRS)
    return float(web.iloc[0].x), float(web.iloc[0].y)


def _on_road(store: Store, feature: dict) -> float:
    """Metres from a GeoJSON point feature to the nearest risk road."""
    lon, lat = feature["geometry"]["coordinates"]
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WEB_CRS).to_crs(WORK_CRS).iloc[0]
    return float(store.read("risk_roads").distance(point).min())


@pytest.fixture
def planner(demo_store: Store, settings: Settings) -> Iterator[tuple[TestClient, dict]]:
    token = add_user(demo_store, "plan-api", "planerare", secret=SECRET)
    with TestClient(create_app(settings, store=demo_store)) as client:
        yield client, auth(token)


def _check(lon: float, lat: float, start: pd.Timestamp, hours: float = 2.0, **more) -> dict:
    return {"lon": lon, "lat": lat, "start": start.isoformat(),
            "end": (start + pd.Timedelta(hours=hours)).isoformat(), "kinds": ["nykterhet"],
            **more}


def test_weekly_plan_is_saved_as_planned_checks_all_or_none(
        demo_store: Store, planner: tuple[TestClient, dict]) -> None:
    client, headers = planner
    lon, lat = _near_road(demo_store, 30.0)
    plan = client.post("/api/siting/schedule", headers=headers,
                       json={"week": "2099-W10", "seed": 3, "checks": 4, "k": 3})
    assert plan.status_code == 200, plan.text
    checks = [_check(c["lon"], c["lat"], pd.Timestamp(c["start"]),
                     (pd.Timestamp(c["end"]) - pd.Timestamp(c["start"])).total_seconds() / 3600,
                     place=c["site"]) for c in plan.json()["checks"]]
    before = len(demo_store.read("traffic_checks"))

    # One bad check (in the past, no kind) refuses the whole plan and names it.
    bad = [*checks, _check(lon, lat, pd.Timestamp("2024-03-08 22:00", tz="Europe/Stockholm"),
                           kinds=[])]
    refused = client.post("/api/siting/plan/week", headers=headers, json={"checks": bad})
    assert refused.status_code == 422, refused.text
    details = refused.json()["details"]
    assert "kontroll 5: fältet 'date': 2024-03-08 har redan varit; planera från i dag och " \
           "framåt" in details
    assert "kontroll 5: fältet 'kinds': välj minst en typ av kontroll" in details
    assert len(demo_store.read("traffic_checks")) == before

    saved = client.post("/api/siting/plan/week", headers=headers, json={"checks": checks})
    assert saved.status_code == 201, saved.text
    ids = saved.json()["ids"]
    assert saved.json()["count"] == len(ids) == 4
    stored = demo_store.read("traffic_checks", ids=ids)
    assert (stored["status"] == "planerad").all() and (stored["provenance"] == "real").all()
    assert (stored["source"] == "Planerad i Trygg av plan-api").all()
    assert sorted(stored["place"]) == sorted(c["site"] for c in plan.json()["checks"])
    starts = sorted(pd.Timestamp(c["start"]) for c in plan.json()["checks"])
    assert sorted(stored["start"]) == starts
    assert demo_store.read("risk_roads").geometry.union_all().distance(
        stored.geometry.union_all()) < 0.01
    # Planned checks are police operations: the council never reads them.
    council = add_user(demo_store, "plan-rad", "rad", secret=SECRET)
    seen = client.get("/api/layers/traffic_checks", headers=auth(council)).json()
    assert not {f["id"] for f in seen["features"]} & set(ids)
    assert client.post("/api/siting/plan/week", headers=auth(council),
                       json={"checks": checks}).status_code == 403


def test_a_planned_check_is_changed_and_moved_with_its_version(
        demo_store: Store, planner: tuple[TestClient, dict]) -> None:
    client, headers = planner
    lon, lat = _near_road(demo_store, 20.0)
    made = client.post("/api/siting/plan", headers=headers, json=_check(lon, lat, START))
    fid = made.json()["id"]
    read = client.get(f"/api/layers/traffic_checks/{fid}", headers=headers).json()
    version = read["properties"]["version"]

    # Moved 60 m off the road at another point of it: snapped to the road again.
    lon2, lat2 = _near_road(demo_store, 60.0, at=0.3)
    moved = client.patch(f"/api/siting/plan/{fid}", headers={**headers, "If-Match": str(version)},
                         json={"lon": lon2, "lat": lat2, "kinds": ["hastighet", "allman"]})
    assert moved.status_code == 200, moved.text
    feature = moved.json()
    assert _on_road(demo_store, feature) < 0.5
    assert feature["geometry"]["coordinates"] != read["geometry"]["coordinates"]
    assert feature["properties"]["kinds"] == ["hastighet", "allman"]
    assert feature["properties"]["version"] == version + 1
    assert moved.headers["ETag"] == f'"{version + 1}"'

    # The old version again: 409, in Swedish, nothing changed.
    stale = client.patch(f"/api/siting/plan/{fid}", headers={**headers, "If-Match": str(version)},
                         json={"place": "Gammal"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert stale.json()["error"].startswith("någon annan har ändrat kontrollen")
    assert "ladda om" in stale.json()["error"]
    assert demo_store.get("traffic_checks", fid).iloc[0]["place"] != "Gammal"

    # Times are checked as when planning: 13 hours refused, the check unchanged.
    long = client.patch(f"/api/siting/plan/{fid}", headers=headers, json={
        "end": (START + pd.Timedelta(hours=13)).isoformat()})
    assert long.status_code == 422 and "fältet 'hours'" in long.json()["error"]
    far = client.patch(f"/api/siting/plan/{fid}", headers=headers, json={"lon": 17.0,
                                                                        "lat": 62.0})
    assert far.status_code == 422 and "lon/lat" in far.json()["error"]

    # Deleted through the layers API with the version read; a stale version is refused.
    now = demo_store.get("traffic_checks", fid).iloc[0]["version"]
    assert client.delete(f"/api/layers/traffic_checks/{fid}",
                         headers={**headers, "If-Match": str(version)}).status_code == 409
    assert client.delete(f"/api/layers/traffic_checks/{fid}",
                         headers={**headers, "If-Match": str(now)}).status_code == 204
    assert demo_store.read("traffic_checks", ids=[fid]).empty


def test_performed_checks_are_not_changed_as_plans(
        demo_store: Store, planner: tuple[TestClient, dict]) -> None:
    client, headers = planner
    performed = demo_store.read("traffic_checks", where={"status": "genomford"})
    fid = int(performed.index[0])
    answer = client.patch(f"/api/siting/plan/{fid}", headers=headers, json={"place": "X"})
    assert answer.status_code == 422 and answer.json()["code"] == "not_planned"


def test_a_candidate_site_is_added_and_moved_by_a_click_snapped_to_the_road(
        demo_store: Store, planner: tuple[TestClient, dict]) -> None:
    client, headers = planner
    lon, lat = _near_road(demo_store, 40.0)
    no_name = client.post("/api/siting/candidates", headers=headers,
                          json={"lon": lon, "lat": lat, "name": "  "})
    assert no_name.status_code == 422 and "fältet 'name'" in no_name.json()["error"]
    made = client.post("/api/siting/candidates", headers=headers,
                       json={"lon": lon, "lat": lat, "name": "Rastficka norr",
                             "kind": "rastficka"})
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    feature = client.get(f"/api/layers/candidate_sites/{sid}", headers=headers).json()
    props = feature["properties"]
    assert props["name"] == "Rastficka norr" and props["kind"] == "rastficka"
    assert props["provenance"] == "real" and props["source"] == "Inlagd av plan-api"
    assert _on_road(demo_store, feature) < 0.5

    lon2, lat2 = _near_road(demo_store, -50.0, at=0.7)
    moved = client.patch(f"/api/siting/candidates/{sid}",
                         headers={**headers, "If-Match": f'"{props["version"]}"'},
                         json={"lon": lon2, "lat": lat2, "name": "Rastficka söder"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["properties"]["name"] == "Rastficka söder"
    assert _on_road(demo_store, moved.json()) < 0.5
    stale = client.patch(f"/api/siting/candidates/{sid}",
                         headers={**headers, "If-Match": str(props["version"])},
                         json={"name": "Igen"})
    assert stale.status_code == 409 and "någon annan har ändrat platsen" in stale.json()["error"]
    assert client.patch(f"/api/siting/candidates/{sid}", headers={**headers, "If-Match": "x"},
                        json={"name": "Igen"}).json()["code"] == "invalid_version"
    # The suggestion now offers it as an own candidate.
    suggested = client.post("/api/siting/suggest", headers=headers,
                            json={"k": 3, "radius_m": 1500}).json()
    assert suggested["n_candidates"] > 1
    far = client.post("/api/siting/candidates", headers=headers,
                      json={"lon": 17.0, "lat": 62.0, "name": "Långt bort"})
    assert far.status_code == 422 and "lon/lat" in far.json()["error"]


def test_a_category_no_road_carries_is_refused_in_swedish(
        demo_store: Store, planner: tuple[TestClient, dict]) -> None:
    client, headers = planner
    roads = demo_store.read("risk_roads")
    demo_store.update_many("risk_roads", {int(i): {"risk_categories": ["hastighet"]}
                                          for i in roads.index})
    answer = client.post("/api/siting/suggest", headers=headers,
                         json={"k": 2, "radius_m": 1500, "categories": ["buskorning"]})
    assert answer.status_code == 422
    assert answer.json()["code"] == "no_risk_roads"
    assert answer.json()["error"].startswith("inga riskvägar med kategorin buskörning")
