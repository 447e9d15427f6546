"""Sensitive police events kept as a field (issue 14): column ``sensitive`` on ``events``, set by
the store from the type and, for a police summary ("Sammanfattning natt", …, split per place
since 0010), from its text (``geo.privacy.sensitive_events``), so that SQL (paged reads, OGC
API, the PostGIS role views) leaves out what ``geo.privacy.without_sensitive`` drops. Existing
events get it computed here.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from alembic import op

from geo.privacy import sensitive_events

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLE = "events"


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("sensitive", sa.Boolean()))
    bind = op.get_bind()
    rows = pd.DataFrame(bind.execute(sa.text(
        f"SELECT id, type, name, summary FROM {TABLE}")).mappings().all(),
        columns=["id", "type", "name", "summary"])
    flags = sensitive_events(rows["type"], rows["name"], rows["summary"])
    table = sa.table(TABLE, sa.column("id", sa.Integer()), sa.column("sensitive", sa.Boolean()))
    marked = [int(i) for i in rows["id"][flags]]
    bind.execute(sa.update(table).values(sensitive=False))
    if marked:
        bind.execute(sa.update(table).where(table.c.id.in_(marked)).values(sensitive=True))


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_column("sensitive")
