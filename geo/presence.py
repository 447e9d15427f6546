"""Presence intervals: the time the walked segments spend inside a zone (runs of segments wholly
inside joined; segments near the edge cut at it with numpy), clipped to a period and joined per
track; visits joined across short absences; the presence heat of the coverage map."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely

from geo.coverage_options import DEFAULT_MAX_PING_GAP_MIN
from geo.periods import Period, merge_intervals
from geo.tracks import TrackVertices, ordered_vertices, timed_segments
from geo.walks import PeriodMasks, Walks
from geo.zone_grid import Edges

_ON_EDGE_M = 1e-6  # a zone's corner this close to a segment's line cuts the segment there


def _parts_inside(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                  zone: shapely.Geometry, edges: Edges
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


def inside_intervals(w: Walks, k: int, zone: shapely.Geometry, edges: Edges,
                      masks: PeriodMasks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


class Stays(NamedTuple):
    """Presence intervals in one zone per track, clipped to a period, joined where they touch."""

    track: np.ndarray
    a: np.ndarray  # start, epoch seconds
    b: np.ndarray  # end


class Visits(NamedTuple):
    """Visits of any team: presence joined across absences shorter than the visit gap."""

    start: np.ndarray
    end: np.ndarray
    presence_s: np.ndarray


def stays(track: np.ndarray, a: np.ndarray, b: np.ndarray, period: Period) -> Stays:
    """Clip to the period and join touching intervals of one track."""
    a = np.maximum(a, period.start_s)
    b = np.minimum(b, period.end_s)
    keep = b > a
    track, a, b = track[keep], a[keep], b[keep]
    if len(a) == 0:
        return Stays(track, a, b)
    order = np.lexsort((a, track))
    track, a, b = track[order], a[order], b[order]
    new = np.r_[True, (track[1:] != track[:-1]) | (a[1:] > b[:-1] + 1e-3)]
    idx = np.flatnonzero(new)
    return Stays(track[idx], a[idx], np.maximum.reduceat(b, idx))


def visits_of(a: np.ndarray, b: np.ndarray, *, gap_s: float) -> Visits:
    """Visits from presence intervals of any track."""
    bs, be = merge_intervals(a, b)  # union of presence
    if len(bs) == 0:
        return Visits(bs, be, bs.copy())
    new = np.r_[True, bs[1:] - be[:-1] >= gap_s]
    idx = np.flatnonzero(new)
    return Visits(bs[idx], np.maximum.reduceat(be, idx), np.add.reduceat(be - bs, idx))


def presence_heat(vertices: TrackVertices, period: Period, *, cell_m: float = 25.0,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> pd.DataFrame:
    """Presence time per ``cell_m`` cell (all teams together): columns x, y (cell centre,
    EPSG:3006) and minutes. Each timed segment's duration goes to the cell of its midpoint."""
    seg = timed_segments(ordered_vertices(vertices), max_gap_s=max_ping_gap_min * 60)
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
