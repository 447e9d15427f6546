"""The gazetteer: place names with points, read from and written to its JSON file.

The file (see ``shared/data/timra_gazetteer.json``) holds ``about`` (text), ``places`` (name,
aliases, kind, lat, lon in WGS84, precision_m, basis, inside_timra or inside_municipality, source)
and ``roads`` (ref, name, ``passes``: the places the road passes, source). As a layer (the
``gazetteer`` spec of ``geo.layers``) each place gets the refs of the roads passing it in ``roads``.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import SWEDEN_BOUNDS_WGS84, WEB_CRS, WORK_CRS
from geo.errors import ImportRejected, ValidationFailed, collect, problem_count
from geo.layers import coerce_frame, layer_spec

GAZETTEER_LAYER = "gazetteer"
# Written coordinates keep 7 decimals (about 1 cm), enough to round-trip the stated values.
COORDINATE_DECIMALS = 7
_ABOUT_ATTR = "gazetteer_about"
_ROADS_ATTR = "gazetteer_roads"


def _load(path: str | Path) -> dict[str, Any]:
    origin = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ImportRejected(f"{origin}: filen går inte att läsa: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            f"{origin}: fel i JSON på rad {exc.lineno}, kolumn {exc.colno}: {exc.msg}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("places"), list):
        raise ImportRejected(f"{origin}: ska vara ett objekt med en lista 'places'")
    roads = doc.get("roads", [])
    if not isinstance(roads, list) or not all(isinstance(r, dict) for r in roads):
        raise ImportRejected(f"{origin}: 'roads' ska vara en lista med objekt")
    return doc


def gazetteer_roads(path: str | Path) -> list[dict[str, Any]]:
    """The file's ``roads`` section: dicts with ref, name, passes (place names) and source."""
    return copy.deepcopy(_load(path).get("roads", []))


def read_gazetteer(path: str | Path) -> gpd.GeoDataFrame:
    """Read the gazetteer file as the ``gazetteer`` layer in EPSG:3006 (provenance "real").

    Raise ``ImportRejected`` listing every problem (missing or out-of-Sweden coordinates, bad
    fields, duplicate names or aliases, roads passing unknown places). The file's ``about`` text
    and ``roads`` section are kept in ``gdf.attrs`` so that ``write_gazetteer`` round-trips.
    """
    origin = str(path)
    doc = _load(path)
    places: list[Any] = doc["places"]
    roads: list[dict[str, Any]] = doc.get("roads", [])
    problems: list[str] = []

    refs_by_place: dict[str, list[str]] = {}
    names = {p.get("name") for p in places if isinstance(p, dict)}
    for j, road in enumerate(roads):
        ref = str(road.get("ref", "")).strip()
        if not ref:
            problems.append(f"{origin}, väg {j}: ref saknas; ange vägnumret")
        for passed in road.get("passes", []):
            if passed not in names:
                problems.append(f"{origin}, väg {j} ({ref}): passerar den okända orten {passed!r}")
            refs_by_place.setdefault(passed, []).append(ref)

    records: list[dict[str, Any]] = []
    lons: list[float] = []
    lats: list[float] = []
    seen: dict[str, int] = {}
    for i, place in enumerate(places):
        where = f"{origin}, ort {i}"
        if not isinstance(place, dict):
            problems.append(f"{where}: är inget objekt")
            place = {}
        lat, lon = _coordinate(place, "lat", where, problems), _coordinate(place, "lon", where,
                                                                            problems)
        if math.isfinite(lat) and math.isfinite(lon) and not _in_sweden(lon, lat):
            problems.append(f"{where}: lat {lat}, lon {lon} ligger utanför Sverige "
                            "(har lat och lon bytt plats?)")
        lats.append(lat)
        lons.append(lon)
        name = place.get("name")
        inside = place.get("inside_municipality", place.get("inside_timra"))
        records.append({
            "name": name,
            "aliases": place.get("aliases", []),
            "kind": place.get("kind", ""),
            "precision_m": place.get("precision_m"),
            "basis": place.get("basis"),
            "inside_municipality": inside,
            "roads": refs_by_place.get(name, []) if isinstance(name, str) else [],
            "provenance": place.get("provenance", "real"),
            "source": place.get("source", ""),
        })
        aliases = place.get("aliases", [])
        terms = [name] + (list(aliases) if isinstance(aliases, list) else [])
        for term in terms:
            if not isinstance(term, str) or not term.strip():
                continue
            key = " ".join(term.split()).casefold()
            if key in seen and seen[key] != i:
                problems.append(f"{where}: namnet eller det andra namnet {term!r} används "
                                f"också av ort "
                                f"{seen[key]}")
            seen.setdefault(key, i)

    raw = gpd.GeoDataFrame(
        pd.DataFrame.from_records(records, columns=layer_spec(GAZETTEER_LAYER).field_names),
        geometry=gpd.points_from_xy(np.nan_to_num(lons), np.nan_to_num(lats)), crs=WEB_CRS,
    )
    try:
        gdf = coerce_frame(layer_spec(GAZETTEER_LAYER), raw, origin=origin)
    except ValidationFailed as exc:
        problems.extend(p.replace(", objekt ", ", ort ") for p in exc.details)
    collect(problems, f"{problem_count(len(problems))} i {origin}", error=ImportRejected)
    gdf = gdf.to_crs(WORK_CRS)
    gdf.attrs[_ABOUT_ATTR] = doc.get("about", "")
    gdf.attrs[_ROADS_ATTR] = copy.deepcopy(roads)
    return gdf


def _coordinate(place: dict[str, Any], key: str, where: str, problems: list[str]) -> float:
    value = place.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{where}: {key}: ska vara ett tal, inte {value!r}")
        return math.nan
    return float(value)


def _in_sweden(lon: float, lat: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = SWEDEN_BOUNDS_WGS84
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def write_gazetteer(gdf: gpd.GeoDataFrame, path: str | Path, *,
                    roads: list[dict[str, Any]] | None = None, about: str | None = None) -> None:
    """Write a ``gazetteer`` layer (any CRS) to the JSON file format ``read_gazetteer`` reads.

    ``roads`` and ``about`` default to those kept in ``gdf.attrs`` by ``read_gazetteer``. Each
    road's ``passes`` is rebuilt from the places' ``roads`` column, keeping the given order of
    places still passed and appending newly passed ones; roads only named in ``gdf`` are added.
    The per-place flag is written as ``inside_municipality``; ``provenance`` only when not "real".
    Entries that are not points (streets, names of several places) are refused.
    """
    if gdf.crs is None:
        raise ValidationFailed("gazetteer: GeoDataFrame saknar koordinatsystem och kan inte "
                               "skrivas i WGS84")
    not_points = gdf.geometry.geom_type != "Point"
    if not_points.any():
        shown = ", ".join(map(str, gdf.loc[not_points, "name"].head(5)))
        raise ValidationFailed(
            f"gazetteer: {int(not_points.sum())} poster är inga punkter ({shown}); "
            "ortnamnsfilen har bara punkter: spara gator (geo.gazetteer_sources) i lagret "
            "eller en GeoPackage")
    web = gdf.to_crs(WEB_CRS)
    xs = np.round(web.geometry.x.to_numpy(), COORDINATE_DECIMALS)
    ys = np.round(web.geometry.y.to_numpy(), COORDINATE_DECIMALS)
    places: list[dict[str, Any]] = []
    passed_by: dict[str, list[str]] = {}
    for (_, row), lon, lat in zip(web.iterrows(), xs, ys, strict=True):
        name = str(row["name"])
        precision = float(row["precision_m"]) if not pd.isna(row["precision_m"]) else 0.0
        place: dict[str, Any] = {
            "name": name,
            "aliases": [str(a) for a in _as_list(row.get("aliases"))],
            "kind": "" if pd.isna(row.get("kind")) else str(row.get("kind")),
            "lat": float(lat),
            "lon": float(lon),
            "precision_m": int(precision) if precision.is_integer() else precision,
            "inside_municipality": bool(row.get("inside_municipality", True)),
            "basis": str(row.get("basis") or "stated"),
            "source": "" if pd.isna(row.get("source")) else str(row.get("source")),
        }
        provenance = row.get("provenance")
        if isinstance(provenance, str) and provenance != "real":
            place["provenance"] = provenance
        places.append(place)
        for ref in _as_list(row.get("roads")):
            passed_by.setdefault(str(ref), []).append(name)

    given = copy.deepcopy(roads if roads is not None else gdf.attrs.get(_ROADS_ATTR, []))
    out_roads: list[dict[str, Any]] = []
    for road in given:
        ref = str(road.get("ref", ""))
        now = passed_by.pop(ref, [])
        road["passes"] = [p for p in road.get("passes", []) if p in now] + [
            p for p in now if p not in road.get("passes", [])]
        out_roads.append(road)
    out_roads.extend({"ref": ref, "passes": names} for ref, names in passed_by.items())

    doc = {
        "about": about if about is not None else gdf.attrs.get(_ABOUT_ATTR, ""),
        "places": places,
        "roads": out_roads,
    }
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _as_list(value: Any) -> list[Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, np.ndarray):
        return list(value.tolist())
    return list(value) if isinstance(value, (list, tuple)) else [value]
