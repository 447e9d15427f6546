"""What the app serves: every (method, path) pair, looking inside included routers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fastapi import FastAPI


def _walk(routes: Iterable[object]) -> Iterator[object]:
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:  # FastAPI ≥ 0.16x keeps an included router as a wrapper
            yield from _walk(inner)
        else:
            yield route


def served_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (METHOD, path template) the app answers, static mounts left out."""
    out: set[tuple[str, str]] = set()
    for route in _walk(app.routes):
        methods: set[str] = getattr(route, "methods", None) or set()
        path: str = getattr(route, "path", "")
        for method in methods - {"HEAD", "OPTIONS"}:
            out.add((method, path))
    return out
