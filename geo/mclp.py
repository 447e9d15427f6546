"""The maximal covering location problem (MCLP), generic: choose at most ``k`` candidates (the
columns of a sparse demand × candidate coverage matrix) so that the weight of the demand they
cover, minus the penalties of the chosen ones, is largest. Nothing here knows about roads or
the police: demand and candidates are rows, columns and coordinates in metres.

The optimiser works on sparse coverage sets from a spatial index (never a dense distance matrix):

* exactly, as a mixed-integer programme solved by HiGHS (``scipy.optimize.milp``), after a
  presolve that drops demand nobody can cover, removes demand the fixed sites already cover,
  folds demand covered by a single candidate into that candidate's objective and merges demand
  with identical coverage sets;
* or greedily, reporting an upper bound on the optimum from the greedy run itself, so the gap
  is known. The greedy answer is also the fallback whenever the exact solver fails in any way
  (an exception, infeasible, no solution within the time limit, another status): a note says
  why, and no solver failure ever reaches the caller as an exception.

Fixed sites are always chosen, excluded ones never; a minimum spacing forbids pairs of close
candidates (:class:`Spacing`); a per-candidate penalty lowers the objective of choosing it (e.g.
a site used recently).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import shapely
from scipy import optimize, sparse

from geo.errors import ValidationFailed, collect
from geo.formats import number_sv

log = logging.getLogger(__name__)

Method = Literal["mip", "greedy"]


def coverage_matrix(demand_xy: np.ndarray, candidate_xy: np.ndarray, *,
                    radius_m: float) -> sparse.csr_matrix:
    """Sparse boolean matrix (demand × candidate): True where the candidate is within
    ``radius_m`` of the demand point. Built from an STRtree query, never a dense matrix."""
    tree = shapely.STRtree(shapely.points(demand_xy))
    cand, dem = tree.query(shapely.points(candidate_xy), predicate="dwithin", distance=radius_m)
    data = np.ones(len(dem), dtype=bool)
    return sparse.csr_matrix((data, (dem, cand)), shape=(len(demand_xy), len(candidate_xy)))


def covered_weight(coverage: sparse.csr_matrix, weights: np.ndarray,
                   chosen: Sequence[int] | np.ndarray) -> float:
    """The weight of demand covered by at least one of ``chosen``."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(coverage[:, np.asarray(chosen, dtype=int)].sum(axis=1)).ravel() > 0
    return float(weights[hit].sum())


# --- options --------------------------------------------------------------------------------------

def spacing_pairs(candidate_xy: np.ndarray, spacing_m: float) -> np.ndarray:
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


def spacing_cliques(candidate_xy: np.ndarray, spacing_m: float,
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


@dataclass(frozen=True, kw_only=True, eq=False)  # (arrays: compared by identity)
class Spacing:
    """Candidates that may not be chosen together: ``pairs`` (rows a, b) closer than the minimum
    spacing, and ``cliques``, sets of which at most one may be chosen (implied by the pairs; they
    only tighten the MIP's relaxation)."""

    pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=int))
    cliques: tuple[np.ndarray, ...] = ()

    @classmethod
    def between(cls, candidate_xy: np.ndarray, min_spacing_m: float,
                centres_xy: np.ndarray | None = None) -> Spacing:
        """The spacing rows for candidates at ``candidate_xy`` at least ``min_spacing_m`` apart
        (cliques around each candidate and each of ``centres_xy``, e.g. the demand points)."""
        return cls(pairs=spacing_pairs(candidate_xy, min_spacing_m),
                   cliques=tuple(spacing_cliques(candidate_xy, min_spacing_m, centres_xy)))


@dataclass(frozen=True, kw_only=True)
class SolverOptions:
    """How to solve: ``method="mip"`` exactly with HiGHS within ``time_limit_s`` (the greedy
    answer past it or on any failure), ``"greedy"`` greedily with its gap."""

    method: Method = "mip"
    time_limit_s: float = 60.0


EXACT = SolverOptions()
NO_SPACING = Spacing()


# --- the optimiser --------------------------------------------------------------------------------

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
        problems.append(f"k måste vara minst 1, inte {k}")
    if (weights < 0).any() or not np.isfinite(weights).all():
        problems.append("efterfrågans vikter måste vara ändliga och inte negativa")
    if len(fixed) > k:
        problems.append(f"{len(fixed)} fasta platser är fler än k = {k}")
    if ((fixed < 0) | (fixed >= n_cand)).any():
        problems.append("en fast plats index ligger utanför kandidaterna")
    if np.intersect1d(fixed, excluded).size:
        problems.append("en fast plats är också utesluten")
    collect(problems, "platsvalet kan inte lösas")


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


def max_coverage(coverage: sparse.csr_matrix, weights: np.ndarray, *, k: int,
                 fixed: Sequence[int] | np.ndarray = (),
                 excluded: Sequence[int] | np.ndarray = (),
                 penalty: np.ndarray | None = None, spacing: Spacing = NO_SPACING,
                 solver: SolverOptions = EXACT) -> Solution:
    """Choose at most ``k`` candidates (columns of ``coverage``) maximising the covered weight
    minus the penalties of the chosen ones.

    ``fixed`` candidates are always chosen (they count towards k), ``excluded`` never; no two
    candidates of a ``spacing`` pair are both chosen (a fixed site excludes its close
    neighbours).

    ``solver.method="mip"`` solves exactly with HiGHS within ``solver.time_limit_s``. If HiGHS
    stops at the time limit with a feasible solution, the better of it and the greedy one is
    returned with the tighter of their bounds; if HiGHS fails in any other way (raises, reports
    infeasible or another status, or has no solution in time) the greedy solution is returned.
    Either way a note says what happened and ``gap`` bounds the distance to the optimum.
    """
    weights = np.asarray(weights, dtype=float)
    n_dem, n_cand = coverage.shape
    fixed_ix = np.unique(np.asarray(fixed, dtype=int))
    excluded_ix = np.unique(np.asarray(excluded, dtype=int))
    _check_inputs(weights, n_cand, k, fixed_ix, excluded_ix)
    penalty = np.zeros(n_cand) if penalty is None else np.asarray(penalty, dtype=float)
    pairs = np.asarray(spacing.pairs, dtype=int).reshape(-1, 2)
    allowed = np.ones(n_cand, dtype=bool)
    allowed[excluded_ix] = False
    # Fixed sites forbid their close neighbours.
    if len(pairs):
        is_fixed = np.zeros(n_cand, dtype=bool)
        is_fixed[fixed_ix] = True
        if (is_fixed[pairs[:, 0]] & is_fixed[pairs[:, 1]]).any():
            raise ValidationFailed("två fasta platser ligger närmare varandra än minsta "
                                   "avståndet; ta bort en av dem eller minska avståndet")
        allowed[pairs[is_fixed[pairs[:, 0]], 1]] = False
        allowed[pairs[is_fixed[pairs[:, 1]], 0]] = False
    allowed[fixed_ix] = True

    problem = _Problem(coverage, weights, k, fixed_ix, allowed, penalty, pairs,
                       tuple(spacing.cliques))
    time_limit_s = solver.time_limit_s
    if solver.method != "mip":
        return _greedy(problem)
    try:
        exact = _solve_mip(problem, time_limit_s=time_limit_s)
    except Exception as exc:  # any solver failure → the greedy answer, never an error
        reason = str(exc) if isinstance(exc, SolverFailed) else \
            f"lösaren avbröts av ett fel ({type(exc).__name__})"
        log.warning("exact MCLP solver failed, greedy fallback: %s (%r)", reason, exc)
        greedy = _greedy(problem)
        greedy.notes.append(f"Den exakta lösaren (HiGHS) gav inget resultat: {reason}. Den "
                            f"snabba närmelösningen visas, högst {_pct_sv(greedy.gap)} sämre "
                            "än det bästa möjliga.")
        return greedy
    if exact.gap == 0.0:
        return exact
    # Stopped by the time limit with a feasible solution: the better answer, the tighter bound.
    greedy = _greedy(problem)
    best = exact if exact.objective >= greedy.objective else greedy
    best.upper_bound = max(min(exact.upper_bound, greedy.upper_bound), best.objective)
    best.gap = _gap(best.objective, best.upper_bound)
    which = "dess bästa lösning" if best is exact else \
        "den snabba närmelösningen (bättre än lösarens bästa)"
    best.notes.append(f"Den exakta lösaren (HiGHS) nådde tidsgränsen på "
                      f"{number_sv(time_limit_s)} s innan den kunde visa att lösningen är den "
                      f"bästa; {which} visas, högst {_pct_sv(best.gap)} sämre än det bästa "
                      "möjliga.")
    return best


def _pct_sv(share: float) -> str:
    """A share as a Swedish percentage with one decimal: 0.211 → "21,1 %"."""
    return number_sv(100.0 * share, digits=1, unit="\u00a0%")


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
        raise SolverFailed("HiGHS fann att modellen saknar lösning")
    if status == 1 and not has_x:
        raise SolverFailed(f"HiGHS hittade ingen tillåten lösning inom tidsgränsen på "
                           f"{number_sv(time_limit_s)} s")
    if status not in (0, 1) or not has_x:
        log.info("HiGHS status %d: %s", status, res.message)
        raise SolverFailed(f"HiGHS stannade utan lösning (status {status})")
    assert x is not None
    take = x[:n_x] > 0.5
    if take.sum() > k_free or (take[pa] & take[pb]).any():
        raise SolverFailed("HiGHS gav en lösning som bryter mot villkoren")
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


