"""The map editor ``/kartor/redigera`` (the police roles): draw, edit, move and delete patrol
zones, risk roads, unsafe places and candidate sites with Leaflet-Geoman, each layer offered
only to a role that may write it (``services.editor``). The page only reads and sends GeoJSON
through ``/api/layers`` (versions with ``If-Match``); no write goes through this route."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.access import page, shown_user
from api.rendering import templates
from maps.base import json_island
from services import editor as service
from services.access import Viewer

router = APIRouter(include_in_schema=False)


@router.get("/kartor/redigera", response_class=HTMLResponse)
def editor_page(request: Request,
                viewer: Viewer = Depends(page(service.EDIT_ACTION))) -> Response:
    return templates.TemplateResponse(request, "editor.html", {
        "user": shown_user(viewer),
        "layers_json": json_island(service.editor_layers(viewer))})
