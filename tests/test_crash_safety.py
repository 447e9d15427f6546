"""Crash safety: SIGKILL in the middle of a large import and of a stream of API writes, then
reopen the store: every acknowledged write is there, no partial import is, integrity holds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx

from store import Store
from store.accounts import add_user
from tests.conftest import SECRET

TRYGG = str(Path(sys.executable).parent / "trygg")


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "TRYGG_DB": str(db), "TRYGG_SECRET": SECRET, "TRYGG_DEMO": "0"}


def _big_geojson(path: Path, n: int) -> None:
    features = ",".join(
        json.dumps({"type": "Feature", "properties": {"status": "genomford", "place": f"K{i}"},
                    "geometry": {"type": "Point",
                                 "coordinates": [17.2 + (i % 1000) * 1e-4,
                                                 62.4 + i // 1000 * 1e-4]}})
        for i in range(n))
    path.write_text('{"type":"FeatureCollection","features":[' + features + "]}")


def test_sigkill_during_import_leaves_no_partial_import(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    store = Store.open(db)
    store.close()
    data = tmp_path / "stor.geojson"
    _big_geojson(data, 80_000)  # its write grows the WAL far past the 2 MB the test waits for
    proc = subprocess.Popen([TRYGG, "import", "traffic_checks", str(data)], env=_env(db),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = Path(str(db) + "-wal")
    deadline = time.monotonic() + 120
    # Wait until the import is writing (its transaction grows the WAL), then kill it.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be killed; make it larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    reopened = Store.open(db)
    assert reopened.integrity_ok()
    assert reopened.count("traffic_checks") == 0
    reopened.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sigkill_during_api_writes_keeps_every_acknowledged_write(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite"
    store = Store.open(db)
    token = add_user(store, "skrivare", "planerare", secret=SECRET)
    store.close()
    port = _free_port()
    server = subprocess.Popen([TRYGG, "serve", "--port", str(port)], env=_env(db),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # generous: a loaded machine starts slowly
        while True:
            try:
                if httpx.get(base + "/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        acknowledged: list[int] = []
        stop = threading.Event()

        def writer(worker: int) -> None:
            with httpx.Client(base_url=base, timeout=60,
                              headers={"Authorization": f"Bearer {token}"}) as client:
                i = 0
                while not stop.is_set():
                    body = {"type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [17.33, 62.49]},
                            "properties": {"status": "planerad", "place": f"w{worker}-{i}"}}
                    try:
                        response = client.post("/api/layers/traffic_checks", json=body)
                    except httpx.HTTPError:
                        return  # the server died mid-request: not acknowledged
                    if response.status_code == 201:
                        acknowledged.extend(response.json()["ids"])
                    i += 1

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        # Kill once enough writes are acknowledged (not after a fixed time: a busy machine
        # may acknowledge few in any given second).
        deadline = time.monotonic() + 120
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    assert len(acknowledged) > 20, "too few writes before the kill to mean anything"
    reopened = Store.open(db)
    assert reopened.integrity_ok()
    stored = set(reopened.read("traffic_checks").index)
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged writes lost"
    reopened.close()
