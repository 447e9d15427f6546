"""Access: every route × every role (anonymous, planerare, patrullchef, rad, admin), stated here
independently of api/permissions.py. A route the app serves but this matrix does not name fails
the completeness test, so new routes must declare who may use them."""

from __future__ import annotations

import sqlite3

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routing import served_routes
from store import Store
from tests.conftest import auth
from trygg.settings import Settings

ROLES = (None, "planerare", "patrullchef", "rad", "admin")
ALL = frozenset(ROLES) - {None}
PATROL = frozenset({"patrullchef", "admin"})
PLANNERS = frozenset({"planerare", "admin"})
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
    # Siting (issue 4): planners.
    ("POST", "/api/siting/suggest"): (PLANNERS, [{"json": {"k": 2, "radius_m": 1500}}]),
    ("POST", "/api/siting/schedule"): (PLANNERS, [{"json": {"week": "2024-W10", "seed": 1}}]),
    ("POST", "/api/siting/snap"): (PLANNERS, [{"json": {"lon": 17.33, "lat": 62.49}}]),
    ("GET", "/api/siting/planned.csv"): (ALL, [{}]),
    ("GET", "/api/siting/planned.gpx"): (ALL, [{}]),
    ("GET", "/kartor/planering"): (PLANNERS, [{}]),
    # Unsafe places over time and the follow-up (issue 5): every role, aggregates for the council.
    ("GET", "/api/hotspots"): (ALL, [{"query": "from=2024-01-01&to=2024-12-31"}]),
    ("GET", "/kartor/otrygga-platser"): (ALL, [{}]),
    ("GET", "/api/lofte"): (ALL, [{}]),
    ("GET", "/api/lofte/atgarder"): (ALL, [{}]),
    ("POST", "/api/lofte/atgarder"): (ALL, [{"json": {}}]),
    ("PATCH", "/api/lofte/atgarder/{action_id}"): (ALL, [{"action_id": 999999, "json": {}}]),
    ("DELETE", "/api/lofte/atgarder/{action_id}"): (ALL, [{"action_id": 999999}]),
    ("GET", "/api/rapport"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31&format=json"}]),
    ("POST", "/api/rapporter"): (ALL, [{"query": "from=2024-10-01&to=2024-10-31"}]),
    ("GET", "/api/rapporter"): (ALL, [{}]),
    ("GET", "/api/rapporter/{report_id}"): (ALL, [{"report_id": 999999}]),
    ("GET", "/kartor/lofte"): (ALL, [{}]),
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
                                      if k in ("layer", "feature_id", "action_id", "report_id")})
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
