"""Police areas (lokalpolisområden) and the municipalities each covers, from the shipped table
``data/sweden/police_areas.csv`` (each row names the public page that states it; see
``data/README.md``). Only the areas that table lists are known: Västernorrland's today.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path

from geo.errors import NotFound

POLICE_AREAS_FILE = Path(__file__).resolve().parent.parent / "data" / "sweden" / \
    "police_areas.csv"
_PREFIXES = ("lokalpolisområde ", "lokalpolisomrade ", "lpo ")


@dataclass(frozen=True)
class PoliceArea:
    """A lokalpolisområde: its name, its polisområde and its municipalities (kommunkoder, in
    the table's order: the first is the area's main municipality)."""

    name: str
    polisomrade: str
    kommunkoder: tuple[str, ...]
    kommuner: tuple[str, ...]
    sources: tuple[str, ...]


@functools.cache
def _rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def police_areas(*, table_file: str | Path | None = None) -> dict[str, PoliceArea]:
    """Every police area of the table, by name."""
    areas: dict[str, list[dict[str, str]]] = {}
    for row in _rows(Path(table_file) if table_file else POLICE_AREAS_FILE):
        areas.setdefault(row["lokalpolisomrade"], []).append(row)
    return {name: PoliceArea(name=name, polisomrade=rows[0]["polisomrade"],
                             kommunkoder=tuple(r["kommunkod"].zfill(4) for r in rows),
                             kommuner=tuple(r["kommun"] for r in rows),
                             sources=tuple(dict.fromkeys(r["source"] for r in rows)))
            for name, rows in areas.items()}


def police_area(name: str, *, table_file: str | Path | None = None) -> PoliceArea:
    """The police area called ``name`` ("Medelpad", "lokalpolisområde Medelpad"; any case).

    Raises ``NotFound`` in Swedish listing the known areas, and naming the area a municipality
    belongs to when a municipality's name was given instead."""
    areas = police_areas(table_file=table_file)
    wanted = name.strip().casefold()
    for prefix in _PREFIXES:
        wanted = wanted.removeprefix(prefix)
    for area in areas.values():
        if area.name.casefold() == wanted:
            return area
    owner = [a for a in areas.values() if wanted in (k.casefold() for k in a.kommuner)]
    hint = (f"; {name.strip()[:40]} kommun hör till lokalpolisområde {owner[0].name}"
            if owner else "")
    raise NotFound(f"okänt lokalpolisområde {name.strip()[:40]!r}{hint}; kända är: "
                   f"{', '.join(areas)}")
