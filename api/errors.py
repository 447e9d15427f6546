"""One JSON error shape for every error: ``{"error": ..., "code": ..., "details": [...]}``: a
Swedish sentence a person can act on, a stable machine ``code`` (the domain error's, or the
status's) and the single problems. Request validation (pydantic) is said in Swedish here, naming
the field and what it must be.

Faults of the machine (a full disk, a read-only store, a busy database) are 503 with a message
that says so (``fault_message``, also used by the CLI); anything else unexpected is a 500 in the
same shape, never a traceback or plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError

from api.deps import page_user
from api.rendering import templates
from geo.formats import number_sv as format_number
from geo.errors import Conflict, NotFound, TryggError, UnknownLayer
from store.accounts import ROLE_SV
from store.faults import fault_message

STATUS = {NotFound: 404, UnknownLayer: 404, Conflict: 409}
log = logging.getLogger(__name__)
__all__ = ["error_body", "fault_message", "install_error_handlers", "request_problems_sv"]


# The machine code of an answer that no domain error names.
STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large",
                415: "unsupported_media_type", 422: "invalid_input", 429: "rate_limited",
                500: "internal_error", 503: "unavailable"}
INTERNAL_SV = "internt fel i servern; serverns logg har detaljerna"


def error_body(message: str, details: list[str] | None = None, *, code: str) -> dict[str, Any]:
    return {"error": message, "code": code, "details": list(details or [])}


def status_code_name(status: int) -> str:
    return STATUS_CODES.get(status, "error")


# What each pydantic error type means, in Swedish ({...} from the error's context).
_REQUEST_PROBLEMS_SV = {
    "missing": "saknas; fyll i det",
    "greater_than_equal": "måste vara minst {ge}",
    "greater_than": "måste vara större än {gt}",
    "less_than_equal": "får vara högst {le}",
    "less_than": "måste vara mindre än {lt}",
    "multiple_of": "måste vara en multipel av {multiple_of}",
    "int_parsing": "måste vara ett heltal",
    "int_type": "måste vara ett heltal",
    "int_from_float": "måste vara ett heltal",
    "float_parsing": "måste vara ett tal (med decimalpunkt)",
    "float_type": "måste vara ett tal",
    "finite_number": "måste vara ett ändligt tal",
    "bool_parsing": "måste vara sant eller falskt (true/false)",
    "bool_type": "måste vara sant eller falskt (true/false)",
    "string_type": "måste vara text",
    "string_too_short": "måste ha minst {min_length} tecken",
    "string_too_long": "får ha högst {max_length} tecken",
    "string_pattern_mismatch": "har fel form; se exemplet i API-dokumentationen (/docs)",
    "too_short": "måste ha minst {min_length} värden",
    "too_long": "får ha högst {max_length} värden",
    "list_type": "måste vara en lista",
    "dict_type": "måste vara ett objekt",
    "model_type": "måste vara ett objekt",
    "model_attributes_type": "måste vara ett objekt",
    "literal_error": "måste vara ett av: {expected}",
    "enum": "måste vara ett av: {expected}",
    "date_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_parsing": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "date_from_datetime_inexact": "måste vara ett datum utan klockslag (ÅÅÅÅ-MM-DD)",
    "date_type": "måste vara ett datum (ÅÅÅÅ-MM-DD)",
    "datetime_parsing": "måste vara en tidpunkt (ÅÅÅÅ-MM-DDTTT:MM)",
    "datetime_from_date_parsing": "måste vara en tidpunkt (ÅÅÅÅ-MM-DDTTT:MM)",
    "datetime_type": "måste vara en tidpunkt (ÅÅÅÅ-MM-DDTTT:MM)",
    "time_parsing": "måste vara ett klockslag (TT:MM)",
    "json_invalid": "är inte giltig JSON",
    "json_type": "är inte giltig JSON",
    "extra_forbidden": "är inget känt fält; ta bort det",
    "uuid_parsing": "måste vara ett UUID",
    "url_parsing": "måste vara en webbadress",
}
_WHERE_SV = {"body": "fältet", "query": "parametern", "path": "adressdelen", "header": "rubriken",
             "cookie": "kakan", "form": "formulärfältet"}


def request_problem_sv(error: dict[str, Any]) -> str:
    """One pydantic validation error as a Swedish sentence: where, then what it must be."""
    loc = [str(part) for part in error.get("loc", ())]
    kind = loc[0] if loc and loc[0] in _WHERE_SV else "body"
    path = ".".join(loc[1:] if loc and loc[0] in _WHERE_SV else loc)
    where = f"{_WHERE_SV[kind]} {path}" if path else "innehållet"
    context = {key: _context_sv(value) for key, value in (error.get("ctx") or {}).items()}
    template = _REQUEST_PROBLEMS_SV.get(str(error.get("type")))
    if template is None:
        reason = context.get("reason") or context.get("error")
        what = (f"går inte att använda ({reason})" if reason
                else "har ett värde som inte går att använda")
    else:
        try:
            what = template.format(**context)
        except (KeyError, IndexError):
            what = template.split("{")[0].rstrip(": ")
    return f"{where} {what}"


def _context_sv(value: Any) -> str:
    """A context value of a pydantic error as shown to a person (numbers the Swedish way)."""
    if isinstance(value, bool):
        return "sant" if value else "falskt"
    if isinstance(value, (int, float)):
        exact = float(value).is_integer()
        return format_number(value) if exact else repr(float(value)).replace(".", ",")
    return str(value).replace(" or ", " eller ")


def request_problems_sv(errors: Sequence[Any]) -> list[str]:
    return [request_problem_sv(dict(e)) for e in errors]


def invalid_request_message(problems: list[str]) -> str:
    return "Uppgifterna går inte att använda: " + "; ".join(problems)


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
                   headers: dict[str, str] | None = None, *, code: str | None = None) -> Response:
    """The one error answer: JSON ``{"error", "code", "details"}``, or for a browser the same
    text as an HTML page with a way back."""
    if status == 404 and message.lower() in ("not found", ""):
        message = f"Det finns ingen sida eller resurs på adressen {request.url.path}."
    if status == 405 and message.lower() in ("method not allowed", ""):
        message = f"Adressen {request.url.path} tar inte emot {request.method}."
    code = code or status_code_name(status)
    if not wants_html(request):
        return JSONResponse(error_body(message, details, code=code), status_code=status,
                            headers=headers)
    state = request.app.state
    user = page_user(request, state.settings, state.store)
    title = TITLES_SV.get(status, "Något gick fel")
    return templates.TemplateResponse(request, "error.html", {
        "user": user, "role_sv": ROLE_SV, "title": title, "message": message,
        "details": list(details or [])}, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map each domain error class once to a status and the one JSON shape."""

    @app.exception_handler(TryggError)
    async def _domain(request: Request, exc: TryggError) -> Response:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
        return error_response(request, status, exc.message, exc.details, code=exc.code)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> Response:
        details = request_problems_sv(exc.errors())
        return error_response(request, 422, invalid_request_message(details), details,
                              code="invalid_request")

    async def _fault(_request: Request, exc: Exception) -> JSONResponse:
        message = fault_message(exc)
        if message is None:
            log.exception("unexpected %s", type(exc).__name__, exc_info=exc)
            return JSONResponse(error_body(INTERNAL_SV, code="internal_error"), status_code=500)
        log.error("fault: %s (%s)", message, exc)
        return JSONResponse(error_body(message, code="unavailable"), status_code=503,
                            headers={"Retry-After": "60"})

    app.add_exception_handler(DBAPIError, _fault)
    app.add_exception_handler(OSError, _fault)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected %s", type(exc).__name__, exc_info=exc)
        return JSONResponse(error_body(INTERNAL_SV, code="internal_error"), status_code=500)
