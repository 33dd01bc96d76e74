"""A datastore-like Range server on 127.0.0.1 (HTTP, or HTTPS with a throw-away certificate) for reader tests:
it checks each request's cookie as vCenter and ESXi do, and can drop every connection after its answer."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Accept = Callable[[str, list[str]], bool]  # (this request's Cookie header, every cookie seen so far) -> serve it?


class RangeServer:
    """Serves ``data`` with ``Range``; ``tls_dir`` makes it HTTPS (``fingerprint`` is then its SHA-256 pin)."""

    def __init__(self, data: bytes, *, accept: Accept = lambda cookie, seen: True, tls_dir: Path | None = None,
                 close_after_each: bool = False) -> None:
        self.cookies: list[str] = []
        self.connections = 0
        self.fingerprint = ""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                cookie = self.headers.get("Cookie", "")
                outer.cookies.append(cookie)
                if not accept(cookie, outer.cookies):
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                a, _, b = self.headers["Range"].removeprefix("bytes=").partition("-")
                body = data[int(a):int(b) + 1]
                self.send_response(206)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()  # keep-alive as far as the client can tell
                self.wfile.write(body)
                # With TLS, Python's server then closes without a close_notify: a ragged end, as some servers do.
                self.close_connection = close_after_each

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls_dir is not None:
            from xtract_gui.lab.guest.server import self_signed

            cert, key, self.fingerprint = self_signed("127.0.0.1", tls_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
