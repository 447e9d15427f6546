"""Every message a person sees is Swedish (issue 12): an import refusal, a validation answer of
the API, a period, a promise file, a police-event feed, a gazetteer file and a stale write name
the field and what to do, with none of the English words the issue found."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import shapely
from fastapi.testclient import TestClient

from geo.errors import Conflict, ImportRejected, TryggError, ValidationFailed
from geo.events import parse_events
from geo.gazetteer import read_gazetteer
from geo.periods import make_period
from geo.promise import load_promise
from services.imports import import_layer_file
from store import Store
from services.demo import GAZETTEER_FILE
from tests.conftest import auth
from trygg.settings import PROJECT_ROOT

# The words, and the English openings the domain's messages used to have.
ENGLISH = ("invalid", "is required", "field", "problem(s)", "Input should", "must be",
           "expected", "nothing imported", "does not exist", "is not one of", "not a ",
           "changed by someone else", "more")
VIVSTA, ARENA = (17.3160, 62.4870), (17.3400, 62.4800)


def _swedish(text: str) -> str:
    found = [w for w in ENGLISH if w in text]
    assert found == [], f"English {found} in: {text}"
    return text


def _all(error: TryggError) -> str:
    return "\n".join([error.message, *error.details])


def _road(coords, **props) -> dict:
    return {"type": "Feature", "properties": {"name": "Väg", **props},
            "geometry": {"type": "LineString", "coordinates": [list(c) for c in coords]}}


def test_an_api_import_refusal_names_every_field_in_swedish(client: TestClient,
                                                             tokens: dict[str, str]) -> None:
    body = {"type": "FeatureCollection", "features": [
        _road([VIVSTA, ARENA], risk_weight=-3),
        _road([VIVSTA[::-1], ARENA[::-1]]),
        _road([VIVSTA, ARENA], name="", speed_limit_kmh="fort"),
        {"type": "Feature", "properties": {"name": "Punkt"},
         "geometry": {"type": "Point", "coordinates": list(VIVSTA)}},
        *[_road([VIVSTA, ARENA], risk_categories="snabbt") for _ in range(20)]]}
    answer = client.post("/api/layers/risk_roads", json=body, headers=auth(tokens["planerare"]))
    assert answer.status_code == 422
    out = answer.json()
    text = _swedish("\n".join([out["error"], *out["details"]]))
    assert "ingenting importerat" in out["error"] and "och 5 till" in out["error"]
    assert "objekt 0: Riskvikt (risk_weight): -3.0 är under det minsta tillåtna, 0" in text
    assert "objekt 1: geometri" in text and "bytt plats" in text
    assert "objekt 2: Namn (name): saknas; fyll i det" in text
    assert ("objekt 2: Hastighetsgräns (km/h) (speed_limit_kmh): ska vara ett heltal, "
            "inte 'fort'") in text
    assert "objekt 3: geometri: Point passar inte i lagret risk_roads" in text
    assert "objekt 4: Riskkategorier (risk_categories): snabbt finns inte bland" in text


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("trasig.geojson", b'{"type": "FeatureCollection", "features": [', "fel i JSON på rad 1"),
    ("tom.geojson", b"", "filen är tom"),
    ("inga.geojson", b'{"type": "FeatureCollection", "features": []}', "filen har inga objekt"),
    ("fel.csv", b"lat,lon\n62.4,17.3\nabc,17.3\n", "kolumnen 'lat': 'abc' är inget tal"),
    ("utan.csv", b"namn\nx\n", "inga koordinatkolumner"),
    ("zon.geojson", json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Z", "active_hours": "kväll"},
         "geometry": {"type": "Polygon", "coordinates": [[[17.31, 62.48], [17.32, 62.48],
                                                          [17.32, 62.49], [17.31, 62.48]]]}}]}
                              ).encode(), "skriv timmar som 0-24"),
])
def test_file_import_refusals_are_swedish(tmp_path: Path, store: Store, name: str,
                                          content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    layer = "patrol_zones" if name.startswith("zon") else "traffic_checks"
    with pytest.raises(ImportRejected) as info:
        import_layer_file(store, layer, path)
    assert expected in _swedish(_all(info.value))
    assert "^(" not in info.value.message  # no regular expression shown


def test_periods_promise_files_event_feeds_and_gazetteers_are_refused_in_swedish(
        tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as info:
        make_period(date(2024, 11, 30), date(2024, 11, 1))
    assert "från (2024-11-30) ligger efter till (2024-11-01)" in _swedish(_all(info.value))
    with pytest.raises(ValidationFailed) as info:
        make_period("30/11", "2024-12-01")
    assert "skriv det som ÅÅÅÅ-MM-DD" in _swedish(_all(info.value))
    promise = tmp_path / "lofte.yaml"
    promise.write_text("commitments:\n  - id: A\n    owners: [ingen]\n  - id: b\n    text: x\n"
                       "    target: {indicator: '', op: '=>', value: ja}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        load_promise(promise)
    text = _swedish(_all(info.value))
    assert "åtagande 0: text saknas" in text and "åtagande 1, mål 0: target.value" in text
    with pytest.raises(ImportRejected) as info:
        parse_events([{"id": "x", "datetime": "igår", "type": ""}, "inte en händelse"],
                     origin="flöde.json")
    text = _swedish(_all(info.value))
    assert "händelse 0: id: ska vara ett heltal" in text and "händelse 1: är inget objekt" in text
    gaz = tmp_path / "ortnamn.json"
    gaz.write_text(json.dumps({"places": [{"name": "A", "lat": "62"}],
                               "roads": [{"passes": ["B"]}]}), encoding="utf-8")
    with pytest.raises(ImportRejected) as info:
        read_gazetteer(gaz)
    text = _swedish(_all(info.value))
    assert "väg 0: ref saknas" in text and "ort 0: lat: ska vara ett tal" in text


def test_a_stale_write_and_a_missing_record_are_swedish(store: Store) -> None:
    road = gpd.GeoDataFrame({"name": ["Väg"]}, geometry=[shapely.LineString([VIVSTA, ARENA])],
                            crs="EPSG:4326")
    (fid,) = store.insert("risk_roads", road)
    store.update("risk_roads", fid, {"note": "ny"}, expected_version=1)
    with pytest.raises(Conflict) as info:
        store.update("risk_roads", fid, {"note": "gammal"}, expected_version=1)
    assert "har ändrats av någon annan" in _swedish(info.value.message)
    with pytest.raises(Conflict) as info:
        store.delete("risk_roads", fid, expected_version=1)
    assert "läs in det på nytt" in _swedish(info.value.message)
    with pytest.raises(TryggError) as missing:
        store.get("risk_roads", 999)
    assert _swedish(missing.value.message) == "risk_roads 999 finns inte"


# The English the planners' answers used to carry: the solver's fallback notes, the rotation
# note, the weekly plan's note and the layer refusals of the road and event services.
SOLVER_ENGLISH = ("the solver", "solver raised", "exact solver", "greedy", "optimum", "below",
                  "time limit", "infeasible", "status 4:", "traffic check", "candidate site",
                  "week", "local time", "checks fit", "layer is empty", "import a", "import place",
                  "no events", "has no", "FILE")


def _no_english(text: str) -> str:
    _swedish(text)
    found = [w for w in SOLVER_ENGLISH if w in text]
    assert found == [], f"English {found} in: {text}"
    return text


def _trap_solution():
    from geo.mclp import SolverOptions, coverage_matrix, max_coverage
    demand = np.asarray([(0, 0), (150, 0), (300, 0), (450, 0), (600, 0)], float)
    cands = np.asarray([(75, 0), (300, 0), (525, 0)], float)
    cover = coverage_matrix(demand, cands, radius_m=160)
    return max_coverage(cover, np.asarray([2, 2, 1.5, 2, 2], float), k=2,
                        solver=SolverOptions(time_limit_s=7))


@pytest.mark.parametrize(("result", "reason"), [
    ("raise", "lösaren avbröts av ett fel (RuntimeError)"),
    (2, "HiGHS fann att modellen saknar lösning"),
    (1, "HiGHS hittade ingen tillåten lösning inom tidsgränsen på 7 s"),
    (4, "HiGHS stannade utan lösning (status 4)"),
])
def test_every_solver_failure_is_said_in_swedish(monkeypatch: pytest.MonkeyPatch,
                                                 result: object, reason: str) -> None:
    def fake(c, **kwargs):
        if result == "raise":
            raise RuntimeError("HiGHS crashed: the solver raised an internal error")
        return scipy.optimize.OptimizeResult(
            status=result, success=False, x=None, fun=None, mip_dual_bound=None,
            message="The problem is infeasible. (HiGHS Status 8: model_status is Infeasible)")

    monkeypatch.setattr(scipy.optimize, "milp", fake)
    (note,) = _trap_solution().notes
    assert reason in _no_english(note)
    assert "crashed" not in note and "HiGHS Status" not in note  # the library's text is logged
    assert note.endswith("Den snabba närmelösningen visas, högst 21,1\u00a0% sämre än det "
                         "bästa möjliga.")


def test_the_rotation_and_weekly_plan_notes_are_swedish() -> None:
    from geo.schedule import weekly_plan
    from geo.siting import RotationOptions, SitingOptions, suggest_sites
    x0, y0 = 620_000.0, 6_930_000.0
    roads = gpd.GeoDataFrame(
        {"name": ["Väg A"], "road_ref": ["A"], "risk_weight": [10.0],
         "risk_categories": [["hastighet"]]},
        geometry=[shapely.LineString([(x0, y0), (x0 + 1000, y0)])], crs="EPSG:3006")
    checks = gpd.GeoDataFrame(
        {"start": [pd.Timestamp("2024-03-01", tz="UTC")] * 2, "precision_m": [0.0, 0.0]},
        geometry=[shapely.Point(x0 + 500, y0), shapely.Point(x0 + 500, y0 + 5000)],
        crs="EPSG:3006")
    as_of = pd.Timestamp("2024-03-08", tz="UTC")
    for mode in ("exclude", "penalise"):
        s = suggest_sites(roads, SitingOptions(k=1, radius_m=600), checks=checks,
                          rotation=RotationOptions(weeks=2, mode=mode, penalty=0.25,
                                                   as_of=as_of))
        (note,) = s.notes
        assert note.startswith("Rotation: 2 trafikkontroller under 2 veckor före 2024-03-08 "
                               "01:00 (svensk tid) räknades; ")
        assert ("uteslöts" if mode == "exclude" else "förlorar 0,25 × vikten") in \
            _no_english(note)
    none = suggest_sites(roads, SitingOptions(k=1, radius_m=600), checks=checks.iloc[0:0],
                         rotation=RotationOptions(weeks=1, as_of=as_of))
    assert _no_english(none.notes[0]) == ("Rotation: inga trafikkontroller under 1 vecka före "
                                          "2024-03-08 01:00 (svensk tid), så ingen "
                                          "kontrollplats uteslöts.")
    sites = gpd.GeoDataFrame({"name": ["A"], "rank": [1], "weight_covered": [1.0]},
                             geometry=[shapely.Point(x0, y0)], crs="EPSG:3006")
    plan = weekly_plan(sites, np.ones(168), week="2024-W10", seed=1, checks=5, block_h=12,
                       max_per_site=2)
    (note,) = plan.notes
    assert note.startswith("Bara 2 av 5 kontroller får plats") and "välj fler timmar" in \
        _no_english(note)


def test_empty_layers_and_files_the_services_need_are_refused_in_swedish(
        tmp_path: Path, store: Store) -> None:
    from geo.clip import area_of
    from services.imports import geocoded_events, store_gazetteer
    from services.roads import reweight
    with pytest.raises(ImportRejected) as info:
        store_gazetteer(store)
    assert "importera ortnamn först" in _no_english(_all(info.value))
    with pytest.raises(ImportRejected) as info:
        reweight(store)
    assert "importera ett vägnät först" in _no_english(_all(info.value))
    feed = tmp_path / "handelser.json"
    feed.write_text("[]", encoding="utf-8")
    gazetteer = read_gazetteer(PROJECT_ROOT / "data" / "timra" / GAZETTEER_FILE)
    with pytest.raises(ImportRejected) as info:
        geocoded_events(feed, gazetteer, municipality="Timrå")
    text = _no_english(_all(info.value))
    assert "handelser.json: filen har inga polishändelser för Timrå" in text
    with pytest.raises(ImportRejected) as info:
        area_of(gpd.GeoSeries([shapely.Point(VIVSTA).buffer(0.01)]))
    assert "saknar koordinatsystem" in _no_english(_all(info.value))


def test_the_simulator_and_the_demo_refuse_in_swedish(tmp_path: Path, store: Store) -> None:
    from geo.simulate import PatrolSchedule, simulate_ping_arrays
    from services.demo import load_demo
    week = PatrolSchedule(start=pd.Timestamp("2024-03-04"), end=pd.Timestamp("2024-03-11"),
                          seed=1)
    none = gpd.GeoDataFrame(geometry=[], crs="EPSG:3006")
    with pytest.raises(ValueError, match="det finns inga patrullområden") as info:
        simulate_ping_arrays(none, week)
    _no_english(str(info.value))
    flat = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 0)]).buffer(0)],
                            crs="EPSG:3006")
    with pytest.raises(ValueError, match="objekt 0 har ingen yta") as info:
        simulate_ping_arrays(flat, week)
    _no_english(str(info.value))
    zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:3006")
    with pytest.raises(ValueError, match="måste vara större än 0") as info:
        simulate_ping_arrays(zone, PatrolSchedule(start=week.start, end=week.end, seed=1,
                                                  ping_interval_s=0))
    _no_english(str(info.value))
    with pytest.raises(ImportRejected) as refused:
        load_demo(store, tmp_path)
    assert "demodata saknas" in _no_english(_all(refused.value))


def test_upload_names_geometry_and_versions_are_refused_in_swedish(
        client: TestClient, tokens: dict[str, str]) -> None:
    """The layer routes' own refusals: a file name with a path, too long or missing, a
    geometry that is not GeoJSON, a version that is not a whole number."""
    admin = auth(tokens["admin"])
    for name in ("../x.geojson", "a" * 300 + ".geojson", ""):
        answer = client.post("/api/layers/risk_roads/import", headers=admin,
                             files={"file": (name, b"{}", "application/geo+json")})
        assert answer.status_code == 422, (name[:20], answer.text)
        _swedish(answer.json()["error"])
    created = client.post("/api/layers/unsafe_places", headers=admin, json={
        "type": "Feature", "properties": {"category": "belysning",
                                          "reported_at": "2024-06-01T10:00:00+02:00"},
        "geometry": {"type": "Point", "coordinates": list(VIVSTA)}})
    assert created.status_code == 201, created.text
    place = created.json()["ids"][0]
    bad = [({"geometry": {"type": "Point", "coordinates": "här"}}, {}),
           ({"properties": {"status": "atgardad"}}, {"If-Match": '"v2x"'})]
    for body, headers in bad:
        answer = client.patch(f"/api/layers/unsafe_places/{place}", json=body,
                              headers={**admin, **headers})
        assert answer.status_code == 422, answer.text
        _swedish(answer.json()["error"])
