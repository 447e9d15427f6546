"""Traffic-check siting: demand on the risk roads, candidate sites, and a maximal covering location
optimiser (choose k sites so that the risk weight within a radius of a chosen site is largest).

Demand is the risk roads cut into pieces of at most ``piece_m`` metres, each represented by its
midpoint and weighted by its road's risk weight × its length in km. Candidates are the planner's
own places (lay-bys, parking places, bus bays) plus points generated along the risk roads. The
optimiser works on sparse coverage sets from a spatial index (never a dense distance matrix):

* exactly, as a mixed-integer programme solved by CBC through PuLP, after a presolve that drops
  demand nobody can cover, removes demand the fixed sites already cover, folds demand covered by
  a single candidate into that candidate's objective and merges demand with identical coverage
  sets;
* or greedily (the fallback when the solver is missing or runs out of time), reporting an upper
  bound on the optimum from the greedy run itself, so the gap is known.

All geometry is in EPSG:3006 (metres).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from geo.crs import WORK_CRS, require_work_crs
from geo.errors import ValidationFailed, collect

log = logging.getLogger(__name__)

PIECE_M = 100.0
CANDIDATE_STEP_M = 500.0
SNAP_M = 100.0
Method = Literal["mip", "greedy"]
RotationMode = Literal["exclude", "penalise"]


# --- demand ---------------------------------------------------------------------------------------

def _line_parts(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Single LineStrings of ``roads`` and the row position of the road each came from."""
    geoms = np.asarray(roads.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.length(parts) > 0)
    return parts[keep], owner[keep]


def road_mask(roads: gpd.GeoDataFrame, categories: Sequence[str] = ()) -> np.ndarray:
    """True for roads that carry any of ``categories`` (all roads when none are given)."""
    if not categories:
        return np.ones(len(roads), dtype=bool)
    wanted = set(categories)
    return np.array([bool(wanted & set(c if isinstance(c, (list, tuple, np.ndarray)) else ()))
                     for c in roads["risk_categories"]], dtype=bool)


def demand_pieces(roads: gpd.GeoDataFrame, *, categories: Sequence[str] = (),
                  piece_m: float = PIECE_M,
                  road_factor: pd.Series | None = None) -> gpd.GeoDataFrame:
    """The risk roads cut into pieces of at most ``piece_m`` metres, as midpoints.

    Columns: ``road_id`` (the road's index), ``length_m`` and ``weight`` = risk weight × length in
    km (× ``road_factor`` of the road when given, e.g. the share of its risk in certain hours).
    Only roads carrying one of ``categories`` count when categories are given.
    """
    require_work_crs(roads, "roads")
    if piece_m <= 0:
        raise ValidationFailed(f"piece_m must be positive, got {piece_m:g}")
    roads = roads[road_mask(roads, categories)]
    parts, owner = _line_parts(roads)
    lengths = shapely.length(parts)
    n = np.ceil(lengths / piece_m).astype(int)
    line = np.repeat(np.arange(len(parts)), n)
    # position of each piece within its line: 0..n-1
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    piece_len = (lengths / np.maximum(n, 1))[line]
    mid = shapely.line_interpolate_point(parts[line], (within + 0.5) * piece_len)
    road_ids = roads.index.to_numpy()[owner[line]]
    risk = roads["risk_weight"].fillna(1.0).to_numpy(dtype=float)[owner[line]]
    if road_factor is not None:
        risk = risk * road_factor.reindex(road_ids).fillna(1.0).to_numpy(dtype=float)
    return gpd.GeoDataFrame({"road_id": road_ids, "length_m": piece_len,
                             "weight": risk * piece_len / 1000.0},
                            geometry=gpd.GeoSeries(mid, crs=WORK_CRS))


# --- candidates -----------------------------------------------------------------------------------

def generated_candidates(roads: gpd.GeoDataFrame, *, step_m: float = CANDIDATE_STEP_M,
                         categories: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Points every ``step_m`` metres along the risk roads (both ends included)."""
    require_work_crs(roads, "roads")
    if step_m <= 0:
        raise ValidationFailed(f"step_m must be positive, got {step_m:g}")
    roads = roads[road_mask(roads, categories)]
    parts, owner = _line_parts(roads)
    lengths = shapely.length(parts)
    n = np.floor(lengths / step_m).astype(int) + 2  # 0, step, 2·step, …, and the end
    line = np.repeat(np.arange(len(parts)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    dist = np.minimum(within * step_m, lengths[line])
    last = within == n[line] - 1
    dist[last] = lengths[line][last]
    points = shapely.line_interpolate_point(parts[line], dist)
    names = roads["name"].astype(str).to_numpy()[owner[line]]
    out = gpd.GeoDataFrame({"name": [f"{nm}, {d / 1000:.1f} km" for nm, d in zip(names, dist)],
                            "kind": "genererad", "road_id": roads.index.to_numpy()[owner[line]],
                            "candidate_id": pd.array([pd.NA] * len(points), dtype="Int64")},
                           geometry=gpd.GeoSeries(points, crs=WORK_CRS))
    # Lines that meet give the same point twice: keep one.
    keys = pd.Series(shapely.to_wkb(np.asarray(out.geometry.values, dtype=object)))
    return out[~keys.duplicated().to_numpy()].reset_index(drop=True)


def all_candidates(roads: gpd.GeoDataFrame, own: gpd.GeoDataFrame | None, *,
                   step_m: float = CANDIDATE_STEP_M,
                   categories: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """The planner's own candidate sites (``candidate_sites`` layer) followed by generated ones."""
    generated = generated_candidates(roads, step_m=step_m, categories=categories)
    if own is None or own.empty:
        return generated
    require_work_crs(own, "candidate_sites")
    mine = gpd.GeoDataFrame({"name": own["name"].astype(str).to_numpy(),
                             "kind": own["kind"].fillna("annan").astype(str).to_numpy(),
                             "road_id": pd.array([pd.NA] * len(own), dtype="Int64"),
                             "candidate_id": pd.array(own.index.to_numpy(), dtype="Int64")},
                            geometry=gpd.GeoSeries(own.geometry.values, crs=WORK_CRS))
    return pd.concat([mine, generated], ignore_index=True)


@dataclass(frozen=True)
class Snapped:
    """A point moved onto the nearest risk road."""

    point: shapely.Point
    distance_m: float
    road_id: int
    road_name: str


def snap_to_roads(point: shapely.Point, roads: gpd.GeoDataFrame, *,
                  max_distance_m: float = SNAP_M) -> Snapped:
    """The point of the nearest risk road to ``point`` (EPSG:3006), if within ``max_distance_m``."""
    require_work_crs(roads, "roads")
    if roads.empty:
        raise ValidationFailed("there are no risk roads to snap to; import risk roads first")
    idx, dist = roads.sindex.nearest(point, max_distance=max_distance_m, return_distance=True,
                                     return_all=False)
    if idx.shape[1] == 0:
        raise ValidationFailed(f"no risk road within {max_distance_m:g} m of the point; click "
                               "closer to a risk road")
    row = int(idx[1, 0])
    line = roads.geometry.values[row]
    # The nearest point itself: locating then interpolating along a MultiLineString can land
    # on the end of the part before the nearest one (they share the same distance along).
    snapped = shapely.get_point(shapely.shortest_line(line, point), 0)
    return Snapped(snapped, float(dist[0]), int(roads.index[row]), str(roads["name"].iloc[row]))


# --- coverage and the optimiser -------------------------------------------------------------------

def coverage_matrix(demand_xy: np.ndarray, candidate_xy: np.ndarray, *,
                    radius_m: float) -> sparse.csr_matrix:
    """Sparse boolean matrix (demand × candidate): True where the candidate is within
    ``radius_m`` of the demand point. Built from an STRtree query, never a dense matrix."""
    tree = shapely.STRtree(shapely.points(demand_xy))
    cand, dem = tree.query(shapely.points(candidate_xy), predicate="dwithin", distance=radius_m)
    data = np.ones(len(dem), dtype=bool)
    return sparse.csr_matrix((data, (dem, cand)), shape=(len(demand_xy), len(candidate_xy)))


@dataclass
class Solution:
    """Chosen candidate indices and the covered weight; ``gap`` bounds how far from optimal."""

    chosen: np.ndarray
    covered_weight: float
    objective: float
    method: Method
    gap: float
    upper_bound: float
    notes: list[str] = field(default_factory=list)


def _check_inputs(weights: np.ndarray, n_cand: int, k: int, fixed: np.ndarray,
                  excluded: np.ndarray) -> None:
    problems = []
    if k <= 0:
        problems.append(f"k must be at least 1, got {k}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        problems.append("demand weights must be finite and non-negative")
    if len(fixed) > k:
        problems.append(f"{len(fixed)} fixed sites are more than k = {k}")
    if ((fixed < 0) | (fixed >= n_cand)).any():
        problems.append("a fixed site index is out of range")
    if np.intersect1d(fixed, excluded).size:
        problems.append("a fixed site is also excluded")
    collect(problems, "cannot solve the siting problem")


def _spacing_pairs(candidate_xy: np.ndarray, spacing_m: float) -> np.ndarray:
    """Pairs (a, b), a < b, of candidates closer than ``spacing_m``."""
    if spacing_m <= 0 or len(candidate_xy) < 2:
        return np.empty((0, 2), dtype=int)
    points = shapely.points(candidate_xy)
    a, b = shapely.STRtree(points).query(points, predicate="dwithin", distance=spacing_m)
    # dwithin includes the distance itself; spacing is a strict minimum: keep d < spacing.
    close = a < b
    a, b = a[close], b[close]
    d = np.hypot(*(candidate_xy[a] - candidate_xy[b]).T)
    keep = d < spacing_m
    return np.column_stack([a[keep], b[keep]])


def _spacing_cliques(candidate_xy: np.ndarray, spacing_m: float,
                     centres_xy: np.ndarray | None = None) -> list[np.ndarray]:
    """Sets of candidates that are pairwise closer than ``spacing_m``: those within
    ``spacing_m / 2`` of a centre (each candidate, and each of ``centres_xy``, e.g. the demand
    points). At most one of each set may be chosen; they make the MIP's relaxation much tighter
    than the pairs alone."""
    if spacing_m <= 0 or len(candidate_xy) < 3:
        return []
    centres = candidate_xy if centres_xy is None else np.vstack([candidate_xy, centres_xy])
    tree = shapely.STRtree(shapely.points(candidate_xy))
    centre, member = tree.query(shapely.points(centres), predicate="dwithin",
                                distance=spacing_m / 2)
    d = np.hypot(*(centres[centre] - candidate_xy[member]).T)
    keep = d < spacing_m / 2
    centre, member = centre[keep], member[keep]
    order = np.lexsort((member, centre))
    centre, member = centre[order], member[order]
    starts = np.searchsorted(centre, np.arange(len(centres) + 1))
    seen: set[bytes] = set()
    cliques = []
    for j in range(len(centres)):
        group = member[starts[j]:starts[j + 1]]
        key = group.tobytes()
        if len(group) >= 3 and key not in seen:
            seen.add(key)
            cliques.append(group)
    return cliques


def max_coverage(coverage: sparse.csr_matrix, weights: np.ndarray, *, k: int,
                 fixed: Sequence[int] = (), excluded: Sequence[int] = (),
                 penalty: np.ndarray | None = None, spacing_pairs: np.ndarray | None = None,
                 spacing_cliques: Sequence[np.ndarray] = (), method: Method = "mip",
                 time_limit_s: float = 60.0) -> Solution:
    """Choose at most ``k`` candidates (columns of ``coverage``) maximising the covered weight
    minus the penalties of the chosen ones.

    ``fixed`` candidates are always chosen (they count towards k), ``excluded`` never;
    ``spacing_pairs`` (rows a, b) may not both be chosen; ``spacing_cliques`` (sets of which at
    most one may be chosen, implied by the pairs) only tighten the MIP. ``method="mip"`` solves exactly with CBC
    and falls back to the greedy method if the solver fails or hits ``time_limit_s``.
    """
    weights = np.asarray(weights, dtype=float)
    n_dem, n_cand = coverage.shape
    fixed_ix = np.unique(np.asarray(fixed, dtype=int))
    excluded_ix = np.unique(np.asarray(excluded, dtype=int))
    _check_inputs(weights, n_cand, k, fixed_ix, excluded_ix)
    penalty = np.zeros(n_cand) if penalty is None else np.asarray(penalty, dtype=float)
    pairs = np.empty((0, 2), dtype=int) if spacing_pairs is None else np.asarray(spacing_pairs)
    allowed = np.ones(n_cand, dtype=bool)
    allowed[excluded_ix] = False
    # Fixed sites forbid their close neighbours.
    if len(pairs):
        is_fixed = np.zeros(n_cand, dtype=bool)
        is_fixed[fixed_ix] = True
        if (is_fixed[pairs[:, 0]] & is_fixed[pairs[:, 1]]).any():
            raise ValidationFailed("two fixed sites are closer than the minimum spacing")
        allowed[pairs[is_fixed[pairs[:, 0]], 1]] = False
        allowed[pairs[is_fixed[pairs[:, 1]], 0]] = False
    allowed[fixed_ix] = True
    notes: list[str] = []
    if method == "mip":
        try:
            sol = _solve_mip(coverage, weights, k=k, fixed=fixed_ix, allowed=allowed,
                             penalty=penalty, pairs=pairs, cliques=spacing_cliques,
                             time_limit_s=time_limit_s)
            if sol is not None:
                return sol
            notes.append("the MIP solver found no proven optimum in time; greedy result shown")
        except ImportError:  # pragma: no cover - PuLP is a dependency
            notes.append("PuLP is not installed; greedy result shown")
    sol = _greedy(coverage, weights, k=k, fixed=fixed_ix, allowed=allowed, penalty=penalty,
                  pairs=pairs)
    sol.notes = notes + sol.notes
    return sol


def covered_weight(coverage: sparse.csr_matrix, weights: np.ndarray,
                   chosen: Sequence[int]) -> float:
    """The weight of demand covered by at least one of ``chosen``."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(coverage[:, np.asarray(chosen, dtype=int)].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


def _row_signatures(matrix: sparse.csr_matrix) -> np.ndarray:
    """A group number per row such that rows with the same set of columns share it
    (two independent 64-bit random hashes of the column set; collisions ~2^-128)."""
    rng = np.random.default_rng(0x5171)
    r1 = rng.integers(1, 2**63, size=matrix.shape[1], dtype=np.uint64)
    r2 = rng.integers(1, 2**63, size=matrix.shape[1], dtype=np.uint64)
    counts = np.diff(matrix.indptr)
    h1 = np.zeros(matrix.shape[0], dtype=np.uint64)
    h2 = np.zeros(matrix.shape[0], dtype=np.uint64)
    nonempty = counts > 0
    with np.errstate(over="ignore"):
        starts = matrix.indptr[:-1][nonempty]
        h1[nonempty] = np.add.reduceat(r1[matrix.indices], starts)
        h2[nonempty] = np.add.reduceat(r2[matrix.indices], starts)
    keys = np.column_stack([h1, h2, counts.astype(np.uint64)])
    _, group = np.unique(keys, axis=0, return_inverse=True)
    return group.ravel()


def cbc_solver(*, time_limit_s: float = 60.0, options: Sequence[str] = ()):
    """CBC through PuLP, proving optimality (relative gap 0): the CBC binary bundled with PuLP
    3 when present, else a ``cbc`` on the PATH (PuLP 4's ``pulp[cbc]``)."""
    import os

    import pulp
    from pulp.apis import coin_api

    bundled = getattr(coin_api, "pulp_cbc_path", None)
    path = bundled if bundled and os.path.exists(bundled) else None
    if path and not os.access(path, os.X_OK):
        os.chmod(path, 0o755)
    return pulp.COIN_CMD(path=path, msg=False, timeLimit=time_limit_s, gapRel=0.0,
                         options=list(options))


def _solve_mip(coverage: sparse.csr_matrix, weights: np.ndarray, *, k: int, fixed: np.ndarray,
               allowed: np.ndarray, penalty: np.ndarray, pairs: np.ndarray,
               cliques: Sequence[np.ndarray], time_limit_s: float) -> Solution | None:
    import pulp

    n_cand = coverage.shape[1]
    free = allowed.copy()
    free[fixed] = False
    # Presolve: demand already covered by a fixed site, or coverable by no free site, leaves.
    covered_fixed = np.asarray(coverage[:, fixed].sum(axis=1)).ravel() > 0 if len(fixed) \
        else np.zeros(coverage.shape[0], dtype=bool)
    sub = coverage[~covered_fixed][:, np.flatnonzero(free)].tocsr()
    w = weights[~covered_fixed]
    live = (np.diff(sub.indptr) > 0) & (w > 0)
    sub, w = sub[live], w[live]
    free_ix = np.flatnonzero(free)  # column j of sub is candidate free_ix[j]
    # Merge demand with identical coverage sets.
    group = _row_signatures(sub)
    n_groups = int(group.max()) + 1 if len(group) else 0
    gw = np.bincount(group, weights=w, minlength=n_groups)
    first = np.full(n_groups, -1)
    first[group[::-1]] = np.arange(len(group))[::-1]
    gsub = sub[first] if n_groups else sub
    gsize = np.diff(gsub.indptr)
    # Demand covered by exactly one candidate goes straight into that candidate's objective.
    single = gsize == 1
    coef = np.bincount(gsub.indices[gsub.indptr[:-1][single]], weights=gw[single],
                       minlength=len(free_ix)) - penalty[free_ix]
    multi = np.flatnonzero(~single)
    k_free = k - len(fixed)

    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    x = [prob.add_variable(f"x{j}", cat=pulp.LpBinary) for j in range(len(free_ix))]
    y = [prob.add_variable(f"y{g}", lowBound=0, upBound=1) for g in range(len(multi))]
    prob += pulp.LpAffineExpression(
        [(x[j], float(coef[j])) for j in range(len(x)) if coef[j] != 0]
        + [(y[i], float(gw[g])) for i, g in enumerate(multi)])
    indptr, indices = gsub.indptr, gsub.indices
    for i, g in enumerate(multi):
        cols = indices[indptr[g]:indptr[g + 1]]
        prob += pulp.LpAffineExpression([(y[i], 1.0)] + [(x[j], -1.0) for j in cols]) <= 0
    if len(x):
        prob += pulp.LpAffineExpression([(v, 1.0) for v in x]) <= k_free
    position = np.full(n_cand, -1)
    position[free_ix] = np.arange(len(free_ix))
    if len(pairs):
        pa, pb = position[pairs[:, 0]], position[pairs[:, 1]]
        for a, b in zip(pa[(pa >= 0) & (pb >= 0)], pb[(pa >= 0) & (pb >= 0)]):
            prob += x[a] + x[b] <= 1
    for clique in cliques:
        members = position[clique]
        members = members[members >= 0]
        if len(members) >= 3:
            prob += pulp.LpAffineExpression([(x[j], 1.0) for j in members]) <= 1
    # With spacing rows CBC's preprocessing strengthens thousands of rows again and again and
    # its heuristics stall, while the relaxation (tightened by the cliques) is nearly integral:
    # 8 s → 0.2 s on the demo with 9.4 km spacing.
    options = ("preprocess off", "heuristics off") if len(pairs) else ()
    solver = cbc_solver(time_limit_s=time_limit_s, options=options)
    status = prob.solve(solver) if len(x) else pulp.LpStatusOptimal
    if len(x) and (pulp.LpStatus[status] != "Optimal" or prob.sol_status != 1):
        return None
    picked = free_ix[[j for j, v in enumerate(x) if (v.value() or 0) > 0.5]]
    chosen = np.concatenate([fixed, picked]).astype(int)
    total = covered_weight(coverage, weights, chosen)
    objective = total - float(penalty[picked].sum())
    log.info("MIP: %d demand rows → %d groups (%d single), %d candidates, objective %.3f",
             coverage.shape[0], n_groups, int(single.sum()), len(x), objective)
    return Solution(chosen, total, objective, "mip", 0.0, objective)


def _greedy(coverage: sparse.csr_matrix, weights: np.ndarray, *, k: int, fixed: np.ndarray,
            allowed: np.ndarray, penalty: np.ndarray, pairs: np.ndarray) -> Solution:
    """Greedy selection with an online upper bound: for any set S reached,
    OPT ≤ cov(S) + the k largest positive (gain − penalty) of the other allowed candidates."""
    csc = coverage.tocsc()
    by_cand = coverage.T.tocsr()  # candidate × demand
    uncovered = np.ones(coverage.shape[0], dtype=bool)
    chosen: list[int] = []
    open_ = allowed.copy()
    neighbours: dict[int, np.ndarray] = {}
    if len(pairs):
        both = np.concatenate([pairs, pairs[:, ::-1]])
        order = np.argsort(both[:, 0], kind="stable")
        both = both[order]
        split = np.searchsorted(both[:, 0], np.arange(coverage.shape[1] + 1))
        neighbours = {j: both[split[j]:split[j + 1], 1] for j in range(coverage.shape[1])
                      if split[j + 1] > split[j]}
    bound_pool = allowed.copy()
    k_free = k - len(fixed)

    def take(j: int) -> None:
        chosen.append(j)
        open_[j] = False
        bound_pool[j] = False
        uncovered[csc.indices[csc.indptr[j]:csc.indptr[j + 1]]] = False
        if j in neighbours:
            open_[neighbours[j]] = False

    for j in fixed:
        take(int(j))
    best_bound = math.inf
    for step in range(k_free + 1):
        gain = by_cand @ (weights * uncovered) - penalty
        cov = float(weights[~uncovered].sum())
        pool_gain = np.where(bound_pool, gain, 0.0)
        top = np.sort(pool_gain[pool_gain > 0])[::-1][:k_free]
        best_bound = min(best_bound, cov + float(top.sum()))
        if step == k_free:
            break
        cand_gain = np.where(open_, gain, -np.inf)
        j = int(np.argmax(cand_gain)) if open_.any() else -1
        if j < 0 or cand_gain[j] <= 0:
            break
        take(j)
    picked = np.array(chosen, dtype=int)
    total = float(weights[~uncovered].sum())
    objective = total - float(penalty[picked[len(fixed):]].sum())
    best_bound = max(best_bound, objective)
    gap = 0.0 if best_bound <= 0 else (best_bound - objective) / best_bound
    return Solution(picked, total, objective, "greedy", gap, best_bound)


# --- the planner's question -----------------------------------------------------------------------

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


def recently_used(candidates: gpd.GeoDataFrame, checks: gpd.GeoDataFrame | None, *,
                  since: pd.Timestamp, within_m: float = 300.0,
                  max_precision_m: float = 1000.0) -> np.ndarray:
    """Positions of candidates within ``within_m`` of a traffic check (planned or performed)
    starting at or after ``since``; checks placed less precisely than ``max_precision_m`` are
    ignored (they say nothing about the site)."""
    if checks is None or checks.empty:
        return np.empty(0, dtype=int)
    require_work_crs(checks, "traffic_checks")
    start = pd.to_datetime(checks["start"], utc=True)
    precise = checks["precision_m"].fillna(0).to_numpy(dtype=float) <= max_precision_m
    recent = checks[(start >= since).fillna(False).to_numpy() & precise]
    if recent.empty:
        return np.empty(0, dtype=int)
    cand_ix, _ = shapely.STRtree(np.asarray(recent.geometry.values, dtype=object)).query(
        np.asarray(candidates.geometry.values, dtype=object), predicate="dwithin",
        distance=within_m)
    return np.unique(cand_ix)


def suggest_sites(roads: gpd.GeoDataFrame, *, k: int, radius_m: float,
                  categories: Sequence[str] = (), own_candidates: gpd.GeoDataFrame | None = None,
                  fixed_points: Sequence[shapely.Point] = (), spacing_m: float = 0.0,
                  checks: gpd.GeoDataFrame | None = None, rotation_weeks: int = 0,
                  rotation: RotationMode = "exclude", rotation_penalty: float = 0.5,
                  rotation_radius_m: float = 300.0, as_of: pd.Timestamp | None = None,
                  road_factor: pd.Series | None = None,
                  step_m: float = CANDIDATE_STEP_M, piece_m: float = PIECE_M,
                  method: Method = "mip", time_limit_s: float = 60.0) -> Suggestion:
    """Suggest ``k`` traffic-check sites covering the most risk weight within ``radius_m``.

    ``fixed_points`` (EPSG:3006) are kept as sites; ``spacing_m`` is the least distance between
    chosen sites; sites within ``rotation_radius_m`` of a check of the last ``rotation_weeks``
    weeks (before ``as_of``, default now) are excluded or, with ``rotation="penalise"``, lose
    ``rotation_penalty`` × the weight they cover alone. ``road_factor`` scales each road's weight
    (the time-of-day filter). The covered share is of all risk **weight**, not of pieces.
    """
    problems = []
    if k <= 0:
        problems.append(f"k must be at least 1, got {k}")
    if not radius_m > 0:
        problems.append(f"radius_m must be positive, got {radius_m:g}")
    if spacing_m < 0:
        problems.append(f"spacing_m must not be negative, got {spacing_m:g}")
    if rotation_weeks < 0:
        problems.append(f"rotation_weeks must not be negative, got {rotation_weeks}")
    if not 0 <= rotation_penalty <= 1:
        problems.append(f"rotation_penalty must be between 0 and 1, got {rotation_penalty:g}")
    if roads.empty:
        problems.append("there are no risk roads; import risk roads first "
                        "(trygg import risk_roads FILE)")
    collect(problems, "cannot suggest sites")
    require_work_crs(roads, "roads")
    demand = demand_pieces(roads, categories=categories, piece_m=piece_m,
                           road_factor=road_factor)
    if demand.empty or demand["weight"].sum() <= 0:
        cats = ", ".join(categories) or "any category"
        raise ValidationFailed(f"no risk roads with risk weight for {cats}")
    cands = all_candidates(roads, own_candidates, step_m=step_m, categories=categories)
    if len(fixed_points):
        fixed_frame = gpd.GeoDataFrame(
            {"name": [f"Fast plats {i + 1}" for i in range(len(fixed_points))], "kind": "fast",
             "road_id": pd.array([pd.NA] * len(fixed_points), dtype="Int64"),
             "candidate_id": pd.array([pd.NA] * len(fixed_points), dtype="Int64")},
            geometry=gpd.GeoSeries(list(fixed_points), crs=WORK_CRS))
        cands = pd.concat([fixed_frame, cands], ignore_index=True)
    fixed_ix = np.arange(len(fixed_points))
    cxy = shapely.get_coordinates(np.asarray(cands.geometry.values, dtype=object))
    dxy = shapely.get_coordinates(np.asarray(demand.geometry.values, dtype=object))
    weights = demand["weight"].to_numpy(dtype=float)
    cover = coverage_matrix(dxy, cxy, radius_m=radius_m)
    solo = np.asarray(cover.T @ weights).ravel()
    excluded = np.empty(0, dtype=int)
    penalty = None
    notes: list[str] = []
    if rotation_weeks > 0:
        now = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
        now = now.tz_localize("UTC") if now.tzinfo is None else now
        used = recently_used(cands, checks, since=now - pd.Timedelta(weeks=rotation_weeks),
                             within_m=rotation_radius_m)
        used = np.setdiff1d(used, fixed_ix)
        if rotation == "exclude":
            excluded = used
        else:
            penalty = np.zeros(len(cands))
            penalty[used] = rotation_penalty * solo[used]
        if len(used):
            verb = "excluded" if rotation == "exclude" else "penalised"
            notes.append(f"{len(used)} candidate sites used in the last {rotation_weeks} weeks "
                         f"were {verb}")
    sol = max_coverage(cover, weights, k=k, fixed=fixed_ix, excluded=excluded, penalty=penalty,
                       spacing_pairs=_spacing_pairs(cxy, spacing_m),
                       spacing_cliques=_spacing_cliques(cxy, spacing_m, dxy), method=method,
                       time_limit_s=time_limit_s)
    total = float(weights.sum())
    chosen = sol.chosen
    sites = cands.iloc[chosen].reset_index(drop=True)
    # Each covered piece is assigned to its nearest chosen site, so 'assigned' sums to the total.
    sub = cover[:, chosen].tocoo()
    dist = np.hypot(*(dxy[sub.row] - cxy[chosen][sub.col]).T)
    order = np.lexsort((dist, sub.row))
    rows, first = np.unique(sub.row[order], return_index=True)
    assigned = np.bincount(sub.col[order][first], weights=weights[rows], minlength=len(chosen))
    sites["rank"] = np.arange(1, len(chosen) + 1)
    sites["fixed"] = np.isin(chosen, fixed_ix)
    sites["weight_covered"] = solo[chosen]
    sites["weight_assigned"] = assigned
    sites["share_assigned"] = assigned / total
    return Suggestion(sites=sites, covered_weight=sol.covered_weight, total_weight=total,
                      covered_share=sol.covered_weight / total, method=sol.method, gap=sol.gap,
                      upper_bound=sol.upper_bound, n_demand=len(demand),
                      n_candidates=len(cands), notes=notes + sol.notes)


def suggestion_geojson(s: Suggestion, *, radius_m: float, k: int,
                       categories: Sequence[str] = ()) -> dict:
    """The suggestion as a GeoJSON FeatureCollection (WGS84): one feature per chosen site and
    the figures as top-level members."""
    web = s.sites.to_crs("EPSG:4326")
    features = []
    for (_, row), geom in zip(web.iterrows(), web.geometry.values):
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
