"""A police area in one store (issue 14): Timrå, Sundsvall and Härnösand set up together with
the shared national events of the three. Records get the kommunkod of the boundary they are in,
each municipality's promise is served, an account limited to Sundsvall (2281) sees no Timrå
record over real HTTP, and the comparison table counts what a direct pandas count of the same
file counts (traffic checks 2022-09 … 2024-12: Timrå 25, Härnösand 70, Sundsvall 161)."""

from __future__ import annotations

import functools
import gzip
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx2 as httpx
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from openpyxl import load_workbook  # type: ignore[import-untyped]

from api.app import create_app
from cli import cli
from geo.crs import WORK_CRS
from geo.municipalities import municipality
from geo.police_areas import police_area
from services.imports import place_events, upsert_events
from services.municipality import init_area, served_municipality
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, SHARED_DATA, LiveServer, auth
from trygg.settings import Settings

import geopandas as gpd

EVENTS_FILE = SHARED_DATA / "polisen_events_sweden_2022_2024.jsonl.gz"
AREA = {"2262": "Timrå", "2281": "Sundsvall", "2280": "Härnösand"}


@functools.cache
def _raw_events() -> list[dict[str, object]]:
    with gzip.open(EVENTS_FILE, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r for r in rows if r["location"]["name"] in AREA.values()]


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Settings, Path]]:
    """A store for the three municipalities (Timrå first) with their events, and a live app."""
    folder = tmp_path_factory.mktemp("area")
    db = folder / "area.sqlite"
    store = Store.open(db)
    init_area(store, list(AREA), folder=folder / "kommuner")
    raw = _raw_events()
    placed = place_events(raw, store.read("gazetteer"), origin=EVENTS_FILE.name,
                          municipality=None)
    upsert_events(store, placed, origin=EVENTS_FILE.name)
    yield store, Settings(db=db, secret=SECRET), folder
    store.close()


@functools.cache
def _frame() -> pd.DataFrame:
    frame = pd.json_normalize(_raw_events())
    times = pd.to_datetime(frame["datetime"].str.replace(r" (\d):", r" 0\1:", regex=True),
                           utc=True, format="%Y-%m-%d %H:%M:%S %z")
    return frame.assign(day=times.dt.tz_convert("Europe/Stockholm").dt.date)


def _pandas_counts(kind: str, first: str, last: str) -> dict[str, int]:
    """The events of ``kind`` per municipality name, read straight from the file."""
    frame = _frame()
    keep = (frame["type"] == kind) & (frame["day"] >= date.fromisoformat(first)) & \
        (frame["day"] <= date.fromisoformat(last))
    return {str(k): int(v) for k, v in frame[keep].groupby("location.name").size().items()}


def test_records_carry_the_kommunkod_of_their_municipality(area: tuple[Store, Settings, Path]
                                                           ) -> None:
    store, _, _ = area
    events = store.read("events")
    by_name = {name: code for code, name in AREA.items()}
    assert len(events) > 1000
    assert (events["kommunkod"] == events["municipality"].map(by_name)).all()
    assert list(store.read("boundaries")["kommunkod"]) == list(AREA)
    # A new record gets its kommunkod from the boundary its point is in (Sundsvall's and
    # Timrå's centres), and a file's own kommunkod is kept.
    centres = [shapely.centroid(municipality(code).boundary_3006) for code in ("2281", "2262")]
    places = gpd.GeoDataFrame({"category": ["belysning", "trafik", "annat"],
                               "reported_at": ["2024-05-01T10:00:00+02:00"] * 3,
                               "kommunkod": [None, None, "2280"]},
                              geometry=[*centres, centres[0]], crs=WORK_CRS)
    ids = store.insert("unsafe_places", places, origin="test")
    assert list(store.read("unsafe_places", ids=ids)["kommunkod"]) == ["2281", "2262", "2280"]


def test_the_comparison_counts_what_pandas_counts(area: tuple[Store, Settings, Path]) -> None:
    from services.access import Viewer
    from services.area_comparison import comparison

    store, settings, _ = area
    made = comparison(store, settings, Viewer("rad"), first=date(2022, 9, 1),
                      last=date(2024, 12, 31))
    table = made.as_dict()
    assert [k["name"] for k in table["kommuner"]] == list(AREA.values())
    checks = next(r for r in table["rows"] if r["type"] == "Trafikkontroll")
    expected = _pandas_counts("Trafikkontroll", "2022-09-01", "2024-12-31")
    assert {AREA[k]: v for k, v in checks["counts"].items()} == expected
    assert expected == {"Timrå": 25, "Härnösand": 70, "Sundsvall": 161}  # the figures
    # Every type, not only traffic checks, and a shorter period too.
    for row in table["rows"]:
        direct = _pandas_counts(row["type"], "2022-09-01", "2024-12-31")
        assert {AREA[k]: v for k, v in row["counts"].items() if v} == direct
    one_year = comparison(store, settings, Viewer("rad"), first=date(2023, 1, 1),
                          last=date(2023, 12, 31), types=["Trafikkontroll"]).as_dict()
    assert {AREA[k]: v for k, v in one_year["rows"][0]["counts"].items() if v} == \
        _pandas_counts("Trafikkontroll", "2023-01-01", "2023-12-31")
    # Sensitive events never reach the table.
    assert not any(r["type"].startswith(("Våld i nära relation", "Sexualbrott", "Våldtäkt"))
                   for r in table["rows"])


def test_a_sundsvall_account_sees_no_timra_record_over_http(area: tuple[Store, Settings, Path]
                                                            ) -> None:
    store, settings, _ = area
    centres = [shapely.centroid(municipality(code).boundary_3006) for code in ("2281", "2262")]
    store.insert("unsafe_places", gpd.GeoDataFrame(
        {"category": ["belysning", "trafik"], "reported_at": ["2024-06-01T10:00:00+02:00"] * 2},
        geometry=centres, crs=WORK_CRS), origin="test")
    limited = add_user(store, "sundsvall-planerare", "planerare", secret=SECRET,
                       kommuner=["2281"])
    everyone = add_user(store, "omradets-planerare", "planerare", secret=SECRET)
    sundsvall_events = int((store.read("events")["kommunkod"] == "2281").sum())
    with LiveServer(create_app(settings, store=store)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:
        mine = http.get("/api/layers/events", headers=auth(limited)).json()["features"]
        assert len(mine) == sundsvall_events
        assert {f["properties"]["kommunkod"] for f in mine} == {"2281"}
        assert len(http.get("/api/layers/events", headers=auth(everyone)).json()["features"]) \
            == len(store.read("events"))
        ogc = http.get("/ogc/collections/events/items", params={"limit": 10000},
                       headers=auth(limited)).json()["features"]
        assert len(ogc) == sundsvall_events
        assert {f["properties"]["kommunkod"] for f in ogc} == {"2281"}
        timra_id = int(store.read("events", where={"kommunkod": "2262"}).index[0])
        assert http.get(f"/ogc/collections/events/items/{timra_id}",
                        headers=auth(limited)).status_code == 404
        bounds = http.get("/api/layers/boundaries", headers=auth(limited)).json()["features"]
        assert [b["properties"]["kommunkod"] for b in bounds] == ["2281"]
        table = http.get("/api/rapport/kommuner", params={"from": "2022-09-01",
                                                          "to": "2024-12-31"},
                         headers=auth(limited)).json()
        assert [k["kommunkod"] for k in table["kommuner"]] == ["2281"]
        workbook = http.get("/api/export.xlsx", headers=auth(limited))
        assert workbook.status_code == 200
        sheets = load_workbook(io.BytesIO(workbook.content), read_only=True)
        cells = {str(c) for ws in sheets.worksheets for row in ws.iter_rows(values_only=True)
                 for c in row if c is not None}
        assert "2281" in cells and "2262" not in cells and "2280" not in cells
        report = http.get("/api/rapport", params={"from": "2024-01-01", "to": "2024-12-31"},
                          headers=auth(limited))
        assert report.status_code == 200 and "Timrå" not in report.text
        other = http.get("/api/lofte", params={"kommun": "2262"}, headers=auth(limited))
        assert other.status_code == 404 and "2281" in other.text
        spots = {"from": "2024-01-01", "to": "2024-12-31", "layer": "unsafe_places"}
        places = store.read("unsafe_places")
        assert len(places) > (places["kommunkod"] == "2281").sum() > 0
        for token, expected in ((limited, (places["kommunkod"] == "2281").sum()),
                                (everyone, len(places))):
            view = http.get("/api/hotspots", params=spots, headers=auth(token)).json()
            assert len(view["points"]) == expected


def test_each_municipality_has_its_own_promise(area: tuple[Store, Settings, Path]) -> None:
    store, settings, folder = area
    files = served_municipality(store, settings).promise_files
    assert sorted(files) == sorted(AREA)
    assert all(p == folder / "kommuner" / code / "medborgarlofte.yaml"
               for code, p in files.items())
    token = add_user(store, "omradets-rad", "rad", secret=SECRET)
    with LiveServer(create_app(settings, store=store)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:
        default = http.get("/api/lofte", headers=auth(token)).json()
        assert default["municipality"] == "Timrå"  # the first of the area
        for code, name in AREA.items():
            served = http.get("/api/lofte", params={"kommun": code}, headers=auth(token))
            assert served.status_code == 200 and served.json()["municipality"] == name
        outside = http.get("/api/lofte", params={"kommun": "2260"}, headers=auth(token))
        assert outside.status_code == 404 and outside.json()["code"]
        html = http.get("/api/rapport/kommuner", headers=auth(token), params={
            "from": "2022-09-01", "to": "2024-12-31", "typ": "Trafikkontroll",
            "format": "html"}).text
        assert "<th scope=\"col\">Härnösand</th>" in html and ">161<" in html
        book = http.get("/api/rapport/kommuner", headers=auth(token), params={
            "from": "2022-09-01", "to": "2024-12-31", "typ": "Trafikkontroll",
            "format": "xlsx"})
        rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
        assert rows[1] == ("Typ", "Timrå", "Sundsvall", "Härnösand", "Totalt")
        assert rows[2] == ("Trafikkontroll", 25, 161, 70, 256)


def test_polisomrade_init_sets_up_medelpad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    monkeypatch.setenv("TRYGG_DB", str(tmp_path / "medelpad.sqlite"))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    done = CliRunner().invoke(cli, ["polisomrade", "init", "lokalpolisområde Medelpad"],
                              catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "Lokalpolisområde Medelpad: Sundsvall, Timrå, Ånge." in done.output
    assert police_area("medelpad").kommunkoder == ("2281", "2262", "2260")
    store = Store.open(tmp_path / "medelpad.sqlite")
    try:
        served = served_municipality(store, Settings(db=tmp_path / "medelpad.sqlite"))
        assert served.kommunkoder == ("2281", "2262", "2260")
        assert served.title == "lokalpolisområde Medelpad"
        minx, miny, maxx, maxy = served.extent_wgs84
        assert minx < 15.5 and maxx > 17.5  # Ånge in the west, Timrå's coast in the east
    finally:
        store.close()
    wrong = CliRunner().invoke(cli, ["polisomrade", "init", "Sundsvall"])
    assert wrong.exit_code == 1 and "hör till lokalpolisområde Medelpad" in wrong.output
    limited = CliRunner().invoke(cli, ["users", "add", "x", "--role", "rad", "--kommun", "22x"])
    assert limited.exit_code == 1 and "kommun" in limited.output


def test_stores_before_0008_and_the_demo_carry_the_municipality(tmp_path: Path,
                                                                 demo_store: Store) -> None:
    old = tmp_path / "schema1.sqlite"
    with gzip.open(Path(__file__).parent / "data" / "store_schema1.sqlite.gz") as src, \
            old.open("wb") as dst:
        dst.write(src.read())
    upgraded = Store.open(old)  # migration 0008 backfills from the store's one boundary
    try:
        for store in (upgraded, demo_store):
            for layer in ("events", "unsafe_places", "risk_roads", "patrols", "gazetteer"):
                codes = store.read(layer)["kommunkod"]
                assert len(codes) and set(codes) == {"2262"}, layer
    finally:
        upgraded.close()


def test_a_limited_account_pages_counts_and_sees_extents_of_its_municipality_only(
        area: tuple[Store, Settings, Path]) -> None:
    """Paging, counts and extents come from SQL limited to the account's municipalities: full
    pages, numberMatched, /api/layers counts and OGC extents of Sundsvall's records alone."""
    store, settings, _ = area
    limited = add_user(store, "sundsvall-lasare", "planerare", secret=SECRET, kommuner=["2281"])
    everyone = add_user(store, "omradets-lasare", "planerare", secret=SECRET)
    events = store.read("events")
    sundsvall = events[events["kommunkod"] == "2281"]
    assert 40 < len(sundsvall) < len(events)
    with LiveServer(create_app(settings, store=store)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as http:
        seen: list[int] = []
        url: str | None = "/api/layers/events?limit=40"
        while url:
            page = http.get(url, headers=auth(limited))
            body = page.json()
            assert body["numberMatched"] == len(sundsvall)
            ids = [f["id"] for f in body["features"]]
            assert len(ids) == min(40, len(sundsvall) - len(seen))  # full pages
            assert {f["properties"]["kommunkod"] for f in body["features"]} == {"2281"}
            seen += ids
            url = page.links.get("next", {}).get("url")
        assert sorted(seen) == sorted(int(i) for i in sundsvall.index)

        listed = {row["name"]: row["count"] for row in
                  http.get("/api/layers", headers=auth(limited)).json()}
        assert listed["events"] == len(sundsvall)

        items = http.get("/ogc/collections/events/items", params={"limit": 5},
                         headers=auth(limited)).json()
        assert items["numberMatched"] == len(sundsvall) and items["numberReturned"] == 5

        def extent(token: str) -> list[float]:
            doc = http.get("/ogc/collections/events", headers=auth(token)).json()
            return [float(v) for v in doc["extent"]["spatial"]["bbox"][0]]

        mine = shapely.box(*extent(limited))
        records = gpd.GeoSeries(sundsvall.geometry, crs=WORK_CRS).to_crs("OGC:CRS84")
        assert mine.buffer(1e-5).covers(shapely.box(*records.total_bounds))
        assert shapely.box(*records.total_bounds).buffer(0.01).covers(mine)
        assert shapely.box(*extent(everyone)).area > 1.5 * mine.area


def test_the_report_sets_the_municipalities_side_by_side(area: tuple[Store, Settings, Path],
                                                         tmp_path: Path) -> None:
    """The follow-up report of a police area holds the comparison across its municipalities in
    its HTML, PDF and JSON, with the counts the comparison route gives; an account limited to
    one municipality gets none."""
    import re
    import subprocess

    store, settings, _ = area
    council = add_user(store, "omradets-rad-rapport", "rad", secret=SECRET)
    limited = add_user(store, "sundsvall-rad-rapport", "rad", secret=SECRET, kommuner=["2281"])
    period = {"from": "2022-09-01", "to": "2024-12-31"}
    with LiveServer(create_app(settings, store=store)) as server, \
            httpx.Client(base_url=server.url, timeout=300) as http:
        table = http.get("/api/rapport/kommuner", params=period, headers=auth(council)).json()
        figures = http.get("/api/rapport", params=period, headers=auth(council)).json()
        assert figures["comparison"] == table
        assert {AREA[k]: v for k, v in next(r for r in figures["comparison"]["rows"]
                                            if r["type"] == "Trafikkontroll")["counts"].items()
                } == {"Timrå": 25, "Härnösand": 70, "Sundsvall": 161}
        html = http.get("/api/rapport", params={**period, "format": "html"},
                        headers=auth(council)).text
        section = html[html.index('<section class="area-comparison"'):]
        assert all(f'<th scope="col">{name}</th>' in section for name in AREA.values())
        traffic = re.search(r"<th scope=\"row\">Trafikkontroll</th>(.*?)</tr>", section)
        assert traffic is not None and re.findall(r">(\d+)<", traffic.group(1)) == [
            "25", "161", "70", "256"]
        everything = re.search(r"<th scope=\"row\">Alla händelser</th>(.*?)</tr>", section)
        assert everything is not None
        shown = [int(v.replace("\u202f", "").replace("\u00a0", "").replace(" ", ""))
                 for v in re.findall(r">([\d\u202f\u00a0 ]+)<", everything.group(1))]
        assert shown == [*(table["totals"][k] for k in AREA), sum(table["totals"].values())]
        pdf = http.get("/api/rapport", params={**period, "format": "pdf"},
                       headers=auth(council))
        assert pdf.status_code == 200
        (tmp_path / "r.pdf").write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "Jämförelse mellan kommunerna" in text and "Härnösand" in text
        assert re.search(r"Trafikkontroll\s+25\s+161\s+70\s+256", text), text[-2000:]
        mine = http.get("/api/rapport", params=period, headers=auth(limited)).json()
        assert mine["comparison"] is None
        assert '<section class="area-comparison"' not in http.get(
            "/api/rapport", params={**period, "format": "html"}, headers=auth(limited)).text
