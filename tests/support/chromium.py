"""Load a page in real headless Chromium over the DevTools protocol (``--remote-debugging-pipe``:
JSON messages ending in NUL on fds 3 and 4, no port, no extra package) and report what a
user's browser would show: console errors, uncaught exceptions, every request the page made,
values of JavaScript expressions, its load time and a screenshot."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def chromium_binary() -> str | None:
    """The first Chromium or Chrome on PATH (Debian's ``chromium`` first), or None."""
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


@dataclass
class PageLoad:
    """What loading one page showed."""

    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    requests: list[str] = field(default_factory=list)  # every URL the page requested
    values: dict[str, Any] = field(default_factory=dict)  # expression -> its value
    load_ms: float = 0.0  # navigation start to the load event, as the page measured it
    screenshot: bytes = b""


def _above_four(fd: int) -> int:
    """``fd`` moved to a number above 4 (the old one closed)."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class _Pipe:
    """One Chromium with a DevTools pipe, and one page target attached to it."""

    def __init__(self, binary: str, profile: Path, width: int, height: int) -> None:
        to_chrome_r, self._write = os.pipe()
        self._read, from_chrome_w = os.pipe()
        # Chromium's ends above 4 first, so that neither is overwritten by the other's dup2
        to_chrome_r, from_chrome_w = (_above_four(fd) for fd in (to_chrome_r, from_chrome_w))

        def wire() -> None:
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        args = [binary, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
                f"--user-data-dir={profile}", '--host-resolver-rules=MAP * ~NOTFOUND',
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                f"--window-size={width},{height}", "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(
            args, preexec_fn=wire, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def send(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        """Send one command (to the attached page once there is one) and wait for its reply."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        reply = self.wait(lambda m: m.get("id") == self._next_id, timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait(self, matches: Any, timeout: float) -> dict[str, Any]:
        """The first message ``matches`` accepts; every event on the way is kept."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if "method" in message:
                    self.events.append(message)
                if matches(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed its DevTools pipe")
            self._buffer += chunk

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._write)
        os.close(self._read)


LOAD_MS = "performance.timing.loadEventStart - performance.timing.navigationStart"


def evaluate(pipe: _Pipe, expression: str) -> Any:
    """The value of a JavaScript expression in the page."""
    result = pipe.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
    return result.get("result", {}).get("value")


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        params = event.get("params", {})
        if event["method"] == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            found.append(details.get("exception", {}).get("description") or details.get("text", ""))
        elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") in (
            "error",
            "assert",
        ):
            found.append(
                " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params.get("args", [])
                )
            )
        elif event["method"] == "Log.entryAdded" and params["entry"].get("level") == "error":
            found.append(params["entry"].get("text", ""))
    return found


def load_page(path: Path, expressions: list[str], profile: Path, width: int = 1400,
              height: int = 2400, binary: str | None = None, timeout: float = 120) -> PageLoad:  # fmt: skip
    """Open ``path`` from ``file://``, wait for its load event, evaluate ``expressions`` and
    take a full-width screenshot of the first ``height`` pixels."""
    pipe = _Pipe(binary or chromium_binary() or "chromium", profile, width, height)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"}, timeout)["targetId"]
        attached = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        pipe.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            pipe.send(f"{domain}.enable")
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})  # fmt: skip
        pipe.send("Page.navigate", {"url": path.resolve().as_uri()})
        pipe.wait(lambda m: m.get("method") == "Page.loadEventFired", timeout)
        load = PageLoad()
        for expression in expressions:
            load.values[expression] = evaluate(pipe, expression)
        load.load_ms = float(evaluate(pipe, LOAD_MS))
        shot = pipe.send("Page.captureScreenshot", {"format": "png"}, timeout)
        load.screenshot = base64.b64decode(shot["data"])
        load.errors = _errors(pipe.events)
        load.requests = [e["params"]["request"]["url"] for e in pipe.events
                         if e["method"] == "Network.requestWillBeSent"]  # fmt: skip
        return load
    finally:
        pipe.close()
