"""The coverage page ``/kartor/tackning`` (roles patrullchef and admin): foot-patrol coverage of
the zones and traffic-check coverage of the risk roads on one map, for a chosen period."""

from __future__ import annotations

import html
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import get_settings, get_store, page_user
from services import coverage as service
from services.access import PATROL_ROLES, Viewer
from store import Store
from store.accounts import ROLE_SV
from trygg.settings import Settings

router = APIRouter(include_in_schema=False)



@router.get("/kartor/tackning", response_class=HTMLResponse)
def coverage_page(request: Request, from_: str | None = Query(None, alias="from"),
                  to: str | None = Query(None), baseline_from: str | None = Query(None),
                  baseline_to: str | None = Query(None),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    """Zones by target share and dosage against a baseline, tracks, presence heat, risk roads
    by check coverage."""
    user = page_user(request, settings, store)
    if user is None:  # patrol tracks: never for anonymous visitors, not even in demo mode
        return RedirectResponse("/logga-in", status_code=303)
    if user.role not in PATROL_ROLES:
        role = ROLE_SV.get(user.role, user.role)
        return HTMLResponse(
            "<!doctype html><html lang=\"sv\"><meta charset=\"utf-8\"><title>Trygg</title>"
            f"<p>Rollen {html.escape(role)} får inte se patrullernas täckning (patrullchef och "
            "admin får det). <a href=\"/\">Till startsidan</a></p></html>", status_code=403)
    asked = service.PageRequest.parse(from_, to, baseline_from, baseline_to)
    viewer = Viewer(user.role, settings.demo, user.name)
    key = ("page/tackning", asked, store.generations(service.PAGE_LAYERS), viewer.privacy_class)
    return HTMLResponse(request.app.state.cache.get_or_make(key, lambda: service.coverage_page(
        store, viewer, asked, max_ping_gap_min=settings.max_ping_gap_min)))
