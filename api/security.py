"""Browser security on every response, in one ASGI middleware.

* Headers: a Content-Security-Policy whose scripts must come from the app or carry the
  response's nonce, no framing (``frame-ancestors 'none'``, ``X-Frame-Options``), ``nosniff``,
  ``Referrer-Policy: same-origin`` and ``Cache-Control: no-store`` on signed-in answers.
* Placeholders: every inline ``<script>`` the app serves carries ``nonce="__trygg_nonce__"``
  and pages carry ``"__trygg_csrf__"`` (meta tag, hidden form fields); both are swapped here for
  the response's nonce and the session's CSRF token, so cached pages stay shareable.
* CSRF: a state-changing request (POST, PUT, PATCH, DELETE) that is not Bearer-authenticated
  must come from the app's own origin (``Origin``, else ``Referer``; ``Sec-Fetch-Site`` when the
  browser sends it), and when it carries the session cookie it must also carry the session's
  token (header ``X-CSRF-Token`` from the app's scripts, field ``csrf_token`` from its forms).
  A client that sends none of ``Origin``, ``Referer`` and ``Sec-Fetch-Site`` is not a browser
  (nothing can forge its requests) and passes; browsers always send at least one on writes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser

from api.deps import SESSION_COOKIE
from api.errors import error_body
from maps.base import CSRF_PLACEHOLDER, NONCE_PLACEHOLDER
from trygg.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 1_000_000  # larger url-encoded bodies are not searched for the token
# Background tiles of every map (folium's "OpenStreetMap" and /static/hotspots.js).
TILE_SOURCES = ("https://tile.openstreetmap.org", "https://*.tile.openstreetmap.org")
REFUSED_SV = ("Förfrågan avvisades: den kom inte från Tryggs egna sidor (skydd mot "
              "förfalskade förfrågningar). Ladda om sidan och försök igen.")


def public_origin(settings: Settings) -> str | None:
    """``scheme://host[:port]`` of ``TRYGG_PUBLIC_URL`` (None when unset)."""
    if not settings.public_url:
        return None
    parts = urlsplit(settings.public_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("TRYGG_PUBLIC_URL must be an http(s) address such as "
                         "https://trygg.example.se")
    return f"{parts.scheme}://{parts.netloc}".lower()


def secure_cookies(settings: Settings) -> bool:
    """Whether cookies get the Secure flag: the public address is https."""
    origin = public_origin(settings)
    return origin is not None and origin.startswith("https://")


def csrf_token(secret: str, session: str) -> str:
    """The CSRF token of a session cookie value (an HMAC: only the server can make it)."""
    return hmac.new(secret.encode(), b"csrf:" + session.encode(), hashlib.sha256).hexdigest()


def content_security_policy(nonce: str) -> str:
    """The policy of every response. Styles keep 'unsafe-inline': folium and Leaflet set style
    attributes and folium emits <style> blocks; scripts need 'self' or the nonce."""
    tiles = " ".join(TILE_SOURCES)
    return ("default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob: {tiles}; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    if url == "null":
        return "null"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc \
        else "null"


class SecurityMiddleware:
    """Headers, placeholders and the CSRF check (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.secret = settings.secret
        self.public = public_origin(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        session = cookie_parser(headers.get("cookie", "")).get(SESSION_COOKIE, "")
        token = csrf_token(self.secret, session) if session else ""
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {}).update(csp_nonce=nonce, csrf_token=token)
        bearer = "authorization" in headers
        signed_in = bool(session) or bearer

        if scope["method"] in UNSAFE_METHODS and not bearer:
            receive, field = await self._form_token(headers, receive)
            problem = self._refusal(scope, headers, session=session, token=token, field=field)
            if problem is not None:
                await self._refuse(send, nonce, problem)
                return

        await self.app(scope, receive, self._sender(send, nonce=nonce, token=token,
                                                     signed_in=signed_in))

    def _allowed(self, scope: Scope, headers: Headers) -> set[str]:
        own = {f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()}
        return own | ({self.public} if self.public else set())

    def _refusal(self, scope: Scope, headers: Headers, *, session: str, token: str,
                 field: str | None) -> str | None:
        """Why a write without a Bearer token is refused, or None when it may go on."""
        fetch_site = headers.get("sec-fetch-site")
        source = _origin_of(headers.get("origin")) or _origin_of(headers.get("referer"))
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            return f"cross-site request (Sec-Fetch-Site: {fetch_site})"
        if source is not None and source not in self._allowed(scope, headers):
            return f"request from another origin ({source})"
        browser = source is not None or fetch_site is not None
        if session and browser:
            sent = headers.get(CSRF_HEADER) or field or ""
            if not hmac.compare_digest(sent.encode(), token.encode()):
                return "missing or wrong CSRF token"
        return None

    @staticmethod
    async def _form_token(headers: Headers, receive: Receive) -> tuple[Receive, str | None]:
        """The ``csrf_token`` field of a url-encoded form body, and a receive that replays it."""
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return receive, None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if size > MAX_FORM_BYTES:
            return replay, None
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        return replay, values[0] if values else None

    @staticmethod
    def _headers(raw: MutableHeaders, nonce: str, *, signed_in: bool) -> None:
        raw["content-security-policy"] = content_security_policy(nonce)
        raw["x-frame-options"] = "DENY"
        raw["x-content-type-options"] = "nosniff"
        raw["referrer-policy"] = "same-origin"
        if signed_in or "set-cookie" in raw:
            raw["cache-control"] = "no-store"

    async def _refuse(self, send: Send, nonce: str, detail: str) -> None:
        body = json.dumps(error_body(REFUSED_SV, [detail], code="cross_site_refused"),
                          ensure_ascii=False).encode()
        headers = MutableHeaders(raw=[(b"content-type", b"application/json"),
                                      (b"content-length", str(len(body)).encode())])
        self._headers(headers, nonce, signed_in=True)
        await send({"type": "http.response.start", "status": 403, "headers": headers.raw})
        await send({"type": "http.response.body", "body": body})

    def _sender(self, send: Send, *, nonce: str, token: str, signed_in: bool) -> Send:
        """``send`` adding the headers and filling the placeholders of HTML bodies."""
        start: Message | None = None
        chunks: list[bytes] = []
        swaps = [(f'nonce="{NONCE_PLACEHOLDER}"'.encode(), f'nonce="{nonce}"'.encode()),
                 (f'"{CSRF_PLACEHOLDER}"'.encode(), f'"{token}"'.encode())]

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._headers(headers, nonce, signed_in=signed_in)
                if not headers.get("content-type", "").startswith("text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            for placeholder, value in swaps:
                body = body.replace(placeholder, value)
            headers = MutableHeaders(scope=start)
            if "content-length" in headers:
                headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        return wrapped
