"""The survey_figures table: Polisens trygghetsmätning and NTU figures per area (``geo.surveys``
reads the files; ``services.population`` is the use-case). This module only persists.

An import is one transaction: rows with the same survey, area, year and indicator as the file's
are replaced by the file's, the others kept; one audit row counts them (layer
``"survey_figures"``) and the table's generation is raised (for cached reports)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from sqlalchemy import and_, delete, insert, or_, select

from store.rows import utc_text
from store.schema import survey_figures_table as table
from store.store import Actor, Store

TABLE = "survey_figures"
_KEY = ("survey", "area_code", "year", "indicator")


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def replace_figures(store: Store, figures: pd.DataFrame, *, origin: str, provenance: str,
                    source: str, actor: Actor | None = None) -> tuple[int, int]:
    """Write ``figures`` (``geo.surveys.SURVEY_COLUMNS``): (inserted, replaced)."""
    now = utc_text(pd.Timestamp.now(tz="UTC"))
    rows = [{**{str(k): _value(v) for k, v in r.items()}, "provenance": provenance,
             "source": source, "imported_at": now} for r in figures.to_dict("records")]
    with store.transaction() as conn:
        replaced = 0
        for start in range(0, len(rows), 200):
            chunk = rows[start:start + 200]
            match = or_(*(and_(*(table.c[k] == r[k] for k in _KEY)) for r in chunk))
            replaced += conn.execute(delete(table).where(match)).rowcount
        for start in range(0, len(rows), 500):
            conn.execute(insert(table), rows[start:start + 500])
        store._touch(conn, TABLE)
        store._audit(conn, actor, "import", TABLE,
                     details={"origin": origin, "inserted": len(rows) - replaced,
                              "replaced": replaced})
    return len(rows) - replaced, replaced


def read_figures(store: Store, *, area_codes: list[str] | None = None) -> pd.DataFrame:
    """The figures (every column), by survey, area, indicator and year; those of
    ``area_codes`` only when given."""
    query = select(table).order_by(table.c.survey, table.c.area_code, table.c.indicator,
                                   table.c.year)
    if area_codes is not None:
        query = query.where(table.c.area_code.in_(area_codes))
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return pd.DataFrame(rows, columns=[c.name for c in table.columns])
