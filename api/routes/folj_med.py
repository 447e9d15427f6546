""""Följ med i hur det går": the public follow-up page ``/folj-med`` and its figures
``/api/folj-med`` (anonymous, read-only, also outside demo mode), and publishing a kept report
on it (``POST /api/rapporter/{id}/publicera``, admin). The page shows only what was published
(``services.publication``), never live data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.access import require_user, shown_user, viewer_of
from api.deps import RecordId, get_settings, get_store, page_user
from api.rendering import templates
from maps.base import json_island
from services import publication
from services.municipality import served_municipality
from store import Store
from store.accounts import ROLE_SV, User
from trygg.settings import Settings

router = APIRouter(tags=["följ med"])
publisher = require_user("followup.publish")


@router.get("/api/folj-med", summary="Den publicerade uppföljningen (öppen för alla)")
def public_followup(store: Store = Depends(get_store)) -> dict[str, Any]:
    """The snapshot an admin published from a kept report; ``{"published": false}`` when
    nothing is published yet."""
    snapshot = publication.published(store)
    return {"published": False} if snapshot is None else {"published": True, **snapshot}


@router.post("/api/rapporter/{report_id}/publicera", status_code=201,
             summary="Publicera en sparad rapport på sidan Följ med i hur det går")
def publish(report_id: RecordId, user: User = Depends(publisher),
            settings: Settings = Depends(get_settings),
            store: Store = Depends(get_store)) -> dict[str, Any]:
    """Freeze kept report ``report_id`` as the public follow-up (scrubbed, without sensitive
    records, planned checks or personal data), replacing what was published before."""
    name = served_municipality(store, settings).municipality.name
    return {"published": True,
            **publication.publish(store, report_id, municipality=name, actor=user)}


@router.get("/folj-med", response_class=HTMLResponse, include_in_schema=False)
def public_page(request: Request, settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> Response:
    viewer = viewer_of(page_user(request, settings, store), settings)
    snapshot = publication.published(store)
    return templates.TemplateResponse(request, "folj_med.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV,
        "snapshot": snapshot,
        "places_json": json_island(snapshot["places"] if snapshot else None)})
