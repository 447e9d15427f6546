"""CSV tables without geometry (statistics exports, survey figures): decoded as UTF-8 (with or
without BOM) or Windows-1252, the separator read from the header, every value kept as text.

The same reading as ``geo.io.delimited.read_csv`` uses for layers, for files whose rows are
figures keyed by an area code rather than features."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from geo.errors import ImportRejected
# The layer CSV's own decoding and guards, shared.
from geo.io.delimited import _check_csv_shape, _csv_separator, _decode_text

# Missing values as Swedish statistics write them: SCB's ".." and "…", a dash, or nothing.
MISSING_TEXTS = frozenset({"", "..", "…", "-", "–", "—", "x"})


def read_table_csv(path: str | Path, *, max_bytes: int | None = None) -> pd.DataFrame:
    """The rows of ``path`` as text, columns named as in the file (stripped); raises
    ``ImportRejected`` naming the file for anything unreadable or empty."""
    path = Path(path)
    if not path.is_file():
        raise ImportRejected(f"{path}: filen finns inte")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected(f"{path.name}: filen är tom")
    if max_bytes is not None and size > max_bytes:
        raise ImportRejected(f"{path.name}: {size / 1e6:,.0f} MB är mer än de "
                             f"{max_bytes / 1e6:,.0f} MB en import får vara")
    text = _decode_text(path.read_bytes(), path.name)
    # SCB's exports open with a title line ("Folkmängd efter region och år") before the header.
    lines = text.splitlines()
    while lines and not _looks_like_header(lines[0]):
        lines.pop(0)
    text = "\n".join(lines)
    _check_csv_shape(text, path.name)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=_csv_separator(text), dtype=str,
                            keep_default_na=False, skip_blank_lines=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRejected(f"{path.name}: CSV-filen går inte att läsa ({exc})") from None
    frame.columns = [str(c).strip().strip('"') for c in frame.columns]
    frame = pd.DataFrame({name: frame[name].str.strip() for name in frame.columns})
    if frame.empty:
        raise ImportRejected(f"{path.name}: filen har inga rader under rubrikraden")
    return frame


def _looks_like_header(line: str) -> bool:
    """A header line has at least two fields (a title line has one)."""
    return any(sep in line for sep in (";", ",", "\t"))


def column(frame: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first column of ``frame`` named one of ``names`` (any case, å/ä/ö or a/a/o)."""
    found = {fold(c): c for c in frame.columns}
    for name in names:
        if fold(name) in found:
            return found[fold(name)]
    return None


def fold(name: str) -> str:
    """A column name compared loosely: lower case, å ä → a, ö → o, spaces and dashes as _."""
    text = name.strip().lower().translate(str.maketrans("åäöé", "aaoe"))
    return re.sub(r"[\s\-]+", "_", text)


def number(text: str) -> float | None:
    """A Swedish-written number ("1 234", "62,5", "1\u00a0234", "−3") or None for a missing
    mark (``MISSING_TEXTS``); raises ValueError for anything else."""
    value = text.strip()
    if value in MISSING_TEXTS:
        return None
    value = re.sub(r"[\s\u00a0\u202f]", "", value).replace("\u2212", "-").replace(",", ".")
    value = value.removesuffix("%")
    return float(value)
