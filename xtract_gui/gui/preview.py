"""A scripted stand-in for ``wiring`` and the JobManager facade, for screenshots and GUI-only tests.

It moves no data and makes no decisions: it replays a believable sequence of
engine events so the look of every page and of the job monitor can be reviewed
without a lab.  Demo mode and the end-to-end GUI test use the real engine on
the real lab (``xtract_gui.lab.runner.Lab``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..domain.errors import AuthenticationError, ConnectionFailedError
from ..domain.inventory import (
    ControllerType,
    Firmware,
    OsFamily,
    PowerState,
    SourceDisk,
    SourceInventory,
    SourceNic,
    SourceVM,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetKind,
    ToolsStatus,
)
from ..domain.messages import msg, took
from ..domain.plan import Plan
from ..domain.states import JobState
from ..engine.events import Event, JobStateChanged, LogLine, Progress, StepChanged, StepState, SyncSummary
from ..engine.ports import ScriptResult
from .monitor.jobs_model import JobRow

GIB = 2**30
FINGERPRINT = "3A:91:5C:0E:77:B2:14:D8:9F:60:AA:21:C3:4B:E8:05:71:9D:2F:C6:58:0B:E4:13:6A:8C:D2:39:F1:47:BE:90"
PASSWORD = "preview-secret"

# The titles the engine reports (resources/manifest.json and the engine's own steps).
WINDOWS_STEPS = ("Checking admin permissions", "Checking Windows Installer version", "Adding sha1 certificate",
                 "Adding sha2 certificate", "Loading user profile", "Installing VirtIO drivers",
                 "Setting SAN policy to OnlineAll", "Retaining IP addresses", "Installing the first-boot task")
LINUX_STEPS = ("Checking root permissions", "Adding VirtIO drivers to the initramfs", "Mounting file systems by UUID",
               "Retaining IP addresses", "Installing the first-boot task")


def _vm(i: int, name: str, family: OsFamily, os_name: str, disks_gib: Sequence[int], nets: Sequence[str],
        power: PowerState = PowerState.ON, snapshots: int = 0, folder: str = "/DC0/vm/apps") -> SourceVM:
    disks = tuple(SourceDisk(2000 + k, f"Hard disk {k + 1}", g * GIB, ControllerType.PVSCSI, 0, k,
                             f"[ds-01] {name}/{name}_{k}.vmdk", "ds-01") for k, g in enumerate(disks_gib))
    nics = tuple(SourceNic(4000 + k, f"00:50:56:a1:{i:02x}:{k:02x}", n, "vmxnet3") for k, n in enumerate(nets))
    return SourceVM(vm_id=f"vm-{100 + i}", name=name, uuid=f"4211-{i:04d}", instance_uuid=f"5011-{i:04d}",
                    guest_id="windows2019srv_64Guest" if family is OsFamily.WINDOWS else "rhel8_64Guest",
                    guest_family=family, guest_full_name=os_name, firmware=Firmware.EFI, secure_boot=False,
                    num_cpu=4, cores_per_socket=2, memory_mib=8192, hardware_version=14,
                    tools_status=ToolsStatus.RUNNING, power_state=power, snapshot_count=snapshots, cbt_enabled=True,
                    disks=disks, nics=nics, folder=folder, datacenter="DC0", cluster="Prod-01",
                    host="esx-01.example.local", guest_ips=(f"10.20.0.{10 + i}",), guest_operations_ready=True)


SOURCE = SourceInventory(
    about="VMware vCenter Server 7.0.3 build-21477706", api_version="7.0.3.0", datacenters=("DC0",),
    clusters=("Prod-01",), networks=("VM Network", "App-VLAN20", "DB-VLAN30"),
    vms=(
        _vm(1, "web-01", OsFamily.WINDOWS, "Microsoft Windows Server 2019 (64-bit)", (60,), ("App-VLAN20",)),
        _vm(2, "web-02", OsFamily.WINDOWS, "Microsoft Windows Server 2019 (64-bit)", (60,), ("App-VLAN20",)),
        _vm(3, "sql-01", OsFamily.WINDOWS, "Microsoft Windows Server 2022 (64-bit)", (80, 200),
            ("DB-VLAN30", "VM Network"), folder="/DC0/vm/db"),
        _vm(4, "app-rhel-01", OsFamily.LINUX, "Red Hat Enterprise Linux 8 (64-bit)", (40, 100), ("App-VLAN20",)),
        _vm(5, "legacy-ftp", OsFamily.LINUX, "CentOS 7 (64-bit)", (20,), ("VM Network",), snapshots=2),
        _vm(6, "build-agent", OsFamily.LINUX, "Ubuntu Linux (64-bit)", (50,), ("VM Network",), power=PowerState.OFF),
    ))
CLUSTER = TargetCluster("0005f1c2-aa01", "AHV-Prod", "6.5.5", "127.0.0.1")
CONTAINERS = (StorageContainer("ctr-1", "default-container", CLUSTER.uuid, 20 * 2**40, 12 * 2**40),
              StorageContainer("ctr-2", "migration", CLUSTER.uuid, 4 * 2**40, 3 * 2**40))
SUBNETS = (Subnet("sn-20", "App-VLAN20", CLUSTER.uuid, 20), Subnet("sn-30", "DB-VLAN30", CLUSTER.uuid, 30),
           Subnet("sn-1", "VM Network", CLUSTER.uuid, 0), Subnet("sn-99", "isolated-test", CLUSTER.uuid, 999))


class _Source:
    fingerprint = FINGERPRINT

    def inventory(self) -> SourceInventory:
        return SOURCE

    def close(self) -> None:
        pass


class _Target:
    kind, version, fingerprint = TargetKind.PRISM_ELEMENT, "6.5.5", FINGERPRINT

    def clusters(self) -> list[TargetCluster]:
        return [CLUSTER]

    def containers(self, cluster_uuid: str) -> list[StorageContainer]:
        return list(CONTAINERS)

    def subnets(self, cluster_uuid: str) -> list[Subnet]:
        return list(SUBNETS)

    def vms(self) -> list[Any]:
        return []

    def close(self) -> None:
        pass


class _Guests:
    def open(self, target: Any) -> _Guests:
        self.target = target
        return self

    def run_task(self, task: Any, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Any = None) -> ScriptResult:
        if self.target.password != PASSWORD and not self.target.private_key:
            return ScriptResult(1, "", "", {"ok": False, "message": "Logon failure: unknown user name or bad "
                                            "password. Check the account and its password."})
        return ScriptResult(0, "", "", {"ok": True, "message": f"{self.target.user} is a member of "
                                        "Administrators (S-1-5-32-544) with a full token."})

    def close(self) -> None:
        pass


class PreviewWiring:
    """Same function names as ``xtract_gui.wiring``."""

    def __init__(self, manager_factory: Callable[[], Any] | None = None) -> None:
        self.manager_factory = manager_factory or PreviewManager

    def probe_source_certificate(self, host: str, port: int) -> str:
        if host.startswith("unreachable"):
            raise ConnectionFailedError(f"Cannot reach {host}:{port} (connection refused).",
                                        hint="Check the address and that port 443 is open from this computer.")
        return FINGERPRINT

    probe_target_certificate = probe_source_certificate

    def connect_source(self, endpoint: Any, password: str) -> _Source:
        if password != PASSWORD:
            raise AuthenticationError(f"vCenter {endpoint.host} rejected the user name or password.",
                                      hint="Check both; the account may also be locked after failed attempts.")
        return _Source()

    def connect_target(self, *, host: str, port: int, user: str, password: str, protocol: str,
                       fingerprint: str, element_port: int | None = None,
                       element_fingerprints: dict[str, str] | None = None) -> _Target:
        if password != PASSWORD:
            raise AuthenticationError(f"Prism {host} rejected the user name or password.", hint="Check both.")
        return _Target()

    def service_instance_provider(self, source: Any) -> Any:
        return lambda: None  # the preview's VMware Tools channel needs no vCenter session

    def probe_nfs(self, host: str, container: str, **_: Any) -> Any:
        from ..target.nfs.probe import NfsProbe

        if host.startswith("unreachable"):
            return NfsProbe(False, "portmapper", msg("nfs.probe.portmapper", "The portmapper of {host} (TCP {port}) "
                                                     "does not answer from this computer, so the NFS service cannot "
                                                     "be found. Open TCP 111 and 2049 from this computer to the "
                                                     "cluster's virtual IP (firewall, VPN), or choose cold mode.",
                                                     host=host, port=111))
        return NfsProbe(True, "", msg("nfs.probe.ok", "NFS on {host} answers and {export} mounts from this computer "
                                      "(portmapper, MOUNT and NFS v3 checked).", host=host, export="/" + container))

    def probe_ssh_host_key(self, host: str, port: int = 22) -> str:
        return "ssh-ed25519 SHA256:4kQ0ZpVh7cO1m2W8yJtA9fX3sR6uN5eL0bD2gH1iK3o"

    def guest_channel_factory(self, **_: Any) -> _Guests:
        return _Guests()

    def keyring_secrets(self) -> None:
        return None

    def build_manager(self, *, secrets: Any, state_dir: Any = None, **_: Any) -> Any:
        return self.manager_factory()


@dataclass
class _Job(JobRow):
    """A scripted job: the monitor's own row figures (what ``JobManager.jobs()`` snapshots carry), plus the
    task list and log the detail pane asks for."""

    steps: dict[str, StepChanged] = field(default_factory=dict)
    log: list[LogLine] = field(default_factory=list)


class PreviewManager:
    """The JobManager facade, replaying events at ``speed`` times real pace."""

    def __init__(self, speed: float = 50.0) -> None:
        self.speed = speed
        self._sinks: list[Callable[[Event], None]] = []
        self._jobs: dict[str, _Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._families: dict[str, OsFamily] = {}
        self._plans = 0
        self.plans: dict[str, Plan] = {}  # what Start handed over, by plan id
        self.bandwidth = 0.0
        self.bandwidth_set: float | None = None

    def subscribe(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        self._sinks.append(sink)
        return lambda: self._sinks.remove(sink) if sink in self._sinks else None

    def _emit(self, e: Event) -> None:
        job = self._jobs.get(getattr(e, "vm_id", ""))
        if job is not None:
            if isinstance(e, JobStateChanged):
                job.state = e.new
                job.ready_for_cutover = False
            elif isinstance(e, StepChanged):
                job.steps[e.step_id] = e
                job.step_title = e.title
            elif isinstance(e, Progress):
                job.done_bytes, job.total_bytes, job.rate_bytes_per_s, job.eta_seconds = (
                    e.done_bytes, e.total_bytes, e.rate_bytes_per_s, e.eta_seconds)
            elif isinstance(e, SyncSummary):
                job.last_sync_at, job.last_delta_bytes = e.at, e.bytes_copied
                job.projected_downtime_seconds = e.projected_downtime_seconds
                job.ready_for_cutover = job.state is JobState.SYNCING
            elif isinstance(e, LogLine):
                job.log.append(e)
        for sink in list(self._sinks):
            sink(e)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self, plan: Plan) -> str:
        self._plans += 1
        plan_id = f"preview-plan-{self._plans}"
        self.plans[plan_id] = plan
        if self.bandwidth_set is None:  # like the engine: the newest plan's limit until a person sets one
            self.bandwidth = plan.options.bandwidth_limit_mbps
        for vm in plan.vms:
            src = next((v for v in SOURCE.vms if v.vm_id == vm.vm_id), None)
            total = src.provisioned_bytes // 3 if src else 8 * GIB
            family = src.guest_family if src else OsFamily.LINUX
            self._jobs[vm.vm_id] = _Job(vm.vm_id, vm.name, total_bytes=total, plan_id=plan_id, plan_name=plan.name)
            self._families[vm.vm_id] = family
            self._spawn(self._run(vm.vm_id, family, total))
        return plan_id

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)

    def _state(self, vm_id: str, new: JobState) -> None:
        self._emit(JobStateChanged(vm_id, self._jobs[vm_id].state, new))

    def _step(self, vm_id: str, step_id: str, title: str, state: StepState, message: str = "") -> None:
        self._emit(StepChanged(vm_id, step_id, title, state, message))
        if state is not StepState.RUNNING:
            self._emit(LogLine(vm_id, "INFO", f"{title}: {state.value}. {message}".strip()))

    async def _run(self, vm_id: str, family: OsFamily, total: int) -> None:
        self._state(vm_id, JobState.VALIDATING)
        await self._sleep(1)
        self._state(vm_id, JobState.PREPARING)
        for i, title in enumerate(WINDOWS_STEPS if family is OsFamily.WINDOWS else LINUX_STEPS):
            self._step(vm_id, f"guest.{i}", title, StepState.RUNNING)
            await self._sleep(2)
            self._step(vm_id, f"guest.{i}", title, StepState.SUCCEEDED, "OK")
        self._state(vm_id, JobState.SEEDING)
        self._step(vm_id, "seed", "Seed", StepState.RUNNING)
        rate, done, t0 = 180e6, 0, time.time()
        while done < total:
            await self._sleep(1)
            done = min(total, done + int(rate * 4))
            r = rate * (0.85 + 0.3 * ((done // GIB) % 3) / 2)
            self._emit(Progress(vm_id, "seed", done, total, r, (total - done) / r))
        self._step(vm_id, "seed", "Seed", StepState.SUCCEEDED, took(time.time() - t0))  # as the engine says it
        self._state(vm_id, JobState.SYNCING)
        self._emit(SyncSummary(vm_id, 0, total, time.time() - t0, 95.0))
        self._step(vm_id, "sync.1", "Sync 1", StepState.SUCCEEDED, "312 MiB changed")
        self._emit(SyncSummary(vm_id, 1, 312 * 2**20, 3.1, 48.0))

    async def cutover(self, vm_ids: Sequence[str], *, requested_by: str) -> None:
        for vm_id in vm_ids:
            self._spawn(self._cutover(vm_id))

    async def _cutover(self, vm_id: str) -> None:
        self._state(vm_id, JobState.CUTTING_OVER)
        for i, title in enumerate(("Shutting down source", "Final sync", "Creating VM on AHV", "Powering on",
                                   "Waiting for guest", "Disconnecting the source NICs")):
            self._step(vm_id, f"cutover.{i}", title, StepState.RUNNING)
            await self._sleep(2)
            self._step(vm_id, f"cutover.{i}", title, StepState.SUCCEEDED)
        job = self._jobs[vm_id]
        job.downtime_seconds = 41.0  # what the engine measures from shutdown to guest up
        job.test_vm_uuid = job.test_vm_name = ""
        if self._families.get(vm_id) is OsFamily.WINDOWS:
            self._state(vm_id, JobState.DONE)
        else:  # the preview's Linux guests report no first boot, as a guest reached by no channel on AHV
            check = msg("cutover.check_console", "Nobody saw {vm} boot on AHV. Open its console in Prism: check that "
                        "Windows or Linux started, its disks are online and its network is configured.",
                        vm=job.name)
            job.check = check
            self._emit(JobStateChanged(vm_id, job.state, JobState.DONE_UNVERIFIED, check))

    async def resume_all(self) -> None:
        return None

    async def test_migration(self, vm_ids: Sequence[str], *, undo: bool = False) -> None:
        for vm_id in vm_ids:
            job = self._jobs[vm_id]
            step = "test.undo" if undo else "test.create"
            title = "Removing the test VM" if undo else "Creating the test VM"
            self._step(vm_id, step, title, StepState.RUNNING)
            await self._sleep(2)
            job.test_vm_uuid, job.test_vm_name = ("", "") if undo else ("test-" + vm_id, job.name + "-xtract-test")
            self._step(vm_id, step, title, StepState.SUCCEEDED)

    async def pause(self, vm_ids: Sequence[str]) -> None:
        for vm_id in vm_ids:
            self._state(vm_id, JobState.PAUSED)

    async def resume(self, vm_ids: Sequence[str]) -> None:
        for vm_id in vm_ids:
            self._state(vm_id, JobState.SYNCING)

    async def cancel(self, vm_ids: Sequence[str], *, undo_guest: bool = False) -> None:
        for vm_id in vm_ids:
            if undo_guest:
                self._step(vm_id, "undo.guest", "Undoing guest preparation", StepState.SUCCEEDED)
            self._state(vm_id, JobState.CANCELLED)

    async def retry(self, vm_ids: Sequence[str]) -> None:
        return None

    def set_bandwidth_limit(self, mbps: float) -> None:
        self.bandwidth = self.bandwidth_set = mbps

    def bandwidth_limit(self) -> float:
        return self.bandwidth

    def jobs(self) -> list[_Job]:
        return list(self._jobs.values())

    def steps(self, vm_id: str) -> list[StepChanged]:
        return list(self._jobs[vm_id].steps.values()) if vm_id in self._jobs else []

    def log_lines(self, vm_id: str, limit: int = 500) -> list[LogLine]:
        return self._jobs[vm_id].log[-limit:] if vm_id in self._jobs else []

    # Like the engine's: the answer is taken now and handed over a loop turn later, so that events emitted in
    # between reach the monitor before it (the order the monitor has to cope with).
    async def jobs_async(self) -> list[_Job]:
        snaps = [replace(j, steps=dict(j.steps), log=list(j.log)) for j in self.jobs()]
        await asyncio.sleep(0)
        return snaps

    async def steps_async(self, vm_id: str) -> list[StepChanged]:
        steps = self.steps(vm_id)
        await asyncio.sleep(0)
        return steps

    async def log_lines_async(self, vm_id: str, limit: int = 500) -> list[LogLine]:
        lines = self.log_lines(vm_id, limit)
        await asyncio.sleep(0)
        return lines

    async def report_html_async(self) -> str:
        return self.report_html()

    def report_html(self) -> str:
        rows = "".join(f"<tr><td>{j.name}</td><td>{j.state.value}</td></tr>" for j in self._jobs.values())
        return f"<html><body><h1>Migration report (preview)</h1><table>{rows}</table></body></html>"

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
