"""The threaded HTTP(S) server of the lab Prism: auth, fault injection, routing to the v2/v3 surfaces."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import v2_render, v3_render
from .http import ApiError, DropConnection, Faults, Request, Response, Sessions
from .v3 import BASE as V3_BASE
from .v3 import path_kind

log = logging.getLogger(__name__)
# Apache Tomcat (Prism's servlet container) refuses an encoded slash in a path before any application sees it:
# its connector's ``encodedSolidusHandling`` defaults to "reject" (ALLOW_ENCODED_SLASH=false on older releases).
_ENCODED_SLASH_HTML = ("<!doctype html><html><head><title>HTTP Status 400 – Bad Request</title></head>"
                       "<body><h1>HTTP Status 400 – Bad Request</h1></body></html>")
_UNAUTHORIZED_HTML = ("<!doctype html><html><head><title>401 Unauthorized</title></head>"
                      "<body><h1>401 Unauthorized</h1><p>Authentication required.</p></body></html>")


class PrismServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], *, routes: list[Any], faults: Faults, sessions: Sessions,
                 pc: bool, product: str, ssl_context: ssl.SSLContext | None) -> None:
        super().__init__(address, _Handler)
        self.routes = routes
        self.faults = faults
        self.sessions = sessions
        self.pc = pc
        self.product = product
        self.ssl_context = ssl_context
        self.request_log: list[tuple[str, str, int]] = []
        self.log_lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            # The handshake runs on the connection's own thread (see _Handler.setup), never on the accept loop.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self.log_lock:
            self._open.add(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        with self.log_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut the clients' keep-alive connections too: a stopped Prism answers nothing any more."""
        with self.log_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("lab Prism: connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: PrismServer

    def setup(self) -> None:
        self.request.settimeout(60)
        # Headers and body go out in two writes; without this, Nagle + delayed ACK stall each answer ~40 ms.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("lab Prism: " + format, *args)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- dispatch -----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        req = Request(self)
        path = req.raw_path
        try:
            if "%2f" in path.lower():
                req.drain()
                self._send(req, Response(400, _ENCODED_SLASH_HTML), None)
                return
            rule = self.server.faults.take_failure(req.method, path)
            if rule is not None:
                req.drain()
                body = rule.body if rule.body is not None else self._default_error(path, rule.status)
                self._send(req, Response(rule.status, body), None)
                return
            authenticated, token = self.server.sessions.check(req.headers)
            if not authenticated:
                req.drain()
                self._send(req, Response(401, _UNAUTHORIZED_HTML, {"WWW-Authenticate": 'Basic realm="Prism"'}), None)
                return
            response = self._route(req)
            req.drain()
            self._send(req, response, token)
        except ApiError as exc:
            req.drain()
            self._send(req, Response(exc.status, exc.body, exc.headers), None)
        except DropConnection:
            self._record(req, 0)
            self._abort()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self._record(req, 0)
            self.close_connection = True
        except Exception:  # a simulator bug still answers like Prism does: 500 with an error body
            log.exception("lab Prism: %s %s failed", req.method, path)
            self.close_connection = True
            self._send(req, Response(500, self._default_error(path, 500)), None)

    def _record(self, req: Request, status: int) -> None:
        # Recorded before the answer leaves, so a client that has its answer also finds it in the log.
        with self.server.log_lock:
            self.server.request_log.append((req.method, req.raw_path, status))

    def _route(self, req: Request) -> Response:
        known_path = False
        for method, pattern, fn in self.server.routes:
            m = pattern.match(req.raw_path)
            if m is None:
                continue
            known_path = True
            if method in (req.method, "*"):
                return fn(req, **m.groupdict())
        if known_path:
            raise ApiError(405, self._default_error(req.raw_path, 405))
        raise ApiError(404, self._default_error(req.raw_path, 404))

    @staticmethod
    def _default_error(path: str, status: int) -> Any:
        reasons = {404: ("ENTITY_NOT_FOUND", "Not found"), 409: ("CONCURRENT_REQUESTS_NOT_ALLOWED", "Edit conflict"),
                   422: ("INVALID_REQUEST", "Invalid request"), 401: ("AUTHENTICATION_REQUIRED", "Unauthorized"),
                   403: ("ACCESS_DENIED", "User does not have permission to perform this operation"),
                   405: ("METHOD_NOT_ALLOWED", "Method not allowed")}
        if status == 401:
            return _UNAUTHORIZED_HTML
        if status in (502, 503, 504, 408, 429):
            return f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
        reason, message = reasons.get(status, ("INTERNAL_ERROR", "Internal error"))
        if path.startswith(V3_BASE):
            return v3_render.error_body(status, path_kind(path), message, reason)
        return v2_render.error_body(message, v2_render.ERR_NOT_FOUND if status == 404 else status)

    def _send(self, req: Request, response: Response, token: str | None) -> None:
        self._record(req, response.status)
        body = response.body
        headers = dict(response.headers)
        if isinstance(body, (dict, list)):
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            raw = body.encode("utf-8")
            headers.setdefault("Content-Type", "text/html; charset=utf-8")
        else:
            raw = body or b""
        self.send_response(response.status)
        for key, value in headers.items():
            self.send_header(key, value)
        if self.server.pc:
            self.send_header("X-Ntnx-Env", "pc")
            self.send_header("X-Ntnx-Product", self.server.product)
        if token:
            secure = "; Secure" if self.server.ssl_context is not None else ""
            for name in self.server.sessions.cookie_names:
                self.send_header("Set-Cookie", f"{name}={token}; Path=/; HttpOnly{secure}; SameSite=Lax")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if raw:
            self.wfile.write(raw)

    def _abort(self) -> None:
        """Reset the connection (SO_LINGER 0): the client sees a reset, not a clean close."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
