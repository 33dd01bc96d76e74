"""The slow calls the wizard makes, as plain synchronous Python (no Qt).

``gui.bridge.Service`` runs each method in an executor under qasync and shows
busy/error state; tests call them directly.  Everything outside the GUI is
reached through ``xtract_gui.wiring`` (composition helpers) and the domain's
readiness rules; nothing here knows a vendor SDK.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ... import paths, resources
from ...domain import readiness
from ...domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    GuestError,
    PermissionDeniedError,
    XtractError,
)
from ...domain.guest_tasks import GuestPhase, tasks_for
from ...domain.inventory import SourceInventory, SourceVM, TargetCluster, TargetInventory, TargetKind
from ...domain.plan import (
    GuestAccess,
    GuestChannelKind,
    Plan,
    SecretRef,
    SourceEndpoint,
    TargetEndpoint,
    TransferMode,
    VmPlan,
)
from ...engine.ports import GuestTarget
from .flow import EndpointAnswers, Finding, GuestAnswers, TargetAnswers, WizardState

# Codes decided on later pages (network mapping); the VM page does not hold them against a VM.
LATER_PAGE_CODES = frozenset({"network_unmapped", "subnet_missing"})


def as_finding(f: object) -> Finding:
    """Adapts the domain's finding (whatever its severity type) to the GUI's plain one."""
    sev = getattr(f, "severity", "INFO")
    sev_name = str(getattr(sev, "name", sev)).upper()
    return Finding(code=str(getattr(f, "code", "")), severity=sev_name, message=str(getattr(f, "message", "")),
                   fix=str(getattr(f, "fix", "")), vm_id=str(getattr(f, "vm_id", "") or ""))


class SessionSecrets:
    """A SecretStore: the OS keyring, with passwords the user chose not to remember kept in memory only."""

    def __init__(self, keyring: Any | None) -> None:
        self.keyring = keyring  # the backing SecretStore: the OS keyring, or the lab's dict in demo mode
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get(self, service: str, username: str) -> str | None:
        with self._lock:
            if (service, username) in self._memory:
                return self._memory[(service, username)]
        return self.keyring.get(service, username) if self.keyring is not None else None

    def set(self, service: str, username: str, secret: str) -> None:
        self.remember(SecretRef(service, username), secret, persist=True)

    def delete(self, service: str, username: str) -> None:
        with self._lock:
            self._memory.pop((service, username), None)
        if self.keyring is not None:
            self.keyring.delete(service, username)

    def remember(self, ref: SecretRef, secret: str, *, persist: bool) -> str:
        """Keep ``secret`` for this session and, with ``persist``, in the keyring.  Returns why the keyring
        refused it ("" when stored): the session still works, but a restart will ask for it again."""
        with self._lock:
            self._memory[(ref.service, ref.username)] = secret
        if persist and self.keyring is not None:
            try:
                self.keyring.set(ref.service, ref.username, secret)
            except XtractError as exc:
                return str(exc)
        return ""

    def known_secrets(self) -> list[str]:
        """Every password typed in this session, for scrubbing crash reports."""
        with self._lock:
            return list(self._memory.values())


class FingerprintPins:
    """Certificates the user trusted, per host:port (trust on first use, pinned from then on)."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, host: str, port: int) -> str:
        return self._load().get(f"{host}:{port}", "")

    def on_port(self, port: int) -> dict[str, str]:
        """Every host trusted on ``port``, host -> fingerprint (one file read, whatever the number of hosts)."""
        out = {}
        for key, fingerprint in self._load().items():
            host, _, key_port = key.rpartition(":")  # rpartition: an IPv6 host has colons of its own
            if host and key_port == str(port):
                out[host] = fingerprint
        return out

    def pin(self, host: str, port: int, fingerprint: str) -> None:
        data = self._load()
        data[f"{host}:{port}"] = fingerprint
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._path.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")


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

    def connect_source(self, ep: EndpointAnswers) -> SourceInventory:
        endpoint = SourceEndpoint(host=ep.host.strip(), user=ep.user.strip(), password=ep.secret_ref(), port=ep.port,
                                  fingerprint=ep.fingerprint, protocol=ep.protocol)
        platform = self.wiring.connect_source(endpoint, ep.password)
        inventory = platform.inventory()
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

    def connect_target(self, ep: TargetAnswers) -> TargetFacts:
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
        return self._connect_target(ep, pins)

    def _connect_target(self, ep: TargetAnswers, element_pins: dict[str, str]) -> TargetFacts:
        element_port = ep.element_port or ep.port
        platform = self.wiring.connect_target(host=ep.host.strip(), port=ep.port, user=ep.user.strip(),
                                              password=ep.password, protocol=ep.protocol, fingerprint=ep.fingerprint,
                                              element_port=ep.element_port or None,
                                              element_fingerprints=dict(element_pins))
        try:
            clusters = tuple(platform.clusters())
            containers = tuple(c for cl in clusters for c in self._containers(platform, cl, element_port))
            subnets = tuple(s for cl in clusters for s in platform.subnets(cl.uuid))
        except BaseException:
            with contextlib.suppress(XtractError):
                platform.close()
            raise
        names = frozenset(v.name for v in platform.vms())
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

    def check_mode(self, t: TargetAnswers, timeout: float = 3.0) -> tuple[bool, str]:
        """Warm needs the cluster's NFS service reachable from this laptop; cold needs only Prism's HTTPS."""
        if t.transfer_mode is TransferMode.COLD:
            return (True, "") if t.connected else (False, "Connect to Prism first.")
        if t.nfs_host.startswith("local:"):  # the lab writes straight into the simulator's container folder
            folder = Path(t.nfs_host[len("local:"):])
            return (True, "") if folder.is_dir() else (False, f"The lab container folder {folder} is missing.")
        cluster = next((c for c in t.clusters if c.uuid == t.cluster_uuid), None)
        host = t.nfs_host or (cluster.external_ip if cluster else "") or t.host.strip()
        ports = [t.nfs_port] if t.nfs_port else [2049, 111]
        for port in ports:
            try:
                with socket.create_connection((host, port), timeout=timeout):
                    return True, ""
            except OSError:
                continue
        return False, (f"NFS on {host} (port {'/'.join(map(str, ports))}) cannot be reached from this computer. "
                       "Open TCP 2049 and 111 to the cluster's virtual IP, or choose cold mode (HTTPS only).")

    # -- readiness -----------------------------------------------------------------------------------
    def provisional_plan(self, state: WizardState, vms: list[SourceVM]) -> Plan:
        """A plan good enough for readiness before the later pages are filled (not validated)."""
        vm_plans = []
        for vm in vms:
            g = state.guests.get(vm.vm_id) or GuestAnswers()
            vm_plans.append(VmPlan(vm.vm_id, vm.name, guest=GuestAccess(
                channel=g.channel, user=g.user or "?", password=SecretRef("xtract-gui", "?"))))
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
    def test_guest(self, vm: SourceVM, g: GuestAnswers, cancel: threading.Event | None = None) -> tuple[bool, str]:
        """Run the admin check for the VM's OS family over the chosen channel; (ok, what it said)."""
        if g.channel is GuestChannelKind.NONE:
            return True, "Guest preparation is off for this VM."
        try:
            tasks = resources.load_manifest()
        except OSError as exc:
            raise GuestError(f"The guest task list cannot be read ({exc.strerror}).",
                             hint="Reinstall xtract-gui: its resources folder is incomplete.") from exc
        prep = tasks_for(tasks, vm.guest_family, GuestPhase.PREP)
        admin = next((t for t in prep if t.id.endswith(("check_admin", "check_root"))), prep[0] if prep else None)
        if admin is None:
            return False, f"No guest tasks exist for {vm.guest_family.value} guests."
        # The same loader as the engine: a task script runs only with its OS prelude in front of it.
        script = resources.load_script(admin.script)
        factory = self.wiring.guest_channel_factory(
            si_provider=self.wiring.service_instance_provider(self.source_platform))
        if factory is None:
            raise GuestError("Guest channels are not available in this build.", hint="Reinstall xtract-gui.")
        if g.channel is GuestChannelKind.WINRM:
            host = g.winrm_host or (vm.guest_ips[0] if vm.guest_ips else "")
            if not host:
                return False, "No IP address is known for this VM; WinRM cannot reach it. Use VMware Tools."
        else:
            host = vm.vm_id
        channel = factory.open(GuestTarget(vm_id=vm.vm_id, os_family=vm.guest_family.value, channel=g.channel.value,
                                           host=host, user=g.user, password=g.password, port=g.winrm_port,
                                           https=g.winrm_https, allow_http_ntlm=g.allow_http_ntlm,
                                           fingerprint=g.fingerprint, auth=g.winrm_auth))
        try:
            result = channel.run_task(admin, script, {}, timeout=float(admin.timeout_seconds), cancel=cancel)
        finally:
            channel.close()
        said = str(result.result.get("message") or result.result.get("detail") or result.stderr.strip()
                   or ("The account has administrator rights." if result.ok else "The admin check failed."))
        return result.ok, said

    def remember_guest_password(self, vm_name: str, g: GuestAnswers, *, persist: bool = True) -> str:
        """Guest passwords go to the keyring (never the plan); ``persist=False`` keeps them in memory only."""
        ref = g.secret_ref(vm_name)
        if ref is not None and g.password:
            return self.secrets.remember(ref, g.password, persist=persist)
        return ""

    def persist_guest_passwords(self, state: WizardState) -> list[str]:
        """Write every selected VM's guest password to the keyring (before a plan that names them starts)."""
        problems = [self.remember_guest_password(vm.name, state.guest(vm.vm_id)) for vm in state.selected_vms()]
        return sorted({p for p in problems if p})

    # -- engine --------------------------------------------------------------------------------------
    def build_manager(self) -> Any:
        # The jobs it drives are locked for it; a CLI on the same data folder is told who holds them.
        options = {"owner": "the xtract-gui wizard", **self.manager_options}
        return self.wiring.build_manager(secrets=self.secrets, state_dir=self.state_dir, **options)

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


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(field, message) for an exception raised while connecting: which input it concerns, in plain words."""
    text = str(exc) if isinstance(exc, XtractError) else f"Unexpected error: {type(exc).__name__}: {exc}"
    # A refused account points at the password field; everything else (address, certificate) at the host.
    return ("password" if isinstance(exc, AuthenticationError | PermissionDeniedError) else "host"), text


