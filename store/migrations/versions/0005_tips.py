"""Tips ("Tyck till", issue 13): table ``tips`` (reports from residents and partners awaiting or
after moderation) and column ``organisation`` on ``users`` (a partner reporter's organisation).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("organisation", sa.Text()))
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("time_of_day", sa.Text()),
        sa.Column("gathering", sa.Text()),
        sa.Column("observed_at", sa.Text()),
        sa.Column("submitted_at", sa.Text(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer()),
        sa.Column("organisation", sa.Text()),
        sa.Column("decided_at", sa.Text()),
        sa.Column("decided_by", sa.Text()),
        sa.Column("place_id", sa.Integer()),
        sa.Column("personal_data", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("receipt"),
    )
    op.create_index("ix_tips_state", "tips", ["state"])
    op.create_index("ix_tips_user", "tips", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_tips_user", table_name="tips")
    op.drop_index("ix_tips_state", table_name="tips")
    op.drop_table("tips")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("organisation")
