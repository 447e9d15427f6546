"""The audit trail (every write, import and sign-in, with account, role and versions) and soft
delete (gone from every read and count, restored by an admin), through the store, the API and
the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from fastapi.testclient import TestClient

from geo.errors import Conflict, NotFound
from store import Store
from store.accounts import User
from store.store import NotAllowed
from tests.conftest import SECRET, auth
from cli import cli

VIVSTA = (17.32583, 62.48694)
ADMIN = User(1, "Anna Admin", "admin")
PLANNER = User(2, "Per Planerare", "planerare")


def road(name: str = "Testvägen") -> gpd.GeoDataFrame:
    line = shapely.LineString([VIVSTA, (17.35, 62.5058)])
    return gpd.GeoDataFrame([{"name": name}], geometry=[line], crs="EPSG:4326")


def test_every_write_is_audited_with_actor_and_versions(store: Store) -> None:
    (fid,) = store.insert("risk_roads", road(), actor=PLANNER)
    store.update("risk_roads", fid, {"note": "ny"}, actor=PLANNER)
    store.delete("risk_roads", fid, actor=ADMIN)
    store.restore("risk_roads", fid, actor=ADMIN)
    rows = store.audit(layer="risk_roads")
    assert [(r["action"], r["actor"], r["role"], r["feature_id"], r["version_before"],
             r["version_after"]) for r in reversed(rows)] == [
        ("insert", "Per Planerare", "planerare", fid, None, 1),
        ("update", "Per Planerare", "planerare", fid, 1, 2),
        ("delete", "Anna Admin", "admin", fid, 2, 3),
        ("restore", "Anna Admin", "admin", fid, 3, 4),
    ]
    assert rows[-2]["details"] == {"fields": ["note"]}
    at = pd.Timestamp(rows[0]["at"])
    assert at.tzinfo is not None and at.utcoffset() == pd.Timedelta(0)
    store.insert("risk_roads", road("Systemvägen"))
    assert store.audit(limit=1)[0]["actor"] is None  # no actor: the system


def test_delete_is_soft_and_hides_the_feature_from_every_read(store: Store) -> None:
    ids = store.insert("risk_roads", pd.concat([road("A"), road("B")], ignore_index=True))
    store.delete("risk_roads", ids[0], actor=PLANNER)
    assert list(store.read("risk_roads").index) == [ids[1]]
    assert store.count("risk_roads") == 1 and store.counts()["risk_roads"] == 1
    with pytest.raises(NotFound):
        store.get("risk_roads", ids[0])
    with pytest.raises(NotFound):
        store.update("risk_roads", ids[0], {"note": "x"})
    with pytest.raises(NotFound):
        store.delete("risk_roads", ids[0])
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT count(*) FROM risk_roads").fetchone()[0] == 2  # still on disk
    con.close()

    with pytest.raises(NotAllowed, match="admin"):
        store.restore("risk_roads", ids[0], actor=PLANNER)
    store.restore("risk_roads", ids[0], actor=ADMIN)
    assert store.count("risk_roads") == 2
    assert store.get("risk_roads", ids[0])["version"].iloc[0] == 3
    with pytest.raises(NotFound, match="är inte borttaget"):
        store.restore("risk_roads", ids[0], actor=ADMIN)


def test_import_is_one_audit_row_with_counts(store: Store, tmp_path: Path) -> None:
    from services.imports import ImportOptions, import_layer_file

    path = tmp_path / "vagar.geojson"
    pd.concat([road("A"), road("B"), road("C")], ignore_index=True).to_file(path)
    import_layer_file(store, "risk_roads", path, actor=PLANNER)
    import_layer_file(store, "risk_roads", path, ImportOptions(replace=True), actor=ADMIN)
    first, second = store.audit(layer="risk_roads", limit=2)[::-1]
    assert (first["action"], first["actor"], first["details"]) == (
        "import", "Per Planerare", {"origin": "vagar.geojson", "inserted": 3})
    assert second["details"] == {"origin": "vagar.geojson", "inserted": 3, "replaced": True,
                                 "removed": 3}
    assert len(store.audit(layer="risk_roads")) == 2


def test_audit_since_limit_and_retention(store: Store) -> None:
    for name in "ABC":
        store.insert("risk_roads", road(name))
    assert len(store.audit(limit=2)) == 2
    assert store.audit(since="2999-01-01") == []
    con = sqlite3.connect(store.path)
    con.execute("UPDATE audit SET at = '2001-01-01T00:00:00.000+00:00' WHERE id = 1")
    con.commit()
    con.close()
    assert len(store.audit(since=pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1))) == 2
    store.close()
    reopened = Store.open(store.path, audit_retention_days=365)
    assert [r["id"] for r in reopened.audit()] == [3, 2]
    reopened.close()


def test_api_writes_and_sign_in_are_audited(client: TestClient, store: Store,
                                            tokens: dict[str, str]) -> None:
    planner = auth(tokens["planerare"])
    feature = {"type": "Feature", "properties": {"name": "Vägen"},
               "geometry": {"type": "LineString", "coordinates": [list(VIVSTA), [17.35, 62.5058]]}}
    (fid,) = client.post("/api/layers/risk_roads", json=feature, headers=planner).json()["ids"]
    assert client.patch(f"/api/layers/risk_roads/{fid}", headers=planner,
                        json={"properties": {"note": "x"}}).status_code == 200
    assert client.delete(f"/api/layers/risk_roads/{fid}", headers=planner).status_code == 204
    assert client.get(f"/api/layers/risk_roads/{fid}", headers=planner).status_code == 404
    assert client.post("/logga-in", data={"token": tokens["rad"]},
                       follow_redirects=False).status_code == 303
    rows = store.audit()
    assert [(r["action"], r["actor"], r["role"]) for r in reversed(rows)] == [
        ("insert", "test-planerare", "planerare"), ("update", "test-planerare", "planerare"),
        ("delete", "test-planerare", "planerare"), ("login", "test-rad", "rad")]


def test_cli_audit_and_restore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    store = Store.open(db)
    (fid,) = store.insert("risk_roads", road(), actor=PLANNER)
    store.delete("risk_roads", fid, actor=PLANNER)
    store.insert("patrol_zones", gpd.GeoDataFrame(
        [{"name": "Zon"}], geometry=[shapely.Point(VIVSTA).buffer(0.001)], crs="EPSG:4326"))
    runner = CliRunner()
    listing = runner.invoke(cli, ["audit", "--layer", "risk_roads"], catch_exceptions=False)
    assert listing.exit_code == 0, listing.output
    lines = listing.output.splitlines()
    assert len(lines) == 2 and "Per Planerare (planerare)" in lines[0] and " delete " in lines[0]
    as_json = json.loads(runner.invoke(cli, ["audit", "--json", "--limit", "1"]).output)
    assert [r["layer"] for r in as_json] == ["patrol_zones"]
    assert json.loads(runner.invoke(cli, ["audit", "--json", "--since", "2999-01-01"])
                      .output) == []

    restored = runner.invoke(cli, ["restore", "risk_roads", str(fid)], catch_exceptions=False)
    assert restored.exit_code == 0 and "återställt" in restored.output
    assert store.count("risk_roads") == 1
    assert store.audit(layer="risk_roads", limit=1)[0]["action"] == "restore"
    again = runner.invoke(cli, ["restore", "risk_roads", str(fid)])
    assert again.exit_code == 1 and again.stderr.startswith("Fel: ")
    store.close()


def test_delete_honours_if_match_without_leaking_hidden_versions(client: TestClient, store: Store,
                                                                  tokens: dict[str, str]) -> None:
    """DELETE with a stale ``If-Match`` answers 409 naming the current version and deletes
    nothing (checked in the delete's own transaction); the right one deletes; on a record the
    caller may not read it answers 404 whatever the version, as a GET would."""
    planner = auth(tokens["planerare"])
    feature = {"type": "Feature", "properties": {"name": "Vägen"},
               "geometry": {"type": "LineString", "coordinates": [list(VIVSTA), [17.35, 62.5058]]}}
    (fid,) = client.post("/api/layers/risk_roads", json=feature, headers=planner).json()["ids"]
    assert client.patch(f"/api/layers/risk_roads/{fid}", headers=planner,
                        json={"properties": {"note": "x"}}).json()["properties"]["version"] == 2
    stale = client.delete(f"/api/layers/risk_roads/{fid}", headers={**planner, "If-Match": '"1"'})
    assert stale.status_code == 409, stale.text
    assert "version 2, du hade 1" in stale.json()["error"]
    bad = client.delete(f"/api/layers/risk_roads/{fid}", headers={**planner, "If-Match": "x"})
    assert bad.status_code == 422
    assert store.count("risk_roads") == 1 and store.audit(limit=1)[0]["action"] == "update"
    assert client.delete(f"/api/layers/risk_roads/{fid}",
                         headers={**planner, "If-Match": 'W/"2"'}).status_code == 204
    assert store.count("risk_roads") == 0
    assert [r["action"] for r in store.audit(layer="risk_roads", limit=1)] == ["delete"]
    with pytest.raises(NotFound):  # deleted: not found, whatever the version
        store.delete("risk_roads", fid, expected_version=1)
    (other,) = store.insert("risk_roads", road("Andra"))
    with pytest.raises(Conflict, match="version 1, du hade 7"):
        store.delete("risk_roads", other, expected_version=7)
    assert store.count("risk_roads") == 1

    sensitive = store.insert("unsafe_places", gpd.GeoDataFrame(
        [{"category": "vald_i_nara_relation", "reported_at": "2024-05-10T12:00:00Z"}],
        geometry=[shapely.Point(VIVSTA)], crs="EPSG:4326"))[0]
    path = f"/api/layers/unsafe_places/{sensitive}"
    for version in (None, '"1"', '"2"'):
        headers = {**auth(tokens["rad"]), **({"If-Match": version} if version else {})}
        answer = client.delete(path, headers=headers)
        assert answer.status_code == 404, (version, answer.text)
        assert "version" not in answer.text
    assert store.count("unsafe_places") == 1
