"""Baseline: the schema of Trygg before versioned migrations (schema version 1, commit 5191a73).

A store made by that code has no ``alembic_version`` table; ``store.migrate`` stamps it with this
revision and upgrades from here. Frozen: never edit it, add a revision instead.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Every layer table of schema 1, in the order of geo.layers.LAYERS at the time.
LAYER_TABLES = (
    "risk_roads", "patrol_zones", "unsafe_places", "patrols", "traffic_checks", "events",
    "gazetteer", "boundaries", "activities", "promise_actions", "follow_up_reports",
    "candidate_sites",
)


def _layer_table(name: str, *fields: sa.Column[object]) -> None:
    """A layer table: the columns the store keeps, then the layer's fields, and the bbox index."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *fields,
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{name}_bbox", name, ["minx", "maxx", "miny", "maxy"])


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "generations",
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("layer"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("token_sha256", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "sessions",
        sa.Column("id_sha256", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id_sha256"),
    )
    _layer_table(
        "risk_roads",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("road_ref", sa.Text()),
        sa.Column("speed_limit_kmh", sa.Integer()),
        sa.Column("risk_categories", sa.Text()),
        sa.Column("risk_weight", sa.Float()),
        sa.Column("highway", sa.Text()),
        sa.Column("schematic", sa.Boolean()),
        sa.Column("note", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "patrol_zones",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("priority", sa.Integer()),
        sa.Column("target_minutes_per_week", sa.Float()),
        sa.Column("active_hours", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "unsafe_places",
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("report_source", sa.Text()),
        sa.Column("reported_at", sa.Text(), nullable=False),
        sa.Column("status", sa.Text()),
        sa.Column("resolved_at", sa.Text()),
        sa.Column("sensitive", sa.Boolean()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "patrols",
        sa.Column("unit", sa.Text()),
        sa.Column("kind", sa.Text()),
        sa.Column("start", sa.Text()),
        sa.Column("end", sa.Text()),
        sa.Column("times", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "traffic_checks",
        sa.Column("status", sa.Text()),
        sa.Column("start", sa.Text()),
        sa.Column("end", sa.Text()),
        sa.Column("kinds", sa.Text()),
        sa.Column("place", sa.Text()),
        sa.Column("checked", sa.Integer()),
        sa.Column("breath_tests", sa.Integer()),
        sa.Column("suspected_dui", sa.Integer()),
        sa.Column("speeding", sa.Integer()),
        sa.Column("other_offences", sa.Integer()),
        sa.Column("event_id", sa.Integer()),
        sa.Column("precision_m", sa.Float()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "events",
        sa.Column("event_id", sa.Integer(), nullable=False, unique=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("time", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("summary", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("place", sa.Text()),
        sa.Column("precision", sa.Text()),
        sa.Column("precision_m", sa.Float()),
        sa.Column("road", sa.Text()),
        sa.Column("municipality", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "gazetteer",
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("aliases", sa.Text()),
        sa.Column("kind", sa.Text()),
        sa.Column("precision_m", sa.Float()),
        sa.Column("basis", sa.Text()),
        sa.Column("inside_municipality", sa.Boolean()),
        sa.Column("roads", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "boundaries",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kommunkod", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "activities",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("date", sa.Text(), nullable=False),
        sa.Column("place", sa.Text()),
        sa.Column("audience", sa.Text()),
        sa.Column("commitment", sa.Text()),
        sa.Column("participants", sa.Integer()),
        sa.Column("description", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "promise_actions",
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("due", sa.Text()),
        sa.Column("status", sa.Text()),
        sa.Column("done_at", sa.Text()),
        sa.Column("place", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "follow_up_reports",
        sa.Column("period_from", sa.Text(), nullable=False),
        sa.Column("period_to", sa.Text(), nullable=False),
        sa.Column("title", sa.Text()),
        sa.Column("figures", sa.Text()),
        sa.Column("actions", sa.Text()),
        sa.Column("cells", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )
    _layer_table(
        "candidate_sites",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
    )


def downgrade() -> None:
    for name in reversed(LAYER_TABLES):
        op.drop_index(f"ix_{name}_bbox", table_name=name)
        op.drop_table(name)
    op.drop_table("sessions")
    op.drop_table("users")
    op.drop_table("generations")
    op.drop_table("meta")
