"""A second municipality set up from nothing: `trygg kommun init 2281` (Sundsvall) stores its
boundary, remembers the municipality and writes a promise file to fill in that loads; the
served municipality follows the store, and TRYGG_KOMMUNKOD overrides it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from geo.promise import load_promise
from services.municipality import served_municipality
from store import Store
from trygg.settings import Settings


def test_kommun_init_sets_up_sundsvall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "sundsvall.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    runner = CliRunner()
    done = runner.invoke(cli, ["kommun", "init", "2281"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "Sundsvall kommun (2281), Västernorrlands län" in done.output
    assert "EPSG:3014" in done.output and "skapad" in done.output
    promise_file = tmp_path / "kommuner" / "2281" / "medborgarlofte.yaml"
    promise = load_promise(promise_file)  # the template is a valid promise file
    assert promise.municipality == "Sundsvall"
    store = Store.open(db)
    try:
        boundaries = store.read("boundaries")
        assert list(boundaries["kommunkod"]) == ["2281"]
        assert boundaries.geometry.iloc[0].area > 3e9  # Sundsvall is about 3,200 km²
        served = served_municipality(store, Settings(db=db))
        assert served.municipality.name == "Sundsvall" and served.promise_file == promise_file
        assert served_municipality(store, Settings(db=db, kommunkod="2262")
                                   ).municipality.name == "Timrå"
    finally:
        store.close()
    promise_file.write_text(promise_file.read_text(encoding="utf-8") + "# ifyllt\n",
                            encoding="utf-8")
    again = runner.invoke(cli, ["kommun", "init", "2281"], catch_exceptions=False)
    assert "fanns redan, orörd" in again.output
    assert promise_file.read_text(encoding="utf-8").endswith("# ifyllt\n")
    unknown = runner.invoke(cli, ["kommun", "init", "9999"])
    assert unknown.exit_code == 1 and "9999" in unknown.output


def test_a_store_without_a_municipality_serves_the_demo(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "x.sqlite")
    try:
        served = served_municipality(store, Settings(db=tmp_path / "x.sqlite"))
        assert served.municipality.kommunkod == "2262"
        assert served.promise_file.name == "medborgarlofte_2023_2024.yaml"
    finally:
        store.close()


def test_pages_name_the_served_municipality(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from services.municipality import init_municipality

    db = tmp_path / "sundsvall.sqlite"
    store = Store.open(db)
    init_municipality(store, "2281", folder=tmp_path / "kommuner")
    settings = Settings(db=db, demo=True)
    with TestClient(create_app(settings, store=store)) as client:
        start = client.get("/")
        assert start.status_code == 200
        assert "Medborgarlöfte Sundsvall" in start.text and "Sundsvall kommun" in start.text
        assert "Timrå" not in start.text
        hotspots = client.get("/kartor/otrygga-platser")
        assert hotspots.status_code == 200 and "Timrå" not in hotspots.text
        assert 'data-centre="62.' in hotspots.text
    store.close()
