"""Exports, the files people take away: one layer, every layer the viewer may read (one
GeoPackage with QGIS styles or one Excel workbook), and the planned traffic checks as CSV or GPX
for the patrol. What a file holds is what a read answers the viewer (``services.access``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd

from geo.io import write_layer_file, write_layers_file
from geo.layers import LAYERS, layer_spec
from geo.privacy import PLANNED_CHECK_STATUS
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
               csv_dialect: str = "excel") -> bytes:
    """``layer`` as a ``fmt`` file holding what a read of it answers ``viewer``."""
    spec = layer_spec(layer)
    gdf = fit_frame(layer, store.read(layer), viewer)
    return _written(lambda path: write_layer_file(
        gdf, spec, path, members={"title": spec.title_sv}, csv_dialect=csv_dialect),
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
                 csv_dialect: str = "excel") -> int:
    """Write every record of ``layer`` (the operator's export: free text as stored) to ``path``,
    the format from its suffix; return the number of records."""
    spec = layer_spec(layer)
    gdf = _frame(store, layer, include_sensitive=include_sensitive)
    write_layer_file(gdf, spec, Path(path), members={"title": spec.title_sv},
                     csv_dialect=csv_dialect)
    return len(gdf)


def export_all_layers(store: Store, path: str | Path, *, include_sensitive: bool = True
                      ) -> dict[str, int]:
    """Write every layer to one GeoPackage or workbook at ``path``; return records per layer."""
    frames = {name: _frame(store, name, include_sensitive=include_sensitive) for name in LAYERS}
    write_layers_file(frames, Path(path))
    return {name: len(gdf) for name, gdf in frames.items()}
