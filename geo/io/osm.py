"""OpenStreetMap files: ways with a motor-traffic highway tag read as candidate risk roads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.errors import ImportRejected
from geo.layers import LayerSpec
from geo.io.ogr import read_ogr


# OSM highway values that carry motor traffic: candidates for risk roads.
MOTOR_HIGHWAYS = frozenset({
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road", "track",
})


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


def read_osm(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
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
