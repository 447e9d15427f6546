"""Unsafe places over time, the council's map: cells over the municipality with trend classes,
a two-period comparison and felt against recorded safety. Sensitive records reach police roles
only; other viewers get them as cells of at least k records or not at all (``geo.hotspot_view``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from geo import hotspot_view as view_geo
from geo.disclosure import DisclosureTable, Releases, released_table, sensitive_records
from geo.errors import ValidationFailed
from geo.hotspots import inside_area
from geo.periods import LOCAL_TZ
from geo.privacy import DEFAULT_RULES, CategoryRule
from services.access import Viewer, in_kommuner, sees_sensitive
from store import Store
from store.accounts import list_users
from store.faults import fault_message
from store.meta import read_meta, write_meta

log = logging.getLogger(__name__)

MAX_WINDOW_DAYS = 3660
# The layers the page is drawn from: a write to any of them makes a cached page stale.
PAGE_LAYERS = ("unsafe_places", "events", "boundaries")
RELEASES_KEY = "disclosure/released"  # + a digest of the rules: the frozen quarters (meta)


def municipality(store: Store) -> BaseGeometry | None:
    """The study area: the union of the loaded boundaries (EPSG:3006), or None."""
    boundaries = store.read("boundaries")
    return shapely.union_all(boundaries.geometry.values) if len(boundaries) else None


# The default window of each open store, with the generations and the day it was found for:
# finding it reads every event and unsafe place, which a busy page must not do per request.
_DEFAULT_WINDOWS: weakref.WeakKeyDictionary[Store, tuple[tuple[Any, ...], tuple[date, date]]] \
    = weakref.WeakKeyDictionary()


def default_window(store: Store) -> tuple[date, date]:
    """From the first of the month two years before the latest record to its month's end; only
    records inside the municipality and not dated in the future count, so no single record moves
    everyone's default view. Kept per store until one of ``PAGE_LAYERS`` changes or the day
    turns."""
    key = (store.generations(PAGE_LAYERS), date.today())
    kept = _DEFAULT_WINDOWS.get(store)
    if kept is not None and kept[0] == key:
        return kept[1]
    found = _default_window(store, today=key[1])
    _DEFAULT_WINDOWS[store] = (key, found)
    return found


def _default_window(store: Store, *, today: date) -> tuple[date, date]:
    latest = None
    boundary = municipality(store)
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
    _check_days(first, last, name="")
    return first, last


def _check_days(first: date, last: date, *, name: str) -> None:
    """Raise ``ValidationFailed`` (Swedish, naming the fields) unless ``last`` is on or after
    ``first`` and the days span at most ten years."""
    if last < first:
        raise ValidationFailed(f"{name}Till (to): datumet ligger före Från (from); välj ett "
                               "Till-datum samma dag som Från eller senare")
    if (last - first).days > MAX_WINDOW_DAYS:
        raise ValidationFailed(f"{name}Från/Till (from/to): högst tio år åt gången; välj ett "
                               "kortare tidsfönster")


@dataclass(frozen=True)
class PageRequest:
    """What the page was asked for, as used (a field that could not be read falls back to its
    default) and a Swedish message per field that could not be used."""

    start: date
    end: date
    compare: str = "halves"
    compare_from: date | None = None
    compare_to: date | None = None
    errors: tuple[str, ...] = ()

    @property
    def compare_days(self) -> tuple[date, date, date, date] | None:
        chosen = (self.compare_from, self.compare_to) \
            if self.compare_from and self.compare_to else None
        return view_geo.comparison_days(self.start, self.end, choice=self.compare,
                                        chosen=chosen)


COMPARE_CHOICES = view_geo.COMPARE_SV


def api_request(store: Store, first: date | None, last: date | None, compare: str = "halves",
                compare_from: date | None = None, compare_to: date | None = None
                ) -> PageRequest:
    """The API's query (parsed dates) as a ``PageRequest``; ``ValidationFailed`` (Swedish,
    naming the field) for what cannot be used."""
    start, end = window(store, first, last)
    if compare == "chosen":
        if compare_from is None or compare_to is None:
            raise ValidationFailed("compare_from/compare_to: ange båda datumen när compare är "
                                   "chosen")
        _check_days(compare_from, compare_to, name="compare_from/compare_to: ")
    return PageRequest(start, end, compare, compare_from, compare_to)


def _day(text: str | None, label: str, errors: list[str]) -> date | None:
    """The date in ``text`` (ÅÅÅÅ-MM-DD), or None with a message naming ``label``."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"{label}: ”{text[:40]}” är inget datum. Skriv det som ÅÅÅÅ-MM-DD, "
                      "t.ex. 2024-09-01.")
        return None


def page_request(store: Store, from_: str | None, to: str | None, compare: str | None = None,
                 compare_from: str | None = None, compare_to: str | None = None) -> PageRequest:
    """The page's query read leniently: each field that cannot be used gets its default and a
    Swedish message that names it and says what to do."""
    errors: list[str] = []
    first, last = _day(from_, "Från", errors), _day(to, "Till", errors)
    if errors:
        first = last = None
    try:
        start, end = window(store, first, last)
    except ValidationFailed as exc:
        errors.append(f"{exc.message}.")
        start, end = default_window(store)
    choice = compare or "halves"
    if choice not in view_geo.COMPARE_SV:
        errors.append("Jämför med: välj ett av alternativen i listan.")
        choice = "halves"
    bad = len(errors)
    cf = _day(compare_from, "Jämför med, från", errors)
    ct = _day(compare_to, "Jämför med, till", errors)
    if choice == "chosen" and len(errors) == bad:
        if cf is None or ct is None:
            errors.append("Jämför med: ange både från- och till-datum för den valda perioden "
                          "(ÅÅÅÅ-MM-DD).")
        else:
            try:
                _check_days(cf, ct, name="Jämför med, ")
            except ValidationFailed as exc:
                errors.append(f"{exc.message}.")
    if choice == "chosen" and len(errors) > bad:
        choice, cf, ct = "halves", None, None
    return PageRequest(start, end, choice, cf, ct, tuple(errors))


def trusted_accounts(store: Store) -> frozenset[str]:
    """Names of the accounts that see sensitive points anyway (the police roles)."""
    return frozenset(u.name for u in list_users(store) if sees_sensitive(u.role))


def _releases_key(rules: dict[str, CategoryRule] | None) -> str:
    """The meta key of the released figures made under ``rules`` (other rules, other figures)."""
    chosen = DEFAULT_RULES if rules is None else rules
    text = json.dumps({c: [r.cell_m, r.k, r.never_mapped] for c, r in sorted(chosen.items())})
    return f"{RELEASES_KEY}/{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def released_figures(store: Store, *, rules: dict[str, CategoryRule] | None = None,
                     as_of: object | None = None) -> DisclosureTable:
    """The released figures of sensitive categories (``geo.disclosure``): quarters released
    before are read back as they were released (kept in the store's meta table), quarters
    that have ended since are computed and kept, under the writers' lock, so two answers never
    release one quarter with different figures. A store that cannot be written (read-only,
    full) releases no new quarter, the kept ones only."""
    key = _releases_key(rules)
    boundary = municipality(store)
    trusted = trusted_accounts(store)

    def records(conn: Connection | None = None) -> Any:
        return sensitive_records(store.read("unsafe_places", conn=conn),
                                 store.read("events", conn=conn),
                                 boundary=boundary, trusted_accounts=trusted)

    kept = Releases.from_json(read_meta(store, key))
    table, grown = released_table(records(), kept, rules=rules, as_of=as_of)
    if grown is kept:
        return table
    try:
        with store.transaction() as conn:  # the writers' lock: read what is kept, then add
            kept = Releases.from_json(read_meta(store, key, conn=conn))
            table, grown = released_table(records(conn), kept, rules=rules, as_of=as_of)
            if grown is not kept:
                write_meta(conn, key, grown.to_json())
    except (DBAPIError, OSError) as exc:
        if fault_message(exc) is None:
            raise
        log.warning("released figures not kept (%s): no new quarter released", exc)
        last = pd.Timestamp("1900-01-01") if kept.through is None else \
            (kept.through + 1).start_time  # as of then: the kept quarters, none after
        return released_table(records(), kept, rules=rules, as_of=last)[0]
    return table


def hotspots(store: Store, viewer: Viewer, *, start: date, end: date,
             **options: Any) -> dict[str, Any]:
    """The hotspot view for ``viewer`` over the local days ``start`` … ``end`` (both included):
    cells over the municipality only; sensitive figures from the one fixed table, where records
    entered by accounts that do not see sensitive points never lift a cell over k, its released
    quarters frozen (``released_figures``). ``options`` are
    ``geo.hotspot_view.hotspot_view``'s (period, cell_m, layer, categories, sources …)."""
    if not viewer.sees_sensitive:
        options["released"] = released_figures(store, rules=options.get("sensitive_rules"),
                                                as_of=options.get("as_of"))
    return view_geo.hotspot_view(
        in_kommuner(store.read("unsafe_places"), viewer.kommuner),
        in_kommuner(store.read("events"), viewer.kommuner),
        viewer=view_geo.Viewer(sees_sensitive=viewer.sees_sensitive,
                               sees_raw_text=viewer.sees_raw_text),
        start=start, end=end + timedelta(days=1), boundary=municipality(store),
        trusted_accounts=trusted_accounts(store), **options)


def this_quarter() -> str:
    """The local calendar quarter now, e.g. "2024Q4" (released sensitive figures change with
    it)."""
    return str(pd.Timestamp.now(tz=LOCAL_TZ).tz_localize(None).to_period("Q"))


def page_key(store: Store, viewer: Viewer, asked: PageRequest) -> tuple[Any, ...]:
    """What the page shows depends only on what was asked, whether the viewer sees sensitive
    records and raw text (and, for the released sensitive figures, on the police accounts and
    the quarters that have ended)."""
    return ("page/otrygga-platser", asked, viewer.privacy_class,
            store.generations(PAGE_LAYERS), trusted_accounts(store), this_quarter())


def page_data(store: Store, viewer: Viewer, asked: PageRequest) -> dict[str, Any]:
    """The page's data: the view asked for and the municipality's boundary (GeoJSON, WGS84)."""
    view = hotspots(store, viewer, start=asked.start, end=asked.end,
                    compare=asked.compare_days)
    boundaries = in_kommuner(store.read("boundaries"), viewer.kommuner)
    view["boundary"] = json.loads(boundaries.to_crs("EPSG:4326").geometry.to_json()) \
        if len(boundaries) else None
    return view
