"""Errors a browser meets are pages in the site's layout with a way back (404 included); scripts
and API clients keep the one JSON shape. User text in an error page is escaped."""

from __future__ import annotations

import pytest
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
    assert plain.status_code == 404 and plain.json() == {
        "error": "Det finns ingen sida eller resurs på adressen /no/such/page.",
        "code": "not_found", "details": []}
    fetched = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert fetched.json()["code"] == "not_found"


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


ENGLISH_ERROR_WORDS = ("invalid", "Input should", "is required", "Field required", "Not Found",
                       "problem(s)", "body.", "query.")


@pytest.mark.parametrize(("method", "path", "body", "code"), [
    ("get", "/api/hotspots?cell_m=abc", None, "invalid_request"),
    ("post", "/api/siting/suggest", {"k": "många"}, "invalid_request"),
    ("get", "/api/layers/no_such_layer", None, "unknown_layer"),
    ("get", "/api/layers/risk_roads/999999", None, "not_found"),
    ("get", "/api/no/such/route", None, "not_found"),
])
def test_api_errors_are_swedish_with_a_stable_code(client: TestClient, tokens: dict[str, str],
                                                   method: str, path: str, body: dict | None,
                                                   code: str) -> None:
    response = client.request(method.upper(), path, json=body,
                              headers=auth(tokens["planerare"]))
    answer = response.json()
    assert response.status_code in (404, 422) and set(answer) == {"error", "code", "details"}
    assert answer["code"] == code, answer
    if code == "invalid_request":  # request validation is said in Swedish, naming the field
        assert not any(word in answer["error"] for word in ENGLISH_ERROR_WORDS), answer
        assert "fältet k" in answer["error"] or "parametern cell_m" in answer["error"], answer


def test_a_wrong_token_is_told_in_swedish(client: TestClient) -> None:
    response = client.get("/api/layers/patrols", headers=auth("fel-token"))
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert "token" in response.json()["error"] and "invalid" not in response.json()["error"]


@pytest.mark.parametrize("path", ["/api/layers/risk_roads/{n}", "/api/rapporter/{n}",
                                  "/api/moderering/{n}", "/ogc/collections/risk_roads/items/{n}"])
def test_an_id_beyond_64_bits_is_a_clear_refusal_not_a_crash(client: TestClient,
                                                             tokens: dict[str, str],
                                                             path: str) -> None:
    response = client.get(path.format(n=10**25), headers=auth(tokens["planerare"]))
    assert response.status_code in (400, 422), response.text
    assert response.json()["code"] == "invalid_request"
    assert client.get(path.format(n=2**63 - 1),
                      headers=auth(tokens["planerare"])).status_code == 404
