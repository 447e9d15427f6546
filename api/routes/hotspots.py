"""``/api/hotspots`` and the page ``/kartor/otrygga-platser``: unsafe places over time on a grid,
with trend classes, a two-period comparison and felt against recorded safety. Sensitive records
reach police roles only; other roles get them as cells of at least k records or not at all."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import shapely
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from shapely.geometry.base import BaseGeometry

from api.deps import current_user, get_settings, get_store, page_user, role_of
from api.permissions import sees_sensitive
from geo.hotspot_view import Viewer, hotspot_view
from geo.hotspots import inside_area
from geo.layers import REPORT_SOURCES, UNSAFE_CATEGORIES
from maps.base import json_island
from store import Store
from store.accounts import ROLE_SV, User, list_users
from trygg.settings import Settings

router = APIRouter(tags=["otrygga platser"])
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
VIEW_ROLES = frozenset({"rad", "patrullchef", "planerare", "admin"})
Category = Literal[UNSAFE_CATEGORIES]  # type: ignore[valid-type]
Source = Literal[REPORT_SOURCES]  # type: ignore[valid-type]


class PolygonGeometry(BaseModel):
    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


class CellProperties(BaseModel):
    cell: str
    total: int
    counts: list[int]
    by_group: dict[str, list[int]]
    trend: str
    trend_sv: str
    summary_sv: str
    mk_z: float
    mk_p: float
    hot_periods: int
    cold_periods: int
    ci_low: float
    ci_high: float
    first_half: int
    second_half: int


class CellFeature(BaseModel):
    type: Literal["Feature"]
    id: str
    geometry: PolygonGeometry
    properties: CellProperties


class ComparedCell(BaseModel):
    cell: str
    first: int
    second: int
    difference: int
    p: float
    change: str
    geometry: PolygonGeometry


class Comparison(BaseModel):
    first: list[str]
    second: list[str]
    cells: list[ComparedCell]


class AgreementCell(BaseModel):
    cell: str
    felt: int
    recorded: int
    agreement: str
    geometry: PolygonGeometry


class SensitiveCell(BaseModel):
    cell: str
    category: str
    category_sv: str
    count: int
    cell_m: float
    k: int
    quarters: dict[str, int]
    geometry: PolygonGeometry


class SensitiveWindow(BaseModel):
    """The whole quarters that sensitive figures are given for (the request's window widened)."""

    from_: str
    to: str
    quarters: list[str]
    released_quarters: list[str]
    unreleased_quarters: list[str]
    widened: bool
    note: str

    model_config = {"populate_by_name": True,
                    "alias_generator": lambda name: "from" if name == "from_" else name}


class SensitiveSummary(BaseModel):
    total: int
    suppressed_records: int
    never_mapped_records: int
    cells: list[SensitiveCell]
    window: SensitiveWindow


class PointOut(BaseModel):
    lon: float
    lat: float
    group: str
    group_sv: str
    layer: str
    description: str
    source: str | None
    date: str | None
    period: str
    status: str
    provenance: str | None


class Label(BaseModel):
    id: str
    label: str


class StatusCounts(BaseModel):
    reported: int
    resolved: int
    open: int


class HotspotsOut(BaseModel):
    """Cells (GeoJSON Features, WGS84) with counts per period and a trend class, and more."""

    type: Literal["FeatureCollection"]
    features: list[CellFeature]
    periods: list[str]
    period: str
    cell_m: float
    records: int
    too_few: bool
    too_few_reason: str | None
    not_placed: int
    groups: list[Label]
    trend_classes: list[Label]
    method: dict[str, float | int | str]
    status: StatusCounts
    comparison: Comparison
    felt_vs_recorded: list[AgreementCell]
    points: list[PointOut]
    sensitive: SensitiveSummary | None
    outside_ignored: int
    notes: list[str]
    sources: dict[str, list[str]]
    density: list[list[float]] | None = None


def _viewer_role(user: User | None, settings: Settings) -> str | None:
    if user is None:
        if not settings.demo:
            raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
        return None
    if user.role not in VIEW_ROLES:
        raise HTTPException(403, f"role {user.role!r} may not see unsafe places over time")
    return user.role


def municipality(store: Store) -> BaseGeometry | None:
    """The study area: the union of the loaded boundaries (EPSG:3006), or None."""
    boundaries = store.read("boundaries")
    return shapely.union_all(boundaries.geometry.values) if len(boundaries) else None


def default_window(store: Store) -> tuple[date, date]:
    """From the first of the month two years before the latest record to its month's end; only
    records inside the municipality and not dated in the future count, so no single record moves
    everyone's default view."""
    latest = None
    boundary = municipality(store)
    today = date.today()
    for layer, column in (("unsafe_places", "reported_at"), ("events", "time")):
        gdf, _ = inside_area(store.read(layer), boundary)
        if len(gdf):
            days = pd.to_datetime(gdf[column], utc=True).dt.tz_convert("Europe/Stockholm").dt.date
            days = days[days <= today]
            t = days.max() if len(days) else None
            latest = t if latest is None or (t is not None and t > latest) else latest
    latest = latest or today
    end = (latest.replace(day=1) + timedelta(days=32)).replace(day=1)
    return end.replace(year=end.year - 2), end - timedelta(days=1)


def view_for(store: Store, role: str | None, *, start: date, end: date,
             **options) -> dict:
    """The hotspot view for ``role`` over the local days ``start`` … ``end`` (both included):
    cells over the municipality only; sensitive figures from the one fixed table, where records
    entered by accounts that do not see sensitive points never lift a cell over k."""
    viewer = Viewer(sees_sensitive=sees_sensitive(role), sees_raw_text=role == "admin")
    trusted = trusted_accounts(store)
    return hotspot_view(store.read("unsafe_places"), store.read("events"), viewer=viewer,
                        start=start, end=end + timedelta(days=1), boundary=municipality(store),
                        trusted_accounts=trusted, **options)


def _this_quarter() -> str:
    return str(pd.Timestamp.now(tz="Europe/Stockholm").tz_localize(None).to_period("Q"))


def trusted_accounts(store: Store) -> frozenset[str]:
    """Names of the accounts that see sensitive points anyway (the police roles)."""
    return frozenset(u.name for u in list_users(store) if sees_sensitive(u.role))


@router.get("/api/hotspots", summary="Otrygga platser över tid (rutnät, trender)",
            response_model=HotspotsOut)
def hotspots(
    from_: Annotated[date | None, Query(alias="from", description="First day (default: two "
                                                                     "years before the data's "
                                                                     "last month)")] = None,
    to: Annotated[date | None, Query(description="Last day, included")] = None,
    period: Literal["month", "quarter"] = "month",
    category: Annotated[list[Category] | None, Query(description="Unsafe-place categories")]
    = None,
    source: Annotated[list[Source] | None, Query(description="Report sources")] = None,
    layer: Literal["both", "unsafe_places", "events"] = "both",
    cell_m: Annotated[float, Query(ge=50, le=5000, description="Cell size, metres")] = 250.0,
    density: Annotated[bool, Query(description="Include a kernel-density surface")] = False,
    user: User | None = Depends(current_user),
    settings: Settings = Depends(get_settings),
    store: Store = Depends(get_store),
) -> HotspotsOut:
    """Counts per cell and period with an emerging hot-spot category per cell (``trend``: a
    stable key such as ``new_hot_spot`` … ``historical_cold_spot``, ``no_pattern`` or
    ``too_few``; ``trend_sv`` its Swedish label, ``summary_sv`` a sentence; space-time Gi* with
    FDR, Mann–Kendall on the z-scores, see ``method``), a two-period comparison (the window's
    halves), felt against recorded safety and the points the caller may see."""
    role = _viewer_role(user, settings)
    if from_ is None or to is None:
        first, last = default_window(store)
        from_, to = from_ or first, to or last
    start, end = from_, to
    if end < start:
        raise HTTPException(422, "from/to: 'to' is before 'from'")
    if (end - start).days > 3660:
        raise HTTPException(422, "from/to: at most ten years at a time")
    view = view_for(store, role, start=start, end=end, period=period, cell_m=cell_m,
                    layer=layer, categories=category, sources=source, with_density=density)
    return HotspotsOut.model_validate(view)


def _safe_json(value: dict) -> str:
    """JSON for a <script type="application/json"> block: no text can close the element."""
    return json_island(value)


@router.get("/kartor/otrygga-platser", response_class=HTMLResponse, include_in_schema=False)
def hotspots_page(request: Request, settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    user = page_user(request, settings, store)
    if user is None and not settings.demo:
        return RedirectResponse("/logga-in", status_code=303)
    if user is not None and user.role not in VIEW_ROLES:
        raise HTTPException(403, f"role {user.role!r} may not see this page")
    role = role_of(user)
    start, end = default_window(store)

    def data() -> str:
        view = view_for(store, role, start=start, end=end)
        boundaries = store.read("boundaries")
        view["boundary"] = json.loads(boundaries.to_crs("EPSG:4326").geometry.to_json()) \
            if len(boundaries) else None
        return _safe_json(view)

    # What a role sees depends only on whether it sees sensitive records and raw text (and, for
    # the released sensitive figures, on the police accounts and the quarters that have ended).
    key = ("page/otrygga-platser", start, end, sees_sensitive(role), role == "admin",
           store.generations(("unsafe_places", "events", "boundaries")),
           trusted_accounts(store), _this_quarter())
    return templates.TemplateResponse(request, "hotspots.html", {
        "request": request, "user": user, "role_sv": ROLE_SV, "start": start.isoformat(),
        "end": end.isoformat(), "data_json": request.app.state.cache.get_or_make(key, data),
        "sees_sensitive": sees_sensitive(role)})
