"""Trygg's methods as a Python library: pure functions on GeoDataFrames in SWEREF 99 TM.

Use them without the web app, in a notebook or another tool::

    import geo
    period = geo.make_period("2024-09-01", "2024-11-30")
    figures = geo.patrol_coverage(tracks, zones, period=period)
    sites = geo.suggest_sites(roads, geo.SitingOptions(k=5, radius_m=1500))

Every frame is in EPSG:3006 (``geo.to_work`` reprojects); results are dataclasses and
GeoDataFrames. The web app, the store and the maps build on exactly these functions. The names
load on first use, so importing one module of ``geo`` does not load them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The public methods and option types, and the module each lives in.
_HOMES = {
    "patrol_coverage": "geo.coverage", "CoverageEngine": "geo.coverage",
    "CoverageOptions": "geo.coverage_options",
    "check_coverage": "geo.road_check_coverage",
    "max_coverage": "geo.mclp", "Spacing": "geo.mclp", "SolverOptions": "geo.mclp",
    "suggest_sites": "geo.siting", "SitingOptions": "geo.siting",
    "RotationOptions": "geo.siting",
    "weekly_plan": "geo.schedule",
    "hotspot_analysis": "geo.hotspots", "HotspotOptions": "geo.hotspots",
    "geocode_events": "geo.geocode",
    "reweight_roads": "geo.road_risk",
    "read_nvdb": "geo.nvdb",
    "municipality": "geo.municipalities",
    "Period": "geo.periods", "make_period": "geo.periods",
    "local_zone": "geo.crs", "to_work": "geo.crs",
}
__all__ = [  # the same names as _HOMES (a test checks)
    "CoverageEngine", "CoverageOptions", "HotspotOptions", "Period", "RotationOptions",
    "SitingOptions", "SolverOptions", "Spacing", "check_coverage", "geocode_events",
    "hotspot_analysis", "local_zone", "make_period", "max_coverage", "municipality",
    "patrol_coverage", "read_nvdb", "reweight_roads", "suggest_sites", "to_work", "weekly_plan",
]

if TYPE_CHECKING:
    from geo.coverage import CoverageEngine, patrol_coverage
    from geo.coverage_options import CoverageOptions
    from geo.crs import local_zone, to_work
    from geo.geocode import geocode_events
    from geo.hotspots import HotspotOptions, hotspot_analysis
    from geo.mclp import SolverOptions, Spacing, max_coverage
    from geo.municipalities import municipality
    from geo.nvdb import read_nvdb
    from geo.periods import Period, make_period
    from geo.road_check_coverage import check_coverage
    from geo.road_risk import reweight_roads
    from geo.schedule import weekly_plan
    from geo.siting import RotationOptions, SitingOptions, suggest_sites


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'geo' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
