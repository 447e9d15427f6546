"""OpenStreetMap files: ways with a motor-traffic highway tag read as candidate risk roads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.clip import area_of, clip_lines
from geo.crs import WORK_CRS
from geo.errors import ImportRejected
from geo.layers import LayerSpec
from geo.io.ogr import read_ogr


# OSM highway values that carry motor traffic: candidates for risk roads.
MOTOR_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road", "track",
})


OSM_CRS = "EPSG:4326"
BOX_MARGIN_M = 1000.0  # the read box around the boundary's (a box's edges bend in WGS84)
_NO_ROADS = "filen innehåller inga vägar för motortrafik (OSM-vägar med en highway-tagg)"
_WITHIN = " inom kommungränsen; kontrollera att filen täcker kommunen"

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


def motor_where() -> str:
    """OGR SQL keeping the ways of ``MOTOR_HIGHWAYS`` (GDAL filters as it reads)."""
    return "highway IN (" + ", ".join(f"'{h}'" for h in sorted(MOTOR_HIGHWAYS)) + ")"


def read_osm(path: Path, spec: LayerSpec, *, boundary: Any = None) -> gpd.GeoDataFrame:
    """OSM roads (ways with a motor-traffic ``highway``) as candidate risk roads, weight 0.

    With ``boundary`` (EPSG:3006, see ``geo.clip.area_of``) the roads are cut to it, and GDAL
    keeps only ways in its bounding box as it streams through the file: a county or Sweden
    extract of hundreds of MB is read with memory for the municipality's roads alone (and
    GDAL's node index, which it keeps on disk beyond ``OSM_MAX_TMPFILE_SIZE``)."""
    if spec.name != "risk_roads":
        raise ImportRejected(f"{path.name}: OSM-filer importeras till risk_roads, inte {spec.name}")
    area = None if boundary is None else area_of(boundary)
    box = None if area is None else tuple(
        gpd.GeoSeries([shapely.box(*area.bounds).buffer(BOX_MARGIN_M)], crs=WORK_CRS)
        .to_crs(OSM_CRS).total_bounds)
    lines = read_ogr(str(path), origin=path.name, layer="lines", bbox=box, where=motor_where(),
                     columns=["osm_id", "name", "highway", "other_tags"])
    if "highway" not in lines:
        lines = lines.iloc[:0]
    if lines.empty:
        raise ImportRejected(f"{path.name}: {_NO_ROADS}{_WITHIN if area is not None else ''}")
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
    roads = gpd.GeoDataFrame(frame.drop(columns="osm_id"), geometry=lines.geometry.values,
                             crs=lines.crs or OSM_CRS)
    if area is None:
        return roads
    clipped = clip_lines(roads.to_crs(WORK_CRS), area).reset_index(drop=True)
    if clipped.empty:
        raise ImportRejected(f"{path.name}: {_NO_ROADS}{_WITHIN}")
    return clipped
