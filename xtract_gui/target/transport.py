"""HTTP plumbing for Prism (the Libcloud "Connection" half): TLS pinning, basic auth then session cookies,
one re-auth on 401, timeouts on every call, retries with backoff, and translation of faults."""

from __future__ import annotations

import base64
import http.client
import logging
import random
import ssl
import time
from collections.abc import Iterable, Mapping
from typing import Any

import requests
import urllib3
from requests import exceptions as rex

from ..domain.errors import (
    CertificateMismatchError,
    ConfigurationError,
    ConnectionFailedError,
    TransientError,
    XtractError,
)
from ..domain.redact import scrub
from ..netfaults import broken_tls_stream, never_sent
from .faults import RETRYABLE_STATUS, error_from_response
from .tls import PinnedAdapter, normalize_fingerprint, probe_certificate

log = logging.getLogger(__name__)
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class PrismTransport:
    """One authenticated HTTP session to one Prism address; thread safe enough for the engine's executor."""

    def __init__(self, host: str, user: str, password: str, *, port: int = 9440, protocol: str = "https",
                 expected_fingerprint: str = "", timeout: float = 30, retries: int = 4, backoff: float = 0.5,
                 user_agent: str = "xtract-gui") -> None:
        if protocol not in ("https", "http"):
            raise ConfigurationError(f"Unknown protocol {protocol!r} for Prism.",
                                     hint="Use https (or http for the lab).")
        self.host, self.port, self.protocol = host, port, protocol
        self.base_url = f"{protocol}://{host}:{port}"
        self.timeout = timeout
        self.retries = retries
        self.retry_unreached = True  # False: a request that reached nobody (refused, no route) fails at once
        self.backoff = backoff
        self._secrets = (password,)
        self._basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": user_agent})
        self.session.trust_env = False  # a laptop proxy must not see (or break) the cluster traffic
        try:
            self.expected_fingerprint = normalize_fingerprint(expected_fingerprint)
        except ValueError:
            raise ConfigurationError(f"'{expected_fingerprint}' is not a SHA-256 certificate fingerprint.",
                                     hint="Copy the fingerprint as shown (32 pairs of hex digits).") from None
        if protocol == "https" and self.expected_fingerprint:
            self.session.verify = False  # the pinned fingerprint replaces CA validation (see PinnedAdapter)
            self.session.mount(f"https://{host}:{port}", PinnedAdapter(self.expected_fingerprint))

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def close(self) -> None:
        self.session.close()

    # -- requests -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, action: str, json: Any = None,
                params: Mapping[str, Any] | None = None, data: Iterable[bytes] | None = None,
                headers: Mapping[str, str] | None = None, timeout: float | None = None) -> requests.Response:
        """Send and return a 2xx answer; every other outcome raises an ``XtractError``.

        ``data`` (a one-shot stream) is never replayed: it gets no retry and no re-auth, and it always
        carries basic auth so that an expired session cannot cut it."""
        replayable = data is None
        attempt = 0
        reauthed = False
        while True:
            attempt += 1
            send_basic = not replayable or not self._has_session()
            try:
                resp = self._send(method, path, json=json, params=params, data=data, headers=headers,
                                  timeout=timeout, basic=send_basic)
            except _TRANSPORT_FAULTS as exc:
                unreached, idempotent = never_sent(exc), method in _IDEMPOTENT or path.endswith("/list")
                error = self._transport_error(exc, action, replayable, sent=not unreached, idempotent=idempotent)
                if error is None:  # not ours to judge (a bug in the call): let it show as it is
                    raise
                safe = replayable and (unreached or idempotent) and (self.retry_unreached or not unreached)
                if isinstance(error, TransientError | ConnectionFailedError) and not isinstance(
                        error, CertificateMismatchError) and safe and attempt <= self.retries:
                    log.info("Prism %s %s: %s; retrying", method, path, error.detail or error)
                    self._sleep(attempt, None)
                    continue
                raise error from None
            if resp.status_code == 401 and replayable and not send_basic and not reauthed:
                # The session cookie expired: drop it and authenticate again, once.
                log.info("Prism session expired; authenticating again")
                self.session.cookies.clear()
                reauthed = True
                continue
            if resp.status_code in RETRYABLE_STATUS and replayable and attempt <= self.retries:
                log.info("Prism answered %s to %s %s; retrying", resp.status_code, method, path)
                self._sleep(attempt, resp.headers.get("Retry-After"))
                continue
            if resp.ok:
                return resp
            raise error_from_response(resp, action, self._secrets)

    def json(self, method: str, path: str, *, action: str, **kwargs: Any) -> Any:
        resp = self.request(method, path, action=action, **kwargs)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise XtractError(f"Prism answered something that is not JSON while trying to {action}.",
                              hint="Check that the address is a Prism address and not a proxy or login page.",
                              detail=scrub(resp.text[:500], self._secrets)) from None

    def _has_session(self) -> bool:
        return len(self.session.cookies) > 0

    def _send(self, method: str, path: str, *, json: Any, params: Mapping[str, Any] | None,
              data: Iterable[bytes] | None, headers: Mapping[str, str] | None, timeout: float | None,
              basic: bool) -> requests.Response:
        all_headers = dict(headers or {})
        if basic:
            all_headers["Authorization"] = self._basic
        read_timeout = timeout if timeout is not None else self.timeout
        resp = self.session.request(method, self.base_url + path, json=json, params=params, data=data,
                                    headers=all_headers, timeout=(min(10.0, self.timeout), read_timeout),
                                    allow_redirects=False)
        log.debug("Prism %s %s → %s", method, path, resp.status_code)
        return resp

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        delay = min(8.0, self.backoff * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
        if retry_after and retry_after.isdigit():
            delay = min(30.0, float(retry_after))
        time.sleep(delay)

    # -- faults -------------------------------------------------------------------------------

    def _transport_error(self, exc: BaseException, action: str, replayable: bool, *, sent: bool,
                         idempotent: bool = False) -> XtractError | None:
        """Our error for a fault below HTTP (connect, TLS, a connection reset, an answer broken off)."""
        detail = scrub(f"{exc.__class__.__name__}: {exc}", self._secrets)
        if isinstance(exc, rex.SSLError | ssl.SSLError) and not broken_tls_stream(exc):
            return self._tls_error(exc)
        if isinstance(exc, rex.ConnectTimeout) or not sent:
            return ConnectionFailedError(
                f"Could not reach Prism at {self.host}:{self.port} to {action}.",
                hint="Check the address, the port (9440), the VPN and any firewall between this computer "
                     "and the cluster.", detail=detail)
        if isinstance(exc, rex.Timeout):
            return TransientError(f"Prism at {self.host}:{self.port} did not answer in time to {action}.",
                                  hint="Retry; if it persists, check the cluster's load and the network.",
                                  detail=detail)
        if isinstance(exc, rex.RequestException) and not isinstance(
                exc, rex.ConnectionError | rex.ChunkedEncodingError | rex.ContentDecodingError):
            return None  # an invalid URL, too many redirects: a defect, not the network
        if not replayable:
            return TransientError(
                f"The connection to Prism at {self.host}:{self.port} broke while trying to {action}.",
                hint="Retry; the transfer starts again from the beginning.", detail=detail)
        if idempotent:
            return TransientError(
                f"The connection to Prism at {self.host}:{self.port} kept breaking while trying to {action}.",
                hint="Retry; if it keeps happening, check the network path to the cluster (VPN, proxy, firewall).",
                detail=detail)
        return TransientError(
            f"The connection to Prism at {self.host}:{self.port} broke while trying to {action}; "
            "Prism may have done it before the answer was lost.",
            hint="Retry: xtract-gui looks for what was made before it makes anything again. If it keeps "
                 "happening, check the network path to the cluster (VPN, proxy, firewall).", detail=detail)

    def _tls_error(self, exc: BaseException) -> XtractError:
        text = str(exc)
        try:
            actual = probe_certificate(self.host, self.port, timeout=min(10.0, self.timeout))
        except ConnectionFailedError:
            actual = ""
        if self.expected_fingerprint and actual in ("", self.expected_fingerprint):
            # The pinned certificate is still there (or none could be read at all): the handshake or the stream
            # broke (a reset), which says nothing about trust.
            return TransientError(f"The TLS connection to Prism at {self.host}:{self.port} broke.",
                                  hint="Retry; if it persists, check the network path to the cluster.",
                                  detail=scrub(text, self._secrets))
        if self.expected_fingerprint:
            return CertificateMismatchError(
                f"The certificate of {self.host}:{self.port} is not the one you accepted before "
                f"(now {actual or 'unknown'}).", expected=self.expected_fingerprint, actual=actual,
                hint="If the cluster's certificate was replaced on purpose, check the new fingerprint with its "
                     "administrator and accept it; otherwise do not connect (someone may be in between).")
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            return CertificateMismatchError(
                f"The certificate of {self.host}:{self.port} is not trusted by this computer "
                f"(fingerprint {actual or 'unknown'}).", expected="", actual=actual,
                hint="Check the fingerprint with the cluster's administrator and accept it to pin it.")
        return ConnectionFailedError(f"The TLS handshake with {self.host}:{self.port} failed.",
                                     hint="Check that this is Prism's HTTPS port (9440).",
                                     detail=scrub(text, self._secrets))


# Everything below HTTP that a request can raise: requests wraps most of it, but a body read can leak urllib3's
# and http.client's own errors, and a TLS record error surfaces as ssl.SSLError (an OSError).
_TRANSPORT_FAULTS = (rex.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)
