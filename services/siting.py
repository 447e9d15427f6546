"""Siting, the planner's job: suggested traffic-check sites, a randomised weekly plan, snapping
a point to the risk roads and planning a check there. The one core the API routes and the CLI
share.

Reads the risk roads, the planner's candidate sites, the traffic checks (for rotation) and the
police events (for the time-of-day filter and the risk profile), and calls ``geo.siting`` and
``geo.schedule``. Positions in and out are WGS84 (lon, lat).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.candidates import snap_planned_check
from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import ValidationFailed
from geo.formats import number_sv
from geo.periods import LOCAL_TZ
from geo.privacy import PLANNED_CHECK_STATUS, without_sensitive
from geo.riskprofile import hour_of_week_profile, hours_mask, road_hour_factor
from geo.schedule import weekly_plan
from geo.siting import (
    CANDIDATE_STEP_M,
    Method,
    RotationMode,
    RotationOptions,
    SitingOptions,
    Snapped,
    Suggestion,
    snap_to_roads,
    suggest_sites,
    suggestion_geojson,
)
from store import Store
from store.store import Actor


def _to_work(points: Sequence[tuple[float, float]]) -> list[shapely.Point]:
    if not points:
        return []
    series = gpd.GeoSeries(shapely.points(np.asarray(points, dtype=float)), crs=WEB_CRS)
    return list(series.to_crs(WORK_CRS).values)


def suggest(store: Store, *, k: int, radius_m: float, categories: Sequence[str] = (),  # noqa: PLR0913
            fixed: Sequence[tuple[float, float]] = (), spacing_m: float = 0.0,
            rotation_weeks: int = 0, rotation: RotationMode = "exclude",
            rotation_penalty: float = 0.5, as_of: date | None = None,
            hours: str | None = None, step_m: float = CANDIDATE_STEP_M,
            method: Method = "mip", time_limit_s: float = 20.0,
            planned_checks_visible: bool = True,
            ) -> tuple[Suggestion, dict[str, Any]]:
    """Suggest ``k`` sites from the store's layers; return the suggestion and its GeoJSON.
    The exact solver gets ``time_limit_s``; past it the greedy result and its gap are given.
    Without ``planned_checks_visible`` (a viewer who may not see planned police operations)
    rotation uses performed checks only, so the excluded sites reveal no planned check."""
    roads = store.read("risk_roads")
    factor = None
    if hours:
        factor = road_hour_factor(roads, store.read("events"), hours_mask(hours),
                                  categories=categories)
    when = None if as_of is None else pd.Timestamp(as_of).tz_localize(LOCAL_TZ) \
        + pd.Timedelta(days=1)
    result = suggest_sites(
        roads, SitingOptions(k=k, radius_m=radius_m, categories=categories, spacing_m=spacing_m,
                             step_m=step_m, method=method, time_limit_s=time_limit_s),
        own_candidates=store.read("candidate_sites"), fixed_points=_to_work(fixed),
        checks=_rotation_checks(store, planned_checks_visible) if rotation_weeks else None,
        rotation=RotationOptions(weeks=rotation_weeks, mode=rotation, penalty=rotation_penalty,
                                 as_of=when), road_factor=factor)
    doc = suggestion_geojson(result, radius_m=radius_m, k=k, categories=categories)
    doc["hours"] = hours
    doc["schematic_roads"] = bool(roads["schematic"].fillna(False).any())
    return result, doc


def _rotation_checks(store: Store, planned_checks_visible: bool) -> gpd.GeoDataFrame:
    checks = store.read("traffic_checks")
    return checks if planned_checks_visible else without_sensitive("traffic_checks", checks)


def _snapped(store: Store, lon: float, lat: float, *, max_distance_m: float) -> Snapped:
    point = _to_work([(lon, lat)])[0]
    return snap_to_roads(point, store.read("risk_roads"), max_distance_m=max_distance_m)


def snap(store: Store, lon: float, lat: float, *, max_distance_m: float = 100.0
         ) -> dict[str, Any]:
    """Snap a WGS84 position to the nearest risk road within ``max_distance_m``."""
    snapped = _snapped(store, lon, lat, max_distance_m=max_distance_m)
    web = gpd.GeoSeries([snapped.point], crs=WORK_CRS).to_crs(WEB_CRS).values[0]
    return {"lon": round(web.x, 7), "lat": round(web.y, 7),
            "distance_m": round(snapped.distance_m, 1), "road_id": snapped.road_id,
            "road": snapped.road_name}


def schedule(store: Store, *, week: str, seed: int, checks: int, block_h: int = 2,
             max_per_site: int = 2, available_hours: str = "0-24",
             weekdays: Sequence[int] = (1, 2, 3, 4, 5, 6, 7), **suggest_options: Any
             ) -> dict[str, Any]:
    """Draw a weekly plan over the suggested sites (``suggest_options`` as for ``suggest``)."""
    result, doc = suggest(store, **suggest_options)
    categories = suggest_options.get("categories", ())
    profile = hour_of_week_profile(store.read("events"), categories=categories)
    day_ok = np.zeros(7, dtype=bool)
    day_ok[[d - 1 for d in weekdays if 1 <= d <= 7]] = True
    available = (day_ok[:, None] & hours_mask(available_hours)[None, :]).ravel()
    plan = weekly_plan(result.sites, profile, week=week, seed=seed, checks=checks,
                       block_h=block_h, max_per_site=max_per_site, available=available)
    return {
        "week": week, "seed": seed, "block_h": block_h,
        "checks": plan.checks.to_dict("records"),
        "comparison": plan.comparison.to_dict("records"),
        "risk_share_planned": round(plan.risk_share_planned, 6),
        "hours_share_planned": round(plan.hours_share_planned, 6),
        "profile_by_hour": [round(float(v), 6) for v in profile.reshape(7, 24).sum(axis=0)],
        "notes": plan.notes, "sites": doc,
    }


PLANNED_SOURCE = "Planerad i Trygg"


MIN_CHECK_HOURS = 0.5  # a planned check lasts half an hour ...
MAX_CHECK_HOURS = 12.0  # ... to twelve hours


@dataclass(frozen=True)
class CheckPlan:
    """A traffic check a planner plans: where (WGS84), when (aware start and end), what kinds
    and the place's name; ``candidate_id`` when it follows a suggested candidate site."""

    lon: float
    lat: float
    start: pd.Timestamp
    end: pd.Timestamp
    kinds: Sequence[str] = field(default_factory=tuple)
    place: str = ""
    candidate_id: int | None = None
    max_distance_m: float = 100.0


def plan_check(store: Store, plan: CheckPlan, *, actor: Actor) -> int:
    """Store ``plan`` as a planned traffic check and return its id: the position snapped to the
    nearest risk road (422 if none within ``max_distance_m``), the times checked (an aware
    start before the end), status planerad, provenance real, a source that names the planner
    and, for a suggested site, the candidate site it came from (which must exist), kept in
    ``candidate_id`` too."""
    start, end = pd.Timestamp(plan.start), pd.Timestamp(plan.end)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start/end: give the time zone (ISO 8601 with an offset)")
    if end <= start:
        raise ValidationFailed(f"end: {end.isoformat()} is not after start: {start.isoformat()}")
    problems = []
    hours = (end - start).total_seconds() / 3600.0
    if not MIN_CHECK_HOURS <= hours <= MAX_CHECK_HOURS:
        problems.append(f"fältet 'hours': en kontroll är {number_sv(MIN_CHECK_HOURS)} till "
                        f"{number_sv(MAX_CHECK_HOURS)} timmar ({number_sv(hours, digits=1)} "
                        "angavs)")
    today = pd.Timestamp.now(tz=LOCAL_TZ).normalize()
    if start.tz_convert(LOCAL_TZ).normalize() < today:
        problems.append(f"fältet 'date': {start.tz_convert(LOCAL_TZ).date()} har redan varit; "
                        "planera från i dag och framåt")
    if not plan.kinds:
        problems.append("fältet 'kinds': välj minst en typ av kontroll")
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    source = f"{PLANNED_SOURCE} av {actor.name}"
    if plan.candidate_id is not None:
        candidates = store.read("candidate_sites", ids=[plan.candidate_id])
        if candidates.empty:
            raise ValidationFailed(f"field 'candidate_id': candidate site {plan.candidate_id} "
                                   "does not exist")
        source += f" (förslag: kandidatplats {plan.candidate_id})"
    snapped = snap_planned_check(_to_work([(plan.lon, plan.lat)])[0], store.read("risk_roads"),
                                 tolerance_m=plan.max_distance_m, field="lon/lat")
    frame = gpd.GeoDataFrame({
        "status": [PLANNED_CHECK_STATUS], "start": [start], "end": [end],
        "kinds": [list(plan.kinds)], "place": [plan.place.strip() or snapped.road_name],
        "candidate_id": [plan.candidate_id],
    }, geometry=[snapped.point], crs=WORK_CRS)
    return store.insert("traffic_checks", frame, origin="plan",
                        provenance="real", source=source, actor=actor)[0]
