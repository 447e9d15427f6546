"""Disclosure control of sensitive categories (``geo.disclosure``) tried the way a red team would:
many windows (start and end sliding day by day across a quarter boundary), categories, bboxes,
a viewer who adds their own sensitive records; no difference of two answers, and no answer minus
the viewer's own records, gives a cell count in 1..k-1. Then the study area: records in Kiruna
and at Smygehuk change nothing for anyone, and the cells × periods cap answers a clear 422.

The data are Timrå-like and synthetic, built deterministically: 1 km cells around Timrå's
centre (SWEREF 99 TM), Q4 2023 – Q2 2024, with hand-placed cells for each rule and a seeded
scatter around them.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.disclosure import (
    Releases, entered_by_viewers, fixed_table, quarter_of, release, released_table,
    sensitive_records,
)
from geo.hotspot_view import Viewer, _sensitive_release, hotspot_view
from geo.hotspots import MAX_CELL_PERIODS, StudyArea, study_area
from geo.privacy import DEFAULT_RULES
from services.hotspots import trusted_accounts
from store import Store
from tests.conftest import auth

K = DEFAULT_RULES["vald_i_nara_relation"].k
BOUNDARY = shapely.box(600_000, 6_920_000, 640_000, 6_970_000)  # a Timrå-sized box (EPSG:3006)
AS_OF = "2026-12-01"  # every quarter of the data has ended
POLICE = "polis-per"
VIEWER = "rad-anna"  # a council account: enters records, never sees sensitive points
COUNCIL = Viewer(sees_sensitive=False, sees_raw_text=False)


def _cell(ix: int, iy: int) -> tuple[float, float]:
    return ix * 1000.0 + 300.0, iy * 1000.0 + 400.0


def _day(text: str, hour: int = 12) -> pd.Timestamp:
    return pd.Timestamp(f"{text} {hour:02d}:00").tz_localize("Europe/Stockholm").tz_convert("UTC")


def _records() -> tuple[list[tuple[float, float, pd.Timestamp, str, str]], list]:
    """(sensitive unsafe places as (x, y, time, category, source), sensitive events)."""
    rows: list[tuple[float, float, pd.Timestamp, str, str]] = []

    def add(ix: int, iy: int, days: list[str], source: str = "Importerad från polisen.csv",
            category: str = "vald_i_nara_relation", hour: int = 12) -> None:
        x, y = _cell(ix, iy)
        rows.extend((x + 5 * i, y, _day(d, hour), category, source) for i, d in enumerate(days))

    add(620, 6930, ["2024-01-10", "2024-02-02", "2024-02-20", "2024-03-01", "2024-03-05",
                    "2024-03-29", "2024-04-01", "2024-04-02", "2024-05-05", "2024-05-06",
                    "2024-06-01", "2024-06-30"])  # A: 6 + 6, shown in both quarters
    add(621, 6930, ["2024-03-05", "2024-03-20", "2024-03-30", "2024-04-01", "2024-04-03"])  # B
    add(622, 6931, [f"2024-02-{d:02d}" for d in range(1, 8)]
        + [f"2024-04-{d:02d}" for d in range(10, 15)])  # C: 7 + 5 (Q2: complementary)
    add(619, 6929, ["2024-03-31"], hour=23)  # D: one record in the last hour of Q1
    add(623, 6932, ["2024-03-06", "2024-03-07", "2024-03-08"])  # E: 3 hidden ...
    add(623, 6932, ["2024-03-10", "2024-03-11", "2024-03-12", "2024-03-13"],
        source=f"Inlagd av {VIEWER}")  # ... and the council's 4 (the red team's cell)
    add(618, 6931, [f"2024-05-{d:02d}" for d in range(1, 7)], source=f"Inlagd av {VIEWER}")  # F
    add(620, 6930, ["2024-02-14"], source=f"Inlagd av {POLICE}")  # a police entry: trusted
    add(624, 6930, ["2024-03-15", "2024-04-15"], category="sexualbrott")  # never mapped
    rng = np.random.default_rng(2262)  # Timrå's kommunkod
    for ix, iy in itertools.product(range(614, 628, 3), range(6926, 6936, 3)):
        n = int(rng.poisson(2.0))
        days = [(date(2023, 10, 1) + timedelta(days=int(d))).isoformat()
                for d in rng.integers(0, 273, size=n)]
        add(ix, iy, days)
    add(700, 7200, ["2024-03-10"] * 6)  # outside the municipality: never counted
    events = [(*_cell(621, 6931), _day("2024-03-31", 22), "Våldtäkt"),
              (*_cell(621, 6931), _day("2024-04-01", 1), "Våldtäkt")]
    return rows, events


def _frames(rows: list, events: list, *, with_viewer: bool = True
            ) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    if not with_viewer:
        rows = [r for r in rows if r[4] != f"Inlagd av {VIEWER}"]
    rows = rows + [(*_cell(620, 6930), _day("2024-03-03"), "belysning", "Inlagd av x"),
                   (*_cell(625, 6933), _day("2024-04-20"), "ungdomar", "Importerad från y")]
    unsafe = gpd.GeoDataFrame({
        "category": [r[3] for r in rows], "reported_at": [r[2] for r in rows],
        "source": [r[4] for r in rows], "sensitive": [r[3] in DEFAULT_RULES for r in rows],
        "description": "", "report_source": "kommun", "status": "oppen",
        "provenance": "illustrative"},
        geometry=shapely.points([(r[0], r[1]) for r in rows]), crs="EPSG:3006")
    evs = gpd.GeoDataFrame({
        "type": [e[3] for e in events], "time": [e[2] for e in events], "summary": "",
        "precision": "place", "provenance": "real"},
        geometry=shapely.points([(e[0], e[1]) for e in events]), crs="EPSG:3006")
    return unsafe, evs


def _truth(rows: list) -> pd.DataFrame:
    """Every sensitive unsafe place inside the municipality: cell, quarter, day, own."""
    inside = [r for r in rows if BOUNDARY.contains(shapely.Point(r[0], r[1]))
              and r[3] == "vald_i_nara_relation"]
    times = pd.Series([r[2] for r in inside])
    return pd.DataFrame({
        "cell": [f"1000:{int(r[0] // 1000)}:{int(r[1] // 1000)}" for r in inside],
        "quarter": quarter_of(times).astype(str),
        "day": times.dt.tz_convert("Europe/Stockholm").dt.date.to_numpy(),
        "own": [r[4] == f"Inlagd av {VIEWER}" for r in inside]})


def _answer(unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, first: date, last: date, *,
            categories: list[str] | None = None,
            extent: tuple[float, float, float, float] | None = None, full: bool = False) -> dict:
    """The ``sensitive`` member of the council's answer for the local days first … last: the
    whole view when ``full``, else the very function the view calls for it (faster)."""
    options = {"start": first, "end": last + timedelta(days=1), "categories": categories,
               "boundary": BOUNDARY, "trusted_accounts": {POLICE}, "as_of": AS_OF}
    if full:
        return hotspot_view(unsafe, events, viewer=COUNCIL, extent=extent,
                            **options)["sensitive"]
    return _sensitive_release(unsafe, events, rules=None, **options)


def _windows() -> list[tuple[date, date]]:
    """Start and end sliding day by day across the Q1/Q2 2024 boundary, and a few spans."""
    edge = date(2024, 4, 1)
    out = [(edge - timedelta(days=d), date(2024, 6, 30)) for d in range(0, 25)]  # start slides
    out += [(date(2024, 1, 1), edge + timedelta(days=d)) for d in range(-25, 8)]  # end slides
    out += [(date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 3, 6), date(2024, 3, 31)),
            (date(2023, 10, 1), date(2024, 6, 30)), (date(2024, 3, 31), date(2024, 4, 1)),
            (date(2023, 12, 24), date(2023, 12, 31)), (date(2024, 1, 1), date(2024, 3, 31)),
            (date(2024, 4, 1), date(2024, 6, 30))]
    return out


@pytest.fixture(scope="module")
def answers() -> dict:
    rows, events = _records()
    unsafe, evs = _frames(rows, events)
    before_unsafe, before_evs = _frames(rows, events, with_viewer=False)
    out = {}
    windows = _windows()
    for i, (first, last) in enumerate(windows):
        out[("all", first, last)] = _answer(unsafe, evs, first, last)
        if i % 3 == 0 or i >= len(windows) - 7:
            out[("before", first, last)] = _answer(before_unsafe, before_evs, first, last)
    categories = (["vald_i_nara_relation"], ["belysning", "vald_i_nara_relation"],
                  ["sexualbrott"], None)
    for (first, last), cats in itertools.product(windows[::10], categories):
        out[(f"{cats}-None", first, last)] = _answer(unsafe, evs, first, last, categories=cats)
    for (first, last), cats, extent in itertools.product(  # the whole answer, bboxes too
            windows[-2:], categories, (None, (619_000.0, 6_929_000.0, 621_000.0, 6_931_000.0))):
        out[(f"{cats}-{extent}", first, last)] = _answer(unsafe, evs, first, last,
                                                         categories=cats, extent=extent,
                                                         full=True)
    return {"answers": out, "truth": _truth(rows)}


def _counts(answer: dict) -> dict[str, int]:
    return {c["cell"]: c["count"] for c in answer["cells"] if c["category"] ==
            "vald_i_nara_relation"}


def _own(truth: pd.DataFrame, answer: dict) -> dict[str, int]:
    """The viewer's own records per cell in the quarters the answer released."""
    part = truth[truth["own"] & truth["quarter"].isin(answer["window"]["released_quarters"])]
    return part.groupby("cell").size().to_dict()


def _hidden(n: int) -> bool:
    return 1 <= abs(n) <= K - 1


def test_an_answer_depends_only_on_the_quarters_it_touches(answers: dict) -> None:
    by_quarters: dict[tuple, dict] = {}
    for (kind, first, last), answer in answers["answers"].items():
        if kind not in ("all", "None-None"):
            continue
        figures = {k: answer[k] for k in ("total", "suppressed_records",
                                           "never_mapped_records", "cells")}
        key = tuple(answer["window"]["quarters"])
        assert by_quarters.setdefault(key, figures) == figures, (first, last)
        exact = first.day == 1 and first.month in (1, 4, 7, 10) and (
            last + timedelta(days=1)).day == 1 and (last + timedelta(days=1)).month in (1, 4, 7, 10)
        assert answer["window"]["widened"] == (not exact), (first, last)
        assert "hela kvartal" in answer["window"]["note"]
    assert ("2024Q1",) in by_quarters and ("2024Q1", "2024Q2") in by_quarters
    # Bbox and other categories never change the figures; a category only picks its own.
    for (kind, first, last), answer in answers["answers"].items():
        full = answers["answers"].get(("all", first, last))
        if full is None:
            continue
        if "vald_i_nara_relation" in kind or kind.startswith("None"):
            assert _counts(answer) == _counts(full), kind
        if kind.startswith("['sexualbrott']"):
            assert answer["cells"] == [] and answer["never_mapped_records"] == \
                full["never_mapped_records"]


def test_no_difference_of_answers_and_no_answer_minus_own_records_is_below_k(
        answers: dict) -> None:
    truth = answers["truth"]
    items = list(answers["answers"].items())
    checked = 0
    for (_, a_first, a_last), a in items:
        own_a = _own(truth, a)
        for cell, n in _counts(a).items():
            assert n >= K and not _hidden(n - own_a.get(cell, 0)), (a_first, a_last, cell)
        for (_, b_first, b_last), b in items:
            if not (a_first <= b_first and b_last <= a_last):
                continue  # nested windows: A − B counts the days of A outside B
            own_b = _own(truth, b)
            cb = _counts(b)
            for cell, n in _counts(a).items():
                if cell in cb:
                    d = n - cb[cell]
                    assert not _hidden(d), (a_first, a_last, b_first, b_last, cell, d)
                    mine = own_a.get(cell, 0) - own_b.get(cell, 0)
                    assert not _hidden(d - mine), (a_first, a_last, b_first, b_last, cell)
                    checked += 1
    # Margins are sums over whole released quarters: the same for every window of a quarter.
    single = {tuple(a["window"]["released_quarters"]): a for (kind, _, _), a in items
              if kind == "all" and len(a["window"]["released_quarters"]) == 1}
    for (kind, first, last), a in items:
        if kind != "all":
            continue
        for key in ("total", "suppressed_records", "never_mapped_records"):
            parts = [single[(q,)][key] for q in a["window"]["released_quarters"]]
            assert a[key] == sum(parts), (first, last, key)
    assert checked > 1000
    # The red team's cell E: 3 hidden + the viewer's 4 = 7, yet it is never shown.
    for answer in answers["answers"].values():
        assert "1000:623:6932" not in _counts(answer)
        assert "1000:619:6929" not in _counts(answer)  # D: one record, last hour of Q1


def test_the_viewers_own_records_change_only_what_they_know(answers: dict) -> None:
    truth = answers["truth"]
    for (kind, first, last), after in answers["answers"].items():
        if kind != "all":
            continue
        before = answers["answers"].get(("before", first, last))
        if before is None:
            continue
        own = _own(truth, after)
        cb, ca = _counts(before), _counts(after)
        assert set(ca) == set(cb), (first, last)  # own records never make a cell appear
        for cell, n in ca.items():
            assert n - cb[cell] == own.get(cell, 0)
        assert after["total"] - before["total"] == sum(own.values())


def test_complementary_suppression_hides_a_second_cell() -> None:
    rows, events = _records()
    unsafe, evs = _frames(rows, events)
    records = gpd.GeoDataFrame({
        "category": unsafe["category"], "time": unsafe["reported_at"],
        "entered_by_viewer": entered_by_viewers(unsafe["source"], trusted_accounts={POLICE})},
        geometry=unsafe.geometry, crs=unsafe.crs)
    records = records[records["category"] == "vald_i_nara_relation"]
    records = records[records.within(BOUNDARY)]
    table = fixed_table(records, as_of=AS_OF)
    truth = _truth(rows)
    trusted = truth[~truth["own"]].groupby(["quarter", "cell"]).size()
    for quarter in ("2023Q4", "2024Q1", "2024Q2"):
        shown = set(table.cells.loc[table.cells["quarter"] == quarter, "cell"])
        primary = {c for (q, c), n in trusted.items() if q == quarter and n < K}
        hidden = {c for (q, c), n in trusted.items() if q == quarter} - shown
        assert not (shown & primary)
        assert len(hidden) != 1 or not shown, quarter  # never one lone suppressed cell
        total = table.totals.set_index(["category", "quarter"]).loc[
            ("vald_i_nara_relation", quarter)]
        in_cells = int(table.cells.loc[table.cells["quarter"] == quarter, "count"].sum())
        assert int(total["total"]) - in_cells == int(total["suppressed"])
    # Cells A, B, C alone: in Q2 only B (2) is below k, so C (5, the smallest shown) goes too.
    ix, iy = records.geometry.x // 1000, records.geometry.y // 1000
    abc = records[((ix == 620) | (ix == 621) | (ix == 622)) & iy.isin([6930, 6931])
                  & ~records["entered_by_viewer"]]
    small = fixed_table(abc, as_of=AS_OF)
    q2 = set(small.cells.loc[small.cells["quarter"] == "2024Q2", "cell"])
    assert q2 == {"1000:620:6930"}  # B primary, C complementary
    q2_total = small.totals.set_index("quarter").loc["2024Q2"]
    assert (q2_total["total"], q2_total["suppressed"]) == (6 + 2 + 5, 2 + 5)
    out = release(table, start="2024-04-01", end="2024-07-01")
    assert out["window"]["widened"] is False and out["window"]["quarters"] == ["2024Q2"]
    assert fixed_table(records, as_of="2024-05-01").released_through == pd.Period("2024Q1")


def test_entered_by_viewers_reads_the_servers_source() -> None:
    sources = pd.Series([f"Inlagd av {VIEWER}", f"Inlagd av {POLICE}", "Importerad från a.csv",
                         f"Importerad från a.csv av {VIEWER}", f"Importerad från b av {POLICE}",
                         None])
    assert entered_by_viewers(sources, trusted_accounts={POLICE}).tolist() == [
        True, False, False, True, False, False]


# --- the study area -------------------------------------------------------------------------------

def _far_places() -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": xy},
         "properties": {"category": category, "reported_at": "2024-09-01T12:00:00Z"}}
        for xy in ([20.2253, 67.8558], [13.3590, 55.3370])  # Kiruna, Smygehuk
        for category in ("belysning", "vald_i_nara_relation")]}


def test_far_records_change_nothing_for_any_role(demo_store: Store, settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from services.access import ALL_ROLES  # the roles that read layers and hotspots
    from store.accounts import add_user
    from tests.conftest import SECRET

    tokens = {role: add_user(demo_store, f"far-{role}", role, secret=SECRET)
              for role in sorted(ALL_ROLES)}
    app = create_app(settings.model_copy(update={"demo": True}), store=demo_store)
    with TestClient(app) as c:
        before = {role: c.get("/api/hotspots", headers=auth(t)).json()
                  for role, t in tokens.items()}
        assert all(b["outside_ignored"] == 0 and b["features"] for b in before.values())
        posted = c.post("/api/layers/unsafe_places", json=_far_places(),
                        headers=auth(tokens["rad"]))
        assert posted.status_code == 201, posted.text
        for role, token in [*tokens.items(), (None, None)]:
            after = c.get("/api/hotspots", headers=auth(token) if token else {})
            assert after.status_code == 200, (role, after.text[:300])
            body = after.json()
            ref = before[role or "rad"]
            assert [f["id"] for f in body["features"]] == [f["id"] for f in ref["features"]]
            assert [f["properties"]["counts"] for f in body["features"]] == [
                f["properties"]["counts"] for f in ref["features"]]
            assert body["periods"] == ref["periods"]
            seen = 4 if role in ("planerare", "patrullchef", "admin") else 2
            assert body["outside_ignored"] == seen, role
            assert body["notes"] == [f"{seen} poster utanför kommunen ignorerades"]
            if role in (None, "rad"):
                assert body["sensitive"] == ref["sensitive"]
            page = c.get("/kartor/otrygga-platser", headers=auth(token) if token else {})
            assert page.status_code == 200, role
        big = c.get("/api/hotspots?cell_m=50&from=2015-01-01&to=2024-12-31",
                    headers=auth(tokens["rad"]))
        assert big.status_code == 422
        assert "cell_m" in big.json()["error"] and "ruta-perioder" in big.json()["error"]


def test_default_view_is_far_below_the_cap() -> None:
    import geopandas as gpd

    from trygg.settings import PROJECT_ROOT

    boundary = gpd.read_file(PROJECT_ROOT / "data" / "timra" / "boundary.geojson").to_crs(
        "EPSG:3006").geometry.union_all()
    area: StudyArea = study_area(boundary, cell_m=250.0)
    assert area.cells * 25 < MAX_CELL_PERIODS / 10  # 250 m cells, 25 months (the default)
    assert 13_000 < area.cells < 16_000  # ≈ 902 km² / 0.0625 km²


def test_council_entries_through_the_api_never_lift_a_cell(client, store: Store,
                                                           tokens: dict[str, str]) -> None:
    from geo.geojson import frame_from_geojson

    def places(n: int, source: str | None = None) -> dict:
        props = {"category": "vald_i_nara_relation", "reported_at": "2024-05-10T12:00:00Z"}
        if source:
            props["source"] = source  # a forged source: the server sets its own
        return {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": {"type": "Point",
                                             "coordinates": [17.3401 + i * 1e-4, 62.5001]},
             "properties": props} for i in range(n)]}

    store.insert("unsafe_places", frame_from_geojson(places(3), origin="t", crs="EPSG:4326"),
                 origin="t", source="Importerad från polisen.csv")  # 3 hidden records
    rad = auth(tokens["rad"])
    assert client.post("/api/layers/unsafe_places", json=places(4, "Importerad från polisen.csv"),
                       headers=rad).status_code == 201  # the red team's 4
    body = client.get("/api/hotspots?from=2024-05-01&to=2024-05-31", headers=rad).json()
    assert body["sensitive"]["cells"] == []  # 3 + 4 = 7, but only 3 no viewer entered
    assert body["sensitive"]["window"]["quarters"] == ["2024Q2"]
    assert body["sensitive"]["window"]["widened"] is True
    police = auth(tokens["patrullchef"])
    assert client.post("/api/layers/unsafe_places", json=places(2), headers=police
                       ).status_code == 201
    body = client.get("/api/hotspots?from=2024-05-01&to=2024-05-31", headers=rad).json()
    assert body["sensitive"]["cells"] == []  # 2024Q2 was released: frozen (rule 4) ...
    assert body["sensitive"]["late_records"] == 2  # ... the police's 2 are late (rule 5)
    records = sensitive_records(store.read("unsafe_places"), store.read("events"),
                                boundary=None, trusted_accounts=trusted_accounts(store))
    table, _ = released_table(records, Releases.none())  # never released: 5 trusted, all 9
    assert [c["count"] for c in release(table, start="2024-05-01", end="2024-06-01")["cells"]
            ] == [9]


# --- back-dated writes after a quarter's release -------------------------------------------------

def _xy(ix: int, iy: int, i: int = 0) -> list[float]:
    """WGS84 of a point inside the 1 km cell (ix, iy) of SWEREF 99 TM."""
    x, y = _cell(ix, iy)
    point = gpd.GeoSeries([shapely.Point(x + 7 * i, y)], crs="EPSG:3006").to_crs("EPSG:4326")
    return [round(float(point.x.iloc[0]), 7), round(float(point.y.iloc[0]), 7)]


def _posted(cells: list[tuple[int, int]], day: str = "2024-05-10") -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": _xy(ix, iy, i)},
         "properties": {"category": "vald_i_nara_relation", "reported_at": f"{day}T12:00:00Z"}}
        for i, (ix, iy) in enumerate(cells)]}


A, B, C = (620, 6930), (621, 6930), (622, 6930)  # 6 shown, 2 primary, 5 complementary


def test_back_dated_writes_never_change_a_released_quarter(client, store: Store,
                                                           tokens: dict[str, str]) -> None:
    """Once 2024Q2 is released, posting, editing and deleting records dated in it (the council
    posting, a police role posting, moving and deleting) changes no cell, total or suppressed
    count of any answer: only the municipality-wide late count moves, by what was entered.
    Without the freeze the same writes would have revealed cell B (2 records) by difference."""
    from geo.geojson import frame_from_geojson

    base = frame_from_geojson(_posted([A] * 6 + [B] * 2 + [C] * 5), origin="t", crs="EPSG:4326")
    ids = store.insert("unsafe_places", base, origin="t", source="Importerad från polisen.csv")
    rad, police = auth(tokens["rad"]), auth(tokens["planerare"])
    windows = ["from=2024-04-01&to=2024-06-30", "from=2024-05-01&to=2024-05-31",
               "from=2024-01-01&to=2024-09-30", "from=2024-06-30&to=2024-07-01"]

    def answers(headers: dict[str, str] | None = rad) -> list[dict]:
        out = []
        for query in windows:
            got = client.get(f"/api/hotspots?{query}&category=vald_i_nara_relation",
                             headers=headers or {})
            assert got.status_code == 200, got.text
            out.append(got.json()["sensitive"])
        return out

    def figures(answer: dict) -> tuple:
        return (answer["total"], answer["suppressed_records"],
                sorted((c["cell"], c["count"]) for c in answer["cells"]))

    first = answers()
    assert [c["cell"] for c in first[0]["cells"]] == ["1000:620:6930"]  # B and C hidden
    assert (first[0]["total"], first[0]["suppressed_records"]) == (13, 7)
    assert all(a["late_records"] == 0 for a in first)
    steps: list[tuple[str, int]] = []

    def write(what: str, response, late: int) -> None:
        assert response.status_code in (201, 200, 204), (what, response.text)
        steps.append((what, late))

    # The council's shift of the complementary cell: 10 records into C, 1 into an empty cell.
    write("council posts 10 into C", client.post("/api/layers/unsafe_places", headers=rad,
                                                json=_posted([C] * 10)), 10)
    write("council posts 1 alone", client.post("/api/layers/unsafe_places", headers=rad,
                                              json=_posted([(625, 6933)], "2024-06-30")), 11)
    # A police role lifts B over k, moves a record of A into B, deletes one of A, edits C's day.
    write("police posts 3 into B", client.post("/api/layers/unsafe_places", headers=police,
                                              json=_posted([B] * 3, "2024-04-02")), 14)
    moved = {"type": "Feature", "geometry": {"type": "Point", "coordinates": _xy(*B, 9)},
             "properties": {"reported_at": "2024-06-01T08:00:00Z"}}
    write("police moves one of A into B",
          client.patch(f"/api/layers/unsafe_places/{ids[0]}", headers=police, json=moved), 14)
    write("police deletes one of A",
          client.delete(f"/api/layers/unsafe_places/{ids[1]}", headers=police), 14)
    write("police moves one of C into Q3", client.patch(
        f"/api/layers/unsafe_places/{ids[-1]}", headers=police,
        json={"properties": {"reported_at": "2024-08-01T08:00:00Z"}}), 14)
    (late_id,) = client.post("/api/layers/unsafe_places", headers=police,
                             json=_posted([B])).json()["ids"]
    steps.append(("police posts 1 into B", 15))
    write("police deletes that late one",
          client.delete(f"/api/layers/unsafe_places/{late_id}", headers=police), 14)
    after = answers()
    for before, now in zip(first, after, strict=True):
        assert figures(now) == figures(before), steps
    assert [a["late_records"] for a in after[:3]] == [steps[-1][1]] * 3
    assert after[3]["late_records"] == steps[-1][1]  # the window touches Q2 (and open Q3)
    assert "i efterhand" in after[0]["window"]["note"]

    # The same writes computed afresh (no freeze) would have moved the cells: the test bites.
    records = sensitive_records(store.read("unsafe_places"), store.read("events"),
                                boundary=None, trusted_accounts=trusted_accounts(store))
    fresh = release(released_table(records, Releases.none())[0], start="2024-04-01",
                    end="2024-07-01")
    assert figures(fresh) != figures(first[0])
    assert dict(figures(fresh)[2]).get("1000:621:6930") == 2 + 3 + 1  # B shown afresh


def test_releases_freeze_quarters_as_they_end_and_count_a_record_once() -> None:
    """The pure rule: Q2 released as of August; then a record of Q2 is moved into Q3, a new one
    is back-dated into Q2 and Q3 gets records; released as of November, Q2 is unchanged with one
    late record, Q3 counts its own records but not the moved one (counted in Q2 already)."""
    def frame(rows: list[tuple[str, tuple[int, int], str]]) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"category": "vald_i_nara_relation", "entered_by_viewer": False,
             "time": [_day(day) for _, _, day in rows], "key": [k for k, _, _ in rows]},
            geometry=[shapely.Point(*_cell(*xy)) for _, xy, _ in rows], crs="EPSG:3006")

    q2 = [(f"unsafe_places:{i}", A, "2024-05-10") for i in range(6)]
    table, kept = released_table(frame(q2), Releases.none(), as_of="2024-08-01")
    assert kept.through == pd.Period("2024Q2") and len(kept.counted) == 6
    again, same = released_table(frame(q2), kept, as_of="2024-08-02")
    assert same is kept and again.cells.equals(table.cells)  # nothing ended: nothing to keep
    restored = Releases.from_json(kept.to_json())
    assert restored.counted == kept.counted and restored.through == kept.through
    assert restored.cells.equals(kept.cells) and restored.totals.equals(kept.totals)
    later = [("unsafe_places:0", A, "2024-08-10")] + q2[1:] + [
        ("unsafe_places:99", B, "2024-04-03")] + [
        (f"events:{i}", C, "2024-09-01") for i in range(5)]
    table2, kept2 = released_table(frame(later), restored, as_of="2024-11-01")
    cells = {(r.quarter, r.cell): r.count for r in table2.cells.itertuples()}
    assert cells == {("2024Q2", "1000:620:6930"): 6, ("2024Q3", "1000:622:6930"): 5}
    totals = table2.totals.set_index("quarter")
    assert (totals.loc["2024Q2", "total"], totals.loc["2024Q2", "late"]) == (6, 1)
    assert (totals.loc["2024Q3", "total"], totals.loc["2024Q3", "late"]) == (5, 0)
    assert "unsafe_places:99" not in kept2.counted and kept2.through == pd.Period("2024Q3")
    out = release(table2, start="2024-04-01", end="2024-10-01")
    assert out["late_records"] == 1 and out["total"] == 11


def test_a_store_that_cannot_keep_releases_releases_no_new_quarter(
        client, store: Store, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Releasing a quarter means keeping its figures: when the disk is full as they are written
    the answer releases no new quarter (its figures stay unreleased, not computed afresh), and
    the next answer, with room again, releases it."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    import services.hotspots
    from geo.geojson import frame_from_geojson

    store.insert("unsafe_places", frame_from_geojson(_posted([A] * 6), origin="t",
                                                     crs="EPSG:4326"),
                 origin="t", source="Importerad från polisen.csv")

    def full(*_args: object, **_kw: object) -> None:
        raise OperationalError("INSERT INTO meta", {}, sqlite3.OperationalError(
            "database or disk is full"))

    monkeypatch.setattr(services.hotspots, "write_meta", full)
    query, rad = "/api/hotspots?from=2024-04-01&to=2024-06-30", auth(tokens["rad"])
    got = client.get(query, headers=rad)
    assert got.status_code == 200, got.text
    window = got.json()["sensitive"]["window"]
    assert window["released_quarters"] == [] and window["unreleased_quarters"] == ["2024Q2"]
    assert got.json()["sensitive"]["cells"] == []
    monkeypatch.undo()
    again = client.get(query, headers=rad).json()["sensitive"]
    assert again["window"]["released_quarters"] == ["2024Q2"]
    assert [c["count"] for c in again["cells"]] == [6]
