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
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from geo.errors import Conflict, NotFound, TryggError, UnknownLayer
from store.faults import fault_message

STATUS = {NotFound: 404, UnknownLayer: 404, Conflict: 409}
log = logging.getLogger(__name__)
__all__ = ["error_body", "fault_message", "install_error_handlers"]


def error_body(message: str, details: list[str] | None = None) -> dict[str, Any]:
    return {"error": message, "details": list(details or [])}


def install_error_handlers(app: FastAPI) -> None:
    """Map each domain error class once to a status and the one JSON shape."""

    @app.exception_handler(TryggError)
    async def _domain(_request: Request, exc: TryggError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return JSONResponse(error_body(exc.message, exc.details), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse(error_body("invalid request: " + "; ".join(details), details),
                            status_code=422)

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
