"""The comparison across a police area's municipalities (``geo.area_comparison``) as an HTML
table: a section of the report's page (template ``maps/templates/area_comparison.html``)."""

from __future__ import annotations

from geo.area_comparison import COMPARISON_TITLE_SV, AreaComparison
from geo.formats import number_sv
from maps.base import TEMPLATES


def area_comparison_html(comparison: AreaComparison) -> str:
    """The table: one row per event type, one column per municipality and the total; numbers
    written the Swedish way, every text escaped."""
    codes = [k for k, _ in comparison.kommuner]
    rows = [{"type": str(kind), "cells": [number_sv(int(row[k])) for k in codes],
             "total": number_sv(int(row.sum()))}
            for kind, row in comparison.counts.iterrows()]
    period = f"{comparison.first.isoformat()} – {comparison.last.isoformat()}"
    return TEMPLATES.get_template("area_comparison.html").render(
        title=COMPARISON_TITLE_SV, period=period, kommuner=comparison.kommuner, rows=rows)
