"""The suggestion a planned check follows: column ``candidate_id`` on ``traffic_checks`` (the
id of the candidate site, kept by ``services.siting.plan_check``; None for a check not planned
from a suggestion and for every check stored before).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("traffic_checks") as batch:
        batch.add_column(sa.Column("candidate_id", sa.Integer()))


def downgrade() -> None:
    with op.batch_alter_table("traffic_checks") as batch:
        batch.drop_column("candidate_id")
