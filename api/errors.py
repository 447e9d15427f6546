"""One JSON error shape for every domain error: ``{"error": ..., "details": [...]}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from geo.errors import Conflict, NotFound, TryggError, UnknownLayer

STATUS = {NotFound: 404, UnknownLayer: 404, Conflict: 409}


def error_body(message: str, details: list[str] | None = None) -> dict:
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
