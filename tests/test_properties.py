"""Property-based tests (hypothesis) of the geometry functions: patrol coverage, traffic-check
coverage, siting (demand, candidates, snapping, the optimiser, suggestions), the weekly plan and
the hot-spot grid never crash on valid random input, and their results keep the invariants that
must hold whatever the input: shares within 0–100 %, presence no longer than the tracks' own time
in the period, the same minutes for a finer sampling of the same walk, the MIP at least as good as
greedy and equal to brute force on tiny instances, spacing and fixed sites respected, caps and
available hours respected, every placed point counted once.

Inputs are in EPSG:3006 near Timrå (x 610 000–630 000, y 6 920 000–6 940 000)."""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from geo.road_check_coverage import check_coverage
from geo.coverage import patrol_coverage
from geo.crs import WORK_CRS
from geo.errors import ValidationFailed
from geo.grid import parse_cell_ids
from geo.hotspots import HotspotOptions, grid_counts, hotspot_analysis, period_labels
from geo.vocabulary import TREND_SV
from geo.layers import RISK_CATEGORIES
from geo.periods import LOCAL_TZ
from geo.mclp import SolverOptions, Spacing, spacing_cliques, spacing_pairs
from geo.periods import Period, make_period
from geo.schedule import week_start, weekly_plan
from geo.siting import (
    RotationOptions, SitingOptions, coverage_matrix, covered_weight, demand_pieces,
    generated_candidates, max_coverage, snap_to_roads, suggest_sites,
)

E0, N0 = 617_000.0, 6_929_000.0  # central Timrå in SWEREF 99 TM
XMIN, XMAX, YMIN, YMAX = 610_000.0, 630_000.0, 6_920_000.0, 6_940_000.0
EPS = 1e-6

# TRYGG_PROPERTY_SCALE=20 multiplies every example count (a deeper hunt than `make test`).
SCALE = max(1, int(os.environ.get("TRYGG_PROPERTY_SCALE", "1")))


def examples(n: int) -> int:
    return n * SCALE


FAST = settings(max_examples=examples(40), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MEDIUM = settings(max_examples=examples(60), deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
CHEAP = settings(max_examples=examples(100), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


# --- shared strategies --------------------------------------------------------------------------

# Periods of 1–3 local days, some across the DST changes of 2024 (31 March, 27 October).
PERIOD_STARTS = [date(2024, 10, 1), date(2024, 10, 26), date(2024, 3, 30), date(2024, 6, 15),
                 date(2024, 12, 31)]


@st.composite
def periods(draw) -> Period:
    first = draw(st.sampled_from(PERIOD_STARTS))
    days = draw(st.integers(1, 3))
    return make_period(first, first + timedelta(days=days - 1))


def _utc_text(t: float) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").isoformat()


def _local_text(t: float) -> str:
    return pd.Timestamp(t, unit="s", tz="UTC").tz_convert(LOCAL_TZ).tz_localize(None).isoformat()


@st.composite
def zone_geometries(draw) -> shapely.Geometry:
    """A valid polygon or multipolygon of 10–400 m near the centre."""
    kind = draw(st.sampled_from(["box", "rotated", "multi", "ring", "triangle"]))
    x = E0 + draw(st.integers(-300, 300))
    y = N0 + draw(st.integers(-300, 300))
    w = draw(st.integers(10, 400))
    h = draw(st.integers(10, 400))
    box = shapely.box(x, y, x + w, y + h)
    if kind == "rotated":
        return shapely.affinity.rotate(box, draw(st.integers(1, 89)), origin="centroid")
    if kind == "multi":
        gap = draw(st.integers(1, 300))
        other = shapely.box(x + w + gap, y, x + 2 * w + gap, y + h)
        return shapely.MultiPolygon([box, other])
    if kind == "ring" and w > 30 and h > 30:
        return box.difference(shapely.box(x + 10, y + 10, x + w - 10, y + h - 10))
    if kind == "triangle":
        return shapely.Polygon([(x, y), (x + w, y), (x + w / 2, y + h)])
    return box


def zones_frame(geoms: list[shapely.Geometry], hours: list[str] | None = None
                ) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"name": [f"Zon {i}" for i in range(n)], "priority": [1 + i % 9 for i in range(n)],
         "target_minutes_per_week": [float(30 * i) for i in range(n)],
         "active_hours": hours or ["0-24"] * n},
        geometry=list(geoms), crs=WORK_CRS, index=pd.Index(range(1, n + 1), name="id"))


@st.composite
def zone_frames(draw, min_size: int = 1) -> gpd.GeoDataFrame:
    """1–3 zones; the second may touch or overlap the first."""
    first = draw(zone_geometries())
    geoms = [first]
    for _ in range(draw(st.integers(min_size - 1, 2))):
        how = draw(st.sampled_from(["free", "touching", "overlapping", "same"]))
        minx, miny, maxx, maxy = first.bounds
        if how == "touching":
            geoms.append(shapely.box(maxx, miny, maxx + 50, maxy))
        elif how == "overlapping":
            geoms.append(shapely.affinity.translate(first, (maxx - minx) / 2, 5))
        elif how == "same":
            geoms.append(first)
        else:
            geoms.append(draw(zone_geometries()))
    hours = [draw(st.sampled_from(["0-24", "6-22", "22-6", "8-12,14-18", "10-2"]))
             for _ in geoms]
    return zones_frame(geoms, hours)


@st.composite
def track_specs(draw, period: Period, *, timed_only: bool = False) -> dict:
    """One track: vertices (x, y), one time per vertex (epoch seconds, never going backwards)
    and how the times are given."""
    kind = draw(st.sampled_from(["line", "line", "line", "point", "untimed", "mismatch",
                                 "multiline", "multipoint", "partial"]
                                if not timed_only else ["line", "point", "multipoint"]))
    n = 1 if kind == "point" else draw(st.integers(2, 8))
    far = draw(st.integers(0, 5)) == 0  # entirely outside every zone
    if far:
        x = draw(st.floats(XMIN, XMAX - 5000))
        y = draw(st.floats(YMIN, N0 - 3000))
    else:
        x = E0 + draw(st.integers(-600, 800))
        y = N0 + draw(st.integers(-600, 800))
    t = period.start_s + draw(st.integers(-3 * 3600, int(period.end_s - period.start_s)))
    xs, ys, ts = [x], [y], [float(t)]
    for _ in range(n - 1):
        step = draw(st.sampled_from(["still", "walk", "walk", "jump"]))
        dx, dy = (0, 0) if step == "still" else (
            draw(st.integers(-150, 150)), draw(st.integers(-150, 150)))
        if step == "jump":
            dx, dy = dx * 5, dy * 5
        dt = draw(st.sampled_from([0, 1, 5, 30, 60, 100, 600, 1800]))  # 0: zero duration
        xs.append(xs[-1] + dx)
        ys.append(ys[-1] + dy)
        ts.append(ts[-1] + dt)
    local = draw(st.booleans())
    return {"kind": kind, "x": xs, "y": ys, "t": ts, "local": local,
            "unit": draw(st.sampled_from(["Lag 1", "Lag 2", "", None]))}


def tracks_frame(specs: list[dict]) -> gpd.GeoDataFrame:
    geoms, times, starts = [], [], []
    for s in specs:
        coords = list(zip(s["x"], s["y"], strict=True))
        fmt = _local_text if s["local"] else _utc_text
        texts = [fmt(t) for t in s["t"]]
        if s["kind"] == "point":
            geoms.append(shapely.Point(coords[0]))
        elif s["kind"] == "multipoint":  # a sequence of pings
            geoms.append(shapely.MultiPoint(coords))
        elif s["kind"] == "multiline" and len(coords) >= 4:
            half = len(coords) // 2
            geoms.append(shapely.MultiLineString([coords[:half], coords[half:]]))
        else:
            geoms.append(shapely.LineString(coords))
        if s["kind"] == "untimed":
            times.append(None)
            starts.append(_utc_text(s["t"][0]))
        elif s["kind"] == "partial":  # some vertices without a time
            times.append([None if i % 3 == 1 else text for i, text in enumerate(texts)])
            starts.append(None)
        elif s["kind"] == "mismatch":
            times.append(texts[:-1])  # one time fewer than vertices: no per-vertex time
            starts.append(None)
        else:
            times.append(texts)
            starts.append(None)
    return gpd.GeoDataFrame({"unit": [s["unit"] for s in specs], "kind": "fot",
                             "start": starts, "end": [None] * len(specs), "times": times},
                            geometry=geoms, crs=WORK_CRS)


def timed_seconds_in_period(spec: dict, period: Period) -> float:
    """The track's own timed duration inside the period: an upper bound of its presence in any
    one zone."""
    if spec["kind"] in ("untimed", "mismatch") or len(spec["t"]) < 2:
        return 0.0
    t = np.asarray(spec["t"], float)
    if spec["local"]:  # naive local text: a time in the repeated autumn hour is unreadable
        back = [pd.Timestamp(_local_text(v)).tz_localize(LOCAL_TZ, ambiguous="NaT")
                for v in t]
        t = np.array([np.nan if pd.isna(b) else b.timestamp() for b in back])
    if spec["kind"] == "partial":
        t[1::3] = np.nan
    part = np.zeros(len(t), dtype=int)
    if spec["kind"] == "multiline" and len(t) >= 4:
        part[len(t) // 2:] = 1  # no segment between the two parts
    # An unreadable time is dropped and the pings on either side are joined (the rule of
    # geo.tracks), so segments run between consecutive readable times of one part.
    readable = np.isfinite(t)
    t, part = t[readable], part[readable]
    a, b = t[:-1], t[1:]
    ok = (part[:-1] == part[1:]) & (b >= a)
    lo = np.maximum(a[ok], period.start_s)
    hi = np.minimum(b[ok], period.end_s)
    return float(np.clip(hi - lo, 0, None).sum())


def _pct_ok(value: float | None) -> bool:
    return value is None or -EPS <= value <= 100.0 + EPS


# --- patrol coverage ----------------------------------------------------------------------------

@st.composite
def coverage_cases(draw, timed_only: bool = False):
    period = draw(periods())
    zones = draw(zone_frames())
    specs = draw(st.lists(track_specs(period, timed_only=timed_only), min_size=0, max_size=4))
    return period, zones, specs


@FAST
@given(case=coverage_cases(), reach_m=st.sampled_from([5.0, 25.0, 50.0]),
       cell_m=st.sampled_from([2.5, 5.0]), gap=st.sampled_from([0.0, 15.0]),
       with_streets=st.booleans())
def test_patrol_coverage_invariants(case, reach_m, cell_m, gap, with_streets) -> None:
    period, zones, specs = case
    tracks = tracks_frame(specs)
    streets = None
    if with_streets:
        streets = gpd.GeoDataFrame(geometry=[shapely.LineString([(E0 - 500, N0 + 100),
                                                                 (E0 + 900, N0 + 150)])],
                                   crs=WORK_CRS)
    r = patrol_coverage(tracks, zones, period=period, reach_m=reach_m, cell_m=cell_m,
                        visit_gap_min=gap, streets=streets)
    period_min = (period.end_s - period.start_s) / 60.0
    own = [timed_seconds_in_period(s, period) / 60.0 for s in specs]
    assert len(r.zones) == len(zones)
    assert 0 <= r.tracks_without_times <= r.tracks_in_period <= len(specs)
    for z in r.zones:
        assert 0.0 <= z.minutes <= period_min * len(specs) + 0.01
        assert z.minutes <= sum(own) + 0.01 + 1e-9 * sum(own)
        assert z.visits >= 0 and z.dosage.long_visits <= z.visits
        assert _pct_ok(z.coverage_pct)
        assert z.target_pct is None or z.target_pct >= 0
        assert all(_pct_ok(b.coverage_pct) for b in z.bands)
        assert all(b.minutes >= 0 and b.visits >= 0 for b in z.bands)
        # The bands, the day types, the weeks and the teams each split the minutes.
        by = {(b.band, b.daytype): b for b in z.bands}
        tol = 0.02 * 6
        assert sum(by[(n, "alla")].minutes for n in ("dag", "kvall", "natt")) == \
            pytest.approx(z.minutes, abs=tol)
        assert by[("alla", "vardag")].minutes + by[("alla", "helg")].minutes == \
            pytest.approx(z.minutes, abs=tol)
        assert sum(w.minutes for w in z.weeks) == pytest.approx(z.minutes, abs=tol)
        assert sum(w.days_in_period for w in z.weeks) == period.days
        assert sum(t.minutes for t in z.teams) == pytest.approx(z.minutes, abs=tol)
        assert sum(by[(n, "alla")].visits for n in ("dag", "kvall", "natt")) == z.visits
        assert sum(w.visits for w in z.weeks) == z.visits
        assert all(t.visits <= max(z.visits, 1) * len(specs) for t in z.teams)
        assert 0 <= z.longest_gap_h <= period_min / 60 + 0.01
        d = z.dosage
        assert 0 <= d.dosed_h <= d.active_h + 0.01 and _pct_ok(d.dosed_pct)
        assert d.active_h <= period_min / 60 + 0.01
        assert _pct_ok(d.long_visit_pct)
        if z.visits == 0:
            assert z.longest_gap_h == pytest.approx(d.active_h, abs=0.01)  # active hours only


def _resampled(spec: dict, factor: int) -> dict:
    """The same polyline with ``factor - 1`` interpolated vertices in every segment."""
    x, y, t = (np.asarray(spec[k], float) for k in ("x", "y", "t"))
    if len(x) < 2:
        return spec
    f = np.arange(factor) / factor
    xs = np.r_[(x[:-1, None] + f * (x[1:] - x[:-1])[:, None]).ravel(), x[-1]]
    ys = np.r_[(y[:-1, None] + f * (y[1:] - y[:-1])[:, None]).ravel(), y[-1]]
    ts = np.r_[(t[:-1, None] + f * (t[1:] - t[:-1])[:, None]).ravel(), t[-1]]
    return {**spec, "x": xs.tolist(), "y": ys.tolist(), "t": ts.tolist(), "local": False}


@FAST
@given(case=coverage_cases(timed_only=True), factor=st.integers(2, 7))
def test_finer_sampling_of_the_same_walk_gives_the_same_minutes(case, factor) -> None:
    period, zones, specs = case
    specs = [{**s, "local": False} for s in specs]
    # No gap rule here: resampling would turn a long silence into walked pings.
    coarse = patrol_coverage(tracks_frame(specs), zones, period=period, cell_m=5.0,
                             max_ping_gap_min=1440)
    fine = patrol_coverage(tracks_frame([_resampled(s, factor) for s in specs]), zones,
                           period=period, cell_m=5.0, max_ping_gap_min=1440)
    for a, b in zip(coarse.zones, fine.zones, strict=True):
        assert b.minutes == pytest.approx(a.minutes, abs=0.02)
        for ta, tb in zip(a.teams, b.teams, strict=True):
            assert tb.minutes == pytest.approx(ta.minutes, abs=0.02)


@FAST
@given(period=periods(), data=st.data())
def test_zone_inclusion_and_split(period, data) -> None:
    """A zone inside another has no more minutes; two halves of a box add up to the box (their
    shared edge has no area, a track along it counts in both)."""
    x = E0 + data.draw(st.integers(-100, 100))
    y = N0 + data.draw(st.integers(-100, 100))
    w, h = data.draw(st.integers(20, 300)), data.draw(st.integers(20, 300))
    cut = data.draw(st.integers(1, w - 1))
    whole = shapely.box(x, y, x + w, y + h)
    left, right = shapely.box(x, y, x + cut, y + h), shapely.box(x + cut, y, x + w, y + h)
    inner = shapely.box(x + 5, y + 5, x + w - 5, y + h - 5) if w > 10 and h > 10 else left
    specs = data.draw(st.lists(track_specs(period, timed_only=True), max_size=3))
    r = patrol_coverage(tracks_frame(specs), zones_frame([whole, left, right, inner]),
                        period=period, cell_m=5.0)
    m = [z.minutes for z in r.zones]
    assert m[1] <= m[0] + 0.02 and m[2] <= m[0] + 0.02 and m[3] <= m[0] + 0.02
    assert m[1] + m[2] >= m[0] - 0.03
    c = [z.coverage_pct for z in r.zones]
    assert all(0 <= p <= 100 for p in c)


@settings(max_examples=examples(15), deadline=None)
@given(period=periods(), zones=zone_frames())
def test_empty_inputs(period, zones) -> None:
    empty = gpd.GeoDataFrame({"unit": [], "kind": [], "start": [], "end": [], "times": []},
                             geometry=[], crs=WORK_CRS)
    r = patrol_coverage(empty, zones, period=period)
    assert r.tracks_in_period == 0 and len(r.zones) == len(zones)
    for z in r.zones:
        assert (z.minutes, z.visits, z.coverage_pct) == (0, 0, 0)
        assert z.longest_gap_h == pytest.approx(z.dosage.active_h, abs=0.01)  # active hours
    no_zones = patrol_coverage(empty, zones.iloc[:0], period=period)
    assert no_zones.zones == []


@settings(max_examples=examples(15), deadline=None)
@given(period=periods(), zones=zone_frames(),
       specs=st.data())
def test_tracks_outside_every_zone_give_nothing(period, zones, specs) -> None:
    drawn = specs.draw(st.lists(track_specs(period), min_size=1, max_size=3))
    far = [{**s, "x": [v - E0 + XMIN + 100 for v in s["x"]],
            "y": [v - N0 + YMIN + 1000 for v in s["y"]]} for s in drawn]
    r = patrol_coverage(tracks_frame(far), zones, period=period)
    for z in r.zones:
        assert (z.minutes, z.visits, z.coverage_pct) == (0, 0, 0)


# --- traffic-check coverage ---------------------------------------------------------------------

@st.composite
def road_frames(draw, min_size: int = 1, max_size: int = 4) -> gpd.GeoDataFrame:
    n = draw(st.integers(min_size, max_size))
    geoms, weights, cats = [], [], []
    for _ in range(n):
        k = draw(st.integers(2, 5))
        x, y = E0 + draw(st.integers(-4000, 4000)), N0 + draw(st.integers(-4000, 4000))
        pts = [(x, y)]
        for _ in range(k - 1):
            pts.append((pts[-1][0] + draw(st.integers(-1500, 1500)),
                        pts[-1][1] + draw(st.integers(-1500, 1500))))
        line = shapely.LineString(pts)
        assume(line.length > 0)
        if draw(st.integers(0, 4)) == 0:  # a road in two pieces
            other = shapely.affinity.translate(line, draw(st.integers(100, 3000)), 0)
            line = shapely.MultiLineString([line, other])
        geoms.append(line)
        weights.append(draw(st.sampled_from([0.0, 0.5, 1.0, 3.0, 10.0, None])))
        cats.append(draw(st.lists(st.sampled_from(RISK_CATEGORIES), max_size=2, unique=True)))
    return gpd.GeoDataFrame(
        {"name": [f"Väg {i}" for i in range(n)], "risk_weight": weights,
         "risk_categories": cats, "schematic": False},
        geometry=geoms, crs=WORK_CRS, index=pd.Index(range(1, n + 1), name="id"))


@st.composite
def check_frames(draw, period: Period) -> gpd.GeoDataFrame:
    n = draw(st.integers(0, 8))
    rows = []
    for _ in range(n):
        when = draw(st.sampled_from(["in", "in", "before", "after", "none"]))
        if when == "none":
            start = pd.NaT
        else:
            t = {"in": draw(st.floats(period.start_s, period.end_s - 1)),
                 "before": period.start_s - draw(st.floats(1, 1e7)),
                 "after": period.end_s + draw(st.floats(0, 1e7))}[when]
            start = pd.Timestamp(t, unit="s", tz="UTC")
        rows.append({
            "status": draw(st.sampled_from(["genomford", "genomford", "planerad"])),
            "start": start,
            "precision_m": draw(st.sampled_from([None, 10.0, 1000.0, 5000.0, 43_000.0])),
            "checked": draw(st.one_of(st.none(), st.integers(0, 50))),
            "breath_tests": draw(st.one_of(st.none(), st.integers(0, 50))),
            "suspected_dui": draw(st.one_of(st.none(), st.integers(0, 3))),
            "speeding": draw(st.one_of(st.none(), st.integers(0, 10))),
            "geometry": shapely.Point(E0 + draw(st.floats(-6000, 6000)),
                                      N0 + draw(st.floats(-6000, 6000))),
        })
    columns = ["status", "start", "precision_m", "checked", "breath_tests", "suspected_dui",
               "speeding"]
    frame = pd.DataFrame(rows, columns=columns + ["geometry"])
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    for c in ("precision_m", "checked", "breath_tests", "suspected_dui", "speeding"):
        frame[c] = frame[c].astype(object)
    return gpd.GeoDataFrame(frame[columns], geometry=list(frame["geometry"]), crs=WORK_CRS,
                            index=pd.Index(range(100, 100 + n), name="id"))


@MEDIUM
@given(period=periods(), roads=road_frames(), data=st.data(),
       radius_m=st.sampled_from([1.0, 250.0, 1000.0, 5000.0]))
def test_check_coverage_invariants(period, roads, data, radius_m) -> None:
    checks = data.draw(check_frames(period))
    r = check_coverage(checks, roads, period=period, radius_m=radius_m)
    assert r.checks_at_risk_places + r.checks_elsewhere + r.checks_place_unknown == \
        r.checks_performed
    assert r.checks_performed <= len(checks)
    assert r.checks_without_date <= int((checks["status"] == "genomford").sum())
    assert _pct_ok(r.weighted_covered_pct)
    assert len(r.roads) == len(roads)
    for road in r.roads:
        assert 0 <= road.covered_m <= road.length_m + 0.1
        assert 0 <= road.covered_pct <= 100 + EPS
        assert road.checks <= r.checks_at_risk_places
        assert road.checks == len(road.check_ids)
        assert set(road.check_ids) <= set(checks.index)
        if road.checks == 0:
            assert road.covered_m <= 0.1 and road.days_since_last is None
        else:
            assert 0 <= road.days_since_last <= period.days - 1
        for name, s in road.results.items():
            assert 0 <= s.unknown <= road.checks and s.total >= 0
            known = checks.loc[road.check_ids, name].dropna()
            assert s.total == int(known.sum()) and s.unknown == road.checks - len(known)
    for c in r.categories:
        assert _pct_ok(c.covered_pct) and c.roads <= len(roads)
    weights = pd.to_numeric(roads["risk_weight"]).fillna(1.0)
    if (weights * roads.length).sum() <= 0:
        assert r.weighted_covered_pct is None


# --- siting -------------------------------------------------------------------------------------

def _siting_roads(draw, *, max_size: int = 3, span: int = 3000) -> gpd.GeoDataFrame:
    n = draw(st.integers(1, max_size))
    geoms, weights, cats = [], [], []
    for _ in range(n):
        x, y = E0 + draw(st.integers(-span, span)), N0 + draw(st.integers(-span, span))
        pts = [(x, y)]
        for _ in range(draw(st.integers(1, 3))):
            pts.append((pts[-1][0] + draw(st.integers(-1500, 1500)),
                        pts[-1][1] + draw(st.integers(-1500, 1500))))
        geoms.append(shapely.LineString(pts))
        weights.append(draw(st.sampled_from([0.0, 1.0, 2.5, 10.0])))
        cats.append(draw(st.lists(st.sampled_from(RISK_CATEGORIES), min_size=1, max_size=2,
                                  unique=True)))
    return gpd.GeoDataFrame(
        {"name": [f"Väg {i}" for i in range(n)], "road_ref": [f"R{i}" for i in range(n)],
         "risk_weight": weights, "risk_categories": cats, "schematic": False},
        geometry=geoms, crs=WORK_CRS, index=pd.Index(range(1, n + 1), name="id"))


siting_roads = st.composite(_siting_roads)


@CHEAP
@given(roads=siting_roads(max_size=4), piece_m=st.sampled_from([7.0, 100.0, 333.0, 5000.0]),
       cats=st.lists(st.sampled_from(RISK_CATEGORIES), max_size=2, unique=True))
def test_demand_pieces_cut_every_road_into_short_weighted_pieces(roads, piece_m, cats) -> None:
    pieces = demand_pieces(roads, categories=cats, piece_m=piece_m)
    assert (pieces["length_m"] <= piece_m + 1e-6).all()
    assert (pieces["weight"] >= 0).all()
    wanted = [i for i, c in zip(roads.index, roads["risk_categories"], strict=True)
              if not cats or set(c) & set(cats)]
    assert set(pieces["road_id"]) == {i for i in wanted if roads.length[i] > 0}
    for road_id, group in pieces.groupby("road_id"):
        road = roads.loc[road_id]
        assert group["length_m"].sum() == pytest.approx(road.geometry.length, rel=1e-9)
        assert group["weight"].sum() == pytest.approx(
            road["risk_weight"] * road.geometry.length / 1000, rel=1e-9, abs=1e-12)
        assert (shapely.distance(np.asarray(group.geometry.values), road.geometry) < 1e-6).all()


@CHEAP
@given(roads=siting_roads(max_size=4), step_m=st.sampled_from([1.0, 250.0, 500.0, 9000.0]))
def test_generated_candidates_lie_on_the_roads_at_most_step_apart(roads, step_m) -> None:
    cands = generated_candidates(roads, step_m=step_m)
    keys = shapely.to_wkb(np.asarray(cands.geometry.values))
    assert len(set(keys)) == len(cands)
    for road_id, road in roads.iterrows():
        line = road.geometry
        mine = cands[cands["road_id"] == road_id]
        if line.length == 0:  # a degenerate road gives no candidates
            assert len(mine) == 0
            continue
        pts = np.asarray(mine.geometry.values)
        on_any = shapely.distance(np.asarray(cands.geometry.values), line) < 1e-6
        assert on_any.sum() >= len(mine) and (shapely.distance(pts, line) < 1e-6).all()
        # Both ends are candidates (possibly from another road that shares the point).
        for end in (shapely.get_point(line, 0), shapely.get_point(line, -1)):
            assert shapely.distance(np.asarray(cands.geometry.values), end).min() < 1e-6
        # Consecutive candidates are at most step_m apart along a simple road (a point two
        # roads share is kept once, under either road).
        on_line = np.asarray(cands.geometry.values)[on_any]
        along = np.sort(shapely.line_locate_point(line, on_line))
        if len(along) > 1 and line.is_simple:
            assert np.diff(along).max() <= step_m + 1e-6


@CHEAP
@given(roads=st.one_of(siting_roads(max_size=4), road_frames()), dx=st.floats(-6000, 6000),
       dy=st.floats(-6000, 6000),
       max_d=st.sampled_from([1.0, 100.0, 2500.0]))
def test_snap_to_roads_moves_to_the_nearest_road_or_refuses(roads, dx, dy, max_d) -> None:
    point = shapely.Point(E0 + dx, N0 + dy)
    nearest = float(shapely.distance(np.asarray(roads.geometry.values), point).min())
    try:
        s = snap_to_roads(point, roads, max_distance_m=max_d)
    except ValidationFailed:
        assert nearest > max_d - 1e-6
        return
    assert nearest <= max_d + 1e-6
    assert s.distance_m == pytest.approx(nearest, abs=1e-6)
    assert s.point.distance(point) == pytest.approx(nearest, abs=1e-6)
    assert s.point.distance(roads.geometry[s.road_id]) < 1e-6
    assert roads.geometry[s.road_id].distance(point) == pytest.approx(nearest, abs=1e-6)
    assert s.road_name == roads.loc[s.road_id, "name"]


def test_snap_to_a_two_part_road_lands_on_the_nearest_part() -> None:
    """Found by the property above: locating then interpolating along a MultiLineString put the
    point on the end of the first part, 90 m away, instead of the second part 14 m away."""
    road = shapely.MultiLineString([[(E0, N0), (E0 + 100, N0)], [(E0 + 200, N0), (E0 + 300, N0)]])
    roads = gpd.GeoDataFrame({"name": ["Väg"]}, geometry=[road], crs=WORK_CRS)
    point = shapely.Point(E0 + 190, N0 + 10)
    s = snap_to_roads(point, roads)
    assert (s.point.x, s.point.y) == pytest.approx((E0 + 200, N0))
    assert s.point.distance(point) == pytest.approx(s.distance_m)


@st.composite
def small_instances(draw):
    n_cand = draw(st.integers(1, 8))
    n_dem = draw(st.integers(0, 15))
    coord = st.one_of(st.integers(0, 3000), st.sampled_from([0, 300, 400, 1000]))  # ties
    cands = np.array([[draw(coord), draw(coord)] for _ in range(n_cand)], float)
    demand = np.array([[draw(coord), draw(coord)] for _ in range(n_dem)], float).reshape(-1, 2)
    weights = np.array([draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 7.0])) for _ in range(n_dem)])
    k = draw(st.integers(1, 4))
    fixed = draw(st.lists(st.integers(0, n_cand - 1), max_size=min(k, 2), unique=True))
    excluded = draw(st.lists(st.integers(0, n_cand - 1).filter(lambda j: j not in fixed),
                             max_size=2, unique=True))
    spacing = draw(st.sampled_from([0.0, 500.0, 1500.0]))
    radius = draw(st.sampled_from([1.0, 400.0, 900.0]))
    penalise = draw(st.booleans())
    return cands, demand, weights, k, fixed, excluded, spacing, radius, penalise


def _brute_force(cover, weights, *, k, fixed, excluded, pairs, penalty):
    n_cand = cover.shape[1]
    close = {tuple(p) for p in pairs.tolist()}
    free = [j for j in range(n_cand) if j not in fixed and j not in excluded]
    best_obj, best_cov = -math.inf, -math.inf
    for size in range(0, k - len(fixed) + 1):
        for extra in itertools.combinations(free, size):
            combo = sorted(set(fixed) | set(extra))
            if any((a, b) in close for a, b in itertools.combinations(combo, 2)):
                continue
            cov = covered_weight(cover, weights, combo)
            obj = cov - float(penalty[list(extra)].sum())
            if obj > best_obj + 1e-9:
                best_obj, best_cov = obj, cov
            elif abs(obj - best_obj) <= 1e-9:
                best_cov = max(best_cov, cov)
    return best_obj, best_cov


@settings(max_examples=examples(100), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=small_instances())
def test_mip_equals_brute_force_and_beats_greedy(case) -> None:
    cands, demand, weights, k, fixed, excluded, spacing, radius, penalise = case
    cover = coverage_matrix(demand, cands, radius_m=radius)
    solo = np.asarray(cover.T @ weights).ravel()
    penalty = 0.5 * solo if penalise else np.zeros(len(cands))
    if penalise:
        penalty[fixed] = 0.0
    pairs = spacing_pairs(cands, spacing)
    cliques = spacing_cliques(cands, spacing, demand if len(demand) else None)
    fixed_close = any(a in fixed and b in fixed for a, b in pairs.tolist())
    kwargs = dict(k=k, fixed=fixed, excluded=excluded, penalty=penalty)
    spaced = Spacing(pairs=pairs, cliques=tuple(cliques))
    if fixed_close:
        with pytest.raises(ValidationFailed, match="närmare varandra än minsta avståndet"):
            max_coverage(cover, weights, **kwargs, spacing=spaced)
        return
    mip = max_coverage(cover, weights, **kwargs, spacing=spaced)
    greedy = max_coverage(cover, weights, **kwargs, spacing=Spacing(pairs=pairs),
                          solver=SolverOptions(method="greedy"))
    total = float(weights.sum())
    close = {tuple(p) for p in pairs.tolist()}
    for sol in (mip, greedy):
        chosen = [int(j) for j in sol.chosen]
        assert len(chosen) <= k and len(set(chosen)) == len(chosen)
        assert set(fixed) <= set(chosen) and not set(excluded) & set(chosen)
        assert not any((a, b) in close for a, b in itertools.combinations(sorted(chosen), 2))
        assert -EPS <= sol.covered_weight <= total + EPS
        assert sol.covered_weight == pytest.approx(covered_weight(cover, weights, chosen))
        extra = [j for j in chosen if j not in fixed]
        assert sol.objective == pytest.approx(sol.covered_weight - penalty[extra].sum())
    assert mip.method == "mip"
    best_obj, _ = _brute_force(cover, weights, k=k, fixed=fixed, excluded=excluded, pairs=pairs,
                               penalty=penalty)
    assert mip.objective == pytest.approx(best_obj, abs=1e-6)
    assert greedy.objective <= mip.objective + 1e-6
    assert greedy.upper_bound >= best_obj - 1e-6
    if not penalise:
        assert greedy.covered_weight <= mip.covered_weight + 1e-6


@st.composite
def suggest_cases(draw):
    roads = _siting_roads(draw, max_size=3, span=2500)
    k = draw(st.integers(1, 3))
    radius = draw(st.sampled_from([100.0, 600.0, 1500.0]))
    spacing = draw(st.sampled_from([0.0, 0.0, 800.0, 2000.0]))
    n_fixed = draw(st.integers(0, k))
    fixed = [shapely.Point(E0 + draw(st.integers(-3000, 3000)), N0 + draw(st.integers(-3000, 3000)))
             for _ in range(n_fixed)]
    rotation_weeks = draw(st.sampled_from([0, 0, 2]))
    rotation = draw(st.sampled_from(["exclude", "penalise"]))
    step_m = draw(st.sampled_from([250.0, 500.0, 1000.0]))
    cats = draw(st.lists(st.sampled_from(RISK_CATEGORIES), max_size=1))
    n_checks = draw(st.integers(0, 3)) if rotation_weeks else 0
    # Days 1–19 of October around as_of (the 10th): checks from the 10th on are planned, not done.
    checks = gpd.GeoDataFrame(
        {"status": "genomford",
         "start": pd.to_datetime([f"2024-10-{draw(st.integers(1, 19)):02d}T10:00:00+02:00"
                                  for _ in range(n_checks)], utc=True),
         "precision_m": [draw(st.sampled_from([None, 10.0, 5000.0])) for _ in range(n_checks)]},
        geometry=[shapely.Point(E0 + draw(st.integers(-3000, 3000)),
                                N0 + draw(st.integers(-3000, 3000))) for _ in range(n_checks)],
        crs=WORK_CRS)
    checks["precision_m"] = checks["precision_m"].astype(float)
    return roads, k, radius, spacing, fixed, rotation_weeks, rotation, step_m, checks, cats


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=suggest_cases())
def test_suggest_sites_respects_fixed_sites_spacing_rotation_and_shares(case) -> None:
    roads, k, radius, spacing, fixed, rotation_weeks, rotation, step_m, checks, cats = case
    demand = demand_pieces(roads, categories=cats)
    if demand.empty or demand["weight"].sum() <= 0:
        with pytest.raises(ValidationFailed, match="inga riskvägar med riskvikt"):
            suggest_sites(roads, SitingOptions(k=k, radius_m=radius, spacing_m=spacing,
                                               categories=cats), fixed_points=fixed)
        return
    fixed_close = any(a.distance(b) < spacing for a, b in itertools.combinations(fixed, 2))
    as_of = pd.Timestamp("2024-10-10T00:00:00Z")
    options = SitingOptions(k=k, radius_m=radius, spacing_m=spacing, step_m=step_m,
                            categories=cats)
    kwargs = dict(fixed_points=fixed, checks=checks,
                  rotation=RotationOptions(weeks=rotation_weeks, mode=rotation, as_of=as_of))
    # Rotation counts the precise checks of the 2 weeks strictly before as_of, no others.
    counted = checks[((checks["precision_m"].fillna(0) <= 1000)
                      & (checks["start"] >= as_of - pd.Timedelta(weeks=2))
                      & (checks["start"] < as_of)).to_numpy()] if len(checks) else checks
    if fixed_close:
        with pytest.raises(ValidationFailed, match="närmare varandra än minsta avståndet"):
            suggest_sites(roads, options, **kwargs)
        return
    results = {m: suggest_sites(roads, dataclasses.replace(options, method=m), **kwargs)
               for m in ("mip", "greedy")}
    for method, s in results.items():
        sites = s.sites
        assert s.method == method
        assert 1 <= len(sites) <= k or (len(sites) == 0 and not fixed)
        assert list(sites["rank"]) == list(range(1, len(sites) + 1))
        # Fixed sites come first, all of them, where they were given.
        assert list(sites["fixed"][:len(fixed)]) == [True] * len(fixed)
        assert not sites["fixed"][len(fixed):].any()
        for p, g in zip(fixed, sites.geometry.values[:len(fixed)], strict=True):
            assert p.equals(g)
        xy = shapely.get_coordinates(np.asarray(sites.geometry.values))
        for a, b in itertools.combinations(range(len(xy)), 2):
            assert np.hypot(*(xy[a] - xy[b])) >= spacing - 1e-6
        assert 0 <= s.covered_weight <= s.total_weight + 1e-9
        assert s.covered_share == pytest.approx(s.covered_weight / s.total_weight)
        assert s.total_weight == pytest.approx(demand["weight"].sum())
        assert s.n_demand == len(demand)
        assert sites["weight_assigned"].sum() == pytest.approx(s.covered_weight, abs=1e-9)
        assert sites["share_assigned"].sum() == pytest.approx(s.covered_share, abs=1e-9)
        assert (sites["weight_assigned"] <= sites["weight_covered"] + 1e-9).all()
        assert s.gap >= -1e-9 and s.upper_bound >= s.covered_weight - 1e-6 or \
            rotation == "penalise"
        if rotation_weeks:
            (note,) = [n for n in s.notes if n.startswith("Rotation: ")]
            n = len(counted)
            assert (f"{n} trafikkontroll" in note) if n else ("inga trafikkontroller" in note)
        if rotation_weeks and rotation == "exclude" and len(counted):
            free = sites[~sites["fixed"].to_numpy()]
            if len(free):
                d = shapely.distance(np.asarray(free.geometry.values)[:, None],
                                     np.asarray(counted.geometry.values)[None, :])
                assert (d > 300.0 - 1e-6).all()
    if rotation_weeks == 0 or rotation == "exclude":
        assert results["greedy"].covered_weight <= results["mip"].covered_weight + 1e-6
    if rotation_weeks and len(counted) < len(checks):
        # Checks outside the window (planned, at as_of, too old, imprecise) change nothing.
        only = suggest_sites(roads, options, **dict(kwargs, checks=counted))
        assert only.notes == results["mip"].notes
        if rotation == "exclude":  # (penalised ties may cover different weights)
            assert only.covered_weight == pytest.approx(results["mip"].covered_weight, abs=1e-6)


# --- weekly plan ----------------------------------------------------------------------------------

@st.composite
def plan_cases(draw):
    n = draw(st.integers(1, 4))
    sites = gpd.GeoDataFrame(
        {"rank": list(range(1, n + 1)), "name": [f"Plats {i}" for i in range(n)],
         "weight_covered": [draw(st.sampled_from([0.0, 0.1, 1.0, 5.0])) for _ in range(n)]},
        geometry=[shapely.Point(E0 + draw(st.integers(-5000, 5000)),
                                N0 + draw(st.integers(-5000, 5000))) for _ in range(n)],
        crs=WORK_CRS)
    shape = draw(st.sampled_from(["flat", "random", "sparse"]))
    if shape == "flat":
        profile = np.full(168, 1 / 168)
    else:
        raw = np.array(draw(st.lists(st.integers(0, 9), min_size=168, max_size=168)), float)
        if shape == "sparse":
            raw[raw < 8] = 0
        profile = raw / raw.sum() if raw.sum() else np.zeros(168)
    available = None
    if draw(st.booleans()):
        available = np.array(draw(st.lists(st.booleans(), min_size=168, max_size=168)))
    week = draw(st.sampled_from(["2024-W10", "2024-W13", "2024-W43", "2024-W44", "2025-W01",
                                 "2020-W53"]))
    return (sites, profile, available, week, draw(st.integers(0, 2**32 - 1)),
            draw(st.integers(1, 40)), draw(st.sampled_from([1, 2, 3, 4, 6, 8, 12])),
            draw(st.integers(1, 5)))


@CHEAP
@given(case=plan_cases())
def test_weekly_plan_respects_caps_and_available_hours(case) -> None:
    sites, profile, available, week, seed, n_checks, block_h, cap = case
    plan = weekly_plan(sites, profile, week=week, seed=seed, checks=n_checks, block_h=block_h,
                       max_per_site=cap, available=available)
    again = weekly_plan(sites, profile, week=week, seed=seed, checks=n_checks, block_h=block_h,
                        max_per_site=cap, available=available)
    assert plan.checks.equals(again.checks)
    n_blocks = 168 // block_h
    avail = np.ones(168, bool) if available is None else available
    block_risk = profile.reshape(n_blocks, block_h).sum(axis=1)
    block_ok = avail.reshape(n_blocks, block_h).all(axis=1) & (block_risk > 0)
    # A block whose every local hour falls in the clocks' spring gap does not happen.
    monday = week_start(week).tz_localize(None)
    hour_exists = np.array([not pd.isna((monday + pd.Timedelta(hours=h)).tz_localize(
        "Europe/Stockholm", nonexistent="NaT", ambiguous=True)) for h in range(168)])
    block_ok &= hour_exists.reshape(n_blocks, block_h).any(axis=1)
    weights = sites["weight_covered"].to_numpy()
    feasible = min(n_checks, int(block_ok.sum()), int((weights > 0).sum()) * cap)
    c = plan.checks
    assert len(c) == feasible
    assert bool(plan.notes) == (feasible < n_checks)
    assert c["start"].is_unique
    assert (c["site_rank"].value_counts() <= cap).all()
    assert set(c["site_rank"]) <= set(sites["rank"][weights > 0])
    start = week_start(week)
    hours = []
    for _, row in c.iterrows():
        h0 = int(row["block"][:2])
        day = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag",
               "söndag"].index(row["weekday"])
        b = (day * 24 + h0) // block_h
        assert block_ok[b] and row["block_risk_share"] == pytest.approx(block_risk[b])
        hours.extend(range(b * block_h, (b + 1) * block_h))
        t = pd.Timestamp(row["start"])
        assert start <= t < start + pd.Timedelta(days=7, hours=1)
        assert pd.Timestamp(row["end"]) > t
    assert plan.hours_share_planned == pytest.approx(len(c) * block_h / 168)
    assert plan.risk_share_planned == pytest.approx(profile[hours].sum())
    assert 0 <= plan.risk_share_planned <= profile.sum() + 1e-9
    if len(c):
        assert plan.comparison["planned_share"].sum() == pytest.approx(1.0)
    assert plan.comparison["risk_share"].sum() == pytest.approx(profile.sum())


# --- hot spots ------------------------------------------------------------------------------------

@st.composite
def record_frames(draw):
    n = draw(st.integers(0, 120))
    start = pd.Timestamp("2024-01-01")
    months = draw(st.integers(1, 14))
    end = start + pd.DateOffset(months=months)
    span = (end - start).total_seconds()
    cluster = draw(st.booleans())
    xs, ys, ts = [], [], []
    for _ in range(n):
        if cluster:
            xs.append(E0 + draw(st.floats(0, 600)))
            ys.append(N0 + draw(st.floats(0, 600)))
        else:
            xs.append(draw(st.floats(XMIN, XMAX)))
            ys.append(draw(st.floats(YMIN, YMAX)))
        ts.append(draw(st.floats(-0.2 * span, 1.2 * span)))
    times = (start + pd.to_timedelta(ts, unit="s")).tz_localize(
        LOCAL_TZ, ambiguous="NaT", nonexistent="shift_forward")
    frame = gpd.GeoDataFrame({"t": times}, geometry=shapely.points(np.c_[xs, ys]).tolist()
                             if n else [], crs=WORK_CRS)
    frame = frame[frame["t"].notna()]
    return frame, start, end


@MEDIUM
@given(case=record_frames(), cell_m=st.sampled_from([50.0, 250.0, 1000.0]),
       period=st.sampled_from(["month", "quarter"]))
def test_grid_counts_count_every_placed_point_once(case, cell_m, period) -> None:
    records, start, end = case
    counts = grid_counts(records, time_column="t", start=start, end=end, period=period,
                         cell_m=cell_m)
    t = pd.to_datetime(records["t"], utc=True)
    lo = start.tz_localize(LOCAL_TZ).tz_convert("UTC")
    hi = end.tz_localize(LOCAL_TZ).tz_convert("UTC")
    inside = records[((t >= lo) & (t < hi)).to_numpy()]
    assert int(counts.to_numpy().sum()) == len(inside)
    assert list(counts.columns) == period_labels(start, end, period=period)
    assert (counts.to_numpy() >= 0).all()
    if len(counts):
        size, ix, iy = parse_cell_ids(counts.index)
        assert (size == cell_m).all()
        expected = pd.Series(
            [f"{cell_m:g}:{int(np.floor(p.x / cell_m))}:{int(np.floor(p.y / cell_m))}"
             for p in inside.geometry]).value_counts()
        assert counts.sum(axis=1).sort_index().to_dict() == expected.sort_index().to_dict()


@MEDIUM
@given(case=record_frames(), cell_m=st.sampled_from([100.0, 250.0]),
       min_points=st.sampled_from([0, 10, 60]), min_periods=st.sampled_from([1, 3, 10]),
       extent=st.sampled_from([None, (E0 - 2000, N0 - 2000, E0 + 2000, N0 + 2000),
                               (XMIN, YMIN, XMAX, YMAX)]))
def test_hotspot_analysis_invariants(case, cell_m, min_points, min_periods, extent) -> None:
    records, start, end = case
    r = hotspot_analysis(records, time_column="t", start=start, end=end, extent=extent,
                         options=HotspotOptions(cell_m=cell_m, min_points=min_points,
                                                min_periods=min_periods, min_cell_count=2))
    cells = r.cells
    assert int(cells["total"].sum()) == r.records
    assert r.too_few == (r.records < min_points or len(r.periods) < min_periods)
    assert (cells["first_half"] + cells["second_half"] == cells["total"]).all()
    assert all(sum(c) == t for c, t in zip(cells["counts"], cells["total"], strict=True))
    assert all(len(c) == len(r.periods) for c in cells["counts"])
    assert (cells["ci_low"] <= cells["total"] + 1e-9).all()
    assert (cells["ci_high"] >= cells["total"] - 1e-9).all()
    assert set(cells["trend"]) <= set(TREND_SV)
    assert ((cells["mk_p"] >= 0) & (cells["mk_p"] <= 1 + 1e-12)).all()
    assert ((cells["hot_periods"] >= 0) & (cells["hot_periods"] <= len(r.periods))).all()
    if r.too_few:
        assert set(cells["trend"]) <= {"too_few"}
    else:
        assert (cells.loc[cells["total"] < 2, "trend"] == "too_few").all()


def test_the_hour_the_clocks_skip_is_never_planned() -> None:
    """Week 13 of 2024 ends on the Sunday the clocks go from 02:00 to 03:00: with one-hour
    blocks and only that hour at risk nothing is planned (the hour does not happen); the next
    hour is."""
    sites = gpd.GeoDataFrame({"rank": [1], "name": ["Plats"], "weight_covered": [1.0]},
                             geometry=[shapely.Point(E0, N0)], crs=WORK_CRS)
    sunday_2am = 6 * 24 + 2
    profile = np.zeros(168)
    profile[sunday_2am] = 1.0
    plan = weekly_plan(sites, profile, week="2024-W13", seed=1, checks=1, block_h=1)
    assert plan.checks.empty and plan.notes
    profile[sunday_2am + 1] = 1.0
    plan = weekly_plan(sites, profile, week="2024-W13", seed=1, checks=1, block_h=1)
    (row,) = plan.checks.to_dict("records")
    assert (row["start"], row["end"]) == ("2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00")
