"""The store's audit trail and soft deletion: who did what to which record, and the restore of
a deleted record (admin only).

Every write of ``store.store.Store`` records its rows here in the writer's own transaction, so
a write and its audit rows commit or roll back together. ``Store`` keeps its public methods
(``audit``, ``record``, ``purge_audit``, ``delete``, ``restore``) and calls these functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd
from sqlalchemy import Connection, delete, insert, select, update

from geo.errors import Conflict, NotFound, TryggError
from geo.layers import layer_spec
from store.schema import audit_table, layer_tables

__all__ = ["Actor", "NotAllowed", "audit_rows", "purge_audit", "record_action",
           "record_actions", "set_deleted", "utc_now"]

AUDIT_BATCH = 500  # audit rows per INSERT statement


class Actor(Protocol):
    """Who writes: an account (``store.accounts.User``) or anything with a name and a role."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


class NotAllowed(TryggError, PermissionError):
    """The acting account's role may not do this."""


def utc_now() -> str:
    """The current time as ISO 8601 text in UTC, the form every timestamp is stored in."""
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="milliseconds")


def _details_text(details: dict[str, Any] | None) -> str | None:
    return None if details is None else json.dumps(details, ensure_ascii=False)


def record_action(conn: Connection, actor: Actor | None, action: str,
                  layer: str | None = None, feature_id: int | None = None,
                  version_before: int | None = None, version_after: int | None = None, *,
                  details: dict[str, Any] | None = None) -> None:
    """Record one action in the audit trail, in the caller's transaction ``conn``."""
    conn.execute(insert(audit_table).values(
        at=utc_now(), actor=actor.name if actor else None, role=actor.role if actor else None,
        action=action, layer=layer, feature_id=feature_id, version_before=version_before,
        version_after=version_after, details=_details_text(details)))


def record_actions(conn: Connection, actor: Actor | None, action: str, layer: str,
                   changes: Sequence[tuple[int, int | None, int | None]], *,
                   details: dict[str, Any] | None = None) -> None:
    """One audit row per (feature id, version before, version after) of ``changes``."""
    now = utc_now()
    text_details = _details_text(details)
    rows = [{"at": now, "actor": actor.name if actor else None,
             "role": actor.role if actor else None, "action": action, "layer": layer,
             "feature_id": fid, "version_before": before, "version_after": after,
             "details": text_details} for fid, before, after in changes]
    for start in range(0, len(rows), AUDIT_BATCH):
        conn.execute(insert(audit_table), rows[start:start + AUDIT_BATCH])


def audit_rows(conn: Connection, *, layer: str | None = None,
               since: str | pd.Timestamp | None = None, limit: int = 100
               ) -> list[dict[str, Any]]:
    """Audit rows, newest first: ``layer`` only, from ``since`` (UTC if naive) on."""
    query = select(audit_table).order_by(audit_table.c.id.desc()).limit(limit)
    if layer is not None:
        query = query.where(audit_table.c.layer == layer_spec(layer).name)
    if since is not None:
        stamp = pd.Timestamp(since)
        stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        query = query.where(audit_table.c.at >= stamp.isoformat(timespec="milliseconds"))
    rows = [dict(r) for r in conn.execute(query).mappings()]
    for r in rows:
        r["details"] = json.loads(r["details"]) if r["details"] else None
    return rows


def purge_audit(conn: Connection, *, older_than_days: float) -> int:
    """Delete audit rows older than ``older_than_days``; return how many."""
    cutoff = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=older_than_days)
    return int(conn.execute(delete(audit_table).where(
        audit_table.c.at < cutoff.isoformat(timespec="milliseconds"))).rowcount)


def check_restorer(layer: str, feature_id: int, actor: Actor | None) -> None:
    """Raise ``NotAllowed`` unless ``actor`` (None: the system) may restore a record."""
    if actor is not None and actor.role != "admin":
        raise NotAllowed(f"att återställa {layer} {feature_id} kräver rollen admin, inte "
                         f"{actor.role!r}")


def set_deleted(conn: Connection, layer: str, feature_id: int, *, deleted: bool,
                actor: Actor | None, expected_version: int | None = None) -> None:
    """Delete a record softly (it leaves every read) or bring a deleted one back, in ``conn``'s
    transaction, with its audit row; ``NotFound``, or ``Conflict`` if ``expected_version`` is
    given and differs."""
    table = layer_tables[layer_spec(layer).name]
    state = table.c.deleted_at.is_(None) if deleted else table.c.deleted_at.is_not(None)
    version = conn.execute(select(table.c.version).where(table.c.id == feature_id, state)
                           ).scalar_one_or_none()
    if version is None:
        raise NotFound(f"{layer} {feature_id} finns inte"
                       + ("" if deleted else " eller är inte borttaget"))
    if expected_version is not None and version != expected_version:
        raise Conflict(f"{layer} {feature_id} har ändrats av någon annan (version "
                       f"{version}, du hade {expected_version}); läs in det på nytt och "
                       "försök igen")
    now = utc_now()
    conn.execute(update(table).where(table.c.id == feature_id)
                 .values(deleted_at=now if deleted else None, updated_at=now,
                         version=version + 1))
    record_action(conn, actor, "delete" if deleted else "restore", layer, feature_id,
                  version, version + 1)
