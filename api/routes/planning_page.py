"""The planning page ``/kartor/planering`` (roles planerare and admin; anyone in demo mode)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.access import page
from api.deps import get_store
from api.rendering import map_page
from maps.planning import planning_map
from services.access import Viewer, fit_frame
from store import Store

router = APIRouter(include_in_schema=False)


@router.get("/kartor/planering", response_class=HTMLResponse)
def planning_page(request: Request, viewer: Viewer = Depends(page("siting.plan")),
                  store: Store = Depends(get_store)) -> Response:
    """Risk roads, candidate sites, suggested sites and the weekly plan on one map."""

    def render() -> str:  # free text scrubbed but for admin (issue 16)
        return planning_map(fit_frame("risk_roads", store.read("risk_roads"), viewer),
                            fit_frame("candidate_sites", store.read("candidate_sites"), viewer))

    key = ("page/planering", store.generations(("risk_roads", "candidate_sites")),
           viewer.privacy_class)
    return map_page(request, viewer, request.app.state.cache.get_or_make(key, render),
                    title="Trygg – planering av trafikkontroller",
                    heading="Planering av trafikkontroller")
