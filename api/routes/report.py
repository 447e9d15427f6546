"""The follow-up report (``/api/rapport``), kept reports (``/api/rapporter``), the promise's
commitments and its register of actions (``/api/lofte``), and the register page ``/kartor/lofte``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from api.deps import current_user, get_settings, get_store, page_user, role_of
from geo.errors import NotFound
from geo.layers import ACTION_OWNERS, ACTION_STATUSES
from geo.promise import OWNER_SV, STATUS_SV, Promise
from geo.report import report_figures
from services import register
from services import report as service
from services.access import Viewer, may_write
from store import Store
from store.accounts import ROLE_SV, User
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
    return service.promise(settings.data_dir)


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


def _viewer(user: User | None) -> Viewer:
    return Viewer(role_of(user), name=user.name if user else None)


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
    _reader(user, settings)
    return [ActionOut(**a) for a in register.actions(store, _viewer(user))]


@router.post("/api/lofte/atgarder", summary="Lägg till en åtgärd", status_code=201,
             response_model=ActionOut)
def add_action(body: ActionIn, writer: User = Depends(register_writer),
               settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> ActionOut:
    """Add an action to a commitment: at a point (lon/lat), in a patrol zone or everywhere."""
    place = register.Place(lon=body.lon, lat=body.lat, zone=body.zone)
    return ActionOut(**register.add_action(store, _promise(settings),
                                           body.model_dump(exclude={"zone", "lon", "lat"}),
                                           place, writer=_viewer(writer)))


@router.patch("/api/lofte/atgarder/{action_id}", summary="Ändra en åtgärd",
              response_model=ActionOut)
def change_action(action_id: int, body: ActionPatch, writer: User = Depends(register_writer),
                  store: Store = Depends(get_store)) -> ActionOut:
    """Change status, owner, due date or text; marking it "klar" records when."""
    return ActionOut(**register.change_action(
        store, action_id, body.model_dump(exclude_unset=True, exclude={"version"}),
        writer=_viewer(writer), expected_version=body.version))


@router.delete("/api/lofte/atgarder/{action_id}", summary="Ta bort en åtgärd", status_code=204)
def delete_action(action_id: int, _writer: User = Depends(register_writer),
                  store: Store = Depends(get_store)) -> Response:
    register.delete_action(store, action_id)
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
    made = service.make_report(store, _promise(settings), first=from_, last=to)
    if format == "html":
        return HTMLResponse(service.report_file(store, made, "html"))
    if format == "pdf":
        name = f"uppfoljning_{from_.isoformat()}_{to.isoformat()}.pdf"
        return Response(service.report_file(store, made, "pdf"), media_type="application/pdf",
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
    made = service.make_report(store, _promise(settings), first=from_, last=to)
    fid = service.keep_report(store, made)
    return KeptOut(id=fid, report=ReportOut.model_validate(report_figures(made)))


@router.get("/api/rapporter", summary="Sparade rapporter", response_model=list[KeptReport])
def kept(user: User | None = Depends(current_user), settings: Settings = Depends(get_settings),
         store: Store = Depends(get_store)) -> list[KeptReport]:
    _reader(user, settings)
    return [KeptReport.model_validate(r) for r in service.kept_reports(store)]


@router.get("/api/rapporter/{report_id}", summary="En sparad rapport", response_model=ReportOut)
def kept_one(report_id: int, user: User | None = Depends(current_user),
             settings: Settings = Depends(get_settings),
             store: Store = Depends(get_store)) -> ReportOut:
    _reader(user, settings)
    figures = service.kept_report(store, report_id)["figures"]
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
    by_commitment = register.register_by_commitment(store, _viewer(user), p)
    zones = list(store.read("patrol_zones")["name"])
    first, last = service.default_report_period(store)
    return templates.TemplateResponse(request, "promise.html", {
        "request": request, "user": user, "role_sv": ROLE_SV, "promise": p,
        "actions": by_commitment, "zones": zones, "owners": OWNER_SV, "statuses": STATUS_SV,
        "can_write": user is not None and may_write(role, "promise_actions"),
        "reports": service.kept_reports(store), "today": last.isoformat(),
        "default_from": first.isoformat()})

