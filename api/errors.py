"""One JSON error shape for every domain error: ``{"error": ..., "details": [...]}``.

Faults of the machine (a full disk, a read-only store, a busy database) are 503 with a message
that says so (``fault_message``, also used by the CLI); anything else unexpected is a 500 in the
same shape, never a traceback or plain text.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from api.deps import page_user
from api.rendering import templates
from geo.errors import Conflict, NotFound, TryggError, UnknownLayer
from store.accounts import ROLE_SV
from store.faults import fault_message

STATUS = {NotFound: 404, UnknownLayer: 404, Conflict: 409}
log = logging.getLogger(__name__)
__all__ = ["error_body", "fault_message", "install_error_handlers"]


def error_body(message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": message, "details": list(details or [])}


TITLES_SV = {400: "Felaktig förfrågan", 401: "Inloggning krävs", 403: "Ingen behörighet",
             404: "Sidan finns inte", 405: "Går inte att göra här", 409: "Ändrad av någon annan",
             413: "För stor", 422: "Uppgifterna går inte att använda",
             429: "För många försök", 503: "Tillfälligt fel"}


def wants_html(request: Request) -> bool:
    """A browser opening an address (it asks for text/html first), not a script or client that
    asks for JSON: such a visitor gets an error page in the site's layout, not raw JSON."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def error_response(request: Request, status: int, message: str, details: list[str] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """The one error answer: JSON ``{"error", "details"}``, or for a browser the same text as an
    HTML page with a way back."""
    if not wants_html(request):
        return JSONResponse(error_body(message, details), status_code=status, headers=headers)
    state = request.app.state
    user = page_user(request, state.settings, state.store)
    title = TITLES_SV.get(status, "Något gick fel")
    if status == 404 and message.lower() in ("not found", ""):
        message = f"Det finns ingen sida på adressen {request.url.path}."
    return templates.TemplateResponse(request, "error.html", {
        "user": user, "role_sv": ROLE_SV, "title": title, "message": message,
        "details": list(details or [])}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map each domain error class once to a status and the one JSON shape."""

    @app.exception_handler(TryggError)
    async def _domain(request: Request, exc: TryggError) -> Response:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return error_response(request, status, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return error_response(request, 422, "invalid request: " + "; ".join(details), details)

    async def _fault(_request: Request, exc: Exception) -> JSONResponse:
        message = fault_message(exc)
        if message is None:
            log.exception("unexpected %s", type(exc).__name__, exc_info=exc)
            return JSONResponse(error_body("internal error; the server log has the details"),
                                status_code=500)
        log.error("fault: %s (%s)", message, exc)
        return JSONResponse(error_body(message), status_code=503, headers={"Retry-After": "60"})

    app.add_exception_handler(DBAPIError, _fault)
    app.add_exception_handler(OSError, _fault)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected %s", type(exc).__name__, exc_info=exc)
        return JSONResponse(error_body("internal error; the server log has the details"),
                            status_code=500)
