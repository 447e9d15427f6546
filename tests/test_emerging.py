"""Emerging hot spots (geo/emerging.py) against the reference implementations and by hand:
space-time Gi* against esda's G_Local(star=True) on binary libpysal weights, Mann–Kendall against
pymannkendall, Benjamini–Hochberg against scipy, every Esri category (hot and cold) on a small
hand-built cube, no category from one record, and no more trend categories than the FDR allows
on cubes without a trend."""

from __future__ import annotations

import warnings

import numpy as np
import pymannkendall
import pytest
from esda.getisord import G_Local
from libpysal.weights import W, lat2SW
from scipy import sparse, stats

from geo.vocabulary import TREND_SV
from geo.emerging import (
    benjamini_hochberg_threshold, classify, describe, emerging_hot_spots,
    mann_kendall, mann_kendall_rows, space_time_gi_star,
)

TOL = 1e-12


# --- Gi* against esda ---------------------------------------------------------------------------

def _esda_space_time(cube: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """esda's Gi* z of every study bin of ``cube`` (periods × rows × cols), weights: the queen
    neighbours and the cell itself (libpysal lat2SW + I) in the period and the k before it."""
    t, h, w = cube.shape
    space = (lat2SW(h, w, criterion="queen") + sparse.identity(h * w)).tocsr()
    keep = np.flatnonzero(mask.ravel())
    space = space[keep][:, keep]
    time = sparse.csr_matrix(np.tril(np.ones((t, t))) - np.tril(np.ones((t, t)), -k - 1))
    y = cube.reshape(t, h * w)[:, keep].ravel()
    with warnings.catch_warnings():  # k = 0: periods are separate components, as they should
        warnings.simplefilter("ignore")
        weights = W.from_sparse(sparse.kron(time, space).tocsr())
        g = G_Local(y, weights, transform="B", star=True, permutations=0)
    return np.asarray(g.Zs).reshape(t, len(keep)).T  # cells × periods


def _ours(cube: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    counts = cube[:, rows, cols].T
    return space_time_gi_star(counts, rows, cols, mask, time_window_periods=k).z


def _cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(11)
    out = []
    cube = rng.poisson(0.4, size=(6, 5, 7)).astype(float)  # many ties (zeros and ones)
    out.append(("sparse poisson", cube, np.ones((5, 7), dtype=bool)))
    zeros = rng.poisson(2.0, size=(7, 4, 6)).astype(float)
    zeros[[0, 3, 6]] = 0.0  # all-zero periods at the start, middle and end
    out.append(("all-zero periods", zeros, np.ones((4, 6), dtype=bool)))
    edge = np.zeros((5, 6, 6))
    edge[:, 0, 0] = [3, 0, 5, 1, 4]  # records only in a corner cell
    edge[2, 5, 5] = 2
    out.append(("corner", edge, np.ones((6, 6), dtype=bool)))
    holed = rng.poisson(1.0, size=(4, 6, 5)).astype(float)
    mask = np.ones((6, 5), dtype=bool)
    mask[0, :2] = mask[3, 2] = mask[5, 4] = False  # a municipality with holes and a notch
    holed[:, ~mask] = 0.0
    out.append(("holed study area", holed, mask))
    strip = rng.poisson(3.0, size=(5, 1, 8)).astype(float)  # one row of cells: rook = queen
    out.append(("one row", strip, np.ones((1, 8), dtype=bool)))
    return out


@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("name, cube, mask", _cases(), ids=[c[0] for c in _cases()])
def test_gi_star_equals_esda(name: str, cube: np.ndarray, mask: np.ndarray, k: int) -> None:
    ours = _ours(cube, mask, k)
    theirs = _esda_space_time(cube, mask, k)
    finite = np.isfinite(theirs)  # esda: 0/0 where a window is every bin (never here)
    assert finite.all(), name
    assert np.abs(ours - theirs).max() <= TOL, (name, k, np.abs(ours - theirs).max())


def test_gi_star_of_a_constant_cube_is_zero_not_nan() -> None:
    cube = np.full((4, 3, 3), 2.0)
    z = _ours(cube, np.ones((3, 3), dtype=bool), 1)
    assert (z == 0).all()


def test_p_values_and_window_counts() -> None:
    cube = np.zeros((3, 4, 4))
    cube[1, 1, 1], cube[2, 1, 2] = 4, 1
    mask = np.ones((4, 4), dtype=bool)
    rows, cols = np.nonzero(mask)
    gi = space_time_gi_star(cube[:, rows, cols].T, rows, cols, mask, time_window_periods=1)
    assert np.allclose(gi.p, 2 * stats.norm.sf(np.abs(gi.z)), rtol=0, atol=1e-15)
    cell = list(zip(rows, cols, strict=True)).index((1, 2))
    assert gi.window_count[cell].tolist() == [0, 4, 5]  # 3×3 × this and the previous period
    assert gi.bins == 16 * 3


# --- Mann–Kendall against pymannkendall ---------------------------------------------------------

SERIES = {
    "rising": list(range(1, 13)),
    "ties": [0, 0, 1, 0, 2, 2, 2, 0, 1, 3, 3, 0],
    "constant": [1.5] * 10,
    "two values": [0.0] * 11 + [3.0],
    "short": [2.0, 1.0],
    "three": [1.0, 1.0, 0.0],
    "falling floats": [3.2, 2.9, 3.1, 1.0, -0.4, -0.4, -2.2, -1.9],
    "z-score ties": [-0.1186] * 9 + [4.25, 4.25, -0.1186, 7.5],
    "random": list(np.random.default_rng(3).normal(size=24)),
}


@pytest.mark.parametrize("name", list(SERIES))
def test_mann_kendall_equals_pymannkendall(name: str) -> None:
    x = np.asarray(SERIES[name], dtype=float)
    ours = mann_kendall(x)
    ref = pymannkendall.original_test(x)
    assert ours.s == ref.s and abs(ours.var_s - ref.var_s) <= TOL
    assert abs(ours.z - ref.z) <= TOL and abs(ours.p - ref.p) <= TOL
    assert abs(ours.tau - ref.Tau) <= TOL


def test_row_wise_mann_kendall_equals_pymannkendall() -> None:
    rng = np.random.default_rng(5)
    matrix = np.vstack([rng.poisson(0.7, size=(30, 15)).astype(float),
                        np.zeros((1, 15)), np.round(rng.normal(size=(10, 15)), 1)])
    s, var, z, p = mann_kendall_rows(matrix)
    for i, row in enumerate(matrix):
        ref = pymannkendall.original_test(row)
        assert s[i] == ref.s and abs(var[i] - ref.var_s) <= TOL
        assert abs(z[i] - ref.z) <= TOL and abs(p[i] - ref.p) <= TOL


# --- Benjamini–Hochberg against scipy -----------------------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_benjamini_hochberg_equals_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=400), rng.uniform(0, 1e-3, size=seed * 5)])
    ours = p <= benjamini_hochberg_threshold(p[p <= 0.05], bins=len(p), alpha=0.05)
    theirs = stats.false_discovery_control(p, method="bh") <= 0.05
    assert (ours == theirs).all()
    if not theirs.any():
        assert benjamini_hochberg_threshold(p, bins=len(p)) == 0.0


# --- categories -----------------------------------------------------------------------------------

def _flags(spec: str) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([[c == "H" for c in spec]]), np.array([[c == "C" for c in spec]]))


@pytest.mark.parametrize("spec, trend, expected", [
    ("." * 19 + "H", 0, "new_hot_spot"),
    ("C" + "." * 18 + "H", 0, "new_hot_spot"),  # never hot before (cold does not count)
    ("." * 17 + "HHH", 0, "consecutive_hot_spot"),  # README: hot only in the last three
    ("H" * 20, 1, "intensifying_hot_spot"),
    ("." + "H" * 19, 0, "persistent_hot_spot"),
    ("H" * 20, -1, "diminishing_hot_spot"),
    (".H..H...H.." + "." * 8 + "H", 0, "sporadic_hot_spot"),
    ("H" * 10 + "." * 8 + "HH", 0, "sporadic_hot_spot"),  # a final run, but hot before it
    ("C...H...........H..H", 0, "oscillating_hot_spot"),
    ("H" * 22 + "..", 0, "historical_hot_spot"),  # README: 22 of 24, not the last two
    ("H" * 22 + "..", 1, "historical_hot_spot"),
    ("." * 19 + "C", 0, "new_cold_spot"),
    ("." * 17 + "CCC", 0, "consecutive_cold_spot"),
    ("C" * 20, -1, "intensifying_cold_spot"),
    ("C" * 20, 0, "persistent_cold_spot"),
    ("C" * 20, 1, "diminishing_cold_spot"),
    ("C.C...C.........C..C", 0, "sporadic_cold_spot"),
    ("..H....C.......C...C", 0, "oscillating_cold_spot"),
    ("C" * 18 + "HH", 0, "consecutive_hot_spot"),  # cold before the run does not count
    ("C" * 19 + ".", 0, "historical_cold_spot"),
    ("." * 20, 0, "no_pattern"),
    ("..HHH" + "." * 15, 0, "no_pattern"),  # hot once, not at the end, < 90 %
])
def test_classify_follows_esri(spec: str, trend: int, expected: str) -> None:
    hot, cold = _flags(spec)
    got = classify(hot, cold, np.array([float(trend) * 50]),
                   np.array([0.001 if trend else 0.6]))
    assert got.tolist() == [expected]


CUBES = {  # per period: H hot block, C cold block, . background; slope: block rising/falling
    "new_hot_spot": ("." * 19 + "H", 0),
    "consecutive_hot_spot": ("." * 17 + "HHH", 0),
    "intensifying_hot_spot": ("H" * 20, 1),
    "persistent_hot_spot": ("H" * 20, 0),
    "diminishing_hot_spot": ("H" * 20, -1),
    "sporadic_hot_spot": (".H...H....H.....H..H", 0),
    "oscillating_hot_spot": ("C....H....H........H", 0),
    "historical_hot_spot": ("H" * 19 + ".", 0),
    "new_cold_spot": ("." * 19 + "C", 0),
    "consecutive_cold_spot": ("." * 17 + "CCC", 0),
    "intensifying_cold_spot": ("C" * 20, -1),
    "persistent_cold_spot": ("C" * 20, 0),
    "diminishing_cold_spot": ("C" * 20, 1),
    "sporadic_cold_spot": (".C...C....C.....C..C", 0),
    "oscillating_cold_spot": ("H....C....C........C", 0),
    "historical_cold_spot": ("C" * 19 + ".", 0),
    "no_pattern": ("." * 20, 0),
}


def _cube(spec: str, slope: int) -> np.ndarray:
    """A 9×9 study area at 10 records a cell and period, its centre 3×3 block at 40 where hot
    and 0 where cold; with ``slope`` ±1 the block rises (1) or falls (−1) over the periods: hot
    40 → 59 or 59 → 40, cold 0 → 4 or 4 → 0 (still well below the 10 around it)."""
    t = len(spec)
    cube = np.full((t, 9, 9), 10.0)
    for k, c in enumerate(spec):
        step = (k if slope > 0 else t - 1 - k) if slope else 0
        if c == "H":
            cube[k, 3:6, 3:6] = 40 + step
        elif c == "C":
            cube[k, 3:6, 3:6] = 4 * step / (t - 1)
    return cube


@pytest.mark.parametrize("expected", list(CUBES))
def test_every_category_on_a_hand_built_cube(expected: str) -> None:
    spec, slope = CUBES[expected]
    cube = _cube(spec, slope)
    mask = np.ones((9, 9), dtype=bool)
    rows, cols = np.nonzero(mask)
    result = emerging_hot_spots(cube[:, rows, cols].T, rows, cols, mask, time_window_periods=0)
    centre = list(zip(rows, cols, strict=True)).index((4, 4))
    assert result.category[centre] == expected, (
        result.hot[centre].astype(int).tolist(), result.cold[centre].astype(int).tolist(),
        result.trend_p[centre])
    assert expected in TREND_SV


def test_one_record_is_never_a_hot_spot() -> None:
    cube = np.zeros((12, 20, 20))
    cube[5, 10, 10] = 1.0  # one record among 4 800 empty bins: Gi* alone calls it hot
    mask = np.ones((20, 20), dtype=bool)
    rows, cols = np.nonzero(mask)
    counts = cube[:, rows, cols].T
    loose = emerging_hot_spots(counts, rows, cols, mask, min_window_count=1)
    assert loose.hot.any()
    strict = emerging_hot_spots(counts, rows, cols, mask)  # default: 3 records in the window
    assert not strict.hot.any() and set(strict.category) == {"no_pattern"}


def test_no_trend_cube_gives_at_most_the_fdr_share_of_trend_categories() -> None:
    """Poisson counts without any trend or cluster: the old per-period, uncorrected test called
    about 1 cell in 20 a trend; here at most alpha of the cells get a category at all."""
    trend_kinds = {k for k in TREND_SV if k.startswith(("intensifying", "diminishing"))}
    mask = np.ones((15, 15), dtype=bool)
    rows, cols = np.nonzero(mask)
    cells = patterned = trends = 0
    for seed in range(8):
        cube = np.random.default_rng(100 + seed).poisson(1.0, size=(24, 15, 15)).astype(float)
        result = emerging_hot_spots(cube[:, rows, cols].T, rows, cols, mask)
        cells += len(rows)
        patterned += int((result.category != "no_pattern").sum())
        trends += int(np.isin(result.category, list(trend_kinds)).sum())
    assert trends / cells <= 0.05 and patterned / cells <= 0.05, (trends, patterned, cells)


def test_describe_speaks_swedish_with_a_decimal_comma() -> None:
    text = describe("intensifying_hot_spot", hot_periods=22, cold_periods=0, periods=24,
                    trend_s=40, trend_p=0.0312)
    assert text == "Hot spot i 22 av 24 perioder, även den senaste. Ökande trend, p = 0,03."
    text = describe("historical_hot_spot", hot_periods=22, cold_periods=0, periods=24,
                    trend_s=-3, trend_p=0.4)
    assert text == "Hot spot i 22 av 24 perioder, men inte den senaste. Ingen säker trend " \
                   "(p = 0,40)."
    assert describe("no_pattern", hot_periods=0, cold_periods=0, periods=24, trend_s=0,
                    trend_p=1.0).startswith("Aldrig en säker hot spot eller cold spot.")
    assert "p < 0,001" in describe("diminishing_cold_spot", hot_periods=0, cold_periods=23,
                                   periods=24, trend_s=99, trend_p=1e-6)


def test_trend_categories_are_corrected_over_the_cells_they_decide() -> None:
    """Cells hot in every period whose z-scores have no trend: uncorrected Mann–Kendall calls
    about 5 % of them intensifying or diminishing by chance; corrected together (FDR at 5 %),
    a cube with no trend at all gets a trend category in at most about 5 % of runs."""
    cells, periods, runs = 400, 24, 20
    hot = np.ones((cells, periods), dtype=bool)
    cold = np.zeros_like(hot)
    uncorrected = false_trends = 0
    for seed in range(runs):
        z = 3.0 + np.random.default_rng(seed).normal(0.0, 1.0, (cells, periods))
        s, _, _, p = mann_kendall_rows(z)
        uncorrected += int((p < 0.05).sum())
        false_trends += int((classify(hot, cold, s, p) != "persistent_hot_spot").sum())
    assert uncorrected > 0.03 * cells * runs  # ≈ 5 %: what the old classes showed
    assert false_trends <= 3
    # A real trend in a few cells survives the correction.
    z = 3.0 + np.random.default_rng(2262).normal(0.0, 1.0, (cells, periods))
    z[:5] += np.linspace(0.0, 8.0, periods)
    s, _, _, p = mann_kendall_rows(z)
    assert (classify(hot, cold, s, p)[:5] == "intensifying_hot_spot").all()
