"""What one viewer sees of unsafe places over time: the hotspot analysis, the two-period
comparison, felt against recorded safety, resolved and open reports and (for roles allowed) the
points, with the privacy rules applied. The API's ``/api/hotspots`` and the page
``/kartor/otrygga-platser`` both serve this, as plain JSON-ready values in WGS84."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from typing_extensions import TypedDict  # pydantic reads these on Python 3.11

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import to_web
from geo.errors import ValidationFailed
from geo.geojson import json_value
from geo.grid import DEFAULT_CELL_M, cell_polygons
from geo.disclosure import DisclosureTable, fixed_table, release, sensitive_records
from geo.hotspots import (
    HotspotFigures, HotspotOptions, as_utc, compare_periods, felt_vs_recorded, grid_counts,
    hotspot_analysis, in_window, inside_area, kernel_density, placed_only, study_area,
)
from geo.layers import UNSAFE_CATEGORIES
from geo.periods import LOCAL_TZ, Granularity
from geo.vocabulary import EVENTS_GROUP, HOTSPOT_GROUP_SV, PROVENANCE_SV, TREND_SV
from geo.privacy import (
    CategoryRule, scrub_frame, without_sensitive,
)

LAYER_CHOICES = ("both", "unsafe_places", "events")
# What the view's period is compared with (the page's "Jämför med"): the window's halves by
# default, or the window against an earlier period.
COMPARE_SV = {"halves": "periodens första halva", "previous": "föregående period",
              "last_year": "samma period året före", "chosen": "en vald period"}
OUTSIDE_SV = "{n} poster utanför kommunen ignorerades"


# --- the answer's shape (the API's response model reads these) -------------------------------

class PolygonGeometry(TypedDict):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellProperties(TypedDict):
    cell: str
    total: int
    counts: list[int]
    by_group: dict[str, list[int]]
    trend: str
    trend_sv: str
    summary_sv: str
    mk_z: float
    mk_p: float
    hot_periods: int
    cold_periods: int
    ci_low: float
    ci_high: float
    first_half: int
    second_half: int


class CellFeature(TypedDict):
    type: Literal["Feature"]
    id: str
    geometry: PolygonGeometry
    properties: CellProperties


class ComparedCell(TypedDict):
    cell: str
    first: int
    second: int
    difference: int
    p: float
    change: str
    geometry: PolygonGeometry


class Comparison(TypedDict):
    first: list[str]
    second: list[str]
    cells: list[ComparedCell]


class AgreementCell(TypedDict):
    cell: str
    felt: int
    recorded: int
    agreement: str
    geometry: PolygonGeometry


class SensitiveCell(TypedDict):
    cell: str
    category: str
    category_sv: str
    count: int
    cell_m: float
    k: int
    quarters: dict[str, int]
    geometry: PolygonGeometry


# The whole quarters that sensitive figures are given for (the request's window widened).
SensitiveWindow = TypedDict("SensitiveWindow", {
    "from": str, "to": str, "quarters": list[str], "released_quarters": list[str],
    "unreleased_quarters": list[str], "widened": bool, "note": str})


class SensitiveSummary(TypedDict):
    total: int
    suppressed_records: int
    never_mapped_records: int
    late_records: int  # entered in a quarter after its release: in no cell (geo.disclosure)
    cells: list[SensitiveCell]
    window: SensitiveWindow


class PointOut(TypedDict):
    lon: float
    lat: float
    group: str
    group_sv: str
    layer: str
    description: str
    source: str | None
    date: str | None
    period: str
    status: str
    provenance: str | None


class Label(TypedDict):
    id: str
    label: str


class StatusCounts(TypedDict):
    reported: int
    resolved: int
    open: int


@dataclass(kw_only=True)
class CellCollection:
    """A GeoJSON FeatureCollection of cells."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[CellFeature] = field(default_factory=list)


@dataclass(kw_only=True)
class HotspotView(HotspotFigures, CellCollection):
    """Cells (GeoJSON Features, WGS84) with counts per period and a trend class, and more: the
    shape of ``hotspot_view``'s answer (the API's response model)."""

    groups: list[Label]
    trend_classes: list[Label]
    method: dict[str, float | int | str]
    status: StatusCounts
    comparison: Comparison
    felt_vs_recorded: list[AgreementCell]
    points: list[PointOut]
    sensitive: SensitiveSummary | None
    outside_ignored: int
    notes: list[str]
    sources: dict[str, list[str]]
    density: list[list[float]] | None = None


@dataclass(frozen=True)
class Viewer:
    """What the viewer may see: sensitive points (police roles), unscrubbed text (admin)."""

    sees_sensitive: bool
    sees_raw_text: bool


def _web_polygons(ids: pd.Index) -> list[dict[str, Any]]:
    web = to_web(gpd.GeoDataFrame(geometry=cell_polygons(ids)))
    coords = [np.round(np.asarray(g.exterior.coords), 6).tolist() for g in web.geometry]
    return [{"type": "Polygon", "coordinates": [c]} for c in coords]


def _web_points(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if gdf.empty:
        return np.zeros((0, 2))
    web = to_web(gpd.GeoDataFrame(geometry=gdf.geometry.representative_point(), crs=gdf.crs))
    return np.round(np.column_stack([web.geometry.x, web.geometry.y]), 6)


def _local_date(values: pd.Series) -> list[str | None]:
    t = pd.to_datetime(values, utc=True).dt.tz_convert(LOCAL_TZ)
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in t]


def comparison_days(start: date, end: date, *, choice: str = "halves",
                    chosen: tuple[date, date] | None = None
                    ) -> tuple[date, date, date, date] | None:
    """The two periods the view compares, as local days (first, after its last, first, after
    its last), for the window ``start`` … ``end`` (both included): None for the window's halves
    (``hotspot_view``'s default), else the ``chosen`` days, the period of the same length just
    before, or the same days a year earlier, against the window."""
    after = end + timedelta(days=1)
    if choice == "halves":
        return None
    if choice == "previous":
        return start - (after - start), start, start, after
    if choice == "last_year":
        return _year_before(start), _year_before(after), start, after
    if choice == "chosen":
        if chosen is None:
            raise ValidationFailed("compare_from/compare_to: ange båda datumen för den valda "
                                   "perioden")
        return chosen[0], chosen[1] + timedelta(days=1), start, after
    raise ValidationFailed(f"compare: {choice!r} är inget av {', '.join(COMPARE_SV)}")


def _year_before(day: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


@dataclass(frozen=True, kw_only=True)
class _Choice:
    """Which records a view counts: the layer, categories, sources and event types asked for,
    without sensitive ones for viewers who may not see them, inside the study area."""

    layer: str
    categories: list[str] | None
    sources: list[str] | None
    event_types: list[str] | None
    sees_sensitive: bool
    boundary: BaseGeometry | None

    def records(self, unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, lo: pd.Timestamp,
                hi: pd.Timestamp) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, int, int]:
        """(places, placed events, events not placed, records outside the study area) of
        [lo, hi)."""
        places = unsafe if self.layer != "events" else unsafe.iloc[0:0]
        if self.categories and len(places):
            places = places[places["category"].isin(self.categories)]
        if self.sources and len(places):
            places = places[places["report_source"].isin(self.sources)]
        evs = events if self.layer != "unsafe_places" else events.iloc[0:0]
        if self.event_types and len(evs):
            evs = evs[evs["type"].fillna("").str.startswith(tuple(self.event_types))]
        places = in_window(places, time_column="reported_at", start=lo, end=hi)
        evs = in_window(evs, time_column="time", start=lo, end=hi)
        evs, not_placed = placed_only(evs)
        if not self.sees_sensitive:
            places = without_sensitive("unsafe_places", places)
            evs = without_sensitive("events", evs)
        # The study area: records outside the municipality change nothing, they are counted.
        places, outside_places = inside_area(places, self.boundary)
        evs, outside_events = inside_area(evs, self.boundary)
        return places, evs, not_placed, outside_places + outside_events


def _combined(places: gpd.GeoDataFrame, evs: gpd.GeoDataFrame, *, crs: Any) -> gpd.GeoDataFrame:
    """Places and events as one frame of points with their time and group."""
    return gpd.GeoDataFrame(
        {"time": pd.concat([pd.to_datetime(places["reported_at"], utc=True),
                            pd.to_datetime(evs["time"], utc=True)], ignore_index=True),
         "group": list(places["category"]) + [EVENTS_GROUP] * len(evs)},
        geometry=list(places.geometry.values) + list(evs.geometry.values), crs=crs)


def hotspot_view(unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *, viewer: Viewer,  # noqa: PLR0913
                 start: object, end: object, period: Granularity = "month",
                 cell_m: float = DEFAULT_CELL_M, layer: str = "both",
                 categories: list[str] | None = None, sources: list[str] | None = None,
                 event_types: list[str] | None = None,
                 compare: tuple[object, object, object, object] | None = None,
                 extent: tuple[float, float, float, float] | None = None,
                 sensitive_rules: dict[str, CategoryRule] | None = None,
                 with_density: bool = False, boundary: BaseGeometry | None = None,
                 trusted_accounts: Collection[str] = (), as_of: object | None = None,
                 released: DisclosureTable | None = None) -> dict[str, Any]:
    """Everything the page and the API show for the filters, for ``viewer`` (see module doc).

    ``boundary`` (EPSG:3006, the union of the municipality boundaries) is the study area:
    records outside it are left out everywhere and counted. Viewers who do not see sensitive
    records get them only from the fixed table of ``geo.disclosure`` (whole quarters up to
    ``as_of``, fixed cells), where records entered through the API by accounts other than
    ``trusted_accounts`` never lift a cell over k; ``released`` is that table with its
    released quarters frozen (``geo.disclosure.released_table``; computed afresh without)."""
    if layer not in LAYER_CHOICES:
        raise ValidationFailed(f"layer: {layer!r} är inget av {', '.join(LAYER_CHOICES)}")
    bad = [c for c in categories or [] if c not in UNSAFE_CATEGORIES]
    if bad:
        raise ValidationFailed(f"category: {', '.join(bad)} finns inte bland "
                               f"{', '.join(UNSAFE_CATEGORIES)}")
    lo, hi = as_utc(start), as_utc(end)
    if hi <= lo:
        raise ValidationFailed(f"to: {end} ligger inte efter from: {start}; välj ett "
                               "slutdatum efter startdatumet")
    chosen = _Choice(layer=layer, categories=categories, sources=sources,
                     event_types=event_types, sees_sensitive=viewer.sees_sensitive,
                     boundary=boundary)
    places, evs, not_placed, outside = chosen.records(unsafe, events, lo, hi)
    # Privacy: sensitive records leave only as released figures of the one fixed table.
    sensitive_summary = None
    if not viewer.sees_sensitive:
        sensitive_summary = _sensitive_release(
            unsafe, events, start=lo, end=hi, categories=categories, boundary=boundary,
            rules=sensitive_rules, trusted_accounts=trusted_accounts, as_of=as_of,
            released=released)
    area = study_area(boundary, cell_m=cell_m) if boundary is not None else None
    if not viewer.sees_raw_text:
        places = scrub_frame("unsafe_places", places)

    # Counts, trends and per-group monthly series on one grid.
    records = _combined(places, evs, crs=unsafe.crs)
    result = hotspot_analysis(records, time_column="time", start=lo, end=hi, extent=extent,
                              area=area, options=HotspotOptions(period=period, cell_m=cell_m))
    groups = sorted(set(records["group"])) if len(records) else []
    by_group: dict[str, pd.DataFrame] = {}
    for group in groups:
        by_group[group] = grid_counts(records[records["group"] == group], time_column="time",
                                      start=lo, end=hi, period=period, cell_m=cell_m)
    cells = result.cells
    features = []
    for (cid, row), geom in zip(cells.iterrows(), _web_polygons(cells.index), strict=True):
        features.append({"type": "Feature", "id": cid, "geometry": geom, "properties": {
            "cell": cid, "total": int(row["total"]), "counts": row["counts"],
            "by_group": {g: by_group[g].loc[cid].astype(int).tolist()
                         for g in groups if cid in by_group[g].index},
            "trend": row["trend"], "trend_sv": row["trend_sv"],
            "summary_sv": row["summary_sv"],
            "mk_z": round(float(row["mk_z"]), 3), "mk_p": round(float(row["mk_p"]), 4),
            "hot_periods": int(row["hot_periods"]), "cold_periods": int(row["cold_periods"]),
            "ci_low": round(float(row["ci_low"]), 2), "ci_high": round(float(row["ci_high"]), 2),
            "first_half": int(row["first_half"]), "second_half": int(row["second_half"])}})

    # Two periods: given, or the window's two halves.
    if compare is None:
        middle = lo + (hi - lo) / 2
        compare = (lo, middle, middle, hi)
    a0, a1, b0, b1 = (as_utc(v) for v in compare)
    compared = records
    if min(a0, b0) < lo or max(a1, b1) > hi:  # a period outside the window: its own records
        cp, ce, _, _ = chosen.records(unsafe, events, min(a0, b0), max(a1, b1))
        compared = _combined(cp, ce, crs=unsafe.crs)
    cmp = compare_periods(compared, time_column="time", first=(a0, a1), second=(b0, b1),
                          cell_m=cell_m) if len(compared) else None
    comparison: dict[str, Any] = {"first": [a0.isoformat(), a1.isoformat()],
                  "second": [b0.isoformat(), b1.isoformat()], "cells": []}
    if cmp is not None:
        for (cid, row), geom in zip(cmp.iterrows(), _web_polygons(cmp.index), strict=True):
            comparison["cells"].append({"cell": cid, "first": int(row["first"]),
                                        "second": int(row["second"]),
                                        "difference": int(row["difference"]),
                                        "p": round(float(row["p"]), 4), "change": row["change"],
                                        "geometry": geom})
    fvr = felt_vs_recorded(places, evs, cell_m=cell_m)
    agreement = [{"cell": cid, "felt": int(row["felt"]), "recorded": int(row["recorded"]),
                  "agreement": row["agreement"], "geometry": geom}
                 for (cid, row), geom in zip(fvr.iterrows(), _web_polygons(fvr.index),
                                             strict=True)]

    # Points the viewer may see (sensitive ones only for police roles).
    xy = _web_points(places)
    points = [{"lon": float(x), "lat": float(y), "group": row["category"],
               "group_sv": HOTSPOT_GROUP_SV.get(row["category"], row["category"]),
               "layer": "unsafe_places", "description": row["description"] or "",
               "source": row["report_source"], "date": date,
               "period": label, "status": "åtgärdad" if row["status"] == "atgardad" else "öppen",
               "provenance": row["provenance"]}
              for (x, y), (_, row), date, label in zip(
                  xy, places.iterrows(), _local_date(places["reported_at"]),
                  _period_of(places["reported_at"], period), strict=True)]
    exy = _web_points(evs)
    points += [{"lon": float(x), "lat": float(y), "group": EVENTS_GROUP,
                "group_sv": HOTSPOT_GROUP_SV[EVENTS_GROUP], "layer": "events",
                "description": f"{row['type']}: {row['summary'] or ''}".strip(),
                "source": "Polisens öppna händelse-API", "date": date, "period": label,
                "status": "", "provenance": row["provenance"]}
               for (x, y), (_, row), date, label in zip(
                   exy, evs.iterrows(), _local_date(evs["time"]), _period_of(evs["time"], period),
                   strict=True)]

    resolved = int((places["status"] == "atgardad").sum()) if len(places) else 0
    out = {
        "type": "FeatureCollection", "features": features,
        "periods": result.periods, "period": period, "cell_m": result.cell_m,
        "records": result.records, "too_few": result.too_few,
        "too_few_reason": result.too_few_reason, "not_placed": not_placed,
        "groups": [{"id": g, "label": HOTSPOT_GROUP_SV.get(g, g)} for g in groups],
        "trend_classes": [{"id": k, "label": v} for k, v in TREND_SV.items()],
        "method": result.method,
        "status": {"reported": int(len(places)), "resolved": resolved,
                   "open": int(len(places)) - resolved},
        "comparison": comparison, "felt_vs_recorded": agreement, "points": points,
        "sensitive": sensitive_summary, "outside_ignored": outside,
        "notes": [OUTSIDE_SV.format(n=outside)] if outside else [],
        "sources": {
            "unsafe_places": [f"Otrygga platser: {PROVENANCE_SV.get(k, k)} ({n} st)" for k, n in
                              places["provenance"].value_counts().sort_index().items()]
            if len(places) else [],
            "events": ["Polisens händelser: verklig data från Polisens öppna händelse-API, "
                       "plats tolkad ur texten"] if len(evs) or not_placed else []},
    }
    if with_density and len(records):
        dens = kernel_density(records, bandwidth_m=max(cell_m, 300.0), cell_m=max(cell_m / 5,
                                                                                  25.0))
        web = to_web(gpd.GeoDataFrame(geometry=gpd.points_from_xy(dens["x"], dens["y"]),
                                      crs=unsafe.crs))
        out["density"] = [[round(float(lat), 6), round(float(lon), 6), round(float(d), 3)]
                          for lon, lat, d in zip(web.geometry.x, web.geometry.y,
                                                 dens["density"], strict=True)]
    answer: dict[str, Any] = json_value(out)
    return answer


def _sensitive_release(unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *,  # noqa: PLR0913
                       start: object,
                       end: object, categories: list[str] | None,
                       boundary: BaseGeometry | None, rules: dict[str, CategoryRule] | None,
                       trusted_accounts: Collection[str], as_of: object | None,
                       released: DisclosureTable | None = None) -> dict[str, Any]:
    """The released figures of the sensitive records of both layers (all of them in the study
    area, whatever the request's window, category, source or layer) for the window's quarters:
    from ``released`` (``geo.disclosure.released_table``, frozen quarters) when given, else
    computed afresh from the records."""
    if released is None:
        records = sensitive_records(unsafe, events, boundary=boundary,
                                    trusted_accounts=trusted_accounts)
        released = fixed_table(records, rules=rules, as_of=as_of)
    table = released
    out = release(table, start=start, end=end, categories=categories or None)
    out["cells"] = [dict(c, category_sv=HOTSPOT_GROUP_SV.get(c["category"], c["category"]),
                         geometry=geom)
                    for c, geom in zip(out["cells"], _web_polygons(
                        pd.Index([c["cell"] for c in out["cells"]])), strict=True)]
    return out


def _period_of(values: pd.Series, period: Granularity) -> list[str]:
    if len(values) == 0:
        return []
    t = pd.to_datetime(values, utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return t.dt.to_period("M" if period == "month" else "Q").astype(str).tolist()
