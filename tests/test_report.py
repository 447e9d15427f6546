"""The follow-up report: commitments quoted from the promise, figures equal to the coverage
functions' and to direct counts on the demo data, a period without data, the PDF rendered by
pdftoppm, the promise register through the API, kept reports and "since the last meeting"."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from geo.road_check_coverage import check_coverage
from geo.coverage import patrol_coverage
from geo.periods import make_period
from geo.promise import check_against_text, load_promise
from geo.report import Indicator, indicator_value, report_figures, summary_line
from store import Store
from services.report import make_report, promise_path
from tests.conftest import auth
from cli import cli
from trygg.settings import PROJECT_ROOT, Settings

DATA = PROJECT_ROOT / "data"
PROMISE = promise_path(DATA)


def test_commitments_are_quoted_word_for_word_from_the_promise() -> None:
    promise = load_promise(PROMISE)
    text = (DATA / "timra" / "medborgarlofte_timra_2023_2024.txt").read_text(encoding="utf-8")
    assert len(promise.commitments) == 8  # the eight bullets of "Det här ska vi göra"
    assert check_against_text(promise, text) == []
    assert "fotpatrullering i centrala Timrå" in promise.by_id["fotpatrullering"].text
    # A commitment the promise does not make is caught.
    assert check_against_text(promise, text.replace("fotpatrullering", "bilpatrullering")) == [
        "fotpatrullering"]


def _figures(store: Store, first: date, last: date) -> dict:
    return report_figures(make_report(store, load_promise(PROMISE), first=first, last=last))


def test_report_figures_equal_the_coverage_functions_on_the_demo(demo_store: Store) -> None:
    figures = _figures(demo_store, date(2024, 9, 1), date(2024, 11, 30))
    expected = patrol_coverage(demo_store.read("patrols"), demo_store.read("patrol_zones"),
                               period=make_period("2024-09-01", "2024-11-30"))
    total = round(sum(z.minutes for z in expected.zones), 1)
    assert total > 0
    assert indicator_value(figures, "fotpatrullering", "foot_patrol_minutes") == total
    for zone in expected.zones:
        assert indicator_value(figures, "fotpatrullering",
                               f"foot_patrol_minutes:{zone.zone_id}") == zone.minutes
        assert indicator_value(figures, "fotpatrullering",
                               f"street_coverage:{zone.zone_id}") == zone.coverage_pct
    previous = patrol_coverage(demo_store.read("patrols"), demo_store.read("patrol_zones"),
                               period=make_period("2024-06-01", "2024-08-31"))
    section = next(s for s in figures["sections"] if s["commitment"] == "fotpatrullering")
    # The demo's tracks start on 2024-09-01: June–August has no data (0 minutes by the
    # coverage function), so the report compares with nothing ("ingen jämförelse", issue 12).
    assert round(sum(z.minutes for z in previous.zones), 1) == 0
    assert demo_store.read("patrols")["start"].min() >= pd.Timestamp("2024-08-31T22:00Z")
    assert section["indicators"][0]["previous"] is None
    assert section["indicators"][0]["compared"] is False
    assert "ingen jämförelse" in section["summary"] and "(0)" not in section["summary"]
    checks = check_coverage(demo_store.read("traffic_checks"), demo_store.read("risk_roads"),
                            period=make_period("2024-09-01", "2024-11-30"))
    assert indicator_value(figures, "trafikkontroller", "checks_at_risk_places") == \
        checks.checks_at_risk_places
    assert indicator_value(figures, "trafikkontroller", "checks_road_coverage") == \
        checks.weighted_covered_pct
    for road in checks.roads:
        assert indicator_value(figures, "trafikkontroller",
                               f"checks_road:{road.road_id}") == road.checks
    assert checks.checks_performed == indicator_value(figures, "trafikkontroller", "checks")
    # Monthly minutes add up to the period's (each month computed by the coverage function).
    monthly = section["monthly"]["Fotpatrull (minuter i de centrala zonerna)"]
    assert section["months"] == ["2024-09", "2024-10", "2024-11"]
    assert sum(monthly) == pytest.approx(total, abs=0.2)


def test_report_counts_equal_direct_counts_on_the_demo(demo_store: Store) -> None:
    figures = _figures(demo_store, date(2024, 1, 1), date(2024, 12, 31))
    places = demo_store.read("unsafe_places")
    places = places[~places["sensitive"].astype(bool)]
    local = places["reported_at"].dt.tz_convert("Europe/Stockholm")
    assert indicator_value(figures, "trygghetsskapande", "unsafe_reported") == int(
        (local.dt.year == 2024).sum())
    resolved = places["resolved_at"].dt.tz_convert("Europe/Stockholm")
    assert indicator_value(figures, "trygghetsskapande", "unsafe_resolved") == int(
        (resolved.dt.year == 2024).sum())
    checks = demo_store.read("traffic_checks")
    in_2024 = checks["start"].dt.tz_convert("Europe/Stockholm").dt.year == 2024
    assert indicator_value(figures, "trafikkontroller", "checks") == int(
        (in_2024 & (checks["status"] == "genomford")).sum())
    events = demo_store.read("events")
    events = events[~events["type"].str.startswith(("Våldtäkt", "Sexualbrott",
                                                    "Sexuellt ofredande"))]
    assert indicator_value(figures, "trygghetsskapande", "events") == int(
        (events["time"].dt.tz_convert("Europe/Stockholm").dt.year == 2024).sum())
    acts = demo_store.read("activities")
    drug = acts[(acts["kind"] == "narkotikainsats")
                & (acts["date"].dt.tz_convert("Europe/Stockholm").dt.year == 2024)]
    assert indicator_value(figures, "oppen_droghandel", "activities:narkotikainsats") == len(drug)
    assert figures["has_data"] is True
    for section in figures["sections"]:
        assert section["summary"].endswith(".")


def test_report_for_a_period_without_data_says_so(client, store: Store,
                                                  tokens: dict[str, str], tmp_path: Path) -> None:
    body = client.get("/api/rapport?from=2031-01-01&to=2031-03-31",
                      headers=auth(tokens["rad"])).json()
    assert body["has_data"] is False
    assert "inga uppgifter för perioden 2031-01-01 – 2031-03-31" in body["notes"][0].lower()
    assert all(s["summary"] == "Inga uppgifter för perioden." for s in body["sections"])
    assert body["previous_from"].startswith("2030-09-30T22:00")  # Oct–Dec 2030, Swedish time
    page = client.get("/api/rapport?from=2031-01-01&to=2031-03-31&format=html",
                      headers=auth(tokens["rad"]))
    assert page.status_code == 200 and "Det finns inga uppgifter för perioden" in page.text
    pdf = client.get("/api/rapport?from=2031-01-01&to=2031-03-31&format=pdf",
                     headers=auth(tokens["rad"]))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert _render_pdf(pdf.content, tmp_path) >= 9  # opening page + one per commitment


def _render_pdf(content: bytes, folder: Path) -> int:
    """Render every page with Debian's pdftoppm; return the number of pages rendered."""
    assert shutil.which("pdftoppm"), "poppler-utils is needed (make system-deps)"
    assert content.startswith(b"%PDF-")
    path = folder / "report.pdf"
    path.write_bytes(content)
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(path), str(folder / "page")],
                   check=True, capture_output=True, timeout=120)
    pages = sorted(folder.glob("page-*.png"))
    for page in pages:
        assert page.stat().st_size > 500 and page.read_bytes()[:4] == b"\x89PNG"
    return len(pages)


def test_cli_report_writes_html_and_a_pdf_that_renders(demo_store: Store, settings: Settings,
                                                       tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rapport.pdf"
    result = runner.invoke(cli, ["--db", str(settings.db), "report", "--from", "2024-09-01",
                                 "--to", "2024-11-30", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Fotpatrull i de centrala zonerna" in result.output
    assert _render_pdf(out.read_bytes(), tmp_path) >= 9
    html_out = tmp_path / "rapport.html"
    result = runner.invoke(cli, ["--db", str(settings.db), "report", "--from", "2024-09-01",
                                 "--to", "2024-11-30", "--out", str(html_out)])
    text = html_out.read_text(encoding="utf-8")
    assert result.exit_code == 0 and text.count("<svg xmlns=") == 16  # 8 maps, 8 charts
    assert "<img" not in text and "data:image/png" not in text
    assert "Polisen ska öka sin fotpatrullering i centrala Timrå." in text
    bad = runner.invoke(cli, ["--db", str(settings.db), "report", "--from", "2024-09-01",
                              "--to", "2024-11-30", "--out", str(tmp_path / "x.docx")])
    assert bad.exit_code != 0


def test_register_api_and_what_changed_since_the_last_meeting(client, demo_store: Store,
                                                              tokens: dict[str, str]) -> None:
    # The client fixture serves `store`; this test uses the demo copy through its own app.
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.conftest import SECRET
    from store.accounts import add_user

    settings = Settings(db=demo_store.path, demo=False, secret=SECRET)
    council = add_user(demo_store, "rådet", "rad", secret=SECRET)
    with TestClient(create_app(settings, store=demo_store)) as app:
        head = auth(council)
        before = app.get("/api/lofte/atgarder", headers=head).json()
        assert len(before) == 8 and any(a["overdue"] for a in before)
        kept = app.post("/api/rapporter?from=2024-09-01&to=2024-11-30", headers=head)
        assert kept.status_code == 201, kept.text
        # New action in a patrol zone, due in the past: new and overdue at the next meeting.
        added = app.post("/api/lofte/atgarder", headers=head, json={
            "commitment": "fotpatrullering", "what": "Kvällspatrull vid stationen, ring "
            "070-765 43 21", "owner": "polisen", "due": "2024-12-15", "zone": "Timrå station"})
        assert added.status_code == 201, added.text
        new = added.json()
        assert new["place"] == "Timrå station" and new["overdue"] is True
        assert "070-765" not in new["what"]  # scrubbed for all but admin
        # Mark an open action done, with the version read.
        target = next(a for a in before if a["status"] == "pagaende")
        done = app.patch(f"/api/lofte/atgarder/{target['id']}", headers=head,
                         json={"status": "klar", "version": target["version"]})
        assert done.status_code == 200 and done.json()["done_at"] is not None
        stale = app.patch(f"/api/lofte/atgarder/{target['id']}", headers=head,
                          json={"status": "pagaende", "version": target["version"]})
        assert stale.status_code == 409
        bad = app.post("/api/lofte/atgarder", headers=head, json={
            "commitment": "inte_ett_lofte", "what": "x", "owner": "polisen"})
        assert bad.status_code == 422 and "inte_ett_lofte" in bad.json()["error"]
        report = app.get("/api/rapport?from=2024-12-01&to=2025-02-28", headers=head).json()
        changes = report["changes"]
        assert changes["previous_at"] is not None
        assert [a["id"] for a in changes["done"]] == [target["id"]]
        assert [a["id"] for a in changes["new"]] == [new["id"]]
        assert new["id"] in [a["id"] for a in changes["overdue"]]
        assert report["map_changes"]["compared"] is True
        html = app.get("/api/rapport?from=2024-12-01&to=2025-02-28&format=html",
                       headers=head).text
        assert "Vad har hänt sedan förra mötet" in html and "Kvällspatrull vid stationen" in html
        listed = app.get("/api/rapporter", headers=head).json()
        assert len(listed) == 1 and listed[0]["from"].startswith("2024-08-31T22:00")
        # Listed by its Swedish days, not the UTC day its first instant falls on (issue 12).
        assert listed[0]["title"] == "Uppföljning 2024-09-01 – 2024-11-30"
        one = app.get(f"/api/rapporter/{listed[0]['id']}", headers=head).json()
        assert one["sections"][1]["commitment"] == "fotpatrullering"
        assert app.get("/api/rapporter/999", headers=head).status_code == 404
        page = app.get("/kartor/lofte", headers=head)
        assert page.status_code == 200 and "Kvällspatrull vid stationen" in page.text
        assert "försenad" in page.text
        assert pd.Timestamp(report["made_at"]) > pd.Timestamp(one["made_at"])


def test_summary_line_is_made_from_the_numbers_only() -> None:
    from geo.report import Indicator, summary_line

    line = summary_line([Indicator("a", "Fotpatrull", 120.0, 60.0, unit="minuter"),
                         Indicator("b", "Kontroller", 2, 2), Indicator("c", "– varav x", 1, 0),
                         Indicator("d", "Informationsträffar", 1, 3),
                         Indicator("e", "Resultat", None, 3)])
    assert line == ("Fotpatrull: 120 minuter, högre än föregående period (60); Kontroller: 2, "
                    "lika många som föregående period; Informationsträffar: 1, färre än "
                    "föregående period (3); Resultat: uppgift saknas.")
    assert summary_line([]) == "Inga uppgifter för perioden."


def test_register_form_opens_on_the_newest_three_months(demo_store) -> None:
    from datetime import date

    from services.report import default_report_period

    # The demo's newest record is a police event of 27 December 2024.
    assert default_report_period(demo_store) == (date(2024, 10, 1), date(2024, 12, 31))


def test_report_and_kept_reports_hold_no_personal_data(demo_store: Store,
                                                       settings: Settings) -> None:
    """An action's text with a phone number and an e-mail address (and a planned check) never
    reaches the report (JSON, HTML), a kept report, the follow_up_reports layer or the stored
    copy, for any role, anonymous visitors in demo mode included (issue 16)."""
    import json

    from fastapi.testclient import TestClient

    from api.app import create_app
    from store.accounts import add_user
    from tests.conftest import SECRET

    raw = ("070.123.45.67", "anna.s@example.se", "850312–1234")
    demo = settings.model_copy(update={"demo": True})
    tokens = {role: add_user(demo_store, f"r-{role}", role, secret=SECRET)
              for role in ("admin", "rad", "planerare")}
    with TestClient(create_app(demo, store=demo_store)) as app:
        added = app.post("/api/lofte/atgarder", headers=auth(tokens["admin"]), json={
            "commitment": "fotpatrullering", "owner": "polisen", "due": "2024-11-15",
            "what": f"Kvällspatrull, ring {raw[0]} eller mejla {raw[1]}",
            "place": f"Stationen (pnr {raw[2]})", "note": raw[1], "zone": "Timrå station"})
        assert added.status_code == 201, added.text
        assert raw[0] in added.json()["what"]  # admin reads raw text
        planned = app.post("/api/layers/traffic_checks", headers=auth(tokens["planerare"]),
                           json={"type": "Feature", "geometry": {
                               "type": "Point", "coordinates": [17.33, 62.49]},
                               "properties": {"status": "planerad", "place": "Hemlig plats",
                                              "start": "2024-11-20T21:00:00+01:00"}})
        assert planned.status_code == 201, planned.text
        period = "from=2024-09-01&to=2024-11-30"
        kept = app.post(f"/api/rapporter?{period}", headers=auth(tokens["rad"]))
        assert kept.status_code == 201, kept.text
        answers = {"kept": kept.text}
        # The report is made alike for every role (from the council's view of the layers).
        answers["html"] = app.get(f"/api/rapport?{period}&format=html").text
        answers["json"] = app.get(f"/api/rapport?{period}&format=json",
                                  headers=auth(tokens["planerare"])).text
        for role in (None, "rad", "planerare"):
            head = auth(tokens[role]) if role else {}
            answers[f"kept {role}"] = app.get(f"/api/rapporter/{kept.json()['id']}",
                                              headers=head).text
            answers[f"register {role}"] = app.get("/kartor/lofte", headers=head).text
            if role:
                layer = app.get("/api/layers/follow_up_reports", headers=head)
                assert layer.status_code == 200
                answers[f"layer {role}"] = layer.text
        assert "Kvällspatrull" in answers["html"]
        assert "[telefonnummer borttaget]" in answers["html"]
        for name, text in answers.items():
            leaks = [r for r in (*raw, "Hemlig plats") if r in text]
            assert leaks == [], f"{name}: {leaks}"
        stored = json.dumps(demo_store.dump()["follow_up_reports"], default=str)
        assert not [r for r in raw if r in stored]


def test_summary_line_with_no_previous_figure_says_so() -> None:
    """A current figure without a previous one used to crash the comparison (mypy found it)."""
    line = summary_line([Indicator("checks", "Trafikkontroller", 4.0, None)])
    assert "Trafikkontroller: 4" in line and "föregående period: uppgift saknas" in line


def test_every_indicator_kind_of_the_promise_has_one_registered_group() -> None:
    from geo.promise import INDICATORS
    from geo.report import INDICATOR_GROUPS, indicator
    assert set(INDICATOR_GROUPS) == set(INDICATORS)
    with pytest.raises(ValueError, match="not one of geo.promise.INDICATORS"):
        indicator("weather")


def test_report_html_is_cached_until_an_input_changes(client, store: Store,
                                                      tokens: dict[str, str]) -> None:
    url = "/api/rapport?from=2031-01-01&to=2031-03-31&format=html"
    first = client.get(url, headers=auth(tokens["rad"])).text
    assert client.get(url, headers=auth(tokens["admin"])).text == first  # one report for all
    assert "Det finns inga uppgifter för perioden" in first
    store.insert("unsafe_places", gpd.GeoDataFrame(
        {"category": ["belysning"], "reported_at": [pd.Timestamp("2031-02-01", tz="UTC")]},
        geometry=[Point(17.33, 62.49)], crs="EPSG:4326"), origin="test")
    after = client.get(url, headers=auth(tokens["rad"])).text
    assert after != first and "Det finns inga uppgifter för perioden" not in after
