"""The wizard's answers, page ids and user-visible messages: plain dataclasses (no Qt).

Messages are ``domain.messages.Message`` values (id, English template, parameters), the one kind of
translatable text the engine and the domain use too; the GUI renders them with ``gui.shared.tr.shown``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ...domain.inventory import (
    OsFamily,
    SourceInventory,
    SourceVM,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetKind,
    ToolsStatus,
)
from ...domain.messages import Message, msg, raw
from ...domain.plan import GuestChannelKind, PlanOptions, SecretRef, TransferMode

Msg = Message  # what a validator returns for a field
SECRET_SERVICE = "xtract-gui"
# Answers that go into the plan as they are (same name on both sides), so that a new plan field round-trips
# through load and save by being named here once.
GUEST_PLAN_FIELDS = ("channel", "user", "winrm_port", "winrm_https", "winrm_auth", "allow_http_ntlm", "winrm_host",
                     "fingerprint", "ssh_host", "ssh_port", "ssh_host_key")
TARGET_PLAN_FIELDS = ("nfs_host", "nfs_port", "nfs_mount_port", "element_port")


class PageId(StrEnum):
    SOURCE = "source"
    TARGET = "target"
    VMS = "vms"
    GUESTS = "guests"
    NETWORK = "network"
    SUMMARY = "summary"


PAGES: tuple[PageId, ...] = tuple(PageId)
__all__ = ["Msg", "msg", "raw"]


@dataclass
class EndpointAnswers:
    host: str = ""
    port: int = 443
    user: str = ""
    password: str = field(default="", repr=False)  # only in memory; saved to the keyring, never to the plan
    remember: bool = True
    protocol: str = "https"
    fingerprint: str = ""  # pinned after the user trusted it
    connected: bool = False
    error: str = ""  # the last connect failure, shown under the field it concerns
    error_field: str = "host"
    loaded_ref: SecretRef | None = None  # the plan's own reference, kept while user and host stay the same
    loaded_for: tuple[str, str] = ("", "")

    def secret_ref(self) -> SecretRef:
        if self.loaded_ref is not None and self.loaded_for == (self.user, self.host):
            return self.loaded_ref
        return SecretRef(SECRET_SERVICE, f"{self.user}@{self.host}")


@dataclass
class TargetAnswers(EndpointAnswers):
    port: int = 9440
    kind: TargetKind | None = None
    version: str = ""
    clusters: tuple[TargetCluster, ...] = ()
    containers: tuple[StorageContainer, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    cluster_uuid: str = ""
    container_uuid: str = ""
    transfer_mode: TransferMode = TransferMode.WARM
    mode_reachable: bool | None = None  # None: not checked yet
    mode_message: str = ""
    nfs_host: str = ""
    nfs_port: int = 0
    nfs_mount_port: int = 0
    element_port: int = 0  # Prism Central only: its clusters' Prism Elements (0: the same port)
    element_fingerprints: dict[str, str] = field(default_factory=dict)  # element address -> pinned SHA-256

    def container(self) -> StorageContainer | None:
        return next((c for c in self.containers if c.uuid == self.container_uuid), None)


@dataclass
class GuestAnswers:
    channel: GuestChannelKind = GuestChannelKind.VMTOOLS
    user: str = ""
    password: str = field(default="", repr=False)  # SSH with a key: what unlocks the key (may be empty)
    winrm_https: bool = True
    winrm_auth: str = "ntlm"  # "basic" works only over HTTPS, with a local account
    allow_http_ntlm: bool = False
    winrm_host: str = ""  # empty: the guest IP VMware Tools reports
    winrm_port: int = 0
    fingerprint: str = ""
    ssh_host: str = ""  # empty: the guest IP VMware Tools reports
    ssh_port: int = 0
    ssh_host_key: str = ""  # "ssh-ed25519 SHA256:…", pinned once the person accepted the key shown
    ssh_key: str = field(default="", repr=False)  # a private key's text (only in memory; the keyring keeps it)
    tested_ok: bool | None = None
    test_message: str = ""
    loaded_ref: SecretRef | None = None
    loaded_user: str = ""
    loaded_key_ref: SecretRef | None = None

    def secret_ref(self, vm_name: str) -> SecretRef | None:
        if self.channel is GuestChannelKind.NONE or not self.user:
            return None
        if self.channel is GuestChannelKind.SSH and not self.password and (self.ssh_key or self.loaded_key_ref):
            return None  # a key without a passphrase: no password to keep
        if self.loaded_ref is not None and self.loaded_user == self.user:
            return self.loaded_ref
        return SecretRef(SECRET_SERVICE, f"guest:{self.user}@{vm_name}")

    def key_ref(self, vm_name: str) -> SecretRef | None:
        """SSH only: where the private key is kept in the keyring (None: password login)."""
        if self.channel is not GuestChannelKind.SSH or not self.user:
            return None
        if not self.ssh_key:
            return self.loaded_key_ref if self.loaded_user == self.user else None
        return SecretRef(SECRET_SERVICE, f"guest-key:{self.user}@{vm_name}")

    @property
    def has_credential(self) -> bool:
        return bool(self.password or (self.channel is GuestChannelKind.SSH and (self.ssh_key or self.loaded_key_ref)))


def default_guest(vm: SourceVM) -> GuestAnswers:
    """How a VM is reached when nobody chose yet: its OS's own remote shell where its address is known (WinRM
    for Windows, SSH for Linux), VMware Tools where Tools run, the Tools channel otherwise (readiness then says
    what is missing)."""
    if vm.guest_ips and vm.guest_family is OsFamily.WINDOWS:
        return GuestAnswers(channel=GuestChannelKind.WINRM, user="Administrator")
    if vm.guest_ips and vm.guest_family is OsFamily.LINUX:
        return GuestAnswers(channel=GuestChannelKind.SSH, user="root")
    if vm.tools_status is ToolsStatus.RUNNING:
        return GuestAnswers(channel=GuestChannelKind.VMTOOLS,
                            user="Administrator" if vm.guest_family is OsFamily.WINDOWS else "root")
    return GuestAnswers()


@dataclass
class Finding:
    """What the GUI needs of a readiness finding (mirrors ``domain.readiness.Finding``)."""

    code: str
    severity: str  # "BLOCKER" | "WARNING" | "INFO"
    message: str
    fix: str = ""
    vm_id: str = ""
    section: str = ""  # the wizard page where the fix is made ("" : outside xtract-gui)


@dataclass
class WizardState:
    source: EndpointAnswers = field(default_factory=EndpointAnswers)
    target: TargetAnswers = field(default_factory=TargetAnswers)
    inventory: SourceInventory | None = None
    selected: set[str] = field(default_factory=set)
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # vm_id -> findings; absent: not checked
    guests: dict[str, GuestAnswers] = field(default_factory=dict)
    network_map: dict[str, str] = field(default_factory=dict)
    test_subnet_uuid: str = ""
    options: PlanOptions = field(default_factory=PlanOptions)
    plan_name: str = "migration"

    def selected_vms(self) -> list[SourceVM]:
        if self.inventory is None:
            return []
        return [v for v in self.inventory.vms if v.vm_id in self.selected]

    def selected_bytes(self) -> int:
        return sum(v.provisioned_bytes for v in self.selected_vms())

    def used_port_groups(self) -> list[str]:
        return sorted({n.network for v in self.selected_vms() for n in v.nics})

    def guest(self, vm_id: str) -> GuestAnswers:
        if vm_id not in self.guests:
            vm = next((v for v in self.inventory.vms if v.vm_id == vm_id), None) if self.inventory else None
            self.guests[vm_id] = default_guest(vm) if vm is not None else GuestAnswers()
        return self.guests[vm_id]
