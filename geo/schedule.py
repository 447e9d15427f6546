"""A randomised weekly plan of traffic checks: site × time block, drawn at random.

Predictable checks lose their effect, so the week is drawn, not chosen: each (site, block) pair
is picked with probability proportional to the risk weight the site covers × the risk the
hour-of-week profile puts in the block. One check at a time (a block is used once), at most
``max_per_site`` blocks per site, only blocks inside the planner's available hours, and a seed
makes the draw reproducible.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ValidationFailed, collect
from geo.periods import LOCAL_TZ
from geo.riskprofile import HOURS_PER_WEEK
from geo.vocabulary import WEEKDAY_SV

# Parts of the day the comparison reports (local hours, end exclusive; night wraps midnight).
DAYPARTS = (("natt", 22, 6), ("morgon", 6, 10), ("dag", 10, 16), ("kväll", 16, 22))


def week_start(week: str) -> pd.Timestamp:
    """Monday 00:00 Swedish local time of an ISO week such as "2024-W10"."""
    found = re.fullmatch(r"(\d{4})-W(\d{2})", (week or "").strip())
    if not found:
        raise ValidationFailed(f"vecka {week!r}: skriv ISO-veckan som ÅÅÅÅ-Vnn, t.ex. 2024-W10")
    try:
        day = pd.Timestamp.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        raise ValidationFailed(f"vecka {week!r}: år {found.group(1)} har ingen vecka "
                               f"{int(found.group(2))}") from None
    return day.tz_localize(LOCAL_TZ)


@dataclass
class Plan:
    """The drawn checks (one row per check) and how their hours compare with the risk."""

    checks: pd.DataFrame
    comparison: pd.DataFrame
    risk_share_planned: float
    hours_share_planned: float
    notes: list[str]


def weekly_plan(sites: gpd.GeoDataFrame, profile: np.ndarray, *, week: str, seed: int,
                checks: int, block_h: int = 2, max_per_site: int = 2,
                available: np.ndarray | None = None) -> Plan:
    """Draw ``checks`` (site, block) pairs for ``week``.

    ``sites`` needs ``weight_covered`` (and ``name``, ``rank``); ``profile`` is the 168-hour
    risk profile (Monday 00–01 first); ``available`` is 168 booleans of the planner's hours
    (all hours when None): a block is used only if all its hours are available.
    """
    problems = []
    if block_h not in (1, 2, 3, 4, 6, 8, 12):
        problems.append("block_h måste gå jämnt upp i 24 (1, 2, 3, 4, 6, 8 eller 12), inte "
                        f"{block_h}")
    if checks <= 0:
        problems.append(f"checks måste vara minst 1, inte {checks}")
    if max_per_site <= 0:
        problems.append(f"max_per_site måste vara minst 1, inte {max_per_site}")
    if len(profile) != HOURS_PER_WEEK:
        problems.append(f"profile måste ha {HOURS_PER_WEEK} timmar, inte {len(profile)}")
    if sites.empty:
        problems.append("det finns inga platser att planera")
    collect(problems, "ingen veckoplan kan slumpas")
    start = week_start(week)
    available = np.ones(HOURS_PER_WEEK, dtype=bool) if available is None \
        else np.asarray(available, dtype=bool)
    n_blocks = HOURS_PER_WEEK // block_h
    block_risk = profile.reshape(n_blocks, block_h).sum(axis=1)
    # A block in the hour the clocks skip (02–03 on the last Sunday of March, 1-hour blocks)
    # does not happen that week: it is never drawn.
    happens = np.array([_local(start, (k + 1) * block_h) > _local(start, k * block_h)
                        for k in range(n_blocks)])
    block_open = available.reshape(n_blocks, block_h).all(axis=1) & happens
    site_w = sites["weight_covered"].to_numpy(dtype=float)
    prob = np.outer(site_w, np.where(block_open, block_risk, 0.0))
    rng = np.random.default_rng(seed)
    used = np.zeros(len(sites), dtype=int)
    picks: list[tuple[int, int]] = []
    notes: list[str] = []
    for _ in range(checks):
        total = prob.sum()
        if total <= 0:
            notes.append(f"Bara {len(picks)} av {checks} kontroller får plats på de valda "
                         f"timmarna med högst {max_per_site} per plats; välj fler timmar eller "
                         "dagar, fler platser eller färre kontroller.")
            break
        flat = rng.choice(prob.size, p=(prob / total).ravel())
        s, b = divmod(int(flat), n_blocks)
        picks.append((s, b))
        prob[:, b] = 0.0
        used[s] += 1
        if used[s] >= max_per_site:
            prob[s, :] = 0.0
    picks.sort(key=lambda p: p[1])
    web = sites.to_crs("EPSG:4326")
    rows = []
    for s, b in picks:
        hour = b * block_h
        begin = _local(start, hour)
        end = _local(start, hour + block_h)
        rows.append({
            "site_rank": int(sites["rank"].iloc[s]), "site": str(sites["name"].iloc[s]),
            "lon": round(float(web.geometry.values[s].x), 7),
            "lat": round(float(web.geometry.values[s].y), 7),
            "weekday": WEEKDAY_SV[hour // 24],
            "block": f"{hour % 24:02d}–{(hour % 24) + block_h:02d}",
            "start": begin.isoformat(), "end": end.isoformat(),
            "block_risk_share": float(block_risk[b]),
        })
    frame = pd.DataFrame(rows, columns=["site_rank", "site", "lon", "lat", "weekday", "block",
                                        "start", "end", "block_risk_share"])
    planned = np.zeros(HOURS_PER_WEEK, dtype=bool)
    for _, b in picks:
        planned[b * block_h:(b + 1) * block_h] = True
    return Plan(frame, _comparison(planned, profile), float(profile[planned].sum()),
                float(planned.mean()), notes)


def _local(week_start_local: pd.Timestamp, hour: int) -> pd.Timestamp:
    """Local wall-clock time ``hour`` hours into the week (correct across a DST change)."""
    naive = week_start_local.tz_localize(None) + pd.Timedelta(hours=hour)
    return naive.tz_localize(LOCAL_TZ, ambiguous=True, nonexistent="shift_forward")


def _comparison(planned: np.ndarray, profile: np.ndarray) -> pd.DataFrame:
    """Share of planned hours and of risk in weekday/weekend × part of day."""
    hours = np.arange(HOURS_PER_WEEK)
    hour_of_day, day = hours % 24, hours // 24
    total_planned = max(int(planned.sum()), 1)
    rows = []
    for daytype, days in (("vardag", day < 5), ("helg", day >= 5)):
        for part, a, b in DAYPARTS:
            in_part = (hour_of_day >= a) & (hour_of_day < b) if a < b \
                else (hour_of_day >= a) | (hour_of_day < b)
            mask = days & in_part
            rows.append({"period": f"{daytype} {part} ({a:02d}–{b:02d})",
                         "planned_share": float(planned[mask].sum() / total_planned),
                         "risk_share": float(profile[mask].sum())})
    return pd.DataFrame(rows)
