"""The gazetteer (geo.gazetteer) and placing events from their text (geo.geocode), on the real
shared data."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from geo.errors import CrsMismatch, ImportRejected
from geo.events import parse_events, read_events
from geo.gazetteer import gazetteer_roads, read_gazetteer, write_gazetteer
from geo.gazetteer_sources import merge_gazetteers, streets_from_nvdb
from geo.geocode import (
    PlaceMatcher,
    build_matcher,
    event_search_text,
    events_to_feature_collection,
    find_road,
    geocode_events,
    is_summary,
)
from geo.layers import layer_spec

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GAZETTEER = "timra_gazetteer.json"
TIMRA_EVENTS = "polisen_events_timra_2023_2024.json"
MUNICIPALITY = "Timrå"
# Measured on the 159 real events: 97 (61.0 %) are placed more precisely than the municipality.
MIN_PRECISE_SHARE = 0.58


@pytest.fixture(scope="module")
def shared_data() -> Path:
    """The real shared data folder; skip when this checkout does not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is missing (real gazetteer and events "
                    "needed)")
    return SHARED_DATA


@pytest.fixture(scope="module")
def gazetteer(shared_data: Path) -> gpd.GeoDataFrame:
    return read_gazetteer(shared_data / GAZETTEER)


@pytest.fixture(scope="module")
def matcher(gazetteer: gpd.GeoDataFrame) -> PlaceMatcher:
    return build_matcher(gazetteer, municipality=MUNICIPALITY)


@pytest.fixture(scope="module")
def placed(shared_data: Path, gazetteer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    events = parse_events(read_events(shared_data / TIMRA_EVENTS), origin=TIMRA_EVENTS)
    return geocode_events(events, gazetteer, municipality=MUNICIPALITY)


# --- gazetteer --------------------------------------------------------------------------------

def test_gazetteer_layer(gazetteer: gpd.GeoDataFrame, shared_data: Path) -> None:
    assert gazetteer.crs.to_epsg() == 3006
    assert list(gazetteer.columns) == layer_spec("gazetteer").field_names + ["geometry"]
    assert len(gazetteer) == 29 and gazetteer["name"].is_unique
    assert (gazetteer["provenance"] == "real").all()
    by_name = gazetteer.set_index("name")
    assert by_name.loc["Midlanda", "roads"] == ["E4"]
    assert by_name.loc["Bergeforsen", "roads"] == ["331", "330"]
    assert by_name.loc["Timrå", "roads"] == ["E4", "631"]
    assert not by_name.loc["Antjärn", "inside_municipality"]
    assert by_name.loc["Vivstavarv", "aliases"] == ["Wifstavarv"]
    assert by_name.loc["Sörberge", "basis"] == "estimated"
    assert by_name.loc["Timrå kyrka", "source"].startswith("https://sv.wikipedia.org/")
    roads = gazetteer_roads(shared_data / GAZETTEER)
    assert [r["ref"] for r in roads] == ["E4", "331", "684", "631", "330"]


def test_gazetteer_round_trips(gazetteer: gpd.GeoDataFrame, shared_data: Path,
                               tmp_path: Path) -> None:
    out = tmp_path / "gazetteer.json"
    write_gazetteer(gazetteer, out)
    again = read_gazetteer(out)
    pd.testing.assert_frame_equal(pd.DataFrame(gazetteer.drop(columns="geometry")),
                                  pd.DataFrame(again.drop(columns="geometry")))
    assert shapely.distance(gazetteer.geometry.values, again.geometry.values).max() < 0.01
    original = json.loads((shared_data / GAZETTEER).read_text(encoding="utf-8"))
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["roads"] == original["roads"]
    assert [(p["lat"], p["lon"]) for p in written["places"]] == [
        (p["lat"], p["lon"]) for p in original["places"]]


def test_gazetteer_problems_are_listed(tmp_path: Path) -> None:
    doc = {"places": [
        {"name": "A", "lat": 17.3, "lon": 62.4, "kind": "district"},  # swapped
        {"name": "B", "aliases": ["A"], "lat": 62.4, "lon": 17.3},
        {"name": "C", "lon": 17.3},
    ], "roads": [{"ref": "E4", "passes": ["A", "Nowhere"]}]}
    path = tmp_path / "gaz.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        read_gazetteer(path)
    details = "\n".join(info.value.details)
    assert "ort 0: lat 17.3, lon 62.4 ligger utanför Sverige" in details
    assert "ort 1: namnet eller det andra namnet 'A' används också av ort 0" in details
    assert "ort 2: lat: ska vara ett tal" in details
    assert "passerar den okända orten 'Nowhere'" in details


# --- matching texts ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "place", "precision", "road"), [
    ("Trafikolycka på E4 vid Sörberge.", "Sörberge", "locality", "E4"),
    ("E4 Söråker, En bilist har kört in i mitträcke", "Söråker", "locality", "E4"),
    ("Länsväg 331 Bergeforsen, polisen har kontrollerat trafiken", "Bergeforsen", "locality",
     "331"),
    ("Timrå, trafikolycka på E4 i höjd med Norrberge.", "Norrberge", "locality", "E4"),
    ("Misstänkt rattfylleri utanför Timrå.", "Timrå", "municipality", None),
    ("Resultat efter trafikkontroll på Syrenvägen/Södra Fagerviksvägen, Tallnäs.", "Tallnäs",
     "locality", None),
    ("E4 Svarvarböle, bilist stoppad efter hastighetsöverträdelse", "Timrå", "municipality",
     "E4"),
    ("Polisen får klockan 21.01 på söndagskvällen samtal om en skadad person på en parkering "
     "vid Timrå kyrka.", "Timrå kyrka", "place", None),
    ("Bråk vid Wifstavarv.", "Vivstavarv", "locality", None),
    ("Misstänkt rattfylleri i trakten av Bergeforsen.", "Bergeforsen", "locality", None),
    ("Misstänkt drograttfylleri norr om Stavreviken.", "Stavreviken", "locality", None),
    ("Stöld från bil vid Midlanda, Timrå.", "Midlanda", "place", None),
    ("Trafikolycka på Järnvägsgatan i Vivsta, Timrå.", "Vivsta", "locality", None),
    ("E4, Bye. Polisen stoppar en personbil", "Hässjö", "locality", "E4"),
    ("Bråk utanför arenan efter matchen", "SCA Arena", "place", None),
    ("Inbrott i villa i Tallnäs-Böle", "Tallnäs", "locality", None),
    ("Timrå, trafikolycka i Timrå industriområde.", "Timrå industriområde", "locality", None),
    ("Flertal trafikbrott, Timrå kommun", "Timrå", "municipality", None),
    ("Larm om trafikolycka på länsväg 631/Norra vägen, Timrådalen.", "Timrå", "municipality",
     "631"),
    ("Trafikolycka i SÖRBERGE", "Sörberge", "locality", None),
    ("Brand i Söråkers skola", "Söråker", "locality", None),
    ("Stöld i Timrå centrum", "Timrå", "locality", None),
    ("Polisen uppmanar boende i Sörberge, Timrå, Laggarberg", "Sörberge", "locality", None),
    ("Försök till våldtäkt", "Timrå", "municipality", None),
])
def test_match_real_texts(matcher: PlaceMatcher, text: str, place: str, precision: str,
                          road: str | None) -> None:
    found = matcher.match(text)
    assert (found.place, found.precision, found.road) == (place, precision, road)
    if precision == "municipality":
        assert found.geometry is None and found.precision_m is None
    else:
        assert found.geometry is not None and found.precision_m is not None


def test_match_word_boundaries(matcher: PlaceMatcher) -> None:
    assert matcher.match("Byende, trafikolycka").precision == "municipality"
    assert matcher.match("Tallnäsvägen, polisen kontrollerar trafiken").precision == (
        "municipality")
    assert matcher.match("Trafikolycka på Vivstavägen").precision == "municipality"
    assert matcher.match("").place == MUNICIPALITY


def test_landmark_beats_district_and_geometry(matcher: PlaceMatcher,
                                              gazetteer: gpd.GeoDataFrame) -> None:
    found = matcher.match("Sörberge, bråk vid SCA Arena")
    assert (found.place, found.precision, found.precision_m) == ("SCA Arena", "place", 100.0)
    expected = gazetteer.set_index("name").geometry["SCA Arena"]
    assert found.geometry.equals(expected)


@pytest.mark.parametrize(("text", "road"), [
    ("E4", "E4"), ("på E 4 norrut", "E4"), ("Europaväg 4", "E4"), ("E4:an vid Vivsta", "E4"),
    ("länsväg 331", "331"), ("lv 331", "331"), ("Lv 331", "331"), ("väg 684", "684"),
    ("riksväg 86", "86"), ("länsväg 602/länsväg 627, Laggarberg", "602"),
    ("Centrumvägen 12", None), ("Fe4", None), ("kl 14", None), ("e 4", None),
])
def test_find_road(text: str, road: str | None) -> None:
    assert find_road(text) == road


def test_search_text_strips_date_and_type() -> None:
    assert event_search_text("30 mars 11:30, Trafikolycka, singel, Timrå",
                             "E4 Söråker", "Trafikolycka, singel") == "Timrå E4 Söråker"
    assert event_search_text("11 november 06.45, Trafikolycka, Timrå", "Singelolycka.",
                             "Trafikolycka") == "Timrå Singelolycka."
    # The name's type can differ from the type field ("Detonation" vs "Explosion").
    assert event_search_text("07 september 00.38, Detonation, Malmö", "Smäll",
                             "Explosion") == "Malmö Smäll"


def test_matcher_needs_work_crs(gazetteer: gpd.GeoDataFrame) -> None:
    with pytest.raises(CrsMismatch):
        build_matcher(gazetteer.to_crs("EPSG:4326"), municipality=MUNICIPALITY)


# --- all real events --------------------------------------------------------------------------

def test_geocode_real_events(placed: gpd.GeoDataFrame, gazetteer: gpd.GeoDataFrame) -> None:
    assert placed.crs.to_epsg() == 3006
    assert list(placed.columns) == layer_spec("events").field_names + ["geometry"]
    assert len(placed) == 159
    assert placed.geometry.notna().all() and not placed.geometry.is_empty.any()
    assert set(placed["precision"]) <= {"place", "locality", "municipality"}
    share = float((placed["precision"] != "municipality").mean())
    print(f"\nreal Timrå events placed more precisely than the municipality: "
          f"{share:.1%} ({(placed['precision'] != 'municipality').sum()} of {len(placed)})")
    assert share >= MIN_PRECISE_SHARE
    municipal = placed[placed["precision"] == "municipality"]
    assert (municipal["place"] == MUNICIPALITY).all()
    assert municipal["precision_m"].isna().all()
    timra_point = gazetteer.set_index("name").geometry["Timrå"]
    assert municipal.geometry.apply(timra_point.equals).all()
    by_id = placed.set_index("event_id")
    assert (by_id.loc[514348, "place"], by_id.loc[514348, "precision"]) == ("Timrå kyrka",
                                                                            "place")
    assert by_id.loc[411878, "road"] == "E4" and by_id.loc[411878, "place"] == "Söråker"


def test_geocode_falls_back_to_gps_without_gazetteer_entry(gazetteer: gpd.GeoDataFrame) -> None:
    no_timra = gazetteer[gazetteer["name"] != "Timrå"].reset_index(drop=True)
    events = parse_events([{
        "id": 1, "datetime": "2024-01-01 9:00:00 +01:00", "type": "Stöld",
        "name": "01 januari 08.30, Stöld, Timrå", "summary": "Stöld i Timrå.",
        "url": "/x/", "location": {"name": "Timrå", "gps": "62.485456,17.324865"},
    }], origin="inline")
    out = geocode_events(events, no_timra, municipality=MUNICIPALITY)
    assert out.loc[0, "precision"] == "municipality"
    lon, lat = shapely.get_coordinates(out.to_crs("EPSG:4326").geometry.values)[0]
    assert (round(lat, 6), round(lon, 6)) == (62.485456, 17.324865)


def test_events_of_other_areas_are_not_matched(gazetteer: gpd.GeoDataFrame) -> None:
    events = parse_events([{
        "id": 2, "datetime": "2024-01-01 9:00:00 +01:00", "type": "Brand",
        "name": "01 januari 08.30, Brand, Umeå", "summary": "Brand i villa i Böle, väg 363.",
        "url": "/x/", "location": {"name": "Umeå", "gps": "63.825847,20.263035"},
    }], origin="inline")
    out = geocode_events(events, gazetteer, municipality=MUNICIPALITY)
    row = out.iloc[0]
    assert (row["place"], row["precision"], row["road"]) == ("Umeå", "municipality", "363")
    lon, lat = shapely.get_coordinates(out.to_crs("EPSG:4326").geometry.values)[0]
    assert (round(lat, 6), round(lon, 6)) == (63.825847, 20.263035)
    # Without a municipality it is inferred from the events and the gazetteer: Timrå, not Umeå.
    timra = parse_events([{
        "id": 3, "datetime": "2024-01-01 9:00:00 +01:00", "type": "Brand",
        "name": "01 januari 08.30, Brand, Timrå", "summary": "Brand i villa i Böle.",
        "url": "/x/", "location": {"name": "Timrå", "gps": "62.485456,17.324865"},
    }], origin="inline")
    both = geocode_events(pd.concat([events, timra], ignore_index=True), gazetteer,
                          municipality="")
    assert both["place"].tolist() == ["Umeå", "Böle"]
    assert both["precision"].tolist() == ["municipality", "locality"]


def test_empty_municipality_is_inferred(placed: gpd.GeoDataFrame, shared_data: Path,
                                        gazetteer: gpd.GeoDataFrame) -> None:
    events = parse_events(read_events(shared_data / TIMRA_EVENTS), origin=TIMRA_EVENTS)
    inferred = geocode_events(events, gazetteer, municipality="")
    pd.testing.assert_frame_equal(pd.DataFrame(inferred), pd.DataFrame(placed))


def test_feature_collection(placed: gpd.GeoDataFrame) -> None:
    fc = events_to_feature_collection(placed)
    json.dumps(fc, allow_nan=False)  # plain RFC 7946 JSON
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == len(placed) == 159
    assert [f["properties"]["id"] for f in fc["features"]] == placed["event_id"].tolist()
    for feature in fc["features"]:
        props = feature["properties"]
        assert set(props) == {"id", "place", "precision", "road", "precision_m", "type", "time"}
        lon, lat = feature["geometry"]["coordinates"]
        assert 16.5 < lon < 18.5 and 62 < lat < 63
        assert pd.Timestamp(props["time"]).tzinfo is not None
    first = fc["features"][0]["properties"]
    assert first == {"id": 410834, "place": "Timrå", "precision": "municipality", "road": "E4",
                     "precision_m": None, "type": "Trafikolycka",
                     "time": "2023-03-22T06:28:40+00:00"}
    church = next(f for f in fc["features"] if f["properties"]["id"] == 514348)
    assert church["properties"]["precision"] == "place"
    assert church["geometry"]["coordinates"] == pytest.approx([17.315889, 62.476083], abs=1e-6)


# --- streets and crossings (synthetic street frames shaped like NVDB_DKGatunamn) ---------------

# Near Vivsta (619853, 6930586) and Sörberge (620774, 6932465); a crossing near Tallnäs.
JARNVAGSGATAN_VIVSTA = LineString([(619700, 6930500), (620000, 6930700)])
JARNVAGSGATAN_SORBERGE = LineString([(620700, 6932400), (620900, 6932500)])
CROSSING = (621600.0, 6931800.0)


@pytest.fixture(scope="module")
def with_streets(gazetteer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gatunamn = gpd.GeoDataFrame({
        "RLID": ["1", "2", "3", "4", "5", "6"],
        "NAMN": ["Järnvägsgatan", "Järnvägsgatan", "Syrenvägen", "Syrenvägen",
                 "Södra Fagerviksvägen", "Centrumvägen"],
    }, geometry=[
        JARNVAGSGATAN_VIVSTA, JARNVAGSGATAN_SORBERGE,
        LineString([(621400, 6931800), (621700, 6931800)]),
        LineString([(622700, 6932700), (622900, 6932700)]),  # a far part, crossing nothing
        LineString([(621600, 6931700), (621600, 6932000)]),
        LineString([(630000, 6940000), (630400, 6940000)]),
    ], crs="EPSG:3006")
    return merge_gazetteers(streets_from_nvdb(gatunamn), gazetteer)


def test_street_in_named_district(with_streets: gpd.GeoDataFrame) -> None:
    matcher = build_matcher(with_streets, municipality=MUNICIPALITY)
    found = matcher.match("Trafikolycka på Järnvägsgatan i Vivsta, Timrå.")
    assert (found.place, found.precision) == ("Järnvägsgatan, Vivsta", "street")
    assert found.geometry.distance(JARNVAGSGATAN_VIVSTA) < 0.01
    vivsta = with_streets.set_index("name").geometry["Vivsta"]
    assert found.geometry.distance(vivsta) < 20  # the street's point nearest the district
    assert 50 <= found.precision_m <= 200  # the Vivsta part's extent, not the whole name's
    other = matcher.match("Larm om trafikolycka på Järnvägsgatan, Sörberge.")
    assert other.precision == "street"
    assert other.geometry.distance(JARNVAGSGATAN_SORBERGE) < 0.01
    alone = matcher.match("Trafikolycka på Järnvägsgatan")
    assert alone.precision == "street" and alone.precision_m > 1000  # which part is unknown


def test_street_crossing(with_streets: gpd.GeoDataFrame) -> None:
    matcher = build_matcher(with_streets, municipality=MUNICIPALITY)
    found = matcher.match(
        "Resultat efter trafikkontroll på Syrenvägen/Södra Fagerviksvägen, Tallnäs.")
    assert (found.place, found.precision) == ("Syrenvägen/Södra Fagerviksvägen", "street")
    assert found.geometry.equals(Point(CROSSING))
    assert found.precision_m == 25.0
    spoken = matcher.match("Olycka i korsningen Södra Fagerviksvägen och Syrenvägen")
    assert spoken.geometry.equals(Point(CROSSING))
    # Two streets named apart are no crossing: the more precise street is taken (Syrenvägen
    # has two parts far apart), at its point nearest the district.
    apart = matcher.match("Syrenvägen, Tallnäs. Senare även Södra Fagerviksvägen.")
    assert apart.place == "Södra Fagerviksvägen, Tallnäs"
    assert apart.geometry.distance(LineString([(621600, 6931700), (621600, 6932000)])) < 0.01


def test_street_far_from_the_named_place_is_not_that_street(
        with_streets: gpd.GeoDataFrame) -> None:
    matcher = build_matcher(with_streets, municipality=MUNICIPALITY)
    # The frame's Centrumvägen is 10 km from Söråker: the text means Söråker's.
    found = matcher.match("Resultat efter en trafikkontroll på Centrumvägen, Söråker.")
    assert (found.place, found.precision) == ("Söråker", "locality")
    assert found.geometry.equals(with_streets.set_index("name").geometry["Söråker"])


def test_streets_far_apart_are_no_crossing(with_streets: gpd.GeoDataFrame) -> None:
    matcher = build_matcher(with_streets, municipality=MUNICIPALITY)
    found = matcher.match("Larm om trafikolycka på Centrumvägen/Syrenvägen.")
    assert (found.place, found.precision) == ("Centrumvägen", "street")


def test_real_events_with_streets(shared_data: Path, with_streets: gpd.GeoDataFrame,
                                  placed: gpd.GeoDataFrame) -> None:
    events = parse_events(read_events(shared_data / TIMRA_EVENTS), origin=TIMRA_EVENTS)
    out = geocode_events(events, with_streets, municipality=MUNICIPALITY).set_index("event_id")
    before = placed.set_index("event_id")
    assert (out["precision"] != "municipality").sum() >= (
        before["precision"] != "municipality").sum()
    assert out.loc[421635, "precision"] == "street"  # Järnvägsgatan i Vivsta
    assert out.loc[429908, "precision"] == "street"  # Järnvägsgatan, Vivsta
    assert out.loc[442080, "place"] == "Syrenvägen/Södra Fagerviksvägen"
    assert out.loc[442080].geometry.equals(Point(CROSSING))
    # Events naming no street of the frame are placed as before.
    same = ~out.index.isin([421635, 429908, 442080, 483389, 506913, 506914, 462945])
    assert (out.loc[same, "place"] == before.loc[same, "place"]).all()


# --- county-level events and summaries ----------------------------------------------------------

def _raw(event_id: int, event_type: str, summary: str, *, area: str = "Västernorrlands län",
         gps: str = "63.427647,17.729244") -> dict[str, object]:
    return {"id": event_id, "datetime": "2024-03-01 7:16:00 +01:00", "type": event_type,
            "name": f"01 mars 07:01, {event_type}, {area}", "summary": summary,
            "url": "/x/", "location": {"name": area, "gps": gps}}


def test_county_events(gazetteer: gpd.GeoDataFrame) -> None:
    events = parse_events([
        _raw(1, "Trafikkontroll", "Västernorrland, resultat från trafikkontroller i dag."),
        _raw(2, "Trafikkontroll", "Hastighetskontroll på E4 vid Sörberge."),
        _raw(3, "Trafikkontroll", "Kontroll i Birsta."),  # a gazetteer place outside Timrå
        _raw(4, "Trafikkontroll", "Timrå och Sundsvall, ett urval av polisens arbete"),
        _raw(5, "Trafikkontroll", "Kontroll vid Sörberge.", area="Skåne län",
             gps="55.99,13.59"),
    ], origin="inline")
    out = geocode_events(events, gazetteer, municipality=MUNICIPALITY,
                         county="Västernorrlands län")
    assert out["precision"].tolist() == ["lan", "locality", "lan", "municipality", "lan"]
    assert out["place"].tolist() == ["Västernorrlands län", "Sörberge", "Västernorrlands län",
                                     MUNICIPALITY, "Skåne län"]
    assert out["municipality"].tolist() == ["Västernorrlands län", MUNICIPALITY,
                                            "Västernorrlands län", MUNICIPALITY, "Skåne län"]
    lon, lat = shapely.get_coordinates(out.to_crs("EPSG:4326").geometry.values[:1])[0]
    assert (round(lat, 6), round(lon, 6)) == (63.427647, 17.729244)  # the county's centre
    assert out.loc[1].geometry.equals(gazetteer.set_index("name").geometry["Sörberge"])
    assert out.loc[1, "road"] == "E4"
    # Without the county, county events are not matched at all.
    plain = geocode_events(events, gazetteer, municipality=MUNICIPALITY)
    assert set(plain["precision"]) == {"lan"}


def test_summaries_naming_several_places(gazetteer: gpd.GeoDataFrame) -> None:
    events = parse_events([
        _raw(10, "Sammanfattning natt", "Ett urval av nattens polisverksamhet."),
        _raw(11, "Sammanfattning natt",
             "Ett urval av nattens händelser. Inbrott i en villa i Sörberge. "
             "Bråk utanför en pub i Vivsta."),
        _raw(12, "Sammanfattning kväll och natt", "Bråk i Sörberge och i Vivsta under natten."),
        _raw(13, "Sammanfattning natt", "Lugn natt. En bil stulen i Söråker."),
    ], origin="inline")
    out = geocode_events(events, gazetteer, municipality=MUNICIPALITY,
                         county="Västernorrlands län")
    assert out["event_id"].tolist() == [10, 11, 12, 13]
    assert out["precision"].tolist() == ["lan", "several", "several", "locality"]
    assert out.loc[1, "place"] == "Sörberge, Vivsta"
    assert out.loc[2, "place"] == "Sörberge, Vivsta"
    assert out.loc[3, "place"] == "Söråker"
    timra = gazetteer.set_index("name").geometry["Timrå"]
    assert out.loc[1].geometry.equals(timra)  # not a location, like municipality precision

    split = geocode_events(events, gazetteer, municipality=MUNICIPALITY,
                           county="Västernorrlands län", split_summaries=True)
    assert split["event_id"].tolist() == [10, 11, 11, 12, 13]
    assert split["part"].tolist() == [0, 1, 2, 0, 0]
    parts = split[split["event_id"] == 11]
    assert parts["place"].tolist() == ["Sörberge", "Vivsta"]
    assert parts["precision"].tolist() == ["locality", "locality"]
    assert parts["summary"].tolist() == ["Inbrott i en villa i Sörberge.",
                                         "Bråk utanför en pub i Vivsta."]
    assert split.loc[3, "precision"] == "several"  # one sentence, two places: not split


def test_real_county_events(shared_data: Path, gazetteer: gpd.GeoDataFrame) -> None:
    """The 1,016 real county-level events of Västernorrland 2022-2024 (652 "Sammanfattning
    natt", 318 "Trafikkontroll", …): their texts name the county or other municipalities
    ("Härnösand och Sundsvall, …", "Ulvvik, …") and the API's summaries are only the first
    sentence ("Ett urval av nattens polisverksamhet."), so none is placed in Timrå or split."""
    sweden = shared_data / "polisen_events_sweden_2022_2024.jsonl.gz"
    if not sweden.is_file():
        pytest.skip(f"{sweden} is missing")
    raw = [e for e in read_events(sweden)
           if (e.get("location") or {}).get("name") == "Västernorrlands län"]
    events = parse_events(raw, origin=sweden.name)
    assert len(events) == 1016 and events["type"].map(is_summary).sum() == 655
    out = geocode_events(events, gazetteer, municipality=MUNICIPALITY,
                         county="Västernorrlands län", split_summaries=True)
    assert out["event_id"].tolist() == events["event_id"].tolist()
    assert (out["part"] == 0).all()
    assert (out["precision"] == "lan").all()
    assert (out["municipality"] == "Västernorrlands län").all()
