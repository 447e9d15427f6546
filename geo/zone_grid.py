"""A patrol zone's grid of square cells (centre inside the zone, a lower bound of the distance to
its edge) and the coarse router that sends each point to the grid(s) it lies in, so every point
is located once for all zones."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import shapely

MAX_CELLS_PER_SIDE = 2000  # a zone's grid grows coarser than cell_m beyond this
_FEW_ZONES = 12  # the router finds each zone's points by a pass per zone up to this many


class Edges(NamedTuple):
    """The straight pieces of a zone's boundary (all rings)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray


def zone_edges(zone: shapely.Geometry) -> Edges:
    rings = shapely.get_rings(shapely.get_parts(zone))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = np.flatnonzero(ring[1:] == ring[:-1])
    return Edges(xy[same, 0], xy[same, 1], xy[same + 1, 0], xy[same + 1, 1])


def segment_samples(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, *,
                    step_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along segments, both ends included, no more than ``step_m`` apart: (x, y, the
    segment of each point)."""
    dx, dy = x1 - x0, y1 - y0
    n = np.maximum(np.ceil(np.hypot(dx, dy) / step_m), 1).astype(np.int64)
    owner = np.repeat(np.arange(len(n)), n + 1)
    f = (np.arange(len(owner)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)) / n[owner]
    return x0[owner] + f * dx[owner], y0[owner] + f * dy[owner], owner


@dataclass(frozen=True)
class Grid:
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


def zone_grid(zone: shapely.Geometry, edges: Edges, *, cell_m: float, margin_m: float) -> Grid:
    """The zone's grid, ``margin_m`` beyond its bounds; distance bounds up to ``margin_m``."""
    minx, miny, maxx, maxy = shapely.bounds(zone)
    extent = max(maxx - minx, maxy - miny) + 2 * margin_m
    cell = max(cell_m, extent / MAX_CELLS_PER_SIDE)
    x0 = math.floor((minx - margin_m) / cell) * cell
    y0 = math.floor((miny - margin_m) / cell) * cell
    nx = int(math.ceil((maxx + margin_m - x0) / cell)) + 1
    ny = int(math.ceil((maxy + margin_m - y0) / cell)) + 1
    shapely.prepare(zone)  # for cutting segments at the edge (_parts_inside)
    inside = _centres_inside(edges, x0 + (np.arange(nx) + 0.5) * cell,
                             y0 + (np.arange(ny) + 0.5) * cell).ravel()
    clear = _clearance(edges, x0, y0, cell, nx, ny, up_to_m=margin_m).ravel()
    return Grid(x0, y0, cell, nx, ny, inside, np.where(clear > 0, clear * clear, -1.0))


def _centres_inside(edges: Edges, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """(len(cy), len(cx)): whether each cell centre lies inside the rings, by the even-odd rule
    along each row (the crossings of the edges with the row's line, counted from the left).

    A centre on the edge may come out either way; only cells at a positive distance from the
    edge (``Grid.clear2 > 0``) use the answer, and there it is exact."""
    ny, nx = len(cy), len(cx)
    y0, y1 = edges.y0, edges.y1
    # The rows whose centre line each edge may cross (one more each way), checked exactly below.
    step = cy[1] - cy[0] if ny > 1 else 1.0
    lo = np.clip(np.floor((np.minimum(y0, y1) - cy[0]) / step) - 1, 0, ny).astype(np.int64)
    hi = np.clip(np.ceil((np.maximum(y0, y1) - cy[0]) / step) + 2, 0, ny).astype(np.int64)
    n = np.maximum(hi - lo, 0)
    edge = np.repeat(np.arange(len(y0)), n)
    row = np.arange(len(edge)) - np.repeat(np.cumsum(n) - n, n) + lo[edge]
    c = cy[row]
    ea, eb = y0[edge], y1[edge]
    crosses = (ea > c) != (eb > c)
    edge, row, c = edge[crosses], row[crosses], c[crosses]
    ea, eb = y0[edge], y1[edge]
    xa, xb = edges.x0[edge], edges.x1[edge]
    x = xa + (c - ea) * (xb - xa) / (eb - ea)
    col = np.searchsorted(cx, x, side="right")  # the first centre right of the crossing
    flips = np.bincount(row * (nx + 1) + col, minlength=ny * (nx + 1)).reshape(ny, nx + 1)
    inside: np.ndarray = (np.cumsum(flips[:, :nx], axis=1) & 1).astype(bool)
    return inside


def _clearance(edges: Edges, x0: float, y0: float, cell: float, nx: int, ny: int, *,
               up_to_m: float) -> np.ndarray:
    """(ny, nx): per cell, a lower bound (capped near ``up_to_m``) of the distance from any point
    of the cell to the edge. The edge is sampled every half cell; a cell ``d`` cells (Chebyshev)
    from the nearest cell holding a sample is at least (d − 1)·cell − cell/4 from the edge."""
    step = cell / 2
    bx, by, _ = segment_samples(edges.x0, edges.y0, edges.x1, edges.y1, step_m=step)
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
class Router:
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
    def over(cls, boxes: np.ndarray, *, cell_m: float) -> Router:
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
        ix, iy = (_router_index(v, v0, self.cell, n)
                  for v, v0, n in ((x, self.x0, self.nx), (y, self.y0, self.ny)))
        iy *= self.nx + 2
        iy += ix
        slot = self.slot.take(iy)
        if len(self.boxes) <= _FEW_ZONES:  # a pass per zone beats sorting
            several = np.flatnonzero(slot == -2)
            owns = [np.flatnonzero(slot == k) for k in range(len(self.boxes))]
        else:
            order = np.argsort(slot, kind="stable")  # a radix sort: order kept per zone
            ends = np.cumsum(np.bincount(slot + 2, minlength=len(self.boxes) + 2))
            several = order[:ends[0]]
            owns = [order[ends[k + 1]:ends[k + 2]] for k in range(len(self.boxes))]
        sx, sy = x.take(several), y.take(several)
        out = []
        for own, (bx0, by0, bx1, by1) in zip(owns, self.boxes, strict=True):
            extra = several[(sx >= bx0) & (sx < bx1) & (sy >= by0) & (sy < by1)]
            out.append(np.insert(own, np.searchsorted(own, extra), extra))  # still sorted
        return out


def _router_index(v: np.ndarray, v0: float, cell: float, n: int) -> np.ndarray:
    """The router cell (1 … n, 0 and n + 1 for the border) of each coordinate along one axis."""
    offset = v * (1.0 / cell)  # rounding does not matter here: zones are a cell from the border
    offset += 1.0 - v0 / cell
    np.maximum(offset, 0.0, out=offset)
    np.minimum(offset, n + 1.0, out=offset)
    return offset.astype(np.intp)
