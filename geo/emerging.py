"""Emerging hot spots on a grid: space-time Getis–Ord Gi*, Benjamini–Hochberg FDR, Mann–Kendall
on each cell's z-scores and Esri's pattern categories.

Method (after Esri's "How Emerging Hot Spot Analysis works"; see README "Otrygga platser över
tid"):

* **The cube.** Counts per study cell (the municipality's cells, zeros included) and period.
* **Space-time Gi\\*.** A bin's neighbours are the cells of its (2·ring+1)² window (the 3×3
  cells around it, itself included) in its own period and the ``time_window_periods`` periods
  before it (fewer at the start of the series); binary weights. The global mean and standard
  deviation are those of the whole cube (Esri's "entire cube" global window), so a period with
  few records is compared with the window as a whole.
* **FDR.** Two-sided p-values of all bins of the cube (every study cell × period) are corrected
  together with Benjamini–Hochberg at ``alpha``: a bin is significant when its p-value is at most
  the largest p₍ₖ₎ ≤ k·alpha/m (m the number of bins).
* **Hot and cold.** A significant bin with z > 0 is hot when its space-time window also holds at
  least ``min_window_count`` records (so no cell is hot on one record); with z < 0 it is cold.
* **Trend.** Mann–Kendall (tie-corrected variance, continuity-corrected z, two-sided p) on the
  cell's Gi\\* z-scores over the periods; where the trend decides the category (cells hot or
  cold in ≥ 90 % of periods including the last) the p-values of those cells are corrected
  together with Benjamini–Hochberg at ``alpha``.
* **Categories** (Esri's definitions, "90 %" = ``persistent_share``): see ``classify``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, stats


FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
            "oscillating", "historical")
PERSISTENT_SHARE = 0.9
DEFAULT_MIN_WINDOW_COUNT = 3


# --- Mann–Kendall ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class MannKendall:
    s: float
    var_s: float
    z: float
    p: float
    tau: float


def mann_kendall(series: NDArray[np.float64] | list[float]) -> MannKendall:
    """Mann–Kendall trend test of one series: S, its tie-corrected variance, z and two-sided p."""
    x = np.asarray(series, dtype=float)
    n = len(x)
    if n < 2:
        return MannKendall(0.0, 0.0, 0.0, 1.0, 0.0)
    s, var, z, p = mann_kendall_rows(x[None, :])
    return MannKendall(float(s[0]), float(var[0]), float(z[0]), float(p[0]),
                       float(s[0]) / (n * (n - 1) / 2))


def mann_kendall_rows(matrix: NDArray[np.float64]
                      ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Mann–Kendall of every row of ``matrix`` at once: (S, Var S, z, p) arrays.

    Var S = (n(n−1)(2n+5) − Σ t(t−1)(2t+5)) / 18 over groups t of equal values; z = (S − sign S)
    / √Var S (0 when Var S = 0, e.g. a constant row); p = 2·(1 − Φ(|z|))."""
    m = np.asarray(matrix, dtype=float)
    rows, n = m.shape
    if n < 2 or rows == 0:
        zero = np.zeros(rows)
        return zero, zero.copy(), zero.copy(), np.ones(rows)
    i, j = np.triu_indices(n, k=1)
    s = np.sign(m[:, j] - m[:, i]).sum(axis=1)
    ordered = np.sort(m, axis=1)
    run = np.concatenate([np.zeros((rows, 1), dtype=np.int64),
                          np.cumsum(ordered[:, 1:] != ordered[:, :-1], axis=1)], axis=1)
    sizes = np.zeros((rows, n))
    np.add.at(sizes, (np.repeat(np.arange(rows), n), run.ravel()), 1.0)
    ties = (sizes * (sizes - 1) * (2 * sizes + 5)).sum(axis=1)
    var = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    root = np.sqrt(np.where(var > 0, var, 1.0))
    z = np.where(var > 0, (s - np.sign(s)) / root, 0.0)
    return s, var, z, 2 * stats.norm.sf(np.abs(z))


# --- space-time Gi* -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SpaceTimeGi:
    """Gi* of the counted cells (rows) in each period (columns), with the FDR decision."""

    z: FloatArray             # z-scores
    p: FloatArray             # two-sided p-values, uncorrected
    window_count: FloatArray  # records in each bin's space-time window
    significant: BoolArray    # p ≤ the Benjamini–Hochberg threshold over the whole cube
    p_threshold: float        # that threshold (0 when no bin is significant)
    bins: int                 # m: study cells × periods


def space_time_gi_star(counts: NDArray[np.float64], rows: NDArray[np.int64],
                       cols: NDArray[np.int64], mask: BoolArray, *, ring: int = 1,
                       time_window_periods: int = 1, alpha: float = 0.05) -> SpaceTimeGi:
    """Space-time Gi* of the cells at (``rows``, ``cols``) of ``mask`` (the study cells; the
    counted cells must lie in it) whose counts per period are ``counts`` (cells × periods).

    Neighbours: the (2·``ring``+1)² cells around a bin that belong to ``mask``, in its period and
    the ``time_window_periods`` before it. Mean and standard deviation over every study cell and
    period (zeros included). P-values of every bin of the cube go into one Benjamini–Hochberg
    correction at ``alpha``. Work: one 2-D correlation per period; memory: a few grids."""
    x = np.asarray(counts, dtype=float)
    n_cells, t = x.shape
    if time_window_periods < 0 or ring < 0:
        raise ValueError("time_window_periods and ring must be ≥ 0")
    study = np.asarray(mask, dtype=bool)
    if n_cells and not study[rows, cols].all():
        raise ValueError("every counted cell must lie in the study mask")
    m_cells = int(study.sum())
    n = m_cells * t
    empty = np.zeros((n_cells, t))
    if n < 2 or n_cells == 0:
        return SpaceTimeGi(empty, np.ones((n_cells, t)), empty.copy(),
                           np.zeros((n_cells, t), dtype=bool), 0.0, n)
    mean = x.sum() / n
    sd = float(np.sqrt(max((x ** 2).sum() / n - mean ** 2, 0.0)))
    kernel = np.ones((2 * ring + 1, 2 * ring + 1))
    w_space = ndimage.correlate(study.astype(float), kernel, mode="constant", cval=0.0)
    z = np.zeros((n_cells, t))
    p = np.ones((n_cells, t))
    window = np.zeros((n_cells, t))
    candidates: list[FloatArray] = []  # p ≤ alpha of every bin: BH only ever rejects those
    spatial: list[FloatArray] = []     # the last time_window_periods + 1 spatial window sums
    grid = np.zeros(study.shape)
    for k in range(t):  # one correlation per period, vectorised over the cells
        grid[:] = 0.0
        grid[rows, cols] = x[:, k]
        spatial.append(ndimage.correlate(grid, kernel, mode="constant", cval=0.0))
        if len(spatial) > time_window_periods + 1:
            spatial.pop(0)
        sums = np.sum(spatial, axis=0) if len(spatial) > 1 else spatial[0]
        w = w_space * len(spatial)
        denom = sd * np.sqrt(np.maximum(n * w - w ** 2, 0.0) / (n - 1))
        ok = study & (denom > 0)
        zk = np.zeros(study.shape)
        zk[ok] = (sums[ok] - mean * w[ok]) / denom[ok]
        pk = np.ones(study.shape)
        pk[ok] = 2 * stats.norm.sf(np.abs(zk[ok]))
        low = pk[study]
        candidates.append(low[low <= alpha])
        z[:, k], p[:, k], window[:, k] = zk[rows, cols], pk[rows, cols], sums[rows, cols]
    threshold = benjamini_hochberg_threshold(np.concatenate(candidates), bins=n, alpha=alpha)
    return SpaceTimeGi(z, p, window, p <= threshold if threshold > 0 else
                       np.zeros((n_cells, t), dtype=bool), threshold, n)


def benjamini_hochberg_threshold(p_values: NDArray[np.float64], *, bins: int,
                                 alpha: float = 0.05) -> float:
    """The Benjamini–Hochberg cut-off over ``bins`` tests given (at least) every p-value ≤
    ``alpha`` among them: the largest p₍ₖ₎ with p₍ₖ₎ ≤ k·alpha/bins, or 0 when there is none."""
    ordered = np.sort(np.asarray(p_values, dtype=float))
    if len(ordered) == 0 or bins <= 0:
        return 0.0
    ranks = np.arange(1, len(ordered) + 1)
    ok = np.nonzero(ordered <= ranks * alpha / bins)[0]
    return float(ordered[ok[-1]]) if len(ok) else 0.0


# --- categories -----------------------------------------------------------------------------------

def classify(hot: BoolArray, cold: BoolArray, trend_s: NDArray[np.float64],
             trend_p: NDArray[np.float64], *, alpha: float = 0.05,
             persistent_share: float = PERSISTENT_SHARE) -> NDArray[np.str_]:
    """Esri's category of each row (cell) from its hot and cold flags per period (columns) and
    the Mann–Kendall S and p of its z-scores; keys of ``geo.vocabulary.TREND_SV`` (never
    ``too_few``).

    For hot spots (cold: the same with hot and cold swapped and the trend's sign reversed):
    *new* — hot in the last period and never before; *consecutive* — one unbroken run of at least
    two hot periods at the end, never hot before it, hot in < 90 % of periods; *intensifying* /
    *diminishing* — hot in ≥ 90 % of periods including the last, with a significant upward /
    downward trend of the z-scores; *persistent* — hot in ≥ 90 % including the last, no
    significant trend; *oscillating* — hot in the last period, a cold spot in some earlier one,
    hot in < 90 %; *sporadic* — hot in the last period, never cold, hot in < 90 % and neither new
    nor consecutive; *historical* — not hot in the last period but hot in ≥ 90 % of periods."""
    rows, t = hot.shape
    out = np.full(rows, "no_pattern", dtype=object)
    if t == 0:
        return out.astype(str)
    # The trend decides only between intensifying/diminishing and persistent, for cells hot (or
    # cold) in ≥ 90 % of periods including the last: its p-values are corrected together over
    # exactly those cells (Benjamini–Hochberg), so a cube without trends shows none.
    candidates = np.zeros(rows, dtype=bool)
    for flags in (hot, cold):
        candidates |= (flags.sum(axis=1) >= persistent_share * t) & flags[:, -1]
    trend = trend_significant(trend_p, candidates, alpha=alpha)
    up = trend & (trend_s > 0)
    down = trend & (trend_s < 0)
    for kind, flags, other, stronger, weaker in (("hot", hot, cold, up, down),
                                                 ("cold", cold, hot, down, up)):
        count = flags.sum(axis=1)
        last = flags[:, -1]
        mostly = count >= persistent_share * t
        # Length of the final unbroken run: periods from the end before the first non-flag.
        tail = np.cumprod(flags[:, ::-1], axis=1).sum(axis=1)
        new = last & (count == 1)
        consecutive = last & (tail >= 2) & (count == tail) & ~mostly
        oscillating = last & ~mostly & other.any(axis=1) & ~new & ~consecutive
        sporadic = last & ~mostly & ~other.any(axis=1) & ~new & ~consecutive
        conditions = [
            (new, "new"), (consecutive, "consecutive"),
            (mostly & last & stronger, "intensifying"), (mostly & last & weaker, "diminishing"),
            (mostly & last & ~stronger & ~weaker, "persistent"),
            (oscillating, "oscillating"), (sporadic, "sporadic"),
            (mostly & ~last, "historical"),
        ]
        free = out == "no_pattern"
        for condition, name in conditions:
            take = free & condition
            out[take] = f"{name}_{kind}_spot"
            free &= ~take
    return out.astype(str)


def trend_significant(trend_p: FloatArray, candidates: BoolArray, *,
                      alpha: float = 0.05) -> BoolArray:
    """Which ``candidates`` have a significant trend after Benjamini–Hochberg over the
    candidates' p-values at ``alpha`` (other cells: False)."""
    out = np.zeros(len(trend_p), dtype=bool)
    n = int(candidates.sum())
    if n:
        threshold = benjamini_hochberg_threshold(trend_p[candidates], bins=n, alpha=alpha)
        out = candidates & (trend_p <= threshold) & (threshold > 0)
    return out


@dataclass(frozen=True)
class Emerging:
    """Per counted cell: category, hot and cold periods, Mann–Kendall of its z-scores."""

    category: NDArray[np.str_]
    hot: BoolArray
    cold: BoolArray
    gi: SpaceTimeGi
    trend_s: FloatArray
    trend_z: FloatArray
    trend_p: FloatArray


def emerging_hot_spots(  # noqa: PLR0913 -- keyword-only options
        counts: NDArray[np.float64], rows: NDArray[np.int64],
        cols: NDArray[np.int64], mask: BoolArray, *, alpha: float = 0.05,
        time_window_periods: int = 1, ring: int = 1,
        min_window_count: int = DEFAULT_MIN_WINDOW_COUNT,
        persistent_share: float = PERSISTENT_SHARE) -> Emerging:
    """The emerging hot-spot analysis of the counted cells of a study ``mask`` (module doc)."""
    gi = space_time_gi_star(counts, rows, cols, mask, ring=ring,
                            time_window_periods=time_window_periods, alpha=alpha)
    hot = gi.significant & (gi.z > 0) & (gi.window_count >= min_window_count)
    cold = gi.significant & (gi.z < 0)
    s, _, z, p = mann_kendall_rows(gi.z)
    category = classify(hot, cold, s, p, alpha=alpha, persistent_share=persistent_share)
    return Emerging(category=category, hot=hot, cold=cold, gi=gi, trend_s=s, trend_z=z,
                    trend_p=p)


# --- words ----------------------------------------------------------------------------------------

def swedish_number(value: float, *, decimals: int = 2) -> str:
    """``0,03``: a number with a Swedish decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",").replace("-", "−")


def swedish_p(p: float) -> str:
    """``p = 0,03`` or ``p < 0,001``."""
    return "p < 0,001" if p < 0.001 else f"p = {swedish_number(p, decimals=3 if p < 0.01 else 2)}"


def describe(category: str, *, hot_periods: int, cold_periods: int, periods: int,
             trend_s: float, trend_p: float, alpha: float = 0.05) -> str:
    """A plain Swedish sentence on a classified cell, e.g. "Hot spot i 22 av 24 perioder, även
    den senaste. Ökande trend, p = 0,03." """
    parts = []
    if hot_periods:
        parts.append(f"hot spot i {hot_periods} av {periods} perioder")
    if cold_periods:
        parts.append(f"cold spot i {cold_periods} av {periods} perioder")
    if category.startswith("historical"):
        last = ", men inte den senaste"
    elif category.endswith("_spot"):
        last = ", även den senaste"
    else:
        last = ""
    head = (" och ".join(parts) + last) if parts else "Aldrig en säker hot spot eller cold spot"
    head = head[0].upper() + head[1:]
    rising = trend_s > 0
    if category.startswith(("intensifying", "diminishing")):
        trend = f"{'Ökande' if rising else 'Minskande'} trend, {swedish_p(trend_p)}"
    elif trend_p < alpha and not category.startswith("persistent"):
        trend = (f"{'Ökande' if rising else 'Minskande'} trend, {swedish_p(trend_p)} "
                 "(enskilt test, ej korrigerat för många test)")
    else:
        trend = f"Ingen säker trend ({swedish_p(trend_p)})"
    return f"{head}. {trend}."
