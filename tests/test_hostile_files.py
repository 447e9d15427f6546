"""A corpus of broken and malicious files for every importer. Each gives a clear error or a
bounded, correct import; after a rejected import the store's contents are exactly as before.

The files are written by the tests (a 200 MB file does not belong in git)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from geo.errors import ImportRejected
from store import Store
from services.imports import ImportOptions, import_layer_file, ingest_events

MB = 1_000_000


def _zone_ring(n: int) -> list[list[float]]:
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.c_[17.33 + 0.01 * np.cos(angle), 62.49 + 0.005 * np.sin(angle)]
    return np.vstack([ring, ring[:1]]).round(7).tolist()


def _write_gpx(path: Path, n: int) -> None:
    lat = 62.48 + np.arange(n) * 1e-7
    start = np.datetime64("2024-03-01T18:00:00")
    times = (start + np.arange(n).astype("timedelta64[s]")).astype(str)
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0"?>\n<gpx version="1.1" creator="t" '
                'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Fot</name><trkseg>\n')
        f.writelines(f'<trkpt lat="{a:.7f}" lon="17.3200000"><time>{t}Z</time></trkpt>\n'
                     for a, t in zip(lat, times, strict=True))
        f.write("</trkseg></trk></gpx>\n")


def _fc(features: list[dict]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features})


def _point(lon, lat, **props) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


# name, layer, file name, content (bytes or a function writing the file), expected message
CORPUS = [
    ("truncated JSON", "traffic_checks", "trunc.geojson",
     _fc([_point(17.33, 62.49)])[:-7].encode(), "fel i JSON på rad 1"),
    ("JSON of the wrong shape", "traffic_checks", "shape.geojson",
     b'{"type": "Topology"}', "ingen GeoJSON FeatureCollection"),
    ("NaN coordinates", "traffic_checks", "nan.geojson",
     b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
     b'"geometry":{"type":"Point","coordinates":[NaN,62.4]}}]}', "NaN eller oändliga"),
    ("infinite coordinates", "traffic_checks", "inf.geojson",
     b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
     b'"geometry":{"type":"Point","coordinates":[Infinity,62.4]}}]}', "NaN eller oändliga"),
    ("infinite CSV coordinates", "traffic_checks", "inf.csv",
     b"lat,lon\n62.4,inf\n", "NaN eller oändliga"),
    ("mixed geometry types", "patrol_zones", "mixed.geojson",
     _fc([{"type": "Feature", "properties": {"name": "A"},
           "geometry": {"type": "Polygon", "coordinates": [_zone_ring(8)]}},
          _point(17.33, 62.49, name="B")]).encode(),
     "objekt 1: geometri: Point passar inte i lagret patrol_zones"),
    ("non-UTF-8 GeoJSON", "traffic_checks", "latin1.geojson",
     _fc([_point(17.33, 62.49, place="Söråker")]).replace("\\u00f6", "ö").replace(
         "\\u00e5", "å").encode("latin-1"), "ska vara UTF-8"),
    ("binary garbage CSV", "traffic_checks", "garbage.csv",
     bytes(range(256)) * 10, "varken UTF-8 eller Windows-1252"),
    ("binary garbage GeoPackage", "patrol_zones", "garbage.gpkg",
     b"SQLite format 3\0" + b"\xff" * 4000, "GeoPackage-filen går inte att läsa"),
    ("not a zip", "patrol_zones", "notzip.zip", b"PK\x03\x04broken", "ingen giltig zip-fil"),
    ("GPX that is not XML", "patrols", "broken.gpx", b"<gpx><trk><trkseg><trkpt",
     "går inte att läsa"),
    ("XML bomb in GPX", "patrols", "lol.gpx",
     b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
     b'"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;'
     b'&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><gpx version="1.1" '
     b'xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="62.4" lon="17.3"><name>&lol3;'
     b'</name></wpt></gpx>', "går inte att läsa|har inga spårpunkter"),
    ("OSM file with no roads", "risk_roads", "empty.osm",
     b'<?xml version="1.0"?><osm version="0.6"><node id="1" lat="62.4" lon="17.3" '
     b'version="1"/></osm>', "inga vägar för motortrafik"),
    ("GeoJSON nested 100,000 levels", "traffic_checks", "deep.geojson",
     b'{"type":"FeatureCollection","features":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     "JSON i 100\u00a0001 nivåer; högst 64"),
    ("CSV with 100,000 columns", "traffic_checks", "wide.csv",
     (",".join(f"c{i}" for i in range(100_000)) + "\n" + "1," * 99_999 + "1\n").encode(),
     "100\u00a0000 kolumner; högst 500"),
    ("legacy crs member with a bad name", "traffic_checks", "badcrs.geojson",
     json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
         "name": "urn:ogc:def:crs:EPSG::99999"}}, "features": [_point(17.33, 62.49)]}).encode(),
     "medlemmen 'crs'.*inget känt koordinatsystem"),
]


@pytest.mark.parametrize("name, layer, filename, content, expected", CORPUS,
                         ids=[c[0] for c in CORPUS])
def test_hostile_file_is_rejected_and_store_unchanged(tmp_path: Path, demo_store: Store,
                                                      name: str, layer: str, filename: str,
                                                      content: bytes, expected: str) -> None:
    path = tmp_path / filename
    path.write_bytes(content)
    before = demo_store.dump()
    with pytest.raises(ImportRejected, match=expected) as err:
        import_layer_file(demo_store, layer, path)
    assert filename in str(err.value)
    assert demo_store.dump() == before


def test_200_mb_geojson_is_refused_before_reading(tmp_path: Path, demo_store: Store) -> None:
    path = tmp_path / "huge.geojson"
    feature = json.dumps(_point(17.33, 62.49, place="x" * 200))
    with path.open("w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[')
        count = 200 * MB // (len(feature) + 1) + 1
        f.write(",".join([feature] * 10_000))
        for _ in range(count // 10_000):
            f.write("," + ",".join([feature] * 10_000))
        f.write("]}")
    assert path.stat().st_size >= 200 * MB
    before = demo_store.dump()
    with pytest.raises(ImportRejected, match="huge.geojson: 2[0-9]{2} MB är mer än de 100 MB"):
        import_layer_file(demo_store, "traffic_checks", path, ImportOptions(max_bytes=100 * MB))
    assert demo_store.dump() == before


def test_zip_bomb_is_refused(tmp_path: Path, demo_store: Store) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(3):
            zf.writestr(f"layer{i}.dbf", b"\0" * 400 * MB)
        zf.writestr("zoner.shp", b"\0" * 100)
        zf.writestr("zoner.shx", b"")
        zf.writestr("zoner.dbf", b"")
    assert archive.stat().st_size < 3 * MB
    before = demo_store.dump()
    with pytest.raises(ImportRejected, match="bomb.zip: packas upp till"):
        import_layer_file(demo_store, "patrol_zones", archive)
    assert demo_store.dump() == before


def test_gpx_with_a_million_points_imports_bounded_and_correct(tmp_path: Path,
                                                                store: Store) -> None:
    path = tmp_path / "miljon.gpx"
    _write_gpx(path, 1_000_000)
    import_layer_file(store, "patrols", path)
    track = store.read("patrols").iloc[0]
    assert len(track["times"]) == 1_000_000
    assert track["start"].isoformat() == "2024-03-01T18:00:00+00:00"
    assert track["end"].isoformat() == "2024-03-13T07:46:39+00:00"  # 999,999 s later
    assert 11_000 < track.geometry.length < 11_300  # 0.1 degree of latitude ≈ 11.1 km


def test_polygon_with_a_million_vertices_imports(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "miljon.geojson"
    path.write_text(_fc([{"type": "Feature", "properties": {"name": "Miljonzonen"},
                          "geometry": {"type": "Polygon", "coordinates": [_zone_ring(10**6)]}}]))
    import_layer_file(store, "patrol_zones", path)
    zone = store.read("patrol_zones").iloc[0]
    assert zone.geometry.is_valid
    # An ellipse of semi-axes 0.01° lon (514 m at 62.49° N) and 0.005° lat (556 m): 0.90 km².
    assert 0.87e6 < zone.geometry.area < 0.93e6


def test_csv_formula_injection_is_stored_as_text_and_neutralised_on_export(
        tmp_path: Path, store: Store) -> None:
    from services.imports import export_layer_file

    path = tmp_path / "formler.csv"
    path.write_text('lat,lon,category,description,reported_at\n'
                    '62.49,17.33,annat,"=HYPERLINK(""http://evil.example"",""klick"")",2024-01-01\n'
                    '62.49,17.33,annat,+cmd|calc,2024-01-01\n', encoding="utf-8")
    import_layer_file(store, "unsafe_places", path)
    assert store.read("unsafe_places")["description"].iloc[0].startswith("=HYPERLINK")
    out = tmp_path / "ut.csv"
    export_layer_file(store, "unsafe_places", out)
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+cmd|calc" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text


def test_broken_events_file_changes_nothing(tmp_path: Path, demo_store: Store) -> None:
    path = tmp_path / "events.json.gz"
    path.write_bytes(gzip.compress(b'[{"id": 1, "datetime": "2024-01-01 7:00:00 +01:00", '
                                   b'"type": "Rattfylleri", "name": "x, Rattfylleri, Timr'))
    before = demo_store.dump()
    with pytest.raises(ImportRejected, match="events.json.gz"):
        ingest_events(demo_store, path)
    assert demo_store.dump() == before
