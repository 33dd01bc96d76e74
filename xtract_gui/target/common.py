"""Small pieces both Prism adapters share."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

from ..domain.errors import CancelledError, NotFoundError, TransientError, XtractError
from ..engine.ports import Cancellation
from .upload import UploadCancelled

log = logging.getLogger(__name__)
MIB = 2**20
_FIQL_RESERVED = "%;,()=!<>~*'\""


def fiql_value(value: str) -> str:
    """Percent-encode what FIQL treats as syntax; spaces and non-ASCII names pass through."""
    return "".join(quote(c, safe="") if c in _FIQL_RESERVED else c for c in value)


def check_cancel(cancel: Cancellation | None, action: str) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError(f"Cancelled before Prism was asked to {action}.")


def upload_failed(exc: BaseException, name: str) -> XtractError:
    """The project error for an upload that did not complete (the half image is already being removed)."""
    if isinstance(exc, UploadCancelled):
        return CancelledError(f"The upload of image '{name}' was cancelled; the partial image was removed.")
    if isinstance(exc, XtractError):
        return exc
    return TransientError(f"The upload of image '{name}' broke off; the partial image was removed.",
                          hint="Retry the upload; check the network to the cluster if it happens again.",
                          detail=f"{exc.__class__.__name__}: {exc}")


def best_effort(what: str, fn: Callable[[], object]) -> None:
    """Cleanup that must not hide the original error: failures are only logged."""
    try:
        fn()
    except NotFoundError:
        pass
    except XtractError as exc:
        log.warning("Could not %s: %s", what, exc)
