"""The wizard's answers, page ids and user-visible messages: plain dataclasses (no Qt).

``Msg`` values (an English template plus its arguments) let the GUI translate the template with
``QCoreApplication.translate("flow", template)`` before formatting it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ...domain.inventory import SourceInventory, SourceVM, StorageContainer, Subnet, TargetCluster, TargetKind
from ...domain.plan import GuestChannelKind, PlanOptions, SecretRef, TransferMode

SECRET_SERVICE = "xtract-gui"
# Answers that go into the plan as they are (same name on both sides), so that a new plan field round-trips
# through load and save by being named here once.
GUEST_PLAN_FIELDS = ("channel", "user", "winrm_port", "winrm_https", "winrm_auth", "allow_http_ntlm", "winrm_host",
                     "fingerprint")
TARGET_PLAN_FIELDS = ("nfs_host", "nfs_port", "nfs_mount_port", "element_port")


class PageId(StrEnum):
    SOURCE = "source"
    TARGET = "target"
    VMS = "vms"
    GUESTS = "guests"
    NETWORK = "network"
    SUMMARY = "summary"


PAGES: tuple[PageId, ...] = tuple(PageId)


@dataclass(frozen=True)
class Msg:
    """A user-visible message: ``template`` is the translatable English text, ``args`` fill its ``{}``s."""

    template: str
    args: tuple[tuple[str, object], ...] = ()

    def render(self, translate: Callable[[str], str] = lambda s: s) -> str:
        return translate(self.template).format(**dict(self.args))

    def __str__(self) -> str:
        return self.render()


def msg(template: str, **args: object) -> Msg:
    return Msg(template, tuple(args.items()))


def raw(text: str) -> Msg:
    """Text that is already final (an exception's message from the engine or an adapter)."""
    return Msg("{text}", (("text", text),))


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
    password: str = field(default="", repr=False)
    winrm_https: bool = True
    winrm_auth: str = "ntlm"  # "basic" works only over HTTPS, with a local account
    allow_http_ntlm: bool = False
    winrm_host: str = ""  # empty: the guest IP VMware Tools reports
    winrm_port: int = 0
    fingerprint: str = ""
    tested_ok: bool | None = None
    test_message: str = ""
    loaded_ref: SecretRef | None = None
    loaded_user: str = ""

    def secret_ref(self, vm_name: str) -> SecretRef | None:
        if self.channel is GuestChannelKind.NONE or not self.user:
            return None
        if self.loaded_ref is not None and self.loaded_user == self.user:
            return self.loaded_ref
        return SecretRef(SECRET_SERVICE, f"guest:{self.user}@{vm_name}")


@dataclass
class Finding:
    """What the GUI needs of a readiness finding (mirrors ``domain.readiness.Finding``)."""

    code: str
    severity: str  # "BLOCKER" | "WARNING" | "INFO"
    message: str
    fix: str = ""
    vm_id: str = ""


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
        return self.guests.setdefault(vm_id, GuestAnswers())
