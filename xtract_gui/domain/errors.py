"""The project's one error hierarchy.

Adapters turn vendor faults (pyVmomi, HTTP, WinRM, NFS) into these at their
boundary, so that the engine and the GUI handle one family of errors and can
show ``str(error)`` to a person: every message says what happened and what to
do about it.  ``message`` and ``hint`` may be ``domain.messages.Message`` values (a ``str`` that the GUI
can show in the user's language); ``describe()`` gives both as one such message.
"""

from __future__ import annotations

from .messages import Message, msg, raw


class XtractError(Exception):
    """Base of every error the project raises on purpose.

    ``hint`` is the sentence that tells the user what to do; ``detail`` keeps
    the remote system's own words (fault text, error body) for the log.
    """

    def __init__(self, message: str, *, hint: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def describe(self) -> Message:
        """Message and hint as one translatable sentence pair (English: exactly ``str(self)``)."""
        if not self.hint:
            return raw(self.message)
        return msg("error.with_hint", "{message} {hint}", message=raw(self.message), hint=raw(self.hint))


def described(exc: BaseException) -> Message:
    """What a person is shown for ``exc``: our errors as their messages, anything else by its type and text."""
    if isinstance(exc, XtractError):
        return exc.describe()
    return msg("error.unexpected", "Unexpected error: {kind}: {text}", kind=type(exc).__name__, text=raw(str(exc)))


class ConfigurationError(XtractError):
    """A plan, option or input the user gave is wrong (typo, missing field)."""


class SecretMissingError(ConfigurationError):
    """A keyring reference in the plan has no secret stored."""


class ConnectionFailedError(XtractError):
    """The remote system cannot be reached (DNS, refused, timeout, TLS handshake)."""


class CertificateMismatchError(ConnectionFailedError):
    """The server's certificate fingerprint differs from the pinned one."""

    def __init__(self, message: str, *, expected: str, actual: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.expected = expected
        self.actual = actual


class AuthenticationError(XtractError):
    """Wrong user name or password, or the account is locked."""


class PermissionDeniedError(XtractError):
    """Authenticated, but the account lacks a privilege for the operation."""


class NotFoundError(XtractError):
    """The named object (VM, snapshot, image, subnet…) does not exist (any more)."""


class ConflictError(XtractError):
    """The object changed under us or another operation holds it (409, TaskInProgress)."""


class TransientError(XtractError):
    """A failure that is worth retrying (reset connection, 502/503, session expired)."""


class RemoteTaskError(XtractError):
    """An asynchronous task on the remote system ended in failure."""


class UnsupportedError(XtractError):
    """The remote system or this VM cannot do what was asked (e.g. no CBT, PC-only call on PE)."""


class NoSpaceError(XtractError):
    """The target storage container (or its quota) is full."""


class IntegrityError(XtractError):
    """Copied data does not match the source (checksum mismatch, short read)."""


class GuestError(XtractError):
    """A guest channel or guest script failed."""


class GuestScriptError(GuestError):
    """A guest task ran and reported failure; ``result`` is the JSON it printed."""

    def __init__(self, message: str, *, task_id: str, exit_code: int,
                 result: dict[str, object] | None = None, hint: str = "", detail: str = "") -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.task_id = task_id
        self.exit_code = exit_code
        self.result = result or {}


class CancelledError(XtractError):
    """The user cancelled a long operation; nothing further was started."""
