"""The promise register: the actions taken for each commitment of the medborgarlöfte, where
(a point, a gazetteer place or road, a patrol zone or the whole municipality), by whom, when due,
and when done.

The rule of ``done_at``: it is set when an action becomes "klar" (kept if it already was) and
cleared when its status changes to anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import ValidationFailed
from geo.periods import LOCAL_TZ
from geo.promise import Promise, check_commitment, check_due, latest_due, overdue_mask
from geo.report import local_day_bounds
from geo.vocabulary import ACTION_STATUS_SV as STATUS_SV
from geo.vocabulary import OWNER_SV
from services.access import Viewer, fit_frame, may_read
from services.report import area_box, kept_reports
from store import Store

LAYER = "promise_actions"
DONE = "klar"
ROAD_PREFIX = "väg "  # a named place "väg 331" is the road with that number in the gazetteer
ROAD_MARGIN_M = 300.0  # a road's area: the places it passes, hulled and widened this much


@dataclass(frozen=True)
class Place:
    """Where an action happens: a point (WGS84), a gazetteer place or road by name (``named``:
    "Söråker", "väg 331"), a patrol zone by name, or (none) the whole municipality."""

    lon: float | None = None
    lat: float | None = None
    zone: str | None = None
    named: str | None = None


def place_choices(store: Store) -> list[dict[str, str]]:
    """The gazetteer's places in the municipality and the roads they list, as choices for an
    action's place: ``value`` (what ``Place.named`` takes) and a Swedish ``label``."""
    gaz = store.read("gazetteer")
    if gaz.empty:
        return []
    inside = gaz[gaz["inside_municipality"].fillna(True).astype(bool)]
    places = [{"value": name, "label": f"{name} ({kind})" if kind else name}
              for name, kind in sorted(zip(inside["name"], inside["kind"].fillna(""),
                                           strict=True))]
    refs = sorted({str(r) for refs in inside["roads"] for r in (refs or ())},
                  key=lambda r: (len(r), r))
    roads = [{"value": ROAD_PREFIX + ref, "label": f"{_road_name(ref)} (längs "
              f"{', '.join(_passing(inside, ref)['name'])})"} for ref in refs]
    return places + roads


def _road_name(ref: str) -> str:
    return ref if ref[:1].isalpha() else ROAD_PREFIX + ref  # "E4", "väg 331"


def _passing(gaz: gpd.GeoDataFrame, ref: str) -> gpd.GeoDataFrame:
    return gaz[[ref in (refs or ()) for refs in gaz["roads"]]]


def _named_geometry(store: Store, name: str) -> shapely.Geometry:
    """A gazetteer place's point, or a road's area (the places it passes, hulled and widened
    by ``ROAD_MARGIN_M``); ``ValidationFailed`` naming the field if there is none."""
    gaz = store.read("gazetteer")
    match = gaz[gaz["name"] == name]
    if not match.empty:
        return match.geometry.iloc[0].representative_point()
    if name.startswith(ROAD_PREFIX) and not gaz.empty:
        passing = _passing(gaz, name.removeprefix(ROAD_PREFIX))
        if not passing.empty:
            hull = shapely.convex_hull(shapely.union_all(passing.geometry.values))
            return shapely.buffer(hull, ROAD_MARGIN_M)
    raise ValidationFailed(f"Plats: {name!r} finns inte i ortnamnsregistret. Välj en ort eller "
                           "väg ur listan, ett område eller klicka i kartan.",
                           code="unknown_place")


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def due_at(day: date | None) -> pd.Timestamp | None:
    """A due date means the end of that local day."""
    return None if day is None else pd.Timestamp(day) + pd.Timedelta(hours=23, minutes=59)


def actions(store: Store, viewer: Viewer, *, ids: list[int] | None = None
            ) -> list[dict[str, Any]]:
    """The register's actions as ``viewer`` may see them, with Swedish labels and whether each
    is overdue now."""
    gdf = fit_frame(LAYER, store.read(LAYER, ids=ids), viewer)
    late = overdue_mask(gdf, at=pd.Timestamp.now(tz="UTC"))
    return [{"id": int(fid), "commitment": row["commitment"], "what": row["what"],
             "owner": row["owner"], "owner_sv": OWNER_SV.get(row["owner"], row["owner"]),
             "due": _iso(row["due"]), "status": row["status"],
             "status_sv": STATUS_SV.get(row["status"], row["status"]),
             "done_at": _iso(row["done_at"]), "place": row["place"] or "",
             "note": row["note"] or "", "overdue": bool(late.loc[fid]),
             "version": int(row["version"]), "provenance": row["provenance"]}
            for fid, row in gdf.iterrows()]


def action_frame(store: Store, values: dict[str, Any], place: Place) -> gpd.GeoDataFrame:
    """One register action as a GeoDataFrame: at a point, in a patrol zone (its name becomes
    the place text unless one is given), or else over the whole municipality."""
    if place.lon is not None and place.lat is not None:
        geometry = gpd.GeoSeries([shapely.Point(place.lon, place.lat)],
                                 crs=WEB_CRS).to_crs(WORK_CRS)
    elif place.named:
        geometry = gpd.GeoSeries([_named_geometry(store, place.named)], crs=WORK_CRS)
        values = {**values, "place": values.get("place") or place.named}
    elif place.zone:
        zones = store.read("patrol_zones")
        match = zones[zones["name"] == place.zone]
        if match.empty:
            raise ValidationFailed(f"Område: {place.zone!r} är inget patrullområde. Välj ett "
                                   f"av: {', '.join(zones['name'])}.", code="unknown_zone")
        geometry = gpd.GeoSeries([match.geometry.iloc[0]], crs=WORK_CRS)
        values = {**values, "place": values.get("place") or place.zone}
    else:
        boundaries = store.read("boundaries")
        geometry = gpd.GeoSeries([boundaries.geometry.iloc[0] if len(boundaries)
                                  else area_box(store)], crs=WORK_CRS)
        values = {**values, "place": values.get("place") or "hela kommunen"}
    return gpd.GeoDataFrame({k: [v] for k, v in values.items()}, geometry=geometry.values,
                            crs=WORK_CRS)


def add_action(store: Store, promise: Promise, values: dict[str, Any], place: Place, *,
               writer: Viewer) -> dict[str, Any]:
    """Add an action to a commitment of ``promise``; ``values`` are its fields (``due`` a
    date). First-hand: provenance real, source the writer. Returns the action as read back."""
    check_commitment(promise, values["commitment"])
    check_due(promise, values.get("due"), today=_today())
    values = {**values, "due": due_at(values.get("due")),
              "done_at": pd.Timestamp.now(tz="UTC") if values.get("status") == DONE else None,
              "provenance": "real", "source": f"Inlagd av {writer.name}"}
    fid = store.insert(LAYER, action_frame(store, values, place), origin="request body")[0]
    return actions(store, writer, ids=[fid])[0]


def _today() -> date:
    return pd.Timestamp.now(tz=LOCAL_TZ).date()


def change_action(store: Store, promise: Promise, action_id: int,
                  values: dict[str, Any], *, writer: Viewer,
                  expected_version: int | None = None) -> dict[str, Any]:
    """Change the given fields of an action (``due`` a date or None, checked against
    ``promise``); marking it "klar" records when, any other status clears that. 409 if it
    changed since ``expected_version``."""
    values = dict(values)
    if "due" in values:
        check_due(promise, values["due"], today=_today())
        values["due"] = due_at(values["due"])
    if values.get("status") == DONE:
        if store.get(LAYER, action_id)["status"].iloc[0] != DONE:
            values["done_at"] = pd.Timestamp.now(tz="UTC")
    elif "status" in values:
        values["done_at"] = None
    store.update(LAYER, action_id, values, expected_version=expected_version)
    return actions(store, writer, ids=[action_id])[0]


def delete_action(store: Store, action_id: int) -> None:
    store.delete(LAYER, action_id)


def register_by_commitment(store: Store, viewer: Viewer, promise: Promise
                           ) -> dict[str, list[dict[str, Any]]]:
    """The actions ``viewer`` may read, per commitment of ``promise`` (none for a viewer who
    may not read the register)."""
    listed = actions(store, viewer) if may_read(viewer, LAYER) else []
    return {c.id: [a for a in listed if a["commitment"] == c.id] for c in promise.commitments}


def kept_report_links(store: Store) -> list[dict[str, Any]]:
    """Kept reports, newest first, with the local first and last day of their period (what the
    link to the report asks for) and when each was made in Swedish time."""
    out = []
    for kept in kept_reports(store):
        first, last = local_day_bounds(pd.Timestamp(kept["from"]), pd.Timestamp(kept["to"]))
        made = pd.Timestamp(kept["made_at"])
        made = (made.tz_localize("UTC") if made.tzinfo is None else made).tz_convert(LOCAL_TZ)
        out.append({**kept, "first": first.isoformat(), "last": last.isoformat(),
                    "made_at": made.strftime("%Y-%m-%d %H:%M")})
    return out


def due_bounds(promise: Promise) -> tuple[str, str]:
    """The earliest and latest due date ``check_due`` takes today, for the date fields."""
    return (promise.valid_from.isoformat() if promise.valid_from else "",
            latest_due(_today()).isoformat())
