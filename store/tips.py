"""The tips table: reports from residents ("Tyck till") and partners before and after
moderation. This module only persists; the rules are ``geo.tips`` and the use-cases
``services.tips``.

A decision is one transaction: the tip's new state, the unsafe place it becomes (if any, through
``Store.insert`` so the layer's validation, generation and audit apply) and one audit row naming
who decided and when (layer ``"tips"``, the tip's id).
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
from sqlalchemy import case, func, insert, select, update

from geo.errors import Conflict, NotFound
from store.schema import audit_table, tips_table
from store.store import Actor, Store

AUDIT_LAYER = "tips"
FIELDS = tuple(c.name for c in tips_table.columns)


def _row(r: Any) -> dict[str, Any]:
    row = dict(r)
    row["personal_data"] = json.loads(row["personal_data"]) if row["personal_data"] else []
    return row


def add_tips(store: Store, rows: list[dict[str, Any]], *, actor: Actor | None = None) -> list[int]:
    """Insert ``rows`` (columns of ``tips``) in one transaction, audited; return their ids."""
    with store.transaction() as conn:
        ids = [int(conn.execute(insert(tips_table).returning(tips_table.c.id), [row]).scalar_one())
               for row in rows]
        for tip_id, row in zip(ids, rows, strict=True):
            store._audit(conn, actor, "tip.submit", AUDIT_LAYER, tip_id,
                         details={"channel": row["channel"], "category": row["category"]})
    return ids


def tip_by_receipt(store: Store, receipt: str) -> dict[str, Any] | None:
    with store.engine.connect() as conn:
        found = conn.execute(select(tips_table).where(tips_table.c.receipt == receipt)
                             ).mappings().first()
    return _row(found) if found else None


def tip_by_id(store: Store, tip_id: int) -> dict[str, Any]:
    """One tip; raises ``NotFound``."""
    with store.engine.connect() as conn:
        found = conn.execute(select(tips_table).where(tips_table.c.id == tip_id)
                             ).mappings().first()
    if found is None:
        raise NotFound(f"tipset {tip_id} finns inte")
    return _row(found)


def list_tips(store: Store, *, states: tuple[str, ...] | None = None,
              user_id: int | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """Tips newest first: only ``states`` and only those of account ``user_id`` when given."""
    query = select(tips_table).order_by(tips_table.c.id.desc()).limit(limit)
    if states is not None:
        query = query.where(tips_table.c.state.in_(states))
    if user_id is not None:
        query = query.where(tips_table.c.user_id == user_id)
    with store.engine.connect() as conn:
        return [_row(r) for r in conn.execute(query).mappings()]


def reporters(store: Store, place_ids: list[int]) -> dict[int, int]:
    """How many reported each unsafe place of ``place_ids``: the place's own report (a tip that
    became it, or the record entered otherwise) and every tip merged into it."""
    if not place_ids:
        return {}
    became = func.sum(case((tips_table.c.state == "godkand", 1), else_=0))
    query = (select(tips_table.c.place_id, func.count(), became).where(
        tips_table.c.place_id.in_(place_ids)).group_by(tips_table.c.place_id))
    with store.engine.connect() as conn:
        linked = {int(p): (int(n), int(a or 0)) for p, n, a in conn.execute(query).all()}
    return {p: linked[p][0] + (0 if linked[p][1] else 1) if p in linked else 1
            for p in place_ids}


def decide_tip(store: Store, tip_id: int, *, expected_state: str, values: dict[str, Any],
               actor: Actor, place: gpd.GeoDataFrame | None = None,
               details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a moderator's decision on tip ``tip_id`` in one transaction: ``values`` (columns of
    ``tips``), ``place`` inserted into unsafe_places first (its id becomes ``place_id``) and an
    audit row ``tip.<state>`` with ``details``. Raises ``Conflict`` (nothing written) if the tip
    is no longer in ``expected_state``."""
    with store.transaction() as conn:
        state = conn.execute(select(tips_table.c.state).where(tips_table.c.id == tip_id)
                             ).scalar_one_or_none()
        if state is None:
            raise NotFound(f"tipset {tip_id} finns inte")
        if state != expected_state:
            raise Conflict(f"tipset {tip_id} är redan beslutat ({state}); ladda om sidan")
        row = dict(values)
        if place is not None:
            (row["place_id"],) = store.insert("unsafe_places", place, origin=f"tips {tip_id}",
                                              conn=conn, actor=actor)
        if "personal_data" in row:
            row["personal_data"] = json.dumps(row["personal_data"], ensure_ascii=False)
        conn.execute(update(tips_table).where(tips_table.c.id == tip_id).values(**row))
        store._audit(conn, actor, f"tip.{row['state']}", AUDIT_LAYER, tip_id,
                     details={**(details or {}), "place_id": row.get("place_id")})
    return tip_by_id(store, tip_id)


def tip_audit(store: Store, tip_id: int) -> list[dict[str, Any]]:
    """The audit rows of tip ``tip_id``, oldest first."""
    query = (select(audit_table).where(audit_table.c.layer == AUDIT_LAYER,
                                       audit_table.c.feature_id == tip_id)
             .order_by(audit_table.c.id))
    with store.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for r in rows:
        r["details"] = json.loads(r["details"]) if r["details"] else None
    return rows
