"""Prism error answers (v3 ``message_list``, v2 ``message``/``error_code``, HTML 401s) → project errors.

The server's own words go to ``detail`` (scrubbed); the message says what happened in plain words and
the hint what to do.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from ..domain.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnsupportedError,
    XtractError,
)
from ..domain.redact import scrub

RETRYABLE_STATUS = frozenset({408, 429, 502, 503, 504})
_V2_NOT_FOUND = {1202}


def server_words(body: Any) -> tuple[str, str]:
    """(message, reason) as Prism wrote them, from either API surface's error body."""
    if isinstance(body, dict):
        items = body.get("message_list")
        if isinstance(items, list) and items and isinstance(items[0], dict):
            first = items[0]
            return str(first.get("message", "")), str(first.get("reason", ""))
        if "message" in body or "error_code" in body:
            code = body.get("error_code")
            reason = str(code.get("code", "")) if isinstance(code, dict) else str(code or "")
            return str(body.get("detailed_message") or body.get("message") or ""), reason
    return "", ""


def _body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        return None


def error_from_response(resp: requests.Response, action: str, secrets: tuple[str, ...] = ()) -> XtractError:
    """The project error for a non-2xx answer to ``action`` ("list VMs", "create image 'x'")."""
    status = resp.status_code
    body = _body(resp)
    message, reason = server_words(body)
    raw = message or (resp.text or "")[:500]
    detail = scrub(f"HTTP {status} {resp.request.method if resp.request else ''} {resp.url}: {raw}", secrets)
    said = f" Prism said: {message}" if message else ""
    if reason == "ENTITY_READ_ERROR":
        return UnsupportedError(f"Prism could not {action}: this address seems to be a Prism Element, which does "
                                f"not serve the v3 API.{said}",
                                hint="Connect to the cluster's Prism Element (v2) or to its Prism Central.",
                                detail=detail)
    if status == 401:
        return AuthenticationError(f"Prism refused the user name or password (while trying to {action}).",
                                   hint="Check the credentials; a locked account also answers this way.",
                                   detail=detail)
    if status == 403 or reason in ("ACCESS_DENIED", "PERMISSION_DENIED"):
        return PermissionDeniedError(f"The Prism account may not {action}.{said}",
                                     hint="Use an account with the Cluster Admin (or Prism Central Admin) role.",
                                     detail=detail)
    if status == 404 or reason in ("ENTITY_NOT_FOUND", "1202") or (reason.isdigit() and int(reason) in
                                                                      _V2_NOT_FOUND):
        return NotFoundError(f"Prism could not {action}: the object does not exist (any more).{said}",
                             hint="Refresh the inventory; someone may have deleted it.", detail=detail)
    if status == 409 or reason == "CONCURRENT_REQUESTS_NOT_ALLOWED":
        return ConflictError(f"Prism could not {action}: the object changed or is busy.{said}",
                             hint="Retry in a moment.", detail=detail)
    if status in (400, 422) or reason in ("INVALID_REQUEST", "INVALID_ARGUMENT", "1100"):
        return ConfigurationError(f"Prism rejected the request to {action}.{said}",
                                  hint="Check the names, sizes and options given for it.", detail=detail)
    if status in RETRYABLE_STATUS:
        return TransientError(f"Prism was temporarily unavailable (HTTP {status}) while trying to {action}.",
                              hint="Retry later; if it persists, check the cluster's health in Prism.",
                              detail=detail)
    return XtractError(f"Prism failed to {action} (HTTP {status}).{said}",
                       hint="See the log for Prism's answer; retry, or check the cluster in Prism.", detail=detail)
