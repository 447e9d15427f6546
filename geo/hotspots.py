"""Unsafe places over time: counts per grid cell and period, trends, hot spots and comparisons.

Method (documented for the council; see README "Otrygga platser över tid"):

* **Grid.** Records (reported unsafe places, police events) are counted in square cells of
  ``cell_m`` metres in SWEREF 99 TM (``geo.grid``), per calendar month or quarter in Swedish time.
  Events placed only at municipality level are never put in a cell: they are counted as
  "ej placerade".
* **Hot spots per period: Getis–Ord Gi\\*.** For every period the counts of *all* cells of the
  study area (the cells of the municipality boundary, zeros included; records outside it are
  left out and counted) give each cell a Gi\\* z-score over the
  cell and its 8 neighbours (binary weights, the cell itself included). A cell is hot in a period
  when z ≥ the two-sided critical value for ``alpha`` (1.96 for 0.05). Implemented with numpy: on
  a regular grid Gi\\* is a moving-window sum, taken only at the counted cells.
* **Trend: Mann–Kendall.** The cell's count series over the periods gets Kendall's S, its variance
  corrected for ties, a continuity-corrected z and a two-sided p-value.
* **Classes** (in this order, the first that fits): *ny* — hot in the last period and in no
  earlier one; *ökande* / *minskande* — a significant Mann–Kendall trend up / down; *ihållande* —
  hot in at least 90 % of the periods; *sporadisk* — hot in some periods; *ingen* — none of these.
* **Too few to tell.** Like ArcGIS's emerging hot-spot analysis (which refuses fewer than about 60
  points or 10 periods) the classes are only given when the analysed records number at least
  ``min_points`` and the periods at least ``min_periods``; a cell also needs ``min_cell_count``
  records. Otherwise the class is *för få för att avgöra* and the cell keeps only its pooled count
  over the whole window with an exact (Garwood) Poisson interval, and its first-half / second-half
  counts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import stats
from shapely.geometry.base import BaseGeometry

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.grid import (
    DEFAULT_CELL_M, cell_ids, cell_indices, cell_polygons, check_cell_size, parse_cell_ids,
)
from geo.layers import LOCAL_TZ

log = logging.getLogger(__name__)

Period = Literal["month", "quarter"]
TREND_SV = {
    "new": "ny",
    "increasing": "ökande",
    "persistent": "ihållande",
    "decreasing": "minskande",
    "sporadic": "sporadisk",
    "none": "ingen",
    "too_few": "för få för att avgöra",
}
MAX_STUDY_CELLS = 4_000_000  # cells of the study area's box (its mask is one byte a cell)
# Cells of the study area × periods: bounds the per-period work and the cells × periods tables
# (50 m cells over Timrå (≈ 361 000 cells) × 25 months fit; × 121 months do not).
MAX_CELL_PERIODS = 10_000_000
PERSISTENT_SHARE = 0.9
NO_BOUNDARY_SV = ("ingen kommungräns är inläst och posterna ligger för spritt för ett "
                  "studieområde (läs in lagret boundaries)")


# --- time -----------------------------------------------------------------------------------------

def as_utc(value: object) -> pd.Timestamp:
    """A date or time as a UTC timestamp; naive values and dates are Swedish local time."""
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if ts is pd.NaT:
        raise ValidationFailed(f"not a date: {value!r}")
    if ts.tzinfo is None:
        ts = ts.tz_localize(LOCAL_TZ)
    return ts.tz_convert("UTC")


def period_labels(start: object, end: object, *, period: Period = "month") -> list[str]:
    """Labels of the calendar periods touching [start, end): ``2024-03`` or ``2024Q1``."""
    if period not in ("month", "quarter"):
        raise ValidationFailed(f"period: {period!r} is not month or quarter")
    lo = as_utc(start).tz_convert(LOCAL_TZ).tz_localize(None)
    hi = as_utc(end).tz_convert(LOCAL_TZ).tz_localize(None) - pd.Timedelta(microseconds=1)
    if hi < lo:
        raise ValidationFailed(f"period: from {start} is not before to {end}")
    freq = "M" if period == "month" else "Q"
    return [str(p) for p in pd.period_range(lo.to_period(freq), hi.to_period(freq), freq=freq)]


def _labels_of(times: pd.Series, period: Period) -> np.ndarray:
    local = pd.to_datetime(times, utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return local.dt.to_period("M" if period == "month" else "Q").astype(str).to_numpy()


def in_window(records: gpd.GeoDataFrame, *, time_column: str, start: object,
              end: object) -> gpd.GeoDataFrame:
    """The records whose ``time_column`` lies in [start, end)."""
    if records.empty:
        return records
    t = pd.to_datetime(records[time_column], utc=True)
    return records[(t >= as_utc(start)) & (t < as_utc(end))]


def placed_only(events: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """(events placed more precisely than the municipality, number not placed)."""
    if "precision" not in events.columns or events.empty:
        return events, 0
    unplaced = events["precision"].fillna("municipality") == "municipality"
    return events[~unplaced], int(unplaced.sum())


# --- counting -------------------------------------------------------------------------------------

def grid_counts(records: gpd.GeoDataFrame, *, time_column: str, start: object, end: object,
                period: Period = "month", cell_m: float = DEFAULT_CELL_M) -> pd.DataFrame:
    """Counts per cell (rows, cell ids) and period (columns, every period of the window)."""
    labels = period_labels(start, end, period=period)
    inside = in_window(require_work_crs(records, "records"), time_column=time_column,
                       start=start, end=end)
    if inside.empty:
        return pd.DataFrame(np.zeros((0, len(labels)), dtype=np.int64), columns=labels,
                            index=pd.Index([], name="cell"))
    ix, iy = cell_indices(inside, cell_m=cell_m)
    frame = pd.DataFrame({"cell": cell_ids(ix, iy, cell_m=cell_m),
                          "period": _labels_of(inside[time_column], period)})
    table = pd.crosstab(frame["cell"], frame["period"])
    return table.reindex(columns=labels, fill_value=0).astype(np.int64)


def poisson_interval(counts: np.ndarray | int, *, confidence: float = 0.95
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Garwood) confidence interval of a Poisson mean for each observed count."""
    k = np.asarray(counts, dtype=float)
    a = 1.0 - confidence
    low = np.where(k > 0, stats.chi2.ppf(a / 2, 2 * k) / 2, 0.0)
    high = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return low, high


# --- statistics -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MannKendall:
    s: float
    var_s: float
    z: float
    p: float
    tau: float


def mann_kendall(series: np.ndarray | list[float]) -> MannKendall:
    """Mann–Kendall trend test of one series: S, its tie-corrected variance, z and two-sided p."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    if n < 2:
        return MannKendall(0.0, 0.0, 0.0, 1.0, 0.0)
    i, j = np.triu_indices(n, k=1)
    s = float(np.sign(x[j] - x[i]).sum())
    _, ties = np.unique(x, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18.0
    if var <= 0:
        return MannKendall(s, var, 0.0, 1.0, 0.0)
    z = (s - np.sign(s)) / np.sqrt(var)
    p = float(2 * stats.norm.sf(abs(z)))
    return MannKendall(s, var, float(z), p, s / (n * (n - 1) / 2))


def mann_kendall_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      np.ndarray]:
    """``mann_kendall`` of every row of ``matrix`` at once: (S, Var S, z, p) arrays."""
    m = np.asarray(matrix, dtype=float)
    rows, n = m.shape
    if n < 2 or rows == 0:
        zero = np.zeros(rows)
        return zero, zero, zero, np.ones(rows)
    i, j = np.triu_indices(n, k=1)
    s = np.sign(m[:, j] - m[:, i]).sum(axis=1)
    ordered = np.sort(m, axis=1)
    run = np.concatenate([np.zeros((rows, 1), dtype=int),
                          np.cumsum(ordered[:, 1:] != ordered[:, :-1], axis=1)], axis=1)
    sizes = np.zeros((rows, n))
    np.add.at(sizes, (np.repeat(np.arange(rows), n), run.ravel()), 1.0)
    ties = (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(var > 0, (s - np.sign(s)) / np.sqrt(np.maximum(var, 1e-300)), 0.0)
    return s, var, z, 2 * stats.norm.sf(np.abs(z))


# --- the study area ---------------------------------------------------------------------------
# Kept apart from the statistics: the municipality's cells, whatever the records are.

@dataclass(frozen=True)
class StudyArea:
    """The cells of ``cell_m`` whose centre lies in the municipality (the union of the loaded
    boundaries): a mask over the box of cell columns ``x0`` … and rows ``y0`` …"""

    cell_m: float
    x0: int
    y0: int
    mask: np.ndarray  # (rows, columns) bool

    @property
    def cells(self) -> int:
        return int(self.mask.sum())


def study_area(boundary: BaseGeometry, *, cell_m: float) -> StudyArea:
    """The study area of ``boundary`` (EPSG:3006) on the grid of ``cell_m``; raise
    ``ValidationFailed`` naming ``cell_m`` when the box holds more than ``MAX_STUDY_CELLS``."""
    cell_m = check_cell_size(cell_m)
    return _study_area(shapely.to_wkb(boundary), cell_m)


@lru_cache(maxsize=16)
def _study_area(wkb: bytes, cell_m: float) -> StudyArea:
    geom = shapely.from_wkb(wkb)
    if geom.is_empty:
        raise ValidationFailed("boundaries: the municipality boundary is empty")
    minx, miny, maxx, maxy = geom.bounds
    x0, y0 = int(np.floor(minx / cell_m)), int(np.floor(miny / cell_m))
    x1, y1 = int(np.floor(maxx / cell_m)), int(np.floor(maxy / cell_m))
    width, height = x1 - x0 + 1, y1 - y0 + 1
    if width * height > MAX_STUDY_CELLS:
        raise ValidationFailed(
            f"cell_m: {cell_m:g} m ger {_n(width * height)} rutor över kommunens yta; välj "
            f"större rutor (högst {_n(MAX_STUDY_CELLS)})")
    shapely.prepare(geom)
    xs = (np.arange(x0, x1 + 1) + 0.5) * cell_m
    ys = (np.arange(y0, y1 + 1) + 0.5) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    mask = shapely.intersects_xy(geom, gx.ravel(), gy.ravel()).reshape(height, width)
    mask.flags.writeable = False
    return StudyArea(cell_m=cell_m, x0=x0, y0=y0, mask=mask)


def inside_area(records: gpd.GeoDataFrame, boundary: BaseGeometry | None
                ) -> tuple[gpd.GeoDataFrame, int]:
    """(the records whose representative point lies in ``boundary``, the number outside it);
    every record when there is no boundary."""
    if boundary is None or records.empty:
        return records, 0
    require_work_crs(records, "records")
    pts = shapely.point_on_surface(np.asarray(records.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    if len(xy) != len(records):
        raise ValidationFailed("records: every record needs a non-empty geometry")
    shapely.prepare(boundary)
    inside = shapely.intersects_xy(boundary, xy[:, 0], xy[:, 1])
    return records[inside], int((~inside).sum())


def check_capacity(area_cells: int, periods: int, *, cell_m: float) -> None:
    """Refuse (naming the fields) when cells × periods exceeds ``MAX_CELL_PERIODS``."""
    if area_cells * periods > MAX_CELL_PERIODS:
        raise ValidationFailed(
            f"cell_m, from/to, period: {_n(area_cells)} rutor à {cell_m:g} m × {periods} "
            f"perioder = {_n(area_cells * periods)} ruta-perioder, fler än de "
            f"{_n(MAX_CELL_PERIODS)} som ryms; välj större rutor, kvartal i stället för månad "
            "eller ett kortare tidsfönster")


def _n(value: int) -> str:
    """A whole number with Swedish thousands spacing: 10 000 000."""
    return f"{value:,}".replace(",", "\u00a0")


def _box_area(cells: pd.Index, extent: tuple[float, float, float, float] | None,
              cell_m: float, ring: int) -> tuple[int, int, int, int]:
    """The box of the study area without a boundary: ``extent`` grown to hold the counted cells,
    or the counted cells' box padded by the neighbourhood."""
    if extent is not None:
        minx, miny, maxx, maxy = extent
        x0, y0 = int(np.floor(minx / cell_m)), int(np.floor(miny / cell_m))
        x1, y1 = int(np.floor(maxx / cell_m)), int(np.floor(maxy / cell_m))
    else:
        x0 = y0 = x1 = y1 = 0
    if len(cells):
        _, ix, iy = parse_cell_ids(cells)
        if extent is None:  # the counted cells' box, padded by the neighbourhood
            x0, y0 = int(ix.min()) - ring, int(iy.min()) - ring
            x1, y1 = int(ix.max()) + ring, int(iy.max()) + ring
        else:  # the extent, grown only to hold cells that lie outside it
            x0, y0 = min(x0, int(ix.min())), min(y0, int(iy.min()))
            x1, y1 = max(x1, int(ix.max())), max(y1, int(iy.max()))
    return x0, y0, x1, y1


def _in_area(area: StudyArea | None, box: tuple[int, int, int, int], ix: np.ndarray,
             iy: np.ndarray) -> np.ndarray:
    """Whether cells (column, row) belong to the study area."""
    if area is None:
        x0, y0, x1, y1 = box
        return (ix >= x0) & (ix <= x1) & (iy >= y0) & (iy <= y1)
    h, w = area.mask.shape
    c, r = ix - area.x0, iy - area.y0
    ok = (c >= 0) & (c < w) & (r >= 0) & (r < h)
    out = np.zeros(len(ix), dtype=bool)
    out[ok] = area.mask[r[ok], c[ok]]
    return out


def getis_ord_gi_star(counts: pd.DataFrame, *, cell_m: float,
                      extent: tuple[float, float, float, float] | None = None,
                      ring: int = 1, area: StudyArea | None = None) -> pd.DataFrame:
    """Gi* z-score of each cell of ``counts`` (cells × periods) in each period.

    The study area is ``area`` (the municipality's cells; counted cells outside its mask belong
    to it too) or, without one, every cell of ``extent`` (EPSG:3006 bounds; default the counted
    cells' box padded by ``ring``), zeros included; weights are 1 for the cell and its neighbours
    within ``ring`` cells (a (2·ring+1)² window) and 0 elsewhere. Only the counted cells are
    visited: a zero cell's sums are never needed, so the work grows with the counted cells.
    """
    box = _box_area(counts.index, extent, cell_m, ring)
    t = counts.shape[1]
    out = pd.DataFrame(np.zeros(counts.shape), index=counts.index, columns=counts.columns)
    _, ix, iy = parse_cell_ids(counts.index) if len(counts) else (None, np.zeros(0, np.int64),
                                                                  np.zeros(0, np.int64))
    if area is None:
        n = (box[2] - box[0] + 1) * (box[3] - box[1] + 1)
        if n > MAX_STUDY_CELLS:
            raise ValidationFailed(f"cell_m: {cell_m:g} m gives {n:,} cells over the study "
                                   f"area; use larger cells (at most {MAX_STUDY_CELLS:,})")
    else:
        n = area.cells + int((~_in_area(area, box, ix, iy)).sum())
    if len(counts) == 0 or t == 0 or n < 2:
        return out
    x = counts.to_numpy(dtype=float)
    occupied = np.zeros(len(ix), dtype=bool) if area is None else ~_in_area(area, box, ix, iy)
    width = int(ix.max() - ix.min()) + 2 * ring + 1
    key = (iy - int(iy.min()) + ring) * width + (ix - int(ix.min()) + ring)
    order = np.argsort(key)
    sorted_key = key[order]
    sums = np.zeros_like(x)
    weights = np.zeros(len(ix))
    for dx in range(-ring, ring + 1):  # (2·ring+1)² offsets, each vectorised over the cells
        for dy in range(-ring, ring + 1):
            nx, ny = ix + dx, iy + dy
            weights += _in_area(area, box, nx, ny)
            pos = np.searchsorted(sorted_key, key + dy * width + dx)
            pos = np.minimum(pos, len(key) - 1)
            hit = sorted_key[pos] == key + dy * width + dx
            j = order[pos[hit]]
            sums[hit] += x[j]
            if area is not None:  # counted neighbours outside the mask are study cells too
                weights[hit] += occupied[j]
    mean = x.sum(axis=0) / n
    sd = np.sqrt(np.maximum((x ** 2).sum(axis=0) / n - mean ** 2, 0.0))
    w = weights[:, None]
    denom = sd[None, :] * np.sqrt(np.maximum(n * w - w ** 2, 0.0) / (n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(denom > 0, (sums - mean[None, :] * w) / denom, 0.0)
    out.iloc[:, :] = z
    return out


# --- the analysis ---------------------------------------------------------------------------------

@dataclass
class HotspotResult:
    """Cells (EPSG:3006, index cell id) with counts per period, pooled counts and a class."""

    cells: gpd.GeoDataFrame
    periods: list[str]
    period: str
    cell_m: float
    records: int
    too_few: bool
    too_few_reason: str | None
    not_placed: int = 0
    notes: list[str] = field(default_factory=list)


def hotspot_analysis(records: gpd.GeoDataFrame, *, time_column: str, start: object, end: object,
                     period: Period = "month", cell_m: float = DEFAULT_CELL_M,
                     extent: tuple[float, float, float, float] | None = None,
                     area: StudyArea | None = None,
                     alpha: float = 0.05, min_points: int = 60, min_periods: int = 10,
                     min_cell_count: int = 5, confidence: float = 0.95) -> HotspotResult:
    """Counts per cell and period with a trend class per cell (see the module's method).

    ``records`` are points in EPSG:3006 already filtered (category, source, privacy, and to the
    study ``area`` when there is one: see ``inside_area``); events should be ``placed_only``
    first. With ``area``, cells × periods must stay within ``MAX_CELL_PERIODS``.
    """
    cell_m = check_cell_size(cell_m)
    if not 0 < alpha < 1:
        raise ValidationFailed(f"alpha: {alpha!r} is not between 0 and 1")
    if area is not None:
        if area.cell_m != cell_m:
            raise ValidationFailed(f"cell_m: the study area is on {area.cell_m:g} m cells")
        check_capacity(area.cells, len(period_labels(start, end, period=period)),
                       cell_m=cell_m)
    counts = grid_counts(records, time_column=time_column, start=start, end=end, period=period,
                         cell_m=cell_m)
    periods = list(counts.columns)
    total = int(counts.to_numpy().sum())
    reason = None
    if total < min_points:
        reason = f"{total} händelser/rapporter (minst {min_points} behövs för ett trendtest)"
    elif len(periods) < min_periods:
        reason = f"{len(periods)} perioder (minst {min_periods} behövs för ett trendtest)"
    matrix = counts.to_numpy(dtype=float)
    sums = matrix.sum(axis=1)
    low, high = poisson_interval(sums, confidence=confidence)
    half = len(periods) // 2
    frame = pd.DataFrame({
        "total": sums.astype(int),
        "counts": [row.astype(int).tolist() for row in matrix],
        "ci_low": low, "ci_high": high,
        "first_half": matrix[:, :half].sum(axis=1).astype(int),
        "second_half": matrix[:, half:].sum(axis=1).astype(int),
    }, index=counts.index)
    trends = ["too_few"] * len(frame)
    mk_z = np.zeros(len(frame))
    mk_p = np.ones(len(frame))
    hot_periods = np.zeros(len(frame), dtype=int)
    if reason is None and area is None and len(frame):
        x0, y0, x1, y1 = _box_area(counts.index, extent, cell_m, 1)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_STUDY_CELLS:  # no boundary, records far apart
            reason = NO_BOUNDARY_SV
    if reason is None and len(frame):
        z = getis_ord_gi_star(counts, cell_m=cell_m, extent=extent, area=area).to_numpy()
        hot = z >= stats.norm.ppf(1 - alpha / 2)
        hot_periods = hot.sum(axis=1)
        s, _, mk_z, mk_p = mann_kendall_rows(matrix)
        trends = np.select(
            [sums < min_cell_count, hot[:, -1] & ~hot[:, :-1].any(axis=1),
             (mk_p < alpha) & (s > 0), (mk_p < alpha) & (s < 0),
             hot.mean(axis=1) >= PERSISTENT_SHARE, hot.any(axis=1)],
            ["too_few", "new", "increasing", "decreasing", "persistent", "sporadic"],
            default="none").tolist()
    frame["trend"] = trends
    frame["trend_sv"] = [TREND_SV[t] for t in trends]
    frame["mk_z"], frame["mk_p"], frame["hot_periods"] = mk_z, mk_p, hot_periods
    cells = gpd.GeoDataFrame(frame, geometry=cell_polygons(counts.index).values,
                             crs=records.crs)
    cells.index.name = "cell"
    return HotspotResult(cells=cells, periods=periods, period=period, cell_m=cell_m,
                         records=total, too_few=reason is not None, too_few_reason=reason)


# --- display and comparison -----------------------------------------------------------------------

def kernel_density(records: gpd.GeoDataFrame, *, bandwidth_m: float = 300.0,
                   cell_m: float = 50.0) -> pd.DataFrame:
    """A quartic-kernel density surface for display: cell centres (x, y in EPSG:3006) with the
    density in records per km², only where it is above zero."""
    require_work_crs(records, "records")
    check_cell_size(cell_m)
    if bandwidth_m <= 0 or bandwidth_m / cell_m > 200:
        raise ValidationFailed(f"bandwidth_m: {bandwidth_m!r} must be > 0 and ≤ 200 cells")
    if records.empty:
        return pd.DataFrame({"x": [], "y": [], "density": []})
    ix, iy = cell_indices(records, cell_m=cell_m)
    reach = int(np.ceil(bandwidth_m / cell_m))
    dx, dy = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1))
    dx, dy = dx.ravel(), dy.ravel()
    points = records.geometry.representative_point()
    px, py = points.x.to_numpy(), points.y.to_numpy()
    cx = (ix[:, None] + dx[None, :])
    cy = (iy[:, None] + dy[None, :])
    d2 = ((cx + 0.5) * cell_m - px[:, None]) ** 2 + ((cy + 0.5) * cell_m - py[:, None]) ** 2
    h2 = bandwidth_m ** 2
    weight = np.where(d2 < h2, 3.0 / (np.pi * h2) * (1 - d2 / h2) ** 2, 0.0) * 1e6
    keep = weight > 0
    frame = pd.DataFrame({"cx": cx[keep], "cy": cy[keep], "density": weight[keep]})
    grouped = frame.groupby(["cx", "cy"], sort=True)["density"].sum().reset_index()
    return pd.DataFrame({"x": (grouped["cx"].to_numpy() + 0.5) * cell_m,
                         "y": (grouped["cy"].to_numpy() + 0.5) * cell_m,
                         "density": grouped["density"].to_numpy()})


def compare_periods(records: gpd.GeoDataFrame, *, time_column: str,
                    first: tuple[object, object], second: tuple[object, object],
                    cell_m: float = DEFAULT_CELL_M, alpha: float = 0.05,
                    min_count: int = 5) -> gpd.GeoDataFrame:
    """Counts per cell in two periods, their difference and whether it is more than chance.

    Given a cell's total n = a + b, b is Binomial(n, d₂ / (d₁ + d₂)) under equal rates (d the
    periods' lengths); an exact binomial test gives p. With n < ``min_count`` the change is
    "för få för att avgöra".
    """
    cell_m = check_cell_size(cell_m)
    parts = []
    for name, (lo, hi) in (("first", first), ("second", second)):
        inside = in_window(require_work_crs(records, "records"), time_column=time_column,
                           start=lo, end=hi)
        ix, iy = cell_indices(inside, cell_m=cell_m) if len(inside) else (
            np.array([], dtype=np.int64), np.array([], dtype=np.int64))
        parts.append(pd.Series(cell_ids(ix, iy, cell_m=cell_m), dtype=object)
                     .value_counts().rename(name))
    table = pd.concat(parts, axis=1).fillna(0).astype(int)
    d1 = (as_utc(first[1]) - as_utc(first[0])).total_seconds()
    d2 = (as_utc(second[1]) - as_utc(second[0])).total_seconds()
    if d1 <= 0 or d2 <= 0:
        raise ValidationFailed("compare_periods: each period must end after it starts")
    share = d2 / (d1 + d2)
    n = (table["first"] + table["second"]).to_numpy()
    p = np.array([stats.binomtest(int(b), int(k), share).pvalue if k else 1.0
                  for b, k in zip(table["second"], n, strict=True)])
    expected = n * share
    change = np.where(n < min_count, "för få för att avgöra",
                      np.where(p >= alpha, "ingen säker skillnad",
                               np.where(table["second"].to_numpy() > expected, "fler", "färre")))
    table["difference"] = table["second"] - table["first"]
    table["p"] = p
    table["change"] = change
    table.index.name = "cell"
    return gpd.GeoDataFrame(table, geometry=cell_polygons(table.index).values,
                            crs=records.crs)


def felt_vs_recorded(unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *,
                     cell_m: float = DEFAULT_CELL_M) -> gpd.GeoDataFrame:
    """Reported unsafe places (felt) next to placed police events (recorded) per cell, with
    ``agreement``: "båda", "bara upplevd" or "bara registrerad"."""
    cell_m = check_cell_size(cell_m)
    parts = []
    for name, gdf in (("felt", unsafe), ("recorded", events)):
        ix, iy = cell_indices(gdf, cell_m=cell_m) if len(gdf) else (
            np.array([], dtype=np.int64), np.array([], dtype=np.int64))
        parts.append(pd.Series(cell_ids(ix, iy, cell_m=cell_m), dtype=object)
                     .value_counts().rename(name))
    table = pd.concat(parts, axis=1).fillna(0).astype(int)
    both = (table["felt"] > 0) & (table["recorded"] > 0)
    table["agreement"] = np.where(both, "båda", np.where(table["felt"] > 0, "bara upplevd",
                                                         "bara registrerad"))
    table.index.name = "cell"
    return gpd.GeoDataFrame(table, geometry=cell_polygons(table.index).values,
                            crs=unsafe.crs or events.crs)
