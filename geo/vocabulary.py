"""Swedish words for the values of the data model: one home for every label the UI shows.

Each dictionary is keyed by the values of one enum of ``geo.layers`` (or of the module named in
its comment) and gives the word in lower case, as it stands inside a sentence; a label that
starts a line or a legend entry is the same word through ``first_upper`` / ``capitalised``, so
one meaning has one spelling. ``tests/test_vocabulary.py`` checks the keys against the enums.
This module imports nothing from the project, so every module of ``geo`` and ``maps`` may use it.
"""

from __future__ import annotations

from collections.abc import Mapping


def first_upper(text: str) -> str:
    """``text`` with its first letter upper-cased ("dag 06–18" → "Dag 06–18")."""
    return text[:1].upper() + text[1:]


def capitalised(labels: Mapping[str, str]) -> dict[str, str]:
    """The same labels, each with its first letter upper-cased."""
    return {key: first_upper(text) for key, text in labels.items()}


# --- common columns (geo.layers.PROVENANCES) ------------------------------------------------------
PROVENANCE_SV = {"real": "verklig", "derived": "härledd", "illustrative": "illustrativ",
                 "simulated": "simulerad"}
# The same, spelt out for a map's notes and popups.
PROVENANCE_LONG_SV = {"real": "verklig data", "derived": "härledd ur verklig data",
                      "illustrative": "illustrativ (exempel)", "simulated": "simulerad"}

# --- unsafe places (geo.layers.UNSAFE_CATEGORIES) and the hotspot map's groups -----------------
UNSAFE_CATEGORY_SV = {
    "belysning": "belysning", "narkotika": "narkotika", "ungdomar": "ungdomar", "vald": "våld",
    "vald_i_nara_relation": "våld i nära relation", "sexualbrott": "sexualbrott",
    "trafik": "trafik", "skadegorelse": "skadegörelse", "annat": "annat",
}
EVENTS_GROUP = "polisens_handelser"  # the hotspot map's group of police events
HOTSPOT_GROUP_SV = capitalised({**UNSAFE_CATEGORY_SV, EVENTS_GROUP: "polisens händelser"})

# --- roads and checks (RISK_CATEGORIES, CHECK_KINDS, CANDIDATE_KINDS, check status) ---------------
RISK_CATEGORY_SV = {"hastighet": "hastighet", "rattfylleri": "rattfylleri",
                    "buskorning": "buskörning", "a_traktor": "A-traktor"}
CHECK_KIND_SV = {"hastighet": "hastighet", "nykterhet": "nykterhet", "a_traktor": "A-traktor",
                 "allman": "allmän"}
# Kinds of check as the report names what was checked for ("hastighet, A-traktorer").
CHECK_KIND_PLURAL_SV = {**CHECK_KIND_SV, "a_traktor": "A-traktorer"}
CANDIDATE_KIND_SV = {"rastficka": "rastficka", "parkering": "parkering",
                     "busshallplats": "busshållplats", "annan": "annan"}
CHECK_STATUS_SV = {"planerad": "planerad", "genomford": "genomförd"}
PATROL_KIND_SV = {"fot": "fot", "bil": "bil"}
LOCATION_PRECISION_SV = {"place": "plats", "street": "gata", "locality": "ort",
                         "municipality": "endast kommun", "lan": "endast län",
                         "several": "flera platser"}

# --- activities (ACTIVITY_KINDS): one activity, and "how many" in the report -------------------
ACTIVITY_SV = {"narkotikainsats": "narkotikainsats", "informationstraff": "informationsträff",
               "utbildning": "utbildning", "trafikinsats": "trafikinsats",
               "a_traktor_buskorning": "A-traktor/buskörning",
               "trygghetsvandring": "trygghetsvandring", "annat": "annat"}
ACTIVITY_PLURAL_SV = {"narkotikainsats": "insatser mot narkotika",
                      "informationstraff": "informationsträffar", "utbildning": "utbildningar",
                      "trafikinsats": "trafikinsatser",
                      "a_traktor_buskorning": "insatser mot A-traktorer/buskörning",
                      "trygghetsvandring": "trygghetsvandringar", "annat": "övriga aktiviteter"}

# --- the promise's actions (ACTION_OWNERS, ACTION_STATUSES) ---------------------------------------
OWNER_SV = {"polisen": "Polisen", "kommunen": "Timrå kommun", "timrabor": "Timråbor"}
ACTION_STATUS_SV = {"planerad": "planerad", "pagaende": "pågående", "klar": "klar",
                    "installd": "inställd"}

# --- time (geo.periods: BANDS, DAYTYPES; ISO weekdays Monday first; months) ---------------------
BAND_SV = {"dag": "dag 06–18", "kvall": "kväll 18–24", "natt": "natt 00–06"}
DAYTYPE_SV = {"vardag": "vardag", "helg": "helg"}
WEEKDAY_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAY_SHORT_SV = ("mån", "tis", "ons", "tors", "fre", "lör", "sön")
MONTH_SHORT_SV = ("jan", "feb", "mars", "apr", "maj", "juni", "juli", "aug", "sep", "okt", "nov",
                  "dec")

# --- emerging hot spots (geo.emerging's categories) ----------------------------------------------
TREND_SV: dict[str, str] = {
    "new_hot_spot": "ny hot spot",
    "consecutive_hot_spot": "hot spot i följd",
    "intensifying_hot_spot": "tilltagande hot spot",
    "persistent_hot_spot": "ihållande hot spot",
    "diminishing_hot_spot": "avtagande hot spot",
    "sporadic_hot_spot": "sporadisk hot spot",
    "oscillating_hot_spot": "pendlande hot spot",
    "historical_hot_spot": "tidigare hot spot",
    "new_cold_spot": "ny cold spot",
    "consecutive_cold_spot": "cold spot i följd",
    "intensifying_cold_spot": "tilltagande cold spot",
    "persistent_cold_spot": "ihållande cold spot",
    "diminishing_cold_spot": "avtagande cold spot",
    "sporadic_cold_spot": "sporadisk cold spot",
    "oscillating_cold_spot": "pendlande cold spot",
    "historical_cold_spot": "tidigare cold spot",
    "no_pattern": "inget mönster",
    "too_few": "för få för att avgöra",
}

# Values of any categorised field, as a styled layer's legend names them (geo.styles).
VALUE_LABELS_SV = capitalised({
    **UNSAFE_CATEGORY_SV, **CHECK_STATUS_SV, **PATROL_KIND_SV, **LOCATION_PRECISION_SV,
    **CANDIDATE_KIND_SV, **ACTIVITY_SV, **ACTION_STATUS_SV,
})
