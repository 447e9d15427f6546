"""The comparison across a police area's municipalities (``geo.area_comparison``) as an HTML
table (template ``maps/templates/area_comparison.html``): the answer of
``/api/rapport/kommuner?format=html`` and a section of the follow-up report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.area_comparison import COMPARISON_TITLE_SV, AreaComparison
from geo.formats import number_sv
from maps.base import TEMPLATES


def comparison_rows(comparison: AreaComparison, *, most_types: int | None = None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The table's rows (type, a count per municipality in the area's order, the total) and
    its foot: with ``most_types``, the rest of the types summed in one row "Övriga typer",
    then "Alla händelser". Numbers written the Swedish way."""
    codes = [k for k, _ in comparison.kommuner]

    def row(label: str, counts: pd.Series) -> dict[str, Any]:
        return {"type": label, "cells": [number_sv(int(counts.get(k, 0))) for k in codes],
                "total": number_sv(int(counts.sum()))}

    counts = comparison.counts
    shown = counts if most_types is None else counts.iloc[:most_types]
    rows = [row(str(kind), values) for kind, values in shown.iterrows()]
    foot = []
    if len(counts) > len(shown):
        rest = counts.iloc[len(shown):]
        foot.append(row(f"Övriga typer ({number_sv(len(rest))})", rest.sum()))
    if len(counts) > 1:
        foot.append(row("Alla händelser", counts.sum()))
    return rows, foot


def area_comparison_html(comparison: AreaComparison, *, most_types: int | None = None
                         ) -> str:
    """The table: one row per event type (the ``most_types`` most frequent, the rest summed),
    one column per municipality and the total; every text escaped."""
    rows, foot = comparison_rows(comparison, most_types=most_types)
    period = f"{comparison.first.isoformat()} – {comparison.last.isoformat()}"
    return TEMPLATES.get_template("area_comparison.html").render(
        title=COMPARISON_TITLE_SV, period=period, kommuner=comparison.kommuner, rows=rows,
        foot=foot)
