"""The follow-up report (``/api/rapport``), kept reports (``/api/rapporter``), the promise's
commitments and its register of actions (``/api/lofte``), and the register page ``/kartor/lofte``.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from api.deps import current_user, get_settings, get_store, page_user, role_of
from api.permissions import may_read, may_write, viewer_frame
from geo.errors import NotFound
from geo.layers import ACTION_OWNERS, ACTION_STATUSES
from geo.promise import OWNER_SV, STATUS_SV, Promise, check_commitment, load_promise, overdue_mask
from geo.report import report_figures
from maps.report import report_html, report_pdf
from store import Store
from store.accounts import ROLE_SV, User
from store.reports import (
    action_frame, keep_report, kept_report, kept_reports, make_report, promise_path,
)
from trygg.settings import Settings

router = APIRouter(tags=["uppföljning"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
REPORT_ROLES = frozenset({"rad", "patrullchef", "planerare", "admin"})
Owner = Literal[ACTION_OWNERS]  # type: ignore[valid-type]
Status = Literal[ACTION_STATUSES]  # type: ignore[valid-type]


class CommitmentOut(BaseModel):
    id: str
    short: str
    text: str
    owners: list[str]
    indicators: list[str]


class PromiseOut(BaseModel):
    title: str
    municipality: str
    source: str
    priorities: list[str]
    follow_up: str
    commitments: list[CommitmentOut]


class ActionIn(BaseModel):
    commitment: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9_]+$")
    what: str = Field(min_length=1, max_length=500)
    owner: Owner
    due: date | None = None
    status: Status = "planerad"
    place: str = Field("", max_length=200)
    note: str = Field("", max_length=2000)
    zone: str | None = Field(None, max_length=200, description="A patrol zone's name")
    lon: float | None = Field(None, ge=10.0, le=24.5, description="Longitude (WGS84)")
    lat: float | None = Field(None, ge=55.0, le=69.5, description="Latitude (WGS84)")


class ActionPatch(BaseModel):
    what: str | None = Field(None, min_length=1, max_length=500)
    owner: Owner | None = None
    due: date | None = None
    status: Status | None = None
    place: str | None = Field(None, max_length=200)
    note: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1, description="The version you read; 409 if changed")


class ActionOut(BaseModel):
    id: int
    commitment: str
    what: str
    owner: str
    owner_sv: str
    due: str | None
    status: str
    status_sv: str
    done_at: str | None
    place: str
    note: str
    overdue: bool
    version: int
    provenance: str


class KeptReport(BaseModel):
    id: int
    title: str
    from_: str = Field(alias="from")
    to: str
    made_at: str


class IndicatorOut(BaseModel):
    key: str
    label: str
    current: float | None
    previous: float | None
    unit: str
    source: str
    stock: bool


class SectionOut(BaseModel):
    commitment: str
    short: str
    text: str
    owners: list[str]
    summary: str
    has_data: bool
    notes: list[str]
    indicators: list[IndicatorOut]
    months: list[str]
    monthly: dict[str, list[float]]


class ChangesOut(BaseModel):
    done: list[dict[str, Any]]
    new: list[dict[str, Any]]
    overdue: list[dict[str, Any]]
    previous_at: str | None


class ReportOut(BaseModel):
    model_config = {"populate_by_name": True}

    title: str
    from_: str = Field(alias="from")
    to: str
    previous_from: str
    previous_to: str
    made_at: str
    has_data: bool
    notes: list[str]
    sections: list[SectionOut]
    changes: ChangesOut
    map_changes: dict[str, Any]


class KeptOut(BaseModel):
    id: int
    report: ReportOut


def _promise(settings: Settings) -> Promise:
    return load_promise(promise_path(settings.data_dir))


def _reader(user: User | None, settings: Settings) -> str | None:
    if user is None:
        if not settings.demo:
            raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
        return None
    if user.role not in REPORT_ROLES:
        raise HTTPException(403, f"role {user.role!r} may not read the follow-up")
    return user.role


def register_writer(user: User | None = Depends(current_user)) -> User:
    """The signed-in user if they may change the register (checked before the body is read)."""
    if user is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    if not may_write(user.role, "promise_actions"):
        raise HTTPException(403, f"role {user.role!r} may not change the register")
    return user


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def actions_out(store: Store, role: str | None, *, ids: list[int] | None = None
                ) -> list[ActionOut]:
    gdf = viewer_frame("promise_actions", store.read("promise_actions", ids=ids), role)
    late = overdue_mask(gdf, at=pd.Timestamp.now(tz="UTC"))
    return [ActionOut(id=int(fid), commitment=row["commitment"], what=row["what"],
                      owner=row["owner"], owner_sv=OWNER_SV.get(row["owner"], row["owner"]),
                      due=_iso(row["due"]), status=row["status"],
                      status_sv=STATUS_SV.get(row["status"], row["status"]),
                      done_at=_iso(row["done_at"]), place=row["place"] or "",
                      note=row["note"] or "", overdue=bool(late.loc[fid]),
                      version=int(row["version"]), provenance=row["provenance"])
            for fid, row in gdf.iterrows()]


def _due(value: date | None) -> pd.Timestamp | None:
    """A due date means the end of that local day."""
    return None if value is None else pd.Timestamp(value) + pd.Timedelta(hours=23, minutes=59)


# --- the promise and its register ---------------------------------------------------------------

@router.get("/api/lofte", summary="Medborgarlöftets åtaganden", response_model=PromiseOut)
def promise(user: User | None = Depends(current_user),
            settings: Settings = Depends(get_settings)) -> PromiseOut:
    """The commitments, quoted word for word from the promise's text."""
    _reader(user, settings)
    p = _promise(settings)
    return PromiseOut(title=p.title, municipality=p.municipality, source=p.source,
                      priorities=list(p.priorities), follow_up=p.follow_up,
                      commitments=[CommitmentOut(id=c.id, short=c.short, text=c.text,
                                                 owners=list(c.owners),
                                                 indicators=list(c.indicators))
                                   for c in p.commitments])


@router.get("/api/lofte/atgarder", summary="Löftesregistrets åtgärder",
            response_model=list[ActionOut])
def list_actions(user: User | None = Depends(current_user),
                 settings: Settings = Depends(get_settings),
                 store: Store = Depends(get_store)) -> list[ActionOut]:
    role = _reader(user, settings)
    return actions_out(store, role)


@router.post("/api/lofte/atgarder", summary="Lägg till en åtgärd", status_code=201,
             response_model=ActionOut)
def add_action(body: ActionIn, writer: User = Depends(register_writer),
               settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> ActionOut:
    """Add an action to a commitment: at a point (lon/lat), in a patrol zone or everywhere."""
    check_commitment(_promise(settings), body.commitment)
    values = body.model_dump(exclude={"zone", "lon", "lat"})
    values["due"] = _due(body.due)
    values["done_at"] = pd.Timestamp.now(tz="UTC") if body.status == "klar" else None
    values.update(provenance="real", source=f"Inlagd av {writer.name}")
    lonlat = (body.lon, body.lat) if body.lon is not None and body.lat is not None else (None,
                                                                                          None)
    frame = action_frame(store, values, lon=lonlat[0], lat=lonlat[1], zone=body.zone)
    fid = store.insert("promise_actions", frame, origin="request body")[0]
    return actions_out(store, writer.role, ids=[fid])[0]


@router.patch("/api/lofte/atgarder/{action_id}", summary="Ändra en åtgärd",
              response_model=ActionOut)
def change_action(action_id: int, body: ActionPatch, writer: User = Depends(register_writer),
                  store: Store = Depends(get_store)) -> ActionOut:
    """Change status, owner, due date or text; marking it "klar" records when."""
    values = body.model_dump(exclude_unset=True, exclude={"version"})
    if "due" in values:
        values["due"] = _due(body.due)
    if values.get("status") == "klar":
        current = store.get("promise_actions", action_id)
        if current["status"].iloc[0] != "klar":
            values["done_at"] = pd.Timestamp.now(tz="UTC")
    elif "status" in values:
        values["done_at"] = None
    store.update("promise_actions", action_id, values, expected_version=body.version)
    return actions_out(store, writer.role, ids=[action_id])[0]


@router.delete("/api/lofte/atgarder/{action_id}", summary="Ta bort en åtgärd", status_code=204)
def delete_action(action_id: int, _writer: User = Depends(register_writer),
                  store: Store = Depends(get_store)) -> Response:
    store.delete("promise_actions", action_id)
    return Response(status_code=204)


# --- the report -----------------------------------------------------------------------------------

@router.get("/api/rapport", summary="Uppföljningsrapport (HTML, PDF eller JSON)",
            response_model=ReportOut,
            responses={200: {"content": {"text/html": {}, "application/pdf": {}}}})
def report(from_: Annotated[date, Query(alias="from", description="First day")],
           to: Annotated[date, Query(description="Last day, included")],
           format: Literal["json", "html", "pdf"] = "json",
           user: User | None = Depends(current_user),
           settings: Settings = Depends(get_settings),
           store: Store = Depends(get_store)) -> Any:
    """One section per commitment with its indicators against the previous period, a map and a
    monthly chart; it opens with what changed since the last kept report."""
    _reader(user, settings)
    if (to - from_).days > 3660:
        raise HTTPException(422, "from/to: at most ten years at a time")
    made = make_report(store, _promise(settings), first=from_, last=to)
    if format == "html":
        return HTMLResponse(report_html(made, store.read("boundaries")))
    if format == "pdf":
        name = f"uppfoljning_{from_.isoformat()}_{to.isoformat()}.pdf"
        return Response(report_pdf(made, store.read("boundaries")), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})
    return ReportOut.model_validate(report_figures(made))


@router.post("/api/rapporter", summary="Spara rapporten inför mötet", status_code=201,
             response_model=KeptOut)
def keep(from_: Annotated[date, Query(alias="from", description="First day")],
         to: Annotated[date, Query(description="Last day, included")],
         user: User | None = Depends(current_user),
         settings: Settings = Depends(get_settings),
         store: Store = Depends(get_store)) -> KeptOut:
    """Keep the report of the period so the next meeting's report compares with it."""
    if user is None:
        raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
    _reader(user, settings)
    if (to - from_).days > 3660:
        raise HTTPException(422, "from/to: at most ten years at a time")
    made = make_report(store, _promise(settings), first=from_, last=to)
    fid = keep_report(store, made)
    return KeptOut(id=fid, report=ReportOut.model_validate(report_figures(made)))


@router.get("/api/rapporter", summary="Sparade rapporter", response_model=list[KeptReport])
def kept(user: User | None = Depends(current_user), settings: Settings = Depends(get_settings),
         store: Store = Depends(get_store)) -> list[KeptReport]:
    _reader(user, settings)
    return [KeptReport.model_validate(r) for r in kept_reports(store)]


@router.get("/api/rapporter/{report_id}", summary="En sparad rapport", response_model=ReportOut)
def kept_one(report_id: int, user: User | None = Depends(current_user),
             settings: Settings = Depends(get_settings),
             store: Store = Depends(get_store)) -> ReportOut:
    _reader(user, settings)
    figures = kept_report(store, report_id)["figures"]
    if not figures:
        raise NotFound(f"report {report_id} has no figures")
    return ReportOut.model_validate(figures)


# --- the register page ----------------------------------------------------------------------------

@router.get("/kartor/lofte", response_class=HTMLResponse, include_in_schema=False)
def register_page(request: Request, settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    user = page_user(request, settings, store)
    if user is None and not settings.demo:
        return RedirectResponse("/logga-in", status_code=303)
    if user is not None and user.role not in REPORT_ROLES:
        raise HTTPException(403, f"role {user.role!r} may not see this page")
    role = role_of(user)
    p = _promise(settings)
    actions = actions_out(store, role) if may_read(role, "promise_actions") else []
    by_commitment = {c.id: [a for a in actions if a.commitment == c.id] for c in p.commitments}
    zones = list(store.read("patrol_zones")["name"])
    first, last = default_report_period(store)
    return templates.TemplateResponse(request, "promise.html", {
        "request": request, "user": user, "role_sv": ROLE_SV, "promise": p,
        "actions": by_commitment, "zones": zones, "owners": OWNER_SV, "statuses": STATUS_SV,
        "can_write": user is not None and may_write(role, "promise_actions"),
        "reports": kept_reports(store), "today": last.isoformat(),
        "default_from": first.isoformat()})


def default_report_period(store: Store) -> tuple[date, date]:
    """The three whole months ending with the month of the newest record (events, reports,
    checks, activities), so the form opens on a period that has data; today if there is none."""
    newest = None
    for layer, column in (("events", "time"), ("unsafe_places", "reported_at"),
                          ("traffic_checks", "start"), ("activities", "date")):
        values = store.read(layer)[column].dropna()
        if len(values):
            day = values.max().tz_convert("Europe/Stockholm").date()
            newest = day if newest is None or day > newest else newest
    newest = newest or date.today()
    last = (newest.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    month = newest.month - 2
    first = date(newest.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return first, last
