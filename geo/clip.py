"""Lines clipped to an area: a road network cut at the municipal boundary (NVDB, OSM)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.crs import WORK_CRS
from geo.errors import ImportRejected

MIN_PIECE_M = 0.01  # pieces shorter than this (a line touching the boundary) are left out


def area_of(boundary: Any) -> Any:
    """``boundary`` as one shapely geometry in EPSG:3006: a GeoDataFrame or GeoSeries (in its
    own CRS) or a shapely geometry already in EPSG:3006."""
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if boundary.crs is None:
            raise ImportRejected("kommungränsen (boundary) saknar koordinatsystem: ange det "
                                 "i filen, t.ex. EPSG:3006")
        return shapely.union_all(np.asarray(boundary.to_crs(WORK_CRS).geometry.values))
    return boundary


def clip_lines(gdf: gpd.GeoDataFrame, boundary: Any) -> gpd.GeoDataFrame:
    """The lines of ``gdf`` (EPSG:3006) cut to ``boundary`` (see ``area_of``; None keeps all):
    each row keeps its parts inside, merged where they meet, and a row with none is left out."""
    if boundary is None:
        return gdf
    area = area_of(boundary)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    shapely.prepare(area)
    clipped = np.where(shapely.within(geoms, area), geoms, shapely.intersection(geoms, area))
    parts, owner = shapely.get_parts(clipped, return_index=True)
    parts, inner = shapely.get_parts(parts, return_index=True)  # GeometryCollections hold multis
    owner = owner[inner]
    lines = shapely.get_type_id(parts) == 1
    kept = np.full(len(gdf), None, dtype=object)
    if lines.any():
        shapely.multilinestrings(parts[lines], indices=owner[lines], out=kept)
        used = np.unique(owner[lines])
        kept[used] = shapely.line_merge(kept[used])
    keep = ~shapely.is_missing(kept) & (shapely.length(kept) > MIN_PIECE_M)
    out = gdf.iloc[np.flatnonzero(keep)].copy()
    out.geometry = gpd.GeoSeries(kept[keep], index=out.index, crs=WORK_CRS)
    return out
