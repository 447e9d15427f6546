"""The municipality of every record (migration 0008): a record that names no kommunkod gets the
one of the store's boundary its geometry is in (``geo.municipalities.kommunkod_at``), when it is
written and again whenever the boundaries change."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import Connection, bindparam, select, update

from geo.crs import WORK_CRS
from geo.layers import LAYERS, LayerSpec
from geo.municipalities import kommunkod_at
from store.generations import touch
from store.schema import layer_tables


def with_kommunkod(conn: Connection, spec: LayerSpec, gdf: gpd.GeoDataFrame
                   ) -> gpd.GeoDataFrame:
    """``gdf`` with each record that names no kommunkod given the one of the store's boundary
    its geometry is in (one boundary: its code for all). Read in ``conn``'s transaction (a
    second SQLite connection would wait)."""
    if spec.name == "boundaries" or "kommunkod" not in gdf.columns or gdf.empty:
        return gdf
    missing = gdf["kommunkod"].isna().to_numpy()
    if not missing.any():
        return gdf
    table = layer_tables["boundaries"]
    found = conn.execute(select(table.c.geometry, table.c.kommunkod).where(
        table.c.deleted_at.is_(None), table.c.kommunkod.is_not(None))
        .order_by(table.c.id)).all()
    if not found:
        return gdf
    out = gdf.copy()
    out.loc[missing, "kommunkod"] = kommunkod_at(
        np.asarray(gdf.geometry.values, dtype=object)[missing],
        shapely.from_wkb([r[0] for r in found]), [str(r[1]) for r in found])
    return out


def fill_kommunkod(conn: Connection) -> int:
    """Give every record that names no kommunkod the one of the store's boundary it is in (as
    ``Store.insert`` does for new records), in ``conn``'s write transaction; return how many
    records got one. Run when the boundaries change (``Store.insert`` into them does)."""
    filled = 0
    for name, spec in LAYERS.items():
        table = layer_tables[name]
        if name == "boundaries":
            continue
        rows = conn.execute(select(table.c.id, table.c.geometry).where(
            table.c.kommunkod.is_(None))).all()
        if not rows:
            continue
        blank = gpd.GeoDataFrame({"kommunkod": [None] * len(rows)}, crs=WORK_CRS,
                                 geometry=shapely.from_wkb([r[1] for r in rows]))
        codes = with_kommunkod(conn, spec, blank)["kommunkod"].tolist()
        values = [{"b_id": int(r[0]), "b_k": k}
                  for r, k in zip(rows, codes, strict=True) if k is not None]
        if values:
            touch(conn, name)
            conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                         .values(kommunkod=bindparam("b_k")), values)
            filled += len(values)
    return filled
