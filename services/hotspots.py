"""Unsafe places over time, the council's map: cells over the municipality with trend classes,
a two-period comparison and felt against recorded safety. Sensitive records reach police roles
only; other viewers get them as cells of at least k records or not at all (``geo.hotspot_view``).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo import hotspot_view as view_geo
from geo.errors import ValidationFailed
from geo.hotspots import inside_area
from geo.periods import LOCAL_TZ
from services.access import Viewer, sees_sensitive
from store import Store
from store.accounts import list_users

MAX_WINDOW_DAYS = 3660
# The layers the page is drawn from: a write to any of them makes a cached page stale.
PAGE_LAYERS = ("unsafe_places", "events", "boundaries")


def municipality(store: Store) -> BaseGeometry | None:
    """The study area: the union of the loaded boundaries (EPSG:3006), or None."""
    boundaries = store.read("boundaries")
    return shapely.union_all(boundaries.geometry.values) if len(boundaries) else None


def default_window(store: Store) -> tuple[date, date]:
    """From the first of the month two years before the latest record to its month's end; only
    records inside the municipality and not dated in the future count, so no single record moves
    everyone's default view."""
    latest = None
    boundary = municipality(store)
    today = date.today()
    for layer, column in (("unsafe_places", "reported_at"), ("events", "time")):
        gdf, _ = inside_area(store.read(layer), boundary)
        if len(gdf):
            days = pd.to_datetime(gdf[column], utc=True).dt.tz_convert(LOCAL_TZ).dt.date
            days = days[days <= today]
            t = days.max() if len(days) else None
            latest = t if latest is None or (t is not None and t > latest) else latest
    latest = latest or today
    end = (latest.replace(day=1) + timedelta(days=32)).replace(day=1)
    return end.replace(year=end.year - 2), end - timedelta(days=1)


def window(store: Store, first: date | None, last: date | None) -> tuple[date, date]:
    """The local days asked for, each missing end from the default window; at most ten years
    and ``last`` not before ``first`` (``ValidationFailed`` otherwise)."""
    if first is None or last is None:
        default_first, default_last = default_window(store)
        first, last = first or default_first, last or default_last
    if last < first:
        raise ValidationFailed("from/to: 'to' is before 'from'")
    if (last - first).days > MAX_WINDOW_DAYS:
        raise ValidationFailed("from/to: at most ten years at a time")
    return first, last


def trusted_accounts(store: Store) -> frozenset[str]:
    """Names of the accounts that see sensitive points anyway (the police roles)."""
    return frozenset(u.name for u in list_users(store) if sees_sensitive(u.role))


def hotspots(store: Store, viewer: Viewer, *, start: date, end: date,
             **options: Any) -> dict[str, Any]:
    """The hotspot view for ``viewer`` over the local days ``start`` … ``end`` (both included):
    cells over the municipality only; sensitive figures from the one fixed table, where records
    entered by accounts that do not see sensitive points never lift a cell over k. ``options``
    are ``geo.hotspot_view.hotspot_view``'s (period, cell_m, layer, categories, sources …)."""
    return view_geo.hotspot_view(
        store.read("unsafe_places"), store.read("events"),
        viewer=view_geo.Viewer(sees_sensitive=viewer.sees_sensitive,
                               sees_raw_text=viewer.sees_raw_text),
        start=start, end=end + timedelta(days=1), boundary=municipality(store),
        trusted_accounts=trusted_accounts(store), **options)


def this_quarter() -> str:
    """The local calendar quarter now, e.g. "2024Q4" (released sensitive figures change with
    it)."""
    return str(pd.Timestamp.now(tz=LOCAL_TZ).tz_localize(None).to_period("Q"))


def page_key(store: Store, viewer: Viewer, start: date, end: date) -> tuple[Any, ...]:
    """What the page shows depends only on whether the viewer sees sensitive records and raw
    text (and, for the released sensitive figures, on the police accounts and the quarters that
    have ended)."""
    return ("page/otrygga-platser", start, end, viewer.privacy_class,
            store.generations(PAGE_LAYERS), trusted_accounts(store), this_quarter())


def page_data(store: Store, viewer: Viewer, start: date, end: date) -> dict[str, Any]:
    """The page's data: the default view and the municipality's boundary (GeoJSON, WGS84)."""
    view = hotspots(store, viewer, start=start, end=end)
    boundaries = store.read("boundaries")
    view["boundary"] = json.loads(boundaries.to_crs("EPSG:4326").geometry.to_json()) \
        if len(boundaries) else None
    return view
