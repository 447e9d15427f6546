""""Följ med i hur det går" in Chromium: the admin sets a target in the form, keeps a report and
presses "Publicera" on the register page; an anonymous visitor on a phone (390 px) then sees
the commitments, the targets and a map of the published places, with nothing scrolling sideways
and no script errors (the page runs under the app's CSP: no inline scripts)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser import PageLog
from tests.conftest import LiveServer
from tests.test_phone_layout import PHONE, no_sideways_scroll, phone_page

pytestmark = pytest.mark.browser


def test_admin_publishes_and_the_public_reads_it_on_a_phone(browser: Browser,
                                                             live_demo: LiveServer) -> None:
    page, log = phone_page(browser, live_demo, "admin")
    page.goto(live_demo.url + "/kartor/mal", wait_until="load")  # a target through the form
    form = page.locator("form.targets-form[data-commitment=vald_kunskap]")
    form.locator("input[name=indicator]").last.fill("activities:utbildning")
    form.locator("input[name=value]").last.fill("1")
    form.locator("button[type=submit]").click()
    form.locator(".message", has_text="Sparat: 1 mål.").wait_for()
    page.goto(live_demo.url + "/kartor/lofte", wait_until="load")
    page.fill("#report-form input[name=from]", "2024-10-01")
    page.fill("#report-form input[name=to]", "2024-12-31")
    page.click("#keep-report")
    page.wait_for_function(
        "() => document.getElementById('report-message').textContent.includes('sparad')",
        timeout=180_000)
    page.reload(wait_until="load")
    page.click("button.publish-report")
    page.wait_for_function(
        "() => document.getElementById('report-message').textContent.includes('publicerad')")
    assert log.errors == [] and log.dialogs == []
    page.close()

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    public = context.new_page()
    public.set_default_timeout(60_000)
    public_log = PageLog(public, live_demo.url)
    public.goto(live_demo.url + "/folj-med", wait_until="load")
    assert public.locator("header .who").inner_text().strip() == "Logga in"  # anonymous
    assert "2024-10-01 – 2024-12-31" in public.locator(".fm-lead").inner_text()
    assert public.locator("#fm-date").inner_text().startswith("Uppgifterna kommer från rapporten")
    assert public.locator(".fm-commitment").count() == 8
    set_by_admin = public.locator("#lofte-vald_kunskap .fm-target").inner_text()
    assert set_by_admin.startswith("inte uppnått Utbildningar: 0 (mål minst 1 under perioden)")
    badges = {b.strip() for b in public.locator(".fm-target .fm-badge").all_inner_texts()}
    assert badges == {"uppnått", "inte uppnått", "okänt"}
    public.wait_for_function("() => document.getElementById('fm-map').dataset.ready")
    shown = int(public.locator("#fm-map").get_attribute("data-ready") or 0)
    assert shown > 0 and public.locator("#fm-map path.leaflet-interactive").count() == shown
    box = public.locator("#fm-map").bounding_box()
    assert box and box["width"] >= 0.9 * PHONE["width"] - 40
    public.locator("#fm-map path.leaflet-interactive").first.dispatch_event("click")
    popup = public.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Rapporterad 20" in popup.inner_text()
    no_sideways_scroll(public)
    assert public_log.errors == [] and public_log.dialogs == []
    context.close()
