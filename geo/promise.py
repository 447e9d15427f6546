"""The medborgarlöfte as data (commitments from a YAML file) and its register of actions.

A promise file (``data/timra/medborgarlofte_2023_2024.yaml``) lists the commitments word for word
from the promise's text; ``check_against_text`` proves they are quoted faithfully. The register is
the ``promise_actions`` layer: what, owner (polisen / kommunen / timrabor), due date, status and a
place or zone. ``register_changes`` says what changed since a kept snapshot (the last meeting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from geo.errors import ValidationFailed, collect
from geo.layers import ACTION_OWNERS
from geo.targets import Target, parse_targets

INDICATORS = ("unsafe_places", "events", "activities", "foot_patrol", "traffic_checks")
OPEN_STATUSES = ("planerad", "pagaende")
DUE_MAX_YEARS_AHEAD = 3  # a due date further ahead than this is a typing error, not a plan


@dataclass(frozen=True)
class Commitment:
    id: str
    short: str
    text: str
    owners: tuple[str, ...]
    indicators: dict[str, dict[str, Any]]
    targets: tuple[Target, ...] = ()  # measurable targets (geo.targets), the tool's not the text's


@dataclass(frozen=True)
class Promise:
    """A promise file's title, source and follow-up sentence with its commitments."""

    commitments: tuple[Commitment, ...]
    title: str = ""
    municipality: str = ""
    source: str = ""
    priorities: tuple[str, ...] = ()
    follow_up: str = ""
    valid_from: date | None = None  # the promise period (the file's valid_from, valid_to)
    valid_to: date | None = None
    by_id: dict[str, Commitment] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {c.id: c for c in self.commitments})


def load_promise(path: str | Path) -> Promise:
    """Read and check a promise file; raise ``ValidationFailed`` naming every problem."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationFailed(f"{path.name}: löftesfilen går inte att läsa: {exc}") from None
    problems: list[str] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("commitments"), list):
        raise ValidationFailed(f"{path.name}: ska vara en tabell med en lista 'commitments'")
    commitments = []
    seen: set[str] = set()
    for i, item in enumerate(raw["commitments"]):
        where = f"{path.name}, åtagande {i}"
        if not isinstance(item, dict):
            problems.append(f"{where}: ska vara en tabell")
            continue
        cid = str(item.get("id", ""))
        if not re.fullmatch(r"[a-z0-9_]+", cid):
            problems.append(f"{where}: id: {cid!r} får bara ha små bokstäver a–z, siffror och _")
        if cid in seen:
            problems.append(f"{where}: id: {cid!r} finns redan; ge åtagandet ett eget id")
        seen.add(cid)
        if not str(item.get("text", "")).strip():
            problems.append(f"{where}: text saknas; citera åtagandet ur löftet")
        owners = tuple(item.get("owners") or ())
        bad = [o for o in owners if o not in ACTION_OWNERS]
        if bad:
            problems.append(f"{where}: owners: {bad} finns inte bland {ACTION_OWNERS}")
        indicators = item.get("indicators") or {}
        unknown = [k for k in indicators if k not in INDICATORS]
        if unknown:
            problems.append(f"{where}: indicators: okända {unknown}; kända är {INDICATORS}")
        targets: tuple[Target, ...] = ()
        try:
            targets = parse_targets(item.get("targets", item.get("target")), where=where)
        except ValidationFailed as exc:
            problems += exc.details or [str(exc)]
        commitments.append(Commitment(cid, str(item.get("short") or cid), str(item.get("text")),
                                      owners, {k: dict(v or {}) for k, v in indicators.items()},
                                      targets))
    collect(problems, f"{path.name}: löftesfilen stämmer inte")
    return Promise(title=str(raw.get("title", "")), municipality=str(raw.get("municipality", "")),
                   source=str(raw.get("source", "")), commitments=tuple(commitments),
                   priorities=tuple(raw.get("priorities") or ()),
                   follow_up=str(raw.get("follow_up", "")),
                   valid_from=_day(raw.get("valid_from")), valid_to=_day(raw.get("valid_to")))


def _day(value: Any) -> date | None:
    return value if isinstance(value, date) else None


def with_targets(promise: Promise, targets: dict[str, tuple[Target, ...]]) -> Promise:
    """``promise`` with the targets of the commitments named in ``targets`` replaced (the
    targets an admin set in the store over the promise file's)."""
    commitments = tuple(replace(c, targets=targets[c.id]) if c.id in targets else c
                        for c in promise.commitments)
    return replace(promise, commitments=commitments)


def _words(text: str) -> str:
    return " ".join(text.split())


def check_against_text(promise: Promise, text: str) -> list[str]:
    """Commitments whose text is not found word for word in the promise's text (ids)."""
    body = _words(text)
    return [c.id for c in promise.commitments if _words(c.text) not in body]


# --- the register ---------------------------------------------------------------------------------

def check_commitment(promise: Promise, commitment: str) -> None:
    """Raise ``ValidationFailed`` if ``commitment`` is not an id of ``promise``."""
    if commitment not in promise.by_id:
        raise ValidationFailed(f"Åtagande (commitment): {commitment!r} finns inte i löftet; välj "
                               f"ett av: {', '.join(promise.by_id)}")


def check_due(promise: Promise, day: date | None, *, today: date) -> None:
    """Raise ``ValidationFailed`` for a due date before the promise period's start or more than
    ``DUE_MAX_YEARS_AHEAD`` years after ``today``."""
    if day is None:
        return
    if promise.valid_from is not None and day < promise.valid_from:
        raise ValidationFailed(
            f"Klart senast: {day.isoformat()} ligger före löftesperiodens början "
            f"({promise.valid_from.isoformat()}). Välj ett datum från och med "
            f"{promise.valid_from.isoformat()}.", code="due_too_early")
    latest = latest_due(today)
    if day > latest:
        raise ValidationFailed(
            f"Klart senast: {day.isoformat()} ligger mer än {DUE_MAX_YEARS_AHEAD} år fram. "
            f"Välj ett datum senast {latest.isoformat()}.", code="due_too_late")


def latest_due(today: date) -> date:
    """The latest due date ``check_due`` takes on ``today``."""
    return (pd.Timestamp(today) + pd.DateOffset(years=DUE_MAX_YEARS_AHEAD)).date()


def overdue_mask(actions: pd.DataFrame, *, at: pd.Timestamp) -> pd.Series:
    """True for open actions whose due date has passed at ``at``."""
    if actions.empty:
        return pd.Series([], dtype=bool, index=actions.index)
    due = pd.to_datetime(actions["due"], utc=True)
    return actions["status"].isin(OPEN_STATUSES) & due.notna() & (due < at)


def actions_snapshot(actions: pd.DataFrame) -> list[dict[str, Any]]:
    """The register as plain rows to keep with a report."""
    rows = []
    for fid, row in zip(actions.index, actions.to_dict("records"), strict=True):
        rows.append({"id": int(fid), "commitment": row["commitment"], "what": row["what"],
                     "owner": row["owner"], "status": row["status"],
                     "due": None if pd.isna(row["due"]) else pd.Timestamp(row["due"]).isoformat(),
                     "done_at": None if pd.isna(row["done_at"])
                     else pd.Timestamp(row["done_at"]).isoformat()})
    return rows


@dataclass
class RegisterChanges:
    done: list[dict[str, Any]]  # done since the snapshot (or done at all when there is none)
    new: list[dict[str, Any]]  # not in the snapshot
    overdue: list[dict[str, Any]]  # open and past due now
    previous_at: str | None  # when the snapshot was taken


def register_changes(actions: pd.DataFrame, previous: list[dict[str, Any]] | None, *,
                     at: pd.Timestamp, previous_at: str | None = None) -> RegisterChanges:
    """What changed in the register since ``previous`` (a kept snapshot): actions done, new and
    overdue at ``at``."""
    now = actions_snapshot(actions)
    before = {row["id"]: row for row in (previous or [])}
    overdue_ids = set(actions.index[overdue_mask(actions, at=at)]) if len(actions) else set()
    done = [r for r in now if r["status"] == "klar"
            and (previous is None or before.get(r["id"], {}).get("status") != "klar")]
    new = [r for r in now if previous is not None and r["id"] not in before]
    overdue = [r for r in now if r["id"] in overdue_ids]
    return RegisterChanges(done=done, new=new, overdue=overdue, previous_at=previous_at)
