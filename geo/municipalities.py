"""A Swedish municipality from its kommunkod: name, county, boundary, local SWEREF 99 zone, map.

The boundaries are the 290 shipped in ``data/sweden/municipalities.geojson`` (okfse/sweden-geojson,
CC0, from Valmyndigheten's data, simplified): properties ``id`` (kommunkod), ``kom_namn`` and
``lan_code``. The county's name comes from its code (SCB's länskoder).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.crs import LOCAL_ZONES, WEB_CRS, WORK_CRS, local_zone
from geo.errors import NotFound

BOUNDARIES_FILE = Path(__file__).resolve().parent.parent / "data" / "sweden" / \
    "municipalities.geojson"
BOUNDARY_SOURCE = ("okfse/sweden-geojson (CC0), från Valmyndighetens data, förenklad; "
                   "data/sweden/municipalities.geojson")
# SCB's county codes (länskoder) and names.
COUNTIES = {
    "01": "Stockholms län", "03": "Uppsala län", "04": "Södermanlands län",
    "05": "Östergötlands län", "06": "Jönköpings län", "07": "Kronobergs län",
    "08": "Kalmar län", "09": "Gotlands län", "10": "Blekinge län", "12": "Skåne län",
    "13": "Hallands län", "14": "Västra Götalands län", "17": "Värmlands län",
    "18": "Örebro län", "19": "Västmanlands län", "20": "Dalarnas län", "21": "Gävleborgs län",
    "22": "Västernorrlands län", "23": "Jämtlands län", "24": "Västerbottens län",
    "25": "Norrbottens län",
}


@dataclass(frozen=True)
class Municipality:
    """A municipality as Trygg sets it up: everything a store's settings and maps need."""

    kommunkod: str
    name: str
    county_code: str
    county: str
    boundary_3006: shapely.Geometry  # (Multi)Polygon in SWEREF 99 TM
    local_epsg: int  # the local SWEREF 99 zone that contains the boundary's centroid
    centre_lon: float  # the boundary's centroid, WGS84
    centre_lat: float
    extent_wgs84: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

    @property
    def local_crs(self) -> str:
        return f"EPSG:{self.local_epsg}"

    @property
    def local_zone_name(self) -> str:
        return LOCAL_ZONES[self.local_epsg]

    def boundary_layer(self) -> gpd.GeoDataFrame:
        """The boundary as one feature of the ``boundaries`` layer, in EPSG:3006."""
        return gpd.GeoDataFrame(
            {"name": [self.name], "kommunkod": [self.kommunkod], "provenance": ["real"],
             "source": [f"{BOUNDARY_SOURCE}; kommunkod {self.kommunkod}"]},
            geometry=[self.boundary_3006], crs=WORK_CRS)


@functools.cache
def _boundaries(path: Path) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    gdf["id"] = gdf["id"].astype(str).str.zfill(4)
    return gdf.to_crs(WORK_CRS)


def municipality(kommunkod: str, *, boundaries_file: str | Path | None = None) -> Municipality:
    """The municipality with ``kommunkod`` (four digits, e.g. "2262" for Timrå).

    Raises ``NotFound`` in Swedish for a code that is not one of the 290, suggesting the code
    when a municipality's name was given instead.
    """
    frame = _boundaries(Path(boundaries_file) if boundaries_file else BOUNDARIES_FILE)
    code = str(kommunkod).strip()
    rows = frame[frame["id"] == code]
    if rows.empty:
        named = frame[frame["kom_namn"].str.lower() == code.lower()]
        hint = (f"; {named['kom_namn'].iloc[0]} har kommunkod {named['id'].iloc[0]}"
                if not named.empty else "; en kommunkod är fyra siffror, t.ex. 2262 för Timrå")
        raise NotFound(f"okänd kommunkod {code[:40]!r}: den finns inte bland Sveriges "
                       f"{len(frame)} kommuner{hint}")
    row = rows.iloc[0]
    boundary = shapely.make_valid(row.geometry)
    centroid = shapely.centroid(boundary)
    to_web = pyproj.Transformer.from_crs(WORK_CRS, WEB_CRS, always_xy=True)
    lon, lat = to_web.transform(centroid.x, centroid.y)
    minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(boundary))
    extent = to_web.transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    county_code = str(row["lan_code"]).zfill(2)
    return Municipality(
        kommunkod=code, name=str(row["kom_namn"]), county_code=county_code,
        county=COUNTIES.get(county_code, f"län {county_code}"), boundary_3006=boundary,
        local_epsg=local_zone(float(lon), float(lat)), centre_lon=float(lon),
        centre_lat=float(lat),
        extent_wgs84=tuple(float(v) for v in np.round(extent, 6)),  # type: ignore[arg-type]
    )


# --- which municipality a record is in -----------------------------------------------------------

NEAREST_BOUNDARY_M = 5000.0  # the shipped boundaries are simplified: coast points fall just out


def kommunkod_at(geometries: Sequence[shapely.Geometry] | np.ndarray,
                 boundaries: Sequence[shapely.Geometry] | np.ndarray,
                 kommunkoder: Sequence[str], *,
                 max_distance_m: float = NEAREST_BOUNDARY_M) -> np.ndarray:
    """The kommunkod of each geometry (EPSG:3006): the boundary that holds a point on it
    (``shapely.point_on_surface``), else the nearest within ``max_distance_m``, else None.

    One boundary alone gives every geometry its code (a store for one municipality). Vectorised:
    one STRtree query for all geometries."""
    geoms = np.asarray(geometries, dtype=object)
    codes = np.asarray(list(kommunkoder), dtype=object)
    out = np.full(len(geoms), None, dtype=object)
    if len(codes) == 1:
        out[:] = codes[0]
        return out
    if len(codes) == 0 or len(geoms) == 0:
        return out
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(np.asarray(boundaries, dtype=object))
    inside = tree.query(points, predicate="within")
    # The first boundary holding each point (boundaries do not overlap but for slivers).
    order = np.lexsort((inside[1], inside[0]))
    rows, first = np.unique(inside[0][order], return_index=True)
    out[rows] = codes[inside[1][order][first]]
    missing = np.flatnonzero(pd.isna(out) & ~shapely.is_missing(points))
    if len(missing):
        near = tree.query_nearest(points[missing], max_distance=max_distance_m, all_matches=False)
        out[missing[near[0]]] = codes[near[1]]
    return out


def area_boundaries(kommunkoder: Sequence[str], *, boundaries_file: str | Path | None = None
                    ) -> gpd.GeoDataFrame:
    """The boundaries of several municipalities (a police area) as features of the
    ``boundaries`` layer, in the order given, in EPSG:3006; raises ``NotFound`` for an unknown
    code."""
    ms = [municipality(code, boundaries_file=boundaries_file) for code in kommunkoder]
    frames = [m.boundary_layer() for m in ms]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WORK_CRS)


def area_extent_wgs84(ms: Sequence[Municipality]) -> tuple[float, float, float, float]:
    """The extent of several municipalities together (min lon, min lat, max lon, max lat)."""
    boxes = np.array([m.extent_wgs84 for m in ms])
    return (float(boxes[:, 0].min()), float(boxes[:, 1].min()), float(boxes[:, 2].max()),
            float(boxes[:, 3].max()))
