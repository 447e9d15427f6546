"""Tyck till (issue 13): the public, anonymous report form and its status page, and the partner
reporters' (rapportor) quick form and weekly CSV upload. The use-cases are ``services.tips``.

The public form needs no cookie: a write from another site is refused by ``api.security``
(Origin / Sec-Fetch-Site), the body is JSON only, and the bot checks (a honeypot field, a signed
form token at least a few seconds old) and the limits per client address and overall are
applied before anything is stored.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, HTTPException, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.access import page, require_user
from api.deps import get_settings, get_store, page_user
from api.ratelimit import LoginLimiter, client_address
from api.rendering import templates
from geo.errors import ValidationFailed
from geo.periods import BANDS
from geo.tips import (
    CSV_COLUMNS, GATHERING, GATHERING_SV, MAX_DESCRIPTION_CHARS, TIP_CATEGORIES,
    TIP_CATEGORY_SV,
)
from geo.vocabulary import BAND_SV
from services import tips as service
from services.access import Viewer
from store import Store
from store.accounts import ROLE_SV, User
from trygg.settings import Settings

router = APIRouter(tags=["tyck till"])
partner_user = require_user("tips.partner")  # the signed-in account (the audit names it)
HOUR_S = 3600.0
MAX_CSV_BYTES = 1_000_000
EVERYONE = "*"  # the limiter key of all clients together
_limits_lock = threading.Lock()

Category = Annotated[str, Field(max_length=40, description="En av " + ", ".join(TIP_CATEGORIES))]
TimeOfDay = Literal[BANDS]  # type: ignore[valid-type]
Gathering = Literal[GATHERING]  # type: ignore[valid-type]


class TipBody(BaseModel):
    lon: float = Field(ge=-180, le=180, description="Longitude (WGS84)")
    lat: float = Field(ge=-90, le=90, description="Latitude (WGS84)")
    category: Category
    description: str = Field(max_length=MAX_DESCRIPTION_CHARS)
    time: str | None = Field(None, max_length=40, description="When it happened (ISO 8601; "
                             "local time if without an offset)")
    time_of_day: TimeOfDay | None = Field(None, description="Buskörning: when it happens")
    gathering: Gathering | None = Field(None, description="Buskörning: do people gather there")

    def tip(self) -> service.TipIn:
        return service.TipIn(lon=self.lon, lat=self.lat, category=self.category,
                             description=self.description, time=self.time,
                             time_of_day=self.time_of_day, gathering=self.gathering)


class PublicTipBody(TipBody):
    form_token: str = Field("", max_length=100, description="From the page's form")
    website: str = Field("", max_length=200, description="Leave empty (a field for bots)")


class TipStatus(BaseModel):
    receipt: str
    state: str
    state_sv: str
    category: str
    category_sv: str
    submitted_at: str
    decided_at: str | None
    note: str
    on_map: bool


class OwnReport(BaseModel):
    id: int
    receipt: str
    state: str
    state_sv: str
    category: str
    description: str
    lon: float
    lat: float
    time_of_day: str | None
    gathering: str | None
    observed_at: str | None
    submitted_at: str
    organisation: str | None
    note: str


def tip_limits(request: Request) -> tuple[LoginLimiter, LoginLimiter]:
    """The app's limiter of accepted public reports (one per app, made on first use)."""
    state = request.app.state
    with _limits_lock:
        if getattr(state, "tip_limits", None) is None:
            settings: Settings = state.settings
            state.tip_limits = (LoginLimiter(settings.tips_per_client_per_hour, window_s=HOUR_S),
                                LoginLimiter(settings.tips_per_hour, window_s=HOUR_S))
    limits: tuple[LoginLimiter, LoginLimiter] = state.tip_limits
    return limits


def within_limits(request: Request) -> str:
    """The client's key, or 429 with ``Retry-After`` when it or everyone has used the hour's
    reports."""
    per_client, overall = tip_limits(request)
    client = client_address(request)
    for limiter, key in ((per_client, client), (overall, EVERYONE)):
        if limiter.blocked(key):
            raise HTTPException(429, "för många tips har lämnats den senaste timmen; försök "
                                     "igen senare", headers={
                                         "Retry-After": str(limiter.retry_after(key))})
    return client


def _choices() -> dict[str, Any]:
    return {"categories": [(c, TIP_CATEGORY_SV[c]) for c in TIP_CATEGORIES],
            "bands": [(b, BAND_SV[b]) for b in BANDS],
            "gathering": [(g, GATHERING_SV[g]) for g in GATHERING],
            "max_chars": MAX_DESCRIPTION_CHARS}


@router.get("/tyck-till", response_class=HTMLResponse, include_in_schema=False)
def tyck_till_page(request: Request, settings: Settings = Depends(get_settings),
                   store: Store = Depends(get_store)) -> Response:
    """The public form: anyone, signed in or not, demo mode or not."""
    user = page_user(request, settings, store)
    return templates.TemplateResponse(request, "tyck_till.html", {
        "user": user, "role_sv": ROLE_SV, "form_token": service.form_token(settings.secret),
        **_choices()})


@router.post("/api/tyck-till", status_code=201, response_model=TipStatus)
def submit(body: PublicTipBody, request: Request, client: str = Depends(within_limits),
           settings: Settings = Depends(get_settings),
           store: Store = Depends(get_store)) -> dict[str, Any]:
    """An anonymous report; the answer's ``receipt`` is the code for its status page."""
    answer = service.submit_public(store, body.tip(), secret=settings.secret,
                                   form=body.form_token, honeypot=body.website)
    per_client, overall = tip_limits(request)
    per_client.failed(client)  # counts an accepted report
    overall.failed(EVERYONE)
    return answer


@router.get("/api/tyck-till/{receipt}", response_model=TipStatus)
def tip_status(receipt: Annotated[str, Path(max_length=40)],
               store: Store = Depends(get_store)) -> dict[str, Any]:
    """The state of the report with ``receipt`` (never its text or place)."""
    return service.status(store, receipt)


@router.get("/tyck-till/status/{receipt}", response_class=HTMLResponse, include_in_schema=False)
def status_page(receipt: str, request: Request, settings: Settings = Depends(get_settings),
                store: Store = Depends(get_store)) -> Response:
    user = page_user(request, settings, store)
    try:
        found: dict[str, Any] | None = service.status(store, receipt[:40])
    except LookupError:
        found = None
    return templates.TemplateResponse(request, "tyck_till_status.html", {
        "user": user, "role_sv": ROLE_SV, "receipt": receipt[:40], "tip": found},
        status_code=200 if found else 404)


# --- partner reporters (rapportor) -------------------------------------------------------------

@router.get("/samverkan", response_class=HTMLResponse, include_in_schema=False)
def partner_page(request: Request, viewer: Viewer = Depends(page("tips.partner")),
                 settings: Settings = Depends(get_settings),
                 store: Store = Depends(get_store)) -> Response:
    """The partner's quick phone form, the weekly CSV upload and its own reports."""
    user = page_user(request, settings, store)
    return templates.TemplateResponse(request, "samverkan.html", {
        "user": user, "role_sv": ROLE_SV, "csv_columns": ", ".join(CSV_COLUMNS), **_choices()})


@router.get("/api/samverkan/rapporter", response_model=list[OwnReport])
def own_reports(user: User = Depends(partner_user),
                store: Store = Depends(get_store)) -> list[dict[str, Any]]:
    """The reports the signed-in partner filed; nobody else's."""
    return service.partner_reports(store, user)


@router.post("/api/samverkan/rapporter", status_code=201, response_model=OwnReport)
def partner_report(body: TipBody, user: User = Depends(partner_user),
                   store: Store = Depends(get_store)) -> dict[str, Any]:
    """One report for the partner's organisation (moderated like the public's)."""
    return service.submit_partner(store, body.tip(), user=user)


@router.post("/api/samverkan/rapporter/import", status_code=201,
             response_model=list[OwnReport])
async def partner_import(file: Annotated[UploadFile, File()],
                         user: User = Depends(partner_user),
                         store: Store = Depends(get_store)) -> list[dict[str, Any]]:
    """The weekly CSV file (columns lon, lat, category, description, time, time_of_day,
    gathering), all rows or none."""
    raw = await file.read(MAX_CSV_BYTES + 1)
    name = (file.filename or "rapporter.csv")[:200]
    if len(raw) > MAX_CSV_BYTES:
        raise ValidationFailed(f"{name}: högst {MAX_CSV_BYTES // 1000} kB per fil")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{name}: filen är inte UTF-8-text; spara den som CSV (UTF-8)"
                               ) from None
    return service.import_partner_csv(store, text, origin=name, user=user)
