"""Stand-ins the engine tests use behind the ports: a file-backed target, a scripted guest, dict secrets.

The source is the real lab source (``xtract_gui.lab.source.LabSource``); only the target and the
guest are faked here, with faults a test can inject.
"""

from __future__ import annotations

import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xtract_gui.domain.errors import NotFoundError, RemoteTaskError, XtractError
from xtract_gui.domain.guest_tasks import GuestTask
from xtract_gui.domain.inventory import (
    PowerState,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetKind,
    TargetVM,
    TargetVMSpec,
)
from xtract_gui.domain.plan import (
    GuestAccess,
    GuestChannelKind,
    Plan,
    PlanOptions,
    SecretRef,
    SourceEndpoint,
    TargetEndpoint,
    VmPlan,
)
from xtract_gui.engine.context import Adapters, Tuning
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.ports import GuestTarget, ScriptResult
from xtract_gui.engine.store import Store
from xtract_gui.lab.source import LabSource
from xtract_gui.lab.source.container import LocalContainerWriters
from xtract_gui.wiring import DictSecrets

CLUSTER, CONTAINER, SUBNET_A, SUBNET_B, SUBNET_TEST = "c-1", "k-1", "s-a", "s-b", "s-test"
OTHER_CLUSTER = "c-2"


class FakeTarget:
    """A Prism Element that clones ndfs files into per-VM copies (as AHV does) and fails on request."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.containers_dir = root / "containers"
        (self.containers_dir / "default").mkdir(parents=True, exist_ok=True)
        self.vms_: dict[str, dict[str, Any]] = {}
        self.fail: dict[str, int] = {}
        self.whitelists: dict[str, list[str]] = {}  # per cluster, as each cluster's Prism Element keeps one
        self.whitelist_clusters: list[str] = []  # the cluster each whitelist call named
        self.whitelist_adds: list[tuple[str, str]] = []  # (cluster, entry) of each add
        self.lock = threading.Lock()
        self.calls: list[str] = []

    kind = TargetKind.PRISM_ELEMENT
    version = "6.5-fake"
    fingerprint = ""

    def _maybe_fail(self, op: str) -> None:
        self.calls.append(op)
        if self.fail.get(op, 0) > 0:
            self.fail[op] -= 1
            raise RemoteTaskError(f"Injected failure of {op}.", hint="Retry.")

    def clusters(self) -> list[TargetCluster]:
        # Two clusters, as behind a Prism Central; plans use the first unless a test says otherwise.
        return [TargetCluster(CLUSTER, "lab-ahv"), TargetCluster(OTHER_CLUSTER, "lab-ahv-2")]

    def containers(self, cluster_uuid: str) -> list[StorageContainer]:
        return [StorageContainer(CONTAINER, "default", cluster_uuid or CLUSTER, 10 * 2**40, 5 * 2**40)]

    def subnets(self, cluster_uuid: str) -> list[Subnet]:
        c = cluster_uuid or CLUSTER
        return [Subnet(SUBNET_A, "vlan0", c, 0), Subnet(SUBNET_B, "vlan10", c, 10),
                Subnet(SUBNET_TEST, "isolated", c, 99)]

    def vms(self) -> list[TargetVM]:
        return [self._vm(u) for u in self.vms_]

    def _vm(self, u: str) -> TargetVM:
        v = self.vms_[u]
        return TargetVM(u, v["spec"].name, v["power"], CLUSTER, nic_macs=tuple(n.mac for n in v["spec"].nics),
                        description=v["spec"].description)

    def get_vm(self, vm_uuid: str) -> TargetVM:
        if vm_uuid not in self.vms_:
            raise NotFoundError(f"No VM {vm_uuid}.")
        return self._vm(vm_uuid)

    def find_vms(self, name: str) -> list[TargetVM]:
        return [self._vm(u) for u, v in self.vms_.items() if v["spec"].name == name]

    def create_vm(self, spec: TargetVMSpec, *, progress: Any = None, cancel: Any = None) -> str:
        self._maybe_fail("create_vm")
        u = str(uuid.uuid4())
        disks = []
        for d in spec.disks:
            src = self.containers_dir / d.ndfs_path.lstrip("/")
            dst = self.root / "vmdisks" / u / f"{d.index}.raw"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            disks.append(dst)
        with self.lock:
            self.vms_[u] = {"spec": spec, "power": PowerState.OFF, "disks": disks}
        return u

    def set_power_state(self, vm_uuid: str, transition: str, *, progress: Any = None, cancel: Any = None) -> None:
        self._maybe_fail(f"power_{transition}")
        self.get_vm(vm_uuid)
        self.vms_[vm_uuid]["power"] = PowerState.ON if transition == "on" else PowerState.OFF

    def delete_vm(self, vm_uuid: str, *, cancel: Any = None) -> None:
        self.calls.append("delete_vm")
        self.vms_.pop(vm_uuid, None)
        shutil.rmtree(self.root / "vmdisks" / vm_uuid, ignore_errors=True)

    def snapshot_vm(self, vm_uuid: str, name: str, *, cancel: Any = None) -> str:
        self.calls.append("snapshot_vm")
        return str(uuid.uuid4())

    @property
    def whitelist(self) -> list[str]:
        """The plan's cluster's whitelist (what most tests look at)."""
        return self.whitelists.setdefault(CLUSTER, [])

    def nfs_whitelist(self, cluster_uuid: str = "") -> list[str]:
        self.whitelist_clusters.append(cluster_uuid)
        return list(self.whitelists.get(cluster_uuid or CLUSTER, []))

    def add_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        self._maybe_fail("add_nfs_whitelist")
        self.whitelist_clusters.append(cluster_uuid)
        self.whitelist_adds.append((cluster_uuid or CLUSTER, entry))
        self.whitelists.setdefault(cluster_uuid or CLUSTER, []).append(entry)

    def remove_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        self._maybe_fail("remove_nfs_whitelist")
        self.whitelist_clusters.append(cluster_uuid)
        self.whitelists.setdefault(cluster_uuid or CLUSTER, []).remove(entry)

    def upload_image(self, *a: Any, **k: Any) -> str:
        raise NotImplementedError

    def create_image_from_url(self, *a: Any, **k: Any) -> str:
        raise NotImplementedError

    def delete_image(self, image_uuid: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Nothing held."""


@dataclass
class FakeGuests:
    """Answers every task ok (or fails the ids in ``fail``); records what ran, with the params it got."""

    fail: set[str] = field(default_factory=set)
    ran: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    targets: list[GuestTarget] = field(default_factory=list)

    def open(self, target: GuestTarget) -> FakeGuests:
        self.targets.append(target)
        return self

    def run_task(self, task: GuestTask, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Any = None) -> ScriptResult:
        self.ran.append((task.id, params))
        if task.id in self.fail:
            return ScriptResult(1, "", "boom", {"task": task.id, "ok": False, "message": f"{task.id} failed"})
        return ScriptResult(0, "", "", {"task": task.id, "ok": True, "message": "done", "data": {}})

    def put_file(self, data: bytes, remote_path: str, *, cancel: Any = None) -> None:
        """Not used by the engine."""

    def get_file(self, remote_path: str) -> bytes:
        return b""

    def close(self) -> None:
        """Nothing held."""


class Writers(LocalContainerWriters):
    whitelist_entry = "127.0.0.1/255.255.255.255"


class GuardedWriters(Writers):
    """Refuses NFS access while the laptop's entry is not in the cluster's whitelist, as the cluster does."""

    def __init__(self, root: Path, container: str, target: FakeTarget, cluster: str) -> None:
        super().__init__(root, container)
        self.target, self.cluster = target, cluster
        self.refused = 0

    def _check(self) -> None:
        if self.whitelist_entry not in self.target.whitelists.get(self.cluster, []):
            self.refused += 1
            raise XtractError("The NFS server refused the mount (MNT3ERR_ACCES).", hint="Whitelist this computer.")

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> Any:
        self._check()
        return super().open(vm_name, disk_key, capacity, fresh=fresh)

    def worker_writer(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> Any:
        self._check()
        return super().worker_writer(vm_name, disk_key, capacity, fresh=fresh)

    def discard(self, vm_name: str, disk_key: int) -> None:
        self._check()
        super().discard(vm_name, disk_key)

    def discard_vm(self, vm_name: str) -> None:
        self._check()
        super().discard_vm(vm_name)


def make_plan(lab: LabSource, *, channel: GuestChannelKind = GuestChannelKind.WINRM, **options: Any) -> Plan:
    inv = lab.inventory()
    ref = SecretRef("xtract-test", "guest")
    vms = tuple(VmPlan(vm_id=v.vm_id, name=v.name,
                       guest=GuestAccess(channel=channel, user="Administrator" if channel is not
                                         GuestChannelKind.NONE else "",
                                         password=ref if channel is not GuestChannelKind.NONE else None,
                                         winrm_host="127.0.0.1"))
                for v in inv.vms)
    return Plan(name="engine-test", source=SourceEndpoint(host=str(lab.root), user="lab", protocol="lab",
                                                          password=SecretRef("xtract-test", "source")),
                target=TargetEndpoint(host="fake", user="admin", password=SecretRef("xtract-test", "target"),
                                      cluster_uuid=CLUSTER, container_uuid=CONTAINER),
                vms=vms, network_map={"VM Network": SUBNET_A, "App Net": SUBNET_B}, test_subnet_uuid=SUBNET_TEST,
                options=PlanOptions(**options))


@dataclass
class Rig:
    lab: LabSource
    target: FakeTarget
    guests: FakeGuests
    secrets: DictSecrets
    store_path: Path
    log_dir: Path

    guarded: list[GuardedWriters] = field(default_factory=list)  # with enforce_whitelist: every factory made

    def _writers(self, plan: Plan, enforce: bool) -> Writers:
        if not enforce:
            return Writers(self.target.containers_dir, "default")
        self.guarded.append(GuardedWriters(self.target.containers_dir, "default", self.target,
                                           plan.target.cluster_uuid))
        return self.guarded[-1]

    def manager(self, *, enforce_whitelist: bool = False, **tuning: Any) -> JobManager:
        adapters = Adapters(secrets=self.secrets, source=lambda ep, pw: self.lab, target=lambda ep, pw: self.target,
                            writers=lambda plan, t: self._writers(plan, enforce_whitelist),
                            guests=self.guests, log_dir=self.log_dir, script_text=lambda rel: f"# {rel}\n")
        opts = {"sync_interval_seconds": 0.3, "guest_wait_seconds": 5.0, "checkpoint_seconds": 0.05, **tuning}
        return JobManager(store=Store(self.store_path), adapters=adapters, tuning=Tuning(**opts))


def make_rig(tmp: Path, *, vms: int = 2) -> Rig:
    lab = LabSource.create(tmp / "lab", vms=vms)
    secrets = DictSecrets({("xtract-test", "guest"): "GuestPass!1", ("xtract-test", "source"): "SrcPass!1",
                           ("xtract-test", "target"): "TgtPass!1"})
    return Rig(lab, FakeTarget(tmp / "prism"), FakeGuests(), secrets, tmp / "db" / "x.sqlite3", tmp / "logs")
