"""Population and survey areas (issue 14): the layer ``population_areas`` (SCB's DeSO and RegSO
areas with their population; the columns every layer has: soft delete 0002, PostGIS geometry
and its GiST index 0004, kommunkod 0008; the area code its natural key) and the table
``survey_figures`` (Polisens trygghetsmätning and NTU: a share with its interval per area,
year and indicator; not a layer, it has no geometry).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "population_areas"
SURVEYS = "survey_figures"


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
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("kommun_name", sa.Text()),
        sa.Column("population", sa.Integer()),
        sa.Column("population_year", sa.Integer()),
        sa.Column("kommunkod", sa.Text()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(f"ix_{TABLE}_bbox", TABLE, ["minx", "maxx", "miny", "maxy"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'ALTER TABLE "{TABLE}" ALTER COLUMN geometry TYPE geometry(Geometry, 3006) '
                   "USING ST_GeomFromWKB(geometry, 3006)")
        op.execute(f'CREATE INDEX "ix_{TABLE}_geom" ON "{TABLE}" USING gist (geometry)')
    op.create_table(
        SURVEYS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey", sa.Text(), nullable=False),
        sa.Column("area_code", sa.Text(), nullable=False),
        sa.Column("area_kind", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("value_pct", sa.Float(), nullable=False),
        sa.Column("ci_low_pct", sa.Float()),
        sa.Column("ci_high_pct", sa.Float()),
        sa.Column("respondents", sa.Integer()),
        sa.Column("provenance", sa.Text(), nullable=False),
        sa.Column("source", sa.Text()),
        sa.Column("imported_at", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey", "area_code", "year", "indicator",
                            name="uq_survey_figures_key"),
    )
    op.create_index("ix_survey_figures_area", SURVEYS, ["area_code"])


def downgrade() -> None:
    op.drop_index("ix_survey_figures_area", table_name=SURVEYS)
    op.drop_table(SURVEYS)
    op.drop_table(TABLE)
