"""HTML pages: the Swedish start page, login and logout, and the overview map."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.access import page, viewer_of
from api.deps import SESSION_COOKIE, get_settings, get_store, page_user
from api.navigation import VIEWS, served_pages
from api.rendering import map_page, templates
from api.security import secure_cookies
from geo.layers import LAYERS
from geo.vocabulary import PROVENANCE_SV
from maps.overview import overview_map
from services import catalogue
from services.access import Viewer, fit_frame, may_read
from store import Store
from store.accounts import (
    DEMO_USERS,
    ROLE_SV,
    User,
    create_session,
    end_session,
    user_by_name,
    user_for_token,
)
from trygg.settings import Settings

router = APIRouter(include_in_schema=False)

def _context(request: Request, user: User | None, **extra) -> dict:
    return {"request": request, "user": user, "role_sv": ROLE_SV, **extra}


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> HTMLResponse:
    user = page_user(request, settings, store)
    paths = served_pages(request)
    views = [{"href": v.href, "title": v.title, "text": v.text, "roles": v.roles_sv,
              "available": v.href in paths} for v in VIEWS]
    counted = catalogue.layer_counts(store, viewer_of(user, settings))
    layers = [{"title": LAYERS[name].title_sv, "count": f"{c.count:,}".replace(",", "\u00a0"),
               "provenance": ", ".join(PROVENANCE_SV[k] for k in c.provenance) or "–"}
              for name, c in counted.items()]
    accounts = [{"name": name, "role": role} for role, name in DEMO_USERS.items()]
    return templates.TemplateResponse(request, "start.html", _context(
        request, user, views=views, layers=layers, demo=settings.demo, demo_accounts=accounts))


@router.get("/logga-in", response_class=HTMLResponse)
def login_page(request: Request, settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> HTMLResponse:
    """The token form; a signed-in user is told so and offered to log out instead."""
    user = page_user(request, settings, store)
    return templates.TemplateResponse(request, "login.html", _context(request, user))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _signed_in(store: Store, settings: Settings, user: User) -> RedirectResponse:
    session = create_session(store, user, secret=settings.secret, hours=settings.session_hours)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="lax",
                        secure=secure_cookies(settings),
                        max_age=int(settings.session_hours * 3600))
    return response


@router.post("/logga-in")
def login(request: Request, token: Annotated[str, Form()],
          settings: Settings = Depends(get_settings),
          store: Store = Depends(get_store)) -> Response:
    limiter = request.app.state.login_limiter
    client = _client(request)
    if limiter.blocked(client):
        return templates.TemplateResponse(request, "login.html", _context(
            request, None, error="För många misslyckade försök. Vänta en minut."),
            status_code=429)
    user = user_for_token(store, token.strip(), secret=settings.secret)
    if user is None:
        limiter.failed(client)
        return templates.TemplateResponse(request, "login.html", _context(
            request, None, error="Okänd nyckel."), status_code=401)
    limiter.succeeded(client)
    return _signed_in(store, settings, user)


@router.post("/logga-in/demo")
def demo_login(role: Annotated[str, Form()], settings: Settings = Depends(get_settings),
               store: Store = Depends(get_store)) -> Response:
    """Demo mode only: sign in as the demo account of ``role``."""
    if not settings.demo or role not in DEMO_USERS:
        raise HTTPException(404, "demoinloggning finns bara i demoläget (TRYGG_DEMO=1)")
    user = user_by_name(store, DEMO_USERS[role])
    if user is None:
        raise HTTPException(404, "demokontona saknas; kör trygg demo")
    return _signed_in(store, settings, user)


@router.post("/logga-ut")
def logout(request: Request, settings: Settings = Depends(get_settings),
           store: Store = Depends(get_store)) -> Response:
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        end_session(store, session, secret=settings.secret)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax",
                           secure=secure_cookies(settings))
    return response


@router.get("/kartor/oversikt", response_class=HTMLResponse)
def overview_page(request: Request, viewer: Viewer = Depends(page("browse")),
                  store: Store = Depends(get_store)) -> Response:
    names = [name for name in ("boundaries", "patrol_zones", "risk_roads", "unsafe_places",
                               "traffic_checks", "events", "gazetteer") if may_read(viewer, name)]

    def render() -> str:
        layers = {name: fit_frame(name, store.read(name), viewer) for name in names}
        return overview_map(layers, titles={n: s.title_sv for n, s in LAYERS.items()})

    key = ("overview", tuple(names), store.generations(names), viewer.privacy_class)
    return map_page(request, viewer, request.app.state.cache.get_or_make(key, render),
                    title="Trygg – översiktskarta", heading="Översiktskarta")
