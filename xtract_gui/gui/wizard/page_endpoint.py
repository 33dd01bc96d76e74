"""Page 1, and what page 2 shares with it: an address, an account, Connect (or Cancel), trust on first use.

Enter in any field connects; while connecting, Cancel gives the page back at once (the attempt's answer is
thrown away when it comes); an error goes under the field it concerns, in room kept for it so that nothing
moves under the pointer; the status line never keeps a stale "Connecting…".
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QWidget,
)
from qasync import asyncSlot

from ..shared.tr import shown
from .backend import describe_error
from .flow import EndpointAnswers, PageId
from .pages_base import MAX_FORM_WIDTH, Page, PageContext, load_ui


class EndpointPage(Page):
    """Host/user/password with Connect; trust-on-first-use of the certificate; errors under their field."""

    what = "vCenter"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.form = load_ui("endpoint_form", self)
        self.form.setMaximumWidth(MAX_FORM_WIDTH)
        self.root.addWidget(self.form)
        f = self.form
        self.host: QLineEdit = f.findChild(QLineEdit, "hostEdit")
        self.port: QSpinBox = f.findChild(QSpinBox, "portSpin")
        self.user: QLineEdit = f.findChild(QLineEdit, "userEdit")
        self.password: QLineEdit = f.findChild(QLineEdit, "passwordEdit")
        self.remember: QCheckBox = f.findChild(QCheckBox, "rememberCheck")
        self.connect_button: QPushButton = f.findChild(QPushButton, "connectButton")
        self.cancel_button: QPushButton = f.findChild(QPushButton, "cancelButton")
        self.busy: QProgressBar = f.findChild(QProgressBar, "busyBar")
        self.status: QLabel = f.findChild(QLabel, "statusLabel")
        self.cert_frame: QFrame = f.findChild(QFrame, "certFrame")
        self.cert_text: QLabel = f.findChild(QLabel, "certText")
        self.trust_button: QPushButton = f.findChild(QPushButton, "trustButton")
        self.reject_button: QPushButton = f.findChild(QPushButton, "rejectButton")
        for key in ("host", "user", "password"):
            self.error_label(key, f.findChild(QLabel, f"{key}Error"), keep_space=True)
        self.busy.setVisible(False)
        self.cancel_button.setVisible(False)
        self.cert_frame.setVisible(False)
        self._offer: Callable[[], None] | None = None  # what trusting the certificate shown means
        self._offer_text: Callable[[], str] | None = None  # its words, again after a language switch
        self._status: Callable[[], str] = lambda: ""  # the status line's words, again after a language switch
        self._touched = False
        self._attempts = itertools.count(1)
        self._attempt = 0  # the connect whose answer the page waits for (0: none)
        self._cancel: threading.Event | None = None
        self.port.setValue(self.answers.port)
        for w in (self.host, self.user, self.password):
            w.textEdited.connect(self._edited)
            w.returnPressed.connect(self._enter)
        self.port.valueChanged.connect(self._edited)
        self.remember.toggled.connect(self._edited)
        self.connect_button.clicked.connect(self.on_connect)
        self.cancel_button.clicked.connect(self.cancel_connect)
        self.trust_button.clicked.connect(self.on_trust)
        self.reject_button.clicked.connect(self._reject)

    @property
    def answers(self) -> EndpointAnswers:
        return self.ctx.state.source

    def retranslate(self) -> None:
        self.status.setText(self._status())
        if self._offer_text is not None:
            self.cert_text.setText(self._offer_text())

    def enter(self) -> None:
        a = self.answers
        widgets = (self.host, self.port, self.user, self.password, self.remember)
        for w in widgets:
            w.blockSignals(True)
        self.host.setText(a.host)
        self.port.setValue(a.port)
        self.port.setVisible(a.protocol != "lab")  # the lab's source is a folder
        self.user.setText(a.user)
        self.password.setText(a.password)
        self.remember.setChecked(a.remember)
        for w in widgets:
            w.blockSignals(False)

    @Slot()
    def _enter(self) -> None:
        if self.connect_button.isEnabled() and self.connect_button.isVisible():
            self.connect_button.click()

    @Slot()
    def _edited(self) -> None:
        a = self.answers
        a.host, a.user = self.host.text().strip(), self.user.text().strip()
        if a.protocol != "lab":
            a.port = self.port.value()
        a.password, a.remember = self.password.text(), self.remember.isChecked()
        self._touched = True
        self._disconnected()
        self._offer = self._offer_text = None
        self.cert_frame.setVisible(False)
        self._say(lambda: "")
        self.changed.emit()

    def _disconnected(self) -> None:
        self.ctx.flow.source_changed()

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        super().show_errors(errors, touched=touched and (self._touched or bool(self.answers.error)))
        if "port" in errors and self._touched:
            self.error_labels["host"].setText(self.error_labels["host"].text() or shown(errors["port"]))
            self.error_labels["host"].setVisible(True)
        for label in self.error_labels.values():
            label.setToolTip(label.text())  # room is kept for two lines; the whole text is one hover away

    def _say(self, text: Callable[[], str]) -> None:
        self._status = text
        self.status.setText(text())

    def _set_busy(self, busy: bool, text: Callable[[], str] = lambda: "") -> None:
        self.busy.setVisible(busy)
        self.connect_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)
        for w in (self.host, self.port, self.user, self.password):
            w.setEnabled(not busy)
        self._say(text)  # always: a finished attempt never leaves "Connecting…" behind
        if busy:
            self.cancel_button.setFocus()

    @Slot()
    def cancel_connect(self) -> None:
        """Give the page back now; the attempt's late answer is dropped (its connection closed by the backend)."""
        if self._cancel is not None:
            self._cancel.set()
        self._attempt = 0
        self._set_busy(False, lambda: self.tr("Cancelled; nothing was connected."))
        self.connect_button.setFocus()

    async def _run(self, label: str, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
        """``fn(*args, cancel)`` off the GUI thread; (False, None) when the person cancelled meanwhile."""
        attempt = self._attempt = next(self._attempts)
        self._cancel = cancel = threading.Event()
        try:
            result = await self.ctx.service.run(label, fn, *args, cancel)
        except Exception:
            if attempt != self._attempt:
                return False, None
            raise
        return attempt == self._attempt, result

    @asyncSlot()
    async def on_connect(self) -> None:
        self._edited()
        errs = {k: v for k, v in self.ctx.flow.errors(self.page_id).items() if k in ("host", "port", "user", "password")
                and not self.answers.error}
        if errs:
            self.show_errors(errs)
            return
        a = self.answers
        if a.protocol == "https" and not a.fingerprint:
            a.fingerprint = self.ctx.backend.pins.get(a.host, a.port)
        if a.protocol == "https" and not a.fingerprint:
            self._set_busy(True, lambda: self.tr("Reading the server certificate…"))
            try:
                current, fp = await self._run("probe", self._probe, a)
            except Exception as exc:  # shown under the field it concerns; the crash handler is for bugs
                self._fail(exc)
                return
            if not current:
                return
            self._set_busy(False)
            host = a.host
            self._ask_trust(lambda: self.tr(
                "First connection to {host}. Its certificate has this SHA-256 fingerprint:\n{fp}\n"
                "Compare it with the one your administrator shows (Certificate Management), then trust it. "
                "It will be pinned: a different certificate later stops the connection.").format(host=host, fp=fp),
                lambda: setattr(a, "fingerprint", fp))
            return
        await self._connect()

    def _ask_trust(self, text: Callable[[], str], trust: Callable[[], None]) -> None:
        """Show a certificate; ``trust`` pins it in the answers if the user accepts, then we connect again."""
        self._offer, self._offer_text = trust, text
        self.cert_text.setText(text())
        self.cert_frame.setVisible(True)
        self.trust_button.setFocus()

    @asyncSlot()
    async def on_trust(self) -> None:
        offer, self._offer, self._offer_text = self._offer, None, None
        if offer is not None:
            offer()
        self.cert_frame.setVisible(False)
        await self._connect()

    @Slot()
    def _reject(self) -> None:
        self._offer = self._offer_text = None
        self.cert_frame.setVisible(False)
        self._say(lambda: self.tr("Not connected: the certificate was not trusted."))

    def _probe(self, a: EndpointAnswers, cancel: threading.Event) -> str:
        return str(self.ctx.backend.probe_source(a))

    async def _connect(self) -> None:
        a = self.answers
        host = a.host
        self._set_busy(True, lambda: self.tr("Connecting to {host}…").format(host=host))
        try:
            current, result = await self._run("connect", self._do_connect, a)
        except Exception as exc:  # shown under the field it concerns
            self._fail(exc)
            return
        if not current:
            return
        a.connected, a.error = True, ""
        connected = self._connected_text(result)
        warning = self.ctx.backend.keyring_warning

        def text() -> str:
            extra = " " + self.tr("The password is kept for this session only: {why}").format(why=shown(warning)) \
                if warning else ""
            return connected() + extra

        self._set_busy(False, text)
        self.changed.emit()

    def _do_connect(self, a: EndpointAnswers, cancel: threading.Event) -> Any:
        return self.ctx.backend.connect_source(a, cancel)

    def _connected_text(self, inventory: Any) -> Callable[[], str]:
        self.ctx.state.inventory = inventory
        about, n = inventory.about, len(inventory.vms)
        return lambda: self.tr("Connected: {about}, {n} VMs.").format(about=about, n=n)

    def _fail(self, exc: BaseException) -> None:
        field, text = describe_error(exc)
        a = self.answers
        a.connected, a.error, a.error_field = False, text, field
        if field == "host":
            a.fingerprint = ""  # a mismatch or a new host: ask again rather than keep a stale pin
        self._set_busy(False)
        self._touched = True
        self.changed.emit()


class SourcePage(EndpointPage):
    page_id = PageId.SOURCE

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.root.addStretch(1)

    def title(self) -> str:
        return self.tr("Source vCenter")

    def subtitle(self) -> str:
        return self.tr("The vCenter Server that runs the VMs to migrate.")
