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
* ``precision`` is "street" for a street entry (kind "street", line geometry from
  ``geo.gazetteer_sources``), "place" for a landmark or other point-level entry (kinds
  ``PLACE_KINDS``), "locality" for districts, tätorter and other areas, and "municipality" when
  nothing more specific than the municipality is named. Street names without a gazetteer entry
  ("Syrenvägen/Södra Fagerviksvägen, Tallnäs" with the hand gazetteer) do not make an event
  street-precise: the point is the district's, and precision describes the point.
* A street is a line, often of several parts (one name in several districts). When the text
  also names a district or other place ("Järnvägsgatan i Vivsta"), the point is on the part
  nearest that place, at its point nearest the place, and ``precision_m`` is that part's extent;
  otherwise it is the middle of the longest part and ``precision_m`` the whole name's extent.
  Two streets joined by "/", "&", "x" or "och" ("Syrenvägen/Södra Fagerviksvägen") are a
  crossing: the point is where they meet (nearest the named district if they meet more than
  once; within ``CROSSING_GAP_M`` when they do not quite touch), ``precision_m``
  ``CROSSING_PRECISION_M``. A place name of several points is resolved the same way. A street
  whose every part lies beyond ``STREET_REACH_M`` (or twice the place's ``precision_m``) of
  the place named with it is another street of that name: the place is taken instead.
* County-level events (``geocode_events``'s ``county``) are matched against the places inside
  the municipality only, and summaries ("Sammanfattning natt") naming several places in
  several sentences are "several" or split per sentence (``place_summary``).
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
from geo.privacy import SUMMARY_TYPE_PREFIX

PLACE_KINDS = frozenset({"landmark", "street", "address", "building", "poi"})
STREET_KINDS = frozenset({"street"})
_KIND_RANK = {kind: 0 for kind in PLACE_KINDS} | {
    "district": 1, "tätort": 2, "locality": 2, "town": 2, "city": 2}
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
# Between the two street names of a crossing: "Syrenvägen/Södra Fagerviksvägen",
# "Storgatan & Köpmangatan", "korsningen Storgatan och Nygatan", "Storgatan x Nygatan".
_CROSSING_JOIN_RE = re.compile(r"\s*(?:/|&|\+|\bx\b|\boch\b|\bmot\b)\s*", re.IGNORECASE)
# Two streets that do not meet in the data still make a crossing when this close (m).
CROSSING_GAP_M = 30.0
CROSSING_PRECISION_M = 25.0
MIN_STREET_PRECISION_M = 50.0
# A street named with a place ("Storgatan, Vivsta") must come this close to the place (or twice
# its precision_m): else the text means another street of that name and the place is taken.
STREET_REACH_M = 1000.0
_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9\"'«(])")


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


@dataclass(frozen=True)
class _Found:
    """One gazetteer term found in a text."""

    rank: tuple[Any, ...]
    target: int
    text: str
    start: int
    end: int


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
        inside = (gazetteer["inside_municipality"] if "inside_municipality" in gazetteer
                  else pd.Series(True, index=gazetteer.index))
        self._inside = inside.fillna(True).astype(bool).to_numpy()

        own = self.municipality.casefold()
        self.municipality_index: int | None = next(
            (i for i, n in enumerate(self._names) if n.strip().casefold() == own), None)
        targets: dict[str, int] = {}
        aliases = gazetteer["aliases"] if "aliases" in gazetteer else [[]] * len(gazetteer)
        for i, (name, alias_list) in enumerate(zip(self._names, aliases, strict=True)):
            targets.setdefault(_key(name), _MUNICIPALITY if i == self.municipality_index else i)
            for alias in text_list(alias_list):
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

    def is_street(self, index: int) -> bool:
        """Whether gazetteer row ``index`` is a street."""
        return self._kinds[index] in STREET_KINDS

    def name(self, index: int) -> str:
        """The name of gazetteer row ``index``."""
        return self._names[index]

    def is_inside(self, index: int) -> bool:
        """Whether gazetteer row ``index`` lies in the municipality."""
        return bool(self._inside[index])

    def find_all(self, text: str) -> list[_Found]:
        """Every gazetteer term named in ``text``, in text order."""
        found: list[_Found] = []
        for hit in self._regex.finditer(text) if self._regex else ():
            target = self._target(hit.group(0))
            if target is None:  # cannot happen: every alternative comes from a target
                continue
            if target == _MUNICIPALITY:
                rank: tuple[Any, ...] = (_MUNICIPALITY_RANK, math.inf)
            else:
                rank = (self._ranks[target], self._precisions[target])
            found.append(_Found(rank, target, hit.group(0), hit.start(), hit.end()))
        return found

    def match(self, text: str, *, inside_only: bool = False) -> PlaceMatch:
        """The most specific place named in ``text`` (see the module docstring for the rules).
        With ``inside_only`` places the gazetteer marks as outside the municipality are
        ignored (county-level texts)."""
        text = text or ""
        road = find_road(text)
        found = [f for f in self.find_all(text)
                 if not inside_only or f.target == _MUNICIPALITY or self.is_inside(f.target)]
        best = min(found, key=lambda f: (*f.rank, -len(f.text), f.start), default=None)
        if best is None or best.target == _MUNICIPALITY:
            return PlaceMatch(self.municipality, "municipality", None, road, None,
                              best.text if best else None, None)
        i = best.target
        others = [f for f in found if f.target not in (i, _MUNICIPALITY)]
        anchor = min((f for f in others if not self.is_street(f.target)),
                     key=lambda f: (*f.rank, f.start), default=None)
        anchor_geom = self._geometries[anchor.target] if anchor is not None else None
        if self.is_street(i):
            crossing = self._crossing(text, best, others, anchor_geom)
            if crossing is not None:
                return PlaceMatch(crossing[0], "street", crossing[2], road, crossing[1],
                                  crossing[0], i)
            if anchor is not None and self._too_far(i, anchor.target):
                # Not this street: one of that name elsewhere. The named place is kept.
                return self._plain(anchor, road)
        point, precision_m = self._point(i, anchor_geom)
        place = self._names[i]
        if anchor is not None and self.is_street(i):
            place = f"{place}, {self._names[anchor.target]}"
        precision = ("street" if self.is_street(i)
                     else "place" if self._kinds[i] in PLACE_KINDS else "locality")
        return PlaceMatch(place, precision, precision_m, road, point, best.text, i)

    def _too_far(self, street: int, place: int) -> bool:
        """Whether every part of ``street`` lies beyond the reach of ``place``: farther than
        twice its precision and ``STREET_REACH_M``."""
        reach = max(STREET_REACH_M, 2 * min(self._precisions[place], 1e9))
        return bool(shapely.distance(self._geometries[street], self._geometries[place]) > reach)

    def _plain(self, found: _Found, road: str | None) -> PlaceMatch:
        i = found.target
        point, precision_m = self._point(i, None)
        precision = "place" if self._kinds[i] in PLACE_KINDS else "locality"
        return PlaceMatch(self._names[i], precision, precision_m, road, point, found.text, i)

    def _point(self, i: int, anchor: BaseGeometry | None) -> tuple[BaseGeometry, float | None]:
        """The point of entry ``i``: for a street or a name of several places, the part nearest
        ``anchor`` (a co-named district) and on it the point nearest the anchor, else the middle
        of the longest part; with the precision of that choice."""
        geom = self._geometries[i]
        precision = None if math.isinf(self._precisions[i]) else self._precisions[i]
        if geom is None or geom.geom_type == "Point":
            return geom, precision
        parts = shapely.get_parts(geom)
        if anchor is not None:
            part = parts[int(np.argmin(shapely.distance(parts, anchor)))]
            point = shapely.get_point(shapely.shortest_line(part, anchor), 0)
        else:
            part = parts[int(np.argmax(shapely.length(parts)))] if len(parts) > 1 else parts[0]
            point = (shapely.line_interpolate_point(part, 0.5, normalized=True)
                     if part.geom_type == "LineString" else part)
            if len(parts) > 1:  # which part is meant is unknown: the entry's whole extent
                return point, precision
        if part.geom_type == "Point":
            return point, precision
        return point, max(float(shapely.minimum_bounding_radius(part)), MIN_STREET_PRECISION_M)

    def _crossing(self, text: str, first: _Found, others: list[_Found],
                  anchor: BaseGeometry | None) -> tuple[str, BaseGeometry, float] | None:
        """The crossing of ``first`` with a street named right beside it ("A/B", "A och B")."""
        for other in others:
            if not self.is_street(other.target):
                continue
            a, b = (first, other) if first.start < other.start else (other, first)
            if not _CROSSING_JOIN_RE.fullmatch(text[a.end:b.start]):
                continue
            point = _meeting_point(self._geometries[a.target], self._geometries[b.target],
                                   anchor)
            if point is not None:
                return f"{self._names[a.target]}/{self._names[b.target]}", point, (
                    CROSSING_PRECISION_M)
        return None


def _meeting_point(a: BaseGeometry, b: BaseGeometry,
                   anchor: BaseGeometry | None) -> BaseGeometry | None:
    """Where lines ``a`` and ``b`` cross (the crossing nearest ``anchor`` when they cross more
    than once), or the middle of the gap between them when it is at most ``CROSSING_GAP_M``."""
    if a is None or b is None:
        return None
    meet = shapely.intersection(a, b)
    if not meet.is_empty:
        points = shapely.get_parts(shapely.extract_unique_points(meet))
        if anchor is not None and len(points) > 1:
            return points[int(np.argmin(shapely.distance(points, anchor)))]
        return points[0]
    if shapely.distance(a, b) > CROSSING_GAP_M:
        return None
    return shapely.line_interpolate_point(shapely.shortest_line(a, b), 0.5, normalized=True)


def text_list(value: Any) -> list[str]:
    """The non-blank strings of a list cell (a list, tuple or numpy array, as files and the store
    give them); anything else is no list and gives none."""
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


def is_summary(event_type: str) -> bool:
    """Whether ``event_type`` is one of the police's summaries ("Sammanfattning natt",
    "Sammanfattning kväll och natt", …), which tell of several events at several places."""
    return (event_type or "").strip().casefold().startswith(SUMMARY_TYPE_PREFIX)


def _count_places(matcher: PlaceMatcher, text: str, found: PlaceMatch, *,
                  inside_only: bool) -> int:
    """How many places ``text`` names: a street with its district counts once."""
    if found.gazetteer_index is None:
        return 0
    hits = {f.target for f in matcher.find_all(text)
            if f.target != _MUNICIPALITY and (not inside_only or matcher.is_inside(f.target))}
    areas = {t for t in hits if not matcher.is_street(t)}
    return max(1, len(areas)) if matcher.is_street(found.gazetteer_index) else len(areas)


def place_summary(matcher: PlaceMatcher, text: str, *, inside_only: bool = False,
                  split: bool = False) -> list[tuple[PlaceMatch, int, str | None]]:
    """Place a summary event's text: (match, part, sentence) records.

    When its sentences name different places, one sentence each, the text is split: with
    ``split`` one record per such sentence (parts 1, 2, … with the sentence), else one record of
    precision "several" naming the places. A sentence naming several places together cannot be
    split: the event is "several". One place named: that place (part 0)."""
    whole = matcher.match(text, inside_only=inside_only)
    sentences = [t.strip() for t in _SENTENCE_RE.split(text) if t.strip()]
    placed: list[tuple[str, PlaceMatch, int]] = []
    for sentence in sentences:
        found = matcher.match(sentence, inside_only=inside_only)
        if found.gazetteer_index is not None:
            placed.append((sentence, found,
                           _count_places(matcher, sentence, found, inside_only=inside_only)))
    names = list(dict.fromkeys(m.place for _, m, _ in placed))
    if len(placed) <= 1 and all(n <= 1 for _, _, n in placed):
        return [(whole, 0, None)]
    if split and len(names) > 1 and all(n == 1 for _, _, n in placed):
        return [(m, k, sentence) for k, (sentence, m, _) in enumerate(placed, start=1)]
    if len(names) <= 1 and all(n <= 1 for _, _, n in placed):
        return [(whole, 0, None)]
    hits = [f for f in matcher.find_all(text) if f.target != _MUNICIPALITY
            and (not inside_only or matcher.is_inside(f.target))]
    in_order = list(dict.fromkeys(matcher.name(f.target) for f in hits))
    return [(PlaceMatch(", ".join(in_order), "several", None, whole.road, None,
                        None, None), 0, None)]


def _without_lead(sentence: str | None, lead: str) -> str | None:
    if sentence is None or not lead or not sentence.startswith(lead):
        return sentence
    return sentence[len(lead):].strip() or sentence


def geocode_events(events: pd.DataFrame, gazetteer: gpd.GeoDataFrame, *,
                   municipality: str, county: str = "",
                   split_summaries: bool = False) -> gpd.GeoDataFrame:
    """Place events (from ``geo.events.parse_events``) as the ``events`` layer in EPSG:3006.

    The geometry is the named place's point (on a street: see ``PlaceMatcher.match``). At
    municipality precision it is the point of the gazetteer entry named like the municipality if
    any, else the event's gps (the area's centre); ``precision`` says so, and maps must not draw
    it as a location. Events of another area than ``municipality`` (filter them out with
    ``geo.events.filter_municipality``) are not matched against this gazetteer ("Böle" and
    "flygplatsen" exist elsewhere too): they keep municipality precision with their own area's
    name and gps. An empty ``municipality`` is inferred: the events' area that the gazetteer
    lists as a place inside the municipality ("Timrå"), else the events' most frequent area.

    County-level events (area "… län", e.g. "Västernorrlands län") get precision "lan" at the
    county's gps. Those of ``county`` are matched against the places inside the municipality
    only: when their text names one, they are placed there and their ``municipality`` becomes
    ``municipality`` (naming only the municipality gives municipality precision).

    Summaries (``is_summary``) naming different places in different sentences are precision
    "several" (``place`` lists the places; the point as at municipality precision); with
    ``split_summaries`` they become one record per sentence instead, keeping the event id, with
    the sentence as ``summary`` and ``part`` 1, 2, … (the events layer's key is (event_id,
    part)); every other record is a whole event, part 0.
    """
    areas = events["municipality"].fillna("").astype(str).str.strip()
    municipality = municipality.strip() or _infer_municipality(gazetteer, areas)
    matcher = build_matcher(gazetteer, municipality=municipality)
    folded = areas.str.casefold()
    own = ((areas == "") | (folded == municipality.strip().casefold())).to_numpy()
    counties = folded.str.endswith(" län").to_numpy()
    in_county = counties & (folded == county.strip().casefold()).to_numpy() & bool(county.strip())
    texts = [event_search_text(name, summary, kind) for name, summary, kind
             in zip(events["name"], events["summary"], events["type"], strict=True)]

    names = events["name"].fillna("").astype(str).tolist()
    records: list[tuple[int, PlaceMatch, int, str | None, str]] = []
    for k, (text, is_own, is_county, our_county, area, kind) in enumerate(zip(
            texts, own, counties, in_county, areas, events["type"], strict=True)):
        if not (is_own or our_county):
            records.append((k, PlaceMatch(area, "lan" if is_county else "municipality", None,
                                          find_road(text), None), 0, None, area))
            continue
        if is_summary(str(kind)):
            placed = place_summary(matcher, text, inside_only=bool(our_county),
                                   split=split_summaries)
            # A part's text is its sentence of the summary, without the title's place words
            # that lead the search text ("Timrå Inbrott i …" is "Inbrott i …").
            lead = event_search_text(str(names[k]), "", str(kind))
            placed = [(m, part, _without_lead(sentence, lead)) for m, part, sentence in placed]
        else:
            placed = [(matcher.match(text, inside_only=bool(our_county)), 0, None)]
        for found, part, sentence in placed:
            if our_county and found.precision == "municipality" and found.matched is None:
                found = PlaceMatch(area, "lan", None, found.road, None)
                records.append((k, found, part, sentence, area))
            else:
                records.append((k, found, part, sentence, municipality if our_county else area))

    rows = np.array([r[0] for r in records], dtype=np.int64)
    matches = [r[1] for r in records]
    record_areas = np.array([r[4] for r in records], dtype=object)
    gps = gpd.GeoSeries(
        gpd.points_from_xy(events["gps_lon"], events["gps_lat"]), crs=WEB_CRS,
    ).to_crs(WORK_CRS)
    gps_geoms = np.asarray(gps.values, dtype=object)[rows]
    gps_ok = events[["gps_lat", "gps_lon"]].notna().all(axis=1).to_numpy()[rows]

    geoms = np.array([m.geometry for m in matches] + [None], dtype=object)[:-1]
    placed_mask = np.array([m.geometry is not None for m in matches], dtype=bool)
    home = matcher.municipality_index
    ours = (pd.Series(record_areas, dtype=object).astype(str).str.casefold()
            .isin(["", municipality.strip().casefold()]).to_numpy())
    lan = np.array([m.precision == "lan" for m in matches], dtype=bool)
    at_home = ~placed_mask & ours & ~lan & (home is not None)
    if home is not None:
        geoms[at_home] = gazetteer.geometry.values[home]
    use_gps = ~placed_mask & ~at_home & gps_ok
    geoms[use_gps] = gps_geoms[use_gps]
    summaries = events["summary"].to_numpy(dtype=object)[rows].copy()
    for j, record in enumerate(records):
        if record[3] is not None:
            summaries[j] = record[3]

    frame = pd.DataFrame({
        "event_id": events["event_id"].to_numpy(dtype=np.int64)[rows],
        "type": events["type"].to_numpy()[rows],
        "time": events["time"].array.take(rows),
        "name": events["name"].to_numpy()[rows],
        "summary": summaries,
        "url": events["url"].to_numpy()[rows],
        "place": [m.place for m in matches],
        "precision": [m.precision for m in matches],
        "precision_m": np.array([m.precision_m if m.precision_m is not None else np.nan
                                 for m in matches], dtype=float),
        "road": pd.Series([m.road for m in matches], dtype=object),
        "municipality": record_areas,
        "provenance": "real",
        "source": EVENTS_SOURCE,
    }, columns=layer_spec("events").field_names)
    frame["part"] = np.array([r[2] for r in records], dtype=np.int64)
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
    ``type`` and ``time`` (ISO 8601). Events without any point get a null geometry. A part of a
    split summary (``part`` 1, 2, …) is a feature of its own: its ``id`` is "event_id-part"
    (the event's id stays in ``properties.id``) and ``properties.part`` is set."""
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
        part = int(getattr(row, "part", 0) or 0)
        features.append({
            "type": "Feature",
            "id": f"{event_id}-{part}" if part else event_id,
            "geometry": geometry,
            "properties": {
                "id": event_id,
                **({"part": part} if part else {}),
                "place": row.place,
                "precision": row.precision,
                "road": road,
                "precision_m": precision_m,
                "type": row.type,
                "time": pd.Timestamp(row.time).isoformat() if not pd.isna(row.time) else None,
            },
        })
    return {"type": "FeatureCollection", "features": features}
