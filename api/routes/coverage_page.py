"""The coverage page ``/kartor/tackning`` (roles patrullchef and admin): foot-patrol coverage of
the zones and traffic-check coverage of the risk roads on one map, for a chosen period."""

from __future__ import annotations

import json
from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from api.access import page, require
from api.deps import get_settings, get_store
from api.rendering import map_page
from services import coverage as service
from services.access import Viewer
from store import Store
from trygg.settings import Settings

router = APIRouter(include_in_schema=False)


@router.get("/kartor/tackning", response_class=HTMLResponse)
def coverage_page(request: Request, from_: str | None = Query(None, alias="from"),
                  to: str | None = Query(None), baseline_from: str | None = Query(None),
                  baseline_to: str | None = Query(None),
                  viewer: Viewer = Depends(page("coverage.patrols")),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    """Zones by target share and dosage against a baseline, tracks, presence heat, risk roads
    by check coverage. Patrol tracks: never for anonymous visitors, not even in demo mode."""
    asked = service.PageRequest.parse(from_, to, baseline_from, baseline_to)
    key = ("page/tackning", asked, store.generations(service.PAGE_LAYERS), viewer.privacy_class)
    content = request.app.state.cache.get_or_make(key, lambda: service.coverage_page(
        store, viewer, asked, max_ping_gap_min=settings.max_ping_gap_min))
    return map_page(request, viewer, content, title="Trygg – täckning",
                    heading="Täckning: fotpatrull och trafikkontroller")


@router.get(service.BAND_COVER_PATH)
def band_coverage(request: Request, from_: date = Query(alias="from"), to: date = Query(),
                  viewer: Viewer = Depends(require("coverage.patrols")),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    """The street coverage per zone, band and day type that the page's zone popups show
    (``{"values": {"ZONE/BAND/DAYTYPE": "12,3 %"}}``), asked for when a popup opens: too
    costly to compute for every zone when the page is made."""
    key = ("page/tackning/band", from_, to, store.generations(service.PAGE_LAYERS),
           viewer.privacy_class)
    body = request.app.state.cache.get_or_make(key, lambda: json.dumps({
        "values": service.band_cover_texts(store, from_, to,
                                           max_ping_gap_min=settings.max_ping_gap_min)},
        ensure_ascii=False))
    return Response(body, media_type="application/json")
