"""FastAPI dependencies: settings, the store, the cache and the signed-in user (what the user
may do: ``api.access``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request

from api.cache import ResponseCache
from api.ratelimit import client_address
from store import Store
from store.accounts import User, user_for_session, user_for_token
from trygg.settings import Settings

SESSION_COOKIE = "trygg_session"
# A record's id in an address: the store's 64-bit integers (a larger number is a clear 422,
# not a database overflow).
RecordId = Annotated[int, Path(ge=-(2**63), le=2**63 - 1, description="Objektets id")]


# The dependencies that only read the app's state are ``async def``: FastAPI runs a plain ``def``
# dependency in its thread pool, and on a busy worker each such hop costs more than the work.

async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_cache(request: Request) -> ResponseCache:
    """The app's cache of rendered responses (keyed by layer generations)."""
    return request.app.state.cache


def current_user(request: Request, settings: Settings = Depends(get_settings),
                 store: Store = Depends(get_store)) -> User | None:
    """The user of a Bearer token or a session cookie; None for an anonymous visitor.

    A wrong token is an error (401), not a silent fall back to anonymous.
    """
    header = request.headers.get("authorization", "")
    if header:
        limiter = request.app.state.login_limiter  # wrong tokens count like failed logins
        client = client_address(request)
        if limiter.blocked(client):
            raise HTTPException(429, "för många misslyckade inloggningar från den här adressen; "
                                     "vänta en stund och försök igen", headers={"Retry-After":
                                                           str(limiter.retry_after(client))})
        scheme, _, token = header.partition(" ")
        user = user_for_token(store, token.strip(), secret=settings.secret) \
            if scheme.lower() == "bearer" else None
        if user is None:
            limiter.failed(client)
            raise HTTPException(401, "ogiltig, utgången eller återkallad token; "
                                     "be administratören om en ny",
                                headers={"WWW-Authenticate": "Bearer"})
        return user
    session = request.cookies.get(SESSION_COOKIE, "")
    return user_for_session(store, session, secret=settings.secret) if session else None


def page_user(request: Request, settings: Settings, store: Store) -> User | None:
    """The signed-in user of a page, or None: on a page a bad token or cookie means "not
    signed in" (the page offers the login) rather than an error."""
    try:
        return current_user(request, settings, store)
    except HTTPException:
        return None


def role_of(user: User | None) -> str | None:
    return user.role if user else None
