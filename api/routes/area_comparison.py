"""The report's comparison across the police area's municipalities (issue 14):
``/api/rapport/kommuner`` as JSON, an HTML table or a workbook."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.access import require
from api.deps import get_settings, get_store
from services import area_comparison as service
from services.access import Viewer
from store import Store
from trygg.settings import Settings

router = APIRouter(tags=["uppföljning"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/rapport/kommuner", summary="Jämförelse mellan områdets kommuner",
            responses={200: {"content": {"text/html": {}, XLSX: {}}}})
def area_comparison(from_: Annotated[date, Query(alias="from", description="First day")],
                    to: Annotated[date, Query(description="Last day, included")],
                    typ: Annotated[list[str] | None, Query(
                        max_length=40, description="Event types to count (default: all)")] = None,
                    format: Literal["json", "html", "xlsx"] = "json",
                    viewer: Viewer = Depends(require("followup.read")),
                    settings: Settings = Depends(get_settings),
                    store: Store = Depends(get_store)) -> Any:
    """Police events per type per municipality of the area in the period (the ones the viewer
    may see; sensitive events never)."""
    made = service.comparison(store, settings, viewer, first=from_, last=to, types=typ)
    if format == "json":
        return made.as_dict()
    body = service.comparison_file(made, format)
    if format == "html":
        return HTMLResponse(body.decode("utf-8"))
    name = f"kommuner_{from_.isoformat()}_{to.isoformat()}.xlsx"
    return Response(body, media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
