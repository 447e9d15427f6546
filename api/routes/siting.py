"""``/api/siting``: suggested traffic-check sites, a randomised weekly plan, snapping a clicked
point to the risk roads, and the planned checks as CSV or GPX for the patrol."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response
import geopandas as gpd
import pandas as pd
from pydantic import AwareDatetime, BaseModel, Field

from api.access import require, require_user
from api.deps import RecordId, get_store
from api.responses import download
from geo.errors import ImportRejected
from geo.geojson import single_feature
from geo.layers import CANDIDATE_KINDS, CHECK_KINDS, RISK_CATEGORIES
from services import exports
from services import siting as core
from services.access import Viewer, fit_frame
from store import Store
from store.accounts import User

router = APIRouter(prefix="/api/siting", tags=["planering"])
RiskCategory = Literal[RISK_CATEGORIES]  # type: ignore[valid-type]
CheckKind = Literal[CHECK_KINDS]  # type: ignore[valid-type]
CandidateKind = Literal[CANDIDATE_KINDS]  # type: ignore[valid-type]
GEOJSON = "application/geo+json"
HOURS_PATTERN = r"^\s*\d{1,2}\s*-\s*\d{1,2}\s*(,\s*\d{1,2}\s*-\s*\d{1,2}\s*)*$"


class LonLat(BaseModel):
    lon: float = Field(strict=True, ge=10.0, le=24.5, description="Longitude (WGS84)")
    lat: float = Field(strict=True, ge=55.0, le=69.5, description="Latitude (WGS84)")


class SuggestIn(BaseModel):
    k: int = Field(5, strict=True, ge=1, le=100, description="Number of sites to choose")
    radius_m: float = Field(1500.0, strict=True, gt=0, le=50_000,
                            description="Coverage radius, metres")
    categories: list[RiskCategory] = Field(default_factory=list, max_length=4,
                                           description="Risk categories; empty means all")
    fixed: list[LonLat] = Field(default_factory=list, max_length=50,
                                description="Sites already fixed by the planner")
    spacing_m: float = Field(0.0, strict=True, ge=0, le=50_000,
                             description="Least distance between sites, metres")
    rotation_weeks: int = Field(0, strict=True, ge=0, le=52,
                                description="Sites of checks in the last N weeks are excluded "
                                            "or penalised")
    rotation: Literal["exclude", "penalise"] = "exclude"
    rotation_penalty: float = Field(0.5, strict=True, ge=0, le=1,
                                    description="Share of a recently used site's covered weight "
                                                "lost")
    as_of: date | None = Field(None, ge=date(2000, 1, 1), le=date(2099, 12, 31),
                               description="Rotation counts back from this day (default today)")
    hours: str | None = Field(None, max_length=60, pattern=HOURS_PATTERN,
                              description="Time-of-day filter, local hours, e.g. '22-6'")
    step_m: float = Field(500.0, strict=True, ge=50, le=10_000,
                          description="Spacing of generated candidates along the roads, metres")
    method: Literal["mip", "greedy"] = "mip"


class PointGeometry(BaseModel):
    type: Literal["Point"]
    coordinates: list[float]


class SiteProperties(BaseModel):
    rank: int
    name: str
    kind: str
    fixed: bool
    candidate_id: int | None
    weight_covered: float = Field(description="Risk weight within the radius of this site")
    weight_assigned: float = Field(description="Covered weight nearest to this site (these "
                                               "sum to covered_weight)")
    share_assigned: float


class SiteFeature(BaseModel):
    type: Literal["Feature"]
    geometry: PointGeometry
    properties: SiteProperties


class SuggestOut(BaseModel):
    type: Literal["FeatureCollection"]
    k: int
    radius_m: float
    categories: list[str]
    hours: str | None
    covered_weight: float = Field(description="Risk weight (weight × km) within the radius")
    total_weight: float
    covered_share: float = Field(description="Share of all risk weight covered (not of pieces)")
    method: Literal["mip", "greedy"]
    gap: float = Field(description="Upper bound on the relative gap to the optimum (0 = optimal)")
    upper_bound: float
    n_demand: int
    n_candidates: int
    schematic_roads: bool
    notes: list[str]
    features: list[SiteFeature]


class ScheduleIn(SuggestIn):
    week: str = Field(pattern=r"^20\d{2}-W(0[1-9]|[1-4]\d|5[0-3])$",
                      description="ISO week, e.g. 2024-W10")
    seed: int = Field(1, strict=True, ge=0, le=2**32 - 1)
    checks: int = Field(6, strict=True, ge=1, le=84, description="Checks to plan in the week")
    block_h: Literal[1, 2, 3, 4, 6] = 2
    max_per_site: int = Field(2, strict=True, ge=1, le=84)
    available_hours: str = Field("0-24", max_length=60, pattern=HOURS_PATTERN,
                                 description="The planner's available local hours each day")
    weekdays: list[Annotated[int, Field(strict=True, ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], min_length=1, max_length=7,
        description="Available weekdays, 1 = Monday")


class PlannedCheck(BaseModel):
    site_rank: int
    site: str
    lon: float
    lat: float
    weekday: str
    block: str
    start: str
    end: str
    block_risk_share: float


class PeriodShare(BaseModel):
    period: str
    planned_share: float
    risk_share: float


class ScheduleOut(BaseModel):
    week: str
    seed: int
    block_h: int
    checks: list[PlannedCheck]
    comparison: list[PeriodShare]
    risk_share_planned: float = Field(description="Share of the week's risk in planned hours")
    hours_share_planned: float = Field(description="Share of the week's hours planned")
    profile_by_hour: list[float]
    notes: list[str]
    sites: SuggestOut


class SnapIn(LonLat):
    max_distance_m: float = Field(100.0, strict=True, gt=0, le=1000)


class SnapOut(BaseModel):
    lon: float
    lat: float
    distance_m: float
    road_id: int
    road: str


planner = require("siting.plan")  # anonymous visitors too in demo mode (nothing is written)
plan_saver = require_user("siting.save")


def _suggest_options(body: SuggestIn) -> dict:
    options = body.model_dump(exclude={"fixed"})
    options["fixed"] = [(p.lon, p.lat) for p in body.fixed]
    return {k: v for k, v in options.items() if k in SuggestIn.model_fields}


@router.post("/suggest", summary="Föreslå kontrollplatser", response_model=SuggestOut)
def suggest(body: SuggestIn, viewer: Viewer = Depends(planner),
            store: Store = Depends(get_store)) -> SuggestOut:
    """Choose k sites covering the most risk weight within the radius (exact MIP, HiGHS)."""
    _, doc = core.suggest(store, **_suggest_options(body),
                          planned_checks_visible=viewer.sees_planned_checks)
    return SuggestOut.model_validate(doc)


@router.post("/schedule", summary="Slumpa en veckoplan", response_model=ScheduleOut)
def schedule(body: ScheduleIn, viewer: Viewer = Depends(planner),
             store: Store = Depends(get_store)) -> ScheduleOut:
    """Draw a week's checks (site × time block) weighted by site risk and the hour-of-week
    risk profile of the traffic events; the seed makes it reproducible."""
    plan = body.model_dump(include={"week", "seed", "checks", "block_h", "max_per_site",
                                    "available_hours", "weekdays"})
    doc = core.schedule(store, **plan, **_suggest_options(body),
                        planned_checks_visible=viewer.sees_planned_checks)
    return ScheduleOut.model_validate(doc)


@router.post("/snap", summary="Flytta en punkt till närmaste riskväg", response_model=SnapOut)
def snap(body: SnapIn, _viewer: Viewer = Depends(planner),
         store: Store = Depends(get_store)) -> SnapOut:
    """The nearest point on a risk road within max_distance_m (422 if none)."""
    return SnapOut(**core.snap(store, body.lon, body.lat, max_distance_m=body.max_distance_m))


class PlanIn(LonLat):
    """A traffic check to plan: where (snapped to the nearest risk road), when and what."""

    start: AwareDatetime = Field(description="Start, ISO 8601 with its offset")
    end: AwareDatetime = Field(description="End, ISO 8601 with its offset (0.5 to 12 h later)")
    kinds: list[CheckKind] = Field(default_factory=list, max_length=4,
                                   description="Kinds of check: hastighet, nykterhet, a_traktor, "
                                               "allman")
    place: str = Field("", max_length=200, description="The place's name (default: the road's)")
    candidate_id: int | None = Field(None, ge=1, le=2**63 - 1,
                                     description="The suggested candidate site")
    max_distance_m: float = Field(100.0, strict=True, gt=0, le=1000)


class PlanOut(BaseModel):
    id: int


@router.post("/plan", summary="Planera en kontroll", status_code=201, response_model=PlanOut)
def plan(body: PlanIn, user: User = Depends(plan_saver),
         store: Store = Depends(get_store)) -> PlanOut:
    """Save a planned traffic check: snapped to the road, 0.5–12 hours, not in the past, at
    least one kind; status planerad, provenance real, the planner and the candidate site named
    in its source."""
    return PlanOut(id=core.plan_check(store, _check_plan(body), actor=user))


class WeekPlanIn(BaseModel):
    """The weekly plan's checks to save as planned checks, all or none."""

    checks: list[PlanIn] = Field(min_length=1, max_length=core.MAX_WEEK_CHECKS,
                                 description="The checks of the weekly plan")


class WeekPlanOut(BaseModel):
    ids: list[int]
    count: int


def _check_plan(body: PlanIn) -> core.CheckPlan:
    return core.CheckPlan(
        lon=body.lon, lat=body.lat, start=pd.Timestamp(body.start), end=pd.Timestamp(body.end),
        kinds=tuple(body.kinds), place=body.place, candidate_id=body.candidate_id,
        max_distance_m=body.max_distance_m)


@router.post("/plan/week", summary="Spara veckoplanen som planerade kontroller",
             status_code=201, response_model=WeekPlanOut)
def save_week(body: WeekPlanIn, user: User = Depends(plan_saver),
              store: Store = Depends(get_store)) -> WeekPlanOut:
    """Save every check of a weekly plan as a planned check (each as POST /plan checks it), in
    one transaction: any problem of any check refuses them all (422, each named)."""
    ids = core.save_checks(store, [_check_plan(c) for c in body.checks], actor=user)
    return WeekPlanOut(ids=ids, count=len(ids))


def _version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names ("3", '"3"' or 'W/"3"'); 422 if not a number."""
    if not if_match:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ImportRejected(f"rubriken If-Match: {if_match!r} är inget versionsnummer; skicka "
                             "versionen du läste", code="invalid_version")
    return int(text)


def _feature(layer: str, gdf: gpd.GeoDataFrame, user: User) -> Response:
    shown = fit_frame(layer, gdf, user.role)
    return Response(single_feature(shown), media_type=GEOJSON,
                    headers={"ETag": f'"{int(shown["version"].iloc[0])}"'})


class CheckChangeIn(BaseModel):
    """What to change of a planned check; a field left out keeps its value."""

    lon: float | None = Field(None, strict=True, ge=10.0, le=24.5)
    lat: float | None = Field(None, strict=True, ge=55.0, le=69.5)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    kinds: list[CheckKind] | None = Field(None, max_length=4)
    place: str | None = Field(None, max_length=200)
    max_distance_m: float = Field(100.0, strict=True, gt=0, le=1000)


@router.patch("/plan/{feature_id}", summary="Ändra eller flytta en planerad kontroll",
              responses={200: {"content": {GEOJSON: {}}}})
def change_check(feature_id: RecordId, body: CheckChangeIn,
                 if_match: Annotated[str | None, Header()] = None,
                 user: User = Depends(plan_saver), store: Store = Depends(get_store)) -> Response:
    """Change the time, kinds or place of a planned check, or move it (snapped to the nearest
    risk road again); checked as POST /plan. Send the version you read (``If-Match``): a
    concurrent change gives 409 and changes nothing."""
    gdf = core.update_check(store, feature_id, core.CheckChange(
        lon=body.lon, lat=body.lat,
        start=None if body.start is None else pd.Timestamp(body.start),
        end=None if body.end is None else pd.Timestamp(body.end),
        kinds=body.kinds, place=body.place, max_distance_m=body.max_distance_m),
        expected_version=_version(if_match), actor=user)
    return _feature("traffic_checks", gdf, user)


class CandidateIn(BaseModel):
    """A candidate site: where (snapped to the nearest risk road), its name and kind."""

    lon: float | None = Field(None, strict=True, ge=10.0, le=24.5)
    lat: float | None = Field(None, strict=True, ge=55.0, le=69.5)
    name: str | None = Field(None, max_length=200)
    kind: CandidateKind | None = None
    note: str | None = Field(None, max_length=2000)
    max_distance_m: float = Field(100.0, strict=True, gt=0, le=1000)


class CandidateOut(BaseModel):
    id: int


def _candidate(body: CandidateIn) -> core.CandidateSite:
    return core.CandidateSite(**body.model_dump())


@router.post("/candidates", summary="Lägg till en möjlig kontrollplats", status_code=201,
             response_model=CandidateOut)
def add_candidate(body: CandidateIn, user: User = Depends(plan_saver),
                  store: Store = Depends(get_store)) -> CandidateOut:
    """Add a candidate site where the planner clicked, snapped to the nearest risk road."""
    return CandidateOut(id=core.add_candidate(store, _candidate(body), actor=user))


@router.patch("/candidates/{feature_id}", summary="Ändra eller flytta en möjlig kontrollplats",
              responses={200: {"content": {GEOJSON: {}}}})
def change_candidate(feature_id: RecordId, body: CandidateIn,
                     if_match: Annotated[str | None, Header()] = None,
                     user: User = Depends(plan_saver),
                     store: Store = Depends(get_store)) -> Response:
    """Rename, re-kind or move a candidate site (snapped again); 409 on a concurrent change."""
    gdf = core.update_candidate(store, feature_id, _candidate(body),
                                expected_version=_version(if_match), actor=user)
    return _feature("candidate_sites", gdf, user)


def _planned_file(fmt: str, viewer: Viewer, store: Store) -> Response:
    """Planned checks are planned police operations: planerare, patrullchef and admin only,
    signed in even in demo mode."""
    content = exports.planned_checks_file(store, viewer, fmt)
    return download(content, f"{exports.PLANNED_NAME}.{fmt}", fmt)


@router.get("/planned.csv", summary="Planerade kontroller som CSV",
            responses={200: {"content": {"text/csv": {}}}})
def planned_csv(viewer: Viewer = Depends(require("siting.planned")),
                store: Store = Depends(get_store)) -> Response:
    """The planned traffic checks (status planerad) as CSV (WGS84 lat/lon)."""
    return _planned_file("csv", viewer, store)


@router.get("/planned.gpx", summary="Planerade kontroller som GPX",
            responses={200: {"content": {"application/gpx+xml": {}}}})
def planned_gpx(viewer: Viewer = Depends(require("siting.planned")),
                store: Store = Depends(get_store)) -> Response:
    """The planned traffic checks as GPX waypoints for a GPS."""
    return _planned_file("gpx", viewer, store)
