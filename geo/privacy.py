"""What counts as sensitive: records that never leave the server as points for the council or
the public (violence in close relationships, sexual offences)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.grid import cell_ids, cell_indices, check_cell_size

# Police event types about sexual offences: public on polisen.se as text, but never as points
# outside the police roles.
SENSITIVE_EVENT_PREFIXES = ("Våldtäkt", "Sexualbrott", "Sexuellt ofredande")


def without_sensitive(layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop the records of ``layer`` that are sensitive."""
    if layer == "unsafe_places" and "sensitive" in gdf:
        return gdf[~gdf["sensitive"].fillna(False).astype(bool)]
    if layer == "events" and "type" in gdf:
        return gdf[~gdf["type"].fillna("").str.startswith(SENSITIVE_EVENT_PREFIXES)]
    return gdf


# --- sensitive records as cells, and scrubbing free text ------------------------------------------
# (appended for the hotspot maps and the follow-up report)

DEFAULT_K = 5
SENSITIVE_EVENT_CATEGORY = "sexualbrott"  # the category sensitive police events count under


@dataclass(frozen=True)
class CategoryRule:
    """How a sensitive category may be shown to roles that do not see points: as cells of
    ``cell_m`` metres holding at least ``k`` records, or (``never_mapped``) only as a total."""

    cell_m: float = 250.0
    k: int = DEFAULT_K
    never_mapped: bool = False


# Violence in close relationships: coarse 1 km cells, k = 5. Sexual offences: never on a map.
DEFAULT_RULES: dict[str, CategoryRule] = {
    "vald_i_nara_relation": CategoryRule(cell_m=1000.0, k=DEFAULT_K),
    "sexualbrott": CategoryRule(never_mapped=True),
}


def sensitive_mask(layer: str, gdf: gpd.GeoDataFrame) -> pd.Series:
    """True for the records of ``layer`` that ``without_sensitive`` would drop."""
    kept = without_sensitive(layer, gdf).index
    return pd.Series(~gdf.index.isin(kept), index=gdf.index)


@dataclass(frozen=True)
class SensitiveCells:
    """Sensitive records aggregated for roles that may not see them as points."""

    cells: pd.DataFrame  # index cell id; columns category, count, cell_m, k
    suppressed_records: int  # in cells below k: counted here, shown nowhere
    never_mapped_records: int  # categories that are never mapped: counted here only
    total: int


def sensitive_cells(records: gpd.GeoDataFrame, *, category_column: str = "category",
                    rules: dict[str, CategoryRule] | None = None,
                    default_rule: CategoryRule = CategoryRule()) -> SensitiveCells:
    """Count sensitive ``records`` (EPSG:3006) per category rule's cells; cells with fewer than
    the rule's ``k`` records are suppressed (only their records' number is returned)."""
    rules = DEFAULT_RULES if rules is None else rules
    rows: list[pd.DataFrame] = []
    suppressed = never = 0
    categories = records[category_column].fillna("") if len(records) else pd.Series(dtype=object)
    for category in sorted(set(categories)):
        subset = records[categories == category]
        rule = rules.get(category, default_rule)
        if rule.never_mapped:
            never += len(subset)
            continue
        if rule.k < 1:
            raise ValueError(f"rule for {category!r}: k must be at least 1")
        size = check_cell_size(rule.cell_m)
        ix, iy = cell_indices(subset, cell_m=size)
        counts = pd.Series(cell_ids(ix, iy, cell_m=size)).value_counts()
        shown = counts[counts >= rule.k]
        suppressed += int(counts[counts < rule.k].sum())
        rows.append(pd.DataFrame({"category": category, "count": shown.astype(int),
                                  "cell_m": size, "k": rule.k}, index=shown.index))
    cells = pd.concat(rows) if rows else pd.DataFrame(
        {"category": [], "count": [], "cell_m": [], "k": []})
    cells.index.name = "cell"
    return SensitiveCells(cells=cells, suppressed_records=suppressed,
                          never_mapped_records=never, total=len(records))


_PERSONNUMMER = re.compile(r"(?<![\d-])(?:19|20)?\d{6}\s?[-+]?\s?\d{4}(?![\d-])")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<![\w+])(?:\+46|0046|0)[\s-]?\(?\d{1,3}\)?(?:[\s-]?\d){5,8}(?!\d)")
SCRUBBED = {"personnummer": "[personnummer borttaget]", "email": "[e-post borttagen]",
            "phone": "[telefonnummer borttaget]"}


def scrub_text(text: str | None) -> str:
    """``text`` with Swedish personal identity numbers, e-mail addresses and phone numbers
    replaced by a marker saying what was removed."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    out = _PERSONNUMMER.sub(SCRUBBED["personnummer"], str(text))
    out = _EMAIL.sub(SCRUBBED["email"], out)
    return _PHONE.sub(SCRUBBED["phone"], out)


# Free-text fields entered by residents or officers, per layer.
FREE_TEXT_FIELDS = {"unsafe_places": ("description",), "activities": ("description",),
                    "promise_actions": ("what", "note")}


def scrub_frame(layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with the layer's free-text fields scrubbed (see ``scrub_text``)."""
    columns = [c for c in FREE_TEXT_FIELDS.get(layer, ()) if c in gdf.columns]
    if not columns:
        return gdf
    out = gdf.copy()
    for column in columns:
        out[column] = np.array([scrub_text(v) for v in out[column]], dtype=object)
    return out
