"""The one navigation of every page: the views, each with the action (``services.access``)
a viewer must be allowed to open it. ``base.html`` shows the links the viewer may use.

A new page joins the navigation with one entry in ``VIEWS`` (its path, its Swedish link text,
the action its route requires with ``api.access.page`` — None for a public page that everyone,
signed in or not, may open — and its title and description for the start page); a view whose
route is not served yet is left out of the header and shown as "kommer snart" on the start
page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.routing import served_routes
from services.access import ACTIONS, Viewer, may


@dataclass(frozen=True)
class View:
    """A view of the app: its link text in the header (``label``), its title and what it
    shows on the start page, and ``action``, the one its page requires (None: public)."""

    href: str
    label: str
    action: str | None
    title: str
    text: str

    @property
    def roles_sv(self) -> str:
        """Who may open it, as the start page says it ("planerare, admin")."""
        if self.action is None:
            return "alla, utan inloggning"
        rule = ACTIONS[self.action]
        return ", ".join(ROLE_SHORT_SV[r] for r in ("rad", "patrullchef", "planerare", "admin")
                         if r in rule.roles)


ROLE_SHORT_SV = {"rad": "råd", "patrullchef": "patrullchef", "planerare": "planerare",
                 "admin": "admin"}
VIEWS = (
    View("/kartor/oversikt", "Översikt", "browse", "Översiktskarta", "alla lager med ursprung"),
    View("/kartor/planering", "Planering", "siting.plan", "Planering av trafikkontroller",
         "riskvägar, förslag på kontrollplatser och veckoplan"),
    View("/kartor/tackning", "Täckning", "coverage.patrols", "Täckning",
         "fotpatrullering i centrum och kontroller på riskvägarna"),
    View("/kartor/otrygga-platser", "Otrygga platser", "hotspots.view",
         "Otrygga platser över tid",
         "rapporter och händelser per månad, uppföljning av medborgarlöftet"),
    View("/kartor/lofte", "Löftesregistret", "followup.read",
         "Löftesregistret och uppföljningsrapporten",
         "åtgärder per löfte, rapport till rådet för trygghet och hälsa (HTML/PDF)"),
    View("/kartor/redigera", "Redigera", "map.edit", "Redigera kartlagren",
         "rita och ändra patrullområden, riskvägar, otrygga platser och kontrollplatser"),
    View("/moderering", "Moderering", "tips.moderate", "Moderering av tips",
         "tips från allmänheten och samverkansparter: godkänn, avvisa eller slå ihop"),
    View("/samverkan", "Rapportera", "tips.partner", "Rapporter från samverkansparter",
         "snabbformulär och veckovis CSV för bostadsbolag, väktare, skola och fritid"),
    View("/tyck-till", "Tyck till", None, "Tyck till",
         "rapportera en otrygg plats, anonymt, och följ ditt ärende"),
    View("/folj-med", "Följ med", None, "Följ med i hur det går",
         "löftenas åtgärder, mål och otrygga platser, publicerat av kommunen och polisen"),
)
for _view in VIEWS:
    if _view.action is not None:
        ACTIONS[_view.action]  # a typo fails at import, not on a page


def served_pages(request: Request) -> frozenset[str]:
    """The paths the app answers GET on (read once: the routes do not change)."""
    state = request.app.state
    paths: frozenset[str] | None = getattr(state, "nav_paths", None)
    if paths is None:
        paths = frozenset(path for method, path in served_routes(request.app) if method == "GET")
        state.nav_paths = paths
    return paths


def nav_links(request: Request, user: Any) -> list[dict[str, Any]]:
    """The links ``user`` (an account, a ``Viewer`` or None) may open, the current one marked."""
    settings = request.app.state.settings
    viewer = Viewer(getattr(user, "role", None), settings.demo)
    served = served_pages(request)
    return [{"href": v.href, "label": v.label, "current": request.url.path == v.href}
            for v in VIEWS if v.href in served and (v.action is None or may(viewer, v.action))]
