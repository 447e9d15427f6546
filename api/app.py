"""The FastAPI application factory."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.access import PageRefused
from api.deps import current_user, get_store
from api.cache import ResponseCache
from api.errors import error_response, install_error_handlers
from api.limits import BodyLimitMiddleware
from api.openapi import install_openapi
from api.ratelimit import LoginLimiter
from api.security import SecurityMiddleware
from api.routes import layers, pages
from api.routes import siting as siting_routes
from api.routes import planning_page
from api.routes import hotspots as hotspot_routes
from api.routes import report as report_routes
from api.routes import area_comparison as area_comparison_routes
from api.routes import coverage as coverage_routes
from api.routes import coverage_page
from api.routes import exports as export_routes
from api.routes import ogc as ogc_routes
from api.routes import folj_med
from api.routes import targets as target_routes
from api.routes import moderation, tyck_till
from api.routes import editor_page
from maps.base import NONCE_PLACEHOLDER
from store import Store
from store.accounts import User, ensure_demo_users
from trygg.settings import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"


class Me(BaseModel):
    name: str | None
    role: str | None


class Health(BaseModel):
    status: str
    schema_version: int


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the app for ``settings`` (read from the environment when omitted)."""
    settings = settings or Settings()
    settings.checked_secret()
    store = store or Store.open(settings.db, audit_retention_days=settings.audit_retention_days)
    if settings.demo:
        ensure_demo_users(store, secret=settings.secret)
    app = FastAPI(
        title="Trygg",
        description="Kartor och uppföljning för medborgarlöftet: riskvägar, trafikkontroller, "
                    "fotpatrullering och otrygga platser. GeoJSON i WGS84 (RFC 7946).",
        version="0.1.0",
        docs_url=None,  # served below with the vendored Swagger UI, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.login_limiter = LoginLimiter(settings.login_attempts_per_minute)
    app.state.cache = ResponseCache()
    install_error_handlers(app)
    install_openapi(app)
    app.add_middleware(BodyLimitMiddleware, settings=settings)  # body size, JSON depth
    app.add_middleware(SecurityMiddleware, settings=settings)  # headers, CSP nonce, CSRF

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail),
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(PageRefused)
    async def _page_refused(_request: Request, exc: PageRefused) -> Response:
        return exc.response

    @app.get("/api/health", tags=["system"], response_model=Health)
    def health(store: Store = Depends(get_store)) -> Health:
        return Health(status="ok", schema_version=store.schema_version)

    @app.get("/api/me", tags=["system"], response_model=Me)
    def me(user: User | None = Depends(current_user)) -> Me:
        return Me(name=user.name if user else None, role=user.role if user else None)

    app.include_router(layers.router)
    app.include_router(pages.router)
    app.include_router(siting_routes.router)
    app.include_router(planning_page.router)
    app.include_router(hotspot_routes.router)
    app.include_router(report_routes.router)
    app.include_router(area_comparison_routes.router)
    app.include_router(coverage_routes.router)
    app.include_router(coverage_page.router)
    app.include_router(export_routes.router)
    app.include_router(ogc_routes.router)
    app.include_router(folj_med.router)
    app.include_router(target_routes.router)
    app.include_router(tyck_till.router)
    app.include_router(moderation.router)
    app.include_router(editor_page.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title="Trygg – API",
                                   swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
                                   swagger_favicon_url="/static/vendor/swagger-ui/favicon-32x32.png")
        # Its inline start-up script gets the response's CSP nonce (api.security).
        html = bytes(page.body).decode().replace("<script", f'<script nonce="{NONCE_PLACEHOLDER}"')
        return HTMLResponse(html)
    return app
