"""Exact street length within reach: streets cut at a grid's cell lines into straight pieces, and
for each piece the parts within ``r`` of walked segments as intervals along it (circle–segment
meets of the capsule, no polygons), whose union is measured. Used by ``geo.street_cover`` where
real streets are given."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import shapely

from geo.zone_grid import Grid

_Quad = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def two_point_lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Two-point lines."""
    out: np.ndarray = shapely.linestrings(np.stack([np.c_[x0, y0], np.c_[x1, y1]], axis=1))
    return out


def capsule_intervals(piece: _Quad, seg: _Quad, r: float) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of a piece (ax, ay, dx, dy) and a segment (cx, cy, ex, ey), the parameters u in
    [0, 1] (lo, hi; lo ≥ hi where none) of the points a + u·d within ``r`` of the segment
    c → c + e: the union of the line's meets with the discs at both ends and with the strip
    along the segment, one interval (a capsule is convex)."""
    ax, ay, dx, dy = piece
    cx, cy, ex, ey = seg
    a = dx * dx + dy * dy
    lo = np.full(len(a), np.inf)
    hi = np.full(len(a), -np.inf)
    for wx, wy in ((ax - cx, ay - cy), (ax - cx - ex, ay - cy - ey)):  # the discs
        b = dx * wx + dy * wy
        disc = b * b - a * (wx * wx + wy * wy - r * r)
        ok = (disc >= 0) & (a > 0)
        root = np.sqrt(np.where(ok, disc, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            lo = np.where(ok, np.minimum(lo, (-b - root) / a), lo)
            hi = np.where(ok, np.maximum(hi, (-b + root) / a), hi)
    wx, wy = ax - cx, ay - cy
    length2 = ex * ex + ey * ey
    s_lo, s_hi = _linear_between(wx * ex + wy * ey, dx * ex + dy * ey, 0.0, length2)
    c_lo, c_hi = _linear_between(wx * ey - wy * ex, dx * ey - dy * ex, -r * np.sqrt(length2),
                                 r * np.sqrt(length2))
    s_lo, s_hi = np.maximum(s_lo, c_lo), np.minimum(s_hi, c_hi)
    strip = (length2 > 0) & (s_lo <= s_hi)
    lo = np.where(strip, np.minimum(lo, s_lo), lo)
    hi = np.where(strip, np.maximum(hi, s_hi), hi)
    return np.maximum(lo, 0.0), np.minimum(hi, 1.0)


def _linear_between(p: np.ndarray, q: np.ndarray, low: float | np.ndarray,
                    high: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The u (lo, hi) with low ≤ p + u·q ≤ high: everything or nothing where q is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        u0, u1 = (low - p) / q, (high - p) / q
    flat = q == 0
    inside = (p >= low) & (p <= high)
    lo = np.where(flat, np.where(inside, -np.inf, np.inf), np.minimum(u0, u1))
    hi = np.where(flat, np.where(inside, np.inf, -np.inf), np.maximum(u0, u1))
    return lo, hi


def union_length(owner: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, n: int) -> np.ndarray:
    """Per owner (0 … n − 1), the length of the union of its intervals [lo, hi] within [0, 1]."""
    keep = hi > lo
    owner, lo, hi = owner[keep], lo[keep], hi[keep]
    order = np.lexsort((lo, owner))
    owner, lo, hi = owner[order], lo[order], hi[order]
    shift = 2.0 * owner  # owners apart: a running maximum never reaches the next owner's
    reach = np.maximum.accumulate(hi + shift)
    before = np.r_[-np.inf, reach[:-1]]
    gain = np.maximum(hi + shift - np.maximum(lo + shift, before), 0.0)
    out: np.ndarray = np.bincount(owner, weights=gain, minlength=n)
    return out


class StreetPieces(NamedTuple):
    """Streets cut at a grid's cell lines: straight pieces, each in one cell."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    cell: np.ndarray  # the flat cell index of each piece (its midpoint's)
    length: np.ndarray


def street_pieces(lines: np.ndarray, grid: Grid) -> StreetPieces:
    """The straight segments of ``lines`` (inside the grid) cut where they cross a cell line."""
    xy, part = shapely.get_coordinates(lines, return_index=True)
    i = np.flatnonzero(part[1:] == part[:-1])
    ax, ay = (xy[i, 0] - grid.x0) / grid.cell, (xy[i, 1] - grid.y0) / grid.cell  # in cells
    bx, by = (xy[i + 1, 0] - grid.x0) / grid.cell, (xy[i + 1, 1] - grid.y0) / grid.cell
    seg, f = [np.arange(len(i)), np.arange(len(i))], [np.zeros(len(i)), np.ones(len(i))]
    for a, b in ((ax, bx), (ay, by)):  # the cell lines strictly between the ends
        lo = np.floor(np.minimum(a, b)) + 1
        n = np.maximum(np.ceil(np.maximum(a, b)) - lo, 0).astype(np.int64)
        owner = np.repeat(np.arange(len(i)), n)
        line = lo[owner] + np.arange(len(owner)) - np.repeat(np.cumsum(n) - n, n)
        seg.append(owner)
        f.append((line - a[owner]) / (b[owner] - a[owner]))
    s_all, f_all = np.concatenate(seg), np.clip(np.concatenate(f), 0.0, 1.0)
    order = np.lexsort((f_all, s_all))
    s_all, f_all = s_all[order], f_all[order]
    k = np.flatnonzero((s_all[1:] == s_all[:-1]) & (f_all[1:] > f_all[:-1]))
    src, fa, fb = s_all[k], f_all[k], f_all[k + 1]
    x0, y0 = xy[i, 0], xy[i, 1]
    dx, dy = xy[i + 1, 0] - x0, xy[i + 1, 1] - y0
    px0, py0 = x0[src] + fa * dx[src], y0[src] + fa * dy[src]
    px1, py1 = x0[src] + fb * dx[src], y0[src] + fb * dy[src]
    ok, cell = grid.cells(0.5 * (px0 + px1), 0.5 * (py0 + py1))
    px0, py0, px1, py1 = px0[ok], py0[ok], px1[ok], py1[ok]
    return StreetPieces(px0, py0, px1, py1, cell, np.hypot(px1 - px0, py1 - py0))
