"""Gazetteer entries from real sources: street names (NVDB, OpenStreetMap) and places
(OpenStreetMap ``place=*`` nodes, Lantmäteriet's GSD-Ortnamn).

Every builder takes frames as read from the source (any CRS; EPSG:3006 out) and returns the
``gazetteer`` layer (see ``geo.layers``) with provenance "real" and the source named. Entries of
one name are one entry: the segments of a street become one (Multi)LineString, merged where they
touch, so that "Järnvägsgatan" in two districts is one entry with two parts and
``geo.geocode`` picks the part nearest the district the text names. Places of one name become a
MultiPoint in the same way. ``precision_m`` of an entry is the radius of the smallest circle
around all its parts (at least the kind's typical extent), so an ambiguous name says so.

The sources and their fields:

* NVDB from Trafikverket's Lastkajen, layer ``NVDB_DKGatunamn`` (Shape; ``NVDB-Gatunamn`` in the
  GeoPackage): the street name is ``Namn`` (``NAMN`` in older Shape files), as the public
  nvdb2osm converter reads it (``tag_translations.py``: ``"NVDB-Gatunamn": {"Namn": "name", ...}``;
  names may be ``-1``/missing there, which are dropped here).
* OpenStreetMap through GDAL's OSM driver (``pyogrio.read_dataframe(path, layer="lines")`` and
  ``layer="points"``): fields ``name``, ``highway``, ``place`` and ``other_tags`` (an HSTORE text,
  ``"alt_name"=>"Wifstavarv","population"=>"300"``): named highways are streets, ``place=*``
  points are places (kind = the ``place`` value), with ``alt_name``/``old_name``/``loc_name``/
  ``short_name``/``official_name`` as aliases.
* GSD-Ortnamn (Lantmäteriet, CC0) as its GeoPackage: layer ``ortnamn`` (EPSG:3006) with fields
  ``ortnamn`` (the name), ``detaljtyp`` (``BEBTÄTTX`` tätort, ``BEBTX`` other settlement,
  ``KYRKATX`` church, ``ANLTX`` facility, ``KULTURTX`` cultural site, and nature kinds such as
  ``TERRTX``, ``VATTTX``, ``VATTDRTX``, ``SANKTX``, ``NATTX``; ``TRAKTTX`` are property-register
  district names), ``sprak``, ``kommunkod`` and ``lanskod``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]
import shapely

from geo.crs import WORK_CRS
from geo.errors import ImportRejected
from geo.geocode import text_list
from geo.layers import coerce_frame, layer_spec

NVDB_STREETS_SOURCE = "Trafikverket NVDB, NVDB_DKGatunamn (Lastkajen, öppna data, CC0)"
OSM_SOURCE = "OpenStreetMap contributors (ODbL)"
ORTNAMN_SOURCE = "Lantmäteriet GSD-Ortnamn (CC0)"

STREET_KIND = "street"
# The least precision of a street entry: half a block.
MIN_STREET_PRECISION_M = 50.0
# Typical extent (m) of an OSM place of each kind, used as its precision.
OSM_PLACE_PRECISION_M = {
    "city": 3000.0, "town": 1500.0, "village": 700.0, "suburb": 700.0, "borough": 1500.0,
    "quarter": 500.0, "neighbourhood": 300.0, "hamlet": 300.0, "isolated_dwelling": 100.0,
    "farm": 100.0, "locality": 500.0, "square": 50.0, "island": 1000.0, "islet": 100.0,
}
_DEFAULT_PLACE_PRECISION_M = 500.0
_OSM_ALIAS_KEYS = ("alt_name", "old_name", "loc_name", "short_name", "official_name")
# GSD-Ortnamn detaljtyp kept by default → (gazetteer kind, precision_m).
ORTNAMN_KINDS: dict[str, tuple[str, float]] = {
    "BEBTÄTTX": ("tätort", 1500.0),
    "BEBTX": ("village", 500.0),
    "KYRKATX": ("landmark", 100.0),
    "ANLTX": ("landmark", 200.0),
    "KULTURTX": ("landmark", 200.0),
}
_HSTORE_RE = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')


def _column(frame: pd.DataFrame, names: tuple[str, ...], *, shown: str,
            required: bool = True) -> str | None:
    """The first column of ``frame`` named like one of ``names`` (any case)."""
    by_key = {str(c).casefold(): str(c) for c in frame.columns}
    for name in names:
        if name.casefold() in by_key:
            return by_key[name.casefold()]
    if required:
        raise ImportRejected(f"{shown}: kolumnen {' eller '.join(repr(n) for n in names)} "
                             f"saknas; kolumnerna är: {', '.join(map(str, frame.columns))}")
    return None


def _texts(values: pd.Series) -> np.ndarray:
    """Names as stripped text; missing, empty and NVDB's ``-1`` become ""."""
    text = values.astype("string").fillna("").str.strip()
    text = text.mask(text.isin(["-1", "None", "nan"]), "")
    return np.asarray(text.str.replace(r"\s+", " ", regex=True).to_numpy(dtype=object))


def _in_work_crs(gdf: gpd.GeoDataFrame, shown: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ImportRejected(f"{shown}: saknar koordinatsystem, så namnen går inte att placera; "
                             "ange koordinatsystemet")
    return gdf if gdf.crs.to_epsg() == 3006 else gdf.to_crs(WORK_CRS)


def _tidy_case(names: np.ndarray) -> np.ndarray:
    """NVDB writes some names in capitals ("STORGATAN"): those get Swedish title case."""
    out = names.copy()
    upper = np.array([bool(n) and n.isupper() for n in names], dtype=bool)
    out[upper] = [n.title() for n in names[upper]]
    return out


def _grouped(names: np.ndarray, geoms: np.ndarray, *, lines: bool) -> tuple[np.ndarray, ...]:
    """One geometry per name (case-insensitive; the most frequent spelling is kept): the parts
    of all features of the name, lines merged where they touch. Returns (names, geometries,
    bounding radii in m)."""
    keep = (names != "") & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    names, geoms = names[keep], geoms[keep]
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keys = pd.Series([n.casefold() for n in names], dtype=object)
    codes, uniques = pd.factorize(keys, sort=False)
    part_codes = codes[owner]
    order = np.argsort(part_codes, kind="stable")
    if lines:
        multi = shapely.multilinestrings(parts[order], indices=part_codes[order])
        merged = shapely.line_merge(multi)
    else:
        merged = shapely.multipoints(parts[order], indices=part_codes[order])
    single = shapely.get_num_geometries(merged) == 1
    merged = np.where(single, shapely.get_geometry(merged, 0), merged)
    spelling = (pd.DataFrame({"code": codes, "name": names}).groupby("code")["name"]
                .agg(lambda s: s.value_counts().index[0]))
    radius = shapely.minimum_bounding_radius(merged)
    return spelling.reindex(range(len(uniques))).to_numpy(dtype=object), merged, radius


def _frame(names: np.ndarray, geoms: np.ndarray, *, kinds: Any, precision_m: np.ndarray,
           source: str, origin: str, aliases: list[list[str]] | None = None
           ) -> gpd.GeoDataFrame:
    n = len(names)
    raw = gpd.GeoDataFrame({
        "name": names,
        "aliases": aliases if aliases is not None else [[] for _ in range(n)],
        "kind": kinds,
        "precision_m": np.round(precision_m, 1),
        "basis": "stated",
        "inside_municipality": True,
        "roads": [[] for _ in range(n)],
        "provenance": "real",
        "source": source,
    }, geometry=gpd.GeoSeries(geoms, crs=WORK_CRS).values, crs=WORK_CRS)
    return coerce_frame(layer_spec("gazetteer"), raw, origin=origin)


def _clip(gdf: gpd.GeoDataFrame, boundary: Any) -> gpd.GeoDataFrame:
    if boundary is None:
        return gdf
    geoms = gdf.geometry.values
    inside = shapely.intersects(geoms, boundary)
    return gdf[inside].reset_index(drop=True)


def streets_from_lines(lines: gpd.GeoDataFrame, *, name_field: str, source: str,
                       boundary: Any = None, origin: str = "streets") -> gpd.GeoDataFrame:
    """Gazetteer street entries (kind "street") from any named line frame: one entry per name,
    its segments merged. ``boundary`` (a shapely geometry in EPSG:3006) keeps the streets that
    touch it (the municipality's)."""
    lines = _in_work_crs(lines, origin)
    names = _tidy_case(_texts(lines[name_field]))
    geoms = np.asarray(lines.geometry.values, dtype=object)
    is_line = np.isin(shapely.get_type_id(geoms), (1, 5))  # LineString, MultiLineString
    names, merged, radius = _grouped(names[is_line], geoms[is_line], lines=True)
    out = _frame(names, merged, kinds=STREET_KIND,
                 precision_m=np.maximum(radius, MIN_STREET_PRECISION_M), source=source,
                 origin=origin)
    return _clip(out, boundary)


def streets_from_nvdb(gatunamn: gpd.GeoDataFrame, *, boundary: Any = None,
                      origin: str = "NVDB_DKGatunamn") -> gpd.GeoDataFrame:
    """Street entries from NVDB's street-name layer (``NVDB_DKGatunamn``: ``Namn``/``NAMN``)."""
    field = _column(gatunamn, ("Namn", "NAMN", "namn_130"), shown=origin)
    assert field is not None
    return streets_from_lines(gatunamn, name_field=field, source=NVDB_STREETS_SOURCE,
                              boundary=boundary, origin=origin)


def streets_from_osm(lines: gpd.GeoDataFrame, *, boundary: Any = None,
                     origin: str = "OSM lines") -> gpd.GeoDataFrame:
    """Street entries from the OSM driver's ``lines`` layer: features with ``highway`` and
    ``name``."""
    name = _column(lines, ("name",), shown=origin)
    highway = _column(lines, ("highway",), shown=origin)
    assert name is not None and highway is not None
    roads = lines[lines[highway].notna() & lines[name].notna()]
    return streets_from_lines(roads, name_field=name, source=OSM_SOURCE, boundary=boundary,
                              origin=origin)


def osm_tags(other_tags: Any) -> dict[str, str]:
    """The ``other_tags`` HSTORE text of GDAL's OSM driver as a dict."""
    if not isinstance(other_tags, str) or not other_tags:
        return {}
    return {k.replace('\\"', '"'): v.replace('\\"', '"')
            for k, v in _HSTORE_RE.findall(other_tags)}


def _osm_aliases(other_tags: pd.Series | None, names: np.ndarray) -> list[list[str]]:
    out: list[list[str]] = []
    tags = other_tags if other_tags is not None else pd.Series([None] * len(names))
    for raw, name in zip(tags, names, strict=True):
        found = osm_tags(raw)
        aliases: list[str] = []
        for key in _OSM_ALIAS_KEYS:
            for alias in found.get(key, "").split(";"):
                alias = alias.strip()
                if alias and alias.casefold() != name.casefold() and alias not in aliases:
                    aliases.append(alias)
        out.append(aliases)
    return out


def _place_entries(names: np.ndarray, geoms: np.ndarray, kinds: np.ndarray,
                   precision_m: np.ndarray, aliases: list[list[str]], *, source: str,
                   origin: str, boundary: Any) -> gpd.GeoDataFrame:
    """Places grouped by name: the first kind, the largest precision and the aliases of all
    features of one name, the points as one (Multi)Point."""
    keep = names != ""
    names, geoms, kinds, precision_m = names[keep], geoms[keep], kinds[keep], precision_m[keep]
    aliases = [a for a, k in zip(aliases, keep, strict=True) if k]
    if boundary is not None:
        inside = shapely.intersects(geoms, boundary)
        names, geoms, kinds, precision_m = (names[inside], geoms[inside], kinds[inside],
                                            precision_m[inside])
        aliases = [a for a, k in zip(aliases, inside, strict=True) if k]
    merged_names, merged, radius = _grouped(names, geoms, lines=False)
    info = pd.DataFrame({"key": [n.casefold() for n in names], "kind": kinds,
                         "precision_m": precision_m, "aliases": aliases})
    by_key = info.groupby("key", sort=False).agg(
        kind=("kind", "first"), precision_m=("precision_m", "max"),
        aliases=("aliases", lambda s: list(dict.fromkeys(a for items in s for a in items))))
    by_key = by_key.loc[[n.casefold() for n in merged_names]]
    return _frame(merged_names, merged, kinds=by_key["kind"].to_numpy(),
                  precision_m=np.maximum(by_key["precision_m"].to_numpy(dtype=float), radius),
                  source=source, origin=origin, aliases=by_key["aliases"].tolist())


def places_from_osm(points: gpd.GeoDataFrame, *, boundary: Any = None,
                    origin: str = "OSM points") -> gpd.GeoDataFrame:
    """Place entries from the OSM driver's ``points`` layer: features with ``place`` and
    ``name`` (kind = the ``place`` value, precision its typical extent)."""
    points = _in_work_crs(points, origin)
    name = _column(points, ("name",), shown=origin)
    place = _column(points, ("place",), shown=origin)
    tags = _column(points, ("other_tags",), shown=origin, required=False)
    assert name is not None and place is not None
    rows = points[points[place].notna() & points[name].notna()].reset_index(drop=True)
    names = _texts(rows[name])
    kinds = _texts(rows[place])
    precision = np.array([OSM_PLACE_PRECISION_M.get(k, _DEFAULT_PLACE_PRECISION_M)
                          for k in kinds], dtype=float)
    geoms = np.asarray(shapely.point_on_surface(rows.geometry.values), dtype=object)
    aliases = _osm_aliases(rows[tags] if tags else None, names)
    return _place_entries(names, geoms, kinds, precision, aliases, source=OSM_SOURCE,
                          origin=origin, boundary=boundary)


def places_from_ortnamn(ortnamn: gpd.GeoDataFrame, *, kommunkod: str | None = None,
                        boundary: Any = None, kinds: dict[str, tuple[str, float]] | None = None,
                        origin: str = "GSD-Ortnamn") -> gpd.GeoDataFrame:
    """Place entries from GSD-Ortnamn's ``ortnamn`` layer: the settlements, churches,
    facilities and cultural sites (``ORTNAMN_KINDS``, or ``kinds``) of ``kommunkod``
    (field ``kommunkod``) and/or within ``boundary``."""
    ortnamn = _in_work_crs(ortnamn, origin)
    name = _column(ortnamn, ("ortnamn", "namn"), shown=origin)
    detail = _column(ortnamn, ("detaljtyp",), shown=origin)
    assert name is not None and detail is not None
    wanted = kinds or ORTNAMN_KINDS
    rows = ortnamn[ortnamn[detail].astype("string").str.strip().isin(list(wanted))]
    if kommunkod:
        code = _column(rows, ("kommunkod",), shown=origin)
        assert code is not None
        rows = rows[rows[code].astype("string").str.strip().str.zfill(4) == kommunkod.zfill(4)]
    rows = rows.reset_index(drop=True)
    details = rows[detail].astype(str).str.strip().to_numpy()
    mapped = [wanted[d] for d in details]
    return _place_entries(
        _texts(rows[name]), np.asarray(rows.geometry.values, dtype=object),
        np.array([m[0] for m in mapped], dtype=object),
        np.array([m[1] for m in mapped], dtype=float), [[] for _ in mapped],
        source=ORTNAMN_SOURCE, origin=origin, boundary=boundary)


def merge_gazetteers(*frames: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One gazetteer from several: on a name (case-insensitive) the earliest frame's entry
    wins, taking the aliases and roads of the later ones (an alias equal to a kept name is
    dropped). Pass the real sources first and the hand gazetteer last to keep it as the
    fallback. ``attrs`` (the hand file's ``about`` and ``roads``) are merged likewise."""
    if not frames:
        raise ValueError("merge_gazetteers needs at least one frame")
    work = [f if f.crs is not None and f.crs.to_epsg() == 3006 else f.to_crs(WORK_CRS)
            for f in frames]
    both = pd.concat([pd.DataFrame(f) for f in work], ignore_index=True)
    keys = both["name"].astype(str).str.strip().str.casefold()
    first = ~keys.duplicated(keep="first")
    extra_aliases: dict[str, list[str]] = {}
    extra_roads: dict[str, list[str]] = {}
    for key, aliases, roads, name in zip(keys[~first], both.loc[~first, "aliases"],
                                         both.loc[~first, "roads"], both.loc[~first, "name"],
                                         strict=True):
        extra_aliases.setdefault(key, []).extend([str(name), *text_list(aliases)])
        extra_roads.setdefault(key, []).extend(text_list(roads))
    kept = both[first].reset_index(drop=True)
    kept_keys = keys[first].reset_index(drop=True)
    names = set(kept_keys)
    kept["aliases"] = [
        list(dict.fromkeys(a for a in [*text_list(own), *extra_aliases.get(k, [])]
                           if a.casefold() not in names))
        for own, k in zip(kept["aliases"], kept_keys, strict=True)]
    kept["roads"] = [list(dict.fromkeys([*text_list(own), *extra_roads.get(k, [])]))
                     for own, k in zip(kept["roads"], kept_keys, strict=True)]
    out = gpd.GeoDataFrame(kept, geometry="geometry", crs=WORK_CRS)
    for frame in reversed(work):
        out.attrs.update(frame.attrs)
    return out


# --- files ------------------------------------------------------------------------------------

def _read(path: str | Path, *, layer: str, columns: list[str], where: str | None,
          boundary: Any, crs: str) -> gpd.GeoDataFrame:
    """One layer of a file through pyogrio, only ``columns`` and (when ``boundary`` is given)
    the features in its bounding box, so that a county extract is read with bounded memory."""
    bbox = None
    if boundary is not None:
        web = gpd.GeoSeries([boundary], crs=WORK_CRS).to_crs(crs)
        bbox = tuple(float(v) for v in web.total_bounds)
    shown = f"{Path(path).name}, layer {layer}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return pyogrio.read_dataframe(path, layer=layer, columns=columns, where=where,
                                          bbox=bbox)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError) as exc:
        raise ImportRejected(f"{shown}: filen går inte att läsa ({exc})") from None


def gazetteer_from_osm(path: str | Path, *, boundary: Any = None) -> gpd.GeoDataFrame:
    """Streets and places of an OSM extract (.osm.pbf or .osm, through GDAL's OSM driver):
    ``streets_from_osm`` of its ``lines`` and ``places_from_osm`` of its ``points``, within
    ``boundary`` (EPSG:3006) when given."""
    lines = _read(path, layer="lines", columns=["name", "highway"],
                  where="highway IS NOT NULL AND name IS NOT NULL", boundary=boundary,
                  crs="EPSG:4326")
    points = _read(path, layer="points", columns=["name", "place", "other_tags"],
                   where="place IS NOT NULL AND name IS NOT NULL", boundary=boundary,
                   crs="EPSG:4326")
    origin = Path(path).name
    return merge_gazetteers(streets_from_osm(lines, boundary=boundary, origin=origin),
                            places_from_osm(points, boundary=boundary, origin=origin))


def gazetteer_from_ortnamn(path: str | Path, *, kommunkod: str | None = None,
                           boundary: Any = None) -> gpd.GeoDataFrame:
    """``places_from_ortnamn`` of a GSD-Ortnamn GeoPackage's ``ortnamn`` layer."""
    frame = _read(path, layer="ortnamn", columns=["ortnamn", "detaljtyp", "kommunkod"],
                  where=None, boundary=boundary, crs="EPSG:3006")
    return places_from_ortnamn(frame, kommunkod=kommunkod, boundary=boundary,
                               origin=Path(path).name)
