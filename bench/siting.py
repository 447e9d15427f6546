"""Siting speed: Trygg's maximal covering optimiser (geo.mclp) against PySAL spopt's MCLP.

Both solve the same seeded instance to proven optimality and must cover the same weight. Trygg
solves its presolved sparse model with HiGHS (``scipy.optimize.milp``); spopt builds its model
from a dense distance matrix and solves it through PuLP with the best solver PuLP has here
(HiGHS through highspy if installed, else the CBC PuLP bundles, else a ``cbc`` on the PATH; the
line says which). spopt runs in a child process with a time and memory limit, because its dense
distance matrix and dense constraints grow as demand × candidates.

    .venv/bin/python bench/siting.py            # 5,000 × 500, k = 10, then 20,000 × 2,000, k = 20
    .venv/bin/python bench/siting.py --small    # only the first instance

spopt (and PuLP with it) is in the ``bench`` extra:
``.tools/bin/uv sync --frozen --extra test --extra bench``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.mclp import SolverOptions, coverage_matrix, covered_weight, max_coverage

SPOPT_TIME_LIMIT_S = 600.0
SPOPT_MEMORY_GB = 8.0
TARGET_SPEED_UP = 30.0


def pulp_solver(*, time_limit_s: float) -> tuple[Any, str]:
    """The best exact solver PuLP can use here, proving optimality (relative gap 0), and its
    name: HiGHS through highspy, the CBC bundled with PuLP 3, or a ``cbc`` on the PATH."""
    import pulp

    available = set(pulp.listSolvers(onlyAvailable=True))
    if "HiGHS" in available:
        return pulp.HiGHS(msg=False, timeLimit=time_limit_s, gapRel=0.0), "HiGHS (highspy)"
    if "PULP_CBC_CMD" in available:
        return (pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=0.0),
                f"CBC bundled with PuLP {pulp.__version__}")
    if "COIN_CMD" in available:
        return pulp.COIN_CMD(msg=False, timeLimit=time_limit_s, gapRel=0.0), "cbc on the PATH"
    raise RuntimeError(f"PuLP {pulp.__version__} has no usable solver here "
                       f"(available: {sorted(available) or 'none'})")


def instance(n_demand: int, n_candidates: int, *, seed: int) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
    """Demand points every ~100 m along random-walk roads in a square sized so that the road
    length is about n_demand × 100 m, risk weights from a lognormal, candidates on the roads."""
    rng = np.random.default_rng(seed)
    side = 20_000.0 * np.sqrt(n_demand / 5_000)
    roads = []
    total = 0.0
    while total < n_demand * 100.0:
        start = rng.uniform(0, side, 2)
        steps = rng.normal(0, 600, (25, 2)) + rng.normal(0, 300, 2)
        line = shapely.linestrings(np.vstack([start, start + np.cumsum(steps, axis=0)]))
        roads.append(line)
        total += line.length
    roads = np.array(roads, dtype=object)
    lengths = shapely.length(roads)
    n = np.ceil(lengths / 100.0).astype(int)
    line = np.repeat(np.arange(len(roads)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    piece = (lengths / n)[line]
    demand = shapely.get_coordinates(
        shapely.line_interpolate_point(roads[line], (within + 0.5) * piece))[:n_demand]
    road_risk = rng.lognormal(1.0, 1.0, len(roads))
    weights = (road_risk[line] * piece / 1000.0)[:n_demand]
    pick = np.sort(rng.choice(len(line), n_candidates, replace=False))
    candidates = shapely.get_coordinates(
        shapely.line_interpolate_point(roads[line[pick]], within[pick] * piece[pick]))
    return demand, weights, candidates


def _trygg(demand: np.ndarray, weights: np.ndarray, candidates: np.ndarray, *, k: int,
           radius_m: float) -> float:
    cover = coverage_matrix(demand, candidates, radius_m=radius_m)
    solution = max_coverage(cover, weights, k=k,
                            solver=SolverOptions(method="mip", time_limit_s=600))
    assert solution.method == "mip" and solution.gap == 0.0, solution.notes
    return covered_weight(cover, weights, solution.chosen)


def run_trygg(demand: np.ndarray, weights: np.ndarray, candidates: np.ndarray, *, k: int,
              radius_m: float) -> tuple[float, float, float]:
    """Seconds and covered weight of a timed run, and the peak Python/numpy memory (MB) of a
    second run under tracemalloc (which slows allocation, so it is not timed)."""
    t0 = time.perf_counter()
    covered = _trygg(demand, weights, candidates, k=k, radius_m=radius_m)
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    _trygg(demand, weights, candidates, k=k, radius_m=radius_m)
    peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return elapsed, covered, peak_mb


def _spopt_child(queue: Any, demand: np.ndarray, weights: np.ndarray, candidates: np.ndarray,
                 k: int, radius_m: float, memory_gb: float) -> None:
    limit = int(memory_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        import geopandas as gpd
        from spopt.locate import MCLP

        t0 = time.perf_counter()
        dem = gpd.GeoDataFrame({"w": weights}, geometry=gpd.points_from_xy(*demand.T),
                               crs="EPSG:3006")
        fac = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*candidates.T), crs="EPSG:3006")
        model = MCLP.from_geodataframe(dem, fac, "geometry", "geometry", "w",
                                       service_radius=radius_m, p_facilities=k)
        built = time.perf_counter() - t0
        solver, name = pulp_solver(time_limit_s=3600)
        model.solve(solver, results=False)
        elapsed = time.perf_counter() - t0
        status = model.problem.status
        if status != 1:
            queue.put(("error", f"{name} ended with PuLP status {status}", None, None, None,
                       name))
            return
        covered = float(sum(w for w, v in zip(weights, model.cli_vars, strict=True)
                            if (v.value() or 0) > .5))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(("ok", elapsed, built, covered, peak_mb, name))
    except MemoryError:
        queue.put(("memory", None, None, None, None, ""))
    except Exception as exc:  # report any failure of the baseline as a figure, not a crash
        queue.put(("error", repr(exc)[:300], None, None, None, ""))


def run_spopt(demand: np.ndarray, weights: np.ndarray, candidates: np.ndarray, *, k: int,
              radius_m: float, time_limit_s: float, memory_gb: float) -> tuple[Any, ...]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_spopt_child, args=(queue, demand, weights, candidates, k,
                                                  radius_m, memory_gb))
    t0 = time.perf_counter()
    proc.start()
    proc.join(time_limit_s)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return "timeout", time.perf_counter() - t0, None, None, None, ""
    if queue.empty():
        return (f"died (exit code {proc.exitcode}, likely out of memory)", None, None, None,
                None, "")
    result: tuple[Any, ...] = queue.get()
    return result


def compare(n_demand: int, n_candidates: int, *, k: int, radius_m: float, seed: int,
            time_limit_s: float, memory_gb: float) -> bool:
    """Run both on one instance and print the figures; True when the targets are met."""
    demand, weights, candidates = instance(n_demand, n_candidates, seed=seed)
    print(f"-- {len(demand):,} demand pieces × {len(candidates):,} candidates, k = {k}, "
          f"radius {radius_m:,.0f} m, seed {seed}")
    ours, ours_weight, ours_mb = run_trygg(demand, weights, candidates, k=k, radius_m=radius_m)
    print(f"trygg (sparse STRtree coverage + presolve + HiGHS via scipy): {ours:8.3f} s, "
          f"covered weight {ours_weight:.4f}, peak traced memory {ours_mb:,.0f} MB")
    status, theirs, built, their_weight, their_mb, solver = run_spopt(
        demand, weights, candidates, k=k, radius_m=radius_m, time_limit_s=time_limit_s,
        memory_gb=memory_gb)
    if status == "ok":
        print(f"spopt MCLP (dense cdist, PuLP + {solver}): {theirs:8.3f} s "
              f"(model built in {built:.3f} s), covered weight {their_weight:.4f}, "
              f"peak RSS {their_mb:,.0f} MB")
        same = abs(ours_weight - their_weight) <= 1e-6 * max(1.0, their_weight)
        ratio = theirs / ours
        print(f"covered weight equal: {'yes' if same else 'NO'} "
              f"(difference {ours_weight - their_weight:+.6f})")
        print(f"speed-up: {ratio:.1f}× (target ≥ {TARGET_SPEED_UP:g}×): "
              f"{'met' if ratio >= TARGET_SPEED_UP else 'NOT MET'}")
        return same and ratio >= TARGET_SPEED_UP
    if status == "timeout":
        print(f"spopt MCLP: did not finish within {time_limit_s:,.0f} s (stopped); "
              f"speed-up > {time_limit_s / ours:.0f}×")
        return time_limit_s / ours >= TARGET_SPEED_UP
    if status == "memory":
        print(f"spopt MCLP: ran out of memory (limit {memory_gb:g} GB)")
    else:
        print(f"spopt MCLP: {status} {theirs or ''}")
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="only 5,000 × 500")
    parser.add_argument("--seed", type=int, default=2262)
    parser.add_argument("--spopt-time-limit-s", type=float, default=SPOPT_TIME_LIMIT_S)
    parser.add_argument("--spopt-memory-gb", type=float, default=SPOPT_MEMORY_GB)
    args = parser.parse_args()
    try:
        import spopt  # noqa: F401
    except ImportError:
        print("spopt is not installed: .tools/bin/uv sync --frozen --extra test --extra bench "
              "to compare against it")
        return
    ok = compare(5_000, 500, k=10, radius_m=1_500.0, seed=args.seed,
                 time_limit_s=args.spopt_time_limit_s, memory_gb=args.spopt_memory_gb)
    if not args.small:
        ok = compare(20_000, 2_000, k=20, radius_m=1_500.0, seed=args.seed,
                     time_limit_s=args.spopt_time_limit_s, memory_gb=args.spopt_memory_gb) \
            and ok
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
