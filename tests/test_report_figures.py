"""The follow-up report's figures (issues 10 and 12): the HTML page draws its maps and charts as
inline SVG whose numbers are the report's (read back from the SVG), without matplotlib; a
period without earlier data says "ingen jämförelse" in JSON, HTML, PDF and the workbook; the
PDF, read back with poppler, has no page holding a chart alone and maps at least half a page
high with the legend beside them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from api.app import create_app
from maps.svg_charts import line_chart, nice_ticks, path_data
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import PROJECT_ROOT, Settings

PERIOD = "from=2024-09-01&to=2024-11-30"
SVG = "{http://www.w3.org/2000/svg}"
A4_HEIGHT_CM = 29.7


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, demo_template: Path
            ) -> Iterator[dict[str, object]]:
    """The demo report of Sep–Nov 2024 as JSON, HTML, PDF and workbook, through the app."""
    import shutil

    folder = tmp_path_factory.mktemp("figures")
    db = folder / "demo.sqlite"
    shutil.copy(demo_template, db)
    settings = Settings(db=db, demo=False, secret=SECRET)
    store = Store.open(db)
    token = add_user(store, "figures-rad", "rad", secret=SECRET)
    with TestClient(create_app(settings, store=store)) as client:
        head = auth(token)
        out: dict[str, object] = {"folder": folder}
        for fmt in ("json", "html", "pdf"):
            answer = client.get(f"/api/rapport?{PERIOD}&format={fmt}", headers=head)
            assert answer.status_code == 200, answer.text
            out[fmt] = answer.json() if fmt == "json" else (
                answer.text if fmt == "html" else answer.content)
        xlsx = client.get(f"/api/rapport.xlsx?{PERIOD}", headers=head)
        assert xlsx.status_code == 200
        out["xlsx"] = xlsx.content
        yield out
    store.close()


def _sections_html(page: str) -> dict[str, str]:
    return dict(re.findall(r"<section class='commitment' id='([^']+)'>(.*?)</section>", page,
                           flags=re.S))


def _svgs(fragment: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg xmlns=.*?</svg>(?=<ul|<fig|</fig)",
                                                 fragment, flags=re.S)]


def test_html_report_draws_svg_maps_and_charts_whose_numbers_are_the_reports(answers) -> None:
    page, figures = str(answers["html"]), answers["json"]
    assert "<img" not in page and "data:image/png" not in page
    assert "<meta name='viewport'" in page
    sections = _sections_html(page)
    assert list(sections) == [s["commitment"] for s in figures["sections"]]
    drawn_series = 0
    for section in figures["sections"]:
        svgs = _svgs(sections[section["commitment"]])
        maps = [s for s in svgs if s.get("class") == "map"]
        charts = [s for s in svgs if s.get("class") == "chart"]
        assert len(maps) == 1 and len(charts) == 1
        chart = charts[0]
        assert chart.get("role") == "img" and chart.get("aria-label", "").startswith(
            "Månadsserie: ")
        assert chart.find(f"{SVG}title") is not None
        series = {g.get("data-name"): g for g in chart.iter(f"{SVG}g")
                  if g.get("class") == "series"}
        assert list(series) == list(section["monthly"])
        for name, values in section["monthly"].items():
            marks = series[name].findall(f"{SVG}circle")
            assert [m.get("data-label") for m in marks] == section["months"]
            assert [float(m.get("data-value", "nan")) for m in marks] == values
            drawn_series += 1
        # Each map draws as many points per layer as its legend counts.
        legend = re.search(r"<ul class='legend'>(.*?)</ul>", sections[section["commitment"]],
                           flags=re.S)
        for group in maps[0].iter(f"{SVG}g"):
            count = int(group.get("data-count", "-1"))
            assert len(group.findall(f"{SVG}use")) == count
            assert legend and f": {count}</li>" in legend.group(1)
    assert drawn_series >= 8
    fot = next(s for s in figures["sections"]
               if s["commitment"] == "fotpatrullering")
    minutes = fot["monthly"]["Fotpatrull (minuter i de centrala zonerna)"]
    shown = re.findall(r"<title>(2024-\d\d): ([^<]+)</title>", sections["fotpatrullering"])
    assert [t for _, t in shown] == [f"{v:,.1f}".replace(",", "\u00a0").replace(".", ",")
                                     for v in minutes]  # Swedish numbers in the tooltips


def test_a_period_without_earlier_data_is_not_compared_anywhere(answers) -> None:
    """The demo's patrol tracks start on 2024-09-01: June–August has no foot patrol data, so
    the report says "ingen jämförelse" instead of "högre än föregående period (0)"; events
    have earlier data and are compared as before."""
    figures = answers["json"]
    by_id = {s["commitment"]: s for s in figures["sections"]}
    fot = by_id["fotpatrullering"]
    assert fot["indicators"] and all(not i["compared"] and i["previous"] is None
                                     for i in fot["indicators"])
    assert "ingen jämförelse" in fot["summary"] and "föregående period (0)" not in fot["summary"]
    events = next(i for i in by_id["trygghetsskapande"]["indicators"] if i["key"] == "events")
    assert events["compared"] is True and events["previous"] > 0
    assert "fler än föregående period" in by_id["trygghetsskapande"]["summary"]

    rows = re.findall(r"<tr><td>([^<]+)</td><td class='n'>[^<]*</td><td class='n'>([^<]*)</td>"
                      r"<td class='n'>([^<]*)</td>", _sections_html(str(answers["html"]))
                      ["fotpatrullering"])
    assert rows and all(change == "ingen jämförelse" for _, _, change in rows)

    sheet = load_workbook(io.BytesIO(answers["xlsx"])).worksheets
    values = [list(r) for ws in sheet if ws.title == fot["short"][:31]
              for r in ws.iter_rows(values_only=True)]
    start = next(n for n, r in enumerate(values) if r[0] == "Indikator") + 1
    table = values[start:start + len(fot["indicators"])]
    assert [r[0] for r in table] == [i["label"] for i in fot["indicators"]]
    assert table and all(r[2] is None and r[3] == "ingen jämförelse" for r in table)

    text = _pdf_pages(answers)
    page = next(p for p in text if "Fotpatrullering i centrala" in p and "Indikator" in p)
    assert "ingen jämförelse" in page and "föregående period (0)" not in page


def _pdf_pages(answers) -> list[str]:
    """The PDF's text page by page (pdftotext keeps form feeds between pages)."""
    path = Path(answers["folder"]) / "report.pdf"
    path.write_bytes(answers["pdf"])
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return out.split("\f")[:-1]


def test_pdf_has_no_lone_chart_and_maps_half_a_page_with_the_legend_beside(answers) -> None:
    pages = _pdf_pages(answers)
    path = Path(answers["folder"]) / "report.pdf"
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True, timeout=120).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    per_page: dict[int, list[list[str]]] = {}
    for image in images:
        per_page.setdefault(int(image[0]), []).append(image)
    assert len(pages) >= 17  # the opening page, and per commitment figures and a map
    maps = 0
    for number, text in enumerate(pages, start=1):
        lines = [t for t in text.splitlines() if t.strip()
                 and not t.strip().startswith(("Månadsserie:", "Karta:"))]
        # Every page has text of its own besides a figure's caption.
        assert len(lines) >= 3, f"page {number}: {text!r}"
        for image in per_page.get(number, []):
            height_cm = int(image[4]) / float(image[13]) * 2.54  # pixels / y-ppi
            if height_cm > 10:  # a map
                maps += 1
                assert height_cm >= A4_HEIGHT_CM / 2, f"page {number}: map {height_cm:.1f} cm"
                assert "Teckenförklaring" in text
    assert maps == 8
    # The legend stands right of the map (its words start beyond the map's 12 cm from the
    # 2 cm margin), not over it.
    bbox = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True, timeout=120).stdout
    starts = [float(x) for x in re.findall(r'xMin="([\d.]+)"[^>]*>Teckenförklaring<', bbox)]
    assert len(starts) == 8 and min(starts) >= 14 / 2.54 * 72


def test_html_report_is_made_without_matplotlib(demo_template: Path, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "demo.sqlite"
    shutil.copy(demo_template, db)
    script = (
        "import sys\n"
        "from datetime import date\n"
        "from store import Store\n"
        "from services import report\n"
        "from trygg.settings import Settings\n"
        f"store = Store.open({str(db)!r})\n"
        f"settings = Settings(db={str(db)!r}, demo=False, secret={SECRET!r})\n"
        "made = report.make_report(store, report.promise(store, settings), "
        "first=date(2024, 9, 1), last=date(2024, 11, 30))\n"
        "page = report.report_file(store, made, 'html')\n"
        "assert b'<svg' in page\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))\n")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                         text=True, cwd=PROJECT_ROOT, timeout=300)
    assert out.stdout.strip() == "[]"


def test_nice_ticks_cover_the_top_with_round_steps() -> None:
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(6) == [0, 2, 4, 6]
    assert nice_ticks(2665.6) == [0, 1000, 2000, 3000]
    assert nice_ticks(0.7, whole=False) == [0, 0.2, 0.4, 0.6, 0.8]
    for top in (1, 3, 7, 13, 99, 101, 487.5, 12_345):
        ticks = nice_ticks(top)
        steps = np.diff(ticks)
        assert ticks[0] == 0 and ticks[-1] >= top and ticks[-2] < top
        assert np.allclose(steps, steps[0]) and 2 <= len(ticks) <= 6


def test_line_chart_escapes_its_text_and_says_when_there_is_nothing() -> None:
    hostile = "<script>alert(1)</script>{{ 7*7 }}"
    chart = line_chart(["2024-01", hostile], {hostile: [1.0, 2.5]}, title=hostile,
                       y_label="per månad", empty_text="inget")
    assert "<script>" not in chart and "{{" not in chart
    root = ET.fromstring(chart)  # well-formed SVG
    assert root.get("aria-label") == hostile  # escaped in the markup, the same text read back
    assert [c.get("data-value") for c in root.iter(f"{SVG}circle")] == ["1.0", "2.5"]
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert (titles[-1] or "").endswith(": 2,5")
    empty = ET.fromstring(line_chart([], {}, title="t", y_label="y", empty_text="Ingen serie"))
    assert "Ingen serie" in [t.text for t in empty.iter(f"{SVG}text")]


def test_path_data_of_polygons_with_holes_lines_and_empty_geometries() -> None:
    square = shapely.box(0, 0, 10, 10)
    holed = square.difference(shapely.box(2, 2, 4, 4))
    line = shapely.LineString([(0, 0), (5, 5.25)])
    multi = shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3)]])
    paths = path_data(np.array([holed, shapely.Point(), line, multi, square], dtype=object))
    assert paths[0].count("M") == 2 and paths[0].count("Z") == 2
    assert paths[1] == ""
    assert paths[2] == "M0.0,0.0 5.0,5.2" or paths[2] == "M0.0,0.0 5.0,5.3"
    assert paths[3] == "M0.0,0.0 1.0,1.0M2.0,2.0 3.0,3.0"
    assert paths[4].startswith("M") and paths[4].endswith("Z") and paths[4].count(" ") == 4
    assert gpd.GeoSeries([square]).area[0] == 100  # the input is untouched
