"""``/api/coverage``: foot-patrol coverage of the patrol zones and traffic-check coverage of the
risk roads, as JSON figures with GeoJSON (WGS84) per zone or road.

Patrol coverage is for patrol leaders and admins (per zone and team, never a single trail);
check coverage is for every role (and anonymous visitors in demo mode), like the layers it uses.
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import TypeAdapter

from api.cache import ResponseCache
from api.access import require
from api.deps import get_cache, get_settings, get_store
from services import coverage as service
from services.access import Viewer
from store import Store
from trygg.settings import Settings

router = APIRouter(prefix="/api/coverage", tags=["täckning"])


# The geo result types are the response models: pydantic reads the dataclasses for the OpenAPI
# schema and serialises them directly (``NOT_IN_ANSWER`` fields left out).
_PATROLS = TypeAdapter(service.PatrolReport)
_CHECKS = TypeAdapter(service.CheckReport)


@router.get("/patrols", response_model=service.PatrolReport)
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
    body = cache.get_or_make(key, lambda: _PATROLS.dump_json(service.patrol_report(
        store, from_, to, baseline_from=baseline_from, baseline_to=baseline_to,
        reach_m=reach_m, max_ping_gap_min=settings.max_ping_gap_min)).decode())
    return Response(body, media_type="application/json")


@router.get("/checks", response_model=service.CheckReport)
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
    body = cache.get_or_make(key, lambda: _CHECKS.dump_json(service.check_report(
        store, from_, to, radius_m=radius_m)).decode())
    return Response(body, media_type="application/json")
