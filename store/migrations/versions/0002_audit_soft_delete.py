"""Audit trail and soft delete: table ``audit``; column ``deleted_at`` on every layer table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

LAYER_TABLES = (
    "risk_roads", "patrol_zones", "unsafe_places", "patrols", "traffic_checks", "events",
    "gazetteer", "boundaries", "activities", "promise_actions", "follow_up_reports",
    "candidate_sites",
)


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text()),
        sa.Column("role", sa.Text()),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("layer", sa.Text()),
        sa.Column("feature_id", sa.Integer()),
        sa.Column("version_before", sa.Integer()),
        sa.Column("version_after", sa.Integer()),
        sa.Column("details", sa.Text()),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_at", "audit", ["at"])
    op.create_index("ix_audit_layer_feature", "audit", ["layer", "feature_id"])
    for name in LAYER_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("deleted_at", sa.Text()))


def downgrade() -> None:
    for name in reversed(LAYER_TABLES):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("deleted_at")
    op.drop_index("ix_audit_layer_feature", table_name="audit")
    op.drop_index("ix_audit_at", table_name="audit")
    op.drop_table("audit")
