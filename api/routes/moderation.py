"""Moderation of tips (issue 13) for planerare, patrullchef and admin: the page ``/moderering``,
the queue ``GET /api/moderering`` and the decision ``POST /api/moderering/{tip_id}`` (approve,
reject or merge; every decision audited with who and when). The use-cases are
``services.tips``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.access import page, require, require_user
from api.deps import RecordId, get_settings, get_store, page_user
from api.rendering import templates
from geo.tips import MAX_DESCRIPTION_CHARS, TIP_CATEGORIES, TIP_CATEGORY_SV, TIP_STATES
from services import tips as service
from services.access import Viewer
from store import Store
from store.accounts import ROLE_SV, User
from trygg.settings import Settings

router = APIRouter(tags=["moderering"])
moderator = require_user("tips.moderate")  # the signed-in account (the audit names it)
State = Literal[TIP_STATES]  # type: ignore[valid-type]
DecisionName = Literal["approve", "reject", "merge"]  # geo.tips.DECISIONS


class DecisionBody(BaseModel):
    decision: DecisionName
    category: str | None = Field(None, max_length=40, description="Approve: another category")
    description: str | None = Field(None, max_length=MAX_DESCRIPTION_CHARS,
                                    description="Approve: the text edited")
    lon: float | None = Field(None, ge=-180, le=180, description="Approve: the point moved")
    lat: float | None = Field(None, ge=-90, le=90)
    merge_into: int | None = Field(None, ge=1, le=2**63 - 1,
                                   description="Merge: the unsafe place's id")
    note: str | None = Field(None, max_length=500, description="A note to the reporter")


@router.get("/moderering", response_class=HTMLResponse, include_in_schema=False)
def moderation_page(request: Request, viewer: Viewer = Depends(page("tips.moderate")),
                    settings: Settings = Depends(get_settings),
                    store: Store = Depends(get_store)) -> Response:
    return templates.TemplateResponse(request, "moderation.html", {
        "user": page_user(request, settings, store), "role_sv": ROLE_SV,
        "categories": [(c, TIP_CATEGORY_SV[c]) for c in TIP_CATEGORIES]})


@router.get("/api/moderering")
def queue(state: Annotated[State, Query()] = "ny",
          viewer: Viewer = Depends(require("tips.moderate")),
          store: Store = Depends(get_store)) -> list[dict[str, Any]]:
    """Tips in ``state`` (default: new), with personal data found and likely duplicates."""
    return service.moderation_queue(store, viewer, state=state)


@router.get("/api/moderering/{tip_id}")
def one_tip(tip_id: RecordId, viewer: Viewer = Depends(require("tips.moderate")),
            store: Store = Depends(get_store)) -> dict[str, Any]:
    """One tip as a moderator sees it, with its audit trail (who decided what, when)."""
    return service.moderation_tip(store, viewer, tip_id)


@router.post("/api/moderering/{tip_id}")
def decide(tip_id: RecordId, body: DecisionBody, user: User = Depends(moderator),
           store: Store = Depends(get_store)) -> dict[str, Any]:
    """Approve (the tip becomes an unsafe place), reject, or merge into an unsafe place."""
    return service.moderate(store, tip_id, service.Decision(**body.model_dump()), actor=user)
