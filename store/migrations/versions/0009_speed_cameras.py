"""Speed cameras: the layer ``speed_cameras`` (Trafikverket's ATK measuring places from an NVDB
delivery: name, speed limit, bearing), with the columns every layer has (soft delete 0002,
PostGIS geometry and its GiST index 0004, kommunkod 0008).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLE = "speed_cameras"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.LargeBinary(), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.Column("created_at", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted_at", sa.Text()),
        sa.Column("name", sa.Text()),
        sa.Column("speed_limit_kmh", sa.Integer()),
        sa.Column("bearing_deg", sa.Float()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("kommunkod", sa.Text()),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(f"ix_{TABLE}_bbox", TABLE, ["minx", "maxx", "miny", "maxy"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN geometry TYPE geometry(Geometry, 3006) '
                   "USING ST_GeomFromWKB(geometry, 3006)")
        op.execute(f'CREATE INDEX "ix_{TABLE}_geom" ON "{TABLE}" USING gist (geometry)')


def downgrade() -> None:
    op.drop_table(TABLE)
