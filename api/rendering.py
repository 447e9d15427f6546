"""The one Jinja environment of the app's page templates (``api/templates``). Every page gets
``muni``: the municipality the store serves (name, county, map centre), so no template names
one; and ``nav_links(request, user)``: the navigation of ``base.html`` (``api.navigation``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.navigation import nav_links
from services.access import Viewer
from services.municipality import served_municipality
from store.accounts import ROLE_SV


def _municipality(request: Request) -> dict[str, Any]:
    state = request.app.state
    return {"muni": served_municipality(state.store, state.settings).municipality,
            "role_sv": ROLE_SV}


templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates",
                            context_processors=[_municipality])
templates.env.globals["nav_links"] = nav_links


def map_page(request: Request, viewer: Viewer, content: str, *, title: str,
             heading: str) -> HTMLResponse:
    """A map page: ``content`` (a map with its panels, rendered by ``maps``, often cached) in
    the site's layout, whose header names ``viewer`` and shows the views it may open."""
    response: HTMLResponse = templates.TemplateResponse(request, "map_page.html", {
        "user": viewer if viewer.signed_in else None, "title": title, "heading": heading,
        "content": content})
    return response
