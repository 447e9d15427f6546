"""geo.road_risk: the one rule that attributes police events to roads, and reweight_roads."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.errors import CrsMismatch
from geo.riskprofile import hours_mask, road_hour_factor
from geo.road_risk import reweight_roads, road_event_pairs, streets_named, traffic_mask

X0, Y0 = 620_000.0, 6_920_000.0


def roads_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Roads from rows with 'coords' (metres from X0, Y0) and any other columns."""
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x, y in r["coords"]]) for r in rows]
    data = [{k: v for k, v in r.items() if k != "coords"} for r in rows]
    return gpd.GeoDataFrame(data, geometry=lines, crs="EPSG:3006")


def events_frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Events from rows with 'xy' (metres from X0, Y0); defaults for the other fields."""
    base = {"type": "Trafikolycka", "name": "", "summary": "", "road": None, "place": "Ort",
            "precision": "locality", "precision_m": 500.0}
    data = [{**base, **{k: v for k, v in r.items() if k != "xy"}} for r in rows]
    points = [shapely.Point(X0 + r["xy"][0], Y0 + r["xy"][1]) for r in rows]
    return gpd.GeoDataFrame(data, geometry=points, crs="EPSG:3006")


E4 = {"coords": [(0, 0), (4000, 0)], "road_ref": "E4", "name": "E4"}
V331 = {"coords": [(0, 300), (0, 5000)], "road_ref": "331", "name": "Länsväg 331"}
STREET = {"coords": [(1000, 200), (1500, 200)], "road_ref": "", "name": "Järnvägsgatan"}
FAR_STREET = {"coords": [(30_000, 0), (30_500, 0)], "road_ref": "", "name": "Järnvägsgatan"}


def pairs_of(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, **kw: float) -> set[tuple]:
    pairs = road_event_pairs(roads, events, **kw)
    return set(zip(pairs["event"], pairs["road"], strict=True))


def test_a_named_road_takes_the_event_and_no_other_road_does() -> None:
    roads = roads_frame([E4, V331])
    events = events_frame([{"xy": (100, 100), "road": "331"}, {"xy": (100, 100), "road": "602"}])
    pairs = road_event_pairs(roads, events)
    assert pairs.to_dict("records") == [{"event": 0, "road": 1, "reason": "vägen nämns"}]


def test_an_event_placed_only_in_the_municipality_belongs_to_no_road() -> None:
    roads = roads_frame([E4])
    events = events_frame([{"xy": (100, 10), "precision": "municipality", "precision_m": 10.0}])
    assert pairs_of(roads, events) == set()


def test_a_named_street_is_that_street_near_the_event_not_the_through_road() -> None:
    roads = roads_frame([E4, STREET, FAR_STREET])
    events = events_frame([{"xy": (1200, 150), "summary": "Olycka på Järnvägsgatan i Vivsta"},
                           {"xy": (1200, 150), "summary": "Olycka på Skolvägen"}])
    pairs = road_event_pairs(roads, events)
    assert pairs.to_dict("records") == [
        {"event": 0, "road": 1, "reason": "gatan Järnvägsgatan är vägen"}]
    # Farther than near_m plus the place's uncertainty: not that street either.
    far = events_frame([{"xy": (1200, 2000), "summary": "Järnvägsgatan", "precision_m": 500.0}])
    assert pairs_of(roads, far) == set()
    loose = events_frame([{"xy": (1200, 2000), "summary": "Järnvägsgatan", "precision_m": 900.0}])
    assert pairs_of(roads, loose) == {(0, 1)}


def test_a_place_the_road_passes_counts_at_any_distance_else_only_near_and_precise() -> None:
    roads = roads_frame([{**E4, "passes": ["Söråker", "Timrå"]}, {**V331, "passes": []}])
    events = events_frame([
        {"xy": (9000, 9000), "place": "söråker", "precision_m": 5000.0},  # passes
        {"xy": (2000, 900), "precision_m": 800.0},  # 900 m from E4
        {"xy": (2000, 1100), "precision_m": 800.0},  # 1100 m: too far
        {"xy": (2000, 900), "precision_m": 1500.0},  # place too uncertain
        {"xy": (2000, 900), "precision_m": None},  # uncertainty unknown
    ])
    pairs = road_event_pairs(roads, events)
    assert pairs.to_dict("records") == [
        {"event": 0, "road": 0, "reason": "orten söråker ligger vid vägen"},
        {"event": 1, "road": 0, "reason": "Ort ligger 900 m från linjen"}]
    assert pairs_of(roads, events, near_m=1200.0, max_precision_m=2000.0) == {
        (0, 0), (1, 0), (2, 0), (3, 0)}


def test_one_list_of_traffic_types_and_checks_only_when_asked() -> None:
    types = pd.Series(["Trafikolycka, vilt", "Rattfylleri", "Trafikkontroll", "Stöld", None,
                       "Olovlig körning", "Trafikhinder", "Trafikbrott"])
    assert traffic_mask(types).tolist() == [True, True, False, False, False, True, True, True]
    assert traffic_mask(types, checks=True)[2]
    assert traffic_mask(types, categories=["rattfylleri"]).tolist() == [
        False, True, False, False, False, False, False, False]


def test_reweight_counts_events_per_road_and_km_with_categories() -> None:
    roads = roads_frame([E4, V331, {"coords": [(9000, 9000), (9000, 9000.0)], "road_ref": "9",
                                    "name": "Punkt"}])
    events = events_frame([
        {"xy": (0, 0), "road": "E4", "summary": "Bil i hög hastighet"},
        {"xy": (0, 0), "road": "E4", "type": "Rattfylleri"},
        {"xy": (0, 0), "road": "E4", "type": "Trafikkontroll", "summary": "hastighetskontroll"},
        {"xy": (0, 0), "road": "E4", "type": "Stöld"},
        {"xy": (0, 0), "road": "331", "type": "Trafikkontroll"},
    ])
    out = reweight_roads(roads, events)
    assert out["risk_weight"].tolist() == [3.0, 1.0, 1.0]
    assert out["risk_events"].tolist() == [2, 0, 0]
    assert out["risk_categories"].tolist() == [["hastighet", "rattfylleri"], [], []]
    assert out["risk_events_per_km"].iloc[0] == pytest.approx(2 / 4.0)
    assert out["risk_events_per_km"].iloc[1] == 0.0 and np.isnan(out["risk_events_per_km"].iloc[2])
    assert out["name"].tolist() == roads["name"].tolist()  # the roads' own columns are kept
    # The checks count only when asked, and a check's "hastighet" is not speeding.
    checks = reweight_roads(roads, events, count_checks=True)
    assert checks["risk_weight"].tolist() == [4.0, 2.0, 1.0]
    assert checks["risk_categories"].tolist() == [["hastighet", "rattfylleri"], [], []]
    only_check = reweight_roads(roads, events.iloc[[2]], count_checks=True)
    assert only_check["risk_categories"].tolist() == [[], [], []]


def test_reweight_takes_no_events_and_refuses_the_wrong_crs() -> None:
    roads = roads_frame([E4])
    none = reweight_roads(roads, events_frame([]))
    assert none["risk_weight"].tolist() == [1.0] and none["risk_categories"].tolist() == [[]]
    with pytest.raises(CrsMismatch, match="roads"):
        reweight_roads(roads.to_crs("EPSG:4326"), events_frame([{"xy": (0, 0)}]))
    with pytest.raises(CrsMismatch, match="events"):
        reweight_roads(roads, events_frame([{"xy": (0, 0)}]).to_crs("EPSG:4326"))


def test_streets_named_finds_prefixed_streets_but_not_road_words() -> None:
    assert streets_named("Krock Södra Fagerviksvägen/Syrenvägen") == [
        "Södra Fagerviksvägen", "Syrenvägen"]
    assert streets_named("länsvägen 331 vid Timrå") == []


def _brute_force(roads: gpd.GeoDataFrame, events: gpd.GeoDataFrame, near_m: float,
                 max_precision_m: float) -> set[tuple[int, int]]:
    """The rule written out event by event and road by road."""
    found = set()
    for i, ev in enumerate(events.itertuples(index=False)):
        streets = streets_named(f"{ev.name} {ev.summary}")
        for j, road in enumerate(roads.itertuples(index=False)):
            dist = ev.geometry.distance(road.geometry)
            uncertain = ev.precision_m if ev.precision_m == ev.precision_m else 0.0
            if ev.road:
                ok = ev.road == road.road_ref
            elif ev.precision == "municipality":
                ok = False
            elif streets:
                ok = (any(s.casefold() in road.name.casefold() for s in streets)
                      and dist <= near_m + uncertain)
            else:
                ok = (ev.place.casefold() in [p.casefold() for p in road.passes]
                      or (dist <= near_m and ev.precision_m <= max_precision_m))
            if ok:
                found.add((i, j))
    return found


def test_the_vectorised_rule_matches_the_rule_written_out() -> None:
    rng = np.random.default_rng(2262)
    n_roads, n_events = 40, 300
    starts = rng.uniform(0, 8000, (n_roads, 2))
    ends = starts + rng.uniform(-1500, 1500, (n_roads, 2))
    names = ["Storgatan", "Järnvägsgatan", "Skolvägen", "Riksväg 86", "Norra Vägen"]
    places = ["Vivsta", "Söråker", "Timrå", "Bergeforsen"]
    roads = roads_frame([{"coords": [tuple(a), tuple(b)], "road_ref": str(rng.integers(80, 90)),
                          "name": names[rng.integers(len(names))],
                          "passes": list(rng.choice(places, rng.integers(0, 3), replace=False))}
                         for a, b in zip(starts, ends, strict=True)])
    texts = ["", "på Storgatan", "vid Järnvägsgatan och Skolvägen", "Lillgatan", "väg 86"]
    events = events_frame([{
        "xy": tuple(rng.uniform(-1000, 9000, 2)),
        "road": str(rng.integers(80, 95)) if rng.random() < 0.3 else None,
        "summary": texts[rng.integers(len(texts))],
        "place": places[rng.integers(len(places))] if rng.random() < 0.8 else "Annanstans",
        "precision": ["place", "locality", "municipality"][rng.integers(3)],
        "precision_m": rng.choice([50.0, 800.0, 1000.0, 2500.0, np.nan]),
    } for _ in range(n_events)])
    events["road"] = events["road"].fillna("")
    for near_m, max_precision_m in ((1000.0, 1000.0), (300.0, 3000.0)):
        got = pairs_of(roads, events, near_m=near_m, max_precision_m=max_precision_m)
        assert got == _brute_force(roads, events, near_m, max_precision_m)
        assert len(got) > 50  # every branch of the rule is exercised by this many


def test_the_risk_profile_attributes_events_by_the_same_rule() -> None:
    roads = roads_frame([E4, STREET])
    events = events_frame([
        {"xy": (1200, 150), "name": "5 mars 23:10, Trafikolycka, Timrå",
         "summary": "på Järnvägsgatan", "time": pd.Timestamp("2024-12-31 23:00", tz="UTC")},
        {"xy": (1200, 150), "name": "6 mars 12:00, Trafikolycka, Timrå",
         "time": pd.Timestamp("2024-12-31 23:00", tz="UTC")}])
    factor = road_hour_factor(roads, events, hours_mask("22-6"), prior_events=0.0)
    pairs = pairs_of(roads, events)
    assert pairs == {(0, 1), (1, 0), (1, 1)}
    assert factor.tolist() == [0.0, 0.5]  # E4: the noon event; the street: both
