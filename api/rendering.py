"""The one Jinja environment of the app's page templates (``api/templates``). Every page gets
``muni``: the municipality the store serves (name, county, map centre), so no template names
one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from services.municipality import served_municipality


def _municipality(request: Request) -> dict[str, Any]:
    state = request.app.state
    return {"muni": served_municipality(state.store, state.settings).municipality}


templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates",
                            context_processors=[_municipality])
