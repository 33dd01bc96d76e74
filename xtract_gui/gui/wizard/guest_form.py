"""The guest credentials page's form: the access of the VMs selected in its table (channel, account, secrets,
and per channel its own settings), offering only the channels every selected VM's OS can use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ...domain.inventory import OsFamily, SourceVM
from ...domain.plan import GuestChannelKind
from .flow import GuestAnswers

_FITS = {GuestChannelKind.WINRM: {OsFamily.WINDOWS}, GuestChannelKind.SSH: {OsFamily.LINUX}}


def fits(channel: GuestChannelKind, vm: SourceVM) -> bool:
    return vm.guest_family in _FITS.get(channel, {vm.guest_family})


class GuestForm(QGroupBox):
    edited = Signal()  # a person changed a field (not the form showing a selection)
    unreadable = Signal(str)  # a key file could not be read: why

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.channel = QComboBox(self)
        self.user = QLineEdit(self)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth = QComboBox(self)
        self.auth_hint = QLabel(self)
        self.auth_hint.setWordWrap(True)
        self.auth_hint.setProperty("role", "hint")
        self.allow_http = QCheckBox(self)
        self.address = QLineEdit(self)
        self.fingerprint = QLineEdit(self)
        self.ssh_port = QSpinBox(self)
        self.ssh_port.setRange(0, 65535)
        self.ssh_port.setSpecialValueText("22")
        key_row = QHBoxLayout()
        self.key_file = QLabel(self)
        self.key_button = QPushButton(self)
        self.key_clear = QPushButton(self)
        key_row.addWidget(self.key_file, 1)
        key_row.addWidget(self.key_button)
        key_row.addWidget(self.key_clear)
        self.host_key = QLabel(self)
        self.host_key.setWordWrap(True)
        self.host_key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton(self)
        self.test_button = QPushButton(self)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "hint")
        self.labels = {k: QLabel(self) for k in ("channel", "user", "password", "auth", "address", "cert", "port",
                                                  "key", "host_key")}
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
        self.setMaximumWidth(520)
        self.dirty = False  # edited since it showed the selection's answers
        self.key_text = ""  # a private key read from a file, until applied
        self.key_cleared = False  # "No key": the selected VMs log in with their password from now on
        self._filling = False
        self._shown = GuestAnswers()
        self._dialog: QFileDialog | None = None
        self.channel.currentIndexChanged.connect(self._edited)
        self.auth.currentIndexChanged.connect(self._edited)
        for w in (self.user, self.password, self.address, self.fingerprint):
            w.textEdited.connect(self._edited)
        self.allow_http.toggled.connect(self._edited)
        self.ssh_port.valueChanged.connect(self._edited)
        self.key_button.clicked.connect(self._ask_key)
        self.key_clear.clicked.connect(self.clear_key)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(self.tr("Access for the selected VMs"))
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
        current = self.auth.currentData() or "ntlm"
        self._filling = True
        self.auth.clear()
        self.auth.addItem(self.tr("NTLM (domain or local account)"), "ntlm")
        self.auth.addItem(self.tr("Basic (local account, HTTPS only)"), "basic")
        self.auth.setCurrentIndex(max(0, self.auth.findData(current)))
        self._filling = False
        self.enable()

    def show_answers(self, vms: list[SourceVM], g: GuestAnswers) -> None:
        """The answers of the first selected VM, with only the channels every selected VM can use."""
        self._filling = True
        self._shown = g
        self.channel.clear()
        names = {GuestChannelKind.WINRM: self.tr("WinRM (Windows, HTTPS 5986)"),
                 GuestChannelKind.SSH: self.tr("SSH (Linux)"),
                 GuestChannelKind.VMTOOLS: self.tr("VMware Tools (no network path needed)"),
                 GuestChannelKind.NONE: self.tr("None: guest already prepared")}
        for kind in (GuestChannelKind.WINRM, GuestChannelKind.SSH, GuestChannelKind.VMTOOLS, GuestChannelKind.NONE):
            if all(fits(kind, vm) for vm in vms):
                self.channel.addItem(names[kind], kind.value)
        self.channel.setCurrentIndex(max(0, self.channel.findData(g.channel.value)))
        self.user.setText(g.user)
        self.password.setText(g.password)
        self.auth.setCurrentIndex(max(0, self.auth.findData(g.winrm_auth)))
        self.allow_http.setChecked(g.allow_http_ntlm)
        one = len(vms) == 1
        self.address.setText((g.ssh_host if g.channel is GuestChannelKind.SSH else g.winrm_host) if one else "")
        self.fingerprint.setText(g.fingerprint if one else "")
        self.ssh_port.setValue(g.ssh_port)
        self.key_text, self.key_cleared = "", False
        self._filling = False
        self.dirty = False
        self.enable()

    def enable(self) -> None:
        kind = GuestChannelKind(self.channel.currentData() or GuestChannelKind.NONE.value)
        winrm, ssh = kind is GuestChannelKind.WINRM, kind is GuestChannelKind.SSH
        for w in (self.user, self.password, self.labels["user"], self.labels["password"]):
            w.setEnabled(kind is not GuestChannelKind.NONE)
        for w in (self.auth, self.auth_hint, self.labels["auth"], self.fingerprint, self.labels["cert"],
                  self.allow_http):
            w.setVisible(winrm)
        for w in (self.ssh_port, self.labels["port"], self.key_file, self.key_button, self.key_clear,
                  self.labels["key"], self.host_key, self.labels["host_key"]):
            w.setVisible(ssh)
        self.allow_http.setEnabled(winrm and self.auth.currentData() != "basic")
        for w in (self.address, self.labels["address"]):
            w.setVisible(winrm or ssh)
        g = self._shown
        has_key = self.key_text or (not self.key_cleared and (g.ssh_key or g.loaded_key_ref))
        self.key_file.setText(self.tr("a key is set (the password, if any, unlocks it)") if has_key
                              else self.tr("none: log in with the password"))
        self.host_key.setText(g.ssh_host_key or self.tr("not pinned yet: Test shows it"))
        self.password.setPlaceholderText(self.tr("unlocks the key, and answers sudo") if ssh else "")

    @Slot()
    def _edited(self, *_: object) -> None:
        if self._filling:
            return
        self.dirty = True
        if self.auth.currentData() == "basic":
            self.allow_http.setChecked(False)
        self.enable()
        self.edited.emit()

    def answers(self) -> GuestAnswers:
        kind = GuestChannelKind(self.channel.currentData() or GuestChannelKind.NONE.value)
        address = self.address.text().strip()
        return GuestAnswers(channel=kind, user=self.user.text().strip(), password=self.password.text(),
                            allow_http_ntlm=self.allow_http.isChecked(), winrm_auth=self.auth.currentData() or "ntlm",
                            winrm_host=address if kind is GuestChannelKind.WINRM else "",
                            fingerprint=self.fingerprint.text().strip().upper(),
                            ssh_host=address if kind is GuestChannelKind.SSH else "",
                            ssh_port=self.ssh_port.value(), ssh_key=self.key_text)

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
            self.unreadable.emit(self.tr("The key file {path} cannot be read: {why}").format(
                path=path, why=str(getattr(exc, "strerror", None) or exc)))
            return False
        self.key_text, self.key_cleared = text, False
        self._edited()
        self.key_file.setText(Path(path).name)
        return True

    @Slot()
    def clear_key(self) -> None:
        self.key_text, self.key_cleared = "", True
        self._edited()
