"""Page and answer speed on the Timrå demo, cold (a fresh app: empty caches) and warm.

Targets (issue 10): the coverage page cold ≤ 0.4 s (its zone popups ask for the coverage per
band as they open: timed apart, "coverage popup's bands"); the follow-up report's HTML ≤ 1 s
cold and ≤ 0.3 s warm; `/` and `/api/layers` count without reading layers (their time must
not grow with the layers' size: the run times them on the demo and again with 20× the events).

    .venv/bin/python bench/pages.py

Times are medians of ``REPEAT`` runs through the app in process (Starlette's test client: real
routing, middleware and rendering, no sockets); a loaded machine inflates all of them alike, so
the report is also timed in CPU seconds of this process (``time.process_time``: the app runs in
the test client's thread), which other processes on the machine do not inflate. The run also
times the report's maps and charts as inline SVG (the HTML page) against the same figures as
matplotlib PNGs (the HTML page before issue 10; the PDF still draws them so).
The run also times ``track_vertices`` of the demo's patrols from the stored numbers against the
same times as text (the form before migration 0006, parsed on every call).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from api.app import create_app
from geo.tracks import track_vertices
from services.demo import load_demo
from store.accounts import add_user
from store.store import Store
from trygg.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
REPEAT = 3
REPORT = "/api/rapport?from=2024-09-01&to=2024-11-30&format=html"
COVERAGE = "/kartor/tackning"
TARGETS = {"coverage page, cold": 0.4, "report HTML, cold": 1.0, "report HTML, warm": 0.3,
           "coverage page, cold, CPU": 0.4,
           "report HTML, cold, CPU": 1.0, "report HTML, warm, CPU": 0.3}


Clock = Callable[[], float]


def request_s(client: TestClient, path: str, headers: dict[str, str],
              clock: Clock = time.perf_counter) -> float:
    t0 = clock()
    client.get(path, headers=headers).raise_for_status()
    return clock() - t0


def timed_get(settings: Settings, path: str, token: str, *, cold: bool,
              clock: Clock = time.perf_counter) -> float:
    """Median seconds for GET ``path``: each on a fresh app when ``cold``, else on one warm app
    (wall-clock seconds, or CPU seconds with ``clock=time.process_time``)."""
    headers = {"Authorization": f"Bearer {token}"}
    if cold:
        times = []
        for _ in range(REPEAT):
            with TestClient(create_app(settings)) as client:
                times.append(request_s(client, path, headers, clock))
        return statistics.median(times)
    with TestClient(create_app(settings)) as client:
        request_s(client, path, headers, clock)
        return statistics.median(request_s(client, path, headers, clock) for _ in range(REPEAT))


def _band_cover_src(store: Store) -> str:
    """What the coverage page's zone popups ask for as they open (the coverage per band the
    page leaves out), for the page's default period."""
    from services import coverage as service

    period = service.PatrolInputs(store).default_period()
    return f"{service.BAND_COVER_PATH}?from={period.first}&to={period.last}"


def report_figures_s(store: Store, settings: Settings) -> tuple[float, float]:
    """Median CPU seconds to draw every map and chart of the demo report as SVG (the page) and
    as matplotlib PNGs (the page before issue 10, the PDF now), the report made once."""
    from maps.report_charts import (
        map_view, section_map_png, section_map_svg, trend_chart_png, trend_chart_svg,
    )
    from services.report import make_report, promise

    made = make_report(store, promise(store, settings), first=date(2024, 9, 1),
                       last=date(2024, 11, 30))
    boundaries = store.read("boundaries")
    draws = {"svg": lambda s: section_map_svg(map_view(s, boundaries)) + trend_chart_svg(s),
             "png": lambda s: section_map_png(map_view(s, boundaries)) + trend_chart_png(s)}
    out = {}
    for name, draw in draws.items():
        runs = []
        for _ in range(REPEAT):
            t0 = time.process_time()
            for section in made.sections:
                draw(section)
            runs.append(time.process_time() - t0)
        out[name] = statistics.median(runs)
    return out["svg"], out["png"]


def vertices_s(store: Store) -> tuple[float, float]:
    """Median seconds of ``track_vertices`` of the patrols as stored (numbers) and with the
    same times as ISO texts (the old path)."""
    patrols = store.read("patrols")
    as_text = patrols.assign(times=[None if t is None else list(t) for t in patrols["times"]])
    out = []
    for frame in (patrols, as_text):
        runs = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            track_vertices(frame)
            runs.append(time.perf_counter() - t0)
        out.append(statistics.median(runs))
    return out[0], out[1]


def coverage_parts_s(store: Store) -> dict[str, float]:
    """Median CPU seconds of each part of the coverage page's work on a fresh snapshot of the
    store (as a cold request does), and of the old path's figures in the same run: the period,
    its tracks and heat from four builds of the track vertices, and the baseline's street
    coverage the page does not show."""
    from dataclasses import asdict

    from geo import coverage as patrols_geo
    from geo.periods import Period, make_period
    from maps.coverage import CoverageLayers, coverage_map
    from services import coverage as service
    from services.access import Viewer, fit_frame
    from services.snapshot import Snapshot

    viewer = Viewer(role="admin")

    def old_figures(reads: Snapshot, period: Period, baseline: Period | None) -> None:
        tracks = reads.read("patrols")
        patrols_geo.default_period(tracks)
        patrols_geo.patrol_coverage(tracks, reads.read("patrol_zones"), period=period,
                                    baseline=baseline,
                                    streets=patrols_geo.road_network(reads.read("risk_roads")))
        shown = patrols_geo.tracks_in_period(tracks, period)
        patrols_geo.presence_heat(patrols_geo.track_vertices(shown)[0], period)

    runs: dict[str, list[float]] = {}
    for _ in range(REPEAT):
        reads = Snapshot(store)
        t = [time.process_time()]
        for layer in service.PAGE_LAYERS:
            reads.read(layer)
        t.append(time.process_time())
        inputs = service.PatrolInputs(reads)
        t.append(time.process_time())
        patrols = service.page_figures(inputs, None, None, None, None)
        t.append(time.process_time())
        period = make_period(patrols.period_from, patrols.period_to)
        checks = service.check_figures(reads, period.first, period.last)
        t.append(time.process_time())
        shown = inputs.tracks_in(period)
        heat = patrols_geo.presence_heat(inputs.engine.vertices, period)
        coverage_map(asdict(patrols), asdict(checks), CoverageLayers(
            zones=fit_frame("patrol_zones", reads.read("patrol_zones"), viewer),
            tracks=fit_frame("patrols", shown, viewer), heat=heat,
            checks=fit_frame("traffic_checks", reads.read("traffic_checks"), viewer),
            roads=fit_frame("risk_roads", reads.read("risk_roads"), viewer)))
        t.append(time.process_time())
        base = patrols.zones[0].baseline if patrols.zones else None
        old = Snapshot(store)
        for layer in service.PAGE_LAYERS:
            old.read(layer)
        t.append(time.process_time())
        old_figures(old, period, make_period(base.period_from, base.period_to) if base else None)
        t.append(time.process_time())
        names = ("reads of the 4 layers", "vertices, zone grids, walks (once)",
                 "patrol figures (period, baseline)", "check figures",
                 "tracks, heat and the map", "", "old path: patrol figures, tracks, heat")
        for name, a, b in zip(names, t[:-1], t[1:], strict=True):
            if name:
                runs.setdefault(name, []).append(b - a)
    return {name: statistics.median(values) for name, values in runs.items()}


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="trygg-bench-"))
    try:
        db = work / "demo.sqlite"
        store = Store.open(db)
        load_demo(store, ROOT / "data")
        token = add_user(store, "bench-admin", "admin", secret=SECRET)
        from_numbers, from_text = vertices_s(store)
        coverage_parts = coverage_parts_s(store)
        band_src = _band_cover_src(store)
        settings = Settings(db=db, demo=False, secret=SECRET)
        svg_s, png_s = report_figures_s(store, settings)
        store.close()
        results = {
            "coverage page, cold": timed_get(settings, COVERAGE, token, cold=True),
            "coverage page, warm": timed_get(settings, COVERAGE, token, cold=False),
            "coverage page, cold, CPU": timed_get(settings, COVERAGE, token, cold=True,
                                                  clock=time.process_time),
            "coverage popup's bands, cold": timed_get(settings, band_src, token, cold=True),
            "report HTML, cold": timed_get(settings, REPORT, token, cold=True),
            "report HTML, warm": timed_get(settings, REPORT, token, cold=False),
            "report HTML, cold, CPU": timed_get(settings, REPORT, token, cold=True,
                                                clock=time.process_time),
            "report HTML, warm, CPU": timed_get(settings, REPORT, token, cold=False,
                                                clock=time.process_time),
            "/ (start page), cold": timed_get(settings, "/", token, cold=True),
            "/api/layers, cold": timed_get(settings, "/api/layers", token, cold=True),
        }
        # Counting must not read the layers: grow the events 20× and time the counts again.
        store = Store.open(db)
        events = store.read("events")
        grown = events.loc[events.index.repeat(19)].reset_index(drop=True)
        grown["event_id"] = range(10**8, 10**8 + len(grown))
        store.insert("events", grown, origin="bench")
        n_events = store.count("events")
        store.close()
        results[f"/ (start page), cold, {n_events} events"] = timed_get(settings, "/", token,
                                                                        cold=True)
        results[f"/api/layers, cold, {n_events} events"] = timed_get(settings, "/api/layers",
                                                                     token, cold=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = 0
    for name, seconds in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (f"  target ≤ {target:g} s: "
                                             + ("met" if seconds <= target else "NOT met"))
        failed += target is not None and seconds > target
        print(f"{name:<40} {seconds * 1000:8.0f} ms{verdict}")
    print(f"track_vertices of the patrols: {from_numbers * 1000:.0f} ms from the stored numbers, "
          f"{from_text * 1000:.0f} ms from the same times as text (before migration 0006)")
    print("coverage page, CPU per part (median, fresh snapshot):")
    for name, seconds in coverage_parts.items():
        print(f"  {name:<42} {seconds * 1000:6.0f} ms")
    print(f"report maps and charts: {svg_s * 1000:.0f} ms CPU as SVG (the page), "
          f"{png_s * 1000:.0f} ms as matplotlib PNGs (the page before issue 10, the PDF)")
    small = results["/api/layers, cold"]
    big = next(v for k, v in results.items() if k.startswith("/api/layers, cold,"))
    print(f"/api/layers with 20× the events: {big / small:.2f}× the time (counting without "
          f"reading keeps this near 1)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
