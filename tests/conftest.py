"""Shared fixtures: a real SQLite store in a temp folder, the app over real HTTP, tokens by role."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from store import Store
from store.accounts import ROLES, add_user
from services.demo import load_demo
from trygg.settings import PROJECT_ROOT, Settings

SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
SECRET = "test-secret-0123456789abcdef"


# The modules of the longest tests (`pytest --durations`), longest first: they start first, so that
# under `pytest -n 2` both workers end together on short tests instead of one waiting out the
# other's last long test. Only the order of modules changes (tests keep theirs, so module-scoped
# fixtures are made once per worker); modules not named here follow in their usual order.
LONG_FIRST = ("test_fuzz_api.py", "test_access_matrix.py", "test_crash_safety.py",
              "test_postgis.py", "test_xss.py", "test_headers.py", "test_hostile_files.py",
              "test_faults.py", "test_concurrency.py", "test_ogc.py", "test_report.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # a stable sort


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(db=tmp_path / "trygg.sqlite", demo=False, secret=SECRET)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    s = Store.open(settings.db)
    yield s
    s.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file with the Timrå demo loaded once per test session; tests copy it."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    s = Store.open(path)
    load_demo(s, PROJECT_ROOT / "data")
    s.engine.dispose()
    return path


def copy_store(template: Path, path: Path) -> Store:
    """A private copy of a prepared store file (SQLite's online backup), opened."""
    src = sqlite3.connect(template)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return Store.open(path)


@pytest.fixture
def demo_store(demo_template: Path, settings: Settings) -> Iterator[Store]:
    """A private copy of the demo store."""
    s = copy_store(demo_template, settings.db)
    yield s
    s.close()


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    """One account per role, with its API token."""
    return {role: add_user(store, f"test-{role}", role, secret=SECRET) for role in ROLES}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=store)) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The app served by uvicorn on 127.0.0.1 in a background thread. The listening socket is
    bound here and handed to uvicorn, so no other process can take the port in between."""

    def __init__(self, app) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120  # generous: a loaded 2-core machine is slow to start
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started (its log says why)")
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 120 s")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=60)
        self.socket.close()


@pytest.fixture
def live_demo(tmp_path: Path, demo_store: Store, settings: Settings) -> Iterator[LiveServer]:
    """The demo app in demo mode, served over real HTTP."""
    demo_settings = settings.model_copy(update={"demo": True})
    with LiveServer(create_app(demo_settings, store=demo_store)) as server:
        yield server


@pytest.fixture(scope="session")
def pg_cluster():
    """One throwaway PostgreSQL server with PostGIS per test session (per xdist worker), shared
    by every module that needs one (``tests/pg.py``)."""
    from tests import pg

    with pg.running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, headless, for the page tests of one module."""
    from tests.browser import launched_browser

    yield from launched_browser()
