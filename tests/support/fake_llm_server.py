"""Local HTTP servers that speak the OpenAI, Anthropic and Gemini wire formats.

The real SDK clients are pointed at them by base URL. Faults are queued per server and
consumed one per request: ``"429"`` (with ``Retry-After``), ``"500"``, ``"400"``, ``"401"``,
``"timeout"`` (answers after the client gave up), ``"malformed"`` (200 with broken JSON),
``"empty"`` (200 with well-formed JSON that holds no answer), ``"nochoices"`` (200 with
an error object and no choices), ``"reset"`` (drops the connection without an answer),
``"drip"`` (headers at once, then the body one byte every ``drip_interval_s``), ``"hang"``
(reads the request and never answers) and ``"huge"`` (a well-formed answer whose text is
``huge_answer_bytes`` of ``A``, streamed in 64 KiB pieces). Error messages follow ``error_message``, a template
with ``{code}`` and ``{key}`` (the key the request carried, as a proxy that echoes it would).
A ``reply`` may return any JSON value for ``message.content`` (a list of parts, a dict).
``fault_for`` picks a fault from the request body instead (a prompt that always fails, a 429
on each prompt's first attempt).
Only loopback addresses are used.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]

_ERROR_BODIES = {
    "openai": lambda code, msg: {"error": {"message": msg, "type": "error", "code": code}},
    "anthropic": lambda code, msg: {
        "type": "error",
        "error": {"type": "api_error", "message": msg},
    },
    "gemini": lambda code, msg: {"error": {"code": code, "message": msg, "status": "ERROR"}},
}


def first_attempt_429() -> Callable[[dict[str, Any]], str | None]:
    """A ``fault_for`` rule: a 429 on each prompt's first attempt, success after."""
    return first_attempt_fails("429")


def first_attempt_fails(fault: str) -> Callable[[dict[str, Any]], str | None]:
    """A ``fault_for`` rule: ``fault`` on each prompt's first attempt, success after."""
    seen: set[str] = set()
    lock = threading.Lock()

    def first_attempt(body: dict[str, Any]) -> str | None:
        prompt = json.dumps(body.get("messages"))
        with lock:
            if prompt in seen:
                return None
            seen.add(prompt)
            return fault

    return first_attempt


def words(text: str) -> int:
    """The fake tokenizer: one token per whitespace-separated word."""
    return len(text.split())


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections that arrive together (a new
    # connection per request under HTTP/1.0, at 64 at once)
    request_queue_size = 1024


class FakeLLMServer:
    """A threaded HTTP server for one dialect: ``openai``, ``anthropic`` or ``gemini``."""

    def __init__(
        self,
        dialect: str,
        reply: Reply | None = None,
        latency_s: float = 0.0,
        retry_after: str = "0",
        fault_for: Callable[[dict[str, Any]], str | None] | None = None,
        protocol: str = "HTTP/1.1",
    ) -> None:
        if dialect not in _ERROR_BODIES:
            raise ValueError(dialect)
        self.dialect = dialect
        self.protocol = protocol  # "HTTP/1.0": the server closes each connection after its answer
        self.reply: Reply = reply or (lambda body: "Paris")
        self.latency_s = latency_s
        self.retry_after = retry_after
        self.faults: deque[str] = deque()
        self.fault_for = fault_for  # a fault chosen from the request body (per prompt)
        self.requests: list[dict[str, Any]] = []
        self.error_message = "injected {code}"
        self.drip_interval_s = 0.5
        self.huge_answer_bytes = 1 << 20
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()  # releases "drip" and "hang" answers at exit
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL the SDK takes (``/v1`` for OpenAI, the root for the others)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}" + ("/v1" if self.dialect == "openai" else "")

    def __enter__(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _next_fault(self) -> str | None:
        with self._lock:
            return self.faults.popleft() if self.faults else None

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def prompt_text(self, body: dict[str, Any]) -> str:
        """All prompt text of a request body, in this dialect's layout."""
        if self.dialect == "gemini":
            parts = [
                p.get("text", "") for c in body.get("contents", []) for p in c.get("parts", [])
            ]
            system = body.get("systemInstruction") or body.get("system_instruction") or {}
            parts += [p.get("text", "") for p in system.get("parts", [])]
            return " ".join(parts)
        text = " ".join(
            m["content"] if isinstance(m["content"], str) else "" for m in body.get("messages", [])
        )
        system = body.get("system")
        return f"{system} {text}" if isinstance(system, str) else text

    def success_body(self, body: dict[str, Any], model: str, answer: Any = None) -> dict[str, Any]:
        """A successful response for ``body`` (``answer``, else the ``reply``'s) with
        word-count usage."""
        answer = self.reply(body) if answer is None else answer
        prompt_tokens = words(self.prompt_text(body))
        output_tokens = words(answer if isinstance(answer, str) else json.dumps(answer))
        if self.dialect == "openai":
            choice: dict[str, Any] = {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }
            if body.get("logprobs"):  # token i's logprob is -(i + 1) / 10
                tokens = answer.split()
                choice["logprobs"] = {
                    "content": [
                        {"token": t, "logprob": -(i + 1) / 10, "bytes": None, "top_logprobs": []}
                        for i, t in enumerate(tokens)
                    ]
                }
            return {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": output_tokens,
                    "total_tokens": prompt_tokens + output_tokens,
                },
            }
        if self.dialect == "anthropic":
            return {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": answer}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens, "output_tokens": output_tokens},
            }
        return {
            "candidates": [
                {
                    "content": {"parts": [{"text": answer}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": output_tokens,
                "totalTokenCount": prompt_tokens + output_tokens,
            },
            "modelVersion": model,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = server.protocol
            disable_nagle_algorithm = True  # one answer must not wait for a delayed ACK

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(
                self, status: int, payload: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def _error_text(self, code: int) -> str:
                key = self.headers.get("x-api-key") or self.headers.get("x-goog-api-key") or ""
                if not key:
                    key = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return server.error_message.format(code=code, key=key)

            def _drip(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.flush()
                for byte in payload:
                    if server._closing.wait(server.drip_interval_s):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return

            def _huge(self, body: dict[str, Any], model: str) -> None:
                marker = "@@huge-answer@@"
                answer = server.success_body(body, model, answer=marker)
                head, tail = json.dumps(answer).encode().split(marker.encode(), 1)
                size = len(head) + server.huge_answer_bytes + len(tail)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(size))
                self.end_headers()
                piece = b"A" * (1 << 16)
                try:
                    self.wfile.write(head)
                    for start in range(0, server.huge_answer_bytes, len(piece)):
                        self.wfile.write(piece[: server.huge_answer_bytes - start])
                    self.wfile.write(tail)
                except OSError:  # the client gave up
                    return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server._record(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "at": time.monotonic(),
                    }
                )
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    self._answer(body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _answer(self, body: dict[str, Any]) -> None:
                fault = server._next_fault() or (server.fault_for and server.fault_for(body))
                if server.latency_s:
                    time.sleep(server.latency_s)
                if fault == "reset":
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    return
                if fault == "timeout":
                    time.sleep(2.0)
                if fault == "hang":
                    server._closing.wait()
                    return
                if fault == "nochoices":
                    error = {"message": self._error_text(200), "type": "error"}
                    self._send(
                        200, json.dumps({"object": "chat.completion", "error": error}).encode()
                    )
                    return
                if fault == "malformed":
                    self._send(200, b'{"choices": [ this is not json')
                    return
                if fault == "empty":
                    self._send(200, b'{"object": "chat.completion", "choices": []}')
                    return
                if fault and fault.isdigit():
                    code = int(fault)
                    headers = {"Retry-After": server.retry_after} if code == 429 else {}
                    error = _ERROR_BODIES[server.dialect](code, self._error_text(code))
                    self._send(code, json.dumps(error).encode(), headers)
                    return
                model = body.get("model") or re.sub(r".*/models/([^:]+):.*", r"\1", self.path)
                if fault == "huge":
                    self._huge(body, model)
                    return
                payload = json.dumps(server.success_body(body, model)).encode()
                if fault == "drip":
                    self._drip(payload)
                    return
                self._send(200, payload)

        return Handler
