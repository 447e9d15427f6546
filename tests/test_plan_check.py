"""Planning a traffic check on the server (``services.siting.plan_check`` and ``trygg siting
plan``): snapped to the nearest risk road, times checked, status planerad, provenance real, a
source naming the planner and the suggested candidate site it follows."""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from cli import cli
from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import ValidationFailed
from services import siting
from store import Store
from store.accounts import User, add_user, user_by_name
from tests.conftest import SECRET
from trygg.settings import Settings

START = pd.Timestamp("2099-03-06 22:00", tz="Europe/Stockholm")  # plans are for days to come


def _planner(store: Store) -> User:
    add_user(store, "plan-p", "planerare", secret=SECRET)
    user = user_by_name(store, "plan-p")
    assert user is not None
    return user


def _near_road(store: Store, offset_m: float) -> tuple[float, float, int]:
    """A WGS84 position ``offset_m`` north of the middle of the first risk road, and its id."""
    roads = store.read("risk_roads")
    road = roads.geometry.iloc[0]
    middle = road.interpolate(0.5, normalized=True)
    moved = shapely.Point(middle.x, middle.y + offset_m)
    point = gpd.GeoSeries([moved], crs=WORK_CRS).to_crs(WEB_CRS).iloc[0]
    return point.x, point.y, int(roads.index[0])


def test_plan_check_snaps_and_sets_status_source_and_candidate(demo_store: Store) -> None:
    planner = _planner(demo_store)
    lon, lat, _ = _near_road(demo_store, 20.0)
    lay_by = gpd.GeoDataFrame({"name": ["Rastficka vid vägen"], "kind": ["rastficka"]},
                              geometry=[shapely.Point(lon, lat)], crs=WEB_CRS).to_crs(WORK_CRS)
    candidate = demo_store.insert("candidate_sites", lay_by, provenance="real", source="test")[0]
    fid = siting.plan_check(demo_store, siting.CheckPlan(
        lon=lon, lat=lat, start=START, end=START + pd.Timedelta(hours=2),
        kinds=("nykterhet",), candidate_id=candidate), actor=planner)
    check = demo_store.get("traffic_checks", fid)
    row = check.iloc[0]
    roads = demo_store.read("risk_roads")
    assert row["status"] == "planerad" and row["provenance"] == "real"
    assert row["source"] == f"Planerad i Trygg av plan-p (förslag: kandidatplats {candidate})"
    assert row["candidate_id"] == candidate  # kept as a field, not only named in the source
    assert list(row["kinds"]) == ["nykterhet"]
    assert roads.distance(check.geometry.iloc[0]).min() < 0.01  # on a risk road
    assert row["place"]  # the road's name when none is given
    assert pd.Timestamp(row["end"]) - pd.Timestamp(row["start"]) == pd.Timedelta(hours=2)


@pytest.mark.parametrize(("change", "message"), [
    ({"end": START}, "ligger inte efter start"),
    ({"start": START.tz_localize(None)}, "tidszonen"),
    ({"candidate_id": 999_999}, "kontrollplats 999999 finns inte"),
    ({"end": START + pd.Timedelta(minutes=20)}, "'hours': en kontroll är 0,5 till 12 timmar"),
    ({"end": START + pd.Timedelta(hours=13)}, r"\(13,0 angavs\)"),
    ({"kinds": ()}, "'kinds': välj minst en"),
    ({"start": pd.Timestamp("2024-03-08 22:00", tz="Europe/Stockholm"),
      "end": pd.Timestamp("2024-03-09 00:00", tz="Europe/Stockholm")}, "'date': 2024-03-08 har "
     "redan varit"),
])
def test_plan_check_refuses_bad_plans_and_writes_nothing(demo_store: Store, change: dict,
                                                         message: str) -> None:
    planner = _planner(demo_store)
    lon, lat, _ = _near_road(demo_store, 20.0)
    before = len(demo_store.read("traffic_checks"))
    plan = {"lon": lon, "lat": lat, "start": START, "end": START + pd.Timedelta(hours=2),
            "kinds": ("nykterhet",), **change}
    with pytest.raises(ValidationFailed, match=message):
        siting.plan_check(demo_store, siting.CheckPlan(**plan), actor=planner)
    assert len(demo_store.read("traffic_checks")) == before


def test_plan_check_far_from_every_road_is_refused(demo_store: Store) -> None:
    planner = _planner(demo_store)
    lon, lat, _ = _near_road(demo_store, 5_000.0)
    with pytest.raises(ValidationFailed, match="lon/lat"):
        siting.plan_check(demo_store, siting.CheckPlan(
            lon=lon, lat=lat, start=START, end=START + pd.Timedelta(hours=1),
            kinds=("allman",)), actor=planner)


def test_cli_plans_a_check_as_a_planner_only(demo_store: Store, settings: Settings,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _planner(demo_store)
    add_user(demo_store, "plan-r", "rad", secret=SECRET)
    lon, lat, _ = _near_road(demo_store, 10.0)
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    args = ["--db", str(settings.db), "siting", "plan", "--at", f"{lon},{lat}",
            "--start", "2099-03-06T22:00", "--hours", "2", "--kind", "hastighet"]
    runner = CliRunner()
    refused = runner.invoke(cli, [*args, "--as", "plan-r"])
    assert refused.exit_code == 1 and "rad" in refused.output
    done = runner.invoke(cli, [*args, "--as", "plan-p"])
    assert done.exit_code == 0, done.output
    fid = int(done.output.split("id ")[1].rstrip(").\n"))
    row = demo_store.get("traffic_checks", fid).iloc[0]
    assert row["status"] == "planerad" and row["source"] == "Planerad i Trygg av plan-p"
    assert pd.Timestamp(row["start"]) == START


def test_post_api_siting_plan(demo_store: Store, settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    token = add_user(demo_store, "plan-h", "planerare", secret=SECRET)
    lon, lat, _ = _near_road(demo_store, 20.0)
    body = {"lon": lon, "lat": lat, "start": START.isoformat(),
            "end": (START + pd.Timedelta(hours=2)).isoformat(), "kinds": ["hastighet"]}
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, store=demo_store)) as client:
        made = client.post("/api/siting/plan", json=body, headers=headers)
        assert made.status_code == 201, made.text
        row = demo_store.get("traffic_checks", made.json()["id"]).iloc[0]
        assert row["status"] == "planerad" and row["source"] == "Planerad i Trygg av plan-h"
        assert pd.isna(row["candidate_id"])  # not planned from a suggestion
        sites = demo_store.insert("candidate_sites", gpd.GeoDataFrame(
            {"name": ["Busshållplats"], "kind": ["busshallplats"]},
            geometry=[shapely.Point(lon, lat)], crs=WEB_CRS), provenance="real", source="test")
        suggested = client.post("/api/siting/plan", headers=headers,
                                json={**body, "candidate_id": sites[0]})
        assert suggested.status_code == 201, suggested.text
        feature = client.get(f"/api/layers/traffic_checks/{suggested.json()['id']}",
                             headers=headers).json()
        assert feature["properties"]["candidate_id"] == sites[0]
        exported = client.get("/api/siting/planned.csv", headers=headers)
        assert exported.status_code == 200, exported.text
        table = pd.read_csv(io.StringIO(exported.text.lstrip("\ufeff")), sep=None,
                            engine="python")
        assert table["candidate_id"].dropna().astype(int).tolist() == [sites[0]]
        before = len(demo_store.read("traffic_checks"))
        past = client.post("/api/siting/plan", headers=headers, json={
            **body, "start": "2024-03-08T22:00:00+01:00", "end": "2024-03-08T23:00:00+01:00",
            "kinds": []})
        assert past.status_code == 422
        assert {"fältet 'date'", "fältet 'kinds'"} <= {d.split(":")[0] for d in
                                                       past.json()["details"]}
        assert len(demo_store.read("traffic_checks")) == before
        assert client.post("/api/siting/plan", json=body).status_code == 401
