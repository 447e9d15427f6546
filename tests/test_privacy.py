"""Scrubbing personal data (issue 16): the scrubber catches the written forms the red team used
and leaves dates, times, road numbers and counts alone; every free-text field of every layer is
scrubbed for every role but admin (an allowlist names the fields that are never free text)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo.crs import WORK_CRS
from geo.layers import LAYERS
from geo.privacy import NOT_FREE_TEXT, SCRUBBED, free_text_columns, scrub_frame, scrub_text
from store import Store
from tests.conftest import auth

PNR, PHONE, MAIL = SCRUBBED["personnummer"], SCRUBBED["phone"], SCRUBBED["email"]


@pytest.mark.parametrize("text, expected", [
    # The red team's forms.
    ("850312–1234", PNR),  # en dash
    ("850312—1234", PNR),  # em dash
    ("850312\u200b-1234", PNR),  # zero-width space
    ("85\u200c0312\u2060-\u200d1234", PNR),  # other invisible characters anywhere
    ("8503\u00ad12-1234", PNR),  # soft hyphen
    ("070.123.45.67", PHONE),
    ("+46 (0)70-123 45 67", PHONE),
    # Other written forms.
    ("pnr 19850312-1234.", f"pnr {PNR}."),
    ("850312 1234", PNR),
    ("850312+1234", PNR),  # over a hundred years old
    ("850312\u22121234", PNR),  # minus sign
    ("ring 070-123 45 67 i kväll", f"ring {PHONE} i kväll"),
    ("070–123 45 67", PHONE),
    ("070\u2011123\u00a045\u00a067", PHONE),  # non-breaking hyphen and spaces
    ("(070) 123 45 67", PHONE),
    ("+46 70 123 45 67", PHONE),
    ("+46701234567", PHONE),
    ("0046 70 123 45 67", PHONE),
    ("060-12 34 56", PHONE),
    ("08-123 456 78", PHONE),
    ("0701234567", PNR),  # also a valid personnummer (2007-01-23): removed either way
    ("070/123 45 67", PHONE),
    ("anna.svensson@example.se", MAIL),
    ("anna\u200b@example.se", MAIL),
    ("tel: 070.123.45.67, e-post a@b.se", f"tel: {PHONE}, e-post {MAIL}"),
    ("2024-10-27 ring 070-123 45 67", f"2024-10-27 ring {PHONE}"),
])
def test_scrubber_catches_written_forms(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


@pytest.mark.parametrize("text", [
    "2024-10-27",
    "Rapporterad 2024-10-27 kl 22:00",
    "2024-10-01 – 2024-12-31",
    "2024-10-01–2024-12-31",
    "Uppföljning 2024-10-01 – 2024-12-31",
    "27.10.2024 och 01.10.2024",
    "2024-11-20T18:00:00+00:00",
    "kl. 08.00–10.00 och 22.00-02.00",
    "22:00",
    "E4 / 331",
    "Väg 86/87 vid E4 norr, 331 mot Sundsvall",
    "12 deltagare, 3 kontroller, 40 utandningsprov",
    "Riskvikt 0,5; 1 050 personer; 0 av 12",
    "Storgatan 12, 861 32 Timrå",
    "Hastighet 30-50-70 km/h",
    "Lampan är trasig sedan 2024-10-08",
    "",
])
def test_scrubber_leaves_ordinary_text_alone(text: str) -> None:
    assert scrub_text(text) == text


def test_scrub_text_of_missing_values() -> None:
    assert scrub_text(None) == "" and scrub_text(float("nan")) == ""


def test_every_text_field_is_free_text_unless_allowlisted() -> None:
    """Every text, list and JSON field is scrubbed unless it has fixed choices or a pattern the
    data model checks; numbers, booleans and dates are never free text."""
    structured = {("patrol_zones", "active_hours"), ("boundaries", "kommunkod"),
                  ("patrols", "times")}
    for name, spec in LAYERS.items():
        for f in spec.fields:
            allowed = f.name in NOT_FREE_TEXT[name]
            never_text = f.kind in ("int", "float", "bool", "datetime") or bool(f.choices)
            expected = never_text or (name, f.name) in structured
            assert allowed == expected, f"{name}.{f.name}: allowlisted {allowed}"
    # The fields the red team named are scrubbed now.
    for layer, field in (("activities", "audience"), ("activities", "place"),
                         ("candidate_sites", "note"), ("promise_actions", "place"),
                         ("promise_actions", "what"), ("risk_roads", "note"),
                         ("traffic_checks", "place"), ("unsafe_places", "description"),
                         ("follow_up_reports", "actions"), ("follow_up_reports", "figures")):
        assert field not in NOT_FREE_TEXT[layer], (layer, field)


def test_scrub_frame_scrubs_new_and_unknown_columns_lists_and_json() -> None:
    gdf = gpd.GeoDataFrame({
        "name": ["Väg 331"], "note": ["ring 070-123 45 67"], "new_field": ["a@b.se"],
        "aliases": [["x", "850312-1234"]], "actions": [[{"what": "mejla a@b.se", "id": 3}]],
        "provenance": ["real"], "risk_weight": [1.5]}, geometry=[shapely.Point(0, 0)],
        crs=WORK_CRS)
    out = scrub_frame("risk_roads", gdf)
    row = out.iloc[0]
    assert row["name"] == "Väg 331" and row["note"] == f"ring {PHONE}"
    assert row["new_field"] == MAIL and row["aliases"] == ["x", PNR]
    assert row["actions"] == [{"what": f"mejla {MAIL}", "id": 3}]
    assert gdf.iloc[0]["note"] == "ring 070-123 45 67"  # a copy; the input is unchanged
    # A frame of a name that is no layer (a report's "actions") is scrubbed all the same.
    assert set(free_text_columns("actions", gdf)) == {"name", "note", "new_field", "aliases",
                                                      "actions"}


SECRET = "Kontakt 850312–1234, 070.123.45.67, +46 (0)70-123 45 67, anna@example.se"
POINT = {"type": "Point", "coordinates": [17.32583, 62.48694]}
WRITERS = {"activities": {"planerare", "patrullchef", "admin"},
           "candidate_sites": {"planerare", "admin"}, "risk_roads": {"planerare", "admin"},
           "traffic_checks": {"planerare", "patrullchef", "admin"},
           "unsafe_places": {"planerare", "patrullchef", "rad", "admin"}}


def _post(client, token: str, layer: str, properties: dict, geometry: dict = POINT) -> int:
    made = client.post(f"/api/layers/{layer}", headers=auth(token), json={
        "type": "Feature", "geometry": geometry, "properties": properties})
    assert made.status_code == 201, made.text
    return int(made.json()["ids"][0])


def test_free_text_reaches_only_admin_raw(client, store: Store, tokens: dict[str, str]) -> None:
    """The fields the red team found raw (activities.audience/place, candidate_sites.note,
    risk_roads.note, traffic_checks.place and the rest) are scrubbed for every role but admin,
    in the layer, in one feature and in a PATCH answer."""
    line = {"type": "LineString", "coordinates": [[17.32, 62.48], [17.35, 62.5]]}
    made = {
        "activities": _post(client, tokens["planerare"], "activities", {
            "kind": "informationstraff", "date": "2024-10-10", "place": SECRET,
            "audience": SECRET, "commitment": SECRET, "description": SECRET}),
        "candidate_sites": _post(client, tokens["planerare"], "candidate_sites", {
            "name": SECRET, "note": SECRET}),
        "risk_roads": _post(client, tokens["planerare"], "risk_roads", {
            "name": SECRET, "note": SECRET, "road_ref": "E4"}, line),
        "traffic_checks": _post(client, tokens["planerare"], "traffic_checks", {
            "status": "genomford", "start": "2024-10-10T20:00:00+02:00", "place": SECRET}),
        "unsafe_places": _post(client, tokens["rad"], "unsafe_places", {
            "category": "annat", "reported_at": "2024-10-10", "description": SECRET}),
    }
    raw = ("850312", "070.123", "(0)70", "anna@example.se")
    for role in ("planerare", "patrullchef", "rad", "admin"):
        head = auth(tokens[role])
        for layer, fid in made.items():
            answers = [client.get(f"/api/layers/{layer}", headers=head),
                       client.get(f"/api/layers/{layer}/{fid}", headers=head)]
            if role in WRITERS[layer]:
                answers.append(client.patch(f"/api/layers/{layer}/{fid}", headers=head,
                                            json={"properties": {}}))
            for answer in answers:
                assert answer.status_code == 200, (role, layer, answer.text)
                leaked = [r for r in raw if r in answer.text]
                if role == "admin":
                    assert leaked == list(raw), (layer, "admin reads raw text")
                else:
                    assert leaked == [], (role, layer, leaked)
                    assert PHONE in answer.text and PNR in answer.text
    road = client.get(f"/api/layers/risk_roads/{made['risk_roads']}",
                      headers=auth(tokens["rad"])).json()["properties"]
    assert road["road_ref"] == "E4" and road["provenance"] == "real"


def test_planning_page_scrubs_the_planners_notes(client, tokens: dict[str, str]) -> None:
    """The planning page draws candidate sites and risk roads: their names and notes are
    scrubbed for planerare (and anonymous visitors in demo mode), raw for admin."""
    _post(client, tokens["planerare"], "candidate_sites", {
        "name": "Rastficka Vivsta, markägare 070.123.45.67", "kind": "rastficka"})
    planner = client.get("/kartor/planering", headers=auth(tokens["planerare"]))
    admin = client.get("/kartor/planering", headers=auth(tokens["admin"]))
    assert planner.status_code == admin.status_code == 200
    assert "Rastficka Vivsta" in planner.text and "070.123.45.67" not in planner.text
    assert "070.123.45.67" in admin.text
