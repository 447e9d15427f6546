"""Exports, the files people take away: one layer, every layer the viewer may read (one
GeoPackage with QGIS styles or one Excel workbook), the planned traffic checks as CSV or GPX
for the patrol, and the follow-up report's figures as an Excel workbook. What a file holds is
what a read answers the viewer (``services.access``)."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from geo.errors import NotFound
from geo.io import write_layer_file, write_layers_file
from geo.io.xlsx import sheet_title, xlsx_cell
from geo.layers import LAYERS, layer_spec
from geo.periods import LOCAL_TZ
from geo.privacy import PLANNED_CHECK_STATUS
from geo.promise import Promise
from geo.report import report_figures
from geo.vocabulary import ACTION_STATUS_SV, OWNER_SV
from services import report as reports
from services.access import Viewer, fit_frame, may_read, without_sensitive
from store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"
# Format → media type of the file.
EXPORT_MEDIA = {"geojson": "application/geo+json", "gpkg": GPKG, "csv": "text/csv; charset=utf-8",
                "xlsx": XLSX, "gpx": "application/gpx+xml"}
PLANNED_NAME = "planerade_kontroller"


def _written(write: Callable[[Path], Path], filename: str) -> bytes:
    """The bytes ``write(path)`` writes to ``filename`` in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        return write(Path(folder) / filename).read_bytes()


def layer_file(store: Store, viewer: Viewer, layer: str, fmt: str, *,
               csv_dialect: str = "excel", crs: str | None = None) -> bytes:
    """``layer`` as a ``fmt`` file holding what a read of it answers ``viewer``; ``crs`` (e.g.
    "EPSG:3014") writes GeoPackage, CSV and Excel in that system (``write_layer_file``)."""
    spec = layer_spec(layer)
    gdf = fit_frame(layer, store.read(layer), viewer)
    return _written(lambda path: write_layer_file(
        gdf, spec, path, members={"title": spec.title_sv}, csv_dialect=csv_dialect, crs=crs),
        f"{layer}.{fmt}")


def all_layers_file(store: Store, viewer: Viewer, fmt: str) -> bytes:
    """Every layer ``viewer`` may read, as it may read it, in one GeoPackage or workbook."""
    frames = {name: fit_frame(name, store.read(name), viewer)
              for name in LAYERS if may_read(viewer, name)}
    return _written(lambda path: write_layers_file(frames, path), f"trygg.{fmt}")


def planned_checks_file(store: Store, viewer: Viewer, fmt: str) -> bytes:
    """The planned traffic checks (status planerad), earliest first, as CSV (WGS84 lat/lon) or
    GPX waypoints; the caller has checked the viewer may read planned checks."""
    checks = fit_frame("traffic_checks",
                       store.read("traffic_checks", where={"status": PLANNED_CHECK_STATUS}),
                       viewer)
    checks = checks.sort_values("start", na_position="last")
    return _written(lambda path: write_layer_file(checks, layer_spec("traffic_checks"), path),
                    f"{PLANNED_NAME}.{fmt}")


def _frame(store: Store, layer: str, *, include_sensitive: bool) -> gpd.GeoDataFrame:
    gdf = store.read(layer)
    return gdf if include_sensitive else without_sensitive(layer, gdf)


def export_layer(store: Store, layer: str, path: str | Path, *, include_sensitive: bool = True,
                 csv_dialect: str = "excel", crs: str | None = None) -> int:
    """Write every record of ``layer`` (the operator's export: free text as stored) to ``path``,
    the format from its suffix, in ``crs`` where the format allows; return the number of
    records."""
    spec = layer_spec(layer)
    gdf = _frame(store, layer, include_sensitive=include_sensitive)
    write_layer_file(gdf, spec, Path(path), members={"title": spec.title_sv},
                     csv_dialect=csv_dialect, crs=crs)
    return len(gdf)


def export_all_layers(store: Store, path: str | Path, *, include_sensitive: bool = True
                      ) -> dict[str, int]:
    """Write every layer to one GeoPackage or workbook at ``path``; return records per layer."""
    frames = {name: _frame(store, name, include_sensitive=include_sensitive) for name in LAYERS}
    write_layers_file(frames, Path(path))
    return {name: len(gdf) for name, gdf in frames.items()}


# --- the follow-up report's figures as a workbook ---------------------------------------------

DATE_FORMAT = "yyyy-mm-dd"
MONTH_FORMAT = "yyyy-mm"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
CHANGE_SV = {"done": "klar sedan förra mötet", "new": "ny sedan förra mötet",
             "overdue": "försenad"}
Row = list[tuple[Any, str | None]]  # (value, number format) per cell


def _local_time(text: str | None) -> pd.Timestamp | None:
    """An ISO day or time as Swedish local time without a zone (Excel has none), to the second."""
    if not text:
        return None
    stamp = pd.Timestamp(text)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(LOCAL_TZ).tz_localize(None)
    return stamp.floor("s")


def _day(text: str | None, *, end: bool = False) -> pd.Timestamp | None:
    """An ISO day or time as its local day (a date cell); with ``end``, the last day before
    the exclusive end ``text`` of a period."""
    local = _local_time(text)
    if local is None:
        return None
    return (local - pd.Timedelta(seconds=1)).normalize() if end else local.normalize()


def _overview_rows(figures: dict[str, Any]) -> list[Row]:
    compared = figures["changes"].get("previous_at")
    rows: list[Row] = [
        [(figures["title"], None)],
        [("Från", None), (_day(figures["from"]), DATE_FORMAT)],
        [("Till och med", None), (_day(figures["to"], end=True), DATE_FORMAT)],
        [("Jämförs med (från, till och med)", None),
         (_day(figures["previous_from"]), DATE_FORMAT),
         (_day(figures["previous_to"], end=True), DATE_FORMAT)],
        [("Gjord (svensk tid)", None), (_local_time(figures["made_at"]), TIME_FORMAT)],
        [("Förra sparade rapporten (svensk tid)", None),
         (_local_time(compared), TIME_FORMAT) if compared else ("ingen", None)],
        [("Underlag finns", None), ("ja" if figures["has_data"] else "nej", None)],
        [("Tider", None), ("Alla tider är svensk tid (Europe/Stockholm); datum är dagar.",
                            None)],
        [],
        [("Flik", None), ("Åtagande", None), ("Sammanfattning", None)],
    ]
    rows += [[(section["short"], None), (section["text"], None), (section["summary"], None)]
             for section in figures["sections"]]
    rows += [[("Anmärkning", None), (note, None)] for note in figures["notes"]]
    return rows


def _section_rows(section: dict[str, Any]) -> list[Row]:
    owners = ", ".join(OWNER_SV.get(o, o) for o in section["owners"])
    rows: list[Row] = [
        [("Åtagande", None), (section["text"], None)],
        [("Ansvariga", None), (owners, None)],
        [("Sammanfattning", None), (section["summary"], None)],
        [],
        [(h, None) for h in ("Indikator", "Perioden", "Föregående period", "Förändring",
                             "Enhet", "Källa", "Avser")],
    ]
    labels = {}
    for ind in section["indicators"]:
        labels[ind["key"]] = ind["label"]
        current, previous = ind["current"], ind["previous"]
        change: float | str | None = (
            "ingen jämförelse" if not ind.get("compared", True)  # no data for the previous period
            else current - previous if current is not None and previous is not None else None)
        rows.append([(ind["label"], None), (current, None), (previous, None), (change, None),
                     (ind["unit"], None), (ind["source"], None),
                     ("läget vid periodens slut" if ind["stock"] else "under perioden", None)])
    if section.get("targets"):
        rows += [[], [("Mål", None), ("Utfall", None)]]
        rows += [[(t["label"], None), (t["line_sv"], None)] for t in section["targets"]]
    if section["months"]:
        keys = list(section["monthly"])
        rows += [[], [("Månad", None), *((labels.get(k, k), None) for k in keys)]]
        for i, month in enumerate(section["months"]):
            rows.append([(_day(f"{month}-01") if len(month) == 7 else month, MONTH_FORMAT),
                         *((section["monthly"][k][i], None) for k in keys)])
    if section["notes"]:
        notes: list[Row] = [[("Anmärkning", None), (note, None)] for note in section["notes"]]
        rows += [[], *notes]
    return rows


def _changes_rows(figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = [[(h, None) for h in ("Ändring", "Åtagande", "Åtgärd", "Ansvarig",
                                             "Status", "Senast", "Klar (svensk tid)")]]
    for kind, label in CHANGE_SV.items():
        for action in figures["changes"][kind]:
            rows.append([(label, None), (action["commitment"], None), (action["what"], None),
                         (OWNER_SV.get(action["owner"], action["owner"]), None),
                         (ACTION_STATUS_SV.get(action["status"], action["status"]), None),
                         (_day(action.get("due")), DATE_FORMAT),
                         (_local_time(action.get("done_at")), TIME_FORMAT)])
    return rows


def _write_rows(workbook: Any, title: str, rows: list[Row], widths: tuple[float, ...]) -> None:
    sheet = workbook.create_sheet(title)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    for row in rows:
        cells = []
        for j, (value, number_format) in enumerate(row):
            cell = xlsx_cell(sheet, value, None, bold=j == 0)
            if number_format and value is not None and not isinstance(value, str):
                cell.number_format = number_format
            cells.append(cell)
        sheet.append(cells)


def report_workbook(figures: dict[str, Any]) -> bytes:
    """The report's figures (``geo.report.report_figures``) as an Excel workbook: an overview,
    one sheet per commitment (its indicators against the previous period, targets and the
    monthly series) and the register's changes; Swedish headers, numbers as numbers, days as
    dates, times in Swedish time."""
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    _write_rows(workbook, sheet_title("Översikt", used), _overview_rows(figures),
                (34, 60, 60))
    for section in figures["sections"]:
        _write_rows(workbook, sheet_title(section["short"], used), _section_rows(section),
                    (40, 14, 18, 12, 10, 40, 24))
    _write_rows(workbook, sheet_title("Förändringar i registret", used),
                _changes_rows(figures), (24, 22, 60, 16, 12, 12, 18))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def report_xlsx(store: Store, promise: Promise, *, first: date, last: date,
                max_ping_gap_min: float, kommuner: frozenset[str] | None = None) -> bytes:
    """The follow-up report of the days ``first`` … ``last`` as a workbook: the figures
    ``/api/rapport`` answers (alike for every viewer who may read the follow-up; ``kommuner``
    as ``services.report.report_scope`` chose them)."""
    made = reports.make_report(store, promise, first=first, last=last,
                               max_ping_gap_min=max_ping_gap_min, kommuner=kommuner)
    return report_workbook(report_figures(made))


def kept_report_xlsx(store: Store, report_id: int) -> bytes:
    """A kept report's figures as a workbook; raises ``NotFound``."""
    figures = reports.kept_report(store, report_id)["figures"]
    if not figures:
        raise NotFound(f"rapport {report_id} har inga siffror")
    return report_workbook(figures)
