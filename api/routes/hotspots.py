"""``/api/hotspots`` and the page ``/kartor/otrygga-platser``: unsafe places over time on a grid,
with trend classes, a two-period comparison and felt against recorded safety. Sensitive records
reach police roles only; other roles get them as cells of at least k records or not at all."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.access import page, require, shown_user
from api.deps import get_store
from api.rendering import templates
from geo.layers import REPORT_SOURCES, UNSAFE_CATEGORIES
from maps.base import json_island
from services import hotspots as service
from services.access import Viewer
from store import Store
from store.accounts import ROLE_SV

router = APIRouter(tags=["otrygga platser"])
Category = Literal[UNSAFE_CATEGORIES]  # type: ignore[valid-type]
Source = Literal[REPORT_SOURCES]  # type: ignore[valid-type]


class PolygonGeometry(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellProperties(BaseModel):
    cell: str
    total: int
    counts: list[int]
    by_group: dict[str, list[int]]
    trend: str
    trend_sv: str
    summary_sv: str
    mk_z: float
    mk_p: float
    hot_periods: int
    cold_periods: int
    ci_low: float
    ci_high: float
    first_half: int
    second_half: int


class CellFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    geometry: PolygonGeometry
    properties: CellProperties


class ComparedCell(BaseModel):
    cell: str
    first: int
    second: int
    difference: int
    p: float
    change: str
    geometry: PolygonGeometry


class Comparison(BaseModel):
    first: list[str]
    second: list[str]
    cells: list[ComparedCell]


class AgreementCell(BaseModel):
    cell: str
    felt: int
    recorded: int
    agreement: str
    geometry: PolygonGeometry


class SensitiveCell(BaseModel):
    cell: str
    category: str
    category_sv: str
    count: int
    cell_m: float
    k: int
    quarters: dict[str, int]
    geometry: PolygonGeometry


class SensitiveWindow(BaseModel):
    """The whole quarters that sensitive figures are given for (the request's window widened)."""

    from_: str
    to: str
    quarters: list[str]
    released_quarters: list[str]
    unreleased_quarters: list[str]
    widened: bool
    note: str

    model_config = {"populate_by_name": True,
                    "alias_generator": lambda name: "from" if name == "from_" else name}


class SensitiveSummary(BaseModel):
    total: int
    suppressed_records: int
    never_mapped_records: int
    late_records: int = 0  # entered in a quarter after its release: in no cell (geo.disclosure)
    cells: list[SensitiveCell]
    window: SensitiveWindow


class PointOut(BaseModel):
    lon: float
    lat: float
    group: str
    group_sv: str
    layer: str
    description: str
    source: str | None
    date: str | None
    period: str
    status: str
    provenance: str | None


class Label(BaseModel):
    id: str
    label: str


class StatusCounts(BaseModel):
    reported: int
    resolved: int
    open: int


class HotspotsOut(BaseModel):
    """Cells (GeoJSON Features, WGS84) with counts per period and a trend class, and more."""

    type: Literal["FeatureCollection"]
    features: list[CellFeature]
    periods: list[str]
    period: str
    cell_m: float
    records: int
    too_few: bool
    too_few_reason: str | None
    not_placed: int
    groups: list[Label]
    trend_classes: list[Label]
    method: dict[str, float | int | str]
    status: StatusCounts
    comparison: Comparison
    felt_vs_recorded: list[AgreementCell]
    points: list[PointOut]
    sensitive: SensitiveSummary | None
    outside_ignored: int
    notes: list[str]
    sources: dict[str, list[str]]
    density: list[list[float]] | None = None


@router.get("/api/hotspots", summary="Otrygga platser över tid (rutnät, trender)",
            response_model=HotspotsOut)
def hotspots(
    from_: Annotated[date | None, Query(alias="from", description="First day (default: two "
                                                                     "years before the data's "
                                                                     "last month)")] = None,
    to: Annotated[date | None, Query(description="Last day, included")] = None,
    period: Literal["month", "quarter"] = "month",
    category: Annotated[list[Category] | None, Query(description="Unsafe-place categories")]
    = None,
    source: Annotated[list[Source] | None, Query(description="Report sources")] = None,
    layer: Literal["both", "unsafe_places", "events"] = "both",
    cell_m: Annotated[float, Query(ge=50, le=5000, description="Cell size, metres")] = 250.0,
    density: Annotated[bool, Query(description="Include a kernel-density surface")] = False,
    viewer: Viewer = Depends(require("hotspots.view")),
    store: Store = Depends(get_store),
) -> HotspotsOut:
    """Counts per cell and period with an emerging hot-spot category per cell (``trend``: a
    stable key such as ``new_hot_spot`` … ``historical_cold_spot``, ``no_pattern`` or
    ``too_few``; ``trend_sv`` its Swedish label, ``summary_sv`` a sentence; space-time Gi* with
    FDR, Mann–Kendall on the z-scores, see ``method``), a two-period comparison (the window's
    halves), felt against recorded safety and the points the caller may see."""
    start, end = service.window(store, from_, to)
    return HotspotsOut.model_validate(service.hotspots(
        store, viewer, start=start, end=end, period=period, cell_m=cell_m, layer=layer,
        categories=category, sources=source, with_density=density))


@router.get("/kartor/otrygga-platser", response_class=HTMLResponse, include_in_schema=False)
def hotspots_page(request: Request, viewer: Viewer = Depends(page("hotspots.view")),
                  store: Store = Depends(get_store)) -> Response:
    start, end = service.default_window(store)
    data = request.app.state.cache.get_or_make(
        service.page_key(store, viewer, start, end),
        lambda: json_island(service.page_data(store, viewer, start, end)))
    return templates.TemplateResponse(request, "hotspots.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV,
        "start": start.isoformat(),
        "end": end.isoformat(), "data_json": data, "sees_sensitive": viewer.sees_sensitive})
