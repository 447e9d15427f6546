"""Reports from residents and partners ("Tyck till") before they become unsafe places: what may
be reported, the moderation states, personal data found in the text, and likely duplicates.

A tip is a point in EPSG:3006 with a category, a description and the time it was submitted.
Nothing here stores, publishes or notifies: the services layer does that with these rules.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import require_work_crs
from geo.errors import ValidationFailed, collect
from geo.periods import BANDS
from geo.privacy import SCRUBBED, scrub_text
from geo.vocabulary import BAND_SV, UNSAFE_CATEGORY_SV

# What the public and partners may report. Violence in close relationships and sexual offences
# are never offered: the page sends people to 112 / 114 14 and the support services instead.
TIP_CATEGORIES = ("belysning", "narkotika", "ungdomar", "skadegorelse", "trafik", "buskorning",
                  "annat")
# The unsafe-places category an approved tip becomes (buskörning and A-traktor tips are traffic).
UNSAFE_CATEGORY_OF = {"buskorning": "trafik"}
NEVER_OFFERED = ("vald_i_nara_relation", "sexualbrott")
TIP_CATEGORY_SV = {**{c: UNSAFE_CATEGORY_SV[c] for c in TIP_CATEGORIES if c in UNSAFE_CATEGORY_SV},
                   "buskorning": "buskörning eller A-traktor"}

# Moderation: a tip is new until a moderator approves, rejects or merges it.
TIP_STATES = ("ny", "godkand", "avvisad", "sammanslagen")
DECISIONS = {"approve": "godkand", "reject": "avvisad", "merge": "sammanslagen"}
TIP_STATE_SV = {"ny": "mottaget, väntar på granskning", "godkand": "godkänt",
                "avvisad": "inte godkänt", "sammanslagen": "sammanslaget med en plats som redan "
                "var rapporterad"}

# Buskörning and A-traktor tips say when it happens (a band of the local day) and whether people
# gather there; other categories leave both empty.
TIMES_OF_DAY = BANDS
GATHERING = ("ja", "nej", "vet_inte")
GATHERING_SV = {"ja": "ja", "nej": "nej", "vet_inte": "vet inte"}
NEEDS_TIME_OF_DAY = frozenset({"buskorning"})

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


def check_tip(category: str, description: str, *, time_of_day: str | None = None,
              gathering: str | None = None) -> None:
    """Raise ``ValidationFailed`` (Swedish, naming the field) for a tip that may not be filed:
    buskörning tips need ``time_of_day`` (one of ``TIMES_OF_DAY``) and ``gathering`` (one of
    ``GATHERING``); other categories have neither."""
    problems = tip_problems(category, description, time_of_day=time_of_day, gathering=gathering)
    if problems:
        raise ValidationFailed("; ".join(problems), problems)


def tip_problems(category: str, description: str, *, time_of_day: str | None = None,
                 gathering: str | None = None) -> list[str]:
    """What ``check_tip`` refuses, one Swedish sentence per problem naming its field."""
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
    if category in NEEDS_TIME_OF_DAY:
        if time_of_day not in TIMES_OF_DAY:
            problems.append("fältet 'time_of_day': välj när det brukar hända, en av "
                            f"{', '.join(TIMES_OF_DAY)}")
        if gathering not in GATHERING:
            problems.append("fältet 'gathering': svara om folk samlas där, en av "
                            f"{', '.join(GATHERING)}")
    elif time_of_day is not None or gathering is not None:
        problems.append("fälten 'time_of_day' och 'gathering' gäller bara buskörning och "
                        "A-traktorer; lämna dem tomma")
    return problems


def place_description(description: str, *, time_of_day: str | None = None,
                      gathering: str | None = None) -> str:
    """The text of the unsafe place an approved tip becomes: its description, and for buskörning
    when it happens and whether people gather there."""
    parts = [description.strip()]
    if time_of_day is not None:
        parts.append(f"När: {BAND_SV.get(time_of_day, time_of_day)}.")
    if gathering is not None:
        parts.append(f"Folk samlas där: {GATHERING_SV.get(gathering, gathering)}.")
    return " ".join(p for p in parts if p)


# The columns of a partner's weekly CSV file (one report a row; semicolon or comma separated).
CSV_COLUMNS = ("lon", "lat", "category", "description", "time", "time_of_day", "gathering")
CSV_REQUIRED = ("lon", "lat", "category", "description")
MAX_CSV_ROWS = 500


def read_tip_csv(text: str, *, origin: str) -> list[dict[str, object]]:
    """The reports of a partner's CSV ``text`` (columns ``CSV_COLUMNS``; ``time`` optional, ISO
    8601 or a local "2024-10-27 21:30"), all checked: one ``ValidationFailed`` names every bad
    row and field of ``origin``, and nothing is returned then (all or nothing)."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip().lower() for h in (rows[0].keys() if rows else [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if not rows:
        raise ValidationFailed(f"{origin}: filen har inga rader; kolumnerna är "
                               f"{', '.join(CSV_COLUMNS)}")
    if missing:
        raise ValidationFailed(f"{origin}: kolumnen {', '.join(missing)} saknas; kolumnerna "
                               f"är {', '.join(CSV_COLUMNS)}")
    if len(rows) > MAX_CSV_ROWS:
        raise ValidationFailed(f"{origin}: högst {MAX_CSV_ROWS} rader per fil ({len(rows)} "
                               "angavs)")
    out: list[dict[str, object]] = []
    problems: list[str] = []
    for n, raw in enumerate(rows, start=2):  # line 1 is the header
        row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        where = f"{origin}, rad {n}"
        try:
            lon, lat = float(row["lon"].replace(",", ".")), float(row["lat"].replace(",", "."))
        except ValueError:
            problems.append(f"{where}: fälten 'lon' och 'lat' ska vara tal (WGS84 grader)")
            continue
        tip = {"lon": lon, "lat": lat, "category": row["category"],
               "description": row["description"], "time": row.get("time") or None,
               "time_of_day": row.get("time_of_day") or None,
               "gathering": row.get("gathering") or None}
        problems.extend(f"{where}: {p}" for p in tip_problems(
            str(tip["category"]), str(tip["description"]),
            time_of_day=row.get("time_of_day") or None, gathering=row.get("gathering") or None))
        out.append(tip)
    collect(problems, f"{origin}: {len(problems)} fel; inget sparades")
    return out


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
