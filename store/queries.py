"""The store's queries that count or page through a layer without reading it whole: the counts
for ``/`` and ``/api/layers``, the paged reads of OGC API – Features and ``/api/layers``, and
the SQL form of the privacy filter they share with the PostGIS role views (``store.views``).
``Store`` has them as methods (``LayerQueries``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import ColumnElement, Connection, Engine, Table, false, func, select

from geo.layers import LAYERS, SENSITIVE_CATEGORIES, LayerSpec, layer_spec
from geo.privacy import PLANNED_CHECK_STATUS, SENSITIVE_EVENT_PREFIXES
from store.rows import utc_text
from store.schema import layer_tables


@dataclass(frozen=True)
class LayerCounts:
    """What ``Store.layer_counts`` finds for one layer: its feature count, that count per
    provenance (real, derived, illustrative, simulated; sorted) and the latest ``updated_at``
    (ISO 8601 text in UTC; None for an empty layer)."""

    count: int
    provenance: dict[str, int]
    latest_update: str | None


@dataclass(frozen=True)
class PageSummary:
    """What ``Store.count_matching`` finds: the count, the stored bounds (EPSG:3006) and the
    range of the time field (ISO 8601 text in UTC), None where there is nothing."""

    count: int
    bounds: tuple[float, float, float, float] | None
    time_min: str | None
    time_max: str | None


def visible_conditions(layer: str, table: Table) -> list[ColumnElement[bool]]:
    """SQL for ``geo.privacy.without_sensitive``: the records it keeps, and no others (a NULL
    is treated as that function treats a missing value)."""
    if layer == "unsafe_places":
        return [func.coalesce(table.c.sensitive, False).is_(False),
                func.coalesce(table.c.category, "").not_in(sorted(SENSITIVE_CATEGORIES))]
    if layer == "events":
        kind = func.coalesce(table.c.type, "")
        # substr compares characters exactly (case-sensitive, like str.startswith); LIKE would not
        return [*(func.substr(kind, 1, len(prefix)) != prefix
                  for prefix in SENSITIVE_EVENT_PREFIXES),
                func.coalesce(table.c.sensitive, False).is_(False)]
    if layer == "traffic_checks":
        return [func.coalesce(table.c.status, PLANNED_CHECK_STATUS) != PLANNED_CHECK_STATUS]
    return []


def kommun_conditions(table: Table, kommuner: Collection[str] | None
                      ) -> list[ColumnElement[bool]]:
    """SQL for ``services.access.in_kommuner``: the records of ``kommuner`` (by their
    ``kommunkod``; None: every record). A table without the column holds nothing for a viewer
    limited to municipalities, and a record without a kommunkod belongs to none."""
    if kommuner is None:
        return []
    if "kommunkod" not in table.c:
        return [false()]
    return [table.c.kommunkod.in_(sorted(kommuner))]


@dataclass(frozen=True)
class TimeWindow:
    """A paged read's time condition: ``field`` (a datetime field) within [start, end], either
    end open (None), inclusive, UTC if naive."""

    field: str
    start: str | pd.Timestamp | None = None
    end: str | pd.Timestamp | None = None


class LayerQueries:
    """Counting and paged reading of a layer (mixed into ``store.store.Store``)."""

    if TYPE_CHECKING:
        engine: Engine

        def snapshot(self) -> AbstractContextManager[Connection]: ...

        def _frame(self, spec: LayerSpec, rows: Sequence[Any]) -> gpd.GeoDataFrame: ...

    def count(self, layer: str, *, hide_sensitive: bool = False) -> int:
        """How many features ``layer`` holds (without reading them); with ``hide_sensitive``,
        only those ``geo.privacy.without_sensitive`` keeps."""
        return self.layer_counts([layer], hide_sensitive=hide_sensitive)[layer].count

    def counts(self, *, hide_sensitive: bool = False) -> dict[str, int]:
        """Feature count of every layer, in one snapshot (see ``count``)."""
        return {name: c.count
                for name, c in self.layer_counts(LAYERS, hide_sensitive=hide_sensitive).items()}

    def latest_update(self, layer: str, *, hide_sensitive: bool = False) -> str | None:
        """When a feature of ``layer`` was last created or changed (ISO 8601 text in UTC, the
        stored ``updated_at``), None for an empty layer; deleted features do not count."""
        return self.layer_counts([layer], hide_sensitive=hide_sensitive)[layer].latest_update

    def layer_counts(self, layers: Iterable[str], *, hide_sensitive: bool = False,
                     kommuner: Collection[str] | None = None) -> dict[str, LayerCounts]:
        """For each of ``layers``: the count, the count per provenance and the latest
        ``updated_at``, one aggregate per layer in one snapshot, without reading features (for
        ``/`` and ``/api/layers``). ``hide_sensitive`` and ``kommuner`` as in ``read_page``."""
        out: dict[str, LayerCounts] = {}
        with self.snapshot() as conn:
            for layer in layers:
                name = layer_spec(layer).name
                table = layer_tables[name]
                where = self._page_conditions(name, hide_sensitive=hide_sensitive,
                                              kommuner=kommuner)
                rows = conn.execute(select(table.c.provenance, func.count(),
                                           func.max(table.c.updated_at))
                                    .where(*where).group_by(table.c.provenance)).all()
                latest = max((r[2] for r in rows if r[2] is not None), default=None)
                out[name] = LayerCounts(
                    count=sum(int(r[1]) for r in rows),
                    provenance={str(r[0]): int(r[1]) for r in sorted(rows, key=lambda r: r[0])},
                    latest_update=latest)
        return out

    # --- paged reading (OGC API – Features, paged /api/layers) ----------------------------------

    @staticmethod
    def _page_conditions(layer: str, *, bbox: tuple[float, float, float, float] | None = None,
                         time: TimeWindow | None = None, hide_sensitive: bool,
                         kommuner: Collection[str] | None) -> list[ColumnElement[bool]]:
        """The WHERE conditions of a paged read: not deleted, the box (EPSG:3006) meeting the
        stored bounds, the ``time`` window, with
        ``hide_sensitive`` the records ``geo.privacy.without_sensitive`` drops left out, and
        with ``kommuner`` only those municipalities' records."""
        table = layer_tables[layer_spec(layer).name]
        where: list[ColumnElement[bool]] = [table.c.deleted_at.is_(None)]
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            where += [table.c.maxx >= minx, table.c.minx <= maxx,
                      table.c.maxy >= miny, table.c.miny <= maxy]
        if time is not None and (time.start is not None or time.end is not None):
            if layer_spec(layer).field_by_name[time.field].kind != "datetime":
                raise TypeError(f"{layer}.{time.field} is not a datetime field")
            column = table.c[time.field]  # ISO 8601 text in UTC (``_iso``): ordered as text
            where.append(column.is_not(None))
            if time.start is not None:
                where.append(column >= utc_text(time.start))
            if time.end is not None:
                where.append(column <= utc_text(time.end))
        if hide_sensitive:
            where.extend(visible_conditions(layer, table))
        return where + kommun_conditions(table, kommuner)

    def read_page(self, layer: str, *, limit: int | None, offset: int = 0,
                  bbox: tuple[float, float, float, float] | None = None,
                  time: TimeWindow | None = None, hide_sensitive: bool = False,
                  kommuner: Collection[str] | None = None) -> tuple[gpd.GeoDataFrame, int]:
        """One page of ``layer`` in id order (LIMIT/OFFSET in SQL) and how many records match
        in all. ``bbox`` is EPSG:3006 (minx, miny, maxx, maxy) tested against the stored
        bounds; ``time`` bounds a datetime field.
        ``hide_sensitive`` leaves out in SQL what ``geo.privacy.without_sensitive`` drops and
        ``kommuner`` the records of other municipalities, so the page and the count are those
        of a viewer who may not see them; the caller still passes the frame through the viewer
        filter. ``limit=None``: every matching record."""
        spec = layer_spec(layer)
        table = layer_tables[spec.name]
        where = self._page_conditions(layer, bbox=bbox, time=time,
                                      hide_sensitive=hide_sensitive, kommuner=kommuner)
        # The page's ids first, then their rows: the rows skipped by OFFSET are never decoded
        # (PostGIS would turn each one's geometry into WKB only to drop it).
        page = select(table.c.id).where(*where).order_by(table.c.id).offset(max(offset, 0))
        if limit is not None:
            page = page.limit(max(limit, 0))
        query = select(table).where(table.c.id.in_(page.scalar_subquery())).order_by(table.c.id)
        with self.snapshot() as conn:  # one transaction: page and count agree
            rows = conn.execute(query).mappings().all()
            matched = int(conn.execute(select(func.count()).select_from(table).where(*where))
                          .scalar_one())
        return self._frame(spec, rows), matched

    def count_matching(self, layer: str, *, time_field: str | None = None,
                       hide_sensitive: bool = False, kommuner: Collection[str] | None = None
                       ) -> PageSummary:
        """How many records of ``layer`` a viewer sees (``hide_sensitive`` and ``kommuner`` as
        in ``read_page``), with their stored bounds (EPSG:3006) and the range of ``time_field``,
        from one aggregate query."""
        table = layer_tables[layer_spec(layer).name]
        where = self._page_conditions(layer, hide_sensitive=hide_sensitive, kommuner=kommuner)
        columns = [func.count(), func.min(table.c.minx), func.min(table.c.miny),
                   func.max(table.c.maxx), func.max(table.c.maxy)]
        if time_field is not None:
            columns += [func.min(table.c[time_field]), func.max(table.c[time_field])]
        with self.engine.connect() as conn:
            row = conn.execute(select(*columns).where(*where)).one()
        count = int(row[0])
        bounds = None if count == 0 else (float(row[1]), float(row[2]), float(row[3]),
                                          float(row[4]))
        times = (row[5], row[6]) if time_field is not None else (None, None)
        return PageSummary(count=count, bounds=bounds, time_min=times[0], time_max=times[1])
