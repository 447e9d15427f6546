"""Answers shared by the routes: a file as a download."""

from __future__ import annotations

from fastapi.responses import Response

from services.exports import EXPORT_MEDIA


def download(content: bytes, filename: str, fmt: str) -> Response:
    """``content`` answered as a download of ``filename`` (media type from ``fmt``)."""
    return Response(content, media_type=EXPORT_MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"'})
