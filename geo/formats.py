"""Numbers as Swedish readers write them: decimal comma, a no-break space between thousands and
a true minus sign ("1 234,5", "−3"). One home for every page, report and message."""

from __future__ import annotations

import math

MISSING = "–"


def number_sv(value: float | None, *, digits: int | None = None, unit: str = "",
              sign: bool = False) -> str:
    """``value`` in Swedish format. ``digits`` None shows whole numbers without decimals and
    others with one; ``sign`` puts "+" before positive numbers and "±" before zero; a missing
    value (None or NaN) is "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    number = float(value)
    shown = (0 if number.is_integer() else 1) if digits is None else digits
    number = round(number, shown)
    if number == 0:
        number = 0.0  # no "−0"
    text = f"{abs(number):,.{shown}f}".replace(",", "\u00a0").replace(".", ",")
    prefix = "−" if number < 0 else ("+" if sign and number > 0 else ("±" if sign else ""))
    return f"{prefix}{text}{unit}"


def plural_sv(count: float, one: str, many: str) -> str:
    """A count with its noun in the right number, the count in Swedish format: "1 händelse",
    "2 händelser", "1 234 rapporter" (``Trygg.plural`` in /static/trygg.js is the same)."""
    return f"{number_sv(count)} {one if count == 1 else many}"
