"""Layer generations: a counter per layer raised by every committed write to it, the key of
every cache of answers made from the layer (``Store.generation``, ``Store.generations``)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, update

from store.schema import generations_table


def touch(conn: Connection, layer: str) -> None:
    """Raise ``layer``'s generation in ``conn``'s write transaction."""
    updated = conn.execute(update(generations_table)
                           .where(generations_table.c.layer == layer)
                           .values(n=generations_table.c.n + 1))
    if updated.rowcount == 0:
        conn.execute(insert(generations_table).values(layer=layer, n=1))
