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
from geo.demand import no_roads_reason, roads_per_category
from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import Conflict, NotFound, ValidationFailed
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
    carried = roads_per_category(roads, categories)
    if len(roads) and categories and not any(carried.values()):
        raise ValidationFailed(" och ".join(no_roads_reason(c) for c in categories)
                               + "; välj en annan kategori (eller ge vägarna kategorin)",
                               code="no_risk_roads")
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


def _plan_problems(start: pd.Timestamp, end: pd.Timestamp, kinds: Sequence[str], *,
                   where: str = "") -> list[str]:
    """What is wrong with a planned check's times and kinds (Swedish, naming the field; ``where``
    in front of each, e.g. "kontroll 3: ")."""
    if start.tzinfo is None or end.tzinfo is None:
        return [f"{where}start/end: ange tidszonen (ISO 8601 med förskjutning, t.ex. +02:00)"]
    if end <= start:
        return [f"{where}end: {end.isoformat()} ligger inte efter start: {start.isoformat()}"]
    problems = []
    hours = (end - start).total_seconds() / 3600.0
    if not MIN_CHECK_HOURS <= hours <= MAX_CHECK_HOURS:
        problems.append(f"{where}fältet 'hours': en kontroll är {number_sv(MIN_CHECK_HOURS)} "
                        f"till {number_sv(MAX_CHECK_HOURS)} timmar "
                        f"({number_sv(hours, digits=1)} angavs)")
    today = pd.Timestamp.now(tz=LOCAL_TZ).normalize()
    if start.tz_convert(LOCAL_TZ).normalize() < today:
        problems.append(f"{where}fältet 'date': {start.tz_convert(LOCAL_TZ).date()} har redan "
                        "varit; planera från i dag och framåt")
    if not kinds:
        problems.append(f"{where}fältet 'kinds': välj minst en typ av kontroll")
    return problems


def _candidate_named(store: Store, candidate_id: int) -> None:
    if store.read("candidate_sites", ids=[candidate_id]).empty:
        raise ValidationFailed(f"fältet 'candidate_id': kontrollplats {candidate_id} "
                               "finns inte")


def _check_frame(store: Store, plans: Sequence[CheckPlan], *, actor: Actor
                 ) -> gpd.GeoDataFrame:
    """``plans`` as new planned checks (EPSG:3006), checked and snapped; raises
    ``ValidationFailed`` naming every problem of every plan (each as "kontroll N: …" when there
    are several)."""
    many = len(plans) > 1
    problems: list[str] = []
    for i, plan in enumerate(plans, start=1):
        problems += _plan_problems(pd.Timestamp(plan.start), pd.Timestamp(plan.end), plan.kinds,
                                   where=f"kontroll {i}: " if many else "")
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    roads = store.read("risk_roads")
    sources, points, places = [], [], []
    for plan in plans:
        source = f"{PLANNED_SOURCE} av {actor.name}"
        if plan.candidate_id is not None:
            _candidate_named(store, plan.candidate_id)
            source += f" (förslag: kandidatplats {plan.candidate_id})"
        snapped = snap_planned_check(_to_work([(plan.lon, plan.lat)])[0], roads,
                                     tolerance_m=plan.max_distance_m, field="lon/lat")
        sources.append(source)
        points.append(snapped.point)
        places.append(plan.place.strip() or snapped.road_name)
    return gpd.GeoDataFrame({
        "status": [PLANNED_CHECK_STATUS] * len(plans),
        "start": [pd.Timestamp(p.start) for p in plans],
        "end": [pd.Timestamp(p.end) for p in plans],
        "kinds": [list(p.kinds) for p in plans], "place": places,
        "candidate_id": pd.array([p.candidate_id for p in plans], dtype="Int64"),
        "source": sources,
    }, geometry=points, crs=WORK_CRS)


def plan_check(store: Store, plan: CheckPlan, *, actor: Actor) -> int:
    """Store ``plan`` as a planned traffic check and return its id: the position snapped to the
    nearest risk road (422 if none within ``max_distance_m``), the times checked (an aware
    start before the end), status planerad, provenance real, a source that names the planner
    and, for a suggested site, the candidate site it came from (which must exist), kept in
    ``candidate_id`` too."""
    return save_checks(store, [plan], actor=actor)[0]


MAX_WEEK_CHECKS = 84  # a weekly plan's checks at most (geo.schedule: one per 2-hour block)


def save_checks(store: Store, plans: Sequence[CheckPlan], *, actor: Actor) -> list[int]:
    """Store every one of ``plans`` (a weekly plan's checks) as planned traffic checks in one
    transaction, each as ``plan_check`` would; all or none: any problem of any plan raises
    ``ValidationFailed`` naming each (and writes nothing). Returns the new ids in order."""
    if not plans:
        raise ValidationFailed("fältet 'checks': veckoplanen har inga kontroller; slumpa en "
                               "veckoplan först")
    if len(plans) > MAX_WEEK_CHECKS:
        raise ValidationFailed(f"fältet 'checks': högst {MAX_WEEK_CHECKS} kontroller åt gången "
                               f"({len(plans)} angavs)")
    frame = _check_frame(store, plans, actor=actor)  # each plan's source in its row
    return store.insert("traffic_checks", frame, origin="plan", provenance="real", actor=actor)


@dataclass(frozen=True)
class CheckChange:
    """What a planner changes of a planned check: any of the position (WGS84; snapped to the
    road again), start and end (aware), kinds and place's name; None keeps the stored value."""

    lon: float | None = None
    lat: float | None = None
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    kinds: Sequence[str] | None = None
    place: str | None = None
    max_distance_m: float = 100.0


CONFLICT_SV = ("någon annan har ändrat {what} sedan du läste den (version {now}, du hade "
               "{had}); ladda om sidan och försök igen")


def _stored_version(store: Store, layer: str, feature_id: int) -> int:
    try:
        return int(store.get(layer, feature_id)["version"].iloc[0])
    except NotFound:
        return -1


def _updated(store: Store, layer: str, feature_id: int, values: dict[str, Any], *,
             geometry: shapely.Point | None, expected_version: int | None, actor: Actor,
             what: str) -> gpd.GeoDataFrame:
    """``store.update`` with the version the caller read; a conflict said in Swedish."""
    try:
        return store.update(layer, feature_id, values, geometry=geometry,
                            expected_version=expected_version, actor=actor)
    except Conflict:
        now = _stored_version(store, layer, feature_id)
        raise Conflict(CONFLICT_SV.format(what=what, now=now, had=expected_version),
                       code="conflict") from None


def update_check(store: Store, check_id: int, change: CheckChange, *,
                 expected_version: int | None, actor: Actor) -> gpd.GeoDataFrame:
    """Change a planned check (only status planerad: a performed check is a record, not a
    plan): a new position is snapped to the nearest risk road, the times and kinds are checked
    as ``plan_check`` checks them (the result of the change, not only the changed fields), and
    with ``expected_version`` a concurrent change is a ``Conflict`` (409) and changes nothing.
    Returns the stored check (EPSG:3006)."""
    current = store.get("traffic_checks", check_id)
    row = current.iloc[0]
    if row["status"] != PLANNED_CHECK_STATUS:
        raise ValidationFailed(f"kontroll {check_id} är genomförd; bara planerade kontroller "
                               "ändras här", code="not_planned")
    start = pd.Timestamp(change.start if change.start is not None else row["start"])
    end = pd.Timestamp(change.end if change.end is not None else row["end"])
    kinds = list(change.kinds) if change.kinds is not None else list(row["kinds"] or [])
    problems = _plan_problems(start, end, kinds)
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    values: dict[str, Any] = {"start": start, "end": end, "kinds": kinds}
    geometry = None
    if change.lon is not None and change.lat is not None:
        snapped = snap_planned_check(_to_work([(change.lon, change.lat)])[0],
                                     store.read("risk_roads"),
                                     tolerance_m=change.max_distance_m, field="lon/lat")
        geometry = snapped.point
        if change.place is None and row["place"] == _road_at(store, current):
            values["place"] = snapped.road_name  # a place named after its road follows it
    if change.place is not None:
        values["place"] = change.place.strip() or str(row["place"])
    return _updated(store, "traffic_checks", check_id, values, geometry=geometry,
                    expected_version=expected_version, actor=actor, what="kontrollen")


def _road_at(store: Store, check: gpd.GeoDataFrame) -> str | None:
    """The name of the risk road nearest the stored check (None without roads)."""
    roads = store.read("risk_roads")
    if roads.empty:
        return None
    return str(roads["name"].iloc[int(roads.distance(check.geometry.iloc[0]).argmin())])


@dataclass(frozen=True)
class CandidateSite:
    """A candidate site a planner adds or changes by clicking: the position (WGS84; snapped to
    the nearest risk road), its name, kind and note; None keeps the stored value on a change."""

    lon: float | None = None
    lat: float | None = None
    name: str | None = None
    kind: str | None = None
    note: str | None = None
    max_distance_m: float = 100.0


def _candidate_values(store: Store, site: CandidateSite
                      ) -> tuple[dict[str, Any], shapely.Point | None]:
    values = {k: getattr(site, k).strip() for k in ("name", "kind", "note")
              if getattr(site, k) is not None}
    if "name" in values and not values["name"]:
        raise ValidationFailed("fältet 'name': ge platsen ett namn")
    point = None
    if site.lon is not None and site.lat is not None:
        point = snap_planned_check(_to_work([(site.lon, site.lat)])[0], store.read("risk_roads"),
                                   tolerance_m=site.max_distance_m, field="lon/lat").point
    return values, point


def add_candidate(store: Store, site: CandidateSite, *, actor: Actor) -> int:
    """Store a planner's candidate site, snapped to the nearest risk road (within
    ``max_distance_m``), provenance real, entered by ``actor``; return its id."""
    if site.lon is None or site.lat is None:
        raise ValidationFailed("fältet 'lon/lat': klicka på kartan för att välja platsen")
    if site.name is None:
        raise ValidationFailed("fältet 'name': ge platsen ett namn")
    values, point = _candidate_values(store, site)
    frame = gpd.GeoDataFrame({k: [v] for k, v in values.items()}, geometry=[point],
                             crs=WORK_CRS)
    return store.insert("candidate_sites", frame, origin="candidate site", provenance="real",
                        source=f"Inlagd av {actor.name}", actor=actor)[0]


def update_candidate(store: Store, site_id: int, site: CandidateSite, *,
                     expected_version: int | None, actor: Actor) -> gpd.GeoDataFrame:
    """Change a candidate site (a new position snapped again); 409 on a concurrent change."""
    store.get("candidate_sites", site_id)  # 404 if it does not exist
    values, point = _candidate_values(store, site)
    return _updated(store, "candidate_sites", site_id, values, geometry=point,
                    expected_version=expected_version, actor=actor, what="platsen")
