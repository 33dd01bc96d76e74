"""Pages 1 and 2: the source vCenter and the target Prism (connect, trust the certificate, choose where)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QWidget,
)
from qasync import asyncSlot

from ...domain.inventory import TargetKind
from ...domain.plan import TransferMode
from ...domain.units import human_bytes
from .backend import UntrustedElementCertificate, describe_error
from .flow import EndpointAnswers, PageId
from .pages_base import Page, PageContext, load_ui


class EndpointPage(Page):
    """Host/user/password with Connect; trust-on-first-use of the certificate; errors under their field."""

    what = "vCenter"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.form = load_ui("endpoint_form", self)
        self.root.addWidget(self.form)
        f = self.form
        self.host: QLineEdit = f.findChild(QLineEdit, "hostEdit")
        self.port: QSpinBox = f.findChild(QSpinBox, "portSpin")
        self.user: QLineEdit = f.findChild(QLineEdit, "userEdit")
        self.password: QLineEdit = f.findChild(QLineEdit, "passwordEdit")
        self.remember: QCheckBox = f.findChild(QCheckBox, "rememberCheck")
        self.connect_button: QPushButton = f.findChild(QPushButton, "connectButton")
        self.busy: QProgressBar = f.findChild(QProgressBar, "busyBar")
        self.status: QLabel = f.findChild(QLabel, "statusLabel")
        self.cert_frame: QFrame = f.findChild(QFrame, "certFrame")
        self.cert_text: QLabel = f.findChild(QLabel, "certText")
        self.trust_button: QPushButton = f.findChild(QPushButton, "trustButton")
        self.reject_button: QPushButton = f.findChild(QPushButton, "rejectButton")
        for key in ("host", "user", "password"):
            self.error_label(key, f.findChild(QLabel, f"{key}Error"))
        self.busy.setVisible(False)
        self.cert_frame.setVisible(False)
        self._offer: Callable[[], None] | None = None  # what trusting the certificate shown means
        self._touched = False
        self.port.setValue(self.answers.port)
        for w in (self.host, self.user, self.password):
            w.textEdited.connect(self._edited)
        self.port.valueChanged.connect(self._edited)
        self.remember.toggled.connect(self._edited)
        self.connect_button.clicked.connect(self.on_connect)
        self.trust_button.clicked.connect(self.on_trust)
        self.reject_button.clicked.connect(self._reject)
        self.password.returnPressed.connect(self.connect_button.click)

    @property
    def answers(self) -> EndpointAnswers:
        return self.ctx.state.source

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
    def _edited(self) -> None:
        a = self.answers
        a.host, a.user = self.host.text().strip(), self.user.text().strip()
        if a.protocol != "lab":
            a.port = self.port.value()
        a.password, a.remember = self.password.text(), self.remember.isChecked()
        self._touched = True
        self._disconnected()
        self._offer = None
        self.cert_frame.setVisible(False)
        self.status.setText("")
        self.changed.emit()

    def _disconnected(self) -> None:
        self.ctx.flow.source_changed()

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        super().show_errors(errors, touched=touched and (self._touched or bool(self.answers.error)))
        if "port" in errors and self._touched:
            self.error_labels["host"].setText(self.error_labels["host"].text() or str(errors["port"]))
            self.error_labels["host"].setVisible(True)

    def _set_busy(self, busy: bool, text: str = "") -> None:
        self.busy.setVisible(busy)
        self.connect_button.setEnabled(not busy)
        for w in (self.host, self.port, self.user, self.password):
            w.setEnabled(not busy)
        if text or busy:
            self.status.setText(text)

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
            self._set_busy(True, self.tr("Reading the server certificate…"))
            try:
                fp = await self.ctx.service.run("probe", self._probe, a)
            except Exception as exc:  # shown under the field it concerns; the crash handler is for bugs
                self._fail(exc)
                return
            self._set_busy(False)
            self.status.setText("")
            self._ask_trust(self.tr(
                "First connection to {host}. Its certificate has this SHA-256 fingerprint:\n{fp}\n"
                "Compare it with the one your administrator shows (Certificate Management), then trust it. "
                "It will be pinned: a different certificate later stops the connection.").format(host=a.host, fp=fp),
                lambda: setattr(a, "fingerprint", fp))
            return
        await self._connect()

    def _ask_trust(self, text: str, trust: Callable[[], None]) -> None:
        """Show a certificate; ``trust`` pins it in the answers if the user accepts, then we connect again."""
        self._offer = trust
        self.cert_text.setText(text)
        self.cert_frame.setVisible(True)
        self.trust_button.setFocus()

    @asyncSlot()
    async def on_trust(self) -> None:
        offer, self._offer = self._offer, None
        if offer is not None:
            offer()
        self.cert_frame.setVisible(False)
        await self._connect()

    @Slot()
    def _reject(self) -> None:
        self._offer = None
        self.cert_frame.setVisible(False)
        self.status.setText(self.tr("Not connected: the certificate was not trusted."))

    def _probe(self, a: EndpointAnswers) -> str:
        return str(self.ctx.backend.probe_source(a))

    async def _connect(self) -> None:
        a = self.answers
        self._set_busy(True, self.tr("Connecting to {host}…").format(host=a.host))
        try:
            result = await self.ctx.service.run("connect", self._do_connect, a)
        except Exception as exc:  # shown under the field it concerns
            self._fail(exc)
            return
        a.connected, a.error = True, ""
        text = self._connected_text(result)
        if self.ctx.backend.keyring_warning:
            text += " " + self.tr("The password is kept for this session only: {why}").format(
                why=self.ctx.backend.keyring_warning)
        self._set_busy(False, text)
        self.changed.emit()

    def _do_connect(self, a: EndpointAnswers) -> Any:
        return self.ctx.backend.connect_source(a)

    def _connected_text(self, inventory: Any) -> str:
        self.ctx.state.inventory = inventory
        return self.tr("Connected: {about}, {n} VMs.").format(about=inventory.about, n=len(inventory.vms))

    def _fail(self, exc: BaseException) -> None:
        field, text = describe_error(exc)
        a = self.answers
        a.connected, a.error, a.error_field = False, text, field
        if field == "host":
            a.fingerprint = ""  # a mismatch or a new host: ask again rather than keep a stale pin
        self._set_busy(False, "")
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


class TargetPage(EndpointPage):
    page_id = PageId.TARGET
    what = "Prism"

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.host.setPlaceholderText("prism.example.local")
        self.user.setPlaceholderText("admin")
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.kind_label = QLabel(self)
        self.cluster = QComboBox(self)
        self.container = QComboBox(self)
        self.warm = QRadioButton(self.tr("Warm: seed and delta syncs over NFS, short cutover (recommended)"), self)
        self.cold = QRadioButton(self.tr("Cold: shut down, then stream over HTTPS only"), self)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.warm)
        self.mode_group.addButton(self.cold)
        self.mode_status = QLabel(self)
        self.mode_status.setWordWrap(True)
        form.addRow(self.tr("Prism"), self.kind_label)
        form.addRow(self.tr("AHV cluster"), self.cluster)
        form.addRow("", self.error_label("cluster"))
        form.addRow(self.tr("Storage container"), self.container)
        form.addRow("", self.error_label("container"))
        form.addRow(self.tr("Transfer mode"), self.warm)
        form.addRow("", self.cold)
        form.addRow("", self.mode_status)
        form.addRow("", self.error_label("mode"))
        self.details = QWidget(self)
        self.details.setLayout(form)
        self.root.addWidget(self.details)
        self.root.addStretch(1)
        self.cluster.currentIndexChanged.connect(self._cluster_chosen)
        self.container.currentIndexChanged.connect(self._container_chosen)
        self.warm.toggled.connect(self._mode_chosen)
        self._fill()

    @property
    def answers(self) -> Any:
        return self.ctx.state.target

    def title(self) -> str:
        return self.tr("Target Prism")

    def subtitle(self) -> str:
        return self.tr("Prism Element or Prism Central of the AHV cluster that receives the VMs.")

    def _disconnected(self) -> None:
        self.ctx.flow.target_changed()

    def enter(self) -> None:
        super().enter()
        self._fill()

    def _probe(self, a: EndpointAnswers) -> str:
        return str(self.ctx.backend.probe_target(a))

    def _do_connect(self, a: EndpointAnswers) -> Any:
        return self.ctx.backend.connect_target(a)

    def _fail(self, exc: BaseException) -> None:
        if not isinstance(exc, UntrustedElementCertificate):
            super()._fail(exc)
            return
        t = self.answers
        if exc.expected:  # a pinned element now shows another certificate: an error, as for Prism Central
            t.element_fingerprints.pop(exc.address, None)
            t.connected, t.error, t.error_field = False, str(exc), "host"
            self._set_busy(False, "")
            self._touched = True
            self.changed.emit()
            return
        self._set_busy(False, "")
        address, fp = exc.address, exc.actual
        self._ask_trust(self.tr(
            "Prism Element {address} presents a certificate with this SHA-256 fingerprint:\n{fp}\n"
            "Prism Central reads the storage containers and NFS whitelist of cluster {cluster} from it. "
            "Compare the fingerprint with the one that cluster's administrator shows, then trust it; it is pinned "
            "like Prism Central's.").format(address=address, fp=fp, cluster=exc.cluster_name),
            lambda: t.element_fingerprints.__setitem__(address, fp))

    def _connected_text(self, facts: Any) -> str:
        t, inv = self.answers, facts.inventory
        t.element_fingerprints = dict(facts.element_fingerprints)
        t.kind, t.version = inv.kind, inv.version
        t.clusters, t.containers, t.subnets = inv.clusters, inv.containers, inv.subnets
        if t.cluster_uuid not in {c.uuid for c in inv.clusters}:
            t.cluster_uuid = inv.clusters[0].uuid if len(inv.clusters) == 1 else ""
        if t.container_uuid not in {c.uuid for c in inv.containers if c.cluster_uuid == t.cluster_uuid}:
            t.container_uuid = ""
        self._fill()
        self.check_mode()
        return self.tr("Connected.")

    def _fill(self) -> None:
        t = self.answers
        kind = {TargetKind.PRISM_ELEMENT: self.tr("Prism Element"), TargetKind.PRISM_CENTRAL: self.tr("Prism Central")}
        self.kind_label.setText(f"{kind.get(t.kind, '')} {t.version}".strip() if t.kind else self.tr("not connected"))
        self.details.setEnabled(t.connected)
        for combo in (self.cluster, self.container):
            combo.blockSignals(True)
            combo.clear()
        self.cluster.addItem(self.tr("Choose a cluster…"), "")
        for c in t.clusters:
            self.cluster.addItem(f"{c.name} ({c.version})" if c.version else c.name, c.uuid)
        self.cluster.setCurrentIndex(max(0, self.cluster.findData(t.cluster_uuid)))
        self.container.addItem(self.tr("Choose a container…"), "")
        for c in t.containers:
            if c.cluster_uuid == t.cluster_uuid:
                self.container.addItem(self.tr("{name} — {free} free of {cap}").format(
                    name=c.name, free=human_bytes(c.free_bytes), cap=human_bytes(c.capacity_bytes)), c.uuid)
        self.container.setCurrentIndex(max(0, self.container.findData(t.container_uuid)))
        for combo in (self.cluster, self.container):
            combo.blockSignals(False)
        self.warm.blockSignals(True)
        (self.warm if t.transfer_mode is TransferMode.WARM else self.cold).setChecked(True)
        self.warm.blockSignals(False)

    @Slot()
    def _cluster_chosen(self) -> None:
        self.answers.cluster_uuid = self.cluster.currentData() or ""
        self.answers.container_uuid = ""
        self._fill()
        self.check_mode()

    @Slot()
    def _container_chosen(self) -> None:
        self.answers.container_uuid = self.container.currentData() or ""
        self.check_mode()

    @Slot()
    def _mode_chosen(self) -> None:
        self.answers.transfer_mode = TransferMode.WARM if self.warm.isChecked() else TransferMode.COLD
        self.check_mode()

    @asyncSlot()
    async def check_mode(self) -> None:
        t = self.answers
        t.mode_reachable, t.mode_message = None, ""
        self.changed.emit()
        if not (t.connected and t.cluster_uuid):
            self.mode_status.setText("")
            return
        self.mode_status.setText(self.tr("Checking that the transfer mode is reachable…"))
        mode = t.transfer_mode
        try:
            ok, message = await self.ctx.service.run("mode", self.ctx.backend.check_mode, t)
        except Exception as exc:  # a failed check is shown, not raised
            ok, message = False, describe_error(exc)[1]
        if t.transfer_mode is not mode:
            return  # the user switched while we were checking; that check reports instead
        t.mode_reachable, t.mode_message = ok, message
        self.mode_status.setText(self.tr("Reachable from this computer.") if ok else "")
        self.changed.emit()

