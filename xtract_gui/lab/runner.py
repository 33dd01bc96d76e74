"""The embedded lab: a vSphere source, a Prism Element simulator and Windows guests, wired together,
plus a ready plan for every lab VM and a dict-backed ``SecretStore`` with the lab passwords.

A source VM with UEFI Secure Boot needs a Q35 VM on AHV, which only Prism Central can create: then (or with
``target="pc"``) a Prism Central simulator fronts the Prism Element's cluster and the plan targets it.

The source is the in-process Python stand-in (works in the frozen app: no Go, no root) or govmomi's
simulator from a source checkout.  Disks reach the Prism simulator's container directory through
the local container writer (``nfs_host: "local:<dir>"``), the lab's stand-in for NFS.  When Prism
powers a migrated VM on, the matching Windows guest simulator "boots on AHV" and runs its first-boot
task, so the engine can read the first-boot result as it would from a real guest.

A lab started again in the same folder comes back as it was (issue 15.3: the demo reopened after "Pause all and
quit" or a crash resumes its jobs): the Prism state and the source are on disk, the servers take the ports they
had (``lab-endpoints.json``), the Windows guests their certificates and what guest preparation left in them
(``guests/``).  Should a port be taken meanwhile, ``current_plan`` maps a plan the lab made to where the lab is now.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.errors import ConfigurationError
from ..domain.plan import (
    GuestAccess,
    GuestChannelKind,
    Plan,
    PlanOptions,
    SecretRef,
    ShutdownPolicy,
    SourceEndpoint,
    TargetEndpoint,
    VmPlan,
)
from ..wiring import DictSecrets
from .guest.persist import GuestSaver
from .guest.persist import load as load_guest
from .prism.simulator import PrismSimulator
from .prism.state import ClusterSeed, ContainerSeed, SubnetSeed
from .source import LabSource

SERVICE = "xtract-gui-lab"
PRISM_USER, PRISM_PASSWORD = "admin", "Nutanix/4u"
GUEST_USER, GUEST_PASSWORD = "Administrator", "Passw0rd!"
SOURCE_USER, SOURCE_PASSWORD = "administrator@vsphere.local", "lab-source"
CONTAINER = "default-container"


def lab_secrets() -> DictSecrets:
    """The lab's fixed passwords in a dict ``SecretStore`` (the engine never writes them to disk), for a CLI
    that runs a lab plan (``xtract-gui lab serve``)."""
    return DictSecrets({(SERVICE, f"{SOURCE_USER}@lab"): SOURCE_PASSWORD,
                       (SERVICE, f"{PRISM_USER}@prism"): PRISM_PASSWORD,
                       (SERVICE, f"{GUEST_USER}@guests"): GUEST_PASSWORD})


def is_lab_plan(plan: Plan) -> bool:
    """A plan made by the lab: some of its references name the lab's fixed passwords."""
    refs = [plan.source.password, plan.target.password, *(v.guest.password for v in plan.vms)]
    return any(r is not None and r.service == SERVICE for r in refs)


@dataclass
class LabEndpoints:
    state_dir: Path
    source: SourceEndpoint
    prism_url: str
    prism_host: str
    prism_port: int
    containers_dir: Path
    guests: dict[str, dict[str, Any]]  # vm_id -> url, port, fingerprint, user
    plan: Plan
    secrets: DictSecrets
    passwords: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """What ``xtract-gui lab serve`` prints: lab endpoints and their (lab-only) passwords."""
        return json.dumps({
            "state_dir": str(self.state_dir), "source": {"protocol": self.source.protocol, "host": self.source.host,
                                                         "port": self.source.port, "user": self.source.user},
            "prism": {"url": self.prism_url, "user": PRISM_USER}, "containers_dir": str(self.containers_dir),
            "guests": self.guests, "passwords": self.passwords,
            "secrets": [{"service": s, "user": u} for s, u in self.secrets.values],
        }, indent=2)


class Lab:
    """``with Lab(dir) as lab: endpoints = lab.endpoints`` — or ``start()``/``stop()``."""

    def __init__(self, state_dir: Path, *, vms: int = 4, source: str = "python",
                 guest_os_mix: tuple[str, ...] = ("windows", "linux"), workload: bool = True,
                 winrm_https: bool = True, target: str = "auto", boot: str = "",
                 families: tuple[str, ...] = ()) -> None:
        if source not in ("python", "vcsim"):
            raise ConfigurationError(f"Unknown lab source {source!r}.", hint="Use 'python' or 'vcsim'.")
        if target not in ("auto", "pe", "pc"):
            raise ConfigurationError(f"Unknown lab target {target!r}.", hint="Use 'pe', 'pc' or 'auto'.")
        if boot not in ("", "qemu") or (boot and source != "python"):
            raise ConfigurationError(f"Unknown lab boot mode {boot!r} with source {source!r}.",
                                     hint="Use '--boot qemu' with the built-in lab source.")
        self.target = target
        # --boot qemu (lab/qemu): real Linux guests, one per image family, instead of the simulated VMs.
        self.boot, self.families = boot, families or (("debian",) if boot else ())
        self.real: Any = None
        self.state_dir = Path(state_dir).resolve()
        self.vms, self.source_kind, self.mix = vms, source, guest_os_mix
        self.workload, self.winrm_https = workload, winrm_https
        self.source: LabSource | None = None
        self.prism: PrismSimulator | None = None  # what the plan targets: the Prism Element, or Prism Central
        self.element: PrismSimulator | None = None  # the cluster's Prism Element when Prism Central fronts it
        self.winrm: Any = None
        self.guests: dict[str, Any] = {}  # vm_id -> WindowsGuest
        self._by_mac: dict[str, Any] = {}
        self.endpoints: LabEndpoints | None = None
        self.vcsim: Any = None
        self.vsphere: Any = None
        self._saver: GuestSaver | None = None
        self._ports_file = self.state_dir / "lab-endpoints.json"
        self._ports: dict[str, Any] = {}

    def __enter__(self) -> Lab:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LabEndpoints:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._ports = json.loads(self._ports_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self._ports = {}
        if self.source_kind == "vcsim":
            self._start_vcsim()
        elif self.boot:
            from .qemu.lab import real_guests

            self.source = LabSource.create(self.state_dir, vms=0)
            self.real = real_guests(self.state_dir, self.families)
        else:
            self.source = LabSource.create(self.state_dir, vms=self.vms, guest_os_mix=self.mix)
        seed = ClusterSeed(containers=(ContainerSeed(CONTAINER), ContainerSeed("SelfServiceContainer")),
                           subnets=(SubnetSeed("vlan0", 0), SubnetSeed("vlan100", 100), SubnetSeed("isolated", 999)))
        self.prism = _on_port(self._ports.get("prism", 0), lambda port: PrismSimulator(
            self.state_dir / "prism", mode="pe", user=PRISM_USER, password=PRISM_PASSWORD, seed=seed, port=port,
            on_power_change=self._power_changed).start())
        secure_boot = any(vm.secure_boot for vm in self.inventory().vms)
        if self.target == "pc" or (self.target == "auto" and secure_boot):
            self.element = self.prism
            element = self.element
            self.prism = _on_port(self._ports.get("central", 0), lambda port: PrismSimulator(
                self.state_dir / "prism-central", mode="pc", user=PRISM_USER, password=PRISM_PASSWORD,
                element=element, port=port, on_power_change=self._power_changed).start())
        guests = self._start_guests()
        if self.real is not None:
            self.real.prism = self.prism
            self.real.start()
        if self.workload and self.source is not None and not self.boot:
            self.source.start_workload()
        self.endpoints = self._endpoints(guests)
        self._save_ports(guests)
        return self.endpoints

    def _save_ports(self, guests: dict[str, dict[str, Any]]) -> None:
        ports: dict[str, Any] = {"guests": {vm_id: g["port"] for vm_id, g in guests.items()}}
        if self.element is not None:
            ports.update(prism=self.element.port, central=self.prism.port if self.prism else 0)
        elif self.prism is not None:
            ports["prism"] = self.prism.port
        self._ports_file.write_text(json.dumps(ports, indent=1), encoding="utf-8")

    def current_plan(self, plan: Plan) -> Plan:
        """A plan this lab made (in this folder, or an earlier start of it), pointed at the lab as it runs now:
        Prism's address, each Windows guest's WinRM port and certificate.  Other plans come back unchanged."""
        import dataclasses

        assert self.endpoints is not None
        now = self.endpoints.plan
        if not is_lab_plan(plan) or plan.source.host != now.source.host:
            return plan
        guests = {v.vm_id: v.guest for v in now.vms}

        def guest(vm: VmPlan) -> VmPlan:
            fresh = guests.get(vm.vm_id)
            if fresh is None or vm.guest.channel is not GuestChannelKind.WINRM or fresh.channel is not \
                    GuestChannelKind.WINRM:
                return vm
            return dataclasses.replace(vm, guest=dataclasses.replace(vm.guest, winrm_host=fresh.winrm_host,
                                                                     winrm_port=fresh.winrm_port,
                                                                     fingerprint=fresh.fingerprint))

        target = dataclasses.replace(plan.target, host=now.target.host, port=now.target.port,
                                     element_port=now.target.element_port, nfs_host=now.target.nfs_host)
        return dataclasses.replace(plan, source=dataclasses.replace(plan.source, host=now.source.host,
                                                                    port=now.source.port),
                                   target=target, vms=tuple(guest(v) for v in plan.vms))

    def stop(self) -> None:
        if self.real is not None:
            self.real.close()
            self.real = None
        if self.source is not None:
            self.source.stop_workload()
        if self._saver is not None:
            self._saver.stop()  # what the guests hold now, for the next start in this folder
            self._saver = None
        if self.winrm is not None:
            self.winrm.close()
            self.winrm = None
        for sim in (self.prism, self.element):
            if sim is not None:
                sim.stop()
        self.prism = self.element = None
        if self.vsphere is not None:
            self.vsphere.close()
            self.vsphere = None
        if self.vcsim is not None:
            self.vcsim.stop()
            self.vcsim = None

    # -- pieces -------------------------------------------------------------------------------
    def _start_vcsim(self) -> None:
        from urllib.parse import urlsplit

        from ..source import connect_vsphere
        from .vcsim import start_vcsim  # raises VcsimUnavailable (what to install) without Go and govmomi

        # vcsim makes this many VMs per resource pool and per standalone host: two each.
        self.vcsim = start_vcsim(vms=max(1, self.vms // 2), tls=False, cbt=True, user=SOURCE_USER,
                                 password=SOURCE_PASSWORD)
        url = urlsplit(self.vcsim.url)
        self._vcsim_endpoint = SourceEndpoint(host=url.hostname or "127.0.0.1", port=url.port or 80, protocol="http",
                                              user=SOURCE_USER, password=SecretRef(SERVICE, f"{SOURCE_USER}@lab"))
        self.vsphere = connect_vsphere(self._vcsim_endpoint.host, SOURCE_USER, SOURCE_PASSWORD,
                                       port=self._vcsim_endpoint.port, protocol="http")

    def inventory(self) -> Any:
        return self.source.inventory() if self.source is not None else self.vsphere.inventory()

    def source_disk_file(self, vm_id: str, disk_key: int) -> Path:
        """The file holding a source disk's bytes: the lab disk, or vcsim's flat extent on its datastore."""
        if self.source is not None:
            return self.source.live_disk_path(vm_id, disk_key)
        backing = self.vsphere.get_vm(vm_id).disk(disk_key).backing_file  # "[LocalDS_0] vm/disk1.vmdk"
        relative = backing.split("] ", 1)[1]
        return Path(self.vcsim.datastore_dir) / relative.replace(".vmdk", "-flat.vmdk")

    def _start_guests(self) -> dict[str, dict[str, Any]]:
        windows = [vm for vm in self.inventory().vms if vm.guest_family.value == "windows"]
        if not windows:
            return {}
        from .guest import Account, Nic, WindowsGuest, WinRmLab

        self.winrm = WinRmLab()
        out = {}
        saved = {}
        ports = dict(self._ports.get("guests", {}))
        for vm in windows:
            nics = [Nic(mac=n.mac, name=f"Ethernet{i}", addresses=[f"{ip}/24" for ip in vm.guest_ips[:1]] if i == 0
                        else [], gateways=["10.10.0.1"] if i == 0 else [], dns_servers=["10.10.0.2"])
                    for i, n in enumerate(vm.nics)]
            guest = WindowsGuest(hostname=vm.name.upper()[:15], nics=nics,
                                 accounts=[Account(f".\\{GUEST_USER}", GUEST_PASSWORD, builtin_administrator=True)])
            folder = self.state_dir / "guests"
            load_guest(guest, folder / f"{vm.vm_id}.json")  # as an earlier start of this lab left it
            saved[folder / f"{vm.vm_id}.json"] = guest
            endpoint = _on_port(int(ports.get(vm.vm_id, 0)), lambda port, g=guest, v=vm.vm_id: self.winrm.add_guest(
                g, https=self.winrm_https, port=port, cert_dir=self.state_dir / "guests" / f"{v}-tls"))
            self.guests[vm.vm_id] = guest
            for n in vm.nics:
                self._by_mac[n.mac.lower()] = guest
            out[vm.vm_id] = {"url": endpoint.url, "port": endpoint.port, "fingerprint": endpoint.fingerprint,
                             "user": GUEST_USER}
        self._saver = GuestSaver(saved).start()
        return out

    def _power_changed(self, vm: dict[str, Any]) -> None:
        """Prism powered a VM on or off: the matching guest boots on AHV and runs its first-boot task."""
        if self.real is not None and self.real.power_changed(vm):
            return  # a real guest: its QEMU booted (or stopped) on AHV-like hardware
        if str(vm.get("power_state", "")).upper() != "ON" or vm.get("name", "").endswith("-xtract-test"):
            return
        macs = [str(n.get("mac_address", "")).lower() for n in vm.get("nics", [])]
        guest = next((self._by_mac[m] for m in macs if m in self._by_mac), None)
        if guest is None:
            return
        guest.set_on_target(True)
        threading.Timer(0.2, guest.complete_first_boot).start()

    def _endpoints(self, guests: dict[str, dict[str, Any]]) -> LabEndpoints:
        assert self.prism is not None
        data = self.prism.state.data
        container = next(c for c in data["containers"].values() if c["name"] == CONTAINER)
        subnets = {s["name"]: s["uuid"] for s in data["subnets"].values()}
        secrets = lab_secrets()
        source = SourceEndpoint(host=str(self.state_dir), user=SOURCE_USER, protocol="lab", port=0,
                                password=SecretRef(SERVICE, f"{SOURCE_USER}@lab")) if self.source is not None \
            else self._vcsim_endpoint
        containers_dir = self.state_dir / "prism" / "containers"
        target = TargetEndpoint(host=self.prism.host, port=self.prism.port, protocol="http", user=PRISM_USER,
                                password=SecretRef(SERVICE, f"{PRISM_USER}@prism"),
                                cluster_uuid=data["cluster"]["uuid"], container_uuid=container["uuid"],
                                nfs_host=f"local:{containers_dir}",
                                element_port=self.element.port if self.element is not None else 0)
        vms = []
        inventory = self.inventory()
        for vm in inventory.vms:
            g = guests.get(vm.vm_id)
            if self.real is not None and vm.vm_id in self.real.guests:
                from .qemu.lab import guest_access

                access, real_secrets = guest_access(self.real.guests[vm.vm_id], SERVICE)
                for (service, user), secret in real_secrets.items():
                    secrets.set(service, user, secret)
                vms.append(VmPlan(vm_id=vm.vm_id, name=vm.name, guest=access))
                continue
            access = GuestAccess(channel=GuestChannelKind.WINRM, user=GUEST_USER,
                                 password=SecretRef(SERVICE, f"{GUEST_USER}@guests"), winrm_host="127.0.0.1",
                                 winrm_port=g["port"], winrm_https=self.winrm_https, winrm_auth="ntlm",
                                 allow_http_ntlm=not self.winrm_https, fingerprint=g["fingerprint"]) if g \
                else GuestAccess(channel=GuestChannelKind.NONE)
            vms.append(VmPlan(vm_id=vm.vm_id, name=vm.name, guest=access))
        package = self.state_dir / "Nutanix-VirtIO-1.2.3-x64.msi"  # the user-supplied package, lab edition
        if not package.exists():
            package.write_bytes(b"lab stand-in for the Nutanix VirtIO MSI\n" * 64)
        plan = Plan(name=f"lab-{self.state_dir.name}", source=source, target=target, vms=tuple(vms),
                    network_map={"VM Network": subnets["vlan0"], "App Net": subnets["vlan100"],
                                 **{n: subnets["vlan100"] for n in inventory.networks if n not in ("VM Network",)}},
                    test_subnet_uuid=subnets["isolated"],
                    options=PlanOptions(sync_interval_minutes=1, shutdown_policy=ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT,
                                        shutdown_timeout_seconds=300 if self.boot else 30, max_parallel_vms=4,
                                        streams_per_disk=2,
                                        virtio_package=str(package)))
        return LabEndpoints(state_dir=self.state_dir, source=source, prism_url=self.prism.url,
                            prism_host=self.prism.host, prism_port=self.prism.port, containers_dir=containers_dir,
                            guests=guests, plan=plan, secrets=secrets,
                            passwords={"source": SOURCE_PASSWORD, "prism": PRISM_PASSWORD, "guests": GUEST_PASSWORD})


def _on_port(port: int, start: Any) -> Any:
    """``start(port)``, or ``start(0)`` (any free port) when that one is taken now (another program, or a lab of
    an earlier run that has not let go of it yet)."""
    if port:
        try:
            return start(port)
        except OSError:
            pass
    return start(0)


# -- the headless demo ----------------------------------------------------------------------------

def same_bytes(a: Path, b: Path, chunk: int = 1 << 20) -> bool:
    """Byte-exact comparison of two disk files (a shorter file counts as zeros up to the other's size)."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(chunk), fb.read(chunk)
            if not x and not y:
                return True
            if x.ljust(len(y), b"\0") != y.ljust(len(x), b"\0"):
                return False


def _digest(path: Path, capacity: int) -> str:
    from ..transfer import content_digest_of

    def pieces() -> Any:
        with open(path, "rb") as f:
            offset = 0
            while offset < capacity:
                data = f.read(min(1 << 20, capacity - offset)).ljust(min(1 << 20, capacity - offset), b"\0")
                yield offset, data
                offset += len(data)

    return content_digest_of(capacity, pieces())


def verify_disks(lab: Lab, plan: Plan, image_digests: dict[str, dict[str, str]] | None = None) -> dict[str, list[str]]:
    """Per VM, the problems found: each source disk (off, as of the final sync) against the AHV VM's own
    disk (the vmdisk the Prism simulator cloned at create), the staging file gone from the container,
    and, for a streamed image (cold mode), the content digest of what the image was made from."""
    assert lab.endpoints is not None and lab.prism is not None
    platform = lab.source if lab.source is not None else lab.vsphere
    problems: dict[str, list[str]] = {}
    for vm_plan in plan.vms:
        vm = platform.get_vm(vm_plan.vm_id)
        issues = problems.setdefault(vm.vm_id, [])
        if vm.power_state.value != "off":
            issues.append("the source is still powered on")
        if vm.snapshot_count:
            issues.append(f"{vm.snapshot_count} snapshot(s) left on the source")
        name = vm_plan.effective_target_name
        uuids = lab.prism.vm_uuids(name)
        if len(uuids) != 1:
            issues.append(f"{len(uuids)} AHV VMs named {name!r}, expected one")
        vmdisks = lab.prism.vm_disk_files(uuids[0]) if len(uuids) == 1 else []
        staged = [p for p in _staging_folders(lab, name) if any(p.iterdir())]
        if staged:
            issues.append(f"staging files still on the container: {', '.join(p.name for p in staged)}")
        for i, disk in enumerate(vm.disks):
            source = lab.source_disk_file(vm.vm_id, disk.key)
            digest = (image_digests or {}).get(vm.vm_id, {}).get(str(disk.key))
            if digest is not None and _digest(source, disk.capacity_bytes) != digest:
                issues.append(f"disk {disk.key} differs from its image")
            if i >= len(vmdisks) or not vmdisks[i].exists():
                issues.append(f"disk {disk.key} has no disk on the AHV VM")
            elif not same_bytes(source, vmdisks[i]):
                issues.append(f"disk {disk.key} differs from the AHV VM's disk")
    return problems


def _staging_folders(lab: Lab, target_name: str) -> list[Path]:
    """The staging folders of the VM called ``target_name`` on AHV: ``<readable name>-<hash>`` (or, from before
    names were unique, the name folded alone)."""
    from ..engine.naming import readable
    from ..wiring import file_safe

    assert lab.endpoints is not None
    folder = lab.endpoints.containers_dir / CONTAINER / "xtract"
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir()
            if p.is_dir() and (p.name == file_safe(target_name) or p.name.startswith(readable(target_name) + "-"))]


def clear_previous_demo(state_dir: Path) -> bool:
    """Remove what an earlier ``run_demo`` left in ``state_dir`` (its lab and its engine state); True if any.

    Only the two folders the demo makes are removed, and only when they look like the demo's, so a
    wrong ``--state-dir`` cannot cost the user other files.
    """
    import shutil

    from ..engine.store import DB_FILE

    lab, engine = state_dir / "lab", state_dir / "engine"
    ours = [d for d, marker in ((lab, lab / "prism"), (engine, engine / "data" / DB_FILE))
            if marker.exists()]
    for d in ours:
        shutil.rmtree(d)
    return bool(ours)


async def run_demo(state_dir: Path, *, vms: int, mode: Any, sink: Any, build_manager: Any,
                   sync_seconds: float = 1.0, out: Any = None, source: str = "python",
                   as_json: bool = False) -> int:
    """The whole journey on the lab, headless: seed, a delta sync, cutover, byte-exact check; 0 on success."""
    import dataclasses
    import sys

    from ..domain.states import JobState
    from ..engine.context import Tuning

    out = out or sys.stdout
    with Lab(state_dir / "lab", vms=vms, source=source) as lab:
        assert lab.endpoints is not None
        plan = dataclasses.replace(lab.endpoints.plan, transfer_mode=mode)
        manager = build_manager(secrets=lab.endpoints.secrets, state_dir=state_dir / "engine",
                                tuning=Tuning(sync_interval_seconds=sync_seconds, guest_wait_seconds=60))
        if isinstance(getattr(sink, "names", None), dict):
            sink.names.update({v.vm_id: v.name for v in plan.vms})
        manager.subscribe(sink)
        try:
            await manager.start(plan)
            ids = [v.vm_id for v in plan.vms]
            stopped = (JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED, JobState.DONE,
                       JobState.DONE_UNVERIFIED)
            snaps = await manager.wait(ids, lambda s: s.sync_count >= 1 or s.state in stopped)
            ready = [s.vm_id for s in snaps if s.ready_for_cutover]
            if ready:
                await manager.cutover(ready, requested_by="xtract-gui demo")
            snaps = await manager.wait(ids, lambda s: s.state in stopped)
            digests = {j.vm_id: j.data.get("image_digests", {}) for j in manager.store.jobs()}
        finally:
            await manager.close()
        problems = verify_disks(lab, plan, digests if plan.transfer_mode.value == "cold" else None)
        ok = True
        results = []
        for s in snaps:
            issues = problems.get(s.vm_id, [])
            if not s.state.is_done:
                issues.insert(0, f"state {s.state.value}: {s.error}")
            ok = ok and not issues
            results.append({"vm": s.name, "ok": not issues, "issues": issues,
                            "downtime_seconds": s.downtime_seconds, "guest_seen": s.state is JobState.DONE})
            good = "cut over, disks byte-exact" if plan.transfer_mode.value == "warm" else "cut over, images verified"
            if s.state is JobState.DONE_UNVERIFIED:  # the lab's Linux VMs have no guest channel: nobody saw them
                good += " (guest boot not seen: no guest channel)"
            if not as_json:
                print(f"{s.name}: {good if not issues else '; '.join(issues)}", file=out)
        if as_json:
            # One summary object as the last line, so scripts (and the installer test) can read the verdict.
            print(json.dumps({"event": "DemoFinished", "mode": plan.transfer_mode.value, "ok": ok, "vms": results}),
                  file=out, flush=True)
        else:
            print("demo: " + ("every VM cut over and verified" if ok else "FAILED"), file=out)
        return 0 if ok else 1
