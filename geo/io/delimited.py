"""CSV: reading points or WKT from lat/lon, E/N or WKT columns (UTF-8 or Windows-1252, any
separator), and writing the Swedish-Excel and RFC 4180 dialects."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WORK_CRS, en_crs, epsg_code
from geo.errors import ImportRejected, collect, problem_count
from geo.formats import number_sv
from geo.geojson import (
    MAX_FEATURES, checked_crs,
)
from geo.layers import LayerSpec
from geo.io.columns import (
    iso_times, joined, json_text, neutralise_formula, point_lat_lon, typed_frame,
)


MAX_CSV_COLUMNS = 500  # a layer has about 20 fields; 100,000 columns took pandas 35 s and 1 GB


LAT_NAMES = ("lat", "latitude", "latitud")


LON_NAMES = ("lon", "lng", "long", "longitude", "longitud")


EAST_NAMES = ("e", "east", "easting", "x", "sweref_e")


NORTH_NAMES = ("n", "north", "northing", "y", "sweref_n")


WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


# A coordinate column may name its CRS by EPSG code: e_3014/n_3014, easting_epsg3014, wkt_3014.
_NAMED_CRS = re.compile(r"^(?P<base>[a-z_]+?)[_ ]?(?:epsg[_: ]?)?(?P<code>\d{4,5})$")


# CSV dialects: "excel" opens right in Swedish Excel and LibreOffice (sv_SE): UTF-8 with BOM,
# ";" between fields, decimal comma. "rfc4180" is the plain machine format: UTF-8 without BOM,
# ",", decimal point. Both write times as Swedish local time with its UTC offset
# ("2024-09-01T00:00:00+02:00"), which every ISO 8601 reader (our import too) reads exactly.
CSV_DIALECTS = ("excel", "rfc4180")


def _decode_text(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1252", errors="replace")
    if "\ufffd" in text:
        raise ImportRejected(f"{origin}: texten är varken UTF-8 eller Windows-1252; spara den som "
                             "UTF-8")
    return text  # Excel on Swedish Windows writes Windows-1252


def _pick(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        if name in columns:
            return columns[name]
    return None


def _pick_named(columns: dict[str, str], names: tuple[str, ...]
                ) -> tuple[str | None, str | None]:
    """The first column named in ``names``, bare or with an EPSG code, and that code's CRS."""
    bare = _pick(columns, names)
    if bare:
        return bare, None
    for key, column in columns.items():
        match = _NAMED_CRS.match(key)
        if match and match.group("base").rstrip("_") in names:
            return column, f"EPSG:{int(match.group('code'))}"
    return None, None


def _named_crs(origin: str, column: str, named: str | None, crs: str | None) -> str | None:
    """The CRS a column's name states, checked against an explicit ``crs``; None for none."""
    if named is None:
        return crs
    named = checked_crs(named, origin=origin)
    if crs is not None and epsg_code(crs) != epsg_code(named):
        raise ImportRejected(f"{origin}: kolumnen {column!r} anger {named} men importen anger "
                             f"{crs}; ta bort det ena")
    return named


def _check_csv_shape(text: str, origin: str) -> None:
    """Refuse more columns than ``MAX_CSV_COLUMNS`` or rows than ``MAX_FEATURES``, cheaply."""
    header = text[:1_000_000].split("\n", 1)[0]
    columns = 1 + max(header.count(sep) for sep in (",", ";", "\t"))
    if columns > MAX_CSV_COLUMNS:
        raise ImportRejected(f"{origin}: rubrikraden har {number_sv(columns)} kolumner; högst "
                             f"{MAX_CSV_COLUMNS} är tillåtna")
    rows = text.count("\n")
    if rows > MAX_FEATURES + 1:
        raise ImportRejected(f"{origin}: {number_sv(rows)} rader; högst {number_sv(MAX_FEATURES)} "
                             "får komma i en fil (dela upp den)")


def _csv_separator(text: str) -> str:
    """The field separator: the one the header uses (field names hold none of them), else the
    sniffer's guess. Decimal commas and comma-separated lists in the rows of a ";" file (as
    Swedish Excel writes it) would mislead a sniffer reading the rows."""
    header = text[:100_000].split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (";", "\t", ",")}
    best = max(counts.values())
    if best > 0 and list(counts.values()).count(best) == 1:
        return max(counts, key=lambda sep: counts[sep])
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        return ","


def read_csv(path: Path, *, crs: str | None) -> gpd.GeoDataFrame:
    text = _decode_text(path.read_bytes(), path.name)
    _check_csv_shape(text, path.name)
    sep = _csv_separator(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRejected(f"{path.name}: CSV-filen går inte att läsa ({exc})") from None
    columns = {c.strip().lower(): c for c in frame.columns}
    lat, lon = _pick(columns, LAT_NAMES), _pick(columns, LON_NAMES)
    (east, east_crs), (north, north_crs) = (_pick_named(columns, EAST_NAMES),
                                            _pick_named(columns, NORTH_NAMES))
    wkt, wkt_crs = _pick_named(columns, WKT_NAMES)
    problems: list[str] = []

    def numbers(column: str) -> np.ndarray:
        values = frame[column].str.strip().str.replace(",", ".", regex=False)
        parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(np.isnan(parsed)):
            problems.append(f"{path.name}, objekt {i}: kolumnen {column!r}: "
                            f"{frame[column].iloc[i]!r} är inget tal")
        return parsed

    if wkt and (frame[wkt].str.strip() != "").all():
        geoms = []
        for i, value in enumerate(frame[wkt]):
            try:
                geoms.append(shapely.from_wkt(value))
            except shapely.errors.GEOSException as exc:
                problems.append(f"{path.name}, objekt {i}: kolumnen {wkt!r}: är inte WKT ({exc})")
                geoms.append(None)
        used = [c for c in (wkt, lat, lon) if c]
        file_crs = _named_crs(path.name, wkt, wkt_crs, crs) or "EPSG:4326"
    elif lat and lon:
        geoms = shapely.points(numbers(lon), numbers(lat))
        used, file_crs = [lat, lon], crs or "EPSG:4326"
    elif east and north:
        if east_crs != north_crs:
            raise ImportRejected(f"{path.name}: kolumnerna {east!r} och {north!r} anger olika "
                                 "koordinatsystem")
        xs, ys = numbers(east), numbers(north)
        geoms = shapely.points(xs, ys)
        used = [east, north]
        file_crs = _named_crs(path.name, east, east_crs, crs) or (
            WORK_CRS if problems else en_crs(xs, ys, origin=path.name, east_column=east,
                                             north_column=north))
    else:
        raise ImportRejected(f"{path.name}: inga koordinatkolumner; ange lat/lon (WGS84), E/N "
                             "(SWEREF 99 TM) eller en WKT-kolumn")
    collect(problems, f"{path.name}: {problem_count(len(problems))}, ingenting importerat",
            error=ImportRejected)
    attrs = frame.drop(columns=used)
    attrs.columns = [c.strip() for c in attrs.columns]
    return gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index),
                            crs=file_crs)


def _csv_frame(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, local: bool,
               epsg: int | None = None) -> pd.DataFrame:
    frame, kinds = typed_frame(spec, gdf)
    for column, kind in kinds.items():
        if kind == "list":
            frame[column] = pd.Series([joined(v) for v in frame[column]], dtype=object)
        elif kind == "json":
            frame[column] = pd.Series([json_text(v) for v in frame[column]], dtype=object)
        elif kind == "datetime":
            frame[column] = pd.Series(iso_times(frame[column], local=local), dtype=object)
    if epsg is None or epsg == 4326:
        web = gdf.to_crs("EPSG:4326")
        frame["lat"], frame["lon"] = point_lat_lon(web)
        frame["wkt"] = shapely.to_wkt(web.geometry.values, rounding_precision=7)
    else:  # columns that name their CRS, so that the import reads them back unasked
        local_gdf = gdf.to_crs(f"EPSG:{epsg}")
        north, east = point_lat_lon(local_gdf, decimals=3)
        frame[f"e_{epsg}"], frame[f"n_{epsg}"] = east, north
        frame[f"wkt_{epsg}"] = shapely.to_wkt(local_gdf.geometry.values, rounding_precision=3)
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_formula)
    return frame


def write_csv(spec: LayerSpec, gdf: gpd.GeoDataFrame, path: Path, *, dialect: str,
               epsg: int | None = None) -> None:
    """CSV in ``dialect`` (see ``CSV_DIALECTS``); text a spreadsheet would run is neutralised."""
    if dialect not in CSV_DIALECTS:
        raise ImportRejected(f"{path.name}: okänd CSV-dialekt {dialect!r}; använd "
                             f"{' eller '.join(CSV_DIALECTS)}")
    excel = dialect == "excel"
    frame = _csv_frame(spec, gdf, local=True, epsg=epsg)
    frame.to_csv(path, index=False, sep=";" if excel else ",", decimal="," if excel else ".",
                 encoding="utf-8-sig" if excel else "utf-8", lineterminator="\r\n")
