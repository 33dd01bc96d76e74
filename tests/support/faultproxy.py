"""A fault-injecting TCP proxy (asyncio, 127.0.0.1 only, seeded) to put in front of any test peer: vCenter SOAP and
its /folder datastore reads, Prism, the NFS and MOUNT services, WinRM.

It knows no protocol.  It sees each connection as a series of *exchanges*: the bytes the client sends until the
server starts answering (a request), then the server's bytes (the answer) until the client speaks again.  That
fits HTTP with keep-alive, SOAP and ONC RPC alike, and lets it hurt the three moments that matter:

- ``accept``: the connection is reset as soon as it is accepted (nothing reached the server);
- ``after_request``: the request reached the server and was processed, its answer is dropped and the client's
  connection reset (the client cannot know whether it happened: the "lost answer");
- ``mid_answer``: part of the answer is delivered, then a reset (for HTTP the cut falls inside the body once
  the headers are through, so a client sees a body broken off: ``ChunkedEncodingError``, ``IncompleteRead``);
- ``truncate``: like ``mid_answer``, but the connection then ends with a clean FIN (a server or proxy that
  closed early): the client reads a short body without any error from its socket;
- ``delay``: the answer is held back for a while, then delivered whole.

Resets are real TCP resets (``SO_LINGER`` 0), as a middlebox or a crashed server gives.  Faults come from a
storm (a probability per kind and exchange, drawn from a ``random.Random(seed)``) and from rules (a regular
expression on the request's first bytes, e.g. ``rb"^POST /api/nutanix/v2.0/vms "``, hit ``times`` times), so a
test can aim at one call.  ``injected`` counts what was done, ``log`` says to which request.

    proxy = FaultProxy(("127.0.0.1", prism.port), seed=7).start()
    proxy.add_rule(Rule("after_request", rb"^POST /PrismGateway/services/rest/v2.0/vms "))
    ... connect the client to 127.0.0.1:proxy.port ...
    proxy.storm = Storm(mid_answer=0.05, delay=0.1)
    proxy.stop()

The ``fault_proxy`` fixture starts proxies (``fault_proxy(upstream_port, seed=…, storm=…)``) and stops them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import random
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

FAULTS = ("accept", "after_request", "mid_answer", "truncate", "delay")
_CHUNK = 65536
_MATCH_BYTES = 8192  # how much of a request a rule's pattern sees
_HEADERS_END = b"\r\n\r\n"


@dataclass
class Storm:
    """Per-exchange probabilities of each fault (``accept``: per connection)."""

    accept: float = 0.0
    after_request: float = 0.0
    mid_answer: float = 0.0
    truncate: float = 0.0
    delay: float = 0.0
    delay_seconds: tuple[float, float] = (0.05, 0.5)

    def total(self) -> float:
        return self.accept + self.after_request + self.mid_answer + self.truncate + self.delay


@dataclass
class Rule:
    """``fault`` for the next ``times`` exchanges whose request matches ``match`` (a regex on its first bytes;
    empty: any).  ``times`` 0: every match.  ``skip``: let that many matches pass first."""

    fault: str
    match: bytes = b""
    times: int = 1
    skip: int = 0
    delay: float = 0.5
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; one of {FAULTS}")
        self._pattern = re.compile(self.match, re.DOTALL) if self.match else None

    def wants(self, request: bytes) -> bool:
        if self.times and self.hits >= self.times + self.skip:
            return False
        if self._pattern is not None and not self._pattern.search(request):
            return False
        self.hits += 1
        return self.hits > self.skip

    @property
    def spent(self) -> bool:
        return bool(self.times) and self.hits >= self.times + self.skip


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset, not a FIN: what a client sees when a peer or a middlebox drops the connection."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _first_line(request: bytes) -> str:
    line = request.split(b"\r\n", 1)[0][:120]
    return line.decode("latin-1") if line.isascii() and line[:1].isalpha() else f"<{len(request)} bytes>"


class FaultProxy:
    """One listening port on 127.0.0.1 forwarding to ``upstream``; see the module docstring."""

    def __init__(self, upstream: tuple[str, int], *, seed: int = 0, storm: Storm | None = None, name: str = "",
                 host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the fault proxy listens on the loopback only")
        self.upstream = upstream
        self.name = name or f"{upstream[0]}:{upstream[1]}"
        self.host = host
        self._want_port = port
        self.port = 0
        self.storm = storm or Storm()
        self.rules: list[Rule] = []
        self.injected: collections.Counter[str] = collections.Counter()
        self.log: list[tuple[str, str]] = []  # (fault, first line of the request)
        self.connections = 0
        self.exchanges = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._conns: set[asyncio.StreamWriter] = set()

    # -- control (any thread) ----------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name=f"faultproxy-{self.name}", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._close(), loop).result(10)
        self._thread.join(10)
        self._loop = None

    def add_rule(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def calm(self) -> None:
        """No more storm and no rules left: the peer answers as usual from now on."""
        with self._lock:
            self.storm = Storm()
            self.rules.clear()

    def total(self) -> int:
        with self._lock:
            return sum(self.injected.values())

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the loop thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._handle, self.host, self._want_port))
            self.port = int(self._server.sockets[0].getsockname()[1])
        except BaseException as exc:  # e.g. the port is taken: start() raises it
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._conns):
            writer.transport.abort()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    def _record(self, fault: str, request: bytes) -> None:
        with self._lock:
            self.injected[fault] += 1
            self.log.append((fault, _first_line(request)))

    def _decide(self, request: bytes, *, at_accept: bool) -> tuple[str, float]:
        """The fault for this exchange (or connection, ``at_accept``): a rule first, else the storm."""
        with self._lock:
            for rule in self.rules:
                if (rule.fault == "accept") == at_accept and rule.wants(request):
                    return rule.fault, rule.delay
            storm = self.storm
            draw = self._rng.random()
            if at_accept:
                return ("accept", 0.0) if draw < storm.accept else ("", 0.0)
            for kind in ("after_request", "mid_answer", "truncate", "delay"):
                chance = float(getattr(storm, kind))
                if draw < chance:
                    return kind, self._rng.uniform(*storm.delay_seconds)
                draw -= chance
            return "", 0.0

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self._conns.add(client_w)
        with self._lock:
            self.connections += 1
        upstream_w: asyncio.StreamWriter | None = None
        try:
            fault, _ = self._decide(b"", at_accept=True)
            if fault:
                self._record(fault, b"")
                _reset(client_w)
                return
            try:
                upstream_r, upstream_w = await asyncio.open_connection(*self.upstream)
            except OSError:
                _reset(client_w)
                return
            self._conns.add(upstream_w)
            await self._pump(client_r, client_w, upstream_r, upstream_w)
        finally:
            self._conns.discard(client_w)
            if upstream_w is not None:
                self._conns.discard(upstream_w)
                upstream_w.transport.abort()
            client_w.transport.abort()

    async def _pump(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter,
                    upstream_r: asyncio.StreamReader, upstream_w: asyncio.StreamWriter) -> None:
        state: dict[str, Any] = {"request": bytearray(), "answering": True}

        async def requests_up() -> None:
            while data := await client_r.read(_CHUNK):
                if state["answering"]:  # the client speaks again: a new exchange
                    state["request"] = bytearray()
                    state["answering"] = False
                if len(state["request"]) < _MATCH_BYTES:
                    state["request"] += data[:_MATCH_BYTES - len(state["request"])]
                upstream_w.write(data)
                await upstream_w.drain()
            with contextlib.suppress(OSError):
                upstream_w.write_eof()

        async def answers_down() -> None:
            while data := await upstream_r.read(_CHUNK):
                if not state["answering"]:
                    state["answering"] = True
                    with self._lock:
                        self.exchanges += 1
                    request = bytes(state["request"])
                    fault, delay = self._decide(request, at_accept=False)
                    if fault == "after_request":
                        self._record(fault, request)
                        _reset(client_w)
                        return
                    if fault in ("mid_answer", "truncate"):
                        self._record(fault, request)
                        data = await self._head_of_answer(data, upstream_r)
                        client_w.write(data[:self._cut(data)])
                        with contextlib.suppress(ConnectionError):
                            await client_w.drain()
                        if fault == "truncate":
                            client_w.close()
                            with contextlib.suppress(ConnectionError):
                                await client_w.wait_closed()
                        else:
                            _reset(client_w)
                        return
                    if fault == "delay":
                        self._record(fault, request)
                        await asyncio.sleep(delay)
                client_w.write(data)
                await client_w.drain()
            with contextlib.suppress(OSError):
                client_w.write_eof()

        up, down = asyncio.ensure_future(requests_up()), asyncio.ensure_future(answers_down())
        try:
            # The answers decide: once the server is done (or a fault cut the client off), so is the connection.
            # A client that only half-closed still gets the rest of its answer.
            done, _ = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            if up in done and down not in done and up.exception() is None:
                await asyncio.wait({down})
        finally:
            for task in (up, down):
                task.cancel()
            await asyncio.gather(up, down, return_exceptions=True)

    @staticmethod
    async def _head_of_answer(data: bytes, reader: asyncio.StreamReader) -> bytes:
        """Enough of the answer to cut inside an HTTP body: the headers and some body, or what came in 0.3 s."""
        buf = bytearray(data)
        while True:
            end = buf.find(_HEADERS_END)
            if (end >= 0 and len(buf) > end + len(_HEADERS_END)) or len(buf) >= _CHUNK or not buf[:4].isalpha():
                return bytes(buf)
            try:
                more = await asyncio.wait_for(reader.read(_CHUNK), 0.3)
            except TimeoutError:
                return bytes(buf)
            if not more:
                return bytes(buf)
            buf += more

    @staticmethod
    def _cut(data: bytes) -> int:
        end = data.find(_HEADERS_END)
        if end >= 0 and data[:4].isalpha():
            body = len(data) - end - len(_HEADERS_END)
            return end + len(_HEADERS_END) + body // 2
        return max(1, len(data) // 2)


# -- pytest -------------------------------------------------------------------------------------------

try:
    import pytest
except ImportError:  # benchmarks use the proxy without pytest
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
        """``fault_proxy(upstream_port, *, host="127.0.0.1", seed=0, storm=None, name="")`` → a started proxy."""
        started: list[FaultProxy] = []

        def start(upstream_port: int, *, host: str = "127.0.0.1", **kwargs: Any) -> FaultProxy:
            proxy = FaultProxy((host, upstream_port), **kwargs).start()
            started.append(proxy)
            return proxy

        yield start
        for proxy in started:
            proxy.stop()
