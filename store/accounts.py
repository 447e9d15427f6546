"""Accounts, roles, API tokens and login sessions. Tokens and session ids are stored only as
HMAC-SHA256 digests keyed with the server secret: a copy of the database does not let anyone in."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from geo.errors import NotFound, ValidationFailed
from store.schema import sessions_table, users_table
from store.store import Store, utc_now

ROLES = ("planerare", "patrullchef", "rad", "admin", "rapportor")
ROLE_SV = {
    "planerare": "Planerare (trafik)",
    "patrullchef": "Patrullchef",
    "rad": "Rådet för trygghet och hälsa",
    "admin": "Administratör",
    "rapportor": "Rapportör (samverkanspart)",
}
PARTNER_ROLE = "rapportor"  # housing companies, security firms, school and leisure staff (EST)
DEMO_USERS = {role: f"demo-{role}" for role in ROLES if role != PARTNER_ROLE}


@dataclass(frozen=True)
class User:
    """A signed-in account."""

    id: int
    name: str
    role: str
    organisation: str | None = None  # a partner reporter's (rapportor) organisation
    kommuner: tuple[str, ...] | None = None  # limited to these kommunkoder; None: all


def _kommuner_text(kommuner: Sequence[str] | None) -> str | None:
    """The municipalities an account is limited to as stored ("2281,2262"); checked."""
    if kommuner is None:
        return None
    codes = list(dict.fromkeys(str(k).strip() for k in kommuner if str(k).strip()))
    bad = [c for c in codes if not re.fullmatch(r"\d{4}", c)]
    if bad or not codes:
        raise ValidationFailed(f"kommun: {', '.join(bad)[:60] or 'ingen'!s}: ange kommunkoder "
                               "med fyra siffror, t.ex. 2281,2262")
    return ",".join(codes)


def _user(row: Any) -> User:
    text = row["kommuner"]
    return User(row["id"], row["name"], row["role"], row["organisation"],
                tuple(text.split(",")) if text else None)


def _digest(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def _expiry(expires_days: float | None) -> str | None:
    """The UTC expiry of a token valid ``expires_days`` from now (None: never expires)."""
    if expires_days is None:
        return None
    if not 0 < expires_days <= 3650:
        raise ValidationFailed("a token's lifetime must be more than 0 and at most 3650 days")
    return (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=expires_days)).isoformat(
        timespec="milliseconds")


def add_user(store: Store, name: str, role: str, *, secret: str,
             expires_days: float | None = None, organisation: str | None = None,
             kommuner: Sequence[str] | None = None) -> str:
    """Create an account and return its new API token (shown once, stored only as a digest);
    with ``expires_days`` the token stops working that many days from now. Only a partner
    reporter (``rapportor``) has an ``organisation`` (its reports carry it). ``kommuner``
    limits the account to those municipalities' records (None: all of the store's)."""
    name = name.strip()
    organisation = (organisation or "").strip() or None
    if role not in ROLES:
        raise ValidationFailed(f"role {role!r} is not one of {', '.join(ROLES)}")
    if organisation is not None and role != PARTNER_ROLE:
        raise ValidationFailed(f"only the role {PARTNER_ROLE} has an organisation")
    if organisation is not None and len(organisation) > 100:
        raise ValidationFailed("organisation must be at most 100 characters")
    if not name or len(name) > 100:
        raise ValidationFailed("name must be 1 to 100 characters")
    token = secrets.token_urlsafe(32)
    try:
        with store.transaction() as conn:
            conn.execute(insert(users_table).values(name=name, role=role,
                                                    token_sha256=_digest(secret, token),
                                                    created_at=utc_now(),
                                                    token_expires_at=_expiry(expires_days),
                                                    organisation=organisation,
                                                    kommuner=_kommuner_text(kommuner)))
    except IntegrityError:
        raise ValidationFailed(f"user {name!r} already exists") from None
    return token


def list_users(store: Store) -> list[User]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(users_table).order_by(users_table.c.id)).mappings().all()
    return [_user(r) for r in rows]


def user_for_token(store: Store, token: str, *, secret: str) -> User | None:
    """The account an API token belongs to, or None (also for a revoked or expired token)."""
    if not token:
        return None
    with store.engine.connect() as conn:
        row = conn.execute(select(users_table).where(
            users_table.c.token_sha256 == _digest(secret, token))).mappings().first()
    if row is None or not _token_live(row):
        return None
    return _user(row)


def _token_live(row: Any) -> bool:
    """True if the account of ``row`` is not revoked and its token has not expired."""
    expires = row["token_expires_at"]
    return row["revoked_at"] is None and (expires is None or expires > utc_now())


def _renew_token(store: Store, name: str, *, secret: str, revoke: bool,
                 expires_days: float | None) -> str:
    """Give ``name`` a fresh token digest and end its sessions, in one transaction. Revoking
    stores the digest of a token nobody was shown, so the old one can never sign in again."""
    token = secrets.token_urlsafe(32)
    with store.transaction() as conn:
        row = conn.execute(select(users_table.c.id).where(users_table.c.name == name)).first()
        if row is None:
            raise NotFound(f"kontot {name!r} finns inte")
        values: dict[str, Any] = {"token_sha256": _digest(secret, token)}
        if revoke:
            values["revoked_at"] = utc_now()
        else:
            values.update(revoked_at=None, token_expires_at=_expiry(expires_days))
        conn.execute(update(users_table).where(users_table.c.id == row[0]).values(**values))
        conn.execute(delete(sessions_table).where(sessions_table.c.user_id == row[0]))
    return token


def revoke_user(store: Store, name: str, *, secret: str) -> None:
    """Revoke ``name``'s token and end its sessions (the account stays, e.g. for the audit
    trail; ``rotate_token`` gives it a working token again)."""
    _renew_token(store, name, secret=secret, revoke=True, expires_days=None)


def rotate_token(store: Store, name: str, *, secret: str,
                 expires_days: float | None = None) -> str:
    """Replace ``name``'s token (the old one stops at once, its sessions end); return the new
    one, shown once. ``expires_days`` sets the new token's lifetime (None: never expires)."""
    return _renew_token(store, name, secret=secret, revoke=False, expires_days=expires_days)


def user_by_name(store: Store, name: str) -> User | None:
    with store.engine.connect() as conn:
        row = conn.execute(select(users_table).where(users_table.c.name == name)).mappings().first()
    return _user(row) if row else None


def ensure_demo_users(store: Store, *, secret: str) -> list[User]:
    """Create one demo account per role if missing (demo mode only); return them."""
    users = []
    for role, name in DEMO_USERS.items():
        user = user_by_name(store, name)
        if user is None:
            add_user(store, name, role, secret=secret)
            user = user_by_name(store, name)
        assert user is not None
        users.append(user)
    return users


def create_session(store: Store, user: User, *, secret: str, hours: float) -> str:
    """Start a login session for ``user`` (recorded in the audit trail); return the session id
    for the cookie."""
    session_id = secrets.token_urlsafe(32)
    expires = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=hours)).isoformat()
    with store.transaction() as conn:
        conn.execute(delete(sessions_table).where(sessions_table.c.expires_at < utc_now()))
        conn.execute(insert(sessions_table).values(id_sha256=_digest(secret, session_id),
                                                   user_id=user.id, expires_at=expires))
        store.record("login", actor=user, details={"session_hours": hours}, conn=conn)
    return session_id


def user_for_session(store: Store, session_id: str, *, secret: str) -> User | None:
    """The account of a live session, or None if unknown or expired."""
    if not session_id:
        return None
    query = (select(users_table.c.id, users_table.c.name, users_table.c.role,
                    users_table.c.organisation, users_table.c.kommuner, users_table.c.revoked_at,
                    sessions_table.c.expires_at)
             .join(sessions_table, sessions_table.c.user_id == users_table.c.id)
             .where(sessions_table.c.id_sha256 == _digest(secret, session_id)))
    with store.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None or row["expires_at"] < utc_now() or row["revoked_at"] is not None:
        return None
    return _user(row)


def end_session(store: Store, session_id: str, *, secret: str) -> None:
    with store.transaction() as conn:
        conn.execute(delete(sessions_table).where(
            sessions_table.c.id_sha256 == _digest(secret, session_id)))
