"""Page 6: the plan in words (totals, each VM, what will happen), readiness, save/load, and Start.

In cold mode Start powers the selected running VMs off: the page says so per VM with the expected downtime,
and Start asks first, naming them (the safe button is the default).  Only that yes goes into the plan
(``allow_power_off_for_cold``), and the engine refuses to power anything off without it.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QWidget,
)

from ...domain.errors import XtractError
from ...domain.plan import Plan
from ...domain.readiness import COLD_UNCONFIRMED
from ...domain.units import human_bytes
from ..shared.icons import severity_icon
from ..shared.tr import shown
from .flow import PageId
from .pages_base import Page, PageContext
from .summary_text import PlanSummary, VmLine, summarize


class SummaryPage(Page):
    page_id = PageId.SUMMARY
    startRequested = Signal(object)  # Plan
    planLoaded = Signal()

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        row = QHBoxLayout()
        self.name = QLineEdit(self)
        self.name.textEdited.connect(self._renamed)
        name_label = QLabel(self)
        row.addWidget(name_label)
        row.addWidget(self.name, 1)
        self.root.addLayout(row)
        self.text = QTextBrowser(self)
        self.root.addWidget(self.text, 1)
        self.message = self.error_label("plan")
        self.root.addWidget(self.message)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(self)
        self.load_button = QPushButton(self)
        self.start_button = QPushButton(self)
        self.start_button.setProperty("role", "primary")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.load_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        self.root.addLayout(buttons)
        self.say(name_label.setText, lambda: self.tr("Plan name"))
        self.say(self.save_button.setText, lambda: self.tr("Save plan…"))
        self.say(self.load_button.setText, lambda: self.tr("Load plan…"))
        self.say(self.start_button.setText, lambda: self.tr("&Start migration"))
        self.save_button.clicked.connect(self._ask_save)
        self.load_button.clicked.connect(self._ask_load)
        self.start_button.clicked.connect(self._start)
        self.plan: Plan | None = None
        self.summary: PlanSummary | None = None
        self.findings_html = ""
        self.saved_to = ""
        self._loading: asyncio.Future[None] | None = None
        self._dialog: QFileDialog | None = None
        self._confirm: QMessageBox | None = None
        self.confirm_buttons: dict[str, QPushButton] = {}

    def title(self) -> str:
        return self.tr("Summary")

    def subtitle(self) -> str:
        if self.ctx.state.target.transfer_mode.value == "cold":
            return self.tr("Check the plan, save it if you like, then start. Cold mode: Start shuts the VMs listed "
                           "below down, after you confirm.")
        return self.tr("Check the plan, save it if you like, then start. Nothing is shut down before you press "
                       "Cut over in the job monitor.")

    def retranslate(self) -> None:
        super().retranslate()
        if self.plan is not None:
            self._render()

    def enter(self) -> None:
        self.name.setText(self.ctx.state.plan_name)
        self._show_message("")
        self.saved_to = ""
        try:
            self.plan = self.ctx.flow.build_plan()
        except XtractError as exc:
            self.plan = None
            self.text.setPlainText("")
            self._show_message(shown(exc.describe()))
            self.start_button.setEnabled(False)
            return
        names = {sn.uuid: sn.name for sn in self.ctx.state.target.subnets}
        self.summary = summarize(self.plan, self.ctx.state.inventory, subnet_names=names,
                                 sync_seconds=self.ctx.backend.sync_seconds())
        self._render()

    def _render(self) -> None:
        assert self.plan is not None and self.summary is not None
        # The power-off of cold mode is what Start asks for; every other blocker stops Start.
        found = self.ctx.backend.check_plan(self.plan)
        blockers = [f for fs in found.values() for f in fs if f.severity == "BLOCKER" and f.code != COLD_UNCONFIRMED]
        warnings = [f for fs in found.values() for f in fs if f.severity == "WARNING"]
        s = self.summary
        parts = [f"<p><b>{html.escape(' · '.join(shown(t) for t in s.totals))}</b></p>"]
        parts.append(self._vm_table(s.vms))
        parts.append("<ul>" + "".join(f"<li>{html.escape(shown(m))}</li>" for m in s.statements) + "</ul>")
        lines = [f'<li style="color:#c62828">⛔ {html.escape(shown(f.message))} {html.escape(shown(f.fix))}</li>'
                 for f in blockers]
        lines += [f'<li style="color:#8a5a00">⚠ {html.escape(shown(f.message))} {html.escape(shown(f.fix))}</li>'
                  for f in warnings]
        # lupdate reads no tr() inside f-strings: every text is fetched first.
        heading, clean = self.tr("Readiness"), self.tr("Readiness: no blockers.")
        parts.append(f"<p><b>{html.escape(heading)}</b></p>")
        parts.append("<ul>" + "".join(lines) + "</ul>" if lines else f"<p>{html.escape(clean)}</p>")
        if self.saved_to:
            saved = self.tr("Saved to {path}.").format(path=self.saved_to)
            parts.append(f"<p>{html.escape(saved)}</p>")
        self.text.setHtml("".join(parts))
        self.findings_html = "".join(lines)
        self.start_button.setEnabled(not blockers)
        self.start_button.setIcon(severity_icon("BLOCKER" if blockers else "OK"))

    def _vm_table(self, vms: list[VmLine]) -> str:
        head = (self.tr("VM"), self.tr("On AHV as"), self.tr("Guest access"), self.tr("Disks"), self.tr("Size"),
                self.tr("Expected downtime"))
        rows = []
        for v in vms:
            going = self.tr("Shut down when you press Start")
            off = f'<br/><span style="color:#c62828"><b>{html.escape(going)}</b></span>' if v.off_at_start else ""
            cells = (html.escape(v.name) + off, html.escape(v.target), html.escape(shown(v.access)), str(v.disks),
                     human_bytes(v.size), html.escape(shown(v.downtime)))
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        header = "".join(f"<th align='left'>{html.escape(h)}</th>" for h in head)
        return f"<table cellspacing='0' cellpadding='4' border='1' style='border-collapse:collapse'><tr>{header}</tr>" \
               f"{''.join(rows)}</table>"

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    @Slot()
    def _renamed(self) -> None:
        self.ctx.state.plan_name = self.name.text().strip() or "migration"

    @Slot()
    def _start(self) -> None:
        if self.plan is None or self.summary is None:
            return
        self.plan = replace(self.plan, name=self.ctx.state.plan_name)
        going_off = self.summary.off_at_start
        if not going_off:
            self.startRequested.emit(self.plan)
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Shut these VMs down now?"))
        box.setTextFormat(Qt.TextFormat.RichText)
        items = "".join(f"<li><b>{html.escape(v.name)}</b> — {html.escape(shown(v.downtime))}</li>"
                        for v in going_off)
        box.setText(self.tr("Cold mode shuts these running VMs down as soon as the migration starts; they stay off "
                            "until they run on AHV:") + f"<ul>{items}</ul>")
        box.setInformativeText(self.tr("Warm mode keeps them running until you cut each one over."))
        ok = box.addButton(self.tr("Shut them down and start"), QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(self.tr("Not now"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(no)  # Enter must not power production VMs off
        box.setEscapeButton(no)
        self.confirm_buttons = {"ok": ok, "no": no}
        plan = self.plan

        def answered(button: object) -> None:
            if button is ok:  # the yes, recorded in the plan: the engine powers nothing off without it
                self.startRequested.emit(replace(plan, options=replace(plan.options, allow_power_off_for_cold=True)))

        box.buttonClicked.connect(answered)
        self._confirm = box
        box.open()  # never exec() under qasync

    def confirm_dialog(self) -> QMessageBox | None:
        return self._confirm

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
        self.saved_to = str(path)
        self._render()
        return True

    def load_plan(self, path: Path) -> bool:
        try:
            plan = Plan.from_json(path.read_text(encoding="utf-8"))
        except OSError as exc:
            self._show_message(self.tr("The plan file {path} cannot be read: {why}.").format(
                path=path, why=exc.strerror or exc))
            return False
        except XtractError as exc:
            self._show_message(self.tr("{path} is not a usable plan: {why}").format(path=path.name,
                                                                                      why=shown(exc.describe())))
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
            self._show_message(shown(exc.describe()))
            found = [None] * len(refs)
        s = self.ctx.state
        s.source.password, s.target.password = found[0] or "", found[1] or ""
        for vm, value in zip(plan.vms, found[2:], strict=True):
            if value:
                s.guest(vm.vm_id).password = value
        self.planLoaded.emit()

