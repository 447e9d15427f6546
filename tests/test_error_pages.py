"""Errors a browser meets are pages in the site's layout with a way back (404 included); scripts
and API clients keep the one JSON shape. User text in an error page is escaped."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import auth

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_unknown_address_is_a_page_for_a_browser_and_json_for_a_client(
        client: TestClient) -> None:
    page = client.get("/no/such/<b>page</b>", headers=BROWSER)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "Sidan finns inte" in page.text and 'href="/"' in page.text
    assert "<b>page</b>" not in page.text  # the path is escaped
    assert "Logga in" in page.text  # the site's own header
    plain = client.get("/no/such/page")
    assert plain.status_code == 404 and plain.json() == {"error": "Not Found", "details": []}
    fetched = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert fetched.json()["error"] == "Not Found"


def test_a_bad_report_request_from_a_browser_is_a_page(client: TestClient,
                                                        tokens: dict[str, str]) -> None:
    headers = {**BROWSER, **auth(tokens["rad"])}
    backwards = client.get("/api/rapport?from=2024-11-30&to=2024-11-01&format=html",
                           headers=headers)
    assert backwards.status_code == 422
    assert backwards.headers["content-type"].startswith("text/html")
    assert "Uppgifterna går inte att använda" in backwards.text and "2024-11-01" in backwards.text
    missing = client.get("/api/rapport?format=html", headers=headers)
    assert missing.status_code == 422 and "<ul class=\"error-details\">" in missing.text
    as_json = client.get("/api/rapport?from=2024-11-30&to=2024-11-01",
                         headers=auth(tokens["rad"]))
    assert as_json.status_code == 422 and "error" in as_json.json()
