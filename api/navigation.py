"""The one navigation of every page: the views, each with the action (``services.access``)
a viewer must be allowed to open it. ``base.html`` shows the links the viewer may use.

A new page joins the navigation with one line in ``VIEWS`` (its path, its Swedish link text
and the action its route requires with ``api.access.page``); a page whose route is not
served yet is left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.routing import served_routes
from services.access import ACTIONS, Viewer, may


@dataclass(frozen=True)
class View:
    """A link of the navigation: ``action`` is the one its page requires."""

    href: str
    label: str
    action: str


VIEWS = (
    View("/kartor/oversikt", "Översikt", "browse"),
    View("/kartor/planering", "Planering", "siting.plan"),
    View("/kartor/tackning", "Täckning", "coverage.patrols"),
    View("/kartor/otrygga-platser", "Otrygga platser", "hotspots.view"),
    View("/kartor/lofte", "Löftesregistret", "followup.read"),
)
for _view in VIEWS:
    ACTIONS[_view.action]  # a typo fails at import, not on a page


def _served(request: Request) -> frozenset[str]:
    state = request.app.state
    paths: frozenset[str] | None = getattr(state, "nav_paths", None)
    if paths is None:  # the routes do not change while the app runs
        paths = frozenset(path for method, path in served_routes(request.app) if method == "GET")
        state.nav_paths = paths
    return paths


def nav_links(request: Request, user: Any) -> list[dict[str, Any]]:
    """The links ``user`` (an account, a ``Viewer`` or None) may open, the current one marked."""
    settings = request.app.state.settings
    viewer = Viewer(getattr(user, "role", None), settings.demo)
    served = _served(request)
    return [{"href": v.href, "label": v.label, "current": request.url.path == v.href}
            for v in VIEWS if v.href in served and may(viewer, v.action)]
