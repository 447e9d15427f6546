"""Tests of the foot-patrol simulator (geo.simulate) and the schematic roads (geo.schematic)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.crs import WORK_CRS
from geo.errors import CrsMismatch
from geo.periods import LOCAL_TZ
from geo.schematic import schematic_roads
from geo.simulate import (
    UNIT_PREFIX, PatrolSchedule, simulate_foot_patrols, simulate_ping_arrays,
)

ROOT = Path(__file__).resolve().parents[1]
START = pd.Timestamp("2024-09-01", tz=LOCAL_TZ)
END = pd.Timestamp("2024-10-01", tz=LOCAL_TZ)


@pytest.fixture(scope="module")
def zones() -> gpd.GeoDataFrame:
    """Three zones around central Timrå (EPSG:3006), 300–600 m across."""
    return gpd.GeoDataFrame(
        {"name": ["Vivsta centrum", "Timrå station", "Sörberge"],
         "priority": [1, 2, 2], "target_minutes_per_week": [300.0, 180.0, 180.0]},
        geometry=[shapely.Point(619853, 6930586).buffer(250),
                  shapely.Point(620078, 6930196).buffer(150),
                  shapely.box(620600, 6932300, 621200, 6932700)],
        crs=WORK_CRS,
    )


def _pings(zones: gpd.GeoDataFrame, **kw):
    args = {"start": START, "end": END, "seed": 7} | kw
    return simulate_ping_arrays(zones, PatrolSchedule(**args))


def _speeds(p) -> np.ndarray:
    same = np.diff(p.track) == 0
    dist = np.hypot(np.diff(p.x), np.diff(p.y))[same]
    return dist / np.diff(p.t)[same]


def test_same_seed_same_pings_other_seed_other_pings(zones):
    a, b, c = _pings(zones, seed=1), _pings(zones, seed=1), _pings(zones, seed=2)
    for name in ("x", "y", "t", "track"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert len(a.t) != len(c.t) or not np.array_equal(a.x, c.x)


def test_pings_lie_in_or_between_zones(zones):
    p = _pings(zones)
    near = shapely.union_all(zones.geometry.buffer(20).values)
    share = shapely.contains_xy(near, p.x, p.y).mean()
    assert share > 0.5  # most of the time is spent inside zones; the rest is walking between
    hull = shapely.convex_hull(shapely.union_all(zones.geometry.values)).buffer(300)
    assert shapely.contains_xy(hull, p.x, p.y).all()


def test_times_increase_within_each_track_and_stay_in_the_period(zones):
    p = _pings(zones)
    assert len(p.t) > 1000
    assert (np.diff(p.track) >= 0).all()  # sorted by track
    same = np.diff(p.track) == 0
    assert (np.diff(p.t)[same] > 0).all()
    np.testing.assert_allclose(np.diff(p.t)[same], 30.0)
    assert p.t.min() >= START.timestamp() and p.t.max() < END.timestamp()


def test_walking_speeds_are_plausible(zones):
    for interval in (30.0, 1.0):
        p = _pings(zones, ping_interval_s=interval, end=START + pd.Timedelta(days=7))
        speed = _speeds(p)
        assert 1.0 < np.median(speed) < 1.6
        assert np.quantile(speed, 0.999) < 3.0  # GPS drift never makes a walker sprint
        assert speed.max() < 5.0


def test_walks_start_mostly_in_the_evening_and_at_weekends(zones):
    gdf = simulate_foot_patrols(zones, PatrolSchedule(
        start=pd.Timestamp("2024-01-01"), end=pd.Timestamp("2025-01-01"), seed=3,
        shifts_per_week=20))
    local = pd.DatetimeIndex(gdf["start"]).tz_convert(LOCAL_TZ)
    evening = ((local.hour >= 16) & (local.hour < 23)).sum()
    morning = ((local.hour >= 8) & (local.hour < 12)).sum()
    assert evening > 2 * morning
    per_day = np.bincount(local.day_of_week, minlength=7)
    assert per_day[[4, 5]].min() > per_day[[0, 1, 2, 3, 6]].max()
    hours = (gdf["end"] - gdf["start"]).dt.total_seconds() / 3600
    assert 1.0 < hours.median() < 3.0 and hours.max() < 6.0


def test_a_month_of_1_hz_pings_is_millions(zones):
    # How fast this is belongs to bench/patrol_coverage.py, not to a test.
    p = _pings(zones, ping_interval_s=1.0, shifts_per_week=80)
    assert len(p.t) >= 2_000_000
    assert p.x.dtype == np.float64 and p.track.dtype == np.int64


def test_patrols_layer_has_the_model_fields(zones):
    gdf = simulate_foot_patrols(zones, PatrolSchedule(start=START, end=END, seed=2262))
    assert gdf.crs.to_epsg() == 3006
    assert len(gdf) > 5
    assert set(gdf.geom_type) == {"LineString"}
    assert gdf["kind"].eq("fot").all() and gdf["provenance"].eq("simulated").all()
    assert gdf["unit"].str.startswith(UNIT_PREFIX).all()
    assert gdf["source"].str.contains("seed 2262").all()
    assert str(gdf["start"].dt.tz) == "UTC" and str(gdf["end"].dt.tz) == "UTC"
    rows = zip(gdf.geometry, gdf["times"], gdf["start"], gdf["end"], strict=True)
    for geom, times, start, end in rows:
        assert len(times) == len(geom.coords)
        assert pd.Timestamp(times[0]) == start and pd.Timestamp(times[-1]) == end
        assert times == sorted(times)
    # One team never walks two walks at once.
    for _, walks in gdf.sort_values("start").groupby("unit"):
        assert (walks["start"].iloc[1:].to_numpy() >= walks["end"].iloc[:-1].to_numpy()).all()


def test_empty_period_and_wrong_crs(zones):
    empty = simulate_foot_patrols(zones, PatrolSchedule(start=START, end=START, seed=1))
    assert len(empty) == 0 and empty.crs.to_epsg() == 3006
    with pytest.raises(CrsMismatch):
        simulate_ping_arrays(zones.to_crs("EPSG:4326"),
                             PatrolSchedule(start=START, end=END, seed=1))


# --- schematic roads ------------------------------------------------------------------------------

def _gazetteer() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["Birsta", "Timrå", "Vivsta", "Sörberge", "Midlanda"],
         "aliases": [[], ["Timrå centrum"], ["Vivsta centrum"], [], ["flygplatsen"]]},
        geometry=[shapely.Point(620667, 6925907), shapely.Point(619853, 6930586),
                  shapely.Point(619853, 6930586), shapely.Point(620680, 6932420),
                  shapely.Point(625620, 6935130)],
        crs=WORK_CRS,
    )


def test_schematic_roads_pass_the_points_in_order():
    gaz = _gazetteer()
    roads = [
        {"ref": "E4", "name": "Europaväg 4",
         "passes": ["Birsta", "Timrå", "Vivsta", "Nowhere", "Sörberge", "Midlanda"]},
        {"ref": "330", "name": "Väg 330", "passes": ["Sörberge"]},
        {"ref": "1", "name": "Bara dubbletter", "passes": ["Timrå", "Vivsta"]},
    ]
    out = schematic_roads(gaz, roads)
    assert out.crs.to_epsg() == 3006
    assert out["road_ref"].tolist() == ["E4"]  # < 2 distinct points: no line
    assert out["schematic"].all()
    coords = np.asarray(out.geometry.iloc[0].coords)
    expected = shapely.get_coordinates(
        gaz.set_index("name").loc[["Birsta", "Timrå", "Sörberge", "Midlanda"]].geometry.values)
    np.testing.assert_allclose(coords, expected)  # unknown place skipped, duplicate dropped
    assert out["places"].iloc[0] == ["Birsta", "Timrå", "Sörberge", "Midlanda"]
    assert "inte vägnätet" in out["source"].iloc[0]


def test_schematic_roads_from_the_shipped_gazetteer():
    from geo.gazetteer import gazetteer_roads, read_gazetteer

    path = ROOT / "data" / "timra" / "gazetteer.json"
    if not path.is_file():
        path = ROOT.parent / "shared" / "data" / "timra_gazetteer.json"
    gaz = read_gazetteer(path)
    roads = gazetteer_roads(path)
    out = schematic_roads(gaz, roads)
    assert "E4" in set(out["road_ref"])
    assert "330" not in set(out["road_ref"])  # passes a single place
    points = dict(zip(gaz["name"], shapely.get_coordinates(gaz.geometry.values), strict=True))
    for road in roads:
        row = out[out["road_ref"] == road["ref"]]
        if row.empty:
            continue
        coords = np.asarray(row.geometry.iloc[0].coords)
        wanted = [points[p] for p in row["places"].iloc[0]]
        np.testing.assert_allclose(coords, wanted)
        assert [p for p in road["passes"] if p in row["places"].iloc[0]] == row["places"].iloc[0]


def test_schematic_roads_need_the_work_crs():
    with pytest.raises(CrsMismatch):
        schematic_roads(_gazetteer().to_crs("EPSG:4326"), [])
