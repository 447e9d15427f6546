"""Make features fit for a layer: CRS, geometry checks and repair, Sweden's extent, field values.

Everything that enters the store passes ``prepare_features``; it either returns a clean
GeoDataFrame in EPSG:3006 or raises ``ImportRejected`` listing every problem with its feature index.
"""

from __future__ import annotations

from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geo.crs import SWEDEN_BOUNDS_3006, SWEDEN_BOUNDS_WGS84, WORK_CRS
from geo.errors import ImportRejected, ValidationFailed, collect, problem_count
from geo.layers import LayerSpec, coerce_frame
from geo.privacy import sensitive_events

Frame = TypeVar("Frame", bound=pd.DataFrame)

_POLYGONAL = {"Polygon", "MultiPolygon"}
_LINEAR = {"LineString", "MultiLineString"}
_TO_3006 = Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)


def _inside(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return (
        (bounds[:, 0] >= box[0]) & (bounds[:, 1] >= box[1])
        & (bounds[:, 2] <= box[2]) & (bounds[:, 3] <= box[3])
    )


def _first_xy(geom: shapely.Geometry) -> str:
    coords = shapely.get_coordinates(geom)
    return f"({coords[0][0]:.6g}, {coords[0][1]:.6g})" if len(coords) else "(inga koordinater)"


def _masked(geoms: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """``geoms`` as an object array with None where ``ok`` is false."""
    out = np.full(len(geoms), None, dtype=object)
    out[ok] = geoms[ok]
    return out


def _shape_problems(geoms: np.ndarray, types: np.ndarray, spec: LayerSpec,
                    where: list[str]) -> tuple[np.ndarray, list[str]]:
    """Missing, empty, non-finite and wrongly typed geometries: (ok mask, problems)."""
    problems: list[str] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        problems.append(f"{where[i]}: geometri: saknas eller är tom; rita eller ange "
                        "objektets läge")
    ok = ~missing
    present = np.flatnonzero(ok)
    coords, owner = shapely.get_coordinates(geoms[present], return_index=True)
    nonfinite = present[np.unique(owner[~np.isfinite(coords).all(axis=1)])]
    for i in nonfinite:
        problems.append(f"{where[i]}: geometri: koordinaterna är NaN eller oändliga; rätta dem")
    ok[nonfinite] = False
    wrong = ok & ~np.isin(types, spec.geometry_types)
    for i in np.flatnonzero(wrong):
        problems.append(
            f"{where[i]}: geometri: {types[i]} passar inte i lagret {spec.name}, "
            f"som tar {', '.join(spec.geometry_types)}"
        )
    return ok & ~wrong, problems


def _to_work_crs(geoms: np.ndarray, ok: np.ndarray, crs: object, *, origin: str,
                 where: list[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Reproject to EPSG:3006 and keep what lies in Sweden: (geometries, ok mask, problems)."""
    problems: list[str] = []
    bounds = shapely.bounds(_masked(geoms, ok))
    if crs is None:
        # No CRS declared: GeoJSON's default is WGS84, but metres mean SWEREF 99 TM was meant.
        looks_metric = ok & (np.abs(np.nan_to_num(bounds)).max(axis=1) > 360)
        for i in np.flatnonzero(looks_metric):
            problems.append(
                f"{where[i]}: geometri: koordinaterna {_first_xy(geoms[i])} ser ut som meter "
                "(SWEREF 99 TM?) men filen anger inget koordinatsystem; ange det (till exempel "
                "--crs EPSG:3006)"
            )
        ok = ok & ~looks_metric
        crs = "EPSG:4326"
    series = gpd.GeoSeries(_masked(geoms, ok), crs=crs)
    if series.crs.to_epsg() == 4326:
        inside = _inside(bounds, SWEDEN_BOUNDS_WGS84)
        swapped = _inside(bounds[:, [1, 0, 3, 2]], SWEDEN_BOUNDS_WGS84)
        for i in np.flatnonzero(ok & ~inside):
            hint = ("latitud och longitud verkar ha bytt plats (GeoJSON och WKT skriver longitud "
                    "först)"
                    if swapped[i] else "ligger utanför Sverige")
            problems.append(f"{where[i]}: geometri: {_first_xy(geoms[i])} {hint}")
        ok = ok & inside
    try:
        work = series.to_crs(WORK_CRS)
    except Exception as exc:  # pyproj raises several classes for unusable CRSs
        raise ImportRejected(
            f"{origin}: kan inte räkna om från {series.crs} till {WORK_CRS}: {exc}; ange ett "
            "annat koordinatsystem") from exc
    wgeoms = np.asarray(work.values, dtype=object)
    wbounds = shapely.bounds(_masked(wgeoms, ok))
    outside = ok & ~_inside(np.nan_to_num(wbounds, nan=0.0), SWEDEN_BOUNDS_3006)
    for i in np.flatnonzero(outside):
        problems.append(f"{where[i]}: geometri: {_first_xy(geoms[i])} ligger utanför Sverige "
                        f"(i {series.crs}); kontrollera koordinatsystemet")
    return wgeoms, ok & ~outside, problems


def _repair(wgeoms: np.ndarray, ok: np.ndarray, types: np.ndarray, spec: LayerSpec, *,
            where: list[str], repair: bool) -> list[str]:
    """Repair invalid geometries in place (polygons stay polygons, lines lines); the problems."""
    problems: list[str] = []
    invalid = ok & ~shapely.is_valid(_masked(wgeoms, ok))
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(wgeoms[i])
        if not repair:
            problems.append(f"{where[i]}: geometri: ogiltig ({reason}); rätta den eller "
                            "importera med reparation")
            continue
        fixed = shapely.make_valid(wgeoms[i])
        if types[i] in _POLYGONAL:
            fixed = _keep_dimension(fixed, 2)
        elif types[i] in _LINEAR:
            fixed = _keep_dimension(fixed, 1)
        if fixed is None or fixed.is_empty or fixed.geom_type not in spec.geometry_types:
            problems.append(f"{where[i]}: geometri: ogiltig ({reason}) och går inte att "
                            "reparera; rita om den")
        else:
            wgeoms[i] = fixed
    return problems


def check_geometries(gdf: gpd.GeoDataFrame, spec: LayerSpec, *, origin: str,
                     repair: bool = True) -> tuple[gpd.GeoSeries, list[str]]:
    """Check and repair geometries; return (geometries in EPSG:3006, problems).

    Rejects missing, empty and non-finite geometries and types the layer does not take; repairs
    invalid polygons with ``make_valid`` keeping only their polygonal part; rejects what lies
    outside Sweden and says when latitude and longitude look swapped or metres arrive without a
    CRS.
    """
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    where = [f"{origin}, objekt {i}" for i in range(len(geoms))]
    types = np.array([g.geom_type if g is not None else "" for g in geoms], dtype=object)
    ok, problems = _shape_problems(geoms, types, spec, where)
    if problems and not ok.any():
        return gpd.GeoSeries([], crs=WORK_CRS), problems
    wgeoms, ok, crs_problems = _to_work_crs(geoms, ok, gdf.crs, origin=origin, where=where)
    problems += crs_problems
    problems += _repair(wgeoms, ok, types, spec, where=where, repair=repair)
    return gpd.GeoSeries(wgeoms, crs=WORK_CRS), problems


def _keep_dimension(geom: shapely.Geometry, dim: int) -> shapely.Geometry | None:
    parts = [g for g in shapely.get_parts(geom) if shapely.get_dimensions(g) == dim]
    if not parts:
        return None
    merged = shapely.union_all(parts) if dim == 2 else shapely.line_merge(shapely.union_all(parts))
    return merged


def prepare_features(spec: LayerSpec, gdf: gpd.GeoDataFrame, *, origin: str,
                     provenance: str | None = None, source: str | None = None,
                     repair: bool = True) -> gpd.GeoDataFrame:
    """Return ``gdf`` ready for layer ``spec``: EPSG:3006, valid geometry, coerced fields.

    ``provenance`` and ``source`` fill those fields where the features do not give them.
    Raises ``ImportRejected`` naming every problem; nothing is partially accepted.
    """
    if len(gdf) == 0:
        raise ImportRejected(f"{origin}: inga objekt att importera; välj en fil med objekt")
    gdf = gdf.reset_index(drop=True)
    geoms, problems = check_geometries(gdf, spec, origin=origin, repair=repair)
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    for name, value in (("provenance", provenance), ("source", source)):
        if value is not None:
            if name in attrs.columns:
                attrs[name] = attrs[name].where(attrs[name].notna() & (attrs[name] != ""), value)
            else:
                attrs[name] = value
    frame = gpd.GeoDataFrame(attrs, geometry=np.asarray(gdf.geometry.values), crs=gdf.crs)
    try:
        coerced = coerce_frame(spec, frame, origin=origin)
    except ValidationFailed as exc:
        problems.extend(exc.details)
        coerced = None
    if problems:
        problems = sorted(set(problems), key=_feature_order)
        collect(problems, f"{origin}: {problem_count(len(problems))}, ingenting importerat",
                error=ImportRejected)
    assert coerced is not None
    out = gpd.GeoDataFrame(coerced.drop(columns="geometry", errors="ignore"),
                           geometry=geoms.values, crs=WORK_CRS)
    return with_sensitive_flag(spec.name, out)


def with_sensitive_flag(layer: str, frame: Frame) -> Frame:
    """``frame`` of ``layer`` with police events' ``sensitive`` set where the type or a
    summary's text makes them sensitive (``geo.privacy.sensitive_events``), kept where given."""
    if layer != "events" or "type" not in frame:
        return frame
    empty = pd.Series("", index=frame.index)
    told = sensitive_events(frame["type"], frame.get("name", empty), frame.get("summary", empty))
    given = frame["sensitive"].fillna(False).astype(bool).to_numpy() \
        if "sensitive" in frame else False
    flagged = frame.copy()
    flagged["sensitive"] = given | told
    return flagged


def _feature_order(problem: str) -> tuple[int, str]:
    marker = ", objekt "
    if marker in problem:
        tail = problem.split(marker, 1)[1]
        digits = tail.split(":", 1)[0]
        if digits.isdigit():
            return int(digits), problem
    return -1, problem
