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
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ..shared.table import VM_ID_ROLE
from ..shared.tr import shown
from .flow import GuestAnswers, PageId
from .guest_check import GuestTest, test_failure
from .guest_form import GuestForm, fits
from .guests_model import GuestsModel
from .pages_base import Page, PageContext


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

        self.box = GuestForm(self)
        for name in ("channel", "user", "password", "auth", "auth_hint", "allow_http", "address", "fingerprint",
                     "ssh_port", "key_file", "key_button", "key_clear", "host_key", "apply_button", "test_button",
                     "labels"):
            setattr(self, name, getattr(self.box, name))  # the page's tests and the driver reach them here
        body.addWidget(self.box, 2)
        self.root.addLayout(body, 1)
        self.errors_text = self.error_label("guests")
        self.root.addWidget(self.errors_text)
        self._offers: list[tuple[str, str, str]] = []  # (vm_id, address, key) waiting for a yes
        self._result_text: Callable[[], str] = lambda: ""
        self.apply_button.clicked.connect(self.apply_to_selected)
        self.test_button.clicked.connect(self.test_selected)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.box.unreadable.connect(lambda why: self._show_result(lambda: why))
        self.key_trust.clicked.connect(self.trust_key)
        self.key_reject.clicked.connect(self._reject_key)
        self.retranslate()

    def title(self) -> str:
        return self.tr("Guest credentials")

    def subtitle(self) -> str:
        return self.tr("How xtract-gui reaches inside each guest to install drivers and keep its IP settings. "
                       "The form edits the VMs selected in the table.")

    def retranslate(self) -> None:
        super().retranslate()
        self.box.retranslate()
        self.key_trust.setText(self.tr("Trust this key"))
        self.key_reject.setText(self.tr("Do not trust"))
        self.model.retranslate()
        self.result.setText(self._result_text())
        self._show_offer()
        self._show_form()

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
        self.box.show_answers(vms, g)
        name, message = vms[0].name, g.test_message
        self._show_result(lambda: self.tr("Test of {vm}: {said}").format(vm=name, said=shown(message))
                          if message else "")

    def form_answers(self) -> GuestAnswers:
        return self.box.answers()

    @Slot()
    def apply_to_selected(self) -> list[str]:
        """The form's access for the selected VMs it fits; returns the VMs it was given to."""
        answers = self.form_answers()
        inv = self.ctx.state.inventory
        chosen = [v for v in self.selected_vm_ids() if inv is not None and fits(answers.channel, inv.vm(v))]
        for vm_id in chosen:
            old = self.ctx.state.guest(vm_id)
            keep = answers if answers.ssh_key or self.box.key_cleared else replace(answers, ssh_key=old.ssh_key)
            self.ctx.flow.apply_guest([vm_id], keep)
            if self.box.key_cleared:
                self.ctx.state.guest(vm_id).loaded_key_ref = None
            # Memory only here (the keyring may block); the window persists them when the migration starts.
            self.ctx.backend.remember_guest_password(inv.vm(vm_id).name, self.ctx.state.guest(vm_id), persist=False)
        self.box.dirty = False
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

    # -- test --------------------------------------------------------------------------------------------
    @asyncSlot()
    async def test_selected(self) -> None:
        """Each selected VM tested with its own settings (the form's edits are applied to them first)."""
        if self.box.dirty:
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
