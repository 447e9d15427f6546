"""The register page in Chromium (issue 12): the admin at 1400×900 adds actions at a gazetteer
place and at a point clicked on the map, edits one, meets a conflict and a bad due date in
Swedish and deletes one after confirming on the page; the council on a phone (390×844) edits an
action, has no delete button and nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.browser import PageLog
from tests.conftest import LiveServer
from tests.test_phone_layout import PHONE, no_sideways_scroll, phone_page

pytestmark = pytest.mark.browser
ENGLISH = ("invalid", "Input should", "is required", "field", "Not Found", "problem(s)")


def _signed_in(browser: Browser, server: LiveServer, role: str) -> tuple[Page, PageLog]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(60_000)
    log = PageLog(page, server.url)
    page.goto(server.url + "/", wait_until="load")
    page.click(f"text=Logga in som demo-{role}")
    page.wait_for_url(server.url + "/")
    page.goto(server.url + "/kartor/lofte", wait_until="load")
    return page, log


def _unexpected(errors: list[str]) -> list[str]:
    """Console errors other than the refused writes the test makes on purpose (422, 409)."""
    return [e for e in errors if not ("/api/lofte/atgarder" in e and (
        "status of 422" in e or "status of 409" in e))]


def _message(form) -> str:
    node = form.locator(".form-message")
    node.locator("xpath=self::*[normalize-space()]").wait_for()
    return node.inner_text()


def test_admin_adds_edits_and_deletes_actions(browser: Browser, live_demo: LiveServer) -> None:
    page, log = _signed_in(browser, live_demo, "admin")
    form = page.locator("form.add-action[data-commitment=fotpatrullering]")
    form.locator("input[name=what]").fill("Kvällspatrull i Söråker")
    form.locator("select[name=where]").select_option("named:Söråker")
    form.locator("input[name=due]").fill("1999-05-01")
    form.locator("button[type=submit]").click()
    refused = _message(form)
    assert refused.startswith("Kunde inte lägga till: Klart senast: 1999-05-01")
    assert not [w for w in ENGLISH if w in refused]
    form.locator("input[name=due]").fill("2024-12-20")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = page.locator("#c-fotpatrullering tr", has_text="Kvällspatrull i Söråker")
    assert "Söråker" in row.locator("td[data-label=Plats]").inner_text()

    # A point clicked on the small map.
    form = page.locator("form.add-action[data-commitment=fotpatrullering]")
    form.locator("input[name=what]").fill("Belysning vid busshållplatsen")
    form.locator("select[name=where]").select_option("point")
    form.locator("button[type=submit]").click()
    assert _message(form).startswith("Plats: klicka i kartan")
    page.locator("#place-map").click(position={"x": 150, "y": 100})
    form.locator(".form-message", has_text="Vald punkt").wait_for()
    form.locator("input[name=place]").fill("busshållplatsen")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    placed = page.locator("#c-fotpatrullering tr", has_text="Belysning vid busshållplatsen")
    assert placed.locator("td[data-label=Plats]").inner_text() == "busshållplatsen"

    # Edit text, owner and due date; then a stale edit (someone changed it meanwhile).
    row = page.locator("#c-fotpatrullering tr", has_text="Kvällspatrull i Söråker")
    row.locator("button.edit-action").click()
    edit = page.locator("form.edit-action-form")
    edit.locator("input[name=what]").fill("Kvällspatrull i Söråker centrum")
    edit.locator("select[name=owner]").select_option("kommunen")
    edit.locator("input[name=due]").fill("2024-12-31")
    with page.expect_navigation():
        edit.locator("button[type=submit]").click()
    row = page.locator("#c-fotpatrullering tr", has_text="Kvällspatrull i Söråker centrum")
    assert row.locator("td[data-label=Ansvarig]").inner_text() == "Timrå kommun"
    assert row.locator("td[data-label='Klart senast']").inner_text().startswith("2024-12-31")
    row.locator("button.edit-action").click()
    page.evaluate("""() => { const r = [...document.querySelectorAll('#c-fotpatrullering tr')]
        .find(tr => tr.dataset.what === 'Kvällspatrull i Söråker centrum');
        r.dataset.version = String(Number(r.dataset.version) - 1); }""")
    edit = page.locator("form.edit-action-form")
    edit.locator("input[name=what]").fill("Gammal version")
    edit.locator("button[type=submit]").click()
    assert _message(edit).startswith("Åtgärden har ändrats av någon annan")

    # Delete: the first press asks, the second deletes.
    page.reload(wait_until="load")
    row = page.locator("#c-fotpatrullering tr", has_text="Belysning vid busshållplatsen")
    button = row.locator("button.delete-action")
    button.click()
    assert button.inner_text() == "Ja, ta bort åtgärden"
    with page.expect_navigation():
        button.click()
    assert page.locator("#c-fotpatrullering tr", has_text="Belysning vid").count() == 0
    assert _unexpected(log.errors) == [] and log.dialogs == []
    page.close()


def test_council_edits_on_a_phone_and_cannot_delete(browser: Browser,
                                                     live_demo: LiveServer) -> None:
    page, log = phone_page(browser, live_demo, "rad")
    page.goto(live_demo.url + "/kartor/lofte", wait_until="load")
    assert page.locator("button.delete-action").count() == 0
    assert "demo-rad" not in page.locator("header.top .who strong").inner_text()
    no_sideways_scroll(page)
    row = page.locator("#c-fotpatrullering tbody tr").first
    what = row.get_attribute("data-what") or ""
    row.locator("button.edit-action").tap()
    edit = page.locator("form.edit-action-form")
    edit.locator("input[name=what]").fill(what + " (ändrad)")
    edit.locator("input[name=due]").fill("2099-01-01")
    edit.locator("button[type=submit]").tap()
    late = _message(edit)
    assert "Klart senast: 2099-01-01 ligger mer än 3 år fram" in late
    assert not [w for w in ENGLISH if w in late]
    no_sideways_scroll(page)
    edit.locator("input[name=due]").fill("2024-11-30")
    with page.expect_navigation():
        edit.locator("button[type=submit]").tap()
    assert page.locator("#c-fotpatrullering td", has_text=what + " (ändrad)").count() == 1
    assert _unexpected(log.errors) == [] and log.dialogs == []
    assert page.viewport_size == PHONE
    page.close()
