"""Traffic-check siting on the store's layers: the one core the API routes and the CLI share.

Reads the risk roads, the planner's candidate sites, the traffic checks (for rotation) and the
police events (for the time-of-day filter and the risk profile), and calls ``geo.siting`` and
``geo.schedule``. Positions in and out are WGS84 (lon, lat).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WEB_CRS, WORK_CRS
from geo.privacy import without_sensitive
from geo.riskprofile import hour_of_week_profile, hours_mask, road_hour_factor
from geo.schedule import weekly_plan
from geo.siting import (
    CANDIDATE_STEP_M, Method, RotationMode, Suggestion, snap_to_roads, suggest_sites,
    suggestion_geojson,
)
from store.store import Store


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
    when = None if as_of is None else pd.Timestamp(as_of).tz_localize("Europe/Stockholm") \
        + pd.Timedelta(days=1)
    result = suggest_sites(
        roads, k=k, radius_m=radius_m, categories=categories,
        own_candidates=store.read("candidate_sites"), fixed_points=_to_work(fixed),
        spacing_m=spacing_m,
        checks=_rotation_checks(store, planned_checks_visible) if rotation_weeks else None,
        rotation_weeks=rotation_weeks, rotation=rotation, rotation_penalty=rotation_penalty,
        as_of=when, road_factor=factor, step_m=step_m, method=method,
        time_limit_s=time_limit_s)
    doc = suggestion_geojson(result, radius_m=radius_m, k=k, categories=categories)
    doc["hours"] = hours
    doc["schematic_roads"] = bool(roads["schematic"].fillna(False).any())
    return result, doc


def _rotation_checks(store: Store, planned_checks_visible: bool) -> gpd.GeoDataFrame:
    checks = store.read("traffic_checks")
    return checks if planned_checks_visible else without_sensitive("traffic_checks", checks)


def snap(store: Store, lon: float, lat: float, *, max_distance_m: float = 100.0
         ) -> dict[str, Any]:
    """Snap a WGS84 position to the nearest risk road within ``max_distance_m``."""
    point = _to_work([(lon, lat)])[0]
    snapped = snap_to_roads(point, store.read("risk_roads"), max_distance_m=max_distance_m)
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
