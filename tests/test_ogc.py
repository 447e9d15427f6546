"""OGC API – Features under /ogc (issue 15): over real HTTP, read by GDAL's OAPIF driver
(``ogrinfo``/``ogr2ogr`` from Debian's gdal-bin) as different roles, paged through 40,000
events, and in EPSG:3014 checked against pyproj."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import requests
import shapely
from fastapi.testclient import TestClient

from api.app import create_app
from services.access import viewer_frame
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, LiveServer, auth
from trygg.settings import Settings

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="needs gdal-bin")

EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
VIVSTA = [17.32583, 62.48694]
HIDDEN_LAYERS = ("unsafe_places", "events", "traffic_checks")


def _add_hidden(store: Store) -> None:
    """Records only police roles may read, one of each kind, beside visible ones."""
    point = gpd.GeoSeries.from_xy([VIVSTA[0]], [VIVSTA[1]], crs="EPSG:4326")
    store.insert("unsafe_places", gpd.GeoDataFrame(
        {"category": ["sexualbrott"], "reported_at": ["2024-06-01T12:00:00Z"],
         "description": ["ring 070-123 45 67"]}, geometry=point))
    store.insert("unsafe_places", gpd.GeoDataFrame(
        {"category": ["belysning"], "reported_at": ["2024-06-02T12:00:00Z"],
         "sensitive": [True]}, geometry=point))
    store.insert("events", gpd.GeoDataFrame(
        {"event_id": [99_000_001], "type": ["Våldtäkt"], "time": ["2024-06-01T01:00:00Z"]},
        geometry=point))
    store.insert("traffic_checks", gpd.GeoDataFrame(
        {"status": ["planerad"], "start": ["2025-03-14T21:00:00+01:00"],
         "kinds": [["nykterhet"]]}, geometry=point))


@pytest.fixture
def ogc(demo_store: Store, settings: Settings) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    _add_hidden(demo_store)
    tokens = {role: add_user(demo_store, f"ogc-{role}", role, secret=SECRET)
              for role in ("planerare", "patrullchef", "rad", "admin")}
    with LiveServer(create_app(settings, store=demo_store)) as server:
        yield server, tokens


def _gdal(*args: str, token: str | None) -> subprocess.CompletedProcess[str]:
    header = ["--config", "GDAL_HTTP_HEADERS", f"Authorization: Bearer {token}"] if token else []
    return subprocess.run([*args, *header, "--config", "GDAL_HTTP_TIMEOUT", "120"],
                          capture_output=True, text=True, timeout=600, check=False)


def _layer_names(text: str) -> list[str]:
    return [line.split(":", 1)[1].split("(")[0].strip() for line in text.splitlines()
            if line[:1].isdigit() and ":" in line]


def test_ogrinfo_lists_the_collections_each_role_may_read(ogc) -> None:
    server, tokens = ogc
    council = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server.url}/ogc", token=tokens["rad"])
    assert council.returncode == 0, council.stderr
    patrol = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server.url}/ogc",
                   token=tokens["patrullchef"])
    assert patrol.returncode == 0, patrol.stderr
    assert "patrols" not in _layer_names(council.stdout)
    assert "patrols" in _layer_names(patrol.stdout)
    assert {"events", "unsafe_places", "traffic_checks", "risk_roads"} <= set(
        _layer_names(council.stdout))
    anonymous = _gdal("ogrinfo", "-ro", "-q", f"OAPIF:{server.url}/ogc", token=None)
    assert anonymous.returncode != 0  # outside demo mode: sign in first


def _ogr2ogr(server: LiveServer, layer: str, token: str, out: Path,
             *extra: str) -> dict:
    done = _gdal("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server.url}/ogc", layer,
                 "-preserve_fid",
                 *extra, token=token)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


@pytest.mark.parametrize("layer", HIDDEN_LAYERS)
def test_gdal_reads_what_each_role_may_see(ogc, demo_store: Store, tmp_path: Path,
                                           layer: str) -> None:
    server, tokens = ogc
    seen = {}
    for role in ("rad", "planerare"):
        doc = _ogr2ogr(server, layer, tokens[role], tmp_path / f"{role}.json")
        expected = viewer_frame(layer, demo_store.read(layer), role)
        assert sorted(f["id"] for f in doc["features"]) == sorted(expected.index)
        seen[role] = {f["id"] for f in doc["features"]}
    hidden = set(demo_store.read(layer).index) - set(
        viewer_frame(layer, demo_store.read(layer), "rad").index)
    assert hidden and hidden <= seen["planerare"] and not hidden & seen["rad"]
    info = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{server.url}/ogc", layer, token=tokens["rad"])
    assert f"Feature Count: {len(seen['rad'])}" in info.stdout, info.stdout


def test_council_gets_scrubbed_text_and_no_planned_checks(ogc, tmp_path: Path) -> None:
    server, tokens = ogc
    doc = _ogr2ogr(server, "traffic_checks", tokens["rad"], tmp_path / "rad.json")
    assert {f["properties"]["status"] for f in doc["features"]} <= {"genomford"}
    police = _ogr2ogr(server, "unsafe_places", tokens["planerare"], tmp_path / "p.json")
    texts = [f["properties"].get("description") or "" for f in police["features"]]
    assert any("[telefonnummer borttaget]" in t for t in texts)
    assert not any("070-123 45 67" in t for t in texts)


def _synthetic_events(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(15)
    x = rng.uniform(600_000, 640_000, n)
    y = rng.uniform(6_920_000, 6_950_000, n)
    kinds = np.where(np.arange(n) % 10 == 0, "Våldtäkt", "Trafikolycka")
    times = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(np.arange(n) * 600, unit="s")
    return gpd.GeoDataFrame({"event_id": np.arange(1, n + 1), "type": kinds, "time": times,
                             "name": [f"Händelse {i}" for i in range(n)],
                             "summary": "Syntetisk händelse för provet", "provenance": "simulated",
                             "source": "tests/test_ogc.py"},
                            geometry=gpd.GeoSeries.from_xy(x, y, crs="EPSG:3006"))


@pytest.fixture
def many_events(settings: Settings, tmp_path: Path) -> Iterator[tuple[LiveServer, dict, Store]]:
    store = Store.open(tmp_path / "many.sqlite")
    store.insert("events", _synthetic_events(40_000), audit="import")
    tokens = {role: add_user(store, f"many-{role}", role, secret=SECRET)
              for role in ("rad", "planerare")}
    with LiveServer(create_app(settings, store=store)) as server:
        yield server, tokens, store
    store.close()


def test_gdal_pages_through_40000_events(many_events, tmp_path: Path) -> None:
    server, tokens, _ = many_events
    started = time.monotonic()
    police = _ogr2ogr(server, "events", tokens["planerare"], tmp_path / "police.json",
                      "-oo", "PAGE_SIZE=10000")
    took = time.monotonic() - started
    ids = [f["id"] for f in police["features"]]
    assert len(ids) == 40_000 and len(set(ids)) == 40_000
    council = _ogr2ogr(server, "events", tokens["rad"], tmp_path / "rad.json",
                       "-oo", "PAGE_SIZE=5000")
    assert len(council["features"]) == 36_000  # every tenth is a sexual offence
    assert not any(f["properties"]["type"].startswith("Våldtäkt") for f in council["features"])
    info = _gdal("ogrinfo", "-ro", "-so", f"OAPIF:{server.url}/ogc", "events",
                 token=tokens["rad"])
    assert "Feature Count: 36000" in info.stdout, info.stdout
    print(f"\nogr2ogr, 40,000 events in pages of 10,000: {took:.1f} s")


def test_default_page_is_small_and_links_page_through(many_events) -> None:
    server, tokens, _ = many_events
    with requests.Session() as http:
        http.headers.update(auth(tokens["rad"]))
        first = http.get(f"{server.url}/ogc/collections/events/items")
        doc = first.json()
        assert first.status_code == 200 and doc["numberReturned"] == 100
        assert doc["numberMatched"] == 36_000
        assert first.headers["content-type"].startswith("application/geo+json")
        started = time.monotonic()
        legacy = http.get(f"{server.url}/api/layers/events")
        legacy_s = time.monotonic() - started
        print(f"\na page of 100 events: {len(first.content) / 1000:.0f} kB; the whole layer "
              f"through /api/layers/events: {len(legacy.content) / 1e6:.1f} MB, {legacy_s:.1f} s")
        # following next links from the last pages reaches the end and no further
        last = http.get(f"{server.url}/ogc/collections/events/items",
                        params={"offset": 35_900, "limit": 60}).json()
        rels = {link["rel"]: link["href"] for link in last["links"]}
        tail = http.get(rels["next"]).json()
        assert tail["numberReturned"] == 40 and "next" not in {k["rel"] for k in tail["links"]}
        big = http.get(f"{server.url}/ogc/collections/events/items", params={"limit": 50_000})
        assert big.json()["numberReturned"] == 10_000  # clamped to the maximum, not an error


def test_epsg_3014_read_matches_pyproj(ogc, demo_store: Store) -> None:
    server, tokens = ogc
    with requests.Session() as http:
        http.headers.update(auth(tokens["planerare"]))
        answer = http.get(f"{server.url}/ogc/collections/events/items",
                          params={"crs": EPSG.format(3014), "limit": 50})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-crs"] == f"<{EPSG.format(3014)}>"
        one = http.get(f"{server.url}/ogc/collections/events/items/1",
                       params={"crs": EPSG.format(3014)})
    doc = answer.json()
    stored = demo_store.read("events").loc[[f["id"] for f in doc["features"]]]
    forward = pyproj.Transformer.from_crs("EPSG:3006", "EPSG:3014")  # authority order: N, E
    north, east = forward.transform(shapely.get_y(stored.geometry.values),
                                    shapely.get_x(stored.geometry.values))
    got = np.array([f["geometry"]["coordinates"] for f in doc["features"]])
    assert np.allclose(got[:, 0], north, atol=0.002) and np.allclose(got[:, 1], east, atol=0.002)
    assert 6_900_000 < got[0, 0] < 7_000_000 and 100_000 < got[0, 1] < 200_000  # 17 15: E ≈ 150 km
    assert one.json()["geometry"]["coordinates"] == pytest.approx(got[0].tolist(), abs=0.002)


@pytest.fixture
def http(demo_store: Store, settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    _add_hidden(demo_store)
    tokens = {role: add_user(demo_store, f"h-{role}", role, secret=SECRET)
              for role in ("planerare", "rad", "admin")}
    with TestClient(create_app(settings, store=demo_store)) as client:
        yield client, tokens


def test_landing_conformance_and_collection(http) -> None:
    client, tokens = http
    h = auth(tokens["rad"])
    landing = client.get("/ogc", headers=h).json()
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"].endswith("/openapi.json")
    assert client.get("/ogc?f=json", headers=h).status_code == 200
    assert client.get("/ogc?f=html", headers=h).status_code == 400
    classes = client.get("/ogc/conformance", headers=h).json()["conformsTo"]
    assert {c.rsplit("/", 1)[1] for c in classes} == {"core", "geojson", "oas30", "crs"}
    events = client.get("/ogc/collections/events", headers=h).json()
    assert events["storageCrs"] == EPSG.format(3006) and EPSG.format(3014) in events["crs"]
    assert events["extent"]["temporal"]["interval"][0][0].startswith("20")
    minlon, minlat, maxlon, maxlat = events["extent"]["spatial"]["bbox"][0]
    assert 16 < minlon < maxlon < 18.5 and 62 < minlat < maxlat < 63
    assert client.get("/ogc/collections/patrols", headers=h).status_code == 403
    assert client.get("/ogc/collections/nope", headers=h).status_code == 404
    assert client.get("/ogc").status_code == 401  # anonymous outside demo mode
    openapi = client.get("/openapi.json").json()
    assert "/ogc/collections/{layer}/items" in openapi["paths"]


@pytest.mark.parametrize("layer", HIDDEN_LAYERS)
@pytest.mark.parametrize("role", ["rad", "planerare", "admin"])
def test_number_matched_is_what_the_viewer_sees(http, demo_store: Store, layer: str,
                                                role: str) -> None:
    client, tokens = http
    expected = viewer_frame(layer, demo_store.read(layer), role)
    ids: list[int] = []
    url: str | None = f"/ogc/collections/{layer}/items?limit=7"
    while url:
        doc = client.get(url, headers=auth(tokens[role])).json()
        assert doc["numberMatched"] == len(expected)
        ids += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
    assert ids == list(expected.index)


def test_hidden_item_is_the_same_404_as_a_missing_one(http, demo_store: Store) -> None:
    client, tokens = http
    planned = demo_store.read("traffic_checks", where={"status": "planerad"}).index[0]
    assert client.get(f"/ogc/collections/traffic_checks/items/{planned}",
                      headers=auth(tokens["planerare"])).status_code == 200
    hidden = client.get(f"/ogc/collections/traffic_checks/items/{planned}",
                        headers=auth(tokens["rad"]))
    missing = client.get("/ogc/collections/traffic_checks/items/999999",
                         headers=auth(tokens["rad"]))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"].replace(str(planned), "N") == \
        missing.json()["error"].replace("999999", "N")


def test_datetime_instants_and_intervals(http, demo_store: Store) -> None:
    client, tokens = http
    h = auth(tokens["planerare"])
    times = demo_store.read("events")["time"]

    def matched(value: str) -> int:
        answer = client.get("/ogc/collections/events/items",
                            params={"datetime": value, "limit": 1}, headers=h)
        assert answer.status_code == 200, answer.text
        return answer.json()["numberMatched"]

    cut = pd.Timestamp("2024-01-01T00:00:00Z")
    assert matched("../2024-01-01T00:00:00Z") == (times <= cut).sum()
    assert matched("2024-01-01T00:00:00Z/..") == (times >= cut).sum()
    assert matched("2024-01-01T00:00:00Z/") == (times >= cut).sum()
    lo, hi = pd.Timestamp("2024-03-01T00:00:00Z"), pd.Timestamp("2024-06-30T23:00:00Z")
    assert matched("2024-03-01T00:00:00Z/2024-06-30T23:00:00Z") == \
        ((times >= lo) & (times <= hi)).sum()
    one = times.iloc[3]
    assert matched(one.strftime("%Y-%m-%dT%H:%M:%SZ")) == (times == one).sum() >= 1
    day = one.tz_convert("Europe/Stockholm").strftime("%Y-%m-%d")  # a bare date: its Swedish day
    local = times.dt.tz_convert("Europe/Stockholm").dt.strftime("%Y-%m-%d")
    assert matched(day) == (local == day).sum()
    assert client.get("/ogc/collections/risk_roads/items", params={"datetime": "2024-01-01"},
                      headers=h).json()["numberMatched"] == 0  # no time field: nothing meets it
    for bad in ("igår", "2024-02-01/2024-01-01", "../..", "2024-13-45"):
        answer = client.get("/ogc/collections/events/items", params={"datetime": bad},
                            headers=h)
        assert answer.status_code == 400 and set(answer.json()) == {"error", "code", "details"}, bad


def test_bbox_in_crs84_and_in_sweref(http, demo_store: Store) -> None:
    client, tokens = http
    h = auth(tokens["planerare"])
    stored = demo_store.read("events")
    box = (17.28, 62.46, 17.36, 62.50)
    window = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:3006", always_xy=True) \
        .transform_bounds(*box, densify_pts=21)
    inside = stored.cx[window[0]:window[2], window[1]:window[3]]
    doc = client.get("/ogc/collections/events/items", headers=h,
                     params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    assert 0 < doc["numberMatched"] == len(inside) < len(stored)
    # the same window given in EPSG:3006 (axis order northing, easting)
    e0, n0, e1, n1 = window
    sweref = client.get("/ogc/collections/events/items", headers=h, params={
        "bbox": f"{n0},{e0},{n1},{e1}", "bbox-crs": EPSG.format(3006), "limit": 1000}).json()
    assert sweref["numberMatched"] == len(inside)
    assert client.get("/ogc/collections/events/items", headers=h,
                      params={"bbox": "1,2,3"}).status_code == 400
    assert client.get("/ogc/collections/events/items", headers=h,
                      params={"crs": "EPSG:9999"}).status_code == 400
    assert client.get("/ogc/collections/events/items", headers=h,
                      params={"skräp": "1"}).status_code == 400
    assert client.get("/ogc/collections/events/items", headers=h,
                      params={"limit": "0"}).status_code == 400


def test_items_etag_and_304(http, demo_store: Store) -> None:
    client, tokens = http
    url = "/ogc/collections/unsafe_places/items?limit=5"
    first = client.get(url, headers=auth(tokens["rad"]))
    tag = first.headers["etag"]
    again = client.get(url, headers={**auth(tokens["rad"]), "If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    police = client.get(url, headers={**auth(tokens["planerare"]), "If-None-Match": tag})
    assert police.status_code == 200 and police.headers["etag"] != tag  # another viewer class
    other_page = client.get(url + "&offset=5", headers={**auth(tokens["rad"]),
                                                         "If-None-Match": tag})
    assert other_page.status_code == 200
    made = client.post("/api/layers/unsafe_places", headers=auth(tokens["rad"]), json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"category": "belysning", "reported_at": "2024-10-27"}})
    assert made.status_code == 201
    after = client.get(url, headers={**auth(tokens["rad"]), "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert after.json()["numberMatched"] == first.json()["numberMatched"] + 1


def test_anonymous_in_demo_mode_reads_like_the_public(demo_store: Store,
                                                      settings: Settings) -> None:
    _add_hidden(demo_store)
    demo = settings.model_copy(update={"demo": True})
    with TestClient(create_app(demo, store=demo_store)) as client:
        names = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
        assert "patrols" not in names and "activities" not in names and "events" in names
        doc = client.get("/ogc/collections/traffic_checks/items?limit=1000").json()
        assert doc["numberMatched"] == len(viewer_frame(
            "traffic_checks", demo_store.read("traffic_checks"), None))
        assert all(f["properties"]["status"] != "planerad" for f in doc["features"])
        assert client.get("/ogc/collections/patrols/items").status_code == 401
