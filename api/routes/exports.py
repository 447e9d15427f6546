"""File exports: every layer the caller may read in one GeoPackage (with QGIS styles) or Excel
workbook, and the shared file answer of ``GET /api/layers/{layer}/export``.

What an export holds is what a read answers: each layer through ``api.permissions.viewer_frame``
(sensitive records and planned checks only for the police roles, free text scrubbed but for
admin), and only the layers the caller's role may read."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from api.deps import current_user, get_settings, get_store, role_of
from api.permissions import may_read, viewer_frame
from geo.io import write_layers_file
from geo.layers import LAYERS
from store import Store
from store.accounts import User
from trygg.settings import Settings

router = APIRouter(prefix="/api", tags=["export"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"
# Format → media type of the answer.
EXPORT_MEDIA = {"geojson": "application/geo+json", "gpkg": GPKG, "csv": "text/csv; charset=utf-8",
                "xlsx": XLSX, "gpx": "application/gpx+xml"}


def file_response(write: Callable[[Path], Path], filename: str, fmt: str) -> Response:
    """Write a file with ``write(path)`` in a temporary folder and answer it as a download."""
    with tempfile.TemporaryDirectory() as folder:
        content = write(Path(folder) / filename).read_bytes()
    return Response(content, media_type=EXPORT_MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})


def _all_layers(fmt: str, user: User | None, settings: Settings, store: Store) -> Response:
    if user is None and not settings.demo:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    role = role_of(user)
    frames = {name: viewer_frame(name, store.read(name), role)
              for name in LAYERS if may_read(role, name)}
    return file_response(lambda path: write_layers_file(frames, path), f"trygg.{fmt}", fmt)


@router.get("/export.gpkg", summary="Alla lager som GeoPackage (med QGIS-stilar)",
            responses={200: {"content": {GPKG: {}}}})
def export_gpkg(user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> Response:
    """Every layer the caller may read, as the caller may read it, in one GeoPackage:
    EPSG:3006, times as DATETIME (UTC), lists as JSON text, and a default QGIS style per layer
    in ``layer_styles``."""
    return _all_layers("gpkg", user, settings, store)


@router.get("/export.xlsx", summary="Alla lager som Excel-arbetsbok",
            responses={200: {"content": {XLSX: {}}}})
def export_xlsx(user: User | None = Depends(current_user),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> Response:
    """Every layer the caller may read in one workbook: a sheet per layer (times in Swedish
    local time) and an "Om data" sheet with each layer's provenance and the export time."""
    return _all_layers("xlsx", user, settings, store)
