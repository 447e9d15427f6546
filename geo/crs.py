"""Coordinate reference systems: compute in SWEREF 99 TM, speak WGS84 on the web."""

from __future__ import annotations

import functools
import math

import geopandas as gpd
import numpy as np
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
        raise CrsMismatch(f"{name}: ska vara i EPSG:3006 (SWEREF 99 TM), inte {gdf.crs}")
    return gdf


def to_work(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to EPSG:3006 (no copy if it already is)."""
    if gdf.crs is None:
        raise CrsMismatch("GeoDataFrame saknar koordinatsystem och kan inte räknas om till "
                          "EPSG:3006; ange koordinatsystemet")
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
        raise ImportRejected(f"bbox {text[:100]!r}: skriv minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ImportRejected(f"bbox {text[:100]!r}: talen ska vara ändliga")
    if minx > maxx or miny > maxy:
        raise ImportRejected(f"bbox {text[:100]!r}: min får inte vara större än max")
    a_minx, a_miny, a_maxx, a_maxy = AREA_OF_USE_3006_WGS84
    minx, miny = max(minx, a_minx), max(miny, a_miny)
    maxx, maxy = min(maxx, a_maxx), min(maxy, a_maxy)
    if minx > maxx or miny > maxy:
        return NOWHERE_3006
    e0, n0, e1, n1 = _web_to_work().transform_bounds(minx, miny, maxx, maxy, densify_pts=21)
    return (math.floor(e0 / grid_m) * grid_m, math.floor(n0 / grid_m) * grid_m,
            math.ceil(e1 / grid_m) * grid_m, math.ceil(n1 / grid_m) * grid_m)


# --- SWEREF 99 local zones ------------------------------------------------------------------------
# Lantmäteriet's twelve local projections for municipal use: transverse Mercator, scale 1, false
# easting 150 000 m, false northing 0, each with its own central meridian (the zone's name).
LOCAL_ZONES: dict[int, str] = {
    3007: "SWEREF 99 12 00", 3008: "SWEREF 99 13 30", 3009: "SWEREF 99 15 00",
    3010: "SWEREF 99 16 30", 3011: "SWEREF 99 18 00", 3012: "SWEREF 99 14 15",
    3013: "SWEREF 99 15 45", 3014: "SWEREF 99 17 15", 3015: "SWEREF 99 18 45",
    3016: "SWEREF 99 20 15", 3017: "SWEREF 99 21 45", 3018: "SWEREF 99 23 15",
}
CRS_NAMES: dict[int, str] = {4326: "WGS 84", 3006: "SWEREF 99 TM", **LOCAL_ZONES}
# The CRSs Trygg exports in: WGS84, SWEREF 99 TM and the local zones.
EXPORT_CRS_EPSG = tuple(CRS_NAMES)

# Eastings, in metres, of Sweden's 290 municipal boundaries (okfse/sweden-geojson, the shipped
# data/sweden/municipalities.geojson) computed with pyproj; tests/test_crs.py recomputes them.
# SWEREF 99 TM: 266 646 (Strömstad's outer islands) to 920 877 (Haparanda), widened by 6 km for
# the simplified coastline. A local zone, for the part of Sweden inside the zone's EPSG area of
# use: -57 936 (20 15's western mountains) to 289 425 (20 15 at the Finnish border); most zones
# stay within 35 000-241 000. Eastings below TM_EASTING_SWEDEN_M[0] cannot be SWEREF 99 TM in
# Sweden; 260 000-289 425 is the band where a file could be either, and ``en_crs`` decides it by
# where the points land (see there).
TM_EASTING_SWEDEN_M = (260_000.0, 927_000.0)
LOCAL_EASTING_SWEDEN_M = (-58_000.0, 290_000.0)


@functools.cache
def _area_of_use(epsg: int) -> tuple[float, float, float, float]:
    area = pyproj.CRS.from_epsg(epsg).area_of_use
    assert area is not None  # every SWEREF 99 CRS has one in the EPSG database
    return area.bounds


@functools.cache
def _to_wgs84(epsg: int) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(f"EPSG:{epsg}", WEB_CRS, always_xy=True)


def central_meridian(epsg: int) -> float:
    """The central meridian (degrees east) of SWEREF 99 TM or a local zone."""
    return 15.0 if epsg == 3006 else float(LOCAL_ZONES[epsg].split()[2]) \
        + float(LOCAL_ZONES[epsg].split()[3]) / 60


def epsg_code(crs: str | int | pyproj.CRS) -> int | None:
    """The EPSG code of ``crs`` (text, number or CRS), or None when it has none."""
    try:
        return pyproj.CRS.from_user_input(crs).to_epsg()
    except pyproj.exceptions.CRSError:
        return None


def crs_label(epsg: int) -> str:
    """'EPSG:3014 (SWEREF 99 17 15)'."""
    return f"EPSG:{epsg} ({CRS_NAMES[epsg]})" if epsg in CRS_NAMES else f"EPSG:{epsg}"


def zones_containing(lon: float, lat: float) -> list[int]:
    """The local zones whose EPSG area of use contains the WGS84 point, nearest central
    meridian first (the areas overlap: Timrå lies in both 17 15's and 18 45's)."""
    inside = [epsg for epsg in LOCAL_ZONES
              if _area_of_use(epsg)[0] <= lon <= _area_of_use(epsg)[2]
              and _area_of_use(epsg)[1] <= lat <= _area_of_use(epsg)[3]]
    return sorted(inside, key=lambda epsg: abs(central_meridian(epsg) - lon))


def local_zone(lon: float, lat: float) -> int:
    """The local SWEREF 99 zone for a place in Sweden: of the zones whose area of use contains
    it, the one whose central meridian is nearest. Lantmäteriet assigns each municipality a zone;
    this rule gives the assigned one for Timrå, Sundsvall, Härnösand (17 15), Mora (15 00) and
    Boden (21 45), but check a municipality's own choice. Raises ``ImportRejected`` outside."""
    zones = zones_containing(lon, lat)
    if not zones:
        raise ImportRejected(f"{lon:.4f}, {lat:.4f} (WGS84) ligger i ingen SWEREF 99-zon: platsen "
                             "är inte i Sverige")
    return zones[0]


# EPSG's areas of use are boxes rounded to 0.01°, and Lantmäteriet gives each municipality one
# zone: the shipped boundaries reach up to 0.1° beyond their zone's box (Nordanstig, Gävle).
AREA_MARGIN_DEG = 0.1


def _fits(epsg: int, east: np.ndarray, north: np.ndarray) -> tuple[float, float, float]:
    """The share of the points that, read in ``epsg``, lie in that CRS's area of use (a local
    zone's widened by ``AREA_MARGIN_DEG``); and the points' centre in WGS84."""
    lon, lat = _to_wgs84(epsg).transform(east, north)
    margin = 0.0 if epsg == 3006 else AREA_MARGIN_DEG
    west, south, east_edge, north_edge = _area_of_use(epsg)
    inside = np.isfinite(lon) & (lon >= west - margin) & (lon <= east_edge + margin) \
        & (lat >= south - margin) & (lat <= north_edge + margin)
    share = float(inside.mean()) if len(inside) else 0.0
    return share, float(np.nanmean(lon)), float(np.nanmean(lat))


def _sv_degrees(lon: float, lat: float) -> str:
    return f"{lon:.2f}° O {lat:.2f}° N".replace(".", ",")


def _sv_metres(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def en_crs(east: np.ndarray, north: np.ndarray, *, origin: str, east_column: str,
           north_column: str) -> str:
    """The CRS of easting/northing columns that do not name theirs: SWEREF 99 TM, or an error.

    Read as TM, every point must have an easting Sweden has in TM (``TM_EASTING_SWEDEN_M``) and
    lie in TM's area of use. Read as each local zone, the points fit the zone if all lie in its
    EPSG area of use (widened by ``AREA_MARGIN_DEG``); when eastings are not TM's and no zone
    holds them all, the zones holding most of them are named. TM that fits no zone is TM (the
    default so far); anything else raises ``ImportRejected`` in Swedish, naming the columns,
    where the points land in each fitting zone and the ``--crs`` to give: eastings of a local
    zone (e.g. 230 000 in SWEREF 99 17 15, Timrå's zone) would otherwise land in Norway. A file
    in the ambiguous band (eastings 260-290 km that fit both TM and a zone) is refused too
    rather than guessed. Points that fit nothing are left to the validator as TM (it reports
    them as outside Sweden, feature by feature). Measured on the 290 shipped boundaries
    (``tests/test_crs.py``): every one in TM is taken as TM, every one in its own zone is
    refused, naming that zone for all but Jokkmokk and Vilhelmina (larger than its area).
    """
    east = np.asarray(east, dtype=float)
    north = np.asarray(north, dtype=float)
    lo, hi = TM_EASTING_SWEDEN_M
    tm_ok = bool(np.all((east >= lo) & (east <= hi))) and _fits(3006, east, north)[0] == 1.0
    shares = [(epsg, *_fits(epsg, east, north)) for epsg in LOCAL_ZONES]
    fitting = [(epsg, lon, lat) for epsg, share, lon, lat in shares if share == 1.0]
    if not fitting and not tm_ok:  # a municipality larger than its zone's area (Jokkmokk)
        fitting = [(epsg, lon, lat) for epsg, share, lon, lat in shares if share >= 0.5]
    if not fitting:
        return WORK_CRS
    where = "; ".join(f"{crs_label(epsg)} kring {_sv_degrees(lon, lat)}"
                      for epsg, lon, lat in fitting)
    first = fitting[0][0]
    columns = f"kolumnerna {east_column!r}/{north_column!r}"
    if tm_ok:
        _, lon, lat = _fits(3006, east, north)
        raise ImportRejected(
            f"{origin}: {columns} anger inte sitt koordinatsystem och kan vara både SWEREF 99 TM "
            f"(punkterna hamnar kring {_sv_degrees(lon, lat)}) och en lokal zon ({where}); ange "
            f"det med --crs EPSG:3006 eller t.ex. --crs EPSG:{first}, eller döp kolumnerna till "
            f"e_3006/n_3006 eller e_{first}/n_{first}")
    smallest = float(np.nanmin(east))
    if smallest < lo:
        why = (f"har östvärden från {_sv_metres(smallest)} m, som SWEREF 99 TM inte har i Sverige "
               f"({_sv_metres(lo)}–{_sv_metres(hi)} m) men en lokal SWEREF 99-zon har (falsk "
               "östning 150 000 m)")
    else:
        _, lon, lat = _fits(3006, east, north)
        why = (f"hamnar utanför Sverige som SWEREF 99 TM (kring {_sv_degrees(lon, lat)}) men "
               "passar en lokal SWEREF 99-zon")
    raise ImportRejected(
        f"{origin}: {columns} {why}. Punkterna hamnar i {where}. Ange zonen, t.ex. "
        f"--crs EPSG:{first}, eller döp kolumnerna till e_{first}/n_{first}")
