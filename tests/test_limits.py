"""Input bounds: body size on every route, JSON depth and feature counts, GeoPackage views and
triggers, CSV columns and upload file names. Each hostile input is refused with a clear message
naming the limit, in the one error shape, and quickly (speed figures live in bench/, the
timings below are only generous ceilings against a parse that runs away)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from geo.errors import ImportRejected
from geo.geojson import JsonDepthScanner, frame_from_geojson, json_depth
from geo.layers import layer_spec
from geo.io import read_layer_file
from store import Store
from tests.conftest import auth
from cli import cli

POINT = {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [17.33, 62.49]}}


def _fc(n: int) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [POINT] * n}).encode()


def test_depth_scanner_ignores_strings_and_escapes_across_chunks() -> None:
    text = b'{"a": [1, [2]], "b": "[[[[\\"[[{", "c": "\\\\"}'
    assert json_depth(text) == 3 and json.loads(text)["c"] == "\\"
    scanner = JsonDepthScanner()
    for i in range(len(text)):  # one byte at a time: escapes and strings split everywhere
        scanner.feed(text[i:i + 1])
    assert scanner.max_depth == 3 and scanner.depth == 0
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000


def test_deep_json_body_is_422_not_a_crash(client: TestClient, tokens: dict[str, str]) -> None:
    started = time.perf_counter()
    response = client.post("/api/layers/traffic_checks", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={**auth(tokens["planerare"]),
                                    "content-type": "application/json"})
    assert response.status_code == 422
    assert set(response.json()) == {"error", "code", "details"}
    assert "64 levels" in response.json()["error"]
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "content_type", "body"), [
    ("/api/layers/traffic_checks", "application/json", _fc(70_000)),  # about 6 MB
    ("/logga-in", "application/x-www-form-urlencoded", b"token=" + b"x" * 6_000_000),
])
def test_large_body_is_413(client: TestClient, tokens: dict[str, str], streamed: bool,
                           path: str, content_type: str, body: bytes) -> None:
    assert len(body) > 5_000_000  # the default TRYGG_MAX_BODY_MB is 5

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for i in range(0, len(body), 65_536):
            yield body[i:i + 65_536]

    response = client.post(path, content=chunks() if streamed else body,
                           headers={**auth(tokens["planerare"]), "content-type": content_type})
    assert response.status_code == 413, response.text
    assert set(response.json()) == {"error", "code", "details"}
    assert "TRYGG_MAX_BODY_MB" in response.json()["error"]


def test_declared_large_body_is_refused_unread_on_any_route(client: TestClient) -> None:
    response = client.post("/api/health", content=b"x" * 6_000_000)
    assert response.status_code == 413


def test_upload_may_be_larger_than_a_body(client: TestClient, tokens: dict[str, str]) -> None:
    rows = "lat,lon,place\n" + "".join(f"62.4{i % 10},17.3,{'x' * 60}\n" for i in range(90_000))
    assert len(rows) > 5_000_000
    response = client.post("/api/layers/traffic_checks/import", headers=auth(tokens["admin"]),
                           files={"file": ("many.csv", rows.encode())})
    assert response.status_code != 413, response.text


def test_feature_count_limit_names_it() -> None:
    with pytest.raises(ImportRejected, match="högst 3"):
        frame_from_geojson(json.loads(_fc(4)), origin="x.geojson", max_features=3)


def test_deep_geojson_file_is_a_clear_cli_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.geojson"
    path.write_bytes(b'{"type":"FeatureCollection","features":' + b"[" * 100_000
                     + b"]" * 100_000 + b"}")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "t.sqlite"), "import",
                                      "traffic_checks", str(path)])
    assert result.exit_code == 1
    assert "Fel: deep.geojson: JSON i 100\u00a0001 nivåer; högst 64" in result.output
    assert "Traceback" not in result.output
    assert time.perf_counter() - started < 5


def _gpkg_with_view(path: Path, rows: int) -> None:
    """A small GeoPackage whose only layer is a view expanding to ``rows`` rows."""
    gdf = gpd.GeoDataFrame({"place": ["a"]}, geometry=[shapely.Point(620_000, 6_925_000)],
                           crs="EPSG:3006")
    gdf.to_file(path, layer="seed", driver="GPKG")
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE VIEW many AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
            WHERE i < {rows}) SELECT i AS fid, seed.geom AS geom, 'x' AS place FROM n, seed;
        INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
            VALUES ('many', 'features', 'many', 3006);
        INSERT INTO gpkg_geometry_columns VALUES ('many', 'geom', 'POINT', 3006, 0, 0);
        DELETE FROM gpkg_contents WHERE table_name = 'seed';
    """)
    conn.commit()
    conn.close()


def test_geopackage_view_is_refused_before_gdal_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "view.gpkg"
    _gpkg_with_view(path, 300_000)
    assert path.stat().st_size < 200_000
    started = time.perf_counter()
    with pytest.raises(ImportRejected, match="lagret 'many' är en vy"):
        read_layer_file(path, layer_spec("traffic_checks"))
    assert time.perf_counter() - started < 5


def test_geopackage_with_own_trigger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trigger.gpkg"
    gdf = gpd.GeoDataFrame({"place": ["a"]}, geometry=[shapely.Point(620_000, 6_925_000)],
                           crs="EPSG:3006")
    gdf.to_file(path, layer="traffic_checks", driver="GPKG")
    plain = read_layer_file(path, layer_spec("traffic_checks"))  # GDAL's own triggers are fine
    assert len(plain) == 1
    conn = sqlite3.connect(path)
    conn.execute("CREATE TRIGGER sneaky AFTER INSERT ON traffic_checks BEGIN "
                 "DELETE FROM traffic_checks; END")
    conn.commit()
    conn.close()
    with pytest.raises(ImportRejected, match="triggern 'sneaky'"):
        read_layer_file(path, layer_spec("traffic_checks"))


def test_csv_with_100000_columns_is_refused_quickly(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(100_000)) + "\n"
                    + ",".join("1" for _ in range(100_000)) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ImportRejected, match="100\u00a0000 kolumner; högst 500"):
        read_layer_file(path, layer_spec("traffic_checks"))
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("name", ["..", ".", "a" * 300 + ".csv", "x/y.csv", "..\\y.csv"])
def test_odd_upload_names_are_422(client: TestClient, tokens: dict[str, str],
                                  name: str) -> None:
    response = client.post("/api/layers/traffic_checks/import", headers=auth(tokens["admin"]),
                           files={"file": (name, b"lat,lon\n62.4,17.3\n")})
    assert response.status_code == 422, response.text
    assert "filnamnet" in response.json()["error"]


@pytest.mark.parametrize("crs_name", ["urn:ogc:def:crs:EPSG::99999", "bogus", "x" * 500])
def test_bad_legacy_crs_member_is_422(client: TestClient, tokens: dict[str, str],
                                      crs_name: str) -> None:
    doc = {"type": "FeatureCollection", "features": [POINT],
           "crs": {"type": "name", "properties": {"name": crs_name}}}
    response = client.post("/api/layers/traffic_checks/import", headers=auth(tokens["admin"]),
                           files={"file": ("crs.geojson", json.dumps(doc).encode())})
    assert response.status_code == 422, response.text
    assert "medlemmen 'crs'" in response.json()["error"]


def test_bad_crs_form_value_is_422(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/api/layers/traffic_checks/import", headers=auth(tokens["admin"]),
                           data={"crs": "EPSG:99999"},
                           files={"file": ("p.csv", b"lat,lon\n62.4,17.3\n")})
    assert response.status_code == 422, response.text
    assert "inget känt koordinatsystem" in response.json()["error"]
