"""The coverage answers are the result types themselves: the API's JSON holds exactly the fields
the OpenAPI schema documents, which are the dataclasses' fields less those marked
``NOT_IN_ANSWER``; the zones' and roads' GeoJSON is built as a mapping equal to the text form."""

from __future__ import annotations

import json
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
