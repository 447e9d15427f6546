"""Unsafe places over time: counts per grid cell and period, trends, hot spots and comparisons.

Method (documented for the council; see README "Otrygga platser över tid"):

* **Grid.** Records (reported unsafe places, police events) are counted in square cells of
  ``cell_m`` metres in SWEREF 99 TM (``geo.grid``), per calendar month or quarter in Swedish time.
  Events placed only at municipality level are never put in a cell: they are counted as
  "ej placerade".
* **Emerging hot spots** (``geo.emerging``): space-time Getis–Ord Gi\\* over the study area's
  cells (the municipality's cells, zeros included; records outside it are left out and counted),
  the 3×3 cells around a cell in its period and the ``time_window_periods`` before it;
  Benjamini–Hochberg FDR over the whole cube; hot spots need ``min_window_count`` records in
  their window; Mann–Kendall on each cell's z-scores; Esri's categories (new, consecutive,
  intensifying, persistent, diminishing, sporadic, oscillating, historical; hot and cold).
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
from geo.emerging import (
    DEFAULT_MIN_WINDOW_COUNT, PERSISTENT_SHARE, describe, emerging_hot_spots,
)
from geo.errors import ValidationFailed
from geo.formats import plural_sv
from geo.grid import (
    DEFAULT_CELL_M, cell_ids, cell_indices, cell_polygons, check_cell_size, parse_cell_ids,
)
from geo.layers import UNPLACED_PRECISIONS
from geo.vocabulary import TREND_SV
from geo.periods import LOCAL_TZ

log = logging.getLogger(__name__)

Period = Literal["month", "quarter"]
MAX_STUDY_CELLS = 4_000_000  # cells of the study area's box (its mask is one byte a cell)
# Cells of the study area × periods: bounds the per-period work and the cells × periods tables
# (50 m cells over Timrå (≈ 361 000 cells) × 25 months fit; × 121 months do not).
MAX_CELL_PERIODS = 10_000_000
NO_BOUNDARY_SV = ("ingen kommungräns är inläst och posterna ligger för spritt för ett "
                  "studieområde (läs in lagret boundaries)")


# --- time -----------------------------------------------------------------------------------------

def as_utc(value: object) -> pd.Timestamp:
    """A date or time as a UTC timestamp; naive values and dates are Swedish local time."""
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    if pd.isna(ts):
        raise ValidationFailed(f"inget datum: {value!r}; skriv ÅÅÅÅ-MM-DD")
    if ts.tzinfo is None:
        ts = ts.tz_localize(LOCAL_TZ)
    return ts.tz_convert("UTC")


def period_labels(start: object, end: object, *, period: Period = "month") -> list[str]:
    """Labels of the calendar periods touching [start, end): ``2024-03`` or ``2024Q1``."""
    if period not in ("month", "quarter"):
        raise ValidationFailed(f"period: {period!r} är varken month (månad) eller quarter "
                               "(kvartal); välj en av dem")
    lo = as_utc(start).tz_convert(LOCAL_TZ).tz_localize(None)
    hi = as_utc(end).tz_convert(LOCAL_TZ).tz_localize(None) - pd.Timedelta(microseconds=1)
    if hi < lo:
        raise ValidationFailed(f"period: från {start} ligger inte före till {end}; byt "
                               "plats på datumen")
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
    unplaced = events["precision"].fillna("municipality").isin(UNPLACED_PRECISIONS)
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
        raise ValidationFailed("boundaries: kommungränsen är tom; kör trygg kommun init KOMMUNKOD")
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
        raise ValidationFailed("records: varje post behöver en geometri som inte är tom")
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


def study_grid(cells: pd.Index, *, cell_m: float,
               extent: tuple[float, float, float, float] | None = None, ring: int = 1,
               area: StudyArea | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mask of the study cells over a box, row and column of each of ``cells`` in it).

    The study area is ``area`` (the municipality's cells; counted cells outside its mask belong
    to it too) or, without one, every cell of ``extent`` (EPSG:3006 bounds; default the counted
    cells' box padded by ``ring``). Raise ``ValidationFailed`` naming ``cell_m`` when the box
    holds more than ``MAX_STUDY_CELLS``."""
    if len(cells):
        _, ix, iy = parse_cell_ids(cells)
        ix, iy = ix.astype(np.int64), iy.astype(np.int64)
    else:
        ix = iy = np.zeros(0, dtype=np.int64)
    if area is None:
        x0, y0, x1, y1 = _box_area(cells, extent, cell_m, ring)
    else:
        h, w = area.mask.shape
        x0, y0, x1, y1 = area.x0, area.y0, area.x0 + w - 1, area.y0 + h - 1
        if len(ix):
            x0, y0 = min(x0, int(ix.min())), min(y0, int(iy.min()))
            x1, y1 = max(x1, int(ix.max())), max(y1, int(iy.max()))
    width, height = x1 - x0 + 1, y1 - y0 + 1
    if width * height > MAX_STUDY_CELLS:
        raise ValidationFailed(
            f"cell_m: {cell_m:g} m ger {_n(width * height)} rutor i studieområdets ruta; välj "
            f"större rutor (högst {_n(MAX_STUDY_CELLS)})")
    if area is None:
        mask = np.ones((height, width), dtype=bool)
    else:
        mask = np.zeros((height, width), dtype=bool)
        r0, c0 = area.y0 - y0, area.x0 - x0
        mask[r0:r0 + area.mask.shape[0], c0:c0 + area.mask.shape[1]] = area.mask
    rows, cols = iy - y0, ix - x0
    mask[rows, cols] = True
    return mask, rows, cols


# --- the analysis ---------------------------------------------------------------------------------

@dataclass(kw_only=True)
class HotspotFigures:
    """What an analysis covered: its periods, cell size and records, and whether they are too
    few for trends (and why). ``geo.hotspot_view.HotspotView``, the API's answer, shares them."""

    periods: list[str]
    period: str
    cell_m: float
    records: int
    too_few: bool
    too_few_reason: str | None
    not_placed: int = 0


@dataclass(kw_only=True)
class HotspotResult(HotspotFigures):
    """Cells (EPSG:3006, index cell id) with counts per period, pooled counts and a category."""

    cells: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)
    method: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class HotspotOptions:
    """How the emerging hot-spot analysis counts and tests (see the module doc)."""

    period: Period = "month"
    cell_m: float = DEFAULT_CELL_M
    alpha: float = 0.05
    min_points: int = 60  # records in the window for any trend test
    min_periods: int = 10  # periods in the window for any trend test
    min_cell_count: int = 5  # records of a cell's own for its category
    confidence: float = 0.95  # of the Poisson interval of each cell's total
    time_window_periods: int = 1  # the space-time neighbourhood's reach back and forth
    min_window_count: int = DEFAULT_MIN_WINDOW_COUNT


def hotspot_analysis(records: gpd.GeoDataFrame, *, time_column: str, start: object, end: object,
                     options: HotspotOptions | None = None,
                     extent: tuple[float, float, float, float] | None = None,
                     area: StudyArea | None = None) -> HotspotResult:
    """Counts per cell and period with an emerging hot-spot category per cell (module doc).

    ``records`` are points in EPSG:3006 already filtered (category, source, privacy, and to the
    study ``area`` when there is one: see ``inside_area``); events should be ``placed_only``
    first. With ``area``, cells × periods must stay within ``MAX_CELL_PERIODS``. A cell with
    fewer than ``min_cell_count`` records of its own, or any cell when the window holds fewer
    than ``min_points`` records or ``min_periods`` periods, is ``too_few``.
    """
    o = options or HotspotOptions()
    period, cell_m, alpha, confidence = o.period, o.cell_m, o.alpha, o.confidence
    min_points, min_periods, min_cell_count = o.min_points, o.min_periods, o.min_cell_count
    time_window_periods, min_window_count = o.time_window_periods, o.min_window_count
    cell_m = check_cell_size(cell_m)
    if not 0 < alpha < 1:
        raise ValidationFailed(f"alpha: {alpha!r} ligger inte mellan 0 och 1")
    if time_window_periods < 0:
        raise ValidationFailed(f"time_window_periods: {time_window_periods!r} är mindre än 0")
    if area is not None:
        if area.cell_m != cell_m:
            raise ValidationFailed(f"cell_m: studieområdet har rutor på {area.cell_m:g} m; "
                                   "välj samma rutstorlek")
        check_capacity(area.cells, len(period_labels(start, end, period=period)),
                       cell_m=cell_m)
    counts = grid_counts(records, time_column=time_column, start=start, end=end, period=period,
                         cell_m=cell_m)
    periods = list(counts.columns)
    total = int(counts.to_numpy().sum())
    reason = None
    if total < min_points:
        reason = (f"{plural_sv(total, 'händelse/rapport', 'händelser/rapporter')} (minst "
                  f"{min_points} behövs för ett trendtest)")
    elif len(periods) < min_periods:
        reason = (f"{plural_sv(len(periods), 'period', 'perioder')} (minst {min_periods} "
                  "behövs för ett trendtest)")
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
    n = len(frame)
    trends = np.full(n, "too_few", dtype=object)
    mk_z, mk_p, mk_s = np.zeros(n), np.ones(n), np.zeros(n)
    hot_periods = np.zeros(n, dtype=int)
    cold_periods = np.zeros(n, dtype=int)
    method: dict[str, float | int | str] = {
        "alpha": alpha, "fdr": "Benjamini–Hochberg över hela kuben",
        "time_window_periods": time_window_periods, "min_window_count": min_window_count,
        "min_cell_count": min_cell_count, "persistent_share": PERSISTENT_SHARE}
    if reason is None and area is None and n:
        x0, y0, x1, y1 = _box_area(counts.index, extent, cell_m, 1)
        if (x1 - x0 + 1) * (y1 - y0 + 1) > MAX_STUDY_CELLS:  # no boundary, records far apart
            reason = NO_BOUNDARY_SV
    if reason is None and n:
        mask, rows, cols = study_grid(counts.index, cell_m=cell_m, extent=extent, area=area)
        result = emerging_hot_spots(matrix, rows, cols, mask, alpha=alpha,
                                    time_window_periods=time_window_periods,
                                    min_window_count=min_window_count)
        hot_periods, cold_periods = result.hot.sum(axis=1), result.cold.sum(axis=1)
        mk_s, mk_z, mk_p = result.trend_s, result.trend_z, result.trend_p
        trends = np.where(sums < min_cell_count, "too_few", result.category).astype(object)
        method.update(bins=result.gi.bins, p_threshold=result.gi.p_threshold)
    summaries = []
    for key, s_, p_, hot_, cold_, own in zip(trends, mk_s, mk_p, hot_periods, cold_periods,
                                             sums, strict=True):
        if key != "too_few":
            summaries.append(describe(key, hot_periods=int(hot_), cold_periods=int(cold_),
                                      periods=len(periods), trend_s=float(s_),
                                      trend_p=float(p_), alpha=alpha))
        elif reason is not None:
            summaries.append(f"För få för att avgöra: {reason}.")
        else:
            summaries.append(f"För få för att avgöra: {int(own)} i rutan (minst "
                             f"{min_cell_count} behövs).")
    frame["trend"] = list(trends)
    frame["trend_sv"] = [TREND_SV[t] for t in trends]
    frame["summary_sv"] = summaries
    frame["mk_z"], frame["mk_p"] = mk_z, mk_p
    frame["hot_periods"], frame["cold_periods"] = hot_periods, cold_periods
    cells = gpd.GeoDataFrame(frame, geometry=cell_polygons(counts.index).values,
                             crs=records.crs)
    cells.index.name = "cell"
    return HotspotResult(cells=cells, periods=periods, period=period, cell_m=cell_m,
                         records=total, too_few=reason is not None, too_few_reason=reason,
                         method=method)


# --- display and comparison -----------------------------------------------------------------------

def kernel_density(records: gpd.GeoDataFrame, *, bandwidth_m: float = 300.0,
                   cell_m: float = 50.0) -> pd.DataFrame:
    """A quartic-kernel density surface for display: cell centres (x, y in EPSG:3006) with the
    density in records per km², only where it is above zero."""
    require_work_crs(records, "records")
    check_cell_size(cell_m)
    if bandwidth_m <= 0 or bandwidth_m / cell_m > 200:
        raise ValidationFailed(f"bandwidth_m: {bandwidth_m!r} måste vara större än 0 och "
                               "högst 200 rutor")
    if records.empty:
        return pd.DataFrame({"x": [], "y": [], "density": []})
    ix, iy = cell_indices(records, cell_m=cell_m)
    reach = int(np.ceil(bandwidth_m / cell_m))
    gx, gy = np.meshgrid(np.arange(-reach, reach + 1), np.arange(-reach, reach + 1))
    dx, dy = gx.ravel(), gy.ravel()
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
        raise ValidationFailed("compare_periods: varje period måste sluta efter att den börjar")
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
