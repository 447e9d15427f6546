"""Reading through GDAL (pyogrio) with guards: a feature limit, clear errors, and zipped Shapefiles
checked for zip bombs and missing parts."""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio  # type: ignore[import-untyped]

from geo.errors import ImportRejected


MAX_UNZIPPED_BYTES = 1_000_000_000  # a zipped Shapefile may expand to at most 1 GB


MAX_ZIP_RATIO = 200  # and no member may expand more than this (zip bombs expand ~1000x)


NVDB_HINT = "; den ser ut som Trafikverkets NVDB: importera den med --format nvdb"


def read_ogr(target: str, *, origin: str, layer: str | None,
              max_features: int | None = None,
              bbox: tuple[float, float, float, float] | None = None, where: str | None = None,
              columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """A layer of a file GDAL reads, or ``ImportRejected`` naming ``origin``. ``bbox`` (in the
    layer's CRS) and ``where`` (OGR SQL) are filters GDAL applies as it reads, so only the
    features they keep are ever held; ``columns`` picks fields."""
    try:
        with warnings.catch_warnings():  # GDAL's warnings about odd files; errors still raise
            warnings.simplefilter("ignore", RuntimeWarning)
            if max_features is not None:
                count = int(pyogrio.read_info(target, layer=layer)["features"])
                if count > max_features:
                    raise ImportRejected(f"{origin}: {count:,} objekt; högst "
                                         f"{max_features:,} får komma i en fil (dela upp den)")
            return pyogrio.read_dataframe(target, layer=layer, bbox=bbox, where=where,
                                          columns=columns)
    except ImportRejected:
        raise
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise ImportRejected(f"{origin}: filen går inte att läsa ({exc})") from None
    except Exception as exc:  # GDAL reports malformed files through several classes
        raise ImportRejected(f"{origin}: filen går inte att läsa "
                             f"({type(exc).__name__}: {exc})") from None


def zip_members(path: Path) -> list[zipfile.ZipInfo]:
    """The members of zip file ``path`` after the zip-bomb checks (total size, ratio);
    ``ImportRejected`` naming the file otherwise."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportRejected(f"{path.name}: är ingen giltig zip-fil") from None
    with archive:
        members = archive.infolist()
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise ImportRejected(f"{path.name}: packas upp till {total:,} byte, mer än de "
                             f"{MAX_UNZIPPED_BYTES:,} som är tillåtna")
    for m in members:
        if m.compress_size and m.file_size / m.compress_size > MAX_ZIP_RATIO \
                and m.file_size > 10_000_000:
            raise ImportRejected(f"{path.name}: filen {m.filename!r} packas upp "
                                 f"{m.file_size // m.compress_size} gånger; en zip-bomb tas "
                                 "inte emot")
    return [m for m in members if not m.filename.startswith("__MACOSX")]


def shapefile_target(path: Path) -> str:
    if path.suffix.lower() == ".shp":
        return str(path)
    members = zip_members(path)
    shps = [m.filename for m in members if m.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        nvdb = any("hastighetsgrans" in name.lower() for name in shps)
        raise ImportRejected(f"{path.name}: en zippad Shapefile ska ha exakt en .shp, "
                             f"den har {len(shps)}" + (NVDB_HINT if nvdb else ""))
    stem = shps[0][:-4]
    names = {m.filename.lower() for m in members}
    for needed in (".shx", ".dbf"):
        if (stem + needed).lower() not in names:
            raise ImportRejected(f"{path.name}: {shps[0]} saknar sin {needed}-fil; lägg till den")
    if (stem + ".prj").lower() not in names:
        raise ImportRejected(f"{path.name}: {shps[0]} har ingen .prj, så koordinatsystemet är "
                             "okänt; lägg till den eller ange det (till exempel --crs EPSG:3006)")
    return f"/vsizip/{path.resolve()}/{shps[0]}"
