"""Parts of police events (issue 14): column ``part`` on ``events`` (0: the whole event; 1, 2,
...: the sentences of a "Sammanfattning natt" that name a place each, see
``geo.geocode.geocode_events(split_summaries=True)``), and the events' natural key becomes
(event_id, part): the unique constraint on ``event_id`` (0001) is replaced by
``uq_events_event_id_part``. Existing events are whole events: part 0 (the column's server
default, kept for SQL written outside the store; the store writes every value itself).

SQLite copies the table in batch mode (the unnamed column constraint of 0001 gets a name from
the naming convention so it can be dropped); PostgreSQL alters it in place.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "events"
KEY = "uq_events_event_id_part"
# Names the unnamed UNIQUE (event_id) of 0001 on SQLite, so that batch mode can drop it.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
OLD_KEY = "uq_events_event_id"


def _old_key_name(bind: sa.Connection) -> str:
    """The name of the unique constraint on ``event_id`` alone (PostgreSQL named it)."""
    for found in sa.inspect(bind).get_unique_constraints(TABLE):
        if found["column_names"] == ["event_id"] and found["name"]:
            return str(found["name"])
    return OLD_KEY


def upgrade() -> None:
    bind = op.get_bind()
    old = _old_key_name(bind) if bind.dialect.name == "postgresql" else OLD_KEY
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("part", sa.Integer(), nullable=False,
                                   server_default=sa.text("0")))
        batch.drop_constraint(old, type_="unique")
        batch.create_unique_constraint(KEY, ["event_id", "part"])


def downgrade() -> None:
    bind = op.get_bind()
    whole = bind.execute(sa.text(f"SELECT count(*) FROM {TABLE} WHERE part <> 0")).scalar_one()
    if whole:
        raise RuntimeError(f"{whole} event part(s) in {TABLE}: downgrading below 0010 would "
                           "lose them; remove them first")
    with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
        batch.drop_constraint(KEY, type_="unique")
        batch.drop_column("part")
        batch.create_unique_constraint(OLD_KEY, ["event_id"])
