"""Speed of the hotspot analysis on synthetic data over Timrå's extent.

Figures: grid counting + space-time Gi* (3×3 cells × this and the previous month, one 2-D
correlation per month over the whole study area) + FDR + Mann–Kendall on the z-scores for 20,000
points × 24 months in 250 m cells. Baseline, in the same run: the same Gi* computed the way a
general spatial-weights library does it, with a sparse space-time neighbour matrix
(scipy.sparse, the spatial one built from a k-d tree over the cell centres, Kronecker with the
time window); the two must agree to 1e-9.

    .venv/bin/python bench/hotspots.py
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from geo.grid import parse_cell_ids
from geo.emerging import space_time_gi_star
from geo.hotspots import HotspotOptions, grid_counts, hotspot_analysis, study_grid

EXTENT = (600_000.0, 6_905_000.0, 640_000.0, 6_950_000.0)  # Timrå, EPSG:3006
CELL_M = 250.0
N = 20_000


def synthetic(seed: int = 2262) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    centres = rng.uniform([EXTENT[0], EXTENT[1]], [EXTENT[2], EXTENT[3]], size=(12, 2))
    which = rng.integers(0, len(centres), N)
    xy = centres[which] + rng.normal(0, 800, size=(N, 2))
    xy = np.clip(xy, [EXTENT[0], EXTENT[1]], [EXTENT[2] - 1, EXTENT[3] - 1])
    t = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(
        rng.uniform(0, 730, N), unit="D")
    return gpd.GeoDataFrame({"t": t}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
                            crs="EPSG:3006")


def sparse_gi_star(counts: pd.DataFrame, *, time_window_periods: int = 1) -> np.ndarray:
    """Baseline: space-time Gi* with a sparse binary weights matrix over every bin of the
    extent's cube (queen neighbours and the cell itself, this and the previous periods)."""
    x0, y0 = int(EXTENT[0] // CELL_M), int(EXTENT[1] // CELL_M)
    x1, y1 = int(EXTENT[2] // CELL_M), int(EXTENT[3] // CELL_M)
    gx, gy = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
    centres = np.column_stack([gx.ravel(), gy.ravel()]).astype(float)
    n = len(centres)
    pairs = cKDTree(centres).query_pairs(r=1.5, output_type="ndarray")  # queen neighbours
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], np.arange(n)])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], np.arange(n)])
    space = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    t = counts.shape[1]
    lags = np.tril(np.ones((t, t))) - np.tril(np.ones((t, t)), -time_window_periods - 1)
    w = sparse.kron(sparse.csr_matrix(lags), space).tocsr()
    _, ix, iy = parse_cell_ids(counts.index)
    pos = (iy - y0) * (x1 - x0 + 1) + (ix - x0)
    dense = np.zeros((t, n))
    dense[:, pos] = counts.to_numpy(dtype=float).T
    y = dense.ravel()
    wsum = np.asarray(w.sum(axis=1)).ravel()
    mean, m = y.mean(), len(y)
    sd = np.sqrt((y ** 2).mean() - mean ** 2)
    z = (w @ y - mean * wsum) / (sd * np.sqrt((m * wsum - wsum ** 2) / (m - 1)))
    return z.reshape(t, n)[:, pos].T


def ours_gi_star(counts: pd.DataFrame) -> np.ndarray:
    mask, rows, cols = study_grid(counts.index, cell_m=CELL_M, extent=EXTENT)
    return space_time_gi_star(counts.to_numpy(dtype=float), rows, cols, mask).z


def timed(func, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    points = synthetic()
    counts = grid_counts(points, time_column="t", start="2023-01-01", end="2025-01-01",
                         cell_m=CELL_M)
    cells = (int((EXTENT[2] - EXTENT[0]) // CELL_M) + 1) * (int((EXTENT[3] - EXTENT[1])
                                                               // CELL_M) + 1)
    print(f"{N:,} points, {counts.shape[1]} months, {len(counts):,} occupied cells of "
          f"{cells:,} in the study area ({CELL_M:g} m)")
    ours_s, ours = timed(lambda: ours_gi_star(counts))
    base_s, base = timed(lambda: sparse_gi_star(counts))
    diff = float(np.abs(ours - base).max())
    print(f"space-time Gi* by correlation (ours):    {ours_s * 1000:8.1f} ms")
    print(f"space-time Gi* by sparse W (baseline):   {base_s * 1000:8.1f} ms")
    print(f"ratio baseline / ours:                   {base_s / ours_s:8.2f} ×   "
          f"(max |Δz| = {diff:.1e})")
    assert diff < 1e-9, diff
    options = HotspotOptions(cell_m=CELL_M)
    full_s, result = timed(lambda: hotspot_analysis(points, time_column="t", start="2023-01-01",
                                                    end="2025-01-01", extent=EXTENT,
                                                    options=options), repeat=1)
    classes = result.cells["trend"].value_counts().to_dict()
    print(f"whole analysis (counts + space-time Gi* + FDR + Mann–Kendall on z): "
          f"{full_s * 1000:.0f} ms; categories {classes}")


if __name__ == "__main__":
    main()
