"""`trygg events poll` as a use-case: the police API's limits (10 s between calls, 60 an hour,
1,440 a day) kept across restarts, idempotent rounds, failures that change nothing, and real
HTTP against a local server in the API's format. Time is a fake clock: nothing waits for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo.errors import ImportRejected
from geo.events import read_events
from geo.gazetteer import read_gazetteer
from services.event_polling import PollIO, poll_events
from sources.polisen import CallLimits, CallLog, fetch_events
from store.store import Store
from tests.feeds import events_feed

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class FakeTime:
    """A clock that moves only when the poller sleeps."""

    def __init__(self, start: float = 1_730_000_000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture()
def timra_events() -> list[dict[str, Any]]:
    return read_events(SHARED_DATA / "polisen_events_timra_2023_2024.json")


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "trygg.sqlite")
    s.insert("gazetteer", read_gazetteer(SHARED_DATA / "timra_gazetteer.json"), origin="test")
    yield s
    s.close()


def test_call_log_keeps_every_limit() -> None:
    limits = CallLimits()
    log = CallLog()
    t0 = 1_000_000.0
    assert log.wait_s(t0, limits) == 0
    log.record(t0)
    assert log.wait_s(t0 + 3, limits) == pytest.approx(7)
    assert log.wait_s(t0 + 10, limits) == 0
    for i in range(1, 60):  # 60 calls in 59 × 10 s
        log.record(t0 + 10 * i)
    assert log.wait_s(t0 + 600, limits) == pytest.approx(3_000)  # the 61st waits an hour
    day = CallLog(calls=[t0 + 60.0 * i for i in range(1440)])  # one a minute for a day
    assert day.wait_s(t0 + 86_340, limits) == pytest.approx(60)
    with pytest.raises(ValueError, match="10 s"):
        CallLimits(min_interval_s=5)
    with pytest.raises(ValueError):
        CallLimits(per_hour=61)


def test_rounds_wait_and_are_idempotent(store: Store, tmp_path: Path,
                                        timra_events: list[dict[str, Any]]) -> None:
    latest = timra_events[:40]
    fake = FakeTime()
    io = PollIO(fetch=lambda url: latest, clock=fake.clock, sleep=fake.sleep)
    state = tmp_path / "poll.json"
    rounds = poll_events(store, state_path=state, municipality="Timrå", rounds=3, io=io)
    assert rounds[0].inserted == len(latest) and rounds[0].waited_s == 0
    assert [r.inserted for r in rounds[1:]] == [0, 0]  # nothing new: nothing added
    assert [r.updated for r in rounds[1:]] == [0, 0]
    assert fake.slept == [pytest.approx(10), pytest.approx(10)]
    assert len(store.read("events")) == len(latest)

    # A restarted poller keeps the limits: its first call waits the rest of the interval.
    fake.now += 4
    again = poll_events(store, state_path=state, municipality="Timrå", rounds=1, io=io)
    assert again[0].waited_s == pytest.approx(6)
    assert len(CallLog.load(state).calls) == 4


def test_a_failed_call_changes_nothing_and_the_next_round_goes_on(
        store: Store, tmp_path: Path, timra_events: list[dict[str, Any]]) -> None:
    answers: list[Any] = [ImportRejected("http://x: the server answered HTTP 503"),
                          [{"id": "not an event"}], timra_events[:5]]

    def fetch(url: str) -> list[dict[str, Any]]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    fake = FakeTime()
    rounds = poll_events(store, state_path=tmp_path / "p.json", municipality="Timrå", rounds=3,
                         io=PollIO(fetch=fetch, clock=fake.clock, sleep=fake.sleep))
    assert rounds[0].error and "503" in rounds[0].error
    assert rounds[1].error and rounds[1].inserted == 0
    assert rounds[2].error is None and rounds[2].inserted == 5
    assert len(store.read("events")) == 5


def test_other_municipalities_are_not_kept(store: Store, tmp_path: Path,
                                           timra_events: list[dict[str, Any]]) -> None:
    other = [dict(e, id=e["id"] + 10**9, name=e["name"].replace("Timrå", "Sundsvall"),
                  location={"name": "Sundsvall", "gps": "62.390811,17.306927"})
             for e in timra_events[:3]]
    fake = FakeTime()
    rounds = poll_events(store, state_path=tmp_path / "p.json", municipality="Timrå", rounds=1,
                         io=PollIO(fetch=lambda url: other + timra_events[:2], clock=fake.clock,
                                   sleep=fake.sleep))
    assert (rounds[0].served, rounds[0].kept, rounds[0].inserted) == (5, 2, 2)


def test_polls_a_real_http_server(store: Store, tmp_path: Path,
                                  timra_events: list[dict[str, Any]]) -> None:
    seen: list[str] = []
    with events_feed(timra_events[:7], seen=seen) as base:
        fake = FakeTime()
        rounds = poll_events(store, state_path=tmp_path / "p.json", municipality="Timrå",
                             rounds=2, url=base + "/api/events",
                             io=PollIO(fetch=fetch_events, clock=fake.clock, sleep=fake.sleep))
    assert [r.inserted for r in rounds] == [7, 0]
    assert len(seen) == 2 and all(ua.startswith("trygg/") for ua in seen)


def test_a_full_answer_newer_than_the_last_round_warns_of_a_gap(
        store: Store, tmp_path: Path, timra_events: list[dict[str, Any]]) -> None:
    first = timra_events[:3]
    newest = max(e["id"] for e in first)
    full = [dict(timra_events[i % len(timra_events)], id=newest + 1 + i) for i in range(500)]
    overlapping = [*first[-1:], *full[:499]]
    answers = [first, full, overlapping]
    fake = FakeTime()
    rounds = poll_events(store, state_path=tmp_path / "p.json", municipality="Timrå", rounds=3,
                         io=PollIO(fetch=lambda url: answers.pop(0), clock=fake.clock,
                                   sleep=fake.sleep))
    assert [r.maybe_missed for r in rounds] == [False, True, False]


def test_trygg_events_poll_over_real_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          timra_events: list[dict[str, Any]]) -> None:
    from click.testing import CliRunner

    from cli import cli

    db = tmp_path / "cli.sqlite"
    monkeypatch.setenv("TRYGG_DB", str(db))
    s = Store.open(db)
    s.insert("gazetteer", read_gazetteer(SHARED_DATA / "timra_gazetteer.json"), origin="test")
    s.close()
    with events_feed(timra_events[:9]) as base:
        result = CliRunner().invoke(cli, ["events", "poll", "--rounds", "1", "--url",
                                          base + "/api/events", "--municipality", "Timrå"],
                                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "9 händelser hämtade, 9 i Timrå: 9 nya, 0 uppdaterade" in result.output
    assert len(CallLog.load(tmp_path / "events_poll.json").calls) == 1
