"""The embedded store: one SQLite file (WAL, real transactions) holding every layer.

Geometry is stored as WKB in EPSG:3006 with its bounding box for fast window queries. The store
hands out GeoDataFrames indexed by ``id``; every write goes through ``geo.validate`` and happens in
one transaction, so an import is all-or-nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy import update as sql_update

from geo.crs import WORK_CRS
from geo.errors import Conflict, ImportRejected, NotFound, collect
from geo.layers import LAYERS, SENSITIVE_CATEGORIES, LayerSpec, coerce_record, layer_spec
from geo.validate import check_geometries, prepare_features
from store.migrations.runner import StoreVersionError, Upgrade, revision_number, upgrade
from store.schema import generations_table, layer_tables

log = logging.getLogger(__name__)

__all__ = ["Store", "StoreVersionError", "utc_now"]


def utc_now() -> str:
    """The current time as ISO 8601 text in UTC, the form every timestamp is stored in."""
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, (list, str)) and pd.isna(value)):
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def _to_sql(spec: LayerSpec, values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = spec.field_by_name.get(name)
        if f is None:
            continue
        if f.kind == "datetime":
            out[name] = _iso(value)
        elif f.kind in ("list", "json"):
            out[name] = None if value is None else json.dumps(value, ensure_ascii=False,
                                                               default=str)
        elif value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
            out[name] = None
        elif isinstance(value, np.generic):
            out[name] = value.item()
        else:
            out[name] = value
    return out


class Store:
    """All layers of one SQLite file. Open it with ``Store.open(path)``."""

    def __init__(self, engine: Engine, path: Path, *, upgraded: Upgrade | None = None) -> None:
        self.engine = engine
        self.path = path
        self.upgraded = upgraded  # what opening did to the schema (None: nothing to do)

    # --- lifecycle ------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        """Open the store at ``path``: a new file is created at the newest schema, an older one
        is backed up beside itself and upgraded (``store.migrations``), a newer one raises
        ``StoreVersionError``."""
        path = Path(path)
        done = upgrade(path)
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30,
                                                                   "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's BEGIN be the real start of a transaction (pysqlite defers it).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return cls(engine, path, upgraded=done if done.changed else None)

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

    @staticmethod
    def _touch(conn: Connection, layer: str) -> None:
        updated = conn.execute(sql_update(generations_table)
                               .where(generations_table.c.layer == layer)
                               .values(n=generations_table.c.n + 1))
        if updated.rowcount == 0:
            conn.execute(insert(generations_table).values(layer=layer, n=1))

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
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
        with self.engine.begin() as conn:
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
        query = select(table)
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

    def _frame(self, spec: LayerSpec, rows: list[Any]) -> gpd.GeoDataFrame:
        columns = ["id", *spec.field_names, "created_at", "updated_at", "version"]
        frame = pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)
        geoms = shapely.from_wkb([r["geometry"] for r in rows]) if rows else []
        for f in spec.fields:
            col = frame[f.name]
            if f.kind == "datetime":
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
            raise NotFound(f"{layer} {feature_id} does not exist")
        return gdf

    def count(self, layer: str) -> int:
        table = layer_tables[layer_spec(layer).name]
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def counts(self) -> dict[str, int]:
        """Feature count of every layer."""
        return {name: self.count(name) for name in LAYERS}

    # --- writing --------------------------------------------------------------------------------

    def _rows(self, spec: LayerSpec, gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
        geoms = np.asarray(gdf.geometry.values, dtype=object)
        wkb = shapely.to_wkb(geoms)
        bounds = shapely.bounds(geoms)
        now = utc_now()
        records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        rows = []
        for values, blob, box in zip(records, wkb, bounds):
            row = _to_sql(spec, values)
            row.update(geometry=blob, minx=box[0], miny=box[1], maxx=box[2], maxy=box[3],
                       created_at=now, updated_at=now, version=1)
            rows.append(row)
        return rows

    def insert(self, layer: str, gdf: gpd.GeoDataFrame, *, origin: str = "input",
               provenance: str | None = None, source: str | None = None,
               replace: bool = False, conn: Connection | None = None) -> list[int]:
        """Validate and insert ``gdf`` into ``layer`` in one transaction; return the new ids.

        With ``replace`` the layer's existing features are deleted in the same transaction.
        Raises ``ImportRejected`` (nothing written) on any invalid feature.
        """
        spec = layer_spec(layer)
        clean = prepare_features(spec, gdf, origin=origin, provenance=provenance, source=source)
        rows = self._rows(spec, clean)
        table = layer_tables[layer]
        with self._conn(conn) as c:
            self._touch(c, layer)
            if replace:
                c.execute(sql_delete(table))
            if spec.unique_field:
                self._check_unique(c, spec, [r[spec.unique_field] for r in rows], origin)
            ids = []
            for chunk_start in range(0, len(rows), 500):
                chunk = rows[chunk_start:chunk_start + 500]
                result = c.execute(insert(table).returning(table.c.id), chunk)
                ids.extend(int(r[0]) for r in result)
        log.info("inserted %d feature(s) into %s from %s", len(ids), layer, origin)
        return ids

    def _check_unique(self, conn: Connection, spec: LayerSpec, keys: list[Any],
                      origin: str) -> None:
        key = spec.unique_field
        assert key is not None
        seen: dict[Any, int] = {}
        problems = []
        for i, k in enumerate(keys):
            if k in seen:
                problems.append(f"{origin}, feature {i}: field {key!r}: {k!r} repeats feature "
                                f"{seen[k]}")
            seen[k] = i
        table = layer_tables[spec.name]
        existing = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            existing.update(conn.execute(select(table.c[key]).where(table.c[key].in_(chunk)))
                            .scalars())
        for i, k in enumerate(keys):
            if k in existing:
                problems.append(f"{origin}, feature {i}: field {key!r}: {k!r} already exists")
        collect(problems, f"{origin}: {len(problems)} problem(s), nothing imported",
                error=ImportRejected)

    def upsert(self, layer: str, gdf: gpd.GeoDataFrame, *, origin: str = "input",
               provenance: str | None = None, source: str | None = None,
               conn: Connection | None = None) -> tuple[int, int]:
        """Insert features whose natural key is new, update those whose key exists and whose
        values changed; return (inserted, updated). Running it twice changes nothing."""
        spec = layer_spec(layer)
        key = spec.unique_field
        if key is None:
            raise TypeError(f"layer {layer} has no natural key to upsert on")
        clean = prepare_features(spec, gdf, origin=origin, provenance=provenance, source=source)
        clean = clean.drop_duplicates(subset=key, keep="last")
        rows = self._rows(spec, clean)
        table = layer_tables[layer]
        inserted = updated = 0
        compare = [f.name for f in spec.fields] + ["geometry"]
        with self._conn(conn) as c:
            self._touch(c, layer)
            existing = {}
            keys = [r[key] for r in rows]
            for start in range(0, len(keys), 500):
                for r in c.execute(select(table).where(table.c[key].in_(keys[start:start + 500])))\
                        .mappings():
                    existing[r[key]] = r
            new_rows = [r for r in rows if r[key] not in existing]
            for start in range(0, len(new_rows), 500):
                c.execute(insert(table), new_rows[start:start + 500])
            inserted = len(new_rows)
            for r in rows:
                old = existing.get(r[key])
                if old is None or all(old[name] == r[name] for name in compare):
                    continue
                values = {name: r[name] for name in compare}
                values.update(minx=r["minx"], miny=r["miny"], maxx=r["maxx"], maxy=r["maxy"],
                              updated_at=r["updated_at"], version=old["version"] + 1)
                c.execute(sql_update(table).where(table.c.id == old["id"]).values(**values))
                updated += 1
        return inserted, updated

    def update(self, layer: str, feature_id: int, values: dict[str, Any], *,
               geometry: shapely.Geometry | None = None, geometry_crs: str = WORK_CRS,
               expected_version: int | None = None) -> gpd.GeoDataFrame:
        """Change some fields (and optionally the geometry) of one feature; return it.

        ``expected_version`` makes the write conditional (optimistic locking): if the stored
        version differs, ``Conflict`` is raised and nothing changes.
        """
        spec = layer_spec(layer)
        table = layer_tables[layer]
        where = f"{layer} {feature_id}"
        coerced, problems = coerce_record(spec, values, where=where, partial=True)
        row: dict[str, Any] = _to_sql(spec, coerced)
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
        with self.transaction() as c:
            self._touch(c, layer)
            current = c.execute(select(table).where(table.c.id == feature_id)).mappings().first()
            if current is None:
                raise NotFound(f"{where} does not exist")
            if expected_version is not None and current["version"] != expected_version:
                raise Conflict(f"{where} was changed by someone else (version "
                               f"{current['version']}, you had {expected_version}); reload and "
                               "try again")
            if spec.name == "unsafe_places":
                if coerced.get("category", current["category"]) in SENSITIVE_CATEGORIES:
                    row["sensitive"] = True
            row.update(updated_at=utc_now(), version=current["version"] + 1)
            c.execute(sql_update(table).where(table.c.id == feature_id).values(**row))
        return self.get(layer, feature_id)

    def delete(self, layer: str, feature_id: int) -> None:
        """Delete one feature; raises ``NotFound``."""
        table = layer_tables[layer_spec(layer).name]
        with self.transaction() as c:
            self._touch(c, layer)
            result = c.execute(sql_delete(table).where(table.c.id == feature_id))
            if result.rowcount == 0:
                raise NotFound(f"{layer} {feature_id} does not exist")

    def clear(self, layer: str, *, conn: Connection | None = None) -> None:
        """Delete every feature of ``layer``."""
        with self._conn(conn) as c:
            self._touch(c, layer)
            c.execute(sql_delete(layer_tables[layer_spec(layer).name]))

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
        """True if SQLite's integrity check passes."""
        with self.engine.connect() as conn:
            return conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
