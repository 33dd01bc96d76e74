"""The fault proxy itself, in front of a plain HTTP server: each fault does what its name says."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

import pytest
import requests

from tests.support.faultproxy import FaultProxy, Rule, Storm


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(f"GET {self.path}")
        body = b"x" * 20000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        self.seen.append(f"POST {self.path}")
        self.send_response(201)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    _Handler.seen = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_reset_at_accept_reaches_nothing(server: int) -> None:
    with FaultProxy(("127.0.0.1", server)) as proxy:
        proxy.add_rule(Rule("accept"))
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{proxy.port}/a", timeout=5)
        assert _Handler.seen == []
        assert requests.get(f"http://127.0.0.1:{proxy.port}/a", timeout=5).status_code == 200
        assert proxy.injected == {"accept": 1}


def test_after_request_the_server_did_it_but_the_answer_is_lost(server: int) -> None:
    with FaultProxy(("127.0.0.1", server)) as proxy:
        proxy.add_rule(Rule("after_request", rb"^POST /vms "))
        with requests.Session() as s:
            assert s.get(f"http://127.0.0.1:{proxy.port}/first", timeout=5).ok  # a kept-alive connection
            with pytest.raises(requests.exceptions.ConnectionError):
                s.post(f"http://127.0.0.1:{proxy.port}/vms", json={"a": 1}, timeout=5)
            assert s.post(f"http://127.0.0.1:{proxy.port}/vms", json={"a": 1}, timeout=5).status_code == 201
        assert _Handler.seen == ["GET /first", "POST /vms", "POST /vms"]
        assert proxy.log == [("after_request", "POST /vms HTTP/1.1")]


def test_mid_answer_breaks_the_body_off(server: int) -> None:
    with FaultProxy(("127.0.0.1", server)) as proxy:
        proxy.add_rule(Rule("mid_answer", rb"^GET /big "))
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"http://127.0.0.1:{proxy.port}/big", timeout=5)


def test_delay_delivers_the_whole_answer_late(server: int) -> None:
    with FaultProxy(("127.0.0.1", server)) as proxy:
        proxy.add_rule(Rule("delay", delay=0.3))
        r = requests.get(f"http://127.0.0.1:{proxy.port}/slow", timeout=5)
        assert r.ok and len(r.content) == 20000
        assert proxy.injected == {"delay": 1}


def _storm_faults(port: int, seed: int) -> list[str]:
    with FaultProxy(("127.0.0.1", port), seed=seed, storm=Storm(after_request=0.2, mid_answer=0.2)) as proxy:
        for i in range(30):
            with contextlib.suppress(requests.exceptions.RequestException):
                requests.get(f"http://127.0.0.1:{proxy.port}/{i}", timeout=5).raise_for_status()
        return [f"{kind} {line}" for kind, line in proxy.log]


def test_a_storm_is_the_same_for_the_same_seed(server: int) -> None:
    first, again, other = _storm_faults(server, 3), _storm_faults(server, 3), _storm_faults(server, 4)
    assert first == again
    assert len(first) >= 5 and first != other


def test_it_listens_on_the_loopback_only() -> None:
    with pytest.raises(ValueError):
        FaultProxy(("127.0.0.1", 1), host="0.0.0.0")
