"""Access: every route × every role (anonymous, planerare, patrullchef, rad, admin), stated here
independently of api/permissions.py. A route the app serves but this matrix does not name fails
the completeness test, so new routes must declare who may use them."""

from __future__ import annotations

import json
import sqlite3

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routing import served_routes
from store import Store
from tests.conftest import auth
from trygg.settings import Settings

ROLES = (None, "planerare", "patrullchef", "rad", "admin", "rapportor")
ALL = frozenset(ROLES) - {None, "rapportor"}  # a partner reporter reads no layer (issue 13)
PARTNERS = frozenset({"rapportor"})
PATROL = frozenset({"patrullchef", "admin"})
PLANNERS = frozenset({"planerare", "admin"})
POLICE = frozenset({"planerare", "patrullchef", "admin"})  # read sensitive and planned records
LAYERS = ("risk_roads", "patrol_zones", "unsafe_places", "patrols", "traffic_checks", "events",
          "gazetteer", "boundaries")
READERS = {layer: ALL for layer in LAYERS} | {"patrols": frozenset({"patrullchef", "admin"})}
WRITERS = {
    "risk_roads": {"planerare", "admin"},
    "patrol_zones": {"patrullchef", "admin"},
    "unsafe_places": ALL,
    "patrols": {"patrullchef", "admin"},
    "traffic_checks": {"planerare", "patrullchef", "admin"},
    "events": {"admin"},
    "gazetteer": {"admin"},
    "boundaries": {"admin"},
}
EMPTY = {"type": "FeatureCollection", "features": []}

# (method, path template) → (who may, how to call it). "may" means the answer is neither 401
# nor 403; everyone else must get 401 (anonymous) or 403 (a role without the right).
MATRIX: dict[tuple[str, str], tuple[frozenset, list[dict]]] = {
    ("GET", "/api/health"): (frozenset(ROLES), [{}]),
    ("GET", "/api/me"): (frozenset(ROLES), [{}]),
    ("GET", "/api/layers"): (ALL, [{}]),
    ("GET", "/api/layers/{layer}"): (None, [{"layer": layer} for layer in LAYERS]),
    ("POST", "/api/layers/{layer}"): (None, [{"layer": layer, "json": EMPTY} for layer in LAYERS]),
    ("POST", "/api/layers/{layer}/import"): (None, [{"layer": layer, "files": {
        "file": ("tom.geojson", b"", "application/geo+json")}} for layer in LAYERS]),
    ("GET", "/api/layers/{layer}/{feature_id}"): (None, [{"layer": layer, "feature_id": 999999}
                                                          for layer in LAYERS]),
    ("PATCH", "/api/layers/{layer}/{feature_id}"): (None, [{"layer": layer, "feature_id": 999999,
                                                            "json": {"properties": {}}}
                                                           for layer in LAYERS]),
    ("DELETE", "/api/layers/{layer}/{feature_id}"): (None, [{"layer": layer,
                                                             "feature_id": 999999}
                                                            for layer in LAYERS]),
    ("GET", "/"): (frozenset(ROLES), [{}]),
    ("GET", "/logga-in"): (frozenset(ROLES), [{}]),
    ("POST", "/logga-in"): (frozenset(ROLES), [{"data": {"token": "fel"}, "expect": 401}]),
    ("POST", "/logga-in/demo"): (frozenset(ROLES), [{"data": {"role": "admin"}, "expect": 404}]),
    ("POST", "/logga-ut"): (frozenset(ROLES), [{}]),
    ("GET", "/kartor/oversikt"): (ALL, [{}]),
    # Coverage (issue 3): patrol figures and the coverage map are for patrol leaders.
    ("GET", "/api/coverage/patrols"): (PATROL, [{"query": "from=2024-11-01&to=2024-11-30"}]),
    ("GET", "/api/coverage/checks"): (ALL, [{"query": "from=2024-01-01&to=2024-12-31"}]),
    ("GET", "/kartor/tackning"): (PATROL, [{}]),
    ("GET", "/kartor/tackning/band"): (PATROL, [{"query": "from=2024-11-01&to=2024-11-30"}]),
    # Siting (issue 4): planners.
    ("POST", "/api/siting/suggest"): (PLANNERS, [{"json": {"k": 2, "radius_m": 1500}}]),
    ("POST", "/api/siting/schedule"): (PLANNERS, [{"json": {"week": "2024-W10", "seed": 1}}]),
    ("POST", "/api/siting/snap"): (PLANNERS, [{"json": {"lon": 17.33, "lat": 62.49}}]),
    ("POST", "/api/siting/plan"): (PLANNERS, [{"json": {
        "lon": 17.33208, "lat": 62.46583, "start": "2099-03-05T22:00:00+01:00",
        "end": "2099-03-06T00:00:00+01:00", "kinds": ["nykterhet"]}}]),
    ("POST", "/api/siting/plan/week"): (PLANNERS, [{"json": {"checks": []}}]),
    ("PATCH", "/api/siting/plan/{feature_id}"): (PLANNERS, [{"feature_id": 999999, "json": {}}]),
    ("POST", "/api/siting/candidates"): (PLANNERS, [{"json": {}}]),
    ("PATCH", "/api/siting/candidates/{feature_id}"): (PLANNERS, [{"feature_id": 999999,
                                                                 "json": {}}]),
    # Planned checks are planned police operations (issue 16): police roles only.
    ("GET", "/api/siting/planned.csv"): (POLICE, [{}]),
    ("GET", "/api/siting/planned.gpx"): (POLICE, [{}]),
    ("GET", "/kartor/planering"): (PLANNERS, [{}]),
    # Unsafe places over time and the follow-up (issue 5): every role, aggregates for the council.
    ("GET", "/api/hotspots"): (ALL, [{"query": "from=2024-01-01&to=2024-12-31"}]),
    ("GET", "/kartor/otrygga-platser"): (ALL, [{}]),
    # Per 1 000 inhabitants by DeSO/RegSO (issue 14): as the hotspots.
    ("GET", "/api/hotspots/areas"): (ALL, [{"query": "per=1000&from=2024-01-01&to=2024-12-31"}]),
    ("GET", "/kartor/otrygga-platser/per-1000-invanare"): (ALL, [{}]),
    ("GET", "/api/trygghetsmatningar"): (ALL, [{}]),
    ("GET", "/api/lofte"): (ALL, [{}]),
    ("GET", "/api/lofte/atgarder"): (ALL, [{}]),
    ("POST", "/api/lofte/atgarder"): (ALL, [{"json": {}}]),
    ("PATCH", "/api/lofte/atgarder/{action_id}"): (ALL, [{"action_id": 999999, "json": {}}]),
    ("DELETE", "/api/lofte/atgarder/{action_id}"): (frozenset({"admin"}), [{"action_id": 999999}]),
    ("GET", "/api/rapport"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31&format=json"}]),
    ("POST", "/api/rapporter"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31"}]),
    ("GET", "/api/rapporter"): (ALL, [{}]),
    ("GET", "/api/rapporter/{report_id}"): (ALL, [{"report_id": 999999}]),
    ("GET", "/api/rapport.xlsx"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31"}]),
    ("GET", "/api/rapport/kommuner"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31"}]),
    ("GET", "/api/rapporter/{report_id}.xlsx"): (ALL, [{"report_id": 999999}]),
    ("GET", "/kartor/lofte"): (ALL, [{}]),
    # Targets and the public follow-up (issue 13): admin sets and publishes; the page is open.
    ("PUT", "/api/lofte/mal/{commitment}"): (frozenset({"admin"}), [
        {"commitment": "fotpatrullering", "json": {"targets": []}}]),
    ("GET", "/kartor/mal"): (frozenset({"admin"}), [{}]),
    ("POST", "/api/rapporter/{report_id}/publicera"): (frozenset({"admin"}), [
        {"report_id": 999999}]),
    ("GET", "/folj-med"): (frozenset(ROLES), [{}]),
    ("GET", "/api/folj-med"): (frozenset(ROLES), [{}]),
    # Tyck till (issue 13): the public form and status for anyone; partners file and see their
    # own; planerare, patrullchef and admin moderate.
    ("GET", "/tyck-till"): (frozenset(ROLES), [{}]),
    ("POST", "/api/tyck-till"): (frozenset(ROLES), [{"json": {}}]),
    ("GET", "/api/tyck-till/{receipt}"): (frozenset(ROLES), [{"receipt": "AAAA-BBBB-CCCC",
                                                              "expect": 404}]),
    ("GET", "/tyck-till/status/{receipt}"): (frozenset(ROLES), [{"receipt": "AAAA-BBBB-CCCC",
                                                                 "expect": 404}]),
    ("GET", "/samverkan"): (PARTNERS, [{}]),
    ("GET", "/api/samverkan/rapporter"): (PARTNERS, [{}]),
    ("POST", "/api/samverkan/rapporter"): (PARTNERS, [{"json": {}}]),
    ("POST", "/api/samverkan/rapporter/import"): (PARTNERS, [{"files": {
        "file": ("tom.csv", b"", "text/csv")}}]),
    ("GET", "/moderering"): (POLICE, [{}]),
    ("GET", "/kartor/redigera"): (POLICE, [{}]),  # the map editor (issue 12)
    ("GET", "/api/moderering"): (POLICE, [{}]),
    ("GET", "/api/moderering/{tip_id}"): (POLICE, [{"tip_id": 999999, "expect": 404}]),
    ("POST", "/api/moderering/{tip_id}"): (POLICE, [{"tip_id": 999999, "expect": 404,
                                                     "json": {"decision": "reject"}}]),
    # OGC API – Features (issue 15): signed in (anonymous only in demo mode), per layer as reads.
    ("GET", "/ogc"): (ALL, [{}]),
    ("GET", "/ogc/conformance"): (ALL, [{}]),
    ("GET", "/ogc/collections"): (ALL, [{}]),
    ("GET", "/ogc/collections/{layer}"): (None, [{"layer": layer} for layer in LAYERS]),
    ("GET", "/ogc/collections/{layer}/items"): (None, [{"layer": layer} for layer in LAYERS]),
    ("GET", "/ogc/collections/{layer}/items/{feature_id}"): (None, [{"layer": layer,
                                                                      "feature_id": 999999}
                                                                     for layer in LAYERS]),
    # Exports (issue 15): what a read of the layer answers; every layer the role may read.
    ("GET", "/api/layers/{layer}/export"): (None, [
        {"layer": layer, "query": f"format={fmt}"} for layer in LAYERS
        for fmt in ("geojson", "csv", "xlsx", "gpkg")]),
    ("GET", "/api/export.gpkg"): (ALL, [{}]),
    ("GET", "/api/export.xlsx"): (ALL, [{}]),
    ("GET", "/docs"): (frozenset(ROLES), [{}]),
    ("GET", "/openapi.json"): (frozenset(ROLES), [{}]),
}


def _may(method: str, path: str, call: dict) -> frozenset:
    may, _ = MATRIX[(method, path)]
    if may is not None:
        return may
    layer = call["layer"]
    return frozenset(READERS[layer] if method == "GET" else WRITERS[layer])


@pytest.fixture
def matrix_client(demo_store: Store, settings: Settings):
    from store.accounts import add_user
    from tests.conftest import SECRET

    tokens = {role: add_user(demo_store, f"m-{role}", role, secret=SECRET)
              for role in ROLES if role}
    app = create_app(settings, store=demo_store)
    with TestClient(app) as client:
        yield app, client, tokens


def test_every_served_route_is_in_the_matrix(matrix_client) -> None:
    app, _, _ = matrix_client
    missing = sorted(served_routes(app) - set(MATRIX))
    assert missing == [], f"routes with no access rule in this matrix: {missing}"


def test_every_route_for_every_role(matrix_client) -> None:
    app, client, tokens = matrix_client
    wrong = []
    for (method, template), (_, calls) in MATRIX.items():
        for call in calls:
            path = template.format(**{k: v for k, v in call.items()
                                      if k in ("layer", "feature_id", "action_id", "report_id",
                                               "receipt", "tip_id",
                                               "commitment")})
            if "query" in call:
                path += "?" + call["query"]
            for role in ROLES:
                headers = auth(tokens[role]) if role else {}
                client.cookies.clear()
                response = client.request(method, path, headers=headers,
                                          json=call.get("json"), data=call.get("data"),
                                          files=call.get("files"), follow_redirects=False)
                allowed = role in _may(method, template, call)
                status = response.status_code
                if status >= 500:
                    wrong.append(f"{method} {path} as {role}: {status}")
                elif allowed and "expect" in call:
                    if status != call["expect"]:
                        wrong.append(f"{method} {path} as {role}: {status}, expected "
                                     f"{call['expect']}")
                elif allowed and status in (401, 403):
                    wrong.append(f"{method} {path} as {role}: {status}, should be allowed")
                elif not allowed and status not in (401, 403, 303):
                    wrong.append(f"{method} {path} as {role}: {status}, should be refused")
                elif not allowed and role is None and status == 403:
                    wrong.append(f"{method} {path} anonymous: 403, should be 401 (log in)")
    assert wrong == []


def test_pages_send_anonymous_visitors_to_login(matrix_client) -> None:
    _, client, _ = matrix_client
    response = client.get("/kartor/oversikt", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/logga-in"


def test_tokens_and_sessions_are_stored_only_as_digests(matrix_client, demo_store: Store) -> None:
    _, client, tokens = matrix_client
    client.post("/logga-in", data={"token": tokens["rad"]}, follow_redirects=False)
    session = client.cookies.get("trygg_session")
    assert session
    raw = demo_store.path.read_bytes() + demo_store.path.with_name(
        demo_store.path.name + "-wal").read_bytes()
    con = sqlite3.connect(demo_store.path)
    dumped = "\n".join(con.iterdump())
    con.close()
    for secret in [*tokens.values(), session]:
        assert secret not in dumped and secret.encode() not in raw


# --- records some roles may not read: writes answer as reads do (issue 16) ---------------------

PNR, PHONE, MAIL = "850312-1234", "070-123 45 67", "anna.s@example.se"
SECRET_TEXT = f"Ring {PHONE} eller mejla {MAIL}, pnr {PNR}"
VIVSTA = [17.32583, 62.48694]


def _hidden_records(client: TestClient, tokens: dict) -> list[tuple[str, int]]:
    """Fresh records only the police roles may read, made through the API: a sexual-offence
    place, a violence-in-close-relationship place and a planned traffic check, all carrying
    personal data in their free text."""
    out = []
    for category in ("sexualbrott", "vald_i_nara_relation"):
        made = client.post("/api/layers/unsafe_places", headers=auth(tokens["admin"]), json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
            "properties": {"category": category, "description": SECRET_TEXT,
                           "reported_at": "2024-10-27"}})
        assert made.status_code == 201, made.text
        out.append(("unsafe_places", made.json()["ids"][0]))
    made = client.post("/api/layers/traffic_checks", headers=auth(tokens["planerare"]), json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"status": "planerad", "start": "2025-03-14T21:00:00+01:00",
                       "end": "2025-03-14T23:00:00+01:00", "kinds": ["nykterhet"],
                       "place": f"Vivsta, kontakt {PHONE}"}})
    assert made.status_code == 201, made.text
    out.append(("traffic_checks", made.json()["ids"][0]))
    return out


def _call(client: TestClient, role, method: str, path: str, **kwargs):
    token = kwargs.pop("token", None)
    headers = {**(auth(token) if role else {}), **kwargs.pop("headers", {})}
    client.cookies.clear()
    return client.request(method, path, headers=headers, **kwargs)


WRITES = [
    ("PATCH", {"json": {"properties": {}}}),
    ("PATCH", {"json": {"properties": {"category": "annat", "sensitive": False}}}),
    ("PATCH", {"json": {"properties": {"status": "genomford", "place": "x"}}}),
    ("PATCH", {"json": {"properties": {}}, "headers": {"If-Match": '"1"'}}),
    ("PATCH", {"json": {"properties": {"version": 99}}}),
    ("DELETE", {}),
]


def test_writes_to_records_a_role_may_not_read_answer_as_a_read(matrix_client,
                                                                 demo_store: Store) -> None:
    """PATCH and DELETE of real sensitive ids and real planned-check ids as anonymous and the
    council answer exactly what a read of the same id (or of a missing id) answers: no body, no
    version, nothing changed in the store."""
    _, client, tokens = matrix_client
    hidden = _hidden_records(client, tokens)
    demo_sensitive = demo_store.read("unsafe_places")
    demo_sensitive = [int(i) for i in demo_sensitive.index[demo_sensitive["sensitive"]
                                                           .fillna(False).astype(bool)]]
    assert demo_sensitive, "the demo has a sensitive place"
    hidden += [("unsafe_places", i) for i in demo_sensitive]
    before = demo_store.dump()
    wrong = []
    for role in (None, "rad"):
        token = tokens.get(role)
        for layer, fid in hidden:
            path = f"/api/layers/{layer}/{fid}"
            read = _call(client, role, "GET", path, token=token)
            missing = _call(client, role, "GET", f"/api/layers/{layer}/999999", token=token)
            if role is None:
                assert read.status_code == 401
            else:
                assert read.status_code == 404, (role, path, read.text)
                assert read.json()["error"] == missing.json()["error"].replace("999999",
                                                                               str(fid))
            for method, kwargs in WRITES:
                got = _call(client, role, method, path, token=token, **kwargs)
                gone = _call(client, role, method, f"/api/layers/{layer}/999999", token=token,
                             **kwargs)
                text = got.text
                if got.status_code != gone.status_code or \
                        text != gone.text.replace("999999", str(fid)):
                    wrong.append(f"{method} {path} {kwargs} as {role}: {got.status_code} "
                                 f"{text!r}; a missing id gives {gone.status_code}")
                if role == "rad" and layer == "unsafe_places" and got.status_code != 404:
                    wrong.append(f"{method} {path} as rad: {got.status_code}, not 404 as GET")
                for leak in (PNR, PHONE, MAIL, "version", "sexualbrott",
                             "vald_i_nara_relation", "planerad", "coordinates"):
                    if leak in text:
                        wrong.append(f"{method} {path} as {role}: answer shows {leak!r}")
    assert wrong == []
    assert demo_store.dump() == before, "a refused write changed the store"


def test_police_roles_write_hidden_records_and_get_filtered_bodies(matrix_client,
                                                                   demo_store: Store) -> None:
    """planerare, patrullchef and admin read these records, so they may write them: PATCH
    answers the record as a GET would (scrubbed but for admin), a stale version 409s, DELETE
    removes it."""
    _, client, tokens = matrix_client
    for role in ("planerare", "patrullchef", "admin"):
        token = tokens[role]
        for layer, fid in _hidden_records(client, tokens):
            path = f"/api/layers/{layer}/{fid}"
            read = _call(client, role, "GET", path, token=token)
            assert read.status_code == 200, (role, path, read.text)
            assert role in WRITERS[layer]
            patched = _call(client, role, "PATCH", path, token=token,
                            json={"properties": {}})
            assert patched.status_code == 200, (role, path, patched.text)
            props, got = read.json()["properties"], patched.json()["properties"]
            assert got["version"] == props["version"] + 1
            assert {k: v for k, v in got.items() if k not in ("version", "updated_at")} == \
                {k: v for k, v in props.items() if k not in ("version", "updated_at")}
            text = patched.text
            if role == "admin":
                assert PHONE in text
            else:
                assert PHONE not in text and PNR not in text and MAIL not in text
                assert "[telefonnummer borttaget]" in text
            stale = _call(client, role, "PATCH", path, token=token, json={"properties": {}},
                          headers={"If-Match": f'"{props["version"]}"'})
            assert stale.status_code == 409
            assert _call(client, role, "DELETE", path, token=token).status_code == 204
            assert demo_store.read(layer, ids=[fid]).empty
            assert _call(client, role, "GET", path, token=token).status_code == 404


def _place(client: TestClient, token: str, **props) -> int:
    made = client.post("/api/layers/unsafe_places", headers=auth(token), json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"category": "belysning", "reported_at": "2024-10-27",
                       "description": "Trasig lampa", **props}})
    assert made.status_code == 201, made.text
    return int(made.json()["ids"][0])


def test_only_police_roles_make_a_place_sensitive(matrix_client, demo_store: Store) -> None:
    _, client, tokens = matrix_client
    fid = _place(client, tokens["rad"])
    path = f"/api/layers/unsafe_places/{fid}"
    before = demo_store.dump()["unsafe_places"]
    for props in ({"category": "sexualbrott"}, {"category": "vald_i_nara_relation"},
                  {"sensitive": True}, {"sensitive": "ja", "category": "annat"}):
        refused = _call(client, "rad", "PATCH", path, token=tokens["rad"],
                        json={"properties": props})
        assert refused.status_code == 403, (props, refused.text)
    assert demo_store.dump()["unsafe_places"] == before
    same = _call(client, "rad", "PATCH", path, token=tokens["rad"],
                 json={"properties": {"sensitive": False, "category": "annat"}})
    assert same.status_code == 200 and same.json()["properties"]["category"] == "annat"
    # A police role may; then the council no longer reads, changes or deletes it.
    made = _call(client, "patrullchef", "PATCH", path, token=tokens["patrullchef"],
                 json={"properties": {"category": "vald_i_nara_relation"}})
    assert made.status_code == 200 and made.json()["properties"]["sensitive"] is True
    for method in ("GET", "PATCH", "DELETE"):
        got = _call(client, "rad", method, path, token=tokens["rad"],
                    json={"properties": {"category": "annat", "sensitive": False}}
                    if method == "PATCH" else None)
        assert got.status_code == 404, (method, got.text)
    assert not demo_store.read("unsafe_places", ids=[fid]).empty
    # Replacing a layer that holds records the council cannot read is refused.
    replaced = client.post("/api/layers/unsafe_places/import", headers=auth(tokens["rad"]),
                           data={"replace": "true"}, files={"file": (
                               "ny.geojson", b'{"type": "FeatureCollection", "features": []}',
                               "application/geo+json")})
    assert replaced.status_code == 403
    assert not demo_store.read("unsafe_places", ids=[fid]).empty


def test_planned_checks_are_for_police_roles_everywhere(matrix_client, demo_store: Store,
                                                        settings: Settings) -> None:
    """A planned check (date, time, place) reaches planerare, patrullchef and admin only: the
    layer, one feature, the layer list's counts, the overview map, planned.csv/gpx and the
    check coverage figures; anonymous visitors get none of it even in demo mode."""
    app, client, tokens = matrix_client
    coverage_before = _call(client, "rad", "GET", "/api/coverage/checks",
                            token=tokens["rad"]).json()
    _, _, check = _hidden_records(client, tokens)
    fid = check[1]
    secret_place = "Vivsta, kontakt"
    counts = {}
    for role in ("planerare", "patrullchef", "rad", "admin"):
        token = tokens[role]
        layer = _call(client, role, "GET", "/api/layers/traffic_checks", token=token).json()
        ids = [f["id"] for f in layer["features"]]
        listed = {i["name"]: i["count"] for i in _call(client, role, "GET", "/api/layers",
                                                       token=token).json()}
        counts[role] = listed["traffic_checks"]
        page = _call(client, role, "GET", "/kartor/oversikt", token=token).text
        csv = _call(client, role, "GET", "/api/siting/planned.csv", token=token)
        gpx = _call(client, role, "GET", "/api/siting/planned.gpx", token=token)
        if role in POLICE:
            assert fid in ids and secret_place in page
            assert csv.status_code == 200 and secret_place in csv.text
            assert PHONE not in csv.text or role == "admin"
            assert gpx.status_code == 200 and secret_place in gpx.text
        else:
            assert fid not in ids and secret_place not in page
            assert csv.status_code == 403 and secret_place not in csv.text
            assert gpx.status_code == 403
    assert counts["rad"] == counts["planerare"] - 1
    coverage = _call(client, "rad", "GET", "/api/coverage/checks", token=tokens["rad"]).json()
    assert coverage["period_to"] == coverage_before["period_to"]  # the plan's date not shown
    assert "2025-03-14" not in json.dumps(coverage)
    demo = settings.model_copy(update={"demo": True})
    with TestClient(create_app(demo, store=demo_store)) as anonymous:
        layer = anonymous.get("/api/layers/traffic_checks")
        assert layer.status_code == 200 and fid not in [f["id"] for f in layer.json()["features"]]
        assert anonymous.get(f"/api/layers/traffic_checks/{fid}").status_code == 404
        assert anonymous.get("/api/siting/planned.csv").status_code == 401
        assert anonymous.get("/api/siting/planned.gpx").status_code == 401
        assert secret_place not in anonymous.get("/kartor/oversikt").text


# --- who entered a record and whether it is real come from the server (issue 16) ---------------

def test_clients_cannot_set_provenance_or_source(matrix_client, demo_store: Store) -> None:
    """Sent provenance and source are ignored (like id and version): hand-entered records are
    real, "Inlagd av <account>"; only admin states an import's provenance."""
    _, client, tokens = matrix_client
    fid = _place(client, tokens["rad"], provenance="simulated", source="Polisen, utredning 12")
    row = demo_store.read("unsafe_places", ids=[fid]).iloc[0]
    assert row["provenance"] == "real" and row["source"] == "Inlagd av m-rad"
    patched = _call(client, "rad", "PATCH", f"/api/layers/unsafe_places/{fid}",
                    token=tokens["rad"], json={"properties": {
                        "provenance": "illustrative", "source": "Polisen", "status": "atgardad"}})
    assert patched.status_code == 200, patched.text
    row = demo_store.read("unsafe_places", ids=[fid]).iloc[0]
    assert (row["provenance"], row["source"], row["status"]) == ("real", "Inlagd av m-rad",
                                                                 "atgardad")
    collection = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": VIVSTA},
        "properties": {"category": "belysning", "reported_at": "2024-10-27",
                       "provenance": "simulated", "source": "Påhittad källa"}}]}
    body = json.dumps(collection).encode()
    files = {"file": ("platser.geojson", body, "application/geo+json")}
    refused = client.post("/api/layers/unsafe_places/import", headers=auth(tokens["rad"]),
                          data={"provenance": "real"}, files=files)
    assert refused.status_code == 403
    before = set(demo_store.read("unsafe_places").index)
    imported = client.post("/api/layers/unsafe_places/import", headers=auth(tokens["rad"]),
                           files={"file": ("platser.geojson", body, "application/geo+json")})
    assert imported.status_code == 200, imported.text
    new = demo_store.read("unsafe_places").drop(index=list(before))
    assert list(new["provenance"]) == ["real"]
    assert list(new["source"]) == ["Importerad från platser.geojson av m-rad"]
    before = set(demo_store.read("unsafe_places").index)
    admin = client.post("/api/layers/unsafe_places/import", headers=auth(tokens["admin"]),
                        data={"provenance": "illustrative"},
                        files={"file": ("platser.geojson", body, "application/geo+json")})
    assert admin.status_code == 200, admin.text
    new = demo_store.read("unsafe_places").drop(index=list(before))
    assert list(new["provenance"]) == ["simulated"]  # the file's own statement, as before
    assert list(new["source"]) == ["Påhittad källa"]


def test_a_record_hidden_during_a_council_write_is_not_written(matrix_client,
                                                              demo_store: Store) -> None:
    """A police role makes a place sensitive between the council's visibility check and its
    write: the write is pinned to the version checked, so it is refused with the 404 of a read
    and the record keeps the police role's change."""
    _, client, tokens = matrix_client
    fid = _place(client, tokens["rad"])
    real_update = demo_store.update
    calls = []

    def racing_update(layer, feature_id, values, **kwargs):
        if not calls:
            calls.append(values)
            real_update(layer, feature_id, {"category": "sexualbrott"})
        return real_update(layer, feature_id, values, **kwargs)

    demo_store.update = racing_update  # type: ignore[method-assign]
    try:
        got = _call(client, "rad", "PATCH", f"/api/layers/unsafe_places/{fid}",
                    token=tokens["rad"], json={"properties": {"description": "av rådet"}})
    finally:
        del demo_store.update
    assert got.status_code == 404, got.text
    assert "version" not in got.text
    row = demo_store.read("unsafe_places", ids=[fid]).iloc[0]
    assert row["category"] == "sexualbrott" and row["description"] == "Trasig lampa"
