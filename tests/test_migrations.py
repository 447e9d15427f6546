"""Versioned migrations: a store written by the code before migrations (schema 1, commit 5191a73)
upgrades with every row and account intact; the migrations build exactly ``store.schema``; a
store from a newer Trygg is refused with a clear message by the store, the CLI and the API."""

from __future__ import annotations

import gzip
import json
import shutil
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Column, MetaData, Text, create_engine, text

from geo.periods import epoch_seconds
from geo.tracks import VertexTimes, track_vertices
from store import Store, StoreVersionError
from store.accounts import user_for_session, user_for_token
from store.migrations.runner import current_revision, head_revision, store_engine, upgrade
from store.schema import metadata
from cli import cli
from tests import pg

DATA = Path(__file__).resolve().parent / "data"
FIXTURE = json.loads((DATA / "store_schema1.json").read_text())


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A private copy of the schema-1 store made by the code of commit 5191a73."""
    path = tmp_path / "trygg.sqlite"
    with gzip.open(DATA / "store_schema1.sqlite.gz") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (ordered by rowid) straight from SQLite."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: con.execute(f'SELECT * FROM "{n}" ORDER BY rowid').fetchall() for n in names}
    finally:
        con.close()


def _columns(path: Path, table: str) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
    finally:
        con.close()


def _backups(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.bak-*"))


def _diff(path: Path, target: MetaData = metadata) -> list[object]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), target))
    finally:
        engine.dispose()


def test_schema1_store_upgrades_with_every_row_and_account(old_store: Path) -> None:
    before = _tables(old_store)
    old_columns = {name: _columns(old_store, name) for name in before}
    assert "alembic_version" not in before and len(before["users"]) == 2
    assert all(len(before[n]) > 0 for n in ("events", "follow_up_reports", "sessions", "meta"))
    assert current_revision(old_store) == "0001"

    store = Store.open(old_store)
    assert store.upgraded is not None and store.upgraded.from_revision == "0001"
    assert store.revision == head_revision() and store.schema_version == int(head_revision())

    con = sqlite3.connect(old_store)
    times_at = old_columns["patrols"].index("times")
    old_times = {int(str(r[0])): r[times_at] for r in before["patrols"]}
    for name, rows in before.items():
        if name == "meta":
            continue
        if name == "patrols":  # its times became numbers (0006): checked below
            rows = [r[:times_at] + r[times_at + 1:] for r in rows]
            old_columns[name].remove("times")
        columns = ", ".join(f'"{c}"' for c in old_columns[name])
        after = con.execute(f'SELECT {columns} FROM "{name}" ORDER BY rowid').fetchall()
        assert after == rows, f"table {name} changed"
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    con.close()
    assert meta["demo_loaded_at"] == dict(before["meta"])["demo_loaded_at"]
    assert meta["schema_version"] == str(int(head_revision()))

    secret = FIXTURE["secret"]
    for name, token in FIXTURE["tokens"].items():
        user = user_for_token(store, token, secret=secret)
        assert user is not None and user.name == name
    session_user = user_for_session(store, FIXTURE["sessions"]["Fixture Admin"], secret=secret)
    assert session_user is not None and session_user.role == "admin"
    assert store.counts()["events"] == len(before["events"])
    assert len(store.read("follow_up_reports")) == 1
    assert store.integrity_ok()
    _assert_vertex_times_exact(old_times, store)

    (saved,) = _backups(old_store)
    assert saved.name.startswith("trygg.sqlite.bak-0001-") and saved.name.endswith("Z")
    assert store.upgraded.backup == saved
    assert _tables(saved) == before  # the backup is the store as it was, WAL content included
    store.close()

    again = Store.open(old_store)  # opening again changes nothing
    assert again.upgraded is None and again.revision == head_revision()
    assert _backups(old_store) == [saved]
    again.close()
    assert _diff(old_store) == []


def _assert_vertex_times_exact(old_times: dict[int, object], store: Store) -> None:
    """Every track's vertex times after the upgrade are the numbers its texts were read as
    before (``epoch_seconds``, per track), kept as float64 and read without parsing."""
    texts = {fid: json.loads(str(text)) for fid, text in old_times.items()}
    patrols = store.read("patrols")
    assert sorted(texts) == sorted(patrols.index) and len(texts) > 0
    for fid, kept in patrols["times"].items():
        assert isinstance(kept, VertexTimes) and kept.seconds.dtype == np.float64
        expected = epoch_seconds(pd.Series(texts[int(fid)]),
                                 sequence=np.zeros(len(texts[int(fid)])))
        assert np.isfinite(expected).all()
        np.testing.assert_array_equal(kept.seconds, expected)
        assert [pd.Timestamp(t).timestamp() for t in kept] == expected.tolist()
    as_text = patrols.assign(times=[list(texts[int(i)]) for i in patrols.index])
    for now, then in zip(track_vertices(patrols)[0], track_vertices(as_text)[0], strict=True):
        np.testing.assert_array_equal(now, then)


def test_migrations_build_exactly_the_schema_of_store_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    done = upgrade(path)
    assert done.from_revision is None and done.to_revision == head_revision()
    assert done.backup is None and _backups(path) == []
    assert _diff(path) == []


def test_a_field_without_a_migration_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    upgrade(path)
    changed = MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["risk_roads"].append_column(Column("surface", Text))
    assert [d[0] for d in _diff(path, changed)] == ["add_column"]


def test_newer_store_is_refused_by_store_cli_and_api(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "trygg.sqlite"
    Store.open(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(StoreVersionError) as err:
        Store.open(path)
    message = err.value.message
    assert f"har schemaversion 9999, nyare än denna Trygg ({head_revision()})" in message
    assert "uppgradera Trygg" in message and "is newer" not in message
    assert "has schema version 9999, newer than this Trygg" in message
    assert _backups(path) == []

    monkeypatch.setenv("TRYGG_DB", str(path))
    monkeypatch.setenv("TRYGG_SECRET", "test-secret-0123456789abcdef")
    for args in (["layers"], ["db", "upgrade"], ["db", "current"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Fel: Databasen") and "9999" in result.stderr
        assert "Traceback" not in result.output

    from api.app import create_app
    from trygg.settings import Settings

    with pytest.raises(StoreVersionError, match="nyare än denna Trygg"):
        create_app(Settings(db=path, secret="test-secret-0123456789abcdef"))


def test_store_from_before_migrations_with_higher_number_is_refused(old_store: Path) -> None:
    con = sqlite3.connect(old_store)
    con.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreVersionError, match="schemaversion 7, nyare"):
        Store.open(old_store)


def test_cli_db_current_and_upgrade(old_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_DB", str(old_store))
    runner = CliRunner()
    current = runner.invoke(cli, ["db", "current"], catch_exceptions=False)
    assert current.exit_code == 0 and "schemaversion 0001 (äldre" in current.output
    done = runner.invoke(cli, ["db", "upgrade"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert f"från schemaversion 0001 till {head_revision()}" in done.output
    assert "säkerhetskopia: " in done.output and len(_backups(old_store)) == 1
    again = runner.invoke(cli, ["db", "upgrade"], catch_exceptions=False)
    assert "redan aktuell" in again.output and len(_backups(old_store)) == 1
    current = runner.invoke(cli, ["db", "current"], catch_exceptions=False)
    assert f"schemaversion {head_revision()} (aktuell)" in current.output


def test_concurrent_opens_upgrade_once(old_store: Path) -> None:
    errors: list[BaseException] = []
    stores: list[Store] = []

    def open_it() -> None:
        try:
            stores.append(Store.open(old_store))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(_backups(old_store)) == 1
    assert sum(s.upgraded is not None for s in stores) == 1
    for s in stores:
        assert s.revision == head_revision()
        s.close()


# Vertex times as texts the way stores before 0006 held them: UTC, local time without an
# offset (the autumn hour repeated on 2024-10-27: the second 02:10 follows 02:50), an offset,
# an hour without its leading zero, and one that cannot be read; a track without times.
OLD_TIMES = [
    ["2024-09-01T06:14:53Z", "2024-09-01T06:15:23.5Z", "2024-09-01 08:16:00"],
    ["2024-10-27T02:30:00", "2024-10-27T02:50:00", "2024-10-27T02:10:00",
     "2024-10-27T02:40:00"],
    ["2024-03-22 7:28:40 +01:00", "inte en tid", "2024-03-22T07:29:40+01:00"],
    None,
]


def _patrols_before_0006(url: str) -> None:
    """Write OLD_TIMES as patrols of a store at revision 0005 (times as JSON text)."""
    line = shapely.LineString([(619_580.0, 6_929_802.0), (619_600.0, 6_929_822.0)])
    engine = store_engine(url)
    with engine.begin() as conn:
        for i, times in enumerate(OLD_TIMES):
            coords = [(619_580.0 + 10 * k, 6_929_802.0) for k in range(len(times or [0, 0]))]
            conn.execute(text(
                "INSERT INTO patrols (geometry, minx, miny, maxx, maxy, created_at, updated_at, "
                "version, unit, times, provenance) VALUES (:g, 0, 0, 1, 1, 'x', 'x', 1, :u, :t, "
                "'real')"), {"g": shapely.to_wkb(shapely.LineString(coords) if times else line),
                             "u": f"Lag {i}", "t": None if times is None else json.dumps(times)})
    engine.dispose()


def _assert_times_became_numbers(url: str) -> None:
    s = Store.open(url)
    try:
        patrols = s.read("patrols")
        vertices, _ = track_vertices(patrols)
        before, _ = track_vertices(patrols.assign(times=OLD_TIMES))  # read as before 0006
    finally:
        s.close()
    kept = patrols["times"].tolist()
    assert kept[3] is None and all(isinstance(k, VertexTimes) for k in kept[:3])
    for times, now in zip(OLD_TIMES[:3], kept[:3], strict=True):
        one_track = np.zeros(len(times))  # the repeated hour inferred along the track
        np.testing.assert_array_equal(now.seconds,
                                      epoch_seconds(pd.Series(times), sequence=one_track))
    autumn = kept[1].seconds
    assert np.diff(autumn).tolist() == [1200.0, 1200.0, 1800.0]  # the hour repeated once
    assert kept[0] == ["2024-09-01T06:14:53+00:00", "2024-09-01T06:15:23.500000+00:00",
                       "2024-09-01T06:16:00+00:00"]
    assert kept[2][1] is None and np.isnan(kept[2].seconds[1])
    assert vertices.unreadable_times == before.unreadable_times == 1
    for a, b in zip(vertices, before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_0006_keeps_vertex_times_as_numbers_read_as_before_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "trygg.sqlite"
    upgrade(path, to_revision="0005")
    _patrols_before_0006(str(path))
    _assert_times_became_numbers(str(path))
    con = sqlite3.connect(path)
    assert {r[0] for r in con.execute("SELECT typeof(times) FROM patrols")} == {"blob", "null"}
    con.close()


def test_0006_keeps_vertex_times_as_numbers_read_as_before_on_postgis(
        pg_cluster: pg.Cluster) -> None:
    url = pg_cluster.empty_database()
    with pg_cluster.connect(url.split("/")[3].split("?")[0]) as conn:
        conn.execute("CREATE EXTENSION postgis")
    upgrade(url, to_revision="0005")
    _patrols_before_0006(url)
    _assert_times_became_numbers(url)
    with pg_cluster.connect(url.split("/")[3].split("?")[0]) as conn:
        kinds = conn.execute("SELECT DISTINCT pg_typeof(times)::text FROM patrols").fetchall()
    assert kinds == [("bytea",)]
