"""The store on PostGIS (issue 15): the store contract tests of the SQLite store run here again
against a real PostgreSQL server with PostGIS (``tests/pg.py`` starts a throwaway one), the API
answers over real HTTP as it does over SQLite, and ``store.copy`` moves a store between the two.

The ``store`` and ``demo_store`` fixtures below replace conftest's SQLite ones for every test in
this module, the imported contract tests included."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import httpx2 as httpx
import psycopg
import pytest
import shapely
from sqlalchemy import select, text

import store.copy as store_copy
from api.app import create_app
from store import Store, StoreVersionError
from store.accounts import add_user, user_for_token
from store.copy import DestinationNotEmpty, copy_store
from store.migrations.runner import head_revision, store_engine, store_target, upgrade
from store.schema import layer_tables, metadata
from tests import pg
from tests.conftest import SECRET, LiveServer
from tests.test_access_matrix import (  # noqa: F401  (run here against PostGIS)
    matrix_client,
    test_a_record_hidden_during_a_council_write_is_not_written,
    test_only_police_roles_make_a_place_sensitive,
    test_planned_checks_are_for_police_roles_everywhere,
    test_police_roles_write_hidden_records_and_get_filtered_bodies,
    test_writes_to_records_a_role_may_not_read_answer_as_a_read,
)
from tests.test_api import (  # noqa: F401
    test_council_never_receives_sensitive_records,
    test_create_read_patch_delete,
    test_file_upload_import_is_all_or_nothing,
    test_invalid_post_is_422_with_details_and_writes_nothing,
)
from tests.test_audit import (  # noqa: F401
    test_every_write_is_audited_with_actor_and_versions,
    test_import_is_one_audit_row_with_counts,
)
from tests.test_concurrency import test_twenty_writers_lose_no_update  # noqa: F401
from tests.test_ogc import _add_hidden
from tests.test_paging import (  # noqa: F401
    paged,
    test_etag_304_and_change_after_a_write,
    test_read_page_sql_matches_the_viewer_filter_with_missing_values,
)
from tests.test_store import (  # noqa: F401
    test_bbox_query,
    test_delete_and_missing,
    test_insert_stores_3006_and_reads_back_geodataframe,
    test_invalid_batch_writes_nothing_and_names_every_problem,
    test_layer_counts_match_the_features_without_reading_them,
    test_sensitive_category_is_always_flagged,
    test_update_is_conditional_on_version,
    test_update_rejects_bad_values_and_unknown_fields,
    test_upsert_is_idempotent,
)
from trygg.settings import Settings

VIVSTA = (17.32583, 62.48694)


@pytest.fixture
def pg_url(pg_cluster: pg.Cluster) -> str:
    """A store database at the newest schema with nothing in it, for one test."""
    return pg_cluster.fresh_store()


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    s = Store.open(pg_url)
    yield s
    s.close()


@pytest.fixture
def demo_store(demo_template: Path, pg_url: str) -> Iterator[Store]:
    """The Timrå demo copied into a new PostGIS database."""
    copy_store(demo_template, pg_url)
    s = Store.open(pg_url)
    yield s
    s.close()


def _sqlite_copy(template: Path, path: Path) -> Path:
    src, dst = sqlite3.connect(template), sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


# --- the server and the schema ------------------------------------------------------------------

def test_missing_postgres_fails_with_the_packages_to_install(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    (tmp_path / "15" / "bin").mkdir(parents=True)
    (tmp_path / "15" / "bin" / "initdb").touch()
    monkeypatch.setattr(pg, "PG_ROOT", tmp_path)
    monkeypatch.setattr(pg, "EXTENSIONS", tmp_path / "share")
    with pytest.raises(pg.PostgresMissing, match=r"'postgresql' and 'postgis'.*found under "
                                                 r".*: 15; PostGIS for none.*make system-deps"):
        pg.postgres_bin()


def test_schema_is_postgis_geometry_in_3006_with_gist_indexes(store: Store) -> None:
    assert store.backend == "postgresql" and store.path is None
    assert store.revision == head_revision()
    assert "trygg@" in store.location and "host=" in store.location
    with store.engine.connect() as conn:
        for name, table in layer_tables.items():
            srid, kind = conn.execute(text(
                "SELECT srid, type FROM geometry_columns WHERE f_table_name = :t "
                "AND f_geometry_column = 'geometry'"), {"t": name}).one()
            assert (srid, kind) == (3006, "GEOMETRY"), name
            indexes = conn.execute(text("SELECT indexdef FROM pg_indexes WHERE tablename = :t"),
                                   {"t": name}).scalars().all()
            assert any("USING gist (geometry)" in d for d in indexes), name
            columns = set(conn.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :t"),
                {"t": name}).scalars())
            assert columns == set(table.c.keys()), name
        tables = set(conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert tables == {t.name for t in metadata.sorted_tables} | {"alembic_version",
                                                                 "spatial_ref_sys"}
    assert store.integrity_ok()


def test_geometry_is_queryable_in_sql_with_the_index(store: Store) -> None:
    """Other GIS tools read the table itself: the geometry is real PostGIS, in metres."""
    near = gpd.GeoDataFrame([{"name": "Nära"}], geometry=[shapely.LineString(
        [VIVSTA, (17.35, 62.5058)])], crs="EPSG:4326")
    far = near.assign(name="Långt bort", geometry=[shapely.LineString([(18.0, 59.3),
                                                                       (18.1, 59.35)])])
    store.insert("risk_roads", gpd.GeoDataFrame(gpd.pd.concat([near, far]), crs="EPSG:4326"))
    table = layer_tables["risk_roads"]
    with store.engine.connect() as conn:
        found = conn.execute(text(
            "SELECT name, round(ST_Length(geometry)) FROM risk_roads WHERE geometry && "
            "ST_MakeEnvelope(600000, 6900000, 650000, 6950000, 3006)")).all()
        wkb = conn.execute(select(table.c.geometry).where(table.c.name == "Nära")).scalar_one()
    expected = store.read("risk_roads", where={"name": "Nära"}).geometry.iloc[0]
    assert [(name, float(length)) for name, length in found] == [
        ("Nära", round(expected.length))]
    assert shapely.from_wkb(wkb).equals_exact(expected, 1e-9)


def test_newer_or_foreign_database_is_refused(pg_cluster: pg.Cluster, store: Store) -> None:
    url = str(store.engine.url.render_as_string(hide_password=False))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    store.close()
    with pytest.raises(StoreVersionError, match="0999, nyare än denna Trygg"):
        Store.open(url)
    foreign = pg_cluster.empty_database()
    with psycopg.connect(host=str(pg_cluster.folder), port=pg_cluster.port, user=pg.SUPERUSER,
                         dbname=foreign.split("/")[3].split("?")[0], autocommit=True) as conn:
        conn.execute("CREATE TABLE kunder (id integer)")
    with pytest.raises(StoreVersionError, match="ingen Trygg-databas.*kunder"):
        Store.open(foreign)


def test_new_database_gets_postgis_and_every_migration_once(pg_cluster: pg.Cluster) -> None:
    url = pg_cluster.empty_database()
    first = Store.open(url)
    assert first.upgraded is not None and first.upgraded.from_revision is None
    assert first.upgraded.to_revision == head_revision() and first.upgraded.backup is None
    assert "trygg@" in str(first.upgraded.path)
    first.close()
    again = Store.open(url)
    assert again.upgraded is None and again.revision == head_revision()
    again.close()


def test_url_setting_stays_a_url_and_a_folded_one_still_opens_postgres(pg_url: str) -> None:
    given = pg_url.replace("postgresql+psycopg://", "postgresql://")
    assert Settings(db=given, secret=SECRET).db == given  # TRYGG_DB=postgresql://... kept as text
    assert isinstance(Settings(db="var/trygg.sqlite", secret=SECRET).db, Path)
    mangled = Path(given)  # what a Path makes of a URL (an older caller's setting)
    assert str(mangled).startswith("postgresql:/trygg@/")
    s = Store.open(mangled)
    assert s.backend == "postgresql" and s.revision == head_revision()
    s.close()
    assert store_target(Path("var/postgresql.sqlite")) == Path("var/postgresql.sqlite")


# --- the API over PostGIS, over real HTTP -------------------------------------------------------

HTTP_READS = (
    "/api/layers",
    "/api/layers/unsafe_places",
    "/api/layers/events?limit=20&offset=10",
    "/api/layers/events?bbox=17.2,62.35,17.5,62.6&limit=50",
    "/api/layers/traffic_checks",
    "/ogc/collections",
    "/ogc/collections/events/items?limit=7&offset=3",
    "/ogc/collections/unsafe_places/items?bbox=17.0,62.3,17.7,62.7",
)


def _answers(store: Store, settings: Settings, tokens: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    with LiveServer(create_app(settings, store=store)) as server, httpx.Client(
            base_url=server.url, timeout=120) as client:
        for role, token in tokens.items():
            for url in HTTP_READS:
                answer = client.get(url, headers={"Authorization": f"Bearer {token}"})
                body = answer.text.replace(server.url, "BASE")  # links name the server
                doc = json.loads(body)
                if isinstance(doc, dict):
                    doc.pop("timeStamp", None)  # when it was answered (OGC items)
                out[f"{role} {url}"] = (answer.status_code, doc)
    return out


def test_api_over_postgis_answers_as_over_sqlite(demo_template: Path, tmp_path: Path,
                                                 pg_url: str, settings: Settings) -> None:
    lite_path = _sqlite_copy(demo_template, tmp_path / "lite.sqlite")
    lite = Store.open(lite_path)
    _add_hidden(lite)  # records the council may not see, beside the demo's
    tokens = {role: add_user(lite, f"http-{role}", role, secret=SECRET)
              for role in ("rad", "planerare")}
    copied = copy_store(lite_path, pg_url)  # accounts too: the same tokens sign in
    assert copied.rows["users"] == 2
    postgis = Store.open(pg_url)
    try:
        over_sqlite = _answers(lite, settings, tokens)
        over_postgis = _answers(postgis, settings, tokens)
    finally:
        lite.close()
        postgis.close()
    assert all(status == 200 for status, _ in over_sqlite.values())
    counted = over_postgis["rad /api/layers"][1]
    assert isinstance(counted, list) and sum(layer["count"] for layer in counted) > 100
    for key, answer in over_sqlite.items():
        assert over_postgis[key] == answer, key


# --- copying between SQLite and PostGIS ---------------------------------------------------------

def test_copy_sqlite_to_postgis_and_back_keeps_everything(demo_template: Path, tmp_path: Path,
                                                          pg_url: str) -> None:
    source = _sqlite_copy(demo_template, tmp_path / "source.sqlite")
    lite = Store.open(source)
    token = add_user(lite, "Kopierad Admin", "admin", secret=SECRET)
    gone = int(lite.read("events").index[0])
    lite.delete("events", gone)
    before, audit_before, generation = lite.dump(), lite.audit(limit=10_000), \
        lite.generation("events")
    lite.close()

    there = copy_store(source, pg_url)
    assert there.rows["events"] == len(before["events"]) and there.rows["users"] == 1
    assert there.rows["audit"] == len(audit_before)
    back = copy_store(pg_url, tmp_path / "back.sqlite")
    assert back.rows == {**there.rows, "audit": len(audit_before) + 1}

    postgis = Store.open(pg_url)
    try:
        assert postgis.dump() == before  # ids, versions, timestamps, soft deletes, geometry
        assert gone not in postgis.read("events").index
        trail = postgis.audit(limit=10_000)
        assert trail[0]["action"] == "copy" and trail[0]["details"]["from"] == str(source)
        assert trail[1:] == audit_before
        assert postgis.generation("events") > generation
        user = user_for_token(postgis, token, secret=SECRET)
        assert user is not None and user.role == "admin"
        (new_id,) = postgis.insert("events", gpd.GeoDataFrame(
            {"event_id": [987_654_321], "type": ["Trafikolycka"],
             "time": ["2024-05-01T10:00:00Z"]}, geometry=[shapely.Point(VIVSTA)],
            crs="EPSG:4326"))
        assert new_id == max(r["id"] for r in before["events"]) + 1  # the id sequence moved on
    finally:
        postgis.close()
    returned = Store.open(tmp_path / "back.sqlite")
    try:
        assert returned.dump() == before
        assert [r["action"] for r in returned.audit(limit=2)] == ["copy", "copy"]
        assert returned.integrity_ok()
    finally:
        returned.close()


def test_copy_refuses_a_store_with_data_and_replaces_it_when_asked(tmp_path: Path,
                                                                   demo_template: Path,
                                                                   store: Store,
                                                                   pg_url: str) -> None:
    source = _sqlite_copy(demo_template, tmp_path / "source.sqlite")
    store.insert("risk_roads", gpd.GeoDataFrame([{"name": "Finns redan"}], geometry=[
        shapely.LineString([VIVSTA, (17.35, 62.5058)])], crs="EPSG:4326"))
    kept = store.dump()
    with pytest.raises(DestinationNotEmpty, match=r"already holds data \(audit: 1, "
                                                  r"risk_roads: 1\)"):
        copy_store(source, pg_url)
    assert store.dump() == kept
    report = copy_store(source, pg_url, replace=True)
    lite = Store.open(source)
    assert store.dump() == lite.dump() and store.counts() == lite.counts()
    lite.close()
    assert store.audit(limit=1)[0]["details"]["replaced"] is True
    assert report.total > 100
    with pytest.raises(ValueError, match="same store"):
        copy_store(pg_url, pg_url)


def test_failed_copy_leaves_the_destination_as_it_was(tmp_path: Path, demo_template: Path,
                                                      store: Store, pg_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    source = _sqlite_copy(demo_template, tmp_path / "source.sqlite")
    store.insert("risk_roads", gpd.GeoDataFrame([{"name": "Kvar"}], geometry=[
        shapely.LineString([VIVSTA, (17.35, 62.5058)])], crs="EPSG:4326"))
    kept, kept_audit = store.dump(), store.audit()
    real = store_copy._copy_rows
    copied: list[str] = []

    def failing(source_conn, destination_conn, table):  # type: ignore[no-untyped-def]
        if len(copied) == 3:
            raise OSError("disk full")
        copied.append(table.name)
        return real(source_conn, destination_conn, table)

    monkeypatch.setattr(store_copy, "_copy_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        copy_store(source, pg_url, replace=True)
    assert len(copied) == 3
    assert store.dump() == kept and store.audit() == kept_audit
    copied.clear()
    with pytest.raises(OSError, match="disk full"):  # PostGIS to a new SQLite file
        copy_store(pg_url, tmp_path / "target.sqlite")
    target = Store.open(tmp_path / "target.sqlite")
    assert target.counts() == dict.fromkeys(layer_tables, 0) and target.audit() == []
    target.close()


# --- crash safety -------------------------------------------------------------------------------

IMPORTER = """
import sys
import geopandas as gpd
import numpy as np
from store import Store
n = int(sys.argv[2])
points = gpd.GeoSeries.from_xy(17.2 + (np.arange(n) % 1000) * 1e-4,
                               62.4 + np.arange(n) // 1000 * 1e-4, crs="EPSG:4326")
checks = gpd.GeoDataFrame({"status": ["genomford"] * n, "place": [f"K{i}" for i in range(n)]},
                          geometry=points)
Store.open(sys.argv[1]).insert("traffic_checks", checks, origin="stor.geojson", audit="import")
"""


def test_sigkill_during_import_leaves_no_partial_import(pg_cluster: pg.Cluster, store: Store,
                                                        pg_url: str) -> None:
    """The importing process dies in the middle of its transaction: PostgreSQL rolls it back,
    and the writers' lock it held is free again."""
    child = subprocess.Popen([sys.executable, "-c", IMPORTER, pg_url, "60000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    database = pg_url.split("/")[3].split("?")[0]
    deadline = time.monotonic() + 180
    inserting = 0
    with pg_cluster.connect() as watcher:
        while time.monotonic() < deadline and child.poll() is None and inserting < 3:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND query LIKE "
                "'INSERT INTO traffic_checks%%'", (database,)).fetchone()
            inserting += 1 if row is not None and row[0] else 0
            time.sleep(0.05)
    assert child.poll() is None, ("the import finished before it could be killed: "
                                  f"{child.communicate()[1].decode()[-500:]}")
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert store.count("traffic_checks") == 0 and store.generation("traffic_checks") == 0
    assert store.audit() == [] and store.integrity_ok()
    (fid,) = store.insert("traffic_checks", gpd.GeoDataFrame(  # the lock did not outlive it
        {"status": ["genomford"]}, geometry=[shapely.Point(VIVSTA)], crs="EPSG:4326"))
    assert store.count("traffic_checks") == 1 and fid >= 1


def test_migration_0004_turns_stored_wkb_into_postgis_geometry(pg_cluster: pg.Cluster) -> None:
    """A PostgreSQL store at 0003 (geometry as WKB in bytea) keeps every feature, now as
    PostGIS geometry in EPSG:3006."""
    url = pg_cluster.empty_database()
    with psycopg.connect(host=str(pg_cluster.folder), port=pg_cluster.port, user=pg.SUPERUSER,
                         dbname=url.split("/")[3].split("?")[0], autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    assert upgrade(url, to_revision="0003").to_revision == "0003"
    line = shapely.LineString([(619_580.5, 6_929_802.0), (621_045.3, 6_932_085.0)])
    engine = store_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO risk_roads (geometry, minx, miny, maxx, maxy, created_at, updated_at, "
            "version, name, provenance) VALUES (:g, 0, 0, 1, 1, 'x', 'x', 1, 'Gamla', 'real')"),
            {"g": shapely.to_wkb(line)})
        assert conn.execute(text("SELECT pg_typeof(geometry)::text FROM risk_roads")
                            ).scalar_one() == "bytea"
    engine.dispose()
    done = upgrade(url)
    assert (done.from_revision, done.to_revision) == ("0003", head_revision())
    s = Store.open(url)
    try:
        (geometry,) = s.read("risk_roads").geometry
        assert geometry.equals_exact(line, 0)
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT ST_SRID(geometry) FROM risk_roads")).scalar_one() \
                == 3006
    finally:
        s.close()


def test_trygg_db_copy_from_sqlite_to_postgis(demo_template: Path, tmp_path: Path,
                                              pg_url: str) -> None:
    from click.testing import CliRunner

    from cli import cli

    source = _sqlite_copy(demo_template, tmp_path / "source.sqlite")
    runner = CliRunner()
    done = runner.invoke(cli, ["db", "copy", str(source), pg_url])
    assert done.exit_code == 0, done.output
    assert "rader kopierade" in done.output and "events" in done.output
    again = runner.invoke(cli, ["db", "copy", str(source), pg_url])
    assert again.exit_code == 1 and "Fel:" in again.output
    lite, postgis = Store.open(source), Store.open(pg_url)
    try:
        assert postgis.counts() == lite.counts()
    finally:
        lite.close()
        postgis.close()
