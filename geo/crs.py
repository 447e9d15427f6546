"""Coordinate reference systems: compute in SWEREF 99 TM, speak WGS84 on the web."""

from __future__ import annotations

import geopandas as gpd

from geo.errors import CrsMismatch

WORK_CRS = "EPSG:3006"  # SWEREF 99 TM, metres
WEB_CRS = "EPSG:4326"  # WGS84 longitude/latitude

# Sweden's extent with a margin, in both systems. Used to reject data that lies elsewhere and to
# catch swapped latitude/longitude (a Swedish point swapped lands in the Indian Ocean).
SWEDEN_BOUNDS_WGS84 = (10.0, 55.0, 24.5, 69.5)  # min lon, min lat, max lon, max lat
SWEDEN_BOUNDS_3006 = (180_000.0, 6_090_000.0, 1_000_000.0, 7_700_000.0)  # min E, min N, max E, max N


def require_work_crs(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Return ``gdf`` if it is in EPSG:3006, else raise naming the argument."""
    if gdf.crs is None or gdf.crs.to_epsg() != 3006:
        raise CrsMismatch(f"{name}: expected CRS EPSG:3006 (SWEREF 99 TM), got {gdf.crs}")
    return gdf


def to_work(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:3006 (no copy if it already is)."""
    if gdf.crs is None:
        raise CrsMismatch("GeoDataFrame has no CRS; cannot reproject to EPSG:3006")
    return gdf if gdf.crs.to_epsg() == 3006 else gdf.to_crs(WORK_CRS)


def to_web(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326 for GeoJSON and maps."""
    return gdf if gdf.crs is not None and gdf.crs.to_epsg() == 4326 else gdf.to_crs(WEB_CRS)
