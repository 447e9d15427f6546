"""The OpenAPI document: every operation documents the one error shape for the statuses the app
really returns, so clients (and schemathesis) can rely on it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

ERROR_STATUSES = {
    "401": "Inte inloggad eller okänd nyckel",
    "403": "Rollen får inte göra detta",
    "404": "Finns inte",
    "409": "Ändrat av någon annan (versionskonflikt)",
    "413": "För stor förfrågan",
    "422": "Ogiltig indata: varje problem listas i details",
    "429": "För många försök",
}


class ErrorOut(BaseModel):
    """The one error shape: a message and every problem found."""

    error: str
    details: list[str]


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's validation-error schema with ``ErrorOut`` on every operation."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["ErrorOut"] = ErrorOut.model_json_schema()
        ref = {"$ref": "#/components/schemas/ErrorOut"}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, text in ERROR_STATUSES.items():
                    responses[status] = {"description": text,
                                         "content": {"application/json": {"schema": ref}}}
        app.openapi_schema = doc
        return doc

    app.openapi = build  # type: ignore[method-assign]
