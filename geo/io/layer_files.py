"""Reading and writing one layer file, or several layers in one, by the format its name gives."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import ImportRejected
from geo.geojson import (
    MAX_FEATURES, checked_crs, feature_collection, frame_from_geojson, loads_bounded,
)
from geo.layers import LayerSpec, layer_spec
from geo.io.delimited import read_csv, write_csv
from geo.io.formats import MULTI_LAYER_FORMATS, export_epsg, export_format, file_format
from geo.io.gpkg import check_gpkg, gpkg_layer, write_gpkg
from geo.io.gpx import read_gpx, write_gpx
from geo.io.ogr import read_ogr, shapefile_target
from geo.io.osm import read_osm
from geo.io.xlsx import write_xlsx


def read_layer_file(path: str | Path, spec: LayerSpec, *, crs: str | None = None,
                    source_layer: str | None = None, max_bytes: int | None = None,
                    file_type: str | None = None, boundary: Any = None) -> gpd.GeoDataFrame:
    """Read the features of ``path`` meant for layer ``spec``, in the file's own CRS.

    ``crs`` overrides a missing or wrong CRS (and names the CRS of CSV E/N columns, which
    must otherwise be unambiguous: see ``geo.crs.en_crs``); ``source_layer`` picks a layer of
    a multi-layer GeoPackage; a file larger than ``max_bytes`` is refused before it is read.
    ``file_type="nvdb"`` reads a Trafikverket NVDB delivery into risk roads with
    ``geo.nvdb.read_nvdb`` (or its ATK speed cameras into ``speed_cameras``), clipped to
    ``boundary``; an OSM file's roads are clipped to it too,
    streamed, so ``max_bytes`` does not stop a clipped OSM extract. Raises ``ImportRejected``
    naming the file for anything unreadable.
    """
    path = Path(path)
    origin = path.name
    if not path.is_file():
        raise ImportRejected(f"{path}: filen finns inte")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected(f"{origin}: filen är tom")
    # An OSM extract cut to a boundary is streamed (``read_osm``): its size is no memory risk.
    streamed = boundary is not None and file_type is None and file_format(path) == "osm"
    if max_bytes is not None and size > max_bytes and not streamed:
        raise ImportRejected(f"{origin}: {size / 1e6:,.0f} MB är mer än de "
                             f"{max_bytes / 1e6:,.0f} MB en import får vara (TRYGG_MAX_IMPORT_MB); "
                             "dela upp filen eller importera den per område")
    if crs is not None:
        crs = checked_crs(crs, origin=origin)
    if file_type is not None:
        if file_type != "nvdb":
            raise ImportRejected(f"{origin}: okänd filtyp {file_type!r}; den enda namngivna "
                                 "typen är 'nvdb' (Trafikverkets NVDB från Lastkajen)")
        return _read_nvdb(path, spec, crs=crs, boundary=boundary)
    fmt = file_format(path)
    if fmt == "geojson":
        gdf = read_geojson_file(path, crs=crs)
    elif fmt == "csv":
        gdf = read_csv(path, crs=crs)
    elif fmt == "gpx":
        gdf = read_gpx(path, spec)
    elif fmt == "osm":
        gdf = read_osm(path, spec, boundary=boundary)
    elif fmt == "shapefile":
        gdf = read_ogr(shapefile_target(path), origin=origin, layer=source_layer,
                       max_features=MAX_FEATURES)
    else:
        check_gpkg(path)
        gdf = read_ogr(str(path), origin=origin, layer=source_layer or gpkg_layer(path, spec),
                       max_features=MAX_FEATURES)
    if crs is not None and fmt not in ("geojson", "csv"):
        gdf = gdf.set_crs(crs, allow_override=True)
    if len(gdf) == 0:
        raise ImportRejected(f"{origin}: filen har inga objekt")
    return gdf


def _read_nvdb(path: Path, spec: LayerSpec, *, crs: str | None,
               boundary: Any) -> gpd.GeoDataFrame:
    """An NVDB delivery's road network (``risk_roads``) or its ATK speed cameras."""
    if spec.name not in ("risk_roads", "speed_cameras"):
        raise ImportRejected(f"{path.name}: NVDB importeras till risk_roads (vägnätet) eller "
                             f"speed_cameras (ATK-kamerorna), inte {spec.name}")
    # geo.nvdb reads its layers through geo.io.ogr and .gpkg
    from geo.nvdb import read_nvdb, read_speed_cameras

    if spec.name == "risk_roads":
        return read_nvdb(path, boundary=boundary, crs=crs)
    cameras = read_speed_cameras(path, boundary=boundary, crs=crs)
    if cameras is None:
        raise ImportRejected(f"{path.name}: NVDB-leveransen har inget ATK-lager "
                             "(ATK…Matplats); beställ det från Lastkajen")
    if cameras.empty:
        raise ImportRejected(f"{path.name}: NVDB-leveransen har inga ATK-kameror inom "
                             "kommungränsen")
    return cameras


def read_geojson_file(path: Path, *, crs: str | None) -> gpd.GeoDataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{path.name}: GeoJSON ska vara UTF-8 (RFC 7946); byte {exc.start} "
                             "är det inte; spara filen som UTF-8") from None
    try:
        doc = loads_bounded(text, origin=path.name)
    except json.JSONDecodeError as exc:
        raise ImportRejected(f"{path.name}: fel i JSON på rad {exc.lineno}, kolumn "
                             f"{exc.colno}: {exc.msg}") from None
    return frame_from_geojson(doc, origin=path.name, crs=crs)


def write_layers_file(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *,
                      exported_at: pd.Timestamp | None = None,
                      crs: str | None = None) -> Path:
    """Write several layers (name → layer as read from the store) into one ``.gpkg`` or
    ``.xlsx``: a GeoPackage table with its QGIS style, or an Excel sheet, per layer. ``crs``
    (WGS84, SWEREF 99 TM or a local zone) is the GeoPackage's CRS, or the Excel sheets' E/N
    and WKT."""
    path = Path(path)
    fmt = export_format(path)
    epsg = export_epsg(crs, path, fmt)
    if fmt not in MULTI_LAYER_FORMATS:
        raise ImportRejected(f"{path.name}: flera lager ryms i en .gpkg- eller .xlsx-fil, "
                             f"inte i {path.suffix.lower()!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    specs = [(layer_spec(name), gdf) for name, gdf in layers.items()]
    if fmt == "gpkg":
        write_gpkg(specs, path, epsg=epsg)
    else:
        when = exported_at if exported_at is not None else pd.Timestamp.now(tz="UTC")
        write_xlsx(specs, path, exported_at=when, epsg=epsg)
    return path


def write_layer_file(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: str | Path, *,
                     members: dict[str, Any] | None = None, csv_dialect: str = "rfc4180",
                     exported_at: pd.Timestamp | None = None, crs: str | None = None) -> Path:
    """Write ``gdf`` (a layer as read from the store, indexed by id) to ``path``.

    GeoJSON: RFC 7946 in WGS84. GeoPackage: EPSG:3006, DATETIME columns, lists as JSON text and
    a QGIS style. Excel: a sheet with real date-time cells in Swedish time and an "Om data"
    sheet. CSV: WGS84 ``lat``/``lon`` for points and ``wkt`` for all geometries, formulas
    neutralised, in ``csv_dialect`` ("excel": Swedish Excel; "rfc4180": plain, the default for
    machine readers). GPX: points as waypoints (for a GPS). ``crs`` exports in WGS84, SWEREF 99
    TM or a local zone (e.g. "EPSG:3014"): the GeoPackage in it; CSV with ``e_3014``/``n_3014``
    and ``wkt_3014`` columns instead of lat/lon and WGS84 WKT (the import reads them back);
    Excel with E/N and WKT in it. GeoJSON and GPX are always WGS84.
    """
    path = Path(path)
    fmt = export_format(path)
    epsg = export_epsg(crs, path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf = gdf.copy()
    gdf.index.name = "id"
    if fmt == "geojson":
        path.write_text(feature_collection(gdf, members={"name": spec.name, **(members or {})}),
                        encoding="utf-8")
    elif fmt == "gpkg":
        write_gpkg([(spec, gdf)], path, epsg=epsg)
    elif fmt == "xlsx":
        when = exported_at if exported_at is not None else pd.Timestamp.now(tz="UTC")
        write_xlsx([(spec, gdf)], path, exported_at=when, epsg=epsg)
    elif fmt == "csv":
        write_csv(spec, gdf, path, dialect=csv_dialect, epsg=epsg)
    else:
        write_gpx(gdf, spec, path)
    return path
