"""PostGIS geometry: on PostgreSQL every layer's ``geometry`` becomes ``geometry(Geometry, 3006)``
(from the WKB it held) with a GiST index; on SQLite it stays WKB in a BLOB and nothing changes.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LAYER_TABLES = (
    "risk_roads", "patrol_zones", "unsafe_places", "patrols", "traffic_checks", "events",
    "gazetteer", "boundaries", "activities", "promise_actions", "follow_up_reports",
    "candidate_sites",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in LAYER_TABLES:
        op.execute(f'ALTER TABLE "{name}" ALTER COLUMN geometry TYPE geometry(Geometry, 3006) '
                   "USING ST_GeomFromWKB(geometry, 3006)")
        op.execute(f'CREATE INDEX "ix_{name}_geom" ON "{name}" USING gist (geometry)')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in reversed(LAYER_TABLES):
        op.execute(f'DROP INDEX "ix_{name}_geom"')
        op.execute(f'ALTER TABLE "{name}" ALTER COLUMN geometry TYPE bytea '
                   "USING ST_AsBinary(geometry)")
