"""Traffic-check siting: demand on the risk roads, candidate sites, and a maximal covering location
optimiser (choose k sites so that the risk weight within a radius of a chosen site is largest).

Demand is the risk roads cut into pieces of at most ``piece_m`` metres, each represented by its
midpoint and weighted by its road's risk weight × its length in km. Candidates are the planner's
own places (lay-bys, parking places, bus bays) plus points generated along the risk roads. The
optimiser works on sparse coverage sets from a spatial index (never a dense distance matrix):

* exactly, as a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``), after a
  presolve that drops demand nobody can cover, removes demand the fixed sites already cover,
  folds demand covered by a single candidate into that candidate's objective and merges demand
  with identical coverage sets;
* or greedily, reporting an upper bound on the optimum from the greedy run itself, so the gap
  is known. The greedy answer is also the fallback whenever the exact solver fails in any way
  (an exception, infeasible, no solution within the time limit, another status): a note says
  why, and no solver failure ever reaches the caller as an exception.

All geometry is in EPSG:3006 (metres).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import optimize, sparse

from geo.crs import WORK_CRS, require_work_crs
from geo.errors import ValidationFailed, collect
from geo.layers import LOCAL_TZ

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
    labels = [f"{nm}, {d / 1000:.1f} km" for nm, d in zip(names, dist, strict=True)]
    out = gpd.GeoDataFrame({"name": labels,
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


@dataclass(frozen=True)
class _Problem:
    """A checked siting problem: ``allowed`` already excludes the excluded candidates and the
    neighbours of fixed sites; ``penalty`` is per candidate; ``pairs`` and ``cliques`` are the
    spacing rows (candidate indices)."""

    coverage: sparse.csr_matrix
    weights: np.ndarray
    k: int
    fixed: np.ndarray
    allowed: np.ndarray
    penalty: np.ndarray
    pairs: np.ndarray
    cliques: tuple[np.ndarray, ...]


def max_coverage(coverage: sparse.csr_matrix, weights: np.ndarray, *, k: int,  # noqa: PLR0913
                 fixed: Sequence[int] | np.ndarray = (),
                 excluded: Sequence[int] | np.ndarray = (),
                 penalty: np.ndarray | None = None, spacing_pairs: np.ndarray | None = None,
                 spacing_cliques: Sequence[np.ndarray] = (), method: Method = "mip",
                 time_limit_s: float = 60.0) -> Solution:
    """Choose at most ``k`` candidates (columns of ``coverage``) maximising the covered weight
    minus the penalties of the chosen ones.

    ``fixed`` candidates are always chosen (they count towards k), ``excluded`` never;
    ``spacing_pairs`` (rows a, b) may not both be chosen; ``spacing_cliques`` (sets of which at
    most one may be chosen, implied by the pairs) only tighten the MIP.

    ``method="mip"`` solves exactly with HiGHS within ``time_limit_s``. If HiGHS stops at the
    time limit with a feasible solution, the better of it and the greedy one is returned with
    the tighter of their bounds; if HiGHS fails in any other way (raises, reports infeasible or
    another status, or has no solution in time) the greedy solution is returned. Either way a
    note says what happened and ``gap`` bounds the distance to the optimum.
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

    problem = _Problem(coverage, weights, k, fixed_ix, allowed, penalty, pairs,
                       tuple(spacing_cliques))
    if method != "mip":
        return _greedy(problem)
    try:
        exact = _solve_mip(problem, time_limit_s=time_limit_s)
    except Exception as exc:  # any solver failure → the greedy answer, never an error
        reason = str(exc) if isinstance(exc, SolverFailed) else \
            f"the solver raised {type(exc).__name__}: {exc}"
        log.warning("exact siting solver failed, greedy fallback: %s", reason)
        greedy = _greedy(problem)
        greedy.notes.append(f"The exact solver (HiGHS) gave no result: {reason}. The greedy "
                            f"result is shown, at most {greedy.gap:.1%} below the optimum.")
        return greedy
    if exact.gap == 0.0:
        return exact
    # Stopped by the time limit with a feasible solution: the better answer, the tighter bound.
    greedy = _greedy(problem)
    best = exact if exact.objective >= greedy.objective else greedy
    best.upper_bound = max(min(exact.upper_bound, greedy.upper_bound), best.objective)
    best.gap = _gap(best.objective, best.upper_bound)
    which = "its best solution" if best is exact else "the greedy result (better than its best)"
    best.notes.append(f"The exact solver (HiGHS) reached the time limit of {time_limit_s:g} s "
                      f"before proving optimality; {which} is shown, at most {best.gap:.1%} "
                      "below the optimum.")
    return best


def covered_weight(coverage: sparse.csr_matrix, weights: np.ndarray,
                   chosen: Sequence[int] | np.ndarray) -> float:
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


class SolverFailed(RuntimeError):
    """The exact solver gave no usable solution (the caller falls back to the greedy one)."""


MIP_REL_GAP = 0.0  # prove optimality (HiGHS also stops at an absolute gap of 1e-6)


def _stack_rows(blocks: Sequence[tuple[sparse.coo_matrix, float]], n_cols: int
                ) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Row blocks ``A_i x <= b_i`` stacked into one sparse matrix and its upper bounds."""
    kept = [(a, b) for a, b in blocks if a.shape[0]]
    if not kept:
        return sparse.csr_matrix((0, n_cols)), np.empty(0)
    matrix = sparse.vstack([a for a, _ in kept], format="csr")
    upper = np.concatenate([np.full(a.shape[0], b, dtype=float) for a, b in kept])
    return matrix, upper


def _incidence(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int
               ) -> sparse.coo_matrix:
    return sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_rows, n_cols))


def _solve_mip(problem: _Problem, *, time_limit_s: float) -> Solution:
    """The exact MCLP with HiGHS (``scipy.optimize.milp``) after the presolve.

    Returns a proven optimum (gap 0) or, when the time limit stops HiGHS with a feasible
    solution, that solution with HiGHS's bound and gap. Raises :class:`SolverFailed` when HiGHS
    gives no usable solution (infeasible, no solution within the time limit, another status or
    a solution that breaks the constraints)."""
    coverage, weights, k, fixed = problem.coverage, problem.weights, problem.k, problem.fixed
    allowed, penalty, pairs = problem.allowed, problem.penalty, problem.pairs
    n_cand = coverage.shape[1]
    free = allowed.copy()
    free[fixed] = False
    free_ix = np.flatnonzero(free)  # column j of sub is candidate free_ix[j]
    # Presolve: demand already covered by a fixed site, or coverable by no free site, leaves.
    covered_fixed = np.asarray(coverage[:, fixed].sum(axis=1)).ravel() > 0 if len(fixed) \
        else np.zeros(coverage.shape[0], dtype=bool)
    fixed_weight = float(weights[covered_fixed].sum())
    sub = coverage[~covered_fixed][:, free_ix].tocsr()
    w = weights[~covered_fixed]
    live = (np.diff(sub.indptr) > 0) & (w > 0)
    sub, w = sub[live], w[live]
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
    n_x, n_y = len(free_ix), len(multi)
    if n_x == 0 or k_free == 0:
        total = covered_weight(coverage, weights, fixed)
        return Solution(fixed.astype(int), total, total, "mip", 0.0, total)

    # Variables: x (a binary per free candidate), then y (a covered share per multi group).
    # y_g <= sum of x over the group's candidates, i.e. [-M | I] (x, y) <= 0.
    cover_rows = sparse.hstack([-gsub[multi].astype(float), sparse.identity(n_y)]).tocoo()
    position = np.full(n_cand, -1)
    position[free_ix] = np.arange(n_x)
    pa, pb = (position[pairs[:, 0]], position[pairs[:, 1]]) if len(pairs) \
        else (np.empty(0, dtype=int), np.empty(0, dtype=int))
    both = (pa >= 0) & (pb >= 0)
    pa, pb = pa[both], pb[both]
    pair_rows = _incidence(np.repeat(np.arange(len(pa)), 2), np.column_stack([pa, pb]).ravel(),
                           len(pa), n_x + n_y)
    members = [m[m >= 0] for m in (position[np.asarray(c, dtype=int)] for c in problem.cliques)]
    members = [m for m in members if len(m) >= 3]
    sizes = np.array([len(m) for m in members], dtype=int)
    clique_rows = _incidence(np.repeat(np.arange(len(members)), sizes),
                             np.concatenate(members) if members else np.empty(0, dtype=int),
                             len(members), n_x + n_y)
    count_row = _incidence(np.zeros(n_x, dtype=int), np.arange(n_x), 1, n_x + n_y)
    matrix, upper = _stack_rows([(cover_rows, 0.0), (count_row, float(k_free)),
                                 (pair_rows, 1.0), (clique_rows, 1.0)], n_x + n_y)
    c = -np.concatenate([coef, gw[multi]])
    integrality = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    # HiGHS's own presolve only slows the already presolved plain model (bench: 5,000 × 500
    # 1.0 → 0.5 s, 20,000 × 2,000 14 → 4 s) but halves the time with spacing rows (3 km: 5.8 →
    # 2.8 s, 7.1 → 3.8 s on two seeds of the bench instance).
    res = optimize.milp(
        c, integrality=integrality, bounds=optimize.Bounds(0.0, 1.0),
        constraints=optimize.LinearConstraint(matrix, -np.inf, upper),
        options={"time_limit": float(time_limit_s), "mip_rel_gap": MIP_REL_GAP,
                 "disp": False, "presolve": bool(len(pa))})
    status = int(res.status)
    x = None if res.x is None else np.asarray(res.x, dtype=float)
    has_x = x is not None and x.shape == (n_x + n_y,) and bool(np.isfinite(x).all())
    if status == 2:
        raise SolverFailed("HiGHS reported the model infeasible")
    if status == 1 and not has_x:
        raise SolverFailed(f"HiGHS found no feasible solution within the time limit of "
                           f"{time_limit_s:g} s")
    if status not in (0, 1) or not has_x:
        raise SolverFailed(f"HiGHS stopped without a solution (status {status}: {res.message})")
    assert x is not None
    take = x[:n_x] > 0.5
    if take.sum() > k_free or (take[pa] & take[pb]).any():
        raise SolverFailed("HiGHS returned a solution that breaks the constraints")
    picked = free_ix[take]
    chosen = np.concatenate([fixed, picked]).astype(int)
    total = covered_weight(coverage, weights, chosen)
    objective = total - float(penalty[picked].sum())
    log.info("MIP: %d demand rows → %d groups (%d single), %d candidates, %d rows, status %d, "
             "objective %.3f", coverage.shape[0], n_groups, int(single.sum()), n_x,
             matrix.shape[0], status, objective)
    if status == 0:
        return Solution(chosen, total, objective, "mip", 0.0, objective)
    dual = res.mip_dual_bound
    bound = fixed_weight - float(dual) if dual is not None and np.isfinite(dual) else math.inf
    bound = max(bound, objective)
    return Solution(chosen, total, objective, "mip", _gap(objective, bound), bound)


def _gap(objective: float, upper_bound: float) -> float:
    """Relative gap between an objective and an upper bound on the optimum (0 when proven)."""
    if not math.isfinite(upper_bound):
        return math.inf
    return 0.0 if upper_bound <= 0 else max(0.0, (upper_bound - objective) / upper_bound)


def _greedy(problem: _Problem) -> Solution:
    """Greedy selection with an online upper bound: for any set S reached,
    OPT ≤ cov(S) + the k largest positive (gain − penalty) of the other allowed candidates."""
    coverage, weights, k, fixed = problem.coverage, problem.weights, problem.k, problem.fixed
    allowed, penalty, pairs = problem.allowed, problem.penalty, problem.pairs
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
    return Solution(picked, total, objective, "greedy", _gap(objective, best_bound), best_bound)


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
    window = f"in the {weeks} week{'' if weeks == 1 else 's'} before {local} (local time)"
    done = "excluded" if rotation == "exclude" else "penalised"
    if n_checks == 0:
        return f"Rotation: no traffic checks {window}, so no candidate sites were {done}."
    checks = "1 traffic check" if n_checks == 1 else f"{n_checks} traffic checks"
    used = f"Rotation: {checks} {window} {'was' if n_checks == 1 else 'were'} used"
    them = "it" if n_checks == 1 else "them"
    if n_sites == 0:
        return f"{used}; no free candidate site lies within {radius_m:g} m of {them}."
    sites = "1 candidate site" if n_sites == 1 else f"{n_sites} candidate sites"
    how = "" if rotation == "exclude" else \
        f" (each loses {penalty:g} × the weight it covers alone)"
    return (f"{used}; {sites} within {radius_m:g} m of {them} "
            f"{'was' if n_sites == 1 else 'were'} {done}{how}.")


def suggest_sites(roads: gpd.GeoDataFrame, *, k: int, radius_m: float,  # noqa: PLR0913
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
    chosen sites; sites within ``rotation_radius_m`` of a check of the ``rotation_weeks`` weeks
    before ``as_of`` (default now; only checks starting strictly before it count, so planned
    future checks do not) are excluded or, with ``rotation="penalise"``, lose
    ``rotation_penalty`` × the weight they cover alone; a note says how many checks were used.
    ``road_factor`` scales each road's weight (the time-of-day filter). The covered share is of
    all risk **weight**, not of pieces.
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
        since = now - pd.Timedelta(weeks=rotation_weeks)
        recent = rotation_checks(checks, since=since, until=now)
        used = recently_used(cands, recent, since=since, until=now, within_m=rotation_radius_m)
        used = np.setdiff1d(used, fixed_ix)
        if rotation == "exclude":
            excluded = used
        else:
            penalty = np.zeros(len(cands))
            penalty[used] = rotation_penalty * solo[used]
        notes.append(_rotation_note(len(recent), len(used), weeks=rotation_weeks, as_of=now,
                                    rotation=rotation, radius_m=rotation_radius_m,
                                    penalty=rotation_penalty))
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
