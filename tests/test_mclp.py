"""The maximal covering optimiser (geo.mclp) on its own: tiny instances solved by hand, optimal =
brute force on random small instances, and every way the exact solver can fail (each falls back
to the greedy answer with its gap and a note)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.optimize

from geo.errors import ValidationFailed
from geo.mclp import (
    SolverOptions, Spacing, coverage_matrix, covered_weight, max_coverage, spacing_cliques,
    spacing_pairs,
)


def solve(demand, weights, cands, *, radius_m, **options):
    cover = coverage_matrix(np.asarray(demand, float), np.asarray(cands, float), radius_m=radius_m)
    return cover, max_coverage(cover, np.asarray(weights, float), **options)


# --- the optimiser by hand ------------------------------------------------------------------------

# Cluster A (3 × weight 1) around x = 0, cluster B (2 × weight 1) at x = 10 km.
TWO_CLUSTERS = dict(demand=[(0, 0), (10, 0), (20, 0), (10_000, 0), (10_010, 0)],
                    weights=[1, 1, 1, 1, 1], cands=[(10, 0), (10_005, 0), (5_000, 0)],
                    radius_m=100)


@pytest.mark.parametrize("method", ["mip", "greedy"])
def test_two_clusters_k1_takes_the_heavier_and_k2_takes_both(method: str) -> None:
    _, one = solve(**TWO_CLUSTERS, k=1, solver=SolverOptions(method=method))
    assert list(one.chosen) == [0] and one.covered_weight == 3
    _, two = solve(**TWO_CLUSTERS, k=2, solver=SolverOptions(method=method))
    assert sorted(two.chosen) == [0, 1] and two.covered_weight == 5
    assert two.gap == pytest.approx(0.0)


def test_a_fixed_site_stays_in_and_counts_towards_k() -> None:
    _, sol = solve(**TWO_CLUSTERS, k=1, fixed=[1])
    assert list(sol.chosen) == [1] and sol.covered_weight == 2
    _, sol = solve(**TWO_CLUSTERS, k=2, fixed=[2])  # a useless fixed site
    assert sorted(sol.chosen) == [0, 2] and sol.covered_weight == 3


def test_spacing_forces_a_worse_second_site() -> None:
    # A (5) at x=0, A' (4) 150 m away, B (1) 5 km away; radius 100 m.
    case = dict(demand=[(0, 0), (150, 0), (5_000, 0)], weights=[5, 4, 1],
                cands=[(0, 0), (150, 0), (5_000, 0)], radius_m=100)
    _, free = solve(**case, k=2)
    assert sorted(free.chosen) == [0, 1] and free.covered_weight == 9
    cxy = np.array(case["cands"], float)
    pairs = spacing_pairs(cxy, 1_000)
    assert pairs.tolist() == [[0, 1]]
    for method in ("mip", "greedy"):
        _, spaced = solve(**case, k=2, spacing=Spacing(pairs=pairs),
                          solver=SolverOptions(method=method))
        assert sorted(spaced.chosen) == [0, 2] and spaced.covered_weight == 6


def test_bad_optimiser_input_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="k måste vara minst 1"):
        solve(**TWO_CLUSTERS, k=0)
    with pytest.raises(ValidationFailed, match="fasta platser är fler än k"):
        solve(**TWO_CLUSTERS, k=1, fixed=[0, 1])


@pytest.mark.parametrize("seed", range(12))
def test_optimal_equals_brute_force_on_random_small_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 3_000, (25, 2))
    weights = rng.integers(1, 20, 25).astype(float)
    cands = rng.uniform(0, 3_000, (9, 2))
    k = int(rng.integers(1, 4))
    spacing = float(rng.choice([0.0, 800.0, 2000.0]))
    pairs = spacing_pairs(cands, spacing)
    cliques = spacing_cliques(cands, spacing, demand)  # must never cut off a feasible set
    cover, sol = solve(demand, weights, cands, radius_m=700, k=k,
                       spacing=Spacing(pairs=pairs, cliques=tuple(cliques)))
    close = {tuple(p) for p in pairs.tolist()}
    best = max(covered_weight(cover, weights, combo)
               for size in range(1, k + 1) for combo in itertools.combinations(range(9), size)
               if not any((a, b) in close for a, b in itertools.combinations(combo, 2)))
    assert sol.method == "mip" and sol.covered_weight == pytest.approx(best)
    _, greedy = solve(demand, weights, cands, radius_m=700, k=k, spacing=Spacing(pairs=pairs),
                      solver=SolverOptions(method="greedy"))
    assert greedy.covered_weight <= best + 1e-9
    assert greedy.upper_bound >= best - 1e-9  # the reported bound really bounds the optimum
    assert greedy.gap == pytest.approx((greedy.upper_bound - greedy.objective)
                                       / greedy.upper_bound)


# --- every way the exact solver can fail falls back to the greedy answer --------------------------

# Greedy's trap on a line (radius 160 m): the middle site covers most alone (5.5), so greedy takes
# it and then one side (7.5); the optimum is both sides (8). Greedy's own bound is 9.5.
TRAP = dict(demand=[(0, 0), (150, 0), (300, 0), (450, 0), (600, 0)],
            weights=[2, 2, 1.5, 2, 2], cands=[(75, 0), (300, 0), (525, 0)], radius_m=160)
TRAP_GREEDY_GAP = (9.5 - 7.5) / 9.5

REAL_MILP = scipy.optimize.milp


def test_the_exact_solver_escapes_greedys_trap_and_reports_no_gap() -> None:
    _, exact = solve(**TRAP, k=2)
    assert exact.method == "mip" and sorted(exact.chosen) == [0, 2]
    assert exact.covered_weight == pytest.approx(8.0) and exact.gap == 0.0
    assert exact.upper_bound == pytest.approx(8.0) and exact.notes == []
    _, greedy = solve(**TRAP, k=2, solver=SolverOptions(method="greedy"))
    assert sorted(greedy.chosen) == [0, 1] and greedy.covered_weight == pytest.approx(7.5)
    assert greedy.upper_bound == pytest.approx(9.5)
    assert greedy.gap == pytest.approx(TRAP_GREEDY_GAP)


def failed(status: int, message: str, x: np.ndarray | None = None,
           dual: float | None = None) -> scipy.optimize.OptimizeResult:
    """A result as ``scipy.optimize.milp`` gives it when HiGHS does not succeed."""
    return scipy.optimize.OptimizeResult(status=status, message=message, success=False, x=x,
                                         fun=None, mip_node_count=0, mip_dual_bound=dual,
                                         mip_gap=None)


def _raises(c, **kwargs):
    raise RuntimeError("HiGHS crashed")


def _infeasible(c, **kwargs):
    return failed(2, "The problem is infeasible. (HiGHS Status 8: model_status is Infeasible)")


def _time_limit_without_solution(c, **kwargs):
    return failed(1, "Time limit reached. (HiGHS Status 13: model_status is Time limit reached)")


def _other_status(c, **kwargs):
    return failed(4, "HiGHS did something unexpected")


def _nan_solution(c, **kwargs):
    return scipy.optimize.OptimizeResult(failed(0, "Optimal"), x=np.full(len(c), np.nan))


def _breaks_the_constraints(c, **kwargs):  # all three sites for k = 2
    return scipy.optimize.OptimizeResult(failed(0, "Optimal"), x=np.ones(len(c)))


@pytest.mark.parametrize("fake, reason", [
    (_raises, "lösaren avbröts av ett fel (RuntimeError)"),
    (_infeasible, "HiGHS fann att modellen saknar lösning"),
    (_time_limit_without_solution, "HiGHS hittade ingen tillåten lösning inom tidsgränsen på 7 s"),
    (_other_status, "HiGHS stannade utan lösning (status 4)"),
    (_nan_solution, "HiGHS stannade utan lösning (status 0)"),
    (_breaks_the_constraints, "HiGHS gav en lösning som bryter mot villkoren"),
])
def test_any_solver_failure_falls_back_to_greedy_with_its_gap_and_a_note(
        monkeypatch: pytest.MonkeyPatch, fake, reason: str) -> None:
    calls: list[dict] = []

    def recording(c, **kwargs):
        calls.append(kwargs)
        return fake(c, **kwargs)

    monkeypatch.setattr(scipy.optimize, "milp", recording)
    _, sol = solve(**TRAP, k=2, solver=SolverOptions(time_limit_s=7))
    assert len(calls) == 1 and calls[0]["options"]["time_limit"] == 7
    assert calls[0]["options"]["mip_rel_gap"] == 0.0
    assert sol.method == "greedy" and sorted(sol.chosen) == [0, 1]
    assert sol.covered_weight == pytest.approx(7.5)
    assert sol.upper_bound == pytest.approx(9.5) and sol.gap == pytest.approx(TRAP_GREEDY_GAP)
    assert sol.notes == [f"Den exakta lösaren (HiGHS) gav inget resultat: {reason}. Den snabba "
                         "närmelösningen visas, högst 21,1\u00a0% sämre än det bästa möjliga."]


def test_time_limit_with_a_solution_keeps_it_with_highs_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped_early(c, **kwargs):  # the optimum, but not proven: HiGHS's bound is 8.5
        res = REAL_MILP(c, **kwargs)
        return scipy.optimize.OptimizeResult(res, status=1, success=False,
                                             mip_dual_bound=-8.5)

    monkeypatch.setattr(scipy.optimize, "milp", stopped_early)
    _, sol = solve(**TRAP, k=2, solver=SolverOptions(time_limit_s=7))
    assert sol.method == "mip" and sorted(sol.chosen) == [0, 2]
    assert sol.upper_bound == pytest.approx(8.5) and sol.gap == pytest.approx(0.5 / 8.5)
    assert sol.notes == ["Den exakta lösaren (HiGHS) nådde tidsgränsen på 7 s innan den kunde "
                         "visa att lösningen är den bästa; dess bästa lösning visas, högst "
                         "5,9\u00a0% sämre än det bästa möjliga."]


def test_time_limit_with_a_worse_solution_than_greedy_shows_greedy_under_the_tighter_bound(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def poor_incumbent(c, **kwargs):  # only the left site (4), bound 9
        x = np.zeros(len(c))
        x[0] = 1.0
        return failed(1, "Time limit reached", x=x, dual=-9.0)

    monkeypatch.setattr(scipy.optimize, "milp", poor_incumbent)
    _, sol = solve(**TRAP, k=2, solver=SolverOptions(time_limit_s=7))
    assert sol.method == "greedy" and sol.covered_weight == pytest.approx(7.5)
    assert sol.upper_bound == pytest.approx(9.0) and sol.gap == pytest.approx(1.5 / 9.0)
    assert "den snabba närmelösningen (bättre än lösarens bästa) visas, högst 16,7\u00a0% " \
        "sämre" in sol.notes[0]


def test_a_real_time_limit_never_raises() -> None:
    """HiGHS with (almost) no time: whatever it manages, the answer is feasible and bounded."""
    rng = np.random.default_rng(7)
    demand, cands = rng.uniform(0, 20_000, (3_000, 2)), rng.uniform(0, 20_000, (300, 2))
    cover, sol = solve(demand, rng.lognormal(0, 1, 3_000), cands, radius_m=1_500, k=10,
                       solver=SolverOptions(time_limit_s=1e-6))
    assert len(sol.chosen) <= 10 and sol.gap >= 0 and sol.upper_bound >= sol.objective
    assert sol.method == "greedy" or sol.gap == 0.0 or "tidsgränsen" in sol.notes[0]
