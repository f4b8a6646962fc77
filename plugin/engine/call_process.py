"""API calls sent from a helper process, so that the SDK's own CPU cost runs on another core.

An HTTP SDK spends several milliseconds of CPU on each request (building it, parsing the
answer into its models); in one process that work shares the GIL with pytest's own per-item
work, so a cold run against a fast endpoint is bound by the CPU, not by the endpoint. A
:class:`CallProcess` moves only :meth:`ModelClient.complete` into a child process
(``python -m parity.engine.call_process``): pacing, retries, the circuit breaker, the budget, the
cache and scoring stay in the pytest process, which sends each request over a socket and
waits for its completion or a :class:`FailureInfo`. It also tells the pytest process each
client's endpoint as its SDK spells it (:meth:`CallProcess.endpoint`, for the cache keys and
lanes), so that a run sending from the child never imports the SDK twice.

Only the built-in API providers are sent there (a client the child can rebuild from its
provider, model and options); local models and other packages' providers run in-process.
The child reads API keys from its inherited environment: no key crosses the socket. It
starts when the run will likely send requests (:meth:`Engine.start_call_process`: as the
plan is made, or at submission; else on the first call),
ignores Ctrl-C (the pytest process decides when to stop) and exits when the socket closes,
also when the pytest process dies. If it ends unexpectedly, calls in flight fail as
retryable and later calls run in-process. The child holds each request to its client's
deadline (``timeout_s``); a call it has not answered :data:`DEADLINE_GRACE_S` after that
fails here as a retryable timeout, so the deadline holds also if the child stalls.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from parity.fixtures.providers import ChatRequest, Completion, FailureInfo, ModelClient
from parity.fixtures.providers.api_base import ApiModelClient

# The most calls the child runs at once; every lane's in-flight limit bounds it before that.
MAX_CALLS = 1024
STOP_TIMEOUT_S = 5.0
# How long past a client's request deadline (``timeout_s``, which the child enforces) this
# process waits for the child's answer before failing the call as a retryable timeout.
DEADLINE_GRACE_S = 5.0


class RemoteCallFailed(Exception):
    """A call that failed in the helper process; ``info`` is its client's classification."""

    def __init__(self, info: FailureInfo) -> None:
        super().__init__(info.message)
        self.info = info


def sendable(client: ModelClient) -> bool:
    """Whether ``client``'s calls can run in the helper process: a built-in API provider,
    which the child rebuilds from its class, model and options."""
    return sendable_class(type(client))


def sendable_class(cls: type[ModelClient]) -> bool:
    """Whether the clients of provider class ``cls`` are :func:`sendable`."""
    return issubclass(cls, ApiModelClient) and cls.__module__.startswith("parity.fixtures.")


class _Outbox:
    """Messages on their way over the socket, either way: whatever is ready when the socket
    is free goes as one list (one pickle, one write and one wake-up of the reading thread
    for many calls or outcomes)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._ready: list[object] = []
        self._closed = False
        self._has_some = threading.Condition()

    def put(self, message: object) -> None:
        """Queue one message (any thread)."""
        with self._has_some:
            self._ready.append(message)
            self._has_some.notify()

    def close(self) -> None:
        """Stop sending (what is queued is dropped)."""
        with self._has_some:
            self._closed = True
            self._has_some.notify()

    def send_forever(self) -> None:
        """Send the queued messages, a batch at a time, until closed or the socket fails."""
        while True:
            with self._has_some:
                while not self._ready and not self._closed:
                    self._has_some.wait()
                if self._closed:
                    return
                batch, self._ready = self._ready, []
            try:
                self._connection.send(batch)
            except (OSError, ValueError):  # ValueError: the connection was closed here
                return


class _Pending:
    __slots__ = ("done", "outcome")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.outcome: Completion | FailureInfo | str | None = None


class CallProcess:
    """The pytest process's side: sends calls to the child and hands back their outcomes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._outbox: _Outbox | None = None  # messages to the child, sent in batches
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._failed = False  # the child could not start or has ended: calls run in-process
        self._pending: dict[int, _Pending] = {}
        self._call_ids = itertools.count()
        self._client_numbers: dict[ModelClient, int] = {}  # the child's number of each client

    def complete(self, client: ModelClient, request: ChatRequest) -> Completion:
        """Send ``request`` from the helper process; raise :class:`RemoteCallFailed` with the
        client's own classification of the failure."""
        pending = _Pending()
        with self._lock:
            outbox = self._started()
            if outbox is not None:
                number = self._client_number(client, outbox)
                call_id = next(self._call_ids)
                self._pending[call_id] = pending
                outbox.put(("call", call_id, number, request))
        if outbox is None:
            return client.complete(request)
        deadline_s = getattr(client, "timeout_s", None)
        if not pending.done.wait(None if deadline_s is None else deadline_s + DEADLINE_GRACE_S):
            with self._lock:
                self._pending.pop(call_id, None)
            raise RemoteCallFailed(
                FailureInfo(
                    True,
                    None,
                    None,
                    f"no answer from Parity's call process within the request deadline of "
                    f"{deadline_s:g} s (and {DEADLINE_GRACE_S:g} s of grace)",
                )
            )
        if isinstance(pending.outcome, Completion):
            return pending.outcome
        assert isinstance(pending.outcome, FailureInfo)
        raise RemoteCallFailed(pending.outcome)

    def endpoint(self, client: ModelClient) -> str | None:
        """``client.endpoint()`` as the helper process's SDK client spells it, so that this
        process need not import the SDK for its cache keys and lanes; None when the helper
        is not running or could not make the client."""
        pending = _Pending()
        with self._lock:
            outbox = self._outbox if self._connection is not None else None
            if outbox is None:
                return None
            number = self._client_number(client, outbox)
            call_id = next(self._call_ids)
            self._pending[call_id] = pending
            outbox.put(("endpoint", call_id, number))
        pending.done.wait()
        return pending.outcome if isinstance(pending.outcome, str) else None

    def start(self, sdk_modules: Sequence[str] = ()) -> None:
        """Start the helper process now, ahead of the first call, importing ``sdk_modules``
        (about a second for ``openai``) while this process makes its own clients."""
        with self._lock:
            self._started(sdk_modules)

    def close(self) -> None:
        """Shut the socket down (the child exits) and wait briefly for the child."""
        with self._lock:
            process, sock, outbox = self._process, self._socket, self._outbox
            self._socket, self._failed = None, True
        if outbox is not None:
            outbox.close()
        if sock is not None:
            # shutdown, not just close: it wakes the receiving thread's blocked read (which
            # then closes its connection) and gives the child its end-of-file at once.
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if process is not None:
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _started(self, sdk_modules: Sequence[str] = ()) -> _Outbox | None:
        """The way to the child, started on first use (None when calls run in-process)."""
        if self._connection is not None or self._failed:
            return self._outbox if self._connection is not None else None
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "parity.engine.call_process",
                    str(theirs.fileno()),
                    *sdk_modules,
                ],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches pytest, which stops the child
            )
        except OSError:
            ours.close()
            self._failed = True
            return None
        finally:
            theirs.close()
        self._socket = ours
        self._connection = Connection(os.dup(ours.fileno()))
        self._outbox = _Outbox(self._connection)
        threading.Thread(
            target=self._receive, args=(self._connection,), name="parity-calls", daemon=True
        ).start()
        threading.Thread(
            target=self._outbox.send_forever, name="parity-calls-out", daemon=True
        ).start()
        return self._outbox

    def _client_number(self, client: ModelClient, outbox: _Outbox) -> int:
        number = self._client_numbers.get(client)
        if number is None:
            number = self._client_numbers[client] = len(self._client_numbers)
            cls = type(client)
            message = ("client", number, cls.__module__, cls.__qualname__, client.model,
                       client.options)  # fmt: skip
            outbox.put(message)
        return number

    def _receive(self, connection: Connection) -> None:
        """Hand each outcome to its waiting call; when the child ends, fail what is left."""
        try:
            while True:
                batch = connection.recv()  # every outcome the child had ready
                with self._lock:
                    found = [
                        (self._pending.pop(call_id, None), outcome) for call_id, outcome in batch
                    ]
                for pending, outcome in found:
                    if pending is not None:  # None: the call gave up waiting (its deadline)
                        pending.outcome = outcome
                        pending.done.set()
        except (EOFError, OSError):
            pass
        with self._lock:
            connection.close()
            self._connection, self._failed = None, True
            left, self._pending = self._pending, {}
            code = self._process.poll() if self._process is not None else None
        ended = FailureInfo(
            True, None, None, f"Parity's call process ended (exit code {code}); retrying in-process"
        )
        for pending in left.values():
            pending.outcome = ended
            pending.done.set()


def _build_client(module: str, qualname: str, model: str, options: Mapping[str, Any]) -> Any:
    cls: Any = importlib.import_module(module)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    client = cls(model, options)
    client.sdk_client  # noqa: B018 -- made now: a client the SDK refuses fails every call
    return client


def _endpoint(client: ModelClient | FailureInfo) -> str | FailureInfo:
    if isinstance(client, FailureInfo):
        return client
    try:
        return client.endpoint()
    except Exception as exc:
        return FailureInfo(False, None, None, f"{type(exc).__name__}: {exc}")


def serve(connection: Connection) -> None:
    """The child's loop: build clients, answer endpoint queries, run calls on a thread pool,
    send back outcomes."""
    clients: dict[int, ModelClient | FailureInfo] = {}
    outbox = _Outbox(connection)

    def run(call_id: int, number: int, request: ChatRequest) -> None:
        client = clients[number]
        outcome: Completion | FailureInfo
        if isinstance(client, FailureInfo):
            outcome = client
        else:
            try:
                outcome = client.complete(request)
            except Exception as exc:
                outcome = client.describe_failure(exc)
        outbox.put((call_id, outcome))

    threading.Thread(target=outbox.send_forever, name="parity-outbox", daemon=True).start()
    pool = ThreadPoolExecutor(MAX_CALLS, thread_name_prefix="parity-call")
    while True:
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            break
        for message in batch:
            if message[0] == "client":
                _, number, module, qualname, model, options = message
                try:
                    clients[number] = _build_client(module, qualname, model, options)
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"
                    clients[number] = FailureInfo(False, None, None, reason)
            elif message[0] == "endpoint":
                _, call_id, number = message
                outbox.put((call_id, _endpoint(clients[number])))
            else:
                _, call_id, number, request = message
                pool.submit(run, call_id, number, request)
    outbox.close()
    pool.shutdown(wait=False, cancel_futures=True)  # calls in flight are abandoned
    for client in clients.values():
        if isinstance(client, ModelClient):
            client.close()


if __name__ == "__main__":
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for sdk_module in sys.argv[2:]:  # while the pytest process makes its own clients
        with contextlib.suppress(ImportError):  # the client's own import reports it
            importlib.import_module(sdk_module)
    serve(Connection(int(sys.argv[1])))
    os._exit(0)  # abandoned calls' threads must not hold the exit
