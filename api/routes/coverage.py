"""``/api/coverage``: foot-patrol coverage of the patrol zones and traffic-check coverage of the
risk roads, as JSON figures with GeoJSON (WGS84) per zone or road.

Patrol coverage is for patrol leaders and admins (per zone and team, never a single trail);
check coverage is for every role (and anonymous visitors in demo mode), like the layers it uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

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


@dataclass(frozen=True)
class Days:
    """Local days asked for, ``first`` … ``last`` (both included; neither: the default)."""

    first: date | None
    last: date | None


async def period_days(
    from_: date | None = Query(None, alias="from", description="Första dag (ÅÅÅÅ-MM-DD)."),
    to: date | None = Query(None, description="Sista dag (ÅÅÅÅ-MM-DD), tas med."),
) -> Days:
    return Days(from_, to)


async def baseline_days(
    baseline_from: date | None = Query(None, description="Jämförelseperiodens första dag."),
    baseline_to: date | None = Query(None, description="Jämförelseperiodens sista dag."),
) -> Days:
    return Days(baseline_from, baseline_to)


@dataclass(frozen=True)
class CachedJson:
    """JSON answers kept in the response cache by the generations of the layers they are
    computed from."""

    store: Store
    cache: ResponseCache

    def answer(self, key: tuple[Any, ...], layers: tuple[str, ...],
               make: Callable[[Store], bytes]) -> Response:
        body = self.cache.get_or_make((*key, self.store.generations(layers)),
                                      lambda: make(self.store).decode())
        return Response(body, media_type="application/json")


async def cached_json(store: Store = Depends(get_store),
                      cache: ResponseCache = Depends(get_cache)) -> CachedJson:
    return CachedJson(store, cache)


@router.get("/patrols", response_model=service.PatrolReport)
def patrol_coverage(
    days: Days = Depends(period_days),
    baseline: Days = Depends(baseline_days),
    reach_m: float = Query(service.DEFAULT_REACH_M, gt=0, le=1000,
                           description="Räckvidd från spåret för gatutäckning, meter."),
    _viewer: Viewer = Depends(require("coverage.patrols")),
    answers: CachedJson = Depends(cached_json),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Foot-patrol presence, visits, gaps, street coverage and dosage per zone and team.

    Without from/to: the four whole ISO weeks ending with the latest patrol.
    """
    gap_min = settings.max_ping_gap_min
    return answers.answer(
        ("coverage/patrols", days, baseline, reach_m, gap_min), service.PATROL_LAYERS,
        lambda store: _PATROLS.dump_json(service.patrol_report(
            store, days.first, days.last, baseline_from=baseline.first,
            baseline_to=baseline.last, reach_m=reach_m, max_ping_gap_min=gap_min)))


@router.get("/checks", response_model=service.CheckReport)
def check_coverage(
    days: Days = Depends(period_days),
    radius_m: float = Query(service.DEFAULT_RADIUS_M, gt=0, le=50_000,
                            description="Avstånd från vägen som räknas, meter."),
    _viewer: Viewer = Depends(require("coverage.checks")),
    answers: CachedJson = Depends(cached_json),
) -> Response:
    """Traffic checks per risk road, risk-weighted length covered, checks at risk places.

    Without from/to: the 365 days ending with the latest check.
    """
    return answers.answer(
        ("coverage/checks", days, radius_m), service.CHECK_LAYERS,
        lambda store: _CHECKS.dump_json(service.check_report(store, days.first, days.last,
                                                             radius_m=radius_m)))
