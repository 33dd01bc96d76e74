"""What a network fault says about the request it hit, shared by every adapter that speaks HTTP (requests,
urllib3, http.client): was anything sent at all, and is a TLS error a broken connection or a refusal of trust.

Adapters decide what a fault means for their call (retry, "may have been done", "enable WinRM"); this module
only reads the exception chain.
"""

from __future__ import annotations

import socket

import urllib3
from requests import exceptions as rex

# Texts of TLS errors that mean the connection broke (EOF or reset inside a record), not a certificate problem.
_BROKEN_TLS = ("EOF occurred", "UNEXPECTED_EOF", "bad record mac", "BAD_RECORD_MAC", "DECRYPTION_FAILED",
               "Connection reset", "record layer failure")


def _causes(exc: BaseException, depth: int = 6) -> list[BaseException]:
    """``exc`` and what it wraps: requests → urllib3 MaxRetryError → NewConnectionError → OSError."""
    out = [exc]
    current: object = exc
    for _ in range(depth):
        nxt = getattr(current, "reason", None)
        if not isinstance(nxt, BaseException):
            args = getattr(current, "args", ())
            nxt = next((a for a in args if isinstance(a, BaseException)), None)
        if not isinstance(nxt, BaseException) or nxt in out:
            break
        out.append(nxt)
        current = nxt
    return out


def never_sent(exc: BaseException) -> bool:
    """True when the request surely never left this computer (no connection could be made): then it may be sent
    again whatever it does; a fault after the connection was made leaves that open."""
    if isinstance(exc, rex.ConnectTimeout):
        return True
    return any(isinstance(c, urllib3.exceptions.NewConnectionError | ConnectionRefusedError | socket.gaierror)
               for c in _causes(exc))


def broken_tls_stream(exc: BaseException) -> bool:
    """A TLS error that is a broken connection (EOF, a reset inside a record), not a certificate or protocol
    refusal."""
    return any(word in str(c) for c in _causes(exc) for word in _BROKEN_TLS)
