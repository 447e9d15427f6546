"""Traffic-check coverage of the risk roads.

For a period, from the performed ``traffic_checks`` and the ``risk_roads``:

* per road: the checks within ``radius_m`` (1 km) of the road, the days from the last one to the
  period's end, and their results summed (checked, breath tests, suspected DUI, speeding); a
  result a check did not report is unknown, not zero, and the unknowns are counted;
* the share of risk-weighted road length within ``radius_m`` of at least one check, overall and
  per risk category;
* how many checks were made at identified risk places (near a risk road) and elsewhere.

A check whose location uncertainty (``precision_m``) exceeds the radius could lie near any road
or none: it is reported as "plats okänd" and covers no road.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.layers import RISK_CATEGORIES
from geo.periods import LOCAL_TZ
from geo.periods import Period

DEFAULT_RADIUS_M = 1000.0
RESULT_FIELDS = ("checked", "breath_tests", "suspected_dui", "speeding")
_TOLERANCE_M = 1e-6  # a check exactly at the radius is within it


@dataclass
class ResultSum:
    """A summed result: the sum of the known values and how many checks did not report it."""

    total: int
    unknown: int


@dataclass
class RoadChecks:
    road_id: int
    name: str
    risk_weight: float
    risk_categories: list[str]
    length_m: float
    covered_m: float
    covered_pct: float
    checks: int
    last_check: str | None  # local date
    days_since_last: int | None  # from the last check to the period's end
    results: dict[str, ResultSum]
    check_ids: list[int] = field(default_factory=list)


@dataclass
class CategoryShare:
    category: str
    roads: int
    weighted_length_m: float
    covered_pct: float | None


@dataclass
class CheckCoverage:
    period_from: str
    period_to: str
    radius_m: float
    checks_performed: int
    checks_at_risk_places: int
    checks_elsewhere: int
    checks_place_unknown: int
    checks_without_date: int
    weighted_covered_pct: float | None
    categories: list[CategoryShare]
    roads: list[RoadChecks]
    unknown_place_ids: list[int] = field(default_factory=list)


def performed_checks(checks: gpd.GeoDataFrame, period: Period) -> gpd.GeoDataFrame:
    """Performed checks (status ``genomford``) whose start lies in ``period`` (local days)."""
    start = pd.to_datetime(checks["start"], utc=True, errors="coerce")
    secs = start.dt.as_unit("ns").astype("int64").to_numpy() / 1e9
    done = (checks["status"] == "genomford").to_numpy()
    inside = start.notna().to_numpy() & (secs >= period.start_s) & (secs < period.end_s)
    return checks[done & inside]


def covered_length(roads: np.ndarray, points: np.ndarray, *, radius_m: float) -> np.ndarray:
    """Per road (lines), its length within ``radius_m`` of any of ``points``, exactly.

    Each straight segment of a road meets the circle around a nearby point (STRtree pairs) in one
    interval of its parameter, the roots of a quadratic; the intervals of a segment are joined
    and their lengths summed, so no disc is approximated by a polygon. A point exactly at the
    radius (within 1e-6 m) touches the road and covers nothing of it.
    """
    roads = np.asarray(roads, dtype=object)
    out = np.zeros(len(roads))
    points = np.asarray(points, dtype=object)
    if len(roads) == 0 or len(points) == 0:
        return out
    parts, owner = shapely.get_parts(roads, return_index=True)
    xy, part = shapely.get_coordinates(parts, return_index=True)
    first = np.flatnonzero(part[1:] == part[:-1])  # segment k runs from vertex k to k + 1
    if len(first) == 0:
        return out
    ax, ay = xy[first, 0], xy[first, 1]
    dx, dy = xy[first + 1, 0] - ax, xy[first + 1, 1] - ay
    seg_road = owner[part[first]]
    segments = shapely.linestrings(np.stack([xy[first], xy[first + 1]], axis=1))
    pxy = shapely.get_coordinates(points)
    tree = shapely.STRtree(points)
    seg, pt = tree.query(segments, predicate="dwithin", distance=radius_m + _TOLERANCE_M)
    # |A + t·D − C|² = r²: a t² + 2 b t + c = 0.
    a = dx[seg] ** 2 + dy[seg] ** 2
    wx, wy = ax[seg] - pxy[pt, 0], ay[seg] - pxy[pt, 1]
    b = dx[seg] * wx + dy[seg] * wy
    c = wx * wx + wy * wy - radius_m * radius_m
    disc = b * b - a * c
    ok = (a > 0) & (disc > 0)
    root = np.sqrt(np.where(ok, disc, 0.0))
    safe_a = np.where(ok, a, 1.0)
    lo = np.clip((-b - root) / safe_a, 0.0, 1.0)
    hi = np.clip((-b + root) / safe_a, 0.0, 1.0)
    ok &= hi > lo
    seg, lo, hi = seg[ok], lo[ok], hi[ok]
    if len(seg) == 0:
        return out
    # Union of the intervals of each segment: sort by segment then start; offsetting each
    # segment's parameters by 2 · its number makes one running maximum serve all segments.
    order = np.lexsort((lo, seg))
    seg, lo, hi = seg[order], lo[order] + 2.0 * seg[order], hi[order] + 2.0 * seg[order]
    reach = np.maximum.accumulate(hi)
    new = np.r_[True, lo[1:] > reach[:-1]]
    start = np.flatnonzero(new)
    end = np.maximum.reduceat(hi, start)
    seg_len = np.hypot(dx, dy)
    metres = (end - lo[start]) * seg_len[seg[start]]
    return np.bincount(seg_road[seg[start]], weights=metres, minlength=len(roads))


def check_coverage(checks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, period: Period,
                   radius_m: float = DEFAULT_RADIUS_M) -> CheckCoverage:
    """Coverage of ``roads`` (EPSG:3006, indexed by id) by ``checks`` performed in ``period``."""
    require_work_crs(checks, "checks")
    require_work_crs(roads, "roads")
    if not (np.isfinite(radius_m) and 0 < radius_m <= 50_000):
        raise ValidationFailed(f"radius_m: {radius_m!r} ligger utanför 0–50 000 m")
    done_all = checks[(checks["status"] == "genomford").to_numpy()]
    undated = int(pd.to_datetime(done_all["start"], utc=True, errors="coerce").isna().sum())
    done = performed_checks(checks, period)
    precision = pd.to_numeric(done.get("precision_m"), errors="coerce").to_numpy(float) \
        if "precision_m" in done else np.full(len(done), np.nan)
    known = ~(precision > radius_m)  # NaN precision: the point is taken as given
    located = done[known]
    unknown = done[~known]

    road_geoms = np.asarray(roads.geometry.values, dtype=object)
    check_geoms = np.asarray(located.geometry.values, dtype=object)
    tree = shapely.STRtree(road_geoms)
    c_idx, r_idx = tree.query(check_geoms, predicate="dwithin",
                              distance=radius_m + _TOLERANCE_M)
    near_any = np.zeros(len(located), dtype=bool)
    near_any[c_idx] = True

    covered = covered_length(road_geoms, check_geoms, radius_m=radius_m)
    length = shapely.length(road_geoms)

    starts = pd.to_datetime(located["start"], utc=True)
    period_end = pd.Timestamp(period.last)
    weights = pd.to_numeric(roads["risk_weight"], errors="coerce").fillna(1.0).to_numpy(float) \
        if "risk_weight" in roads else np.ones(len(roads))
    road_rows: list[RoadChecks] = []
    for k, (road_id, road) in enumerate(roads.iterrows()):  # roads: tens; checks per road: few
        mine = c_idx[r_idx == k]
        these = located.iloc[mine]
        if len(these):
            last = starts.iloc[mine].max().tz_convert(LOCAL_TZ)
            last_text = last.date().isoformat()
            days = int((period_end - pd.Timestamp(last.date())).days)
        else:
            last_text, days = None, None
        results = {}
        for name in RESULT_FIELDS:
            values = pd.to_numeric(these[name], errors="coerce") if name in these \
                else pd.Series(np.nan, index=these.index)
            results[name] = ResultSum(int(values.fillna(0).sum()), int(values.isna().sum()))
        cats = road.get("risk_categories")
        road_rows.append(RoadChecks(
            road_id=int(road_id), name=str(road.get("name") or f"väg {road_id}"),
            risk_weight=float(weights[k]),
            risk_categories=list(cats) if isinstance(cats, (list, tuple)) else [],
            length_m=round(float(length[k]), 1), covered_m=round(float(covered[k]), 1),
            covered_pct=round(100.0 * float(covered[k]) / float(length[k]), 2)
            if length[k] > 0 else 0.0,
            checks=int(len(these)), last_check=last_text, days_since_last=days,
            results=results, check_ids=[int(i) for i in these.index]))

    def share(sel: np.ndarray) -> float | None:
        total = float((weights[sel] * length[sel]).sum())
        return None if total <= 0 else round(100.0 * float((weights[sel] * covered[sel]).sum())
                                             / total, 2)

    categories = []
    for cat in RISK_CATEGORIES:
        sel = np.array([cat in r.risk_categories for r in road_rows], dtype=bool)
        categories.append(CategoryShare(cat, int(sel.sum()),
                                        round(float((weights[sel] * length[sel]).sum()), 1),
                                        share(sel)))
    return CheckCoverage(
        period_from=period.first.isoformat(), period_to=period.last.isoformat(),
        radius_m=float(radius_m), checks_performed=int(len(done)),
        checks_at_risk_places=int(near_any.sum()), checks_elsewhere=int((~near_any).sum()),
        checks_place_unknown=int(len(unknown)), checks_without_date=undated,
        weighted_covered_pct=share(np.ones(len(road_rows), dtype=bool)),
        categories=categories, roads=road_rows,
        unknown_place_ids=[int(i) for i in unknown.index])


def default_period(checks: gpd.GeoDataFrame) -> Period:
    """The 12 months (365 days) ending with the latest check's local date (else today)."""
    from datetime import timedelta

    start = pd.to_datetime(checks["start"], utc=True, errors="coerce") if len(checks) else None
    if start is not None and start.notna().any():
        last = start.max().tz_convert(LOCAL_TZ).date()
    else:
        last = pd.Timestamp.now(tz=LOCAL_TZ).date()
    return Period(last - timedelta(days=364), last)


def roads_with_figures(result: CheckCoverage, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``roads`` (geometry and name) with each road's check figures as columns."""
    rows = {r.road_id: r for r in result.roads}
    out = gpd.GeoDataFrame(index=roads.index)
    out["name"] = [rows[int(i)].name for i in roads.index]
    out["provenance"] = roads.get("provenance", None)
    out["schematic"] = roads.get("schematic", False)
    for column in ("risk_weight", "checks", "covered_pct", "last_check", "days_since_last"):
        out[column] = [getattr(rows[int(i)], column) for i in roads.index]
    return gpd.GeoDataFrame(out, geometry=roads.geometry.values, crs=roads.crs, index=roads.index)
