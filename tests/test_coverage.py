"""Coverage by hand: foot-patrol presence, visits, gaps, bands, dosage and street coverage on tiny
zones; traffic checks around a straight road; a GPX track in WGS84 imported and measured; the
API, the CLI and the map page in a real browser."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient
from pyproj import Transformer

from api.app import create_app
from geo.road_check_coverage import check_coverage
from geo.coverage import patrol_coverage, patrol_coverage_vertices, vertices_from_arrays
from geo.crs import WORK_CRS
from geo.errors import ValidationFailed
from geo.io import read_layer_file
from geo.layers import layer_spec
from geo.periods import make_period
from geo.simulate import PatrolSchedule, simulate_ping_arrays
from geo.validate import prepare_features
from store import Store
from tests.conftest import auth
from cli import cli
from trygg.settings import Settings

E0, N0 = 617_000.0, 6_929_000.0  # central Timrå in SWEREF 99 TM
DAY = make_period("2024-10-02", "2024-10-02")  # a Wednesday (CEST, UTC+2)


def square_zone(size_m: float = 100.0, *, active_hours: str = "0-24", target: float = 60.0,
                dx: float = 0.0) -> gpd.GeoDataFrame:
    poly = shapely.box(E0 + dx, N0, E0 + dx + size_m, N0 + size_m)
    return gpd.GeoDataFrame({"name": ["Torget"], "priority": [1],
                             "target_minutes_per_week": [target],
                             "active_hours": [active_hours]},
                            geometry=[poly], crs=WORK_CRS, index=pd.Index([1], name="id"))


def track(points: list[tuple[float, float, str]], unit: str = "Lag 1") -> gpd.GeoDataFrame:
    """One track of (x, y relative to the zone's corner, local time text) vertices."""
    line = shapely.LineString([(E0 + x, N0 + y) for x, y, _ in points])
    return gpd.GeoDataFrame({"unit": [unit], "kind": ["fot"], "start": [None], "end": [None],
                             "times": [[t for _, _, t in points]]},
                            geometry=[line], crs=WORK_CRS)


def zone_of(result):
    return result.zones[0]


def band(zone, name: str, daytype: str):
    return next(b for b in zone.bands if b.band == name and b.daytype == daytype)


def test_track_along_the_edge_counts_and_covers_half_the_zone() -> None:
    walk = track([(0, 0, "2024-10-02T12:00:00"), (100, 0, "2024-10-02T12:01:40")])
    z = zone_of(patrol_coverage(walk, square_zone(), period=DAY, reach_m=50, cell_m=1.0))
    assert z.minutes == pytest.approx(100 / 60, abs=0.01)  # the edge belongs to the zone
    assert z.visits == 1
    assert z.coverage_basis == "yta"
    assert z.coverage_pct == pytest.approx(50.0, abs=1.5)  # a 50 m strip of a 100 m square


def test_two_crossings_within_15_minutes_are_one_visit() -> None:
    walk = track([(-50, 50, "2024-10-02T12:00:00"), (150, 50, "2024-10-02T12:03:20"),
                  (150, 50, "2024-10-02T12:08:20"), (-50, 50, "2024-10-02T12:11:40")])
    z = zone_of(patrol_coverage(walk, square_zone(), period=DAY))
    assert z.minutes == pytest.approx(200 / 60, abs=0.01)  # 100 s inside each time at 1 m/s
    assert z.visits == 1
    z16 = zone_of(patrol_coverage(walk, square_zone(), period=DAY, visit_gap_min=5))
    assert z16.visits == 2  # 5 min outside splits them when the rule is 5 minutes


def test_three_hour_pause_gives_two_visits_gap_and_dosage() -> None:
    walk = track([(-10, 50, "2024-10-02T09:59:50"), (0, 50, "2024-10-02T10:00:00"),
                  (50, 50, "2024-10-02T10:10:00"), (100, 50, "2024-10-02T10:20:00"),
                  (110, 50, "2024-10-02T10:20:10"), (110, 50, "2024-10-02T13:19:50"),
                  (100, 50, "2024-10-02T13:20:00"), (50, 50, "2024-10-02T13:30:00"),
                  (0, 50, "2024-10-02T13:40:00"), (-10, 50, "2024-10-02T13:40:10")])
    z = zone_of(patrol_coverage(walk, square_zone(active_hours="10-16", target=70.0),
                                period=DAY))
    assert z.minutes == pytest.approx(40.0, abs=1e-6)
    assert z.visits == 2
    # The longest gap counts active hours only (issue 11): 10:20–13:20 (3 h), not 13:40 →
    # midnight (10 h 20 min, of which 2 h 20 min active) nor midnight → 10:00 (none active).
    assert z.longest_gap_h == pytest.approx(3.0, abs=0.01)
    assert (z.longest_gap_from, z.longest_gap_to) == ("2024-10-02 10:20", "2024-10-02 13:20")
    d = z.dosage
    assert d.long_visits == 2 and d.active_h == 6.0
    # Active 10–16: gaps over 2 h are 10:20–13:20 (3 h) and 13:40–16:00 (2 h 20 min).
    assert d.dosed_h == pytest.approx(40 / 60, abs=0.01)
    assert d.dosed_pct == pytest.approx(100 * 40 / 360, abs=0.05)
    week = z.weeks[0]
    assert (week.week, week.days_in_period, week.target_minutes) == ("2024-W40", 1, 10.0)
    assert week.minutes == pytest.approx(40.0) and week.target_met


def test_midnight_crossing_splits_evening_and_night_and_weekday_and_weekend() -> None:
    walk = track([(10, 50, "2024-10-04T23:50:00"), (90, 50, "2024-10-05T00:10:00")])
    period = make_period("2024-10-04", "2024-10-05")  # Friday and Saturday
    # Two pings 20 minutes apart: a walk only when the gap rule allows 20 minutes.
    z = zone_of(patrol_coverage(walk, square_zone(), period=period, max_ping_gap_min=30))
    assert z.minutes == pytest.approx(20.0)
    assert band(z, "kvall", "vardag").minutes == pytest.approx(10.0)
    assert band(z, "natt", "helg").minutes == pytest.approx(10.0)
    assert band(z, "dag", "alla").minutes == 0.0
    assert band(z, "alla", "helg").minutes == pytest.approx(10.0)
    assert z.visits == 1 and band(z, "kvall", "alla").visits == 1  # counted where it began


def test_zone_without_patrols_has_nothing_and_the_whole_period_as_gap() -> None:
    walk = track([(500, 500, "2024-10-02T12:00:00"), (600, 500, "2024-10-02T12:10:00")])
    period = make_period("2024-10-01", "2024-10-07")
    z = zone_of(patrol_coverage(walk, square_zone(), period=period))
    assert (z.minutes, z.visits, z.coverage_pct) == (0.0, 0, 0.0)
    assert z.longest_gap_h == pytest.approx(7 * 24)
    assert z.dosage.dosed_pct == 0.0
    assert not any(w.target_met for w in z.weeks)


def test_baseline_change_and_per_team_figures() -> None:
    now = track([(10, 50, "2024-10-02T12:00:00"), (90, 50, "2024-10-02T12:30:00")], "Lag 1")
    before = track([(10, 50, "2024-09-25T12:00:00"), (90, 50, "2024-09-25T12:10:00")], "Lag 2")
    tracks = pd.concat([now, before], ignore_index=True)
    z = zone_of(patrol_coverage(tracks, square_zone(), period=DAY, max_ping_gap_min=30,
                                baseline=make_period("2024-09-25", "2024-09-25")))
    assert [(t.unit, t.minutes) for t in z.teams] == [("Lag 1", 30.0)]
    assert z.baseline.minutes == pytest.approx(10.0)
    assert z.baseline.change_pct == pytest.approx(200.0)


def test_street_length_is_the_basis_where_streets_are_given() -> None:
    streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(E0 + 50, N0 - 50),
                                                             (E0 + 50, N0 + 150)])],
                               crs=WORK_CRS)
    walk = track([(0, 0, "2024-10-02T12:00:00"), (100, 0, "2024-10-02T12:01:40")])
    z = zone_of(patrol_coverage(walk, square_zone(), period=DAY, streets=streets, reach_m=50,
                                cell_m=1.0))
    assert z.coverage_basis == "gatulangd"
    assert z.coverage_pct == pytest.approx(50.0, abs=1.5)  # y 0–50 of the street's 100 m


def test_a_gpx_track_in_wgs84_is_imported_then_measured(tmp_path: Path) -> None:
    to_wgs = Transformer.from_crs(WORK_CRS, "EPSG:4326", always_xy=True)
    # Walk east along y = 50 m through the zone at 0.5 m/s, a fix every 20 s (10 m).
    xs = np.arange(-40.0, 141.0, 10.0)
    lon, lat = to_wgs.transform(E0 + xs, np.full(len(xs), N0 + 50.0))
    t0 = pd.Timestamp("2024-10-02T10:00:00Z")
    pts = "".join(f'<trkpt lat="{la:.8f}" lon="{lo:.8f}"><time>'
                  f'{(t0 + pd.Timedelta(seconds=20 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")}'
                  f"</time></trkpt>"
                  for i, (lo, la) in enumerate(zip(lon, lat, strict=True)))
    gpx = tmp_path / "walk.gpx"
    gpx.write_text('<?xml version="1.0"?><gpx version="1.1" creator="test" '
                   'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Lag 7</name><trkseg>'
                   f"{pts}</trkseg></trk></gpx>", encoding="utf-8")
    spec = layer_spec("patrols")
    tracks = prepare_features(spec, read_layer_file(gpx, spec), origin="walk.gpx")
    assert tracks.crs.to_epsg() == 3006
    z = zone_of(patrol_coverage(tracks, square_zone(), period=DAY))
    assert z.minutes == pytest.approx(200 / 60, abs=0.02)  # 100 m at 0.5 m/s
    assert [t.unit for t in z.teams] == ["Lag 7"]


@pytest.fixture(scope="module")
def simulated_day():
    zones = square_zone(300.0, target=120.0)
    pings = simulate_ping_arrays(zones, PatrolSchedule(
        start=pd.Timestamp("2024-10-02"), end=pd.Timestamp("2024-10-03"), seed=7,
        ping_interval_s=1.0, shifts_per_week=20))
    return zones, pings


def test_1s_and_30s_sampling_give_the_same_minutes(simulated_day) -> None:
    zones, p = simulated_day
    units = np.array(["Lag"] * (int(p.track.max()) + 1))
    fine = patrol_coverage_vertices(vertices_from_arrays(p.x, p.y, p.t, p.track), units, zones,
                                    period=DAY)
    first = np.r_[True, np.diff(p.track) != 0]
    t_rel = p.t - p.t[first][np.cumsum(first) - 1]
    keep = (np.round(t_rel) % 30 == 0) | np.r_[np.diff(p.track) != 0, True]
    coarse = patrol_coverage_vertices(
        vertices_from_arrays(p.x[keep], p.y[keep], p.t[keep], p.track[keep]), units, zones,
        period=DAY)
    assert fine.zones[0].minutes > 30
    assert coarse.zones[0].minutes == pytest.approx(fine.zones[0].minutes, rel=0.02)


def test_street_coverage_agrees_with_exact_buffers(simulated_day) -> None:
    zones, p = simulated_day
    units = np.array(["Lag"] * (int(p.track.max()) + 1))
    fast = patrol_coverage_vertices(vertices_from_arrays(p.x, p.y, p.t, p.track), units, zones,
                                    period=DAY, reach_m=10.0)
    _, idx = np.unique(p.track, return_inverse=True)
    lines = shapely.linestrings(np.column_stack([p.x, p.y]), indices=idx)
    covered = shapely.intersection(shapely.union_all(shapely.buffer(lines, 10.0)),
                                   zones.geometry.iloc[0])
    exact = 100 * covered.area / zones.geometry.iloc[0].area
    assert 5 < exact < 95  # partial coverage, so the comparison means something
    assert fast.zones[0].coverage_pct == pytest.approx(exact, abs=1.0)


# --- traffic checks --------------------------------------------------------------------------

def road_and_checks():
    roads = gpd.GeoDataFrame(
        {"name": ["Storvägen", "Lillvägen"], "risk_weight": [3.0, 1.0],
         "risk_categories": [["hastighet"], ["rattfylleri"]], "schematic": [False, False]},
        geometry=[shapely.LineString([(E0, N0), (E0 + 4000, N0)]),
                  shapely.LineString([(E0, N0 + 5000), (E0 + 1000, N0 + 5000)])],
        crs=WORK_CRS, index=pd.Index([1, 2], name="id"))
    rows = [  # (x, y, start, precision_m, checked, breath_tests)
        (0, 0, "2024-10-01T10:00:00+02:00", 100.0, 10, None),
        (2500, 1000, "2024-10-05T10:00:00+02:00", None, 5, 2),  # exactly at the radius
        (2500, 1000.5, "2024-10-06T10:00:00+02:00", None, 1, 1),  # just outside: elsewhere
        (3000, 0, "2024-10-07T10:00:00+02:00", 43_000.0, 7, 7),  # place unknown
        (100, 0, "2023-01-01T10:00:00+01:00", 10.0, 99, 99),  # before the period
    ]
    checks = gpd.GeoDataFrame(
        {"status": "genomford", "start": pd.to_datetime([r[2] for r in rows], utc=True),
         "precision_m": [r[3] for r in rows], "checked": [r[4] for r in rows],
         "breath_tests": [r[5] for r in rows], "suspected_dui": None, "speeding": None},
        geometry=[shapely.Point(E0 + r[0], N0 + r[1]) for r in rows], crs=WORK_CRS,
        index=pd.Index([11, 12, 13, 14, 15], name="id"))
    return roads, checks


def test_check_coverage_by_hand() -> None:
    roads, checks = road_and_checks()
    r = check_coverage(checks, roads, period=make_period("2024-10-01", "2024-10-31"))
    assert r.checks_performed == 4
    assert (r.checks_at_risk_places, r.checks_elsewhere, r.checks_place_unknown) == (2, 1, 1)
    assert r.unknown_place_ids == [14]
    big = r.roads[0]
    assert big.check_ids == [11, 12]  # the one at exactly 1 000 m counts
    assert big.last_check == "2024-10-05" and big.days_since_last == 26
    assert (big.results["checked"].total, big.results["checked"].unknown) == (15, 0)
    assert (big.results["breath_tests"].total, big.results["breath_tests"].unknown) == (2, 1)
    assert big.results["speeding"].unknown == 2
    # The check at the road's start covers its first 1 000 m; the one at the radius touches it.
    assert big.covered_m == pytest.approx(1000.0, abs=0.5)
    assert big.covered_pct == pytest.approx(25.0, abs=0.02)
    assert r.roads[1].checks == 0 and r.roads[1].days_since_last is None
    assert r.weighted_covered_pct == pytest.approx(100 * 3000 / 13000, abs=0.02)
    cats = {c.category: c.covered_pct for c in r.categories}
    assert cats["hastighet"] == pytest.approx(25.0, abs=0.02) and cats["rattfylleri"] == 0.0
    assert cats["buskorning"] is None


# --- API and CLI --------------------------------------------------------------------------------

def test_patrol_coverage_api_roles_and_errors(demo_store: Store, settings: Settings) -> None:
    from store.accounts import add_user
    from tests.conftest import SECRET

    tokens = {role: add_user(demo_store, f"t-{role}", role, secret=SECRET)
              for role in ("patrullchef", "rad")}
    with TestClient(create_app(settings, store=demo_store)) as c:
        assert c.get("/api/coverage/patrols").status_code == 401
        assert c.get("/api/coverage/patrols", headers=auth(tokens["rad"])).status_code == 403
        r = c.get("/api/coverage/patrols", headers=auth(tokens["patrullchef"]),
                  params={"from": "2024-10-28", "to": "2024-11-24",
                          "baseline_from": "2024-09-02", "baseline_to": "2024-09-29"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["days"] == 28 and len(body["zones"]) == 4
        assert all(z["baseline"] is not None for z in body["zones"])
        assert body["geojson"]["type"] == "FeatureCollection"
        assert "coverage_pct" in body["geojson"]["features"][0]["properties"]
        # Figures per zone and team, never a trail: only the zones' polygons are in the answer.
        assert {f["geometry"]["type"] for f in body["geojson"]["features"]} == {"Polygon"}
        assert '"times"' not in r.text
        bad = c.get("/api/coverage/patrols", headers=auth(tokens["patrullchef"]),
                    params={"from": "2024-11-24", "to": "2024-10-28"})
        assert bad.status_code == 422
        assert "från (2024-11-24) ligger efter till (2024-10-28)" in bad.json()["error"]
        bad = c.get("/api/coverage/patrols", headers=auth(tokens["patrullchef"]),
                    params={"from": "2024-13-01", "to": "2024-10-28"})
        assert bad.status_code == 422 and bad.json()["details"]
        checks = c.get("/api/coverage/checks", headers=auth(tokens["rad"]),
                       params={"from": "2023-01-01", "to": "2024-12-31"})
        assert checks.status_code == 200
        assert checks.json()["checks_performed"] == 24
        assert checks.json()["checks_place_unknown"] == 14


def test_cli_coverage_table_and_json(demo_store: Store, settings: Settings) -> None:
    runner = CliRunner()
    db = str(settings.db)
    out = runner.invoke(cli, ["--db", db, "coverage", "patrols", "--from", "2024-10-28",
                              "--to", "2024-11-24"])
    assert out.exit_code == 0, out.output
    assert "Vivsta centrum" in out.output and "täckn %" in out.output
    out = runner.invoke(cli, ["--db", db, "coverage", "checks", "--from", "2023-01-01",
                              "--to", "2024-12-31", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["checks_at_risk_places"] == 10
    out = runner.invoke(cli, ["--db", db, "coverage", "checks", "--from", "2024-02-01",
                              "--to", "2024-01-01"])
    assert out.exit_code == 1 and "ligger efter" in out.output


# --- exact street coverage, clock changes, gaps and order -------------------------------------

def timed_walk(xy: np.ndarray, start: str = "2024-10-02T12:00:00", step_s: float = 1.0):
    """A track through the (x, y) points relative to the zone's corner, one ping each
    ``step_s`` seconds."""
    t0 = pd.Timestamp(start)
    times = [(t0 + pd.Timedelta(seconds=step_s * i)).strftime("%Y-%m-%dT%H:%M:%S")
             for i in range(len(xy))]
    return track([(float(x), float(y), t) for (x, y), t in zip(xy, times, strict=True)])


def exact_pct(xy: np.ndarray, zone: shapely.Geometry, reach_m: float) -> float:
    pts = np.asarray(xy, float) + [E0, N0]
    geom = shapely.Point(pts[0]) if len(pts) == 1 else shapely.LineString(pts)
    covered = shapely.intersection(shapely.buffer(geom, reach_m, quad_segs=1024), zone)
    return 100 * covered.area / zone.area


def line_xy(x0: float, y0: float, x1: float, y1: float, step_m: float = 1.3) -> np.ndarray:
    n = max(int(np.ceil(np.hypot(x1 - x0, y1 - y0) / step_m)), 1)
    f = np.linspace(0, 1, n + 1)[:, None]
    return np.array([x0, y0]) + f * np.array([x1 - x0, y1 - y0])


def test_walk_along_a_cell_row_covers_exactly() -> None:
    z = zone_of(patrol_coverage(timed_walk(line_xy(-20, 50, 120, 50)), square_zone(),
                                period=DAY))
    assert z.coverage_pct == 100.0
    z = zone_of(patrol_coverage(timed_walk(line_xy(-20, 100, 220, 100)), square_zone(200.0),
                                period=DAY))
    assert z.coverage_pct == 50.0


@pytest.mark.parametrize("reach_m", [5.0, 17.3, 50.0, 100.0])
def test_random_walks_agree_with_exact_buffers(reach_m: float) -> None:
    rng = np.random.default_rng(int(reach_m * 10))
    zone = square_zone(150.0)
    for _ in range(6):
        ends = rng.uniform(-60, 210, 4)
        xy = line_xy(*ends)
        z = zone_of(patrol_coverage(timed_walk(xy), zone, period=DAY, reach_m=reach_m))
        assert z.coverage_pct == pytest.approx(exact_pct(xy, zone.geometry.iloc[0], reach_m),
                                               abs=0.05)


def test_track_ends_and_single_pings_are_exact() -> None:
    zone = square_zone(200.0)
    xy = np.r_[line_xy(30, 40, 90, 130), line_xy(90, 130, 170, 60)]
    z = zone_of(patrol_coverage(timed_walk(xy), zone, period=DAY, reach_m=50))
    assert z.coverage_pct == pytest.approx(exact_pct(xy, zone.geometry.iloc[0], 50), abs=0.05)
    one = gpd.GeoDataFrame({"unit": ["Lag 1"], "times": [["2024-10-02T12:00:00"]]},
                           geometry=[shapely.Point(E0 + 60, N0 + 70)], crs=WORK_CRS)
    z = zone_of(patrol_coverage(one, zone, period=DAY, reach_m=50))
    disc = 100 * np.pi * 50 ** 2 / 200 ** 2
    assert z.coverage_pct == pytest.approx(disc, abs=0.05)


def test_street_length_share_is_exact() -> None:
    streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(E0 + 50, N0 - 50),
                                                             (E0 + 50, N0 + 150)])],
                               crs=WORK_CRS)
    z = zone_of(patrol_coverage(timed_walk(line_xy(0, 0, 100, 0)), square_zone(), period=DAY,
                                streets=streets, reach_m=50))
    assert z.coverage_basis == "gatulangd" and z.coverage_pct == 50.0


def test_clock_change_walk_counts_the_repeated_hour() -> None:
    wall = list(pd.date_range("2024-10-27 01:50", "2024-10-27 02:59:50", freq="10s"))
    wall += list(pd.date_range("2024-10-27 02:00", "2024-10-27 03:10", freq="10s"))
    x = np.linspace(10, 90, len(wall))
    walk = track([(float(xi), 50.0, w.strftime("%Y-%m-%dT%H:%M:%S"))
                  for xi, w in zip(x, wall, strict=True)])
    z = zone_of(patrol_coverage(walk, square_zone(), period=make_period("2024-10-27",
                                                                        "2024-10-27")))
    assert z.minutes == pytest.approx(140.0, abs=0.01)
    assert z.visits == 1


def test_spring_forward_time_is_shifted_not_dropped() -> None:
    walk = track([(10, 50, "2024-03-31T01:55:00"), (20, 50, "2024-03-31T02:30:00"),
                  (30, 50, "2024-03-31T03:05:00")])
    r = patrol_coverage(walk, square_zone(), period=make_period("2024-03-31", "2024-03-31"))
    assert r.unreadable_times == 0
    assert zone_of(r).minutes == pytest.approx(10.0)  # 01:55 → 03:00 (shifted) → 03:05


def test_out_of_order_duplicate_and_unreadable_pings() -> None:
    walk = track([(10, 50, "2024-10-02T12:00:00"), (30, 50, "2024-10-02T12:02:00"),
                  (20, 50, "2024-10-02T12:01:00"), (20, 50, "2024-10-02T12:01:00"),
                  (40, 50, "not a time"), (40, 50, "2024-10-02T12:03:00")])
    r = patrol_coverage(walk, square_zone(), period=DAY)
    assert r.unreadable_times == 1
    assert zone_of(r).minutes == pytest.approx(3.0)


def test_a_two_hour_gap_is_not_presence() -> None:
    walk = track([(10, 50, "2024-10-02T12:00:00"), (20, 50, "2024-10-02T12:05:00"),
                  (30, 50, "2024-10-02T14:05:00"), (40, 50, "2024-10-02T14:10:00")])
    z = zone_of(patrol_coverage(walk, square_zone(), period=DAY))
    assert z.minutes == pytest.approx(10.0)
    assert z.visits == 2
    z = zone_of(patrol_coverage(walk, square_zone(), period=DAY, max_ping_gap_min=180))
    assert z.minutes == pytest.approx(130.0)


# --- the engine, options, and adversarial cases of the street-coverage rules ------------------

def test_engine_builds_once_and_answers_like_patrol_coverage() -> None:
    from geo.coverage import CoverageEngine, CoverageOptions

    walks = pd.concat([timed_walk(line_xy(-20, 30, 120, 70), step_s=2.0),
                       timed_walk(line_xy(10, 0, 60, 100), "2024-09-25T20:00:00", 3.0)],
                      ignore_index=True)
    week = make_period("2024-09-30", "2024-10-06")
    before = make_period("2024-09-23", "2024-09-29")
    options = CoverageOptions(reach_m=20.0, max_ping_gap_min=5.0)
    engine = CoverageEngine.from_tracks(walks, square_zone(), options=options)
    for period, baseline in ((week, before), (before, None), (DAY, week)):
        assert engine.coverage(period, baseline=baseline) == patrol_coverage(
            walks, square_zone(), period=period, baseline=baseline, reach_m=20.0,
            max_ping_gap_min=5.0)
        assert engine.zone_minutes(period) == {
            1: zone_of(engine.coverage(period)).minutes}
    assert zone_of(engine.coverage(before)).minutes > 0
    assert zone_of(engine.coverage(DAY)).minutes > 0
    with pytest.raises(ValidationFailed, match="reach_m"):
        CoverageOptions(reach_m=0)


def test_long_segment_arriving_from_outside_the_grid_covers_exactly() -> None:
    # 30 s pings: the walk's one segment starts 60 m east of the zone (outside its grid) and
    # ends 10 m from it; all of it within 50 m of the zone counts.
    for xy in (np.array([[160.0, 50.0], [110.0, 50.0]]),
               np.array([[170.0, -40.0], [130.0, 20.0], [180.0, 160.0]])):
        z = zone_of(patrol_coverage(timed_walk(xy, step_s=30.0), square_zone(), period=DAY))
        assert z.coverage_pct == pytest.approx(exact_pct(xy, square_zone().geometry.iloc[0],
                                                         50.0), abs=0.05)


def test_band_edge_cuts_the_coverage_at_18() -> None:
    # 10 m every 30 s along y = 50 over a 200 m square, 17:55 → 18:05: x 0–100 is day,
    # 100–200 evening.
    xy = line_xy(0, 50, 200, 50, step_m=10.0)
    zone = square_zone(200.0)
    z = zone_of(patrol_coverage(timed_walk(xy, "2024-10-02T17:55:00", 30.0), zone, period=DAY))
    poly = zone.geometry.iloc[0]
    assert band(z, "dag", "alla").coverage_pct == pytest.approx(
        exact_pct(line_xy(0, 50, 100, 50), poly, 50.0), abs=0.05)
    assert band(z, "kvall", "alla").coverage_pct == pytest.approx(
        exact_pct(line_xy(100, 50, 200, 50), poly, 50.0), abs=0.05)
    assert z.coverage_pct == pytest.approx(exact_pct(xy, poly, 50.0), abs=0.05)
    assert band(z, "dag", "alla").minutes == pytest.approx(5.0)


def test_aligned_tracks_on_cell_edges_and_the_period_end_are_exact() -> None:
    # Two walks exactly on cell boundaries (x = 25, y = 75 with 2.5 m cells), the second
    # crossing the period's end at midnight: only its part before midnight counts.
    xy1 = line_xy(25, -30, 25, 130, step_m=2.5)
    xy2 = line_xy(-30, 75, 130, 75, step_m=2.5)
    walks = pd.concat([timed_walk(xy1, "2024-10-02T12:00:00"),
                       timed_walk(xy2, "2024-10-02T23:59:20", 1.0)], ignore_index=True)
    z = zone_of(patrol_coverage(walks, square_zone(), period=DAY, reach_m=10.0))
    until_midnight = xy2[:41]  # 40 s of the second walk, 2.5 m a second: to x = 70
    both = shapely.union(shapely.buffer(shapely.LineString(xy1 + [E0, N0]), 10, quad_segs=1024),
                         shapely.buffer(shapely.LineString(until_midnight + [E0, N0]), 10,
                                        quad_segs=1024))
    poly = square_zone().geometry.iloc[0]
    expected = 100 * shapely.intersection(both, poly).area / poly.area
    assert z.coverage_pct == pytest.approx(expected, abs=0.05)


def test_clock_change_walk_covers_in_the_night_band_exactly() -> None:
    wall = list(pd.date_range("2024-10-27 01:50", "2024-10-27 02:59:50", freq="10s"))
    wall += list(pd.date_range("2024-10-27 02:00", "2024-10-27 03:10", freq="10s"))
    x = np.linspace(-20, 60, len(wall))
    walk = track([(float(xi), 20.0, w.strftime("%Y-%m-%dT%H:%M:%S"))
                  for xi, w in zip(x, wall, strict=True)])
    z = zone_of(patrol_coverage(walk, square_zone(), period=make_period("2024-10-27",
                                                                        "2024-10-27"),
                                reach_m=10.0))
    expected = exact_pct(np.column_stack([x, np.full(len(x), 20.0)]),
                         square_zone().geometry.iloc[0], 10.0)
    assert band(z, "natt", "alla").coverage_pct == pytest.approx(expected, abs=0.05)
    assert band(z, "alla", "helg").coverage_pct == pytest.approx(expected, abs=0.05)
    assert band(z, "dag", "alla").coverage_pct == 0.0
    assert band(z, "natt", "helg").minutes == pytest.approx(140.0 * 60 / 80, abs=0.01)  # x ≥ 0
    assert z.coverage_pct == pytest.approx(expected, abs=0.05)
