"""The track vertices located once in every zone's grid: which segments are walked (timed and no
longer apart than the ping-gap rule, or untimed), which are long, and per zone the vertices in
its grid and the short segments wholly inside it or near its edge. ``PeriodMasks`` picks what of
it falls in a period."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from geo.periods import Period
from geo.tracks import TrackVertices
from geo.zone_grid import Grid, Router


class Walks(NamedTuple):
    """The track vertices prepared once for all zones and periods. Segment ``i`` runs from
    vertex ``i`` to ``i + 1``; arrays per segment have one entry per vertex (the last unused)."""

    v: TrackVertices
    t_next: np.ndarray  # time of the next vertex (NaN after the last)
    long: np.ndarray  # indexes of the timed segments at least ``long_m`` long
    drawn: np.ndarray  # per vertex: the segment from it is walked (timed, no gap; or untimed)
    len2: np.ndarray  # per vertex: the squared length of the segment from it (0 where none)
    cover_long: np.ndarray  # indexes of the drawn segments at least ``cover_long_m`` long
    cover_long_m: float
    members: list[np.ndarray]  # per zone: the vertices inside its grid
    cells: list[np.ndarray]  # per zone: their cells
    follows: list[np.ndarray]  # per zone and member: the next member is the next vertex
    inside: list[np.ndarray]  # per zone: the short timed segments wholly inside it
    near: list[np.ndarray]  # per zone: the short timed segments that may cross its edge
    cover_short: np.ndarray  # per vertex: the segment from it is drawn and not ``cover_long``
    over_step: np.ndarray  # per vertex: the segment from it is longer than ``step_m``
    lonely: np.ndarray  # indexes of the vertices with no drawn segment on either side


def locate_walks(v: TrackVertices, grids: list[Grid], *, long_m: float, cover_long_m: float,
                 step_m: float, max_gap_s: float) -> Walks:
    """Segments, their lengths and the vertices located in each zone's grid.

    A segment shorter than ``long_m`` (no more than any grid's margin) that starts outside a
    zone's grid cannot reach the zone, so short segments are looked at only in the grids of their
    first vertex; the few long ones are looked at in every zone. For street coverage a segment
    must come within the reach of the zone, not into it: segments shorter than ``cover_long_m``
    (the grid's margin less the reach) are looked at in the grid of their first vertex, longer
    ones in every zone they come near."""
    n = len(v.x)
    same = np.zeros(n, dtype=bool)
    np.equal(v.piece[1:], v.piece[:-1], out=same[:-1])
    t_next = np.empty(n)
    t_next[:-1], t_next[-1:] = v.t[1:], np.nan
    # NaN compares False: both ends timed, time not backwards, no longer than a gap.
    timed = same & (t_next >= v.t) & (t_next - v.t <= max_gap_s)
    # Untimed segments (both ends without a time) are drawn too; a sum is NaN if any time is.
    drawn = timed | (same & np.isnan(v.t) & np.isnan(t_next)) if np.isnan(float(v.t.sum())) \
        else timed
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
        router = Router.over(np.array([g.box for g in grids]), cell_m=4 * step_m)
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
    cover_long = len2 >= cover_long_m * cover_long_m
    cover_long &= drawn
    lonely = ~drawn
    lonely[1:] &= ~drawn[:-1]
    return Walks(v, t_next, np.flatnonzero(timed & is_long), drawn, len2,
                 np.flatnonzero(cover_long), cover_long_m,
                 members, cells, [np.r_[m[1:] == m[:-1] + 1, False] for m in members], inside,
                 near, drawn & ~cover_long, len2 > step_m * step_m, np.flatnonzero(lonely))


class PeriodMasks(NamedTuple):
    """What of ``Walks`` falls in a period."""

    segments: np.ndarray  # per vertex: the segment starting here overlaps the period
    long: np.ndarray  # indexes of the long timed segments overlapping the period
    points: np.ndarray  # per vertex: its time (or its track's) is in the period

    @classmethod
    def of(cls, w: Walks, period: Period) -> PeriodMasks:
        s, e = period.start_s, period.end_s
        seg = w.t_next > s
        seg &= w.v.t < e
        long = w.long[(w.t_next[w.long] > s) & (w.v.t[w.long] < e)]
        return cls(seg, long, (w.v.t_any >= s) & (w.v.t_any < e))



def tracks_with(track: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Per track number: whether any of its vertices is flagged."""
    out = np.zeros(int(track.max()) + 1 if len(track) else 0, dtype=bool)
    if len(track):
        first = np.flatnonzero(np.r_[True, track[1:] != track[:-1]])  # runs of one track
        out[track.take(first[np.logical_or.reduceat(flags, first)])] = True
    return out
