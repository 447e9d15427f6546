"""Bounds on what a request may bring: body size, JSON nesting and upload file names.

``BodyLimitMiddleware`` is a pure ASGI middleware: it counts the bytes of the body as they are
streamed (with or without a ``Content-Length``) and stops a request at its limit with 413, so a
60 MB body is refused after the limit is read, not after it is parsed. JSON bodies are also
scanned for nesting depth as they stream (``geo.geojson.JsonDepthScanner``): json's C parser
recurses, and 100,000 levels would crash it.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body, status_code_name
from geo.errors import ImportRejected
from geo.geojson import MAX_JSON_DEPTH, JsonDepthScanner
from trygg.settings import Settings

MB = 1_000_000
MAX_FILE_NAME_CHARS = 200
UPLOAD_OVERHEAD_BYTES = MB  # the form fields and multipart boundaries around an uploaded file


class BodyRefused(HTTPException):
    """A request body over a limit; FastAPI passes HTTPExceptions from ``receive`` through."""


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


class BodyLimitMiddleware:
    """Refuse bodies over ``max_body_mb`` (uploads: ``max_upload_mb`` plus form overhead) with
    413, and JSON nested deeper than ``max_json_depth`` with 422, both in the one error shape."""

    def __init__(self, app: ASGIApp, *, settings: Settings,
                 max_json_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_body_bytes = int(settings.max_body_mb * MB)
        self.max_upload_bytes = int(settings.max_upload_mb * MB) + UPLOAD_OVERHEAD_BYTES
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type").lower()
        upload = content_type.startswith("multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_body_bytes
        what = "an upload" if upload else "a request body"
        too_large = (f"the body is larger than the {limit / MB:g} MB {what} may be "
                     f"({'TRYGG_MAX_UPLOAD_MB' if upload else 'TRYGG_MAX_BODY_MB'})")
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _send_error(send, 413, too_large)
            return
        scanner = JsonDepthScanner() if not content_type or "json" in content_type else None
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyRefused(413, too_large)
                if scanner is not None and scanner.feed(chunk) > self.max_json_depth:
                    raise BodyRefused(422, f"request body: JSON nested deeper than "
                                           f"{self.max_json_depth} levels; GeoJSON needs about 8")
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyRefused as exc:  # raised where no handler turned it into a response
            if started:
                raise
            await _send_error(send, exc.status_code, str(exc.detail))


async def _send_error(send: Send, status: int, message: str) -> None:
    body = json.dumps(error_body(message, code=status_code_name(status))).encode()
    headers: list[Any] = [(b"content-type", b"application/json"),
                          (b"content-length", str(len(body)).encode()),
                          (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def safe_upload_name(filename: str | None) -> str:
    """An uploaded file's name, fit to be a file in a temporary folder; ``ImportRejected``
    (422) for names that are empty, ``.``/``..``, hold path separators or control characters,
    or are longer than ``MAX_FILE_NAME_CHARS``."""
    name = (filename or "").strip()
    shown = repr(name[:60] + ("…" if len(name) > 60 else ""))
    if not name:
        raise ImportRejected("filen saknar namn: ladda upp den med sitt filnamn (ändelsen, t.ex. "
                             ".gpkg eller .csv, säger vilket format den har)")
    if len(name) > MAX_FILE_NAME_CHARS:
        raise ImportRejected(f"filnamnet {shown}: {len(name)} tecken; högst "
                             f"{MAX_FILE_NAME_CHARS} går, byt namn på filen")
    if name in (".", "..") or any(c in name for c in "/\\") \
            or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ImportRejected(f"filnamnet {shown}: ange bara filens namn, utan sökväg (/ eller "
                             "\\) och utan styrtecken")
    return name
