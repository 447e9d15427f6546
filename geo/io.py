"""Reading and writing layer files: GeoJSON, GeoPackage, zipped Shapefile, GPX, CSV and OSM.

``read_layer_file`` returns raw features (with their CRS) for ``geo.validate.prepare_features``;
``write_layer_file`` writes a layer for QGIS, ArcGIS, spreadsheets or a GPS.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geo.crs import WORK_CRS
from geo.errors import ImportRejected, collect
from geo.geojson import (
    MAX_FEATURES, checked_crs, feature_collection, frame_from_geojson, json_value, loads_bounded,
)
from geo.layers import LayerSpec

FORMATS = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shapefile",
    ".shp": "shapefile", ".gpx": "gpx", ".csv": "csv", ".osm": "osm", ".pbf": "osm",
}
EXPORT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv",
                  ".gpx": "gpx"}
MAX_UNZIPPED_BYTES = 1_000_000_000  # a zipped Shapefile may expand to at most 1 GB
MAX_ZIP_RATIO = 200  # and no member may expand more than this (zip bombs expand ~1000x)
MAX_CSV_COLUMNS = 500  # a layer has about 20 fields; 100,000 columns took pandas 35 s and 1 GB
# Triggers GDAL itself writes into a GeoPackage (spatial index, feature counts, tile checks).
_GPKG_TRIGGERS = re.compile(r"^(gpkg_\w+|rtree_\w+_(insert|update\d*|delete)"
                            r"|trigger_(insert|delete)_feature_count_\w+)$")
# OSM highway values that carry motor traffic: candidates for risk roads.
MOTOR_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road", "track",
})
LAT_NAMES = ("lat", "latitude", "latitud")
LON_NAMES = ("lon", "lng", "long", "longitude", "longitud")
EAST_NAMES = ("e", "east", "easting", "x", "sweref_e", "e_3006")
NORTH_NAMES = ("n", "north", "northing", "y", "sweref_n", "n_3006")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


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
                    source_layer: str | None = None,
                    max_bytes: int | None = None) -> gpd.GeoDataFrame:
    """Read the features of ``path`` meant for layer ``spec``, in the file's own CRS.

    ``crs`` overrides a missing or wrong CRS; ``source_layer`` picks a layer of a multi-layer
    GeoPackage; a file larger than ``max_bytes`` is refused before it is read. Raises
    ``ImportRejected`` naming the file for anything unreadable.
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
    fmt = file_format(path)
    if crs is not None:
        crs = checked_crs(crs, origin=origin)
    if fmt == "geojson":
        gdf = _read_geojson(path, crs=crs)
    elif fmt == "csv":
        gdf = _read_csv(path, crs=crs)
    elif fmt == "gpx":
        gdf = _read_gpx(path, spec)
    elif fmt == "osm":
        gdf = _read_osm(path, spec)
    elif fmt == "shapefile":
        gdf = _read_ogr(_shapefile_target(path), origin=origin, layer=source_layer,
                        max_features=MAX_FEATURES)
    else:
        _check_gpkg(path)
        gdf = _read_ogr(str(path), origin=origin, layer=source_layer or _gpkg_layer(path, spec),
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


def _read_ogr(target: str, *, origin: str, layer: str | None,
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


def _check_gpkg(path: Path) -> None:
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
    raise ImportRejected(f"{path.name}: holds layers {', '.join(layers)}; name the one to import "
                         f"(--source-layer) or call it {spec.name!r}")


def _shapefile_target(path: Path) -> str:
    if path.suffix.lower() == ".shp":
        return str(path)
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
        shps = [m.filename for m in members if m.filename.lower().endswith(".shp")
                and not m.filename.startswith("__MACOSX")]
    if len(shps) != 1:
        raise ImportRejected(f"{path.name}: a zipped Shapefile must hold exactly one .shp, "
                             f"found {len(shps)}")
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


def _read_csv(path: Path, *, crs: str | None) -> gpd.GeoDataFrame:
    text = _decode_text(path.read_bytes(), path.name)
    _check_csv_shape(text, path.name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRejected(f"{path.name}: not a readable CSV ({exc})") from None
    columns = {c.strip().lower(): c for c in frame.columns}
    lat, lon = _pick(columns, LAT_NAMES), _pick(columns, LON_NAMES)
    east, north = _pick(columns, EAST_NAMES), _pick(columns, NORTH_NAMES)
    wkt = _pick(columns, WKT_NAMES)
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
        file_crs = crs or "EPSG:4326"
    elif lat and lon:
        geoms = shapely.points(numbers(lon), numbers(lat))
        used, file_crs = [lat, lon], crs or "EPSG:4326"
    elif east and north:
        geoms = shapely.points(numbers(east), numbers(north))
        used, file_crs = [east, north], crs or WORK_CRS
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
        gdf = _read_ogr(str(path), origin=path.name, layer="waypoints")
        return gdf.rename(columns={"name": "place"} if spec.name == "traffic_checks" else {})
    points = _read_ogr(str(path), origin=path.name, layer="track_points")
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
    lines = _read_ogr(str(path), origin=path.name, layer="lines")
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


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _flat(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Attributes as flat columns: lists joined by commas, timestamps as ISO text."""
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).copy()
    for column in frame.columns:
        f = spec.field_by_name.get(column)
        kind = f.kind if f else None
        if kind == "list":
            frame[column] = [",".join(map(str, v)) if isinstance(v, list) else None
                             for v in frame[column]]
        elif kind == "datetime" or pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = [json_value(v) for v in frame[column]]
    return frame


def write_layer_file(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: str | Path, *,
                     members: dict[str, Any] | None = None) -> Path:
    """Write ``gdf`` (a layer as read from the store, indexed by id) to ``path``.

    GeoJSON: RFC 7946 in WGS84. GeoPackage: EPSG:3006, one layer named after the layer. CSV:
    WGS84 ``lat``/``lon`` for points and ``wkt`` for all geometries, formulas neutralised.
    GPX: points as waypoints (for a GPS).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ImportRejected(f"{path.name}: cannot export to {suffix!r}; use "
                             f"{', '.join(sorted(EXPORT_FORMATS))}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = EXPORT_FORMATS[suffix]
    gdf = gdf.copy()
    gdf.index.name = "id"
    if fmt == "geojson":
        path.write_text(feature_collection(gdf, members={"name": spec.name, **(members or {})}),
                        encoding="utf-8")
    elif fmt == "gpkg":
        flat = gpd.GeoDataFrame(_flat(spec, gdf).reset_index(), geometry=gdf.geometry.values,
                                crs=gdf.crs)
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(flat, path, layer=spec.name, driver="GPKG")
    elif fmt == "csv":
        web = gdf.to_crs("EPSG:4326")
        flat = _flat(spec, gdf).reset_index()
        geoms = np.asarray(web.geometry.values, dtype=object)
        is_point = shapely.get_type_id(geoms) == 0
        flat["lat"] = np.where(is_point, shapely.get_y(np.where(is_point, geoms, None)),
                               np.nan).round(7)
        flat["lon"] = np.where(is_point, shapely.get_x(np.where(is_point, geoms, None)),
                               np.nan).round(7)
        flat["wkt"] = shapely.to_wkt(web.geometry.values, rounding_precision=7)
        flat = flat.map(neutralise_formula)
        flat.to_csv(path, index=False, encoding="utf-8")
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
