"""A local server speaking ScaleDown's compression wire format, with injectable faults.

``POST /compress/raw/`` with ``x-api-key``: a wrong key gets 401. Otherwise the next queued
fault answers — ``429`` (with ``Retry-After``), ``500``, ``unsuccessful`` (200 with
``successful: false``), ``hang`` (no answer before the client's timeout) — or the context is
compressed to its first ``rate`` share of words (``auto``: half) and reported with token
counts, as the real service does.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeScaleDownServer:
    """A threaded ScaleDown-compatible server on 127.0.0.1 (use as a context manager)."""

    def __init__(
        self, api_key: str, hang_s: float = 2.0, port: int = 0, latency_s: float = 0.0
    ) -> None:
        self.api_key = api_key
        self.hang_s = hang_s
        self.latency_s = latency_s  # before every answer
        self.in_flight = 0
        self.max_in_flight = 0
        self.faults: deque[str] = deque()
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/compress/raw/"

    def __enter__(self) -> FakeScaleDownServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError):  # the client timed out ("hang")
                    self.wfile.write(data)

            def do_POST(self) -> None:
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer()
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append({"body": body, "key": self.headers.get("x-api-key")})
                    fault = server.faults.popleft() if server.faults else None
                time.sleep(server.latency_s)
                if self.headers.get("x-api-key") != server.api_key:
                    return self._send(401, {"detail": "Invalid API key"})
                if fault == "429":
                    return self._send(429, {"detail": "rate limited"}, {"Retry-After": "0"})
                if fault == "500":
                    return self._send(500, {"detail": "internal error"})
                if fault == "hang":
                    time.sleep(server.hang_s)
                    return self._send(500, {"detail": "too late"})
                if fault == "unsuccessful":
                    return self._send(200, {"successful": False, "results": {"success": False}})
                words = body["context"].split()
                rate = body["scaledown"]["rate"]
                keep = max(1, round(len(words) * (0.5 if rate == "auto" else float(rate))))
                compressed = " ".join(words[:keep])
                self._send(200, {
                    "successful": True,
                    "results": {"compressed_prompt": compressed, "success": True,
                                "original_prompt_tokens": len(words),
                                "compressed_prompt_tokens": keep,
                                "request_metadata": {"timestamp": "2026-11-28T00:00:00Z"}},
                    "latency_ms": 12, "model_used": body["model"],
                })  # fmt: skip

        return Handler
