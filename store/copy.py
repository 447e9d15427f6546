"""Copy a whole store to another: SQLite to PostGIS, PostGIS to SQLite, or either to its kind.

Every table of ``store.schema`` goes across as it is: each layer's features with their ids,
versions, timestamps and soft deletes, the accounts and their sessions, the audit trail and the
store's ``meta`` (the demo mark). The source is read in one snapshot; the destination is written
in one transaction, so a failed copy leaves it as it was. The destination must hold no features,
accounts or audit rows unless ``replace=True``, which empties it first (in the same transaction).
Its generations end above both stores' (caches of either never match the copy by accident), and
one ``copy`` audit row records where the copy came from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Table, delete, func, insert, select, text

from geo.errors import TryggError
from store.schema import generations_table, meta_table, metadata
from store.store import Store

log = logging.getLogger(__name__)

__all__ = ["CopyReport", "DestinationNotEmpty", "copy_store"]

CHUNK_ROWS = 2000
# Store-wide bookkeeping, copied by its own rules rather than row for row.
_OWN_RULES = {generations_table.name, meta_table.name}
_KEPT_META = {"schema_version"}  # the destination's own


class DestinationNotEmpty(TryggError, ValueError):
    """The destination store already holds features, accounts or audit rows."""


@dataclass(frozen=True)
class CopyReport:
    """What ``copy_store`` copied: rows per table (in ``store.schema``'s order), from where to
    where (paths, or URLs without passwords)."""

    source: str
    destination: str
    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _tables() -> list[Table]:
    """The tables to copy row for row, parents before children (users before sessions)."""
    return [t for t in metadata.sorted_tables if t.name not in _OWN_RULES]


def _occupied(conn: Connection) -> dict[str, int]:
    counts = {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
              for t in _tables()}
    return {name: n for name, n in counts.items() if n}


def _copy_rows(source: Connection, destination: Connection, table: Table) -> int:
    copied = 0
    result = source.execution_options(yield_per=CHUNK_ROWS).execute(
        select(table).order_by(*table.primary_key.columns))
    for chunk in result.mappings().partitions(CHUNK_ROWS):
        destination.execute(insert(table), [dict(r) for r in chunk])
        copied += len(chunk)
    return copied


def _reset_sequences(destination: Connection) -> None:
    """On PostgreSQL, move each ``id`` sequence past the copied ids (inserts with explicit ids
    do not advance it); SQLite takes the next id from the table itself."""
    if destination.dialect.name != "postgresql":
        return
    for table in _tables():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        destination.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'))


def _generations(conn: Connection) -> dict[str, int]:
    return {str(k): int(v) for k, v in conn.execute(
        select(generations_table.c.layer, generations_table.c.n)).all()}


def copy_store(source: str | Path, destination: str | Path, *,
               replace: bool = False) -> CopyReport:
    """Copy the store ``source`` into ``destination`` (each a SQLite file path or a PostgreSQL
    URL; either is created and brought to the newest schema if need be, as ``Store.open`` does)
    and return the rows copied per table. Raises ``DestinationNotEmpty`` (nothing written) if
    the destination holds data and ``replace`` is false."""
    src = Store.open(source)
    dst = Store.open(destination)
    try:
        if src.location == dst.location:
            raise ValueError(f"source and destination are the same store: {src.location!r}")
        rows: dict[str, int] = {}
        with src.snapshot() as reading, dst.transaction() as writing:
            occupied = _occupied(writing)
            if occupied and not replace:
                raise DestinationNotEmpty(
                    f"{dst.location!r} already holds data ("
                    + ", ".join(f"{name}: {n:,}" for name, n in occupied.items())
                    + "): copy into a new store, or replace its contents")
            for table in reversed(_tables()):  # children before parents
                writing.execute(delete(table))
            for table in _tables():
                rows[table.name] = _copy_rows(reading, writing, table)
            _reset_sequences(writing)
            theirs, ours = _generations(reading), _generations(writing)
            writing.execute(delete(generations_table))
            layers = sorted(set(theirs) | set(ours))
            if layers:
                writing.execute(insert(generations_table), [
                    {"layer": name, "n": max(theirs.get(name, 0), ours.get(name, 0)) + 1}
                    for name in layers])
            writing.execute(delete(meta_table).where(meta_table.c.key.not_in(_KEPT_META)))
            meta = [dict(r) for r in reading.execute(select(meta_table).where(
                meta_table.c.key.not_in(_KEPT_META))).mappings()]
            if meta:
                writing.execute(insert(meta_table), meta)
            dst.record("copy", conn=writing, details={
                "from": src.location, "replaced": bool(occupied), "rows": rows})
        if dst.backend == "postgresql":  # fresh statistics for the planner, as after a load
            with dst.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        report = CopyReport(source=src.location, destination=dst.location, rows=rows)
        log.info("copied %s rows from %s to %s", f"{report.total:,}", report.source,
                 report.destination)
        return report
    finally:
        src.close()
        dst.close()

