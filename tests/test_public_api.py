"""The curated public Python API (``import geo``): every documented name resolves, lazily, to
the function or type of its module, and a notebook-style use runs without the web app."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
from shapely.geometry import LineString

import geo


def test_every_public_name_resolves_to_its_module() -> None:
    assert sorted(geo.__all__) == sorted(geo._HOMES)
    for name in geo.__all__:
        value = getattr(geo, name)
        assert value.__module__ == geo._HOMES[name], name
    assert {"patrol_coverage", "check_coverage", "max_coverage", "suggest_sites",
            "hotspot_analysis", "geocode_events"} <= set(geo.__all__)


def test_no_public_name_is_also_a_module() -> None:
    """A module of the same name would shadow the function once anything imports it."""
    from pathlib import Path

    modules = {p.stem for p in Path(geo.__file__).parent.glob("*.py")}
    assert not modules & set(geo.__all__)


def test_importing_geo_loads_no_method_module_and_no_web() -> None:
    code = ("import sys, geo; heavy = [m for m in ('geo.coverage', 'geo.siting', 'fastapi', "
            "'folium', 'sqlalchemy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_suggest_sites_from_the_library() -> None:
    roads = gpd.GeoDataFrame(
        {"name": ["E4", "Väg 331"], "risk_weight": [3.0, 1.0],
         "categories": [["hastighet"], ["hastighet"]]},
        geometry=[LineString([(617_000, 6_920_000), (620_000, 6_920_000)]),
                  LineString([(617_000, 6_925_000), (617_000, 6_928_000)])], crs=3006)
    result = geo.suggest_sites(roads, geo.SitingOptions(k=1, radius_m=1_000))
    assert len(result.sites) == 1
    assert result.sites.geometry.iloc[0].y == 6_920_000  # on the riskier road
