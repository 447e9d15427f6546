"""Square cells in SWEREF 99 TM (EPSG:3006): the common grid of hotspots, privacy and reports.

Cells are anchored at the CRS origin, so a cell of a given size has the same id in every call,
every report and every meeting: ``"250:2484:27970"`` is the 250 m cell whose lower-left corner is
at E = 2484·250, N = 27970·250. Ids compare across reports made months apart.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WORK_CRS, require_work_crs
from geo.errors import ValidationFailed

DEFAULT_CELL_M = 250.0
MIN_CELL_M = 10.0
MAX_CELL_M = 50_000.0


def check_cell_size(cell_m: float) -> float:
    """``cell_m`` as a float; raise ``ValidationFailed`` outside 10 m – 50 km."""
    if not np.isfinite(cell_m) or not MIN_CELL_M <= cell_m <= MAX_CELL_M:
        raise ValidationFailed(f"Rutstorlek (cell_m): {cell_m!r} ligger utanför "
                               f"{MIN_CELL_M:g}–{MAX_CELL_M:g} m; välj en storlek däremellan")
    return float(cell_m)


def cell_indices(gdf: gpd.GeoDataFrame, *, cell_m: float = DEFAULT_CELL_M
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Column and row index of the cell holding each feature's representative point."""
    require_work_crs(gdf, "records")
    cell_m = check_cell_size(cell_m)
    pts = shapely.point_on_surface(np.asarray(gdf.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    if len(xy) != len(gdf):  # empty geometries have no coordinates
        raise ValidationFailed("records: varje post behöver en geometri som inte är tom")
    return (np.floor(xy[:, 0] / cell_m).astype(np.int64),
            np.floor(xy[:, 1] / cell_m).astype(np.int64))


def cell_ids(ix: np.ndarray, iy: np.ndarray, *, cell_m: float) -> np.ndarray:
    """Text ids ``"<cell_m>:<ix>:<iy>"`` of cells."""
    size = f"{cell_m:g}"
    ids = [f"{size}:{x}:{y}" for x, y in zip(ix.tolist(), iy.tolist(), strict=True)]
    return np.array(ids, dtype=object)


def parse_cell_ids(ids: pd.Index | list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell_m, ix, iy) arrays back from cell ids."""
    parts = np.array([str(i).split(":") for i in ids], dtype=object).reshape(-1, 3)
    return parts[:, 0].astype(float), parts[:, 1].astype(np.int64), parts[:, 2].astype(np.int64)


def cell_polygons(ids: pd.Index | list[str]) -> gpd.GeoSeries:
    """The square polygons of cell ids, in EPSG:3006, indexed by id."""
    size, ix, iy = parse_cell_ids(ids)
    geoms = shapely.box(ix * size, iy * size, (ix + 1) * size, (iy + 1) * size)
    return gpd.GeoSeries(geoms, index=pd.Index(list(ids), name="cell"), crs=WORK_CRS)
