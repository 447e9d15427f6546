"""The follow-up report, the council's job: the report of a period (HTML, PDF or figures), the
reports kept per meeting (layer ``follow_up_reports``) so a meeting compares with the one
before, and the default period a report form opens on."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.coverage_options import DEFAULT_MAX_PING_GAP_MIN
from geo.crs import WORK_CRS
from geo.errors import NotFound, ValidationFailed
from geo.periods import LOCAL_TZ
from geo.privacy import scrub_value, without_sensitive
from geo.promise import Promise, load_promise
from geo.report import Report, ReportData, build_report, local_day_bounds, report_figures
from geo.report_coverage import coverage_indicators
from maps.report import report_html, report_pdf
from services.access import in_kommuner
from services.area_comparison import area_kommuner, compared
from services.municipality import DEMO_PROMISE, viewer_municipality
from services.population import report_population
from services.targets import promise_with_stored_targets
from store import Store
from trygg.settings import Settings

REPORT_LAYERS = ("unsafe_places", "events", "activities", "traffic_checks", "promise_actions",
                 "patrol_zones", "risk_roads", "boundaries")
# Everything a report is made from (the patrols for foot patrol, the kept reports for the
# comparison): a write to any of them makes a cached report stale.
REPORT_INPUTS = (*REPORT_LAYERS, "patrols", "follow_up_reports", "population_areas",
                 "survey_figures")


def report_data(store: Store, *, with_patrols: bool = True,
                kommuner: frozenset[str] | None = None) -> ReportData:
    """The layers of a report for the council: sensitive records and planned traffic checks
    left out (``without_sensitive``); ``build_report`` scrubs the free text. ``kommuner``
    keeps those municipalities' records only (a police area's report for one of them)."""
    frames = {name: in_kommuner(without_sensitive(name, store.read(name)), kommuner)
              for name in REPORT_LAYERS}
    return ReportData(
        unsafe_places=frames["unsafe_places"], events=frames["events"],
        activities=frames["activities"], traffic_checks=frames["traffic_checks"],
        actions=frames["promise_actions"], patrol_zones=frames["patrol_zones"],
        risk_roads=frames["risk_roads"], boundaries=frames["boundaries"],
        patrols=in_kommuner(store.read("patrols"), kommuner) if with_patrols else None)


def area_box(store: Store) -> shapely.Geometry:
    """The box of the loaded boundaries (EPSG:3006); Timrå's rough box when there are none."""
    boundaries = store.read("boundaries")
    if len(boundaries):
        return shapely.box(*boundaries.total_bounds)
    # No boundary: Timrå's rough box, so a report can be kept in an empty store.
    return shapely.box(610_000, 6_905_000, 640_000, 6_945_000)


def report_title(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """A kept report's title: its first and last Swedish days ([start, end) as instants)."""
    first, last = local_day_bounds(pd.Timestamp(start), pd.Timestamp(end))
    return f"Uppföljning {first.isoformat()} – {last.isoformat()}"


def keep_report(store: Store, report: Report) -> int:
    """Keep ``report`` (figures, register snapshot and map cells); return its id. What is kept
    is scrubbed text only (``build_report`` scrubs its frames; scrubbed again here)."""
    figures = scrub_value(report_figures(report))
    frame = gpd.GeoDataFrame({
        "period_from": [report.start], "period_to": [report.end],
        "title": [report_title(report.start, report.end)],
        "figures": [figures], "actions": [scrub_value(report.actions)],
        "cells": [report.cells],
        "provenance": ["derived"], "source": ["trygg report (härledd ur lagren)"],
    }, geometry=[area_box(store)], crs=WORK_CRS)
    return store.insert("follow_up_reports", frame, origin="report")[0]


def kept_reports(store: Store) -> list[dict[str, Any]]:
    """Kept reports, newest first: id, title, period, when it was made."""
    gdf = store.read("follow_up_reports")
    out = []
    for fid, row in gdf.sort_values("created_at", ascending=False).iterrows():
        # The title from the period (reports kept before showed the UTC day of its start).
        out.append({"id": int(fid), "title": report_title(row["period_from"], row["period_to"]),
                    "from": pd.Timestamp(row["period_from"]).isoformat(),
                    "to": pd.Timestamp(row["period_to"]).isoformat(),
                    "made_at": (row["figures"] or {}).get("made_at", row["created_at"])})
    return out


def kept_report(store: Store, report_id: int) -> dict[str, Any]:
    """One kept report's figures, actions and cells, their text scrubbed (reports kept before
    scrubbing covered every field are scrubbed as they are read); raises ``NotFound``."""
    gdf = store.read("follow_up_reports", ids=[report_id])
    if gdf.empty:
        raise NotFound(f"rapport {report_id} finns inte")
    return _kept(report_id, gdf.iloc[0])


def _kept(report_id: int, row: pd.Series) -> dict[str, Any]:
    figures = scrub_value(row["figures"] or {})
    return {"id": report_id, "figures": figures, "actions": scrub_value(row["actions"] or []),
            "cells": row["cells"] or {}, "made_at": figures.get("made_at", row["created_at"])}


def last_report(store: Store) -> dict[str, Any] | None:
    """The most recently kept report (the last meeting's), or None; one read of the layer."""
    gdf = store.read("follow_up_reports")
    if gdf.empty:
        return None
    newest = gdf.sort_values("created_at", ascending=False).index[0]
    return _kept(int(newest), gdf.loc[newest])


# --- making a report, and the register's actions ------------------------------------------------



MAX_REPORT_DAYS = 3660


def promise_path(data_dir: Path) -> Path:
    """The promise file of the shipped demo (Timrå)."""
    return Path(data_dir) / DEMO_PROMISE


def promise(store: Store, settings: Settings, *, kommun: str | None = None,
            kommuner: frozenset[str] | None = None) -> Promise:
    """The promise of the municipality the store serves (its commitments and indicators), with
    the targets an admin set (``services.targets``); of a police area, ``kommun``'s (default
    the first; for an account limited to ``kommuner``, the first of its own)."""
    served = viewer_municipality(store, settings, kommuner=kommuner, kommun=kommun)
    return promise_with_stored_targets(store, load_promise(served.promise_file))


def report_scope(store: Store, settings: Settings, *, kommun: str | None = None,
                 kommuner: frozenset[str] | None = None
                 ) -> tuple[Promise, frozenset[str] | None]:
    """The promise and the municipalities a report covers: of a police area one municipality
    (``kommun``, as ``promise`` chooses it) with its own promise; else the store's records
    (those of ``kommuner`` for a limited account)."""
    served = viewer_municipality(store, settings, kommuner=kommuner, kommun=kommun)
    scope = frozenset({served.municipality.kommunkod}) if served.is_area else kommuner
    return promise(store, settings, kommun=kommun, kommuner=kommuner), scope


def comparison_area(store: Store, settings: Settings, *,
                    kommuner: frozenset[str] | None = None) -> dict[str, str] | None:
    """The municipalities a police area's report compares (kommunkod → name, in the area's
    order): those of the area a viewer limited to ``kommuner`` may see; None unless at least
    two."""
    shown = area_kommuner(store, settings, kommuner=kommuner)
    return shown if len(shown) > 1 else None


def make_report(store: Store, promise: Promise, *, first: date, last: date,
                at: object | None = None,
                max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN,
                kommuner: frozenset[str] | None = None,
                compare: dict[str, str] | None = None) -> Report:
    """The follow-up report for the local days ``first`` … ``last`` (both included), compared
    with the previous period and with the last kept report; patrol pings further apart than
    ``max_ping_gap_min`` are a gap (``TRYGG_MAX_PING_GAP_MIN``); ``kommuner``: only their
    records (``report_scope``); ``compare``: the municipalities (``comparison_area``) whose
    police events the report sets side by side."""
    if last < first:
        raise ValidationFailed(f"to: {last} är före from: {first}; byt plats på datumen")
    if (last - first).days > MAX_REPORT_DAYS:
        raise ValidationFailed("from/to: högst tio år åt gången")
    start, end = pd.Timestamp(first), pd.Timestamp(last + timedelta(days=1))
    data = report_data(store, kommuner=kommuner)
    coverage = coverage_indicators(data, start=start, end=end, max_ping_gap_min=max_ping_gap_min)
    report = build_report(data, promise, start=start, end=end, coverage=coverage,
                          previous_report=last_report(store), at=at)
    # Rates per 1,000 inhabitants from the report's own frames (no sensitive records)
    report.population = report_population(store, start=report.start, end=report.end,
                                          events=data.events, unsafe_places=data.unsafe_places,
                                          kommuner=kommuner)
    if compare:  # the table the comparison route answers
        report.comparison = compared(store, compare, first=first, last=last)
    return report


def report_file(store: Store, report: Report, fmt: str) -> bytes:
    """``report`` as an HTML page or a PDF, with the municipality's boundary on its maps."""
    boundaries = store.read("boundaries")
    if fmt == "pdf":
        return report_pdf(report, boundaries)
    if fmt == "html":
        return report_html(report, boundaries).encode("utf-8")
    raise ValidationFailed(f"format: {fmt!r} är varken html eller pdf")


def default_report_period(store: Store) -> tuple[date, date]:
    """The three whole months ending with the month of the newest record (events, reports,
    checks, activities), so the form opens on a period that has data; today if there is none."""
    newest = None
    for layer, column in (("events", "time"), ("unsafe_places", "reported_at"),
                          ("traffic_checks", "start"), ("activities", "date")):
        values = store.read(layer)[column].dropna()
        if len(values):
            day = values.max().tz_convert(LOCAL_TZ).date()
            newest = day if newest is None or day > newest else newest
    newest = newest or date.today()
    last = (newest.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month = newest.month - 2
    first = date(newest.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return first, last
