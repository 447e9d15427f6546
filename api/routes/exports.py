"""File exports: every layer the caller may read in one GeoPackage (with QGIS styles) or Excel
workbook (``services.exports``).

What an export holds is what a read answers: each layer through ``services.access.fit_frame``
(sensitive records and planned checks only for the police roles, free text scrubbed but for
admin), and only the layers the caller's role may read."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.access import require
from api.deps import get_store
from api.responses import download
from services import exports
from services.access import Viewer
from store import Store

router = APIRouter(prefix="/api", tags=["export"])


def _all_layers(fmt: str, viewer: Viewer, store: Store) -> Response:
    return download(exports.all_layers_file(store, viewer, fmt), f"trygg.{fmt}", fmt)


@router.get("/export.gpkg", summary="Alla lager som GeoPackage (med QGIS-stilar)",
            responses={200: {"content": {exports.GPKG: {}}}})
def export_gpkg(viewer: Viewer = Depends(require("browse")),
                store: Store = Depends(get_store)) -> Response:
    """Every layer the caller may read, as the caller may read it, in one GeoPackage:
    EPSG:3006, times as DATETIME (UTC), lists as JSON text, and a default QGIS style per layer
    in ``layer_styles``."""
    return _all_layers("gpkg", viewer, store)


@router.get("/export.xlsx", summary="Alla lager som Excel-arbetsbok",
            responses={200: {"content": {exports.XLSX: {}}}})
def export_xlsx(viewer: Viewer = Depends(require("browse")),
                store: Store = Depends(get_store)) -> Response:
    """Every layer the caller may read in one workbook: a sheet per layer (times in Swedish
    local time) and an "Om data" sheet with each layer's provenance and the export time."""
    return _all_layers("xlsx", viewer, store)
