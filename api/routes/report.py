"""The follow-up report (``/api/rapport``), kept reports (``/api/rapporter``), the promise's
commitments and its register of actions (``/api/lofte``), and the register page ``/kartor/lofte``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.access import page, require, shown_user
from api.cache import ResponseCache
from api.deps import RecordId, get_cache, get_settings, get_store
from api.rendering import templates
from geo.errors import NotFound, ValidationFailed
from geo.layers import ACTION_OWNERS, ACTION_STATUSES
from geo.periods import LOCAL_TZ
from geo.promise import Promise
from geo.vocabulary import ACTION_STATUS_SV as STATUS_SV
from geo.vocabulary import OWNER_SV
from geo.report import report_figures
from geo.targets import target_dict
from services import exports, register
from services import report as service
from services.access import Viewer, may
from services.targets import targets_stamp
from store import Store
from store.accounts import ROLE_SV
from trygg.settings import Settings

router = APIRouter(tags=["uppföljning"])
Owner = Literal[ACTION_OWNERS]  # type: ignore[valid-type]
Status = Literal[ACTION_STATUSES]  # type: ignore[valid-type]


class CommitmentOut(BaseModel):
    id: str
    short: str
    text: str
    owners: list[str]
    indicators: list[str]
    targets: list[dict[str, Any]] = []


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
    named: str | None = Field(None, max_length=200,
                              description="A gazetteer place or road ('Söråker', 'väg 331')")
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
    compared: bool = Field(True, description="False: no data for the previous period "
                           "(ingen jämförelse)")


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
    targets: list[dict[str, Any]] = Field(
        default=[], description="Per target: status met, not_met or unknown, the figure, texts")


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
    population: dict[str, Any] | None = None
    comparison: dict[str, Any] | None = Field(
        None, description="A police area's municipalities side by side: police events per "
                          "type (as /api/rapport/kommuner); null for one municipality")


class KeptOut(BaseModel):
    id: int
    report: ReportOut


def _promise(store: Store, settings: Settings) -> Promise:
    return service.promise(store, settings)


reader = require("followup.read")
Kommun = Annotated[str | None, Query(pattern=r"^\d{4}$", description="Kommunkod i området "
                                     "(ett polisområde: standard den första)")]
register_writer = require("register.write")  # checked before the body is read


# --- the promise and its register ---------------------------------------------------------------

@router.get("/api/lofte", summary="Medborgarlöftets åtaganden", response_model=PromiseOut)
def promise(viewer: Viewer = Depends(reader), settings: Settings = Depends(get_settings),
            store: Store = Depends(get_store), kommun: Kommun = None) -> PromiseOut:
    """The commitments, quoted word for word from the promise's text (of a police area: the
    municipality ``kommun``'s own promise)."""
    p = service.promise(store, settings, kommun=kommun, kommuner=viewer.kommuner)
    return PromiseOut(title=p.title, municipality=p.municipality, source=p.source,
                      priorities=list(p.priorities), follow_up=p.follow_up,
                      commitments=[CommitmentOut(id=c.id, short=c.short, text=c.text,
                                                 owners=list(c.owners),
                                                 indicators=list(c.indicators),
                                                 targets=[target_dict(t) for t in c.targets])
                                   for c in p.commitments])


@router.get("/api/lofte/atgarder", summary="Löftesregistrets åtgärder",
            response_model=list[ActionOut])
def list_actions(viewer: Viewer = Depends(reader),
                 store: Store = Depends(get_store)) -> list[ActionOut]:
    return [ActionOut(**a) for a in register.actions(store, viewer)]


@router.post("/api/lofte/atgarder", summary="Lägg till en åtgärd", status_code=201,
             response_model=ActionOut)
def add_action(body: ActionIn, writer: Viewer = Depends(register_writer),
               settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> ActionOut:
    """Add an action to a commitment: at a point (lon/lat), in a patrol zone or everywhere."""
    place = register.Place(lon=body.lon, lat=body.lat, zone=body.zone, named=body.named)
    return ActionOut(**register.add_action(
        store, _promise(store, settings), body.model_dump(exclude={"zone", "named", "lon", "lat"}),
        place, writer=writer))


@router.patch("/api/lofte/atgarder/{action_id}", summary="Ändra en åtgärd",
              response_model=ActionOut)
def change_action(action_id: RecordId, body: ActionPatch,
                  if_match: Annotated[str | None, Header()] = None,
                  writer: Viewer = Depends(register_writer),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> ActionOut:
    """Change status, owner, due date or text; marking it "klar" records when. Send the version
    you read (``If-Match`` or ``version``): a change made meanwhile gives 409."""
    return ActionOut(**register.change_action(
        store, _promise(store, settings), action_id,
        body.model_dump(exclude_unset=True, exclude={"version"}), writer=writer,
        expected_version=_expected_version(if_match, body.version)))


def _expected_version(if_match: str | None, version: int | None) -> int | None:
    """The version a change names: ``If-Match`` ("3", '"3"' or 'W/"3"') over the body's."""
    tag = (if_match or "").removeprefix("W/").strip('" ')
    if tag and not tag.isdigit():
        raise ValidationFailed(f"If-Match: {if_match!r} är inget versionsnummer. Skicka den "
                               "version du läste, till exempel \"3\".", code="bad_version")
    return int(tag) if tag else version


@router.delete("/api/lofte/atgarder/{action_id}", summary="Ta bort en åtgärd", status_code=204)
def delete_action(action_id: RecordId, _admin: Viewer = Depends(require("register.delete")),
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
           viewer: Viewer = Depends(reader),
           settings: Settings = Depends(get_settings),
           store: Store = Depends(get_store),
           cache: ResponseCache = Depends(get_cache), kommun: Kommun = None) -> Any:
    """One section per commitment with its indicators against the previous period, a map and a
    monthly chart; it opens with what changed since the last kept report. Of a police area:
    the municipality ``kommun``'s promise and records."""
    chosen, scope = service.report_scope(store, settings, kommun=kommun,
                                         kommuner=viewer.kommuner)
    compare = service.comparison_area(store, settings, kommuner=viewer.kommuner)

    def make() -> Any:
        return service.make_report(store, chosen, first=from_, last=to,
                                   max_ping_gap_min=settings.max_ping_gap_min, kommuner=scope,
                                   compare=compare)

    if format == "html":  # the same for every viewer; stale on any write to its inputs or a new day
        today = pd.Timestamp.now(tz=LOCAL_TZ).date()  # overdue actions change with the day
        key = ("report.html", from_, to, settings.max_ping_gap_min, today,
               scope and tuple(sorted(scope)), compare and tuple(compare),
               store.generations(service.REPORT_INPUTS), targets_stamp(store))
        return HTMLResponse(cache.get_or_make(
            key, lambda: service.report_file(store, make(), "html").decode("utf-8")))
    made = make()
    if format == "pdf":
        name = f"uppfoljning_{from_.isoformat()}_{to.isoformat()}.pdf"
        return Response(service.report_file(store, made, "pdf"), media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{name}"'})
    return ReportOut.model_validate(report_figures(made))


@router.get("/api/rapport.xlsx", summary="Uppföljningsrapportens siffror (Excel)",
            response_class=Response,
            responses={200: {"content": {exports.XLSX: {}}, "description": "En arbetsbok"}})
def report_xlsx(from_: Annotated[date, Query(alias="from", description="First day")],
                to: Annotated[date, Query(description="Last day, included")],
                viewer: Viewer = Depends(reader),
                settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store), kommun: Kommun = None) -> Response:
    """The report's figures as an Excel workbook: an overview, a sheet per commitment and the
    register's changes; numbers as numbers, days as dates, Swedish time."""
    chosen, scope = service.report_scope(store, settings, kommun=kommun,
                                         kommuner=viewer.kommuner)
    body = exports.report_xlsx(store, chosen, first=from_, last=to,
                               max_ping_gap_min=settings.max_ping_gap_min, kommuner=scope)
    name = f"uppfoljning_{from_.isoformat()}_{to.isoformat()}.xlsx"
    return Response(body, media_type=exports.XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/api/rapporter", summary="Spara rapporten inför mötet", status_code=201,
             response_model=KeptOut)
def keep(from_: Annotated[date, Query(alias="from", description="First day")],
         to: Annotated[date, Query(description="Last day, included")],
         _viewer: Viewer = Depends(require("followup.keep")),
         settings: Settings = Depends(get_settings),
         store: Store = Depends(get_store)) -> KeptOut:
    """Keep the report of the period so the next meeting's report compares with it."""
    made = service.make_report(store, _promise(store, settings), first=from_, last=to,
                               max_ping_gap_min=settings.max_ping_gap_min,
                               compare=service.comparison_area(store, settings))
    fid = service.keep_report(store, made)
    return KeptOut(id=fid, report=ReportOut.model_validate(report_figures(made)))


@router.get("/api/rapporter", summary="Sparade rapporter", response_model=list[KeptReport])
def kept(_viewer: Viewer = Depends(reader),
         store: Store = Depends(get_store)) -> list[KeptReport]:
    return [KeptReport.model_validate(r) for r in service.kept_reports(store)]


@router.get("/api/rapporter/{report_id}.xlsx", summary="En sparad rapports siffror (Excel)",
            response_class=Response,
            responses={200: {"content": {exports.XLSX: {}}, "description": "En arbetsbok"}})
def kept_one_xlsx(report_id: RecordId, _viewer: Viewer = Depends(reader),
                  store: Store = Depends(get_store)) -> Response:
    """A kept report's figures as an Excel workbook (as ``/api/rapport.xlsx``)."""
    return Response(exports.kept_report_xlsx(store, report_id), media_type=exports.XLSX,
                    headers={"Content-Disposition":
                             f'attachment; filename="uppfoljning_sparad_{report_id}.xlsx"'})


@router.get("/api/rapporter/{report_id}", summary="En sparad rapport", response_model=ReportOut)
def kept_one(report_id: RecordId, _viewer: Viewer = Depends(reader),
             store: Store = Depends(get_store)) -> ReportOut:
    figures = service.kept_report(store, report_id)["figures"]
    if not figures:
        raise NotFound(f"report {report_id} has no figures")
    return ReportOut.model_validate(figures)


# --- the register page ----------------------------------------------------------------------------

@router.get("/kartor/lofte", response_class=HTMLResponse, include_in_schema=False)
def register_page(request: Request, viewer: Viewer = Depends(page("followup.read")),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    p = _promise(store, settings)
    by_commitment = register.register_by_commitment(store, viewer, p)
    zones = list(store.read("patrol_zones")["name"])
    first, last = service.default_report_period(store)
    due_min, due_max = register.due_bounds(p)
    return templates.TemplateResponse(request, "promise.html", {
        "request": request, "user": shown_user(viewer), "role_sv": ROLE_SV, "promise": p,
        "actions": by_commitment, "zones": zones, "owners": OWNER_SV, "statuses": STATUS_SV,
        "places": register.place_choices(store), "due_min": due_min, "due_max": due_max,
        "can_write": may(viewer, "register.write"),
        "can_delete": may(viewer, "register.delete"),
        "can_publish": may(viewer, "followup.publish"),
        "reports": register.kept_report_links(store), "today": last.isoformat(),
        "default_from": first.isoformat()})

