"""The SQLite store: schema version, WAL, validation, all-or-nothing writes, versions."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pytest
import shapely

from geo.errors import Conflict, ImportRejected, NotFound
from store import Store
from store.migrations.runner import head_revision
from store.store import StoreVersionError

VIVSTA = (17.32583, 62.48694)


def road(name: str = "Testvägen", **props) -> gpd.GeoDataFrame:
    line = shapely.LineString([VIVSTA, (17.35, 62.5058)])
    return gpd.GeoDataFrame([{"name": name, **props}], geometry=[line], crs="EPSG:4326")


def test_new_store_has_schema_version_and_wal(store: Store) -> None:
    assert store.schema_version == int(head_revision())
    assert store.revision == head_revision()
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_newer_schema_is_refused(store: Store) -> None:
    con = sqlite3.connect(store.path)
    con.execute("UPDATE alembic_version SET version_num='0999'")
    con.commit()
    con.close()
    store.close()
    with pytest.raises(StoreVersionError, match="0999, nyare än denna Trygg"):
        Store.open(store.path)


def test_insert_stores_3006_and_reads_back_geodataframe(store: Store) -> None:
    ids = store.insert("risk_roads", road(risk_categories="hastighet, rattfylleri",
                                          risk_weight="2,5"), provenance="derived")
    gdf = store.read("risk_roads")
    assert list(gdf.index) == ids
    assert gdf.crs.to_epsg() == 3006
    row = gdf.iloc[0]
    assert row["risk_categories"] == ["hastighet", "rattfylleri"]
    assert row["risk_weight"] == 2.5
    assert row["provenance"] == "derived"
    x, y = shapely.get_coordinates(row.geometry)[0]
    assert 600_000 < x < 640_000 and 6_920_000 < y < 6_940_000  # Timrå in SWEREF 99 TM


def test_invalid_batch_writes_nothing_and_names_every_problem(store: Store) -> None:
    good = road("Bra väg")
    bad = road("Dålig väg", risk_weight=-1, risk_categories="fortkorning")
    batch = gpd.GeoDataFrame(gpd.pd.concat([good, bad], ignore_index=True), crs="EPSG:4326")
    with pytest.raises(ImportRejected) as err:
        store.insert("risk_roads", batch, origin="vagar.geojson")
    message = str(err.value)
    assert "vagar.geojson, objekt 1: Riskvikt (risk_weight)" in message
    assert "objekt 1: Riskkategorier (risk_categories)" in message
    assert store.count("risk_roads") == 0


def test_sensitive_category_is_always_flagged(store: Store) -> None:
    place = gpd.GeoDataFrame([{"category": "vald_i_nara_relation", "sensitive": False,
                               "reported_at": "2024-03-01"}],
                             geometry=[shapely.Point(VIVSTA)], crs="EPSG:4326")
    (fid,) = store.insert("unsafe_places", place)
    assert bool(store.get("unsafe_places", fid)["sensitive"].iloc[0]) is True
    (other,) = store.insert("unsafe_places", place.assign(category="belysning"))
    store.update("unsafe_places", other, {"category": "sexualbrott"})
    assert bool(store.get("unsafe_places", other)["sensitive"].iloc[0]) is True


def test_update_is_conditional_on_version(store: Store) -> None:
    (fid,) = store.insert("risk_roads", road())
    updated = store.update("risk_roads", fid, {"note": "ny"}, expected_version=1)
    assert updated["version"].iloc[0] == 2
    with pytest.raises(Conflict):
        store.update("risk_roads", fid, {"note": "gammal"}, expected_version=1)
    assert store.get("risk_roads", fid)["note"].iloc[0] == "ny"


def test_update_rejects_bad_values_and_unknown_fields(store: Store) -> None:
    (fid,) = store.insert("risk_roads", road())
    with pytest.raises(ImportRejected, match="speed_limit_kmh"):
        store.update("risk_roads", fid, {"speed_limit_kmh": "fort"})
    with pytest.raises(ImportRejected, match="ingen egenskap 'colour'"):
        store.update("risk_roads", fid, {"colour": "red"})


def test_delete_and_missing(store: Store) -> None:
    (fid,) = store.insert("risk_roads", road())
    store.delete("risk_roads", fid)
    with pytest.raises(NotFound):
        store.get("risk_roads", fid)
    with pytest.raises(NotFound):
        store.delete("risk_roads", fid)


def test_bbox_query(store: Store) -> None:
    store.insert("risk_roads", road("Nära"))
    far = gpd.GeoDataFrame([{"name": "Långt bort"}],
                           geometry=[shapely.LineString([(18.0, 59.3), (18.1, 59.35)])],
                           crs="EPSG:4326")
    store.insert("risk_roads", far)
    near = store.read("risk_roads", bbox=(600_000, 6_900_000, 650_000, 6_950_000))
    assert list(near["name"]) == ["Nära"]


def test_upsert_is_idempotent(store: Store) -> None:
    events = gpd.GeoDataFrame(
        [{"event_id": 1, "type": "Rattfylleri", "time": "2024-01-01 7:00:00 +01:00"},
         {"event_id": 2, "type": "Stöld", "time": "2024-01-02T08:00:00+01:00"}],
        geometry=[shapely.Point(VIVSTA)] * 2, crs="EPSG:4326")
    assert store.upsert("events", events) == (2, 0)
    before = store.dump()["events"]
    assert store.upsert("events", events) == (0, 0)
    assert store.dump()["events"] == before
    changed = events.assign(type=["Rattfylleri", "Stöld/inbrott"])
    assert store.upsert("events", changed) == (0, 1)


def test_layer_counts_match_the_features_without_reading_them(store: Store) -> None:
    from geo.privacy import without_sensitive

    point = gpd.GeoSeries.from_xy([VIVSTA[0]] * 4, [VIVSTA[1]] * 4, crs="EPSG:4326")
    store.insert("unsafe_places", gpd.GeoDataFrame({
        "category": ["sexualbrott", "belysning", "belysning", "skadegorelse"],
        "reported_at": ["2024-01-01"] * 4, "sensitive": [False, True, False, None],
        "provenance": ["real", "real", "illustrative", "illustrative"]}, geometry=point))
    store.insert("risk_roads", road("Simulerad"), provenance="simulated")
    (gone,) = store.insert("risk_roads", road("Borttagen"), provenance="derived")
    store.delete("risk_roads", gone)
    assert store.count("events") == 0 and store.latest_update("events") is None
    for hide in (False, True):
        counts = store.layer_counts(["unsafe_places", "risk_roads", "events"],
                                    hide_sensitive=hide)
        for layer, found in counts.items():
            gdf = store.read(layer)
            gdf = without_sensitive(layer, gdf) if hide else gdf
            assert found.count == len(gdf) == store.count(layer, hide_sensitive=hide)
            assert found.provenance == dict(sorted(gdf["provenance"].value_counts().items()))
            assert found.latest_update == (gdf["updated_at"].max() if len(gdf) else None)
        assert store.counts(hide_sensitive=hide)["unsafe_places"] == (2 if hide else 4)
    assert store.layer_counts(["risk_roads"])["risk_roads"].provenance == {"simulated": 1}
    store.update("risk_roads", int(store.read("risk_roads").index[0]), {"note": "nu"})
    assert store.latest_update("risk_roads") == store.read("risk_roads")["updated_at"].max()
