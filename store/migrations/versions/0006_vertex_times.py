"""Patrol vertex times as numbers: ``patrols.times`` changes from JSON text (a list of ISO 8601
texts) to epoch seconds UTC as a float64 little-endian array (BLOB on SQLite, bytea on
PostgreSQL; ``store.schema.VERTEX_TIME_FIELDS``), NaN where a time cannot be read.

Each track's texts are converted exactly as the coverage has read them
(``geo.tracks.vertex_seconds``, which is ``geo.periods.epoch_seconds``): texts without an offset
are Swedish local time, the repeated autumn hour inferred per track by the rule of
``geo.periods``. A track without times keeps NULL; an empty list stays empty. The downgrade
writes the times back as ISO 8601 texts in UTC.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

from geo.tracks import iso_texts, vertex_seconds

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DTYPE = "<f8"
CHUNK = 500


def _rows(column: str) -> list[tuple[int, Any]]:
    return [(int(r[0]), r[1]) for r in op.get_bind().execute(
        sa.text(f"SELECT id, {column} FROM patrols WHERE {column} IS NOT NULL ORDER BY id"))]


def _write(values: list[dict[str, object]], kind: sa.types.TypeEngine[Any]) -> None:
    statement = sa.text("UPDATE patrols SET times = :v WHERE id = :id").bindparams(
        sa.bindparam("v", type_=kind))
    for start in range(0, len(values), CHUNK):
        op.get_bind().execute(statement, values[start:start + CHUNK])


def _set_type(kind: sa.types.TypeEngine[Any], existing: sa.types.TypeEngine[Any],
              using: str) -> None:
    with op.batch_alter_table("patrols") as batch:
        batch.alter_column("times", type_=kind, existing_type=existing,
                           postgresql_using=using)


def upgrade() -> None:
    rows = _rows("times")
    lists = [json.loads(text) if isinstance(text, str) else None for _, text in rows]
    seconds = vertex_seconds([v if isinstance(v, list) else None for v in lists])
    _set_type(sa.LargeBinary(), sa.Text(), "NULL::bytea")
    _write([{"id": fid, "v": None if s is None else np.asarray(s, DTYPE).tobytes()}
            for (fid, _), s in zip(rows, seconds, strict=True)], sa.LargeBinary())


def downgrade() -> None:
    rows = _rows("times")
    _set_type(sa.Text(), sa.LargeBinary(), "NULL::text")
    _write([{"id": fid, "v": json.dumps(iso_texts(np.frombuffer(blob, DTYPE)))}
            for fid, blob in rows], sa.Text())
