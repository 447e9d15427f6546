"""A layer's attributes typed for export: each column of its field's type, lists and JSON as text,
times in local time or UTC, point coordinates, and text a spreadsheet would run neutralised."""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.geojson import (
    json_value,
)
from geo.layers import LayerSpec
from geo.periods import LOCAL_TZ
from geo.vocabulary import PROVENANCE_SV


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


_SYSTEM_KINDS = {"id": "int", "version": "int", "created_at": "datetime",
                 "updated_at": "datetime"}


def neutralise_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
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


def typed_frame(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
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


def joined(value: Any) -> str | None:
    """A list as comma-separated text (how the importers read it back)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else None


def json_text(value: Any) -> str | None:
    if value is None or (not isinstance(value, (list, tuple, dict, np.ndarray))
                         and bool(pd.isna(value))):
        return None
    return json.dumps(json_value(value), ensure_ascii=False)


def iso_times(times: pd.Series, *, local: bool) -> list[str | None]:
    """Times as ISO 8601 with their offset: Swedish local time or UTC."""
    shown = times.dt.tz_convert(LOCAL_TZ if local else "UTC")
    return [None if pd.isna(t) else t.isoformat() for t in shown]


def point_lat_lon(web: gpd.GeoDataFrame, *, decimals: int = 7
                   ) -> tuple[np.ndarray, np.ndarray]:
    """y and x (WGS84 latitude and longitude, or northing and easting) of the point features
    (NaN for other geometries)."""
    geoms = np.asarray(web.geometry.values, dtype=object)
    points = geoms.copy()
    points[shapely.get_type_id(geoms) != 0] = None
    return (np.round(shapely.get_y(points), decimals), np.round(shapely.get_x(points), decimals))


def provenance_text(gdf: gpd.GeoDataFrame) -> str:
    if "provenance" not in gdf or gdf.empty:
        return "inga objekt"
    counts = gdf["provenance"].value_counts()
    return ", ".join(f"{PROVENANCE_SV.get(str(k), str(k))} {int(v)}" for k, v in counts.items())
