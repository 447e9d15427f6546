"""Bring a store to the schema of this Trygg: the versioned migrations in ``versions/``.

A store is a SQLite file (a path) or a PostgreSQL database with PostGIS (a URL,
``postgresql://...`` or ``postgresql+psycopg://...``; see ``is_url`` and ``store_engine``).

``upgrade(db)`` is run by every ``Store.open``: a new store is created at the head revision; a
SQLite file at an older revision is first copied beside itself with SQLite's online backup API
(WAL content included), then upgraded in one transaction (a PostgreSQL database is upgraded in
one transaction too, under an advisory lock, and left as it was on any error: PostgreSQL's DDL is
transactional); a store at the head is left alone; a store from a newer Trygg raises
``StoreVersionError``. A store written before migrations existed (schema version 1 in table
``meta``, no ``alembic_version``) is the baseline revision 0001.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from geo.errors import TryggError
from store.views import drop_for_migration, restore_after_migration

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
BASELINE = "0001"


class StoreVersionError(TryggError, RuntimeError):
    """The store file was written by a newer version of Trygg (or is not a Trygg store)."""


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the revision before (None for a new file), after, and the backup."""

    path: Path | str  # the SQLite file, or the PostgreSQL URL without its password
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


def _newer(path: Path | str, found: str) -> StoreVersionError:
    head = head_revision()
    return StoreVersionError(
        f"Databasen {str(path)!r} har schemaversion {found}, nyare än denna Trygg ({head}): "
        f"uppgradera Trygg / the store {str(path)!r} has schema version {found}, newer than "
        f"this Trygg ({head}): upgrade Trygg")


def _revision_of(path: Path | str, execute: Callable[[str], Any],
                 tables: set[str] | None = None) -> tuple[str | None, bool]:
    """The revision of the database that ``execute`` (``sqlite3.Connection.execute`` or
    ``Connection.exec_driver_sql``) runs SQL on, None for an empty store, and whether it has
    alembic's version table; raises ``StoreVersionError`` for a newer or foreign store.
    ``tables``: the database's table names (default: SQLite's ``sqlite_master``)."""
    if tables is None:
        tables = {r[0] for r in execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    tables = tables - POSTGIS_TABLES
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


def current_revision(db: str | Path) -> str | None:
    """The revision of the store ``db`` (a file or a URL) without changing it; None if it is new
    or empty."""
    return _state(db)[0]


def needs_upgrade(db: str | Path) -> bool:
    """True if opening the store ``db`` would change its schema (False for a new store)."""
    found, versioned = _state(db)
    return found is not None and (found != head_revision() or not versioned)


def _state(db: str | Path) -> tuple[str | None, bool]:
    db = store_target(db)
    if is_url(db):
        engine = store_engine(db)
        try:
            with engine.connect() as conn:
                return _pg_revision_of(conn)
        finally:
            engine.dispose()
    path = Path(db)
    if not path.exists():
        return None, False
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return _revision_of(path, con.execute)
    finally:
        con.close()


# PostGIS's own tables in the public schema: not Trygg's, and no sign of a foreign store.
POSTGIS_TABLES = frozenset({"spatial_ref_sys"})
# The key of the PostgreSQL advisory lock that every write transaction (and an upgrade) holds,
# so that writers take turns as SQLite's BEGIN IMMEDIATE makes them ("trygg" in ASCII).
WRITE_LOCK_KEY = 0x7472796767
WRITES = "trygg_writes"  # execution option of a connection that writes (``writing``)


_SCHEMES = ("postgresql", "postgresql+psycopg", "postgres")
# A URL that went through ``pathlib.Path`` (a ``Path`` setting or CLI option) lost a slash.
_URL_IN_PATH = re.compile(r"^(postgresql|postgresql\+psycopg|postgres):/(?!/)")


def store_target(db: str | Path) -> str | Path:
    """``db`` as ``Store.open`` takes it: a PostgreSQL URL as text, anything else a file path.
    A URL that passed through ``pathlib.Path`` (``postgresql:/user@host/db``) gets its second
    slash back."""
    text_form = str(db)
    if isinstance(db, Path) and _URL_IN_PATH.match(text_form):
        return _URL_IN_PATH.sub(lambda m: f"{m.group(1)}://", text_form, count=1)
    if text_form.split("://", 1)[0] in _SCHEMES and "://" in text_form:
        return text_form
    return Path(db)


def is_url(db: str | Path) -> bool:
    """True if ``db`` names a PostgreSQL database (``postgresql://``, ``postgresql+psycopg://``,
    ``postgres://``) rather than a SQLite file."""
    return isinstance(store_target(db), str)


def display_url(db: str) -> str:
    """``db`` as a URL fit for logs and messages: the password hidden."""
    return make_url(_sqlalchemy_url(db)).render_as_string(hide_password=True)


# Connections kept open per engine. A served app answers up to 40 requests at once (the thread
# pool of FastAPI's sync routes), most reading the store: with SQLAlchemy's default of 5 kept and
# 10 more opened and closed again, a busy worker spent a third of its time connecting (the SQLite
# pragmas, a PostgreSQL login). PostgreSQL keeps fewer (each is a server process); beyond them up
# to ``POOL_OVERFLOW`` more open for a burst.
SQLITE_POOL_SIZE = 20
POSTGRES_POOL_SIZE = 10
POOL_OVERFLOW = 20


def _sqlalchemy_url(db: str) -> str:
    scheme, rest = db.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else db


def store_engine(db: str | Path, *, foreign_keys: bool = True) -> Engine:
    """The engine of the store ``db``: ``sqlite_engine`` for a file, psycopg 3 for a URL
    (READ COMMITTED; writers serialise on ``WRITE_LOCK_KEY``, see ``lock_for_writing``)."""
    db = store_target(db)
    if isinstance(db, str):
        return create_engine(_sqlalchemy_url(db), pool_pre_ping=True,
                             pool_size=POSTGRES_POOL_SIZE, max_overflow=POOL_OVERFLOW)
    return sqlite_engine(db, foreign_keys=foreign_keys)


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction on ``engine``, committed at the end and rolled back on any error:
    ``BEGIN IMMEDIATE`` on SQLite (the write lock from the first statement, so a writer never
    finds its snapshot stale), the writers' advisory lock on PostgreSQL. Every other connection
    only reads and begins deferred."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITES: True})
        with conn.begin():
            lock_for_writing(conn)
            yield conn


def lock_for_writing(conn: Connection) -> None:
    """Make ``conn``'s transaction the only writer of a PostgreSQL store until it ends (SQLite's
    ``BEGIN IMMEDIATE`` already does so for a file): later statements see every write committed
    before it, so version checks, generations and natural keys behave as on SQLite."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})


def _pg_revision_of(conn: Connection) -> tuple[str | None, bool]:
    tables = set(inspect(conn).get_table_names())
    return _revision_of(display_url(str(conn.engine.url)), conn.exec_driver_sql, tables)


def sqlite_engine(path: Path, *, foreign_keys: bool) -> Engine:
    """The store's SQLite engine: WAL, synchronous writes, a 30 s busy timeout. SQLAlchemy's BEGIN
    is the real start of a transaction (pysqlite would defer it): ``BEGIN IMMEDIATE`` for a
    connection from ``writing``, a deferred ``BEGIN`` for readers, which never wait. Migrations
    run with ``foreign_keys=False``: SQLite's batch mode copies and drops tables, which must not
    cascade."""
    engine = create_engine(f"sqlite:///{path}", pool_size=SQLITE_POOL_SIZE,
                           max_overflow=POOL_OVERFLOW,
                           connect_args={"timeout": 30, "check_same_thread": False})

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
        # Readers begin DEFERRED: in WAL mode they never wait for a writer or for each other.
        writes = conn.get_execution_options().get(WRITES, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

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


def _upgrade_postgresql(url: str, target: str) -> Upgrade:
    """``upgrade`` for a PostgreSQL database: PostGIS enabled (``CREATE EXTENSION`` needs a
    role allowed to; a DBA may have run it before), then the migrations in one transaction."""
    shown = display_url(url)
    engine = store_engine(url)
    try:
        with engine.begin() as conn:
            lock_for_writing(conn)  # two processes opening a new database take turns
            before, versioned = _pg_revision_of(conn)
            if before == target and versioned:
                return Upgrade(shown, before, target, None)
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            views = drop_for_migration(conn)  # the role views sit on the tables it changes
            _migrate(conn, before, versioned, target)
            if target == head_revision():
                restore_after_migration(conn, views)
    finally:
        engine.dispose()
    if before is None:
        log.info("created store %s at schema revision %s", shown, target)
    else:
        log.warning("upgraded store %s from schema revision %s to %s", shown, before, target)
    return Upgrade(shown, before, target, None)


def _migrate(conn: Connection, before: str | None, versioned: bool, target: str) -> None:
    """Run the migrations from ``before`` to ``target`` on ``conn``, in its transaction."""
    config = alembic_config(conn)
    if before is not None and not versioned:
        command.stamp(config, before)
    command.upgrade(config, target)
    conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    # Kept for Trygg before migrations, which refuses a store whose number is higher.
    conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"),
                 {"v": str(revision_number(target))})


def upgrade(db: str | Path, *, to_revision: str = "head") -> Upgrade:
    """Create or upgrade the store ``db`` (a SQLite file, backed up first if it exists, or a
    PostgreSQL URL) to ``to_revision``."""
    target = head_revision() if to_revision == "head" else to_revision
    db = store_target(db)
    if isinstance(db, str):
        return _upgrade_postgresql(db, target)
    path = db
    before, versioned = _state(path)
    if before == target and versioned:
        return Upgrade(path, before, target, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sqlite_engine(path, foreign_keys=False)
    try:
        with writing(engine) as conn:
            before, versioned = _revision_of(path, conn.exec_driver_sql)  # again, under the lock
            if before == target and versioned:
                return Upgrade(path, before, target, None)
            saved = backup(path, backup_path(path, before)) if before is not None else None
            _migrate(conn, before, versioned, target)
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

