"""Street coverage of a zone, exact: the share of its street length (or area) within the reach of
the walked segments, per time band and day type. One bit per coverage group is set in the cells
the segments pass through, all bits are dilated at once by the reach's disc (running ORs, so the
cost is the zone's size, not the pings'); tiles surely covered count whole, tiles out of reach
count nothing, and the rest are measured with shapely."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import shapely

from geo.periods import BandBoundaries, Period, split_at_boundaries
from geo.walks import PeriodMasks, Walks
from geo.street_length import (
    StreetPieces, capsule_intervals, street_pieces, two_point_lines, union_length,
)
from geo.zone_grid import Grid, segment_samples

_TILE_CELLS = 8  # street coverage is decided per tile of 8 × 8 cells, exactly where partial
_QUAD_SEGS = 64  # buffers in partial tiles: a disc's polygon lacks 1e-4 of its area
_POINT_LINE_M = 1e-6  # a single ping is buffered as a line this long
_SIMPLIFY_M = 1e-3  # tracks are simplified this much before buffering (area effect negligible)
_UNTIMED_GROUP = 6  # coverage groups 0..5 are band*2 + weekend; 6 is "time unknown"


def _groups(t: np.ndarray, bounds: BandBoundaries) -> np.ndarray:
    """The coverage group of each instant: band·2 + weekend, or _UNTIMED_GROUP for NaN."""
    group = (bounds.band * 2 + bounds.weekend).astype(np.uint8).take(bounds.locate(t))
    untimed = np.isnan(t)
    if untimed.any():
        group[untimed] = _UNTIMED_GROUP
    out: np.ndarray = group
    return out


class CoverSegments(NamedTuple):
    """The walked pieces near one zone in one period, in two forms.

    *Plain* segments (the most) are whole segments between two vertices of the zone's grid
    shorter than ``cover_long_m``, inside the period and one time band: given by their position
    in the zone's members (``Walks.members``), whose cells the router found, and their coverage
    group. *Pieces* are the rest, as coordinates: segments cut at the period's ends or at band
    boundaries, long segments from anywhere near the zone, and the pings with no walked segment
    on either side (both ends equal). ``key`` orders the pieces along the tracks among the plain
    segments (vertex index, plus the fraction along the segment where a piece starts)."""

    x: np.ndarray  # all vertices
    y: np.ndarray
    members: np.ndarray  # the zone's members, their cells and ``Walks.follows``
    cells: np.ndarray
    follows: np.ndarray
    plain: np.ndarray  # per member: the segment from it is plain
    member_group: np.ndarray  # per member: the plain segment's coverage group
    over_step: np.ndarray  # per member: the segment from it is longer than a cell (or may be)
    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    group: np.ndarray
    key: np.ndarray


def cover_segments(w: Walks, k: int, period: Period, masks: PeriodMasks,
                   bounds: BandBoundaries | None, *, near_box: tuple[float, float, float, float]
                   ) -> CoverSegments:
    """The segments that count for street coverage of zone ``k``: the walked segments (no gap)
    clipped to the period by time, and the pings with no walked segment on either side.
    ``near_box`` is the zone's bounds grown by the reach: long segments count where they meet
    it."""
    v, s, e = w.v, period.start_s, period.end_s
    m, cells = w.members[k], w.cells[k]
    t0, t1 = v.t.take(m), w.t_next.take(m)
    # Plain: short, walked, wholly in the period and in one stretch of one band.
    if bounds is not None and (lookup := _hour_lookup(bounds, s, e)) is not None:
        # The stretch of each hour of the period: a segment is whole when it starts in it (in
        # the period) and ends by its end (and the period's). An hour found one off by rounding
        # fails the first test, so that segment is cut at the boundaries as any other.
        lo, hi, end, by_hour = lookup
        offset = np.subtract(t0, s)
        offset *= 1 / 3600.0
        with np.errstate(invalid="ignore"):  # NaN or far off: clipped below, found not whole
            hour = offset.astype(np.int32)
        whole = t0 >= lo.take(hour, mode="clip")
        whole &= t0 < hi.take(hour, mode="clip")
        whole &= t1 <= end.take(hour, mode="clip")
        group = by_hour.take(hour, mode="clip")
    else:
        whole = t0 >= s
        whole &= t1 <= e
        if bounds is not None:
            ia = bounds.locate(t0)  # NaN: the last stretch (a valid index; set below)
            # In one stretch: the segment ends by the next boundary (the period lies inside).
            whole &= t1 <= bounds.t.take(np.minimum(ia + 1, len(bounds.t) - 1))
            group = (bounds.band * 2 + bounds.weekend).astype(np.uint8).take(ia)
        else:
            group = np.zeros(len(m), dtype=np.uint8)
    short = w.cover_short.take(m)
    cut = t0 < e  # False where untimed (NaN)
    cut &= t1 > s
    cut &= short
    cut &= ~whole
    untimed = np.flatnonzero(np.isnan(t0))
    if len(untimed):
        group[untimed] = _UNTIMED_GROUP
        whole[untimed] = masks.points.take(m.take(untimed))
    plain_ok = whole
    plain_ok &= short
    x0n, y0n, x1n, y1n, gn, kn = _pieces(w, np.r_[m[cut], _long_near(w, near_box)], period,
                                         masks, bounds)
    # Pings with no walked segment on either side still cover a disc.
    alone = w.lonely
    if len(alone):
        at = np.minimum(np.searchsorted(m, alone), len(m) - 1)
        alone = alone[(m.take(at) == alone) & masks.points.take(alone)] if len(m) else m
    alone_group = (np.zeros(len(alone), dtype=np.uint8) if bounds is None
                   else _groups(v.t[alone], bounds))
    return CoverSegments(
        v.x, v.y, m, cells, w.follows[k], plain_ok, group, w.over_step.take(m),
        np.r_[x0n, v.x[alone]], np.r_[y0n, v.y[alone]],
        _point_line(np.r_[x0n, v.x[alone]], np.r_[x1n, v.x[alone]], np.r_[y0n, v.y[alone]],
                    np.r_[y1n, v.y[alone]]),
        np.r_[y1n, v.y[alone]], np.r_[gn, alone_group], np.r_[kn, alone.astype(np.float64)])


def _hour_lookup(bounds: BandBoundaries, start_s: float, end_s: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Per whole hour from ``start_s`` to ``end_s``: where its band stretch starts (not before
    the period), where it ends, where it or the period ends, and its coverage group; None
    unless the period and every boundary fall on whole hours (then each hour lies in one
    stretch)."""
    n = (end_s - start_s) / 3600.0
    if n != int(n) or start_s % 3600.0 or not np.all(np.mod(bounds.t, 3600.0) == 0):
        return None
    ia = bounds.locate(start_s + 3600.0 * np.arange(max(int(n), 1)))
    last = len(bounds.t) - 1
    lo = np.maximum(np.where(ia >= 0, bounds.t.take(np.maximum(ia, 0)), -np.inf), start_s)
    hi = np.where(ia < last, bounds.t.take(np.minimum(ia + 1, last)), np.inf)
    return (lo, hi, np.minimum(hi, end_s),
            (bounds.band * 2 + bounds.weekend).astype(np.uint8).take(ia))


def _long_near(w: Walks, box: tuple[float, float, float, float]) -> np.ndarray:
    """The long drawn segments whose bounding box meets ``box``."""
    i = w.cover_long
    x0, x1, y0, y1 = w.v.x[i], w.v.x[i + 1], w.v.y[i], w.v.y[i + 1]
    meets = ((np.maximum(x0, x1) >= box[0]) & (np.minimum(x0, x1) <= box[2])
             & (np.maximum(y0, y1) >= box[1]) & (np.minimum(y0, y1) <= box[3]))
    out: np.ndarray = i[meets]
    return out


def _point_line(x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """``x1``, a micrometre further where a piece has no length: GEOS buffers a line of no
    length to nothing, this makes it the ping's disc."""
    return np.where((x1 == x0) & (y1 == y0), x0 + _POINT_LINE_M, x1)


def _pieces(w: Walks, seg: np.ndarray, period: Period, masks: PeriodMasks,
            bounds: BandBoundaries | None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The walked segments ``seg`` clipped to the period by time and cut at the band boundaries:
    (x0, y0, x1, y1, group, key) per piece."""
    v, s, e = w.v, period.start_s, period.end_s
    seg = np.unique(seg)
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
    x, y = v.x, v.y
    dx, dy = x[seg + 1] - x[seg], y[seg + 1] - y[seg]
    return (x[seg] + lo * dx, y[seg] + lo * dy, x[seg] + hi * dx, y[seg] + hi * dy, group,
            seg + np.minimum(lo, 0.999))


def _sampled_bits(c: CoverSegments, grid: Grid) -> np.ndarray:
    """(ny, nx) uint8: bit ``g`` set in the cells holding a point of a group-``g`` segment,
    sampled at both ends and no more than a cell apart along it. A plain segment no longer than
    a cell is sampled at its ends only, whose cells the router found."""
    g = c.member_group
    ends = c.plain[:-1] & c.follows[:-1]
    keys = [(c.cells * 8 + g)[c.plain], (c.cells[1:] * 8 + g[:-1])[ends]]
    longer = np.flatnonzero(c.plain & c.over_step)
    s = c.members[longer]
    for x0, y0, x1, y1, group in (
            (c.x[s], c.y[s], c.x[s + 1], c.y[s + 1], g[longer]),
            (c.x0, c.y0, c.x1, c.y1, c.group)):
        px, py, owner = segment_samples(x0, y0, x1, y1, step_m=grid.cell)
        ok, cell = grid.cells(px, py)
        keys.append(cell * 8 + group[owner[ok]])
    flags = np.zeros(grid.ny * grid.nx * 8, dtype=bool)
    for key in keys:
        flags[key] = True
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


class Tiles(NamedTuple):
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
    street_pieces: StreetPieces | None = None  # the same, cut at the cell lines
    edge: np.ndarray | None = None  # per row: the tile is cut by the zone's edge


def zone_tiles(grid: Grid, zone: shapely.Geometry, streets: np.ndarray | None) -> Tiles:
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
    # A tile whose cells all lie wholly inside the zone is its own part: only the others are
    # cut with the zone.
    clear = np.zeros((nty * t, ntx * t), dtype=bool)
    clear[:grid.ny, :grid.nx] = (grid.inside & (grid.clear2 > 0)).reshape(grid.ny, grid.nx)
    whole: np.ndarray = np.asarray(clear.reshape(nty, t, ntx, t).all(axis=(1, 3)))
    edge = ~whole[ty, tx]
    part = boxes.copy()
    part[edge] = _polygonal(shapely.intersection(boxes[edge], zone))
    index = np.full((nty, ntx), -1, dtype=np.int64)
    index[ty, tx] = np.arange(len(ty))
    street_m = None
    inside_streets = None
    if streets is not None:
        pieces = shapely.get_parts(shapely.get_parts(shapely.intersection(streets, zone)))
        pieces = pieces[(shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 0)]
        inside_streets = shapely.multilinestrings(pieces)
        street_m = shapely.length(shapely.intersection(part, inside_streets))
        cut = street_pieces(pieces, grid)
    return Tiles(meets, index, tx, ty, part, shapely.area(part), street_m, inside_streets,
                 cut if streets is not None else None, edge)


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygons of each geometry (a box touching the zone along an edge gives lines too)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polygon = shapely.get_type_id(parts) == 3
    out = np.full(len(geoms), shapely.Polygon(), dtype=object)
    if polygon.any():
        used, slot = np.unique(owner[polygon], return_inverse=True)
        out[used] = shapely.multipolygons(parts[polygon], indices=slot)
    return out


def _tile_counts(cells: np.ndarray, tiles: Tiles) -> np.ndarray:
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


class ZoneCover:
    """Street coverage of one zone in one period, exact: a tile all of whose zone cells lie
    within the reach of a sampled track point counts whole, a tile none of whose cells can be
    reached counts nothing, and the others are measured with shapely (the buffer of the track
    pieces near the tile, simplified by ``_SIMPLIFY_M``, cut with the tile's part of the zone).
    Where streets are given, each street piece (one per cell) in a surely covered cell counts
    whole and the others not out of reach are measured exactly, without polygons: the union of
    the intervals along the piece within the reach of some segment."""

    def __init__(self, c: CoverSegments, grid: Grid, tiles: Tiles, *, reach_m: float
                 ) -> None:
        self.c, self.grid, self.tiles, self.reach_m = c, grid, tiles, reach_m
        bits = _sampled_bits(c, grid)
        radius = reach_m / grid.cell
        self.sure = _dilate(bits, _sure_half(radius)) if _sure_half(radius) else \
            np.zeros_like(bits)
        self.possible = _dilate(bits, _possible_half(radius + 0.5))
        self.n_meets = _tile_counts(np.ones(tiles.meets.shape, dtype=bool), tiles)
        self.street = tiles.street_pieces if tiles.streets is not None else None
        total = self.street.length.sum() if self.street is not None else tiles.area.sum()
        self.total = float(total)

    def share(self, groups: int) -> float:
        """The covered share (percent) by the segments of the groups in the bit mask."""
        if self.total <= 0:
            return 0.0
        sure = (self.sure & groups) != 0
        possible = (self.possible & groups) != 0
        if self.street is not None:
            return 100.0 * self._street_covered(sure, possible, groups) / self.total
        n_sure = _tile_counts(sure, self.tiles)
        n_possible = _tile_counts(possible, self.tiles)
        measure = self.tiles.street_m if self.tiles.street_m is not None else self.tiles.area
        full = n_sure == self.n_meets
        partial = ~full & (n_possible > 0) & (measure > 0)
        covered = float(measure[full].sum())
        if partial.any():
            covered += self._measure(np.flatnonzero(partial), ~sure, groups)
        return 100.0 * covered / self.total

    def _street_covered(self, sure: np.ndarray, possible: np.ndarray, groups: int) -> float:
        """The street length covered by the segments of ``groups``: pieces in surely covered
        cells count whole, pieces in cells out of reach nothing, and the rest exactly: the
        union of the intervals along each piece within the reach of some segment."""
        p = self.street
        assert p is not None
        on_sure = sure.ravel().take(p.cell)
        covered = float(p.length[on_sure].sum())
        open_ = np.flatnonzero(~on_sure & possible.ravel().take(p.cell))
        if len(open_) == 0:
            return covered
        g, t = self.grid, _TILE_CELLS
        cell = p.cell[open_]
        rows = np.unique(self.tiles.slot[cell // g.nx // t, cell % g.nx // t])
        near = self._near_segments(rows[rows >= 0], groups)
        if near is None:
            return covered
        sx0, sy0, sx1, sy1, _ = near
        px0, py0, px1, py1 = p.x0[open_], p.y0[open_], p.x1[open_], p.y1[open_]
        r = self.reach_m
        piece, seg = shapely.STRtree(two_point_lines(sx0, sy0, sx1, sy1)).query(
            two_point_lines(px0, py0, px1, py1), predicate="dwithin", distance=r)
        if len(piece) == 0:
            return covered
        lo, hi = capsule_intervals(  # in coordinates from the grid's corner
            (px0[piece] - g.x0, py0[piece] - g.y0, (px1 - px0)[piece], (py1 - py0)[piece]),
            (sx0[seg] - g.x0, sy0[seg] - g.y0, (sx1 - sx0)[seg], (sy1 - sy0)[seg]), r)
        return covered + float(np.dot(union_length(piece, lo, hi, n=len(open_)), p.length[open_]))

    def _near_segments(self, rows: np.ndarray, groups: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                  np.ndarray] | None:
        """(x0, y0, x1, y1, group) of the segments of ``groups`` that may come within the reach
        of the tiles ``rows`` (those starting or ending in a tile no more than the reach and two
        tiles away, and the long ones), in order along the tracks; None if there are none."""
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

        chosen = np.array([(groups >> g) & 1 for g in range(8)], dtype=bool)  # per group
        mine = chosen.take(c.group)
        length = np.hypot(c.x1 - c.x0, c.y1 - c.y0)
        pick = np.flatnonzero(mine & (tile_of(c.x0, c.y0) | tile_of(c.x1, c.y1) | (length > size)))
        # A plain segment is shorter than a tile: its first vertex's tile decides.
        plain = chosen.take(c.member_group)
        plain &= c.plain
        tc, gr = _TILE_CELLS, self.grid  # the cells of the grown tiles
        plain &= np.repeat(np.repeat(grown, tc, axis=0), tc, axis=1)[:gr.ny, :gr.nx].ravel(
            ).take(c.cells)
        start = c.members[plain]
        if len(pick) == 0 and len(start) == 0:
            return None
        order = np.argsort(np.r_[start.astype(np.float64), c.key[pick]], kind="stable")
        x0 = np.r_[c.x.take(start), c.x0[pick]][order]
        y0 = np.r_[c.y.take(start), c.y0[pick]][order]
        y1 = np.r_[c.y.take(start + 1), c.y1[pick]][order]
        x1 = _point_line(x0, np.r_[c.x.take(start + 1), c.x1[pick]][order], y0, y1)
        group = np.r_[c.member_group[plain], c.group[pick]][order]
        return x0, y0, x1, y1, group

    def _measure(self, rows: np.ndarray, open_cells: np.ndarray, groups: int) -> float:
        """The covered measure in the tiles ``rows`` by the segments of ``groups``, with shapely:
        the tile's measure less that of its cells not surely covered (``open_cells``), plus what
        of those cells the buffer covers.

        Only segments that may come within the reach of these tiles are taken (those starting or
        ending in a tile no more than the reach and two tiles away, and the long ones); they are
        joined into lines where they follow on, simplified, and each straight piece within the
        reach of a tile's open part is buffered once and measured in that part."""
        near = self._near_segments(rows, groups)
        if near is None:
            return 0.0
        tiles, r = self.tiles, self.reach_m
        x0, y0, x1, y1, group = near
        # Pieces that follow on (the next starts where this one ends) make one line.
        joined = np.r_[False, (x0[1:] == x1[:-1]) & (y0[1:] == y1[:-1])
                       & (group[1:] == group[:-1])]
        line = np.cumsum(~joined) - 1
        ends = np.r_[np.flatnonzero(~joined)[1:], len(x0)] - 1
        key = np.r_[np.arange(len(x0)) * 2, ends * 2 + 1]
        order = np.argsort(key, kind="stable")
        px = np.r_[x0, x1[ends]][order]
        py = np.r_[y0, y1[ends]][order]
        lines = shapely.linestrings(px, py, indices=np.r_[line, line[ends]][order])
        lines = shapely.simplify(lines, _SIMPLIFY_M, preserve_topology=False)
        open_part = self._open_parts(rows, open_cells)
        base = self._of(tiles.part[rows]).sum() - self._of(open_part).sum()
        # Each straight piece of the lines is swept once (its disc's path, a convex polygon);
        # per open part, the sweeps of the pieces within reach are cut to the part's box (a
        # rectangle cut, cheap), joined and cut with the part: the union of small pieces
        # inside a few cells, not the buffer of a jittery track. (A piece beyond the part's
        # box grown by the reach sweeps none of the part.)
        xy, part = shapely.get_coordinates(lines, return_index=True)
        i = np.flatnonzero(part[1:] == part[:-1])
        segments = two_point_lines(xy[i, 0], xy[i, 1], xy[i + 1, 0], xy[i + 1, 1])
        owner, seg = shapely.STRtree(segments).query(open_part, predicate="dwithin", distance=r)
        if len(owner) == 0:
            return float(base)
        swept_of, seg = np.unique(seg, return_inverse=True)
        swept = shapely.buffer(segments[swept_of], r, quad_segs=_QUAD_SEGS)
        bx0, by0, bx1, by1 = shapely.bounds(open_part).T
        clipped = shapely.lib.clip_by_rect(swept[seg], bx0[owner], by0[owner], bx1[owner],
                                           by1[owner])
        used, slot = np.unique(owner, return_inverse=True)
        order = np.argsort(slot, kind="stable")
        first = np.searchsorted(slot[order], np.arange(len(used)))
        rank = np.empty(len(slot), dtype=np.int64)
        rank[order] = np.arange(len(slot)) - np.repeat(first, np.bincount(slot))
        width = int(np.max(rank)) + 1 if len(rank) else 1
        table: np.ndarray = np.empty((len(used), width), dtype=object)  # None where unused
        table[slot, rank] = clipped
        covered = _polygonal(shapely.intersection(shapely.union_all(table, axis=1),
                                                  open_part[used]))
        return float(base + self._of(covered).sum())

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
        cells = shapely.coverage_union_all(table, axis=1)  # boxes that share whole edges
        edge = self.tiles.edge[rows] if self.tiles.edge is not None else np.ones(len(rows), bool)
        cells[edge] = shapely.intersection(cells[edge], self.tiles.part[rows[edge]])
        return _polygonal(cells)  # a tile inside the zone is its own part
