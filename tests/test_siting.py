"""Traffic-check siting: road demand, candidates, snapping a point or a planned check to a risk
road, suggestions with rotation, spacing and the time-of-day filter, the weekly plan, and the API
and CLI over a real SQLite store (the optimiser on its own is in test_mclp.py)."""

from __future__ import annotations

import csv
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from geo.errors import ValidationFailed
from geo.riskprofile import hour_of_week_profile, hours_mask, road_hour_factor, title_time
from geo.schedule import week_start, weekly_plan
from geo.siting import (
    RotationOptions, SitingOptions, demand_pieces, generated_candidates, recently_used,
    rotation_checks, snap_planned_check, snap_to_roads, suggest_sites,
)
from store import Store
from tests.conftest import SECRET, auth
from tests.test_mclp import _raises
from cli import cli
from trygg.settings import Settings

X0, Y0 = 620_000.0, 6_930_000.0  # near Timrå in SWEREF 99 TM


def roads_frame(lines: list[list[tuple[float, float]]], weights: list[float],
                refs: list[str] | None = None,
                categories: list[list[str]] | None = None) -> gpd.GeoDataFrame:
    refs = refs or [f"R{i}" for i in range(len(lines))]
    return gpd.GeoDataFrame(
        {"name": [f"Väg {r}" for r in refs], "road_ref": refs, "risk_weight": weights,
         "risk_categories": categories or [["hastighet"]] * len(lines),
         "schematic": [False] * len(lines)},
        geometry=[shapely.LineString([(X0 + x, Y0 + y) for x, y in line]) for line in lines],
        index=pd.Index(range(1, len(lines) + 1), name="id"), crs="EPSG:3006")


# --- demand and candidates ------------------------------------------------------------------------

def test_demand_pieces_are_at_most_100_m_and_weighted_by_risk_times_km() -> None:
    roads = roads_frame([[(0, 0), (250, 0)], [(0, 1000), (100, 1000)]], [2.0, 5.0],
                        categories=[["hastighet"], ["rattfylleri"]])
    pieces = demand_pieces(roads)
    first = pieces[pieces["road_id"] == 1]
    assert len(first) == 3 and np.allclose(first["length_m"], 250 / 3)
    assert np.allclose(first.geometry.x - X0, [250 / 6, 125, 250 - 250 / 6])
    assert np.allclose(first["weight"], 2.0 * 250 / 3 / 1000)
    assert pieces["weight"].sum() == pytest.approx(2.0 * 0.25 + 5.0 * 0.1)
    only = demand_pieces(roads, categories=["rattfylleri"])
    assert list(only["road_id"]) == [2] and only["weight"].sum() == pytest.approx(0.5)


def test_generated_candidates_every_step_along_each_road() -> None:
    roads = roads_frame([[(0, 0), (1200, 0)]], [1.0])
    cands = generated_candidates(roads, step_m=500)
    assert list(cands.geometry.x - X0) == [0, 500, 1000, 1200]


def test_snap_to_the_nearest_risk_road_within_100_m() -> None:
    roads = roads_frame([[(0, 0), (1000, 0)], [(0, 500), (1000, 500)]], [1.0, 1.0])
    snapped = snap_to_roads(shapely.Point(X0 + 300, Y0 + 80), roads)
    assert snapped.road_id == 1 and snapped.distance_m == pytest.approx(80)
    assert (snapped.point.x, snapped.point.y) == pytest.approx((X0 + 300, Y0))
    with pytest.raises(ValidationFailed, match="ingen riskväg inom 100 m"):
        snap_to_roads(shapely.Point(X0 + 300, Y0 + 250), roads)


def test_a_planned_check_snaps_to_the_nearest_risk_road_within_the_tolerance() -> None:
    roads = roads_frame([[(0, 0), (1000, 0)], [(0, 500), (1000, 500)]], [1.0, 1.0])
    site = snap_planned_check(shapely.Point(X0 + 300, Y0 + 420), roads, tolerance_m=100)
    assert site.road_id == 2 and site.road_name == "Väg R1"
    assert site.distance_m == pytest.approx(80)
    assert (site.point.x, site.point.y) == pytest.approx((X0 + 300, Y0 + 500))
    # A point on the road stays where it is; a wider tolerance reaches the farther point.
    on_road = snap_planned_check(shapely.Point(X0 + 10, Y0), roads)
    assert on_road.road_id == 1 and on_road.distance_m == 0
    far = snap_planned_check(shapely.Point(X0 + 300, Y0 + 250), roads, tolerance_m=250)
    assert far.distance_m == pytest.approx(250)


def test_a_planned_check_too_far_from_a_risk_road_is_refused_naming_the_field() -> None:
    roads = roads_frame([[(0, 0), (1000, 0)], [(0, 500), (1000, 500)]], [1.0, 1.0])
    with pytest.raises(ValidationFailed) as info:
        snap_planned_check(shapely.Point(X0 + 300, Y0 + 760), roads, tolerance_m=100,
                           field="position")
    assert info.value.details == [
        "fältet 'position': ingen riskväg inom 100 m från (620300, 6930760); närmast är "
        "Väg R1, 260 m bort"]
    assert str(info.value).startswith("kontrollen kan inte planeras: fältet 'position': ")


@pytest.mark.parametrize("point, problem", [
    (None, "fältet 'geometry': ska vara en punkt, inte ingenting"),
    (shapely.LineString([(X0, Y0), (X0 + 10, Y0)]), "fältet 'geometry': ska vara en punkt, "
                                                     "inte LineString"),
    ((X0, Y0), "fältet 'geometry': ska vara en punkt, inte tuple"),
    (shapely.Point(), "fältet 'geometry': punkten är tom"),
    (shapely.Point(X0, float("nan")), "fältet 'geometry': koordinaterna är NaN eller oändliga"),
    (shapely.Point(17.3, 62.4), "fältet 'geometry': (17.3, 62.4) ligger utanför Sverige i "
                                "EPSG:3006 (det ser ut som longitud och latitud i WGS84; ange "
                                "meter i EPSG:3006)"),
    (shapely.Point(5_000_000, Y0), "fältet 'geometry': (5e+06, 6.93e+06) ligger utanför "
                                   "Sverige i EPSG:3006"),
])
def test_a_planned_check_that_is_no_point_in_sweden_is_refused(point, problem: str) -> None:
    roads = roads_frame([[(0, 0), (1000, 0)]], [1.0])
    with pytest.raises(ValidationFailed) as info:
        snap_planned_check(point, roads)
    assert info.value.details == [problem]


def test_a_planned_check_reports_every_problem_at_once() -> None:
    roads = roads_frame([[(0, 0), (1000, 0)]], [1.0])
    with pytest.raises(ValidationFailed) as info:
        snap_planned_check(None, roads.iloc[:0], tolerance_m=-5, field="plats")
    assert info.value.details == [
        "tolerance_m måste vara ett positivt antal meter, inte -5",
        "fältet 'plats': ska vara en punkt, inte ingenting",
        "det finns inga riskvägar att placera kontrollen på; importera riskvägar först"]



# --- suggestions with rotation, shares, time of day ----------------------------------------------

ONE_600 = SitingOptions(k=1, radius_m=600)


def rotation_case():
    roads = roads_frame([[(0, 0), (1000, 0)], [(0, 5000), (1000, 5000)]], [10.0, 1.0])
    # Radius 600 m: A's middle (500 m) covers all of A (10); an end covers 6 pieces (6).
    return roads


def checks_at(x: float, y: float, start: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"start": [pd.Timestamp(start, tz="UTC")], "precision_m": [0.0]},
                            geometry=[shapely.Point(X0 + x, Y0 + y)], crs="EPSG:3006")


def test_rotation_excludes_the_best_site_used_last_week() -> None:
    roads = rotation_case()
    base = suggest_sites(roads, ONE_600)
    assert base.covered_weight == pytest.approx(10.0)
    assert base.sites.geometry.x[0] - X0 == pytest.approx(500)
    recent = checks_at(500, 0, "2024-03-01")
    rotated = suggest_sites(roads, ONE_600, checks=recent, rotation=RotationOptions(
        weeks=2, as_of=pd.Timestamp("2024-03-08", tz="UTC")))
    assert rotated.covered_weight == pytest.approx(6.0)
    assert rotated.sites.geometry.x[0] - X0 in (pytest.approx(0), pytest.approx(1000))
    assert rotated.notes[0] == ("Rotation: 1 trafikkontroll under 2 veckor före 2024-03-08 "
                                "01:00 (svensk tid) räknades; 1 kontrollplats inom 300 m från "
                                "den uteslöts.")
    old = suggest_sites(roads, ONE_600, checks=recent, rotation=RotationOptions(
        weeks=1, as_of=pd.Timestamp("2024-04-08", tz="UTC")))
    assert old.covered_weight == pytest.approx(10.0)


def test_rotation_penalty_trades_covered_weight_against_predictability() -> None:
    roads = rotation_case()
    recent = checks_at(500, 0, "2024-03-01")
    as_of = pd.Timestamp("2024-03-08", tz="UTC")
    # Penalty 0.5 × 10 = 5: middle scores 5 < an end's 6 → an end.
    strong = suggest_sites(roads, ONE_600, checks=recent, rotation=RotationOptions(
        weeks=2, mode="penalise", penalty=0.5, as_of=as_of))
    assert strong.covered_weight == pytest.approx(6.0)
    # Penalty 0.3 × 10 = 3: middle scores 7 > 6 → the middle stays.
    mild = suggest_sites(roads, ONE_600, checks=recent, rotation=RotationOptions(
        weeks=2, mode="penalise", penalty=0.3, as_of=as_of))
    assert mild.covered_weight == pytest.approx(10.0)


def test_rotation_counts_only_checks_strictly_before_as_of() -> None:
    roads = rotation_case()
    as_of = pd.Timestamp("2024-03-08", tz="UTC")
    planned = checks_at(500, 0, "2024-03-09")  # planned for tomorrow: has not happened
    at = checks_at(500, 0, "2024-03-08")  # at as_of itself: not before it
    old = checks_at(500, 0, "2024-02-20")  # more than 2 weeks before
    not_yet = pd.concat([planned, at, old])
    s = suggest_sites(roads, ONE_600, checks=not_yet,
                      rotation=RotationOptions(weeks=2, as_of=as_of))
    assert s.covered_weight == pytest.approx(10.0)  # the best site stays
    assert s.notes == ["Rotation: inga trafikkontroller under 2 veckor före 2024-03-08 01:00 "
                       "(svensk tid), så ingen kontrollplats uteslöts."]
    just_before = checks_at(500, 0, "2024-03-07 23:59:59")
    nowhere = checks_at(500, 2500, "2024-03-01")  # near no candidate site
    used = pd.concat([not_yet, just_before, nowhere])
    s = suggest_sites(roads, ONE_600, checks=used, rotation=RotationOptions(weeks=2, as_of=as_of))
    assert s.covered_weight == pytest.approx(6.0)
    assert s.notes == ["Rotation: 2 trafikkontroller under 2 veckor före 2024-03-08 01:00 "
                       "(svensk tid) räknades; 1 kontrollplats inom 300 m från dem uteslöts."]
    s = suggest_sites(roads, ONE_600, checks=nowhere,
                      rotation=RotationOptions(weeks=1, mode="penalise", as_of=as_of))
    assert s.notes == ["Rotation: 1 trafikkontroll under 1 vecka före 2024-03-08 01:00 (svensk "
                       "tid) räknades; ingen ledig kontrollplats ligger inom 300 m från den."]
    s = suggest_sites(roads, ONE_600, checks=used, rotation=RotationOptions(
        weeks=2, mode="penalise", penalty=0.3, as_of=as_of))
    assert s.notes[0].endswith("1 kontrollplats inom 300 m från dem fick lägre poäng (var och "
                               "en förlorar 0,3 × vikten den ensam täcker).")
    since = as_of - pd.Timedelta(weeks=2)
    assert len(rotation_checks(used, since=since, until=as_of)) == 2
    assert len(rotation_checks(used, since=since)) == 4  # without an end: at and planned too
    cands = generated_candidates(roads)
    assert recently_used(cands, planned, since=since, until=as_of).size == 0
    assert recently_used(cands, planned, since=since).tolist() == [1]


def test_covered_share_is_of_weight_not_of_pieces() -> None:
    # A 100 m road of weight 100 (one piece, 10 units) and a 1 km road of weight 1 (10 pieces).
    roads = roads_frame([[(0, 0), (100, 0)], [(0, 3000), (1000, 3000)]], [100.0, 1.0])
    s = suggest_sites(roads, SitingOptions(k=1, radius_m=60))
    assert s.total_weight == pytest.approx(11.0)
    assert s.covered_weight == pytest.approx(10.0)
    assert s.covered_share == pytest.approx(10 / 11)  # spopt's perc_cov would say 1/11


def test_suggest_refuses_bad_input_with_clear_messages() -> None:
    roads = rotation_case()
    with pytest.raises(ValidationFailed, match="k måste vara minst 1"):
        suggest_sites(roads, SitingOptions(k=0, radius_m=600))
    with pytest.raises(ValidationFailed, match="radius_m måste vara större än 0"):
        suggest_sites(roads, SitingOptions(k=1, radius_m=0))
    with pytest.raises(ValidationFailed, match="det finns inga riskvägar"):
        suggest_sites(roads.iloc[:0], ONE_600)
    with pytest.raises(ValidationFailed, match="inga riskvägar med riskvikt för a_traktor"):
        suggest_sites(roads, SitingOptions(k=1, radius_m=600, categories=["a_traktor"]))
    with pytest.raises(ValidationFailed) as info:  # every problem of the options at once
        suggest_sites(roads.iloc[:0], SitingOptions(k=0, radius_m=-1, spacing_m=-5),
                      rotation=RotationOptions(weeks=-1, penalty=2))
    assert info.value.details == [
        "k måste vara minst 1, inte 0", "radius_m måste vara större än 0, inte -1",
        "spacing_m får inte vara negativt, inte -5", "rotation_weeks får inte vara "
        "negativt, inte -1",
        "rotation_penalty måste ligga mellan 0 och 1, inte 2",
        "det finns inga riskvägar; importera riskvägar först (trygg import risk_roads FIL)"]


def events_frame(rows: list[tuple[str, str, str, str]]) -> gpd.GeoDataFrame:
    """(type, title, road, precision) rows; published = the title's time + 1 h (2024)."""
    return gpd.GeoDataFrame(
        {"type": [r[0] for r in rows], "name": [r[1] for r in rows],
         "time": [pd.Timestamp("2024-12-31 23:00", tz="UTC")] * len(rows),
         "road": [r[2] or None for r in rows], "precision": [r[3] for r in rows]},
        geometry=[shapely.Point(X0, Y0 + 100_000)] * len(rows), crs="EPSG:3006")


def test_title_time_is_the_local_time_in_the_event_title() -> None:
    t = title_time("22 mars 06:50, Trafikolycka, Timrå", pd.Timestamp("2023-03-22 06:28:40Z"))
    assert t.isoformat() == "2023-03-22T06:50:00+01:00"
    t = title_time("31 december 23:10, Rattfylleri, Timrå", pd.Timestamp("2024-01-01 01:00Z"))
    assert t.year == 2023


def test_time_of_day_filter_moves_sites_to_the_roads_risky_at_night() -> None:
    roads = roads_frame([[(0, 0), (1000, 0)], [(0, 5000), (1000, 5000)]], [3.0, 2.0],
                        refs=["E4", "331"])
    events = events_frame([("Rattfylleri", "5 mars 23:10, Rattfylleri, Timrå", "331", "locality"),
                           ("Rattfylleri", "6 mars 01:30, Rattfylleri, Timrå", "331", "locality"),
                           ("Trafikolycka", "7 mars 12:00, Trafikolycka, Timrå", "E4",
                            "municipality")])
    factor = road_hour_factor(roads, events, hours_mask("22-6"), prior_events=0.0)
    assert factor.to_dict() == {1: 0.0, 2: 1.0}
    day = suggest_sites(roads, ONE_600)
    night = suggest_sites(roads, ONE_600, road_factor=factor)
    assert day.sites.geometry.y[0] - Y0 == pytest.approx(0)  # E4, weight 3
    assert night.sites.geometry.y[0] - Y0 == pytest.approx(5000)  # 331 at night
    # With the prior, a road without night events keeps some night risk.
    shrunk = road_hour_factor(roads, events, hours_mask("22-6"), prior_events=3.0)
    assert 0 < shrunk[1] < shrunk[2] < 1


def test_hours_mask_wraps_midnight_and_rejects_nonsense() -> None:
    assert np.flatnonzero(hours_mask("22-2")).tolist() == [0, 1, 22, 23]
    assert hours_mask("0-24").all()
    with pytest.raises(ValidationFailed, match="inget timintervall"):
        hours_mask("kväll")


# --- the weekly plan ------------------------------------------------------------------------------

def plan_sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"rank": [1, 2], "name": ["A", "B"], "weight_covered": [3.0, 1.0]},
                            geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 5000, Y0)],
                            crs="EPSG:3006")


def test_week_start_is_monday_local_time() -> None:
    assert week_start("2024-W10").isoformat() == "2024-03-04T00:00:00+01:00"
    with pytest.raises(ValidationFailed, match="ÅÅÅÅ-Vnn"):
        week_start("2024-10")


def test_weekly_plan_is_reproducible_capped_and_inside_available_hours() -> None:
    profile = np.full(168, 1 / 168)
    available = np.tile(hours_mask("18-24"), 7)
    kwargs = dict(week="2024-W10", checks=8, max_per_site=4, available=available)
    a = weekly_plan(plan_sites(), profile, seed=1, **kwargs)
    b = weekly_plan(plan_sites(), profile, seed=1, **kwargs)
    c = weekly_plan(plan_sites(), profile, seed=2, **kwargs)
    assert a.checks.equals(b.checks) and not a.checks.equals(c.checks)
    assert len(a.checks) == 8 and (a.checks["site_rank"].value_counts() <= 4).all()
    assert a.checks["start"].is_unique  # one check at a time
    hours = pd.to_datetime(a.checks["start"].str[:19]).dt.hour
    assert hours.isin([18, 20, 22]).all()
    assert a.hours_share_planned == pytest.approx(16 / 168)
    assert a.comparison["planned_share"].sum() == pytest.approx(1.0)
    assert a.comparison["risk_share"].sum() == pytest.approx(1.0)


def test_weekly_plan_follows_the_risk_profile_and_stops_at_the_cap() -> None:
    profile = np.zeros(168)
    profile[[22, 23]] = 0.5  # all risk on Monday 22–24
    plan = weekly_plan(plan_sites(), profile + 1e-12, week="2024-W10", seed=3, checks=1)
    assert plan.checks["block"].tolist() == ["22–24"] and plan.checks["weekday"][0] == "måndag"
    capped = weekly_plan(plan_sites(), np.full(168, 1 / 168), week="2024-W10", seed=3,
                         checks=5, max_per_site=2)
    assert len(capped.checks) == 4 and "Bara 4 av 5" in capped.notes[0]


def test_profile_from_night_events_puts_more_risk_at_night() -> None:
    events = events_frame([("Rattfylleri", f"{d} mars 23:30, Rattfylleri, Timrå", "", "locality")
                           for d in range(4, 9)])
    night = np.tile(hours_mask("22-2"), 7)  # 1/6 of the week
    # Without a prior: a Gaussian (σ = 2 h) around 23:30 puts about 0.67 of its mass in 22–02.
    raw = hour_of_week_profile(events, prior_events=0.0)
    assert raw.sum() == pytest.approx(1.0)
    assert 0.6 < raw[night].sum() < 0.75
    # The default prior of 10 uniform pseudo-events: (5 × raw + 10 × 1/6) / 15.
    profile = hour_of_week_profile(events)
    assert (profile > 0).all()
    assert profile[night].sum() == pytest.approx((5 * raw[night].sum() + 10 / 6) / 15)


# --- API and CLI over a real store ----------------------------------------------------------------

@pytest.fixture
def siting_store(store: Store) -> Store:
    roads = rotation_case().reset_index(drop=True)
    roads["provenance"] = "illustrative"
    store.insert("risk_roads", roads)
    return store


def test_api_suggest_falls_back_to_greedy_when_the_solver_fails(
        client: TestClient, tokens: dict[str, str], siting_store: Store,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scipy.optimize, "milp", _raises)
    r = client.post("/api/siting/suggest", json={"k": 1, "radius_m": 600},
                    headers=auth(tokens["planerare"]))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["method"] == "greedy" and doc["covered_weight"] == pytest.approx(10.0)
    assert doc["gap"] == 0.0  # greedy is optimal for k = 1 and its bound proves it
    assert any("lösaren avbröts av ett fel (RuntimeError)" in n for n in doc["notes"])


def test_api_suggest_returns_geojson_with_figures(client: TestClient, tokens: dict[str, str],
                                                  siting_store: Store) -> None:
    r = client.post("/api/siting/suggest", json={"k": 1, "radius_m": 600},
                    headers=auth(tokens["planerare"]))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and doc["method"] == "mip"
    assert doc["covered_weight"] == pytest.approx(10.0)
    assert doc["covered_share"] == pytest.approx(10 / 11, abs=1e-6)
    (feature,) = doc["features"]
    assert feature["properties"]["weight_assigned"] == pytest.approx(10.0)
    lon, lat = feature["geometry"]["coordinates"]
    back = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326").to_crs("EPSG:3006")[0]
    assert (back.x - X0, back.y - Y0) == pytest.approx((500, 0), abs=0.05)


@pytest.mark.parametrize("body, message", [
    ({"k": 0}, "fältet k måste vara minst 1"),
    ({"k": 1, "radius_m": 0}, "fältet radius_m måste vara större än 0"),
    ({"k": 1, "radius_m": -5}, "fältet radius_m"),
    ({"k": 1, "categories": ["nonsense"]}, "fältet categories.0 måste vara ett av"),
])
def test_api_bad_input_is_422_naming_the_field(client: TestClient, tokens: dict[str, str],
                                               siting_store: Store, body: dict,
                                               message: str) -> None:
    r = client.post("/api/siting/suggest", json=body, headers=auth(tokens["planerare"]))
    assert r.status_code == 422 and message in r.json()["error"], r.json()
    assert r.json()["code"] == "invalid_request" and isinstance(r.json()["details"], list)
    assert not any(word in r.json()["error"] for word in ("Input should", "body.", "invalid"))


def test_api_without_risk_roads_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/api/siting/suggest", json={"k": 1}, headers=auth(tokens["admin"]))
    assert r.status_code == 422
    assert "det finns inga riskvägar" in r.json()["error"]


def test_api_roles(client: TestClient, tokens: dict[str, str], siting_store: Store) -> None:
    assert client.post("/api/siting/suggest", json={"k": 1}).status_code == 401
    assert client.post("/api/siting/suggest", json={"k": 1},
                       headers=auth(tokens["rad"])).status_code == 403
    assert client.post("/api/siting/suggest", json={"k": 1},
                       headers=auth(tokens["admin"])).status_code == 200


def test_api_snap_and_schedule(client: TestClient, tokens: dict[str, str],
                               siting_store: Store) -> None:
    h = auth(tokens["planerare"])
    click = gpd.GeoSeries([shapely.Point(X0 + 300, Y0 + 40)], crs="EPSG:3006").to_crs(4326)[0]
    r = client.post("/api/siting/snap", json={"lon": click.x, "lat": click.y}, headers=h)
    assert r.status_code == 200 and r.json()["distance_m"] == pytest.approx(40, abs=0.1)
    far = gpd.GeoSeries([shapely.Point(X0 + 300, Y0 + 2000)], crs="EPSG:3006").to_crs(4326)[0]
    r = client.post("/api/siting/snap", json={"lon": far.x, "lat": far.y}, headers=h)
    assert r.status_code == 422 and "ingen riskväg inom 100 m" in r.json()["error"]
    body = {"k": 2, "radius_m": 600, "week": "2024-W10", "seed": 1, "checks": 3}
    first = client.post("/api/siting/schedule", json=body, headers=h)
    assert first.status_code == 200, first.text
    again = client.post("/api/siting/schedule", json=body, headers=h)
    assert first.json()["checks"] == again.json()["checks"] and len(first.json()["checks"]) == 3
    bad = client.post("/api/siting/schedule", json=dict(body, week="2021-W53"), headers=h)
    assert bad.status_code == 422 and "2021 har ingen vecka 53" in bad.json()["error"]


def test_planned_checks_export_as_csv_and_gpx(client: TestClient, tokens: dict[str, str],
                                              siting_store: Store) -> None:
    h = auth(tokens["planerare"])
    empty = client.get("/api/siting/planned.gpx", headers=h)
    assert empty.status_code == 200 and "<gpx" in empty.text
    check = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [17.33, 62.49]},
             "properties": {"status": "planerad", "start": "2024-03-05T22:00",
                            "kinds": ["nykterhet"], "place": "=Rastficka E4"}}
    done = dict(check, properties=dict(check["properties"], status="genomford", place="Klar"))
    assert client.post("/api/layers/traffic_checks", json=check, headers=h).status_code == 201
    assert client.post("/api/layers/traffic_checks", json=done, headers=h).status_code == 201
    r = client.get("/api/siting/planned.csv", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["place"] for row in rows] == ["'=Rastficka E4"]  # formula neutralised
    assert rows[0]["start"] == "2024-03-05T22:00:00+01:00" and rows[0]["kinds"] == "nykterhet"
    gpx = client.get("/api/siting/planned.gpx", headers=h)
    assert gpx.status_code == 200 and gpx.text.count("<wpt") == 1 and "Klar" not in gpx.text


def test_candidate_sites_layer_is_used_by_the_optimiser(client: TestClient,
                                                        tokens: dict[str, str],
                                                        siting_store: Store) -> None:
    spot = gpd.GeoSeries([shapely.Point(X0 + 480, Y0 + 30)], crs="EPSG:3006").to_crs(4326)[0]
    lay_by = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [spot.x, spot.y]},
              "properties": {"name": "Rastficka <b>norr</b>", "kind": "rastficka"}}
    h = auth(tokens["planerare"])
    assert client.post("/api/layers/candidate_sites", json=lay_by, headers=h).status_code == 201
    assert client.post("/api/layers/candidate_sites", json=lay_by,
                       headers=auth(tokens["patrullchef"])).status_code == 403
    doc = client.post("/api/siting/suggest", json={"k": 1, "radius_m": 600, "step_m": 1000},
                      headers=h).json()
    # Generated candidates at 0 and 1000 m cover 6 each; the lay-by at 480 m covers all 10.
    assert doc["features"][0]["properties"]["name"] == "Rastficka <b>norr</b>"
    assert doc["features"][0]["properties"]["kind"] == "rastficka"
    assert doc["covered_weight"] == pytest.approx(10.0)
    page = client.get("/kartor/planering", headers=h).text
    # The page's script draws the candidate sites from its config and the API as text (issue 12:
    # planners edit them on the map; tests/test_planning_browser.py): never as markup.
    assert "<b>norr</b>" not in page and "Egna möjliga kontrollplatser (1)" in page
    assert "Rastficka \\u003cb\\u003enorr" in page  # text in the JSON config, never markup
    sites = client.get("/api/layers/candidate_sites", headers=h).json()["features"]
    assert [f["properties"]["name"] for f in sites] == ["Rastficka <b>norr</b>"]


def test_planning_page_roles(client: TestClient, tokens: dict[str, str],
                             siting_store: Store) -> None:
    r = client.get("/kartor/planering", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/logga-in"
    r = client.get("/kartor/planering", headers=auth(tokens["rad"]))
    assert r.status_code == 403
    r = client.get("/kartor/planering", headers=auth(tokens["planerare"]))
    assert r.status_code == 200
    assert "/static/planning.js" in r.text and "cdn" not in r.text.lower()
    assert "Riskvikt 1" in r.text and "Riskvikt 10" in r.text
    start = client.get("/", headers=auth(tokens["planerare"]))
    assert 'href="/kartor/planering"' in start.text  # the start page links to the view


def test_cli_suggest_prints_geojson_and_schedule_a_table(siting_store: Store, settings,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_DB", str(settings.db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    runner = CliRunner()
    out = runner.invoke(cli, ["siting", "suggest", "--k", "1", "--radius", "600"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert len(doc["features"]) == 1 and doc["covered_weight"] == pytest.approx(10.0)
    out = runner.invoke(cli, ["siting", "schedule", "--week", "2024-W10", "--seed", "1",
                              "--k", "2", "--radius", "600", "--checks", "3"])
    assert out.exit_code == 0, out.output
    assert "Veckoplan 2024-W10 (slumpfrö 1): 3 kontroller" in out.output
    bad = runner.invoke(cli, ["siting", "suggest", "--k", "0"])
    assert bad.exit_code == 1 and "k måste vara minst 1" in bad.output


def test_rotation_reveals_no_planned_check_to_those_who_may_not_see_them(
        settings: Settings, siting_store: Store, tokens: dict[str, str]) -> None:
    """Excluded sites would tell where planned police operations are: rotation for a viewer
    without that right (anonymous in demo mode) uses performed checks only."""
    planned = checks_at(500, 0, "2024-03-01")
    planned["status"] = "planerad"
    planned["provenance"] = "real"
    siting_store.insert("traffic_checks", planned)
    body = {"k": 1, "radius_m": 600, "rotation_weeks": 2, "as_of": "2024-03-08"}
    with TestClient(create_app(settings.model_copy(update={"demo": True}),
                               store=siting_store)) as demo:
        anonymous = demo.post("/api/siting/suggest", json=body)
        police = demo.post("/api/siting/suggest", json=body, headers=auth(tokens["planerare"]))
    assert anonymous.status_code == 200 and police.status_code == 200
    assert anonymous.json()["covered_weight"] == pytest.approx(10.0)  # as if no check existed
    assert police.json()["covered_weight"] == pytest.approx(6.0)  # the planner's rotation
