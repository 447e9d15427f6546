"""The public follow-up "Följ med i hur det går" (issue 13) and the promise's measurable targets
in the report: nothing shows before an admin publishes a kept report; publishing is for admin
only and freezes a scrubbed snapshot; the page (anonymous, outside demo mode) is under 200 KB
and holds no sensitive category, sensitive coordinates, planned check or personal data; the
report (JSON, HTML, PDF) and the page say met / not met / unknown per target with the figure."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo.formats import number_sv
from geo.report import indicator_value
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import Settings

PERIOD = "from=2024-10-01&to=2024-12-31"
DAYS = 92
SECRET_PLACE = (17.3412, 62.4871)  # a sensitive report's spot
LATE_PLACE = (17.2811, 62.4611)  # reported in the period, entered after the report was kept
PLANNED_PLACE = "Hemlig kontrollplats Ängomsvägen"
PERSONAL = ("070-123 45 67", "lisa.l@example.se", "850312-1234")
MAX_PAGE_BYTES = 200_000
HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>{{ 7 * 7 }}"


class Published:
    def __init__(self, client: TestClient, store: Store, tokens: dict[str, str],
                 report_id: int) -> None:
        self.client, self.store, self.tokens, self.report_id = client, store, tokens, report_id


def _copy(template: Path, target: Path) -> None:
    src, dst = sqlite3.connect(template), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()


def _feature(lon: float, lat: float, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}


@pytest.fixture(scope="module")
def app(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    """The demo outside demo mode with a sensitive report, a planned check, personal data in
    an action and a place's description, the demo's targets, and one kept report."""
    path = tmp_path_factory.mktemp("foljmed") / "trygg.sqlite"
    _copy(demo_template, path)
    settings = Settings(db=path, demo=False, secret=SECRET)
    store = Store.open(path)
    tokens = {role: add_user(store, f"fm-{role}", role, secret=SECRET)
              for role in ("admin", "rad", "planerare", "patrullchef")}
    with TestClient(create_app(settings, store=store)) as client:
        admin = auth(tokens["admin"])
        for body in (
            _feature(*SECRET_PLACE, category="vald_i_nara_relation",
                     description="Hemligt fall i Vivsta", reported_at="2024-11-03T20:00:00+01:00"),
            _feature(17.3301, 62.4902, category="belysning",
                     description=f"Mörkt, ring mig på {PERSONAL[0]}",
                     reported_at="2024-11-04T20:00:00+01:00"),
        ):
            added = client.post("/api/layers/unsafe_places", headers=admin, json=body)
            assert added.status_code == 201, added.text
        planned = client.post("/api/layers/traffic_checks", headers=auth(tokens["planerare"]),
                              json=_feature(17.3299, 62.4811, status="planerad",
                                            place=PLANNED_PLACE,
                                            start="2024-11-20T21:00:00+01:00"))
        assert planned.status_code == 201, planned.text
        action = client.post("/api/lofte/atgarder", headers=admin, json={
            "commitment": "trygghetsskapande", "owner": "kommunen", "due": "2024-12-01",
            "what": f"Ny belysning, kontakt {PERSONAL[1]} ({PERSONAL[2]})"})
        assert action.status_code == 201, action.text
        hostile = client.post("/api/lofte/atgarder", headers=admin, json={
            "commitment": "fotpatrullering", "owner": "polisen", "what": HOSTILE})
        assert hostile.status_code == 201, hostile.text
        kept = client.post(f"/api/rapporter?{PERIOD}", headers=auth(tokens["rad"]))
        assert kept.status_code == 201, kept.text
        late = client.post("/api/layers/unsafe_places", headers=admin,  # after the report
                           json=_feature(*LATE_PLACE, category="annat",
                                         reported_at="2024-11-10T12:00:00+01:00"))
        assert late.status_code == 201, late.text
        yield Published(client, store, tokens, kept.json()["id"])
    store.close()


def test_before_anything_is_published_the_page_says_so(client: TestClient,
                                                       settings: Settings) -> None:
    assert not settings.demo  # anonymous and read-only even outside demo mode
    page = client.get("/folj-med")
    assert page.status_code == 200
    assert "Inget är publicerat ännu" in page.text
    assert client.get("/api/folj-med").json() == {"published": False}


def test_only_admin_publishes(app: Published) -> None:
    path = f"/api/rapporter/{app.report_id}/publicera"
    assert app.client.post(path).status_code == 401
    for role in ("rad", "planerare", "patrullchef"):
        refused = app.client.post(path, headers=auth(app.tokens[role]))
        assert refused.status_code == 403, role
        assert "admin" in refused.json()["error"]
    assert app.client.get("/api/folj-med").json() == {"published": False}
    missing = app.client.post("/api/rapporter/999999/publicera",
                              headers=auth(app.tokens["admin"]))
    assert missing.status_code == 404 and missing.json()["error"]
    done = app.client.post(path, headers=auth(app.tokens["admin"]))
    assert done.status_code == 201, done.text
    assert done.json()["report_id"] == app.report_id
    audit = app.store.audit(limit=5)
    assert any(a["action"] == "followup.publish" and a["actor"] == "fm-admin" for a in audit)


@pytest.fixture(scope="module")
def public(app: Published) -> dict[str, Any]:
    done = app.client.post(f"/api/rapporter/{app.report_id}/publicera",
                           headers=auth(app.tokens["admin"]))
    assert done.status_code == 201, done.text
    page = app.client.get("/folj-med")
    assert page.status_code == 200
    return {"html": page.content, "json": app.client.get("/api/folj-med").text,
            "snapshot": app.client.get("/api/folj-med").json()}


def test_page_shows_commitments_actions_indicators_targets_and_the_date(
        app: Published, public: dict[str, Any]) -> None:
    html = public["html"].decode("utf-8")
    snapshot = public["snapshot"]
    assert len(public["html"]) < MAX_PAGE_BYTES
    assert 'src="/static/folj_med.js"' in html and "<script>" not in html  # CSP: no inline
    kept = app.client.get(f"/api/rapporter/{app.report_id}",
                          headers=auth(app.tokens["rad"])).json()
    assert f"rapporten den {kept['made_at'][:10]}" in html
    assert "2024-10-01 – 2024-12-31" in html
    for section in kept["sections"]:
        assert f'id="lofte-{section["commitment"]}"' in html
    # Actions with their status, from the kept report's register.
    assert "Trygghetsvandring i Sörberge med boende" in html and "klar" in html
    # User text is escaped (and never run as a template).
    assert HOSTILE not in html and "<img src=x" not in html and "{{ 7 * 7 }}" in html
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;script&gt;" in html
    # Indicators against the previous period, in Swedish numbers.
    minutes = indicator_value(kept, "fotpatrullering", "foot_patrol_minutes")
    assert number_sv(minutes, unit=" minuter") in html
    # Targets met, not met and unknown, with the figure.
    statuses = {t["label"]: t for c in snapshot["commitments"] for t in c["targets"]}
    assert {t["status"] for t in statuses.values()} == {"met", "not_met", "unknown"}
    foot = statuses["Fotpatrull i de centrala zonerna"]
    assert foot["status"] == "not_met"
    assert foot["figure_sv"] == number_sv(minutes * 7 / DAYS)
    assert f"{foot['status_sv']}</span> Fotpatrull i de centrala zonerna: {foot['figure_sv']}" \
        in html
    assert "okänt</span>" in html and "uppnått</span>" in html
    # The map: approved, non-sensitive places of the period.
    places = snapshot["places"]["features"]
    assert places and all(set(p["properties"]) == {"category_sv", "month", "status_sv"}
                          for p in places)
    assert "belysning" in {p["properties"]["category_sv"] for p in places}


def test_page_holds_nothing_sensitive_planned_or_personal(public: dict[str, Any]) -> None:
    for text in (public["html"].decode("utf-8"), public["json"]):
        for word in ("vald_i_nara_relation", "sexualbrott", "Sexualbrott",
                     "Hemligt fall", PLANNED_PLACE, "planerad kontroll", *PERSONAL,
                     "fm-admin", "Mörkt, ring"):
            assert word not in text, word
        pairs = [(float(x), float(y)) for x, y in
                 re.findall(r"\[\s*(-?\d+\.\d+),\s*(-?\d+\.\d+)\s*\]", text)]
        assert pairs or text.startswith("<")
        for spot in (SECRET_PLACE, LATE_PLACE):
            near = [p for p in pairs if abs(p[0] - spot[0]) < 0.002
                    and abs(p[1] - spot[1]) < 0.002]
            assert not near, near
    places = public["snapshot"]["places"]["features"]
    shown = {p["properties"]["category_sv"] for p in places}
    assert shown and not shown & {"våld i nära relation", "sexualbrott"}
    for p in places:
        x, y = p["geometry"]["coordinates"]
        assert not (abs(x - SECRET_PLACE[0]) < 0.002 and abs(y - SECRET_PLACE[1]) < 0.002)


def test_published_snapshot_is_frozen(app: Published, public: dict[str, Any]) -> None:
    added = app.client.post("/api/layers/unsafe_places", headers=auth(app.tokens["admin"]),
                            json=_feature(17.3322, 62.4899, category="skadegorelse",
                                          reported_at="2024-12-02T12:00:00+01:00"))
    assert added.status_code == 201
    assert app.client.get("/api/folj-med").text == public["json"]


def test_targets_in_the_report_figures(app: Published) -> None:
    figures = app.client.get(f"/api/rapport?{PERIOD}", headers=auth(app.tokens["rad"])).json()
    by_commitment = {s["commitment"]: s for s in figures["sections"]}
    foot = by_commitment["fotpatrullering"]["targets"][0]
    per_week = indicator_value(figures, "fotpatrullering", "foot_patrol_minutes") * 7 / DAYS
    assert foot["status"] == ("met" if per_week >= 600 else "not_met")
    assert foot["figure"] == pytest.approx(per_week, abs=0.01)
    assert foot["text_sv"] == f"inte uppnått: {number_sv(per_week)} (mål minst 600 per vecka)"
    checks = by_commitment["trafikkontroller"]["targets"]
    assert [t["status"] for t in checks] == ["not_met", "unknown"]  # no breath tests in source
    assert checks[1]["figure"] is None and checks[1]["status_sv"] == "okänt"
    level = by_commitment["trygghetsskapande"]["targets"][0]  # a level: compared as it is
    assert level["figure"] == indicator_value(figures, "trygghetsskapande", "unsafe_open")
    assert level["status"] == ("met" if level["figure"] <= 10 else "not_met")


EMPTY_PERIOD = "from=2031-01-01&to=2031-01-31"


def test_targets_in_the_report_html_and_pdf(client: TestClient, tokens: dict[str, str],
                                            tmp_path: Path) -> None:
    """An empty store: no open places (met), no checks (not met), no patrol zones (unknown)."""
    head = auth(tokens["rad"])
    figures = client.get(f"/api/rapport?{EMPTY_PERIOD}", headers=head).json()
    statuses = {s["commitment"]: [t["status"] for t in s["targets"]]
                for s in figures["sections"]}
    assert statuses["trygghetsskapande"] == ["met"]
    assert statuses["trafikkontroller"] == ["not_met", "unknown"]
    assert statuses["fotpatrullering"] == ["unknown"]
    html = client.get(f"/api/rapport?{EMPTY_PERIOD}&format=html", headers=head).text
    assert ("<li class='target not_met'>Genomförda trafikkontroller: inte uppnått: 0 (mål "
            "minst 2 per månad).") in html
    assert "<li class='target met'>Öppna otrygga platser vid periodens slut: uppnått: 0" in html
    assert "foot_patrol_minutes: okänt: ingen uppgift (mål minst 600 per vecka)" in html
    pdf = client.get(f"/api/rapport?{EMPTY_PERIOD}&format=pdf", headers=head)
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "inte uppnått: 0" in text and "okänt: ingen uppgift" in text and "uppnått: 0" in text


def test_admin_sets_targets_and_the_report_follows(client: TestClient,
                                                   tokens: dict[str, str],
                                                   store: Store) -> None:
    admin = auth(tokens["admin"])
    path = "/api/lofte/mal/trygghetsskapande"
    body = {"targets": [{"indicator": "unsafe_open", "op": ">=", "value": 5}]}
    assert client.put(path, json=body).status_code == 401
    assert client.put(path, json=body, headers=auth(tokens["rad"])).status_code == 403
    bad = client.put(path, headers=admin, json={"targets": [
        {"indicator": "unsafe_open", "op": "=>", "value": 10}]})
    assert bad.status_code == 422 and bad.json()["error"]
    unknown = client.put("/api/lofte/mal/finns_inte", headers=admin, json=body)
    assert unknown.status_code == 422 and "commitment" in unknown.text
    report = f"/api/rapport?{EMPTY_PERIOD}&format=html"
    before = client.get(report, headers=admin).text
    assert "uppnått: 0 (mål högst 10 under perioden)" in before
    saved = client.put(path, headers=admin, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["targets"] == [{"indicator": "unsafe_open", "op": ">=", "value": 5.0,
                                        "per": "period", "note": ""}]
    promise = client.get("/api/lofte", headers=admin).json()
    assert promise["commitments"][0]["targets"] == [
        {"indicator": "unsafe_open", "op": ">=", "value": 5.0, "per": "period"}]
    after = client.get(report, headers=admin).text  # the cached report follows the targets
    assert "inte uppnått: 0 (mål minst 5 under perioden)" in after
    assert any(a["action"] == "targets.set" and a["actor"] == "test-admin"
               for a in store.audit(limit=5))
    page = client.get("/kartor/mal", headers=admin)
    assert page.status_code == 200 and 'value="unsafe_open"' in page.text
    assert client.get("/kartor/mal", headers=auth(tokens["rad"])).status_code == 403
    cleared = client.put(path, headers=admin, json={"targets": []})
    assert cleared.status_code == 200 and cleared.json()["targets"] == []
    figures = client.get(f"/api/rapport?{EMPTY_PERIOD}", headers=admin).json()
    assert figures["sections"][0]["targets"] == []
