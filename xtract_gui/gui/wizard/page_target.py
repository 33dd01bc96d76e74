"""Page 2: the target Prism — connect (Prism Central's elements pinned too), the cluster, the container, where
the disks really land, and the transfer mode, checked the way the copy will use it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QButtonGroup, QComboBox, QFormLayout, QLabel, QRadioButton, QWidget
from qasync import asyncSlot

from ...domain.inventory import TargetKind
from ...domain.messages import Message
from ...domain.plan import TransferMode
from ...domain.units import human_bytes
from ..shared.tr import shown
from .backend import UntrustedElementCertificate, describe_error
from .flow import EndpointAnswers, PageId
from .page_endpoint import EndpointPage
from .pages_base import MAX_FORM_WIDTH, PageContext


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
        self.landing = QLabel(self)  # where the disks really land (Prism Central: next to their image)
        self.landing.setWordWrap(True)
        self.landing.setProperty("role", "hint")
        self.warm = QRadioButton(self)
        self.cold = QRadioButton(self)
        self.mode_group = QButtonGroup(self)
        self.mode_group.addButton(self.warm)
        self.mode_group.addButton(self.cold)
        self.mode_status = QLabel(self)
        self.mode_status.setWordWrap(True)
        self.row_labels = [QLabel(self) for _ in range(4)]
        form.addRow(self.row_labels[0], self.kind_label)
        form.addRow(self.row_labels[1], self.cluster)
        form.addRow("", self.error_label("cluster"))
        form.addRow(self.row_labels[2], self.container)
        form.addRow("", self.landing)
        form.addRow("", self.error_label("container"))
        form.addRow(self.row_labels[3], self.warm)
        form.addRow("", self.cold)
        form.addRow("", self.mode_status)
        form.addRow("", self.error_label("mode"))
        self.details = QWidget(self)
        self.details.setLayout(form)
        self.details.setMaximumWidth(MAX_FORM_WIDTH)
        self.root.addWidget(self.details)
        self.root.addStretch(1)
        self._mode_text: Callable[[], str] = lambda: ""
        self.cluster.currentIndexChanged.connect(self._cluster_chosen)
        self.container.currentIndexChanged.connect(self._container_chosen)
        self.warm.toggled.connect(self._mode_chosen)
        self.retranslate()
        self._fill()

    @property
    def answers(self) -> Any:
        return self.ctx.state.target

    def title(self) -> str:
        return self.tr("Target Prism")

    def subtitle(self) -> str:
        return self.tr("Prism Element or Prism Central of the AHV cluster that receives the VMs.")

    def retranslate(self) -> None:
        super().retranslate()
        for label, text in zip(self.row_labels, (self.tr("Prism"), self.tr("AHV cluster"),
                                                 self.tr("Storage container"), self.tr("Transfer mode")), strict=True):
            label.setText(text)
        self.warm.setText(self.tr("Warm: seed and delta syncs over NFS; each VM keeps running until its cutover "
                                  "(recommended)"))
        self.cold.setText(self.tr("Cold: each VM is shut down when the migration starts, then copied over HTTPS"))
        self.mode_status.setText(self._mode_text())
        if hasattr(self, "cluster"):
            self._fill()

    def _disconnected(self) -> None:
        self.ctx.flow.target_changed()

    def enter(self) -> None:
        super().enter()
        self._fill()

    def _probe(self, a: EndpointAnswers, cancel: threading.Event) -> str:
        return str(self.ctx.backend.probe_target(a))

    def _do_connect(self, a: EndpointAnswers, cancel: threading.Event) -> Any:
        return self.ctx.backend.connect_target(a, cancel)

    def _fail(self, exc: BaseException) -> None:
        if not isinstance(exc, UntrustedElementCertificate):
            super()._fail(exc)
            return
        t = self.answers
        if exc.expected:  # a pinned element now shows another certificate: an error, as for Prism Central
            t.element_fingerprints.pop(exc.address, None)
            t.connected, t.error, t.error_field = False, describe_error(exc)[1], "host"
            self._set_busy(False)
            self._touched = True
            self.changed.emit()
            return
        self._set_busy(False)
        address, fp, cluster = exc.address, exc.actual, exc.cluster_name
        self._ask_trust(lambda: self.tr(
            "Prism Element {address} presents a certificate with this SHA-256 fingerprint:\n{fp}\n"
            "Prism Central reads the storage containers and NFS whitelist of cluster {cluster} from it. "
            "Compare the fingerprint with the one that cluster's administrator shows, then trust it; it is pinned "
            "like Prism Central's.").format(address=address, fp=fp, cluster=cluster),
            lambda: t.element_fingerprints.__setitem__(address, fp))

    def _connected_text(self, facts: Any) -> Callable[[], str]:
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
        return lambda: self.tr("Connected.")

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
        self._show_landing()

    def _show_landing(self) -> None:
        """Issue 16.5: through Prism Central the disks are clones of images, next to the image: say where."""
        inv = self.ctx.backend.target_inventory
        chosen = self.answers.container()
        landing = inv.disk_container(chosen.uuid) if inv is not None and chosen is not None else None
        if chosen is None or landing is None:
            self.landing.setText("")
        elif landing.uuid == chosen.uuid:
            self.landing.setText(self.tr("The migrated disks land in {name}.").format(name=chosen.name))
        else:
            self.landing.setText(self.tr(
                "The migrated disks land in {landing} ({free} free), not in {chosen}: Prism Central clones each disk "
                "from an image, next to the image. {chosen} holds the staging copies of warm mode.").format(
                landing=landing.name, chosen=chosen.name, free=human_bytes(landing.free_bytes)))
        self.landing.setVisible(bool(self.landing.text()))

    @Slot()
    def _cluster_chosen(self) -> None:
        self.answers.cluster_uuid = self.cluster.currentData() or ""
        self.answers.container_uuid = ""
        self._fill()
        self.check_mode()

    @Slot()
    def _container_chosen(self) -> None:
        self.answers.container_uuid = self.container.currentData() or ""
        self._show_landing()
        self.check_mode()

    @Slot()
    def _mode_chosen(self) -> None:
        self.answers.transfer_mode = TransferMode.WARM if self.warm.isChecked() else TransferMode.COLD
        self.check_mode()

    def _show_mode(self, text: Callable[[], str]) -> None:
        self._mode_text = text
        self.mode_status.setText(text())

    @asyncSlot()
    async def check_mode(self) -> None:
        t = self.answers
        t.mode_reachable, t.mode_message = None, ""
        self.changed.emit()
        if not (t.connected and t.cluster_uuid and t.container_uuid):
            self._show_mode(lambda: "")
            return
        self._show_mode(lambda: self.tr("Checking the transfer mode the way the copy will use it…"))
        mode, container = t.transfer_mode, t.container_uuid
        try:
            ok, message = await self.ctx.service.run("mode", self.ctx.backend.check_mode, t)
        except Exception as exc:  # a failed check is shown, not raised
            ok, message = False, describe_error(exc)[1]
        if t.transfer_mode is not mode or t.container_uuid != container:
            return  # the user changed something while we were checking; that check reports instead
        t.mode_reachable, t.mode_message = ok, message if not ok else ""
        said: Message = message
        self._show_mode(lambda: shown(said) if ok else "")
        self.changed.emit()
