"""Pages 5 and 6: network mapping with the migration options, and the summary (save/load plan, Start)."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...domain.errors import XtractError
from ...domain.plan import Plan, ShutdownPolicy
from ..shared.icons import severity_icon
from ..shared.texts import describe_plan
from .flow import PageId
from .pages_base import Page, PageContext, tr_flow


class NetworkPage(Page):
    page_id = PageId.NETWORK

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        inner = QWidget(scroll)
        lay = QVBoxLayout(inner)
        self.map_box = QGroupBox(self.tr("Port group → AHV subnet"), inner)
        self.map_form = QFormLayout(self.map_box)
        lay.addWidget(self.map_box)
        self.map_combos: dict[str, QComboBox] = {}
        self.test_subnet = QComboBox(inner)
        self.test_subnet.currentIndexChanged.connect(self._read)

        net = QGroupBox(self.tr("Addresses"), inner)
        nf = QFormLayout(net)
        self.retain_mac = QCheckBox(self.tr("Keep MAC addresses"), net)
        self.retain_mac_hint = self._hint(self.tr(
            "The AHV NICs get the source MACs: DHCP reservations and licences tied to a MAC keep working. "
            "The source NICs are disconnected at cutover so the two never meet."))
        self.retain_ip = QCheckBox(self.tr("Keep IP addresses"), net)
        self.retain_ip_hint = self._hint(self.tr(
            "Static IP settings are captured in the guest and restored at first boot on AHV, matched by MAC. "
            "Needs guest access; with more than one NIC it needs 'Keep MAC addresses'."))
        nf.addRow(self.retain_mac)
        nf.addRow(self.retain_mac_hint)
        nf.addRow(self.retain_ip)
        nf.addRow(self.retain_ip_hint)
        nf.addRow(self.tr("Test subnet (isolated)"), self.test_subnet)
        nf.addRow("", self.error_label("test_subnet"))
        lay.addWidget(net)

        sync = QGroupBox(self.tr("Syncs and cutover"), inner)
        sf = QFormLayout(sync)
        self.sync_interval = QSpinBox(sync)
        self.sync_interval.setRange(0, 24 * 60)
        self.sync_interval.setSuffix(self.tr(" min"))
        self.bandwidth = QDoubleSpinBox(sync)
        self.bandwidth.setRange(-1, 100_000)
        self.bandwidth.setDecimals(0)
        self.bandwidth.setSuffix(self.tr(" Mbit/s"))
        self.shutdown = QComboBox(sync)
        self.shutdown.addItem(self.tr("Guest shutdown only (cutover stops if the guest does not stop)"),
                              ShutdownPolicy.GUEST_ONLY.value)
        self.shutdown.addItem(self.tr("Guest shutdown, then power off after the timeout"),
                              ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT.value)
        self.shutdown_timeout = QSpinBox(sync)
        self.shutdown_timeout.setRange(30, 7200)
        self.shutdown_timeout.setSuffix(self.tr(" s"))
        self.auto_cutover = QCheckBox(self.tr("Cut over automatically inside a window"), sync)
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
        self.downtime_budget.setSuffix(self.tr(" s"))
        sf.addRow(self.tr("Sync interval"), self.sync_interval)
        sf.addRow("", self.error_label("sync_interval"))
        sf.addRow(self.tr("Bandwidth limit (0: none)"), self.bandwidth)
        sf.addRow("", self.error_label("bandwidth"))
        sf.addRow(self.tr("Shutdown"), self.shutdown)
        sf.addRow(self.tr("Shutdown timeout"), self.shutdown_timeout)
        sf.addRow(self.auto_cutover)
        sf.addRow(self.tr("Cutover window"), window)
        sf.addRow("", self.error_label("cutover_window_start"))
        sf.addRow(self.tr("Downtime budget"), self.downtime_budget)
        sf.addRow("", self.error_label("downtime_budget"))
        lay.addWidget(sync)

        post = QGroupBox(self.tr("After cutover"), inner)
        pf = QVBoxLayout(post)
        self.post_cleanup = QCheckBox(self.tr("Clean up the guest on AHV (a snapshot is taken first)"), post)
        self.remove_tools = QCheckBox(self.tr("Uninstall VMware Tools"), post)
        self.remove_ghosts = QCheckBox(self.tr("Remove non-present (ghost) devices"), post)
        for w in (self.post_cleanup, self.remove_tools, self.remove_ghosts):
            pf.addWidget(w)
        lay.addWidget(post)
        lay.addStretch(1)
        scroll.setWidget(inner)
        self.root.addWidget(scroll)
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

    def _hint(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setWordWrap(True)
        label.setProperty("role", "hint")
        return label

    def title(self) -> str:
        return self.tr("Network mapping and options")

    def subtitle(self) -> str:
        return self.tr("Where each NIC lands on AHV, and how syncs and the cutover behave.")

    def short_title(self) -> str:
        return self.tr("Network and options")

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
        self.changed.emit()

    def _enable(self) -> None:
        auto = self.auto_cutover.isChecked()
        for w in (self.window_start, self.window_end, self.downtime_budget):
            w.setEnabled(auto)
        for w in (self.remove_tools, self.remove_ghosts):
            w.setEnabled(self.post_cleanup.isChecked())

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
        self.changed.emit()

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        if "cutover_window_end" in errors and "cutover_window_start" not in errors:
            errors = {**errors, "cutover_window_start": errors["cutover_window_end"]}
        super().show_errors(errors, touched=touched)


class SummaryPage(Page):
    page_id = PageId.SUMMARY
    startRequested = Signal(object)  # Plan
    planLoaded = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        row = QHBoxLayout()
        self.name = QLineEdit(self)
        self.name.textEdited.connect(self._renamed)
        row.addWidget(QLabel(self.tr("Plan name"), self))
        row.addWidget(self.name, 1)
        self.root.addLayout(row)
        self.text = QTextBrowser(self)
        self.root.addWidget(self.text, 1)
        self.findings = QLabel(self)
        self.findings.setWordWrap(True)
        self.root.addWidget(self.findings)
        self.message = self.error_label("plan")
        self.root.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Save plan…"), self)
        self.load_button = QPushButton(self.tr("Load plan…"), self)
        self.start_button = QPushButton(self.tr("Start migration"), self)
        self.start_button.setProperty("role", "primary")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        self.root.addLayout(buttons)
        self.save_button.clicked.connect(self._ask_save)
        self.load_button.clicked.connect(self._ask_load)
        self.start_button.clicked.connect(self._start)
        self.plan: Plan | None = None
        self._loading: asyncio.Future[None] | None = None
        self._dialog: QFileDialog | None = None

    def title(self) -> str:
        return self.tr("Summary")

    def subtitle(self) -> str:
        return self.tr("Check the plan, save it if you like, then start. Cutover waits for your go.")

    def enter(self) -> None:
        self.name.setText(self.ctx.state.plan_name)
        self._show_message("")
        try:
            self.plan = self.ctx.flow.build_plan()
        except XtractError as exc:
            self.plan = None
            self.text.setPlainText("")
            self._show_message(str(exc))
            self.start_button.setEnabled(False)
            return
        names = {sn.uuid: sn.name for sn in self.ctx.state.target.subnets}
        items = (html.escape(tr_flow(m), quote=False) for m in describe_plan(self.plan, names))
        self.text.setHtml("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
        found = self.ctx.backend.check_plan(self.plan)
        blockers = [f for fs in found.values() for f in fs if f.severity == "BLOCKER"]
        warnings = [f for fs in found.values() for f in fs if f.severity == "WARNING"]
        lines = [f"⛔ {f.message} {f.fix}" for f in blockers] + [f"⚠ {f.message} {f.fix}" for f in warnings]
        self.findings.setText("\n".join(lines) if lines else self.tr("Readiness: no blockers."))
        self.start_button.setEnabled(not blockers)
        self.start_button.setIcon(severity_icon("BLOCKER" if blockers else "OK"))

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @Slot()
    def _renamed(self) -> None:
        self.ctx.state.plan_name = self.name.text().strip() or "migration"

    @Slot()
    def _start(self) -> None:
        if self.plan is not None:
            self.plan = replace(self.plan, name=self.ctx.state.plan_name)
            self.startRequested.emit(self.plan)

    def _file_dialog(self, save: bool) -> QFileDialog:
        # open() rather than exec(): no nested event loop under qasync.
        dialog = QFileDialog(self, self.tr("Save plan") if save else self.tr("Load plan"))
        dialog.setNameFilter(self.tr("Plan files (*.json)"))
        dialog.setDefaultSuffix("json")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave if save else QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile if save else QFileDialog.FileMode.ExistingFile)
        self._dialog = dialog
        return dialog

    @Slot()
    def _ask_save(self) -> None:
        d = self._file_dialog(True)
        d.fileSelected.connect(lambda p: self.save_plan(Path(p)))
        d.open()

    @Slot()
    def _ask_load(self) -> None:
        d = self._file_dialog(False)
        d.fileSelected.connect(lambda p: self.load_plan(Path(p)))
        d.open()

    def save_plan(self, path: Path) -> bool:
        if self.plan is None:
            return False
        plan = replace(self.plan, name=self.ctx.state.plan_name)
        try:
            path.write_text(plan.to_json(), encoding="utf-8")
        except OSError as exc:
            self._show_message(self.tr("The plan could not be saved to {path}: {why}. Choose another folder.")
                               .format(path=path, why=exc.strerror or exc))
            return False
        self._show_message("")
        self.findings.setText(self.tr("Saved to {path}.").format(path=path))
        return True

    def load_plan(self, path: Path) -> bool:
        try:
            plan = Plan.from_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self._show_message(self.tr("The plan file {path} cannot be read: {why}.").format(
                path=path, why=exc.strerror or exc))
            return False
        except XtractError as exc:
            self._show_message(self.tr("{path} is not a usable plan: {why}").format(path=path.name, why=exc))
            return False
        self.ctx.flow.load_plan(plan)
        self._loading = asyncio.ensure_future(self._fill_secrets(plan))
        return True

    async def _fill_secrets(self, plan: Plan) -> None:
        """Passwords come back from the keyring, off the GUI thread (a keyring may wait on D-Bus)."""
        refs = [plan.source.password, plan.target.password, *(v.guest.password for v in plan.vms)]
        secrets = self.ctx.backend.secrets
        try:
            found = await self.ctx.service.run(
                "keyring", lambda: [secrets.get(r.service, r.username) if r else None for r in refs])
        except XtractError as exc:
            self._show_message(str(exc))
            found = [None] * len(refs)
        s = self.ctx.state
        s.source.password, s.target.password = found[0] or "", found[1] or ""
        for vm, value in zip(plan.vms, found[2:], strict=True):
            if value:
                s.guest(vm.vm_id).password = value
        self.planLoaded.emit()
