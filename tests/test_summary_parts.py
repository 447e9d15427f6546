"""Police summaries that name several places (issue 14): a "Sammanfattning natt" naming places in
different sentences is stored as one record per sentence (part 1, 2, …, at each place), one
naming several places in one sentence stays one record of precision "several"; the events' key
is (event_id, part), so importing or polling again changes nothing, on SQLite and PostGIS.
Migration 0010 gives the events of an older store part 0. The report and the comparison across
municipalities count a split summary as one police event; its parts are drawn at their places."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from cli import cli
from geo.area_comparison import area_comparison
from geo.errors import Conflict, ImportRejected
from geo.gazetteer import read_gazetteer
from geo.promise import load_promise
from geo.report import indicator_value, report_figures
from services.event_polling import PollIO, poll_events
from services.imports import ingest_events
from services.report import make_report, promise_path
from store import Store
from store.migrations.runner import store_engine, upgrade
from tests import pg
from tests.conftest import SECRET
from tests.feeds import events_feed
from trygg.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
GAZETTEER = DATA / "timra" / "gazetteer.json"
TIMRA_GPS = "62.486943,17.325833"  # the API's point of Timrå: the municipality's centre

SPLIT = (
    "Inbrott i en villa i Sörberge under natten. Bråk utanför en pub i Vivsta, en person "
    "omhändertogs.")
TOGETHER = "Bråk i Sörberge och i Vivsta under natten."


def _event(event_id: int, kind: str, summary: str) -> dict[str, Any]:
    """One event as the Police open API serves it (polisen.se/api/events)."""
    return {"id": event_id, "datetime": "2024-03-02 6:40:12 +01:00",
            "name": f"02 mars 06:30, {kind}, Timrå", "summary": summary,
            "url": f"/aktuellt/handelser/2024/mars/02/{event_id}/", "type": kind,
            "location": {"name": "Timrå", "gps": TIMRA_GPS}}


def _feed(split_summary: str = SPLIT) -> list[dict[str, Any]]:
    return [
        _event(501, "Sammanfattning natt", split_summary),
        _event(502, "Sammanfattning natt", TOGETHER),
        _event(503, "Trafikolycka", "Trafikolycka på E4 vid Sörberge, två bilar."),
    ]


def _write(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    return path


def _rows(store: Store) -> pd.DataFrame:
    """The stored events (deleted ones too) with their store columns, by (event_id, part)."""
    with store.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, event_id, part, version, updated_at, deleted_at, place, precision, "
            "summary FROM events ORDER BY event_id, part")).mappings().all()
    return pd.DataFrame([dict(r) for r in rows])


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A store with the Timrå gazetteer: a SQLite file, or a PostGIS database."""
    target: str | Path = tmp_path / "trygg.sqlite"
    if request.param == "postgis":
        cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
        target = cluster.fresh_store()
    s = Store.open(target)
    s.insert("gazetteer", read_gazetteer(GAZETTEER), origin="test")
    yield s
    s.close()


def test_a_summary_naming_places_in_two_sentences_is_two_records_at_those_places(
        store: Store, tmp_path: Path) -> None:
    source = _write(tmp_path / "handelser.json", _feed())
    first = ingest_events(store, source, municipality="Timrå")
    assert (first.inserted, first.updated) == (4, 0)  # 2 parts, 1 "several", 1 plain event

    events = store.read("events").sort_values(["event_id", "part"])
    assert list(zip(events["event_id"], events["part"], strict=True)) == [
        (501, 1), (501, 2), (502, 0), (503, 0)]
    places = store.read("gazetteer").set_index("name").geometry
    parts = events[events["event_id"] == 501]
    assert parts["place"].tolist() == ["Sörberge", "Vivsta"]
    assert parts["precision"].tolist() == ["locality", "locality"]
    assert parts["summary"].tolist() == ["Inbrott i en villa i Sörberge under natten.",
                                         "Bråk utanför en pub i Vivsta, en person omhändertogs."]
    assert parts.geometry.iloc[0].equals(places["Sörberge"])
    assert parts.geometry.iloc[1].equals(places["Vivsta"])
    assert set(parts["type"]) == {"Sammanfattning natt"} and set(parts["time"].astype(str)) == {
        "2024-03-02 05:40:12+00:00"}

    together = events[events["event_id"] == 502].iloc[0]
    assert (together["part"], together["precision"]) == (0, "several")
    assert together["place"] == "Sörberge, Vivsta"
    assert together["summary"] == TOGETHER
    plain = events[events["event_id"] == 503].iloc[0]
    assert (plain["part"], plain["precision"], plain["place"]) == (0, "locality", "Sörberge")

    before = _rows(store)
    again = ingest_events(store, source, municipality="Timrå")
    assert (again.inserted, again.updated) == (0, 0)
    pd.testing.assert_frame_equal(_rows(store), before)  # same ids, versions and times


def test_polling_a_feed_with_a_summary_again_changes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "trygg.sqlite")
    store.insert("gazetteer", read_gazetteer(GAZETTEER), origin="test")
    now = [1_730_000_000.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with events_feed(_feed()) as base:
        io = PollIO(clock=lambda: now[0], sleep=sleep)  # the real fetch over HTTP
        rounds = poll_events(store, state_path=tmp_path / "poll.json", municipality="Timrå",
                             rounds=2, url=f"{base}/api/events", io=io)
    assert [(r.served, r.kept, r.inserted, r.updated, r.error) for r in rounds] == [
        (3, 3, 4, 0, None), (3, 3, 0, 0, None)]
    stored = _rows(store)
    assert stored[["event_id", "part"]].values.tolist() == [[501, 1], [501, 2], [502, 0],
                                                            [503, 0]]
    assert set(stored["version"]) == {1}
    store.close()


def test_cli_events_ingest_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    monkeypatch.setenv("TRYGG_SECRET", SECRET)
    runner = CliRunner()
    store = Store.open(db)
    store.insert("gazetteer", read_gazetteer(GAZETTEER), origin="test")
    store.close()
    source = str(_write(tmp_path / "natt.json", _feed()))
    first = runner.invoke(cli, ["events", "ingest", source, "--municipality", "Timrå"],
                          catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "4 nya händelser, 0 uppdaterade" in first.output
    again = runner.invoke(cli, ["events", "ingest", source, "--municipality", "Timrå"],
                          catch_exceptions=False)
    assert "0 nya händelser, 0 uppdaterade" in again.output
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM events").fetchone() == (
        4, 3)
    con.close()
    printed = runner.invoke(cli, ["events", "geocode", source, "--gazetteer", str(GAZETTEER)],
                            catch_exceptions=False)
    features = json.loads(printed.output)["features"]
    assert [(f["id"], f["properties"]["id"], f["properties"].get("part"))
            for f in features] == [("501-1", 501, 1), ("501-2", 501, 2), (502, 502, None),
                                   (503, 503, None)]


def test_a_summary_split_later_or_no_longer_leaves_no_stale_part(store: Store,
                                                                  tmp_path: Path) -> None:
    """The police edit their events: a summary first published with one sentence and then
    with two (or back) keeps exactly the records its text gives now."""
    short = "Ett urval av nattens polisverksamhet."
    ingest_events(store, _write(tmp_path / "a.json", _feed(short)), municipality="Timrå")
    whole = _rows(store)
    assert whole[whole["event_id"] == 501][["part", "precision"]].values.tolist() == [
        [0, "municipality"]]

    ingest_events(store, _write(tmp_path / "b.json", _feed()), municipality="Timrå")
    split = _rows(store)
    assert split[split["event_id"] == 501]["part"].tolist() == [1, 2]
    pd.testing.assert_frame_equal(split[split["event_id"] != 501].reset_index(drop=True),
                                  whole[whole["event_id"] != 501].reset_index(drop=True))
    audit = store.audit(layer="events", limit=1)[0]
    assert audit["action"] == "import"
    assert audit["details"]["removed"] == 1

    ingest_events(store, _write(tmp_path / "c.json", _feed(short)), municipality="Timrå")
    back = _rows(store)
    assert back[back["event_id"] == 501][["part", "precision"]].values.tolist() == [
        [0, "municipality"]]
    assert len(back) == len(whole)


def test_a_deleted_summary_stays_deleted_when_it_is_split(store: Store, tmp_path: Path) -> None:
    short = "Ett urval av nattens polisverksamhet."
    ingest_events(store, _write(tmp_path / "a.json", _feed(short)), municipality="Timrå")
    (fid,) = _rows(store).query("event_id == 501")["id"]
    store.delete("events", int(fid))
    ingest_events(store, _write(tmp_path / "b.json", _feed()), municipality="Timrå")
    parts = _rows(store).query("event_id == 501")
    assert parts["part"].tolist() == [1, 2] and parts["deleted_at"].notna().all()
    assert 501 not in set(store.read("events")["event_id"])


def test_the_key_is_event_id_and_part(store: Store, tmp_path: Path) -> None:
    ingest_events(store, _write(tmp_path / "a.json", _feed()), municipality="Timrå")
    one = store.read("events").query("event_id == 503")
    with pytest.raises(ImportRejected, match=r"event_id, part: \(503, 0\) finns redan i lagret"):
        store.insert("events", one, origin="dubblett.geojson")
    store.insert("events", one.assign(part=3), origin="del.geojson")  # another part: its own
    assert sorted(store.read("events").query("event_id == 503")["part"]) == [0, 3]
    with pytest.raises(ImportRejected, match="Del av sammanfattning"):
        store.insert("events", one.assign(part=-1), origin="negativ.geojson")
    (third,) = store.read("events").query("event_id == 503 and part == 3").index
    with pytest.raises(Conflict, match=r"event_id, part: \(503, 0\) finns redan i events"):
        store.update("events", int(third), {"part": 0})
    store.update("events", int(third), {"part": 4})  # a free key: changed
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the database's own key
        conn.execute(text("UPDATE events SET part = 0 WHERE event_id = 503 AND part = 4"))


def test_the_report_and_the_comparison_count_a_split_summary_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "trygg.sqlite")
    store.insert("gazetteer", read_gazetteer(GAZETTEER), origin="test")
    ingest_events(store, _write(tmp_path / "a.json", _feed()), municipality="Timrå")
    report = make_report(store, load_promise(promise_path(DATA)), first=date(2024, 3, 1),
                         last=date(2024, 3, 31))
    figures = report_figures(report)
    assert indicator_value(figures, "trygghetsskapande", "events") == 3  # police events
    assert indicator_value(figures, "trygghetsskapande", "events:Sammanfattning natt") == 2
    (section,) = [s for s in report.sections if s.commitment.id == "trygghetsskapande"]
    drawn = section.map_layers["events"]  # each part at its place; "several" is not drawn
    assert sorted(zip(drawn["event_id"], drawn["part"], strict=True)) == [(501, 1), (501, 2),
                                                                          (503, 0)]

    events = store.read("events").assign(kommunkod="2262")
    table = area_comparison(events, {"2262": "Timrå"}, first=date(2024, 3, 1),
                            last=date(2024, 3, 31)).counts
    assert table.loc["Sammanfattning natt", "2262"] == 2
    assert table.loc["Trafikolycka", "2262"] == 1
    store.close()


# --- migration 0010 ------------------------------------------------------------------------------

def _event_at_0009(db: str | Path) -> None:
    """One event written as a store at revision 0009 holds it (no part column)."""
    point = shapely.Point(621_000.0, 6_925_000.0)
    engine = store_engine(db)
    geometry = ("ST_GeomFromWKB(:g, 3006)" if engine.dialect.name == "postgresql" else ":g")
    try:
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO events (geometry, minx, miny, maxx, maxy, created_at, updated_at, "
                "version, event_id, type, time, name, summary, url, place, precision, "
                "municipality, provenance, source, kommunkod) VALUES "
                f"({geometry}, :x, :y, :x, :y, '2024-03-02T05:40:12+00:00', "
                "'2024-03-02T05:40:12+00:00', 1, 501, 'Sammanfattning natt', "
                "'2024-03-02T05:40:12+00:00', 'natt', :s, '/x/', 'Sörberge, Vivsta', "
                "'several', 'Timrå', 'real', 'test', '2262')"),
                {"g": shapely.to_wkb(point), "x": point.x, "y": point.y, "s": SPLIT})
    finally:
        engine.dispose()


def _assert_upgraded_events_are_part_0(db: str | Path) -> None:
    store = Store.open(db)
    events = store.read("events")
    assert events[["event_id", "part", "place"]].values.tolist() == [
        [501, 0, "Sörberge, Vivsta"]]
    store.insert("events", events.assign(part=1, place="Sörberge"), origin="del.geojson")
    with pytest.raises(ImportRejected, match=r"\(501, 0\) finns redan"):
        store.insert("events", events, origin="igen.geojson")
    assert store.count("events") == 2
    store.close()


def test_0010_gives_the_events_of_a_sqlite_store_part_0(tmp_path: Path) -> None:
    path = tmp_path / "trygg.sqlite"
    upgrade(path, to_revision="0009")
    _event_at_0009(path)
    done = upgrade(path)
    assert (done.from_revision, done.backup is not None) == ("0009", True)
    _assert_upgraded_events_are_part_0(path)
    con = sqlite3.connect(path)
    (sql,) = con.execute("SELECT sql FROM sqlite_master WHERE name = 'events'").fetchone()
    con.close()
    assert "UNIQUE (event_id, part)" in sql and "event_id INTEGER NOT NULL UNIQUE" not in sql


def test_0010_gives_the_events_of_a_postgis_store_part_0(pg_cluster: pg.Cluster) -> None:
    url = pg_cluster.empty_database()
    name = url.split("/")[3].split("?")[0]
    with pg_cluster.connect(name) as conn:
        conn.execute("CREATE EXTENSION postgis")
    upgrade(url, to_revision="0009")
    _event_at_0009(url)
    assert upgrade(url).from_revision == "0009"
    _assert_upgraded_events_are_part_0(url)
    with pg_cluster.connect(name) as conn:
        keys = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'events'::regclass AND contype = 'u'").fetchall()
    assert keys == [("uq_events_event_id_part", "UNIQUE (event_id, part)")]


RAPE = ("Inbrott i en villa i Sörberge under natten. En kvinna anmäler en våldtäkt i Vivsta, "
        "en man är gripen.")


def test_a_summary_part_telling_of_a_sexual_offence_reaches_police_roles_only(
        store: Store, tmp_path: Path) -> None:
    """A summary is typed "Sammanfattning natt", whatever it tells of: the part (and a whole
    summary) whose text tells of a sexual offence is kept sensitive, so the council's reads, the
    SQL pages and counts leave it out, the police's keep it; an edit that tells of violence in a
    close relationship makes a summary sensitive, never another type."""
    from services.access import fit_frame

    ingest_events(store, _write(tmp_path / "h.json", _feed(RAPE)), municipality="Timrå")
    events = store.read("events").sort_values(["event_id", "part"])
    parts = events[events["event_id"] == 501]
    assert parts["sensitive"].tolist() == [False, True]
    assert not events[events["event_id"] != 501]["sensitive"].any()
    hidden = int(parts.index[1])
    council = fit_frame("events", events, "rad")
    assert hidden not in council.index and len(council) == len(events) - 1
    assert hidden in fit_frame("events", events, "planerare").index
    page, matched = store.read_page("events", limit=None, hide_sensitive=True)
    assert matched == len(events) - 1 and hidden not in page.index
    assert store.count("events", hide_sensitive=True) == len(events) - 1
    # A sensitive record stays so when its text is edited, until someone clears the flag; a
    # text that tells of an offence cannot be cleared.
    store.update("events", hidden, {"sensitive": False})
    assert store.get("events", hidden)["sensitive"].iloc[0]
    store.update("events", hidden, {"summary": "Bråk utanför en pub i Vivsta."})
    assert store.get("events", hidden)["sensitive"].iloc[0]
    store.update("events", hidden, {"sensitive": False})
    assert not store.get("events", hidden)["sensitive"].iloc[0]
    together = int(events[events["event_id"] == 502].index[0])
    store.update("events", together, {"summary": "Misshandel i en nära relation i Sörberge."})
    assert store.get("events", together)["sensitive"].iloc[0]
    assert store.read_page("events", limit=None, hide_sensitive=True)[1] == len(events) - 1
    plain = int(events[events["event_id"] == 503].index[0])  # not a summary: its type decides
    store.update("events", plain, {"summary": "Misshandel i en nära relation i Sörberge."})
    assert not store.get("events", plain)["sensitive"].iloc[0]
