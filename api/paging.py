"""Paging and conditional reads shared by ``/api/layers/{layer}`` and ``/ogc``: who counts as the
same viewer, entity tags from a layer's generation, ``If-None-Match`` and page links.

An entity tag names what an answer was made from: the layer's generation counter
(``Store.generation``, raised by every committed write), the viewer class (what
``services.access.fit_frame`` lets the role see) and the normalised query. The same tag
therefore never stands for two different sets of records, and no tag is computed before the
caller's right to read the layer was checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Mapping

from fastapi import Request
from fastapi.responses import Response

from services.access import sees_raw_text, sees_sensitive

MAX_LIMIT = 10_000  # most records one page may hold


def viewer_class(role: str | None, kommuner: frozenset[str] | None = None) -> str:
    """Roles that see the same records the same way: ``admin`` (everything, raw text),
    ``police`` (hidden records, scrubbed text) or ``public`` (neither); an account limited to
    municipalities sees only theirs (``admin:2262,2281``)."""
    limit = f":{','.join(sorted(kommuner))}" if kommuner is not None else ""
    if sees_raw_text(role):
        return "admin" + limit
    return ("police" if sees_sensitive(role) else "public") + limit


def entity_tag(*parts: Hashable, weak: bool = False) -> str:
    """A quoted entity tag for ``parts`` (a generation, a viewer class, a query...)."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f'W/"{digest}"' if weak else f'"{digest}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def not_modified(request: Request, tag: str) -> bool:
    """True if the request's ``If-None-Match`` names ``tag`` (weak comparison) or is ``*``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = _opaque(tag)
    return any(t.strip() == "*" or _opaque(t) == wanted for t in header.split(","))


def not_modified_response(tag: str, headers: Mapping[str, str] | None = None) -> Response:
    """The 304 answer for ``tag``: no body, the tag repeated."""
    return Response(status_code=304, headers={"ETag": tag, **(headers or {})})


def page_url(request: Request, **changes: int | str | None) -> str:
    """The request's URL with query parameters replaced (a None value removes one)."""
    params = dict(request.query_params)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    return str(request.url.replace_query_params(**params)) if params else \
        str(request.url.remove_query_params(list(request.query_params.keys())))


def next_offset(*, offset: int, limit: int, matched: int) -> int | None:
    """The offset of the next page, or None on the last one."""
    return offset + limit if offset + limit < matched else None


def prev_offset(*, offset: int, limit: int) -> int | None:
    """The offset of the previous page, or None on the first one."""
    return max(offset - limit, 0) if offset > 0 else None
