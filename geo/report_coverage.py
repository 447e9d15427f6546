"""The follow-up report's indicators that come from the coverage functions: foot patrol in the
zones (``geo.coverage``) and traffic checks at the risk roads (``geo.road_check_coverage``), each
for the report's period and the one before it, as ``geo.report.Indicator`` rows."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from geo.coverage_options import DEFAULT_MAX_PING_GAP_MIN
from geo.hotspots import as_utc, period_labels
from geo.report import (
    Indicator, ReportData, has_earlier, local_day_bounds, previous_period,
)

def foot_patrol_figures(patrols: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, start: object,
                        end: object, max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> Any:
    """``geo.coverage.patrol_coverage`` of the zones for the local days of [start, end)."""
    from geo.coverage import patrol_coverage

    return patrol_coverage(patrols, zones, period=_local_days(start, end),
                           max_ping_gap_min=max_ping_gap_min)


def _local_days(start: object, end: object) -> Any:
    from geo.periods import make_period

    return make_period(*local_day_bounds(as_utc(start), as_utc(end)))


def check_figures(checks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, start: object,
                  end: object) -> Any:
    """``geo.road_check_coverage.check_coverage`` for the local days of [start, end)."""
    from geo.road_check_coverage import check_coverage
    from geo.periods import make_period

    first, last = local_day_bounds(as_utc(start), as_utc(end))
    return check_coverage(checks, roads, period=make_period(first, last))


def check_indicators(checks: gpd.GeoDataFrame, roads: gpd.GeoDataFrame, *, start: object,
                     end: object) -> list[Indicator]:
    """Traffic checks at the identified risk roads, from ``geo.road_check_coverage``, for the period
    and the previous one."""
    lo, hi = as_utc(start), as_utc(end)
    before = previous_period(lo, hi)
    now = check_figures(checks, roads, start=lo, end=hi)
    old = check_figures(checks, roads, start=before[0], end=before[1])
    src = "Trafikkontroller och riskvägar genom geo.road_check_coverage.check_coverage"
    radius = f"{now.radius_m:g} m"
    out = [
        Indicator("checks_at_risk_places", f"Kontroller vid riskvägarna (inom {radius})",
                  now.checks_at_risk_places, old.checks_at_risk_places, source=src),
        Indicator("checks_elsewhere", "– kontroller på annan plats", now.checks_elsewhere,
                  old.checks_elsewhere, source=src),
        Indicator("checks_place_unknown", "– kontroller med okänd plats",
                  now.checks_place_unknown, old.checks_place_unknown, source=src),
        Indicator("checks_road_coverage", f"Riskviktad andel av riskvägarna inom {radius} från "
                  "en kontroll", now.weighted_covered_pct, old.weighted_covered_pct, unit="%",
                  source=src),
    ]
    old_roads = {r.road_id: r for r in old.roads}
    for road in now.roads:
        prev = old_roads.get(road.road_id)
        out.append(Indicator(f"checks_road:{road.road_id}", f"– {road.name}: kontroller",
                             road.checks, prev.checks if prev else None, source=src))
    return out


def coverage_indicators(data: ReportData, *, start: object, end: object,
                        max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> dict[str, Any]:
    """Foot-patrol indicators for the report, computed by ``geo.coverage``: presence minutes in
    the patrol zones of central Timrå and street coverage, for the period and the previous one,
    and minutes per month."""
    out: dict[str, Any] = {"foot_patrol": [], "foot_patrol_notes": [], "checks": []}
    if not data.risk_roads.empty:
        out["checks"] = check_indicators(data.traffic_checks, data.risk_roads, start=start,
                                         end=end)
    zones, patrols = data.patrol_zones, data.patrols
    if zones.empty:
        out["foot_patrol_notes"].append("Inga patrullområden finns: fotpatrulleringen kan inte "
                                        "mätas.")
        return out
    if patrols is None:
        out["foot_patrol_notes"].append("Patrullspåren är inte tillgängliga för rapporten.")
        return out
    lo, hi = as_utc(start), as_utc(end)
    before = previous_period(lo, hi)
    src = "Patrullspår (lagret patrols) genom geo.coverage.patrol_coverage"
    from geo.coverage import CoverageEngine, CoverageOptions

    engine = CoverageEngine.from_tracks(  # one build for the period, the one before and months
        patrols, zones, options=CoverageOptions(max_ping_gap_min=max_ping_gap_min))
    now = engine.totals(_local_days(lo, hi))  # the totals only: no bands, weeks or teams
    # No track before the previous period's end: nothing to compare with (geo.report marks
    # the figures "ingen jämförelse"), so the previous period is not computed.
    old = engine.totals(_local_days(before[0], before[1])) \
        if has_earlier(patrols, "start", before) else None
    old_zones = old.zones if old is not None else []
    out["foot_patrol"].append(Indicator(
        "foot_patrol_minutes", "Fotpatrull i de centrala zonerna",
        round(sum(z.minutes for z in now.zones), 1),
        round(sum(z.minutes for z in old_zones), 1) if old is not None else None,
        unit="minuter", source=src))
    if now.zones:
        mean_now = round(sum(z.coverage_pct for z in now.zones) / len(now.zones), 1)
        mean_old = round(sum(z.coverage_pct for z in old_zones) / len(old_zones), 1) \
            if old_zones else None
        out["foot_patrol"].append(Indicator(
            "street_coverage", f"Täckning av zonerna inom {now.reach_m:g} m (medel av zonerna)",
            mean_now, mean_old, unit="%", source=src))
    old_by_id = {z.zone_id: z for z in old_zones}
    for zone in now.zones:
        prev = old_by_id.get(zone.zone_id)
        out["foot_patrol"].append(Indicator(
            f"foot_patrol_minutes:{zone.zone_id}", f"– {zone.name}: minuter", zone.minutes,
            prev.minutes if prev else None, unit="minuter", source=src))
    for zone in now.zones:
        prev = old_by_id.get(zone.zone_id)
        basis = "gatulängd" if zone.coverage_basis == "gatulangd" else "yta"
        out["foot_patrol"].append(Indicator(
            f"street_coverage:{zone.zone_id}",
            f"– {zone.name}: täckning inom {now.reach_m:g} m ({basis}), %",
            zone.coverage_pct, prev.coverage_pct if prev else None, unit="%", source=src))
    months = period_labels(lo, hi, period="month")
    monthly = []
    for label in months:
        month = pd.Period(label, freq="M")
        m_lo = max(lo, as_utc(month.start_time))
        m_hi = min(hi, as_utc((month + 1).start_time))
        monthly.append(round(sum(engine.zone_minutes(_local_days(m_lo, m_hi)).values()), 1))
    out["foot_patrol_monthly"] = monthly
    if len(patrols) and (patrols["provenance"] == "simulated").any():
        out["foot_patrol_notes"].append("Patrullspåren är (delvis) simulerade: siffrorna visar "
                                        "hur uppföljningen fungerar, inte verklig patrullering.")
    if now.tracks_without_times:
        out["foot_patrol_notes"].append(f"{now.tracks_without_times} spår saknar tider och "
                                        "räknas bara i täckningen, inte i minuterna.")
    return out
