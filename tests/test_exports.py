"""Exports the GIS and office tools read right (issue 15): CSV for Swedish Excel and RFC 4180,
.xlsx, a GeoPackage with every layer, DATETIME columns and QGIS styles (checked with GDAL's
ogrinfo and read back with pyogrio), the API's export routes as each role may read them, and the
OpenAPI security schemes behind Swagger's "Authorize"."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from geo.io import write_layer_file
from geo.layers import LAYERS
from store import Store
from store.accounts import add_user
from services.imports import import_layer_file
from tests.conftest import SECRET, auth
from cli import cli
from trygg.settings import Settings

VIVSTA = [17.32583, 62.48694]
ARENA = [17.35, 62.50583]
FORMULA = '=HYPERLINK("http://evil.example","klick")'
# 2024-10-27: the clocks go back at 01:00 UTC, so 00:30 and 01:30 UTC are both 02:30 in Sweden.
SUMMER_0230, WINTER_0230 = "2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z"


def _checks(store: Store) -> None:
    """Two performed checks in the repeated autumn hour, one with a formula for a place."""
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
         "properties": {"status": "genomford", "start": SUMMER_0230, "end": WINTER_0230,
                        "kinds": ["hastighet", "nykterhet"], "place": "Vivsta, åäö ÅÄÖ",
                        "checked": 41, "precision_m": 12.5}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ARENA},
         "properties": {"status": "genomford", "start": WINTER_0230, "kinds": ["allman"],
                        "place": FORMULA, "checked": 7}}]}
    store.insert("traffic_checks", gpd_from(doc), origin="test", provenance="real",
                 source="Test")


def gpd_from(doc: dict):
    from geo.geojson import frame_from_geojson

    return frame_from_geojson(doc, origin="test", crs="EPSG:4326")


@pytest.fixture
def checks_store(store: Store) -> Store:
    _checks(store)
    return store


# --- CSV -----------------------------------------------------------------------------------------

def test_csv_for_swedish_excel(tmp_path: Path, checks_store: Store) -> None:
    out = write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                           tmp_path / "kontroller.csv", csv_dialect="excel")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads å, ä and ö"
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows[0]["place"] == "Vivsta, åäö ÅÄÖ"
    assert rows[0]["start"] == "2024-10-27T02:30:00+02:00"  # Swedish summer time
    assert rows[0]["end"] == "2024-10-27T02:30:00+01:00"  # the same clock time, an hour later
    assert rows[1]["start"] == "2024-10-27T02:30:00+01:00"
    assert rows[0]["precision_m"] == "12,5" and rows[0]["checked"] == "41"  # decimal comma
    assert rows[0]["lat"].startswith("62,48694") and rows[0]["lon"].startswith("17,32583")
    assert rows[0]["kinds"] == "hastighet,nykterhet"
    assert rows[1]["place"] == "'" + FORMULA  # formula neutralised
    assert ";=" not in text and "\n=" not in text


def test_csv_rfc4180_stays_plain(tmp_path: Path, checks_store: Store) -> None:
    out = write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                           tmp_path / "kontroller.csv", csv_dialect="rfc4180")
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert rows[0]["start"] == "2024-10-27T02:30:00+02:00"  # Swedish time with its offset
    assert rows[0]["end"] == "2024-10-27T02:30:00+01:00"  # the repeated hour, told apart
    assert rows[0]["precision_m"] == "12.5" and rows[0]["lat"].startswith("62.48694")
    assert rows[1]["place"] == "'" + FORMULA
    with pytest.raises(Exception, match="okänd CSV-dialekt"):
        write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                         tmp_path / "x.csv", csv_dialect="semikolon")


def _plain(values: pd.Series) -> list:
    return [None if not isinstance(v, list) and pd.isna(v) else v for v in values]


@pytest.mark.parametrize("dialect", ["excel", "rfc4180"])
def test_both_csv_dialects_import_back(tmp_path: Path, checks_store: Store, dialect: str) -> None:
    out = write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                           tmp_path / f"{dialect}.csv", csv_dialect=dialect)
    other = Store.open(tmp_path / "other.sqlite")
    import_layer_file(other, "traffic_checks", out)
    a, b = checks_store.read("traffic_checks"), other.read("traffic_checks")
    for column in ("start", "end", "kinds", "checked", "precision_m", "status"):
        assert _plain(a[column]) == _plain(b[column]), column
    assert b["place"].tolist() == ["Vivsta, åäö ÅÄÖ", "'" + FORMULA]  # stays neutralised
    moved = a.geometry.reset_index(drop=True).distance(b.geometry.reset_index(drop=True))
    assert (moved < 0.05).all()
    other.close()


def test_gpx_waypoints_carry_their_swedish_times(tmp_path: Path, checks_store: Store) -> None:
    out = write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                           tmp_path / "kontroller.gpx")
    text = out.read_text(encoding="utf-8")
    assert text.count("<wpt") == 2
    assert "<desc>2024-10-27 02:30–02:30 svensk tid</desc>" in text  # 00:30Z to 01:30Z
    assert "<desc>2024-10-27 02:30 svensk tid</desc>" in text  # no end


def test_csv_import_takes_the_separator_from_the_header(tmp_path: Path, store: Store) -> None:
    """A Swedish Excel file: ';' between fields, decimal commas and comma lists in the rows."""
    path = tmp_path / "vagar.csv"
    path.write_bytes(("\ufeffname;risk_weight;risk_categories;wkt\r\n"
                      "Vägen;3,5;hastighet,rattfylleri;LINESTRING (17.32583 62.48694, 17.35 "
                      "62.50583)\r\n").encode("utf-8"))
    import_layer_file(store, "risk_roads", path)
    row = store.read("risk_roads").iloc[0]
    assert row["name"] == "Vägen" and row["risk_weight"] == 3.5
    assert row["risk_categories"] == ["hastighet", "rattfylleri"]


# --- Excel ---------------------------------------------------------------------------------------

def test_xlsx_has_typed_cells_frozen_bold_headers_and_provenance(tmp_path: Path,
                                                                  checks_store: Store) -> None:
    when = pd.Timestamp("2024-11-05T09:15:00Z")
    out = write_layer_file(checks_store.read("traffic_checks"), LAYERS["traffic_checks"],
                           tmp_path / "kontroller.xlsx", exported_at=when)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Trafikkontroller", "Om data"]
    sheet = book["Trafikkontroller"]
    headers = [c.value for c in sheet[1]]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(headers)).column_letter}3"
    assert sheet.column_dimensions["A"].width >= 8
    col = {h: i + 1 for i, h in enumerate(headers)}
    assert "Start (svensk tid)" in col and "Slut (svensk tid)" in col
    start = sheet.cell(2, col["Start (svensk tid)"])
    assert start.value == datetime(2024, 10, 27, 2, 30) and start.is_date
    assert sheet.cell(3, col["Start (svensk tid)"]).value == datetime(2024, 10, 27, 2, 30)
    assert sheet.cell(2, col["Kontrollerade"]).value == 41
    assert sheet.cell(2, col["Lägesosäkerhet (m)"]).value == 12.5
    assert sheet.cell(2, col["Latitud (WGS84)"]).data_type == "n"
    assert sheet.cell(2, col["Plats"]).value == "Vivsta, åäö ÅÄÖ"
    formula = sheet.cell(3, col["Plats"])
    assert formula.value == FORMULA and formula.data_type == "s"
    with zipfile.ZipFile(out) as archive:  # no cell anywhere is a formula
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode() and "<f " not in \
                    archive.read(name).decode()
    about = [[c for c in row] for row in book["Om data"].iter_rows(values_only=True)]
    assert ["Exporterad (svensk tid)", datetime(2024, 11, 5, 10, 15)] == list(about[1][:2])
    layer_rows = [row for row in about if row and row[1] == "traffic_checks"]
    assert layer_rows and layer_rows[0][2] == 2 and layer_rows[0][3] == "verklig 2"
    assert layer_rows[0][4] == "Test"


# --- every layer: GeoPackage and workbook ---------------------------------------------------------

@pytest.fixture
def cli_run(demo_store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TRYGG_DB", str(settings.db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli, list(args), catch_exceptions=False)


def _ogrinfo(*args: str) -> str:
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian gdal-bin) is needed; make test installs it"
    done = subprocess.run([ogrinfo, *args], capture_output=True, text=True, check=True)
    assert "Warning" not in done.stderr, done.stderr
    return done.stdout


def test_all_layers_gpkg_with_datetimes_and_qgis_styles(tmp_path: Path, cli_run,
                                                         demo_store: Store) -> None:
    out = tmp_path / "alla.gpkg"
    result = cli_run("export", "--all", str(out))
    assert result.exit_code == 0, result.output
    listing = _ogrinfo(str(out))
    for layer in LAYERS:
        assert f": {layer} (" in listing, layer
    assert "layer_styles (None)" in listing
    fields = _ogrinfo("-so", str(out), "traffic_checks")
    assert "start: DateTime" in fields and "created_at: DateTime" in fields
    assert "SWEREF99 TM" in fields and f"Feature Count: {demo_store.count('traffic_checks')}" \
        in fields
    assert "reported_at: DateTime" in _ogrinfo("-so", str(out), "unsafe_places")
    styles_info = _ogrinfo("-so", str(out), "layer_styles")
    for column in ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column",
                   "styleName", "styleQML", "styleSLD", "useAsDefault", "description", "owner",
                   "ui", "update_time"):
        assert f"{column}:" in styles_info, column
    # Read back with pyogrio: real datetimes, lists as JSON text, EPSG:3006.
    checks = pyogrio.read_dataframe(out, layer="traffic_checks")
    assert checks.crs.to_epsg() == 3006
    assert pd.api.types.is_datetime64_any_dtype(checks["start"])
    stored = demo_store.read("traffic_checks")
    assert sorted(checks["start"].dropna()) == sorted(stored["start"].dropna())
    assert json.loads(checks["kinds"].iloc[0]) == stored["kinds"].iloc[0]
    styles = pyogrio.read_dataframe(out, layer="layer_styles", read_geometry=False)
    assert sorted(styles["f_table_name"]) == sorted(LAYERS)
    assert styles["useAsDefault"].astype(bool).all()
    assert set(styles["f_geometry_column"]) == {"geom"}
    by_layer = dict(zip(styles["f_table_name"], styles["styleQML"], strict=True))
    renderers = {}
    for layer, qml in by_layer.items():
        root = ET.fromstring(qml.split("\n", 1)[1])
        renderers[layer] = root.find("renderer-v2")
    assert renderers["risk_roads"].get("type") == "graduatedSymbol"
    assert renderers["risk_roads"].get("attr") == "risk_weight"
    assert renderers["unsafe_places"].get("attr") == "category"
    zone_fill = renderers["patrol_zones"].find(".//Option[@name='style']")
    assert zone_fill is not None and zone_fill.get("value") == "no"  # outlined
    assert {s.get("type") for s in renderers["risk_roads"].iter("symbol")} == {"line"}
    assert {s.get("type") for s in renderers["traffic_checks"].iter("symbol")} == {"marker"}
    # The export imports back (the layer named after the target layer is picked).
    other = Store.open(tmp_path / "other.sqlite")
    import_layer_file(other, "risk_roads", out)
    assert other.count("risk_roads") == demo_store.count("risk_roads")
    other.close()


def test_all_layers_xlsx_and_cli_errors(tmp_path: Path, cli_run) -> None:
    out = tmp_path / "alla.xlsx"
    assert cli_run("export", "--all", str(out)).exit_code == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert len(book.sheetnames) == len(LAYERS) + 1 and book.sheetnames[-1] == "Om data"
    assert cli_run("export", "--all", str(tmp_path / "alla.csv")).exit_code == 1
    single = tmp_path / "vagar.csv"
    assert cli_run("export", "risk_roads", str(single)).exit_code == 0
    assert single.read_bytes().startswith(b"\xef\xbb\xbf")  # Swedish Excel by default
    plain = tmp_path / "vagar_rfc.csv"
    assert cli_run("export", "--csv-dialect", "rfc4180", "risk_roads", str(plain)).exit_code == 0
    assert plain.read_text(encoding="utf-8").startswith("id,name,")


# --- the API -------------------------------------------------------------------------------------

@pytest.fixture
def api(demo_store: Store, settings: Settings):
    tokens = {role: add_user(demo_store, f"x-{role}", role, secret=SECRET)
              for role in ("planerare", "patrullchef", "rad", "admin")}
    with TestClient(create_app(settings, store=demo_store)) as client:
        yield client, tokens


def _gpkg_tables(content: bytes, tmp_path: Path, name: str) -> dict[str, pd.DataFrame]:
    path = tmp_path / name
    path.write_bytes(content)
    return {str(layer): pyogrio.read_dataframe(path, layer=str(layer))
            for layer, _ in pyogrio.list_layers(path) if layer != "layer_styles"}


def test_api_gpkg_holds_what_each_role_may_read(tmp_path: Path, api, demo_store: Store) -> None:
    client, tokens = api
    planned = client.post("/api/layers/traffic_checks", headers=auth(tokens["planerare"]), json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"status": "planerad", "start": "2025-03-14T21:00:00+01:00",
                       "place": "Hemlig plats"}})
    assert planned.status_code == 201
    police = client.get("/api/export.gpkg", headers=auth(tokens["planerare"]))
    council = client.get("/api/export.gpkg", headers=auth(tokens["rad"]))
    assert police.status_code == council.status_code == 200
    assert police.headers["content-type"] == "application/geopackage+sqlite3"
    assert 'filename="trygg.gpkg"' in police.headers["content-disposition"]
    seen = _gpkg_tables(police.content, tmp_path, "polis.gpkg")
    shown = _gpkg_tables(council.content, tmp_path, "rad.gpkg")
    assert "patrols" not in seen and "patrols" not in shown  # planerare and rad read no tracks
    assert "Hemlig plats" in set(seen["traffic_checks"]["place"])
    assert "Hemlig plats" not in set(shown["traffic_checks"]["place"])
    assert "planerad" not in set(shown["traffic_checks"]["status"])
    assert shown["unsafe_places"]["sensitive"].fillna(0).astype(int).sum() == 0
    assert seen["unsafe_places"]["sensitive"].fillna(0).astype(int).sum() > 0
    leader = _gpkg_tables(client.get("/api/export.gpkg", headers=auth(
        tokens["patrullchef"])).content, tmp_path, "chef.gpkg")
    assert len(leader["patrols"]) == demo_store.count("patrols")
    assert client.get("/api/export.gpkg").status_code == 401
    workbook = client.get("/api/export.xlsx", headers=auth(tokens["rad"]))
    assert workbook.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert "Patruller" not in book.sheetnames and "Om data" in book.sheetnames


def test_api_layer_export_in_every_format(api, tmp_path: Path) -> None:
    client, tokens = api
    h = auth(tokens["rad"])
    xlsx = client.get("/api/layers/risk_roads/export?format=xlsx", headers=h)
    assert xlsx.status_code == 200
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="risk_roads.xlsx"' in xlsx.headers["content-disposition"]
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["Riskvägar",
                                                                           "Om data"]
    excel = client.get("/api/layers/unsafe_places/export?format=csv", headers=h)
    assert excel.status_code == 200 and excel.content.startswith(b"\xef\xbb\xbf")
    assert excel.content.decode("utf-8-sig").startswith("id;category;")
    assert "vald_i_nara_relation" not in excel.text and "sexualbrott" not in excel.text
    plain = client.get("/api/layers/unsafe_places/export?format=csv&dialect=rfc4180", headers=h)
    assert plain.text.startswith("id,category,")
    gpkg = client.get("/api/layers/patrol_zones/export?format=gpkg", headers=h)
    tables = _gpkg_tables(gpkg.content, tmp_path, "zoner.gpkg")
    assert list(tables) == ["patrol_zones"]
    geojson = client.get("/api/layers/risk_roads/export", headers=h)
    assert geojson.json()["type"] == "FeatureCollection"
    gpx = client.get("/api/layers/events/export?format=gpx", headers=h)
    assert gpx.status_code == 200 and "<gpx" in gpx.text
    assert client.get("/api/layers/patrols/export?format=csv", headers=h).status_code == 403
    assert client.get("/api/layers/risk_roads/export?format=shp", headers=h).status_code == 422
    assert client.get("/api/layers/risk_roads/export?format=csv").status_code == 401


def test_export_in_a_local_zone_through_the_cli_and_the_api(api, cli_run, demo_store: Store,
                                                           tmp_path: Path) -> None:
    """``--crs`` / ``crs=``: GDAL reads the GeoPackage in SWEREF 99 17 15 with the same places as
    the store's SWEREF 99 TM; GeoJSON asked for it is refused with a message that says why."""
    import geopandas as gpd

    path = tmp_path / "zoner_3014.gpkg"
    done = cli_run("export", "patrol_zones", str(path), "--crs", "EPSG:3014")
    assert done.exit_code == 0, done.output
    assert 'ID["EPSG",3014]' in _ogrinfo("-so", str(path), "patrol_zones")  # GDAL reads it
    local = pyogrio.read_dataframe(path, layer="patrol_zones").set_index("id").sort_index()
    stored = demo_store.read("patrol_zones").sort_index().to_crs(3014)
    assert local.crs.to_epsg() == 3014 and len(local) == len(stored) > 0
    gaps = gpd.GeoSeries(local.geometry.values).hausdorff_distance(
        gpd.GeoSeries(stored.geometry.values))
    assert float(gaps.max()) < 0.01  # metres
    refused = cli_run("export", "patrol_zones", str(tmp_path / "z.geojson"), "--crs", "EPSG:3014")
    assert refused.exit_code == 1 and "alltid WGS84" in refused.output
    client, tokens = api
    csv_3014 = client.get("/api/layers/patrol_zones/export?format=csv&dialect=rfc4180"
                          "&crs=EPSG:3014", headers=auth(tokens["rad"]))
    assert csv_3014.status_code == 200
    assert {"e_3014", "n_3014", "wkt_3014"} <= set(csv_3014.text.splitlines()[0].split(","))
    bad = client.get("/api/layers/patrol_zones/export?crs=EPSG:3014", headers=auth(tokens["rad"]))
    assert bad.status_code == 422 and bad.json()["code"] == "import_rejected"
    assert "alltid WGS84" in bad.json()["error"]


# --- OpenAPI: Swagger's Authorize --------------------------------------------------------------

def test_openapi_declares_bearer_and_session_cookie(api) -> None:
    client, _ = api
    doc = client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert {k: schemes["sessionCookie"][k] for k in ("type", "in", "name")} == \
        {"type": "apiKey", "in": "cookie", "name": "trygg_session"}
    paths = doc["paths"]
    for path, method in (("/api/layers/{layer}", "get"), ("/api/layers/{layer}", "post"),
                         ("/api/layers/{layer}/export", "get"), ("/api/export.gpkg", "get"),
                         ("/api/me", "get"), ("/api/siting/planned.csv", "get")):
        assert paths[path][method]["security"] == [{"bearerAuth": []}, {"sessionCookie": []}], \
            (path, method)
    assert "security" not in paths["/api/health"]["get"]
    assert "swagger-ui" in client.get("/docs").text
