"""A throwaway PostgreSQL server with PostGIS for the tests: ``initdb`` and ``pg_ctl`` of Debian's
``postgresql`` package in a temporary folder, listening only on a unix socket in that folder (on a
free port number), stopped and removed afterwards. ``make system-deps`` installs the packages; if
they are missing the tests that need the server fail and say so, they are not skipped.

As root (CI, this machine), the cluster belongs to the unprivileged ``nobody``: PostgreSQL refuses
to run as root.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from store.migrations.runner import head_revision, revision_number, upgrade
from store.schema import metadata

PG_ROOT = Path("/usr/lib/postgresql")
EXTENSIONS = Path("/usr/share/postgresql")
SUPERUSER = "trygg"
TEMPLATE = "trygg_template"  # a database at the head revision, copied for each test


class PostgresMissing(RuntimeError):
    """Debian's postgresql or postgis package is not installed."""


def postgres_bin() -> Path:
    """The bin folder of the newest PostgreSQL that has PostGIS; raises ``PostgresMissing``."""
    versions = sorted((p for p in PG_ROOT.glob("*") if re.fullmatch(r"\d+", p.name)),
                      key=lambda p: int(p.name), reverse=True)
    servers = [v for v in versions if (v / "bin" / "initdb").exists()]
    for version in servers:
        if (EXTENSIONS / version.name / "extension" / "postgis.control").exists():
            return version / "bin"
    found = ", ".join(v.name for v in servers) or "none"
    raise PostgresMissing(
        "The PostGIS tests need a PostgreSQL server with PostGIS: Debian's 'postgresql' and "
        f"'postgis' packages (PostgreSQL servers found under {PG_ROOT}: {found}; PostGIS for "
        "none of them). Install them with `make system-deps` (or `apt-get install postgresql "
        "postgis`).")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One running server: ``url(name)`` gives a SQLAlchemy URL of database ``name`` on it."""

    def __init__(self, folder: Path, port: int, bin_dir: Path, owner: str | None) -> None:
        self.folder = folder
        self.port = port
        self.bin_dir = bin_dir
        self.owner = owner  # the account the server runs as (None: this process's)
        self.data = folder / "data"
        self._made = 0
        self._store_made = False

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of PostgreSQL's programs as the cluster's owner; raise with its output."""
        command = [str(self.bin_dir / program), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True,
                              timeout=120, check=False)
        if done.returncode != 0:
            log = self.folder / "server.log"
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}"
                               + (f"\n{log.read_text()[-2000:]}" if log.exists() else ""))
        return done

    def url(self, database: str) -> str:
        return (f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.folder}"
                f"&port={self.port}")

    def connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(host=str(self.folder), port=self.port, user=SUPERUSER,
                               dbname=database, autocommit=True)

    def new_database(self) -> str:
        """A new database copied from the migrated template; returns its URL."""
        self._made += 1
        name = f"test_{os.getpid()}_{self._made}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE)))
        return self.url(name)

    def fresh_store(self) -> str:
        """The URL of this process's store database, emptied to what a new store holds (every
        table empty, ids from 1, the head revision): a second faster than a new database."""
        name = f"store_{os.getpid()}"
        if not self._store_made:
            with self.connect() as conn:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(TEMPLATE)))
            self._store_made = True
        tables = sql.SQL(", ").join(sql.Identifier(t.name) for t in metadata.sorted_tables)
        with self.connect(name) as conn, conn.transaction():
            conn.execute("SET LOCAL lock_timeout = '20s'")  # a connection left open: fail
            conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
            conn.execute("DELETE FROM alembic_version")
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)",
                         (head_revision(),))
            conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', %s)",
                         (str(revision_number(head_revision())),))
        return self.url(name)

    def empty_database(self) -> str:
        """A new database without PostGIS or any table; returns its URL."""
        self._made += 1
        name = f"empty_{os.getpid()}_{self._made}"
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a throwaway cluster (with a migrated template database), yield it, stop it."""
    bin_dir = postgres_bin()
    owner = "nobody" if os.geteuid() == 0 else None
    # Not pytest's tmp_path: its parents are private to root, and the server runs as nobody.
    # Short, for the unix socket's path limit of 107 bytes.
    folder = Path(tempfile.mkdtemp(prefix="trygg-pg-"))
    if owner is not None:
        shutil.chown(folder, user=owner)
    cluster = Cluster(folder, _free_port(), bin_dir, owner)
    started = False
    try:
        cluster.run("initdb", "-D", str(cluster.data), "-U", SUPERUSER, "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        cluster.run("pg_ctl", "-D", str(cluster.data), "-l", str(folder / "server.log"), "-w",
                    "-t", "120", "start", "-o",
                    f"-k {folder} -p {cluster.port} -c listen_addresses='' -c fsync=off "
                    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        started = True
        with cluster.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        upgrade(cluster.url(TEMPLATE))  # PostGIS and every migration, once
        yield cluster
    finally:
        if started:
            cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)
