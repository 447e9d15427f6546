"""The unsafe-places page's choices (issue 12): from/to read leniently with Swedish messages
naming the field, and comparison periods (the window's halves, the period before, the same days
a year earlier, a chosen period) computed from the records of those periods, for the page and
the API alike; the council's comparison never counts a sensitive record."""

from __future__ import annotations

import re
from datetime import date

import pytest

from geo.errors import ValidationFailed
from geo.hotspot_view import comparison_days
from store import Store
from tests.conftest import auth
from tests.test_hotspots import SECRET_TEXT, _load, _place

# Two places in one cell in 2023-06 and one in 2024-06; a sensitive one in 2023-06 too.
PLACES = [_place(17.3262, 62.4872, "belysning", "Mörk gångväg", "2023-06-10T12:00:00Z"),
          _place(17.3263, 62.4872, "belysning", "Mörk gångväg igen", "2023-06-12T12:00:00Z"),
          _place(17.3262, 62.4873, "belysning", "Fortfarande mörkt", "2024-06-10T12:00:00Z"),
          _place(17.3262, 62.4872, "vald_i_nara_relation", SECRET_TEXT,
                 "2023-06-11T12:00:00Z")]


def test_comparison_days_for_each_choice() -> None:
    start, end = date(2024, 6, 1), date(2024, 6, 30)
    assert comparison_days(start, end) is None  # the window's halves: the view's default
    assert comparison_days(start, end, choice="previous") == (
        date(2024, 5, 2), date(2024, 6, 1), date(2024, 6, 1), date(2024, 7, 1))
    assert comparison_days(start, end, choice="last_year") == (
        date(2023, 6, 1), date(2023, 7, 1), date(2024, 6, 1), date(2024, 7, 1))
    assert comparison_days(date(2024, 2, 29), date(2024, 2, 29), choice="last_year")[:2] == (
        date(2023, 2, 28), date(2023, 3, 1))
    assert comparison_days(start, end, choice="chosen",
                           chosen=(date(2022, 1, 1), date(2022, 1, 31)))[:2] == (
        date(2022, 1, 1), date(2022, 2, 1))
    with pytest.raises(ValidationFailed, match="compare_from/compare_to"):
        comparison_days(start, end, choice="chosen")
    with pytest.raises(ValidationFailed, match="compare"):
        comparison_days(start, end, choice="next_year")


def _compared(body: dict) -> list[tuple[int, int]]:
    return sorted((c["first"], c["second"]) for c in body["comparison"]["cells"])


def test_comparison_with_a_period_outside_the_window(client, store: Store,
                                                     tokens: dict[str, str]) -> None:
    _load(store, PLACES)
    june = "/api/hotspots?from=2024-06-01&to=2024-06-30"
    for role in ("rad", "patrullchef"):
        body = client.get(june + "&compare=last_year", headers=auth(tokens[role])).json()
        # The window's own figures do not change; the comparison reads June 2023's records.
        assert body["records"] == 1
        first, second = body["comparison"]["first"], body["comparison"]["second"]
        assert first == ["2023-05-31T22:00:00+00:00", "2023-06-30T22:00:00+00:00"]
        assert second == ["2024-05-31T22:00:00+00:00", "2024-06-30T22:00:00+00:00"]
        # The sensitive June 2023 record is in the police's cell, never in the council's.
        assert _compared(body) == ([(2, 1)] if role == "rad" else [(3, 1)]), role
        body = client.get(june + "&compare=previous", headers=auth(tokens[role])).json()
        assert _compared(body) == [(0, 1)]
        chosen = client.get(june + "&compare=chosen&compare_from=2023-06-11&compare_to="
                            "2023-06-30", headers=auth(tokens[role])).json()
        assert _compared(chosen) == ([(1, 1)] if role == "rad" else [(2, 1)]), role
    assert SECRET_TEXT not in client.get(june + "&compare=last_year",
                                         headers=auth(tokens["rad"])).text
    default = client.get(june, headers=auth(tokens["rad"])).json()
    assert default["comparison"]["first"][0] == "2024-05-31T22:00:00+00:00"  # the halves
    bad = client.get(june + "&compare=chosen&compare_from=2023-06-11",
                     headers=auth(tokens["rad"]))
    assert bad.status_code == 422 and "compare_from/compare_to" in bad.json()["error"]
    bad = client.get(june + "&compare=chosen&compare_from=2023-06-11&compare_to=2023-01-01",
                     headers=auth(tokens["rad"]))
    assert bad.status_code == 422 and "Till (to)" in bad.json()["error"]


def test_page_reads_its_fields_leniently_with_swedish_messages(client, store: Store,
                                                               tokens: dict[str, str]) -> None:
    _load(store, PLACES)
    page = "/kartor/otrygga-platser"
    cases = {
        "?from=2024-13-01&to=2024-06-30": "Från: ”2024-13-01” är inget datum. Skriv det som "
                                         "ÅÅÅÅ-MM-DD",
        "?from=2024-06-01&to=juni": "Till: ”juni” är inget datum",
        "?from=2024-06-30&to=2024-06-01": "Till (to): datumet ligger före Från (from)",
        "?from=2000-01-01&to=2024-06-01": "högst tio år åt gången",
        "?compare=sometime": "Jämför med: välj ett av alternativen i listan.",
        "?compare=chosen&compare_from=2023-01-01": "Jämför med: ange både från- och till-datum",
        "?compare=chosen&compare_from=2023-05-01&compare_to=2023-04-01":
            "Jämför med, Till (to): datumet ligger före Från (from)",
    }
    for query, message in cases.items():
        response = client.get(page + query, headers=auth(tokens["rad"]))
        assert response.status_code == 200, query
        text = response.text.replace("&#34;", '"')
        assert 'id="hs-errors"' in text and message in text, (query, text[:200])
        shown = re.sub(r"<[^>]+>", " ", text.split('<script id="hs-data"')[0])
        for english in ("invalid", "Input should", "is required", "field", "problem(s)"):
            assert english not in shown, (query, english)
    shown = client.get(page + "?from=2024-06-01&to=2024-06-30&compare=last_year",
                       headers=auth(tokens["rad"])).text
    assert 'value="2024-06-01"' in shown and 'value="2024-06-30"' in shown
    assert '<option value="last_year" selected>' in shown and 'id="hs-errors"' not in shown
    assert "2023-05-31T22:00:00+00:00" in shown  # the comparison of June 2023 is the page's
    assert SECRET_TEXT not in shown


def test_counts_take_the_plural_only_when_not_one() -> None:
    from geo.formats import plural_sv

    assert plural_sv(1, "händelse", "händelser") == "1 händelse"
    assert plural_sv(0, "händelse", "händelser") == "0 händelser"
    assert plural_sv(2, "rapport", "rapporter") == "2 rapporter"
    assert plural_sv(1234, "händelse", "händelser") == "1\u00a0234 händelser"
