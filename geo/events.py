"""Police events from the Swedish Police open API (https://polisen.se/api/events).

The API serves a JSON list of events; archives keep them as JSON lists or as JSON Lines (one event
a line), often gzipped. An event looks like::

    {"id": 410834, "datetime": "2023-03-22 7:28:40 +01:00",
     "name": "22 mars 06:50, Trafikolycka, Timrå", "summary": "Trafikolycka på E4 vid Timrå.",
     "url": "/aktuellt/handelser/2023/mars/22/22-mars-0650-trafikolycka-timra/",
     "type": "Trafikolycka", "location": {"name": "Timrå", "gps": "62.485456,17.324865"}}

Quirks handled here: hours without a leading zero in ``datetime``; relative ``url``; and from 2026
on ``location.name`` is the county ("Västernorrlands län") while the municipality is the last
comma-separated part of ``name``. ``location.gps`` is only the centre of the municipality (or
county), never the place of the event: see ``geo.geocode`` for placing events from their text.
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import ImportRejected, collect, problem_count
from geo.layers import is_missing, parse_datetime

LIVE_FEED_URL = "https://polisen.se/api/events"
POLISEN_BASE_URL = "https://polisen.se"
_MAX_PROBLEMS_SHOWN = 20

EVENT_COLUMNS = ("event_id", "type", "time", "name", "summary", "url", "municipality",
                 "gps_lat", "gps_lon")


# --- reading ----------------------------------------------------------------------------------

def read_events(path: str | Path) -> list[dict[str, Any]]:
    """Read raw API events from a JSON list file, a JSON Lines file or a gzip of either. Raise
    ``ImportRejected`` on unreadable or bad JSON, naming the file and the line/column of the
    error. (The live API is read by ``sources.polisen``; this module does no network.)"""
    origin = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportRejected(f"{origin}: filen går inte att läsa: {exc.strerror or exc}") from exc
    return events_from_bytes(data, origin=origin)


def events_from_bytes(data: bytes, *, origin: str) -> list[dict[str, Any]]:
    """Raw API events from the bytes of a JSON list, JSON Lines or a gzip of either."""
    if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ImportRejected(f"{origin}: är ingen giltig gzip-fil: {exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected(f"{origin}: är inte UTF-8-text (byte {exc.start}): {exc.reason}; "
                             "spara filen som UTF-8") from exc
    return _parse_json_events(text, origin)


def _parse_json_events(text: str, origin: str) -> list[dict[str, Any]]:
    """A JSON list document, or JSON Lines (one event object a line)."""
    stripped = text.lstrip()
    if not stripped:
        return []
    if stripped.startswith("["):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportRejected(
                f"{origin}: fel i JSON på rad {exc.lineno}, kolumn {exc.colno} "
                f"(tecken {exc.pos}): {exc.msg}") from exc
        items = doc
    else:
        items = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ImportRejected(
                    f"{origin}: fel i JSON på rad {lineno}, kolumn {exc.colno}: {exc.msg}"
                ) from exc
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if bad:
        raise ImportRejected(
            f"{origin}: händelserna ska vara objekt; post {', '.join(map(str, bad[:10]))} "
            f"är inga objekt", [f"{origin}, händelse {i}: är inget objekt" for i in bad])
    return [item for item in items if isinstance(item, dict)]


# --- parsing ----------------------------------------------------------------------------------

def parse_events(raw: list[dict[str, Any]], *, origin: str) -> pd.DataFrame:
    """Validate raw API events and return one row per event with the columns ``EVENT_COLUMNS``.

    ``time`` is a tz-aware UTC timestamp; ``url`` is absolute; ``municipality`` is the event's
    area (see the module docstring for the 2026 county quirk); ``gps_lat``/``gps_lon`` are the
    area's centre (NaN when missing or unreadable). Missing or bad ``id``, ``datetime`` or ``type``
    raise ``ImportRejected`` listing every problem as "<origin>, händelse <i>: x: ...".
    """
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for i, event in enumerate(raw):
        where = f"{origin}, händelse {i}"
        if not isinstance(event, dict):
            problems.append(f"{where}: är inget objekt utan {type(event).__name__}")
            continue
        row, errs = _parse_event(event, where)
        rows.append(row)
        problems.extend(errs)
    collect(problems, f"{problem_count(len(problems))} i {origin}", error=ImportRejected,
            limit=_MAX_PROBLEMS_SHOWN)
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    return frame.astype({
        "event_id": "int64", "time": "datetime64[ns, UTC]", "gps_lat": "float64",
        "gps_lon": "float64",
    })


def _parse_event(event: dict[str, Any], where: str) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    event_id = _event_id(event.get("id"))
    if event_id is None:
        problems.append(f"{where}: id: ska vara ett heltal, inte {event.get('id')!r}")
    raw_time = event.get("datetime")
    time: pd.Timestamp | None = None
    if is_missing(raw_time):
        problems.append(f"{where}: datetime: saknas; ange händelsens tid")
    else:
        try:
            time = parse_datetime(raw_time)
        except (ValueError, TypeError) as exc:
            problems.append(f"{where}: datetime: {exc}")
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type.strip():
        problems.append(f"{where}: type: ska vara en text som inte är tom, inte {event_type!r}")
        event_type = ""
    name = _text(event.get("name"))
    raw_location = event.get("location")
    location: dict[str, Any] = raw_location if isinstance(raw_location, dict) else {}
    lat, lon = parse_gps(location.get("gps"))
    row = {
        "event_id": event_id if event_id is not None else 0,
        "type": event_type.strip(),
        "time": time if time is not None else pd.NaT,
        "name": name,
        "summary": _text(event.get("summary")),
        "url": absolute_url(_text(event.get("url"))),
        "municipality": event_municipality(name, _text(location.get("name"))),
        "gps_lat": lat,
        "gps_lon": lon,
    }
    return row, problems


def _event_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _text(value: Any) -> str:
    return "" if is_missing(value) or isinstance(value, (dict, list)) else str(value).strip()


def absolute_url(url: str) -> str:
    """The API's relative event links made absolute on https://polisen.se."""
    if not url or url.lower().startswith(("http://", "https://")):
        return url
    return POLISEN_BASE_URL + ("" if url.startswith("/") else "/") + url


def parse_gps(value: Any) -> tuple[float, float]:
    """``"lat,lon"`` to floats; (NaN, NaN) when missing, unreadable or out of range."""
    nan = (math.nan, math.nan)
    if not isinstance(value, str) or "," not in value:
        return nan
    lat_text, _, lon_text = value.partition(",")
    try:
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        return nan
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return nan
    return lat, lon


def event_municipality(name: str, location_name: str) -> str:
    """The event's area: ``location.name``, or when that is a county ("… län", the API from 2026)
    the last comma-separated part of the event ``name`` ("…, Trafikkontroll, Timrå")."""
    if location_name and not location_name.lower().endswith(" län"):
        return location_name
    tail = name.rsplit(",", 1)[-1].strip() if "," in name else ""
    return tail or location_name


def filter_municipality(df: pd.DataFrame, municipality: str) -> pd.DataFrame:
    """The events of ``municipality`` (case-insensitive), re-indexed from 0."""
    wanted = municipality.strip().casefold()
    mask = df["municipality"].astype(str).str.strip().str.casefold() == wanted
    return df.loc[mask].reset_index(drop=True)
