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

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Column, MetaData, Text, create_engine

from store import Store, StoreVersionError
from store.accounts import user_for_session, user_for_token
from store.migrations.runner import current_revision, head_revision, upgrade
from store.schema import metadata
from cli import cli

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
    for name, rows in before.items():
        if name == "meta":
            continue
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
