"""Bring a store file to the schema of this Trygg: the versioned migrations in ``versions/``.

``upgrade(path)`` is run by every ``Store.open``: a new file is created at the head revision; a
file at an older revision is first copied beside itself with SQLite's online backup API (WAL
content included), then upgraded in one transaction; a file at the head is left alone; a file
from a newer Trygg raises ``StoreVersionError``. A store written before migrations existed
(schema version 1 in table ``meta``, no ``alembic_version``) is the baseline revision 0001.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text

from geo.errors import TryggError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001"


class StoreVersionError(TryggError, RuntimeError):
    """The store file was written by a newer version of Trygg (or is not a Trygg store)."""


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the revision before (None for a new file), after, and the backup."""

    path: Path
    from_revision: str | None
    to_revision: str
    backup: Path | None

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision or self.backup is not None


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic configuration of the shipped migrations, optionally bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this Trygg knows, e.g. ``"0002"``."""
    head = _script().get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {s.revision for s in _script().walk_revisions()}


def revision_number(revision: str) -> int:
    """The schema version shown to people (``/api/health``): the revision as an integer."""
    return int(revision)


def _newer(path: Path, found: str) -> StoreVersionError:
    head = head_revision()
    return StoreVersionError(
        f"Databasen {str(path)!r} har schemaversion {found}, nyare än denna Trygg ({head}): "
        f"uppgradera Trygg / the store {str(path)!r} has schema version {found}, newer than "
        f"this Trygg ({head}): upgrade Trygg")


def _revision_of(path: Path, execute: Callable[[str], Any]) -> tuple[str | None, bool]:
    """The revision of the database that ``execute`` (``sqlite3.Connection.execute`` or
    ``Connection.exec_driver_sql``) runs SQL on, None for an empty file, and whether it has
    alembic's version table; raises ``StoreVersionError`` for a newer or foreign store."""
    tables = {r[0] for r in execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    if "alembic_version" in tables:
        rows = execute("SELECT version_num FROM alembic_version").fetchall()
        if len(rows) != 1:
            raise StoreVersionError(f"Databasen {str(path)!r} har ingen entydig schemaversion / "
                                    f"the store {str(path)!r} has no single schema version "
                                    f"({[r[0] for r in rows]})")
        found = str(rows[0][0])
    elif "meta" in tables:  # written before migrations: only schema version 1 ever existed
        row = execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        found = BASELINE if row is None or str(row[0]) == "1" else str(row[0])
    elif tables:
        raise StoreVersionError(f"{str(path)!r} är ingen Trygg-databas (tabeller: "
                                f"{', '.join(sorted(tables))}) / {str(path)!r} is not a Trygg "
                                "store")
    else:
        return None, False
    if found not in known_revisions():
        raise _newer(path, found)
    return found, "alembic_version" in tables


def current_revision(path: str | Path) -> str | None:
    """The revision of the store at ``path`` without changing it; None if it is new or empty."""
    return _state(Path(path))[0]


def needs_upgrade(path: str | Path) -> bool:
    """True if opening the store at ``path`` would change its schema (False for a new file)."""
    found, versioned = _state(Path(path))
    return found is not None and (found != head_revision() or not versioned)


def _state(path: Path) -> tuple[str | None, bool]:
    if not path.exists():
        return None, False
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return _revision_of(path, con.execute)
    finally:
        con.close()


def sqlite_engine(path: Path, *, foreign_keys: bool) -> Engine:
    """The store's SQLite engine: WAL, synchronous writes, BEGIN IMMEDIATE (SQLAlchemy's BEGIN is
    the real start of a transaction; pysqlite defers it), a 30 s busy timeout. Migrations run with
    ``foreign_keys=False``: SQLite's batch mode copies and drops tables, which must not cascade."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30,
                                                                "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def backup_path(path: Path, revision: str) -> Path:
    """Where the backup of ``path`` at ``revision`` goes: beside it, named by revision and time."""
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{revision}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.bak-{revision}-{stamp}-{n}")
    return target


def backup(path: Path, target: Path) -> Path:
    """Copy the store ``path`` to ``target`` with SQLite's online backup (WAL content included)."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    dest = sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()
    return target


def upgrade(path: str | Path, *, to_revision: str = "head") -> Upgrade:
    """Create or upgrade the store at ``path`` to ``to_revision`` (backing up an existing file)."""
    path = Path(path)
    target = head_revision() if to_revision == "head" else to_revision
    before, versioned = _state(path)
    if before == target and versioned:
        return Upgrade(path, before, target, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sqlite_engine(path, foreign_keys=False)
    try:
        with engine.begin() as conn:
            before, versioned = _revision_of(path, conn.exec_driver_sql)  # again, under the lock
            if before == target and versioned:
                return Upgrade(path, before, target, None)
            saved = backup(path, backup_path(path, before)) if before is not None else None
            config = alembic_config(conn)
            if before is not None and not versioned:
                command.stamp(config, before)
            command.upgrade(config, target)
            conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
            # Kept for Trygg before migrations, which refuses a store whose number is higher.
            conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
                         {"v": str(revision_number(target))})
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreVersionError(f"upgrade of {str(path)!r} broke foreign keys: {broken}")
    finally:
        engine.dispose()
    if before is None:
        log.info("created store %s at schema revision %s", path, target)
    else:
        log.warning("upgraded store %s from schema revision %s to %s; backup in %s", path,
                    before, target, saved)
    return Upgrade(path, before, target, saved)

