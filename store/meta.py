"""The store's own key/value facts (table ``meta``): when the demo was loaded, its counts."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Connection, insert, or_, select

from store.schema import meta_table
from store.store import Store


def read_meta(store: Store, key: str, *, conn: Connection | None = None) -> str | None:
    """The value stored under ``key``, or None (in the transaction of ``conn`` if given, so a
    writer reads what it has written but not committed yet)."""
    query = select(meta_table.c.value).where(meta_table.c.key == key)
    if conn is not None:
        return conn.execute(query).scalar_one_or_none()
    with store.engine.connect() as own:
        return own.execute(query).scalar_one_or_none()


def read_metas(store: Store, *, keys: tuple[str, ...] = (), prefix: str | None = None
               ) -> dict[str, str]:
    """The values stored under ``keys`` and under every key starting with ``prefix``, in one
    read (a key that is not there is missing from the answer)."""
    wanted: ColumnElement[bool] = meta_table.c.key.in_(keys)
    if prefix is not None:
        wanted = or_(wanted, meta_table.c.key.startswith(prefix, autoescape=True))
    with store.engine.connect() as conn:
        return {str(k): str(v) for k, v in
                conn.execute(select(meta_table.c.key, meta_table.c.value).where(wanted))}


def write_meta(conn: Connection, key: str, value: str) -> None:
    """Store ``value`` under ``key`` in the transaction of ``conn`` (replacing any value)."""
    conn.execute(meta_table.delete().where(meta_table.c.key == key))
    conn.execute(insert(meta_table).values(key=key, value=value))
