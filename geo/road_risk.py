"""Traffic risk along roads: the one rule that attributes police events to roads.

Which police events show traffic risk is one list (``TRAFFIC_TYPES``, matched as prefixes of the
event type: "Trafikolycka, vilt" is a Trafikolycka); a Trafikkontroll (``CHECK_TYPES``) is police
action, not risk, and counts only when asked for. An event belongs to a road when

* it names a road ("E4", "länsväg 331" → ``road``): then only that road, by its ``road_ref``;
* or, naming no road and placed more precisely than the municipality,
  - it names a street ("Järnvägsgatan", "Södra Fagerviksvägen"): then the roads whose own name
    holds that street and that lie within ``near_m`` plus the event's place uncertainty;
  - else its place is one the road passes (an optional ``passes`` column of place names);
  - else the road lies within ``near_m`` of it and its place is known to ``max_precision_m``.

An event may belong to several roads (a place where two roads meet). ``reweight_roads`` turns
the events of each road into its risk weight (1 + the number of events), its risk categories and
its events per km, for the demo's roads and any imported road network (OSM, NVDB) alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import require_work_crs
from geo.layers import UNPLACED_PRECISIONS

# Event types (prefixes) that show traffic risk.
TRAFFIC_TYPES = ("Trafikolycka", "Rattfylleri", "Trafikbrott", "Olovlig körning", "Trafikhinder")
# Police traffic checks: action, not risk.
CHECK_TYPES = ("Trafikkontroll",)
# The event types that show each risk category (the hour-of-week profile of a category).
CATEGORY_TYPES = {
    "rattfylleri": ("Rattfylleri",),
    "hastighet": ("Trafikolycka", "Trafikbrott"),
    "buskorning": ("Trafikbrott", "Olovlig körning"),
    "a_traktor": ("Trafikbrott", "Olovlig körning", "Trafikolycka"),
}
NEAR_M = 1_000.0  # an event "along" a road lies this close to it...
MAX_PRECISION_M = 1_000.0  # ...and its place is known at least this well
# A street named in the text ("Järnvägsgatan", "Södra Fagerviksvägen"): the event is on that
# street, not on a through road, unless the road's own name contains the street.
_STREET_RE = re.compile(
    r"(?<!\w)(?:(?:Södra|Norra|Östra|Västra|Stora|Lilla|Gamla)\s+)?"
    r"(?!länsväg|riksväg|europaväg)\w+(?:gatan|vägen|gränd|stigen|allén)(?!\w)",
    re.IGNORECASE)
PAIR_COLUMNS = ["event", "road", "reason"]


def traffic_mask(types: pd.Series, *, checks: bool = False,
                 categories: Sequence[str] = ()) -> np.ndarray:
    """Whether each event type shows traffic risk (of ``categories``, when given); police
    checks too when ``checks``."""
    prefixes = sorted({t for c in categories for t in CATEGORY_TYPES.get(c, ())}) \
        if categories else list(TRAFFIC_TYPES)
    if checks:
        prefixes += list(CHECK_TYPES)
    text = types.fillna("").astype(str)
    return np.asarray(text.str.startswith(tuple(prefixes)), dtype=bool)


def traffic_events(events: pd.DataFrame, categories: Sequence[str] = (), *,
                   checks: bool = False) -> pd.DataFrame:
    """The events whose type shows traffic risk (of ``categories``, when given)."""
    if events.empty:
        return events
    return events[traffic_mask(events["type"], checks=checks, categories=categories)]


def streets_named(text: str) -> list[str]:
    """Street names in an event text ("Järnvägsgatan", "Södra Fagerviksvägen")."""
    return [m.group(0) for m in _STREET_RE.finditer(text or "")]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column with "" for missing values (and for a missing column)."""
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].where(frame[column].notna(), "").astype(str)


def road_event_pairs(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *,
                     near_m: float = NEAR_M, max_precision_m: float = MAX_PRECISION_M
                     ) -> pd.DataFrame:
    """Which event belongs to which road, by the rule above, and why.

    ``roads`` (EPSG:3006) may have ``road_ref``, ``name`` and ``passes`` (a list of place names);
    ``events`` (EPSG:3006) may have ``road``, ``name``, ``summary``, ``place``, ``precision`` and
    ``precision_m``. Returns columns ``event`` and ``road`` (positions in the frames) and
    ``reason`` (Swedish), sorted by road and event.
    """
    require_work_crs(roads, "roads")
    require_work_crs(events, "events")
    if roads.empty or events.empty:
        return pd.DataFrame({"event": pd.Series(dtype=int), "road": pd.Series(dtype=int),
                             "reason": pd.Series(dtype=object)})
    named = _text(events, "road").to_numpy()
    refs = _text(roads, "road_ref").to_numpy()
    place = _text(events, "place").to_numpy()
    precise = ~_text(events, "precision").isin(UNPLACED_PRECISIONS).to_numpy() & (named == "")
    precision_m = pd.to_numeric(events["precision_m"], errors="coerce").to_numpy(dtype=float) \
        if "precision_m" in events else np.full(len(events), np.nan)
    texts = (_text(events, "name") + " " + _text(events, "summary")).tolist()
    streets = [streets_named(t) if ok else [] for t, ok in zip(texts, precise, strict=True)]
    has_street = np.array([bool(s) for s in streets])
    found: list[pd.DataFrame] = []

    # 1. The event names the road.
    by_ref = pd.DataFrame({"ref": named, "event": np.arange(len(events))}).merge(
        pd.DataFrame({"ref": refs, "road": np.arange(len(roads))}), on="ref")
    by_ref = by_ref[by_ref["ref"] != ""]
    found.append(by_ref.assign(reason="vägen nämns", rank=0))

    # 2. It names a street that the road's name holds, near enough.
    # A named street may lie as far as the place's uncertainty beyond near_m; other events need
    # near_m (and a known place) only.
    reach_m = near_m + np.where(has_street, np.nan_to_num(precision_m, nan=0.0), 0.0)
    near_ev, near_rd = _pairs_within(
        roads, events, precise & (has_street | (precision_m <= max_precision_m)), reach_m)
    dist = shapely.distance(np.asarray(events.geometry.values, dtype=object)[near_ev],
                            np.asarray(roads.geometry.values, dtype=object)[near_rd])
    road_names = _text(roads, "name").str.casefold()
    said = pd.DataFrame([(e, s.casefold()) for e in np.flatnonzero(has_street)
                         for s in streets[e]], columns=["event", "street"])
    holds = pd.DataFrame([(s, r) for s in said["street"].unique()
                          for r in np.flatnonzero(road_names.str.contains(s, regex=False))],
                         columns=["street", "road"])
    spatial = pd.DataFrame({"event": near_ev, "road": near_rd, "dist": dist})
    street_pairs = spatial.merge(said, on="event").merge(holds, on=["street", "road"])
    first_street = {e: streets[e][0] for e in np.flatnonzero(has_street)}
    found.append(street_pairs[["event", "road"]].assign(
        reason=[f"gatan {first_street[e]} är vägen" for e in street_pairs["event"]], rank=1))

    # 3. Naming no street: its place is one the road passes, or the road is near.
    plain = precise & ~has_street
    if "passes" in roads:
        passes = pd.DataFrame({"road": np.arange(len(roads)), "place": roads["passes"].to_numpy()}
                              ).explode("place").dropna()
        passes["key"] = passes["place"].astype(str).str.casefold()
        at = pd.DataFrame({"event": np.flatnonzero(plain),
                           "key": pd.Series(place[plain]).str.casefold()}).merge(
            passes[["road", "key"]], on="key")
        found.append(at[["event", "road"]].assign(
            reason=[f"orten {place[e]} ligger vid vägen" for e in at["event"]], rank=2))
    close = spatial[plain[spatial["event"]] & (spatial["dist"] <= near_m)
                    & (precision_m[spatial["event"]] <= max_precision_m)]
    found.append(close[["event", "road"]].assign(
        reason=pd.Series(place[close["event"]], index=close.index) + " ligger "
        + close["dist"].map("{:.0f}".format) + " m från linjen", rank=3))

    pairs = pd.concat([f[["event", "road", "reason", "rank"]] for f in found], ignore_index=True)
    pairs = pairs.sort_values(["road", "event", "rank"], kind="stable").drop_duplicates(
        ["road", "event"])
    return pairs[PAIR_COLUMNS].astype({"event": int, "road": int}).reset_index(drop=True)


def _pairs_within(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, use: np.ndarray,
                  reach_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(event, road) positions of the ``use``d events and the roads within each one's reach."""
    chosen = np.flatnonzero(use)
    if len(chosen) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    tree = shapely.STRtree(np.asarray(roads.geometry.values, dtype=object))
    ev, rd = tree.query(np.asarray(events.geometry.values, dtype=object)[chosen],
                        predicate="dwithin", distance=reach_m[chosen])
    return chosen[ev], rd


def distinct_events(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``events`` without repeats: the API sometimes publishes one event twice under two ids
    with the same type, title and summary; the lowest id is kept."""
    key = [c for c in ("type", "name", "summary") if c in events]
    if not key or events.empty:
        return events
    ordered = events.sort_values("event_id", kind="stable") if "event_id" in events else events
    return ordered.drop_duplicates(subset=key, keep="first")


def reweight_roads(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *,
                   near_m: float = NEAR_M, max_precision_m: float = MAX_PRECISION_M,
                   count_checks: bool = False) -> gpd.GeoDataFrame:
    """``roads`` with risk weights and categories from the traffic events along each one.

    ``risk_weight`` = 1 + the road's traffic events (police checks among them when
    ``count_checks``); ``risk_categories``: ``hastighet`` when an event that is not a check speaks
    of speed ("hastighet"), ``rattfylleri`` when one is a Rattfylleri (Olovlig körning, driving
    without a licence, is not buskörning, and the events never name A-traktorer, so those two
    stay for the planner to set); ``risk_events`` the number of events and
    ``risk_events_per_km`` that per km of road (NaN for a road without length). Events of any
    type may be given: those that do not show traffic risk are left out, and an event published
    twice counts once (``distinct_events``).
    """
    require_work_crs(roads, "roads")
    chosen = require_work_crs(events, "events")
    if len(chosen):
        chosen = distinct_events(chosen[traffic_mask(chosen["type"], checks=count_checks)])
    pairs = road_event_pairs(roads, chosen, near_m=near_m, max_precision_m=max_precision_m)
    ev, rd = pairs["event"].to_numpy(dtype=int), pairs["road"].to_numpy(dtype=int)
    n = np.bincount(rd, minlength=len(roads))
    types = _text(chosen, "type")
    text = (_text(chosen, "name") + " " + _text(chosen, "summary")).str.casefold()
    speed = (text.str.contains("hastighet", regex=False) & ~types.str.startswith(CHECK_TYPES))
    drunk = types.str.startswith("Rattfylleri")
    has_speed = np.bincount(rd, weights=speed.to_numpy(dtype=float)[ev], minlength=len(roads)) > 0
    has_drunk = np.bincount(rd, weights=drunk.to_numpy(dtype=float)[ev], minlength=len(roads)) > 0
    out = roads.copy()
    out["risk_weight"] = 1.0 + n
    out["risk_categories"] = [["hastighet"] * bool(s) + ["rattfylleri"] * bool(d)
                              for s, d in zip(has_speed, has_drunk, strict=True)]
    out["risk_events"] = n
    length_km = np.asarray(shapely.length(np.asarray(roads.geometry.values, dtype=object)),
                           dtype=float) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["risk_events_per_km"] = np.where(length_km > 0, n / length_km, np.nan)
    return out
