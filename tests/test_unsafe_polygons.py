"""Unsafe places drawn as areas (issue 12): an unsafe place may be a polygon as well as a point
(the layer's geometry types), and every consumer of the layer takes one: the hotspot grid and
its page, the overview map, the report (JSON, HTML, PDF, workbook), the layer's exports, the OGC
items, moderation's likely duplicates and the public follow-up (Följ med), where the area is
counted at and shown by a point inside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from services.tips import form_token
from store.accounts import add_user
from tests.conftest import SECRET, auth, copy_store
from trygg.settings import Settings

PERIOD = "from=2024-10-01&to=2024-12-31"
# A square of about 110 × 50 m by Timrå's square, with a hole, and a two-part area by Vivsta.
SQUARE = [[17.3280, 62.4860], [17.3300, 62.4860], [17.3300, 62.4865], [17.3280, 62.4865],
          [17.3280, 62.4860]]
HOLE = [[17.3287, 62.4861], [17.3293, 62.4861], [17.3293, 62.4864], [17.3287, 62.4861]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE, HOLE]}
MULTI = {"type": "MultiPolygon", "coordinates": [
    [[[17.3000, 62.4700], [17.3010, 62.4700], [17.3010, 62.4706], [17.3000, 62.4700]]],
    [[[17.3030, 62.4700], [17.3040, 62.4700], [17.3040, 62.4706], [17.3030, 62.4700]]]]}
TEXT = "Mörk gång mellan husen vid torget"


class Served:
    def __init__(self, client: TestClient, tokens: dict[str, str], ids: list[int]) -> None:
        self.client, self.tokens, self.ids = client, tokens, ids

    def get(self, path: str, role: str = "admin") -> Any:
        answer = self.client.get(path, headers=auth(self.tokens[role]))
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
        return answer


@pytest.fixture(scope="module")
def served(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The demo with two unsafe places drawn as areas (one with a hole, one in two parts)."""
    path = tmp_path_factory.mktemp("unsafe-polygons") / "trygg.sqlite"
    store = copy_store(demo_template, path)
    settings = Settings(db=path, demo=False, secret=SECRET)
    tokens = {role: add_user(store, f"up-{role}", role, secret=SECRET)
              for role in ("admin", "rad", "planerare", "patrullchef")}
    with TestClient(create_app(settings, store=store)) as client:
        ids = []
        for geometry, when in ((POLYGON, "2024-11-03T20:00:00+01:00"),
                               (MULTI, "2024-10-12T18:00:00+02:00")):
            made = client.post("/api/layers/unsafe_places", headers=auth(tokens["admin"]), json={
                "type": "Feature", "geometry": geometry,
                "properties": {"category": "belysning", "description": TEXT,
                               "reported_at": when, "report_source": "trygghetsvandring"}})
            assert made.status_code == 201, made.text
            ids.append(made.json()["ids"][0])
        yield Served(client, tokens, ids)
    store.close()


def test_the_areas_are_kept_as_drawn(served: Served) -> None:
    for fid, geometry in zip(served.ids, (POLYGON, MULTI), strict=True):
        got = served.get(f"/api/layers/unsafe_places/{fid}").json()
        shape = shapely.geometry.shape(got["geometry"])
        assert shape.geom_type == geometry["type"] and shape.is_valid
        assert shape.equals_exact(shapely.geometry.shape(geometry), tolerance=1e-6)


def test_the_hotspots_count_an_area_once_at_a_point_inside_it(served: Served) -> None:
    base = "/api/hotspots?from=2024-10-01&to=2024-12-31&layer=unsafe_places&category=belysning"
    answer = served.get(base).json()
    points = [p for p in answer["points"] if p["description"] == TEXT]
    assert len(points) == 2
    areas = [shapely.geometry.shape(POLYGON), shapely.geometry.shape(MULTI)]
    for point in points:
        assert any(area.contains(shapely.Point(point["lon"], point["lat"])) for area in areas)
    # Every belysning place of the window counts once in the cells, the areas too.
    layer = served.get("/api/layers/unsafe_places").json()["features"]
    window = [f for f in layer if f["properties"]["category"] == "belysning"
              and "2024-10-01" <= f["properties"]["reported_at"][:10] <= "2024-12-31"]
    total = sum(cell["properties"]["total"] for cell in answer["features"])
    assert total + answer["outside_ignored"] == len(window)
    square_cells = [cell for cell in answer["features"] if shapely.geometry.shape(
        cell["geometry"]).contains(shapely.Point(points[0]["lon"], points[0]["lat"]))]
    assert len(square_cells) == 1 and square_cells[0]["properties"]["total"] >= 1
    council = served.get(base, "rad").json()
    assert sum(cell["properties"]["total"] for cell in council["features"]) == total
    assert served.get(base + "&density=true").json()["density"]
    page = served.get("/kartor/otrygga-platser?from=2024-10-01&to=2024-12-31").text
    assert "Otrygga platser" in page


def test_maps_report_and_exports_take_an_area(served: Served) -> None:
    overview = served.get("/kartor/oversikt").text
    assert TEXT in overview
    report = served.get(f"/api/rapport?{PERIOD}").json()
    assert report["sections"]
    html = served.get(f"/api/rapport?{PERIOD}&format=html")
    assert "<svg" in html.text
    pdf = served.get(f"/api/rapport?{PERIOD}&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert served.get(f"/api/rapport.xlsx?{PERIOD}").content.startswith(b"PK")
    for fmt in ("geojson", "gpkg", "csv", "xlsx", "gpx"):
        body = served.get(f"/api/layers/unsafe_places/export?format={fmt}").content
        assert len(body) > 100, fmt
    csv = served.get("/api/layers/unsafe_places/export?format=csv&dialect=rfc4180").text
    assert TEXT in csv and "POLYGON" in csv.upper()
    gpx = served.get("/api/layers/unsafe_places/export?format=gpx").text
    for fid in served.ids:  # one waypoint per area, at a point inside it
        assert f"<name>Otrygga platser {fid}:" in gpx
    items = served.get("/ogc/collections/unsafe_places/items?limit=1000").json()
    assert {"Polygon", "MultiPolygon"} <= {f["geometry"]["type"] for f in items["features"]}
    served.get("/api/export.gpkg")


def test_moderation_and_the_public_follow_up_take_an_area(served: Served) -> None:
    # A fresh area by the square, and a tip from inside it: its likely duplicate (distance 0).
    yesterday = (pd.Timestamp.now(tz="Europe/Stockholm") - pd.Timedelta(days=1)).isoformat()
    made = served.client.post("/api/layers/unsafe_places", headers=auth(served.tokens["admin"]),
                              json={"type": "Feature", "geometry": POLYGON, "properties": {
                                  "category": "belysning", "description": "Ny mörk gång",
                                  "reported_at": yesterday}})
    assert made.status_code == 201, made.text
    fresh = made.json()["ids"][0]
    tip = served.client.post("/api/tyck-till", json={
        "category": "belysning", "description": "Mörkt i gången vid torget", "lat": 62.48625,
        "lon": 17.3290, "form_token": form_token(SECRET, issued_at_s=time.time() - 60),
        "website": ""})
    assert tip.status_code == 201, tip.text
    queue = served.get("/api/moderering").json()
    (ours,) = [t for t in queue if t["description"] == "Mörkt i gången vid torget"]
    near = {d["id"]: d["distance_m"] for d in ours["duplicates"] if d["kind"] == "unsafe_place"}
    assert near.get(fresh) == 0.0  # the area holds the tip
    kept = served.client.post(f"/api/rapporter?{PERIOD}", headers=auth(served.tokens["rad"]))
    assert kept.status_code == 201, kept.text
    published = served.client.post(f"/api/rapporter/{kept.json()['id']}/publicera",
                                   headers=auth(served.tokens["admin"]))
    assert published.status_code == 201, published.text
    public = served.client.get("/api/folj-med").json()
    shown = [shapely.Point(f["geometry"]["coordinates"]) for f in public["places"]["features"]]
    assert all(f["geometry"]["type"] == "Point" for f in public["places"]["features"])
    for area in (shapely.geometry.shape(POLYGON), shapely.geometry.shape(MULTI)):
        # Each area once, as a point inside it (rounded to the public's precision).
        assert sum(area.distance(p) < 1e-4 for p in shown) == 1
    page = served.client.get("/folj-med")
    assert page.status_code == 200
