"""The coverage page ``/kartor/tackning`` (roles patrullchef and admin): foot-patrol coverage of
the zones and traffic-check coverage of the risk roads on one map, for a chosen period."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import get_settings, get_store, page_user
from api.permissions import sees_raw_text, viewer_frame
from api.routes.coverage import PATROL_ROLES, check_report, patrol_report
from geo.coverage import default_period, presence_heat, track_vertices, tracks_in_period
from geo.errors import TryggError
from geo.periods import make_period
from maps.coverage import CoverageLayers, coverage_map
from store import Store
from store.accounts import ROLE_SV
from trygg.settings import Settings

router = APIRouter(include_in_schema=False)



def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# The layers the page is drawn from: a write to any of them makes a cached page stale.
PAGE_LAYERS = ("patrols", "patrol_zones", "risk_roads", "traffic_checks")


def _report(store: Store, first: date | None, last: date | None, base_first: date | None,
            base_last: date | None) -> dict[str, Any]:
    """The patrol figures of the period (default: the latest four weeks) against the baseline
    (default: as many days just before the period)."""
    if first is None or last is None:
        period = default_period(store.read("patrols"))
        first, last = period.first, period.last
    if base_first is None or base_last is None:
        base_last = first - timedelta(days=1)
        base_first = base_last - timedelta(days=max((last - first).days, 0))
    return patrol_report(store, first, last, baseline_from=base_first, baseline_to=base_last)


@router.get("/kartor/tackning", response_class=HTMLResponse)
def coverage_page(request: Request, from_: str | None = Query(None, alias="from"),
                  to: str | None = Query(None), baseline_from: str | None = Query(None),
                  baseline_to: str | None = Query(None),
                  settings: Settings = Depends(get_settings),
                  store: Store = Depends(get_store)) -> Response:
    """Zones by target share and dosage against a baseline, tracks, presence heat, risk roads
    by check coverage."""
    user = page_user(request, settings, store)
    if user is None:  # patrol tracks: never for anonymous visitors, not even in demo mode
        return RedirectResponse("/logga-in", status_code=303)
    if user.role not in PATROL_ROLES:
        role = ROLE_SV.get(user.role, user.role)
        return HTMLResponse(
            "<!doctype html><html lang=\"sv\"><meta charset=\"utf-8\"><title>Trygg</title>"
            f"<p>Rollen {html.escape(role)} får inte se patrullernas täckning (patrullchef och "
            "admin får det). <a href=\"/\">Till startsidan</a></p></html>", status_code=403)
    role = user.role
    first, last = _date(from_), _date(to)
    notice = None
    if (from_ or to) and (first is None or last is None):
        notice = "Ogiltigt datum: ange båda datumen som ÅÅÅÅ-MM-DD. Visar standardperioden."
        first = last = None
    base_first, base_last = _date(baseline_from), _date(baseline_to)
    if (baseline_from or baseline_to) and (base_first is None or base_last is None):
        notice = ("Ogiltig jämförelseperiod: ange båda datumen som ÅÅÅÅ-MM-DD. Jämför med "
                  "perioden närmast före.")
        base_first = base_last = None

    def render() -> str:
        nonlocal notice
        try:
            patrols = _report(store, first, last, base_first, base_last)
        except TryggError as exc:
            notice = f"Ogiltig period ({exc.message}). Visar standardperioden."
            patrols = _report(store, None, None, None, None)
        period = make_period(patrols["period_from"], patrols["period_to"])
        checks = check_report(store, period.first, period.last)
        shown = tracks_in_period(store.read("patrols"), period)
        heat = presence_heat(track_vertices(shown)[0], period,
                             max_ping_gap_min=settings.max_ping_gap_min) if len(shown) else None
        return coverage_map(  # free text scrubbed but for admin (issue 16)
            patrols, checks, CoverageLayers(
                zones=viewer_frame("patrol_zones", store.read("patrol_zones"), role),
                tracks=viewer_frame("patrols", shown, role), heat=heat,
                checks=viewer_frame("traffic_checks", store.read("traffic_checks"), role),
                roads=viewer_frame("risk_roads", store.read("risk_roads"), role)), notice=notice,
            links=[("/", "Startsida"), ("/kartor/oversikt", "Översikt"), ("/docs", "API")],
            baseline_chosen=base_first is not None)

    key = ("page/tackning", first, last, base_first, base_last, notice,
           store.generations(PAGE_LAYERS), sees_raw_text(role))
    return HTMLResponse(request.app.state.cache.get_or_make(key, render))
