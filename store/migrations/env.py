"""Alembic environment of the store: runs on the connection handed over by ``store.migrate``
(``config.attributes["connection"]``) or, when alembic is run by hand, on ``sqlalchemy.url``.

Batch mode (``render_as_batch``) lets the same migrations alter tables on SQLite, which cannot
``ALTER`` most things in place, and on PostgreSQL, where batch operations run as plain ALTERs.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    """Run the migrations alembic was asked for."""
    if context.is_offline_mode():
        context.configure(url=context.config.get_main_option("sqlalchemy.url"),
                          target_metadata=metadata, render_as_batch=True, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection and no sqlalchemy.url to migrate")
    engine = create_engine(url)
    with engine.connect() as own:
        _run(own)
    engine.dispose()


run()
