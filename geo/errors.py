"""Error classes of the domain. Each subclasses a built-in so callers can catch broadly.

Messages say what and where: the file, the feature index and the field, and what was received.
Each class has a stable machine ``code`` (an API answer carries it beside the message, so a client
never parses the text); a raise may give a more precise one (``code="period_reversed"``).
"""

from __future__ import annotations

import re

from geo.formats import number_sv


class TryggError(Exception):
    """Base class of every error the domain raises on purpose."""

    code = "error"

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A subclass that names no ``code`` gets its name in snake case (``NotAllowed`` →
        ``not_allowed``)."""
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, message: str, details: list[str] | None = None, *,
                 code: str | None = None) -> None:
        self.details = list(details or [])
        if code is not None:
            self.code = code
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class ImportRejected(TryggError, ValueError):
    """A file or a set of features could not be imported; nothing was written."""


class ValidationFailed(TryggError, ValueError):
    """Values given for a layer's fields break its rules."""


class UnknownLayer(TryggError, KeyError):
    """A layer name that is not in the data model."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class NotFound(TryggError, LookupError):
    """A record that does not exist."""


class Conflict(TryggError, RuntimeError):
    """A write based on an outdated version of a record."""


class CrsMismatch(TryggError, ValueError):
    """A GeoDataFrame in the wrong coordinate reference system for the function called."""


def collect(problems: list[str], message: str, *, error: type[TryggError] = ValidationFailed,
            limit: int = 20) -> None:
    """Raise ``error`` listing all ``problems`` (at most ``limit`` in the text) if there are any.

    Every problem stays in the error's ``details``; the message reads "MESSAGE: p1; p2; och N
    till".
    """
    if problems:
        shown = problems[:limit]
        more = len(problems) - len(shown)
        text = message + ": " + "; ".join(shown) + (f"; och {more} till" if more else "")
        raise error(text, problems)


def problem_count(n: int) -> str:
    """The number of problems in Swedish, for a message's opening: "1 fel", "3 fel"."""
    return f"{number_sv(n)} fel"
