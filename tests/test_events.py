"""Reading and parsing police events (geo.events) on the real shared data and small inline cases."""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import ImportRejected
from geo.events import (
    EVENT_COLUMNS,
    event_municipality,
    filter_municipality,
    parse_events,
    read_events,
)
from sources.polisen import fetch_events
from tests.feeds import events_feed

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TIMRA_EVENTS = "polisen_events_timra_2023_2024.json"
SWEDEN_EVENTS = "polisen_events_sweden_2022_2024.jsonl.gz"


@pytest.fixture(scope="module")
def shared_data() -> Path:
    """The real shared data folder; skip when this checkout does not have it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is missing (real police events needed)")
    return SHARED_DATA


def _event(**overrides: object) -> dict:
    event = {
        "id": 410834,
        "datetime": "2023-03-22 7:28:40 +01:00",
        "name": "22 mars 06:50, Trafikolycka, Timrå",
        "summary": "Trafikolycka på E4 vid Timrå.",
        "url": "/aktuellt/handelser/2023/mars/22/22-mars-0650-trafikolycka-timra/",
        "type": "Trafikolycka",
        "location": {"name": "Timrå", "gps": "62.485456,17.324865"},
    }
    event.update(overrides)
    return event


# --- real data --------------------------------------------------------------------------------

def test_real_timra_events_parse(shared_data: Path) -> None:
    raw = read_events(shared_data / TIMRA_EVENTS)
    df = parse_events(raw, origin=TIMRA_EVENTS)
    assert len(df) == 159
    assert list(df.columns) == list(EVENT_COLUMNS)
    assert df["event_id"].dtype == "int64" and df["event_id"].is_unique
    assert str(df["time"].dt.tz) == "UTC"
    assert df["time"].notna().all()
    assert (df["municipality"] == "Timrå").all()
    assert df["url"].str.startswith("https://polisen.se/aktuellt/handelser/").all()
    assert df["gps_lat"].round(6).eq(62.485456).all() and df["gps_lon"].round(6).eq(17.324865).all()
    first = df.iloc[0]
    assert first["event_id"] == 410834
    assert first["time"] == pd.Timestamp("2023-03-22 06:28:40", tz="UTC")


def test_real_sweden_jsonl_gz_holds_the_timra_events(shared_data: Path) -> None:
    raw = read_events(shared_data / SWEDEN_EVENTS)
    assert len(raw) == 45075
    df = parse_events(raw, origin=SWEDEN_EVENTS)
    timra = filter_municipality(df, "timrå")
    timra_file = parse_events(read_events(shared_data / TIMRA_EVENTS), origin=TIMRA_EVENTS)
    assert set(timra["event_id"]) == set(timra_file["event_id"])
    assert list(timra.index) == list(range(len(timra)))
    # County-level events keep the county as their area.
    assert df["municipality"].str.endswith(" län").any()


# --- inline cases -----------------------------------------------------------------------------

def test_hour_without_leading_zero() -> None:
    df = parse_events([_event(datetime="2023-03-22 7:28:40 +01:00"),
                       _event(id=2, datetime="2024-12-31 9:56:00 +01:00"),
                       _event(id=3, datetime="2024-06-01 23:05:00 +02:00")], origin="inline")
    assert list(df["time"]) == [
        pd.Timestamp("2023-03-22 06:28:40", tz="UTC"),
        pd.Timestamp("2024-12-31 08:56:00", tz="UTC"),
        pd.Timestamp("2024-06-01 21:05:00", tz="UTC"),
    ]


def test_2026_county_location_takes_municipality_from_name() -> None:
    event = _event(
        id=612345, datetime="2026-02-10 14:05:00 +01:00",
        name="10 februari 13.40, Trafikkontroll, Timrå", type="Trafikkontroll",
        summary="Laggarberg, trafikkontroll vid länsväg 631",
        location={"name": "Västernorrlands län", "gps": "62.636768,17.940513"},
    )
    df = parse_events([event, _event(id=1)], origin="inline")
    assert list(df["municipality"]) == ["Timrå", "Timrå"]
    assert math.isclose(df.loc[0, "gps_lat"], 62.636768)
    assert len(filter_municipality(df, "Timrå")) == 2


def test_county_level_event_keeps_the_county() -> None:
    assert event_municipality("15 oktober 09:03, Mord/dråp, Västra Götalands län",
                              "Västra Götalands län") == "Västra Götalands län"
    assert event_municipality("x", "Sundsvall") == "Sundsvall"


def test_tolerates_real_quirks() -> None:
    event = _event(url="https://polisen.se/x/", extra_field={"a": 1})
    del event["summary"]
    minimal = {"id": "7", "datetime": "2024-01-01 0:00:00 +01:00", "type": "Övrigt"}
    df = parse_events([event, minimal], origin="inline")
    assert list(df["summary"]) == ["", ""]
    assert df.loc[0, "url"] == "https://polisen.se/x/"
    assert df.loc[1, "event_id"] == 7
    assert df.loc[1, "municipality"] == ""
    assert math.isnan(df.loc[1, "gps_lat"])


def test_empty_input_gives_typed_empty_frame() -> None:
    df = parse_events([], origin="inline")
    assert list(df.columns) == list(EVENT_COLUMNS) and len(df) == 0
    assert str(df["time"].dt.tz) == "UTC"


def test_every_problem_is_listed() -> None:
    raw = [_event(), _event(id=None), _event(datetime="yesterday", type=""), "not an event"]
    with pytest.raises(ImportRejected) as info:
        parse_events(raw, origin="feed.json")
    details = info.value.details
    assert "feed.json, händelse 1: id" in details[0]
    assert any(d.startswith("feed.json, händelse 2: datetime") for d in details)
    assert any(d.startswith("feed.json, händelse 2: type") for d in details)
    assert any(d.startswith("feed.json, händelse 3:") for d in details)
    assert len(details) == 4
    assert "4 fel i feed.json" in info.value.message


def test_reads_list_jsonl_and_gzip(tmp_path: Path) -> None:
    events = [_event(), _event(id=2)]
    as_list = tmp_path / "events.json"
    as_list.write_text(json.dumps(events, ensure_ascii=False), encoding="utf-8")
    as_lines = tmp_path / "events.jsonl"
    as_lines.write_text("\n".join(json.dumps(e) for e in events) + "\n\n", encoding="utf-8")
    gz = tmp_path / "events.jsonl.gz"
    gz.write_bytes(gzip.compress(as_lines.read_bytes()))
    gz_list = tmp_path / "events.json.gz"
    gz_list.write_bytes(gzip.compress(as_list.read_bytes()))
    for path in (as_list, as_lines, gz, gz_list):
        assert read_events(path) == events, path
    assert read_events(str(as_list)) == events


def test_bad_json_names_file_and_position(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[\n {"id": 1,\n  "type": }\n]', encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"broken\.json: fel i JSON på rad 3, kolumn 11"):
        read_events(broken)
    lines = tmp_path / "broken.jsonl"
    lines.write_text(json.dumps(_event()) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"broken\.jsonl: fel i JSON på rad 2, kolumn 2"):
        read_events(lines)
    with pytest.raises(ImportRejected, match="missing.json: filen går inte att läsa"):
        read_events(tmp_path / "missing.json")
    not_events = tmp_path / "numbers.json"
    not_events.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ImportRejected, match="är inga objekt"):
        read_events(not_events)


@pytest.fixture()
def local_feed() -> Iterator[str]:
    """A local HTTP server serving the API's list format at /api/events."""
    with events_feed([_event()]) as url:
        yield url


def test_reads_url(local_feed: str) -> None:
    raw = fetch_events(local_feed + "/api/events")
    assert parse_events(raw, origin="feed")["event_id"].tolist() == [410834]
    with pytest.raises(ImportRejected, match="HTTP 404"):
        fetch_events(local_feed + "/nothing")
