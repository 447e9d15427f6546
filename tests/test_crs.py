"""SWEREF 99 local zones: the ranges in geo.crs recomputed, E/N columns that must name their CRS."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo.crs import (
    LOCAL_EASTING_SWEDEN_M, LOCAL_ZONES, TM_EASTING_SWEDEN_M, central_meridian, en_crs,
    local_zone, zones_containing,
)
from geo.errors import ImportRejected
from geo.io import read_layer_file
from geo.layers import layer_spec

BOUNDARIES = Path(__file__).resolve().parent.parent / "data" / "sweden" / "municipalities.geojson"


@pytest.fixture(scope="module")
def sweden() -> shapely.Geometry:
    return shapely.union_all(gpd.read_file(BOUNDARIES).geometry.values)


def test_zone_definitions_match_pyproj() -> None:
    for epsg, name in LOCAL_ZONES.items():
        params = pyproj.CRS.from_epsg(epsg).to_json_dict()["conversion"]["parameters"]
        values = {p["name"]: p["value"] for p in params}
        assert values["Longitude of natural origin"] == central_meridian(epsg)
        assert values["False easting"] == 150_000
        assert values["Scale factor at natural origin"] == 1
        assert pyproj.CRS.from_epsg(epsg).name.replace("SWEREF99", "SWEREF 99") == name


def test_easting_ranges_are_those_of_sweden(sweden: shapely.Geometry) -> None:
    tm = gpd.GeoSeries([sweden], crs="EPSG:4326").to_crs("EPSG:3006").total_bounds
    lo, hi = TM_EASTING_SWEDEN_M
    assert lo < tm[0] < lo + 10_000 and hi - 10_000 < tm[2] < hi
    local = []
    for epsg in LOCAL_ZONES:
        area = pyproj.CRS.from_epsg(epsg).area_of_use
        assert area is not None
        part = shapely.intersection(sweden, shapely.box(*area.bounds))
        local.append(gpd.GeoSeries([part], crs="EPSG:4326").to_crs(epsg).total_bounds)
    smallest, largest = min(b[0] for b in local), max(b[2] for b in local)
    assert LOCAL_EASTING_SWEDEN_M[0] < smallest < LOCAL_EASTING_SWEDEN_M[0] + 1_000
    assert LOCAL_EASTING_SWEDEN_M[1] - 1_000 < largest < LOCAL_EASTING_SWEDEN_M[1]
    assert largest > lo  # the ambiguity band 260-290 km is real


def test_the_issue_example_lands_in_norway_as_tm_and_off_timra_in_3014() -> None:
    as_tm = pyproj.Transformer.from_crs(3006, 4326, always_xy=True).transform(230_000, 6_950_000)
    as_1715 = pyproj.Transformer.from_crs(3014, 4326, always_xy=True).transform(230_000, 6_950_000)
    assert as_tm == pytest.approx((9.74, 62.58), abs=0.01)
    assert as_1715 == pytest.approx((18.81, 62.65), abs=0.01)


def test_local_zone_of_known_municipal_choices() -> None:
    # The zones these municipalities state on their web sites.
    assert local_zone(17.32, 62.49) == 3014  # Timrå
    assert local_zone(17.31, 62.39) == 3014  # Sundsvall
    assert local_zone(17.94, 62.63) == 3014  # Härnösand
    assert local_zone(14.54, 61.00) == 3009  # Mora
    assert local_zone(21.69, 65.82) == 3017  # Boden
    assert zones_containing(17.32, 62.49) == [3014, 3015]
    with pytest.raises(ImportRejected, match="är inte i Sverige"):
        local_zone(2.35, 48.86)


def test_en_crs_keeps_tm_and_refuses_local_and_ambiguous_eastings() -> None:
    def crs(east: float, north: float) -> str:
        return en_crs(np.array([east]), np.array([north]), origin="k.csv", east_column="E",
                      north_column="N")

    assert crs(618_500, 6_929_700) == "EPSG:3006"  # Timrå in TM
    assert crs(280_000, 6_540_000) == "EPSG:3006"  # Strömstad in TM: in the band, fits no zone
    with pytest.raises(ImportRejected) as info:
        crs(230_000, 6_950_000)
    text = str(info.value)
    assert "k.csv: kolumnerna 'E'/'N'" in text and "230 000 m" in text
    assert "--crs EPSG:3014" in text
    assert "EPSG:3014 (SWEREF 99 17 15) kring 18,81° O 62,65° N" in text
    assert "EPSG:3013" not in text  # 230 km is outside 15 45's area at that latitude
    with pytest.raises(ImportRejected) as info:
        crs(150_000, 6_930_000)  # on any zone's meridian: every zone whose area reaches 62.5° N
    assert [z for z in LOCAL_ZONES if f"EPSG:{z} " in str(info.value)] == [3012, 3013, 3014, 3015]
    with pytest.raises(ImportRejected, match="utanför Sverige som SWEREF 99 TM"):
        crs(275_000, 7_400_000)  # 10° E in TM (Norway), 23° E in 20 15


def test_csv_in_timras_zone_needs_its_crs(tmp_path: Path) -> None:
    path = tmp_path / "kontroller.csv"
    path.write_text("E;N;status\n230000;6950000;planerad\n", encoding="utf-8")
    spec = layer_spec("traffic_checks")
    with pytest.raises(ImportRejected, match=r"kontroller.csv: kolumnerna 'E'/'N'.*EPSG:3014"):
        read_layer_file(path, spec)
    gdf = read_layer_file(path, spec, crs="EPSG:3014")
    web = gdf.to_crs("EPSG:4326").geometry.iloc[0]
    assert (round(web.x, 2), round(web.y, 2)) == (18.81, 62.65)


def test_csv_columns_that_name_their_crs(tmp_path: Path) -> None:
    spec = layer_spec("traffic_checks")
    path = tmp_path / "zon.csv"
    path.write_text("e_3014;n_3014;status\n150000;6930000;planerad\n", encoding="utf-8")
    gdf = read_layer_file(path, spec)
    assert gdf.crs.to_epsg() == 3014 and list(gdf.columns) == ["status", "geometry"]
    with pytest.raises(ImportRejected, match="anger EPSG:3014 men importen anger EPSG:3006"):
        read_layer_file(path, spec, crs="EPSG:3006")
    path.write_text("easting_epsg3006,northing_epsg3006\n618500,6929700\n", encoding="utf-8")
    assert read_layer_file(path, spec).crs.to_epsg() == 3006
    path.write_text("e_3014;n_3006\n150000;6930000\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="olika koordinatsystem"):
        read_layer_file(path, spec)
    path.write_text("wkt_3014;status\nPOINT (150000 6930000);planerad\n", encoding="utf-8")
    point = read_layer_file(path, spec).to_crs("EPSG:4326").geometry.iloc[0]
    assert (round(point.x, 2), round(point.y, 2)) == (17.25, 62.48)


def test_every_municipality_in_tm_is_taken_and_in_its_zone_is_refused() -> None:
    from geo.municipalities import municipality

    codes = gpd.read_file(BOUNDARIES)["id"].astype(str)
    unlisted = []
    for code in codes:
        m = municipality(code)
        tm = shapely.get_coordinates(m.boundary_3006)
        assert en_crs(tm[:, 0], tm[:, 1], origin=m.name, east_column="E",
                      north_column="N") == "EPSG:3006"
        local = pyproj.Transformer.from_crs(3006, m.local_epsg, always_xy=True).transform(
            tm[:, 0], tm[:, 1])
        with pytest.raises(ImportRejected) as info:
            en_crs(*local, origin=m.name, east_column="E", north_column="N")
        if f"EPSG:{m.local_epsg} " not in str(info.value):
            unlisted.append(m.name)
    # Larger than their zone's area of use: other zones hold more of them.
    assert sorted(unlisted) == ["Jokkmokk", "Vilhelmina"]
