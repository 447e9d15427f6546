"""Reading a large file with a progress bar: the read runs in a child process, and the parent
follows how far it has come through the file by the child's file offset (Linux's
``/proc/PID/fdinfo``), since GDAL holds the interpreter while it reads and reports no progress
of its own through pyogrio. Where ``/proc`` is missing the bar shows no position, only the end.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from geo.errors import TryggError

T = TypeVar("T")
Progress = Callable[[int, int], None]  # (bytes read so far, the file's size)
POLL_S = 0.2


def _child(read: Callable[[], Any], out: Connection) -> None:
    """Run ``read`` and send ("ok", result) or ("error", class, message, details, code)."""
    try:
        out.send(("ok", read()))
    except TryggError as exc:
        out.send(("error", type(exc), exc.message, exc.details, exc.code))
    except Exception as exc:  # anything else: the parent raises it as it came
        out.send(("raise", exc))
    finally:
        out.close()


def offset_in(pid: int, path: Path) -> int | None:
    """How far process ``pid`` has read into ``path`` (the largest offset of its descriptors
    open on it), or None if that cannot be seen."""
    target = os.path.realpath(path)
    folder = Path(f"/proc/{pid}/fd")
    best: int | None = None
    try:
        descriptors = list(folder.iterdir())
    except OSError:
        return None
    for fd in descriptors:
        try:
            if os.readlink(fd) != target:
                continue
            with open(f"/proc/{pid}/fdinfo/{fd.name}", encoding="ascii") as info:
                pos = int(info.readline().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        best = pos if best is None else max(best, pos)
    return best


def read_with_progress(read: Callable[[], T], path: Path, progress: Progress) -> T:
    """``read()`` run in a child process (``read`` must pickle: a module-level function or a
    ``functools.partial`` of one), with ``progress(bytes_read, size)`` called while it reads
    ``path`` and once at the end. The result, or the domain error, comes back as if run here."""
    size = path.stat().st_size
    context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(read, sending), daemon=True)
    child.start()
    sending.close()
    shown = 0
    try:
        while not receiving.poll(POLL_S):
            if not child.is_alive():
                break
            pos = offset_in(child.pid or 0, path)
            if pos is not None and pos > shown:
                shown = min(pos, size)
                progress(shown, size)
        try:
            message = receiving.recv()
        except EOFError:
            raise RuntimeError(f"reading {path.name} stopped (exit code {child.exitcode})") \
                from None
    finally:
        child.join(timeout=30)
        if child.is_alive():
            child.kill()
    if message[0] == "error":
        _, cls, text, details, code = message
        raise cls(text, details, code=code)
    if message[0] == "raise":
        raise message[1]
    progress(size, size)
    result: T = message[1]
    return result
