"""Traffic-check siting: suggest ``k`` sites on the risk roads that cover the most risk weight
within a radius, with fixed sites, a minimum spacing, rotation away from recently used sites and
a time-of-day filter.

The pieces live in modules of their own: :mod:`geo.demand` (the risk roads as weighted demand
points), :mod:`geo.candidates` (candidate sites and snapping to the roads) and :mod:`geo.mclp`
(the generic maximal covering optimiser, exact with HiGHS or greedy with a known gap). This
module joins them for the planner's question and keeps re-exporting their public names.

All geometry is in EPSG:3006 (metres).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.candidates import (
    CANDIDATE_STEP_M, SNAP_M, Snapped, all_candidates, generated_candidates, snap_planned_check,
    snap_to_roads,
)
from geo.crs import WORK_CRS, require_work_crs
from geo.demand import PIECE_M, demand_pieces, road_mask
from geo.errors import ValidationFailed, collect
from geo.formats import number_sv, plural_sv
from geo.periods import LOCAL_TZ
from geo.mclp import (
    Method, Solution, SolverFailed, SolverOptions, Spacing, coverage_matrix, covered_weight,
    max_coverage, spacing_cliques, spacing_pairs,
)

__all__ = [
    "CANDIDATE_STEP_M", "PIECE_M", "SNAP_M", "Method", "RotationMode", "RotationOptions",
    "SitingOptions", "Snapped", "Solution", "SolverFailed", "SolverOptions", "Spacing",
    "Suggestion", "all_candidates", "coverage_matrix", "covered_weight", "demand_pieces",
    "generated_candidates", "max_coverage", "recently_used", "road_mask",
    "rotation_checks", "snap_planned_check", "snap_to_roads", "spacing_cliques", "spacing_pairs",
    "suggest_sites", "suggestion_geojson",
]

RotationMode = Literal["exclude", "penalise"]


@dataclass(frozen=True, kw_only=True)
class SitingOptions:
    """What to suggest: ``k`` sites covering the most risk weight within ``radius_m`` of a site,
    on roads of any of ``categories`` (all roads when empty), at least ``spacing_m`` apart.

    Candidates are generated every ``step_m`` metres along the roads; demand is the roads cut
    into pieces of at most ``piece_m`` metres. ``method="mip"`` solves exactly with HiGHS
    within ``time_limit_s`` (greedy, with its gap, past it); ``"greedy"`` greedily."""

    k: int
    radius_m: float
    categories: Sequence[str] = ()
    spacing_m: float = 0.0
    step_m: float = CANDIDATE_STEP_M
    piece_m: float = PIECE_M
    method: Method = "mip"
    time_limit_s: float = 60.0

    def problems(self) -> list[str]:
        """What is wrong with these options (empty when nothing is)."""
        problems = []
        if self.k <= 0:
            problems.append(f"k måste vara minst 1, inte {self.k}")
        if not self.radius_m > 0:
            problems.append(f"radius_m måste vara större än 0, inte {self.radius_m:g}")
        if self.spacing_m < 0:
            problems.append(f"spacing_m får inte vara negativt, inte {self.spacing_m:g}")
        return problems


@dataclass(frozen=True, kw_only=True)
class RotationOptions:
    """Rotation away from predictable sites: candidates within ``radius_m`` of a traffic check
    of the ``weeks`` weeks before ``as_of`` (default now; only checks starting strictly before
    it count, so planned future checks do not) are excluded or, with ``mode="penalise"``, lose
    ``penalty`` × the weight they cover alone. ``weeks=0`` turns rotation off."""

    weeks: int
    mode: RotationMode = "exclude"
    penalty: float = 0.5
    radius_m: float = 300.0
    as_of: pd.Timestamp | None = None

    def problems(self) -> list[str]:
        """What is wrong with these options (empty when nothing is)."""
        problems = []
        if self.weeks < 0:
            problems.append(f"rotation_weeks får inte vara negativt, inte {self.weeks}")
        if not 0 <= self.penalty <= 1:
            problems.append(f"rotation_penalty måste ligga mellan 0 och 1, inte {self.penalty:g}")
        return problems


@dataclass
class Suggestion:
    """Chosen sites (EPSG:3006) with their figures, and the figures of the whole choice."""

    sites: gpd.GeoDataFrame
    covered_weight: float
    total_weight: float
    covered_share: float
    method: Method
    gap: float
    upper_bound: float
    n_demand: int
    n_candidates: int
    notes: list[str]


def rotation_checks(checks: gpd.GeoDataFrame | None, *, since: pd.Timestamp,
                    until: pd.Timestamp | None = None,
                    max_precision_m: float = 1000.0) -> gpd.GeoDataFrame:
    """The traffic checks that count for rotation: starting at or after ``since`` and strictly
    before ``until`` (when given; checks planned for later have not happened and do not count),
    placed at least as precisely as ``max_precision_m`` (a vaguer place says nothing about the
    site). Checks without a start time do not count."""
    if checks is None or checks.empty:
        return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=WORK_CRS))
    require_work_crs(checks, "traffic_checks")
    start = pd.to_datetime(checks["start"], utc=True)
    keep = start >= since
    if until is not None:
        keep = keep & (start < until)
    precision = checks["precision_m"] if "precision_m" in checks else pd.Series(0.0, checks.index)
    keep = keep.fillna(False).to_numpy(dtype=bool) & \
        (precision.fillna(0).to_numpy(dtype=float) <= max_precision_m)
    return checks[keep]


def recently_used(candidates: gpd.GeoDataFrame, checks: gpd.GeoDataFrame | None, *,
                  since: pd.Timestamp, until: pd.Timestamp | None = None,
                  within_m: float = 300.0, max_precision_m: float = 1000.0) -> np.ndarray:
    """Positions of candidates within ``within_m`` of a traffic check that counts for rotation
    (see :func:`rotation_checks`: from ``since`` to strictly before ``until``)."""
    recent = rotation_checks(checks, since=since, until=until, max_precision_m=max_precision_m)
    if recent.empty:
        return np.empty(0, dtype=int)
    cand_ix, _ = shapely.STRtree(np.asarray(recent.geometry.values, dtype=object)).query(
        np.asarray(candidates.geometry.values, dtype=object), predicate="dwithin",
        distance=within_m)
    return np.unique(cand_ix)


def _rotation_note(n_checks: int, n_sites: int, *, weeks: int, as_of: pd.Timestamp,
                   rotation: RotationMode, radius_m: float, penalty: float) -> str:
    """What rotation did, in figures: the checks used, the window, and the sites affected."""
    local = as_of.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    window = f"under {plural_sv(weeks, 'vecka', 'veckor')} före {local} (svensk tid)"
    done = "uteslöts" if rotation == "exclude" else "fick lägre poäng"
    if n_checks == 0:
        return f"Rotation: inga trafikkontroller {window}, så ingen kontrollplats {done}."
    used = (f"Rotation: {plural_sv(n_checks, 'trafikkontroll', 'trafikkontroller')} {window} "
            "räknades")
    them = "den" if n_checks == 1 else "dem"
    if n_sites == 0:
        return f"{used}; ingen ledig kontrollplats ligger inom {number_sv(radius_m)} m från {them}."
    share = f"{penalty:g}".replace(".", ",")
    how = "" if rotation == "exclude" else \
        f" (var och en förlorar {share} × vikten den ensam täcker)"
    return (f"{used}; {plural_sv(n_sites, 'kontrollplats', 'kontrollplatser')} inom "
            f"{number_sv(radius_m)} m från {them} {done}{how}.")


NO_ROTATION = RotationOptions(weeks=0)


def suggest_sites(roads: gpd.GeoDataFrame, options: SitingOptions, *,
                  own_candidates: gpd.GeoDataFrame | None = None,
                  fixed_points: Sequence[shapely.Point] = (),
                  checks: gpd.GeoDataFrame | None = None,
                  rotation: RotationOptions = NO_ROTATION,
                  road_factor: pd.Series | None = None) -> Suggestion:
    """Suggest ``options.k`` traffic-check sites covering the most risk weight within
    ``options.radius_m`` (see :class:`SitingOptions`).

    Candidates are ``own_candidates`` (the ``candidate_sites`` layer) and points along the
    roads; ``fixed_points`` (EPSG:3006) are kept as sites; ``checks`` (the ``traffic_checks``
    layer) drive ``rotation`` (see :class:`RotationOptions`; a note says how many checks were
    used). ``road_factor`` scales each road's weight (the time-of-day filter). The covered share
    is of all risk **weight**, not of pieces.
    """
    problems = options.problems() + rotation.problems()
    if roads.empty:
        problems.append("det finns inga riskvägar; importera riskvägar först "
                        "(trygg import risk_roads FIL)")
    collect(problems, "inga platser kan föreslås")
    require_work_crs(roads, "roads")
    demand = demand_pieces(roads, categories=options.categories, piece_m=options.piece_m,
                           road_factor=road_factor)
    if demand.empty or demand["weight"].sum() <= 0:
        cats = ", ".join(options.categories) or "någon kategori"
        raise ValidationFailed(f"inga riskvägar med riskvikt för {cats}; välj en annan "
                               "kategori eller ge vägar den kategorin")
    cands = _candidates(roads, own_candidates, fixed_points, options)
    fixed_ix = np.arange(len(fixed_points))
    cxy = shapely.get_coordinates(np.asarray(cands.geometry.values, dtype=object))
    dxy = shapely.get_coordinates(np.asarray(demand.geometry.values, dtype=object))
    weights = demand["weight"].to_numpy(dtype=float)
    cover = coverage_matrix(dxy, cxy, radius_m=options.radius_m)
    solo = np.asarray(cover.T @ weights).ravel()
    excluded = np.empty(0, dtype=int)
    penalty = None
    notes: list[str] = []
    if rotation.weeks > 0:
        used, note = _rotated(cands, checks, rotation, fixed=fixed_ix)
        if rotation.mode == "exclude":
            excluded = used
        else:
            penalty = np.zeros(len(cands))
            penalty[used] = rotation.penalty * solo[used]
        notes.append(note)
    sol = max_coverage(cover, weights, k=options.k, fixed=fixed_ix, excluded=excluded,
                       penalty=penalty, spacing=Spacing.between(cxy, options.spacing_m, dxy),
                       solver=SolverOptions(method=options.method,
                                            time_limit_s=options.time_limit_s))
    total = float(weights.sum())
    sites = cands.iloc[sol.chosen].reset_index(drop=True)
    assigned = _assigned(cover, weights, dxy, cxy, sol.chosen)
    sites["rank"] = np.arange(1, len(sol.chosen) + 1)
    sites["fixed"] = np.isin(sol.chosen, fixed_ix)
    sites["weight_covered"] = solo[sol.chosen]
    sites["weight_assigned"] = assigned
    sites["share_assigned"] = assigned / total
    return Suggestion(sites=sites, covered_weight=sol.covered_weight, total_weight=total,
                      covered_share=sol.covered_weight / total, method=sol.method, gap=sol.gap,
                      upper_bound=sol.upper_bound, n_demand=len(demand),
                      n_candidates=len(cands), notes=notes + sol.notes)


def _candidates(roads: gpd.GeoDataFrame, own: gpd.GeoDataFrame | None,
                fixed_points: Sequence[shapely.Point], options: SitingOptions
                ) -> gpd.GeoDataFrame:
    """The fixed points first (named "Fast plats N"), then the own and generated candidates."""
    cands = all_candidates(roads, own, step_m=options.step_m, categories=options.categories)
    if not len(fixed_points):
        return cands
    fixed_frame = gpd.GeoDataFrame(
        {"name": [f"Fast plats {i + 1}" for i in range(len(fixed_points))], "kind": "fast",
         "road_id": pd.array([pd.NA] * len(fixed_points), dtype="Int64"),
         "candidate_id": pd.array([pd.NA] * len(fixed_points), dtype="Int64")},
        geometry=gpd.GeoSeries(list(fixed_points), crs=WORK_CRS))
    return pd.concat([fixed_frame, cands], ignore_index=True)


def _rotated(cands: gpd.GeoDataFrame, checks: gpd.GeoDataFrame | None,
             rotation: RotationOptions, *, fixed: np.ndarray) -> tuple[np.ndarray, str]:
    """The candidates ``rotation`` affects (near a check that counts for it; never the
    ``fixed`` ones) and the note that says so."""
    now = pd.Timestamp.now(tz="UTC") if rotation.as_of is None else pd.Timestamp(rotation.as_of)
    now = now.tz_localize("UTC") if now.tzinfo is None else now
    since = now - pd.Timedelta(weeks=rotation.weeks)
    recent = rotation_checks(checks, since=since, until=now)
    used = np.setdiff1d(recently_used(cands, recent, since=since, until=now,
                                      within_m=rotation.radius_m), fixed)
    return used, _rotation_note(len(recent), len(used), weeks=rotation.weeks, as_of=now,
                                rotation=rotation.mode, radius_m=rotation.radius_m,
                                penalty=rotation.penalty)


def _assigned(cover: sparse.csr_matrix, weights: np.ndarray, dxy: np.ndarray, cxy: np.ndarray,
              chosen: np.ndarray) -> np.ndarray:
    """The weight each chosen site is assigned: each covered piece goes to its nearest chosen
    site, so the assigned weights sum to the covered weight."""
    sub = cover[:, chosen].tocoo()
    dist = np.hypot(*(dxy[sub.row] - cxy[chosen][sub.col]).T)
    order = np.lexsort((dist, sub.row))
    rows, first = np.unique(sub.row[order], return_index=True)
    return np.bincount(sub.col[order][first], weights=weights[rows], minlength=len(chosen))


def suggestion_geojson(s: Suggestion, *, radius_m: float, k: int,
                       categories: Sequence[str] = ()) -> dict[str, Any]:
    """The suggestion as a GeoJSON FeatureCollection (WGS84): one feature per chosen site and
    the figures as top-level members."""
    web = s.sites.to_crs("EPSG:4326")
    features = []
    for (_, row), geom in zip(web.iterrows(), web.geometry.values, strict=True):
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(geom.x, 7), round(geom.y, 7)]},
            "properties": {
                "rank": int(row["rank"]), "name": str(row["name"]), "kind": str(row["kind"]),
                "fixed": bool(row["fixed"]),
                "candidate_id": None if pd.isna(row["candidate_id"]) else int(row["candidate_id"]),
                "weight_covered": round(float(row["weight_covered"]), 4),
                "weight_assigned": round(float(row["weight_assigned"]), 4),
                "share_assigned": round(float(row["share_assigned"]), 6),
            },
        })
    return {
        "type": "FeatureCollection",
        "k": k, "radius_m": radius_m, "categories": list(categories),
        "covered_weight": round(s.covered_weight, 4), "total_weight": round(s.total_weight, 4),
        "covered_share": round(s.covered_share, 6), "method": s.method,
        "gap": round(s.gap, 6), "upper_bound": round(s.upper_bound, 4),
        "n_demand": s.n_demand, "n_candidates": s.n_candidates, "notes": list(s.notes),
        "features": features,
    }
