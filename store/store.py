"""The store holding every layer: one SQLite file (WAL, real transactions), or a PostgreSQL
database with PostGIS when opened with a URL (``postgresql://...``); the same code runs on both.

Geometry is stored as WKB in EPSG:3006 (a PostGIS ``geometry(Geometry, 3006)`` with a GiST index
on PostgreSQL) with its bounding box for fast window queries. The store hands out GeoDataFrames
indexed by ``id``; every write goes through ``geo.validate`` and happens in one transaction, so an
import is all-or-nothing. Writers take turns (SQLite's ``BEGIN IMMEDIATE``, a PostgreSQL advisory
lock), so versions, generations and natural keys behave the same on both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import (
    Connection, Engine, func, insert, select, text,
)
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update

from geo.crs import WORK_CRS
from geo.errors import Conflict, ImportRejected, NotFound, collect, problem_count
from geo.layers import SENSITIVE_CATEGORIES, LayerSpec, coerce_record, layer_spec
from geo.tracks import vertex_seconds
from geo.validate import check_geometries, prepare_features, with_sensitive_flag
from store import audit as trail
from store.audit import Actor, NotAllowed, utc_now
from store.migrations.runner import (
    StoreVersionError, Upgrade, display_url, revision_number, store_engine, store_target,
    upgrade, writing,
)
from store.generations import touch
from store.kommunkod import fill_kommunkod, with_kommunkod
from store.rows import sql_values, times_blob, times_of_blob
from store.queries import LayerCounts, LayerQueries, PageSummary
from store.schema import (
    SRID, VERTEX_TIME_FIELDS, generations_table, layer_tables,
)

log = logging.getLogger(__name__)

__all__ = ["Actor", "LayerCounts", "NotAllowed", "PageSummary", "Store", "StoreVersionError",
           "utc_now"]

AuditMode = Literal["features", "import"]


def _key_of(spec: LayerSpec, row: Any) -> tuple[Any, ...]:
    """The natural key of a row (a mapping of its columns): its values of ``unique_fields``."""
    return tuple(row[name] for name in spec.unique_fields)


def _shown(key: tuple[Any, ...]) -> str:
    """A natural key in a message: the value of a one-field key, else the tuple."""
    return repr(key[0]) if len(key) == 1 else repr(key)


class Store(LayerQueries):
    """All layers of one SQLite file or PostGIS database. Open it with ``Store.open(db)``."""

    def __init__(self, engine: Engine, path: Path | None, *, upgraded: Upgrade | None = None
                 ) -> None:
        self.engine = engine
        self.path = path  # the SQLite file; None for a PostgreSQL database
        self.upgraded = upgraded  # what opening did to the schema (None: nothing to do)

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def open(cls, db: str | Path, *, audit_retention_days: float | None = None) -> Store:
        """Open the store ``db``, a SQLite file path or a PostgreSQL URL (``postgresql://`` or
        ``postgresql+psycopg://``, PostGIS installed on the server): a new store is created at
        the newest schema, an older one is upgraded (a file is backed up beside itself first;
        ``store.migrations``), a newer one raises ``StoreVersionError``. With
        ``audit_retention_days``, older audit rows are purged."""
        target = store_target(db)
        done = upgrade(target)
        store = cls(store_engine(target, foreign_keys=True),
                    target if isinstance(target, Path) else None,
                    upgraded=done if done.changed else None)
        if audit_retention_days is not None:
            store.purge_audit(older_than_days=audit_retention_days)
        return store

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return str(self.engine.dialect.name)

    @property
    def location(self) -> str:
        """Where the store lives, for people: the file path or the URL without its password."""
        return str(self.path) if self.path is not None else display_url(str(self.engine.url))

    def close(self) -> None:
        self.engine.dispose()

    def generation(self, layer: str) -> int:
        """A counter raised by every committed write to ``layer`` (0 for a layer never written)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(generations_table.c.n)
                                 .where(generations_table.c.layer == layer)).scalar_one_or_none()
        return int(value or 0)

    def generations(self, layers: Iterable[str]) -> tuple[int, ...]:
        """The generation of each of ``layers``, in order (for cache keys)."""
        layers = list(layers)
        with self.engine.connect() as conn:
            rows = dict(conn.execute(select(generations_table.c.layer, generations_table.c.n)
                                     .where(generations_table.c.layer.in_(layers))).all())
        return tuple(int(rows.get(name, 0)) for name in layers)

    _touch = staticmethod(touch)  # raise a layer's generation (store.generations)

    @property
    def schema_version(self) -> int:
        """The store's schema revision as an integer (revision ``"0002"`` is 2)."""
        with self.engine.connect() as conn:
            return revision_number(conn.execute(text("SELECT version_num FROM alembic_version"))
                                   .scalar_one())

    @property
    def revision(self) -> str:
        """The store's schema revision, e.g. ``"0002"``."""
        with self.engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one())

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT on SQLite, the writers' advisory
        lock on PostgreSQL; rolled back on any error)."""
        with writing(self.engine) as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only connection whose statements all see the same committed state (SQLite's
        transaction; REPEATABLE READ on PostgreSQL)."""
        with self.engine.connect() as conn:
            if self.backend == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # --- reading --------------------------------------------------------------------------------

    def read(self, layer: str, *, bbox: tuple[float, float, float, float] | None = None,
             ids: Iterable[int] | None = None, where: dict[str, Any] | None = None,
             conn: Connection | None = None) -> gpd.GeoDataFrame:
        """Features of ``layer`` as a GeoDataFrame in EPSG:3006 indexed by ``id``.

        ``bbox`` (EPSG:3006 minx, miny, maxx, maxy) keeps features whose box meets it; ``where``
        keeps rows whose fields equal the given values.
        """
        spec = layer_spec(layer)
        table = layer_tables[layer]
        query = select(table).where(table.c.deleted_at.is_(None))
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            query = query.where(table.c.maxx >= minx, table.c.minx <= maxx,
                                table.c.maxy >= miny, table.c.miny <= maxy)
        if ids is not None:
            query = query.where(table.c.id.in_(list(ids)))
        for name, value in (where or {}).items():
            query = query.where(table.c[name] == value)
        query = query.order_by(table.c.id)
        if conn is None:
            with self.engine.connect() as own:
                rows = own.execute(query).mappings().all()
        else:
            rows = conn.execute(query).mappings().all()
        return self._frame(spec, rows)

    def _frame(self, spec: LayerSpec, rows: Sequence[Any]) -> gpd.GeoDataFrame:
        columns = ["id", *spec.field_names, "created_at", "updated_at", "version"]
        frame = pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)
        geoms = shapely.from_wkb([r["geometry"] for r in rows]) if rows else []
        for f in spec.fields:
            col = frame[f.name]
            if (spec.name, f.name) in VERTEX_TIME_FIELDS:
                frame[f.name] = pd.Series([times_of_blob(v) for v in col], index=frame.index,
                                          dtype=object)
            elif f.kind == "datetime":
                frame[f.name] = pd.to_datetime(col, utc=True, format="ISO8601")
            elif f.kind in ("list", "json"):
                frame[f.name] = [json.loads(v) if isinstance(v, str) else v for v in col]
            elif f.kind == "bool":
                frame[f.name] = col.astype("boolean")
            elif f.kind == "int":
                frame[f.name] = col.astype("Int64")
            elif f.kind == "float":
                frame[f.name] = col.astype("float64")
        frame = frame.set_index("id")
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index,
                                                               crs=WORK_CRS))

    def get(self, layer: str, feature_id: int) -> gpd.GeoDataFrame:
        """One feature as a one-row GeoDataFrame; raises ``NotFound``."""
        gdf = self.read(layer, ids=[feature_id])
        if gdf.empty:
            raise NotFound(f"{layer} {feature_id} finns inte")
        return gdf

    # --- writing --------------------------------------------------------------------------------

    def _rows(self, spec: LayerSpec, gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        wkb = shapely.to_wkb(geoms)
        bounds = shapely.bounds(geoms)
        now = utc_now()
        attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        times = {name: [times_blob(s) for s in vertex_seconds(attrs.pop(name).tolist())]
                 for layer, name in VERTEX_TIME_FIELDS  # every track's texts parsed in one go
                 if layer == spec.name and name in attrs}
        records: list[dict[str, Any]] = attrs.to_dict("records")  # type: ignore[assignment]
        rows = []
        for i, (values, blob, box) in enumerate(zip(records, wkb, bounds, strict=True)):
            row = sql_values(spec, values)
            row.update({name: blobs[i] for name, blobs in times.items()})
            row.update(geometry=blob, minx=box[0], miny=box[1], maxx=box[2], maxy=box[3],
                       created_at=now, updated_at=now, version=1)
            rows.append(row)
        return rows

    def insert(self, layer: str, gdf: gpd.GeoDataFrame, *, origin: str = "input",  # noqa: PLR0913
               provenance: str | None = None, source: str | None = None,
               replace: bool = False, conn: Connection | None = None,
               actor: Actor | None = None, audit: AuditMode = "features") -> list[int]:
        """Validate and insert ``gdf`` into ``layer`` in one transaction; return the new ids.

        With ``replace`` the layer's existing features are removed (for good, deleted ones
        too) in the same transaction. Raises ``ImportRejected`` (nothing written) on any invalid
        feature. The audit trail gets one row per feature, or with ``audit="import"`` one row
        with the counts; ``actor`` is who writes (None: the system).
        """
        spec = layer_spec(layer)
        clean = prepare_features(spec, gdf, origin=origin, provenance=provenance, source=source)
        table = layer_tables[layer]
        with self._conn(conn) as c:
            rows = self._rows(spec, with_kommunkod(c, spec, clean))
            self._touch(c, layer)
            removed = c.execute(sql_delete(table)).rowcount if replace else 0
            if spec.unique_fields:
                self._check_unique(c, spec, [_key_of(spec, r) for r in rows], origin)
            ids: list[int] = []
            for chunk_start in range(0, len(rows), 500):
                chunk = rows[chunk_start:chunk_start + 500]
                result = c.execute(insert(table).returning(table.c.id), chunk)
                ids.extend(int(r[0]) for r in result)
            if audit == "import" or replace:
                details: dict[str, Any] = {"origin": origin, "inserted": len(ids)}
                if replace:
                    details.update(replaced=True, removed=removed)
                self._audit(c, actor, "import", layer, details=details)
            if audit == "features":
                self._audit_each(c, actor, "insert", layer, [(i, None, 1) for i in ids],
                                 details={"origin": origin})
            if layer == "boundaries":
                fill_kommunkod(c)
        log.info("inserted %d feature(s) into %s from %s", len(ids), layer, origin)
        return ids

    def _check_unique(self, conn: Connection, spec: LayerSpec, keys: list[tuple[Any, ...]],
                      origin: str) -> None:
        assert spec.unique_fields
        named = ", ".join(spec.unique_fields)
        seen: dict[tuple[Any, ...], int] = {}
        problems = []
        for i, k in enumerate(keys):
            if k in seen:
                problems.append(f"{origin}, objekt {i}: {named}: {_shown(k)} finns redan i "
                                f"objekt {seen[k]}; varje värde får bara finnas en gång")
            seen[k] = i
        existing = set(self._existing_keys(conn, spec, keys))
        for i, k in enumerate(keys):
            if k in existing:
                problems.append(f"{origin}, objekt {i}: {named}: {_shown(k)} finns redan i lagret")
        collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
                error=ImportRejected)

    @staticmethod
    def _existing_keys(conn: Connection, spec: LayerSpec, keys: list[tuple[Any, ...]]
                       ) -> dict[tuple[Any, ...], Any]:
        """The stored rows (deleted ones too) whose natural key is among ``keys``, by key."""
        table = layer_tables[spec.name]
        first = table.c[spec.unique_fields[0]]
        wanted = set(keys)
        firsts = sorted({k[0] for k in wanted}, key=repr)
        found: dict[tuple[Any, ...], Any] = {}
        for start in range(0, len(firsts), 500):
            for row in conn.execute(select(table).where(
                    first.in_(firsts[start:start + 500]))).mappings():
                key = _key_of(spec, row)
                if key in wanted:
                    found[key] = row
        return found

    def upsert(self, layer: str, gdf: gpd.GeoDataFrame, *, origin: str = "input",  # noqa: PLR0913
               provenance: str | None = None, source: str | None = None,
               conn: Connection | None = None, actor: Actor | None = None,
               audit: AuditMode = "features", replace_by: str | None = None) -> tuple[int, int]:
        """Insert features whose natural key is new, update those whose key exists and whose
        values changed; return (inserted, updated). Running it twice changes nothing.

        A deleted feature keeps its key: it is updated but stays deleted (``restore`` it).
        With ``replace_by`` (a field of the key, e.g. "event_id"), the features given for each
        of its values are all there are: stored ones of that value whose key is not given are
        removed for good (a police event whose summary is now split per sentence, or no longer
        is), and new ones of a value whose stored features are all deleted are deleted too.
        Audited like ``insert`` (removals as "delete", or counted in the import's row)."""
        spec = layer_spec(layer)
        if not spec.unique_fields:
            raise TypeError(f"layer {layer} has no natural key to upsert on")
        if replace_by is not None and replace_by not in spec.unique_fields:
            raise TypeError(f"replace_by={replace_by!r} is not a field of {layer}'s key")
        clean = prepare_features(spec, gdf, origin=origin, provenance=provenance, source=source)
        clean = clean.drop_duplicates(subset=list(spec.unique_fields), keep="last")
        table = layer_tables[layer]
        inserted = updated = 0
        compare = [f.name for f in spec.fields] + ["geometry"]
        with self._conn(conn) as c:
            rows = self._rows(spec, with_kommunkod(c, spec, clean))
            self._touch(c, layer)
            keys = [_key_of(spec, r) for r in rows]
            stale: list[Any] = []
            if replace_by is None:
                existing = self._existing_keys(c, spec, keys)
            else:
                existing, stale = self._replaced(c, spec, replace_by, rows)
            new_rows = [r for r, k in zip(rows, keys, strict=True) if k not in existing]
            if replace_by is not None:
                gone = {row[replace_by]: row["deleted_at"] for row in [*existing.values(), *stale]
                        if row["deleted_at"] is not None}
                live = {row[replace_by] for row in [*existing.values(), *stale]
                        if row["deleted_at"] is None}
                new_rows = [{**r, "deleted_at": None if r[replace_by] in live
                             else gone.get(r[replace_by])} for r in new_rows]
            changes: list[tuple[int, int | None, int]] = []
            for start in range(0, len(new_rows), 500):
                result = c.execute(insert(table).returning(table.c.id), new_rows[start:start + 500])
                changes.extend((int(r[0]), None, 1) for r in result)
            inserted = len(new_rows)
            for r in rows:
                old = existing.get(_key_of(spec, r))
                if old is None or all(old[name] == r[name] for name in compare):
                    continue
                values = {name: r[name] for name in compare}
                values.update(minx=r["minx"], miny=r["miny"], maxx=r["maxx"], maxy=r["maxy"],
                              updated_at=r["updated_at"], version=old["version"] + 1)
                c.execute(sql_update(table).where(table.c.id == old["id"]).values(**values))
                changes.append((int(old["id"]), int(old["version"]), int(old["version"]) + 1))
                updated += 1
            removed: list[tuple[int, int | None, int | None]] = [
                (int(row["id"]), int(row["version"]), None) for row in stale]
            for start in range(0, len(removed), 500):
                c.execute(sql_delete(table).where(table.c.id.in_(
                    [fid for fid, _, _ in removed[start:start + 500]])))
            if audit == "import":
                details: dict[str, Any] = {"origin": origin, "inserted": inserted,
                                           "updated": updated}
                if removed:
                    details["removed"] = len(removed)
                self._audit(c, actor, "import", layer, details=details)
            else:
                self._audit_each(c, actor, "insert", layer, changes[:inserted],
                                 details={"origin": origin})
                self._audit_each(c, actor, "update", layer, changes[inserted:],
                                 details={"origin": origin})
                self._audit_each(c, actor, "delete", layer, removed,
                                 details={"origin": origin, "replaced_by": replace_by})
        if removed:
            log.info("upsert into %s from %s removed %d feature(s) replaced by others of their "
                     "%s", layer, origin, len(removed), replace_by)
        return inserted, updated

    @staticmethod
    def _replaced(conn: Connection, spec: LayerSpec, replace_by: str,
                  rows: list[dict[str, Any]]) -> tuple[dict[tuple[Any, ...], Any], list[Any]]:
        """The stored features (deleted ones too) of the ``replace_by`` values of ``rows``:
        those whose key is among the rows' (by key), and the others (to remove)."""
        table = layer_tables[spec.name]
        wanted = {_key_of(spec, r) for r in rows}
        groups = sorted({r[replace_by] for r in rows}, key=repr)
        existing: dict[tuple[Any, ...], Any] = {}
        stale: list[Any] = []
        for start in range(0, len(groups), 500):
            for row in conn.execute(select(table).where(table.c[replace_by].in_(
                    groups[start:start + 500])).order_by(table.c.id)).mappings():
                key = _key_of(spec, row)
                if key in wanted:
                    existing[key] = row
                else:
                    stale.append(row)
        return existing, stale

    def update(self, layer: str, feature_id: int, values: dict[str, Any], *,
               geometry: shapely.Geometry | None = None, geometry_crs: str = WORK_CRS,
               expected_version: int | None = None,
               actor: Actor | None = None) -> gpd.GeoDataFrame:
        """Change some fields (and optionally the geometry) of one feature; return it.

        ``expected_version`` makes the write conditional (optimistic locking): if the stored
        version differs, ``Conflict`` is raised and nothing changes.
        """
        spec = layer_spec(layer)
        row = self._update_row(spec, feature_id, values, geometry=geometry,
                               geometry_crs=geometry_crs)
        with self.transaction() as c:
            self._touch(c, layer)
            self._apply_update(c, spec, feature_id, row, expected_version=expected_version,
                               actor=actor)
        return self.get(layer, feature_id)

    def update_many(self, layer: str, changes: dict[int, dict[str, Any]], *,
                    actor: Actor | None = None) -> int:
        """Change fields of many features in one transaction: all or none (every problem of
        every feature is reported before anything is written). Returns the features changed."""
        spec = layer_spec(layer)
        rows: dict[int, dict[str, Any]] = {}
        problems: list[str] = []
        for feature_id, values in changes.items():
            try:
                rows[int(feature_id)] = self._update_row(spec, int(feature_id), values)
            except ImportRejected as exc:
                problems.extend(exc.details or [exc.message])
        if problems:
            collect(problems, f"{problem_count(len(problems))} i ändringarna av {layer}",
                    error=ImportRejected)
        if not rows:
            return 0
        with self.transaction() as c:
            self._touch(c, layer)
            for feature_id, row in rows.items():
                self._apply_update(c, spec, feature_id, row, expected_version=None, actor=actor)
        return len(rows)

    def _update_row(self, spec: LayerSpec, feature_id: int, values: dict[str, Any], *,
                    geometry: shapely.Geometry | None = None,
                    geometry_crs: str = WORK_CRS) -> dict[str, Any]:
        """The SQL values of a partial update of one feature, checked; raises
        ``ImportRejected`` naming every problem."""
        where = f"{spec.name} {feature_id}"
        coerced, problems = coerce_record(spec, values, where=where, partial=True)
        row: dict[str, Any] = sql_values(spec, coerced)
        if "category" in coerced:  # kept apart for the sensitive rule, not a column
            row["_category"] = coerced["category"]
        if geometry is not None:
            series, geom_problems = check_geometries(
                gpd.GeoDataFrame(geometry=[geometry], crs=geometry_crs), spec, origin=where)
            problems.extend(geom_problems)
            if not geom_problems:
                g = series.values[0]
                box = g.bounds
                row.update(geometry=shapely.to_wkb(g), minx=box[0], miny=box[1], maxx=box[2],
                           maxy=box[3])
        if problems:
            raise ImportRejected(f"{where}: " + "; ".join(problems), problems)
        return row

    def _apply_update(self, c: Connection, spec: LayerSpec, feature_id: int,
                      row: dict[str, Any], *, expected_version: int | None,
                      actor: Actor | None) -> None:
        """Write one checked partial update (from ``_update_row``) inside transaction ``c``."""
        table = layer_tables[spec.name]
        where = f"{spec.name} {feature_id}"
        row = dict(row)
        current = c.execute(select(table).where(table.c.id == feature_id,
                                                table.c.deleted_at.is_(None))
                            ).mappings().first()
        if current is None:
            raise NotFound(f"{where} finns inte")
        if expected_version is not None and current["version"] != expected_version:
            raise Conflict(f"{where} har ändrats av någon annan (version "
                           f"{current['version']}, du hade {expected_version}); läs in det på "
                           "nytt och försök igen")
        if any(name in row for name in spec.unique_fields):  # the natural key stays unique
            key = tuple(row.get(name, current[name]) for name in spec.unique_fields)
            clash = c.execute(select(table.c.id).where(table.c.id != feature_id, *[
                table.c[name] == value for name, value in zip(spec.unique_fields, key,
                                                              strict=True)])).first()
            if clash is not None:
                raise Conflict(f"{where}: {', '.join(spec.unique_fields)}: {_shown(key)} finns "
                               f"redan i {spec.name} {clash[0]}; välj ett annat värde")
        category = row.pop("_category", current.get("category"))
        if spec.name == "unsafe_places" and category in SENSITIVE_CATEGORIES:
            row["sensitive"] = True
        if spec.name == "events" and row.keys() & {"type", "name", "summary", "sensitive"}:
            merged = {k: row.get(k, current[k]) for k in ("type", "name", "summary", "sensitive")}
            flagged = with_sensitive_flag("events", pd.DataFrame([merged]))
            row["sensitive"] = bool(flagged["sensitive"].iloc[0])
        row.update(updated_at=utc_now(), version=current["version"] + 1)
        c.execute(sql_update(table).where(table.c.id == feature_id).values(**row))
        fields = sorted(k for k in row if k in spec.field_by_name or k == "geometry")
        self._audit(c, actor, "update", spec.name, feature_id, current["version"],
                    current["version"] + 1, details={"fields": fields})

    def delete(self, layer: str, feature_id: int, *, expected_version: int | None = None,
               actor: Actor | None = None) -> None:
        """Delete one feature (softly: it leaves every read and can be restored by an admin);
        raises ``NotFound``. ``expected_version`` makes it conditional, checked in the same
        transaction: ``Conflict`` (nothing deleted) if the stored version differs."""
        self._set_deleted(layer, feature_id, deleted=True, actor=actor,
                          expected_version=expected_version)

    def restore(self, layer: str, feature_id: int, *, actor: Actor | None = None) -> None:
        """Bring back a deleted feature (admin only); raises ``NotFound`` or ``NotAllowed``."""
        trail.check_restorer(layer, feature_id, actor)
        self._set_deleted(layer, feature_id, deleted=False, actor=actor)

    def _set_deleted(self, layer: str, feature_id: int, *, deleted: bool,
                     actor: Actor | None, expected_version: int | None = None) -> None:
        with self.transaction() as c:
            self._touch(c, layer)
            trail.set_deleted(c, layer, feature_id, deleted=deleted, actor=actor,
                              expected_version=expected_version)

    def clear(self, layer: str, *, conn: Connection | None = None,
              actor: Actor | None = None) -> None:
        """Remove every feature of ``layer`` for good (deleted ones too), as one audit row."""
        with self._conn(conn) as c:
            self._touch(c, layer)
            removed = c.execute(sql_delete(layer_tables[layer_spec(layer).name])).rowcount
            self._audit(c, actor, "clear", layer, details={"removed": removed})

    # --- audit trail ----------------------------------------------------------------------------

    # the audit trail (store.audit), in the caller's transaction
    _audit = staticmethod(trail.record_action)
    _audit_each = staticmethod(trail.record_actions)

    def record(self, action: str, *, actor: Actor | None = None,
               details: dict[str, Any] | None = None, conn: Connection | None = None) -> None:
        """Record an action that is not a feature write (a sign-in) in the audit trail, in
        ``conn``'s transaction if given."""
        with self._conn(conn) as c:
            self._audit(c, actor, action, details=details)

    def audit(self, *, layer: str | None = None, since: str | pd.Timestamp | None = None,
              limit: int = 100) -> list[dict[str, Any]]:
        """Audit rows, newest first: ``layer`` only, from ``since`` (UTC if naive) on."""
        with self.engine.connect() as conn:
            return trail.audit_rows(conn, layer=layer, since=since, limit=limit)

    def purge_audit(self, *, older_than_days: float) -> int:
        """Delete audit rows older than ``older_than_days``; return how many."""
        with self.transaction() as c:
            return trail.purge_audit(c, older_than_days=older_than_days)

    @contextmanager
    def _conn(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as own:
                yield own

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of every layer as plain values (for comparing a store before and after)."""
        out = {}
        with self.engine.connect() as conn:
            for name, table in layer_tables.items():
                out[name] = [dict(r) for r in conn.execute(select(table).order_by(table.c.id))
                             .mappings()]
        return out

    def integrity_ok(self) -> bool:
        """True if SQLite's integrity check passes; on PostgreSQL (whose server checks pages
        itself), if every layer table reads and every geometry is in EPSG:3006."""
        with self.engine.connect() as conn:
            if self.backend != "postgresql":
                return bool(conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok")
            for table in layer_tables.values():
                wrong = conn.execute(select(func.count()).select_from(table).where(
                    func.ST_SRID(table.c.geometry) != SRID)).scalar_one()
                if wrong:
                    return False
            return True
