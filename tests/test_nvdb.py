"""NVDB from Lastkajen: small deliveries with the real layer and field names, joined exactly."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio  # type: ignore[import-untyped]
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from geo.errors import ImportRejected
from geo.layers import layer_spec
from geo.nvdb import read_nvdb, read_speed_cameras, substrings
from geo.validate import prepare_features

E0, N0 = 618_000.0, 6_929_000.0  # central Timrå in SWEREF 99 TM
# Three reference links: 1000 runs east 1 km, 2000 north 1 km from its end, 3000 bends.
LINKS = {
    "1000": LineString([(E0, N0), (E0 + 1000, N0)]),
    "2000": LineString([(E0 + 1000, N0), (E0 + 1000, N0 + 1000)]),
    "3000": LineString([(E0, N0 + 2000), (E0 + 300, N0 + 2000), (E0 + 300, N0 + 2400)]),
}
# (link, start, end, values) per layer; measures are relative positions along the link.
SPEEDS = [("1000", 0.0, 0.6, 70), ("1000", 0.6, 1.0, 50), ("2000", 0.0, 1.0, 80),
          ("2000", 0.0, 0.5, 60), ("3000", 0.0, 0.3, 50), ("3000", 0.3, 1.0, 50)]
NUMBERS = [("1000", 0.0, 1.0, (331, 0, False)), ("2000", 0.0, 1.0, (4, 0, True))]
STREETS = [("1000", 0.6, 1.0, "Järnvägsgatan"), ("2000", 0.75, 1.0, "Norra vägen"),
           ("3000", 0.0, 1.0, "Skolvägen")]


def _part(link: str, start: float, end: float) -> LineString:
    line = LINKS[link]
    return shapely.ops.substring(line, start * line.length, end * line.length)


def _layer(rows: Sequence[tuple[str, float, float, object]], fields: dict[str, list[object]],
           names: tuple[str, str, str]) -> gpd.GeoDataFrame:
    rlid, start, end = names
    data: dict[str, list[object]] = {rlid: [r[0] for r in rows],
                                     start: [r[1] for r in rows], end: [r[2] for r in rows]}
    data.update(fields)
    return gpd.GeoDataFrame(data, geometry=[_part(r[0], r[1], r[2]) for r in rows],
                            crs="EPSG:3006")


def _old_layers() -> dict[str, gpd.GeoDataFrame]:
    """The Shape-file generation: NVDB_DK… layers, 10-character field names."""
    names = ("RLID", "STARTAVST", "SLUTAVST")
    return {
        "NVDB_DKReflinjetillkomst": _layer([(k, 0.0, 1.0, None) for k in LINKS], {}, names),
        "NVDB_DKHastighetsgrans": _layer(SPEEDS, {"HTHAST": [r[3] for r in SPEEDS]}, names),
        "NVDB_DKVagnummer": _layer(NUMBERS, {
            "HUVUDNR": [r[3][0] for r in NUMBERS], "UNDERNR": [r[3][1] for r in NUMBERS],
            "EUROPAVÄG": [-1 if r[3][2] else 0 for r in NUMBERS]}, names),
        "NVDB_DKGatunamn": _layer(STREETS, {"NAMN": [r[3] for r in STREETS]}, names),
        "ATKATK_Matplats": gpd.GeoDataFrame(
            {"NAMN": ["E4 Timrå N"], "HTHAST": [80], "VINKEL": [12.5]},
            geometry=[Point(E0 + 1000, N0 + 400)], crs="EPSG:3006"),
    }


def _new_layers() -> dict[str, gpd.GeoDataFrame]:
    """The GeoPackage generation: NVDB-… layers with long field names, no reference layer."""
    names = ("ELEMENT_ID", "START_MEASURE", "END_MEASURE")
    return {
        "NVDB-Hastighetsgrans": _layer(SPEEDS, {
            "Hogsta_tillatna_hastighet": [r[3] for r in SPEEDS]}, names),
        "NVDB-Vagnummer": _layer(NUMBERS, {
            "Huvudnummer": [r[3][0] for r in NUMBERS], "Undernummer": [r[3][1] for r in NUMBERS],
            "Europavag": ["Ja" if r[3][2] else "Nej" for r in NUMBERS]}, names),
        "NVDB-Gatunamn": _layer(STREETS, {"Namn": [r[3] for r in STREETS]}, names),
    }


def _shape_zip(tmp_path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    folder = tmp_path / "shape"
    folder.mkdir()
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, folder / f"{name}.shp", encoding="UTF-8")
    path = tmp_path / "Timra_kommun_Shape.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"Timra_kommun/{file.name}")
    return path


def _gpkg(tmp_path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    path = tmp_path / "Timra_kommun.gpkg"
    for name, gdf in layers.items():
        pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
    return path


def _by_stretch(roads: gpd.GeoDataFrame) -> list[tuple[object, ...]]:
    return [(r.name, None if pd.isna(r.road_ref) else r.road_ref,
             None if pd.isna(r.speed_limit_kmh) else int(r.speed_limit_kmh),
             round(r.geometry.length, 3), r.note) for r in roads.itertuples()]


EXPECTED = [
    ("Väg 331", "331", 70, 600.0, "NVDB-länk 1000 0.0000–0.6000"),
    ("Järnvägsgatan", "331", 50, 400.0, "NVDB-länk 1000 0.6000–1.0000"),
    ("E4", "E4", 80, 500.0, "NVDB-länk 2000 0.0000–0.5000; olika hastighetsgräns i "
     "riktningarna: den högre visas"),
    ("E4", "E4", 80, 250.0, "NVDB-länk 2000 0.5000–0.7500"),  # only the name changes at 0.75
    ("Norra vägen", "E4", 80, 250.0, "NVDB-länk 2000 0.7500–1.0000"),
    ("Skolvägen", None, 50, 700.0, "NVDB-länk 3000 0.0000–1.0000"),  # two equal limits merged
]


def test_shape_zip_joins_speed_number_and_name(tmp_path: Path) -> None:
    roads = read_nvdb(_shape_zip(tmp_path, _old_layers()))
    assert roads.crs.to_epsg() == 3006
    assert _by_stretch(roads) == EXPECTED
    assert set(roads["provenance"]) == {"real"}
    assert roads["source"].iloc[0].startswith("Trafikverket NVDB via Lastkajen")
    assert roads.geometry.iloc[5].equals(LINKS["3000"])  # the bend kept
    assert shapely.equals_exact(roads.geometry.iloc[0],
                                LineString([(E0, N0), (E0 + 600, N0)]), tolerance=1e-6)
    ready = prepare_features(layer_spec("risk_roads"), roads, origin="nvdb")
    assert list(ready["speed_limit_kmh"]) == [70, 50, 80, 80, 80, 50]
    assert list(ready["risk_weight"]) == [0.0] * 6


def test_geopackage_with_new_names_and_no_reference_layer(tmp_path: Path) -> None:
    roads = read_nvdb(_gpkg(tmp_path, _new_layers()))
    assert _by_stretch(roads) == EXPECTED
    assert roads.geometry.iloc[5].equals(LINKS["3000"])  # cut from two speed features, joined


def test_clipped_to_the_municipality(tmp_path: Path) -> None:
    boundary = gpd.GeoSeries([box(E0 - 10, N0 - 10, E0 + 300, N0 + 3000)], crs="EPSG:3006")
    roads = read_nvdb(_shape_zip(tmp_path, _old_layers()), boundary=boundary.to_crs(4326))
    assert [(r.name, round(r.geometry.length)) for r in roads.itertuples()] == [
        ("Väg 331", 300), ("Skolvägen", 700)]
    outside = gpd.GeoSeries([box(0, 0, 10, 10)], crs="EPSG:3006")
    with pytest.raises(ImportRejected, match="ingen NVDB-väg med hastighetsgräns ligger inom"):
        read_nvdb(_gpkg(tmp_path, _new_layers()), boundary=outside)


def test_speed_cameras_when_given(tmp_path: Path) -> None:
    path = _shape_zip(tmp_path, _old_layers())
    cameras = read_speed_cameras(path)
    assert cameras is not None
    assert list(cameras["name"]) == ["E4 Timrå N"]
    assert list(cameras["speed_limit_kmh"]) == [80]
    assert list(cameras["bearing_deg"]) == [12.5]
    elsewhere = read_speed_cameras(path, boundary=box(0, 0, 10, 10))
    assert elsewhere is not None and elsewhere.empty
    assert read_speed_cameras(_gpkg(tmp_path, _new_layers())) is None


def test_homogenised_vagdata_layer(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({
        "ROUTE_ID": ["1000", "2000"], "FROM_MEASURE": [0.0, 0.0], "TO_MEASURE": [1.0, 1.0],
        "F_Hogst_225": [70, 80], "B_Hogst_225": [70, 60], "Namn_130": ["Storgatan", None],
        "Evag_555": [0, 1], "Huvnr_556_1": [331, 4], "Vagnr_10370": [None, 12345]},
        geometry=[LINKS["1000"], LINKS["2000"]], crs="EPSG:3006")
    path = tmp_path / "vagdata.gpkg"
    pyogrio.write_dataframe(gdf, path, layer="TNE_FT_VAGDATA", driver="GPKG")
    roads = read_nvdb(path)
    assert [(r.name, r.road_ref, int(r.speed_limit_kmh), r.note) for r in roads.itertuples()] \
        == [("Storgatan", "331", 70, ""),
            ("E4", "E4", 80, "olika hastighetsgräns i riktningarna: den högre visas")]


def test_missing_fields_and_layers_are_named(tmp_path: Path) -> None:
    layers = _old_layers()
    layers["NVDB_DKHastighetsgrans"] = layers["NVDB_DKHastighetsgrans"].drop(columns="HTHAST")
    with pytest.raises(ImportRejected, match=r"NVDB_DKHastighetsgrans.shp: kolumnen "
                                             r"HTHAST/HOGSTA_TILLATNA_HASTIGHET"):
        read_nvdb(_shape_zip(tmp_path, layers))
    only_names = {"NVDB-Gatunamn": _new_layers()["NVDB-Gatunamn"]}
    with pytest.raises(ImportRejected,
                       match="har inget NVDB-lager med hastighetsgränser.*i filen: street"):
        read_nvdb(_gpkg(tmp_path, only_names))
    bad = _new_layers()
    bad["NVDB-Hastighetsgrans"].loc[0, "END_MEASURE"] = 1.5
    (tmp_path / "bad").mkdir()
    with pytest.raises(ImportRejected, match=r"objekt 0: länken '1000' från 0.0 till 1.5"):
        read_nvdb(_gpkg(tmp_path / "bad", bad))


def test_substrings_keep_inner_vertices() -> None:
    line = LINKS["3000"]  # 300 m east then 400 m north
    parts = substrings(np.array([line, line, line]), np.array([0.0, 0.2, 0.5]),
                       np.array([1.0, 0.6, 0.5 + 1e-12]))
    assert shapely.equals_exact(parts[0], line, tolerance=1e-9)
    assert shapely.get_coordinates(parts[1]).tolist() == [
        [E0 + 140, N0 + 2000], [E0 + 300, N0 + 2000], [E0 + 300, N0 + 2120]]
    assert round(parts[2].length, 6) == 0.0


def test_through_the_importer(tmp_path: Path) -> None:
    from geo.io import read_layer_file

    spec = layer_spec("risk_roads")
    path = _shape_zip(tmp_path, _old_layers())
    roads = read_layer_file(path, spec, file_type="nvdb",
                            boundary=box(E0 - 10, N0 - 10, E0 + 300, N0 + 3000))
    assert list(roads["name"]) == ["Väg 331", "Skolvägen"]
    with pytest.raises(ImportRejected, match="exakt en .shp, den har 5; den ser ut som "
                                             "Trafikverkets NVDB: importera den med --format nvdb"):
        read_layer_file(path, spec)
    with pytest.raises(ImportRejected, match="har lagren .*--format nvdb"):
        read_layer_file(_gpkg(tmp_path, _new_layers()), spec)
    with pytest.raises(ImportRejected, match="NVDB importeras till risk_roads.*inte patrols"):
        read_layer_file(path, layer_spec("patrols"), file_type="nvdb")


def test_trygg_import_format_nvdb_clips_to_the_stored_boundary(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cli import cli
    from store import Store

    db = tmp_path / "nvdb.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    store = Store.open(db)
    store.insert("boundaries", gpd.GeoDataFrame(
        {"name": ["Provkommun"], "kommunkod": ["9999"]},
        geometry=[box(E0 - 10, N0 - 10, E0 + 300, N0 + 3000)], crs="EPSG:3006"), origin="test")
    store.close()
    path = _shape_zip(tmp_path, _old_layers())
    runner = CliRunner()
    done = runner.invoke(cli, ["import", "risk_roads", str(path), "--format", "nvdb"],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "lade till 2 objekt i risk_roads" in done.output
    plain = runner.invoke(cli, ["import", "risk_roads", str(path)])
    assert plain.exit_code == 1 and "--format nvdb" in plain.output
    wrong = runner.invoke(cli, ["import", "patrols", str(path), "--format", "nvdb"])
    assert wrong.exit_code == 2 and "risk_roads" in wrong.output
    store = Store.open(db)
    try:
        roads = store.read("risk_roads")
        assert sorted(roads["name"]) == ["Skolvägen", "Väg 331"]
        assert set(roads["provenance"]) == {"real"}
    finally:
        store.close()
