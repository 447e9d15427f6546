"""GPX: tracks read as patrols (one per segment, times kept) or waypoints as points, and points
written as waypoints for a GPS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]
import shapely

from geo.errors import ImportRejected
from geo.layers import LayerSpec
from geo.periods import LOCAL_TZ
from geo.io.ogr import read_ogr


EMPTY_GPX = ('<?xml version="1.0" encoding="UTF-8"?>\n'
             '<gpx version="1.1" creator="Trygg" xmlns="http://www.topografix.com/GPX/1/1">'
             "</gpx>\n")


def read_gpx(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """GPX: tracks become patrols (one per track segment, times kept); waypoints become points."""
    if spec.name != "patrols":
        gdf = read_ogr(str(path), origin=path.name, layer="waypoints")
        return gdf.rename(columns={"name": "place"} if spec.name == "traffic_checks" else {})
    points = read_ogr(str(path), origin=path.name, layer="track_points")
    if points.empty:
        raise ImportRejected(f"{path.name}: har inga spårpunkter; välj en GPX-fil med ett spår")
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


def write_gpx(gdf: gpd.GeoDataFrame, spec: LayerSpec, path: Path) -> None:
    """The point features of ``gdf`` as GPX waypoints named by layer, id and place (for a GPS),
    an area (an unsafe place drawn as a polygon) as one at a point inside it; a file without
    waypoints when there are none."""
    web = gdf.to_crs("EPSG:4326")
    web = web[web.geom_type.isin(("Point", "Polygon", "MultiPolygon")).to_numpy()]
    if not web.empty:
        web = web.set_geometry(shapely.point_on_surface(np.asarray(web.geometry.values)),
                               crs=web.crs)
    if web.empty:  # GDAL cannot create a GPX layer without features
        path.write_text(EMPTY_GPX, encoding="utf-8")
        return
    name = web.get("place", web.get("name", pd.Series("", index=web.index)))
    columns = {"name": [f"{spec.title_sv} {i}: {n}" for i, n in
                        zip(web.index, name.fillna(""), strict=True)]}
    when = _local_span(web)
    if when is not None:
        columns["desc"] = when
    out = gpd.GeoDataFrame(columns, geometry=web.geometry.values, crs="EPSG:4326")
    if path.exists():
        path.unlink()
    pyogrio.write_dataframe(out, path, layer="waypoints", driver="GPX")


def _local_span(web: gpd.GeoDataFrame) -> list[str] | None:
    """Each feature's time (``start``–``end``, or ``time``) as Swedish local time for a GPS's
    description ("2024-09-01 18:00–20:00 svensk tid"), or None when the layer has no times."""
    column = "start" if "start" in web else "time" if "time" in web else None
    if column is None:
        return None
    first = pd.to_datetime(web[column], utc=True, format="ISO8601").dt.tz_convert(LOCAL_TZ)
    last = pd.to_datetime(web["end"] if "end" in web else pd.Series(pd.NaT, index=web.index),
                          utc=True, format="ISO8601").dt.tz_convert(LOCAL_TZ)
    text = []
    for a, b in zip(first, last, strict=True):
        if pd.isna(a):
            text.append("")
        elif pd.isna(b):
            text.append(f"{a:%Y-%m-%d %H:%M} svensk tid")
        else:
            end = f"{b:%H:%M}" if b.date() == a.date() else f"{b:%Y-%m-%d %H:%M}"
            text.append(f"{a:%Y-%m-%d %H:%M}–{end} svensk tid")
    return text
