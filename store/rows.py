"""A layer's records as the store keeps them: the column values of a record's fields
(``sql_values``), stored time texts in UTC and the patrols' vertex times as a float64 array.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from geo.layers import LayerSpec
from geo.tracks import VertexTimes, vertex_seconds
from store.schema import VERTEX_TIME_DTYPE, VERTEX_TIME_FIELDS

__all__ = ["iso_utc", "sql_values", "times_blob", "times_of_blob", "utc_text"]


def iso_utc(value: Any) -> str | None:
    """A datetime value as the stored ISO 8601 text in UTC; None when missing."""
    if value is None or (not isinstance(value, (list, str)) and pd.isna(value)):
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def utc_text(value: str | pd.Timestamp) -> str:
    """A time bound as the stored text (``iso_utc``'s form); naive values are UTC."""
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert("UTC").isoformat()


def times_blob(seconds: np.ndarray | None) -> bytes | None:
    """Vertex times (epoch seconds) as the stored float64 array."""
    return None if seconds is None else np.asarray(seconds, dtype=VERTEX_TIME_DTYPE).tobytes()


def times_of_blob(blob: bytes | None) -> VertexTimes | None:
    """The stored float64 array as ``VertexTimes``: numbers, nothing parsed."""
    return None if blob is None else VertexTimes(np.frombuffer(blob, dtype=VERTEX_TIME_DTYPE))


def sql_values(spec: LayerSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Coerced field values of ``spec`` as the values of its table's columns: times as UTC
    text, lists and JSON as text, vertex times as a float64 array, numpy scalars as Python
    values; keys that are not fields are left out."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        f = spec.field_by_name.get(name)
        if f is None:
            continue
        if (spec.name, name) in VERTEX_TIME_FIELDS:
            out[name] = times_blob(vertex_seconds([value])[0])
        elif f.kind == "datetime":
            out[name] = iso_utc(value)
        elif f.kind in ("list", "json"):
            out[name] = None if value is None else json.dumps(value, ensure_ascii=False,
                                                               default=str)
        elif value is None or (not isinstance(value, (list, dict, str)) and pd.isna(value)):
            out[name] = None
        elif isinstance(value, np.generic):
            out[name] = value.item()
        else:
            out[name] = value
    return out
