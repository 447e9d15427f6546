"""Coordinate reference systems: compute in SWEREF 99 TM, speak WGS84 on the web."""

from __future__ import annotations

import functools
import math

import geopandas as gpd
import pyproj

from geo.errors import CrsMismatch, ImportRejected

WORK_CRS = "EPSG:3006"  # SWEREF 99 TM, metres
WEB_CRS = "EPSG:4326"  # WGS84 longitude/latitude

# Sweden's extent with a margin, in both systems. Used to reject data that lies elsewhere and to
# catch swapped latitude/longitude (a Swedish point swapped lands in the Indian Ocean).
SWEDEN_BOUNDS_WGS84 = (10.0, 55.0, 24.5, 69.5)  # min lon, min lat, max lon, max lat
# min E, min N, max E, max N
SWEDEN_BOUNDS_3006 = (180_000.0, 6_090_000.0, 1_000_000.0, 7_700_000.0)


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


# The area EPSG:3006 is defined for (its EPSG area of use), in WGS84. A bbox is clipped to it
# before it is transformed: outside it (e.g. latitude 90) the projection gives inf or nonsense.
AREA_OF_USE_3006_WGS84 = (10.03, 54.96, 24.17, 69.07)
BBOX_GRID_M = 1000.0  # request windows are widened to this grid: few distinct cache keys
NOWHERE_3006 = (0.0, 0.0, 0.0, 0.0)  # a window no feature inside Sweden's bounds meets


@functools.cache
def _web_to_work() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(WEB_CRS, WORK_CRS, always_xy=True)


def bbox_window(text: str | None, *, grid_m: float = BBOX_GRID_M,
                ) -> tuple[float, float, float, float] | None:
    """The EPSG:3006 window of a ``minlon,minlat,maxlon,maxlat`` (WGS84) query; None for none.

    The box is clipped to EPSG:3006's area of use (so ``-180,-90,180,90`` means "everywhere"),
    transformed with densified edges and widened outward to a ``grid_m`` grid, so that nearby
    requests share one window (and one cache entry). A box outside the area gives a window that
    meets nothing. Raises ``ImportRejected`` for text that is not four finite numbers in order.
    """
    if not text:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise ImportRejected(f"bbox {text[:100]!r}: write minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ImportRejected(f"bbox {text[:100]!r}: the numbers must be finite")
    if minx > maxx or miny > maxy:
        raise ImportRejected(f"bbox {text[:100]!r}: min must not exceed max")
    a_minx, a_miny, a_maxx, a_maxy = AREA_OF_USE_3006_WGS84
    minx, miny = max(minx, a_minx), max(miny, a_miny)
    maxx, maxy = min(maxx, a_maxx), min(maxy, a_maxy)
    if minx > maxx or miny > maxy:
        return NOWHERE_3006
    e0, n0, e1, n1 = _web_to_work().transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    return (math.floor(e0 / grid_m) * grid_m, math.floor(n0 / grid_m) * grid_m,
            math.ceil(e1 / grid_m) * grid_m, math.ceil(n1 / grid_m) * grid_m)
