"""Schematic road geometry: straight lines through gazetteer points, for demos only.

No road network of Timrå is available offline, so the demo draws each road of the gazetteer's
``roads`` section as a polyline through the points of the places it passes, in the listed order
(south to north). Such a line is NOT the road: it cuts corners, may run kilometres from the real
carriageway and its length is not the road's length. Everything built on it must say
``schematic=True``; import the real network (OpenStreetMap or Trafikverket's NVDB) with
``trygg import risk_roads FILE`` for any operational use.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WORK_CRS, require_work_crs

DUPLICATE_TOLERANCE_M = 1.0  # consecutive points closer than this are one point


def _key(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def _place_index(gazetteer: gpd.GeoDataFrame) -> dict[str, int]:
    """Name (and, where given, alias) → row position; names win over aliases."""
    index: dict[str, int] = {}
    if "aliases" in gazetteer:
        for pos, aliases in enumerate(gazetteer["aliases"].tolist()):
            if isinstance(aliases, (list, tuple, np.ndarray)):
                for alias in aliases:
                    index.setdefault(_key(alias), pos)
    for pos, name in enumerate(gazetteer["name"].tolist()):
        index[_key(name)] = pos
    return index


def schematic_roads(gazetteer: gpd.GeoDataFrame, roads: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Schematic LineStrings (EPSG:3006) for ``roads`` through ``gazetteer``'s points in order.

    ``gazetteer`` is EPSG:3006 with a ``name`` column (``aliases`` is used when present);
    ``roads`` is the gazetteer JSON's ``roads`` section (ref, name, passes, source). Places not in
    the gazetteer are skipped, consecutive duplicate points dropped (Timrå and Vivsta share a
    coordinate) and roads left with fewer than 2 points omitted. Columns: road_ref, name (the
    road's own name), places (the places used), schematic (always True), source, geometry.
    """
    gazetteer = require_work_crs(gazetteer, "gazetteer")
    if "name" not in gazetteer:
        raise ValueError("gazetteer: needs a 'name' column")
    index = _place_index(gazetteer)
    xy = shapely.get_coordinates(np.asarray(gazetteer.geometry.values, dtype=object))
    rows: list[dict[str, Any]] = []
    lines: list[shapely.LineString] = []
    for road in roads:
        used = [(p, index[_key(p)]) for p in road.get("passes", []) if _key(p) in index]
        if not used:
            continue
        pts = xy[[pos for _, pos in used]]
        names = [p for p, _ in used]
        step = np.linalg.norm(np.diff(pts, axis=0), axis=1)
        keep = np.r_[True, step >= DUPLICATE_TOLERANCE_M]
        pts = pts[keep]
        names = [n for n, k in zip(names, keep, strict=True) if k]
        if len(pts) < 2:
            continue
        rows.append({
            "road_ref": str(road.get("ref", "")),
            "name": str(road.get("name", road.get("ref", ""))),
            "places": names,
            "schematic": True,
            "source": ("Schematisk linje genom ortnamnspunkterna "
                       f"{' – '.join(names)} (inte vägnätet); vägens sträckning enligt: "
                       f"{road.get('source', 'okänd källa')}"),
        })
        lines.append(shapely.LineString(pts))
    columns = ["road_ref", "name", "places", "schematic", "source"]
    return gpd.GeoDataFrame(rows, columns=columns, geometry=lines, crs=WORK_CRS)
