"""Survey figures and rates per 1,000 inhabitants (issue 14): Polisens trygghetsmätning and NTU
from a Swedish Excel CSV keyed by area code, all or nothing; the report's table per DeSO with
rates and the survey figures with their intervals; the hotspots' per-1,000 answer and page over
real HTTP, sensitive records counted for the police roles only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
import requests
import pytest
import shapely
from click.testing import CliRunner

from api.app import create_app
from cli import cli
from geo.crs import WORK_CRS
from geo.errors import ImportRejected
from geo.municipalities import municipality
from geo.promise import load_promise
from geo.surveys import interval_text, read_survey_csv
from maps.report import report_html, report_pdf
from services.population import import_population_areas, import_survey_figures
from geo.report import report_figures
from services.report import keep_report, kept_report, make_report, promise_path
from store import Store
from store.accounts import add_user
from store.surveys import read_figures
from tests.conftest import SECRET, LiveServer, auth
from tests.test_report import _render_pdf
from tests.test_population_areas import BOXES, deso_gpkg, population_csv
from trygg.settings import PROJECT_ROOT, Settings

# As Swedish Excel saves "CSV UTF-8": BOM, ";" and decimal commas.
SURVEY_CSV = ("\ufeffområde;år;indikator;andel;ki_lag;ki_hog;antal_svar\n"
              "2262A0010;2023;Känner sig trygg utomhus på kvällen;62;58;66;412\n"
              "2262C1020;2023;Känner sig trygg utomhus på kvällen;48,5;41,2;55,8;97\n"
              "2262;2023;Oro för brott i området;21,0;;;1 020\n"
              "Medelpad;2023;Känner sig trygg utomhus på kvällen;70;68;72;2 300\n")


def survey_csv(path: Path, text: str = SURVEY_CSV) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def timra_store(store: Store) -> Store:
    store.insert("boundaries", municipality("2262").boundary_layer(), origin="test")
    return store


def test_survey_csv_through_the_cli(tmp_path: Path, timra_store: Store, client,
                                    tokens: dict[str, str]) -> None:
    path = survey_csv(tmp_path / "trygghetsmatning_2023.csv")
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "survey_figures",
                                   str(path), "--survey", "trygghetsmatning"])
    assert out.exit_code == 0, out.output
    assert "4 nya siffror" in out.output
    figures = read_figures(timra_store).set_index("area_code")
    row = figures.loc["2262C1020"]
    assert (row["survey"], row["area_kind"], row["year"], row["value_pct"], row["ci_low_pct"],
            row["ci_high_pct"], row["respondents"]) == \
        ("trygghetsmatning", "deso", 2023, 48.5, 41.2, 55.8, 97)
    assert figures.loc["2262", "area_kind"] == "kommun"
    assert figures.loc[["2262"], ["ci_low_pct", "ci_high_pct"]].isna().all(axis=None)
    assert (figures.loc["Medelpad", "area_kind"], figures.loc["Medelpad", "respondents"]) == \
        ("polisomrade", 2300)
    assert (figures["provenance"] == "real").all()
    assert "Polisens trygghetsmätning" in figures.loc["2262", "source"]
    answer = client.get("/api/trygghetsmatningar?area=2262C1020", headers=auth(tokens["rad"]))
    assert answer.status_code == 200
    assert [(f["area_code"], f["value_pct"], f["ci_low_pct"], f["ci_high_pct"],
             f["provenance"]) for f in answer.json()] == \
        [("2262C1020", 48.5, 41.2, 55.8, "real")]

    # A new file for the same area, year and question replaces that figure only.
    survey_csv(path, "område;år;indikator;andel;ki_lag;ki_hog;antal_svar\n"
                     "2262A0010;2023;Känner sig trygg utomhus på kvällen;64;60;68;420\n")
    out = CliRunner().invoke(cli, ["--db", str(timra_store.path), "import", "survey_figures",
                                   str(path), "--survey", "trygghetsmatning"])
    assert out.exit_code == 0 and "ersatte 1" in out.output, out.output
    figures = read_figures(timra_store).set_index("area_code")
    assert len(figures) == 4 and figures.loc["2262A0010", "value_pct"] == 64


def test_the_survey_column_and_english_headers(tmp_path: Path) -> None:
    path = survey_csv(tmp_path / "ntu.csv", "survey,area,year,indicator,value,lower,upper,n\n"
                                             "NTU,2281,2022,Utsatt för brott,12.5,10.1,14.9,"
                                             "800\n")
    figures = read_survey_csv(path)
    assert figures.iloc[0][["survey", "area_code", "area_kind", "value_pct"]].tolist() == \
        ["ntu", "2281", "kommun", 12.5]


def test_swedish_excel_s_plain_csv_in_windows_1252(tmp_path: Path) -> None:
    """Excel's "CSV (semikolonavgränsad)" on Swedish Windows writes Windows-1252, no BOM."""
    path = tmp_path / "ntu_1252.csv"
    path.write_bytes("Undersökning;Område;År;Fråga;Andel;KI låg;KI hög;Antal svar\n"
                     "NTU;Medelpad;2023;Otrygg ute sent på kvällen;31,4;28,9;33,9;1 204\n"
                     .encode("cp1252"))
    row = read_survey_csv(path).iloc[0]
    assert (row["survey"], row["area_code"], row["area_kind"], row["indicator"],
            row["value_pct"], row["ci_low_pct"], row["ci_high_pct"], row["respondents"]) == \
        ("ntu", "Medelpad", "polisomrade", "Otrygg ute sent på kvällen", 31.4, 28.9, 33.9, 1204)


def test_bad_survey_files_are_refused_in_swedish_and_change_nothing(
        tmp_path: Path, timra_store: Store) -> None:
    import_survey_figures(timra_store, survey_csv(tmp_path / "ok.csv"),
                          survey="trygghetsmatning")
    before = read_figures(timra_store)
    bad = survey_csv(tmp_path / "fel.csv",
                     "område;år;indikator;andel;ki_lag;ki_hog;antal_svar\n"
                     "2262A0010;2024;Trygg;62;65;66;412\n"
                     "2262A0010;24;Trygg;mycket;;;\n"
                     "22-62;2024;Trygg;140;;;\n")
    with pytest.raises(ImportRejected) as err:
        import_survey_figures(timra_store, bad, survey="ntu")
    message = err.value.message
    assert message.startswith("fel.csv: ")
    assert "fel.csv, rad 2: kolumnen 'ki_lag': 65 är större än andelen 62" in message
    assert "rad 3: kolumnen 'år': '24' är inget år" in message
    assert "rad 3: kolumnen 'andel': 'mycket' är inget tal" in message
    assert "rad 4: kolumnen 'område': '22-62' är varken en DeSO-kod" in message
    assert "rad 4: kolumnen 'andel': 140 ligger inte mellan 0 och 100" in message
    assert read_figures(timra_store).equals(before)

    no_survey = survey_csv(tmp_path / "utan.csv", "område;år;indikator;andel\n2262;2023;x;5\n")
    with pytest.raises(ImportRejected, match=r"kolumnen undersökning \(eller --survey"):
        import_survey_figures(timra_store, no_survey)
    assert read_figures(timra_store).equals(before)


def test_interval_text() -> None:
    assert interval_text(62.0, 58.0, 66.0) == "62\u00a0% (58–66\u00a0%)"
    assert interval_text(48.5, 41.2, 55.8) == "48,5\u00a0% (41,2–55,8\u00a0%)"
    assert interval_text(21.0, None, None) == "21\u00a0% (intervall saknas)"


# --- rates in the report and the hotspots --------------------------------------------------------

def _inside(code: str, n: int) -> list[shapely.Point]:
    minx, miny, _, _ = BOXES[code]
    return [shapely.Point(minx + 100 + 10 * i, miny + 500) for i in range(n)]


def _populated(store: Store, tmp_path: Path) -> None:
    """Three DeSO areas (1 620, 0 and 40 inhabitants) and events in them: 8 in 2262A0010,
    2 in 2262C1010, 3 in 2262C1020, in October 2024; one more in 2262A0010 in 2023 (outside the
    window) and a sensitive one (Våldtäkt) in 2262A0010."""
    import_population_areas(store, deso_gpkg(tmp_path / "DeSO_2018.gpkg"),
                            population=population_csv(tmp_path / "folkmangd.csv"))
    points = _inside("2262A0010", 8) + _inside("2262C1010", 2) + _inside("2262C1020", 3)
    times = ["2024-10-05T20:00:00Z"] * len(points)
    types = ["Rattfylleri"] * 8 + ["Skadegörelse"] * 5
    points.append(_inside("2262A0010", 1)[0])
    times.append("2023-10-05T20:00:00Z")
    types.append("Rattfylleri")
    points.append(_inside("2262A0010", 1)[0])
    times.append("2024-10-06T20:00:00Z")
    types.append("Våldtäkt")
    store.insert("events", gpd.GeoDataFrame({
        "event_id": list(range(1, len(points) + 1)), "type": types, "time": times,
        "precision": "place", "municipality": "Timrå"}, geometry=points, crs=WORK_CRS),
        origin="test")


def test_the_report_shows_rates_per_area_and_survey_intervals(tmp_path: Path,
                                                              timra_store: Store) -> None:
    _populated(timra_store, tmp_path)
    import_survey_figures(timra_store, survey_csv(tmp_path / "tm.csv"),
                          survey="trygghetsmatning")
    report = make_report(timra_store, load_promise(promise_path(PROJECT_ROOT / "data")),
                         first=date(2024, 10, 1), last=date(2024, 12, 31))
    assert report.population is not None
    rates = {r.code: r for r in report.population.events}
    # The report has no sensitive records: 8 events in 2262A0010 (not the rape, not 2023)
    assert (rates["2262A0010"].count, rates["2262A0010"].per_1000) == (8, 8 * 1000 / 1620)
    assert rates["2262C1010"].per_1000 is None  # nobody lives there: no rate, not infinity
    html = report_html(report, timra_store.read("boundaries"))
    assert "Per 1 000 invånare och trygghetsmätningar" in html
    assert "<td>2262A0010</td><td>1\u00a0620 (2023)</td><td>8</td><td>4,9</td>" in html
    assert "<td>2262C1010</td><td>0 (2023)</td><td>2</td><td>–</td>" in html
    assert "inga invånare: ingen takt" in html
    assert "färre än 50 invånare: takten är osäker" in html
    assert "<td>75,0</td>" in html  # 3 events among 40 inhabitants, flagged
    # No report of unsafe places in 2262A0010: flagged for that column, not for the 8 events.
    assert ("<td>8</td><td>4,9</td><td>0</td><td>0,0</td><td>färre än 5 rapporter om "
            "otrygghet: slumpen väger tungt</td>") in html
    assert "62\u00a0% (58–66\u00a0%)" in html and "48,5\u00a0% (41,2–55,8\u00a0%)" in html
    assert "Polisens trygghetsmätning" in html and "Källa: SCB" in html
    pdf = report_pdf(report, timra_store.read("boundaries"))
    assert _render_pdf(pdf, tmp_path) >= 10  # opening, 8 commitments, the population page
    # In the figures the API serves and a kept report holds (plain JSON).
    figures = json.loads(json.dumps(report_figures(report)))
    kept = {r["code"]: r for r in figures["population"]["events"]}
    assert kept["2262C1020"]["caution_sv"] == ("färre än 50 invånare: takten är osäker; färre "
                                               "än 5 händelser: slumpen väger tungt")
    assert {s["area_code"] for s in figures["population"]["surveys"]} == \
        {"2262A0010", "2262C1020", "2262", "Medelpad"}
    report_id = keep_report(timra_store, report)
    assert kept_report(timra_store, report_id)["figures"]["population"]["kind"] == "deso"


@pytest.fixture
def served(tmp_path: Path, timra_store: Store, settings: Settings
           ) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    _populated(timra_store, tmp_path)
    tokens = {role: add_user(timra_store, f"p-{role}", role, secret=SECRET)
              for role in ("planerare", "rad")}
    with LiveServer(create_app(settings, store=timra_store)) as server:
        yield server, tokens


def test_hotspots_per_1000_over_http(served: tuple[LiveServer, dict[str, str]]) -> None:
    server, tokens = served
    url = f"{server.url}/api/hotspots/areas?per=1000&from=2024-10-01&to=2024-10-31"
    council = requests.get(url, headers=auth(tokens["rad"]), timeout=60)
    assert council.status_code == 200, council.text
    body = council.json()
    assert body["per"] == 1000 and body["kind"] == "deso" and body["without_sensitive"]
    areas = {a["code"]: a for a in body["areas"]}
    assert areas["2262A0010"]["count"] == 8
    assert areas["2262A0010"]["per_1000"] == pytest.approx(8000 / 1620)
    assert areas["2262C1010"]["per_1000"] is None
    assert areas["2262C1010"]["cautions"] == ["zero_population"]
    assert areas["2262C1020"]["per_1000"] == pytest.approx(75.0)
    assert areas["2262C1020"]["cautions"] == ["small_population", "few_records"]
    # The police roles count the sensitive event too.
    police = requests.get(url, headers=auth(tokens["planerare"]), timeout=60).json()
    assert {a["code"]: a["count"] for a in police["areas"]}["2262A0010"] == 9
    typed = requests.get(url + "&type=Skadegörelse", headers=auth(tokens["rad"]), timeout=60)
    assert {a["code"]: a["count"] for a in typed.json()["areas"]} == \
        {"2262A0010": 0, "2262C1010": 2, "2262C1020": 3}
    bad = requests.get(url.replace("per=1000", "per=100"), headers=auth(tokens["rad"]),
                    timeout=60)
    assert bad.status_code == 422
    page = requests.get(f"{server.url}/kartor/otrygga-platser/per-1000-invanare?from=2024-10-01"
                     "&to=2024-10-31", headers=auth(tokens["rad"]), timeout=60)
    assert page.status_code == 200, page.text
    assert "<h1>Per 1 000 invånare</h1>" in page.text
    assert '<tr data-code="2262C1010"><td>Timrå</td><td>2262C1010</td><td class="n">0 (2023)' \
        in page.text
    assert "4,9" in page.text and "inga invånare: ingen takt" in page.text
    hotspots = requests.get(f"{server.url}/kartor/otrygga-platser?from=2024-10-01&to=2024-10-31",
                            headers=auth(tokens["rad"]), timeout=60)
    assert ('href="/kartor/otrygga-platser/per-1000-invanare?from=2024-10-01&amp;'
            'to=2024-10-31">Per 1 000 invånare</a>') in hotspots.text


HOSTILE = "<script>alert(1)</script>{{ 7 * 7 }}"


def test_names_and_questions_from_files_are_escaped(tmp_path: Path, timra_store: Store,
                                                    client, tokens: dict[str, str]) -> None:
    """An area name (RegSO's regso field) and a survey question are text from a file: the page
    and the report show them escaped, never as markup or a template."""
    gdf = gpd.GeoDataFrame({"regso": [HOSTILE], "regsokod": ["2262R001"], "kommun": ["2262"],
                            "kommunnamn": ["Timrå"]},
                           geometry=[shapely.box(*BOXES["2262A0010"])], crs=WORK_CRS)
    gdf.to_file(tmp_path / "RegSO_2018.gpkg", layer="RegSO_2018", driver="GPKG")
    import_population_areas(timra_store, tmp_path / "RegSO_2018.gpkg")
    import_survey_figures(timra_store, survey_csv(
        tmp_path / "s.csv", f"område;år;indikator;andel\n2262R001;2023;{HOSTILE};50\n"),
        survey="ntu")
    page = client.get("/kartor/otrygga-platser/per-1000-invanare?kind=regso",
                      headers=auth(tokens["rad"]))
    assert page.status_code == 200
    report = client.get("/api/rapport?from=2024-10-01&to=2024-12-31&format=html",
                        headers=auth(tokens["rad"]))
    assert report.status_code == 200
    for text in (page.text, report.text):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "<script>alert(1)" not in text
        assert "{{ 7 * 7 }}" in text  # shown as written, not run as a template


def test_a_police_area_s_report_for_one_municipality_has_its_areas_only(
        tmp_path: Path, store: Store) -> None:
    for kommunkod in ("2262", "2281"):
        store.insert("boundaries", municipality(kommunkod).boundary_layer(), origin="test")
    done = import_population_areas(store, deso_gpkg(tmp_path / "DeSO_2018.gpkg"),
                                   population=population_csv(tmp_path / "folkmangd.csv"))
    assert done.inserted == 4  # both municipalities' areas
    import_survey_figures(store, survey_csv(tmp_path / "tm.csv", SURVEY_CSV + (
        "2281C1010;2023;Känner sig trygg utomhus på kvällen;55;50;60;300\n")),
        survey="trygghetsmatning")
    promise = load_promise(promise_path(PROJECT_ROOT / "data"))
    timra = make_report(store, promise, first=date(2024, 10, 1), last=date(2024, 12, 31),
                        kommuner=frozenset({"2262"}))
    assert timra.population is not None
    assert {r.code for r in timra.population.events} == {"2262A0010", "2262C1010", "2262C1020"}
    assert {s["area_code"] for s in timra.population.surveys} == \
        {"2262A0010", "2262C1020", "2262", "Medelpad"}
    both = make_report(store, promise, first=date(2024, 10, 1), last=date(2024, 12, 31))
    assert both.population is not None and len(both.population.events) == 4
