"""``/api/hotspots`` and the page ``/kartor/otrygga-platser``: unsafe places over time on a grid,
with trend classes, a two-period comparison and felt against recorded safety. Sensitive records
reach police roles only; other roles get them as cells of at least k records or not at all."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.access import page, require, shown_user
from api.deps import get_store
from api.rendering import templates
from geo.layers import REPORT_SOURCES, UNSAFE_CATEGORIES
from geo.hotspot_view import HotspotView
from maps.base import json_island
from geo.formats import number_sv
from geo.population import rate_text
from services import hotspots as service
from services import population
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


# --- per 1 000 inhabitants (SCB's DeSO and RegSO areas, issue 14) --------------------------------

@router.get("/api/hotspots/areas", summary="Per 1 000 invånare: händelser och rapporter per "
                                           "DeSO- eller RegSO-område")
def hotspot_areas(
    from_: Annotated[date | None, Query(alias="from", description="First day (default: as "
                                                                     "/api/hotspots)")] = None,
    to: Annotated[date | None, Query(description="Last day, included")] = None,
    per: Annotated[int, Query(ge=1000, le=1000,
                              description="Rates per this many inhabitants (1000)")] = 1000,
    layer: Literal["events", "unsafe_places"] = "events",
    kind: Literal["deso", "regso"] = "deso",
    event_type: Annotated[str | None, Query(alias="type", max_length=100,
                                            description="events: only this event type, e.g. "
                                                        "Rattfylleri")] = None,
    viewer: Viewer = Depends(require("hotspots.view")),
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    """Per population area the records of ``layer`` in the window and the rate per 1,000
    inhabitants (``per_1000``; null where the population is 0 or unknown), with cautions
    for areas under 50 inhabitants or with fewer than 5 records. Sensitive records count
    for the police roles only."""
    del per  # one choice today: per 1 000
    start, end = service.window(store, from_, to)
    return population.area_rates(store, viewer, start=start, end=end, layer=layer, kind=kind,
                                 event_type=event_type)


@router.get("/kartor/otrygga-platser/per-1000-invanare", response_class=HTMLResponse,
            include_in_schema=False)
def hotspot_areas_page(request: Request, from_: str | None = Query(None, alias="from"),
                       to: str | None = None, layer: str | None = None,
                       kind: str | None = None,
                       viewer: Viewer = Depends(page("hotspots.view")),
                       store: Store = Depends(get_store)) -> Response:
    asked = service.page_request(store, from_, to)
    errors = list(asked.errors)
    if layer not in (None, "", *population.RATE_LAYERS):
        errors.append("Räkna: välj polisens händelser eller rapporter om otrygghet.")
    if kind not in (None, "", "deso", "regso"):
        errors.append("Indelning: välj DeSO eller RegSO.")
    chosen_layer = layer if layer in population.RATE_LAYERS else "events"
    chosen_kind = kind if kind in ("deso", "regso") else "deso"
    rates = population.area_rates(store, viewer, start=asked.start, end=asked.end,
                                  layer=chosen_layer,  # type: ignore[arg-type]
                                  kind=chosen_kind)
    return templates.TemplateResponse(request, "hotspots_per_1000.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV, "asked": asked,
        "errors": errors, "rates": rates, "layer": chosen_layer, "kind": chosen_kind,
        "layers_sv": population.RATE_LAYER_SV, "number_sv": number_sv,
        "rate_text": rate_text})


@router.get("/api/trygghetsmatningar", summary="Trygghetsmätningar och NTU per område")
def survey_figures(
    area: Annotated[list[str] | None, Query(max_length=100, description="Only these area codes "
                                            "(DeSO, RegSO, kommunkod, police area)")] = None,
    _viewer: Viewer = Depends(require("browse")),
    store: Store = Depends(get_store),
) -> list[dict[str, Any]]:
    """The imported survey figures (Polisens trygghetsmätning, NTU): per survey, area, year and
    indicator the share in per cent with its interval (``ci_low_pct`` … ``ci_high_pct``, null
    where the file gave none), respondents, provenance and source. Public: shares of a sample,
    no records."""
    figures = population.survey_figures(store, area_codes=area)
    return [{str(k): (None if pd.isna(v) else v) for k, v in row.items() if k != "id"}
            for row in figures.to_dict("records")]
