"""Disclosure control for sensitive categories: one fixed table, the same for every viewer.

Roles that do not see sensitive records as points (the council, anonymous visitors) get their
counts only from a table that no request can move:

* **Fixed cells.** Each category's rule (``geo.privacy.DEFAULT_RULES``) names its cell size; the
  cells are the SWEREF 99 TM squares at multiples of that size (violence in close relationships:
  the 1 km grid, ids ``"1000:ix:iy"``). Categories that are never mapped get no cells at all.
* **Fixed periods.** Calendar quarters in Swedish local time (``geo.periods.LOCAL_TZ``). A
  request's window is widened to the whole quarters it touches; a quarter is released only once
  it has ended (``as_of``), so its figures do not move day by day while it runs.
* **One table.** Computed from every sensitive record inside the study area, whatever window,
  bbox, category, source or viewer a request names. A request only picks released figures.

Rules, per category and quarter (k from the category's rule):

1. **Primary suppression.** A cell is shown only when the records in it that no account without
   police rights entered (API entries and uploads by the council; ``entered_by_viewers``) number
   at least k. Such a viewer's own records therefore never lift a cell over k, and the count shown
   minus the records any group of them entered is still at least k.
2. **Totals.** The quarter's total over the municipality (the margin) is released as a count,
   like the never-mapped categories' counts, with the number of records in suppressed cells
   (total − shown cells).
3. **Complementary suppression.** A suppressed cell must not be derivable from the margin: when a
   quarter has exactly one suppressed cell holding such records and at least one shown cell, the
   smallest shown cell is suppressed as well. Suppressed cells are never drawn, nor counted.

Every figure of an answer is a sum of released figures (never of suppressed ones), so the
difference of any two answers, or an answer minus one's own records, is a sum or difference of
released figures: none of them is a suppressed cell's count.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.grid import cell_ids, cell_indices, check_cell_size
from geo.periods import LOCAL_TZ
from geo.privacy import DEFAULT_RULES, CategoryRule

FIXED_CELL_M = 1000.0
API_ENTRY_PREFIX = "Inlagd av "  # the server's source of records entered through the API
API_IMPORT_PREFIX = "Importerad från "  # ... and of files uploaded through it ("… av NAME")
NOTE_SV = ("Känsliga kategorier redovisas för hela kvartal ({first} – {last}) och fasta "
           "{cell} m-rutor med minst {k} poster, samma för alla användare oavsett valt "
           "tidsfönster, område och kategori.")
OPEN_NOTE_SV = "Kvartal som inte är slut redovisas inte ännu: {quarters}."


@dataclass(frozen=True)
class DisclosureTable:
    """The released figures of sensitive categories (see the module doc).

    ``cells``: shown cells, columns category, quarter, cell, count, cell_m, k.
    ``totals``: per category and released quarter with records: total and suppressed (records in
    suppressed cells; 0 for never-mapped categories, whose records are all in ``total``).
    ``released_through``: the last quarter that is released (the one before ``as_of``'s).
    """

    cells: pd.DataFrame
    totals: pd.DataFrame
    rules: dict[str, CategoryRule]
    released_through: pd.Period


def rule_for(category: str, rules: dict[str, CategoryRule] | None = None) -> CategoryRule:
    """The rule of ``category``: its own, else 1 km cells with the default k."""
    rules = DEFAULT_RULES if rules is None else rules
    return rules.get(category, CategoryRule(cell_m=FIXED_CELL_M))


def entered_by_viewers(sources: pd.Series, *, trusted_accounts: Collection[str]) -> np.ndarray:
    """True for records whose ``source`` says an account entered or uploaded them through the
    API ("Inlagd av NAME", "Importerad från FILE av NAME") and NAME is not among the
    ``trusted_accounts`` (the accounts that see sensitive points anyway)."""
    text = sources.fillna("").astype(str)
    api = text.str.startswith(API_ENTRY_PREFIX) | (
        text.str.startswith(API_IMPORT_PREFIX) & text.str.contains(" av ", regex=False))
    trusted = np.zeros(len(text), dtype=bool)
    for name in trusted_accounts:  # a handful of accounts
        trusted |= ((text == f"{API_ENTRY_PREFIX}{name}")
                    | (text.str.startswith(API_IMPORT_PREFIX)
                       & text.str.endswith(f" av {name}"))).to_numpy()
    return api.to_numpy() & ~trusted


def quarter_of(times: pd.Series) -> pd.PeriodIndex:
    """The Swedish-time calendar quarter of each instant."""
    local = pd.to_datetime(times, utc=True).dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    return pd.PeriodIndex(local.dt.to_period("Q"))


def _quarter_now(as_of: object | None) -> pd.Period:
    ts = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(
        as_of)  # type: ignore[arg-type]
    if ts.tzinfo is None:
        ts = ts.tz_localize(LOCAL_TZ)
    return pd.Period(ts.tz_convert(LOCAL_TZ).tz_localize(None), freq="Q")


def fixed_table(records: gpd.GeoDataFrame, *, rules: dict[str, CategoryRule] | None = None,
                as_of: object | None = None, category_column: str = "category",
                time_column: str = "time", viewer_column: str = "entered_by_viewer"
                ) -> DisclosureTable:
    """The one table of released figures from every sensitive ``record`` (EPSG:3006 points
    inside the study area) with ``category``, ``time`` and ``entered_by_viewer`` (bool)."""
    rules = DEFAULT_RULES if rules is None else rules
    current = _quarter_now(as_of)
    cell_cols = ["category", "quarter", "cell", "count", "cell_m", "k"]
    empty = DisclosureTable(
        cells=pd.DataFrame({c: [] for c in cell_cols}),
        totals=pd.DataFrame({"category": [], "quarter": [], "total": [], "suppressed": []}),
        rules=rules, released_through=current - 1)
    if records.empty:
        return empty
    require_work_crs(records, "records")
    quarters = quarter_of(records[time_column])
    keep = np.asarray(quarters < current)
    records, quarters = records[keep], quarters[keep]
    if records.empty:
        return empty
    frame = pd.DataFrame({
        "category": records[category_column].fillna("").astype(str).to_numpy(),
        "quarter": quarters.astype(str),
        "viewer": records[viewer_column].fillna(True).astype(bool).to_numpy()
        if viewer_column in records else np.zeros(len(records), dtype=bool),
        "cell": np.full(len(records), "", dtype=object)})
    for category in sorted(set(frame["category"])):  # a couple of categories
        rule = rule_for(category, rules)
        if rule.k < 1:
            raise ValidationFailed(f"rule for {category!r}: k must be at least 1")
        if rule.never_mapped:
            continue
        size = check_cell_size(rule.cell_m)
        rows = np.flatnonzero(frame["category"].to_numpy() == category)
        ix, iy = cell_indices(records.iloc[rows], cell_m=size)
        frame.loc[frame.index[rows], "cell"] = cell_ids(ix, iy, cell_m=size)
    frame["trusted"] = (~frame["viewer"]).astype(np.int64)
    totals = frame.groupby(["category", "quarter"], sort=True).size().rename("total")
    mapped = frame[frame["cell"] != ""]
    per_cell = mapped.groupby(["category", "quarter", "cell"], sort=True).agg(
        count=("trusted", "size"), trusted=("trusted", "sum")).reset_index()
    per_cell["k"] = [rule_for(c, rules).k for c in per_cell["category"]]
    per_cell["cell_m"] = [float(rule_for(c, rules).cell_m) for c in per_cell["category"]]
    per_cell["shown"] = per_cell["trusted"] >= per_cell["k"]
    per_cell = _complementary(per_cell)
    shown = per_cell[per_cell["shown"]]
    shown_sum = shown.groupby(["category", "quarter"])["count"].sum()
    mapped_total = per_cell.groupby(["category", "quarter"])["count"].sum()
    table = totals.to_frame()
    table["suppressed"] = (mapped_total.reindex(table.index, fill_value=0)
                           - shown_sum.reindex(table.index, fill_value=0)).astype(np.int64)
    table = table.reset_index()
    return DisclosureTable(cells=shown[cell_cols].reset_index(drop=True),
                           totals=table.astype({"total": np.int64}), rules=rules,
                           released_through=current - 1)


def _complementary(per_cell: pd.DataFrame) -> pd.DataFrame:
    """Rule 3: in each category and quarter with exactly one suppressed cell holding records no
    viewer entered, and at least one shown cell, suppress the smallest shown cell too."""
    out = per_cell.copy()
    primary = ~out["shown"] & (out["trusted"] > 0)
    key = ["category", "quarter"]
    n_primary = primary.groupby([out[k] for k in key]).transform("sum")
    lonely = out["shown"] & (n_primary == 1)
    if lonely.any():
        candidates = out[lonely].sort_values(["count", "cell"])
        smallest = candidates.groupby(key, sort=False).head(1).index
        out.loc[smallest, "shown"] = False
    return out


def _local(value: object) -> pd.Timestamp:
    ts = pd.Timestamp(value)  # type: ignore[arg-type]
    return (ts.tz_localize(LOCAL_TZ) if ts.tzinfo is None else ts).tz_convert(LOCAL_TZ)


def quarters_of_window(start: object, end: object) -> list[pd.Period]:
    """The quarters that the window [start, end) touches (Swedish time)."""
    lo_local = _local(start).tz_localize(None)
    hi_local = _local(end).tz_localize(None) - pd.Timedelta(microseconds=1)
    if hi_local < lo_local:
        raise ValidationFailed(f"to: {end} is not after from: {start}")
    return list(pd.period_range(lo_local.to_period("Q"), hi_local.to_period("Q"), freq="Q"))


def release(table: DisclosureTable, *, start: object, end: object,
            categories: Iterable[str] | None = None) -> dict[str, Any]:
    """What an answer for the window [start, end) shows of ``table``: sums of released figures
    over the whole quarters the window touches, for ``categories`` (default all).

    Returns total, suppressed_records, never_mapped_records, cells (cell, category, count,
    cell_m, k, quarters: count per released quarter) and window (first/last day, quarters,
    widened, unreleased quarters) with a Swedish note.
    """
    wanted = quarters_of_window(start, end)
    released = [q for q in wanted if q <= table.released_through]
    unreleased = [q for q in wanted if q > table.released_through]
    labels = [str(q) for q in released]
    chosen = None if categories is None else set(categories)
    totals = table.totals[table.totals["quarter"].isin(labels)]
    cells = table.cells[table.cells["quarter"].isin(labels)]
    if chosen is not None:
        totals = totals[totals["category"].isin(chosen)]
        cells = cells[cells["category"].isin(chosen)]
    never = np.array([rule_for(c, table.rules).never_mapped for c in totals["category"]],
                     dtype=bool)
    out_cells = []
    if len(cells):
        grouped = cells.groupby(["category", "cell"], sort=True)
        for (category, cell), part in grouped:  # one row per shown cell, not per record
            out_cells.append({
                "cell": str(cell), "category": str(category), "count": int(part["count"].sum()),
                "cell_m": float(part["cell_m"].iloc[0]), "k": int(part["k"].iloc[0]),
                "quarters": {str(q): int(n) for q, n in
                             zip(part["quarter"], part["count"], strict=True)}})
    first, last = wanted[0].start_time.date(), wanted[-1].end_time.date()
    q_start = pd.Timestamp(wanted[0].start_time).tz_localize(LOCAL_TZ)
    q_end = pd.Timestamp((wanted[-1] + 1).start_time).tz_localize(LOCAL_TZ)
    lo, hi = (_local(v) for v in (start, end))
    widened = lo != q_start or hi != q_end
    mapped = [rule_for(c, table.rules) for c in sorted(table.rules) if
              not table.rules[c].never_mapped and (chosen is None or c in chosen)]
    rule = mapped[0] if mapped else rule_for("", table.rules)
    note = NOTE_SV.format(first=first.isoformat(), last=last.isoformat(),
                          cell=f"{rule.cell_m:g}", k=rule.k)
    if unreleased:
        note += " " + OPEN_NOTE_SV.format(quarters=", ".join(str(q) for q in unreleased))
    return {
        "total": int(totals["total"].sum()),
        "suppressed_records": int(totals["suppressed"].sum()),
        "never_mapped_records": int(totals["total"].to_numpy()[never].sum()),
        "cells": out_cells,
        "window": {"from": first.isoformat(), "to": last.isoformat(),
                   "quarters": [str(q) for q in wanted], "released_quarters": labels,
                   "unreleased_quarters": [str(q) for q in unreleased],
                   "widened": bool(widened), "note": note},
    }
