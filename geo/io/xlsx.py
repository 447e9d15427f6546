"""Excel workbooks: a sheet per layer with real date-time cells in Swedish time, and an "Om data"
sheet with each layer's provenance."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import crs_label
from geo.layers import LayerSpec
from geo.periods import LOCAL_TZ
from geo.io.columns import (
    FORMULA_START, joined, json_text, point_lat_lon, provenance_text, typed_frame,
)


XLSX_MAX_CELL = 32_767  # characters in one Excel cell


XLSX_ABOUT_SHEET = "Om data"


XLSX_LOCAL_TIME = "svensk tid"


XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"


_SYSTEM_LABELS_SV = {"id": "id", "created_at": "Skapad", "updated_at": "Ändrad",
                     "version": "Version"}


def _xlsx_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    text = str(ILLEGAL_CHARACTERS_RE.sub("", value))
    if len(text) > XLSX_MAX_CELL:
        marker = " … [avkortad: hela värdet finns i GeoPackage/GeoJSON-exporten]"
        text = text[:XLSX_MAX_CELL - len(marker)] + marker
    return text


def _xlsx_value(value: Any) -> Any:
    """A Python value openpyxl writes as a number, flag, date-time or text cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_convert(LOCAL_TZ).tz_localize(None).to_pydatetime() \
            if value.tzinfo is not None else value.to_pydatetime()
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return _xlsx_text(str(value))


def _xlsx_columns(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, epsg: int | None = None
                  ) -> list[tuple[str, list[Any], str | None]]:
    """(header, values, number format) per column of a layer's sheet; with a projected
    ``epsg`` the points also get E/N in it and the WKT is in it."""
    frame, kinds = typed_frame(spec, gdf)
    columns: list[tuple[str, list[Any], str | None]] = []
    for column, kind in kinds.items():
        f = spec.field_by_name.get(column)
        label = f.label_sv if f else _SYSTEM_LABELS_SV.get(column, column)
        values = frame[column]
        if kind == "datetime":
            columns.append((f"{label} ({XLSX_LOCAL_TIME})", list(values),
                            XLSX_DATETIME_FORMAT))
        elif kind == "list":
            columns.append((label, [joined(v) for v in values], None))
        elif kind == "json":
            columns.append((label, [json_text(v) for v in values], None))
        else:
            columns.append((label, values.astype(object).tolist(), None))
    web = gdf.to_crs("EPSG:4326")
    if (web.geom_type == "Point").any():
        lat, lon = point_lat_lon(web)
        columns.append(("Latitud (WGS84)", lat.tolist(), "0.0000000"))
        columns.append(("Longitud (WGS84)", lon.tolist(), "0.0000000"))
    if epsg is None or epsg == 4326:
        columns.append(("Geometri (WKT, WGS84)",
                        list(shapely.to_wkt(web.geometry.values, rounding_precision=6)), None))
        return columns
    local_gdf = gdf.to_crs(f"EPSG:{epsg}")
    if (local_gdf.geom_type == "Point").any():
        north, east = point_lat_lon(local_gdf, decimals=3)
        columns.append((f"E ({crs_label(epsg)})", east.tolist(), "0.000"))
        columns.append((f"N ({crs_label(epsg)})", north.tolist(), "0.000"))
    columns.append((f"Geometri (WKT, {crs_label(epsg)})",
                    list(shapely.to_wkt(local_gdf.geometry.values, rounding_precision=3)), None))
    return columns


def sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "Lager"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name.lower())
    return name


def xlsx_cell(sheet: Any, value: Any, number_format: str | None, *,
               bold: bool = False) -> Any:
    """One write-only cell; text is always a text cell (data_type 's'), never a formula."""
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    value = _xlsx_value(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise take "=…" for a formula
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    elif isinstance(value, datetime):
        cell.number_format = XLSX_DATETIME_FORMAT
    elif number_format and value is not None:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _width(header: str, values: list[Any]) -> float:
    sample = [len(str(v)) for v in values[:500] if v is not None and not
              (isinstance(v, float) and np.isnan(v))]
    longest = max([len(header), *(min(n, 60) for n in sample)])
    return float(min(max(longest + 2, 8), 62))


def _write_sheet(workbook: Any, title: str, columns: list[tuple[str, list[Any], str | None]]
                 ) -> None:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    sheet = workbook.create_sheet(title)
    rows = len(columns[0][1]) if columns else 0
    sheet.freeze_panes = "A2"
    for i, (header, values, number_format) in enumerate(columns, start=1):
        width = 20.0 if number_format == XLSX_DATETIME_FORMAT else _width(header, values)
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{rows + 1}"
    sheet.append([xlsx_cell(sheet, header, None, bold=True) for header, _, _ in columns])
    formats = [number_format for _, _, number_format in columns]
    for row in zip(*(values for _, values, _ in columns), strict=True):
        sheet.append([xlsx_cell(sheet, v, fmt) for v, fmt in zip(row, formats, strict=True)])


def _about_rows(layers: list[tuple[LayerSpec, gpd.GeoDataFrame, str]],
                exported_at: pd.Timestamp, *, epsg: int | None = None) -> list[list[Any]]:
    where = ("Latitud och longitud i WGS84 (EPSG:4326); geometrin som WKT i WGS84. "
             if epsg is None or epsg == 4326 else
             f"Latitud och longitud i WGS84 (EPSG:4326); E/N och geometrin som WKT i "
             f"{crs_label(epsg)}. ")
    rows: list[list[Any]] = [
        ["Export från Trygg"],
        [f"Exporterad ({XLSX_LOCAL_TIME})", exported_at],
        ["Tider", "Alla tider är svensk tid (Europe/Stockholm) utan tidszon: Excel har inga "
                  "tidszoner. GeoPackage- och GeoJSON-exporten har tider med tidszon."],
        ["Koordinater", where + "Beräkningar görs i SWEREF 99 TM (EPSG:3006)."],
        ["Ursprung", "verklig = förstahandsuppgift; härledd = beräknad ur verkliga källor; "
                     "illustrativ och simulerad = påhittade exempel, inte verkliga händelser."],
        [],
        ["Flik", "Lager", "Antal objekt", "Ursprung", "Källor", "Beskrivning"],
    ]
    for spec, gdf, title in layers:
        sources = [str(s) for s in dict.fromkeys(gdf["source"].dropna())] \
            if "source" in gdf else []
        shown = "; ".join(sources[:10]) + (f" (och {len(sources) - 10} till)"
                                           if len(sources) > 10 else "")
        rows.append([title, spec.name, len(gdf), provenance_text(gdf), shown,
                     spec.description])
    return rows


def write_xlsx(layers: list[tuple[LayerSpec, gpd.GeoDataFrame]], path: Path, *,
                exported_at: pd.Timestamp, epsg: int | None = None) -> None:
    """One sheet per layer (header bold and frozen, autofilter, widths) and an "Om data" sheet
    with each layer's provenance and the export time."""
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    used = {XLSX_ABOUT_SHEET.lower()}
    titled = []
    for spec, gdf in layers:
        title = sheet_title(spec.title_sv, used)
        _write_sheet(workbook, title, _xlsx_columns(spec, gdf, epsg=epsg))
        titled.append((spec, gdf, title))
    about = workbook.create_sheet(XLSX_ABOUT_SHEET)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 24
    for letter in "CDEF":
        about.column_dimensions[letter].width = 40
    for i, row in enumerate(_about_rows(titled, exported_at, epsg=epsg)):
        about.append([xlsx_cell(about, v, None, bold=i in (0, 6) or j == 0)
                      for j, v in enumerate(row)])
    workbook.save(path)
