"""The report's comparison across the area's municipalities (issue 14): police events per type
per municipality for a period, as JSON, an HTML table and a workbook.

What it counts is what the report counts: events without the sensitive ones
(``without_sensitive``: never to the council or the public), and for an account limited to
municipalities only theirs (``services.access.in_kommuner``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from openpyxl import Workbook  # type: ignore[import-untyped]

from geo.area_comparison import COMPARISON_TITLE_SV, AreaComparison, area_comparison
from geo.errors import ValidationFailed
from geo.io.xlsx import xlsx_cell
from maps.area_comparison import area_comparison_html
from services.access import Viewer, in_kommuner, without_sensitive
from services.municipality import served_municipality
from store import Store
from trygg.settings import Settings

MAX_DAYS = 3660


def comparison(store: Store, settings: Settings, viewer: Viewer, *, first: date, last: date,
               types: Sequence[str] | None = None) -> AreaComparison:
    """Events per type per municipality of the store's area (those ``viewer`` may see) in the
    local days ``first`` … ``last``; ``types`` keeps those event types."""
    if last < first:
        raise ValidationFailed(f"to: {last} är före from: {first}; byt plats på datumen")
    if (last - first).days > MAX_DAYS:
        raise ValidationFailed("from/to: högst tio år åt gången")
    return compared(store, area_kommuner(store, settings, kommuner=viewer.kommuner),
                    first=first, last=last, types=types)


def area_kommuner(store: Store, settings: Settings, *,
                  kommuner: frozenset[str] | None = None) -> dict[str, str]:
    """The store's municipalities (kommunkod → name, in the area's order) that a viewer limited
    to ``kommuner`` (None: not limited) may see."""
    return {m.kommunkod: m.name for m in served_municipality(store, settings).area
            if kommuner is None or m.kommunkod in kommuner}


def compared(store: Store, kommuner: Mapping[str, str], *, first: date, last: date,
             types: Sequence[str] | None = None) -> AreaComparison:
    """The table of ``kommuner`` (kommunkod → name) from the store's events, never the
    sensitive ones."""
    events = in_kommuner(without_sensitive("events", store.read("events")), frozenset(kommuner))
    return area_comparison(events, kommuner, first=first, last=last, types=types)


def comparison_file(made: AreaComparison, fmt: str) -> bytes:
    """The table as an HTML section (``html``) or a workbook (``xlsx``)."""
    if fmt == "html":
        return area_comparison_html(made).encode("utf-8")
    if fmt == "xlsx":
        return _workbook(made)
    raise ValidationFailed(f"format: {fmt[:10]!r} är varken json, html eller xlsx")


def _workbook(made: AreaComparison) -> bytes:
    """The table as a workbook: one sheet, counts as numbers."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(COMPARISON_TITLE_SV[:31])
    sheet.append([xlsx_cell(sheet, f"Polisens händelser {made.first.isoformat()} – "
                                   f"{made.last.isoformat()}", None, bold=True)])
    sheet.append([xlsx_cell(sheet, h, None, bold=True)
                  for h in ["Typ", *(name for _, name in made.kommuner), "Totalt"]])
    for kind, row in made.counts.iterrows():
        sheet.append([xlsx_cell(sheet, str(kind), None),
                      *(xlsx_cell(sheet, int(row[k]), "0") for k, _ in made.kommuner),
                      xlsx_cell(sheet, int(row.sum()), "0")])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
