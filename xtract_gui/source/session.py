"""One authenticated pyVmomi session: login, keep-alive, transparent re-login, round-trip count.

Thread safety: the engine calls the adapter from several worker threads.  All SOAP traffic goes
through ``call``, which holds one lock around the single stub; task waits poll in short calls so
other threads interleave between polls.  (One stub with a lock is simpler and safe; vCenter work is
latency-bound and the bulk data path, disk reads, does not go through SOAP.)
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, TypeVar

from pyVim import connect as pyvim_connect
from pyVim.connect import SmartStubAdapter
from pyVmomi import SoapStubAdapter, vim, vmodl
from pyVmomi.VmomiSupport import GetServiceVersions

from ..domain.errors import CancelledError, ConnectionFailedError, XtractError
from ..engine.ports import Cancellation, ProgressFn, no_progress
from .faults import translate

log = logging.getLogger(__name__)
T = TypeVar("T")


_TASK_FIELDS = ["info.state", "info.progress", "info.result", "info.error"]


@dataclass
class _TaskInfo:
    state: Any = None
    progress: Any = None
    result: Any = None
    error: Any = None


class TaskCancelled(CancelledError):
    """A vCenter task was cancelled; ``result`` holds what it produced if it finished anyway."""

    def __init__(self, message: str, *, result: Any = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.result = result


def _stub(protocol: str, host: str, port: int, context: ssl.SSLContext | None, timeout: float) -> Any:
    """A SOAP stub speaking the newest API version both pyVmomi and the server know."""
    if protocol == "https":
        return SmartStubAdapter(host=host, port=port, sslContext=context, httpConnectionTimeout=timeout)
    # Plain HTTP (the lab only): SmartStubAdapter assumes HTTPS, so negotiate with pyVim's own helper
    # and give the stub pyVmomi's "negative port means HTTP".
    find = getattr(pyvim_connect, "__FindSupportedVersion")
    version = find("http", host, port, "/sdk", GetServiceVersions("vim25"), None, None, 80, None)
    if version is None:
        raise ConnectionFailedError(f"{host}:{port} does not answer as a vCenter.", hint="Check the address and port.")
    return SoapStubAdapter(host=host, port=-port, version=version, httpConnectionTimeout=timeout)


class VSphereSession:
    def __init__(self, host: str, port: int, protocol: str, user: str, password: str,
                 ssl_context: ssl.SSLContext | None, *, timeout: float = 30, keepalive: float = 600) -> None:
        self.host = host
        self.port = port
        self.protocol = protocol
        self.user = user
        self._password = password
        self._ssl_context = ssl_context
        self._timeout = timeout
        self._lock = threading.RLock()
        self._round_trips = 0
        self._closed = threading.Event()
        self._keepalive = keepalive
        self._keepalive_thread: threading.Thread | None = None
        self.relogins = 0
        self.page_size = 1000  # objects per RetrievePropertiesEx answer
        self.stub: Any = None
        self.si: Any = None
        self.content: Any = None

    # -- connection -----------------------------------------------------------------------------

    def connect(self) -> None:
        def build() -> None:
            self.stub = _stub(self.protocol, self.host, self.port, self._ssl_context, self._timeout)
            for name in ("InvokeMethod", "InvokeAccessor"):
                self._count(name)
            self.si = vim.ServiceInstance("ServiceInstance", self.stub)
            self.content = self.si.RetrieveContent()
            self._login()

        try:
            with self._lock:
                build()
        except Exception as exc:
            if self.stub is not None:  # e.g. a wrong password: do not leave its connection open
                self.stub.DropConnections()
                self.stub = None
            raise self._translate(exc, "connect and log in") from None
        if self._keepalive > 0:
            self._keepalive_thread = threading.Thread(target=self._keep_alive, name="vsphere-keepalive",
                                                      daemon=True)
            self._keepalive_thread.start()

    def _count(self, name: str) -> None:
        original = getattr(self.stub, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._round_trips += 1
            return original(*args, **kwargs)

        setattr(self.stub, name, counted)

    def _login(self) -> None:
        self.content.sessionManager.Login(self.user, self._password)

    def ensure_logged_in(self) -> None:
        """Log in again if vCenter ended our session (it answers currentSession with nothing then).

        Also the keep-alive: an authenticated request that resets vCenter's idle timer.
        """
        def check() -> None:
            if self.content.sessionManager.currentSession is None:
                log.info("vCenter session had ended; logging in again")
                self._login()
                self.relogins += 1

        self.call("check the vCenter session", check)

    @property
    def round_trips(self) -> int:
        """SOAP requests sent so far (the benchmark and tests show inventory stays constant)."""
        return self._round_trips

    def session_cookie(self) -> str:
        """The ``vmware_soap_session`` value that authenticates /folder requests."""
        with self._lock:
            cookie = SimpleCookie(self.stub.cookie or "")
        morsel = cookie.get("vmware_soap_session")
        return morsel.value if morsel else ""

    def _translate(self, exc: BaseException, action: str) -> XtractError:
        error = translate(exc, action=action, host=self.host, port=self.port, secrets=[self._password])
        log.debug("vSphere %s failed: %s", action, error.detail or error)
        return error

    # -- calls ----------------------------------------------------------------------------------

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (SOAP calls) under the lock; re-login once if the session expired meanwhile."""
        if self.stub is None or self._closed.is_set():
            raise XtractError(f"Cannot {action}: the vCenter connection is closed.", hint="Connect again.")
        with self._lock:
            try:
                try:
                    return fn()
                except vim.fault.NotAuthenticated:
                    log.info("vCenter session expired; logging in again to %s", action)
                    self._login()
                    self.relogins += 1
                    return fn()
            except XtractError:
                raise
            except Exception as exc:
                raise self._translate(exc, action) from None

    def retrieve(self, action: str, specs: list[Any]) -> list[Any]:
        """RetrievePropertiesEx and its continuation pages: one round trip per ``page_size`` objects."""
        pc = self.content.propertyCollector

        def run() -> list[Any]:
            options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=self.page_size)
            result = pc.RetrievePropertiesEx(specs, options)
            objects: list[Any] = []
            while result is not None:
                objects.extend(result.objects or [])
                token = result.token
                result = pc.ContinueRetrievePropertiesEx(token) if token else None
            return objects

        return self.call(action, run)

    def wait_task(self, task: Any, action: str, *, progress: ProgressFn = no_progress,
                  cancel: Cancellation | None = None, timeout: float | None = None) -> Any:
        """Poll a vCenter task to its end; CancelTask when ``cancel`` is set."""
        delay = 0.05
        deadline = None if timeout is None else time.monotonic() + timeout
        cancelled = False
        pc = vmodl.query.PropertyCollector
        # Only the fields we use: info.entity of some tasks is a snapshot, which pyVmomi rejects.
        spec = pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=task, skip=False)],
                             propSet=[pc.PropertySpec(type=vim.Task, pathSet=_TASK_FIELDS)])
        while True:
            found = self.retrieve(action, [spec])
            info = _TaskInfo(**{p.name.split(".", 1)[1]: p.val for p in (found[0].propSet if found else [])})
            state = str(info.state)
            if state == "success":
                if cancelled:
                    raise TaskCancelled(f"Cancelled, but vCenter finished the task anyway: {action}.",
                                        result=info.result)
                progress(1.0, action)
                return info.result
            if state == "error":
                if cancelled:
                    raise TaskCancelled(f"Cancelled: {action}.")
                raise self._translate(info.error, action) if info.error is not None else XtractError(
                    f"vCenter failed to {action} without saying why.", hint="See the task in the vSphere Client.")
            if info.progress is not None:
                progress(max(0.0, min(1.0, info.progress / 100.0)), action)
            if not cancelled and cancel is not None and cancel.is_set():
                cancelled = True
                try:
                    self.call(f"cancel the task to {action}", task.CancelTask)
                except XtractError as exc:
                    log.info("vCenter could not cancel the task to %s: %s", action, exc)
                # Wait for the task to reach a final state, so nothing is left half done unreported.
                deadline = time.monotonic() + 120
            if deadline is not None and time.monotonic() > deadline:
                if cancelled:
                    raise TaskCancelled(f"Cancelled: vCenter's task to {action} is still running.",
                                        hint="Check the task in the vSphere Client.")
                raise XtractError(f"vCenter did not finish the task to {action} in time.",
                                  hint="Check the task in the vSphere Client; retry when it has ended.")
            time.sleep(delay)
            delay = min(1.0, delay * 2)

    # -- lifetime -------------------------------------------------------------------------------

    def _keep_alive(self) -> None:
        while not self._closed.wait(self._keepalive):
            try:
                self.ensure_logged_in()
            except XtractError as exc:
                log.warning("vCenter keep-alive failed: %s", exc)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        with self._lock:
            if self.content is not None:
                try:
                    self.content.sessionManager.Logout()
                except Exception as exc:  # closing: a dead session or network is not worth an error
                    log.debug("vCenter logout: %s", type(exc).__name__)
            if self.stub is not None:
                pool = getattr(self.stub, "DropConnections", None)
                if callable(pool):
                    pool()
