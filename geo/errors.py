"""Error classes of the domain. Each subclasses a built-in so callers can catch broadly.

Messages say what and where: the file, the feature index and the field, and what was received.
"""

from __future__ import annotations


class TryggError(Exception):
    """Base class of every error the domain raises on purpose."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        self.details = list(details or [])
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

    Every problem stays in the error's ``details``; the message reads "MESSAGE: p1; p2; and N more".
    """
    if problems:
        shown = problems[:limit]
        more = len(problems) - len(shown)
        text = message + ": " + "; ".join(shown) + (f"; and {more} more" if more else "")
        raise error(text, problems)
