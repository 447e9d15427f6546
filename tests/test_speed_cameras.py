"""Speed cameras (issue 14): Trafikverket's ATK measuring places of an NVDB delivery imported as
the ``speed_cameras`` layer, clipped to the municipality, served as GeoJSON (they are public)
and written to a GeoPackage with their QGIS style."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cli import cli
from geo.errors import ImportRejected
from geo.municipalities import municipality
from services.imports import ImportOptions, import_layer_file
from store import Store
from tests.conftest import auth
from tests.test_nvdb import _gpkg, _new_layers, _old_layers, _shape_zip


@pytest.fixture
def timra_store(store: Store) -> Store:
    store.insert("boundaries", municipality("2262").boundary_layer(), origin="test")
    return store


def test_cameras_from_an_nvdb_delivery(tmp_path: Path, timra_store: Store,
                                       client: TestClient, tokens: dict[str, str]) -> None:
    delivery = _shape_zip(tmp_path, _old_layers())
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "speed_cameras",
                                   str(delivery), "--format", "nvdb"])
    assert out.exit_code == 0, out.output
    cameras = timra_store.read("speed_cameras")
    assert len(cameras) == 1
    row = cameras.iloc[0]
    assert (row["name"], row["speed_limit_kmh"], row["bearing_deg"]) == ("E4 Timrå N", 80, 12.5)
    assert row["provenance"] == "real" and "ATK" in row["source"]
    assert row["kommunkod"] == "2262"

    # Every role reads them (anonymous visitors in demo mode too): Trafikverket publishes them.
    answer = client.get("/api/layers/speed_cameras", headers=auth(tokens["rad"]))
    assert answer.status_code == 200
    feature = answer.json()["features"][0]
    assert feature["properties"]["name"] == "E4 Timrå N"
    assert feature["geometry"]["type"] == "Point"

    gpkg = tmp_path / "kameror.gpkg"
    assert CliRunner().invoke(cli, ["--db", str(timra_store.path), "export", "speed_cameras",
                                    str(gpkg)]).exit_code == 0
    with sqlite3.connect(gpkg) as con:
        styles = con.execute("SELECT f_table_name, useAsDefault FROM layer_styles").fetchall()
    assert ("speed_cameras", 1) in styles


def test_deliveries_without_cameras_are_refused_in_swedish(tmp_path: Path,
                                                           timra_store: Store) -> None:
    no_atk = _gpkg(tmp_path, _new_layers())  # the GeoPackage generation, without ATK
    with pytest.raises(ImportRejected, match="inget ATK-lager"):
        import_layer_file(timra_store, "speed_cameras", no_atk, ImportOptions(file_type="nvdb"))
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "patrol_zones",
                                   str(no_atk), "--format", "nvdb"])
    assert out.exit_code != 0 and "risk_roads eller speed_cameras" in out.output
    assert timra_store.read("speed_cameras").empty
