"""The coverage answers are the result types themselves: the API's JSON holds exactly the fields
the OpenAPI schema documents, which are the dataclasses' fields less those marked
``NOT_IN_ANSWER``; the zones' and roads' GeoJSON is built as a mapping equal to the text form."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from geo.coverage_figures import ZoneCoverage
from geo.geojson import feature_collection, feature_mapping
from geo.road_check_coverage import RoadChecks
from services.coverage import NOT_IN_ANSWER, CheckReport, PatrolReport
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import Settings


def answered(cls: type) -> set[str]:
    return {f.name for f in fields(cls) if f.metadata != NOT_IN_ANSWER}


def properties(spec: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return set(schema["properties"])


def test_answers_hold_exactly_the_documented_fields(demo_store: Store,
                                                    settings: Settings) -> None:
    token = add_user(demo_store, "t-chef", "patrullchef", secret=SECRET)
    with TestClient(create_app(settings, store=demo_store)) as c:
        spec = c.get("/openapi.json").json()
        patrols = c.get("/api/coverage/patrols", headers=auth(token)).json()
        checks = c.get("/api/coverage/checks", headers=auth(token)).json()
    schemas = spec["components"]["schemas"]
    ok = {path: spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
          ["schema"] for path in ("/api/coverage/patrols", "/api/coverage/checks")}
    assert properties(spec, ok["/api/coverage/patrols"]) == answered(PatrolReport) == set(patrols)
    assert properties(spec, ok["/api/coverage/checks"]) == answered(CheckReport) == set(checks)
    assert {"unreadable_times", "max_ping_gap_min"}.isdisjoint(patrols)
    assert set(schemas["ZoneCoverage"]["properties"]) == answered(ZoneCoverage) \
        == set(patrols["zones"][0])
    assert set(schemas["RoadChecks"]["properties"]) == answered(RoadChecks) \
        == set(checks["roads"][0])


def test_feature_mapping_is_the_feature_collection_text_parsed() -> None:
    ring = shapely.box(617_000, 6_929_000, 617_300, 6_929_200)
    holed = ring.difference(shapely.box(617_100, 6_929_050, 617_150, 6_929_100))
    frame = gpd.GeoDataFrame(
        {"name": ["å", None, "c"], "share": [1.5, np.nan, 2.0], "tags": [["a", "b"], [], ["c"]],
         "count": np.array([1, 2, 3], dtype=np.int64)},
        geometry=[holed, shapely.MultiPolygon([ring, shapely.box(0, 0, 1, 1)]), None],
        index=[7, 8, 9], crs=3006)
    mapped = feature_mapping(frame)
    assert json.loads(json.dumps(mapped)) == json.loads(feature_collection(frame))
    assert [f["id"] for f in mapped["features"]] == [7, 8, 9]
    assert mapped["features"][2]["geometry"] is None


def test_the_page_asks_for_the_band_coverage_its_popups_leave_out(demo_store: Store,
                                                                   settings: Settings) -> None:
    """The coverage page computes no coverage per band (its popups ask for it as they open):
    what they are given is exactly what the full figures hold, every key the page names is
    answered, and only roles that see the page get it."""
    from datetime import date
    from html import unescape

    from maps.coverage import band_cover_values
    from services.coverage import PatrolInputs, band_coverage, patrol_figures

    first, last = date(2024, 10, 28), date(2024, 11, 24)
    full = patrol_figures(demo_store, first, last)
    lazy = band_coverage(demo_store, first, last)
    assert {z.zone_id for z in full.zones} == set(lazy) and len(lazy) >= 4
    for zone in full.zones:
        shown = {(b.band, b.daytype): b.coverage_pct for b in zone.bands
                 if b.coverage_pct is not None}
        assert len(shown) == 5 and shown == lazy[zone.zone_id]  # equal, not close
    page = PatrolInputs(demo_store).figures(first, last, band_coverage=False)
    assert all(b.coverage_pct is None for z in page.zones for b in z.bands)
    assert [z.coverage_pct for z in page.zones] == [z.coverage_pct for z in full.zones]

    leader = add_user(demo_store, "bandchef", "patrullchef", secret=SECRET)
    council = add_user(demo_store, "bandrad", "rad", secret=SECRET)
    with TestClient(create_app(settings, store=demo_store)) as http:
        html = http.get("/kartor/tackning", params={"from": first.isoformat(),
                                                    "to": last.isoformat()},
                        headers=auth(leader)).text
        text = html.replace("\\u0026", "&")  # the popups are JSON text in a script
        keys = set(re.findall(r'data-key=\\?"(\d+/\w+/\w+)\\?"', text))
        sources = set(re.findall(r'data-src=\\?"([^"\\]+)\\?"', text))
        assert len(keys) == 5 * len(lazy) and len(sources) == 1
        src = unescape(sources.pop())
        assert src == f"/kartor/tackning/band?from={first}&to={last}"
        answer = http.get(src, headers=auth(leader))
        assert answer.status_code == 200
        assert answer.json()["values"] == band_cover_values(lazy)
        assert keys == set(answer.json()["values"])
        assert http.get(src, headers=auth(council)).status_code == 403
        assert http.get(src).status_code in (401, 403)
        bad = http.get("/kartor/tackning/band?from=2024-11-24&to=2024-10-28",
                       headers=auth(leader))
        assert bad.status_code == 422 and "error" in bad.json()
