"""Which file format a path names: the import and export formats by suffix, and the CRS an export is
written in."""

from __future__ import annotations

from pathlib import Path


from geo.crs import EXPORT_CRS_EPSG, crs_label, epsg_code
from geo.errors import ImportRejected


FORMATS = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".zip": "shapefile",
    ".shp": "shapefile", ".gpx": "gpx", ".csv": "csv", ".osm": "osm", ".pbf": "osm",
}


EXPORT_FORMATS = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".csv": "csv",
                  ".gpx": "gpx", ".xlsx": "xlsx"}


MULTI_LAYER_FORMATS = ("gpkg", "xlsx")  # the formats that hold several layers in one file


def file_format(path: Path) -> str:
    """The import format named by ``path``'s suffix; raises ``ImportRejected`` for others."""
    suffix = path.suffix.lower()
    if path.name.lower().endswith(".osm.pbf"):
        return "osm"
    if suffix not in FORMATS:
        raise ImportRejected(f"{path.name}: okänd filtyp {suffix!r}; Trygg läser "
                             f"{', '.join(sorted(FORMATS))}")
    return FORMATS[suffix]


def export_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ImportRejected(f"{path.name}: kan inte exportera till {suffix!r}; välj "
                             f"{', '.join(sorted(EXPORT_FORMATS))}")
    return EXPORT_FORMATS[suffix]


def export_epsg(crs: str | None, path: Path, fmt: str) -> int | None:
    """The EPSG code an export is written in: None for the format's default, else WGS84,
    SWEREF 99 TM or a local zone; GeoJSON and GPX are WGS84 by definition."""
    if crs is None:
        return None
    epsg = epsg_code(crs)
    if epsg not in EXPORT_CRS_EPSG:
        raise ImportRejected(f"{path.name}: kan inte exportera i {crs[:80]!r}; välj WGS84 "
                             "(EPSG:4326), SWEREF 99 TM (EPSG:3006) eller en lokal SWEREF 99-zon "
                             "(EPSG:3007–3018)")
    if fmt in ("geojson", "gpx") and epsg != 4326:
        raise ImportRejected(f"{path.name}: {fmt.upper()} är alltid WGS84 (EPSG:4326); exportera "
                             f"som .gpkg, .csv eller .xlsx för {crs_label(epsg)}")
    return epsg
