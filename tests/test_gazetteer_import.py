"""``trygg gazetteer import`` (issue 14): street and place names from OpenStreetMap, NVDB and
GSD-Ortnamn merged into the store's gazetteer in front of the hand one, which stays as the
fallback; an event naming a street within a district then lands on that street."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import cli
from geo.errors import ImportRejected
from geo.events import parse_events
from geo.geocode import geocode_events
from services.gazetteer import import_gazetteer
from store import Store
from tests.test_gazetteer_sources import _osm_file, nvdb_gatunamn, ortnamn_layer


def _event(text: str) -> pd.DataFrame:
    """One event as the Police's open API gives it."""
    return parse_events([{
        "id": 1, "datetime": "2024-05-02 14:00:00 +02:00", "type": "Trafikolycka",
        "name": "02 maj 14.00, Trafikolycka, Timrå", "summary": text,
        "url": "/aktuellt/handelser/2024/maj/2/trafikolycka-timra/",
        "location": {"name": "Timrå", "gps": "62.486794,17.325794"}}], origin="test")


def test_osm_streets_and_places_join_the_hand_gazetteer(tmp_path: Path,
                                                        demo_store: Store) -> None:
    hand = demo_store.read("gazetteer")
    assert not hand.empty and "Vivsta" in set(hand["name"])
    extract = tmp_path / "vasternorrland.osm"
    _osm_file(extract)

    out = CliRunner().invoke(cli, ["--db", str(demo_store.path), "gazetteer", "import",
                                   str(extract), "--source", "osm"])
    assert out.exit_code == 0, out.output
    merged = demo_store.read("gazetteer")
    # Järnvägsgatan is new; Vivsta now is OSM's, keeping the hand entry's aliases and roads.
    assert len(merged) == len(hand) + 1
    assert set(hand["name"]) <= set(merged["name"])
    street = merged.set_index("name").loc["Järnvägsgatan"]
    assert street["kind"] == "street" and street.geometry.geom_type == "LineString"
    vivsta_hand = hand.set_index("name").loc["Vivsta"]
    vivsta = merged.set_index("name").loc["Vivsta"]
    assert vivsta["kind"] == "suburb" and "OpenStreetMap" in vivsta["source"]
    assert set(vivsta_hand["aliases"]) <= set(vivsta["aliases"]) | {"Vivsta"}
    assert "läste 2 namn" in out.output

    placed = geocode_events(_event("Trafikolycka på Järnvägsgatan i Vivsta, två bilar."),
                            merged, municipality="Timrå")
    row = placed.iloc[0]
    assert row["precision"] == "street"
    assert row.geometry.distance(street.geometry) < 1.0


def test_nvdb_and_ortnamn_sources(tmp_path: Path, demo_store: Store) -> None:
    before = len(demo_store.read("gazetteer"))
    folder = tmp_path / "shp"
    folder.mkdir()
    nvdb_gatunamn().to_file(folder / "NVDB_DKGatunamn.shp")
    delivery = tmp_path / "Lastkajen_2262.zip"
    with zipfile.ZipFile(delivery, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    result = import_gazetteer(demo_store, delivery, source="nvdb")
    assert result.entries_read == 2  # Järnvägsgatan and Storgatan ("-1" is no name)
    names = set(demo_store.read("gazetteer")["name"])
    assert {"Järnvägsgatan", "Storgatan"} <= names

    ortnamn = tmp_path / "GSD-Ortnamn.gpkg"
    ortnamn_layer().to_file(ortnamn, layer="ortnamn")
    result = import_gazetteer(demo_store, ortnamn, source="ortnamn", kommunkod="2262")
    assert result.entries_read == 2  # Sörberge and Timrå kyrka: no river, not Sundsvall's
    after = demo_store.read("gazetteer")
    assert {"Sörberge", "Timrå kyrka"} <= set(after["name"])
    assert len(after) == result.entries_after >= before + 2


def test_a_store_without_boundary_is_refused(tmp_path: Path, store: Store) -> None:
    extract = tmp_path / "extract.osm"
    _osm_file(extract)
    with pytest.raises(ImportRejected, match="ingen kommungräns: kör först trygg kommun init"):
        import_gazetteer(store, extract, source="osm")
    assert store.read("gazetteer").empty


def test_refusals_change_nothing(tmp_path: Path, demo_store: Store) -> None:
    before = demo_store.read("gazetteer")
    plain = tmp_path / "utan_gatunamn.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "inga lager")
    with pytest.raises(ImportRejected, match="inget gatunamnslager"):
        import_gazetteer(demo_store, plain, source="nvdb")
    assert len(demo_store.read("gazetteer")) == len(before)
