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

**Released quarters are frozen** (``Releases``, ``released_table``). Records can be entered,
edited and deleted with a date in a quarter that has already been released (back-dated). Were
the table computed afresh, the difference of an answer before and after such a write would be
a figure the rules above never checked: e.g. a viewer posting records into the smallest shown
cell moves the complementary suppression onto another cell, and the old answer's suppressed
count minus the new answer's figures gives the primary cell's count (below k); a police edit
that moves a record between cells, or a delete, shows by how much a suppressed cell changed.
So the figures of a quarter are computed once, when an answer first releases it, and kept
(with the keys of the records counted in them); from then on:

4. **Frozen figures.** A released quarter's cells, total and suppressed count never change.
   Editing or deleting a record counted in it changes nothing released (a record moved in time
   still counts once, where it was counted); a quarter released later counts only records
   never counted before.
5. **Late records.** A record that reaches a released quarter afterwards (entered back-dated,
   or edited into it from an open quarter) is in no cell: it is counted only in that quarter's
   ``late`` figure, a count over the whole municipality like the margin (rule 2), so it is
   never placed. Deleting a late record lowers that count by one; no cell moves.

A difference of two answers is then a difference of late counts only (municipality-wide, like
the margin), never a cell figure. Quarters with no records are frozen too (as empty): they are
released up to the watermark ``Releases.through``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.grid import cell_ids, cell_indices, check_cell_size
from geo.hotspots import inside_area
from geo.periods import LOCAL_TZ
from geo.privacy import DEFAULT_RULES, SENSITIVE_EVENT_CATEGORY, CategoryRule, sensitive_mask

FIXED_CELL_M = 1000.0
API_ENTRY_PREFIX = "Inlagd av "  # the server's source of records entered through the API
API_IMPORT_PREFIX = "Importerad från "  # ... and of files uploaded through it ("… av NAME")
NOTE_SV = ("Känsliga kategorier redovisas för hela kvartal ({first} – {last}) och fasta "
           "{cell} m-rutor med minst {k} poster, samma för alla användare oavsett valt "
           "tidsfönster, område och kategori.")
OPEN_NOTE_SV = "Kvartal som inte är slut redovisas inte ännu: {quarters}."
LATE_NOTE_SV = ("{n} poster har registrerats i efterhand i redan redovisade kvartal: de räknas "
                "bara här, inte i rutorna, och kvartalens siffror ändras inte.")
KEY_COLUMN = "key"  # a record's key in the released figures: "unsafe_places:18", "events:5"
CELL_COLUMNS = ["category", "quarter", "cell", "count", "cell_m", "k"]
TOTAL_COLUMNS = ["category", "quarter", "total", "suppressed"]


@dataclass(frozen=True)
class DisclosureTable:
    """The released figures of sensitive categories (see the module doc).

    ``cells``: shown cells, columns category, quarter, cell, count, cell_m, k.
    ``totals``: per category and released quarter with records: total and suppressed (records in
    suppressed cells; 0 for never-mapped categories, whose records are all in ``total``), and
    from ``released_table`` also late (rule 5: records counted in no cell, not in ``total``).
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


def sensitive_records(unsafe: gpd.GeoDataFrame, events: gpd.GeoDataFrame, *,
                      boundary: BaseGeometry | None, trusted_accounts: Collection[str]
                      ) -> gpd.GeoDataFrame:
    """Every sensitive record of both layers (indexed by id) inside the study area
    ``boundary``, whatever a request's window, category or source: category, time,
    entered_by_viewer and key (``KEY_COLUMN``), the rows ``fixed_table`` counts."""
    places = unsafe[sensitive_mask("unsafe_places", unsafe)] if len(unsafe) else unsafe
    evs = events[sensitive_mask("events", events)] if len(events) else events
    sources = places["source"] if "source" in places else pd.Series([None] * len(places))
    records = gpd.GeoDataFrame({
        "category": list(places["category"]) + [SENSITIVE_EVENT_CATEGORY] * len(evs),
        "time": pd.concat([pd.to_datetime(places["reported_at"], utc=True),
                           pd.to_datetime(evs["time"], utc=True)], ignore_index=True),
        "entered_by_viewer": np.concatenate([
            entered_by_viewers(sources.reset_index(drop=True),
                               trusted_accounts=trusted_accounts),
            np.zeros(len(evs), dtype=bool)]),
        KEY_COLUMN: [f"unsafe_places:{i}" for i in places.index]
        + [f"events:{i}" for i in evs.index]},
        geometry=list(places.geometry.values) + list(evs.geometry.values), crs=unsafe.crs)
    return inside_area(records, boundary)[0]  # outside: not counted, not said


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
            raise ValidationFailed(f"regeln för kategorin {category!r}: k (minsta antal) "
                                   "måste vara minst 1")
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
        raise ValidationFailed(f"till: {end} ligger inte efter från: {start}; välj ett senare "
                               "till-datum")
    return list(pd.period_range(lo_local.to_period("Q"), hi_local.to_period("Q"), freq="Q"))


def release(table: DisclosureTable, *, start: object, end: object,
            categories: Iterable[str] | None = None) -> dict[str, Any]:
    """What an answer for the window [start, end) shows of ``table``: sums of released figures
    over the whole quarters the window touches, for ``categories`` (default all).

    Returns total, suppressed_records, never_mapped_records, late_records (rule 5), cells
    (cell, category, count,
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
    late = int(totals["late"].sum()) if "late" in totals else 0
    if late:
        note += " " + LATE_NOTE_SV.format(n=late)
    return {
        "total": int(totals["total"].sum()),
        "late_records": late,
        "suppressed_records": int(totals["suppressed"].sum()),
        "never_mapped_records": int(totals["total"].to_numpy()[never].sum()),
        "cells": out_cells,
        "window": {"from": first.isoformat(), "to": last.isoformat(),
                   "quarters": [str(q) for q in wanted], "released_quarters": labels,
                   "unreleased_quarters": [str(q) for q in unreleased],
                   "widened": bool(widened), "note": note},
    }


@dataclass(frozen=True)
class Releases:
    """The figures of every quarter released so far, as they were at release (rule 4): every
    quarter up to ``through`` (None: none yet), the shown ``cells`` and the ``totals`` (columns
    as ``DisclosureTable``'s, without late) and the keys of the records ``counted`` in them."""

    through: pd.Period | None
    cells: pd.DataFrame
    totals: pd.DataFrame
    counted: frozenset[str]

    @classmethod
    def none(cls) -> Releases:
        return cls(through=None, cells=pd.DataFrame({c: [] for c in CELL_COLUMNS}),
                   totals=pd.DataFrame({c: [] for c in TOTAL_COLUMNS}), counted=frozenset())

    def to_json(self) -> str:
        return json.dumps({
            "through": None if self.through is None else str(self.through),
            "cells": self.cells[CELL_COLUMNS].to_dict("records"),
            "totals": self.totals[TOTAL_COLUMNS].to_dict("records"),
            "counted": sorted(self.counted)}, ensure_ascii=False, default=_plain)

    @classmethod
    def from_json(cls, text: str | None) -> Releases:
        """What ``to_json`` wrote; ``Releases.none()`` for None."""
        if text is None:
            return cls.none()
        data = json.loads(text)
        cells = pd.DataFrame(data["cells"], columns=CELL_COLUMNS)
        totals = pd.DataFrame(data["totals"], columns=TOTAL_COLUMNS)
        return cls(through=None if data["through"] is None else pd.Period(data["through"],
                                                                          freq="Q"),
                   cells=cells.astype({"count": np.int64, "k": np.int64, "cell_m": float}),
                   totals=totals.astype({"total": np.int64, "suppressed": np.int64}),
                   counted=frozenset(data["counted"]))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else str(value)


def _quarters(labels: pd.Series) -> pd.PeriodIndex:
    return pd.PeriodIndex(labels.astype(str), freq="Q")


def released_table(records: gpd.GeoDataFrame, releases: Releases, *,
                   rules: dict[str, CategoryRule] | None = None, as_of: object | None = None,
                   time_column: str = "time") -> tuple[DisclosureTable, Releases]:
    """The table an answer picks from, and ``releases`` extended by the quarters that have
    ended since (keep it: the next call must get it back; it is ``releases`` itself when
    nothing ended). ``records`` as ``sensitive_records`` gives them (with ``KEY_COLUMN``).

    Newly ended quarters are computed by ``fixed_table`` from the records counted in no
    released quarter; released quarters keep their figures (rule 4); records dated in a released
    quarter and counted nowhere are its late records (rule 5)."""
    rules = DEFAULT_RULES if rules is None else rules
    through = _quarter_now(as_of) - 1
    keys = records[KEY_COLUMN].astype(str) if len(records) else pd.Series([], dtype=str)
    fresh = records[~keys.isin(releases.counted).to_numpy()] if len(records) else records
    dated = quarter_of(fresh[time_column]) if len(fresh) else pd.PeriodIndex([], freq="Q")
    if releases.through is None or releases.through < through:
        new = np.asarray(dated <= through, dtype=bool)
        if releases.through is not None:
            new &= np.asarray(dated > releases.through, dtype=bool)
        table = fixed_table(fresh[new], rules=rules, as_of=as_of)
        keys_new = fresh[new][KEY_COLUMN].astype(str) if len(fresh) else []
        releases = Releases(
            through=through,
            cells=pd.concat([c for c in (releases.cells, table.cells) if len(c)]
                            or [releases.cells], ignore_index=True)[CELL_COLUMNS],
            totals=pd.concat([t for t in (releases.totals, table.totals) if len(t)]
                             or [releases.totals], ignore_index=True)[TOTAL_COLUMNS],
            counted=releases.counted | frozenset(keys_new))
        fresh, dated = fresh[~new], dated[~new]
    assert releases.through is not None
    shown = min(through, releases.through)
    cells = releases.cells[np.asarray(_quarters(releases.cells["quarter"]) <= shown)]
    totals = releases.totals[np.asarray(_quarters(releases.totals["quarter"]) <= shown)]
    late_rows = np.asarray(dated <= shown) if len(fresh) else np.zeros(0, dtype=bool)
    late = pd.DataFrame({"category": fresh[late_rows]["category"].astype(str).to_numpy()
                         if len(fresh) else [],
                         "quarter": dated[late_rows].astype(str) if len(fresh) else []})
    late_n = late.groupby(["category", "quarter"]).size().rename("late")
    merged = totals.set_index(["category", "quarter"]).join(late_n, how="outer")
    merged = merged.fillna(0).astype(np.int64).reset_index().sort_values(
        ["category", "quarter"], ignore_index=True)
    return DisclosureTable(cells=cells.reset_index(drop=True), totals=merged, rules=rules,
                           released_through=through), releases
