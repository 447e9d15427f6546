"""``/api/coverage``: foot-patrol coverage of the patrol zones and traffic-check coverage of the
risk roads, as JSON figures with GeoJSON (WGS84) per zone or road.

Patrol coverage is for patrol leaders and admins (per zone and team, never a single trail);
check coverage is for every role (and anonymous visitors in demo mode), like the layers it uses.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from api.cache import ResponseCache
from api.access import require
from api.deps import get_cache, get_settings, get_store
from services import coverage as service
from services.access import Viewer
from store import Store
from trygg.settings import Settings

router = APIRouter(prefix="/api/coverage", tags=["täckning"])


class BandOut(BaseModel):
    band: str
    daytype: str
    minutes: float
    visits: int
    coverage_pct: float | None


class WeekOut(BaseModel):
    week: str
    monday: str
    days_in_period: int
    minutes: float
    visits: int
    target_minutes: float
    target_pct: float | None
    target_met: bool


class TeamOut(BaseModel):
    unit: str
    minutes: float
    visits: int


class BaselineOut(BaseModel):
    period_from: str
    period_to: str
    minutes: float
    minutes_per_week: float
    visits: int
    coverage_pct: float
    change_minutes_per_week: float
    change_pct: float | None


class DosageOut(BaseModel):
    min_visit_min: float
    max_gap_h: float
    long_visits: int
    long_visit_pct: float | None
    active_hours: str
    active_h: float
    dosed_h: float
    dosed_pct: float | None


class ZoneOut(BaseModel):
    zone_id: int
    name: str
    priority: int | None
    target_minutes_per_week: float
    minutes: float
    minutes_per_week: float
    target_pct: float | None
    visits: int
    longest_gap_h: float
    longest_gap_from: str
    longest_gap_to: str
    coverage_pct: float
    coverage_basis: str
    cell_m: float
    bands: list[BandOut]
    weeks: list[WeekOut]
    teams: list[TeamOut]
    dosage: DosageOut
    baseline: BaselineOut | None


class PatrolCoverageOut(BaseModel):
    period_from: str
    period_to: str
    days: int
    reach_m: float
    visit_gap_min: float
    tracks_in_period: int
    tracks_without_times: int
    zones: list[ZoneOut]
    geojson: dict[str, Any]


class ResultSumOut(BaseModel):
    total: int
    unknown: int


class RoadOut(BaseModel):
    road_id: int
    name: str
    risk_weight: float
    risk_categories: list[str]
    length_m: float
    covered_m: float
    covered_pct: float
    checks: int
    last_check: str | None
    days_since_last: int | None
    results: dict[str, ResultSumOut]
    check_ids: list[int]


class CategoryOut(BaseModel):
    category: str
    roads: int
    weighted_length_m: float
    covered_pct: float | None


class CheckCoverageOut(BaseModel):
    period_from: str
    period_to: str
    radius_m: float
    checks_performed: int
    checks_at_risk_places: int
    checks_elsewhere: int
    checks_place_unknown: int
    checks_without_date: int
    weighted_covered_pct: float | None
    categories: list[CategoryOut]
    roads: list[RoadOut]
    unknown_place_ids: list[int]
    geojson: dict[str, Any]


@router.get("/patrols", response_model=PatrolCoverageOut)
def patrol_coverage(
    from_: date | None = Query(None, alias="from", description="Första dag (ÅÅÅÅ-MM-DD)."),
    to: date | None = Query(None, description="Sista dag (ÅÅÅÅ-MM-DD), tas med."),
    baseline_from: date | None = Query(None, description="Jämförelseperiodens första dag."),
    baseline_to: date | None = Query(None, description="Jämförelseperiodens sista dag."),
    reach_m: float = Query(service.DEFAULT_REACH_M, gt=0, le=1000,
                           description="Räckvidd från spåret för gatutäckning, meter."),
    _viewer: Viewer = Depends(require("coverage.patrols")),
    store: Store = Depends(get_store),
    cache: ResponseCache = Depends(get_cache),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Foot-patrol presence, visits, gaps, street coverage and dosage per zone and team.

    Without from/to: the four whole ISO weeks ending with the latest patrol.
    """
    key = ("coverage/patrols", from_, to, baseline_from, baseline_to, reach_m,
           settings.max_ping_gap_min, store.generations(service.PATROL_LAYERS))
    body = cache.get_or_make(key, lambda: PatrolCoverageOut.model_validate(service.patrol_report(
        store, from_, to, baseline_from=baseline_from, baseline_to=baseline_to,
        reach_m=reach_m, max_ping_gap_min=settings.max_ping_gap_min)).model_dump_json())
    return Response(body, media_type="application/json")


@router.get("/checks", response_model=CheckCoverageOut)
def check_coverage(
    from_: date | None = Query(None, alias="from", description="Första dag (ÅÅÅÅ-MM-DD)."),
    to: date | None = Query(None, description="Sista dag (ÅÅÅÅ-MM-DD), tas med."),
    radius_m: float = Query(service.DEFAULT_RADIUS_M, gt=0, le=50_000,
                            description="Avstånd från vägen som räknas, meter."),
    _viewer: Viewer = Depends(require("coverage.checks")),
    store: Store = Depends(get_store),
    cache: ResponseCache = Depends(get_cache),
) -> Response:
    """Traffic checks per risk road, risk-weighted length covered, checks at risk places.

    Without from/to: the 365 days ending with the latest check.
    """
    key = ("coverage/checks", from_, to, radius_m, store.generations(service.CHECK_LAYERS))
    body = cache.get_or_make(key, lambda: CheckCoverageOut.model_validate(service.check_report(
        store, from_, to, radius_m=radius_m)).model_dump_json())
    return Response(body, media_type="application/json")
