"""GeoJSON (RFC 7946) in and out: FeatureCollections in WGS84 with plain JSON property values."""

from __future__ import annotations

import json
import math
import re
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import to_web
from geo.errors import ImportRejected, collect, problem_count
from geo.formats import number_sv

COORDINATE_DECIMALS = 7  # about 1 cm in WGS84
# json's C parser recurses once per nesting level: 100,000 levels crash it (RecursionError).
# GeoJSON needs about 8 (a MultiPolygon in a FeatureCollection); JSON properties add a few.
MAX_JSON_DEPTH = 64
MAX_FEATURES = 200_000  # features one document or file may hold
_STEP = np.zeros(256, dtype=np.int8)  # +1 opens, -1 closes, 2 marks a quote
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
_STEP[ord('"')] = 2
_ESCAPE = re.compile(rb"\\.", re.DOTALL)


class JsonDepthScanner:
    """The deepest nesting of a JSON text fed in chunks, without parsing it.

    Vectorised with numpy (a third of the time ``json.loads`` takes on the same text): escapes
    are blanked, quotes toggle the in-string state and brackets outside strings move the depth.
    Malformed JSON is left to the parser; only the depth is measured.
    """

    def __init__(self) -> None:
        self.depth = 0
        self.max_depth = 0
        self._in_string = False
        self._carry = b""

    def feed(self, chunk: bytes) -> int:
        """Scan the next ``chunk``; return the deepest nesting seen so far."""
        data = self._carry + chunk
        if b"\\" in data:
            data = _ESCAPE.sub(b"__", data)
        self._carry = b""
        if data.endswith(b"\\"):  # an escape split across chunks: finish it with the next
            data, self._carry = data[:-1], b"\\"
        if not data:
            return self.max_depth
        steps = _STEP[np.frombuffer(data, dtype=np.uint8)]
        steps = steps[steps != 0]  # only quotes and brackets matter
        if not len(steps):
            return self.max_depth
        is_quote = steps == 2
        in_string = (np.cumsum(is_quote, dtype=np.int32) % 2 == 1) ^ self._in_string
        moves = np.where(in_string | is_quote, 0, steps).astype(np.int32)
        levels = self.depth + np.cumsum(moves)
        self.max_depth = max(self.max_depth, int(np.max(levels)))
        self.depth = int(levels[-1])
        self._in_string = bool(in_string[-1])
        return self.max_depth


def json_depth(text: bytes | str) -> int:
    """The deepest nesting of brackets and braces in a JSON text (strings ignored)."""
    scanner = JsonDepthScanner()
    return scanner.feed(text.encode("utf-8") if isinstance(text, str) else text)


def check_json_depth(depth: int, *, origin: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise ``ImportRejected`` naming the limit if ``depth`` is deeper than ``max_depth``."""
    if depth > max_depth:
        raise ImportRejected(f"{origin}: JSON i {number_sv(depth)} nivåer; högst {max_depth} är "
                             "tillåtna (GeoJSON behöver ungefär 8); förenkla filen")


def loads_bounded(text: str, *, origin: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after a cheap depth check, so deep nesting is a clear error, not a crash."""
    check_json_depth(json_depth(text), origin=origin, max_depth=max_depth)
    try:
        return json.loads(text)
    except RecursionError:  # only if max_depth was set above the interpreter's limit
        raise ImportRejected(f"{origin}: JSON i för många nivåer för att läsas; "
                             "förenkla filen") from None
_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon",
                   "MultiPolygon", "GeometryCollection"}


def json_value(value: Any) -> Any:
    """A property value as plain JSON: timestamps as ISO 8601, NaN/NA as null, numpy as Python."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_value(v) for v in list(value)]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, pd.Timestamp) and not pd.isna(value):
        return value.isoformat()
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _features(gdf: gpd.GeoDataFrame, id_column: str | None
              ) -> tuple[list[Any], list[dict[str, Any]], np.ndarray]:
    """The ids, plain JSON properties and WGS84 geometries (rounded) of ``gdf``'s features."""
    web = to_web(gdf) if len(gdf) else gdf
    geoms = np.asarray(web.geometry.values, dtype=object)
    geoms = shapely.transform(geoms, lambda c: np.round(c, COORDINATE_DECIMALS))
    prop_columns = [c for c in web.columns if c != web.geometry.name]
    records = [{k: json_value(v) for k, v in props.items()}
               for props in web[prop_columns].to_dict("records")]
    ids = list(web.index) if id_column == "index" else (
        list(web[id_column]) if id_column else [None] * len(web))
    return ids, records, geoms


def _feature_texts(gdf: gpd.GeoDataFrame, id_column: str | None) -> list[str]:
    ids, records, geoms = _features(gdf, id_column)
    parts = []
    for fid, props, geom in zip(ids, records, shapely.to_geojson(geoms), strict=True):
        head = '{"type":"Feature"'
        if fid is not None:
            head += ',"id":' + json.dumps(json_value(fid))
        parts.append(head + ',"geometry":' + (geom if geom is not None else "null")
                     + ',"properties":' + json.dumps(props, ensure_ascii=False) + "}")
    return parts


def feature_collection(gdf: gpd.GeoDataFrame, *, id_column: str | None = "index",
                       members: dict[str, Any] | None = None) -> str:
    """Serialise ``gdf`` as an RFC 7946 FeatureCollection (WGS84) and return the JSON text.

    ``id_column="index"`` uses the frame's index as each feature's ``id``; ``members`` are added
    as top-level members (e.g. figures or a layer's provenance).
    """
    top = {"type": "FeatureCollection"}
    top.update({k: json_value(v) for k, v in (members or {}).items()})
    head = json.dumps(top, ensure_ascii=False)[:-1]
    return head + ',"features":[' + ",".join(_feature_texts(gdf, id_column)) + "]}"


def feature_mapping(gdf: gpd.GeoDataFrame, *, id_column: str | None = "index") -> dict[str, Any]:
    """The FeatureCollection of ``feature_collection`` as a mapping of plain JSON values (the
    coordinates as tuples), for an answer that embeds it in a larger JSON document."""
    ids, records, geoms = _features(gdf, id_column)
    features = []
    for fid, props, geom in zip(ids, records, geoms, strict=True):
        feature: dict[str, Any] = {"type": "Feature"}
        if fid is not None:
            feature["id"] = json_value(fid)
        feature["geometry"] = None if geom is None else shapely.geometry.mapping(geom)
        feature["properties"] = props
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def single_feature(gdf: gpd.GeoDataFrame) -> str:
    """The first row of ``gdf`` as one GeoJSON Feature (WGS84), its index as the id."""
    return _feature_texts(gdf.iloc[:1], "index")[0]


def _geojson_crs(doc: dict[str, Any]) -> str | None:
    """The CRS named by a legacy GeoJSON ``crs`` member (GDAL and QGIS still write it)."""
    crs = doc.get("crs")
    if not isinstance(crs, dict):
        return None
    name = (crs.get("properties") or {}).get("name", "")
    if not isinstance(name, str) or not name:
        return None
    if len(name) > 200:
        raise ImportRejected("medlemmen 'crs': namnet är längre än 200 tecken; ange till "
                             "exempel EPSG:3006")
    if "CRS84" in name:
        return "EPSG:4326"
    if "EPSG" in name:
        name = "EPSG:" + name.rstrip(":").split(":")[-1]
    return checked_crs(name, origin="medlemmen 'crs'")


def checked_crs(name: str, *, origin: str) -> str:
    """``name`` if pyproj knows it as a CRS, else ``ImportRejected`` naming it."""
    try:
        pyproj.CRS.from_user_input(name)
    except (pyproj.exceptions.CRSError, TypeError, ValueError):
        raise ImportRejected(f"{origin}: {name[:80]!r} är inget känt koordinatsystem; ange till "
                             "exempel EPSG:3006 eller EPSG:4326") from None
    return name


def frame_from_geojson(doc: Any, *, origin: str, crs: str | None = None,
                       max_features: int = MAX_FEATURES) -> gpd.GeoDataFrame:
    """A GeoDataFrame from a parsed GeoJSON FeatureCollection, Feature or geometry.

    The CRS is ``crs`` if given, else the legacy ``crs`` member, else none (the validator then
    takes RFC 7946's WGS84 unless the coordinates are plainly metres). Problems name the feature;
    more than ``max_features`` features are refused before any is looked at.
    """
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    elif isinstance(doc, dict) and doc.get("type") in _GEOMETRY_TYPES:
        doc = {"type": "FeatureCollection",
               "features": [{"type": "Feature", "geometry": doc, "properties": {}}]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise ImportRejected(f"{origin}: är ingen GeoJSON FeatureCollection, Feature eller "
                             "geometri; välj en GeoJSON-fil")
    features = doc.get("features")
    if not isinstance(features, list):
        raise ImportRejected(f"{origin}: 'features' ska vara en lista")
    if len(features) > max_features:
        raise ImportRejected(f"{origin}: {number_sv(len(features))} objekt; högst "
                             f"{number_sv(max_features)} får komma i ett dokument (dela upp det)")
    if crs is not None:
        crs = checked_crs(crs, origin=origin)
    else:
        try:
            crs = _geojson_crs(doc)
        except ImportRejected as exc:
            raise ImportRejected(f"{origin}: {exc.message}") from None
    problems: list[str] = []
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for i, feature in enumerate(features):
        where = f"{origin}, objekt {i}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}: är ingen GeoJSON Feature")
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            problems.append(f"{where}: 'properties' ska vara ett objekt med egenskaper")
            continue
        geometry = feature.get("geometry")
        try:
            with warnings.catch_warnings():  # NaN coordinates are reported by the validator
                warnings.simplefilter("ignore", RuntimeWarning)
                geom = shapely.geometry.shape(geometry) if geometry else None
        except Exception as exc:  # shapely raises several classes for malformed geometry
            problems.append(f"{where}: geometri: felaktigt skriven ({exc})")
            continue
        rows.append(dict(props))
        geoms.append(geom)
    collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    frame = pd.DataFrame(rows, index=range(len(rows)))
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=frame.index), crs=crs)
