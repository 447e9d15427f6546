"""The page scripts' shared helpers (/static/trygg.js) in headless Chromium: Stockholm dates and
instants across both clock changes and around midnight, Swedish numbers, and the API error
carried as an Error with the Swedish text, its code and status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import open_page
from tests.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_stockholm_time_helpers_across_clock_changes_and_midnight(
        browser: Browser, live_demo: LiveServer) -> None:
    page, log = open_page(browser, live_demo, "/kartor/planering")
    page.wait_for_function("() => window.Trygg !== undefined")
    got = page.evaluate("""() => {
        const T = window.Trygg;
        const plus = (d, t, h) => T.stockholmIso(
            new Date(T.stockholmInstant(d, t).getTime() + h * 3600000));
        return {
            winter: T.stockholmIso(T.stockholmInstant("2024-03-05", "22:00")),
            summer: T.stockholmIso(T.stockholmInstant("2024-07-01", "00:30")),
            // 2024-10-27: 03:00 summer time becomes 02:00; two hours from 01:30 end at 02:30 (+01).
            autumn: plus("2024-10-27", "01:30", 2),
            // 2024-03-31: 02:00 becomes 03:00; two hours from 01:30 end at 04:30 (+02).
            spring: plus("2024-03-31", "01:30", 2),
            after_midnight_summer: T.stockholmToday(new Date("2024-06-30T22:30:00Z")),
            before_midnight_winter: T.stockholmToday(new Date("2024-01-15T22:59:00Z")),
            after_midnight_winter: T.stockholmToday(new Date("2024-01-15T23:00:00Z")),
            text: T.stockholmText("2024-09-01T16:03:30Z"),
            num: T.num(1234567.891), fixed: T.fixed(0.2834, 2), pct: T.pct(0.0951),
        };
    }""")
    assert got["winter"] == "2024-03-05T22:00:00+01:00"
    assert got["summer"] == "2024-07-01T00:30:00+02:00"
    assert got["autumn"] == "2024-10-27T02:30:00+01:00"
    assert got["spring"] == "2024-03-31T04:30:00+02:00"
    assert got["after_midnight_summer"] == "2024-07-01"
    assert got["before_midnight_winter"] == "2024-01-15"
    assert got["after_midnight_winter"] == "2024-01-16"
    assert got["text"] == "2024-09-01 18:03"
    assert got["num"].replace("\u00a0", " ").replace("\u202f", " ") == "1 234 567,9"
    assert got["fixed"] == "0,28" and got["pct"] == "9,5 %"
    assert log.errors == [] and log.dialogs == []
    page.close()


def test_api_errors_reach_the_page_as_errors_with_text_and_status(
        browser: Browser, live_demo: LiveServer) -> None:
    page, _ = open_page(browser, live_demo, "/kartor/planering")
    page.wait_for_function("() => window.Trygg !== undefined")
    got = page.evaluate("""async () => {
        try { await window.Trygg.api("/api/layers/no_such_layer"); return null; }
        catch (e) { return {message: e.message, status: e.status}; }
    }""")
    assert got is not None and got["status"] == 404 and got["message"]
    page.close()
