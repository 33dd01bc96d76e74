"""HTTP plumbing of the lab Prism: requests and responses, body streams, auth sessions, injected faults."""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class ApiError(Exception):
    """An error answer: ``body`` is already in the shape of the surface that raises it."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class DropConnection(Exception):
    """Close the socket without an answer (a CVM failover in the middle of a transfer)."""


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON, str → text/html, bytes → as is
    headers: dict[str, str] = field(default_factory=dict)


class Request:
    def __init__(self, handler: BaseHTTPRequestHandler) -> None:
        self.handler = handler
        self.method = handler.command
        parts = urlsplit(handler.path)
        self.raw_path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.headers: Message = handler.headers
        self._consumed = False

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return int(value) if value is not None else None

    @property
    def chunked(self) -> bool:
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def stream(self, block: int = 1 << 20) -> Iterator[bytes]:
        """The request body, piece by piece (Content-Length or chunked), never all of it at once."""
        if self._consumed:
            return
        self._consumed = True
        rfile = self.handler.rfile
        if self.chunked:
            while True:
                line = rfile.readline(65537)
                if not line:
                    raise DropConnection()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                yield from self._exactly(size, block)
                rfile.readline(3)
        else:
            yield from self._exactly(self.content_length or 0, block)

    def _exactly(self, size: int, block: int) -> Iterator[bytes]:
        """``size`` body bytes in pieces of at most ``block``; a peer that stops early drops the connection."""
        rfile = self.handler.rfile
        while size:
            piece = rfile.read(min(block, size))
            if not piece:
                raise DropConnection()
            size -= len(piece)
            yield piece

    def drain(self) -> None:
        for _ in self.stream():
            pass

    def body(self) -> bytes:
        return b"".join(self.stream())

    def json(self) -> Any:
        raw = self.body()
        if not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, {"message": f"Request body is not valid JSON: {exc}"}) from exc


@dataclass
class _FailRule:
    method: str
    pattern: re.Pattern[str]
    status: int
    count: int
    body: Any


class Faults:
    """What the next matching requests do instead of their normal answer (thread safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_FailRule] = []
        self._drops = 0

    def fail_next(self, method: str, path_regex: str, status: int, count: int = 1, body: Any = None) -> None:
        with self._lock:
            self._rules.append(_FailRule(method.upper(), re.compile(path_regex), status, count, body))

    def take_failure(self, method: str, path: str) -> _FailRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.method in (method, "*") and rule.pattern.search(path):
                    rule.count -= 1
                    if rule.count <= 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def drop_mid_upload(self, count: int) -> None:
        with self._lock:
            self._drops += count

    def take_drop(self) -> bool:
        with self._lock:
            if self._drops > 0:
                self._drops -= 1
                return True
            return False


class Sessions:
    """Basic auth on the first call, then a session cookie; ``expire_all`` ends every session at once."""

    def __init__(self, user: str, password: str, cookie_names: tuple[str, ...]) -> None:
        self.user = user
        self.password = password
        self.cookie_names = cookie_names
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def check(self, headers: Message) -> tuple[bool, str | None]:
        """(authenticated, new session token to set or None)."""
        cookie = headers.get("Cookie") or ""
        jar = dict(p.strip().split("=", 1) for p in cookie.split(";") if "=" in p)
        with self._lock:
            if any(jar.get(n) in self._tokens for n in self.cookie_names):
                return True, None
        auth = headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return False, None
            if secrets.compare_digest(user.encode(), self.user.encode()) and secrets.compare_digest(
                    password.encode(), self.password.encode()):
                token = secrets.token_urlsafe(24)
                with self._lock:
                    self._tokens.add(token)
                return True, token
        return False, None

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()
