"""Page 4: how xtract-gui reaches inside each guest — WinRM, SSH (Linux), VMware Tools, or none.

Each VM starts with its OS's own channel (WinRM for Windows, SSH for Linux where the address is known, VMware
Tools where Tools run).  The form edits the VMs selected in the table, and only those: Apply (or Test with
edits not applied yet) gives the form's access to the selected VMs whose OS it fits, never to others, and
Test runs each selected VM's admin check with that VM's own settings.  SSH host keys are pinned like
certificates: Test shows the key a guest offers; Trust puts it into the plan.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ...domain.inventory import OsFamily, SourceVM
from ...domain.plan import GuestChannelKind
from ..shared.table import VM_ID_ROLE
from ..shared.tr import shown
from .flow import GuestAnswers, PageId
from .guest_check import GuestTest, test_failure
from .guests_model import GuestsModel
from .pages_base import Page, PageContext

_FITS = {GuestChannelKind.WINRM: {OsFamily.WINDOWS}, GuestChannelKind.SSH: {OsFamily.LINUX}}


def fits(channel: GuestChannelKind, vm: SourceVM) -> bool:
    return vm.guest_family in _FITS.get(channel, {vm.guest_family})


class GuestsPage(Page):
    page_id = PageId.GUESTS
    handles_all_errors = True

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        body = QHBoxLayout()
        self.model = GuestsModel(lambda vm_id: self.ctx.state.guest(vm_id), self)  # the state of the moment
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        self.result = QLabel(self)  # the selected VM's test result in full, word-wrapped
        self.result.setObjectName("testResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        left.addWidget(self.result)
        self.key_frame = QFrame(self)
        self.key_frame.setObjectName("certFrame")
        kl = QVBoxLayout(self.key_frame)
        self.key_text = QLabel(self.key_frame)
        self.key_text.setWordWrap(True)
        self.key_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        kb = QHBoxLayout()
        kb.addStretch(1)
        self.key_reject = QPushButton(self.key_frame)
        self.key_trust = QPushButton(self.key_frame)
        kb.addWidget(self.key_reject)
        kb.addWidget(self.key_trust)
        kl.addWidget(self.key_text)
        kl.addLayout(kb)
        self.key_frame.setVisible(False)
        left.addWidget(self.key_frame)
        body.addLayout(left, 3)

        self.box = QGroupBox(self)
        form = QFormLayout(self.box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.channel = QComboBox(self.box)
        self.user = QLineEdit(self.box)
        self.password = QLineEdit(self.box)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth = QComboBox(self.box)
        self.auth_hint = QLabel(self.box)
        self.auth_hint.setWordWrap(True)
        self.auth_hint.setProperty("role", "hint")
        self.allow_http = QCheckBox(self.box)
        self.address = QLineEdit(self.box)
        self.fingerprint = QLineEdit(self.box)
        self.ssh_port = QSpinBox(self.box)
        self.ssh_port.setRange(0, 65535)
        self.ssh_port.setSpecialValueText("22")
        key_row = QHBoxLayout()
        self.key_file = QLabel(self.box)
        self.key_button = QPushButton(self.box)
        self.key_clear = QPushButton(self.box)
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(self.key_button)
        key_row.addWidget(self.key_clear)
        self.host_key = QLabel(self.box)
        self.host_key.setWordWrap(True)
        self.host_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton(self.box)
        self.test_button = QPushButton(self.box)
        self.note = QLabel(self.box)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "hint")
        self.labels = {k: QLabel(self.box) for k in ("channel", "user", "password", "auth", "address", "cert",
                                                      "port", "key", "host_key")}
        form.addRow(self.labels["channel"], self.channel)
        form.addRow(self.labels["user"], self.user)
        form.addRow(self.labels["password"], self.password)
        form.addRow(self.labels["auth"], self.auth)
        form.addRow("", self.auth_hint)
        form.addRow("", self.allow_http)
        form.addRow(self.labels["address"], self.address)
        form.addRow(self.labels["cert"], self.fingerprint)
        form.addRow(self.labels["port"], self.ssh_port)
        form.addRow(self.labels["key"], key_row)
        form.addRow(self.labels["host_key"], self.host_key)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.test_button)
        form.addRow("", buttons)
        form.addRow("", self.note)
        self.form_layout = form
        self.box.setMaximumWidth(520)
        body.addWidget(self.box, 2)
        self.root.addLayout(body, 1)
        self.errors_text = self.error_label("guests")
        self.root.addWidget(self.errors_text)
        self._dirty = False  # the form was edited since it showed the selection's answers
        self._filling = False
        self._key_text = ""  # a private key read from a file, until applied
        self._offers: list[tuple[str, str, str]] = []  # (vm_id, address, key) waiting for a yes
        self._dialog: QFileDialog | None = None
        self._result_text: Callable[[], str] = lambda: ""
        self.apply_button.clicked.connect(self.apply_to_selected)
        self.test_button.clicked.connect(self.test_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.channel.currentIndexChanged.connect(self._form_edited)
        self.auth.currentIndexChanged.connect(self._form_edited)
        for w in (self.user, self.password, self.address, self.fingerprint):
            w.textEdited.connect(self._form_edited)
        self.allow_http.toggled.connect(self._form_edited)
        self.ssh_port.valueChanged.connect(self._form_edited)
        self.key_button.clicked.connect(self._ask_key)
        self.key_clear.clicked.connect(self._clear_key)
        self.key_trust.clicked.connect(self.trust_key)
        self.key_reject.clicked.connect(self._reject_key)
        self.retranslate()

    def title(self) -> str:
        return self.tr("Guest credentials")

    def subtitle(self) -> str:
        return self.tr("How xtract-gui reaches inside each guest to install drivers and keep its IP settings. "
                       "The form edits the VMs selected in the table.")

    def retranslate(self) -> None:
        self.box.setTitle(self.tr("Access for the selected VMs"))
        texts = {"channel": self.tr("Channel"), "user": self.tr("Account"), "password": self.tr("Password"),
                 "auth": self.tr("Authentication"), "address": self.tr("Address"), "cert": self.tr("Certificate"),
                 "port": self.tr("SSH port"), "key": self.tr("Private key"), "host_key": self.tr("Host key")}
        for key, label in self.labels.items():
            label.setText(texts[key])
        self.user.setPlaceholderText(self.tr("Administrator or root"))
        self.auth_hint.setText(self.tr("Basic needs HTTPS and a local account, and must be enabled in the guest's "
                                       "WinRM service; NTLM works as Windows ships."))
        self.allow_http.setText(self.tr("Allow HTTP 5985 with NTLM encryption"))
        self.address.setPlaceholderText(self.tr("default: the IP VMware Tools reports"))
        self.fingerprint.setPlaceholderText(self.tr("SHA-256 of the WinRM certificate (optional)"))
        self.key_button.setText(self.tr("Key file…"))
        self.key_clear.setText(self.tr("No key"))
        self.apply_button.setText(self.tr("Apply to selected VMs"))
        self.test_button.setText(self.tr("Test selected VMs"))
        self.note.setText(self.tr("Passwords and keys are kept in the system keyring only, never in the plan file."))
        self.key_trust.setText(self.tr("Trust this key"))
        self.key_reject.setText(self.tr("Do not trust"))
        self._fill_auth()
        self.model.retranslate()
        self.result.setText(self._result_text())
        self._show_offer()
        self._show_form()

    def _fill_auth(self) -> None:
        current = self.auth.currentData() or "ntlm"
        self._filling = True
        self.auth.clear()
        self.auth.addItem(self.tr("NTLM (domain or local account)"), "ntlm")
        self.auth.addItem(self.tr("Basic (local account, HTTPS only)"), "basic")
        self.auth.setCurrentIndex(max(0, self.auth.findData(current)))
        self._filling = False

    def _fill_channels(self, vms: list[SourceVM], chosen: GuestChannelKind) -> None:
        """Only the channels every selected VM can use."""
        self.channel.clear()
        names = {GuestChannelKind.WINRM: self.tr("WinRM (Windows, HTTPS 5986)"),
                 GuestChannelKind.SSH: self.tr("SSH (Linux)"),
                 GuestChannelKind.VMTOOLS: self.tr("VMware Tools (no network path needed)"),
                 GuestChannelKind.NONE: self.tr("None: guest already prepared")}
        for kind in (GuestChannelKind.WINRM, GuestChannelKind.SSH, GuestChannelKind.VMTOOLS, GuestChannelKind.NONE):
            if all(fits(kind, vm) for vm in vms):
                self.channel.addItem(names[kind], kind.value)
        self.channel.setCurrentIndex(max(0, self.channel.findData(chosen.value)))

    def enter(self) -> None:
        vms = self.ctx.state.selected_vms()
        for vm in vms:
            self.ctx.state.guest(vm.vm_id)  # each VM's own defaults, before the form shows any
        self.model.set_vms(vms)
        if vms and not self.table.selectionModel().selectedRows():
            self.table.selectRow(0)  # one VM, not all: the form must not speak for VMs nobody chose
        self._recheck([v.vm_id for v in vms])
        self._show_form()

    # -- selection and the form --------------------------------------------------------------------------
    def selected_vm_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.vm_at(r).vm_id for r in rows]

    def select(self, vm_ids: list[str]) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        for vm_id in vm_ids:
            row = self.model.row_of(vm_id)
            if row is not None:
                sel.select(self.model.index(row, 0), QItemSelectionModel.SelectionFlag.Select
                           | QItemSelectionModel.SelectionFlag.Rows)

    @Slot()
    def _selection_changed(self, *_: Any) -> None:
        self._show_form()

    def _show_form(self) -> None:
        ids = self.selected_vm_ids()
        vms = [self.ctx.state.inventory.vm(v) for v in ids] if self.ctx.state.inventory else []
        self.box.setEnabled(bool(vms))
        if not vms:
            self._show_result(lambda: "")
            return
        g = self.ctx.state.guest(ids[0])
        self._filling = True
        self._fill_channels(vms, g.channel)
        self.user.setText(g.user)
        self.password.setText(g.password)
        self.auth.setCurrentIndex(max(0, self.auth.findData(g.winrm_auth)))
        self.allow_http.setChecked(g.allow_http_ntlm)
        one = len(ids) == 1
        self.address.setText((g.ssh_host if g.channel is GuestChannelKind.SSH else g.winrm_host) if one else "")
        self.fingerprint.setText(g.fingerprint if one else "")
        self.ssh_port.setValue(g.ssh_port)
        self._key_text = ""
        self._filling = False
        self._dirty = False
        self._enable()
        name, message = vms[0].name, g.test_message
        self._show_result(lambda: self.tr("Test of {vm}: {said}").format(vm=name, said=shown(message))
                          if message else "")

    def _enable(self) -> None:
        kind = GuestChannelKind(self.channel.currentData() or GuestChannelKind.NONE.value)
        winrm, ssh = kind is GuestChannelKind.WINRM, kind is GuestChannelKind.SSH
        none = kind is GuestChannelKind.NONE
        for w in (self.user, self.password, self.labels["user"], self.labels["password"]):
            w.setEnabled(not none)
        winrm_only = (self.auth, self.auth_hint, self.labels["auth"], self.fingerprint, self.labels["cert"])
        ssh_only = (self.ssh_port, self.labels["port"], self.key_file, self.key_button, self.key_clear,
                    self.labels["key"], self.host_key, self.labels["host_key"])
        for w in winrm_only:
            w.setVisible(winrm)
        for w in ssh_only:
            w.setVisible(ssh)
        self.allow_http.setVisible(winrm)
        self.allow_http.setEnabled(winrm and self.auth.currentData() != "basic")
        for w in (self.address, self.labels["address"]):
            w.setVisible(winrm or ssh)
        ids = self.selected_vm_ids()
        g = self.ctx.state.guest(ids[0]) if ids else GuestAnswers()
        has_key = self._key_text or g.ssh_key or g.loaded_key_ref
        self.key_file.setText(self.tr("a key is set (the password, if any, unlocks it)") if has_key
                              else self.tr("none: log in with the password"))
        self.host_key.setText(g.ssh_host_key or self.tr("not pinned yet: Test shows it"))
        self.password.setPlaceholderText(self.tr("unlocks the key, and answers sudo") if ssh else "")

    @Slot()
    def _form_edited(self, *_: Any) -> None:
        if self._filling:
            return
        self._dirty = True
        if self.auth.currentData() == "basic":
            self.allow_http.setChecked(False)
        self._enable()

    def form_answers(self) -> GuestAnswers:
        kind = GuestChannelKind(self.channel.currentData() or GuestChannelKind.NONE.value)
        address = self.address.text().strip()
        return GuestAnswers(channel=kind, user=self.user.text().strip(), password=self.password.text(),
                            allow_http_ntlm=self.allow_http.isChecked(), winrm_auth=self.auth.currentData() or "ntlm",
                            winrm_host=address if kind is GuestChannelKind.WINRM else "",
                            fingerprint=self.fingerprint.text().strip().upper(),
                            ssh_host=address if kind is GuestChannelKind.SSH else "",
                            ssh_port=self.ssh_port.value(), ssh_key=self._key_text)

    @Slot()
    def apply_to_selected(self) -> list[str]:
        """The form's access for the selected VMs it fits; returns the VMs it was given to."""
        answers = self.form_answers()
        inv = self.ctx.state.inventory
        chosen = [v for v in self.selected_vm_ids() if inv is not None and fits(answers.channel, inv.vm(v))]
        for vm_id in chosen:
            old = self.ctx.state.guest(vm_id)
            keep = replace(answers, ssh_key=answers.ssh_key or old.ssh_key)
            self.ctx.flow.apply_guest([vm_id], keep)
            # Memory only here (the keyring may block); the window persists them when the migration starts.
            self.ctx.backend.remember_guest_password(inv.vm(vm_id).name, self.ctx.state.guest(vm_id), persist=False)
        self._dirty = False
        self._after_change(chosen)
        return chosen

    def _after_change(self, vm_ids: list[str]) -> None:
        self._recheck(vm_ids)
        self.model.refresh(vm_ids)
        self._show_form()
        self.changed.emit()

    def _recheck(self, vm_ids: list[str]) -> None:
        """Readiness again for these VMs: a channel or an account changes what blocks them."""
        inv = self.ctx.state.inventory
        if inv is None:
            return
        for vm_id in vm_ids:
            self.ctx.state.findings[vm_id] = self.ctx.backend.check_vm(self.ctx.state, inv.vm(vm_id))

    # -- private key -------------------------------------------------------------------------------------
    @Slot()
    def _ask_key(self) -> None:
        d = QFileDialog(self, self.tr("Private key for SSH"))
        d.setFileMode(QFileDialog.FileMode.ExistingFile)
        d.fileSelected.connect(self.load_key)
        self._dialog = d
        d.open()  # never exec() under qasync

    def load_key(self, path: str) -> bool:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = str(getattr(exc, "strerror", None) or exc)
            self._show_result(lambda: self.tr("The key file {path} cannot be read: {why}").format(path=path, why=why))
            return False
        self._key_text = text
        self._form_edited()
        self.key_file.setText(Path(path).name)
        return True

    @Slot()
    def _clear_key(self) -> None:
        self._key_text = ""
        for vm_id in self.selected_vm_ids():
            g = self.ctx.state.guest(vm_id)
            g.ssh_key, g.loaded_key_ref = "", None
        self._form_edited()

    # -- test --------------------------------------------------------------------------------------------
    @asyncSlot()
    async def test_selected(self) -> None:
        """Each selected VM tested with its own settings (the form's edits are applied to them first)."""
        if self._dirty:
            self.apply_to_selected()
        ids = self.selected_vm_ids()
        self.test_button.setEnabled(False)
        try:
            for vm_id in ids:
                await self._test(vm_id)
        finally:
            self.test_button.setEnabled(True)

    async def _test(self, vm_id: str) -> None:
        inv = self.ctx.state.inventory
        vm, g = inv.vm(vm_id), self.ctx.state.guest(vm_id)
        try:
            result: GuestTest = await self.ctx.service.run("guest-test", self.ctx.backend.test_guest, vm, g)
        except Exception as exc:  # the result of a test, shown in its row
            result = test_failure(exc)
        if result.host_key:
            self.model.pending_keys.add(vm_id)
            self._offers.append((vm_id, result.address, result.host_key))
            self._show_offer()
        else:
            g.tested_ok, g.test_message = result.ok, result.message
        self._after_change([vm_id])

    def _show_offer(self) -> None:
        if not self._offers:
            self.key_frame.setVisible(False)
            return
        vm_id, address, key = self._offers[0]
        name = self.ctx.state.inventory.vm(vm_id).name if self.ctx.state.inventory else vm_id
        self.key_text.setText(self.tr(
            "{vm} ({address}) offers this SSH host key:\n{key}\nCheck it on the guest's console (ssh-keygen -lf "
            "/etc/ssh/ssh_host_ed25519_key.pub shows it), then trust it. It is pinned in the plan: a different key "
            "later stops the connection.").format(vm=name, address=address, key=key))
        self.key_frame.setVisible(True)
        self.key_trust.setFocus()

    @asyncSlot()
    async def trust_key(self) -> None:
        if not self._offers:
            return
        vm_id, _, key = self._offers.pop(0)
        self.model.pending_keys.discard(vm_id)
        self.ctx.state.guest(vm_id).ssh_host_key = key
        self._show_offer()
        self._after_change([vm_id])
        await self._test(vm_id)

    @Slot()
    def _reject_key(self) -> None:
        if not self._offers:
            return
        vm_id, _, _ = self._offers.pop(0)
        self.model.pending_keys.discard(vm_id)
        g = self.ctx.state.guest(vm_id)
        g.tested_ok = False
        g.test_message = self.tr("The SSH host key was not trusted; nothing was sent to the guest.")
        self._show_offer()
        self._after_change([vm_id])

    def _show_result(self, text: Callable[[], str]) -> None:
        self._result_text = text
        self.result.setText(text())

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        text = "\n".join(shown(m) for m in errors.values())
        self.errors_text.setText(html.unescape(text))
        self.errors_text.setVisible(bool(text))


__all__ = ["VM_ID_ROLE", "GuestsPage", "fits"]
