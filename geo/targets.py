"""Measurable targets of the promise's commitments and whether a period met them.

A target reads like ``{indicator: fotpatrull_minuter_per_vecka, op: ">=", value: 600, per: vecka}``
in the promise file. ``evaluate`` compares it with the figure a report measured: met, not met, or
unknown when the figure is missing (no data for the period is not the same as zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geo.errors import ValidationFailed, collect
from geo.formats import number_sv

# Comparisons a target may use, with the words the report says them in.
OPERATORS: dict[str, tuple[str, Any]] = {
    ">=": ("minst", lambda a, b: a >= b),
    ">": ("mer än", lambda a, b: a > b),
    "<=": ("högst", lambda a, b: a <= b),
    "<": ("mindre än", lambda a, b: a < b),
    "==": ("exakt", lambda a, b: a == b),
}
PERIODS = ("vecka", "manad", "kvartal", "ar", "period")
PERIOD_SV = {"vecka": "per vecka", "manad": "per månad", "kvartal": "per kvartal", "ar": "per år",
             "period": "under perioden"}
STATUS_SV = {"met": "uppnått", "not_met": "inte uppnått", "unknown": "okänt"}
MAX_TARGETS = 20  # per commitment
MAX_NOTE_CHARS = 300


@dataclass(frozen=True)
class Target:
    indicator: str  # the key of a figure in the report's indicator table
    op: str
    value: float
    per: str = "period"
    note: str = ""  # where the target comes from ("exempelmål i demon"), shown with it

    def text_sv(self) -> str:
        """"minst 600 per vecka"."""
        return f"{OPERATORS[self.op][0]} {number_sv(self.value)} {PERIOD_SV[self.per]}"


@dataclass(frozen=True)
class TargetResult:
    target: Target
    status: str  # "met", "not_met" or "unknown"
    figure: float | None

    def text_sv(self) -> str:
        """"uppnått: 640 (mål minst 600 per vecka)"."""
        shown = "ingen uppgift" if self.figure is None else number_sv(self.figure)
        return f"{STATUS_SV[self.status]}: {shown} (mål {self.target.text_sv()})"


def parse_target(raw: Any, *, where: str, indicators: tuple[str, ...] | None = None) -> Target:
    """A ``Target`` from a promise file's mapping; ``ValidationFailed`` names every problem
    with ``where`` (file and commitment) and the field."""
    if not isinstance(raw, dict):
        raise ValidationFailed(f"{where}: målet (target) ska vara en tabell med indicator, op, "
                               f"value och per")
    problems = []
    indicator = str(raw.get("indicator") or "")
    if not indicator:
        problems.append(f"{where}: target.indicator saknas; ange vilket mått målet gäller")
    elif indicators is not None and indicator not in indicators:
        problems.append(f"{where}: target.indicator: {indicator!r} är inte ett av "
                        f"{', '.join(indicators)}")
    op = str(raw.get("op", ">="))
    if op not in OPERATORS:
        problems.append(f"{where}: target.op: {op!r} är inte ett av {', '.join(OPERATORS)}")
    value = raw.get("value")
    number = float("nan")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.append(f"{where}: target.value: ska vara ett tal, inte {value!r}")
    else:
        number = float(value)
        if not math.isfinite(number):
            problems.append(f"{where}: target.value: ska vara ett ändligt tal")
    per = str(raw.get("per", "period"))
    if per not in PERIODS:
        problems.append(f"{where}: target.per: {per!r} är inte ett av {', '.join(PERIODS)}")
    note = raw.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        problems.append(f"{where}: target.note: ska vara en text på högst "
                        f"{MAX_NOTE_CHARS} tecken")
    collect(problems, f"{where}: målet stämmer inte")
    return Target(indicator=indicator, op=op, value=number, per=per, note=str(note))


def parse_targets(raw: Any, *, where: str, indicators: tuple[str, ...] | None = None
                  ) -> tuple[Target, ...]:
    """The targets of one commitment: a list of target mappings (``targets:``), one mapping
    (``target:``) or nothing; every problem of every target named in one ``ValidationFailed``."""
    if raw is None:
        return ()
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ValidationFailed(f"{where}: targets ska vara en lista med mål")
    if len(items) > MAX_TARGETS:
        raise ValidationFailed(f"{where}: targets: högst {MAX_TARGETS} mål")
    out, problems = [], []
    for i, item in enumerate(items):
        try:
            out.append(parse_target(item, where=f"{where}, mål {i}", indicators=indicators))
        except ValidationFailed as exc:
            problems += exc.details or [str(exc)]
    collect(problems, f"{where}: målen stämmer inte")
    return tuple(out)


def target_dict(target: Target) -> dict[str, Any]:
    """``target`` as the mapping a promise file (or the store) holds."""
    out: dict[str, Any] = {"indicator": target.indicator, "op": target.op,
                           "value": target.value, "per": target.per}
    if target.note:
        out["note"] = target.note
    return out


def evaluate(target: Target, figure: float | None) -> TargetResult:
    """Whether ``figure`` (already expressed ``per`` the target's period) meets ``target``;
    unknown when there is no figure."""
    if figure is None or (isinstance(figure, float) and math.isnan(figure)):
        return TargetResult(target=target, status="unknown", figure=None)
    met = OPERATORS[target.op][1](float(figure), target.value)
    return TargetResult(target=target, status="met" if met else "not_met", figure=float(figure))


def per_period(total: float | None, *, days: float, per: str) -> float | None:
    """A period's ``total`` over ``days`` days expressed per week, month (30.44 days), quarter,
    year (365.25 days) or for the whole period."""
    if total is None:
        return None
    if days <= 0:
        raise ValidationFailed(f"days: perioden ska vara längre än noll dagar, inte {days}")
    length = {"vecka": 7.0, "manad": 365.25 / 12, "kvartal": 365.25 / 4, "ar": 365.25,
              "period": days}[per]
    return float(total) * length / days



@dataclass(frozen=True)
class Measured:
    """A report's figure of one indicator for the period: ``level`` for figures that are not
    sums over time (a share in %, open reports at the period's end), which are compared as
    they are, whatever the target's ``per``."""

    current: float | None
    level: bool = False


def results(targets: tuple[Target, ...], figures: dict[str, Measured], *, days: float
            ) -> list[TargetResult]:
    """Each target against the period's figure of its indicator (``figures`` by indicator
    key), sums over time expressed ``per`` the target's period; unknown when the report has
    no figure for the indicator."""
    out = []
    for target in targets:
        measured = figures.get(target.indicator)
        if measured is None or measured.current is None:
            out.append(evaluate(target, None))
        elif measured.level:
            out.append(evaluate(target, measured.current))
        else:
            out.append(evaluate(target, per_period(measured.current, days=days,
                                                   per=target.per)))
    return out


def result_dict(result: TargetResult) -> dict[str, Any]:
    """``result`` as plain JSON for the report's figures and the public page: the target, its
    status and the figure, in Swedish words and numbers too."""
    return {**target_dict(result.target), "note": result.target.note,
            "status": result.status, "status_sv": STATUS_SV[result.status],
            "figure": None if result.figure is None else round(result.figure, 2),
            "figure_sv": "ingen uppgift" if result.figure is None
            else number_sv(result.figure),
            "target_sv": result.target.text_sv(), "text_sv": result.text_sv()}
