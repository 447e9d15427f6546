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

How it is fast (a month of 1 Hz pings, millions of points, in about 0.2 s): each zone has one grid
of ``cell_m`` cells reaching ``reach_m + 2·cell_m`` beyond it, holding per cell whether its centre
is inside and a lower bound of its distance to the zone's edge. A coarse router over all zones'
grids sends each vertex to the grid(s) it lies in, so every point is read once, not once per zone
(a segment shorter than the grids' margin cannot reach a zone whose grid its first vertex is
outside; the few longer ones are tried against every zone). A segment shorter than its cell's
distance to the edge is wholly in or out; runs of consecutive such segments inside make one
interval each; only the segments near the edge are cut at it, with numpy, against the zone's
edges. Street coverage sets one bit per time band in the cells the (densified) tracks pass
through and dilates all bits at once by a disc of ``reach_m`` with running ORs, so its cost
depends on the zone's size, not on the number of pings.

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
from geo.periods import (
    BANDS, DAYTYPES, BandBoundaries, Period, active_intervals, band_boundaries, epoch_seconds,
    local_text, measure_before, merge_intervals, split_at_boundaries,
)

log = logging.getLogger(__name__)

DEFAULT_REACH_M = 50.0
DEFAULT_VISIT_GAP_MIN = 15.0
DEFAULT_CELL_M = 2.5
DEFAULT_MAX_PING_GAP_MIN = 10.0  # TRYGG_MAX_PING_GAP_MIN: a longer silence is a gap, not presence
KOPER_VISIT_MIN = 10.0
KOPER_MAX_GAP_H = 2.0
_ON_EDGE_M = 1e-6  # a zone's corner this close to a segment's line cuts the segment there
MAX_CELLS_PER_SIDE = 2000  # a zone's grid grows coarser than cell_m beyond this
_TILE_CELLS = 8  # street coverage is decided per tile of 8 × 8 cells, exactly where partial
_QUAD_SEGS = 64  # buffers in partial tiles: a disc's polygon lacks 1e-4 of its area
_POINT_LINE_M = 1e-6  # a single ping is buffered as a line this long
_SIMPLIFY_M = 1e-3  # tracks are simplified this much before buffering (area effect negligible)
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
    unreadable_times: int = 0  # vertex times that could not be read (their vertices dropped)


def ordered_vertices(v: TrackVertices) -> TrackVertices:
    """The vertices of each piece in time order (stable), repeats of a ping (same time and
    place) dropped.

    Pieces without any time keep their drawn order; a vertex without a time in a piece with
    times is dropped (it was counted as unreadable). Already ordered input is returned as is.
    """
    n = len(v.x)
    if n < 2:
        return v
    same = v.piece[1:] == v.piece[:-1]
    finite = np.isfinite(v.t)
    timed_piece = np.zeros(int(v.piece.max()) + 1 if n else 0, dtype=bool)
    timed_piece[v.piece[finite]] = True
    lost = timed_piece[v.piece] & ~finite
    with np.errstate(invalid="ignore"):
        backwards = same & finite[1:] & finite[:-1] & (
            (v.t[1:] < v.t[:-1])
            | ((v.t[1:] == v.t[:-1]) & (v.x[1:] == v.x[:-1]) & (v.y[1:] == v.y[:-1])))
    if not lost.any() and not backwards.any() and not (np.diff(v.piece) < 0).any():
        return v
    keep = np.flatnonzero(~lost)
    order = keep[np.lexsort((v.t[keep], v.piece[keep]))]  # stable: untimed pieces keep order
    t, piece, x, y = v.t[order], v.piece[order], v.x[order], v.y[order]
    dup = np.r_[False, (piece[1:] == piece[:-1]) & (t[1:] == t[:-1]) & (x[1:] == x[:-1])
                & (y[1:] == y[:-1])]
    order = order[~dup]
    return TrackVertices(v.x[order], v.y[order], v.t[order], v.t_any[order], v.piece[order],
                         v.track[order], v.unreadable_times)


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
                   for ts, c in zip(times, counts.tolist(), strict=True)], dtype=bool)
    t = np.full(len(coords), np.nan)
    unreadable = 0
    if ok.any():
        flat = pd.Series([s for ts, good in zip(times, ok.tolist(), strict=True) if good
                          for s in ts], dtype=object).astype(str).str.strip()
        has = np.repeat(ok, counts)
        t[has] = epoch_seconds(flat, sequence=track[has])
        unreadable = int(np.isnan(t[has]).sum())
        if unreadable:
            log.warning("patrol tracks: %d vertex times could not be read", unreadable)
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
    vertices = TrackVertices(coords[:, 0], coords[:, 1], t, t_any, piece, track, unreadable)
    return ordered_vertices(vertices), units


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
    unreadable_times: int = 0  # vertex times that could not be read (those vertices are left out)
    max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN


# --- geometry helpers ---------------------------------------------------------------------------

class _Edges(NamedTuple):
    """The straight pieces of a zone's boundary (all rings)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray


def _zone_edges(zone: shapely.Geometry) -> _Edges:
    rings = shapely.get_rings(shapely.get_parts(zone))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(ring[1:] == ring[:-1])
    return _Edges(xy[same, 0], xy[same, 1], xy[same + 1, 0], xy[same + 1, 1])


def _edge_samples(edges: _Edges, *, step_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Points along the edges, both ends included, no more than ``step_m`` apart."""
    dx, dy = edges.x1 - edges.x0, edges.y1 - edges.y0
    n = np.maximum(np.ceil(np.hypot(dx, dy) / step_m), 1).astype(np.int64)
    owner = np.repeat(np.arange(len(n)), n + 1)
    f = (np.arange(len(owner)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)) / n[owner]
    return edges.x0[owner] + f * dx[owner], edges.y0[owner] + f * dy[owner]


@dataclass(frozen=True)
class _Grid:
    """A zone's grid of square cells (flat arrays, row after row of constant y)."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    inside: np.ndarray  # cell centre inside the zone
    clear2: np.ndarray  # squared lower bound of the distance from the cell to the zone's edge
    # (−1 where the bound is 0: a segment starting there may cross the edge)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x0, self.y0, self.x0 + self.nx * self.cell, self.y0 + self.ny * self.cell

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the points inside the grid's extent, their flat cell index)."""
        ix, iy = (_floor_index(v - v0, self.cell) for v, v0 in ((x, self.x0), (y, self.y0)))
        # Negative indexes wrap around to huge ones as unsigned: one comparison per axis.
        ok = (ix.view(np.uint64) < self.nx) & (iy.view(np.uint64) < self.ny)
        iy *= self.nx
        iy += ix
        kept = np.flatnonzero(ok)
        return kept, (iy if len(kept) == len(iy) else iy.take(kept))


def _floor_index(offset: np.ndarray, cell: float) -> np.ndarray:
    """floor(offset / cell) as int64, computed in place in ``offset``'s storage where possible."""
    offset /= cell
    np.floor(offset, out=offset)
    return offset.astype(np.int64)


def _zone_grid(zone: shapely.Geometry, edges: _Edges, *, cell_m: float, margin_m: float) -> _Grid:
    """The zone's grid, ``margin_m`` beyond its bounds; distance bounds up to ``margin_m``."""
    minx, miny, maxx, maxy = shapely.bounds(zone)
    extent = max(maxx - minx, maxy - miny) + 2 * margin_m
    cell = max(cell_m, extent / MAX_CELLS_PER_SIDE)
    x0 = math.floor((minx - margin_m) / cell) * cell
    y0 = math.floor((miny - margin_m) / cell) * cell
    nx = int(math.ceil((maxx + margin_m - x0) / cell)) + 1
    ny = int(math.ceil((maxy + margin_m - y0) / cell)) + 1
    cx, cy = x0 + (np.arange(nx) + 0.5) * cell, y0 + (np.arange(ny) + 0.5) * cell
    inside: np.ndarray = np.zeros((ny, nx), dtype=bool)
    cols = np.flatnonzero((cx >= minx) & (cx <= maxx))  # no centre outside the bounds is inside
    rows = np.flatnonzero((cy >= miny) & (cy <= maxy))
    shapely.prepare(zone)  # also for cutting segments at the edge (_parts_inside)
    if len(cols) and len(rows):
        gx, gy = np.meshgrid(cx[cols], cy[rows])
        inside[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = shapely.contains_xy(zone, gx, gy)
    inside = inside.ravel()
    clear = _clearance(edges, x0, y0, cell, nx, ny, up_to_m=margin_m).ravel()
    return _Grid(x0, y0, cell, nx, ny, inside, np.where(clear > 0, clear * clear, -1.0))


def _clearance(edges: _Edges, x0: float, y0: float, cell: float, nx: int, ny: int, *,
               up_to_m: float) -> np.ndarray:
    """(ny, nx): per cell, a lower bound (capped near ``up_to_m``) of the distance from any point
    of the cell to the edge. The edge is sampled every half cell; a cell ``d`` cells (Chebyshev)
    from the nearest cell holding a sample is at least (d − 1)·cell − cell/4 from the edge."""
    step = cell / 2
    bx, by = _edge_samples(edges, step_m=step)
    ix = np.clip(np.floor((bx - x0) / cell).astype(np.int64), 0, nx - 1)
    iy = np.clip(np.floor((by - y0) / cell).astype(np.int64), 0, ny - 1)
    reached = np.zeros((ny, nx), dtype=bool)
    reached[iy, ix] = True
    n_steps = int(math.ceil(up_to_m / cell)) + 2
    ring = np.full((ny, nx), n_steps + 1, dtype=np.int32)  # Chebyshev distance in cells
    ring[reached] = 0
    for d in range(1, n_steps + 1):  # grow by one cell at a time: a few dozen array passes
        wide = reached.copy()
        wide[:, 1:] |= reached[:, :-1]
        wide[:, :-1] |= reached[:, 1:]
        grown = wide.copy()
        grown[1:] |= wide[:-1]
        grown[:-1] |= wide[1:]
        ring[grown & ~reached] = d
        reached = grown
    return (ring - 1) * cell - step / 2 - 1e-6 * cell


@dataclass(frozen=True)
class _Router:
    """A coarse grid over all zones' grids holding, per cell, the only zone whose grid it meets
    (−1: none, −2: several), so that each point is located once for all zones."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    slot: np.ndarray  # ((ny + 2) · (nx + 2),) with a border of −1 around the grid
    boxes: np.ndarray  # (n_zones, 4): the extent of each zone's grid

    @classmethod
    def over(cls, boxes: np.ndarray, *, cell_m: float) -> _Router:
        extent = max(np.ptp(boxes[:, [0, 2]]), np.ptp(boxes[:, [1, 3]]))
        cell = max(cell_m, extent / 1024)
        x0, y0 = boxes[:, 0].min() - cell, boxes[:, 1].min() - cell
        nx = int(math.ceil((boxes[:, 2].max() + cell - x0) / cell))
        ny = int(math.ceil((boxes[:, 3].max() + cell - y0) / cell))
        count = np.zeros((ny + 2, nx + 2), dtype=np.int32)
        owner = np.full((ny + 2, nx + 2), -1, dtype=np.int16 if len(boxes) < 2 ** 15 else np.int32)
        for k, (bx0, by0, bx1, by1) in enumerate(boxes):  # rectangles, one per zone
            i0, i1 = (int(math.floor((b - x0) / cell)) + 1 for b in (bx0, bx1))
            j0, j1 = (int(math.floor((b - y0) / cell)) + 1 for b in (by0, by1))
            # One cell more each way, so that rounding never sends a point past its zone.
            count[j0 - 1:j1 + 2, i0 - 1:i1 + 2] += 1
            owner[j0 - 1:j1 + 2, i0 - 1:i1 + 2] = k
        owner[count > 1] = -2
        return cls(x0, y0, cell, nx, ny, owner.ravel(), boxes)

    def route(self, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
        """Per zone, the sorted indexes of the points that may lie in its grid."""
        ix, iy = (_router_index(v - v0, self.cell, n)
                  for v, v0, n in ((x, self.x0, self.nx), (y, self.y0, self.ny)))
        iy *= self.nx + 2
        iy += ix
        slot = self.slot.take(iy)
        order = np.argsort(slot, kind="stable")  # a radix sort: one pass, order kept per zone
        ends = np.cumsum(np.bincount(slot + 2, minlength=len(self.boxes) + 2))
        several = order[:ends[0]]
        sx, sy = x.take(several), y.take(several)
        out = []
        for k, (bx0, by0, bx1, by1) in enumerate(self.boxes):
            own = order[ends[k + 1]:ends[k + 2]]
            extra = several[(sx >= bx0) & (sx < bx1) & (sy >= by0) & (sy < by1)]
            out.append(np.insert(own, np.searchsorted(own, extra), extra))  # still sorted
        return out


def _router_index(offset: np.ndarray, cell: float, n: int) -> np.ndarray:
    """The router cell (1 … n, 0 and n + 1 for the border) along one axis, in place."""
    offset *= 1.0 / cell  # rounding does not matter here: zones are a cell away from the border
    offset += 1.0
    np.clip(offset, 0.0, n + 1.0, out=offset)
    return offset.astype(np.intp)


class _Segments(NamedTuple):
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    t0: np.ndarray
    t1: np.ndarray
    track: np.ndarray


def _timed_segments(v: TrackVertices, *, max_gap_s: float) -> _Segments:
    """Segments between consecutive timed vertices of one piece no more than ``max_gap_s``
    apart (the vertices in time order, ``ordered_vertices``)."""
    same = v.piece[1:] == v.piece[:-1]
    dt = v.t[1:] - v.t[:-1]
    ok = same & np.isfinite(dt) & (dt >= 0) & (dt <= max_gap_s)
    i = np.flatnonzero(ok)
    return _Segments(v.x[i], v.y[i], v.x[i + 1], v.y[i + 1], v.t[i], v.t[i + 1], v.track[i])


class _Walks(NamedTuple):
    """The track vertices prepared once for all zones and periods. Segment ``i`` runs from
    vertex ``i`` to ``i + 1``; arrays per segment have one entry per vertex (the last unused)."""

    v: TrackVertices
    t_next: np.ndarray  # time of the next vertex (NaN after the last)
    long: np.ndarray  # indexes of the timed segments at least ``long_m`` long
    drawn: np.ndarray  # per vertex: the segment from it is walked (timed, no gap; or untimed)
    long_drawn: np.ndarray  # indexes of the drawn segments at least ``long_m`` long
    members: list[np.ndarray]  # per zone: the vertices inside its grid
    cells: list[np.ndarray]  # per zone: their cells
    inside: list[np.ndarray]  # per zone: the short timed segments wholly inside it
    near: list[np.ndarray]  # per zone: the short timed segments that may cross its edge


def _walks(v: TrackVertices, grids: list[_Grid], *, long_m: float, step_m: float,
           max_gap_s: float) -> _Walks:
    """Segments, their lengths and the vertices (and points between) located in each zone's grid.

    A segment shorter than ``long_m`` (no more than any grid's margin) that starts outside a
    zone's grid cannot reach the zone, so short segments are looked at only in the grids of their
    first vertex; the few long ones are looked at in every zone."""
    n = len(v.x)
    same = np.zeros(n, dtype=bool)
    np.equal(v.piece[1:], v.piece[:-1], out=same[:-1])
    t_next = np.empty(n)
    t_next[:-1], t_next[-1:] = v.t[1:], np.nan
    # NaN compares False: both ends timed, time not backwards, no longer than a gap.
    timed = same & (t_next >= v.t) & (t_next - v.t <= max_gap_s)
    drawn = timed | (same & np.isnan(v.t) & np.isnan(t_next))
    len2 = np.zeros(n)
    if n > 1:
        dx = np.subtract(v.x[1:], v.x[:-1])
        dy = np.subtract(v.y[1:], v.y[:-1])
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        np.add(dx, dy, out=len2[:-1])
        len2[:-1][~same[:-1]] = 0.0
    is_long = len2 >= long_m * long_m
    short = timed & ~is_long
    members: list[np.ndarray] = []
    cells: list[np.ndarray] = []
    inside: list[np.ndarray] = []
    near: list[np.ndarray] = []
    if grids:
        router = _Router.over(np.array([g.box for g in grids]), cell_m=4 * step_m)
        for grid, idx in zip(grids, router.route(v.x, v.y), strict=True):
            ok, c = grid.cells(v.x.take(idx), v.y.take(idx))
            members.append(idx.take(ok) if len(ok) < len(idx) else idx)
            cells.append(c)
    for grid, m, c in zip(grids, members, cells, strict=True):
        # A segment shorter than its first cell's distance to the edge is wholly in or out.
        use = short.take(m)
        easy = len2.take(m) < grid.clear2.take(c)
        near.append(m[use & ~easy])
        use &= easy
        use &= grid.inside.take(c)
        inside.append(m[use])
    return _Walks(v, t_next, np.flatnonzero(timed & is_long), drawn,
                  np.flatnonzero(drawn & is_long), members, cells, inside, near)


class _PeriodMasks(NamedTuple):
    """What of ``_Walks`` falls in a period."""

    segments: np.ndarray  # per vertex: the segment starting here overlaps the period
    long: np.ndarray  # indexes of the long timed segments overlapping the period
    points: np.ndarray  # per vertex: its time (or its track's) is in the period

    @classmethod
    def of(cls, w: _Walks, period: Period) -> _PeriodMasks:
        s, e = period.start_s, period.end_s
        seg = w.t_next > s
        seg &= w.v.t < e
        long = w.long[(w.t_next[w.long] > s) & (w.v.t[w.long] < e)]
        return cls(seg, long, (w.v.t_any >= s) & (w.v.t_any < e))


def _parts_inside(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                  zone: shapely.Geometry, edges: _Edges
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where segments run inside the (prepared) ``zone``, its edge included: (segment, from, to)
    as fractions along the segment. Each segment is cut where it meets the edge (or passes a
    corner) and each piece is in or out as its midpoint is."""
    n, m = len(x0), len(edges.x0)
    dx, dy = x1 - x0, y1 - y0
    ux, uy = edges.x1 - edges.x0, edges.y1 - edges.y0
    owners, cuts = [np.arange(n), np.arange(n)], [np.zeros(n), np.ones(n)]
    chunk = max(1, (1 << 18) // max(m, 1))  # bounds the memory of the segment × edge arrays
    with np.errstate(divide="ignore", invalid="ignore"):
        for s0 in range(0, n, chunk):
            sdx, sdy = dx[s0:s0 + chunk, None], dy[s0:s0 + chunk, None]
            wx = edges.x0[None, :] - x0[s0:s0 + chunk, None]
            wy = edges.y0[None, :] - y0[s0:s0 + chunk, None]
            den = sdx * uy - sdy * ux
            side = wx * sdy - wy * sdx  # the edge's start off the segment's line, × its length
            s = (wx * uy - wy * ux) / den  # where the segment meets the edge's line
            u = side / den  # where the edge meets the segment's line
            cross = (np.abs(u - 0.5) <= 0.5 + 1e-9) & (s > 0) & (s < 1)
            length = np.sqrt(sdx * sdx + sdy * sdy)
            p = (wx * sdx + wy * sdy) / (length * length)  # the edge's start along the segment
            corner = (np.abs(side) <= _ON_EDGE_M * length) & (p > 0) & (p < 1)
            for hit, at in ((cross, s), (corner, p)):
                row, col = np.nonzero(hit)
                owners.append(row + s0)
                cuts.append(at[row, col])
    owner, cut = np.concatenate(owners), np.concatenate(cuts)
    order = np.lexsort((cut, owner))
    owner, cut = owner[order], cut[order]
    piece = np.flatnonzero((owner[1:] == owner[:-1]) & (cut[1:] > cut[:-1]))
    o, lo, hi = owner[piece], cut[piece], cut[piece + 1]
    mid = (lo + hi) / 2
    inside = shapely.intersects_xy(zone, x0[o] + mid * dx[o], y0[o] + mid * dy[o])
    return o[inside], lo[inside], hi[inside]


def _inside_intervals(w: _Walks, k: int, zone: shapely.Geometry, edges: _Edges,
                      masks: _PeriodMasks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(track, start, end) of the time the segments in the period spend inside zone
    ``k`` (edge included). Runs of consecutive segments wholly inside make one interval each;
    the segments near the edge are cut at it."""
    whole = w.inside[k][masks.segments.take(w.inside[k])]
    brk = np.flatnonzero(np.diff(whole) != 1)
    first = whole[np.r_[0, brk + 1]] if len(whole) else whole
    last = whole[np.r_[brk, len(whole) - 1]] if len(whole) else whole

    long_in_period = masks.long
    minx, miny, maxx, maxy = shapely.bounds(zone)
    lx0, ly0 = w.v.x[long_in_period], w.v.y[long_in_period]
    lx1, ly1 = w.v.x[long_in_period + 1], w.v.y[long_in_period + 1]
    reach = ((np.maximum(lx0, lx1) >= minx) & (np.minimum(lx0, lx1) <= maxx)
             & (np.maximum(ly0, ly1) >= miny) & (np.minimum(ly0, ly1) <= maxy))
    near = w.near[k][masks.segments.take(w.near[k])]
    hard = np.concatenate([near, long_in_period[reach]])
    o, lo, hi = _parts_inside(w.v.x[hard], w.v.y[hard], w.v.x[hard + 1], w.v.y[hard + 1],
                              zone, edges)
    h = hard[o]
    t0, t1 = w.v.t[h], w.t_next[h]
    return (np.concatenate([w.v.track[first], w.v.track[h]]),
            np.concatenate([w.v.t[first], np.where(lo == 0, t0, t0 + lo * (t1 - t0))]),
            np.concatenate([w.t_next[last], np.where(hi == 1, t1, t0 + hi * (t1 - t0))]))


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


def _groups(t: np.ndarray, bounds: BandBoundaries) -> np.ndarray:
    """The coverage group of each instant: band·2 + weekend, or _UNTIMED_GROUP for NaN."""
    group = (bounds.band * 2 + bounds.weekend).astype(np.uint8).take(bounds.locate(t))
    untimed = np.isnan(t)
    if untimed.any():
        group[untimed] = _UNTIMED_GROUP
    out: np.ndarray = group
    return out


class _CoverSegments(NamedTuple):
    """The walked pieces near one zone in one period, cut at the band boundaries: a segment per
    row (a single ping has both ends equal), with its coverage group (``_groups``)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    group: np.ndarray


def _cover_segments(w: _Walks, k: int, period: Period, masks: _PeriodMasks,
                    bounds: BandBoundaries | None) -> _CoverSegments:
    """The segments that count for street coverage of zone ``k``: the walked segments (no gap)
    clipped to the period by time, and the pings with no walked segment on either side."""
    v, s, e = w.v, period.start_s, period.end_s
    m = w.members[k]
    pick = np.zeros(len(v.x), dtype=bool)
    pick[m[w.drawn.take(m)]] = True
    pick[w.long_drawn] = True
    seg = np.flatnonzero(pick)
    t0, t1 = v.t[seg], w.t_next[seg]
    untimed = np.isnan(t0)
    keep = np.where(untimed, masks.points[seg], (t1 > s) & (t0 < e))
    seg, t0, t1, untimed = seg[keep], t0[keep], t1[keep], untimed[keep]
    a, b = np.maximum(t0, s), np.minimum(t1, e)
    lo, hi = np.zeros(len(seg)), np.ones(len(seg))
    group = np.full(len(seg), _UNTIMED_GROUP, dtype=np.uint8)
    timed = np.flatnonzero(~untimed)
    if len(timed):
        if bounds is None:
            src = timed
            pa, pb = a[timed], b[timed]
            g = np.zeros(len(timed), dtype=np.uint8)
        else:
            j, pa, pb, stretch = split_at_boundaries(a[timed], b[timed], bounds)
            src = timed[j]
            g = (bounds.band * 2 + bounds.weekend).astype(np.uint8)[stretch]
        dt = t1[src] - t0[src]
        with np.errstate(invalid="ignore", divide="ignore"):
            f0 = np.where(dt > 0, (pa - t0[src]) / dt, 0.0)
            f1 = np.where(dt > 0, (pb - t0[src]) / dt, 1.0)
        idx = np.r_[np.flatnonzero(untimed), src]
        lo = np.r_[lo[untimed], f0]
        hi = np.r_[hi[untimed], f1]
        group = np.r_[group[untimed], g]
        seg = seg[idx]
    # Pings with no walked segment on either side still cover a disc.
    prev = np.zeros(len(v.x), dtype=bool)
    prev[1:] = w.drawn[:-1]
    alone = m[masks.points.take(m) & ~w.drawn.take(m) & ~prev.take(m)]
    alone_group = (np.zeros(len(alone), dtype=np.uint8) if bounds is None
                   else _groups(v.t[alone], bounds))
    x, y = v.x, v.y
    dx, dy = x[seg + 1] - x[seg], y[seg + 1] - y[seg]
    x0, y0 = np.r_[x[seg] + lo * dx, x[alone]], np.r_[y[seg] + lo * dy, y[alone]]
    x1, y1 = np.r_[x[seg] + hi * dx, x[alone]], np.r_[y[seg] + hi * dy, y[alone]]
    # GEOS buffers a line of no length to nothing: a micrometre makes it the ping's disc.
    x1 = np.where((x1 == x0) & (y1 == y0), x0 + _POINT_LINE_M, x1)
    return _CoverSegments(x0, y0, x1, y1, np.r_[group, alone_group])


def _sampled_bits(c: _CoverSegments, grid: _Grid) -> np.ndarray:
    """(ny, nx) uint8: bit ``g`` set in the cells holding a point of a group-``g`` segment,
    sampled at both ends and no more than a cell apart along it."""
    length = np.hypot(c.x1 - c.x0, c.y1 - c.y0)
    n = np.maximum(np.ceil(length / grid.cell), 1).astype(np.int64)
    owner = np.repeat(np.arange(len(n)), n + 1)
    f = (np.arange(len(owner)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)) / n[owner]
    px = c.x0[owner] + f * (c.x1 - c.x0)[owner]
    py = c.y0[owner] + f * (c.y1 - c.y0)[owner]
    ok, cell = grid.cells(px, py)
    flags = np.zeros(grid.ny * grid.nx * 8, dtype=bool)
    flags[cell * 8 + c.group[owner[ok]]] = True
    return np.packbits(flags.reshape(grid.ny, grid.nx, 8), axis=-1, bitorder="little")[..., 0]


def _dilate(bits: np.ndarray, half: list[int]) -> np.ndarray:
    """OR of the (ny, nx) uint8 array over the shape {|dx| ≤ half[|dy|]}, each bit on its own:
    a stack of rows, each a running OR along x (the grid's cost, not the pings')."""
    ny, _ = bits.shape
    rows: dict[int, np.ndarray] = {}
    run = bits.copy()
    for width in range(max(half) + 1):  # run: any bit set within ``width`` cells along the row
        if width:
            run[:, width:] |= bits[:, :-width]
            run[:, :-width] |= bits[:, width:]
        if width in half:
            rows[width] = run.copy()
    covered = rows[half[0]].copy()
    for dy in range(1, min(len(half) - 1, ny - 1) + 1):
        h = rows[half[dy]]
        covered[dy:] |= h[:ny - dy]
        covered[:-dy] |= h[dy:]
    return covered


def _sure_half(radius_cells: float) -> list[int]:
    """Cells wholly within ``radius_cells`` of any point of a cell (dy, dx) away from it."""
    r2 = radius_cells * radius_cells * (1 - 1e-12)
    half = []
    for dy in range(int(radius_cells) + 1):
        rest = r2 - (dy + 1) ** 2
        width = int(math.floor(math.sqrt(rest))) - 1 if rest >= 0 else -1
        if width < 0:
            break
        half.append(width)
    return half


def _possible_half(radius_cells: float) -> list[int]:
    """Cells with some point within ``radius_cells`` of some point of a cell (dy, dx) away."""
    r2 = radius_cells * radius_cells * (1 + 1e-12) + 1e-9
    return [int(math.floor(math.sqrt(r2 - max(dy - 1, 0) ** 2))) + 1
            for dy in range(int(math.floor(radius_cells)) + 2)]


class _Tiles(NamedTuple):
    """A zone's grid cut into tiles of ``_TILE_CELLS`` × ``_TILE_CELLS`` cells: per tile that
    meets the zone, its part of the zone and that part's area and street length."""

    meets: np.ndarray  # (ny, nx) cells that may hold part of the zone
    slot: np.ndarray  # (nty, ntx) → row in the arrays below, −1 where no part of the zone
    tx: np.ndarray  # per row: the tile's column and row in the grid of tiles
    ty: np.ndarray
    part: np.ndarray  # tile box ∩ zone
    area: np.ndarray
    street_m: np.ndarray | None
    streets: shapely.Geometry | None  # the streets inside the zone


def _zone_tiles(grid: _Grid, zone: shapely.Geometry, streets: np.ndarray | None) -> _Tiles:
    meets = (grid.inside | (grid.clear2 < 0)).reshape(grid.ny, grid.nx)
    t = _TILE_CELLS
    nty, ntx = -(-grid.ny // t), -(-grid.nx // t)
    pad = np.zeros((nty * t, ntx * t), dtype=bool)
    pad[:grid.ny, :grid.nx] = meets
    any_meet = pad.reshape(nty, t, ntx, t).any(axis=(1, 3))
    ty, tx = np.nonzero(any_meet)
    size = t * grid.cell
    boxes = shapely.box(grid.x0 + tx * size, grid.y0 + ty * size,
                        grid.x0 + (tx + 1) * size, grid.y0 + (ty + 1) * size)
    part = _polygonal(shapely.intersection(boxes, zone))
    index = np.full((nty, ntx), -1, dtype=np.int64)
    index[ty, tx] = np.arange(len(ty))
    street_m = None
    inside_streets = None
    if streets is not None:
        pieces = shapely.get_parts(shapely.get_parts(shapely.intersection(streets, zone)))
        pieces = pieces[(shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)]
        inside_streets = shapely.multilinestrings(pieces)
        street_m = shapely.length(shapely.intersection(part, inside_streets))
    return _Tiles(meets, index, tx, ty, part, shapely.area(part), street_m, inside_streets)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygons of each geometry (a box touching the zone along an edge gives lines too)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    out = np.full(len(geoms), shapely.Polygon(), dtype=object)
    if polygon.any():
        used, slot = np.unique(owner[polygon], return_inverse=True)
        out[used] = shapely.multipolygons(parts[polygon], indices=slot)
    return out


def _tile_counts(cells: np.ndarray, tiles: _Tiles) -> np.ndarray:
    """Per tile row: how many of its zone cells are set in the (ny, nx) bool array."""
    t = _TILE_CELLS
    nty, ntx = tiles.slot.shape
    pad = np.zeros((nty * t, ntx * t), dtype=np.int32)
    ny, nx = cells.shape
    pad[:ny, :nx] = cells & tiles.meets
    counts = pad.reshape(nty, t, ntx, t).sum(axis=(1, 3))
    out = np.zeros(len(tiles.area), dtype=np.int64)
    ok = tiles.slot >= 0
    out[tiles.slot[ok]] = counts[ok]
    return out


class _ZoneCover:
    """Street coverage of one zone in one period, exact: a tile all of whose zone cells lie
    within the reach of a sampled track point counts whole, a tile none of whose cells can be
    reached counts nothing, and the others are measured with shapely (the buffer of the track
    pieces near the tile, simplified by ``_SIMPLIFY_M``, cut with the tile's part of the zone)."""

    def __init__(self, c: _CoverSegments, grid: _Grid, tiles: _Tiles, *, reach_m: float
                 ) -> None:
        self.c, self.grid, self.tiles, self.reach_m = c, grid, tiles, reach_m
        bits = _sampled_bits(c, grid)
        radius = reach_m / grid.cell
        self.sure = _dilate(bits, _sure_half(radius)) if _sure_half(radius) else \
            np.zeros_like(bits)
        self.possible = _dilate(bits, _possible_half(radius + 0.5))
        self.n_meets = _tile_counts(np.ones(tiles.meets.shape, dtype=bool), tiles)
        self.streets = tiles.street_m is not None
        total = tiles.street_m.sum() if tiles.street_m is not None else tiles.area.sum()
        self.total = float(total)

    def share(self, groups: int) -> float:
        """The covered share (percent) by the segments of the groups in the bit mask."""
        if self.total <= 0:
            return 0.0
        sure = (self.sure & groups) != 0
        possible = (self.possible & groups) != 0
        n_sure = _tile_counts(sure, self.tiles)
        n_possible = _tile_counts(possible, self.tiles)
        measure = self.tiles.street_m if self.tiles.street_m is not None else self.tiles.area
        full = n_sure == self.n_meets
        partial = ~full & (n_possible > 0) & (measure > 0)
        covered = float(measure[full].sum())
        if partial.any():
            covered += self._measure(np.flatnonzero(partial), ~sure, groups)
        return 100.0 * covered / self.total

    def _measure(self, rows: np.ndarray, open_cells: np.ndarray, groups: int) -> float:
        """The covered measure in the tiles ``rows`` by the segments of ``groups``, with shapely:
        the tile's measure less that of its cells not surely covered (``open_cells``), plus what
        of those cells the buffer covers.

        Only segments that may come within the reach of these tiles are taken (those starting or
        ending in a tile no more than the reach and two tiles away, and the long ones); they are
        joined into lines where they follow on, simplified, cut to each tile's box grown by the
        reach (which keeps every point that can reach the tile), buffered and measured."""
        c, tiles, r = self.c, self.tiles, self.reach_m
        size = _TILE_CELLS * self.grid.cell
        nty, ntx = tiles.slot.shape
        near = np.zeros((nty, ntx), dtype=bool)
        near[tiles.ty[rows], tiles.tx[rows]] = True
        k = int(math.ceil(r / size)) + 2
        grown = np.zeros((nty + 2 * k, ntx + 2 * k), dtype=bool)
        for dy in range(2 * k + 1):  # a small array of tiles
            for dx in range(2 * k + 1):
                grown[dy:dy + nty, dx:dx + ntx] |= near
        grown = grown[k:k + nty, k:k + ntx]

        def tile_of(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            ix = np.clip(np.floor((x - self.grid.x0) / size), -1, ntx).astype(np.int64)
            iy = np.clip(np.floor((y - self.grid.y0) / size), -1, nty).astype(np.int64)
            inside = (ix >= 0) & (ix < ntx) & (iy >= 0) & (iy < nty)
            out = np.zeros(len(x), dtype=bool)
            out[inside] = grown[iy[inside], ix[inside]]
            return out

        mine = ((groups >> c.group.astype(np.int64)) & 1).astype(bool)
        length = np.hypot(c.x1 - c.x0, c.y1 - c.y0)
        seg = np.flatnonzero(mine & (tile_of(c.x0, c.y0) | tile_of(c.x1, c.y1) | (length > size)))
        if len(seg) == 0:
            return 0.0
        # Segments that follow on (the next row starts where this one ends) make one line.
        joined = np.r_[False, (seg[1:] == seg[:-1] + 1) & (c.x0[seg[1:]] == c.x1[seg[:-1]])
                       & (c.y0[seg[1:]] == c.y1[seg[:-1]])
                       & (c.group[seg[1:]] == c.group[seg[:-1]])]
        line = np.cumsum(~joined) - 1
        ends = np.r_[np.flatnonzero(~joined)[1:], len(seg)] - 1
        key = np.r_[np.arange(len(seg)) * 2, ends * 2 + 1]
        order = np.argsort(key, kind="stable")
        px = np.r_[c.x0[seg], c.x1[seg[ends]]][order]
        py = np.r_[c.y0[seg], c.y1[seg[ends]]][order]
        lines = shapely.linestrings(px, py, indices=np.r_[line, line[ends]][order])
        lines = shapely.simplify(lines, _SIMPLIFY_M, preserve_topology=False)
        open_part = self._open_parts(rows, open_cells)
        base = self._of(tiles.part[rows]).sum() - self._of(open_part).sum()
        t, li = shapely.STRtree(lines).query(open_part, predicate="dwithin", distance=r)
        if len(t) == 0:
            return float(base)
        x0, y0, x1, y1 = shapely.bounds(open_part).T
        reach_boxes = shapely.box(x0 - r, y0 - r, x1 + r, y1 + r)
        pieces = shapely.intersection(lines[li], reach_boxes[t])
        parts, owner = shapely.get_parts(pieces, return_index=True)
        is_line = shapely.get_type_id(parts) == 1
        parts, tile = parts[is_line], t[owner[is_line]]
        used, tile = np.unique(tile, return_inverse=True)
        shapes = shapely.multilinestrings(parts, indices=tile)
        buffered = shapely.buffer(shapes, r, quad_segs=_QUAD_SEGS)
        return float(base + self._of(shapely.intersection(open_part[used], buffered)).sum())

    def _of(self, parts: np.ndarray) -> np.ndarray:
        """The measure (street length or area) of parts of the zone."""
        measure: np.ndarray = (
            shapely.length(shapely.intersection(parts, self.tiles.streets))
            if self.tiles.streets is not None else shapely.area(parts))
        return measure

    def _open_parts(self, rows: np.ndarray, open_cells: np.ndarray) -> np.ndarray:
        """Per tile row: the part of the zone in its cells flagged in ``open_cells``."""
        t, g = _TILE_CELLS, self.grid
        iy, ix = np.nonzero(open_cells & self.tiles.meets)
        row = self.tiles.slot[iy // t, ix // t]
        want = np.full(len(self.tiles.area), -1, dtype=np.int64)
        want[rows] = np.arange(len(rows))
        slot = want[row]
        keep = slot >= 0
        iy, ix, slot = iy[keep], ix[keep], slot[keep]
        table = np.full((len(rows), t * t), None, dtype=object)
        table[slot, (iy % t) * t + ix % t] = shapely.box(
            g.x0 + ix * g.cell, g.y0 + iy * g.cell, g.x0 + (ix + 1) * g.cell,
            g.y0 + (iy + 1) * g.cell)
        cells = shapely.union_all(table, axis=1)
        return _polygonal(shapely.intersection(cells, self.tiles.part[rows]))


def _pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def _check_options(reach_m: float, visit_gap_min: float, cell_m: float,
                   max_ping_gap_min: float) -> None:
    problems = []
    if not (np.isfinite(max_ping_gap_min) and 0 < max_ping_gap_min <= 24 * 60):
        problems.append(f"max_ping_gap_min: {max_ping_gap_min!r} is outside 0–1440 min")
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


def patrol_coverage_vertices(  # noqa: PLR0913 -- issue 10 groups these options
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
    max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN,
    koper_visit_min: float = KOPER_VISIT_MIN,
    koper_max_gap_h: float = KOPER_MAX_GAP_H,
) -> PatrolCoverage:
    """Coverage of ``zones`` (EPSG:3006, indexed by id; ``name``, ``priority``,
    ``target_minutes_per_week``, ``active_hours``) by track vertices; ``units[track]`` names
    each track's team. See the module's docstring for the figures."""
    require_work_crs(zones, "zones")
    if streets is not None:
        require_work_crs(streets, "streets")
    _check_options(reach_m, visit_gap_min, cell_m, max_ping_gap_min)
    vertices = ordered_vertices(vertices)
    units = np.asarray(units, dtype=object)
    gap_s = visit_gap_min * 60.0
    bounds = band_boundaries(period)

    # Each zone's grid reaches margin_m beyond it: segments shorter than that are looked at only
    # in the grids their first vertex lies in, and coverage points only in the grids they lie in.
    margin_m = reach_m + 2 * cell_m
    geoms = list(zones.geometry.values)
    edges = [_zone_edges(zone) for zone in geoms]
    grids = [_zone_grid(zone, e, cell_m=cell_m, margin_m=margin_m)
             for zone, e in zip(geoms, edges, strict=True)]
    walks = _walks(vertices, grids, long_m=margin_m, step_m=cell_m,
                   max_gap_s=max_ping_gap_min * 60.0)
    now = _PeriodMasks.of(walks, period)
    before = _PeriodMasks.of(walks, baseline) if baseline is not None else None

    used = _tracks_with(vertices.track, now.points)
    timed = _tracks_with(vertices.track, now.points & np.isfinite(vertices.t))
    street_geoms = (np.asarray(streets.geometry.values, dtype=object)
                    if streets is not None and len(streets) else None)

    result = PatrolCoverage(
        period_from=period.first.isoformat(), period_to=period.last.isoformat(),
        days=period.days, reach_m=float(reach_m), visit_gap_min=float(visit_gap_min),
        tracks_in_period=int(used.sum()), tracks_without_times=int((used & ~timed).sum()),
        unreadable_times=int(vertices.unreadable_times), max_ping_gap_min=float(max_ping_gap_min))

    for k, (zone_id, zone_row) in enumerate(zones.iterrows()):  # a handful of zones
        zone, grid = geoms[k], grids[k]
        track, a, b = _stays(*_inside_intervals(walks, k, zone, edges[k], now), period)

        # Coverage: one bit per band × day type (and one for tracks without times) per cell.
        tiles = _zone_tiles(grid, zone, street_geoms)
        basis = "gatulangd" if tiles.street_m is not None and tiles.street_m.sum() > 0 else "yta"
        if basis == "yta":
            tiles = tiles._replace(street_m=None, streets=None)
        cover = _ZoneCover(_cover_segments(walks, k, period, now, bounds), grid, tiles,
                           reach_m=reach_m)
        bands_cov = {(BANDS[i], "alla"): cover.share(0b11 << 2 * i) for i in range(3)}
        bands_cov.update({("alla", DAYTYPES[d]): cover.share(0b010101 << d) for d in range(2)})
        total_cov = cover.share(0xFF)

        vs, ve, vp = _visits(a, b, gap_s=gap_s)
        zone_fig = _zone_figures(
            zone_id, zone_row, period, bounds, track, a, b, vs, ve, vp, units,
            coverage_pct=total_cov, basis=basis, cell=grid.cell, bands_cov=bands_cov,
            gap_s=gap_s, koper_visit_min=koper_visit_min, koper_max_gap_h=koper_max_gap_h)
        if baseline is not None and before is not None:
            _, ba, bb = _stays(*_inside_intervals(walks, k, zone, edges[k], before),
                               baseline)
            b_vs, _, _ = _visits(ba, bb, gap_s=gap_s)
            b_cov = _ZoneCover(_cover_segments(walks, k, baseline, before, None), grid, tiles,
                               reach_m=reach_m).share(0xFF)
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


def _tracks_with(track: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Per track number: whether any of its vertices is flagged."""
    out = np.zeros(int(track.max()) + 1 if len(track) else 0, dtype=bool)
    if len(track):
        first = np.flatnonzero(np.r_[True, track[1:] != track[:-1]])  # runs of one track
        out[track.take(first[np.logical_or.reduceat(flags, first)])] = True
    return out


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def _zone_figures(  # noqa: PLR0913 -- issue 10 groups these in one engine object
        zone_id: int, row: pd.Series, period: Period, bounds: BandBoundaries, track: np.ndarray,
        a: np.ndarray, b: np.ndarray, vs: np.ndarray, ve: np.ndarray, vp: np.ndarray,
        units: np.ndarray, *, coverage_pct: float, basis: str, cell: float,
        bands_cov: dict[tuple[str, str], float], gap_s: float, koper_visit_min: float,
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
    for w, (label, monday) in enumerate(zip(bounds.week_labels, bounds.week_mondays, strict=True)):
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
        long_visits=int(long_visit.sum()), long_visit_pct=_round(_pct(int(long_visit.sum()), len(vs))),
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

def presence_heat(vertices: TrackVertices, period: Period, *, cell_m: float = 25.0,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> pd.DataFrame:
    """Presence time per ``cell_m`` cell (all teams together): columns x, y (cell centre,
    EPSG:3006) and minutes. Each timed segment's duration goes to the cell of its midpoint."""
    seg = _timed_segments(ordered_vertices(vertices), max_gap_s=max_ping_gap_min * 60)
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
    out["provenance"] = zones.get("provenance", None)
    for column in ("minutes", "minutes_per_week", "target_minutes_per_week", "target_pct",
                   "visits", "longest_gap_h", "coverage_pct", "coverage_basis"):
        out[column] = [getattr(rows[int(i)], column) for i in zones.index]
    out["dosed_pct"] = [rows[int(i)].dosage.dosed_pct for i in zones.index]
    return gpd.GeoDataFrame(out, geometry=zones.geometry.values, crs=zones.crs, index=zones.index)
