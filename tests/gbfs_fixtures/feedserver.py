"""A local HTTP server of GBFS feeds for tests (127.0.0.1, a free port).

Serves the JSON files of this folder with ``{base}`` replaced by the server's
own address, and lets a test override any path with other bytes, a status
code or a delay (a feed slower than the client's timeout).
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent


class FeedServer:
    """``with FeedServer() as srv: srv.url("v3/gbfs.json")``."""

    def __init__(self, root: Path = HERE):
        self.root = root
        self.overrides: dict[str, tuple[int, bytes, float]] = {}
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0].lstrip("/")
                with server._lock:
                    server.hits[path] = server.hits.get(path, 0) + 1
                    status, body, delay = server.overrides.get(path) or server._file(path)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _file(self, path: str) -> tuple[int, bytes, float]:
        f = (self.root / path).resolve()
        if not f.is_file() or self.root not in f.parents:
            return 404, b'{"error": "not found"}', 0.0
        return 200, f.read_text(encoding="utf-8").replace("{base}", self.base).encode(), 0.0

    def url(self, path: str) -> str:
        return f"{self.base}/{path}"

    def set(self, path: str, body, *, status: int = 200, delay: float = 0.0) -> None:
        """Serve ``body`` (bytes, str or a JSON-able object) at ``path``."""
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.replace("{base}", self.base).encode()
        with self._lock:
            self.overrides[path] = (status, body, delay)

    def clear(self, path: str) -> None:
        with self._lock:
            self.overrides.pop(path, None)

    @contextmanager
    def serving(self, path: str, body, **how):
        """Serve ``body`` at ``path`` inside the ``with`` block, then what was served there before.

        ``clear`` would drop a module fixture's own document too, and the tests after it would get a 404.
        """
        with self._lock:
            before = self.overrides.get(path)
        self.set(path, body, **how)
        try:
            yield self
        finally:
            with self._lock:
                if before is None:
                    self.overrides.pop(path, None)
                else:
                    self.overrides[path] = before

    def load(self, path: str) -> dict:
        """A fixture file as JSON (to modify and `set` again)."""
        return json.loads((self.root / path).read_text(encoding="utf-8"))

    def __enter__(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
