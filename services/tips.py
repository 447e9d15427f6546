"""Tips from residents ("Tyck till") and partners, and their moderation: the use-cases the
routes, the CLI and the tests call.

* ``submit_public``: an anonymous report from the public page, checked against the bot rules
  (a honeypot field left empty, a signed form token at least ``MIN_SECONDS_TO_SUBMIT`` old) and
  ``geo.tips``; answers the receipt the reporter follows with ``status``.
* ``submit_partner`` / ``import_partner_csv``: a partner reporter (``rapportor``) files reports
  for its organisation; ``partner_reports`` lists its own and nobody else's.
* ``moderation_queue`` / ``moderate``: planerare, patrullchef and admin approve (the tip becomes
  an unsafe_places record, provenance "real", source "Tyck till", its text scrubbed of personal
  data and the kinds found flagged), reject or merge it into an unsafe place already reported.

Nothing submitted is shown anywhere but here until a moderator approves it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely
from shapely.geometry import Point

from geo.crs import WEB_CRS, WORK_CRS
from geo.errors import NotFound, ValidationFailed, collect
from geo.periods import LOCAL_TZ
from geo.tips import (
    TIP_CATEGORY_SV, TIP_STATE_SV, check_tip, decide, duplicate_candidates,
    place_description, read_tip_csv, scrub_tip_text, tip_problems, unsafe_category,
)
from services.access import Viewer
from store import Store
from store.accounts import User
from store.store import utc_now
from store.tips import (
    add_tips, decide_tip, list_tips, reporters, tip_audit, tip_by_id, tip_by_receipt,
)

SOURCE = "Tyck till"  # the source of every unsafe place a tip becomes
PROVENANCE = "real"  # reported by residents and partners, reviewed by a moderator
MIN_SECONDS_TO_SUBMIT = 3.0  # a person needs longer than this to fill in the form
FORM_VALID_S = 24 * 3600.0  # a form token older than a day is refused
BOUNDARY_MARGIN_M = 500.0  # a point this close outside the municipality still counts
PUBLIC, PARTNER = "allmanhet", "samverkan"
REPORT_SOURCE = {PUBLIC: "medborgare", PARTNER: "samverkan"}
OPEN_PLACE = "oppen"

_to_work = pyproj.Transformer.from_crs(WEB_CRS, WORK_CRS, always_xy=True)
_to_web = pyproj.Transformer.from_crs(WORK_CRS, WEB_CRS, always_xy=True)


@dataclass(frozen=True)
class TipIn:
    """One report as the reporter gave it: a point (WGS84), a category of
    ``geo.tips.TIP_CATEGORIES``, a description, optionally when it happened (ISO 8601, local if
    without an offset) and for buskörning the time of day and whether people gather there."""

    lon: float
    lat: float
    category: str
    description: str
    time: str | None = None
    time_of_day: str | None = None
    gathering: str | None = None


# --- the public form's bot checks -------------------------------------------------------------

def form_token(secret: str, *, issued_at_s: float | None = None) -> str:
    """A token the public page carries: when the form was served, signed with the secret (no
    cookie needed; a bot that posts at once, or invents a time, is refused)."""
    issued = int(time.time() if issued_at_s is None else issued_at_s)
    mac = hmac.new(secret.encode(), f"tyck-till:{issued}".encode(), hashlib.sha256).hexdigest()
    return f"{issued}.{mac[:32]}"


def check_form(secret: str, token: str, honeypot: str, *, now_s: float | None = None) -> None:
    """Raise ``ValidationFailed`` for a submission a person did not make: the hidden field
    filled in, or a form token that is missing, forged, too young or too old."""
    now = time.time() if now_s is None else now_s
    if honeypot.strip():
        raise ValidationFailed("formuläret kunde inte tas emot (ett dolt fält var ifyllt); "
                               "ladda om sidan och fyll i det igen")
    issued_text, _, _ = token.partition(".")
    if not issued_text.isdigit() or not hmac.compare_digest(
            token, form_token(secret, issued_at_s=int(issued_text))):
        raise ValidationFailed("fältet 'form_token' saknas eller är fel; ladda om sidan och "
                               "fyll i formuläret igen")
    age = now - int(issued_text)
    if age < MIN_SECONDS_TO_SUBMIT:
        raise ValidationFailed("formuläret skickades för snabbt; vänta några sekunder och "
                               "skicka igen")
    if age > FORM_VALID_S:
        raise ValidationFailed("formuläret är för gammalt; ladda om sidan och fyll i det igen")


# --- submitting ---------------------------------------------------------------------------------

def _observed(text: str | None, *, field: str = "time") -> str | None:
    """The UTC text of when it happened (naive: Stockholm time), not in the future."""
    if text is None or not str(text).strip():
        return None
    try:
        stamp = pd.Timestamp(str(text).strip())
    except ValueError:
        raise ValidationFailed(f"fältet '{field}': {text!r} är ingen tid; skriv t.ex. "
                               "2024-10-27 21:30") from None
    stamp = stamp.tz_localize(LOCAL_TZ) if stamp.tzinfo is None else stamp
    if stamp > pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=1):
        raise ValidationFailed(f"fältet '{field}': tiden ligger i framtiden")
    return stamp.tz_convert("UTC").isoformat()


def _point(store: Store, lon: float, lat: float) -> tuple[float, float]:
    """The EPSG:3006 point of ``lon``/``lat``, refused unless inside the municipality (its
    loaded boundary, with a margin), or Sweden when no boundary is loaded."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("fälten 'lon' och 'lat': välj platsen på kartan")
    x, y = _to_work.transform(lon, lat)
    boundaries = store.read("boundaries")
    if len(boundaries):
        area = shapely.union_all(boundaries.geometry.values)
        inside = area.dwithin(Point(x, y), BOUNDARY_MARGIN_M)
    else:
        inside = 10.0 <= lon <= 24.2 and 55.0 <= lat <= 69.1
    if not inside:
        raise ValidationFailed("fälten 'lon' och 'lat': platsen ligger utanför kommunen; "
                               "välj en plats på kartan inom kommunen")
    return float(x), float(y)


def _receipt() -> str:
    """A code that is hard to guess: 12 characters without look-alikes (0/O, 1/I/L)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    code = "".join(secrets.choice(alphabet) for _ in range(12))
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def _row(store: Store, tip: TipIn, *, channel: str, user: User | None) -> dict[str, Any]:
    check_tip(tip.category, tip.description, time_of_day=tip.time_of_day,
              gathering=tip.gathering)
    x, y = _point(store, tip.lon, tip.lat)
    organisation = None if user is None else (user.organisation or user.name)
    return {"receipt": _receipt(), "state": "ny", "category": tip.category,
            "description": tip.description.strip(), "x": x, "y": y,
            "time_of_day": tip.time_of_day, "gathering": tip.gathering,
            "observed_at": _observed(tip.time), "submitted_at": utc_now(), "channel": channel,
            "user_id": None if user is None else user.id, "organisation": organisation}


def submit_public(store: Store, tip: TipIn, *, secret: str, form: str, honeypot: str = "",
                  now_s: float | None = None) -> dict[str, Any]:
    """File an anonymous report from the public page; return its receipt and status."""
    check_form(secret, form, honeypot, now_s=now_s)
    row = _row(store, tip, channel=PUBLIC, user=None)
    add_tips(store, [row])
    return status(store, row["receipt"])


def submit_partner(store: Store, tip: TipIn, *, user: User) -> dict[str, Any]:
    """File a report for the partner ``user``'s organisation; return it as its owner sees it."""
    row = _row(store, tip, channel=PARTNER, user=user)
    (tip_id,) = add_tips(store, [row], actor=user)
    return _own(tip_by_id(store, tip_id))


def import_partner_csv(store: Store, text: str, *, origin: str, user: User
                       ) -> list[dict[str, Any]]:
    """File every report of a partner's weekly CSV (``geo.tips.CSV_COLUMNS``), all or none:
    every bad row and field is named before anything is written."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for n, values in enumerate(read_tip_csv(text, origin=origin), start=2):
        try:
            rows.append(_row(store, TipIn(**values), channel=PARTNER,  # type: ignore[arg-type]
                             user=user))
        except ValidationFailed as exc:
            problems.extend(f"{origin}, rad {n}: {p}" for p in (exc.details or [exc.message]))
    collect(problems, f"{origin}: {len(problems)} fel; inget sparades")
    ids = add_tips(store, rows, actor=user)
    return [_own(tip_by_id(store, i)) for i in ids]


# --- what reporters see -------------------------------------------------------------------------

def _lonlat(row: dict[str, Any]) -> tuple[float, float]:
    lon, lat = _to_web.transform(row["x"], row["y"])
    return round(float(lon), 6), round(float(lat), 6)


def status(store: Store, receipt: str) -> dict[str, Any]:
    """What the reporter with ``receipt`` may know: the state, when, and the moderator's note;
    never the text or the place (a receipt seen over a shoulder tells nothing)."""
    row = tip_by_receipt(store, receipt.strip().upper())
    if row is None:
        raise NotFound("det finns inget tips med den koden; kontrollera koden")
    state = row["state"]
    return {"receipt": row["receipt"], "state": state, "state_sv": TIP_STATE_SV[state],
            "category": row["category"], "category_sv": TIP_CATEGORY_SV[row["category"]],
            "submitted_at": row["submitted_at"], "decided_at": row["decided_at"],
            "note": row["note"] or "",
            "on_map": state in ("godkand", "sammanslagen")}


def _own(row: dict[str, Any]) -> dict[str, Any]:
    lon, lat = _lonlat(row)
    return {"id": row["id"], "receipt": row["receipt"], "state": row["state"],
            "state_sv": TIP_STATE_SV[row["state"]], "category": row["category"],
            "description": row["description"], "lon": lon, "lat": lat,
            "time_of_day": row["time_of_day"], "gathering": row["gathering"],
            "observed_at": row["observed_at"], "submitted_at": row["submitted_at"],
            "organisation": row["organisation"], "note": row["note"] or ""}


def partner_reports(store: Store, user: User) -> list[dict[str, Any]]:
    """The reports ``user`` filed, newest first; nobody else's."""
    return [_own(r) for r in list_tips(store, user_id=user.id)]


# --- moderation -------------------------------------------------------------------------------

def _frame(rows: list[dict[str, Any]], *, index: str = "id") -> gpd.GeoDataFrame:
    frame = pd.DataFrame({"category": [r["category"] for r in rows],
                          "reported_at": pd.to_datetime([r["submitted_at"] for r in rows],
                                                        utc=True),
                          "status": [r["state"] for r in rows]},
                         index=pd.Index([r[index] for r in rows], name="id"))
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(
        [r["x"] for r in rows], [r["y"] for r in rows]), crs=WORK_CRS)


def moderation_queue(store: Store, viewer: Viewer, *, state: str = "ny") -> list[dict[str, Any]]:
    """Tips in ``state`` for a moderator, newest first: the text (scrubbed but for admin) and
    the kinds of personal data in it, and the likely duplicates (``geo.tips``: open unsafe
    places and other new tips of the same category within 50 m in the 90 days before) with the
    number of reporters each unsafe place has."""
    return _for_moderator(store, viewer, list_tips(store, states=(state,)))


def moderation_tip(store: Store, viewer: Viewer, tip_id: int) -> dict[str, Any]:
    """One tip as ``moderation_queue`` shows it, with its audit trail (who did what, when)."""
    (out,) = _for_moderator(store, viewer, [tip_by_id(store, tip_id)])
    out["audit"] = [{"at": a["at"], "actor": a["actor"], "role": a["role"],
                     "action": a["action"], "details": a["details"]}
                    for a in tip_audit(store, tip_id)]
    return out


def _for_moderator(store: Store, viewer: Viewer, rows: list[dict[str, Any]]
                   ) -> list[dict[str, Any]]:
    if not rows:
        return []
    tips = _frame(rows)
    places = store.read("unsafe_places")
    places = places[places["status"].fillna(OPEN_PLACE) == OPEN_PLACE]
    near_places = duplicate_candidates(tips, places)
    near_tips = duplicate_candidates(tips, _frame(list_tips(store, states=("ny",))))
    counts = reporters(store, [int(p) for p in near_places["place"]])
    out = []
    for row in rows:
        scrubbed = scrub_tip_text(row["description"])
        lon, lat = _lonlat(row)
        mine_p = near_places[near_places["tip"] == row["id"]]
        mine_t = near_tips[(near_tips["tip"] == row["id"]) & (near_tips["place"] != row["id"])]
        out.append({
            "id": row["id"], "state": row["state"], "state_sv": TIP_STATE_SV[row["state"]],
            "category": row["category"], "category_sv": TIP_CATEGORY_SV[row["category"]],
            "description": row["description"] if viewer.sees_raw_text else scrubbed.text,
            "description_scrubbed": scrubbed.text, "personal_data": list(scrubbed.found),
            "lon": lon, "lat": lat, "time_of_day": row["time_of_day"],
            "gathering": row["gathering"], "observed_at": row["observed_at"],
            "submitted_at": row["submitted_at"], "channel": row["channel"],
            "organisation": row["organisation"], "decided_at": row["decided_at"],
            "decided_by": row["decided_by"], "place_id": row["place_id"],
            "duplicates": [{"kind": "unsafe_place", "id": int(d.place),
                            "distance_m": round(float(d.distance_m), 1),
                            "category": str(places.at[d.place, "category"]),
                            "reporters": counts[int(d.place)]}
                           for d in mine_p.itertuples()]
                          + [{"kind": "tip", "id": int(d.place),
                              "distance_m": round(float(d.distance_m), 1)}
                             for d in mine_t.itertuples()],
        })
    return out


@dataclass(frozen=True)
class Decision:
    """A moderator's decision: ``approve``, ``reject`` or ``merge`` (into unsafe place
    ``merge_into``); on approval the category, description and point may be edited first; a
    note to the reporter."""

    decision: str
    category: str | None = None
    description: str | None = None
    lon: float | None = None
    lat: float | None = None
    merge_into: int | None = None
    note: str | None = None


def moderate(store: Store, tip_id: int, choice: Decision, *, actor: User) -> dict[str, Any]:
    """Decide tip ``tip_id`` (only a new one) as ``actor``, audited with who and when. The stored
    text is scrubbed of personal data on every decision (the kinds found are kept and answered);
    an approved tip becomes an unsafe place; a merged one counts as a reporter of the place it
    is merged into. Returns the tip as a moderator sees it, with ``place_id``."""
    row = tip_by_id(store, tip_id)
    state = decide(row["state"], choice.decision)
    category = choice.category or row["category"]
    description = row["description"] if choice.description is None else choice.description
    edits = {k for k in ("category", "description", "lon", "lat")
             if getattr(choice, k) is not None}
    if choice.merge_into is not None and choice.decision != "merge":
        raise ValidationFailed("fältet 'merge_into': gäller bara beslutet merge")
    if edits and choice.decision != "approve":
        raise ValidationFailed(f"fälten {', '.join(sorted(edits))}: ändringar görs bara när "
                               "tipset godkänns")
    # Another category drops buskörning's time of day and gathering (and cannot gain them).
    same = category == row["category"]
    time_of_day, gathering = (row["time_of_day"], row["gathering"]) if same else (None, None)
    problems = tip_problems(category, description, time_of_day=time_of_day, gathering=gathering)
    if problems:
        raise ValidationFailed("; ".join(problems), problems)
    x, y = row["x"], row["y"]
    if choice.lon is not None or choice.lat is not None:
        if choice.lon is None or choice.lat is None:
            raise ValidationFailed("fälten 'lon' och 'lat': ange båda för att flytta platsen")
        x, y = _point(store, choice.lon, choice.lat)
    scrubbed = scrub_tip_text(description)
    values: dict[str, Any] = {"state": state, "category": category,
                              "description": scrubbed.text, "x": x, "y": y,
                              "time_of_day": time_of_day, "gathering": gathering,
                              "decided_at": utc_now(), "decided_by": actor.name,
                              "personal_data": list(scrubbed.found),
                              "note": (choice.note or "").strip()[:500] or None}
    place = None
    if choice.decision == "approve":
        place = _place({**row, **values})
    elif choice.decision == "merge":
        values["place_id"] = _merge_target(store, choice.merge_into)
    decided = decide_tip(store, tip_id, expected_state=row["state"], values=values,
                         actor=actor, place=place,
                         details={"decision": choice.decision, "edited": sorted(edits),
                                  "personal_data": list(scrubbed.found)})
    out = {"id": tip_id, "state": decided["state"], "state_sv": TIP_STATE_SV[decided["state"]],
           "place_id": decided["place_id"], "personal_data": decided["personal_data"],
           "decided_by": decided["decided_by"], "decided_at": decided["decided_at"],
           "description": decided["description"]}
    if decided["place_id"] is not None:
        out["reporters"] = reporters(store, [decided["place_id"]])[decided["place_id"]]
    return out


def _place(row: dict[str, Any]) -> gpd.GeoDataFrame:
    """The unsafe_places record an approved tip (``row``, as edited) becomes."""
    reported = row["observed_at"] or row["submitted_at"]
    source = SOURCE if row["organisation"] is None else f"{SOURCE} ({row['organisation']})"
    return gpd.GeoDataFrame({
        "category": [unsafe_category(row["category"])],
        "description": [place_description(row["description"], time_of_day=row["time_of_day"],
                                          gathering=row["gathering"])],
        "report_source": [REPORT_SOURCE[row["channel"]]],
        "reported_at": [pd.Timestamp(reported)], "status": [OPEN_PLACE], "sensitive": [False],
        "provenance": [PROVENANCE], "source": [source],
    }, geometry=[Point(row["x"], row["y"])], crs=WORK_CRS)


def _merge_target(store: Store, place_id: int | None) -> int:
    if place_id is None:
        raise ValidationFailed("fältet 'merge_into': ange den otrygga plats tipset gäller")
    found = store.read("unsafe_places", ids=[place_id])
    if found.empty:
        raise ValidationFailed(f"fältet 'merge_into': den otrygga platsen {place_id} finns inte")
    if bool(found["sensitive"].fillna(False).iloc[0]):
        raise ValidationFailed(f"fältet 'merge_into': platsen {place_id} är känslig; tips "
                               "slås inte ihop med känsliga platser")
    return int(place_id)

