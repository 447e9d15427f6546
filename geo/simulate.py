"""Seeded simulation of foot-patrol GPS tracks in patrol zones (demo data and benchmarks).

Nothing here is a real patrol. A *walk* is one foot patrol of one team: it starts at a realistic
local time (``geo.periods.LOCAL_TZ``: more evenings, most on Friday and Saturday nights), visits
2–5 zones in turn, loops between random waypoints inside each zone for 10–40 minutes, walks
straight across to the next zone, and now and then stands still for a few minutes. Pings are
sampled at a fixed interval along that piecewise-linear path and get a GPS error of about 5 m
that drifts slowly, as real receivers do (so ping-to-ping speeds stay plausible even at 1 Hz).

Everything is vectorised with numpy: a month of 1 Hz pings (millions of points) takes seconds.
``simulate_ping_arrays`` returns plain arrays; ``simulate_foot_patrols`` builds the ``patrols``
layer (one LineString per walk) on top of it; a ``PatrolSchedule`` says when and how often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WORK_CRS, require_work_crs
from geo.periods import LOCAL_TZ

UNIT_PREFIX = "Timrå lokalpolis fot"

# Local start hour of a walk: bins 8..25 (24 and 25 are the small hours after the evening),
# weighted separately for ordinary days and Friday/Saturday.
_HOUR_BINS = np.arange(8, 26)
_HOUR_WEIGHTS_WEEKDAY = np.array(
    [1.0, 1.0, 1.0, 1.0, 1.4, 1.4, 1.5, 1.5, 2.4, 2.6, 2.6, 2.4, 2.0, 1.8, 1.2, 0.5, 0.2, 0.1])
_HOUR_WEIGHTS_WEEKEND = np.array(
    [0.4, 0.4, 0.5, 0.6, 0.9, 1.0, 1.0, 1.2, 2.0, 2.4, 2.8, 3.0, 3.2, 3.2, 3.0, 2.4, 1.6, 0.8])
# Day-of-week weights, Monday first: Friday and Saturday carry most patrols.
_DAY_WEIGHTS = np.array([0.8, 0.8, 0.9, 1.0, 1.6, 1.8, 0.8])

_POOL_SIZE = 4096  # random points drawn inside each zone; waypoints are picked from this pool
_MAX_LEGS = 48  # waypoint legs generated per zone visit before truncation at the dwell time
_NOISE_KNOT_S = 30.0  # the GPS error is interpolated between independent draws this far apart


class PingArrays(NamedTuple):
    """Simulated pings, sorted by track then time. ``t`` is epoch seconds (UTC)."""

    x: np.ndarray  # EPSG:3006 easting, metres
    y: np.ndarray  # EPSG:3006 northing, metres
    t: np.ndarray  # float64 seconds since 1970-01-01 UTC
    track: np.ndarray  # int64 walk number, 0.. in order of start time


def _utc(ts: pd.Timestamp | str) -> pd.Timestamp:
    """A UTC timestamp; naive values are Swedish local time."""
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        ts = ts.tz_localize(LOCAL_TZ, ambiguous=False, nonexistent="shift_forward")
    return ts.tz_convert("UTC")


def _zone_point_pools(polygons: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``(n_zones, _POOL_SIZE, 2)`` random points inside each polygon (rejection sampling)."""
    pools = np.empty((len(polygons), _POOL_SIZE, 2))
    for i, poly in enumerate(polygons):
        minx, miny, maxx, maxy = shapely.bounds(poly)
        share = max(shapely.area(poly) / max((maxx - minx) * (maxy - miny), 1e-9), 0.01)
        got = 0
        while got < _POOL_SIZE:
            n = int((_POOL_SIZE - got) / share * 1.3) + 64
            cand = np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])
            cand = cand[shapely.contains_xy(poly, cand[:, 0], cand[:, 1])][: _POOL_SIZE - got]
            pools[i, got:got + len(cand)] = cand
            got += len(cand)
    return pools


def _zone_weights(zones: gpd.GeoDataFrame) -> np.ndarray:
    """Visit probabilities: by target minutes per week if given, else by priority (1 highest)."""
    n = len(zones)
    if "target_minutes_per_week" in zones:
        w: np.ndarray = pd.to_numeric(zones["target_minutes_per_week"],
                                      errors="coerce").to_numpy(float)
        if np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0:
            return w / float(w.sum())
    if "priority" in zones:
        p: np.ndarray = pd.to_numeric(zones["priority"], errors="coerce").to_numpy(float)
        if np.isfinite(p).all() and (p > 0).all():
            w = 1.0 / p
            return w / float(w.sum())
    return np.full(n, 1.0 / n)


def _walk_starts(rng: np.random.Generator, start: pd.Timestamp, end: pd.Timestamp,
                 shifts_per_week: float) -> np.ndarray:
    """Sorted UTC start times (epoch seconds, whole seconds) of the walks in [start, end)."""
    first_day = start.tz_convert(LOCAL_TZ).tz_localize(None).normalize() - pd.Timedelta(days=1)
    last_day = end.tz_convert(LOCAL_TZ).tz_localize(None).normalize()
    days = pd.date_range(first_day, last_day, freq="D")
    span_s = (end - start).total_seconds()
    n = int(rng.poisson(shifts_per_week * span_s / (7 * 86400.0))) if span_s > 0 else 0
    if n == 0 or len(days) == 0:
        return np.empty(0)
    # Draw more than needed (walks falling outside [start, end) are dropped), keep the first n.
    m = 2 * n + 16
    dow = days.day_of_week.to_numpy()
    day_p = _DAY_WEIGHTS[dow] / _DAY_WEIGHTS[dow].sum()
    day_idx = rng.choice(len(days), size=m, p=day_p)
    weekend = np.isin(dow[day_idx], (4, 5))
    u = rng.random(m)
    cdf_wd = np.cumsum(_HOUR_WEIGHTS_WEEKDAY) / _HOUR_WEIGHTS_WEEKDAY.sum()
    cdf_we = np.cumsum(_HOUR_WEIGHTS_WEEKEND) / _HOUR_WEIGHTS_WEEKEND.sum()
    hour_bin = np.where(weekend, np.searchsorted(cdf_we, u), np.searchsorted(cdf_wd, u))
    hours = _HOUR_BINS[np.minimum(hour_bin, len(_HOUR_BINS) - 1)] + rng.random(m)
    local = pd.DatetimeIndex(days[day_idx]) + pd.to_timedelta(np.round(hours * 3600.0), unit="s")
    utc = local.tz_localize(LOCAL_TZ, ambiguous=np.ones(m, dtype=bool),
                            nonexistent="shift_forward").tz_convert("UTC")
    secs = np.asarray((utc - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1),
                      dtype=np.float64)
    lo, hi = start.timestamp(), end.timestamp()
    secs = secs[(secs >= lo) & (secs < hi)][:n]
    return np.sort(secs)


@dataclass(frozen=True)
class WalkModel:
    """How one simulated foot-patrol walk behaves."""

    walk_speed_mps: float = 1.3
    gps_noise_m: float = 5.0
    dwell_min: tuple[float, float] = (10.0, 40.0)
    visits_per_walk: tuple[int, int] = (2, 5)
    pause_probability: float = 0.08
    pause_min: tuple[float, float] = (1.0, 5.0)


@dataclass(frozen=True, kw_only=True)
class PatrolSchedule:
    """When and how often the simulated teams walk: from ``start`` to ``end`` (naive: Swedish
    local time; pings at or after ``end`` are dropped), about ``shifts_per_week`` walks a week
    (Poisson), a ping every ``ping_interval_s``; ``seed`` fixes every draw."""

    start: pd.Timestamp
    end: pd.Timestamp
    seed: int
    ping_interval_s: float = 30.0
    shifts_per_week: float = 5.0


class _Visits(NamedTuple):
    """Zone visits of all walks, in walk order."""

    walk: np.ndarray  # the walk of each visit
    first_of_walk: np.ndarray  # bool: the first visit of its walk
    zone: np.ndarray  # the zone visited
    per_walk: np.ndarray  # visits per walk


def _draw_visits(rng: np.random.Generator, n_walks: int, n_zones: int, zone_p: np.ndarray,
                 walk: WalkModel) -> _Visits:
    """2..5 visits per walk, consecutive visits in different zones where possible."""
    lo_v, hi_v = walk.visits_per_walk
    n_visits = rng.integers(lo_v, hi_v + 1, size=n_walks)
    visit_walk = np.repeat(np.arange(n_walks), n_visits)
    first_of_walk = np.r_[True, visit_walk[1:] != visit_walk[:-1]]
    zone = rng.choice(n_zones, size=len(visit_walk), p=zone_p)
    if n_zones > 1:
        for _ in range(3):  # re-draw repeats by shifting to another zone (vectorised)
            repeat = ~first_of_walk & (zone == np.r_[-1, zone[:-1]])
            if not repeat.any():
                break
            zone[repeat] = (zone[repeat] + rng.integers(1, n_zones, repeat.sum())) % n_zones
    return _Visits(visit_walk, first_of_walk, zone, n_visits)


class _Paths(NamedTuple):
    """The walked path inside each visit: breakpoints, truncated at the visit's dwell time."""

    wp: np.ndarray  # (n_vis, k+1, 2) waypoints
    bp_t: np.ndarray  # (n_vis, 2k+1) breakpoint times, visit-relative
    bp_xy: np.ndarray  # (n_vis, 2k+1, 2) breakpoint positions
    n_keep: np.ndarray  # breakpoints kept before the dwell time
    end_t: np.ndarray  # visit duration, seconds
    end_xy: np.ndarray  # where the visit ends


def _visit_paths(rng: np.random.Generator, pools: np.ndarray, visits: _Visits,
                 walk_speed: np.ndarray, walk: WalkModel) -> _Paths:
    """Legs inside each visit: random waypoints, walked at a noisy speed, truncated at dwell."""
    n_vis, k = len(visits.walk), _MAX_LEGS
    pick = rng.integers(0, _POOL_SIZE, size=(n_vis, k + 1))
    wp = pools[visits.zone[:, None], pick]  # (n_vis, k+1, 2)
    step = np.linalg.norm(np.diff(wp, axis=1), axis=2)  # (n_vis, k)
    speed = walk_speed[visits.walk][:, None] * np.clip(rng.normal(1.0, 0.08, (n_vis, k)),
                                                       0.75, 1.3)
    move_s = step / speed
    pause_s = np.where(rng.random((n_vis, k)) < walk.pause_probability,
                       rng.uniform(walk.pause_min[0] * 60, walk.pause_min[1] * 60, (n_vis, k)),
                       0.0)
    dwell_s = rng.uniform(walk.dwell_min[0] * 60, walk.dwell_min[1] * 60, n_vis)
    # Breakpoints of a visit: wp0 at 0, then per leg (arrive at wp j+1, leave wp j+1 after pause).
    arrive = np.cumsum(move_s + pause_s, axis=1) - pause_s
    leave = arrive + pause_s
    bp_t = np.concatenate([np.zeros((n_vis, 1)), np.stack([arrive, leave], 2).reshape(n_vis, -1)],
                          axis=1)
    bp_xy = np.concatenate([wp[:, :1], np.repeat(wp[:, 1:], 2, axis=1)], axis=1)
    # Truncate at the dwell time: keep breakpoints before it, then one interpolated at it.
    n_keep = (bp_t < dwell_s[:, None]).sum(axis=1)  # >= 1 (the first breakpoint is at 0)
    cut = np.minimum(n_keep, bp_t.shape[1] - 1)
    rows = np.arange(n_vis)
    t_a, t_b = bp_t[rows, cut - 1], bp_t[rows, cut]
    end_t = np.minimum(dwell_s, t_b)
    frac = np.where(t_b > t_a, (end_t - t_a) / np.where(t_b > t_a, t_b - t_a, 1.0), 0.0)
    end_xy = bp_xy[rows, cut - 1] + frac[:, None] * (bp_xy[rows, cut] - bp_xy[rows, cut - 1])
    return _Paths(wp, bp_t, bp_xy, n_keep, end_t, end_xy)


class _Breakpoints(NamedTuple):
    """All walks' breakpoints flattened, with walk-relative times."""

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    walk: np.ndarray
    walk_len: np.ndarray  # duration of each walk, seconds


def _breakpoints(rng: np.random.Generator, visits: _Visits, paths: _Paths,
                 walk_speed: np.ndarray) -> _Breakpoints:
    """Join the visits of each walk by transits (via a bent midpoint) and flatten them."""
    wp, end_xy, n_vis = paths.wp, paths.end_xy, len(visits.walk)
    prev_end = np.r_[[[np.nan, np.nan]], end_xy[:-1]]
    has_transit = ~visits.first_of_walk
    vec = wp[:, 0] - prev_end
    dist = np.linalg.norm(vec, axis=1)
    normal = np.column_stack([-vec[:, 1], vec[:, 0]]) / np.where(dist > 0, dist, 1.0)[:, None]
    mid = prev_end + 0.5 * vec + normal * rng.normal(0, 0.08, n_vis)[:, None] * dist[:, None]
    leg1 = np.linalg.norm(mid - prev_end, axis=1)
    leg2 = np.linalg.norm(wp[:, 0] - mid, axis=1)
    transit_speed = walk_speed[visits.walk] * np.clip(rng.normal(1.05, 0.05, n_vis), 0.9, 1.25)
    transit_s = np.where(has_transit, (leg1 + leg2) / transit_speed, 0.0)
    mid_s = np.where(has_transit, leg1 / transit_speed, 0.0)

    # Visit start offsets within the walk: cumulative (transit + visit) per walk.
    block = transit_s + paths.end_t
    block_cum = np.cumsum(block)
    walk_first_visit = np.flatnonzero(visits.first_of_walk)
    walk_base = np.repeat(block_cum[walk_first_visit] - block[walk_first_visit], visits.per_walk)
    visit_t0 = block_cum - block - walk_base + transit_s  # arrival in the zone, walk-relative
    walk_len = np.add.reduceat(block, walk_first_visit)

    # Per visit: [transit midpoint], kept breakpoints, end point.
    n_keep, bp_t, bp_xy = paths.n_keep, paths.bp_t, paths.bp_xy
    n_bp = has_transit.astype(np.int64) + n_keep + 1
    bp_visit = np.repeat(np.arange(n_vis), n_bp)
    pos = np.arange(n_bp.sum()) - np.repeat(np.cumsum(n_bp) - n_bp, n_bp)  # index within visit
    shift_mid = has_transit[bp_visit].astype(np.int64)
    is_mid = pos < shift_mid
    j = pos - shift_mid  # index into the visit's breakpoints; == n_keep for the end point
    is_end = j == n_keep[bp_visit]
    jj = np.clip(j, 0, bp_t.shape[1] - 1)
    fx = np.where(is_end, end_xy[bp_visit, 0], bp_xy[bp_visit, jj, 0])
    fy = np.where(is_end, end_xy[bp_visit, 1], bp_xy[bp_visit, jj, 1])
    ft = np.where(is_end, paths.end_t[bp_visit], bp_t[bp_visit, jj]) + visit_t0[bp_visit]
    fx = np.where(is_mid, mid[bp_visit, 0], fx)
    fy = np.where(is_mid, mid[bp_visit, 1], fy)
    ft = np.where(is_mid, visit_t0[bp_visit] - transit_s[bp_visit] + mid_s[bp_visit], ft)
    return _Breakpoints(fx, fy, ft, visits.walk[bp_visit], walk_len)


def _sample_pings(bp: _Breakpoints, n_walks: int, dt: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pings every ``dt`` seconds along the breakpoints: (virtual time, x, y, walk, rel. time).

    Walks are laid end to end on one "virtual" time axis so one searchsorted serves them all.
    """
    gap = 2 * dt + 2 * _NOISE_KNOT_S
    walk_off = np.cumsum(bp.walk_len + gap) - (bp.walk_len + gap)
    vt_bp = bp.t + walk_off[bp.walk]
    n_ping = np.floor(bp.walk_len / dt).astype(np.int64) + 1
    ping_walk = np.repeat(np.arange(n_walks), n_ping)
    rel = (np.arange(n_ping.sum()) - np.repeat(np.cumsum(n_ping) - n_ping, n_ping)) * dt
    vt = rel + walk_off[ping_walk]
    seg = np.searchsorted(vt_bp, vt, side="right") - 1
    walk_bp_first = np.flatnonzero(np.r_[True, bp.walk[1:] != bp.walk[:-1]])
    walk_bp_last = np.r_[walk_bp_first[1:], len(bp.walk)] - 1
    seg = np.clip(seg, walk_bp_first[ping_walk], walk_bp_last[ping_walk] - 1)
    t_lo, t_hi = vt_bp[seg], vt_bp[seg + 1]
    span = t_hi - t_lo
    w = np.clip(np.where(span > 0, (vt - t_lo) / np.where(span > 0, span, 1.0), 0.0), 0.0, 1.0)
    x = bp.x[seg] + w * (bp.x[seg + 1] - bp.x[seg])
    y = bp.y[seg] + w * (bp.y[seg + 1] - bp.y[seg])
    return vt, x, y, ping_walk, rel


def simulate_ping_arrays(zones: gpd.GeoDataFrame, schedule: PatrolSchedule, *,
                         walk: WalkModel = WalkModel()) -> PingArrays:
    """Simulate foot-patrol pings in ``zones`` (EPSG:3006 polygons) on ``schedule``.

    Walks of 2–5 zone visits each (about 2 h, up to 5 h), so pings ≈ walks × 7,700 s /
    ``ping_interval_s``: two million 1 Hz pings in a month take about 60 walks a week (80 give
    ≈ 2.6 million in about a second). The result depends only on the arguments (the seed
    included). Walks ignore the zones' ``active_hours``. ``walk`` describes how one walk
    behaves.
    """
    zones = require_work_crs(zones, "zones")
    if len(zones) == 0:
        raise ValueError("zones: det finns inga patrullområden att gå i; lägg in patrullområden "
                         "först")
    if schedule.ping_interval_s <= 0:
        raise ValueError(f"ping_interval_s (sekunder mellan positioner) måste vara större än 0, "
                         f"inte {schedule.ping_interval_s}")
    polygons = np.asarray(zones.geometry.values, dtype=object)
    bad = shapely.is_missing(polygons) | shapely.is_empty(polygons) | (shapely.area(polygons) <= 0)
    if bad.any():
        raise ValueError(f"zones: objekt {int(np.flatnonzero(bad)[0])} har ingen yta att gå i; "
                         "rita om området")
    start_utc, end_utc = _utc(schedule.start), _utc(schedule.end)
    rng = np.random.default_rng(schedule.seed)
    empty = PingArrays(np.empty(0), np.empty(0), np.empty(0), np.empty(0, dtype=np.int64))

    walk_t0 = _walk_starts(rng, start_utc, end_utc, schedule.shifts_per_week)
    n_walks = len(walk_t0)
    if n_walks == 0:
        return empty
    pools = _zone_point_pools(polygons, rng)
    visits = _draw_visits(rng, n_walks, len(polygons), _zone_weights(zones), walk)
    walk_speed = np.clip(rng.normal(walk.walk_speed_mps, 0.1, n_walks), 0.9, 1.7)
    paths = _visit_paths(rng, pools, visits, walk_speed, walk)
    bp = _breakpoints(rng, visits, paths, walk_speed)
    vt, x, y, ping_walk, rel = _sample_pings(bp, n_walks, float(schedule.ping_interval_s))

    # GPS error: independent draws every _NOISE_KNOT_S seconds, linearly interpolated (variance
    # restored by sqrt(3/2)), so the error drifts smoothly instead of jumping ping to ping.
    if walk.gps_noise_m > 0:
        n_knots = int(np.ceil(vt[-1] / _NOISE_KNOT_S)) + 2
        knots_t = np.arange(n_knots) * _NOISE_KNOT_S
        scale = walk.gps_noise_m * np.sqrt(1.5)
        x = x + np.interp(vt, knots_t, rng.normal(0, scale, n_knots))
        y = y + np.interp(vt, knots_t, rng.normal(0, scale, n_knots))

    t = walk_t0[ping_walk] + rel
    inside = t < end_utc.timestamp()
    track = ping_walk.astype(np.int64)
    return PingArrays(x[inside], y[inside], t[inside], track[inside])


def _assign_units(t0: np.ndarray, t1: np.ndarray, n_units: int) -> list[str]:
    """Team names per walk: the lowest-numbered team free at the walk's start (a new team number
    when all ``n_units`` are out)."""
    free_at: list[float] = [-np.inf] * max(n_units, 1)
    names: list[str] = []
    for a, b in zip(t0.tolist(), t1.tolist(), strict=True):
        idx = next((i for i, f in enumerate(free_at) if f <= a), None)
        if idx is None:
            free_at.append(-np.inf)
            idx = len(free_at) - 1
        free_at[idx] = b + 15 * 60  # a quarter of an hour between two walks of one team
        names.append(f"{UNIT_PREFIX} {idx + 1}")
    return names


def iso_utc(t: np.ndarray) -> np.ndarray:
    """Epoch seconds as ISO 8601 UTC strings to the second ("2024-09-01T18:03:30Z")."""
    secs = np.round(np.asarray(t, dtype=np.float64)).astype("int64").astype("datetime64[s]")
    out: np.ndarray = np.char.add(np.datetime_as_string(secs, unit="s").astype(str), "Z")
    return out


def simulate_foot_patrols(zones: gpd.GeoDataFrame, schedule: PatrolSchedule, *, n_units: int = 2,
                          walk: WalkModel = WalkModel()) -> gpd.GeoDataFrame:
    """The ``patrols`` layer of simulated foot patrols in ``zones`` (EPSG:3006), one row per walk.

    Columns: geometry (LineString, a vertex per ping), unit (team name, never a person),
    kind "fot", start/end (UTC), times (ISO 8601 UTC per vertex), provenance "simulated" and
    source (generator and seed). ``walk`` goes to ``simulate_ping_arrays``.
    """
    pings = simulate_ping_arrays(zones, schedule, walk=walk)
    columns = ["unit", "kind", "start", "end", "times", "provenance", "source"]
    if len(pings.t) == 0:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=WORK_CRS)
    ids, first, counts = np.unique(pings.track, return_index=True, return_counts=True)
    ok = counts >= 2  # a LineString needs two vertices; drop a walk cut to one ping by `end`
    keep_ping = np.repeat(ok, counts)
    track = pings.track[keep_ping]
    ids, first, counts = ids[ok], first[ok], counts[ok]
    x, y, t = pings.x[keep_ping], pings.y[keep_ping], pings.t[keep_ping]
    _, idx = np.unique(track, return_inverse=True)
    lines = shapely.linestrings(np.column_stack([x, y]), indices=idx)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    t0, t1 = t[starts], t[starts + counts - 1]
    iso = iso_utc(t)
    times = [chunk.tolist() for chunk in np.split(iso, starts[1:])]
    source = (f"Simulerad med geo.simulate.simulate_foot_patrols (seed {schedule.seed}, ping "
              f"var {schedule.ping_interval_s:g} s, {schedule.shifts_per_week:g} pass/vecka, "
              f"{_utc(schedule.start).isoformat()}–{_utc(schedule.end).isoformat()}); inga "
              "verkliga patrullspår")
    frame = pd.DataFrame({
        "unit": _assign_units(t0, t1, n_units),
        "kind": "fot",
        "start": pd.to_datetime(np.round(t0), unit="s", utc=True),
        "end": pd.to_datetime(np.round(t1), unit="s", utc=True),
        "times": times,
        "provenance": "simulated",
        "source": source,
    })
    return gpd.GeoDataFrame(frame, geometry=lines, crs=WORK_CRS)
