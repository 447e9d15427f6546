"""OpenStreetMap extracts of real size (issue 14): a county extract's roads imported clipped to
the municipality, streamed (GDAL keeps only ways in the boundary's box as it reads), past the
import size limit, with a progress bar by bytes read; every cut checked against shapely."""

from __future__ import annotations

import random
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from cli import cli
from geo.errors import ImportRejected
from geo.municipalities import municipality
from services.imports import ImportOptions, import_layer_file
from store import Store

TIMRA = "2262"
# Ways far from Timrå (in Ånge and Jämtland) that the box filter must skip, and their count.
FAR = (15.6, 62.3)
FAR_WAYS = 6000


def _write_extract(path: Path, inside: list[list[tuple[float, float]]], *,
                   far_ways: int) -> None:
    """An OSM XML extract in the real format: nodes, then ways with highway, name and maxspeed
    tags; ``inside`` are the ways near Timrå (lon, lat), ``far_ways`` short residential roads
    200 km away, and a footway that is no road for traffic checks."""
    rng = random.Random(7)
    nodes: list[str] = []
    ways: list[str] = []
    next_id = 1

    def way(points: list[tuple[float, float]], tags: dict[str, str]) -> None:
        nonlocal next_id
        refs = []
        for lon, lat in points:
            nodes.append(f' <node id="{next_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(next_id)
            next_id += 1
        ways.append(f' <way id="{len(ways) + 1}" version="1">'
                    + "".join(f'<nd ref="{r}"/>' for r in refs)
                    + "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()) + "</way>")

    for k, points in enumerate(inside):
        way(points, {"highway": "secondary", "name": f"Testvägen {k}", "maxspeed": "70"})
    way(inside[0], {"highway": "footway"})
    for _ in range(far_ways):
        lon, lat = FAR[0] + rng.random() * 0.5, FAR[1] + rng.random() * 0.3
        way([(lon, lat), (lon + 0.002, lat + 0.001), (lon + 0.004, lat)],
            {"highway": "residential", "name": "Långt borta", "maxspeed": "30"})
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" '
                    'generator="trygg-test">\n' + "\n".join(nodes + ways) + "\n</osm>\n",
                    encoding="utf-8")


@pytest.fixture
def timra_store(store: Store) -> Store:
    store.insert("boundaries", municipality(TIMRA).boundary_layer(), origin="test")
    return store


def _inside_and_crossing() -> list[list[tuple[float, float]]]:
    """Two ways wholly in Timrå (Vivsta, Söråker) and one from Timrå across the boundary into
    Sundsvall (south of Timrå), so it must be cut."""
    return [[(17.325, 62.487), (17.330, 62.490), (17.336, 62.492)],
            [(17.50, 62.52), (17.51, 62.53)],
            [(17.33, 62.49), (17.31, 62.44), (17.29, 62.40)]]


def test_county_extract_is_clipped_streamed_and_past_the_size_limit(
        tmp_path: Path, timra_store: Store) -> None:
    extract = tmp_path / "vasternorrland-latest.osm"
    inside = _inside_and_crossing()
    _write_extract(extract, inside, far_ways=FAR_WAYS)
    size = extract.stat().st_size
    reports: list[tuple[int, int]] = []
    limit = size // 10  # a tenth of the file: an unclipped read would be refused

    result = import_layer_file(timra_store, "risk_roads", extract, ImportOptions(
        max_bytes=limit, progress=lambda done, total: reports.append((done, total))))

    roads = timra_store.read("risk_roads")
    assert result.inserted == len(roads) == 3  # the far roads and the footway stay out
    assert set(roads["name"]) == {"Testvägen 0", "Testvägen 1", "Testvägen 2"}
    # Every road equals shapely's intersection of the OSM way with the boundary (EPSG:3006).
    boundary = municipality(TIMRA).boundary_3006
    ways = gpd.GeoSeries([shapely.LineString(p) for p in inside], crs="EPSG:4326").to_crs(3006)
    expected = shapely.line_merge(shapely.intersection(np.asarray(ways.values), boundary))
    got = roads.set_index("name").loc[[f"Testvägen {k}" for k in range(3)]].geometry.values
    for mine, exact in zip(got, expected, strict=True):
        assert shapely.equals_exact(shapely.normalize(mine), shapely.normalize(exact), 1e-3)
    crossing = got[2]
    assert crossing.length < ways.values[2].length * 0.9  # it was cut at the boundary
    assert roads["speed_limit_kmh"].tolist() == [70, 70, 70]
    # The progress: bytes read, never more than the file, ending at its size.
    assert reports and reports[-1] == (size, size)
    assert all(total == size and 0 < done <= size for done, total in reports)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)


def test_an_unclipped_extract_keeps_the_size_limit(tmp_path: Path, store: Store) -> None:
    """Without a municipal boundary nothing is clipped or streamed: the limit stands."""
    extract = tmp_path / "sverige.osm"
    _write_extract(extract, _inside_and_crossing(), far_ways=200)
    with pytest.raises(ImportRejected, match="TRYGG_MAX_IMPORT_MB"):
        import_layer_file(store, "risk_roads", extract,
                          ImportOptions(max_bytes=extract.stat().st_size // 2))
    assert store.read("risk_roads").empty


def test_an_extract_without_roads_in_the_municipality_is_refused_in_swedish(
        tmp_path: Path, timra_store: Store) -> None:
    extract = tmp_path / "jamtland-latest.osm"
    _write_extract(extract, [[(15.0, 63.0), (15.01, 63.01)]], far_ways=50)
    with pytest.raises(ImportRejected, match="inga vägar för motortrafik.*inom kommungränsen"):
        import_layer_file(timra_store, "risk_roads", extract,
                          ImportOptions(progress=lambda _d, _t: None))
    assert timra_store.read("risk_roads").empty


def test_cli_import_of_an_extract(tmp_path: Path, timra_store: Store) -> None:
    extract = tmp_path / "lan.osm"
    _write_extract(extract, _inside_and_crossing(), far_ways=300)
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "risk_roads",
                                   str(extract)])
    assert out.exit_code == 0, out.output
    assert "lade till 3 objekt i risk_roads" in out.output
