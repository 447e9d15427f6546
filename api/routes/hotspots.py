"""``/api/hotspots`` and the page ``/kartor/otrygga-platser``: unsafe places over time on a grid,
with trend classes, a two-period comparison and felt against recorded safety. Sensitive records
reach police roles only; other roles get them as cells of at least k records or not at all."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.access import page, require, shown_user
from api.deps import get_store
from api.rendering import templates
from geo.layers import REPORT_SOURCES, UNSAFE_CATEGORIES
from geo.hotspot_view import HotspotView
from maps.base import json_island
from services import hotspots as service
from services.access import Viewer
from store import Store
from store.accounts import ROLE_SV

router = APIRouter(tags=["otrygga platser"])
# The answer is geo.hotspot_view's, validated and serialised by its type (the response model).
Category = Literal[UNSAFE_CATEGORIES]  # type: ignore[valid-type]
Source = Literal[REPORT_SOURCES]  # type: ignore[valid-type]


@router.get("/api/hotspots", summary="Otrygga platser över tid (rutnät, trender)",
            response_model=HotspotView)
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
    compare: Annotated[Literal["halves", "previous", "last_year", "chosen"], Query(
        description="The comparison: the window's halves, or the window against the period "
                    "just before, the same days a year earlier or compare_from … compare_to")]
    = "halves",
    compare_from: Annotated[date | None, Query(description="compare=chosen: first day")] = None,
    compare_to: Annotated[date | None, Query(description="compare=chosen: last day, included")]
    = None,
    viewer: Viewer = Depends(require("hotspots.view")),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """Counts per cell and period with an emerging hot-spot category per cell (``trend``: a
    stable key such as ``new_hot_spot`` … ``historical_cold_spot``, ``no_pattern`` or
    ``too_few``; ``trend_sv`` its Swedish label, ``summary_sv`` a sentence; space-time Gi* with
    FDR, Mann–Kendall on the z-scores, see ``method``), a two-period comparison (the window's
    halves), felt against recorded safety and the points the caller may see."""
    asked = service.api_request(store, from_, to, compare, compare_from, compare_to)
    return service.hotspots(
        store, viewer, start=asked.start, end=asked.end, period=period, cell_m=cell_m,
        layer=layer, categories=category, sources=source, with_density=density,
        compare=asked.compare_days)


@router.get("/kartor/otrygga-platser", response_class=HTMLResponse, include_in_schema=False)
def hotspots_page(request: Request, from_: str | None = Query(None, alias="from"),
                  to: str | None = None, compare: str | None = None,
                  compare_from: str | None = None, compare_to: str | None = None,
                  viewer: Viewer = Depends(page("hotspots.view")),
                  store: Store = Depends(get_store)) -> Response:
    asked = service.page_request(store, from_, to, compare, compare_from, compare_to)
    data = request.app.state.cache.get_or_make(
        service.page_key(store, viewer, asked),
        lambda: json_island(service.page_data(store, viewer, asked)))
    return templates.TemplateResponse(request, "hotspots.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV, "asked": asked,
        "compare_choices": service.COMPARE_CHOICES, "data_json": data,
        "sees_sensitive": viewer.sees_sensitive})
