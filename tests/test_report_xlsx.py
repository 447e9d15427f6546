"""The follow-up report's figures as an Excel workbook (issue 15): ``GET /api/rapport.xlsx`` and
``GET /api/rapporter/{id}.xlsx`` over real HTTP, read back with openpyxl: a sheet per section,
Swedish headers, numbers as numbers, days as dates; the viewers of ``/api/rapport`` only."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx2 as httpx
import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from api.app import create_app
from services.exports import XLSX
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, LiveServer, auth
from trygg.settings import Settings

PERIOD = "from=2024-09-01&to=2024-11-30"
PHONE = "070.123.45.67"


@pytest.fixture
def served(demo_store: Store, settings: Settings
           ) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    tokens = {role: add_user(demo_store, f"x-{role}", role, secret=SECRET)
              for role in ("admin", "rad", "planerare")}
    with LiveServer(create_app(settings, store=demo_store)) as server, \
            httpx.Client(base_url=server.url, timeout=120) as client:
        yield client, tokens


def _sheets(body: bytes) -> dict[str, list[tuple[Any, ...]]]:
    workbook = load_workbook(io.BytesIO(body))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)]
            for ws in workbook.worksheets}


def _table(rows: list[tuple[Any, ...]], header: str) -> list[tuple[Any, ...]]:
    """The rows under the header row starting with ``header``, up to the next empty row."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == header) + 1
    out = []
    for row in rows[start:]:
        if all(v is None for v in row):
            break
        out.append(row)
    return out


def test_report_workbook_holds_the_figures_of_the_json_report(
        served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, tokens = served
    added = client.post("/api/lofte/atgarder", headers=auth(tokens["admin"]), json={
        "commitment": "fotpatrullering", "owner": "polisen", "due": "2024-11-15",
        "what": f"=HYPERLINK(\"x\") ring {PHONE}", "status": "klar"})
    assert added.status_code == 201, added.text
    figures = client.get(f"/api/rapport?{PERIOD}", headers=auth(tokens["rad"])).json()
    answer = client.get(f"/api/rapport.xlsx?{PERIOD}", headers=auth(tokens["rad"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    assert 'filename="uppfoljning_2024-09-01_2024-11-30.xlsx"' in \
        answer.headers["content-disposition"]
    sheets = _sheets(answer.content)
    titles = list(sheets)
    assert titles[0] == "Översikt" and titles[-1] == "Förändringar i registret"
    assert titles[1:-1] == [s["short"][:31] for s in figures["sections"]]

    overview = {r[0]: r[1:] for r in sheets["Översikt"] if r and r[0]}
    assert overview["Från"][0] == datetime(2024, 9, 1)  # a date cell, not text
    assert overview["Till och med"][0] == datetime(2024, 11, 30)
    assert isinstance(overview["Gjord (svensk tid)"][0], datetime)

    for section in figures["sections"]:
        rows = sheets[section["short"][:31]]
        assert rows[0][:2] == ("Åtagande", section["text"])
        table = _table(rows, "Indikator")
        assert [r[0] for r in table] == [i["label"] for i in section["indicators"]]
        for row, ind in zip(table, section["indicators"], strict=True):
            assert row[1] == ind["current"] and row[2] == ind["previous"]  # numbers as numbers
            assert row[1] is None or isinstance(row[1], (int, float))
            assert row[4] == ind["unit"]
        if section["months"]:
            months = _table(rows, "Månad")
            assert len(months) == len(section["months"])
            assert months[0][0] == datetime.strptime(section["months"][0] + "-01", "%Y-%m-%d")
            for j, key in enumerate(section["monthly"], start=1):
                assert [r[j] for r in months] == pytest.approx(section["monthly"][key])

    changes = sheets["Förändringar i registret"]
    assert changes[0][:3] == ("Ändring", "Åtagande", "Åtgärd")
    (done,) = [r for r in changes[1:] if r[2] and r[2].startswith("=HYPERLINK")]
    assert done[0] == "klar sedan förra mötet" and done[5] == datetime(2024, 11, 15)
    text = repr(sheets)
    assert PHONE not in text and "[telefonnummer borttaget]" in text  # scrubbed as the JSON
    formulas = load_workbook(io.BytesIO(answer.content))  # a text cell, never a formula
    assert all(c.data_type != "f" for ws in formulas.worksheets for r in ws.iter_rows()
               for c in r)


def test_report_workbook_follows_the_viewer_rules_of_the_report(
        served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, tokens = served
    for head in ({}, auth(tokens["rad"]), auth(tokens["planerare"]), auth("wrong-token")):
        json_answer = client.get(f"/api/rapport?{PERIOD}", headers=head)
        xlsx_answer = client.get(f"/api/rapport.xlsx?{PERIOD}", headers=head)
        assert xlsx_answer.status_code == json_answer.status_code, head
        if json_answer.status_code != 200:
            assert xlsx_answer.json() == json_answer.json()  # the same refusal
    bad = client.get("/api/rapport.xlsx?from=2024-12-01&to=2024-09-01",
                     headers=auth(tokens["rad"]))
    assert bad.status_code == 422 and "to:" in bad.json()["error"]


def test_kept_report_workbook_holds_the_kept_figures(
        served: tuple[httpx.Client, dict[str, str]]) -> None:
    client, tokens = served
    kept = client.post(f"/api/rapporter?{PERIOD}", headers=auth(tokens["rad"]))
    assert kept.status_code == 201, kept.text
    report_id = kept.json()["id"]
    figures = client.get(f"/api/rapporter/{report_id}", headers=auth(tokens["rad"])).json()
    answer = client.get(f"/api/rapporter/{report_id}.xlsx", headers=auth(tokens["rad"]))
    assert answer.status_code == 200 and answer.headers["content-type"] == XLSX
    sheets = _sheets(answer.content)
    first = figures["sections"][0]
    table = _table(sheets[first["short"][:31]], "Indikator")
    assert [r[1] for r in table] == [i["current"] for i in first["indicators"]]
    made = {r[0]: r[1] for r in sheets["Översikt"] if r and r[0]}["Gjord (svensk tid)"]
    assert made.isoformat(timespec="minutes")[:10] == figures["made_at"][:10]
    assert client.get("/api/rapporter/999.xlsx", headers=auth(tokens["rad"])).status_code == 404
    assert client.get(f"/api/rapporter/{report_id}.xlsx").status_code == 401
