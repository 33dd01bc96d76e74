"""The slow calls the wizard makes, as plain synchronous Python (no Qt).

``gui.bridge.Service`` runs each method in an executor under qasync and shows
busy/error state; tests call them directly.  Everything outside the GUI is
reached through ``xtract_gui.wiring`` (composition helpers) and the domain's
readiness rules; nothing here knows a vendor SDK.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ... import paths
from ...domain import readiness
from ...domain.errors import (
    AuthenticationError,
    CancelledError,
    CertificateMismatchError,
    PermissionDeniedError,
    XtractError,
    described,
)
from ...domain.inventory import SourceInventory, SourceVM, TargetCluster, TargetInventory, TargetKind
from ...domain.messages import Message, msg
from ...domain.plan import (
    GuestAccess,
    Plan,
    SecretRef,
    SourceEndpoint,
    TargetEndpoint,
    TransferMode,
    VmPlan,
)
from .flow import GUEST_PLAN_FIELDS, EndpointAnswers, Finding, GuestAnswers, TargetAnswers, WizardState
from .guest_check import GuestTest, test_guest
from .trust import FingerprintPins, SessionSecrets

# Codes decided on later pages (network mapping), or asked for at Start (cold mode's power-off): the VM page does
# not hold them against a VM.
LATER_PAGE_CODES = frozenset({"network_unmapped", "subnet_missing", "ssh_host_key_not_pinned",
                              readiness.COLD_UNCONFIRMED})
__all__ = ["Backend", "FingerprintPins", "SessionSecrets", "TargetFacts", "UntrustedElementCertificate",
           "describe_error"]


def as_finding(f: object) -> Finding:
    """Adapts the domain's finding (whatever its severity type) to the GUI's plain one."""
    sev = getattr(f, "severity", "INFO")
    sev_name = str(getattr(sev, "name", sev)).upper()
    return Finding(code=str(getattr(f, "code", "")), severity=sev_name, message=getattr(f, "message", ""),
                   fix=getattr(f, "fix", ""), vm_id=str(getattr(f, "vm_id", "") or ""),
                   section=str(getattr(f, "section", "") or ""))


@dataclass
class TargetFacts:
    """What connecting to Prism tells the wizard."""

    inventory: TargetInventory
    platform: Any = field(repr=False, default=None)
    element_fingerprints: dict[str, str] = field(default_factory=dict)  # Prism Central: the elements it reached


class UntrustedElementCertificate(CertificateMismatchError):
    """Prism Central connected, but the Prism Element it reads a cluster's containers from presents a
    certificate that is not pinned (``expected`` empty: ask the user) or not the pinned one."""

    def __init__(self, exc: CertificateMismatchError, cluster: TargetCluster, port: int) -> None:
        super().__init__(exc.message, expected=exc.expected, actual=exc.actual, hint=exc.hint)
        self.detail = exc.detail
        self.address, self.port, self.cluster_name = cluster.external_ip, port, cluster.name


def _wiring() -> Any:
    from ... import wiring

    return wiring


class Backend:
    """Synchronous service calls; one instance per window.  Holds the open source/target connections."""

    def __init__(self, secrets: SessionSecrets, *, state_dir: Path | None = None,
                 wiring: Any | None = None, manager_options: dict[str, Any] | None = None) -> None:
        self.secrets = secrets
        self.state_dir = state_dir
        self._wiring = wiring
        self.manager_options = dict(manager_options or {})  # e.g. the demo's faster sync tuning
        self.pins = FingerprintPins((state_dir or paths.data_dir()) / "trusted-certificates.json")
        self.source_platform: Any = None
        self.target_platform: Any = None
        self.source_inventory: SourceInventory | None = None
        self.target_inventory: TargetInventory | None = None
        self.keyring_warning = ""  # why the last password could not be saved in the keyring

    @property
    def wiring(self) -> Any:
        if self._wiring is None:
            self._wiring = _wiring()
        return self._wiring

    # -- source ------------------------------------------------------------------------------------
    def probe_source(self, ep: EndpointAnswers) -> str:
        if ep.protocol != "https":
            return ""
        return str(self.wiring.probe_source_certificate(ep.host.strip(), ep.port))

    def connect_source(self, ep: EndpointAnswers, cancel: threading.Event | None = None) -> SourceInventory:
        endpoint = SourceEndpoint(host=ep.host.strip(), user=ep.user.strip(), password=ep.secret_ref(), port=ep.port,
                                  fingerprint=ep.fingerprint, protocol=ep.protocol)
        platform = self.wiring.connect_source(endpoint, ep.password)
        try:
            inventory = platform.inventory()
            _not_cancelled(cancel)
        except BaseException:
            with contextlib.suppress(XtractError):
                platform.close()
            raise
        self._swap("source_platform", platform)
        self.source_inventory = inventory
        self.keyring_warning = self.secrets.remember(ep.secret_ref(), ep.password, persist=ep.remember)
        if ep.protocol == "https" and ep.fingerprint:
            self.pins.pin(ep.host.strip(), ep.port, ep.fingerprint)
        return inventory

    # -- target ------------------------------------------------------------------------------------
    def probe_target(self, ep: EndpointAnswers) -> str:
        if ep.protocol != "https":
            return ""
        return str(self.wiring.probe_target_certificate(ep.host.strip(), ep.port))

    def refresh_inventory(self) -> SourceInventory | None:
        """The source inventory read again on the open connection (a new migration must not trust an old one:
        VMs cut over since are off now); None when nothing is connected."""
        if self.source_platform is None:
            return None
        self.source_inventory = self.source_platform.inventory()
        if self.target_platform is not None and self.target_inventory is not None:
            names = frozenset(v.name for v in self.target_platform.vms())
            self.target_inventory = replace(self.target_inventory, vm_names=names)
        return self.source_inventory

    def connect_target(self, ep: TargetAnswers, cancel: threading.Event | None = None) -> TargetFacts:
        """Connect and read the inventory.  Through Prism Central, a cluster's Prism Element whose certificate
        this computer trusted before (the pin store) is pinned again without asking; one never seen raises
        ``UntrustedElementCertificate`` for the page to offer, like the first certificate.

        One login to Prism Central whatever the number of clusters: the adapter looks an element's pin up by
        address only when it reaches that element, so every pin this computer holds for the element port is
        handed over up front (pins of other hosts are never used, and only this Prism Central's elements go
        into the plan).  The page's own answers win over the store's."""
        pins = dict(ep.element_fingerprints)
        if ep.protocol == "https":
            pins = {**self.pins.on_port(ep.element_port or ep.port), **pins}
        return self._connect_target(ep, pins, cancel)

    def _connect_target(self, ep: TargetAnswers, element_pins: dict[str, str],
                        cancel: threading.Event | None = None) -> TargetFacts:
        element_port = ep.element_port or ep.port
        platform = self.wiring.connect_target(host=ep.host.strip(), port=ep.port, user=ep.user.strip(),
                                              password=ep.password, protocol=ep.protocol, fingerprint=ep.fingerprint,
                                              element_port=ep.element_port or None,
                                              element_fingerprints=dict(element_pins))
        try:
            clusters = tuple(platform.clusters())
            containers = tuple(c for cl in clusters for c in self._containers(platform, cl, element_port))
            subnets = tuple(s for cl in clusters for s in platform.subnets(cl.uuid))
            names = frozenset(v.name for v in platform.vms())
            _not_cancelled(cancel)
        except BaseException:
            with contextlib.suppress(XtractError):
                platform.close()
            raise
        inventory = TargetInventory(kind=platform.kind, version=platform.version, clusters=clusters,
                                    containers=containers, subnets=subnets, vm_names=names)
        self._swap("target_platform", platform)
        self.target_inventory = inventory
        self.keyring_warning = self.secrets.remember(ep.secret_ref(), ep.password, persist=ep.remember)
        if ep.protocol == "https" and ep.fingerprint:
            self.pins.pin(ep.host.strip(), ep.port, ep.fingerprint)
        used: dict[str, str] = {}
        if platform.kind is TargetKind.PRISM_CENTRAL and ep.protocol == "https":
            # Only the elements of this Prism Central's clusters go into the plan (not pins of another one).
            used = {cl.external_ip: element_pins[cl.external_ip] for cl in clusters if cl.external_ip in element_pins}
            for address, fingerprint in used.items():
                self.pins.pin(address, element_port, fingerprint)
        return TargetFacts(inventory=inventory, platform=platform, element_fingerprints=used)

    @staticmethod
    def _containers(platform: Any, cluster: TargetCluster, element_port: int) -> list[Any]:
        try:
            return list(platform.containers(cluster.uuid))
        except CertificateMismatchError as exc:
            if platform.kind is not TargetKind.PRISM_CENTRAL:
                raise
            raise UntrustedElementCertificate(exc, cluster, element_port) from None

    def check_mode(self, t: TargetAnswers, timeout: float = 5.0) -> tuple[bool, Message]:
        """Warm needs the cluster's NFS service from this laptop — checked for real (portmapper, MOUNT of the
        container, NFS); cold needs only Prism's HTTPS."""
        if t.transfer_mode is TransferMode.COLD:
            return (True, msg("wizard.mode.cold_ok", "Cold mode needs only Prism's HTTPS, which answers.")) \
                if t.connected else (False, msg("wizard.mode.connect_first", "Connect to Prism first."))
        if t.nfs_host.startswith("local:"):  # the lab writes straight into the simulator's container folder
            folder = Path(t.nfs_host[len("local:"):])
            if folder.is_dir():
                return True, msg("wizard.mode.lab_ok", "The demo lab's container folder is there.")
            return False, msg("wizard.mode.lab_missing", "The lab container folder {folder} is missing.",
                              folder=str(folder))
        cluster = next((c for c in t.clusters if c.uuid == t.cluster_uuid), None)
        container = t.container()
        host = t.nfs_host or (cluster.external_ip if cluster else "") or t.host.strip()
        probe = self.wiring.probe_nfs(host, container.name if container else "", nfs_port=t.nfs_port,
                                      mount_port=t.nfs_mount_port, timeout=timeout)
        return probe.ok, probe.message

    # -- readiness -----------------------------------------------------------------------------------
    def provisional_plan(self, state: WizardState, vms: list[SourceVM]) -> Plan:
        """A plan good enough for readiness before the later pages are filled (not validated)."""
        vm_plans = []
        for vm in vms:
            g = state.guest(vm.vm_id)  # per-OS defaults for a VM nobody chose for yet
            fields = {name: getattr(g, name) for name in GUEST_PLAN_FIELDS}
            vm_plans.append(VmPlan(vm.vm_id, vm.name, guest=GuestAccess(
                **{**fields, "user": g.user or "?"}, password=SecretRef("xtract-gui", "?"))))
        placeholder = SecretRef("xtract-gui", "?")
        return Plan(
            name=state.plan_name,
            source=SourceEndpoint(state.source.host or "?", state.source.user or "?", placeholder),
            target=TargetEndpoint(state.target.host or "?", state.target.user or "?", placeholder,
                                  state.target.cluster_uuid, state.target.container_uuid),
            vms=tuple(vm_plans), network_map=dict(state.network_map), transfer_mode=state.target.transfer_mode,
            options=state.options)

    def check_vm(self, state: WizardState, vm: SourceVM) -> list[Finding]:
        """Per-VM readiness as the VM page shows it (network mapping is judged on its own page)."""
        target = self.target_inventory or _target_inventory_of(state.target)
        plan = self.provisional_plan(state, [vm])
        found = readiness.check_vm(vm, plan, target)
        return [as_finding(f) for f in found if f.code not in LATER_PAGE_CODES]

    def check_plan(self, plan: Plan) -> dict[str, list[Finding]]:
        if self.source_inventory is None or self.target_inventory is None:
            return {}
        found = readiness.check_plan(plan, self.source_inventory, self.target_inventory)
        return {k: [as_finding(f) for f in v] for k, v in found.items()}

    # -- guests --------------------------------------------------------------------------------------
    def test_guest(self, vm: SourceVM, g: GuestAnswers, cancel: threading.Event | None = None) -> GuestTest:
        """The admin check for the VM's OS family over the chosen channel (SSH: the host key first)."""
        about = self.source_inventory.about if self.source_inventory is not None else ""
        return test_guest(self.wiring, self.source_platform, vm, g, cancel, about=about)

    def remember_guest_password(self, vm_name: str, g: GuestAnswers, *, persist: bool = True) -> str:
        """Guest passwords and SSH keys go to the keyring (never the plan); ``persist=False`` keeps them in memory
        only.  Returns why the keyring refused one ("" when all were kept)."""
        why = ""
        ref, key = g.secret_ref(vm_name), g.key_ref(vm_name)
        if ref is not None and g.password:
            why = self.secrets.remember(ref, g.password, persist=persist)
        if key is not None and g.ssh_key:
            why = self.secrets.remember(key, g.ssh_key, persist=persist) or why
        return why

    def persist_guest_passwords(self, state: WizardState) -> list[str]:
        """Write every selected VM's guest password to the keyring (before a plan that names them starts)."""
        problems = [self.remember_guest_password(vm.name, state.guest(vm.vm_id)) for vm in state.selected_vms()]
        return sorted({p for p in problems if p})

    def sync_seconds(self) -> float | None:
        """The sync interval the engine will really use when it is not the plan's (the demo's seconds)."""
        tuning = self.manager_options.get("tuning")
        value = getattr(tuning, "sync_interval_seconds", None)
        return float(value) if value is not None else None

    # -- engine --------------------------------------------------------------------------------------
    def build_manager(self) -> Any:
        # The jobs it drives are locked for it; a CLI on the same data folder is told who holds them.
        options = {"owner": "the xtract-gui wizard", **self.manager_options}
        # The app runs the engine in a process of its own (enginehost: the GUI thread never shares a GIL with
        # it); tests and the screenshots' preview wiring may keep it in this one.
        if options.pop("engine_process", False) and hasattr(self.wiring, "start_engine_process"):
            return self.wiring.start_engine_process(secrets=self.secrets, state_dir=self.state_dir, **options)
        return self.wiring.build_manager(secrets=self.secrets, state_dir=self.state_dir, **options)

    @staticmethod
    def follow_lab(manager: Any, lab: Any) -> list[str]:
        """Plans the demo lab made in an earlier run, pointed at where the lab runs now (a port it had may be
        taken, its guests' certificates renewed), so that their jobs resume; returns the plans changed."""
        changed = []
        for plan_id in manager.plan_ids():
            try:
                plan = manager.plan(plan_id)
            except (KeyError, XtractError):
                continue
            current = lab.current_plan(plan)
            if current != plan:
                manager.update_plan(plan_id, current)
                changed.append(plan_id)
        return changed

    def close(self) -> None:
        for attr in ("source_platform", "target_platform"):
            self._swap(attr, None)

    def _swap(self, attr: str, new: Any) -> None:
        old = getattr(self, attr)
        setattr(self, attr, new)
        if old is not None and old is not new:
            # A connection that is already broken is as closed as it gets.
            with contextlib.suppress(XtractError):
                old.close()


def _target_inventory_of(t: TargetAnswers) -> TargetInventory:
    return TargetInventory(kind=t.kind or TargetKind.PRISM_ELEMENT, version=t.version, clusters=t.clusters,
                           containers=t.containers, subnets=t.subnets)


def describe_error(exc: BaseException) -> tuple[str, Message]:
    """(field, message) for an exception raised while connecting: which input it concerns, in plain words."""
    # A refused account points at the password field; everything else (address, certificate) at the host.
    return ("password" if isinstance(exc, AuthenticationError | PermissionDeniedError) else "host"), described(exc)


def _not_cancelled(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError(msg("wizard.connect_cancelled", "The connection was cancelled."))
