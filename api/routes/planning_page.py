"""The planning page ``/kartor/planering`` (roles planerare and admin; anyone in demo mode)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import get_settings, get_store, page_user, role_of
from services.access import sees_raw_text, viewer_frame
from maps.planning import planning_map
from store import Store
from store.accounts import ROLE_SV
from trygg.settings import Settings

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
PLANNERS = frozenset({"planerare", "admin"})



@router.get("/kartor/planering", response_class=HTMLResponse)
def planning_page(request: Request, settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    """Risk roads, candidate sites, suggested sites and the weekly plan on one map."""
    user = page_user(request, settings, store)
    if user is None and not settings.demo:
        return RedirectResponse("/logga-in", status_code=303)
    if user is not None and user.role not in PLANNERS:
        return templates.TemplateResponse(request, "planning_forbidden.html",
                                          {"user": user, "role_sv": ROLE_SV}, status_code=403)

    role = role_of(user)

    def render() -> str:  # free text scrubbed but for admin (issue 16)
        return planning_map(viewer_frame("risk_roads", store.read("risk_roads"), role),
                            viewer_frame("candidate_sites", store.read("candidate_sites"), role),
                            links=[("/", "Startsida"), ("/kartor/oversikt", "Översikt"),
                                   ("/docs", "API")])

    key = ("page/planering", store.generations(("risk_roads", "candidate_sites")),
           sees_raw_text(role))
    return HTMLResponse(request.app.state.cache.get_or_make(key, render))
