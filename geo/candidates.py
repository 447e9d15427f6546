"""Candidate sites for traffic checks, and snapping to the risk roads.

Candidates are the planner's own places (lay-bys, parking places, bus bays) plus points generated
along the risk roads. A point the planner clicks, and a planned check, is snapped to the nearest
risk road within a tolerance.

All geometry is in EPSG:3006 (metres).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import SWEDEN_BOUNDS_3006, WORK_CRS, require_work_crs
from geo.demand import points_per_line, road_lines
from geo.errors import ValidationFailed, collect
from geo.formats import number_sv

CANDIDATE_STEP_M = 500.0
SNAP_M = 100.0


def generated_candidates(roads: gpd.GeoDataFrame, *, step_m: float = CANDIDATE_STEP_M,
                         categories: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """Points every ``step_m`` metres along the risk roads (both ends included)."""
    require_work_crs(roads, "roads")
    if step_m <= 0:
        raise ValidationFailed(f"step_m måste vara större än 0, inte {step_m:g}")
    roads, parts, owner = road_lines(roads, categories)
    lengths = shapely.length(parts)
    n = np.floor(lengths / step_m).astype(int) + 2  # 0, step, 2·step, …, and the end
    line, within = points_per_line(n)
    dist = np.minimum(within * step_m, lengths[line])
    last = within == n[line] - 1
    dist[last] = lengths[line][last]
    points = shapely.line_interpolate_point(parts[line], dist)
    names = roads["name"].astype(str).to_numpy()[owner[line]]
    labels = [f"{nm}, {number_sv(d / 1000, digits=1)} km"
              for nm, d in zip(names, dist, strict=True)]
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
        raise ValidationFailed("det finns inga riskvägar att fästa platsen vid; importera "
                               "riskvägar först")
    nearest = _nearest_road(point, roads, max_distance_m=max_distance_m)
    if nearest is None:
        raise ValidationFailed(f"ingen riskväg inom {max_distance_m:g} m från punkten; klicka "
                               "närmare en riskväg")
    return _snapped(point, roads, *nearest)


def snap_planned_check(point: object, roads: gpd.GeoDataFrame, *, tolerance_m: float = SNAP_M,
                       field: str = "geometry") -> Snapped:
    """Where a planned traffic check goes: ``point`` (EPSG:3006) moved onto the nearest of the
    risk ``roads`` within ``tolerance_m`` metres, with the road's id and the distance moved.

    Raises :class:`ValidationFailed` listing every problem, each naming ``field`` (the caller's
    name for the position): not a point, empty, NaN or infinite, outside Sweden (or given in
    WGS84 degrees), no risk roads, or none within the tolerance (the message then says how far
    the nearest one is)."""
    where = f"fältet {field!r}"
    problems = []
    if not (isinstance(tolerance_m, (int, float)) and math.isfinite(tolerance_m)
            and tolerance_m > 0):
        problems.append(f"tolerance_m måste vara ett positivt antal meter, inte {tolerance_m!r}")
    if not isinstance(point, shapely.Point):
        kind = "ingenting" if point is None else \
            getattr(point, "geom_type", None) or type(point).__name__
        problems.append(f"{where}: ska vara en punkt, inte {kind}")
    elif point.is_empty:
        problems.append(f"{where}: punkten är tom")
    elif not np.isfinite(shapely.get_coordinates(point)).all():
        problems.append(f"{where}: koordinaterna är NaN eller oändliga")
    else:
        problems += _outside_sweden(point, where)
    if roads.empty:
        problems.append("det finns inga riskvägar att placera kontrollen på; importera "
                        "riskvägar först")
    collect(problems, "kontrollen kan inte planeras")
    require_work_crs(roads, "roads")
    assert isinstance(point, shapely.Point)
    nearest = _nearest_road(point, roads)
    assert nearest is not None  # roads is not empty
    row, distance_m = nearest
    if distance_m > tolerance_m:
        name = str(roads["name"].iloc[row])
        collect([f"{where}: ingen riskväg inom {tolerance_m:g} m från ({point.x:.0f}, "
                 f"{point.y:.0f}); närmast är {name}, {distance_m:.0f} m bort"],
                "kontrollen kan inte planeras")
    return _snapped(point, roads, row, distance_m)


def _outside_sweden(point: shapely.Point, where: str) -> list[str]:
    xmin, ymin, xmax, ymax = SWEDEN_BOUNDS_3006
    if xmin <= point.x <= xmax and ymin <= point.y <= ymax:
        return []
    hint = " (det ser ut som longitud och latitud i WGS84; ange meter i EPSG:3006)" \
        if abs(point.x) <= 180 and abs(point.y) <= 90 else ""
    return [f"{where}: ({point.x:g}, {point.y:g}) ligger utanför Sverige i EPSG:3006{hint}"]


def _nearest_road(point: shapely.Point, roads: gpd.GeoDataFrame, *,
                  max_distance_m: float | None = None) -> tuple[int, float] | None:
    """The row position of the road nearest ``point`` and its distance (None if none is within
    ``max_distance_m``)."""
    idx, dist = roads.sindex.nearest(point, max_distance=max_distance_m, return_distance=True,
                                     return_all=False)
    if idx.shape[1] == 0:
        return None
    return int(idx[1, 0]), float(dist[0])


def _snapped(point: shapely.Point, roads: gpd.GeoDataFrame, row: int, distance_m: float
             ) -> Snapped:
    line = roads.geometry.values[row]
    # The nearest point itself: locating then interpolating along a MultiLineString can land
    # on the end of the part before the nearest one (they share the same distance along).
    snapped = shapely.get_point(shapely.shortest_line(line, point), 0)
    return Snapped(snapped, distance_m, int(roads.index[row]), str(roads["name"].iloc[row]))
