"""GeoPackage: refusing views and triggers before GDAL opens a file, picking its layer, and writing
layers with their QGIS styles."""

from __future__ import annotations

import re
import sqlite3
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]

from geo.crs import WORK_CRS
from geo.errors import ImportRejected
from geo.layers import LayerSpec
from geo.styles import STYLE_NAME, geometry_family, layer_qml
from geo.io.columns import json_text, provenance_text, typed_frame
from geo.io.ogr import NVDB_HINT


# Triggers GDAL itself writes into a GeoPackage (spatial index, feature counts, tile checks).
# Table names may hold hyphens (NVDB's "NVDB-Hastighetsgrans").
_GPKG_TRIGGERS = re.compile(r"^(gpkg_\w+|rtree_.+_(insert|update\d*|delete)"
                            r"|trigger_(insert|delete)_feature_count_.+)$")


GPKG_VERSION = "1.2"  # read by every QGIS 3 and by GDAL older than the one pyogrio ships


_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
    styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
"""


def check_gpkg(path: Path) -> None:
    """Refuse a GeoPackage whose layers are views or that carries triggers of its own.

    A view can expand a 100 kB file into millions of rows (and run SQL while GDAL reads it);
    triggers are code. The file is inspected read-only with SQLite before GDAL opens it.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportRejected(f"{path.name}: GeoPackage-filen går inte att läsa ({exc})") from None
    try:
        objects = conn.execute("SELECT type, name FROM sqlite_master "
                               "WHERE type IN ('view', 'trigger')").fetchall()
        tables = [str(r[0]) for r in conn.execute("SELECT table_name FROM gpkg_contents")]
    except sqlite3.Error as exc:
        raise ImportRejected(f"{path.name}: GeoPackage-filen går inte att läsa ({exc})") from None
    finally:
        conn.close()
    views = {str(name) for kind, name in objects if kind == "view"}
    layer_views = [t for t in tables if t in views]
    if layer_views:
        raise ImportRejected(f"{path.name}: lagret {layer_views[0]!r} är en vy, inte en tabell; "
                             "Trygg importerar bara lagrade objekt (exportera vyn som en tabell)")
    triggers = [str(name) for kind, name in objects
                if kind == "trigger" and not _GPKG_TRIGGERS.match(str(name))]
    if triggers:
        raise ImportRejected(f"{path.name}: har triggern {triggers[0]!r}; Trygg importerar inte "
                             "GeoPackage-filer med egna triggrar (spara en enkel kopia)")


def gpkg_layer(path: Path, spec: LayerSpec) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ImportRejected(f"{path.name}: GeoPackage-filen går inte att läsa ({exc})") from None
    if len(layers) <= 1:
        return None
    if spec.name in layers:
        return spec.name
    nvdb = any("hastighetsgrans" in name.lower() for name in layers)
    raise ImportRejected(f"{path.name}: har lagren {', '.join(layers)}; ange det som ska "
                         f"importeras (--source-layer) eller döp det till {spec.name!r}"
                         + (NVDB_HINT if nvdb else ""))


def _families(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> list[str]:
    present = {str(t).removeprefix("Multi") for t in gdf.geom_type.dropna().unique()}
    order = [t.removeprefix("Multi") for t in spec.geometry_types]
    families = [t for t in dict.fromkeys(order) if t in present]
    return families or [order[0]]


def _gpkg_geometry_type(gdf: gpd.GeoDataFrame, families: list[str]) -> tuple[str, bool]:
    """The layer's geometry type and whether single parts are promoted to multi-parts (only
    when the layer holds both, so single parts come back as they went in)."""
    if len(families) > 1:
        return "Unknown", False
    multi = f"Multi{families[0]}"
    return (multi, True) if (gdf.geom_type == multi).any() else (families[0], False)


def _gpkg_frame(spec: LayerSpec, gdf: gpd.GeoDataFrame, *,
                epsg: int | None = None) -> gpd.GeoDataFrame:
    frame, kinds = typed_frame(spec, gdf)
    for column, kind in kinds.items():
        if kind in ("list", "json"):
            frame[column] = pd.Series([json_text(v) for v in frame[column]], dtype=object)
        elif kind == "datetime":
            frame[column] = frame[column].astype("datetime64[ms, UTC]")
    out = gpd.GeoDataFrame(frame, geometry=np.asarray(gdf.geometry.values),
                           crs=gdf.crs or WORK_CRS)
    return out.to_crs(f"EPSG:{epsg}" if epsg else WORK_CRS)


def write_gpkg(layers: list[tuple[LayerSpec, gpd.GeoDataFrame]], path: Path, *,
                epsg: int | None = None) -> None:
    """Every layer as a table in EPSG:3006 or ``epsg`` (times as DATETIME, lists as JSON text),
    each with its default QGIS style in ``layer_styles``."""
    if path.exists():
        path.unlink()
    styles: list[tuple[str, str, str]] = []
    for i, (spec, gdf) in enumerate(layers):
        families = _families(spec, gdf)
        geometry_type, promote = _gpkg_geometry_type(gdf, families)
        options = {"IDENTIFIER": spec.title_sv,
                   "DESCRIPTION": f"{spec.description} Ursprung: {provenance_text(gdf)}."}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(_gpkg_frame(spec, gdf, epsg=epsg), path, layer=spec.name,
                                    driver="GPKG", geometry_type=geometry_type,
                                    promote_to_multi=promote, layer_options=options,
                                    dataset_options={"VERSION": GPKG_VERSION} if i == 0 else None)
        styles.append((spec.name, families[0], spec.title_sv))
    _write_layer_styles(path, styles)


def _write_layer_styles(path: Path, styles: list[tuple[str, str, str]]) -> None:
    """The ``layer_styles`` table QGIS reads and writes, with one default style per layer."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute(_LAYER_STYLES_SQL)
            conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, "
                         "description, last_change) VALUES ('layer_styles', 'attributes', "
                         "'layer_styles', 'QGIS-stilar', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
            for layer, family, title in styles:
                column = conn.execute("SELECT column_name FROM gpkg_geometry_columns "
                                      "WHERE table_name = ?", (layer,)).fetchone()
                conn.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'Trygg', '')",
                    (layer, column[0] if column else "geom", STYLE_NAME,
                     layer_qml(layer, geometry_family(family)), f"Standardstil för {title}"))
    finally:
        conn.close()
