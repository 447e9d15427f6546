"""Faults of the machine give clear messages, never tracebacks: a full disk and a read-only
store, from the CLI ("Fel: …", exit 1) and the API (503 in the one error shape).

Where the tests can (they run as root in CI) the faults are real: a 512 kB tmpfs fills up, and
the same tmpfs remounted read-only is a read-only store. Elsewhere those tests skip, and the
always-run twins simulate the same SQLite errors on the connection (``PRAGMA max_page_count``
gives SQLite's own "database or disk is full"; ``PRAGMA query_only`` its "attempt to write a
readonly database"), which exercises the same error path from SQLite upwards but not the OS.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from api.app import create_app
from store import Store
from store.accounts import add_user
from tests.conftest import SECRET, auth
from trygg.settings import PROJECT_ROOT, Settings

PATROLS = PROJECT_ROOT / "data" / "timra" / "patrols.geojson"  # about 1 MB of tracks
TRYGG = [sys.executable, "-m", "cli"]


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 512 kB file system (tmpfs), unmounted afterwards; skips unless mount works."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if os.geteuid() != 0 or not _mount("-t", "tmpfs", "-o", "size=512k", "tmpfs", str(folder)):
        pytest.skip("mounting a tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TRYGG_DB": str(db), "TRYGG_SECRET": SECRET}
    return subprocess.run([*TRYGG, *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=PROJECT_ROOT)


def _one_line_error(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Fel: ") and words in result.stderr, result.stderr


def test_full_disk_cli_says_so(tiny_disk: Path) -> None:
    db = tiny_disk / "trygg.sqlite"
    _one_line_error(_cli(db, "import", "patrols", str(PATROLS)), "the disk is full")
    store = Store.open(db)  # the rolled-back import left a sound, empty store
    assert store.count("patrols") == 0 and store.integrity_ok()
    store.close()


def test_full_disk_api_is_503_json(tiny_disk: Path) -> None:
    settings = Settings(db=tiny_disk / "trygg.sqlite", demo=False, secret=SECRET)
    store = Store.open(settings.db)
    token = add_user(store, "chef", "patrullchef", secret=SECRET)
    with TestClient(create_app(settings, store=store)) as c:
        response = c.post("/api/layers/patrols", content=PATROLS.read_bytes(),
                          headers={**auth(token), "content-type": "application/json"})
    assert response.status_code == 503, response.text
    assert set(response.json()) == {"error", "code", "details"}
    assert "disk is full" in response.json()["error"]
    store.close()


def test_read_only_store_cli_says_so(tiny_disk: Path) -> None:
    db = tiny_disk / "trygg.sqlite"
    Store.open(db).close()
    assert _mount("-o", "remount,ro", str(tiny_disk))
    for args in (["layers"], ["import", "patrols", str(PATROLS)], ["serve", "--port", "1"]):
        _one_line_error(_cli(db, *args), "store")


def test_read_only_store_api_write_is_503(tiny_disk: Path) -> None:
    settings = Settings(db=tiny_disk / "trygg.sqlite", demo=False, secret=SECRET)
    store = Store.open(settings.db)
    token = add_user(store, "chef", "patrullchef", secret=SECRET)
    with TestClient(create_app(settings, store=store)) as c:
        assert c.get("/api/layers/patrols", headers=auth(token)).status_code == 200
        store.engine.dispose()  # a busy file system cannot be remounted read-only
        assert _mount("-o", "remount,ro", str(tiny_disk))
        response = c.post("/api/layers/patrols", content=PATROLS.read_bytes(),
                          headers={**auth(token), "content-type": "application/json"})
    assert response.status_code == 503, response.text
    assert set(response.json()) == {"error", "code", "details"}
    store.close()


def _pragma_on_connect(store: Store, pragma: str) -> None:
    """Run ``pragma`` on every new connection of ``store`` (after dropping the pooled ones)."""

    @event.listens_for(store.engine, "connect")
    def _limit(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(pragma)

    store.engine.dispose()


@pytest.mark.parametrize(("pragma", "words"), [
    ("PRAGMA max_page_count = 60", "disk is full"),  # simulated: SQLite's own SQLITE_FULL
    ("PRAGMA query_only = ON", "read-only"),  # simulated: SQLite's SQLITE_READONLY
])
def test_simulated_faults_api_503(settings: Settings, store: Store, pragma: str,
                                  words: str) -> None:
    token = add_user(store, "chef", "patrullchef", secret=SECRET)
    _pragma_on_connect(store, pragma)
    with TestClient(create_app(settings, store=store)) as c:
        response = c.post("/api/layers/patrols", content=PATROLS.read_bytes(),
                          headers={**auth(token), "content-type": "application/json"})
    assert response.status_code == 503, response.text
    assert words in response.json()["error"]
    assert response.headers.get("retry-after")


def test_unexpected_error_is_json_500(settings: Settings, store: Store) -> None:
    app = create_app(settings, store=store)

    @app.get("/boom")
    def boom() -> None:
        raise ZeroDivisionError("x")

    with TestClient(app, raise_server_exceptions=False) as c:
        response = c.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"error": "internt fel i servern; serverns logg har detaljerna",
                                "code": "internal_error", "details": []}
