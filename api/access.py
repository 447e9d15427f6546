"""The access policy at the web's edge: the viewer of a request, one dependency that requires
an action (or a layer read or write), one JSON refusal and one "forbidden" page.

What may be done is decided in ``services.access`` (the table of actions × roles); this module
only asks it and answers 401 (sign in first) or 403 (the role may not) in the app's one error
shape, or, on a page, sends the visitor to the login page or shows ``forbidden.html``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from api.deps import current_user, get_settings, get_store, page_user
from api.rendering import templates
from geo.layers import layer_spec
from services.access import ACTIONS, ROLES, Refusal, Viewer, layer_refusal, refusal
from store import Store
from store.accounts import ROLE_SV, User
from trygg.settings import Settings

LayerName = Annotated[str, Field(pattern="^[a-z_]+$")]


def viewer_of(user: User | None, settings: Settings) -> Viewer:
    return Viewer(user.role if user else None, settings.demo, user.name if user else None,
                  frozenset(user.kommuner) if user and user.kommuner else None)


async def current_viewer(user: User | None = Depends(current_user),
                         settings: Settings = Depends(get_settings)) -> Viewer:
    """The viewer of an API request (a wrong token or cookie is a 401, not anonymous)."""
    return viewer_of(user, settings)


def refuse(refused: Refusal) -> NoReturn:
    """Raise the refusal as the app's one JSON error (``{"error": ..., "details": []}``)."""
    headers = {"WWW-Authenticate": "Bearer"} if refused.status == 401 else None
    raise HTTPException(refused.status, refused.message, headers=headers)


def require(action: str) -> Callable[..., Awaitable[Viewer]]:
    """A dependency that lets only viewers who may do ``action`` through (401 or 403)."""
    ACTIONS[action]  # a typo fails at import, not at the first request

    async def check(viewer: Viewer = Depends(current_viewer)) -> Viewer:
        refused = refusal(viewer, action)
        if refused is not None:
            refuse(refused)
        return viewer

    return check


def require_user(action: str) -> Callable[..., Awaitable[User]]:
    """Like ``require``, for writes: the signed-in account (the actor the audit names)."""
    allowed = require(action)

    async def check(viewer: Viewer = Depends(allowed),
                    user: User | None = Depends(current_user)) -> User:
        if user is None:
            refuse(Refusal(401, "logga in först"))
        return user

    return check


async def layer_reader(layer: LayerName, viewer: Viewer = Depends(current_viewer)) -> Viewer:
    """A dependency for routes of ``{layer}``: 401 for anonymous visitors outside demo mode, 404
    for unknown layers, then 401 or 403 unless the viewer may read the layer."""
    if not viewer.signed_in and not viewer.demo:
        refuse(Refusal(401, "logga in först"))
    layer_spec(layer)
    refused = layer_refusal(viewer, layer)
    if refused is not None:
        refuse(refused)
    return viewer


async def layer_writer(layer: LayerName, user: User | None = Depends(current_user),
                       viewer: Viewer = Depends(current_viewer)) -> User:
    """A dependency for writes to ``{layer}``: the signed-in account if it may change the layer
    (404 unknown layer, 401 anonymous, 403 a role that may not)."""
    layer_spec(layer)
    refused = layer_refusal(viewer, layer, write=True)
    if refused is not None or user is None:
        refuse(refused or Refusal(401, "logga in först"))
    return user


class PageRefused(Exception):
    """A page the visitor may not see: the answer to give instead (login or forbidden)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page refused")
        self.response = response


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def forbidden_page(request: Request, user: User, action: str) -> Response:
    """The one "forbidden" page (403): what the role may not do and who may."""
    rule = ACTIONS[action]
    allowed = [_lower_first(ROLE_SV.get(r, r)) for r in ROLES if r in rule.roles]
    text = ", ".join(allowed[:-1]) + f" och {allowed[-1]}" if len(allowed) > 1 else "".join(allowed)
    return templates.TemplateResponse(request, "forbidden.html", {
        "request": request, "user": user, "role_sv": ROLE_SV, "what": rule.what_sv,
        "allowed": text}, status_code=403)


def page(action: str) -> Callable[..., Viewer]:
    """A dependency for an HTML page: the viewer if it may do ``action``; else anonymous
    visitors go to the login page and other roles get the forbidden page. On a page a bad
    token or cookie means "not signed in"."""
    ACTIONS[action]

    def check(request: Request, settings: Settings = Depends(get_settings),
              store: Store = Depends(get_store)) -> Viewer:
        user = page_user(request, settings, store)
        viewer = viewer_of(user, settings)
        refused = refusal(viewer, action)
        if refused is None:
            return viewer
        if user is None:
            raise PageRefused(RedirectResponse("/logga-in", status_code=303))
        raise PageRefused(forbidden_page(request, user, action))

    return check



def shown_user(viewer: Viewer) -> Viewer | None:
    """Who a page's header shows as signed in (name and role), or None."""
    return viewer if viewer.signed_in else None
