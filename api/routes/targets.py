"""The promise's measurable targets: ``PUT /api/lofte/mal/{commitment}`` (admin) replaces a
commitment's targets, and ``/kartor/mal`` is the admin's form for it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.access import page, require_user, shown_user
from api.deps import get_settings, get_store
from api.rendering import templates
from geo.targets import OPERATORS, PERIOD_SV, PERIODS, target_dict
from services import report as report_service
from services import targets as service
from services.access import Viewer
from store import Store
from store.accounts import ROLE_SV, User
from trygg.settings import Settings

router = APIRouter(tags=["uppföljning"])
target_writer = require_user("targets.write")
Op = Literal[">=", ">", "<=", "<", "=="]  # geo.targets.OPERATORS (parse_target checks again)
Per = Literal[PERIODS]  # type: ignore[valid-type]
# Indicator keys every report has when the commitment names the indicator kind.
COMMON_KEYS = ("unsafe_reported", "unsafe_resolved", "unsafe_open", "events", "checks",
               "checks_at_risk_places", "checks_road_coverage", "foot_patrol_minutes",
               "street_coverage", "activities:participants")


class TargetIn(BaseModel):
    indicator: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_:.\-]+$",
                           description="The key of a figure of the commitment in the report")
    op: Op = ">="
    value: float
    per: Per = "period"
    note: str = Field("", max_length=300)


class TargetsIn(BaseModel):
    targets: list[TargetIn] = Field(max_length=20)


class TargetsOut(BaseModel):
    commitment: str
    targets: list[TargetIn]


@router.put("/api/lofte/mal/{commitment}", summary="Sätt ett åtagandes mätbara mål",
            response_model=TargetsOut)
def set_targets(commitment: str, body: TargetsIn,
                user: User = Depends(target_writer),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> TargetsOut:
    """Replace the commitment's targets (an empty list removes them); the report and the next
    publication use them."""
    saved = service.set_targets(store, report_service.promise(store, settings), commitment,
                                [t.model_dump() for t in body.targets], actor=user)
    return TargetsOut(commitment=commitment,
                      targets=[TargetIn(**{"note": "", **target_dict(t)}) for t in saved])


@router.get("/kartor/mal", response_class=HTMLResponse, include_in_schema=False)
def targets_page(request: Request, viewer: Viewer = Depends(page("targets.write")),
                 settings: Settings = Depends(get_settings),
                 store: Store = Depends(get_store)) -> Response:
    promise = report_service.promise(store, settings)
    last = report_service.last_report(store)
    keys = {s["commitment"]: [i["key"] for i in s["indicators"]]
            for s in ((last or {}).get("figures") or {}).get("sections", [])}
    return templates.TemplateResponse(request, "targets.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV,
        "promise": promise, "keys": keys, "common_keys": COMMON_KEYS,
        "operators": {k: v[0] for k, v in OPERATORS.items()}, "periods": PERIOD_SV})
