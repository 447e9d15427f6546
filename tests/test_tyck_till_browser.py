"""The whole Tyck till flow in Chromium on a phone (390 × 844): an anonymous resident reports a
place on the map, a planner edits and approves it on the moderation page, and it appears on the
council's unsafe-places map, in its layer and in /api/hotspots, and after the admin publishes
a kept report, on /folj-med; a rejected report never does."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from services.tips import form_token
from tests.browser import PageLog
from tests.conftest import SECRET, LiveServer

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
HOTSPOTS = "/api/hotspots?from=2022-01-01&to=2030-12-31"
SENT = "Helt mörkt vid gångtunneln under järnvägen, ring mig på 070-123 45 67"
APPROVED = "Helt mörkt vid gångtunneln under järnvägen (granskad)"
REJECTED = "Köp billiga klockor på nätet"


def phone(browser: Browser, server: LiveServer, role: str | None
          ) -> tuple[BrowserContext, Page, PageLog]:
    """A phone-sized browser, signed in as the demo account of ``role`` (None: anonymous)."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = PageLog(page, server.url)
    if role is not None:
        page.goto(server.url + "/", wait_until="load")
        page.click(f"text=Logga in som demo-{role}")
        page.wait_for_url(server.url + "/")
    return context, page, log


def council_sees(page: Page, server: LiveServer, text: str) -> dict[str, bool]:
    """Where the council finds ``text``: its layer, the hotspots and the unsafe-places map."""
    layer = page.request.get(server.url + "/api/layers/unsafe_places").text()
    hot = page.request.get(server.url + HOTSPOTS).json()
    page.goto(server.url + "/kartor/otrygga-platser", wait_until="load")
    return {"layer": text in layer,
            "hotspots": any(text in p["description"] for p in hot["points"]),
            "map": text in page.content()}


def test_report_moderate_and_follow_on_a_phone(browser: Browser, live_demo: LiveServer) -> None:
    url = live_demo.url
    anon_ctx, anon, anon_log = phone(browser, live_demo, None)
    anon.goto(url + "/tyck-till", wait_until="load")
    anon.wait_for_selector("#tt-map.leaflet-container")
    width = anon.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"
    offered = anon.eval_on_selector_all("input[name=category]", "els => els.map(e => e.value)")
    assert "vald_i_nara_relation" not in offered and "sexualbrott" not in offered
    assert anon.locator("text=Ring 112").first.is_visible()
    assert anon.locator("#tt-website").bounding_box()["x"] < 0  # the honeypot is off screen
    # The form was served a minute ago: the minimum time to submit is passed.
    anon.eval_on_selector("input[name=form_token]", "(e, v) => { e.value = v; }",
                          form_token(SECRET, issued_at_s=time.time() - 60))
    anon.click("text=Skicka tipset")
    assert "Välj platsen" in anon.inner_text("#tt-error")
    anon.click("#tt-map")
    assert "Vald plats" in anon.inner_text("#tt-place")
    anon.click("label:has-text('Belysning')")
    assert anon.locator("#tt-busk").is_hidden()
    anon.click("label:has-text('Buskörning eller A-traktor')")
    assert anon.locator("#tt-busk").is_visible()
    anon.click("label:has-text('Belysning')")
    anon.fill("#tt-description", SENT)
    anon.click("text=Skicka tipset")
    anon.wait_for_selector("#tt-done", state="visible")
    receipt = anon.inner_text("#tt-receipt").strip()
    assert len(receipt) == 14
    assert anon_ctx.cookies() == []  # no cookie needed to report
    anon.click("#tt-status-link")
    anon.wait_for_url(f"{url}/tyck-till/status/{receipt}")
    anon.wait_for_selector("#tt-state")
    assert "granskas" in anon.inner_text("main")

    council_ctx, council, council_log = phone(browser, live_demo, "rad")
    assert council_sees(council, live_demo, "gångtunneln under järnvägen") == {
        "layer": False, "hotspots": False, "map": False}

    # A second, rejected report (sent by the page's own means: JSON from the same origin).
    sent = anon.request.post(url + "/api/tyck-till", headers={"Origin": url}, data={
        "lon": 17.32583, "lat": 62.48694, "category": "annat", "description": REJECTED,
        "form_token": form_token(SECRET, issued_at_s=time.time() - 60), "website": ""})
    assert sent.status == 201, sent.text()
    rejected_receipt = sent.json()["receipt"]

    mod_ctx, mod, mod_log = phone(browser, live_demo, "planerare")
    mod.goto(url + "/moderering", wait_until="load")
    card = mod.locator("article.mod-card", has_text="gångtunneln")
    card.wait_for()
    assert "telefonnummer" in card.locator(".mod-flag").inner_text()
    assert "070-123" not in card.inner_text()  # scrubbed for the planner already
    card.locator("textarea[name=description]").fill(APPROVED)
    card.locator("input[name=note]").fill("Tack! Vi har bett kommunen se över belysningen.")
    card.locator("button.mod-approve").click()
    mod.wait_for_function("() => document.getElementById('mod-status').textContent"
                          ".includes('godkänt')")
    other = mod.locator("article.mod-card", has_text="klockor")
    other.locator("button.mod-reject").click()
    mod.wait_for_function("() => document.getElementById('mod-status').textContent"
                          ".includes('inte godkänt')")
    mod.wait_for_function("() => document.getElementById('mod-list').dataset.loaded === '0'")

    assert council_sees(council, live_demo, APPROVED) == {
        "layer": True, "hotspots": True, "map": True}
    assert council_sees(council, live_demo, "klockor") == {
        "layer": False, "hotspots": False, "map": False}
    assert "070-123" not in council.request.get(url + "/api/layers/unsafe_places").text()

    anon.goto(url + f"/tyck-till/status/{receipt}", wait_until="load")
    assert anon.inner_text("#tt-state") == "Godkänt"
    assert "se över belysningen" in anon.inner_text("main")
    anon.goto(url + f"/tyck-till/status/{rejected_receipt}", wait_until="load")
    assert anon.inner_text("#tt-state") == "Inte godkänt"

    # The admin keeps this month's report and publishes it: the approved place is on the
    # public page (the demo's own places are from 2024), the rejected one is not.
    today = pd.Timestamp.now(tz="Europe/Stockholm")
    month = pd.Period(year=today.year, month=today.month, freq="M")
    admin_ctx, admin, admin_log = phone(browser, live_demo, "admin")
    admin.goto(url + "/kartor/lofte", wait_until="load")
    admin.fill("#report-form input[name=from]", str(month.start_time.date()))
    admin.fill("#report-form input[name=to]", str(today.date()))
    admin.click("#keep-report")
    admin.wait_for_function(
        "() => /sparad|Fel|Kunde/.test(document.getElementById('report-message').textContent)",
        timeout=180_000)
    assert "sparad" in admin.inner_text("#report-message"), admin.inner_text("#report-message")
    admin.reload(wait_until="load")
    admin.click("button.publish-report")
    admin.wait_for_function(
        "() => document.getElementById('report-message').textContent.includes('publicerad')")
    anon.goto(url + "/folj-med", wait_until="load")
    assert "Inget är publicerat" not in anon.inner_text("main")
    public = anon.request.get(url + "/api/folj-med").json()
    this_month = [f["properties"] for f in public["places"]["features"]
                  if f["properties"]["month"] == str(month)]
    assert [p["category_sv"] for p in this_month] == ["belysning"], this_month  # not "annat"
    assert "klockor" not in anon.content() and "gångtunneln" not in anon.content()
    for log in (anon_log, council_log, mod_log, admin_log):
        assert log.errors == [] and log.dialogs == []
    for ctx in (anon_ctx, council_ctx, mod_ctx, admin_ctx):
        ctx.close()
