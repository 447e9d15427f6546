"""The public follow-up ("Följ med i hur det går", ``/folj-med``): what an admin published from a
kept report, frozen at the moment of publishing.

``publish`` takes a kept report (already reviewed by the council) and stores a public snapshot in
the store (``meta``): per commitment its actions and their status as the report kept them, the
main indicators against the previous period, the targets met or not, and the approved unsafe
places of the period as an anonymous visitor may see them (``services.access.fit_frame``:
sensitive categories dropped, free text scrubbed; only category, month and status are kept, no
description). Nothing is read live: the public page shows the snapshot only, so nothing
unreviewed reaches it. Planned traffic checks, patrol tracks and personal data are never in it;
the whole snapshot is scrubbed once more (``geo.privacy.scrub_value``) before it is stored.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.crs import WEB_CRS
from geo.formats import number_sv
from geo.periods import LOCAL_TZ, local_date_text
from geo.privacy import scrub_value
from geo.vocabulary import ACTION_STATUS_SV, OWNER_SV, UNSAFE_CATEGORY_SV
from services.access import Viewer, fit_frame
from services.report import kept_report
from geo.errors import NotFound
from store import Store
from store.meta import read_meta, write_meta
from store.store import Actor

PUBLIC_KEY = "public_followup"  # meta: the published snapshot (JSON)
PUBLIC_VIEWER = Viewer(role=None, demo=False)  # the public, outside demo mode
COORD_DIGITS = 4  # about 10 m: the public map shows where, not the exact spot
SNAPSHOT_VERSION = 1


def _day(iso: str, *, end: bool = False) -> str:
    return local_date_text(pd.Timestamp(iso), end=end)


def _indicator_row(ind: dict[str, Any]) -> dict[str, Any]:
    unit = "" if ind.get("unit", "st") == "st" else f" {ind['unit']}"
    current, previous = ind.get("current"), ind.get("previous")
    change = (number_sv(current - previous, sign=True) if current is not None
              and previous is not None else "–")
    return {"label": ind["label"], "current_sv": number_sv(current, unit=unit)
            if current is not None else "uppgift saknas",
            "previous_sv": number_sv(previous, unit=unit) if previous is not None
            else "uppgift saknas", "change_sv": change}


def _action_row(row: dict[str, Any]) -> dict[str, Any]:
    return {"what": row["what"], "owner_sv": OWNER_SV.get(row["owner"], row["owner"]),
            "status": row["status"],
            "status_sv": ACTION_STATUS_SV.get(row["status"], row["status"]),
            "due": (row.get("due") or "")[:10], "done": (row.get("done_at") or "")[:10]}


def _target_row(t: dict[str, Any]) -> dict[str, Any]:
    return {k: t.get(k, "") for k in ("label", "status", "status_sv", "figure_sv", "target_sv",
                                      "line_sv", "note")}


def public_places(places: gpd.GeoDataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                  kept_at: pd.Timestamp) -> dict[str, Any]:
    """The unsafe places open at some time in [start, end) as the public may see them: a
    GeoJSON FeatureCollection of points (WGS84, rounded) with category, month and status at
    the period's end only. Only places in the store when the report was kept (``kept_at``)
    count, so the map is the report's. ``places`` is the layer in EPSG:3006."""
    places = fit_frame("unsafe_places", places, PUBLIC_VIEWER)
    if len(places):
        reported = pd.to_datetime(places["reported_at"], utc=True)
        resolved = pd.to_datetime(places["resolved_at"], utc=True)
        created = pd.to_datetime(places["created_at"], utc=True)
        places = places[(reported < end) & (resolved.isna() | (resolved >= start))
                        & (created <= kept_at)]
    if places.empty:
        return {"type": "FeatureCollection", "features": []}
    resolved = pd.to_datetime(places["resolved_at"], utc=True)
    status = pd.Series("öppen", index=places.index).where(
        resolved.isna() | (resolved >= end), "åtgärdad")
    points = gpd.GeoSeries(places.geometry.representative_point(), crs=places.crs)
    lonlat = points.to_crs(WEB_CRS).get_coordinates().round(COORD_DIGITS)
    month = (pd.to_datetime(places["reported_at"], utc=True).dt.tz_convert(LOCAL_TZ)
             .dt.strftime("%Y-%m"))
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(x), float(y)]},
         "properties": {"category_sv": UNSAFE_CATEGORY_SV.get(cat, cat), "month": m,
                        "status_sv": state}}
        for x, y, cat, m, state in zip(lonlat["x"], lonlat["y"], places["category"], month,
                                       status, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def public_snapshot(kept: dict[str, Any], places: gpd.GeoDataFrame, *,
                    municipality: str, at: pd.Timestamp) -> dict[str, Any]:
    """The public snapshot of a kept report (``services.report.kept_report``)."""
    figures = kept["figures"]
    start, end = pd.Timestamp(figures["from"]), pd.Timestamp(figures["to"])
    actions = kept.get("actions") or []
    commitments = []
    for section in figures["sections"]:
        commitments.append({
            "id": section["commitment"], "short": section["short"], "text": section["text"],
            "owners_sv": [OWNER_SV.get(o, o) for o in section.get("owners", [])],
            "summary": section["summary"],
            "indicators": [_indicator_row(i) for i in section["indicators"]
                           if not str(i["label"]).startswith("–")],
            "targets": [_target_row(t) for t in section.get("targets", [])],
            "actions": [_action_row(a) for a in actions
                        if a.get("commitment") == section["commitment"]],
        })
    made = pd.Timestamp(kept["made_at"])
    made = made.tz_localize("UTC") if made.tzinfo is None else made
    snapshot = {
        "version": SNAPSHOT_VERSION, "report_id": kept["id"], "title": figures["title"],
        "municipality": municipality,
        "from": _day(figures["from"]), "to": _day(figures["to"], end=True),
        "previous_from": _day(figures["previous_from"]),
        "previous_to": _day(figures["previous_to"], end=True),
        "made_at": made.isoformat(), "made_day": local_date_text(made),
        "published_at": at.isoformat(), "published_day": local_date_text(at),
        "commitments": commitments,
        "places": public_places(places, start=start, end=end, kept_at=made),
    }
    scrubbed: dict[str, Any] = scrub_value(snapshot)
    return scrubbed


def publish(store: Store, report_id: int, *, municipality: str, actor: Actor,
            at: object | None = None) -> dict[str, Any]:
    """Publish kept report ``report_id`` on the public page (replacing what was published);
    ``NotFound`` if there is no such report. Returns the snapshot."""
    kept = kept_report(store, report_id)
    if not kept["figures"].get("sections"):
        raise NotFound(f"rapport {report_id} har inga siffror att publicera")
    when = pd.Timestamp.now(tz="UTC") if at is None else pd.Timestamp(at)  # type: ignore[arg-type]
    snapshot = public_snapshot(kept, store.read("unsafe_places"), municipality=municipality,
                               at=when)
    with store.transaction() as conn:
        write_meta(conn, PUBLIC_KEY, json.dumps(snapshot, ensure_ascii=False))
        store.record("followup.publish", actor=actor, conn=conn,
                     details={"report": report_id})
    return snapshot


def published(store: Store) -> dict[str, Any] | None:
    """The snapshot on the public page, or None when nothing is published yet."""
    text = read_meta(store, PUBLIC_KEY)
    if not text:
        return None
    value: dict[str, Any] = json.loads(text)
    return value
