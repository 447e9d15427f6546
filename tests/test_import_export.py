"""Every importer on small files the tests write, broken ones included; export-import round trip."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo.errors import ImportRejected
from store import Store
from services.imports import ImportOptions, export_layer_file, import_layer_file

VIVSTA = [17.32583, 62.48694]
ARENA = [17.35, 62.50583]
ZONE = [[17.320, 62.484], [17.332, 62.484], [17.332, 62.490], [17.320, 62.490], [17.320, 62.484]]


def write_json(path: Path, doc) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def fc(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def feature(geometry: dict, **props) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def line(*coords) -> dict:
    return {"type": "LineString", "coordinates": [list(c) for c in coords]}


def test_geojson_import_reprojects_to_3006(tmp_path: Path, store: Store) -> None:
    path = write_json(tmp_path / "vagar.geojson", fc(
        feature(line(VIVSTA, ARENA), name="E4", road_ref="E4", risk_weight=3,
                risk_categories=["hastighet"])))
    result = import_layer_file(store, "risk_roads", path)
    assert result.inserted == 1
    gdf = store.read("risk_roads")
    assert gdf.crs.to_epsg() == 3006
    assert gdf.iloc[0]["source"] == "Importerad från vagar.geojson"
    assert gdf.iloc[0]["provenance"] == "real"
    assert 2_000 < gdf.geometry.length.iloc[0] < 2_500  # Vivsta → arena is about 2.2 km


@pytest.mark.parametrize("content, expected", [
    ('{"type": "FeatureCollection", "features": [', "fel i JSON på rad 1"),
    ("", "filen är tom"),
    ('{"type": "FeatureCollection", "features": []}', "inga objekt"),
    ('[1, 2]', "ingen GeoJSON FeatureCollection"),
])
def test_broken_geojson_is_rejected_clearly(tmp_path: Path, store: Store, content: str,
                                            expected: str) -> None:
    path = tmp_path / "trasig.geojson"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportRejected, match=expected) as err:
        import_layer_file(store, "risk_roads", path)
    assert "trasig.geojson" in str(err.value)
    assert store.count("risk_roads") == 0


def test_swapped_lat_lon_is_named(tmp_path: Path, store: Store) -> None:
    good = feature(line(VIVSTA, ARENA), name="Rätt")
    swapped = feature(line(VIVSTA[::-1], ARENA[::-1]), name="Omvänd")
    path = write_json(tmp_path / "vagar.geojson", fc(good, swapped))
    with pytest.raises(ImportRejected) as err:
        import_layer_file(store, "risk_roads", path)
    assert "vagar.geojson, objekt 1: geometri" in str(err.value)
    assert "latitud och longitud verkar ha bytt plats" in str(err.value)
    assert store.count("risk_roads") == 0  # the good feature is not written either


def test_outside_sweden_is_rejected(tmp_path: Path, store: Store) -> None:
    oslo = feature(line([10.75, 59.91], [10.8, 59.95]), name="Oslo")
    paris = feature(line([2.35, 48.85], [2.36, 48.86]), name="Paris")
    path = write_json(tmp_path / "vagar.geojson", fc(oslo, paris))
    with pytest.raises(ImportRejected, match="objekt 1: geometri.*utanför Sverige"):
        import_layer_file(store, "risk_roads", path)


def test_sweref_metres_without_crs_are_rejected_then_accepted_with_crs(
        tmp_path: Path, store: Store) -> None:
    path = write_json(tmp_path / "sweref.geojson", fc(
        feature(line([618_500, 6_929_700], [619_800, 6_931_800]), name="Metervägen")))
    with pytest.raises(ImportRejected, match="ser ut som meter.*--crs EPSG:3006"):
        import_layer_file(store, "risk_roads", path)
    assert store.count("risk_roads") == 0
    import_layer_file(store, "risk_roads", path, ImportOptions(crs="EPSG:3006"))
    x, y = shapely.get_coordinates(store.read("risk_roads").geometry.iloc[0])[0]
    assert (round(x), round(y)) == (618_500, 6_929_700)


def test_legacy_geojson_crs_member_is_honoured(tmp_path: Path, store: Store) -> None:
    doc = fc(feature(line([618_500, 6_929_700], [619_800, 6_931_800]), name="QGIS-export"))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3006"}}
    import_layer_file(store, "risk_roads", write_json(tmp_path / "qgis.geojson", doc))
    assert store.count("risk_roads") == 1


def test_self_intersecting_polygon_is_repaired(tmp_path: Path, store: Store) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[17.32, 62.484], [17.33, 62.49],
                                                  [17.33, 62.484], [17.32, 62.49],
                                                  [17.32, 62.484]]]}
    path = write_json(tmp_path / "zoner.geojson", fc(feature(bowtie, name="Fluga")))
    import_layer_file(store, "patrol_zones", path)
    geom = store.read("patrol_zones").geometry.iloc[0]
    assert geom.is_valid and geom.geom_type == "MultiPolygon" and geom.area > 0


def test_unrepairable_and_wrong_type_geometry_is_rejected(tmp_path: Path, store: Store) -> None:
    point = feature({"type": "Point", "coordinates": VIVSTA}, name="Punkt")
    path = write_json(tmp_path / "zoner.geojson", fc(point))
    with pytest.raises(ImportRejected, match="Point passar inte i lagret patrol_zones"):
        import_layer_file(store, "patrol_zones", path)


def test_nan_coordinates_are_rejected(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "nan.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                    '{"name":"x"},"geometry":{"type":"LineString","coordinates":'
                    '[[17.3,62.4],[NaN,62.5]]}}]}')
    with pytest.raises(ImportRejected, match="NaN eller oändliga"):
        import_layer_file(store, "risk_roads", path)


def test_csv_lat_lon_semicolons_and_swedish_excel_encoding(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "platser.csv"
    path.write_bytes("kategori;category;reported_at;lat;lon;description\n"
                     ";belysning;2024-05-01;62,48694;17,32583;Mörk gångtunnel\n"
                     .encode("cp1252"))
    import_layer_file(store, "unsafe_places", path, ImportOptions(provenance="illustrative"))
    row = store.read("unsafe_places").iloc[0]
    assert row["description"] == "Mörk gångtunnel"
    assert row["provenance"] == "illustrative"


def test_csv_sweref_east_north(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "kontroller.csv"
    path.write_text("E,N,status,kinds,start\n618500,6929700,planerad,\"hastighet,nykterhet\","
                    "2024-03-08T22:00\n", encoding="utf-8")
    import_layer_file(store, "traffic_checks", path)
    row = store.read("traffic_checks").iloc[0]
    assert row["kinds"] == ["hastighet", "nykterhet"]
    assert row["start"].isoformat() == "2024-03-08T21:00:00+00:00"  # Swedish winter time


def test_csv_without_coordinates_or_with_bad_numbers(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "utan.csv"
    path.write_text("name\nx\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="inga koordinatkolumner"):
        import_layer_file(store, "traffic_checks", path)
    path.write_text("lat,lon\n62.4,17.3\nabc,17.3\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="objekt 1: kolumnen 'lat': 'abc' är inget tal"):
        import_layer_file(store, "traffic_checks", path)


def test_gpx_tracks_become_patrols_with_times(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "fot.gpx"
    path.write_text("""<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Fot 1</name><trkseg>
<trkpt lat="62.4870" lon="17.3250"><time>2024-03-01T18:00:00Z</time></trkpt>
<trkpt lat="62.4880" lon="17.3260"><time>2024-03-01T18:01:00Z</time></trkpt>
<trkpt lat="62.4890" lon="17.3270"><time>2024-03-01T18:02:30Z</time></trkpt>
</trkseg></trk></gpx>""", encoding="utf-8")
    import_layer_file(store, "patrols", path)
    row = store.read("patrols").iloc[0]
    assert row["unit"] == "Fot 1"
    assert row["times"] == ["2024-03-01T18:00:00+00:00", "2024-03-01T18:01:00+00:00",
                            "2024-03-01T18:02:30+00:00"]
    assert row["start"].isoformat() == "2024-03-01T18:00:00+00:00"
    assert len(shapely.get_coordinates(row.geometry)) == 3


def test_gpx_without_times_is_kept_for_street_coverage(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "utan_tid.gpx"
    path.write_text("""<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Fot 2</name><trkseg><trkpt lat="62.4870" lon="17.3250"/>
<trkpt lat="62.4880" lon="17.3260"/></trkseg></trk></gpx>""", encoding="utf-8")
    import_layer_file(store, "patrols", path)
    row = store.read("patrols").iloc[0]
    assert row["times"] is None and row["start"] is None or row["start"] != row["start"]


def test_osm_roads_become_candidate_risk_roads(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "timra.osm"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
 <node id="1" lat="62.480" lon="17.320" version="1"/>
 <node id="2" lat="62.490" lon="17.330" version="1"/>
 <node id="3" lat="62.500" lon="17.340" version="1"/>
 <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
  <tag k="highway" v="trunk"/><tag k="ref" v="E 4"/><tag k="maxspeed" v="100"/></way>
 <way id="11" version="1"><nd ref="1"/><nd ref="3"/><tag k="highway" v="footway"/></way>
</osm>""", encoding="utf-8")
    import_layer_file(store, "risk_roads", path)
    roads = store.read("risk_roads")
    assert len(roads) == 1  # the footway is not a road for traffic checks
    row = roads.iloc[0]
    assert (row["road_ref"], row["highway"], row["speed_limit_kmh"]) == ("E4", "trunk", 100)
    assert row["risk_weight"] == 0.0 and "OpenStreetMap way 10" in row["source"]


def test_zipped_shapefile(tmp_path: Path, store: Store) -> None:
    zones = gpd.GeoDataFrame({"name": ["Vivsta centrum"], "priority": [1]},
                             geometry=[shapely.Polygon(ZONE)], crs="EPSG:4326").to_crs(3006)
    folder = tmp_path / "shp"
    folder.mkdir()
    pyogrio.write_dataframe(zones, folder / "zoner.shp")
    archive = tmp_path / "zoner.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    import_layer_file(store, "patrol_zones", archive)
    assert store.read("patrol_zones").iloc[0]["name"] == "Vivsta centrum"
    no_prj = tmp_path / "utan_prj.zip"
    with zipfile.ZipFile(no_prj, "w") as zf:
        for part in folder.iterdir():
            if part.suffix != ".prj":
                zf.write(part, part.name)
    with pytest.raises(ImportRejected, match="har ingen .prj"):
        import_layer_file(store, "patrol_zones", no_prj)


def test_zip_bomb_is_refused(tmp_path: Path, store: Store) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zoner.shp", b"\0" * 50_000_000)
        zf.writestr("zoner.shx", b"")
        zf.writestr("zoner.dbf", b"")
    with pytest.raises(ImportRejected, match="zip-bomb"):
        import_layer_file(store, "patrol_zones", archive)


def test_unknown_extension(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(ImportRejected, match="okänd filtyp '.xlsx'"):
        import_layer_file(store, "risk_roads", path)


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv"])
def test_export_import_round_trip(tmp_path: Path, store: Store, suffix: str) -> None:
    path = write_json(tmp_path / "in.geojson", fc(
        feature(line(VIVSTA, ARENA), name="E4 <b>fet</b>", road_ref="E4", risk_weight=3.5,
                risk_categories=["hastighet", "rattfylleri"], speed_limit_kmh=90,
                provenance="derived", source="test")))
    import_layer_file(store, "risk_roads", path)
    out = tmp_path / f"ut{suffix}"
    assert export_layer_file(store, "risk_roads", out) == 1
    other = Store.open(tmp_path / "other.sqlite")
    import_layer_file(other, "risk_roads", out)
    a, b = store.read("risk_roads").iloc[0], other.read("risk_roads").iloc[0]
    for column in ("name", "road_ref", "risk_weight", "risk_categories", "speed_limit_kmh",
                   "provenance", "source"):
        assert a[column] == b[column], column
    assert a.geometry.equals_exact(b.geometry, 0.01)
    other.close()


def test_geojson_export_is_rfc7946(tmp_path: Path, store: Store) -> None:
    import_layer_file(store, "risk_roads", write_json(tmp_path / "in.geojson", fc(
        feature(line(VIVSTA, ARENA), name="E4"))))
    out = tmp_path / "ut.geojson"
    export_layer_file(store, "risk_roads", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert "crs" not in doc
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0]
    assert abs(lon - VIVSTA[0]) < 1e-6 and abs(lat - VIVSTA[1]) < 1e-6


def test_geopackage_export_is_listed_by_ogrinfo(tmp_path: Path, store: Store) -> None:
    import_layer_file(store, "risk_roads", write_json(tmp_path / "in.geojson", fc(
        feature(line(VIVSTA, ARENA), name="E4"))))
    out = tmp_path / "ut.gpkg"
    export_layer_file(store, "risk_roads", out)
    ogrinfo = shutil.which("ogrinfo")
    assert ogrinfo, "ogrinfo (Debian gdal-bin) is needed; make test installs it"
    listing = subprocess.run([ogrinfo, "-so", str(out), "risk_roads"], capture_output=True,
                             text=True, check=True).stdout
    assert "Feature Count: 1" in listing
    assert "SWEREF99 TM" in listing or "3006" in listing


def test_csv_export_neutralises_formulas(tmp_path: Path, store: Store) -> None:
    import_layer_file(store, "risk_roads", write_json(tmp_path / "in.geojson", fc(
        feature(line(VIVSTA, ARENA), name='=HYPERLINK("http://example.com","klicka")'))))
    out = tmp_path / "ut.csv"
    export_layer_file(store, "risk_roads", out)
    assert "'=HYPERLINK" in out.read_text(encoding="utf-8")


def test_gpx_export_of_an_empty_layer_is_a_valid_gpx(tmp_path: Path, store: Store) -> None:
    out = tmp_path / "tom.gpx"
    assert export_layer_file(store, "traffic_checks", out) == 0
    assert pyogrio.read_dataframe(out, layer="waypoints").empty


def test_csv_in_a_local_zone_is_refused_then_imported_with_its_crs(tmp_path: Path,
                                                                   store: Store) -> None:
    # Issue 14: 230000;6950000 is SWEREF 99 17 15 (EPSG:3014); as EPSG:3006 it lies in Norway.
    path = tmp_path / "kontroller.csv"
    path.write_text("E;N;status\n230000;6950000;planerad\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"kontroller.csv: kolumnerna 'E'/'N'.*"
                                             r"--crs EPSG:3014"):
        import_layer_file(store, "traffic_checks", path)
    assert store.read("traffic_checks").empty
    import_layer_file(store, "traffic_checks", path, ImportOptions(crs="EPSG:3014"))
    web = store.read("traffic_checks").to_crs(4326).geometry.iloc[0]
    assert (round(web.x, 2), round(web.y, 2)) == (18.81, 62.65)


@pytest.mark.parametrize("suffix", [".gpkg", ".csv", ".xlsx"])
def test_export_in_a_local_zone(tmp_path: Path, suffix: str) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from geo.io import read_layer_file, write_layer_file
    from geo.layers import layer_spec

    spec = layer_spec("traffic_checks")
    checks = gpd.GeoDataFrame({"status": ["planerad"], "place": ["Vivsta"],
                               "provenance": ["illustrative"], "source": ["test"]},
                              geometry=[shapely.Point(VIVSTA)], crs="EPSG:4326").to_crs(3006)
    checks.index = [7]
    path = write_layer_file(checks, spec, tmp_path / f"kontroller{suffix}", crs="EPSG:3014")
    local = checks.to_crs(3014).geometry.iloc[0]
    if suffix == ".xlsx":
        rows = list(load_workbook(path).worksheets[0].values)
        header = list(rows[0])
        east = rows[1][header.index("E (EPSG:3014 (SWEREF 99 17 15))")]
        assert east == pytest.approx(local.x, abs=0.001)
        assert "Geometri (WKT, EPSG:3014 (SWEREF 99 17 15))" in header
        return
    back = read_layer_file(path, spec)  # the file names its CRS: nothing to give
    assert back.crs.to_epsg() == 3014
    point = back.geometry.iloc[0]
    assert (point.x, point.y) == pytest.approx((local.x, local.y), abs=0.001)
    if suffix == ".csv":
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert {"e_3014", "n_3014", "wkt_3014"} <= set(header) and "lat" not in header


def test_export_crs_is_checked(tmp_path: Path) -> None:
    from geo.io import write_layer_file
    from geo.layers import layer_spec

    spec = layer_spec("traffic_checks")
    checks = gpd.GeoDataFrame({"status": ["planerad"]}, geometry=[shapely.Point(VIVSTA)],
                              crs="EPSG:4326").to_crs(3006)
    with pytest.raises(ImportRejected, match="GEOJSON är alltid WGS84"):
        write_layer_file(checks, spec, tmp_path / "k.geojson", crs="EPSG:3014")
    with pytest.raises(ImportRejected, match="kan inte exportera i 'EPSG:32633'"):
        write_layer_file(checks, spec, tmp_path / "k.gpkg", crs="EPSG:32633")
    path = write_layer_file(checks, spec, tmp_path / "k.gpkg", crs="EPSG:4326")
    assert pyogrio.read_info(path, layer="traffic_checks")["crs"] == "EPSG:4326"
