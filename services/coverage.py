"""Coverage, the patrol leader's job: foot-patrol coverage of the patrol zones and traffic-check
coverage of the risk roads, as figures (the API's JSON, the CLI's tables) and as the coverage
map. The API routes, the CLI and the tests call these; they read the store and call ``geo``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import geo.road_check_coverage as checks_geo
from geo import coverage as patrols_geo
from geo.errors import TryggError, ValidationFailed
from geo.geojson import feature_collection
from geo.periods import Period, make_period
from maps.coverage import CoverageLayers, coverage_map
from services.access import Viewer, fit_frame, without_sensitive
from services.snapshot import LayerReads, Snapshot
from store import Store

# The layers each answer is computed from: a write to any of them makes a cached answer stale.
PATROL_LAYERS = ("patrols", "patrol_zones", "risk_roads")
CHECK_LAYERS = ("traffic_checks", "risk_roads")
PAGE_LAYERS = ("patrols", "patrol_zones", "risk_roads", "traffic_checks")
DEFAULT_REACH_M = patrols_geo.DEFAULT_REACH_M
DEFAULT_MAX_PING_GAP_MIN = patrols_geo.DEFAULT_MAX_PING_GAP_MIN
DEFAULT_RADIUS_M = checks_geo.DEFAULT_RADIUS_M


def _period(first: date | None, last: date | None, default: Callable[[], Period], *,
            name: str) -> Period:
    """The period of ``first`` … ``last``, or ``default()`` (computed only then) for neither."""
    if first is None and last is None:
        return default()
    if first is None or last is None:
        raise ValidationFailed(f"invalid {name}: give both from and to, or neither")
    return make_period(first, last, name=name)


def patrol_report(store: LayerReads, first: date | None, last: date | None, *,
                  baseline_from: date | None = None, baseline_to: date | None = None,
                  reach_m: float = DEFAULT_REACH_M,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> dict[str, Any]:
    """The patrol coverage figures and zone GeoJSON of the local days ``first`` … ``last``
    (default: the four whole ISO weeks ending with the latest patrol), against the baseline
    when one is given. Per zone and team, never a single trail."""
    tracks = store.read("patrols")
    zones = store.read("patrol_zones")
    period = _period(first, last, lambda: patrols_geo.default_period(tracks), name="period")
    baseline = None
    if baseline_from is not None or baseline_to is not None:
        baseline = _period(baseline_from, baseline_to, lambda: period, name="baseline")
    result = patrols_geo.patrol_coverage(
        tracks, zones, period=period, baseline=baseline,
        streets=patrols_geo.road_network(store.read("risk_roads")), reach_m=reach_m,
        max_ping_gap_min=max_ping_gap_min)
    out = asdict(result)
    out["geojson"] = json.loads(feature_collection(patrols_geo.zones_with_figures(result, zones)))
    return out


def check_report(store: LayerReads, first: date | None, last: date | None, *,
                 radius_m: float = DEFAULT_RADIUS_M) -> dict[str, Any]:
    """The check coverage figures and road GeoJSON of ``first`` … ``last`` (default: the 365
    days ending with the latest check). Performed checks only: planned ones never count."""
    checks = without_sensitive("traffic_checks", store.read("traffic_checks"))  # no planned
    roads = store.read("risk_roads")
    period = _period(first, last, lambda: checks_geo.default_period(checks), name="period")
    result = checks_geo.check_coverage(checks, roads, period=period, radius_m=radius_m)
    out = asdict(result)
    out["geojson"] = json.loads(feature_collection(checks_geo.roads_with_figures(result, roads)))
    return out


def page_report(store: LayerReads, first: date | None, last: date | None, base_first: date | None,
                base_last: date | None, *,
                max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> dict[str, Any]:
    """The patrol figures of the coverage page: the period (default: the latest four weeks)
    against the baseline (default: as many days just before the period)."""
    if first is None or last is None:
        period = patrols_geo.default_period(store.read("patrols"))
        first, last = period.first, period.last
    if base_first is None or base_last is None:
        base_last = first - timedelta(days=1)
        base_first = base_last - timedelta(days=max((last - first).days, 0))
    return patrol_report(store, first, last, baseline_from=base_first, baseline_to=base_last,
                         max_ping_gap_min=max_ping_gap_min)


@dataclass(frozen=True)
class PageRequest:
    """What the coverage page was asked for: the period and the baseline (None: the default)
    and a notice about what in the request could not be used."""

    first: date | None = None
    last: date | None = None
    base_first: date | None = None
    base_last: date | None = None
    notice: str | None = None

    @classmethod
    def parse(cls, from_: str | None, to: str | None, baseline_from: str | None,
              baseline_to: str | None) -> PageRequest:
        """The page's query text read leniently: a date that cannot be read means the default,
        with a notice that says so."""
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
        return cls(first, last, base_first, base_last, notice)


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


PAGE_LINKS = [("/", "Startsida"), ("/kartor/oversikt", "Översikt"), ("/docs", "API")]


def coverage_page(store: Store, viewer: Viewer, asked: PageRequest, *,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> str:
    """HTML of the coverage map: zones by target share and dosage against a baseline, tracks,
    presence heat, risk roads by check coverage. A period that cannot be used falls back to the
    default with a notice. Every layer is fitted to ``viewer``; each is read once."""
    reads = Snapshot(store)
    notice = asked.notice
    try:
        patrols = page_report(reads, asked.first, asked.last, asked.base_first, asked.base_last,
                              max_ping_gap_min=max_ping_gap_min)
    except TryggError as exc:
        notice = f"Ogiltig period ({exc.message}). Visar standardperioden."
        patrols = page_report(reads, None, None, None, None, max_ping_gap_min=max_ping_gap_min)
    period = make_period(patrols["period_from"], patrols["period_to"])
    checks = check_report(reads, period.first, period.last)
    shown = patrols_geo.tracks_in_period(reads.read("patrols"), period)
    heat = patrols_geo.presence_heat(patrols_geo.track_vertices(shown)[0], period,
                                     max_ping_gap_min=max_ping_gap_min) if len(shown) else None
    return coverage_map(patrols, checks, CoverageLayers(
        zones=fit_frame("patrol_zones", reads.read("patrol_zones"), viewer),
        tracks=fit_frame("patrols", shown, viewer), heat=heat,
        checks=fit_frame("traffic_checks", reads.read("traffic_checks"), viewer),
        roads=fit_frame("risk_roads", reads.read("risk_roads"), viewer)), notice=notice,
        links=PAGE_LINKS, baseline_chosen=asked.base_first is not None)
