"""Reports from residents and partners ("Tyck till") before they become unsafe places: what may
be reported, the moderation states, personal data found in the text, and likely duplicates.

A tip is a point in EPSG:3006 with a category, a description and the time it was submitted.
Nothing here stores, publishes or notifies: the services layer does that with these rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import require_work_crs
from geo.errors import ValidationFailed
from geo.privacy import SCRUBBED, scrub_text

# What the public and partners may report. Violence in close relationships and sexual offences
# are never offered: the page sends people to 112 / 114 14 and the support services instead.
TIP_CATEGORIES = ("belysning", "narkotika", "ungdomar", "skadegorelse", "trafik", "buskorning",
                  "annat")
# The unsafe-places category an approved tip becomes (buskörning and A-traktor tips are traffic).
UNSAFE_CATEGORY_OF = {"buskorning": "trafik"}
NEVER_OFFERED = ("vald_i_nara_relation", "sexualbrott")

# Moderation: a tip is new until a moderator approves, rejects or merges it.
TIP_STATES = ("ny", "godkand", "avvisad", "sammanslagen")
DECISIONS = {"approve": "godkand", "reject": "avvisad", "merge": "sammanslagen"}

DUPLICATE_WITHIN_M = 50.0
DUPLICATE_DAYS = 90
MAX_DESCRIPTION_CHARS = 2000

# "jag heter Anna", "mitt namn är Anna Svensson", "hälsningar Anna": a name the reporter gave.
_NAME = re.compile(r"\b(?:jag\s+heter|mitt\s+namn\s+är|mvh|hälsningar|vänliga\s+hälsningar)"
                   r"[\s,:]+((?:[A-ZÅÄÖÉ][\wåäöéü-]+)(?:\s+[A-ZÅÄÖÉ][\wåäöéü-]+){0,2})",
                   re.IGNORECASE)
NAME_SCRUBBED = "[namn borttaget]"


def unsafe_category(tip_category: str) -> str:
    """The unsafe-places category an approved tip of ``tip_category`` is filed under."""
    return UNSAFE_CATEGORY_OF.get(tip_category, tip_category)


def decide(state: str, decision: str) -> str:
    """The state after ``decision`` on a tip in ``state``; only new tips can be decided."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"fältet 'decision': {decision!r} är inte ett av "
                               f"{', '.join(DECISIONS)}")
    if state != "ny":
        raise ValidationFailed(f"tipset är redan beslutat ({state}); bara nya tips kan beslutas")
    return DECISIONS[decision]


@dataclass(frozen=True)
class ScrubbedText:
    """A tip's text with personal data removed, and what kinds were found (for the moderator)."""

    text: str
    found: tuple[str, ...]  # "personnummer", "email", "phone", "name"


def scrub_tip_text(text: str) -> ScrubbedText:
    """``text`` without personal identity numbers, e-mail addresses, phone numbers and names the
    writer gave ("jag heter …"); ``found`` names each kind removed."""
    out = scrub_text(text)
    found = [kind for kind, marker in SCRUBBED.items() if marker in out and marker not in text]
    named = _NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME_SCRUBBED, out)
    if named != out:
        found.append("name")
    return ScrubbedText(text=named, found=tuple(found))


def check_tip(category: str, description: str) -> None:
    """Raise ``ValidationFailed`` (Swedish, naming the field) for a tip that may not be filed."""
    problems = []
    if category in NEVER_OFFERED:
        problems.append("fältet 'category': våld i nära relation och sexualbrott tas inte emot "
                        "här – ring 112 vid fara, annars 114 14")
    elif category not in TIP_CATEGORIES:
        problems.append(f"fältet 'category': välj en av {', '.join(TIP_CATEGORIES)}")
    if not description.strip():
        problems.append("fältet 'description': beskriv kort vad som gör platsen otrygg")
    elif len(description) > MAX_DESCRIPTION_CHARS:
        problems.append(f"fältet 'description': högst {MAX_DESCRIPTION_CHARS} tecken "
                        f"({len(description)} angavs)")
    if problems:
        raise ValidationFailed("; ".join(problems), problems)


def duplicate_candidates(tips: gpd.GeoDataFrame, places: gpd.GeoDataFrame, *,
                         within_m: float = DUPLICATE_WITHIN_M, days: int = DUPLICATE_DAYS,
                         ) -> pd.DataFrame:
    """Open records of ``places`` that a tip may repeat: the same category, within ``within_m``
    metres and reported in the ``days`` days up to the tip. Both frames in EPSG:3006 with
    ``category`` and ``reported_at`` (UTC); ``places`` may hold tips or unsafe places (an open
    one has ``status`` "oppen" or "ny" or none). Returns rows (tip, place, distance_m), nearest
    first per tip."""
    require_work_crs(tips, "tips")
    require_work_crs(places, "places")
    empty = pd.DataFrame({"tip": pd.Series(dtype=tips.index.dtype),
                          "place": pd.Series(dtype=places.index.dtype),
                          "distance_m": pd.Series(dtype=float)})
    if tips.empty or places.empty:
        return empty
    status = places["status"] if "status" in places else pd.Series("oppen", index=places.index)
    open_places = places[status.fillna("oppen").isin(("oppen", "ny")).to_numpy()]
    ti, pi = open_places.sindex.query(tips.geometry.values, predicate="dwithin",
                                      distance=within_m)
    if not len(ti):
        return empty
    t_cat = tips["category"].map(unsafe_category).to_numpy()[ti]
    p_cat = open_places["category"].map(unsafe_category).to_numpy()[pi]
    t_at = _utc(tips["reported_at"])[ti]
    p_at = _utc(open_places["reported_at"])[pi]
    window = np.timedelta64(days, "D")
    keep = (t_cat == p_cat) & (p_at <= t_at) & (p_at >= t_at - window)
    if tips is places:  # a frame against itself: a record is no duplicate of itself
        keep &= tips.index.to_numpy()[ti] != open_places.index.to_numpy()[pi]
    ti, pi = ti[keep], pi[keep]
    distance = tips.geometry.values[ti].distance(open_places.geometry.values[pi])
    out = pd.DataFrame({"tip": tips.index.to_numpy()[ti], "place": open_places.index.to_numpy()[pi],
                        "distance_m": np.asarray(distance, dtype=float)})
    return out.sort_values(["tip", "distance_m", "place"], kind="stable").reset_index(drop=True)


def _utc(values: pd.Series) -> np.ndarray:
    """Times as naive UTC datetime64 (comparable as numbers)."""
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).tz_convert(None).to_numpy()
