"""The result types of foot-patrol coverage and the figures of one zone: minutes, visits, time
bands, weeks against the target, teams, the longest gap in active hours and Koper dosage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.coverage_options import DEFAULT_MAX_PING_GAP_MIN, CoverageOptions
from geo.periods import (
    BANDS, DAYTYPES, BandBoundaries, Period, active_intervals, local_text, measure_before,
    split_at_boundaries,
)
from geo.presence import Stays, Visits, visits_of


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
    coverage_pct: float | None  # None where not asked for (``CoverageEngine.coverage``)
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


@dataclass(frozen=True)
class ZoneTotals:
    """A zone's totals of a period (what the follow-up report shows): presence minutes and
    street coverage, as in ``ZoneCoverage``."""

    zone_id: int
    name: str
    minutes: float
    coverage_pct: float
    coverage_basis: str


@dataclass(frozen=True)
class CoverageTotals:
    """``PatrolCoverage`` cut to the totals per zone, without bands, weeks, teams or dosage."""

    reach_m: float
    tracks_without_times: int
    zones: list[ZoneTotals]



def pct(part: float, whole: float) -> float | None:
    return None if whole <= 0 else 100.0 * part / whole


def round_or_none(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


class ZoneShares(NamedTuple):
    """Street coverage of one zone in one period (percent), in all and per band or day type."""

    total_pct: float
    bands: dict[tuple[str, str], float]  # (band or "alla", day type or "alla") → percent
    basis: str  # "gatulangd" (street length) or "yta" (area)
    cell_m: float


def zone_figures(zone_id: int, row: pd.Series, stays: Stays, shares: ZoneShares, *,
                 period: Period, bounds: BandBoundaries, teams: np.ndarray,
                 options: CoverageOptions) -> ZoneCoverage:
    """The figures of one zone (``row`` of the zones layer) from its ``stays`` in ``period``;
    ``teams`` names the team of each stay."""
    target = float(row.get("target_minutes_per_week") or 0.0)
    minutes = float((stays.b - stays.a).sum() / 60.0)
    per_week = minutes / period.weeks
    visits = visits_of(stays.a, stays.b, gap_s=options.gap_s)
    hours_text = str(row.get("active_hours") or "0-24")
    active = _active(hours_text, period)
    gap_h, gap_from, gap_to = _longest_gap(visits, period, active)
    priority = row.get("priority")
    return ZoneCoverage(
        zone_id=int(zone_id), name=str(row.get("name") or f"zon {zone_id}"),
        priority=None if priority is None or pd.isna(priority) else int(priority),
        target_minutes_per_week=target, minutes=round(minutes, 2),
        minutes_per_week=round(per_week, 2), target_pct=round_or_none(pct(per_week, target)),
        visits=int(len(visits.start)), longest_gap_h=round(gap_h, 2),
        longest_gap_from=local_text(gap_from), longest_gap_to=local_text(gap_to),
        coverage_pct=round(shares.total_pct, 2), coverage_basis=shares.basis,
        cell_m=float(shares.cell_m), bands=_band_figures(stays, visits, bounds, shares),
        weeks=_week_figures(stays, visits, period, bounds, target=target),
        teams=_team_figures(stays, teams, gap_s=options.gap_s),
        dosage=_dosage(visits, period, active, hours_text, options))


@lru_cache(maxsize=64)
def _active(hours_text: str, period: Period) -> tuple[np.ndarray, np.ndarray]:
    """``active_intervals``, once per text and period (zones mostly share their hours)."""
    a, b = active_intervals(hours_text, period)
    a.flags.writeable = b.flags.writeable = False
    return a, b


def _band_figures(stays: Stays, visits: Visits, bounds: BandBoundaries, shares: ZoneShares
                  ) -> list[BandFigures]:
    """Minutes (the stays cut at the band boundaries) and visits (counted where they begin) per
    band, day type and both."""
    _, lo, hi, stretch = split_at_boundaries(stays.a, stays.b, bounds)
    secs = hi - lo
    band, weekend = bounds.band[stretch], bounds.weekend[stretch]
    v_stretch = bounds.locate(visits.start)
    v_band, v_weekend = bounds.band[v_stretch], bounds.weekend[v_stretch]
    out: list[BandFigures] = []
    for bi, name in [(None, "alla"), *enumerate(BANDS)]:
        for di, dname in [(None, "alla"), *enumerate(DAYTYPES)]:
            if bi is None and di is None:
                continue
            sel = np.ones(len(secs), bool) if bi is None else band == bi
            vsel = np.ones(len(v_band), bool) if bi is None else v_band == bi
            if di is not None:
                sel &= weekend == bool(di)
                vsel &= v_weekend == bool(di)
            out.append(BandFigures(name, dname, round(float(secs[sel].sum() / 60.0), 2),
                                   int(vsel.sum()), round_or_none(shares.bands.get((name, dname)))))
    return out


def _week_figures(stays: Stays, visits: Visits, period: Period, bounds: BandBoundaries, *,
                  target: float) -> list[WeekFigures]:
    """Minutes and visits per ISO week against the weekly target, pro rata for cut weeks."""
    _, lo, hi, stretch = split_at_boundaries(stays.a, stays.b, bounds)
    n_weeks = len(bounds.week_labels)
    wk_min = np.bincount(bounds.week[stretch], weights=hi - lo, minlength=n_weeks) / 60.0
    wk_vis = np.bincount(bounds.week[bounds.locate(visits.start)], minlength=n_weeks)
    out: list[WeekFigures] = []
    for w, (label, monday) in enumerate(zip(bounds.week_labels, bounds.week_mondays, strict=True)):
        first = max(monday, period.first)
        last = min(monday + timedelta(days=6), period.last)
        days = (last - first).days + 1
        if days <= 0:
            continue
        goal = target * days / 7.0
        out.append(WeekFigures(label, monday.isoformat(), days, round(float(wk_min[w]), 2),
                               int(wk_vis[w]), round(goal, 2),
                               round_or_none(pct(wk_min[w], goal)),
                               bool(wk_min[w] >= goal - 1e-9)))
    return out


def _team_figures(stays: Stays, teams: np.ndarray, *, gap_s: float) -> list[TeamFigures]:
    out: list[TeamFigures] = []
    for unit in sorted(set(teams.tolist())):  # teams, not geometries: a few
        sel = teams == unit
        visits = visits_of(stays.a[sel], stays.b[sel], gap_s=gap_s)
        out.append(TeamFigures(str(unit), round(float((stays.b[sel] - stays.a[sel]).sum() / 60.0),
                                                2), int(len(visits.start))))
    return out


def _longest_gap(visits: Visits, period: Period, active: tuple[np.ndarray, np.ndarray]
                 ) -> tuple[float, float, float]:
    """The longest time without a visit, the period's ends included, counted in the zone's
    active hours only: (active hours, from, to), the ends moved to active time. Without active
    hours in the period it is the whole period, with 0 hours."""
    gap_from = np.r_[period.start_s, visits.end]
    gap_to = np.r_[visits.start, period.end_s]
    act_a, act_b = active
    if len(act_a) == 0:
        return 0.0, period.start_s, period.end_s
    active_s = measure_before(gap_to, act_a, act_b) - measure_before(gap_from, act_a, act_b)
    k = int(np.argmax(active_s))
    lo, hi = float(gap_from[k]), float(gap_to[k])
    if active_s[k] > 0:
        first = int(np.searchsorted(act_b, lo, side="right"))  # first active stretch ending after
        last = int(np.searchsorted(act_a, hi, side="left")) - 1  # last one starting before
        lo, hi = max(lo, float(act_a[first])), min(hi, float(act_b[last]))
    return float(active_s[k]) / 3600.0, lo, hi


def _dosage(visits: Visits, period: Period, active: tuple[np.ndarray, np.ndarray],
            hours_text: str, options: CoverageOptions) -> DosageFigures:
    """Koper dosage: visits of at least ``koper_visit_min``; the active time outside gaps longer
    than ``koper_max_gap_h`` between them."""
    long_visit = visits.presence_s >= options.koper_visit_min * 60.0 - 1e-6
    ds, de = visits.start[long_visit], visits.end[long_visit]
    g0, g1 = np.r_[period.start_s, de], np.r_[ds, period.end_s]
    too_long = g1 - g0 > options.koper_max_gap_h * 3600.0
    act_a, act_b = active
    undosed = float((measure_before(g1[too_long], act_a, act_b)
                     - measure_before(g0[too_long], act_a, act_b)).sum())
    active_s = float((act_b - act_a).sum())
    n_long = int(long_visit.sum())
    return DosageFigures(
        min_visit_min=float(options.koper_visit_min), max_gap_h=float(options.koper_max_gap_h),
        long_visits=n_long, long_visit_pct=round_or_none(pct(n_long, len(visits.start))),
        active_hours=hours_text, active_h=round(active_s / 3600.0, 2),
        dosed_h=round((active_s - undosed) / 3600.0, 2),
        dosed_pct=round_or_none(pct(active_s - undosed, active_s)))


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
