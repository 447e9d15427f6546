"""The OpenAPI document: every operation documents the one error shape for the statuses the app
really returns, so clients (and schemathesis) can rely on it, and the two ways to sign in (an
API token as ``Authorization: Bearer``, or the pages' session cookie) are declared as security
schemes on every operation that knows who calls it, so Swagger UI at /docs shows "Authorize"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.deps import SESSION_COOKIE, current_user

ERROR_STATUSES = {
    "401": "Inte inloggad eller okänd nyckel",
    "403": "Rollen får inte göra detta",
    "404": "Finns inte",
    "409": "Ändrat av någon annan (versionskonflikt)",
    "413": "För stor förfrågan",
    "422": "Ogiltig indata: varje problem listas i details",
    "429": "För många försök",
}


SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "API-nyckel från `trygg users add NAMN --role ROLL`, skickas "
                                  "som `Authorization: Bearer NYCKEL`."},
    "sessionCookie": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                      "description": "Sessionskakan som sidorna får vid inloggning på /logga-in "
                                     "(skrivningar med kakan kräver även CSRF-token)."},
}
# Either scheme signs the caller in.
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"sessionCookie": []}]


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:  # an included router kept as a wrapper (FastAPI ≥ 0.16x)
            yield from _routes(inner)
        elif isinstance(route, APIRoute):
            yield route


def _knows_caller(dependant: Dependant) -> bool:
    """Whether an operation depends (at any depth) on the signed-in user."""
    return any(d.call is current_user or _knows_caller(d) for d in dependant.dependencies)


def _signed_in_operations(app: FastAPI) -> set[tuple[str, str]]:
    return {(route.path, method.lower()) for route in _routes(app.routes)
            if route.include_in_schema and _knows_caller(route.dependant)
            for method in route.methods or ()}


class ErrorOut(BaseModel):
    """The one error shape: a message and every problem found."""

    error: str
    details: list[str]


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's validation-error schema with ``ErrorOut`` on every operation and
    declare the Bearer token and the session cookie on the operations that read the caller."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["ErrorOut"] = ErrorOut.model_json_schema()
        doc["components"]["securitySchemes"] = SECURITY_SCHEMES
        signed_in = _signed_in_operations(app)
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for path, operations in doc.get("paths", {}).items():
            for method, operation in operations.items():
                if (path, method) in signed_in:
                    operation["security"] = SECURITY
                responses = operation.setdefault("responses", {})
                for status, text in ERROR_STATUSES.items():
                    responses[status] = {"description": text,
                                         "content": {"application/json": {"schema": ref}}}
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
