"""Paging and entity tags of ``GET /api/layers/{layer}`` (issue 15), and ``Store.read_page``
against the viewer filter."""

from __future__ import annotations

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from services.access import viewer_frame
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from tests.test_ogc import HIDDEN_LAYERS, VIVSTA, _add_hidden
from trygg.settings import Settings


@pytest.fixture
def paged(demo_store: Store, settings: Settings):
    _add_hidden(demo_store)
    tokens = {role: add_user(demo_store, f"p-{role}", role, secret=SECRET)
              for role in ("planerare", "rad", "admin")}
    with TestClient(create_app(settings, store=demo_store)) as client:
        yield client, tokens


@pytest.mark.parametrize("layer", HIDDEN_LAYERS)
@pytest.mark.parametrize("role", ["rad", "planerare", "admin"])
def test_pages_follow_link_headers_and_count_what_the_viewer_sees(paged, demo_store: Store,
                                                                  layer: str, role: str) -> None:
    client, tokens = paged
    expected = viewer_frame(layer, demo_store.read(layer), role)
    ids: list[int] = []
    url: str | None = f"/api/layers/{layer}?limit=5"
    while url:
        answer = client.get(url, headers=auth(tokens[role]))
        doc = answer.json()
        assert doc["numberMatched"] == len(expected) and doc["numberReturned"] <= 5
        ids += [f["id"] for f in doc["features"]]
        link = answer.headers.get("link", "")
        url = next((part.split(";")[0].strip()[1:-1] for part in link.split(",")
                    if 'rel="next"' in part), None)
    assert ids == list(expected.index)
    whole = client.get(f"/api/layers/{layer}", headers=auth(tokens[role]))
    assert "link" not in whole.headers and "numberMatched" not in whole.json()  # as before
    assert [f["id"] for f in whole.json()["features"]] == ids


def test_etag_304_and_change_after_a_write(paged) -> None:
    client, tokens = paged
    h = auth(tokens["rad"])
    for url in ("/api/layers/unsafe_places", "/api/layers/unsafe_places?limit=3&offset=2"):
        first = client.get(url, headers=h)
        tag = first.headers["etag"]
        assert client.get(url, headers={**h, "If-None-Match": tag}).status_code == 304
        assert client.get(url, headers={**h, "If-None-Match": f'"x", W/{tag}'}
                          ).status_code == 304
        police = client.get(url, headers={**auth(tokens["planerare"]), "If-None-Match": tag})
        assert police.status_code == 200  # another viewer class, another tag
    made = client.post("/api/layers/unsafe_places", headers=h, json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"category": "belysning", "reported_at": "2024-10-27"}})
    assert made.status_code == 201
    assert client.get(url, headers={**h, "If-None-Match": tag}).status_code == 200
    assert client.get("/api/layers/unsafe_places?limit=0", headers=h).status_code == 422
    assert client.get("/api/layers/unsafe_places?limit=10001", headers=h).status_code == 422


def test_read_page_sql_matches_the_viewer_filter_with_missing_values(store: Store) -> None:
    """NULLs and look-alike texts: the SQL rule keeps exactly what without_sensitive keeps."""
    point = gpd.GeoSeries.from_xy([VIVSTA[0]] * 4, [VIVSTA[1]] * 4, crs="EPSG:4326")
    store.insert("events", gpd.GeoDataFrame({
        "event_id": [1, 2, 3, 4], "time": ["2024-01-01T00:00:00Z"] * 4,
        "type": ["Våldtäkt, försök", "våldtäkt", "Sexuellt ofredande", "Trafikolycka"]},
        geometry=point))
    store.insert("unsafe_places", gpd.GeoDataFrame({
        "category": ["vald_i_nara_relation", "belysning", "belysning"],
        "reported_at": ["2024-01-01"] * 3, "sensitive": [False, True, False]},
        geometry=point[:3]))
    store.insert("traffic_checks", gpd.GeoDataFrame({
        "status": ["planerad", "genomford"], "start": ["2024-01-01"] * 2}, geometry=point[:2]))
    deleted = store.read("events").index[-1]
    store.delete("events", int(deleted))
    for layer in HIDDEN_LAYERS:
        expected = viewer_frame(layer, store.read(layer), "rad")
        page, matched = store.read_page(layer, limit=None, hide_sensitive=True)
        assert list(page.index) == list(expected.index) and matched == len(expected)
        assert store.count_matching(layer, hide_sensitive=True).count == len(expected)
        whole, everything = store.read_page(layer, limit=1, hide_sensitive=False)
        assert everything == store.count(layer) and len(whole) == 1
    assert store.read_page("events", limit=10, hide_sensitive=True)[1] == 1  # "våldtäkt" hidden
