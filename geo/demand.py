"""Road demand for traffic-check siting: the risk roads cut into short pieces, each represented
by its midpoint and weighted by its road's risk weight × its length in km.

All geometry is in EPSG:3006 (metres).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WORK_CRS, require_work_crs
from geo.errors import ValidationFailed
from geo.vocabulary import RISK_CATEGORY_SV

PIECE_M = 100.0


def road_lines(roads: gpd.GeoDataFrame, categories: Sequence[str] = ()
               ) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The roads carrying any of ``categories`` (all when none are given), their single
    non-empty LineStrings, and for each line the row position of its road in those roads."""
    roads = roads[road_mask(roads, categories)]
    geoms = np.asarray(roads.geometry.values, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = ~shapely.is_empty(parts) & (shapely.length(parts) > 0)
    return roads, parts[keep], owner[keep]


def points_per_line(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``n[i]`` points on line ``i``: the line of each point and its position on that line
    (0 … n[i] − 1), all lines' points in one flat array."""
    line = np.repeat(np.arange(len(n)), n)
    within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    return line, within


def road_mask(roads: gpd.GeoDataFrame, categories: Sequence[str] = ()) -> np.ndarray:
    """True for roads that carry any of ``categories`` (all roads when none are given)."""
    if not categories:
        return np.ones(len(roads), dtype=bool)
    wanted = set(categories)
    return np.array([bool(wanted & set(c if isinstance(c, (list, tuple, np.ndarray)) else ()))
                     for c in roads["risk_categories"]], dtype=bool)


def roads_per_category(roads: gpd.GeoDataFrame, categories: Sequence[str]) -> dict[str, int]:
    """How many of ``roads`` carry each of ``categories`` (0 for a category no road has)."""
    return {c: int(road_mask(roads, [c]).sum()) if len(roads) else 0 for c in categories}


def no_roads_reason(category: str) -> str:
    """Why a category cannot be planned for: no risk road carries it (Swedish, for the page's
    selector and the API's refusal)."""
    return f"inga riskvägar med kategorin {RISK_CATEGORY_SV.get(category, category)}"


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
        raise ValidationFailed(f"piece_m måste vara större än 0, inte {piece_m:g}")
    roads, parts, owner = road_lines(roads, categories)
    lengths = shapely.length(parts)
    n = np.ceil(lengths / piece_m).astype(int)
    line, within = points_per_line(n)
    piece_len = (lengths / np.maximum(n, 1))[line]
    mid = shapely.line_interpolate_point(parts[line], (within + 0.5) * piece_len)
    road_ids = roads.index.to_numpy()[owner[line]]
    risk = roads["risk_weight"].fillna(1.0).to_numpy(dtype=float)[owner[line]]
    if road_factor is not None:
        risk = risk * road_factor.reindex(road_ids).fillna(1.0).to_numpy(dtype=float)
    return gpd.GeoDataFrame({"road_id": road_ids, "length_m": piece_len,
                             "weight": risk * piece_len / 1000.0},
                            geometry=gpd.GeoSeries(mid, crs=WORK_CRS))

