"""Gazetteer entries from real sources (geo.gazetteer_sources), on small frames and files shaped
like the real layers: NVDB_DKGatunamn, GDAL's OSM driver layers and GSD-Ortnamn's ``ortnamn``."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Point, box

from geo.errors import ImportRejected, ValidationFailed
from geo.gazetteer import write_gazetteer
from geo.gazetteer_sources import (
    NVDB_STREETS_SOURCE,
    ORTNAMN_SOURCE,
    OSM_SOURCE,
    gazetteer_from_ortnamn,
    gazetteer_from_osm,
    merge_gazetteers,
    osm_tags,
    places_from_ortnamn,
    places_from_osm,
    streets_from_nvdb,
    streets_from_osm,
)
from geo.layers import layer_spec

# Around Vivsta and Sörberge in Timrå, SWEREF 99 TM.
VIVSTA_PART = [LineString([(619700, 6930500), (619850, 6930600)]),
               LineString([(619850, 6930600), (620000, 6930700)])]
SORBERGE_PART = LineString([(620700, 6932400), (620900, 6932500)])


def nvdb_gatunamn(field: str = "NAMN") -> gpd.GeoDataFrame:
    """A street-name layer as Lastkajen's Shape files have it: RLID, STARTAVST, SLUTAVST, NAMN."""
    return gpd.GeoDataFrame({
        "RLID": ["1000:1", "1000:2", "1000:3", "1000:4", "1000:5"],
        "STARTAVST": [0.0, 0.0, 0.0, 0.0, 0.0],
        "SLUTAVST": [1.0, 1.0, 1.0, 1.0, 1.0],
        field: ["Järnvägsgatan", "Järnvägsgatan", "Järnvägsgatan", "STORGATAN", "-1"],
    }, geometry=[*VIVSTA_PART, SORBERGE_PART,
                 LineString([(619000, 6930000), (619100, 6930000)]),
                 LineString([(619000, 6931000), (619100, 6931000)])], crs="EPSG:3006")


def test_nvdb_streets_one_entry_per_name(tmp_path: Path) -> None:
    path = tmp_path / "nvdb.gpkg"
    nvdb_gatunamn().to_file(path, layer="NVDB_DKGatunamn")
    streets = streets_from_nvdb(pyogrio.read_dataframe(path, layer="NVDB_DKGatunamn"))
    assert list(streets.columns) == layer_spec("gazetteer").field_names + ["geometry"]
    assert streets.crs.to_epsg() == 3006
    assert sorted(streets["name"]) == ["Järnvägsgatan", "Storgatan"]  # "-1" is no name
    assert (streets["kind"] == "street").all() and (streets["provenance"] == "real").all()
    assert (streets["source"] == NVDB_STREETS_SOURCE).all()
    street = streets.set_index("name").geometry["Järnvägsgatan"]
    # The two touching Vivsta segments are merged; the Sörberge part stays apart.
    assert street.geom_type == "MultiLineString" and len(street.geoms) == 2
    assert street.length == pytest.approx(sum(p.length for p in [*VIVSTA_PART, SORBERGE_PART]))
    # Its precision covers both parts: the name alone does not say which is meant.
    assert streets.set_index("name").loc["Järnvägsgatan", "precision_m"] > 1000
    assert streets.set_index("name").loc["Storgatan", "precision_m"] == 50.0


def test_nvdb_geopackage_field_name_and_boundary() -> None:
    streets = streets_from_nvdb(nvdb_gatunamn("Namn").to_crs("EPSG:4326"),
                                boundary=box(619500, 6930400, 620100, 6930800))
    assert streets["name"].tolist() == ["Järnvägsgatan"]
    assert streets.crs.to_epsg() == 3006


def test_nvdb_without_name_field_is_refused() -> None:
    with pytest.raises(ImportRejected, match="NVDB_DKGatunamn: kolumnen 'Namn'"):
        streets_from_nvdb(nvdb_gatunamn().rename(columns={"NAMN": "GATA"}))


def _osm_file(path: Path) -> None:
    """A small OSM XML extract: two ways of one street, a footway without name, a place node."""
    to_wgs = Transformer.from_crs("EPSG:3006", "EPSG:4326", always_xy=True)
    coords = {1: (619700, 6930500), 2: (619850, 6930600), 3: (620000, 6930700),
              4: (619000, 6930000), 5: (619100, 6930000), 6: (619853, 6930586)}
    nodes = []
    for nid, (e, n) in coords.items():
        lon, lat = to_wgs.transform(e, n)
        tags = ('<tag k="place" v="suburb"/><tag k="name" v="Vivsta"/>'
                '<tag k="alt_name" v="Wifsta;Vivsta by"/>' if nid == 6 else "")
        nodes.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{tags}</node>')
    ways = [
        '<way id="10" version="1"><nd ref="1"/><nd ref="2"/>'
        '<tag k="highway" v="residential"/><tag k="name" v="Järnvägsgatan"/></way>',
        '<way id="11" version="1"><nd ref="2"/><nd ref="3"/>'
        '<tag k="highway" v="residential"/><tag k="name" v="Järnvägsgatan"/></way>',
        '<way id="12" version="1"><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>',
    ]
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
                    + "\n".join(nodes + ways) + "\n</osm>\n", encoding="utf-8")


def test_osm_streets_and_places_through_gdal(tmp_path: Path) -> None:
    path = tmp_path / "extract.osm"
    _osm_file(path)
    lines = pyogrio.read_dataframe(path, layer="lines")
    points = pyogrio.read_dataframe(path, layer="points")
    streets = streets_from_osm(lines)
    assert streets["name"].tolist() == ["Järnvägsgatan"]
    assert streets.geometry.iloc[0].geom_type == "LineString"  # the two ways merged
    assert streets.geometry.iloc[0].length == pytest.approx(2 * VIVSTA_PART[0].length, rel=1e-3)
    assert (streets["source"] == OSM_SOURCE).all()
    places = places_from_osm(points)
    assert places["name"].tolist() == ["Vivsta"]
    row = places.iloc[0]
    assert (row["kind"], row["precision_m"], row["aliases"]) == ("suburb", 700.0,
                                                                 ["Wifsta", "Vivsta by"])
    assert row.geometry.distance(Point(619853, 6930586)) < 0.5


def test_osm_tags() -> None:
    assert osm_tags('"alt_name"=>"A \\"B\\"","population"=>"12"') == {
        "alt_name": 'A "B"', "population": "12"}
    assert osm_tags(None) == {} and osm_tags("") == {}


def ortnamn_layer() -> gpd.GeoDataFrame:
    """GSD-Ortnamn's ``ortnamn`` layer: ortnamn, detaljtyp, sprak, kommunkod, lanskod."""
    return gpd.GeoDataFrame({
        "lopnr": [1, 2, 3, 4, 5],
        "ortnamn": ["Sörberge", "Sörberge", "Timrå kyrka", "Indalsälven", "Birsta"],
        "detaljtyp": ["BEBTX", "BEBTX", "KYRKATX", "VATTDRTX", "BEBTÄTTX"],
        "sprak": ["SV"] * 5,
        "kommunkod": ["2262", "2262", "2262", "2262", "2281"],
        "lanskod": ["22"] * 5,
    }, geometry=[Point(620774, 6932465), Point(620874, 6932465), Point(619500, 6929700),
                 Point(621000, 6930000), Point(617000, 6927000)], crs="EPSG:3006")


def test_ortnamn_places_of_a_municipality(tmp_path: Path) -> None:
    path = tmp_path / "GSD-Ortnamn.gpkg"
    ortnamn_layer().to_file(path, layer="ortnamn")
    places = places_from_ortnamn(pyogrio.read_dataframe(path, layer="ortnamn"),
                                 kommunkod="2262")
    by_name = places.set_index("name")
    assert sorted(places["name"]) == ["Sörberge", "Timrå kyrka"]  # no river, not Sundsvall's
    assert by_name.loc["Timrå kyrka", "kind"] == "landmark"
    assert by_name.loc["Sörberge", "kind"] == "village"
    assert by_name.geometry["Sörberge"].geom_type == "MultiPoint"
    assert (places["source"] == ORTNAMN_SOURCE).all()


def test_merge_keeps_the_first_entry_and_the_aliases() -> None:
    hand = gpd.GeoDataFrame({
        "name": ["Vivsta", "Midlanda"], "aliases": [["Vivsta centrum"], []],
        "kind": ["district", "landmark"], "precision_m": [500.0, 200.0],
        "basis": ["estimated", "stated"], "inside_municipality": [True, True],
        "roads": [["E4"], ["E4"]], "provenance": ["real", "real"], "source": ["hand", "hand"],
    }, geometry=[Point(619853, 6930586), Point(625000, 6935000)], crs="EPSG:3006")
    hand.attrs["gazetteer_roads"] = [{"ref": "E4", "passes": ["Vivsta"]}]
    osm = places_from_osm(gpd.GeoDataFrame(
        {"name": ["vivsta"], "place": ["suburb"],
         "other_tags": ['"alt_name"=>"Wifsta"']},
        geometry=[Point(619900, 6930600)], crs="EPSG:3006"))
    merged = merge_gazetteers(osm, hand)
    assert merged["name"].tolist() == ["vivsta", "Midlanda"]
    row = merged.iloc[0]
    assert row.geometry.equals(Point(619900, 6930600)) and row["kind"] == "suburb"
    assert row["aliases"] == ["Wifsta", "Vivsta centrum"] and row["roads"] == ["E4"]
    assert merged.attrs["gazetteer_roads"] == hand.attrs["gazetteer_roads"]
    assert merge_gazetteers(hand, osm)["kind"].tolist() == ["district", "landmark"]
    assert shapely.equals(merge_gazetteers(hand, osm).geometry.values, hand.geometry.values).all()


def test_files_read_within_the_boundary(tmp_path: Path) -> None:
    osm = tmp_path / "extract.osm"
    _osm_file(osm)
    both = gazetteer_from_osm(osm)
    assert sorted(both["name"]) == ["Järnvägsgatan", "Vivsta"]
    assert set(both["kind"]) == {"street", "suburb"}
    away = gazetteer_from_osm(osm, boundary=box(610000, 6920000, 611000, 6921000))
    assert away.empty and list(away.columns) == list(both.columns)
    gpkg = tmp_path / "GSD-Ortnamn.gpkg"
    ortnamn_layer().to_file(gpkg, layer="ortnamn")
    assert sorted(gazetteer_from_ortnamn(gpkg, kommunkod="2262")["name"]) == [
        "Sörberge", "Timrå kyrka"]
    near = gazetteer_from_ortnamn(gpkg, boundary=box(619000, 6929000, 620000, 6930000))
    assert near["name"].tolist() == ["Timrå kyrka"]
    with pytest.raises(ImportRejected, match="layer ortnamn: filen går inte att läsa"):
        gazetteer_from_ortnamn(osm)


def test_gazetteer_file_refuses_streets(tmp_path: Path) -> None:
    streets = streets_from_nvdb(nvdb_gatunamn())
    with pytest.raises(ValidationFailed, match="2 poster är inga punkter"):
        write_gazetteer(streets, tmp_path / "gazetteer.json")
    assert not (tmp_path / "gazetteer.json").exists()
