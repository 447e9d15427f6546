"""Follow-up reports and the promise register in the store: the layers a report reads, and the
reports kept per meeting (layer ``follow_up_reports``) so a meeting compares with the one before."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import NotFound, ValidationFailed
from geo.privacy import scrub_value, without_sensitive
from geo.promise import Promise
from geo.report import Report, ReportData, build_report, coverage_indicators, report_figures
from store.store import Store

REPORT_LAYERS = ("unsafe_places", "events", "activities", "traffic_checks", "promise_actions",
                 "patrol_zones", "risk_roads", "boundaries")


def report_data(store: Store, *, with_patrols: bool = True) -> ReportData:
    """The layers of a report for the council: sensitive records and planned traffic checks
    left out (``without_sensitive``); ``build_report`` scrubs the free text."""
    frames = {name: without_sensitive(name, store.read(name)) for name in REPORT_LAYERS}
    return ReportData(
        unsafe_places=frames["unsafe_places"], events=frames["events"],
        activities=frames["activities"], traffic_checks=frames["traffic_checks"],
        actions=frames["promise_actions"], patrol_zones=frames["patrol_zones"],
        risk_roads=frames["risk_roads"], boundaries=frames["boundaries"],
        patrols=store.read("patrols") if with_patrols else None)


def _area(store: Store) -> shapely.Geometry:
    boundaries = store.read("boundaries")
    if len(boundaries):
        return shapely.box(*boundaries.total_bounds)
    # No boundary: Timrå's rough box, so a report can be kept in an empty store.
    return shapely.box(610_000, 6_905_000, 640_000, 6_945_000)


def keep_report(store: Store, report: Report) -> int:
    """Keep ``report`` (figures, register snapshot and map cells); return its id. What is kept
    is scrubbed text only (``build_report`` scrubs its frames; scrubbed again here)."""
    figures = scrub_value(report_figures(report))
    frame = gpd.GeoDataFrame({
        "period_from": [report.start], "period_to": [report.end],
        "title": [f"Uppföljning {figures['from'][:10]} – {figures['to'][:10]}"],
        "figures": [figures], "actions": [scrub_value(report.actions)],
        "cells": [report.cells],
        "provenance": ["derived"], "source": ["trygg report (härledd ur lagren)"],
    }, geometry=[_area(store)], crs=WORK_CRS)
    return store.insert("follow_up_reports", frame, origin="report")[0]


def kept_reports(store: Store) -> list[dict[str, Any]]:
    """Kept reports, newest first: id, title, period, when it was made."""
    gdf = store.read("follow_up_reports")
    out = []
    for fid, row in gdf.sort_values("created_at", ascending=False).iterrows():
        out.append({"id": int(fid), "title": row["title"],
                    "from": pd.Timestamp(row["period_from"]).isoformat(),
                    "to": pd.Timestamp(row["period_to"]).isoformat(),
                    "made_at": (row["figures"] or {}).get("made_at", row["created_at"])})
    return out


def kept_report(store: Store, report_id: int) -> dict[str, Any]:
    """One kept report's figures, actions and cells, their text scrubbed (reports kept before
    scrubbing covered every field are scrubbed as they are read); raises ``NotFound``."""
    gdf = store.read("follow_up_reports", ids=[report_id])
    if gdf.empty:
        raise NotFound(f"report {report_id} does not exist")
    row = gdf.iloc[0]
    figures = scrub_value(row["figures"] or {})
    return {"id": report_id, "figures": figures, "actions": scrub_value(row["actions"] or []),
            "cells": row["cells"] or {}, "made_at": figures.get("made_at", row["created_at"])}


def last_report(store: Store) -> dict[str, Any] | None:
    """The most recently kept report (the last meeting's), or None."""
    reports = kept_reports(store)
    return kept_report(store, reports[0]["id"]) if reports else None


# --- making a report, and the register's actions ------------------------------------------------

PROMISE_FILE = Path("timra") / "medborgarlofte_2023_2024.yaml"


def promise_path(data_dir: Path) -> Path:
    """The promise file of the shipped municipality."""
    return Path(data_dir) / PROMISE_FILE


def make_report(store: Store, promise: Promise, *, first: date, last: date,
                at: object | None = None) -> Report:
    """The follow-up report for the local days ``first`` … ``last`` (both included), compared
    with the previous period and with the last kept report."""
    if last < first:
        raise ValidationFailed(f"to: {last} is before from: {first}")
    start, end = pd.Timestamp(first), pd.Timestamp(last + timedelta(days=1))
    data = report_data(store)
    coverage = coverage_indicators(data, start=start, end=end)
    return build_report(data, promise, start=start, end=end, coverage=coverage,
                        previous_report=last_report(store), at=at)


def action_frame(store: Store, values: dict[str, Any], *, lon: float | None = None,
                 lat: float | None = None, zone: str | None = None) -> gpd.GeoDataFrame:
    """One register action as a GeoDataFrame: at a point (``lon``/``lat``, WGS84), in a patrol
    zone (by name), or else over the whole municipality."""
    if lon is not None and lat is not None:
        geometry = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WEB_CRS).to_crs(WORK_CRS)
    elif zone:
        zones = store.read("patrol_zones")
        match = zones[zones["name"] == zone]
        if match.empty:
            raise ValidationFailed(f"field 'zone': {zone!r} is not a patrol zone; zones are: "
                                   f"{', '.join(zones['name'])}")
        geometry = gpd.GeoSeries([match.geometry.iloc[0]], crs=WORK_CRS)
        values = {**values, "place": values.get("place") or zone}
    else:
        boundaries = store.read("boundaries")
        geometry = gpd.GeoSeries([boundaries.geometry.iloc[0] if len(boundaries)
                                  else _area(store)], crs=WORK_CRS)
        values = {**values, "place": values.get("place") or "hela kommunen"}
    return gpd.GeoDataFrame({k: [v] for k, v in values.items()}, geometry=geometry.values,
                            crs=WORK_CRS)
