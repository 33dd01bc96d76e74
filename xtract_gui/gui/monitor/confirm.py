"""The monitor's confirmations: what a cutover or a cancel will do, per VM, with the safe button as the default.

Texts are in the ``JobMonitor`` context, as literal ``QCoreApplication.translate`` calls lupdate finds.

Enter must never cut a VM over or cancel a migration: the default (and Escape) is "Not now" / "Keep going".
The cutover dialog names, per VM, what readiness warned about (no VirtIO drivers: it may not boot), the
projected downtime and the test VM that goes first.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QCheckBox, QMessageBox, QPushButton, QWidget

from ...domain.messages import seconds
from ..shared.tr import shown
from .jobs_model import JobRow


def cutover_details(rows: Sequence[JobRow]) -> str:
    """Rich text: one block per VM with its projected downtime, warnings and test VM."""
    parts = []
    for r in rows:
        lines = []
        if r.projected_downtime_seconds is not None:
            projected = shown(seconds(r.projected_downtime_seconds))
            lines.append(QCoreApplication.translate("JobMonitor", "Projected downtime: {t}").format(t=projected))
        lines += [f"⚠ {shown(w)}" for w in r.warnings]
        if r.test_vm_uuid:
            name = r.test_vm_name or r.test_vm_uuid
            lines.append(QCoreApplication.translate("JobMonitor", "Its test VM {name} is removed first.").format(
                name=name))
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        parts.append(f"<p><b>{html.escape(r.name)}</b></p>" + (f"<ul>{items}</ul>" if items else ""))
    return "".join(parts)


def cutover_box(parent: QWidget, rows: Sequence[JobRow]) -> tuple[QMessageBox, QPushButton, QPushButton]:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if any(r.warnings for r in rows) else QMessageBox.Icon.Question)
    box.setWindowTitle(QCoreApplication.translate("JobMonitor", "Cut over"))
    box.setTextFormat(Qt.TextFormat.RichText)
    if len(rows) == 1:
        question = QCoreApplication.translate("JobMonitor", "Cut over {name}?").format(name=html.escape(rows[0].name))
    else:
        question = QCoreApplication.translate("JobMonitor", "Cut over these {n} VMs?").format(n=len(rows))
    box.setText(question + cutover_details(rows))
    steps = QCoreApplication.translate(
        "JobMonitor",
        "For each VM:\n1. the guest is shut down (downtime starts);\n2. a final delta sync copies the last "
        "changes;\n3. the VM is created on AHV and powered on;\n4. the source VM stays off and its NICs are "
        "disconnected so it cannot come back with the same IP.\nA failure before the AHV VM boots rolls back "
        "and powers the source on again.")
    box.setInformativeText(html.escape(steps).replace("\n", "<br/>"))  # rich text, as the box's text is
    ok = box.addButton(QCoreApplication.translate("JobMonitor", "&Cut over"), QMessageBox.ButtonRole.AcceptRole)
    no = box.addButton(QCoreApplication.translate("JobMonitor", "Not now"), QMessageBox.ButtonRole.RejectRole)
    _safe(box, no)
    return box, ok, no


def cancel_box(parent: QWidget, rows: Sequence[JobRow]) -> tuple[QMessageBox, QPushButton, QPushButton]:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("JobMonitor", "Cancel migration"))
    names = ", ".join(r.name for r in rows)
    box.setText(QCoreApplication.translate("JobMonitor", "Cancel the migration of {names}?").format(names=names))
    box.setInformativeText(QCoreApplication.translate(
        "JobMonitor", "Snapshots and partial disks on the target are removed. The source VMs keep running unchanged."))
    box.setCheckBox(QCheckBox(QCoreApplication.translate(
        "JobMonitor", "Also undo the guest preparation (remove the first-boot task and the saved network settings, "
        "restore the SAN policy)"), box))
    ok = box.addButton(QCoreApplication.translate("JobMonitor", "Cancel migration"),
                       QMessageBox.ButtonRole.DestructiveRole)
    no = box.addButton(QCoreApplication.translate("JobMonitor", "Keep going"), QMessageBox.ButtonRole.RejectRole)
    _safe(box, no)
    return box, ok, no


def _safe(box: QMessageBox, no: QPushButton) -> None:
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    no.setFocus()
