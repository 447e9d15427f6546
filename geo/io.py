"""Reading and writing layer files: GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV and OSM.

``read_layer_file`` returns raw features (with their CRS) for ``geo.validate.prepare_features``;
``write_layer_file`` writes a layer for QGIS, ArcGIS, spreadsheets (CSV for Swedish Excel or
RFC 4180, .xlsx) or a GPS; ``write_layers_file`` writes several layers into one GeoPackage (with
QGIS styles) or Excel workbook.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import warnings
import zipfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]
import shapely

from geo.crs import EXPORT_CRS_EPSG, WORK_CRS, crs_label, en_crs, epsg_code
from geo.errors import ImportRejected, collect
from geo.geojson import (
    MAX_FEATURES, checked_crs, feature_collection, frame_from_geojson, json_value, loads_bounded,
)
from geo.layers import LayerSpec, layer_spec
from geo.periods import LOCAL_TZ
from geo.vocabulary import PROVENANCE_SV
from geo.styles import STYLE_NAME, geometry_family, layer_qml

FORMATS = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shapefile",
    ".shp": "shapefile", ".gpx": "gpx", ".csv": "csv", ".osm": "osm", ".pbf": "osm",
}
EXPORT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv",
                  ".gpx": "gpx", ".xlsx": "xlsx"}
MAX_UNZIPPED_BYTES = 1_000_000_000  # a zipped Shapefile may expand to at most 1 GB
MAX_ZIP_RATIO = 200  # and no member may expand more than this (zip bombs expand ~1000x)
MAX_CSV_COLUMNS = 500  # a layer has about 20 fields; 100,000 columns took pandas 35 s and 1 GB
# Triggers GDAL itself writes into a GeoPackage (spatial index, feature counts, tile checks).
# Table names may hold hyphens (NVDB's "NVDB-Hastighetsgrans").
_GPKG_TRIGGERS = re.compile(r"^(gpkg_\w+|rtree_.+_(insert|update\d*|delete)"
                            r"|trigger_(insert|delete)_feature_count_.+)$")
# OSM highway values that carry motor traffic: candidates for risk roads.
MOTOR_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road", "track",
})
LAT_NAMES = ("lat", "latitude", "latitud")
LON_NAMES = ("lon", "lng", "long", "longitude", "longitud")
EAST_NAMES = ("e", "east", "easting", "x", "sweref_e")
NORTH_NAMES = ("n", "north", "northing", "y", "sweref_n")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
NVDB_HINT = "; it looks like Trafikverket's NVDB: import it with --format nvdb"
# A coordinate column may name its CRS by EPSG code: e_3014/n_3014, easting_epsg3014, wkt_3014.
_NAMED_CRS = re.compile(r"^(?P<base>[a-z_]+?)[_ ]?(?:epsg[_: ]?)?(?P<code>\d{4,5})$")


def file_format(path: Path) -> str:
    """The import format named by ``path``'s suffix; raises ``ImportRejected`` for others."""
    suffix = path.suffix.lower()
    if path.name.lower().endswith(".osm.pbf"):
        return "osm"
    if suffix not in FORMATS:
        raise ImportRejected(f"{path.name}: unknown file type {suffix!r}; Trygg reads "
                             f"{', '.join(sorted(FORMATS))}")
    return FORMATS[suffix]


def read_layer_file(path: str | Path, spec: LayerSpec, *, crs: str | None = None,
                    source_layer: str | None = None, max_bytes: int | None = None,
                    file_type: str | None = None, boundary: Any = None) -> gpd.GeoDataFrame:
    """Read the features of ``path`` meant for layer ``spec``, in the file's own CRS.

    ``crs`` overrides a missing or wrong CRS (and names the CRS of CSV E/N columns, which
    must otherwise be unambiguous: see ``geo.crs.en_crs``); ``source_layer`` picks a layer of
    a multi-layer GeoPackage; a file larger than ``max_bytes`` is refused before it is read.
    ``file_type="nvdb"`` reads a Trafikverket NVDB delivery into risk roads with
    ``geo.nvdb.read_nvdb``, clipped to ``boundary``. Raises ``ImportRejected`` naming the file
    for anything unreadable.
    """
    path = Path(path)
    origin = path.name
    if not path.is_file():
        raise ImportRejected(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected(f"{origin}: the file is empty")
    if max_bytes is not None and size > max_bytes:
        raise ImportRejected(f"{origin}: {size / 1e6:,.0f} MB is more than the "
                             f"{max_bytes / 1e6:,.0f} MB an import may be (TRYGG_MAX_IMPORT_MB); "
                             "split the file or import it by area")
    if crs is not None:
        crs = checked_crs(crs, origin=origin)
    if file_type is not None:
        if file_type != "nvdb":
            raise ImportRejected(f"{origin}: unknown file type {file_type!r}; the one named "
                                 "type is 'nvdb' (Trafikverket's NVDB from Lastkajen)")
        if spec.name != "risk_roads":
            raise ImportRejected(f"{origin}: NVDB imports into risk_roads, not {spec.name}")
        from geo.nvdb import read_nvdb  # geo.nvdb reads its layers through this module

        return read_nvdb(path, boundary=boundary, crs=crs)
    fmt = file_format(path)
    if fmt == "geojson":
        gdf = _read_geojson(path, crs=crs)
    elif fmt == "csv":
        gdf = _read_csv(path, crs=crs)
    elif fmt == "gpx":
        gdf = _read_gpx(path, spec)
    elif fmt == "osm":
        gdf = _read_osm(path, spec)
    elif fmt == "shapefile":
        gdf = read_ogr(_shapefile_target(path), origin=origin, layer=source_layer,
                       max_features=MAX_FEATURES)
    else:
        check_gpkg(path)
        gdf = read_ogr(str(path), origin=origin, layer=source_layer or _gpkg_layer(path, spec),
                       max_features=MAX_FEATURES)
    if crs is not None and fmt not in ("geojson", "csv"):
        gdf = gdf.set_crs(crs, allow_override=True)
    if len(gdf) == 0:
        raise ImportRejected(f"{origin}: the file holds no features")
    return gdf


def _read_geojson(path: Path, *, crs: str | None) -> gpd.GeoDataFrame:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{path.name}: GeoJSON must be UTF-8 (RFC 7946); byte {exc.start} "
                             "is not") from None
    try:
        doc = loads_bounded(text, origin=path.name)
    except json.JSONDecodeError as exc:
        raise ImportRejected(f"{path.name}: not valid JSON at line {exc.lineno}, column "
                             f"{exc.colno}: {exc.msg}") from None
    return frame_from_geojson(doc, origin=path.name, crs=crs)


def read_ogr(target: str, *, origin: str, layer: str | None,
              max_features: int | None = None) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():  # GDAL's warnings about odd files; errors still raise
            warnings.simplefilter("ignore", RuntimeWarning)
            if max_features is not None:
                count = int(pyogrio.read_info(target, layer=layer)["features"])
                if count > max_features:
                    raise ImportRejected(f"{origin}: {count:,} features; at most "
                                         f"{max_features:,} may come in one file (split it)")
            return pyogrio.read_dataframe(target, layer=layer)
    except ImportRejected:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportRejected(f"{origin}: cannot be read ({exc})") from None
    except Exception as exc:  # GDAL reports malformed files through several classes
        raise ImportRejected(f"{origin}: cannot be read ({type(exc).__name__}: {exc})") from None


def check_gpkg(path: Path) -> None:
    """Refuse a GeoPackage whose layers are views or that carries triggers of its own.

    A view can expand a 100 kB file into millions of rows (and run SQL while GDAL reads it);
    triggers are code. The file is inspected read-only with SQLite before GDAL opens it.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ImportRejected(f"{path.name}: not a readable GeoPackage ({exc})") from None
    try:
        objects = conn.execute("SELECT type, name FROM sqlite_master "
                               "WHERE type IN ('view', 'trigger')").fetchall()
        tables = [str(r[0]) for r in conn.execute("SELECT table_name FROM gpkg_contents")]
    except sqlite3.Error as exc:
        raise ImportRejected(f"{path.name}: not a readable GeoPackage ({exc})") from None
    finally:
        conn.close()
    views = {str(name) for kind, name in objects if kind == "view"}
    layer_views = [t for t in tables if t in views]
    if layer_views:
        raise ImportRejected(f"{path.name}: layer {layer_views[0]!r} is a view, not a table; "
                             "Trygg imports only stored features (export the view as a table)")
    triggers = [str(name) for kind, name in objects
                if kind == "trigger" and not _GPKG_TRIGGERS.match(str(name))]
    if triggers:
        raise ImportRejected(f"{path.name}: holds trigger {triggers[0]!r}; Trygg does not import "
                             "GeoPackages with triggers of their own (save a plain copy)")


def _gpkg_layer(path: Path, spec: LayerSpec) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ImportRejected(f"{path.name}: not a readable GeoPackage ({exc})") from None
    if len(layers) <= 1:
        return None
    if spec.name in layers:
        return spec.name
    nvdb = any("hastighetsgrans" in name.lower() for name in layers)
    raise ImportRejected(f"{path.name}: holds layers {', '.join(layers)}; name the one to import "
                         f"(--source-layer) or call it {spec.name!r}" + (NVDB_HINT if nvdb else ""))


def zip_members(path: Path) -> list[zipfile.ZipInfo]:
    """The members of zip file ``path`` after the zip-bomb checks (total size, ratio);
    ``ImportRejected`` naming the file otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportRejected(f"{path.name}: not a valid zip file") from None
    with archive:
        members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise ImportRejected(f"{path.name}: expands to {total:,} bytes, more than the "
                             f"{MAX_UNZIPPED_BYTES:,} allowed")
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO \
                and m.file_size > 10_000_000:
            raise ImportRejected(f"{path.name}: member {m.filename!r} expands "
                                 f"{m.file_size // m.compress_size}x; refusing a zip bomb")
    return [m for m in members if not m.filename.startswith("__MACOSX")]


def _shapefile_target(path: Path) -> str:
    if path.suffix.lower() == ".shp":
        return str(path)
    members = zip_members(path)
    shps = [m.filename for m in members if m.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        nvdb = any("hastighetsgrans" in name.lower() for name in shps)
        raise ImportRejected(f"{path.name}: a zipped Shapefile must hold exactly one .shp, "
                             f"found {len(shps)}" + (NVDB_HINT if nvdb else ""))
    stem = shps[0][:-4]
    names = {m.filename.lower() for m in members}
    for needed in (".shx", ".dbf"):
        if (stem + needed).lower() not in names:
            raise ImportRejected(f"{path.name}: {shps[0]} lacks its {needed} file")
    if (stem + ".prj").lower() not in names:
        raise ImportRejected(f"{path.name}: {shps[0]} has no .prj, so its CRS is unknown; add it "
                             "or declare the CRS (e.g. --crs EPSG:3006)")
    return f"/vsizip/{path.resolve()}/{shps[0]}"


def _decode_text(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    if "\ufffd" in text:
        raise ImportRejected(f"{origin}: the text is neither UTF-8 nor Windows-1252; save it as "
                             "UTF-8")
    return text  # Excel on Swedish Windows writes Windows-1252


def _pick(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _pick_named(columns: dict[str, str], names: tuple[str, ...]
                ) -> tuple[str | None, str | None]:
    """The first column named in ``names``, bare or with an EPSG code, and that code's CRS."""
    bare = _pick(columns, names)
    if bare:
        return bare, None
    for key, column in columns.items():
        match = _NAMED_CRS.match(key)
        if match and match.group("base").rstrip("_") in names:
            return column, f"EPSG:{int(match.group('code'))}"
    return None, None


def _named_crs(origin: str, column: str, named: str | None, crs: str | None) -> str | None:
    """The CRS a column's name states, checked against an explicit ``crs``; None for none."""
    if named is None:
        return crs
    named = checked_crs(named, origin=origin)
    if crs is not None and epsg_code(crs) != epsg_code(named):
        raise ImportRejected(f"{origin}: kolumnen {column!r} anger {named} men importen anger "
                             f"{crs}; ta bort det ena")
    return named


def _check_csv_shape(text: str, origin: str) -> None:
    """Refuse more columns than ``MAX_CSV_COLUMNS`` or rows than ``MAX_FEATURES``, cheaply."""
    header = text[:1_000_000].split("\n", 1)[0]
    columns = 1 + max(header.count(sep) for sep in (",", ";", "\t"))
    if columns > MAX_CSV_COLUMNS:
        raise ImportRejected(f"{origin}: the header has {columns:,} columns; at most "
                             f"{MAX_CSV_COLUMNS} are allowed")
    rows = text.count("\n")
    if rows > MAX_FEATURES + 1:
        raise ImportRejected(f"{origin}: {rows:,} rows; at most {MAX_FEATURES:,} may come in one "
                             "file (split it)")


def _csv_separator(text: str) -> str:
    """The field separator: the one the header uses (field names hold none of them), else the
    sniffer's guess. Decimal commas and comma-separated lists in the rows of a ";" file (as
    Swedish Excel writes it) would mislead a sniffer reading the rows."""
    header = text[:100_000].split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts.values())
    if best > 0 and list(counts.values()).count(best) == 1:
        return max(counts, key=lambda sep: counts[sep])
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def _read_csv(path: Path, *, crs: str | None) -> gpd.GeoDataFrame:
    text = _decode_text(path.read_bytes(), path.name)
    _check_csv_shape(text, path.name)
    sep = _csv_separator(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRejected(f"{path.name}: not a readable CSV ({exc})") from None
    columns = {c.strip().lower(): c for c in frame.columns}
    lat, lon = _pick(columns, LAT_NAMES), _pick(columns, LON_NAMES)
    (east, east_crs), (north, north_crs) = (_pick_named(columns, EAST_NAMES),
                                            _pick_named(columns, NORTH_NAMES))
    wkt, wkt_crs = _pick_named(columns, WKT_NAMES)
    problems: list[str] = []

    def numbers(column: str) -> np.ndarray:
        values = frame[column].str.strip().str.replace(",", ".", regex=False)
        parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(np.isnan(parsed)):
            problems.append(f"{path.name}, feature {i}: field {column!r}: "
                            f"{frame[column].iloc[i]!r} is not a number")
        return parsed

    if wkt and (frame[wkt].str.strip() != "").all():
        geoms = []
        for i, value in enumerate(frame[wkt]):
            try:
                geoms.append(shapely.from_wkt(value))
            except shapely.errors.GEOSException as exc:
                problems.append(f"{path.name}, feature {i}: field {wkt!r}: not WKT ({exc})")
                geoms.append(None)
        used = [c for c in (wkt, lat, lon) if c]
        file_crs = _named_crs(path.name, wkt, wkt_crs, crs) or "EPSG:4326"
    elif lat and lon:
        geoms = shapely.points(numbers(lon), numbers(lat))
        used, file_crs = [lat, lon], crs or "EPSG:4326"
    elif east and north:
        if east_crs != north_crs:
            raise ImportRejected(f"{path.name}: kolumnerna {east!r} och {north!r} anger olika "
                                 "koordinatsystem")
        xs, ys = numbers(east), numbers(north)
        geoms = shapely.points(xs, ys)
        used = [east, north]
        file_crs = _named_crs(path.name, east, east_crs, crs) or (
            WORK_CRS if problems else en_crs(xs, ys, origin=path.name, east_column=east,
                                             north_column=north))
    else:
        raise ImportRejected(f"{path.name}: no coordinate columns; give lat/lon (WGS84), E/N "
                             "(SWEREF 99 TM) or a WKT column")
    collect(problems, f"{path.name}: {len(problems)} problem(s), nothing imported",
            error=ImportRejected)
    attrs = frame.drop(columns=used)
    attrs.columns = [c.strip() for c in attrs.columns]
    return gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index),
                            crs=file_crs)


def _read_gpx(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """GPX: tracks become patrols (one per track segment, times kept); waypoints become points."""
    if spec.name != "patrols":
        gdf = read_ogr(str(path), origin=path.name, layer="waypoints")
        return gdf.rename(columns={"name": "place"} if spec.name == "traffic_checks" else {})
    points = read_ogr(str(path), origin=path.name, layer="track_points")
    if points.empty:
        raise ImportRejected(f"{path.name}: holds no track points")
    points = points.sort_values(["track_fid", "track_seg_id", "track_seg_point_id"])
    try:
        tracks = pyogrio.read_dataframe(path, layer="tracks", columns=["name"],
                                        read_geometry=False)
    except Exception:  # names are a nicety; the points were readable
        tracks = pd.DataFrame({"name": []})
    names = {fid: name if isinstance(name, str) else "" for fid, name in enumerate(tracks["name"])}
    coords = shapely.get_coordinates(points.geometry.values)
    times = points["time"] if "time" in points else pd.Series(pd.NaT, index=points.index)
    rows, geoms = [], []
    keys = points[["track_fid", "track_seg_id"]].to_numpy()
    breaks = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
    for start, stop in zip(np.r_[0, breaks], np.r_[breaks, len(points)], strict=True):
        seg_times = times.iloc[start:stop]
        xy = coords[start:stop]
        geom = shapely.linestrings(xy) if len(xy) >= 2 else shapely.points(xy[0])
        timed = bool(seg_times.notna().all())
        iso = _iso_utc(seg_times) if timed else None
        rows.append({
            "unit": names.get(int(keys[start][0]), ""),
            "kind": "fot",
            "start": iso[0] if iso else None,
            "end": iso[-1] if iso else None,
            "times": iso,
        })
        geoms.append(geom)
    return gpd.GeoDataFrame(rows, geometry=geoms, crs="EPSG:4326")


def _iso_utc(times: pd.Series) -> list[str]:
    """Timestamps as ISO 8601 text in UTC ("2024-03-01T18:00:00+00:00"), vectorised."""
    utc = pd.to_datetime(times, utc=True)
    fmt = "%Y-%m-%dT%H:%M:%S.%f+00:00" if (utc.dt.microsecond != 0).any() \
        else "%Y-%m-%dT%H:%M:%S+00:00"
    return utc.dt.strftime(fmt).tolist()


_OTHER_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def parse_other_tags(text: Any) -> dict[str, str]:
    """OSM tags from GDAL's hstore ``other_tags`` text: '"ref"=>"E 4","maxspeed"=>"100"'."""
    return dict(_OTHER_TAG.findall(text)) if isinstance(text, str) else {}


def parse_maxspeed(value: str | None) -> int | None:
    """OSM ``maxspeed`` in km/h ("70", "50 km/h", "30 mph", "SE:urban"); None if not numeric."""
    if not value:
        return None
    match = re.match(r"^\s*(\d+)\s*(mph|km/h|kmh)?", value)
    if not match:
        return {"SE:urban": 50, "SE:rural": 70, "SE:motorway": 110}.get(value.strip())
    speed = int(match.group(1))
    return round(speed * 1.609) if match.group(2) == "mph" else speed


def _read_osm(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """OSM roads (ways with a motor-traffic ``highway``) as candidate risk roads, weight 0."""
    if spec.name != "risk_roads":
        raise ImportRejected(f"{path.name}: OSM files import into risk_roads, not {spec.name}")
    lines = read_ogr(str(path), origin=path.name, layer="lines")
    lines = lines[lines["highway"].isin(MOTOR_HIGHWAYS)] if "highway" in lines else lines.iloc[:0]
    if lines.empty:
        raise ImportRejected(f"{path.name}: holds no roads (ways with a motor-traffic highway tag)")
    tags = [parse_other_tags(t) for t in lines.get("other_tags", [None] * len(lines))]
    refs = [t.get("ref", "").replace(" ", "").split(";")[0] or None for t in tags]
    names = [n if isinstance(n, str) and n else (r or h) for n, r, h in
             zip(lines["name"], refs, lines["highway"], strict=True)]
    frame = pd.DataFrame({
        "name": names,
        "road_ref": refs,
        "highway": lines["highway"].to_numpy(),
        "speed_limit_kmh": [parse_maxspeed(t.get("maxspeed")) for t in tags],
        "risk_weight": 0.0,
        "risk_categories": [[] for _ in tags],
        "note": "Kandidat från OpenStreetMap: ange riskkategorier och riskvikt",
        "osm_id": lines["osm_id"].to_numpy(),
    })
    frame["source"] = [f"OpenStreetMap way {i} (© OpenStreetMap-bidragsgivare, ODbL)"
                       for i in frame["osm_id"]]
    return gpd.GeoDataFrame(frame.drop(columns="osm_id"), geometry=lines.geometry.values,
                            crs=lines.crs or "EPSG:4326")


# --- export ---------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EMPTY_GPX = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<gpx version="1.1" creator="Trygg" xmlns="http://www.topografix.com/GPX/1/1">'
             "</gpx>\n")
# CSV dialects: "excel" opens right in Swedish Excel and LibreOffice (sv_SE): UTF-8 with BOM,
# ";" between fields, decimal comma, Swedish local times with their UTC offset. "rfc4180" is the
# plain machine format: UTF-8 without BOM, ",", decimal point, times in UTC.
CSV_DIALECTS = ("excel", "rfc4180")
MULTI_LAYER_FORMATS = ("gpkg", "xlsx")  # the formats that hold several layers in one file
XLSX_MAX_CELL = 32_767  # characters in one Excel cell
XLSX_ABOUT_SHEET = "Om data"
XLSX_LOCAL_TIME = "svensk tid"
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
GPKG_VERSION = "1.2"  # read by every QGIS 3 and by GDAL older than the one pyogrio ships
_SYSTEM_KINDS = {"id": "int", "version": "int", "created_at": "datetime",
                 "updated_at": "datetime"}
_SYSTEM_LABELS_SV = {"id": "id", "created_at": "Skapad", "updated_at": "Ändrad",
                     "version": "Version"}
_LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
    styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
"""


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _kind(spec: LayerSpec, column: str, values: pd.Series) -> str:
    f = spec.field_by_name.get(column)
    if f is not None:
        return f.kind
    if column in _SYSTEM_KINDS:
        return _SYSTEM_KINDS[column]
    return "datetime" if pd.api.types.is_datetime64_any_dtype(values) else "other"


def _text(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    return str(value)


def _typed(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The attributes with ``id`` first, each column of its field's type (times as UTC
    datetime64, whole numbers as Int64, flags as boolean), and the kind of every column."""
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
    if "id" not in frame.columns:
        frame.insert(0, "id", np.asarray(gdf.index))
    kinds: dict[str, str] = {}
    for column in frame.columns:
        kind = kinds[column] = _kind(spec, column, frame[column])
        values = frame[column]
        if kind == "datetime":
            frame[column] = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
        elif kind == "int":
            frame[column] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif kind == "float":
            frame[column] = pd.to_numeric(values, errors="coerce").astype(float)
        elif kind == "bool":
            frame[column] = values.astype("boolean")
        elif kind == "text":
            frame[column] = pd.Series([_text(v) for v in values], dtype=object)
    return frame, kinds


def _joined(value: Any) -> str | None:
    """A list as comma-separated text (how the importers read it back)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else None


def _json_text(value: Any) -> str | None:
    if value is None or (not isinstance(value, (list, tuple, dict, np.ndarray))
                         and bool(pd.isna(value))):
        return None
    return json.dumps(json_value(value), ensure_ascii=False)


def _iso(times: pd.Series, *, local: bool) -> list[str | None]:
    """Times as ISO 8601 with their offset: Swedish local time or UTC."""
    shown = times.dt.tz_convert(LOCAL_TZ if local else "UTC")
    return [None if pd.isna(t) else t.isoformat() for t in shown]


def _point_lat_lon(web: gpd.GeoDataFrame, *, decimals: int = 7
                   ) -> tuple[np.ndarray, np.ndarray]:
    """y and x (WGS84 latitude and longitude, or northing and easting) of the point features
    (NaN for other geometries)."""
    geoms = np.asarray(web.geometry.values, dtype=object)
    points = geoms.copy()
    points[shapely.get_type_id(geoms) != 0] = None
    return (np.round(shapely.get_y(points), decimals), np.round(shapely.get_x(points), decimals))


def _csv_frame(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, local: bool,
               epsg: int | None = None) -> pd.DataFrame:
    frame, kinds = _typed(spec, gdf)
    for column, kind in kinds.items():
        if kind == "list":
            frame[column] = pd.Series([_joined(v) for v in frame[column]], dtype=object)
        elif kind == "json":
            frame[column] = pd.Series([_json_text(v) for v in frame[column]], dtype=object)
        elif kind == "datetime":
            frame[column] = pd.Series(_iso(frame[column], local=local), dtype=object)
    if epsg is None or epsg == 4326:
        web = gdf.to_crs("EPSG:4326")
        frame["lat"], frame["lon"] = _point_lat_lon(web)
        frame["wkt"] = shapely.to_wkt(web.geometry.values, rounding_precision=7)
    else:  # columns that name their CRS, so that the import reads them back unasked
        local_gdf = gdf.to_crs(f"EPSG:{epsg}")
        north, east = _point_lat_lon(local_gdf, decimals=3)
        frame[f"e_{epsg}"], frame[f"n_{epsg}"] = east, north
        frame[f"wkt_{epsg}"] = shapely.to_wkt(local_gdf.geometry.values, rounding_precision=3)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_formula)
    return frame


def _write_csv(spec: LayerSpec, gdf: gpd.GeoDataFrame, path: Path, *, dialect: str,
               epsg: int | None = None) -> None:
    """CSV in ``dialect`` (see ``CSV_DIALECTS``); text a spreadsheet would run is neutralised."""
    if dialect not in CSV_DIALECTS:
        raise ImportRejected(f"{path.name}: unknown CSV dialect {dialect!r}; use "
                             f"{' or '.join(CSV_DIALECTS)}")
    excel = dialect == "excel"
    frame = _csv_frame(spec, gdf, local=excel, epsg=epsg)
    frame.to_csv(path, index=False, sep=";" if excel else ",", decimal="," if excel else ".",
                 encoding="utf-8-sig" if excel else "utf-8", lineterminator="\r\n")


# GeoPackage ---------------------------------------------------------------------------------------

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
    frame, kinds = _typed(spec, gdf)
    for column, kind in kinds.items():
        if kind in ("list", "json"):
            frame[column] = pd.Series([_json_text(v) for v in frame[column]], dtype=object)
        elif kind == "datetime":
            frame[column] = frame[column].astype("datetime64[ms, UTC]")
    out = gpd.GeoDataFrame(frame, geometry=np.asarray(gdf.geometry.values),
                           crs=gdf.crs or WORK_CRS)
    return out.to_crs(f"EPSG:{epsg}" if epsg else WORK_CRS)


def _provenance_text(gdf: gpd.GeoDataFrame) -> str:
    if "provenance" not in gdf or gdf.empty:
        return "inga objekt"
    counts = gdf["provenance"].value_counts()
    return ", ".join(f"{PROVENANCE_SV.get(str(k), str(k))} {int(v)}" for k, v in counts.items())


def _write_gpkg(layers: list[tuple[LayerSpec, gpd.GeoDataFrame]], path: Path, *,
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
                   "DESCRIPTION": f"{spec.description} Ursprung: {_provenance_text(gdf)}."}
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


# Excel --------------------------------------------------------------------------------------------

def _xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    text = str(ILLEGAL_CHARACTERS_RE.sub("", value))
    if len(text) > XLSX_MAX_CELL:
        marker = " … [avkortad: hela värdet finns i GeoPackage/GeoJSON-exporten]"
        text = text[:XLSX_MAX_CELL - len(marker)] + marker
    return text


def _xlsx_value(value: Any) -> Any:
    """A Python value openpyxl writes as a number, flag, date-time or text cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(LOCAL_TZ).tz_localize(None).to_pydatetime() \
            if value.tzinfo is not None else value.to_pydatetime()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return _xlsx_text(str(value))


def _xlsx_columns(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, epsg: int | None = None
                  ) -> list[tuple[str, list[Any], str | None]]:
    """(header, values, number format) per column of a layer's sheet; with a projected
    ``epsg`` the points also get E/N in it and the WKT is in it."""
    frame, kinds = _typed(spec, gdf)
    columns: list[tuple[str, list[Any], str | None]] = []
    for column, kind in kinds.items():
        f = spec.field_by_name.get(column)
        label = f.label_sv if f else _SYSTEM_LABELS_SV.get(column, column)
        values = frame[column]
        if kind == "datetime":
            columns.append((f"{label} ({XLSX_LOCAL_TIME})", list(values),
                            XLSX_DATETIME_FORMAT))
        elif kind == "list":
            columns.append((label, [_joined(v) for v in values], None))
        elif kind == "json":
            columns.append((label, [_json_text(v) for v in values], None))
        else:
            columns.append((label, values.astype(object).tolist(), None))
    web = gdf.to_crs("EPSG:4326")
    if (web.geom_type == "Point").any():
        lat, lon = _point_lat_lon(web)
        columns.append(("Latitud (WGS84)", lat.tolist(), "0.0000000"))
        columns.append(("Longitud (WGS84)", lon.tolist(), "0.0000000"))
    if epsg is None or epsg == 4326:
        columns.append(("Geometri (WKT, WGS84)",
                        list(shapely.to_wkt(web.geometry.values, rounding_precision=6)), None))
        return columns
    local_gdf = gdf.to_crs(f"EPSG:{epsg}")
    if (local_gdf.geom_type == "Point").any():
        north, east = _point_lat_lon(local_gdf, decimals=3)
        columns.append((f"E ({crs_label(epsg)})", east.tolist(), "0.000"))
        columns.append((f"N ({crs_label(epsg)})", north.tolist(), "0.000"))
    columns.append((f"Geometri (WKT, {crs_label(epsg)})",
                    list(shapely.to_wkt(local_gdf.geometry.values, rounding_precision=3)), None))
    return columns


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Lager"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.lower())
    return name


def _xlsx_cell(sheet: Any, value: Any, number_format: str | None, *,
               bold: bool = False) -> Any:
    """One write-only cell; text is always a text cell (data_type 's'), never a formula."""
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    value = _xlsx_value(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise take "=…" for a formula
        if value.startswith(_FORMULA_START):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    elif isinstance(value, datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif number_format and value is not None:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _width(header: str, values: list[Any]) -> float:
    sample = [len(str(v)) for v in values[:500] if v is not None and not
              (isinstance(v, float) and np.isnan(v))]
    longest = max([len(header), *(min(n, 60) for n in sample)])
    return float(min(max(longest + 2, 8), 62))


def _write_sheet(workbook: Any, title: str, columns: list[tuple[str, list[Any], str | None]]
                 ) -> None:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    sheet = workbook.create_sheet(title)
    rows = len(columns[0][1]) if columns else 0
    sheet.freeze_panes = "A2"
    for i, (header, values, number_format) in enumerate(columns, start=1):
        width = 20.0 if number_format == XLSX_DATETIME_FORMAT else _width(header, values)
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{rows + 1}"
    sheet.append([_xlsx_cell(sheet, header, None, bold=True) for header, _, _ in columns])
    formats = [number_format for _, _, number_format in columns]
    for row in zip(*(values for _, values, _ in columns), strict=True):
        sheet.append([_xlsx_cell(sheet, v, fmt) for v, fmt in zip(row, formats, strict=True)])


def _about_rows(layers: list[tuple[LayerSpec, gpd.GeoDataFrame, str]],
                exported_at: pd.Timestamp, *, epsg: int | None = None) -> list[list[Any]]:
    where = ("Latitud och longitud i WGS84 (EPSG:4326); geometrin som WKT i WGS84. "
             if epsg is None or epsg == 4326 else
             f"Latitud och longitud i WGS84 (EPSG:4326); E/N och geometrin som WKT i "
             f"{crs_label(epsg)}. ")
    rows: list[list[Any]] = [
        ["Export från Trygg"],
        [f"Exporterad ({XLSX_LOCAL_TIME})", exported_at],
        ["Tider", "Alla tider är svensk tid (Europe/Stockholm) utan tidszon: Excel har inga "
                  "tidszoner. GeoPackage- och GeoJSON-exporten har tider med tidszon."],
        ["Koordinater", where + "Beräkningar görs i SWEREF 99 TM (EPSG:3006)."],
        ["Ursprung", "verklig = förstahandsuppgift; härledd = beräknad ur verkliga källor; "
                     "illustrativ och simulerad = påhittade exempel, inte verkliga händelser."],
        [],
        ["Flik", "Lager", "Antal objekt", "Ursprung", "Källor", "Beskrivning"],
    ]
    for spec, gdf, title in layers:
        sources = [str(s) for s in dict.fromkeys(gdf["source"].dropna())] \
            if "source" in gdf else []
        shown = "; ".join(sources[:10]) + (f" (och {len(sources) - 10} till)"
                                           if len(sources) > 10 else "")
        rows.append([title, spec.name, len(gdf), _provenance_text(gdf), shown,
                     spec.description])
    return rows


def _write_xlsx(layers: list[tuple[LayerSpec, gpd.GeoDataFrame]], path: Path, *,
                exported_at: pd.Timestamp, epsg: int | None = None) -> None:
    """One sheet per layer (header bold and frozen, autofilter, widths) and an "Om data" sheet
    with each layer's provenance and the export time."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    used = {XLSX_ABOUT_SHEET.lower()}
    titled = []
    for spec, gdf in layers:
        title = _sheet_title(spec.title_sv, used)
        _write_sheet(workbook, title, _xlsx_columns(spec, gdf, epsg=epsg))
        titled.append((spec, gdf, title))
    about = workbook.create_sheet(XLSX_ABOUT_SHEET)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 24
    for letter in "CDEF":
        about.column_dimensions[letter].width = 40
    for i, row in enumerate(_about_rows(titled, exported_at, epsg=epsg)):
        about.append([_xlsx_cell(about, v, None, bold=i in (0, 6) or j == 0)
                      for j, v in enumerate(row)])
    workbook.save(path)


# Writing files ------------------------------------------------------------------------------------

def _export_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ImportRejected(f"{path.name}: cannot export to {suffix!r}; use "
                             f"{', '.join(sorted(EXPORT_FORMATS))}")
    return EXPORT_FORMATS[suffix]


def _export_epsg(crs: str | None, path: Path, fmt: str) -> int | None:
    """The EPSG code an export is written in: None for the format's default, else WGS84,
    SWEREF 99 TM or a local zone; GeoJSON and GPX are WGS84 by definition."""
    if crs is None:
        return None
    epsg = epsg_code(crs)
    if epsg not in EXPORT_CRS_EPSG:
        raise ImportRejected(f"{path.name}: kan inte exportera i {crs[:80]!r}; välj WGS84 "
                             "(EPSG:4326), SWEREF 99 TM (EPSG:3006) eller en lokal SWEREF 99-zon "
                             "(EPSG:3007–3018)")
    if fmt in ("geojson", "gpx") and epsg != 4326:
        raise ImportRejected(f"{path.name}: {fmt.upper()} är alltid WGS84 (EPSG:4326); exportera "
                             f"som .gpkg, .csv eller .xlsx för {crs_label(epsg)}")
    return epsg


def write_layers_file(layers: Mapping[str, gpd.GeoDataFrame], path: str | Path, *,
                      exported_at: pd.Timestamp | None = None,
                      crs: str | None = None) -> Path:
    """Write several layers (name → layer as read from the store) into one ``.gpkg`` or
    ``.xlsx``: a GeoPackage table with its QGIS style, or an Excel sheet, per layer. ``crs``
    (WGS84, SWEREF 99 TM or a local zone) is the GeoPackage's CRS, or the Excel sheets' E/N
    and WKT."""
    path = Path(path)
    fmt = _export_format(path)
    epsg = _export_epsg(crs, path, fmt)
    if fmt not in MULTI_LAYER_FORMATS:
        raise ImportRejected(f"{path.name}: several layers go into one .gpkg or .xlsx file, "
                             f"not {path.suffix.lower()!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    specs = [(layer_spec(name), gdf) for name, gdf in layers.items()]
    if fmt == "gpkg":
        _write_gpkg(specs, path, epsg=epsg)
    else:
        when = exported_at if exported_at is not None else pd.Timestamp.now(tz="UTC")
        _write_xlsx(specs, path, exported_at=when, epsg=epsg)
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
    fmt = _export_format(path)
    epsg = _export_epsg(crs, path, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    gdf = gdf.copy()
    gdf.index.name = "id"
    if fmt == "geojson":
        path.write_text(feature_collection(gdf, members={"name": spec.name, **(members or {})}),
                        encoding="utf-8")
    elif fmt == "gpkg":
        _write_gpkg([(spec, gdf)], path, epsg=epsg)
    elif fmt == "xlsx":
        when = exported_at if exported_at is not None else pd.Timestamp.now(tz="UTC")
        _write_xlsx([(spec, gdf)], path, exported_at=when, epsg=epsg)
    elif fmt == "csv":
        _write_csv(spec, gdf, path, dialect=csv_dialect, epsg=epsg)
    else:
        web = gdf.to_crs("EPSG:4326")
        web = web[web.geom_type == "Point"]
        if web.empty:  # GDAL cannot create a GPX layer without features
            path.write_text(EMPTY_GPX, encoding="utf-8")
            return path
        name = web.get("place", web.get("name", pd.Series("", index=web.index)))
        out = gpd.GeoDataFrame({"name": [f"{spec.title_sv} {i}: {n}" for i, n in
                                         zip(web.index, name.fillna(""), strict=True)]},
                               geometry=web.geometry.values, crs="EPSG:4326")
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(out, path, layer="waypoints", driver="GPX")
    return path
