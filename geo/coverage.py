"""Foot-patrol coverage of patrol zones: presence, visits, gaps, street coverage and dosage.

From time-stamped patrol tracks (one timestamp per vertex) and the patrol zones, for a period:

* **presence minutes** per zone: the time a track spends inside the zone, interpolated linearly
  between consecutive vertices, so 1 s and 30 s pings of the same walk give the same minutes;
* **visits**: presence of any team in the zone, entries separated by at least ``visit_gap_min``
  (15) minutes outside joined into one visit; the **longest gap** without a visit;
* **street coverage**: the share of the zone (its street length where a road network is given,
  else its area) within ``reach_m`` (50 m) of any track; tracks without times count here only;
* the same by time band (day 06–18, evening 18–24, night 00–06, weekday/weekend, local time),
  minutes and visits per ISO week against the zone's target, per team, and against a baseline;
* **dosage** in the sense of the Koper curve: visits of at least 10 minutes, and the share of
  the zone's active hours in which no more than 2 hours passed between such visits.

How it is fast (a month of 1 Hz pings, millions of points, in well under a second): each zone
gets a grid of ``cell_m`` cells holding, per cell, whether its centre is inside and a lower bound
of its distance to the zone's edge. A segment shorter than that distance from its first vertex
cannot cross the edge, so its whole duration is in or out by one array lookup; only the few
segments near an edge are intersected exactly with shapely. Street coverage marks the cells the
(densified) tracks pass through and dilates them by a disc of ``reach_m`` with running sums, so
its cost depends on the zone's size, not on the number of pings.

Results are per zone and per team (the ``unit`` field); no single track is reported.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.layers import LOCAL_TZ
from geo.periods import (
    BANDS, DAYTYPES, BandBoundaries, Period, active_intervals, band_boundaries, local_text,
    measure_before, merge_intervals, split_at_boundaries,
)

log = logging.getLogger(__name__)

DEFAULT_REACH_M = 50.0
DEFAULT_VISIT_GAP_MIN = 15.0
DEFAULT_CELL_M = 2.5
KOPER_VISIT_MIN = 10.0
KOPER_MAX_GAP_H = 2.0
EDGE_CELL_M = 5.0  # cells of the grid that tells segments far from a zone's edge
MAX_CELLS_PER_SIDE = 2000  # a zone's grid grows coarser than cell_m beyond this
# The cells a track passes through reach beyond it by up to half a diagonal; shrinking the disc by
# a quarter cell removes that bias (calibrated against exact buffers: within 0.25 pp, bench/).
_RADIUS_BIAS_CELLS = 0.25
_UNTIMED_GROUP = 6  # coverage groups 0..5 are band*2 + weekend; 6 is "time unknown"


class TrackVertices(NamedTuple):
    """Track vertices as flat arrays, in order along each track.

    Consecutive vertices with the same ``piece`` are joined by a segment. ``t`` is epoch seconds
    (UTC) or NaN where the vertex has no time; ``t_any`` is ``t`` or else the track's own
    start/end (NaN when the track has no time at all), used only to pick the period.
    """

    x: np.ndarray
    y: np.ndarray
    t: np.ndarray
    t_any: np.ndarray
    piece: np.ndarray
    track: np.ndarray


def vertices_from_arrays(x: np.ndarray, y: np.ndarray, t: np.ndarray, track: np.ndarray
                         ) -> TrackVertices:
    """Vertices of pings sorted by track then time (e.g. ``geo.simulate.simulate_ping_arrays``)."""
    t = np.asarray(t, dtype=np.float64)
    track = np.asarray(track, dtype=np.int64)
    return TrackVertices(np.asarray(x, float), np.asarray(y, float), t, t, track, track)


def track_vertices(tracks: gpd.GeoDataFrame) -> tuple[TrackVertices, np.ndarray]:
    """The vertices of a ``patrols`` layer (EPSG:3006) and the team (``unit``) of each track.

    A track's ``times`` give one timestamp per vertex; a track whose ``times`` are missing or do
    not match its vertices has no per-vertex time (its ``start``/``end`` still place it in a
    period for street coverage). Point features are taken as a sequence of pings.
    """
    require_work_crs(tracks, "tracks")
    n = len(tracks)
    geoms = np.asarray(tracks.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    track = owner[coord_part].astype(np.int64)
    is_point = shapely.get_type_id(parts) == 0
    piece = np.where(is_point[coord_part], len(parts) + track, coord_part).astype(np.int64)

    counts = np.bincount(track, minlength=n)
    times = tracks["times"].tolist() if "times" in tracks else [None] * n
    ok = np.array([isinstance(ts, (list, tuple)) and len(ts) == c and c > 0
                   for ts, c in zip(times, counts.tolist())], dtype=bool)
    t = np.full(len(coords), np.nan)
    if ok.any():
        flat = pd.Series([s for ts, good in zip(times, ok.tolist()) if good for s in ts],
                         dtype=object).astype(str).str.strip()
        t[np.repeat(ok, counts)] = _epoch_seconds(flat)
    t_track = np.full(n, np.nan)
    for column in ("end", "start"):  # start wins where both are given
        if column in tracks:
            stamp = pd.to_datetime(tracks[column], utc=True, errors="coerce")
            secs = stamp.dt.as_unit("ns").astype("int64").to_numpy() / 1e9
            secs[stamp.isna().to_numpy()] = np.nan
            t_track = np.where(np.isfinite(secs), secs, t_track)
    t_any = np.where(np.isfinite(t), t, t_track[track])
    units = (tracks["unit"].fillna("").astype(str).to_numpy() if "unit" in tracks
             else np.full(n, "", dtype=object))
    units = np.where(units == "", "okänd enhet", units)
    return TrackVertices(coords[:, 0], coords[:, 1], t, t_any, piece, track), units


def _epoch_seconds(texts: pd.Series) -> np.ndarray:
    """ISO 8601 texts as epoch seconds (NaN where unreadable); texts without a UTC offset are
    Swedish local time, as everywhere in Trygg."""
    naive = ~texts.str.contains(r"(?:Z|[+-]\d\d(?::?\d\d)?)$", regex=True)
    out = np.full(len(texts), np.nan)
    if (~naive).any():
        aware = pd.to_datetime(texts[~naive], utc=True, format="ISO8601", errors="coerce")
        secs = aware.dt.as_unit("ns").astype("int64").to_numpy() / 1e9
        out[(~naive).to_numpy()] = np.where(aware.isna().to_numpy(), np.nan, secs)
    if naive.any():
        local = pd.to_datetime(texts[naive], format="ISO8601", errors="coerce")
        local = local.dt.tz_localize(LOCAL_TZ, ambiguous="NaT", nonexistent="shift_forward")
        secs = local.dt.as_unit("ns").astype("int64").to_numpy() / 1e9
        out[naive.to_numpy()] = np.where(local.isna().to_numpy(), np.nan, secs)
    return out


# --- results ------------------------------------------------------------------------------------

@dataclass
class BandFigures:
    """Presence in one time band and/or day type (``alla`` for both)."""

    band: str  # dag, kvall, natt or alla
    daytype: str  # vardag, helg or alla
    minutes: float
    visits: int
    coverage_pct: float | None  # None for the band × day type cells


@dataclass
class WeekFigures:
    week: str  # ISO week, "2024-W37"
    monday: str
    days_in_period: int
    minutes: float
    visits: int
    target_minutes: float  # the weekly target, pro rata for weeks cut by the period
    target_pct: float | None
    target_met: bool


@dataclass
class TeamFigures:
    unit: str
    minutes: float
    visits: int


@dataclass
class BaselineFigures:
    period_from: str
    period_to: str
    minutes: float
    minutes_per_week: float
    visits: int
    coverage_pct: float
    change_minutes_per_week: float
    change_pct: float | None  # None when the baseline had no presence


@dataclass
class DosageFigures:
    """Koper-curve dosage: visits of at least ``min_visit_min`` and the active hours in which no
    more than ``max_gap_h`` passed between such visits."""

    min_visit_min: float
    max_gap_h: float
    long_visits: int
    long_visit_pct: float | None
    active_hours: str
    active_h: float
    dosed_h: float
    dosed_pct: float | None


@dataclass
class ZoneCoverage:
    zone_id: int
    name: str
    priority: int | None
    target_minutes_per_week: float
    minutes: float
    minutes_per_week: float
    target_pct: float | None
    visits: int
    longest_gap_h: float
    longest_gap_from: str
    longest_gap_to: str
    coverage_pct: float
    coverage_basis: str  # "gatulangd" (street length) or "yta" (area)
    cell_m: float
    bands: list[BandFigures]
    weeks: list[WeekFigures]
    teams: list[TeamFigures]
    dosage: DosageFigures
    baseline: BaselineFigures | None = None


@dataclass
class PatrolCoverage:
    period_from: str
    period_to: str
    days: int
    reach_m: float
    visit_gap_min: float
    tracks_in_period: int
    tracks_without_times: int
    zones: list[ZoneCoverage] = field(default_factory=list)


# --- geometry helpers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    inside: np.ndarray  # (ny, nx) cell centre inside the zone
    clear: np.ndarray  # (ny, nx) lower bound of the distance from the cell to the zone's edge

    def within(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Indexes of the points inside the grid's extent."""
        x1, y1 = self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell
        return np.flatnonzero((x >= self.x0) & (x < x1) & (y >= self.y0) & (y < y1))

    def index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ix = np.floor((x - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((y - self.y0) / self.cell).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(ok, ix, 0), np.where(ok, iy, 0), ok


def _zone_grid(zone: shapely.Geometry, *, cell_m: float, margin_m: float,
               with_clear: bool = True) -> _Grid:
    """The zone's grid; ``clear`` (distance bound to the edge) only ``with_clear``."""
    minx, miny, maxx, maxy = shapely.bounds(zone)
    extent = max(maxx - minx, maxy - miny) + 2 * margin_m
    cell = max(cell_m, extent / MAX_CELLS_PER_SIDE)
    x0 = math.floor((minx - margin_m) / cell) * cell
    y0 = math.floor((miny - margin_m) / cell) * cell
    nx = int(math.ceil((maxx + margin_m - x0) / cell)) + 1
    ny = int(math.ceil((maxy + margin_m - y0) / cell)) + 1
    cx, cy = np.meshgrid(x0 + (np.arange(nx) + 0.5) * cell, y0 + (np.arange(ny) + 0.5) * cell)
    shapely.prepare(zone)
    inside = shapely.contains_xy(zone, cx, cy)
    if with_clear:
        edge = shapely.boundary(zone)
        dist = shapely.distance(edge, shapely.points(cx.ravel(), cy.ravel())).reshape(cx.shape)
        clear = dist - cell * math.sqrt(0.5)
    else:
        clear = np.empty((0, 0))
    return _Grid(x0, y0, cell, nx, ny, inside, clear)


class _Segments(NamedTuple):
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    track: np.ndarray
    xmin: np.ndarray
    xmax: np.ndarray
    ymin: np.ndarray
    ymax: np.ndarray


def _timed_segments(v: TrackVertices) -> _Segments:
    """Segments between consecutive timed vertices of one piece, time not going backwards."""
    same = v.piece[1:] == v.piece[:-1]
    ok = same & np.isfinite(v.t[:-1]) & np.isfinite(v.t[1:]) & (v.t[1:] >= v.t[:-1])
    i = np.flatnonzero(ok)
    x0, y0, x1, y1 = v.x[i], v.y[i], v.x[i + 1], v.y[i + 1]
    return _Segments(x0, y0, x1, y1, v.t[i], v.t[i + 1], v.track[i], np.minimum(x0, x1),
                     np.maximum(x0, x1), np.minimum(y0, y1), np.maximum(y0, y1))


def _select(seg: _Segments, mask: np.ndarray) -> _Segments:
    if mask.all():
        return seg
    idx = np.flatnonzero(mask)
    return _Segments(*(a.take(idx) for a in seg))


def _inside_intervals(seg: _Segments, zone: shapely.Geometry, grid: _Grid
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(track, start, end) of the parts of ``seg`` inside ``zone`` (edge included)."""
    minx, miny, maxx, maxy = shapely.bounds(zone)
    s = _select(seg, (seg.xmax >= minx) & (seg.xmin <= maxx) & (seg.ymax >= miny)
                & (seg.ymin <= maxy))
    length = np.hypot(s.x1 - s.x0, s.y1 - s.y0)
    ix, iy, ok = grid.index(s.x0, s.y0)
    clear = np.where(ok, grid.clear[iy, ix], -np.inf)
    inside = grid.inside[iy, ix]
    easy = length < clear
    # Near the edge the cell's bound is loose: measure the first vertex's distance exactly.
    near_edge = np.flatnonzero(~easy)
    if len(near_edge):
        first = shapely.points(s.x0[near_edge], s.y0[near_edge])
        edge = shapely.boundary(zone)
        shapely.prepare(edge)
        exact = shapely.distance(edge, first)
        sure = length[near_edge] < exact
        easy[near_edge[sure]] = True
        inside[near_edge[sure]] = shapely.contains_xy(zone, s.x0[near_edge[sure]],
                                                      s.y0[near_edge[sure]])
    whole = easy & inside
    tracks, starts, ends = [s.track[whole]], [s.t0[whole]], [s.t1[whole]]

    hard = np.flatnonzero(~easy)
    if len(hard):
        still = length[hard] == 0
        dot = hard[still]
        at = shapely.intersects_xy(zone, s.x0[dot], s.y0[dot])
        tracks.append(s.track[dot][at])
        starts.append(s.t0[dot][at])
        ends.append(s.t1[dot][at])
        h = hard[~still]
        coords = np.stack([np.column_stack([s.x0[h], s.y0[h]]),
                           np.column_stack([s.x1[h], s.y1[h]])], axis=1)
        inter = shapely.intersection(shapely.linestrings(coords), zone)
        parts, owner = shapely.get_parts(inter, return_index=True)
        parts2, owner2 = shapely.get_parts(parts, return_index=True)  # collections hold multis
        owner = owner[owner2]
        lines = shapely.get_type_id(parts2) == 1
        parts2, owner = parts2[lines], owner[lines]
        lines = shapely.length(parts2) > 0
        parts2, owner = parts2[lines], owner[lines]
        if len(parts2):
            first = shapely.get_coordinates(shapely.get_point(parts2, 0))
            last = shapely.get_coordinates(shapely.get_point(parts2, -1))
            hx0, hy0 = s.x0[h][owner], s.y0[h][owner]
            dx, dy = s.x1[h][owner] - hx0, s.y1[h][owner] - hy0
            l2 = dx * dx + dy * dy
            fa = np.clip(((first[:, 0] - hx0) * dx + (first[:, 1] - hy0) * dy) / l2, 0, 1)
            fb = np.clip(((last[:, 0] - hx0) * dx + (last[:, 1] - hy0) * dy) / l2, 0, 1)
            t0, dt = s.t0[h][owner], (s.t1 - s.t0)[h][owner]
            tracks.append(s.track[h][owner])
            starts.append(t0 + np.minimum(fa, fb) * dt)
            ends.append(t0 + np.maximum(fa, fb) * dt)
    return np.concatenate(tracks), np.concatenate(starts), np.concatenate(ends)


def _stays(track: np.ndarray, a: np.ndarray, b: np.ndarray, period: Period
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clip to the period and join touching intervals of one track: (track, start, end)."""
    a = np.maximum(a, period.start_s)
    b = np.minimum(b, period.end_s)
    keep = b > a
    track, a, b = track[keep], a[keep], b[keep]
    if len(a) == 0:
        return track, a, b
    order = np.lexsort((a, track))
    track, a, b = track[order], a[order], b[order]
    new = np.r_[True, (track[1:] != track[:-1]) | (a[1:] > b[:-1] + 1e-3)]
    idx = np.flatnonzero(new)
    return track[idx], a[idx], np.maximum.reduceat(b, idx)


def _visits(a: np.ndarray, b: np.ndarray, *, gap_s: float
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visits from presence intervals of any track: (start, end, presence seconds)."""
    bs, be = merge_intervals(a, b)  # union of presence
    if len(bs) == 0:
        return bs, be, bs.copy()
    new = np.r_[True, bs[1:] - be[:-1] >= gap_s]
    idx = np.flatnonzero(new)
    return bs[idx], np.maximum.reduceat(be, idx), np.add.reduceat(be - bs, idx)


def _dilate(visited: np.ndarray, radius_cells: float) -> np.ndarray:
    """Cells within ``radius_cells`` (centre to centre) of a visited cell; axis −2 is y."""
    r = int(math.floor(radius_cells + 1e-9))
    ny, nx = visited.shape[-2:]
    cs = np.zeros(visited.shape[:-1] + (nx + 1,), dtype=np.int32)
    np.cumsum(visited, axis=-1, out=cs[..., 1:])
    x = np.arange(nx)
    rows: dict[int, np.ndarray] = {}
    covered = np.zeros(visited.shape, dtype=bool)
    for dy in range(-r, r + 1):  # 2r+1 array passes; cost does not depend on the ping count
        w = int(math.floor(math.sqrt(max(radius_cells ** 2 - dy * dy, 0.0)) + 1e-9))
        if w not in rows:
            hi = np.minimum(x + w + 1, nx)
            lo = np.maximum(x - w, 0)
            rows[w] = (cs[..., hi] - cs[..., lo]) > 0
        h = rows[w]
        if dy >= 0:
            covered[..., dy:, :] |= h[..., :ny - dy, :] if dy else h
        else:
            covered[..., :dy, :] |= h[..., -dy:, :]
    return covered


def _between_points(v: TrackVertices, *, step_m: float) -> TrackVertices:
    """Points every ``step_m`` along the segments longer than that (vertices excluded)."""
    same = v.piece[1:] == v.piece[:-1]
    length = np.hypot(np.diff(v.x), np.diff(v.y))
    k = np.where(same, np.ceil(length / step_m) - 1, 0).clip(0).astype(np.int64)
    i = np.repeat(np.arange(len(k)), k)
    j = (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k) + 1) / np.repeat(k + 1, k)

    def lerp(arr: np.ndarray) -> np.ndarray:
        return arr[i] + j * (arr[i + 1] - arr[i])
    return TrackVertices(lerp(v.x), lerp(v.y), lerp(v.t), lerp(v.t_any), v.piece[i], v.track[i])


class _CoveragePoints(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray  # band*2 + weekend, or _UNTIMED_GROUP


def _coverage_points(v: TrackVertices, period: Period, bounds: BandBoundaries
                     ) -> _CoveragePoints:
    """The points of ``v`` inside ``period`` with their time band group."""
    keep = (v.t_any >= period.start_s) & (v.t_any < period.end_s)
    x, y, t = (v.x, v.y, v.t) if keep.all() else (v.x[keep], v.y[keep], v.t[keep])
    combo = (bounds.band * 2 + bounds.weekend).astype(np.int8)
    finite = np.isfinite(t)
    if finite.all():
        group = combo.take(bounds.locate(t))
    else:
        group = np.full(len(t), _UNTIMED_GROUP, dtype=np.int8)
        group[finite] = combo.take(bounds.locate(t[finite]))
    return _CoveragePoints(x, y, group)


def _visited(point_sets: list[_CoveragePoints], grid: _Grid, *, n_groups: int) -> np.ndarray:
    """(n_groups, ny, nx): the cells each group's points fall in (one group: all points)."""
    visited = np.zeros((n_groups, grid.ny, grid.nx), dtype=bool)
    for pts in point_sets:
        sel = grid.within(pts.x, pts.y)
        ix, iy, ok = grid.index(pts.x.take(sel), pts.y.take(sel))
        group = pts.group.take(sel)[ok] if n_groups > 1 else 0
        visited[group, iy[ok], ix[ok]] = True
    return visited


def _street_samples(streets: np.ndarray, zone: shapely.Geometry, *, step_m: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points every ``step_m`` along the streets inside ``zone``: (x, y, weight in metres)."""
    inside = shapely.intersection(streets, zone)
    parts = shapely.get_parts(shapely.get_parts(inside))
    parts = parts[(shapely.get_type_id(parts) == 1) & (shapely.length(parts) > 0)]
    if len(parts) == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    length = shapely.length(parts)
    n = np.ceil(length / step_m).astype(np.int64)
    owner = np.repeat(np.arange(len(parts)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    pts = shapely.line_interpolate_point(parts[owner], (k + 0.5) * length[owner] / n[owner])
    xy = shapely.get_coordinates(pts)
    return xy[:, 0], xy[:, 1], (length / n)[owner]


def _pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def _check_options(reach_m: float, visit_gap_min: float, cell_m: float) -> None:
    problems = []
    if not (np.isfinite(reach_m) and 0 < reach_m <= 1000):
        problems.append(f"reach_m: {reach_m!r} is outside 0–1000 m")
    if not (np.isfinite(visit_gap_min) and 0 <= visit_gap_min <= 24 * 60):
        problems.append(f"visit_gap_min: {visit_gap_min!r} is outside 0–1440 min")
    if not (np.isfinite(cell_m) and 0.5 <= cell_m <= 50):
        problems.append(f"cell_m: {cell_m!r} is outside 0.5–50 m")
    if problems:
        raise ValidationFailed("invalid coverage options: " + "; ".join(problems), problems)


# --- the computation ----------------------------------------------------------------------------

def patrol_coverage(tracks: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, period: Period,
                    baseline: Period | None = None, streets: gpd.GeoDataFrame | None = None,
                    **options: float) -> PatrolCoverage:
    """Foot-patrol coverage of ``zones`` by the ``patrols`` layer ``tracks`` in ``period``.

    ``streets`` (lines, EPSG:3006), when given, make street coverage a share of street length;
    ``baseline`` adds the change against another period. ``options`` are those of
    ``patrol_coverage_vertices`` (``reach_m``, ``visit_gap_min``, ``cell_m``, …).
    """
    vertices, units = track_vertices(tracks)
    return patrol_coverage_vertices(vertices, units, zones, period=period, baseline=baseline,
                                    streets=streets, **options)


def patrol_coverage_vertices(
    vertices: TrackVertices,
    units: Sequence[str] | np.ndarray,
    zones: gpd.GeoDataFrame,
    *,
    period: Period,
    baseline: Period | None = None,
    streets: gpd.GeoDataFrame | None = None,
    reach_m: float = DEFAULT_REACH_M,
    visit_gap_min: float = DEFAULT_VISIT_GAP_MIN,
    cell_m: float = DEFAULT_CELL_M,
    koper_visit_min: float = KOPER_VISIT_MIN,
    koper_max_gap_h: float = KOPER_MAX_GAP_H,
) -> PatrolCoverage:
    """Coverage of ``zones`` (EPSG:3006, indexed by id; ``name``, ``priority``,
    ``target_minutes_per_week``, ``active_hours``) by track vertices; ``units[track]`` names
    each track's team. See the module's docstring for the figures."""
    require_work_crs(zones, "zones")
    if streets is not None:
        require_work_crs(streets, "streets")
    _check_options(reach_m, visit_gap_min, cell_m)
    units = np.asarray(units, dtype=object)
    gap_s = visit_gap_min * 60.0
    bounds = band_boundaries(period)

    in_period = (vertices.t_any >= period.start_s) & (vertices.t_any < period.end_s)
    n_tracks = int(vertices.track.max()) + 1 if len(vertices.track) else 0
    used = np.bincount(vertices.track[in_period], minlength=n_tracks) > 0
    timed = np.bincount(vertices.track[in_period & np.isfinite(vertices.t)],
                        minlength=n_tracks) > 0
    segments = _timed_segments(vertices)
    cur = _select(segments, (segments.t1 > period.start_s) & (segments.t0 < period.end_s))
    base_seg = None
    if baseline is not None:
        base_seg = _select(segments, (segments.t1 > baseline.start_s)
                           & (segments.t0 < baseline.end_s))

    # Coverage points: vertices and points along long segments, with their time band group.
    between = _between_points(vertices, step_m=cell_m)
    point_sets = [_coverage_points(vertices, period, bounds),
                  _coverage_points(between, period, bounds)]
    if baseline is not None:
        base_bounds = band_boundaries(baseline)
        base_sets = [_coverage_points(vertices, baseline, base_bounds),
                     _coverage_points(between, baseline, base_bounds)]
    street_geoms = (np.asarray(streets.geometry.values, dtype=object)
                    if streets is not None and len(streets) else None)

    result = PatrolCoverage(
        period_from=period.first.isoformat(), period_to=period.last.isoformat(),
        days=period.days, reach_m=float(reach_m), visit_gap_min=float(visit_gap_min),
        tracks_in_period=int(used.sum()), tracks_without_times=int((used & ~timed).sum()))

    for zone_id, zone_row in zones.iterrows():  # a handful of zones; each is vectorised
        zone = zone_row.geometry
        edge_grid = _zone_grid(zone, cell_m=EDGE_CELL_M, margin_m=2 * EDGE_CELL_M)
        grid = _zone_grid(zone, cell_m=cell_m, margin_m=reach_m + 2 * cell_m, with_clear=False)
        track, a, b = _stays(*_inside_intervals(cur, zone, edge_grid), period)

        # Coverage grids: one per band × day type and one for tracks without times.
        visited = _visited(point_sets, grid, n_groups=_UNTIMED_GROUP + 1)
        covered = _dilate(visited, reach_m / grid.cell - _RADIUS_BIAS_CELLS)
        basis, share = _coverage_share(covered, grid, zone, street_geoms, cell_m=grid.cell)

        combos = covered[:6].reshape(3, 2, grid.ny, grid.nx)
        bands_cov = {(BANDS[i], "alla"): share(combos[i, 0] | combos[i, 1]) for i in range(3)}
        bands_cov.update({("alla", DAYTYPES[d]): share(combos[:, d].any(axis=0))
                          for d in range(2)})
        total_cov = share(covered.any(axis=0))

        vs, ve, vp = _visits(a, b, gap_s=gap_s)
        zone_fig = _zone_figures(
            zone_id, zone_row, period, bounds, track, a, b, vs, ve, vp, units,
            coverage_pct=total_cov, basis=basis, cell=grid.cell, bands_cov=bands_cov,
            gap_s=gap_s, koper_visit_min=koper_visit_min, koper_max_gap_h=koper_max_gap_h)
        if baseline is not None and base_seg is not None:
            _, ba, bb = _stays(*_inside_intervals(base_seg, zone, edge_grid), baseline)
            b_vs, _, _ = _visits(ba, bb, gap_s=gap_s)
            bvisited = _visited(base_sets, grid, n_groups=1)
            b_cov = share(_dilate(bvisited, reach_m / grid.cell - _RADIUS_BIAS_CELLS)[0])
            b_min = float((bb - ba).sum() / 60.0)
            b_week = b_min / baseline.weeks
            zone_fig.baseline = BaselineFigures(
                period_from=baseline.first.isoformat(), period_to=baseline.last.isoformat(),
                minutes=round(b_min, 2), minutes_per_week=round(b_week, 2), visits=len(b_vs),
                coverage_pct=round(b_cov, 2),
                change_minutes_per_week=round(zone_fig.minutes_per_week - b_week, 2),
                change_pct=_round(_pct(zone_fig.minutes_per_week - b_week, b_week)))
        result.zones.append(zone_fig)
    return result


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _coverage_share(covered: np.ndarray, grid: _Grid, zone: shapely.Geometry,
                    streets: np.ndarray | None, *, cell_m: float):
    """(basis, share function): the share of the zone's street length, or else of its area,
    that a covered-cell mask reaches, in percent."""
    if streets is not None:
        sx, sy, sw = _street_samples(streets, zone, step_m=cell_m / 2)
        if len(sx):
            ix, iy, ok = grid.index(sx, sy)
            total = float(sw.sum())

            def by_street(mask: np.ndarray) -> float:
                return 100.0 * float(sw[ok & mask[iy, ix]].sum()) / total
            return "gatulangd", by_street
    inside = grid.inside
    n_inside = int(inside.sum())

    def by_area(mask: np.ndarray) -> float:
        return 100.0 * int((mask & inside).sum()) / n_inside if n_inside else 0.0
    return "yta", by_area


def _zone_figures(zone_id, row, period: Period, bounds: BandBoundaries, track, a, b,
                  vs, ve, vp, units, *, coverage_pct: float, basis: str, cell: float,
                  bands_cov: dict, gap_s: float, koper_visit_min: float,
                  koper_max_gap_h: float) -> ZoneCoverage:
    target = float(row.get("target_minutes_per_week") or 0.0)
    minutes = float((b - a).sum() / 60.0)
    per_week = minutes / period.weeks

    # Minutes by time band, day type and week: cut the stays at the band boundaries.
    src, lo, hi, stretch = split_at_boundaries(a, b, bounds)
    secs = hi - lo
    band, weekend, week = bounds.band[stretch], bounds.weekend[stretch], bounds.week[stretch]
    v_stretch = bounds.locate(vs)
    v_band, v_weekend = bounds.band[v_stretch], bounds.weekend[v_stretch]
    v_week = bounds.week[v_stretch]

    bands: list[BandFigures] = []
    for bi, name in [(None, "alla"), *enumerate(BANDS)]:
        for di, dname in [(None, "alla"), *enumerate(DAYTYPES)]:
            if bi is None and di is None:
                continue
            sel = np.ones(len(secs), bool) if bi is None else band == bi
            vsel = np.ones(len(vs), bool) if bi is None else v_band == bi
            if di is not None:
                sel &= weekend == bool(di)
                vsel &= v_weekend == bool(di)
            cov = bands_cov.get((name, dname))
            bands.append(BandFigures(name, dname, round(float(secs[sel].sum() / 60.0), 2),
                                     int(vsel.sum()), _round(cov)))

    weeks: list[WeekFigures] = []
    n_weeks = len(bounds.week_labels)
    wk_min = np.bincount(week, weights=secs, minlength=n_weeks) / 60.0
    wk_vis = np.bincount(v_week, minlength=n_weeks)
    for w, (label, monday) in enumerate(zip(bounds.week_labels, bounds.week_mondays)):
        first = max(monday, period.first)
        last = min(monday + timedelta(days=6), period.last)
        days = (last - first).days + 1
        if days <= 0:
            continue
        goal = target * days / 7.0
        weeks.append(WeekFigures(label, monday.isoformat(), days, round(float(wk_min[w]), 2),
                                 int(wk_vis[w]), round(goal, 2), _round(_pct(wk_min[w], goal)),
                                 bool(wk_min[w] >= goal - 1e-9)))

    teams: list[TeamFigures] = []
    team_names = units[track] if len(track) else np.empty(0, dtype=object)
    for unit in sorted(set(team_names.tolist())):  # teams, not geometries: a few
        sel = team_names == unit
        t_vs, _, _ = _visits(a[sel], b[sel], gap_s=gap_s)
        teams.append(TeamFigures(str(unit), round(float((b[sel] - a[sel]).sum() / 60.0), 2),
                                 int(len(t_vs))))

    # Longest gap without a visit, the period's ends included.
    gap_from = np.r_[period.start_s, ve]
    gap_to = np.r_[vs, period.end_s]
    longest = int(np.argmax(gap_to - gap_from))

    # Dosage: visits of at least koper_visit_min; active time inside gaps longer than max_gap_h.
    long_visit = vp >= koper_visit_min * 60.0 - 1e-6
    ds, de = vs[long_visit], ve[long_visit]
    g0, g1 = np.r_[period.start_s, de], np.r_[ds, period.end_s]
    too_long = g1 - g0 > koper_max_gap_h * 3600.0
    hours_text = str(row.get("active_hours") or "0-24")
    act_a, act_b = active_intervals(hours_text, period)
    undosed = float((measure_before(g1[too_long], act_a, act_b)
                     - measure_before(g0[too_long], act_a, act_b)).sum())
    active_s = float((act_b - act_a).sum())
    dosage = DosageFigures(
        min_visit_min=float(koper_visit_min), max_gap_h=float(koper_max_gap_h),
        long_visits=int(long_visit.sum()), long_visit_pct=_round(_pct(long_visit.sum(), len(vs))),
        active_hours=hours_text, active_h=round(active_s / 3600.0, 2),
        dosed_h=round((active_s - undosed) / 3600.0, 2),
        dosed_pct=_round(_pct(active_s - undosed, active_s)))

    priority = row.get("priority")
    return ZoneCoverage(
        zone_id=int(zone_id), name=str(row.get("name") or f"zon {zone_id}"),
        priority=None if priority is None or pd.isna(priority) else int(priority),
        target_minutes_per_week=target, minutes=round(minutes, 2),
        minutes_per_week=round(per_week, 2), target_pct=_round(_pct(per_week, target)),
        visits=int(len(vs)), longest_gap_h=round(float(gap_to[longest] - gap_from[longest])
                                                 / 3600.0, 2),
        longest_gap_from=local_text(gap_from[longest]), longest_gap_to=local_text(gap_to[longest]),
        coverage_pct=round(coverage_pct, 2), coverage_basis=basis, cell_m=float(cell),
        bands=bands, weeks=weeks, teams=teams, dosage=dosage)


# --- views for maps -----------------------------------------------------------------------------

def presence_heat(vertices: TrackVertices, period: Period, *, cell_m: float = 25.0
                  ) -> pd.DataFrame:
    """Presence time per ``cell_m`` cell (all teams together): columns x, y (cell centre,
    EPSG:3006) and minutes. Each timed segment's duration goes to the cell of its midpoint."""
    seg = _timed_segments(vertices)
    a = np.maximum(seg.t0, period.start_s)
    b = np.minimum(seg.t1, period.end_s)
    keep = b > a
    mx = (seg.x0 + seg.x1)[keep] / 2
    my = (seg.y0 + seg.y1)[keep] / 2
    secs = (b - a)[keep]
    if len(secs) == 0:
        return pd.DataFrame({"x": [], "y": [], "minutes": []})
    ix = np.floor(mx / cell_m).astype(np.int64)
    iy = np.floor(my / cell_m).astype(np.int64)
    keys, inverse = np.unique(np.column_stack([ix, iy]), axis=0, return_inverse=True)
    minutes = np.bincount(inverse.ravel(), weights=secs) / 60.0
    return pd.DataFrame({"x": (keys[:, 0] + 0.5) * cell_m, "y": (keys[:, 1] + 0.5) * cell_m,
                         "minutes": minutes})


def tracks_in_period(tracks: gpd.GeoDataFrame, period: Period) -> gpd.GeoDataFrame:
    """The tracks with a vertex (or, without times, a start or end) inside ``period``."""
    vertices, _ = track_vertices(tracks)
    inside = (vertices.t_any >= period.start_s) & (vertices.t_any < period.end_s)
    rows = np.unique(vertices.track[inside])
    return tracks.iloc[rows]


def latest_time(tracks: gpd.GeoDataFrame) -> float | None:
    """The latest vertex time (or start/end) of any track, as epoch seconds; None if none."""
    if len(tracks) == 0:
        return None
    vertices, _ = track_vertices(tracks)
    finite = vertices.t_any[np.isfinite(vertices.t_any)]
    return float(finite.max()) if len(finite) else None


def default_period(tracks: gpd.GeoDataFrame, *, n_weeks: int = 4) -> Period:
    """The ``n_weeks`` whole ISO weeks ending with the week of the latest track (else today)."""
    from geo.periods import local_date, weeks_ending

    latest = latest_time(tracks)
    last = local_date(latest) if latest is not None else pd.Timestamp.now(tz="UTC").date()
    return weeks_ending(last, n_weeks=n_weeks)


def road_network(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The measured roads (not schematic) to count street length by, or None if there are none."""
    if len(roads) == 0:
        return None
    schematic = roads["schematic"].fillna(False).astype(bool) if "schematic" in roads \
        else pd.Series(False, index=roads.index)
    measured = roads[~schematic.to_numpy()]
    return measured if len(measured) else None


def zones_with_figures(result: PatrolCoverage, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``zones`` (geometry and name) with each zone's headline figures as columns."""
    rows = {z.zone_id: z for z in result.zones}
    out = zones[["name"]].copy() if "name" in zones else gpd.GeoDataFrame(index=zones.index)
    out["provenance"] = zones["provenance"] if "provenance" in zones else None
    for column in ("minutes", "minutes_per_week", "target_minutes_per_week", "target_pct",
                   "visits", "longest_gap_h", "coverage_pct", "coverage_basis"):
        out[column] = [getattr(rows[int(i)], column) for i in zones.index]
    out["dosed_pct"] = [rows[int(i)].dosage.dosed_pct for i in zones.index]
    return gpd.GeoDataFrame(out, geometry=zones.geometry.values, crs=zones.crs, index=zones.index)
