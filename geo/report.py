"""The follow-up report of the medborgarlöfte for a meeting of rådet för trygghet och hälsa.

``build_report`` turns the layers (already filtered for the council: no sensitive records) and the
promise's commitments into one section per commitment: indicators for the period against the
previous period of the same length, a monthly series, the features for the section's map and a
summary line written from the numbers only. It opens with what changed since the last kept report:
actions done, new and overdue, and the cells whose counts changed. Rendering is ``maps.report``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ValidationFailed
from geo.grid import DEFAULT_CELL_M, cell_ids, cell_indices
from geo.hotspots import as_utc, in_window, period_labels, placed_only
from geo.periods import LOCAL_TZ, local_date_text
from geo.area_comparison import AreaComparison
from geo.population import PopulationFigures
from geo.privacy import scrub_frame
from geo.targets import Measured, TargetResult, result_dict, results
from geo.vocabulary import ACTIVITY_PLURAL_SV, CHECK_KIND_PLURAL_SV, first_upper
from geo.promise import (
    INDICATORS, Commitment, Promise, RegisterChanges, actions_snapshot, register_changes,
)

# Checks whose place is less certain than this are counted, never drawn.
MAX_DRAWN_UNCERTAINTY_M = 5_000.0
CHECK_RESULTS = {"checked": "kontrollerade", "breath_tests": "utandningsprov",
                 "suspected_dui": "misstänkt rattfylleri", "speeding": "hastighetsöverträdelser",
                 "other_offences": "övriga överträdelser"}


@dataclass
class ReportData:
    """The layers a report reads, in EPSG:3006, already without sensitive records."""

    unsafe_places: gpd.GeoDataFrame
    events: gpd.GeoDataFrame
    activities: gpd.GeoDataFrame
    traffic_checks: gpd.GeoDataFrame
    actions: gpd.GeoDataFrame
    patrol_zones: gpd.GeoDataFrame
    risk_roads: gpd.GeoDataFrame
    boundaries: gpd.GeoDataFrame
    patrols: gpd.GeoDataFrame | None = None


@dataclass
class Indicator:
    key: str
    label: str
    current: float | None  # None: not known for the period ("uppgift saknas")
    previous: float | None
    unit: str = "st"
    source: str = ""
    stock: bool = False  # a level at the period's end (open reports), not things that happened
    # False: the source holds no record from before the previous period's end, so there is no
    # earlier figure to compare with ("ingen jämförelse"; ``previous`` is None).
    compared: bool = True

    @property
    def known(self) -> bool:
        return self.current is not None


@dataclass
class Section:
    commitment: Commitment
    indicators: list[Indicator]
    months: list[str]
    monthly: dict[str, list[float]]
    summary: str
    has_data: bool
    map_layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    notes: list[str] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)


@dataclass
class Report:
    title: str
    start: pd.Timestamp
    end: pd.Timestamp
    previous_start: pd.Timestamp
    previous_end: pd.Timestamp
    sections: list[Section]
    changes: RegisterChanges
    map_changes: dict[str, Any]
    cells: dict[str, int]
    actions: list[dict[str, Any]]
    has_data: bool
    made_at: pd.Timestamp
    notes: list[str] = field(default_factory=list)
    # Rates per 1,000 inhabitants per DeSO/RegSO and survey figures (services.population)
    population: PopulationFigures | None = None
    # A police area's municipalities side by side (geo.area_comparison); None for one
    comparison: AreaComparison | None = None


# The layer each frame of ``ReportData`` is read from, where the names differ.
DATA_LAYERS = {"actions": "promise_actions"}


def scrubbed(data: ReportData) -> ReportData:
    """``data`` with every free-text field of every frame scrubbed by its layer's rule
    (``geo.privacy.scrub_frame``): the report, its HTML and PDF and the kept copy hold no
    personnummer, phone numbers or e-mail addresses, whatever a frame is called here."""
    return ReportData(**{k: (scrub_frame(DATA_LAYERS.get(k, k), v)
                             if isinstance(v, gpd.GeoDataFrame) else v)
                         for k, v in vars(data).items()})


def previous_period(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period just before [start, end): as many whole calendar months when the period is
    whole months (Swedish time), else as many local days."""
    lo, hi = as_utc(start), as_utc(end)
    if hi <= lo:
        raise ValidationFailed(f"to: {end} ligger inte efter from: {start}; välj ett "
                               "slutdatum efter startdatumet")
    a = lo.tz_convert(LOCAL_TZ).tz_localize(None)
    b = hi.tz_convert(LOCAL_TZ).tz_localize(None)
    if a == a.normalize() and b == b.normalize() and a.day == 1 and b.day == 1:
        months = (b.year - a.year) * 12 + b.month - a.month
        first = a - pd.DateOffset(months=months)
    else:
        first = a - pd.Timedelta(days=(b.normalize() - a.normalize()).days)
    return first.tz_localize(LOCAL_TZ).tz_convert("UTC"), lo


def _count(gdf: gpd.GeoDataFrame, column: str, lo: pd.Timestamp, hi: pd.Timestamp) -> int:
    """How many records ``in_window`` would keep, counted without building the frame."""
    if gdf.empty:
        return 0
    t = pd.to_datetime(gdf[column], utc=True)
    return int(((t >= as_utc(lo)) & (t < as_utc(hi))).sum())


def _monthly(gdf: gpd.GeoDataFrame, column: str, months: list[str]) -> list[float]:
    if gdf.empty or not months:
        return [0.0] * len(months)
    return _monthly_of(pd.to_datetime(gdf[column], utc=True), months)


def _monthly_of(times: pd.Series, months: list[str]) -> list[float]:
    """How many of ``times`` fall in each local month of ``months`` ("2024-09" …; times outside
    them, and missing ones, count nowhere)."""
    if times.empty or not months:
        return [0.0] * len(months)
    local = times.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).to_numpy().astype("datetime64[M]")
    wanted = np.array(months, dtype="datetime64[M]")
    at = np.minimum(np.searchsorted(wanted, local), len(wanted) - 1)
    hit = wanted[at] == local
    return [float(v) for v in np.bincount(at[hit], minlength=len(wanted))]


def _within(times: pd.Series, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Which of ``times`` (UTC) lie in [start, end) of ``window``."""
    return (times >= as_utc(window[0])) & (times < as_utc(window[1]))


def _open_at(places: gpd.GeoDataFrame, at: pd.Timestamp) -> int:
    """Reports made before ``at`` and not resolved by then."""
    if places.empty:
        return 0
    reported = pd.to_datetime(places["reported_at"], utc=True)
    resolved = pd.to_datetime(places["resolved_at"], utc=True)
    return int(((reported < at) & (resolved.isna() | (resolved >= at))).sum())


def has_earlier(gdf: gpd.GeoDataFrame, column: str, before: tuple[object, object]) -> bool:
    """Whether ``gdf`` holds a record (by ``column``) from before the end of the previous period
    ``before``: if not, the source has no data for that period (it starts later, or is empty)."""
    if gdf.empty:
        return False
    return bool((pd.to_datetime(gdf[column], utc=True) < as_utc(before[1])).any())


def compared_with(indicators: list[Indicator], earlier: bool) -> list[Indicator]:
    """``indicators`` as they are when their source has data for the previous period
    (``earlier``), else without a previous figure and marked not compared."""
    if earlier:
        return indicators
    return [replace(i, previous=None, compared=False) for i in indicators]


def _kinds_overlap(values: pd.Series, kinds: list[str] | None) -> pd.Series:
    if not kinds:
        return pd.Series(True, index=values.index)
    wanted = set(kinds)
    return values.map(lambda v: bool(wanted & set(v if isinstance(v, list) else [v])))


# --- indicator groups -----------------------------------------------------------------------------
#
# One function per kind of indicator a commitment may name (geo.promise.INDICATORS), registered
# with ``@indicator(kind)``. Each adds its indicators, monthly series, map layers and notes to the
# commitment's section from the options the promise gives it.

Window = tuple[pd.Timestamp, pd.Timestamp]  # [start, end) in UTC


@dataclass(frozen=True)
class IndicatorContext:
    """What every indicator group reads: the layers, the period and the one before it, the
    months of the series, the commitment and the precomputed coverage indicators."""

    data: ReportData
    period: Window
    before: Window
    months: list[str]
    commitment: Commitment
    coverage: dict[str, Any]


IndicatorGroup = Callable[[IndicatorContext, dict[str, Any], dict[str, Any]], None]
INDICATOR_GROUPS: dict[str, IndicatorGroup] = {}
# Per kind, the frame of ``ReportData`` and the time column its figures come from: a previous
# period before that source's first record has no data, so its figures are not compared.
INDICATOR_SOURCES: dict[str, tuple[str, str]] = {}


def indicator(kind: str, *, source: tuple[str, str] | None = None
              ) -> Callable[[IndicatorGroup], IndicatorGroup]:
    """Register the function that builds the indicators of ``kind`` from ``source`` (a frame
    of ``ReportData`` and its time column)."""
    if kind not in INDICATORS:
        raise ValueError(f"indicator {kind!r}: not one of geo.promise.INDICATORS {INDICATORS}")

    def register(group: IndicatorGroup) -> IndicatorGroup:
        INDICATOR_GROUPS[kind] = group
        if source is not None:
            INDICATOR_SOURCES[kind] = source
        return group
    return register


def sources_with_earlier_data(data: ReportData, before: Window) -> set[str]:
    """The indicator kinds whose source holds data from before the end of ``before``."""
    out = set()
    for kind, (frame, column) in INDICATOR_SOURCES.items():
        gdf = getattr(data, frame)
        if gdf is not None and has_earlier(gdf, column, before):
            out.add(kind)
    return out


@indicator("unsafe_places", source=("unsafe_places", "reported_at"))
def _unsafe(ctx: IndicatorContext, opts: dict[str, Any], section: dict[str, Any]) -> None:
    period, before, months = ctx.period, ctx.before, ctx.months
    places = ctx.data.unsafe_places
    if opts.get("categories") and not places.empty:
        places = places[places["category"].isin(opts["categories"])]
    src = "Otrygga platser (rapporter från trygghetsvandringar, dialoger och invånare)"
    section["indicators"] += [
        Indicator("unsafe_reported", "Rapporterade otrygga platser",
                  _count(places, "reported_at", *period), _count(places, "reported_at", *before),
                  source=src),
        Indicator("unsafe_resolved", "Åtgärdade otrygga platser",
                  _count(places, "resolved_at", *period), _count(places, "resolved_at", *before),
                  source=src),
        Indicator("unsafe_open", "Öppna otrygga platser vid periodens slut",
                  _open_at(places, period[1]), _open_at(places, before[1]), source=src,
                  stock=True),
    ]
    section["monthly"]["Rapporterade otrygga platser"] = _monthly(places, "reported_at", months)
    section["map"]["unsafe_places"] = in_window(places, time_column="reported_at",
                                                start=period[0], end=period[1]) \
        if not places.empty else places


@indicator("events", source=("events", "time"))
def _events(ctx: IndicatorContext, opts: dict[str, Any], section: dict[str, Any]) -> None:
    events = ctx.data.events
    src = "Polisens öppna händelse-API (plats tolkad ur texten)"
    label = "Polisens händelser" + (f" ({', '.join(opts['types'])})" if opts.get("types") else "")
    if events.empty:
        section["indicators"].append(Indicator("events", label, 0, 0, source=src))
        section["monthly"][label] = [0.0] * len(ctx.months)
        section["map"]["events"] = events
        return
    # Counted by masks on the whole layer; only the period's events become a frame (the map).
    times = pd.to_datetime(events["time"], utc=True)
    typed = events["type"].fillna("").str.startswith(tuple(opts["types"])) \
        if opts.get("types") else pd.Series(True, index=events.index)
    in_period = _within(times, ctx.period)
    placed, unplaced = placed_only(events[typed & in_period])  # every part at its place
    if "event_id" in events:  # but a split summary (parts 1, 2, …) is one police event
        typed = typed & ~events["event_id"].duplicated()
    before = typed & _within(times, ctx.before)
    now = events[typed & in_period]
    section["indicators"].append(Indicator("events", label, len(now), int(before.sum()),
                                           source=src))
    if len(now):
        by_type = now["type"].value_counts()
        for kind, n in by_type.head(6).items():
            prev = int((before & (events["type"] == kind)).sum())
            section["indicators"].append(Indicator(f"events:{kind}", f"– varav {kind}", int(n),
                                                   prev, source=src))
    if unplaced:
        section["notes"].append(f"{unplaced} av periodens {len(now)} händelser har bara kommunen "
                                "som plats: de räknas men ritas inte på kartan (ej placerade).")
    section["monthly"][label] = _monthly_of(times[typed], ctx.months)
    section["map"]["events"] = placed


@indicator("activities", source=("activities", "date"))
def _activities(ctx: IndicatorContext, opts: dict[str, Any], section: dict[str, Any]) -> None:
    acts = ctx.data.activities
    src = "Insatser och möten (aktivitetslagret)"
    if acts.empty:
        for kind in opts.get("kinds") or []:
            section["indicators"].append(Indicator(
                f"activities:{kind}", first_upper(ACTIVITY_PLURAL_SV.get(kind, kind)), 0, 0,
                source=src))
        section["monthly"]["Insatser och möten"] = [0.0] * len(ctx.months)
        section["map"]["activities"] = acts
        return
    # Counted by masks on the whole layer; only the period's activities become a frame.
    times = pd.to_datetime(acts["date"], utc=True)
    mine = acts["commitment"].fillna("") == ctx.commitment.id
    if opts.get("kinds"):
        mine |= acts["kind"].isin(opts["kinds"])
    now, before = mine & _within(times, ctx.period), mine & _within(times, ctx.before)
    kinds = opts.get("kinds") or sorted(set(acts["kind"][mine]))
    for kind in kinds:
        is_kind = acts["kind"] == kind
        section["indicators"].append(Indicator(
            f"activities:{kind}", first_upper(ACTIVITY_PLURAL_SV.get(kind, kind)),
            int((now & is_kind).sum()), int((before & is_kind).sum()), source=src))
    if mine.any() and acts["participants"][mine].notna().any():
        people = acts["participants"].fillna(0)
        section["indicators"].append(Indicator(
            "activities:participants", "Deltagare i insatser och möten",
            float(people[now].sum()), float(people[before].sum()), unit="personer",
            source=src))
    section["monthly"]["Insatser och möten"] = _monthly_of(times[mine], ctx.months)
    section["map"]["activities"] = acts[now]


@indicator("traffic_checks", source=("traffic_checks", "start"))
def _checks(ctx: IndicatorContext, opts: dict[str, Any], section: dict[str, Any]) -> None:
    period, before, months = ctx.period, ctx.before, ctx.months
    checks = ctx.data.traffic_checks
    if not checks.empty:
        checks = checks[(checks["status"] == "genomford")
                        & _kinds_overlap(checks["kinds"], opts.get("kinds"))]
    src = "Trafikkontroller (lagret traffic_checks)"
    label = "Genomförda trafikkontroller" + (
        f" ({', '.join(CHECK_KIND_PLURAL_SV.get(k, k) for k in opts['kinds'])})"
        if opts.get("kinds") else "")
    section["indicators"].append(Indicator("checks", label, _count(checks, "start", *period),
                                           _count(checks, "start", *before), source=src))
    now = in_window(checks, time_column="start", start=period[0], end=period[1]) \
        if not checks.empty else checks
    prev = in_window(checks, time_column="start", start=before[0], end=before[1]) \
        if not checks.empty else checks
    for column, text in CHECK_RESULTS.items():
        cur = float(now[column].sum()) if len(now) and now[column].notna().any() else None
        old = float(prev[column].sum()) if len(prev) and prev[column].notna().any() else None
        if cur is not None or old is not None:
            section["indicators"].append(Indicator(f"checks:{column}", f"– {text}", cur, old,
                                                   source=src))
    if len(now) and now[list(CHECK_RESULTS)].isna().all().all():
        section["notes"].append("Kontrollernas resultat (antal kontrollerade, utandningsprov "
                                "m.m.) saknas i källan för perioden.")
    if not opts.get("kinds"):
        for ind in ctx.coverage.get("checks", []):
            section["indicators"].append(ind)
    vague = now["precision_m"].fillna(0) > MAX_DRAWN_UNCERTAINTY_M if len(now) else None
    if vague is not None and vague.any():
        section["notes"].append(f"{int(vague.sum())} av periodens {len(now)} kontroller saknar "
                                "känd plats och ritas inte ut.")
        now = now[~vague]
    section["monthly"][label] = _monthly(checks, "start", months)
    section["map"]["traffic_checks"] = now
    section["map"]["risk_roads"] = ctx.data.risk_roads


@indicator("foot_patrol", source=("patrols", "start"))
def _foot_patrol(ctx: IndicatorContext, _opts: dict[str, Any], section: dict[str, Any]) -> None:
    coverage = ctx.coverage
    section["indicators"] += coverage.get("foot_patrol", [])
    if "foot_patrol_monthly" in coverage:
        section["monthly"]["Fotpatrull (minuter i de centrala zonerna)"] = \
            coverage["foot_patrol_monthly"]
    section["notes"] += coverage.get("foot_patrol_notes", [])
    section["map"]["patrol_zones"] = ctx.data.patrol_zones


# --- summary --------------------------------------------------------------------------------------

def _number(value: float) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u00a0").replace(".", ",")


def summary_line(indicators: list[Indicator]) -> str:
    """One plain-Swedish sentence per commitment, made only from the indicators' numbers."""
    parts = []
    for ind in indicators:
        if ind.label.startswith("–"):
            continue
        if ind.current is None:
            parts.append(f"{ind.label}: uppgift saknas")
            continue
        unit = "" if ind.unit == "st" else f" {ind.unit}"
        text = f"{ind.label}: {_number(ind.current)}{unit}"
        if not ind.compared:
            parts.append(text + " (ingen jämförelse: inga uppgifter för föregående period)")
            continue
        if ind.previous is None:
            parts.append(text + " (föregående period: uppgift saknas)")
            continue
        counted = ind.unit in ("st", "personer")
        more, less, same = (("fler än", "färre än", "lika många som") if counted
                            else ("högre än", "lägre än", "samma som"))
        if ind.current > ind.previous:
            text += f", {more} föregående period ({_number(ind.previous)})"
        elif ind.current < ind.previous:
            text += f", {less} föregående period ({_number(ind.previous)})"
        else:
            text += f", {same} föregående period"
        parts.append(text)
    if not parts:
        return "Inga uppgifter för perioden."
    return "; ".join(parts) + "."


# --- the report -----------------------------------------------------------------------------------

def period_cells(data: ReportData, *, start: pd.Timestamp, end: pd.Timestamp,
                 cell_m: float = DEFAULT_CELL_M) -> dict[str, int]:
    """Reported unsafe places and placed events per cell in [start, end): the map a report
    keeps, to compare with the next."""
    frames = []
    for gdf, column in ((data.unsafe_places, "reported_at"), (data.events, "time")):
        if gdf.empty:
            continue
        inside = in_window(gdf, time_column=column, start=start, end=end)
        if column == "time":
            inside, _ = placed_only(inside)
        if len(inside):
            ix, iy = cell_indices(inside, cell_m=cell_m)
            frames.append(pd.Series(cell_ids(ix, iy, cell_m=cell_m)))
    if not frames:
        return {}
    counts = pd.concat(frames).value_counts()
    return {str(k): int(v) for k, v in counts.sort_index().items()}


def map_changes(now: dict[str, int], before: dict[str, int] | None) -> dict[str, Any]:
    """Cells with more, fewer, new and gone records compared with the previous report's map."""
    if before is None:
        return {"compared": False}
    keys = set(now) | set(before)
    diff = {k: now.get(k, 0) - before.get(k, 0) for k in keys}
    return {"compared": True,
            "more": sorted(k for k, d in diff.items() if d > 0 and k in before),
            "fewer": sorted(k for k, d in diff.items() if d < 0 and k in now),
            "new": sorted(k for k in now if k not in before),
            "gone": sorted(k for k in before if k not in now),
            "total_now": int(sum(now.values())), "total_before": int(sum(before.values()))}


def build_report(data: ReportData, promise: Promise, *, start: object, end: object,
                 coverage: dict[str, Any] | None = None,
                 previous_report: dict[str, Any] | None = None,
                 cell_m: float = DEFAULT_CELL_M, at: object | None = None) -> Report:
    """The follow-up report for [start, end) (see the module doc).

    ``coverage`` holds the foot-patrol and traffic-check indicators computed by
    ``geo.coverage`` (see ``geo.report_coverage.coverage_indicators``); ``previous_report`` is
    the kept report of the last meeting (its ``figures``, ``actions``, ``cells`` and ``made_at``).
    """
    lo, hi = as_utc(start), as_utc(end)
    before = previous_period(lo, hi)
    made_at = as_utc(at) if at is not None else pd.Timestamp.now(tz="UTC")
    months = period_labels(lo, hi, period="month")
    coverage = coverage or {}
    data = scrubbed(data)
    earlier = sources_with_earlier_data(data, before)
    sections = []
    for commitment in promise.commitments:
        section: dict[str, Any] = {"indicators": [], "monthly": {}, "map": {}, "notes": []}
        ctx = IndicatorContext(data, (lo, hi), before, months, commitment, coverage)
        for key, opts in commitment.indicators.items():
            group = INDICATOR_GROUPS.get(key)
            if group is not None:
                first = len(section["indicators"])
                group(ctx, opts, section)
                section["indicators"][first:] = compared_with(section["indicators"][first:],
                                                              key in earlier)
        actions = data.actions[data.actions["commitment"] == commitment.id] \
            if not data.actions.empty else data.actions
        section["map"]["actions"] = actions
        indicators = section["indicators"]
        has_data = any((i.current or 0) > 0 or (i.previous or 0) > 0
                       for i in indicators if not i.stock)
        summary = summary_line(indicators) if has_data else "Inga uppgifter för perioden."
        sections.append(Section(commitment, indicators, months, section["monthly"], summary,
                                has_data, section["map"], section["notes"],
                                target_results(commitment, indicators, start=lo, end=hi)))
    previous_actions = previous_report.get("actions") if previous_report else None
    changes = register_changes(data.actions, previous_actions, at=made_at,
                               previous_at=previous_report.get("made_at")
                               if previous_report else None)
    cells = period_cells(data, start=lo, end=hi, cell_m=cell_m)
    report = Report(
        title=promise.title, start=lo, end=hi, previous_start=before[0],
        previous_end=before[1], sections=sections, changes=changes,
        map_changes=map_changes(cells, previous_report.get("cells") if previous_report
                                else None),
        cells=cells, actions=actions_snapshot(data.actions),
        has_data=any((i.current or 0) > 0 for s in sections for i in s.indicators
                     if not i.stock), made_at=made_at)
    if not report.has_data:
        report.notes.append("Det finns inga uppgifter för perioden "
                            f"{local_date_text(lo)} – {local_date_text(hi, end=True)}: inga "
                            "rapporter, händelser, insatser eller kontroller registrerade.")
    return report


def target_results(commitment: Commitment, indicators: list[Indicator], *, start: pd.Timestamp,
                   end: pd.Timestamp) -> list[TargetResult]:
    """The commitment's targets against the section's figures for [start, end): shares (%)
    and levels at the period's end compared as they are, counts and minutes per the target's
    period (of the period's local days)."""
    figures = {i.key: Measured(i.current, level=i.stock or i.unit == "%") for i in indicators}
    first, last = local_day_bounds(start, end)
    return results(commitment.targets, figures, days=(last - first).days + 1)


def target_lines(section: Section) -> list[tuple[str, str]]:
    """Per target of ``section``: the indicator's label and the line the report says,
    "Fotpatrull i de centrala zonerna: inte uppnått: 367,2 (mål minst 600 per vecka)"."""
    labels = {i.key: i.label.lstrip("– ") for i in section.indicators}
    out = []
    for result in section.targets:
        label = labels.get(result.target.indicator, result.target.indicator)
        note = f" {result.target.note}" if result.target.note else ""
        out.append((label, f"{label}: {result.text_sv()}.{note}"))
    return out


def report_figures(report: Report) -> dict[str, Any]:
    """The report's numbers as plain JSON: kept with the report and served by the API."""
    return {
        "title": report.title,
        "from": report.start.isoformat(), "to": report.end.isoformat(),
        "previous_from": report.previous_start.isoformat(),
        "previous_to": report.previous_end.isoformat(),
        "made_at": report.made_at.isoformat(),
        "has_data": report.has_data,
        "notes": report.notes,
        "sections": [{
            "commitment": s.commitment.id, "short": s.commitment.short,
            "text": s.commitment.text, "owners": list(s.commitment.owners),
            "summary": s.summary, "has_data": s.has_data, "notes": s.notes,
            "indicators": [asdict(i) for i in s.indicators],
            "months": s.months, "monthly": s.monthly,
            "targets": [{**result_dict(t), "label": label, "line_sv": line}
                        for t, (label, line) in zip(s.targets, target_lines(s), strict=True)],
        } for s in report.sections],
        "changes": {"done": report.changes.done, "new": report.changes.new,
                    "overdue": report.changes.overdue,
                    "previous_at": report.changes.previous_at},
        "map_changes": report.map_changes,
        "population": report.population.as_dict() if report.population else None,
        "comparison": report.comparison.as_dict() if report.comparison else None,
    }


def indicator_value(figures: dict[str, Any], commitment: str, key: str) -> float | None:
    """The current value of indicator ``key`` of ``commitment`` in ``report_figures`` output."""
    for section in figures["sections"]:
        if section["commitment"] == commitment:
            for ind in section["indicators"]:
                if ind["key"] == key:
                    current: float | None = ind["current"]
                    return current
    raise KeyError(f"{commitment}/{key}")


def local_day_bounds(start: pd.Timestamp, end: pd.Timestamp) -> tuple[Any, Any]:
    """The first and last Swedish-local days of the instants [start, end)."""
    first = start.tz_convert(LOCAL_TZ).date()
    last = (end.tz_convert(LOCAL_TZ) - pd.Timedelta(microseconds=1)).date()
    return first, last
