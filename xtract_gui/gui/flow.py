"""The wizard's navigation and validation in plain Python (no Qt), after Electrum's ``wizard.py``.

The Qt pages only show what this module decides: which page comes next, what
each page accepts (``errors(page)`` maps a field name to a message), and the
``Plan`` built from the answers.  Messages are ``Msg`` values (an English
template plus its arguments) so that the GUI can translate the template with
``QCoreApplication.translate("flow", template)`` before formatting it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from ..domain.inventory import SourceInventory, SourceVM, StorageContainer, Subnet, TargetCluster, TargetKind
from ..domain.plan import (
    GuestAccess,
    GuestChannelKind,
    Plan,
    PlanOptions,
    SecretRef,
    SourceEndpoint,
    TargetEndpoint,
    TransferMode,
    VmPlan,
)
from ..domain.units import human_bytes

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


# -- validation ------------------------------------------------------------------------------------


def _endpoint_errors(ep: EndpointAnswers, what: str) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    host = ep.host.strip()
    if ep.protocol == "lab":  # the embedded lab's source is a folder, not a host
        if not host:
            errs["host"] = msg("Enter the lab folder.")
    elif not host:
        errs["host"] = msg("Enter the {what} address (host name or IP).", what=what)
    elif any(c in host for c in " /\\") or host.startswith(("http:", "https:")):
        errs["host"] = msg("Enter only the host name or IP, without http:// or a path.")
    if ep.protocol != "lab" and not 0 < ep.port < 65536:
        errs["port"] = msg("The port must be between 1 and 65535.")
    if not ep.user.strip():
        errs["user"] = msg("Enter the user name.")
    if not ep.password:
        errs["password"] = msg("Enter the password.")
    if not errs and not ep.connected:
        if ep.error:
            errs[ep.error_field or "host"] = raw(ep.error)
        else:
            errs["connect"] = msg("Press Connect to check the address and the account.")
    return errs


def source_errors(s: WizardState) -> dict[str, Msg]:
    errs = _endpoint_errors(s.source, "vCenter")
    if not errs and s.inventory is None:
        errs["connect"] = msg("The inventory has not been read yet; press Connect.")
    return errs


def target_errors(s: WizardState) -> dict[str, Msg]:
    t = s.target
    errs = _endpoint_errors(t, "Prism")
    if errs:
        return errs
    if not t.cluster_uuid:
        errs["cluster"] = msg("Choose the AHV cluster to migrate to.")
    if not t.container_uuid:
        errs["container"] = msg("Choose the storage container for the disks.")
    elif (c := t.container()) is not None and s.selected and c.free_bytes < s.selected_bytes():
        errs["container"] = msg("The container has {free} free but the selected VMs need {need}.",
                                free=human_bytes(c.free_bytes), need=human_bytes(s.selected_bytes()))
    if t.mode_reachable is False:
        errs["mode"] = raw(t.mode_message) if t.mode_message else msg("The chosen transfer mode is not reachable.")
    elif t.mode_reachable is None and t.container_uuid and t.cluster_uuid:
        errs["mode"] = msg("Checking whether the transfer mode is reachable…")
    return errs


def vm_errors(s: WizardState) -> dict[str, Msg]:
    if not s.selected:
        return {"selection": msg("Select at least one VM to migrate.")}
    unchecked = [vm for vm in s.selected_vms() if vm.vm_id not in s.findings]
    if unchecked:
        return {"selection": msg("Readiness of {name} is still being checked.", name=unchecked[0].name)}
    for vm in s.selected_vms():
        for f in s.findings.get(vm.vm_id, []):
            if f.severity == "BLOCKER":
                return {"selection": msg("{name} cannot be migrated: {reason}", name=vm.name,
                                         reason=f"{f.message} {f.fix}".strip())}
    return {}


def guest_errors(s: WizardState) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    for vm in s.selected_vms():
        g = s.guest(vm.vm_id)
        if g.channel is GuestChannelKind.NONE:
            continue
        if not g.user.strip():
            errs[vm.vm_id] = msg("{name}: enter the guest account.", name=vm.name)
        elif not g.password:
            errs[vm.vm_id] = msg("{name}: enter the guest password.", name=vm.name)
        elif g.channel is GuestChannelKind.WINRM and g.winrm_auth == "basic" and not g.winrm_https:
            errs[vm.vm_id] = msg("{name}: Basic authentication needs WinRM over HTTPS; use NTLM.", name=vm.name)
        elif g.tested_ok is False:
            errs[vm.vm_id] = msg("{name}: the account test failed: {reason}", name=vm.name, reason=g.test_message)
    return errs


def network_errors(s: WizardState) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    known = {sn.uuid for sn in s.target.subnets}
    for pg in s.used_port_groups():
        uuid = s.network_map.get(pg, "")
        if not uuid:
            errs[f"map:{pg}"] = msg("Choose the AHV subnet for port group {pg}.", pg=pg)
        elif known and uuid not in known:
            errs[f"map:{pg}"] = msg("The subnet mapped to {pg} no longer exists on the cluster.", pg=pg)
    o = s.options
    if o.sync_interval_minutes < 1:
        errs["sync_interval"] = msg("The sync interval must be at least 1 minute.")
    if o.bandwidth_limit_mbps < 0:
        errs["bandwidth"] = msg("The bandwidth limit cannot be negative (0 means no limit).")
    if o.auto_cutover:
        for key in ("cutover_window_start", "cutover_window_end"):
            if not _is_hhmm(getattr(o, key)):
                errs[key] = msg("Enter the cutover window as HH:MM, for example 22:30.")
        if o.downtime_budget_seconds < 1:
            errs["downtime_budget"] = msg("The downtime budget must be at least 1 second.")
    if s.test_subnet_uuid and s.test_subnet_uuid in s.network_map.values():
        errs["test_subnet"] = msg("The test subnet must be isolated: choose one that no port group maps to.")
    return errs


def _is_hhmm(v: str) -> bool:
    h, _, m = v.partition(":")
    return len(h) == 2 and len(m) == 2 and h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60


VALIDATORS: dict[PageId, Callable[[WizardState], dict[str, Msg]]] = {
    PageId.SOURCE: source_errors,
    PageId.TARGET: target_errors,
    PageId.VMS: vm_errors,
    PageId.GUESTS: guest_errors,
    PageId.NETWORK: network_errors,
    PageId.SUMMARY: lambda s: {},
}


class WizardFlow:
    """Which page is shown, and whether the user may go on."""

    def __init__(self, state: WizardState | None = None) -> None:
        self.state = state or WizardState()
        self.current: PageId = PageId.SOURCE

    def errors(self, page: PageId | None = None) -> dict[str, Msg]:
        return VALIDATORS[page or self.current](self.state)

    def can_advance(self, page: PageId | None = None) -> bool:
        return not self.errors(page) and (page or self.current) is not PageId.SUMMARY

    def can_go_back(self) -> bool:
        return self.current is not PageId.SOURCE

    def next(self) -> PageId:
        if not self.can_advance():
            raise ValueError(f"page {self.current.value} is not complete")
        self.current = PAGES[PAGES.index(self.current) + 1]
        return self.current

    def back(self) -> PageId:
        if self.can_go_back():
            self.current = PAGES[PAGES.index(self.current) - 1]
        return self.current

    # -- answers that reset what depends on them -------------------------------------------------
    def source_changed(self) -> None:
        self.state.source.connected = False
        self.state.source.error = ""

    def target_changed(self) -> None:
        self.state.target.connected = False
        self.state.target.error = ""
        self.state.target.mode_reachable = None

    def set_selected(self, vm_ids: Iterable[str]) -> None:
        self.state.selected = set(vm_ids)

    def apply_guest(self, vm_ids: Iterable[str], answers: GuestAnswers, *, keep_address: bool = True) -> None:
        """Give the same channel/account to a group of VMs; each keeps its own WinRM address, port and
        pinned certificate unless ``keep_address`` is False, and must be tested again."""
        for vm_id in vm_ids:
            old = self.state.guests.get(vm_id)
            new = replace(answers, tested_ok=None, test_message="")
            if keep_address and old is not None:
                new = replace(new, winrm_host=answers.winrm_host or old.winrm_host,
                              winrm_port=answers.winrm_port or old.winrm_port,
                              fingerprint=answers.fingerprint or old.fingerprint,
                              loaded_ref=old.loaded_ref, loaded_user=old.loaded_user)
            self.state.guests[vm_id] = new

    # -- plan ------------------------------------------------------------------------------------
    def build_plan(self) -> Plan:
        s, src, tgt = self.state, self.state.source, self.state.target
        vms = []
        for vm in s.selected_vms():
            g = s.guest(vm.vm_id)
            ref = g.secret_ref(vm.name)
            shared = {name: getattr(g, name) for name in GUEST_PLAN_FIELDS}
            vms.append(VmPlan(vm_id=vm.vm_id, name=vm.name,
                              guest=GuestAccess(**{**shared, "user": g.user if ref else ""}, password=ref)))
        plan = Plan(
            name=s.plan_name or "migration",
            source=SourceEndpoint(host=src.host.strip(), user=src.user.strip(), password=src.secret_ref(),
                                  port=src.port, fingerprint=src.fingerprint, protocol=src.protocol),
            target=TargetEndpoint(host=tgt.host.strip(), user=tgt.user.strip(), password=tgt.secret_ref(),
                                  cluster_uuid=tgt.cluster_uuid, container_uuid=tgt.container_uuid, port=tgt.port,
                                  fingerprint=tgt.fingerprint, protocol=tgt.protocol,
                                  element_fingerprints=dict(tgt.element_fingerprints),
                                  **{name: getattr(tgt, name) for name in TARGET_PLAN_FIELDS}),
            vms=tuple(vms),
            network_map={pg: s.network_map[pg] for pg in s.used_port_groups() if s.network_map.get(pg)},
            test_subnet_uuid=s.test_subnet_uuid,
            transfer_mode=tgt.transfer_mode,
            options=s.options,
        )
        plan.validate()
        return plan

    def load_plan(self, plan: Plan) -> None:
        """Fill the answers from a saved plan; connections must be made again (passwords come from the keyring)."""
        s = self.state
        s.plan_name = plan.name
        for ep, src in ((s.source, plan.source), (s.target, plan.target)):
            ep.host, ep.port, ep.user = src.host, src.port, src.user
            ep.protocol, ep.fingerprint, ep.connected = src.protocol, src.fingerprint, False
            ep.loaded_ref, ep.loaded_for = src.password, (src.user, src.host)
        for name in ("cluster_uuid", "container_uuid", *TARGET_PLAN_FIELDS):
            setattr(s.target, name, getattr(plan.target, name))
        s.target.element_fingerprints = dict(plan.target.element_fingerprints)
        s.target.transfer_mode = plan.transfer_mode
        s.selected = {v.vm_id for v in plan.vms}
        s.guests = {v.vm_id: GuestAnswers(**{name: getattr(v.guest, name) for name in GUEST_PLAN_FIELDS},
                                          loaded_ref=v.guest.password, loaded_user=v.guest.user)
                    for v in plan.vms}
        s.network_map = dict(plan.network_map)
        s.test_subnet_uuid = plan.test_subnet_uuid
        s.options = plan.options
        self.current = PageId.SOURCE
