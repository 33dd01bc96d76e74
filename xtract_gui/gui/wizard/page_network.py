"""Page 5: where each NIC lands on AHV, and how syncs and the cutover behave — two columns, so that a 1280×720
screen shows every option without scrolling."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...domain.plan import ShutdownPolicy
from .flow import PageId
from .pages_base import Page, PageContext


class NetworkPage(Page):
    page_id = PageId.NETWORK

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        inner = QWidget(self)  # the wizard scrolls the page when the screen is small
        columns = QHBoxLayout(inner)
        columns.setContentsMargins(0, 0, 0, 0)
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.map_box = QGroupBox(inner)
        self.map_form = QFormLayout(self.map_box)
        left.addWidget(self.map_box)
        self.map_combos: dict[str, QComboBox] = {}
        self.test_subnet = QComboBox(inner)
        self.test_subnet.currentIndexChanged.connect(self._read)

        net = QGroupBox(inner)
        nf = QFormLayout(net)
        self.retain_mac = QCheckBox(net)
        self.retain_mac_hint = self._hint()
        self.retain_ip = QCheckBox(net)
        self.retain_ip_hint = self._hint()
        test_label = QLabel(net)
        nf.addRow(self.retain_mac)
        nf.addRow(self.retain_mac_hint)
        nf.addRow(self.retain_ip)
        nf.addRow(self.retain_ip_hint)
        nf.addRow(test_label, self.test_subnet)
        nf.addRow("", self.error_label("test_subnet"))
        left.addWidget(net)
        left.addWidget(self.error_label("readiness"))
        left.addStretch(1)

        sync = QGroupBox(inner)
        sf = QFormLayout(sync)
        self.sync_interval = QSpinBox(sync)
        self.sync_interval.setRange(0, 24 * 60)
        self.bandwidth = QDoubleSpinBox(sync)
        self.bandwidth.setRange(-1, 100_000)
        self.bandwidth.setDecimals(0)
        self.shutdown = QComboBox(sync)
        self.shutdown.addItem("", ShutdownPolicy.GUEST_ONLY.value)
        self.shutdown.addItem("", ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT.value)
        self.shutdown_timeout = QSpinBox(sync)
        self.shutdown_timeout.setRange(30, 7200)
        self.auto_cutover = QCheckBox(sync)
        window = QHBoxLayout()
        self.window_start = QLineEdit(sync)
        self.window_start.setPlaceholderText("22:00")
        self.window_end = QLineEdit(sync)
        self.window_end.setPlaceholderText("02:00")
        window.addWidget(self.window_start)
        window.addWidget(QLabel("–", sync))
        window.addWidget(self.window_end)
        self.downtime_budget = QSpinBox(sync)
        self.downtime_budget.setRange(0, 24 * 3600)
        rows = [QLabel(sync) for _ in range(6)]
        sf.addRow(rows[0], self.sync_interval)
        sf.addRow("", self.error_label("sync_interval"))
        sf.addRow(rows[1], self.bandwidth)
        sf.addRow("", self.error_label("bandwidth"))
        sf.addRow(rows[2], self.shutdown)
        sf.addRow(rows[3], self.shutdown_timeout)
        sf.addRow(self.auto_cutover)
        sf.addRow(rows[4], window)
        sf.addRow("", self.error_label("cutover_window_start"))
        sf.addRow(rows[5], self.downtime_budget)
        sf.addRow("", self.error_label("downtime_budget"))
        right.addWidget(sync)

        post = QGroupBox(inner)
        pf = QVBoxLayout(post)
        self.post_cleanup = QCheckBox(post)
        self.remove_tools = QCheckBox(post)
        self.remove_ghosts = QCheckBox(post)
        for w in (self.post_cleanup, self.remove_tools, self.remove_ghosts):
            pf.addWidget(w)
        right.addWidget(post)
        right.addStretch(1)
        self.root.addWidget(inner)

        say = self.say
        say(self.map_box.setTitle, lambda: self.tr("Port group → AHV subnet"))
        say(net.setTitle, lambda: self.tr("Addresses"))
        say(self.retain_mac.setText, lambda: self.tr("Keep MAC addresses"))
        say(self.retain_mac_hint.setText, lambda: self.tr(
            "The AHV NICs get the source MACs: DHCP reservations and licences tied to a MAC keep working. "
            "The source NICs are disconnected at cutover so the two never meet."))
        say(self.retain_ip.setText, lambda: self.tr("Keep IP addresses"))
        say(self.retain_ip_hint.setText, lambda: self.tr(
            "Static IP settings are captured in the guest and restored at first boot on AHV, matched by MAC. "
            "Needs guest access; with more than one NIC it needs 'Keep MAC addresses'."))
        say(test_label.setText, lambda: self.tr("Test subnet (isolated)"))
        say(sync.setTitle, lambda: self.tr("Syncs and cutover"))
        say(self.sync_interval.setSuffix, lambda: self.tr(" min"))
        say(self.bandwidth.setSuffix, lambda: self.tr(" Mbit/s"))
        say(lambda s: self.shutdown.setItemText(0, s),
            lambda: self.tr("Guest shutdown only (cutover stops if the guest does not stop)"))
        say(lambda s: self.shutdown.setItemText(1, s),
            lambda: self.tr("Guest shutdown, then power off after the timeout"))
        say(self.shutdown_timeout.setSuffix, lambda: self.tr(" s"))
        say(self.auto_cutover.setText, lambda: self.tr("Cut over automatically inside a window"))
        say(self.downtime_budget.setSuffix, lambda: self.tr(" s"))
        for label, text in zip(rows, (lambda: self.tr("Sync interval"), lambda: self.tr("Bandwidth limit (0: none)"),
                                      lambda: self.tr("Shutdown"), lambda: self.tr("Shutdown timeout"),
                                      lambda: self.tr("Cutover window"), lambda: self.tr("Downtime budget")),
                               strict=True):
            say(label.setText, text)
        say(post.setTitle, lambda: self.tr("After cutover"))
        say(self.post_cleanup.setText, lambda: self.tr("Clean up the guest on AHV (a snapshot is taken first)"))
        say(self.remove_tools.setText, lambda: self.tr("Uninstall VMware Tools"))
        say(self.remove_ghosts.setText, lambda: self.tr("Remove non-present (ghost) devices"))

        for cb in (self.retain_mac, self.retain_ip, self.auto_cutover, self.post_cleanup, self.remove_tools,
                   self.remove_ghosts):
            cb.toggled.connect(self._read)
        for spin in (self.sync_interval, self.shutdown_timeout, self.downtime_budget):
            spin.valueChanged.connect(self._read)
        self.bandwidth.valueChanged.connect(self._read)
        self.shutdown.currentIndexChanged.connect(self._read)
        self.window_start.textEdited.connect(self._read)
        self.window_end.textEdited.connect(self._read)
        self._filling = False

    def _hint(self) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setProperty("role", "hint")
        return label

    def title(self) -> str:
        return self.tr("Network mapping and options")

    def subtitle(self) -> str:
        return self.tr("Where each NIC lands on AHV, and how syncs and the cutover behave.")

    def short_title(self) -> str:
        return self.tr("Network and options")

    def retranslate(self) -> None:
        super().retranslate()
        if self.map_combos:
            self.enter()  # the subnet lists' first entries

    def enter(self) -> None:
        s = self.ctx.state
        self._filling = True
        while self.map_form.rowCount():
            self.map_form.removeRow(0)
        self.map_combos.clear()
        cluster = s.target.cluster_uuid
        subnets = [sn for sn in s.target.subnets if not cluster or sn.cluster_uuid == cluster]
        names = {sn.name.lower(): sn.uuid for sn in subnets}
        for pg in s.used_port_groups():
            combo = QComboBox(self.map_box)
            combo.addItem(self.tr("Choose a subnet…"), "")
            for sn in subnets:
                vlan = f" (VLAN {sn.vlan_id})" if sn.vlan_id is not None else ""
                combo.addItem(f"{sn.name}{vlan}", sn.uuid)
            # A subnet named like the port group is the likely match; the user confirms by seeing it.
            chosen = s.network_map.get(pg) or names.get(pg.lower(), "")
            s.network_map[pg] = chosen
            combo.setCurrentIndex(max(0, combo.findData(chosen)))
            combo.currentIndexChanged.connect(self._read)
            self.map_combos[pg] = combo
            self.map_form.addRow(pg, combo)
            self.map_form.addRow("", self.error_label(f"map:{pg}"))
        if not self.map_combos:
            self.map_form.addRow(QLabel(self.tr("The selected VMs have no NICs."), self.map_box))
        self.test_subnet.clear()
        self.test_subnet.addItem(self.tr("None (no test migrations)"), "")
        for sn in subnets:
            self.test_subnet.addItem(sn.name, sn.uuid)
        self.test_subnet.setCurrentIndex(max(0, self.test_subnet.findData(s.test_subnet_uuid)))
        o = s.options
        self.retain_mac.setChecked(o.retain_mac)
        self.retain_ip.setChecked(o.retain_ip)
        self.sync_interval.setValue(o.sync_interval_minutes)
        self.bandwidth.setValue(o.bandwidth_limit_mbps)
        self.shutdown.setCurrentIndex(max(0, self.shutdown.findData(o.shutdown_policy.value)))
        self.shutdown_timeout.setValue(o.shutdown_timeout_seconds)
        self.auto_cutover.setChecked(o.auto_cutover)
        self.window_start.setText(o.cutover_window_start)
        self.window_end.setText(o.cutover_window_end)
        self.downtime_budget.setValue(o.downtime_budget_seconds)
        self.post_cleanup.setChecked(o.post_cleanup)
        self.remove_tools.setChecked(o.cleanup.remove_vmware_tools)
        self.remove_ghosts.setChecked(o.cleanup.remove_ghost_devices)
        self._filling = False
        self._enable()
        self._recheck()
        self.changed.emit()

    def _enable(self) -> None:
        auto = self.auto_cutover.isChecked()
        for w in (self.window_start, self.window_end, self.downtime_budget):
            w.setEnabled(auto)
        for w in (self.remove_tools, self.remove_ghosts):
            w.setEnabled(self.post_cleanup.isChecked())

    def _recheck(self) -> None:
        """Options change what blocks a VM (power-off allowed, MAC kept): readiness again for the selection."""
        s = self.ctx.state
        for vm in s.selected_vms():
            s.findings[vm.vm_id] = self.ctx.backend.check_vm(s, vm)

    @Slot()
    def _read(self) -> None:
        if self._filling:
            return
        s = self.ctx.state
        for pg, combo in self.map_combos.items():
            s.network_map[pg] = combo.currentData() or ""
        s.test_subnet_uuid = self.test_subnet.currentData() or ""
        o = s.options
        s.options = replace(
            o, retain_mac=self.retain_mac.isChecked(), retain_ip=self.retain_ip.isChecked(),
            sync_interval_minutes=self.sync_interval.value(), bandwidth_limit_mbps=float(self.bandwidth.value()),
            shutdown_policy=ShutdownPolicy(self.shutdown.currentData()),
            shutdown_timeout_seconds=self.shutdown_timeout.value(), auto_cutover=self.auto_cutover.isChecked(),
            cutover_window_start=self.window_start.text().strip(), cutover_window_end=self.window_end.text().strip(),
            downtime_budget_seconds=self.downtime_budget.value(), post_cleanup=self.post_cleanup.isChecked(),
            cleanup=replace(o.cleanup, remove_vmware_tools=self.remove_tools.isChecked(),
                            remove_ghost_devices=self.remove_ghosts.isChecked()))
        self._enable()
        self._recheck()
        self.changed.emit()

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        if "cutover_window_end" in errors and "cutover_window_start" not in errors:
            errors = {**errors, "cutover_window_start": errors["cutover_window_end"]}
        super().show_errors(errors, touched=touched)
