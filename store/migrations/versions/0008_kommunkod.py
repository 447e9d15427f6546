"""A police area with several municipalities (issue 14): column ``kommunkod`` on every layer
table (``boundaries`` has had one), and column ``kommuner`` on ``users`` (the municipalities an
account is limited to, comma-separated kommunkoder; NULL: all of the store's).

Existing records are backfilled from the store's municipality: the kommunkod of its one
boundary; with several boundaries (a police area) the boundary each geometry falls in
(``geo.municipalities.kommunkod_at``); with none, the kommunkod `trygg kommun init` remembered
in the meta table; else the records keep NULL (the store names no municipality yet).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import numpy as np
import shapely
import sqlalchemy as sa
from alembic import op

from geo.municipalities import kommunkod_at

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

LAYER_TABLES = (
    "risk_roads", "patrol_zones", "unsafe_places", "patrols", "traffic_checks", "events",
    "gazetteer", "activities", "promise_actions", "follow_up_reports", "candidate_sites",
)
CHUNK = 500


def _geometry(bind: sa.Connection) -> str:
    return "ST_AsBinary(geometry)" if bind.dialect.name == "postgresql" else "geometry"


def _boundaries(bind: sa.Connection) -> tuple[list[shapely.Geometry], list[str]]:
    rows = bind.execute(sa.text(
        f"SELECT {_geometry(bind)}, kommunkod FROM boundaries WHERE kommunkod IS NOT NULL "
        "AND deleted_at IS NULL ORDER BY id")).all()
    return [shapely.from_wkb(bytes(r[0])) for r in rows], [str(r[1]) for r in rows]


def _backfill(bind: sa.Connection, table: str, shapes: list[shapely.Geometry],
              codes: list[str]) -> None:
    if len(set(codes)) == 1:
        bind.execute(sa.text(f"UPDATE {table} SET kommunkod = :k"), {"k": codes[0]})
        return
    rows = bind.execute(sa.text(f"SELECT id, {_geometry(bind)} FROM {table} ORDER BY id")).all()
    if not rows:
        return
    geoms = shapely.from_wkb(np.array([bytes(r[1]) for r in rows], dtype=object))
    found = kommunkod_at(geoms, shapes, codes)
    values = [{"i": int(r[0]), "k": k} for r, k in zip(rows, found, strict=True) if k]
    statement = sa.text(f"UPDATE {table} SET kommunkod = :k WHERE id = :i")
    for start in range(0, len(values), CHUNK):
        bind.execute(statement, values[start:start + CHUNK])


def upgrade() -> None:
    for name in LAYER_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("kommunkod", sa.Text()))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("kommuner", sa.Text()))
    bind = op.get_bind()
    shapes, codes = _boundaries(bind)
    if not codes:
        remembered = bind.execute(sa.text(
            "SELECT value FROM meta WHERE key = 'kommunkod'")).scalar_one_or_none()
        if remembered is None:
            return
        shapes, codes = [], [str(remembered)]
    for name in LAYER_TABLES:
        _backfill(bind, name, shapes, codes)


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("kommuner")
    for name in reversed(LAYER_TABLES):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("kommunkod")
