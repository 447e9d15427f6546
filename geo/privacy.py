"""What counts as sensitive: records that never leave the server as points for the council or
the public (violence in close relationships, sexual offences, planned traffic checks), and the
scrubbing of personal data (personnummer, phone numbers, e-mail) out of every free-text field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.grid import cell_ids, cell_indices, check_cell_size
from geo.layers import LAYERS, SENSITIVE_CATEGORIES, SYSTEM_COLUMNS

# Police event types about sexual offences: public on polisen.se as text, but never as points
# outside the police roles.
SENSITIVE_EVENT_PREFIXES = ("Våldtäkt", "Sexualbrott", "Sexuellt ofredande")
# A police summary ("Sammanfattning natt", …) tells of several events in one text, under a type
# of its own: it is sensitive when its text (or its title) tells of a sexual offence or of
# violence in a close relationship. The store keeps the answer in the events' ``sensitive``
# field (``sensitive_events``), so SQL filters as this module does.
SUMMARY_TYPE_PREFIX = "sammanfattning"  # casefolded
SENSITIVE_SUMMARY_TEXT = re.compile(
    r"våldtäkt|sexualbrott|sexuell\w*\s+(?:ofredande|övergrepp|tvång|utnyttjande|handling)"
    r"|blottning|koppleri|köp av sexuell|barnpornografi|nära relation|kvinnofrid"
    r"|fridskränkning|våld mot (?:sin |en )?(?:partner|sambo|fru|hustru|flickvän|make)",
    re.IGNORECASE)


def sensitive_events(types: pd.Series, names: pd.Series, summaries: pd.Series) -> np.ndarray:
    """Per police event, whether only the police roles may see it as a record: a sensitive
    type (``SENSITIVE_EVENT_PREFIXES``), or a summary whose title or text tells of a sexual
    offence or violence in a close relationship (``SENSITIVE_SUMMARY_TEXT``)."""
    kind = types.fillna("").astype(str)
    by_type = kind.str.startswith(SENSITIVE_EVENT_PREFIXES).to_numpy(dtype=bool)
    summary = kind.str.strip().str.casefold().str.startswith(SUMMARY_TYPE_PREFIX).to_numpy(
        dtype=bool)
    text = names.fillna("").astype(str) + " " + summaries.fillna("").astype(str)
    told = text.str.contains(SENSITIVE_SUMMARY_TEXT).to_numpy(dtype=bool)
    return by_type | (summary & told)


PLANNED_CHECK_STATUS = "planerad"  # planned police operations: police roles only


def without_sensitive(layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop the records of ``layer`` that only the police roles may read: sensitive unsafe
    places, sensitive police events and planned traffic checks (when, where, what)."""
    if layer == "unsafe_places" and "sensitive" in gdf:
        sensitive = gdf["sensitive"].fillna(False).astype(bool)
        if "category" in gdf:
            sensitive |= gdf["category"].isin(SENSITIVE_CATEGORIES)
        return gdf[~sensitive]
    if layer == "events" and "type" in gdf:
        hidden = gdf["type"].fillna("").str.startswith(SENSITIVE_EVENT_PREFIXES).to_numpy(bool)
        if "sensitive" in gdf:  # set by the store from the type and a summary's text
            hidden = hidden | gdf["sensitive"].fillna(False).astype(bool).to_numpy()
        return gdf[~hidden]
    if layer == "traffic_checks" and "status" in gdf:
        return gdf[gdf["status"].fillna(PLANNED_CHECK_STATUS) != PLANNED_CHECK_STATUS]
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


# --- scrubbing personal data out of free text -------------------------------------------------
# Invisible characters (zero-width spaces and joiners, soft hyphens, direction marks, BOM) carry
# no meaning in the text but split a number so a pattern would miss it: they are removed first.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
                        "\uffa0]+")
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"  # hyphens, en/em dashes
_SPACE = "\\s\u00a0\u2007\u202f"  # \s and the no-break spaces
# Dates and clock times look like number groups: they are masked before the patterns run, so
# "2024-10-01–2024-12-31" or "kl. 08.00-10.00" is never taken for a phone number.
_DATE_OR_TIME = re.compile(
    rf"(?<!\d)(?:19|20)\d\d[{_DASH}/.](?:0[1-9]|1[0-2])[{_DASH}/.](?:0[1-9]|[12]\d|3[01])"
    rf"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?(?!\d)"
    rf"|(?<!\d)(?:0?[1-9]|[12]\d|3[01])[./](?:0?[1-9]|1[0-2])[./](?:19|20)\d\d(?!\d)"
    rf"|(?<![\d.:{_DASH}])(?:[01]?\d|2[0-3])[.:][0-5]\d(?![\d]|[.:]\d)")
_PERSONNUMMER = re.compile(
    rf"(?<![\d{_DASH}])(?:19|20)?\d{{6}}[{_SPACE}]?[+{_DASH}]?[{_SPACE}]?\d{{4}}(?![\d])")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# A Swedish phone number: +46 / 0046 (an optional "(0)" after it) or a trunk 0 (optionally in
# parentheses), then 6 to 11 digits in groups split by spaces, dashes, dots, slashes or
# parentheses: 070-123 45 67, 070.123.45.67, (070) 123 45 67, +46 (0)70-123 45 67.
_PHONE_SEP = (rf"(?:[{_SPACE}]?[{_DASH}./][{_SPACE}]?|[{_SPACE}]?\)[{_SPACE}]?"
              rf"|[{_SPACE}]?\(|[{_SPACE}])?")
_PHONE = re.compile(
    rf"(?<![\w+])(?:(?:\+[{_SPACE}]?|00)46[{_SPACE}{_DASH}]*(?:\([{_SPACE}]?0[{_SPACE}]?\))?"
    rf"[{_SPACE}{_DASH}]*|\(?0)\d(?:{_PHONE_SEP}\d){{5,10}}(?!\w)")
# Nothing to scrub without an "@" or six digits close together (a fast path for most text).
_CANDIDATE = re.compile(r"@|\d(?:\D{0,6}\d){5}")
_MASK_BASE = 0xF0000  # supplementary private-use code points stand in for masked dates
SCRUBBED = {"personnummer": "[personnummer borttaget]", "email": "[e-post borttagen]",
            "phone": "[telefonnummer borttaget]"}


@lru_cache(maxsize=65_536)
def _scrub(text: str) -> str:
    if not _CANDIDATE.search(text):
        return text
    out = _INVISIBLE.sub("", text)
    masked: list[str] = []

    def mask(match: re.Match[str]) -> str:
        masked.append(match.group(0))
        return chr(_MASK_BASE + len(masked) - 1)

    out = _DATE_OR_TIME.sub(mask, out)
    out = _EMAIL.sub(SCRUBBED["email"], out)
    out = _PERSONNUMMER.sub(SCRUBBED["personnummer"], out)
    out = _PHONE.sub(SCRUBBED["phone"], out)
    for i, original in enumerate(masked):
        out = out.replace(chr(_MASK_BASE + i), original)
    return out


def scrub_text(text: str | None) -> str:
    """``text`` with Swedish personal identity numbers, e-mail addresses and phone numbers
    replaced by a marker saying what was removed. Dashes of any kind, invisible separators,
    dots, spaces and parentheses do not hide a number; dates, clock times, road numbers and
    counts are left as they are."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    return _scrub(str(text))


def scrub_value(value: Any) -> Any:
    """``value`` with every text in it scrubbed: a text, or the texts inside lists and mappings
    (JSON fields); numbers, dates and missing values unchanged."""
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, (list, tuple)):
        return [scrub_value(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub_value(v) for k, v in value.items()}
    return value


# Fields that are never free text, per layer: enumerations (fields with choices), numbers,
# booleans, dates and ids, and the few texts whose pattern the data model fixes. Every other
# column is free text and is scrubbed for every role but admin, so a new text field is scrubbed
# without anyone having to remember it.
_NON_TEXT_KINDS = frozenset({"int", "float", "bool", "datetime"})
_STRUCTURED_TEXT: dict[str, frozenset[str]] = {
    "patrol_zones": frozenset({"active_hours"}),  # "0-24", pattern-checked
    "boundaries": frozenset({"kommunkod"}),  # four digits, pattern-checked
    "patrols": frozenset({"times"}),  # ISO timestamps, one per vertex
}
ALWAYS_NOT_FREE_TEXT = frozenset({*SYSTEM_COLUMNS, "provenance", "geometry"})
NOT_FREE_TEXT: dict[str, frozenset[str]] = {
    name: frozenset({f.name for f in spec.fields if f.kind in _NON_TEXT_KINDS or f.choices}
                    | _STRUCTURED_TEXT.get(name, frozenset()) | ALWAYS_NOT_FREE_TEXT)
    for name, spec in LAYERS.items()
}


def free_text_columns(layer: str, gdf: pd.DataFrame) -> list[str]:
    """The columns of ``gdf`` that may hold free text: every column holding objects (texts,
    lists, JSON) that the allowlist ``NOT_FREE_TEXT`` of ``layer`` does not name. A frame of an
    unknown layer has only the common columns allowed."""
    allowed = NOT_FREE_TEXT.get(layer, ALWAYS_NOT_FREE_TEXT)
    geometry = getattr(gdf, "_geometry_column_name", None)
    return [c for c in gdf.columns
            if c not in allowed and c != geometry
            and (pd.api.types.is_object_dtype(gdf[c].dtype)
                 or pd.api.types.is_string_dtype(gdf[c].dtype))]


def scrub_frame(layer: str, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` with every free-text column scrubbed (see ``free_text_columns`` and
    ``scrub_text``); texts inside lists and JSON values too."""
    columns = free_text_columns(layer, gdf)
    if not columns or gdf.empty:
        return gdf
    out = gdf.copy()
    for column in columns:
        out[column] = np.array([scrub_value(v) for v in out[column]] + [None],
                               dtype=object)[:-1]
    return out
