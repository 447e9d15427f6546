"""Placing police events from their text with the gazetteer.

The API's ``location.gps`` is only the municipality's centre, so the place of an event is read
from its ``name`` and ``summary`` ("Trafikolycka på E4 vid Sörberge.", "Länsväg 331 Bergeforsen,
…", "parkering vid Timrå kyrka"). The rules:

* Names and aliases of the gazetteer are matched case-insensitively as whole words (Swedish
  letters count as letters, so "Bye" does not match in "Byende" nor "Timrå" in "Timrådalen"),
  with any whitespace or hyphen between their words and an optional genitive "s" ("Söråkers").
  At one position the longest name wins, so "Timrå kyrka", "Timrå industriområde" and
  "Tallnäs-Böle" are read whole and do not also count as "Timrå" or "Böle".
* Of all places named, the most specific wins: by kind (landmark or street-level before district,
  district before tätort, any place before the municipality's own name), then by the smaller
  ``precision_m``, then the longer name, then the earlier mention.
* ``precision`` is "place" for a landmark or street-level entry (kinds ``PLACE_KINDS``),
  "locality" for districts, tätorter and other areas, and "municipality" when nothing more
  specific than the municipality is named. Street names without a gazetteer entry
  ("Syrenvägen/Södra Fagerviksvägen, Tallnäs") do not make an event street-precise: the point
  is the district's, and precision describes the point.
* The municipality's own name ("Timrå", "Timrå kommun", "Timrås", "utanför Timrå") is
  municipality precision even when the gazetteer has an entry of that name (the tätort Timrå):
  the municipality and its main town share the name, so a text naming only "Timrå" does not say
  which is meant. Only an alias of that entry ("Timrå centrum", "Timrå tätort") names the town.
  A match then carries ``place`` = the municipality's name and no geometry: callers decide where
  to draw it, never pretending the municipal centre is the event's location.
* Words of direction and nearness ("norr om", "i höjd med", "i trakten av", "vid", "i") are
  not interpreted: the named place is taken, its ``precision_m`` stating the uncertainty.
* The road is the first road reference in the text, normalised: "E4", "E 4", "Europaväg 4"
  → "E4"; "länsväg 331", "lv 331", "väg 684", "riksväg 86", "rv 86" → "331", "684", "86".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import WEB_CRS, WORK_CRS, require_work_crs, to_web
from geo.layers import layer_spec

PLACE_KINDS = frozenset({"landmark", "street", "address", "building", "poi"})
_KIND_RANK = {kind: 0 for kind in PLACE_KINDS} | {"district": 1, "tätort": 2, "locality": 2}
_DEFAULT_KIND_RANK = 1
_MUNICIPALITY_RANK = 3
_MUNICIPALITY = -1  # term target meaning "the municipality's own name"

EVENTS_SOURCE = "https://polisen.se/api/events"
COORDINATE_DECIMALS = 7  # about 1 cm in WGS84

_SEPARATORS = r"[\s\-‐‑–—]+"
_ROAD_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?:(?-i:E)|europaväg(?:en)?)\s?(?P<european>\d{1,2})"
    r"|(?:länsväg(?:en)?|riksväg(?:en)?|väg|lv|rv)\.?\s*(?:nr\.?\s*)?(?P<national>\d{1,4})"
    r")(?!\w)",
    re.IGNORECASE,
)
_NAME_PREFIX_RE = re.compile(r"^\s*\d{1,2}\s+\w+\s+\d{1,2}[.:]\d{2}\s*,\s*")


@dataclass(frozen=True)
class PlaceMatch:
    """Where a text places an event. ``geometry`` (EPSG:3006) is None at municipality precision;
    ``matched`` is the text that named the place and ``gazetteer_index`` its gazetteer row."""

    place: str
    precision: str
    precision_m: float | None
    road: str | None
    geometry: BaseGeometry | None
    matched: str | None = None
    gazetteer_index: int | None = None


def _key(text: str) -> str:
    return re.sub(_SEPARATORS, " ", text).strip().casefold()


def _term_pattern(term: str) -> str:
    words = [re.escape(w) for w in re.split(_SEPARATORS, term.strip()) if w]
    genitive = "" if term.strip()[-1:].lower() in ("s", "x", "z") else "s?"
    return _SEPARATORS.join(words) + genitive


def find_road(text: str) -> str | None:
    """The first road named in ``text``, normalised ("E4", "331"), or None."""
    found = _ROAD_RE.search(text)
    if found is None:
        return None
    if found.group("european"):
        return "E" + str(int(found.group("european")))
    return str(int(found.group("national")))


class PlaceMatcher:
    """Finds the most specific gazetteer place (and the road) named in a text.

    Built once per gazetteer: all names and aliases are compiled into a single regex."""

    def __init__(self, gazetteer: gpd.GeoDataFrame, *, municipality: str) -> None:
        require_work_crs(gazetteer, "gazetteer")
        self.municipality = municipality.strip()
        self._names: list[str] = [str(n) for n in gazetteer["name"]]
        kinds = [str(k).strip().casefold() if isinstance(k, str) else "" for k in gazetteer["kind"]]
        self._kinds = kinds
        self._ranks = [_KIND_RANK.get(k, _DEFAULT_KIND_RANK) for k in kinds]
        self._precisions = [float(p) if not pd.isna(p) else math.inf
                            for p in gazetteer["precision_m"]]
        self._geometries = np.asarray(gazetteer.geometry.values, dtype=object)

        own = self.municipality.casefold()
        self.municipality_index: int | None = next(
            (i for i, n in enumerate(self._names) if n.strip().casefold() == own), None)
        targets: dict[str, int] = {}
        aliases = gazetteer["aliases"] if "aliases" in gazetteer else [[]] * len(gazetteer)
        for i, (name, alias_list) in enumerate(zip(self._names, aliases, strict=True)):
            targets.setdefault(_key(name), _MUNICIPALITY if i == self.municipality_index else i)
            for alias in _aliases(alias_list):
                targets.setdefault(_key(alias), i)
        if self.municipality:
            for term in (self.municipality, f"{self.municipality} kommun",
                         f"{self.municipality}s kommun"):
                targets[_key(term)] = _MUNICIPALITY
        self._targets = targets
        terms = sorted((t for t in targets if t), key=len, reverse=True)
        self._regex = re.compile(
            r"(?<!\w)(?:" + "|".join(_term_pattern(t) for t in terms) + r")(?!\w)", re.IGNORECASE
        ) if terms else None

    def _target(self, matched: str) -> int | None:
        key = _key(matched)
        if key in self._targets:
            return self._targets[key]
        return self._targets.get(key[:-1]) if key.endswith("s") else None

    def match(self, text: str) -> PlaceMatch:
        """The most specific place named in ``text`` (see the module docstring for the rules)."""
        text = text or ""
        road = find_road(text)
        best: tuple[Any, ...] | None = None
        for found in self._regex.finditer(text) if self._regex else ():
            target = self._target(found.group(0))
            if target is None:  # cannot happen: every alternative comes from a target
                continue
            if target == _MUNICIPALITY:
                rank: tuple[Any, ...] = (_MUNICIPALITY_RANK, math.inf)
            else:
                rank = (self._ranks[target], self._precisions[target])
            candidate = (*rank, -len(found.group(0)), found.start(), target, found.group(0))
            if best is None or candidate[:4] < best[:4]:
                best = candidate
        if best is None or best[4] == _MUNICIPALITY:
            return PlaceMatch(self.municipality, "municipality", None, road, None,
                              best[5] if best else None, None)
        i = int(best[4])
        precision = "place" if self._kinds[i] in PLACE_KINDS else "locality"
        precision_m = None if math.isinf(self._precisions[i]) else self._precisions[i]
        return PlaceMatch(self._names[i], precision, precision_m, road, self._geometries[i],
                          best[5], i)


def _aliases(value: Any) -> list[str]:
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [str(a) for a in value if isinstance(a, str) and a.strip()]
    return []


def build_matcher(gazetteer: gpd.GeoDataFrame, *, municipality: str) -> PlaceMatcher:
    """A ``PlaceMatcher`` for ``gazetteer`` (EPSG:3006) in ``municipality``."""
    return PlaceMatcher(gazetteer, municipality=municipality)


def event_search_text(name: str, summary: str, event_type: str = "") -> str:
    """The text to place an event from: its ``name`` without the leading "DD månad HH:MM, Type, "
    (so the type's words do not match places), then its ``summary``."""
    name = name or ""
    rest = _NAME_PREFIX_RE.sub("", name, count=1)
    if rest != name:
        event_type = (event_type or "").strip()
        if event_type and rest.casefold().startswith(event_type.casefold() + ","):
            rest = rest[len(event_type) + 1:]
        else:  # type differs from the name's ("Detonation" vs "Explosion"): keep the area
            rest = rest.rsplit(",", 1)[-1]
    return f"{rest.strip()} {summary or ''}".strip()


def geocode_events(events: pd.DataFrame, gazetteer: gpd.GeoDataFrame, *,
                   municipality: str) -> gpd.GeoDataFrame:
    """Place events (from ``geo.events.parse_events``) as the ``events`` layer in EPSG:3006.

    The geometry is the named place's point. At municipality precision it is the point of the
    gazetteer entry named like the municipality if any, else the event's gps (the area's centre);
    ``precision`` says so, and maps must not draw it as a location. Events of another area than
    ``municipality`` (filter them out with ``geo.events.filter_municipality``) are not matched
    against this gazetteer ("Böle" and "flygplatsen" exist elsewhere too): they keep municipality
    precision with their own area's name and gps. An empty ``municipality`` is inferred: the
    events' area that the gazetteer lists as a place inside the municipality ("Timrå"), else the
    events' most frequent area.
    """
    areas = events["municipality"].fillna("").astype(str).str.strip()
    municipality = municipality.strip() or _infer_municipality(gazetteer, areas)
    matcher = build_matcher(gazetteer, municipality=municipality)
    n = len(events)
    own = ((areas == "") | (areas.str.casefold() == municipality.strip().casefold())).to_numpy()
    texts = [event_search_text(name, summary, kind) for name, summary, kind
             in zip(events["name"], events["summary"], events["type"], strict=True)]
    matches = [
        matcher.match(text) if is_own
        else PlaceMatch(area, "municipality", None, find_road(text), None)
        for text, is_own, area in zip(texts, own, areas, strict=True)
    ]

    index = np.array([m.gazetteer_index if m.gazetteer_index is not None else -1
                      for m in matches], dtype=np.int64)
    placed = index >= 0
    gaz_geoms = np.asarray(gazetteer.geometry.values, dtype=object)
    gps = gpd.GeoSeries(
        gpd.points_from_xy(events["gps_lon"], events["gps_lat"]), crs=WEB_CRS,
    ).to_crs(WORK_CRS)
    gps_geoms = np.asarray(gps.values, dtype=object)
    gps_ok = events[["gps_lat", "gps_lon"]].notna().all(axis=1).to_numpy()

    geoms = np.full(n, None, dtype=object)
    geoms[placed] = gaz_geoms[index[placed]]
    home = matcher.municipality_index
    at_home = ~placed & own & (home is not None)
    if home is not None:
        geoms[at_home] = gaz_geoms[home]
    use_gps = ~placed & ~at_home & gps_ok
    geoms[use_gps] = gps_geoms[use_gps]

    frame = pd.DataFrame({
        "event_id": events["event_id"].to_numpy(dtype=np.int64),
        "type": events["type"].to_numpy(),
        "time": events["time"].array,
        "name": events["name"].to_numpy(),
        "summary": events["summary"].to_numpy(),
        "url": events["url"].to_numpy(),
        "place": [m.place for m in matches],
        "precision": [m.precision for m in matches],
        "precision_m": np.array([m.precision_m if m.precision_m is not None else np.nan
                                 for m in matches], dtype=float),
        "road": pd.Series([m.road for m in matches], dtype=object),
        "municipality": areas.to_numpy(),
        "provenance": "real",
        "source": EVENTS_SOURCE,
    }, columns=layer_spec("events").field_names)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=WORK_CRS).values,
                            crs=WORK_CRS)


def _infer_municipality(gazetteer: gpd.GeoDataFrame, areas: pd.Series) -> str:
    counts = areas[areas != ""].value_counts()
    inside = gazetteer["name"]
    if "inside_municipality" in gazetteer:
        inside = inside[gazetteer["inside_municipality"].fillna(True).astype(bool)]
    listed = counts[counts.index.isin(set(inside.astype(str)))]
    best = listed if not listed.empty else counts
    return str(best.index[0]) if not best.empty else ""


def events_to_feature_collection(gdf: gpd.GeoDataFrame) -> dict[str, Any]:
    """The placed events as an RFC 7946 FeatureCollection (WGS84): one Point feature per event
    with properties ``id``, ``place``, ``precision``, ``road`` (null when none), ``precision_m``,
    ``type`` and ``time`` (ISO 8601). Events without any point get a null geometry."""
    web = to_web(gdf)
    geoms = web.geometry.values
    xs = np.round(shapely.get_x(geoms), COORDINATE_DECIMALS)
    ys = np.round(shapely.get_y(geoms), COORDINATE_DECIMALS)
    features: list[dict[str, Any]] = []
    for row, x, y in zip(web.itertuples(index=False), xs, ys, strict=True):
        geometry = ({"type": "Point", "coordinates": [float(x), float(y)]}
                    if math.isfinite(x) and math.isfinite(y) else None)
        event_id = int(row.event_id)
        road = row.road if isinstance(row.road, str) and row.road else None
        precision_m = (float(row.precision_m)
                       if row.precision_m is not None and not pd.isna(row.precision_m) else None)
        features.append({
            "type": "Feature",
            "id": event_id,
            "geometry": geometry,
            "properties": {
                "id": event_id,
                "place": row.place,
                "precision": row.precision,
                "road": road,
                "precision_m": precision_m,
                "type": row.type,
                "time": pd.Timestamp(row.time).isoformat() if not pd.isna(row.time) else None,
            },
        })
    return {"type": "FeatureCollection", "features": features}
