"""The promise's measurable targets as an admin set them: kept in the store (``meta``) over the
promise file's, per commitment, so the report and the public page use the targets in force.

The promise file holds the targets it ships with (``targets:`` under a commitment); an admin
replaces a commitment's targets through ``set_targets`` (the API, ``PUT /api/lofte/mal/{id}``).
Every change is in the audit trail with who and when.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from geo.promise import Promise, check_commitment, with_targets
from geo.targets import Target, parse_targets, target_dict
from store import Store
from store.meta import read_meta, write_meta
from store.store import Actor

TARGETS_KEY = "promise_targets"  # meta: {commitment id: [target mapping, ...]}


def _stored(store: Store) -> dict[str, list[dict[str, Any]]]:
    text = read_meta(store, TARGETS_KEY)
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def promise_with_stored_targets(store: Store, promise: Promise) -> Promise:
    """``promise`` with the targets an admin set in the store (for commitments the promise
    still has; a commitment the admin never touched keeps the file's targets)."""
    stored = {cid: parse_targets(raw, where=f"store, commitment {cid}")
              for cid, raw in _stored(store).items() if cid in promise.by_id}
    return with_targets(promise, stored) if stored else promise


def targets_stamp(store: Store) -> str:
    """A short digest of the stored targets: part of the key of a cached report."""
    return hashlib.sha256((read_meta(store, TARGETS_KEY) or "").encode()).hexdigest()[:16]


def set_targets(store: Store, promise: Promise, commitment: str, raw: list[dict[str, Any]],
                *, actor: Actor) -> tuple[Target, ...]:
    """Replace the targets of ``commitment`` with ``raw`` (target mappings; an empty list
    removes them all); ``ValidationFailed`` names every problem and changes nothing."""
    check_commitment(promise, commitment)
    targets = parse_targets(raw, where=f"commitment {commitment}")
    stored = _stored(store)
    stored[commitment] = [target_dict(t) for t in targets]
    with store.transaction() as conn:
        write_meta(conn, TARGETS_KEY, json.dumps(stored, ensure_ascii=False, sort_keys=True))
        store.record("targets.set", actor=actor, conn=conn,
                     details={"commitment": commitment, "targets": stored[commitment]})
    return targets

