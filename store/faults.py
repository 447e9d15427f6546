"""Faults of the machine, in words a user can act on: a full disk, a read-only store, a busy
database (used by the API's 503 answers and the CLI's one-line errors)."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError

_DISK_FULL = "the disk is full: nothing was written; free space and try again"
_READ_ONLY = ("the store is read-only (file, folder or file system): nothing can be written; "
              "check the permissions of the store file and its folder (SQLite needs to create "
              "the -wal and -shm files next to it)")
# SQLite's messages (sqlite3_errstr) of the faults a user can do something about.
_SQLITE_FAULTS = (
    ("database or disk is full", _DISK_FULL),
    ("disk i/o error", "the disk failed a read or write (it may be full or failing): nothing "
                       "was written"),
    ("readonly database", _READ_ONLY),
    ("unable to open database file", "the store cannot be opened or created: check that its "
                                     "folder exists and is writable (SQLite needs to create the "
                                     "-wal and -shm files next to it) and the disk is not full"),
    ("database is locked", "the store is busy with another writer; try again in a moment"),
)
_OS_FAULTS = {errno.ENOSPC: _DISK_FULL, errno.EDQUOT: "the disk quota is used up: nothing was "
              "written", errno.EROFS: _READ_ONLY, errno.EACCES: _READ_ONLY, errno.EPERM: _READ_ONLY}


def fault_message(exc: BaseException) -> str | None:
    """A clear sentence for a full disk, a read-only store or a busy database; None otherwise."""
    if isinstance(exc, (DBAPIError, sqlite3.Error)):
        text = str(exc.orig if isinstance(exc, DBAPIError) else exc).lower()
        return next((message for marker, message in _SQLITE_FAULTS if marker in text), None)
    if isinstance(exc, OSError) and exc.errno in _OS_FAULTS:
        where = f" ({exc.filename})" if exc.filename else ""
        return _OS_FAULTS[exc.errno] + where
    return None
