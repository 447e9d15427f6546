"""Coverage, the patrol leader's job: foot-patrol coverage of the patrol zones and traffic-check
coverage of the risk roads, as figures (the API's JSON, the CLI's tables) and as the coverage
map. The API routes, the CLI and the tests call these; they read the store and call ``geo``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from typing import Any

import geopandas as gpd

import geo.road_check_coverage as checks_geo
from geo import coverage as patrols_geo
from geo.coverage_figures import PatrolCoverage
from geo.errors import TryggError, ValidationFailed
from geo.geojson import feature_mapping
from geo.periods import Period, make_period
from geo.road_check_coverage import CheckCoverage
from geo.tracks import rows_in_period, vertices_latest, weeks_to
from maps.coverage import CoverageLayers, band_cover_values, coverage_map
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
# Field metadata a serialiser that reads it (pydantic, the API's) leaves out of the JSON answer.
NOT_IN_ANSWER: dict[str, Any] = {"exclude": True}


@dataclass
class PatrolReport(PatrolCoverage):
    """The patrol coverage figures with the zones as GeoJSON (WGS84) carrying the headline
    figures. The API's answer leaves out the two fields marked ``NOT_IN_ANSWER``."""

    unreadable_times: int = field(default=0, metadata=NOT_IN_ANSWER)
    max_ping_gap_min: float = field(default=DEFAULT_MAX_PING_GAP_MIN, metadata=NOT_IN_ANSWER)
    geojson: dict[str, Any] = field(default_factory=dict)


@dataclass
class CheckReport(CheckCoverage):
    """The check coverage figures with the risk roads as GeoJSON (WGS84) carrying each road's
    figures."""

    geojson: dict[str, Any] = field(default_factory=dict)


def _period(first: date | None, last: date | None, default: Callable[[], Period], *,
            name: str) -> Period:
    """The period of ``first`` … ``last``, or ``default()`` (computed only then) for neither."""
    if first is None and last is None:
        return default()
    if first is None or last is None:
        raise ValidationFailed(f"{name}: ange både from och to, eller inget av dem")
    return make_period(first, last, name=name)


def _once(store: LayerReads) -> LayerReads:
    """``store`` with each layer read once (a ``Snapshot`` unless it is one already)."""
    return Snapshot(store) if isinstance(store, Store) else store


def _members(result: PatrolCoverage | CheckCoverage) -> dict[str, Any]:
    """The fields of ``result`` by name (shallow), to extend it into a report."""
    return {f.name: getattr(result, f.name) for f in fields(result)}


class PatrolInputs:
    """One request's patrol coverage inputs: the tracks read once, their vertices built once
    and one ``CoverageEngine`` over them (grids and walks built once), whatever periods and
    baselines the request asks for."""

    def __init__(self, store: LayerReads, *, reach_m: float = DEFAULT_REACH_M,
                 max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> None:
        self.tracks = store.read("patrols")
        self.vertices, units = patrols_geo.track_vertices(self.tracks)
        self.engine = patrols_geo.CoverageEngine(
            self.vertices, units, store.read("patrol_zones"),
            streets=patrols_geo.road_network(store.read("risk_roads")),
            options=patrols_geo.CoverageOptions(reach_m=reach_m,
                                                max_ping_gap_min=max_ping_gap_min))

    def default_period(self) -> Period:
        """The four whole ISO weeks ending with the latest patrol."""
        return weeks_to(vertices_latest(self.vertices))

    def figures(self, first: date | None, last: date | None, *,
                baseline_from: date | None = None, baseline_to: date | None = None,
                baseline_coverage: bool = True, band_coverage: bool = True) -> PatrolCoverage:
        """The figures of ``first`` … ``last`` (default: ``default_period``) against the
        baseline when one is given (its street coverage only if ``baseline_coverage``, the
        street coverage per band and day type only if ``band_coverage``)."""
        period = _period(first, last, self.default_period, name="period")
        baseline = None
        if baseline_from is not None or baseline_to is not None:
            baseline = _period(baseline_from, baseline_to, lambda: period, name="baseline")
        return self.engine.coverage(period, baseline=baseline,
                                    baseline_coverage=baseline_coverage,
                                    band_coverage=band_coverage)

    def tracks_in(self, period: Period) -> gpd.GeoDataFrame:
        """The tracks with a vertex (or a start or end) in ``period``."""
        return self.tracks.iloc[rows_in_period(self.vertices, period)]


def patrol_figures(store: LayerReads, first: date | None, last: date | None, *,
                   baseline_from: date | None = None, baseline_to: date | None = None,
                   reach_m: float = DEFAULT_REACH_M,
                   max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> PatrolCoverage:
    """The patrol coverage figures of the local days ``first`` … ``last`` (default: the four
    whole ISO weeks ending with the latest patrol), against the baseline when one is given.
    Per zone and team, never a single trail."""
    return PatrolInputs(store, reach_m=reach_m, max_ping_gap_min=max_ping_gap_min).figures(
        first, last, baseline_from=baseline_from, baseline_to=baseline_to)


def patrol_report(store: LayerReads, first: date | None, last: date | None, *,
                  baseline_from: date | None = None, baseline_to: date | None = None,
                  reach_m: float = DEFAULT_REACH_M,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> PatrolReport:
    """``patrol_figures`` with the zones as GeoJSON."""
    reads = _once(store)
    result = patrol_figures(reads, first, last, baseline_from=baseline_from,
                            baseline_to=baseline_to, reach_m=reach_m,
                            max_ping_gap_min=max_ping_gap_min)
    zones = patrols_geo.zones_with_figures(result, reads.read("patrol_zones"))
    return PatrolReport(**_members(result), geojson=feature_mapping(zones))


def check_figures(store: LayerReads, first: date | None, last: date | None, *,
                  radius_m: float = DEFAULT_RADIUS_M) -> CheckCoverage:
    """The check coverage figures of ``first`` … ``last`` (default: the 365 days ending with the
    latest check). Performed checks only: planned ones never count."""
    checks = without_sensitive("traffic_checks", store.read("traffic_checks"))  # no planned
    period = _period(first, last, lambda: checks_geo.default_period(checks), name="period")
    return checks_geo.check_coverage(checks, store.read("risk_roads"), period=period,
                                     radius_m=radius_m)


def check_report(store: LayerReads, first: date | None, last: date | None, *,
                 radius_m: float = DEFAULT_RADIUS_M) -> CheckReport:
    """``check_figures`` with the risk roads as GeoJSON."""
    reads = _once(store)
    result = check_figures(reads, first, last, radius_m=radius_m)
    roads = checks_geo.roads_with_figures(result, reads.read("risk_roads"))
    return CheckReport(**_members(result), geojson=feature_mapping(roads))


def page_figures(inputs: PatrolInputs, first: date | None, last: date | None,
                 base_first: date | None, base_last: date | None) -> PatrolCoverage:
    """The patrol figures of the coverage page: the period (default: the latest four weeks)
    against the baseline (default: as many days just before the period), without the
    baseline's street coverage (the page does not show it) and without the street coverage per
    band and day type (its popups ask for it when opened: ``band_coverage``)."""
    if first is None or last is None:
        period = inputs.default_period()
        first, last = period.first, period.last
    if base_first is None or base_last is None:
        base_last = first - timedelta(days=1)
        base_first = base_last - timedelta(days=max((last - first).days, 0))
    return inputs.figures(first, last, baseline_from=base_first, baseline_to=base_last,
                          baseline_coverage=False, band_coverage=False)


# Where the coverage page's popups ask for the coverage per band (``api.routes.coverage_page``).
BAND_COVER_PATH = "/kartor/tackning/band"


def band_coverage(store: LayerReads, first: date, last: date, *,
                  max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN
                  ) -> dict[int, dict[tuple[str, str], float]]:
    """Street coverage per zone id, band and day type in ``first`` … ``last``: the figures the
    coverage page leaves out (``page_figures``), as ``patrol_figures`` gives them in its bands."""
    period = make_period(first, last, name="period")
    inputs = PatrolInputs(_once(store), max_ping_gap_min=max_ping_gap_min)
    return inputs.engine.band_shares(period)


def band_cover_texts(store: LayerReads, first: date, last: date, *,
                     max_ping_gap_min: float = DEFAULT_MAX_PING_GAP_MIN) -> dict[str, str]:
    """``band_coverage`` as the coverage page's zone popups show it (``maps.coverage``)."""
    return band_cover_values(band_coverage(store, first, last,
                                           max_ping_gap_min=max_ping_gap_min))


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
    inputs = PatrolInputs(reads, max_ping_gap_min=max_ping_gap_min)
    notice = asked.notice
    try:
        patrols = page_figures(inputs, asked.first, asked.last, asked.base_first,
                               asked.base_last)
    except TryggError as exc:
        notice = f"Ogiltig period ({exc.message}). Visar standardperioden."
        patrols = page_figures(inputs, None, None, None, None)
    period = make_period(patrols.period_from, patrols.period_to)
    checks = check_figures(reads, period.first, period.last)
    shown = inputs.tracks_in(period)
    # The heat of the shown tracks: every walked segment in the period has a vertex in it.
    heat = patrols_geo.presence_heat(inputs.engine.vertices, period,
                                     max_ping_gap_min=max_ping_gap_min) if len(shown) else None
    return coverage_map(asdict(patrols), asdict(checks), CoverageLayers(
        zones=fit_frame("patrol_zones", reads.read("patrol_zones"), viewer),
        tracks=fit_frame("patrols", shown, viewer), heat=heat,
        checks=fit_frame("traffic_checks", reads.read("traffic_checks"), viewer),
        roads=fit_frame("risk_roads", reads.read("risk_roads"), viewer)), notice=notice,
        links=PAGE_LINKS, baseline_chosen=asked.base_first is not None,
        band_cover_src=f"{BAND_COVER_PATH}?from={period.first.isoformat()}"
                       f"&to={period.last.isoformat()}")
