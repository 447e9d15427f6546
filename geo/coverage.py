"""Foot-patrol coverage of patrol zones: presence, visits, gaps, street coverage and dosage.

From time-stamped patrol tracks (one timestamp per vertex) and the patrol zones, for a period:

* **presence minutes** per zone: the time a track spends inside the zone, interpolated linearly
  between consecutive vertices, so 1 s and 30 s pings of the same walk give the same minutes;
* **visits**: presence of any team in the zone, entries separated by at least ``visit_gap_min``
  (15) minutes outside joined into one visit; the **longest gap** without a visit, counted in
  the zone's active hours only (its ends moved into active time);
* **street coverage**: the share of the zone (its street length where a road network is given,
  else its area) within ``reach_m`` (50 m) of any track; tracks without times count here only;
* the same by time band (day 06–18, evening 18–24, night 00–06, weekday/weekend, local time),
  minutes and visits per ISO week against the zone's target, per team, and against a baseline;
* **dosage** in the sense of the Koper curve: visits of at least 10 minutes, and the share of
  the zone's active hours in which no more than 2 hours passed between such visits.

How it is fast (a month of 1 Hz pings, millions of points, in under a second): each zone has one
grid of ``cell_m`` cells reaching ``reach_m + 2·cell_m`` beyond it, holding per cell whether its
centre is inside and a lower bound of its distance to the zone's edge. A coarse router over all
zones' grids sends each vertex to the grid(s) it lies in, so every point is read once, not once per
zone (a segment shorter than the grids' margin cannot reach a zone whose grid its first vertex is
outside; the few longer ones are tried against every zone). A segment shorter than its cell's
distance to the edge is wholly in or out; runs of consecutive such segments inside make one
interval each; only the segments near the edge are cut at it, with numpy, against the zone's
edges. Street coverage sets one bit per time band in the cells the tracks pass through (a
segment wholly in one band takes the cells the router found for its ends; only segments across
a band or period boundary are cut, only those longer than a cell are densified) and dilates all
bits at once by a disc of ``reach_m`` with running ORs, so its cost depends on the zone's size,
not on the number of pings. Tiles the dilation cannot decide are measured exactly with shapely:
each straight piece's disc sweep cut to the undecided cells, then joined.

Results are per zone and per team (the ``unit`` field); no single track is reported.

The parts, one concept each: ``geo.tracks`` (vertices, timestamps read once), ``geo.zone_grid``
(the zone grids and the router), ``geo.walks`` (the vertices located in the grids once),
``geo.presence`` (presence intervals and visits), ``geo.street_cover`` (street coverage) and
``geo.coverage_figures`` (the result types and a zone's figures); ``geo.coverage_options`` holds
the options. ``CoverageEngine`` builds the vertices, grids and walks once and answers the figures
of any period and baseline: build one per request when several periods are asked for.
"""

from __future__ import annotations

from typing import Unpack

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.coverage_figures import (
    BandFigures, BaselineFigures, CoverageTotals, DosageFigures, PatrolCoverage, TeamFigures,
    WeekFigures, ZoneCoverage, ZoneShares, ZoneTotals, pct, round_or_none, zone_figures,
    zones_with_figures,
)
from geo.coverage_options import (
    DEFAULT_CELL_M, DEFAULT_MAX_PING_GAP_MIN, DEFAULT_REACH_M, DEFAULT_VISIT_GAP_MIN,
    KOPER_MAX_GAP_H, KOPER_VISIT_MIN, CoverageKeywords, CoverageOptions, coverage_options,
)
from geo.crs import require_work_crs
from geo.periods import BANDS, DAYTYPES, BandBoundaries, Period, band_boundaries
from geo.presence import Stays, inside_intervals, presence_heat, stays, visits_of
from geo.street_cover import Tiles, ZoneCover, cover_segments, zone_tiles
from geo.tracks import (
    TrackVertices, default_period, latest_time, ordered_vertices, track_vertices,
    tracks_in_period, vertices_from_arrays,
)
from geo.walks import PeriodMasks, locate_walks, tracks_with
from geo.zone_grid import zone_edges, zone_grid

__all__ = [
    "DEFAULT_CELL_M", "DEFAULT_MAX_PING_GAP_MIN", "DEFAULT_REACH_M", "DEFAULT_VISIT_GAP_MIN",
    "KOPER_MAX_GAP_H", "KOPER_VISIT_MIN", "BandFigures", "BaselineFigures", "CoverageEngine",
    "CoverageKeywords", "CoverageOptions", "CoverageTotals", "DosageFigures", "PatrolCoverage",
    "TeamFigures", "TrackVertices", "WeekFigures", "ZoneCoverage", "ZoneTotals", "default_period",
    "latest_time", "ordered_vertices", "patrol_coverage", "patrol_coverage_vertices",
    "presence_heat", "road_network", "track_vertices", "tracks_in_period", "vertices_from_arrays",
    "zones_with_figures",
]


class _InPeriod:
    """What the engine knows of one period: its band boundaries, what of the walks falls in it
    and each zone's stays (computed when first asked for)."""

    def __init__(self, period: Period, masks: PeriodMasks) -> None:
        self.period, self.masks = period, masks
        self.bounds: BandBoundaries = band_boundaries(period)
        self.stays: dict[int, Stays] = {}
        self.shares: dict[tuple[int, bool], ZoneShares] = {}  # (zone, by band) → shares


class CoverageEngine:
    """Foot-patrol coverage of ``zones`` (EPSG:3006, indexed by id; ``name``, ``priority``,
    ``target_minutes_per_week``, ``active_hours``) by track vertices, ``units[track]`` naming
    each track's team; ``streets`` (lines), when given, make street coverage a share of street
    length.

    The vertices are ordered, the zone grids built and the vertices located in them once, when
    the engine is made; each period's figures are computed once, when first asked for, so the
    figures of a period, its baseline and its months cost one build between them."""

    def __init__(self, vertices: TrackVertices, units: np.ndarray, zones: gpd.GeoDataFrame, *,
                 streets: gpd.GeoDataFrame | None = None,
                 options: CoverageOptions | None = None) -> None:
        require_work_crs(zones, "zones")
        if streets is not None:
            require_work_crs(streets, "streets")
        self.options = options if options is not None else CoverageOptions()
        self.vertices = ordered_vertices(vertices)
        self.units = np.asarray(units, dtype=object)
        self.zones = zones
        opt = self.options
        self._geoms = list(zones.geometry.values)
        self._edges = [zone_edges(zone) for zone in self._geoms]
        self._grids = [zone_grid(zone, e, cell_m=opt.cell_m, margin_m=opt.margin_m)
                       for zone, e in zip(self._geoms, self._edges, strict=True)]
        self._walks = locate_walks(self.vertices, self._grids, long_m=opt.margin_m,
                                   cover_long_m=opt.margin_m - opt.reach_m, step_m=opt.cell_m,
                                   max_gap_s=opt.max_ping_gap_s)
        self._streets = (np.asarray(streets.geometry.values, dtype=object)
                         if streets is not None and len(streets) else None)
        self._tiles: dict[int, Tiles] = {}
        self._periods: dict[Period, _InPeriod] = {}

    @classmethod
    def from_tracks(cls, tracks: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
                    streets: gpd.GeoDataFrame | None = None,
                    options: CoverageOptions | None = None) -> CoverageEngine:
        """The engine of a ``patrols`` layer (EPSG:3006; see ``geo.tracks.track_vertices``)."""
        vertices, units = track_vertices(tracks)
        return cls(vertices, units, zones, streets=streets, options=options)

    def coverage(self, period: Period, *, baseline: Period | None = None,
                 baseline_coverage: bool = True, band_coverage: bool = True) -> PatrolCoverage:
        """All figures of ``period`` per zone, with the change against ``baseline`` if given;
        without ``baseline_coverage`` the baseline's street coverage is not measured (None:
        a page that does not show it skips its cost), without ``band_coverage`` neither the
        street coverage per band and day type (None; ``band_shares`` answers it later)."""
        now = self._in(period)
        v, opt = self.vertices, self.options
        used, without_times = self._tracks(now)
        result = PatrolCoverage(
            period_from=period.first.isoformat(), period_to=period.last.isoformat(),
            days=period.days, reach_m=float(opt.reach_m), visit_gap_min=float(opt.visit_gap_min),
            tracks_in_period=used, tracks_without_times=without_times,
            unreadable_times=int(v.unreadable_times),
            max_ping_gap_min=float(opt.max_ping_gap_min))
        for k, (zone_id, row) in enumerate(self.zones.iterrows()):  # a handful of zones
            zone_stays = self._stays(k, now)
            teams = self.units[zone_stays.track] if len(zone_stays.track) else \
                np.empty(0, dtype=object)
            figures = zone_figures(zone_id, row, zone_stays,
                                   self._shares(k, now, by_band=band_coverage),
                                   period=period, bounds=now.bounds, teams=teams, options=opt)
            if baseline is not None:
                figures.baseline = self._baseline(k, baseline, figures,
                                                  with_coverage=baseline_coverage)
            result.zones.append(figures)
        return result

    def band_shares(self, period: Period) -> dict[int, dict[tuple[str, str], float]]:
        """Street coverage (percent, rounded as ``coverage`` rounds it) per zone id, per band
        (day type "alla") and per day type (band "alla") in ``period``: what ``coverage``
        gives in its bands, alone."""
        now = self._in(period)
        return {int(zone_id): {key: round(pct, 2) for key, pct in
                               self._shares(k, now, by_band=True).bands.items()}
                for k, zone_id in enumerate(self.zones.index)}

    def totals(self, period: Period) -> CoverageTotals:
        """Presence minutes and street coverage per zone in ``period``, the same numbers as
        ``coverage`` gives, without the figures by band, week, team and dosage (street
        coverage in all is one band-free pass: a fraction of the cost)."""
        now = self._in(period)
        zones = []
        for k, (zone_id, row) in enumerate(self.zones.iterrows()):
            s = self._stays(k, now)
            shares = self._shares(k, now, by_band=False)
            zones.append(ZoneTotals(
                zone_id=int(zone_id), name=str(row.get("name") or f"zon {zone_id}"),
                minutes=round(float((s.b - s.a).sum() / 60.0), 2),
                coverage_pct=round(shares.total_pct, 2), coverage_basis=shares.basis))
        return CoverageTotals(reach_m=float(self.options.reach_m),
                              tracks_without_times=self._tracks(now)[1], zones=zones)

    def _tracks(self, p: _InPeriod) -> tuple[int, int]:
        """How many tracks have a vertex in the period, and how many of those have no time."""
        v = self.vertices
        used = tracks_with(v.track, p.masks.points)
        timed = tracks_with(v.track, p.masks.points & np.isfinite(v.t))
        return int(used.sum()), int((used & ~timed).sum())

    def zone_minutes(self, period: Period) -> dict[int, float]:
        """Presence minutes per zone id in ``period`` (no street coverage: cheap)."""
        now = self._in(period)
        out = {}
        for k, zone_id in enumerate(self.zones.index):
            s = self._stays(k, now)
            out[int(zone_id)] = round(float((s.b - s.a).sum() / 60.0), 2)
        return out

    def _in(self, period: Period) -> _InPeriod:
        if period not in self._periods:
            self._periods[period] = _InPeriod(period, PeriodMasks.of(self._walks, period))
        return self._periods[period]

    def _stays(self, k: int, p: _InPeriod) -> Stays:
        if k not in p.stays:
            p.stays[k] = stays(*inside_intervals(self._walks, k, self._geoms[k], self._edges[k],
                                                 p.masks), p.period)
        return p.stays[k]

    def _zone_tiles(self, k: int) -> Tiles:
        if k not in self._tiles:
            tiles = zone_tiles(self._grids[k], self._geoms[k], self._streets)
            if tiles.street_m is None or tiles.street_m.sum() <= 0:
                tiles = tiles._replace(street_m=None, streets=None)  # by area
            self._tiles[k] = tiles
        return self._tiles[k]

    def _shares(self, k: int, p: _InPeriod, *, by_band: bool) -> ZoneShares:
        """Street coverage of zone ``k`` in the period; per band and day type if ``by_band``
        (else in all only, which one band-free pass answers)."""
        if (k, True) in p.shares:
            return p.shares[(k, True)]
        if (k, by_band) not in p.shares:
            tiles, grid = self._zone_tiles(k), self._grids[k]
            r = self.options.reach_m
            x0, y0, x1, y1 = shapely.bounds(self._geoms[k])
            cover = ZoneCover(cover_segments(self._walks, k, p.period, p.masks,
                                             p.bounds if by_band else None,
                                             near_box=(x0 - r, y0 - r, x1 + r, y1 + r)),
                              grid, tiles, reach_m=r)
            bands: dict[tuple[str, str], float] = {}
            if by_band:
                bands = {(BANDS[i], "alla"): cover.share(0b11 << 2 * i) for i in range(3)}
                bands.update({("alla", DAYTYPES[d]): cover.share(0b010101 << d)
                              for d in range(2)})
            p.shares[(k, by_band)] = ZoneShares(
                cover.share(0xFF), bands, "yta" if tiles.street_m is None else "gatulangd",
                grid.cell)
        return p.shares[(k, by_band)]

    def _baseline(self, k: int, baseline: Period, now: ZoneCoverage, *,
                  with_coverage: bool) -> BaselineFigures:
        before = self._in(baseline)
        b_stays = self._stays(k, before)
        b_visits = visits_of(b_stays.a, b_stays.b, gap_s=self.options.gap_s)
        b_cov = (round(self._shares(k, before, by_band=False).total_pct, 2) if with_coverage
                 else None)
        b_min = float((b_stays.b - b_stays.a).sum() / 60.0)
        b_week = b_min / baseline.weeks
        return BaselineFigures(
            period_from=baseline.first.isoformat(), period_to=baseline.last.isoformat(),
            minutes=round(b_min, 2), minutes_per_week=round(b_week, 2),
            visits=len(b_visits.start), coverage_pct=b_cov,
            change_minutes_per_week=round(now.minutes_per_week - b_week, 2),
            change_pct=round_or_none(pct(now.minutes_per_week - b_week, b_week)))


def patrol_coverage(tracks: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, period: Period,
                    baseline: Period | None = None, streets: gpd.GeoDataFrame | None = None,
                    options: CoverageOptions | None = None,
                    **keywords: Unpack[CoverageKeywords]) -> PatrolCoverage:
    """Foot-patrol coverage of ``zones`` by the ``patrols`` layer ``tracks`` in ``period``.

    ``streets`` (lines, EPSG:3006), when given, make street coverage a share of street length;
    ``baseline`` adds the change against another period. ``options`` (``CoverageOptions``), or
    any of its fields as keywords (``reach_m=25``), say how coverage is measured. For several
    periods of the same tracks, build one ``CoverageEngine`` instead."""
    return CoverageEngine.from_tracks(
        tracks, zones, streets=streets, options=coverage_options(options, keywords)
    ).coverage(period, baseline=baseline)


def patrol_coverage_vertices(vertices: TrackVertices, units: np.ndarray, zones: gpd.GeoDataFrame,
                             *, period: Period, baseline: Period | None = None,
                             streets: gpd.GeoDataFrame | None = None,
                             options: CoverageOptions | None = None,
                             **keywords: Unpack[CoverageKeywords]) -> PatrolCoverage:
    """``patrol_coverage`` of track vertices (``units[track]`` names each track's team)."""
    return CoverageEngine(vertices, units, zones, streets=streets,
                          options=coverage_options(options, keywords)
                          ).coverage(period, baseline=baseline)


def road_network(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The measured roads (not schematic) to count street length by, or None if there are none."""
    if len(roads) == 0:
        return None
    schematic = roads["schematic"].fillna(False).astype(bool) if "schematic" in roads \
        else pd.Series(False, index=roads.index)
    measured = roads[~schematic.to_numpy()]
    return measured if len(measured) else None
