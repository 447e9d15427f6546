"""A local HTTP server in the Police open API's format, for tests that read events over real
HTTP (``sources.polisen.fetch_events``, ``trygg events poll``)."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def events_feed(events: list[dict[str, Any]], *, path: str = "/api/events",
                seen: list[str] | None = None) -> Iterator[str]:
    """Serve ``events`` as the API's JSON list at ``path`` (404 elsewhere); yield the server's
    base URL. Each request's User-Agent is appended to ``seen`` when given."""
    body = json.dumps(events, ensure_ascii=False).encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if seen is not None:
                seen.append(self.headers.get("User-Agent", ""))
            if self.path != path:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
