"""A municipality from its kommunkod: Timrå and Sundsvall from the shipped 290 boundaries."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyproj
import pytest
import shapely

from geo.errors import NotFound
from geo.layers import layer_spec
from geo.municipalities import BOUNDARIES_FILE, COUNTIES, municipality
from geo.validate import prepare_features

ROOT = Path(__file__).resolve().parent.parent


def test_timra() -> None:
    m = municipality("2262")
    assert (m.kommunkod, m.name, m.county_code, m.county) == (
        "2262", "Timrå", "22", "Västernorrlands län")
    assert (m.local_epsg, m.local_crs, m.local_zone_name) == (3014, "EPSG:3014",
                                                               "SWEREF 99 17 15")
    # The same boundary the demo ships (data/timra/boundary.geojson, same source).
    demo = gpd.read_file(ROOT / "data" / "timra" / "boundary.geojson").to_crs(3006)
    assert shapely.equals_exact(m.boundary_3006, demo.geometry.iloc[0], tolerance=0.01)
    centre = shapely.centroid(m.boundary_3006)
    lon, lat = pyproj.Transformer.from_crs(3006, 4326, always_xy=True).transform(centre.x,
                                                                                  centre.y)
    assert (m.centre_lon, m.centre_lat) == pytest.approx((lon, lat))
    west, south, east, north = m.extent_wgs84
    assert west < 17.32 < east and south < 62.49 < north  # Timrå's centre
    assert (east - west, north - south) == pytest.approx((0.88, 0.49), abs=0.01)


def test_sundsvall_and_its_zone() -> None:
    m = municipality("2281")
    assert (m.name, m.county, m.local_crs) == ("Sundsvall", "Västernorrlands län", "EPSG:3014")
    assert m.boundary_3006.area / 1e6 == pytest.approx(3_754, abs=1)
    assert not m.boundary_3006.intersection(municipality("2262").boundary_3006).area > 1e3


def test_every_municipality_has_a_county_and_zone() -> None:
    codes = gpd.read_file(BOUNDARIES_FILE)["id"].astype(str)
    assert len(codes) == 290
    zones = {municipality(code).local_epsg for code in codes}
    assert zones == set(range(3007, 3019))  # all twelve zones are used
    assert {municipality(code).county_code for code in codes} == set(COUNTIES)


def test_boundary_layer_validates() -> None:
    layer = municipality("2281").boundary_layer()
    ready = prepare_features(layer_spec("boundaries"), layer, origin="kommun")
    assert list(ready["kommunkod"]) == ["2281"] and list(ready["provenance"]) == ["real"]


def test_unknown_code() -> None:
    with pytest.raises(NotFound, match="okänd kommunkod '9999'.*290 kommuner.*fyra siffror"):
        municipality("9999")
    with pytest.raises(NotFound, match="Sundsvall har kommunkod 2281"):
        municipality("sundsvall")
