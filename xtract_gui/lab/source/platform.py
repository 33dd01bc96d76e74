"""``LabSource``: an in-process stand-in for vCenter that implements the ``SourcePlatform`` port.

What it does: VMs with file-backed sparse disks under ``<state dir>/source/``; snapshots that
freeze each disk (a sparse copy); faithful CBT (64 KiB block hashes per snapshot, ``*`` and
since-changeId queries, an unknown changeId raises ``UnsupportedError``; silent resets and disk growth
as vSphere has them, see fidelity.py); guest shutdown that turns the VM off after a moment (refused
without VMware Tools); power, NIC connection state, annotations; a background "guest
workload" that writes a few random blocks per second into every powered-on VM.  State is one JSON
file under a cross-process lock, so ``xtract-gui lab serve`` and the CLI can share one lab.

What it does not do: no SOAP/HTTP wire protocol (it is called in-process), no vMotion, no
datastores or folders beyond names, no delta-disk chains (a snapshot is a full sparse copy, fine
for the small demo disks), no quiescing, no real guest OS (guest work goes to the WinRM guest
simulator), no permissions (every user may do everything), no certificate (fingerprint is empty).
"""

from __future__ import annotations

import random
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ...domain.errors import CancelledError, NotFoundError, UnsupportedError
from ...domain.extents import Extent
from ...domain.inventory import (
    ControllerType,
    Firmware,
    OsFamily,
    PowerState,
    SnapshotRef,
    SourceDisk,
    SourceHost,
    SourceInventory,
    SourceNic,
    SourceVM,
    ToolsStatus,
)
from ...engine.ports import no_progress
from ...transfer.local import FileDiskReader
from . import disks
from .fidelity import FidelityControls, cbt_uuid
from .state import StateFile, file_lock

SHUTDOWN_DELAY = 0.4  # seconds a lab guest takes to shut down
MiB = 1024 * 1024


class LabSource(FidelityControls):
    """The lab's vCenter.  ``root`` is the lab state directory; disks live in ``root/source``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.dir = self.root / "source"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state = StateFile(self.dir)
        self._workload: threading.Thread | None = None
        self._stop = threading.Event()

    # -- creation ---------------------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, *, vms: int = 4, guest_os_mix: tuple[str, ...] = ("windows", "linux"),
               seed: int = 7) -> LabSource:
        """Make a new lab with ``vms`` VMs (an existing lab in ``root`` is kept as it is)."""
        lab = cls(root)
        if lab.state.exists():
            return lab
        rng = random.Random(seed)
        with lab.state.edit() as st:
            st.update({"seq": 100, "vms": {}})
            for i in range(vms):
                family = guest_os_mix[i % len(guest_os_mix)]
                vm_id = f"vm-{1001 + i}"
                ndisks = 1 + i % 3 if vms > 1 else 1
                disk_list = []
                for d in range(ndisks):
                    capacity = (64 + rng.randrange(0, 64)) * MiB + rng.randrange(1, 16) * 4096
                    key = 2000 + d
                    path = lab.dir / "disks" / f"{vm_id}-{key}.raw"
                    disks.create_sparse(path, capacity, seed=seed * 1000 + i * 10 + d)
                    disk_uuid = str(uuid.UUID(int=rng.getrandbits(128)))
                    disk_list.append({"key": key, "capacity": capacity, "uuid": disk_uuid, "unit": d})
                nics = [{"key": 4000 + n, "mac": f"00:50:56:{0x10 + i:02x}:{n:02x}:{rng.randrange(256):02x}",
                         "network": ("VM Network", "App Net")[n], "connected": True}
                        for n in range(1 + (i % 2))]
                st["vms"][vm_id] = {
                    "name": f"lab-{family[:3]}-{i + 1:02d}", "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                    "family": family,
                    "guest_id": "windows2019srv_64Guest" if family == "windows" else "rhel8_64Guest",
                    "firmware": "efi" if family == "windows" else "bios", "cpu": 2, "cores": 1,
                    "memory": 2048 if family == "windows" else 1024, "power": "on", "shutdown_at": 0.0,
                    "cbt": False, "cbt_epoch": 0, "annotation": "", "disks": disk_list, "nics": nics,
                    "snapshots": [], "ips": [f"10.10.0.{10 + i}"],
                }
        return lab

    # -- port: identity / inventory ---------------------------------------------------------
    @property
    def fingerprint(self) -> str:
        return ""

    def inventory(self) -> SourceInventory:
        st = self._read()
        return SourceInventory(
            about="xtract-gui lab source (in-process stand-in for vCenter)", api_version="lab-1",
            datacenters=("LabDC",), clusters=("LabCluster",),
            hosts=(SourceHost("esxi-lab-01.local", "host-10", "LabCluster", "LabDC"),),
            networks=("VM Network", "App Net"),
            vms=tuple(self._to_vm(vm_id, raw) for vm_id, raw in sorted(st["vms"].items())))

    def get_vm(self, vm_id: str) -> SourceVM:
        return self._to_vm(vm_id, self._raw(self._read(), vm_id))

    def list_snapshots(self, vm_id: str) -> list[SnapshotRef]:
        raw = self._raw(self._read(), vm_id)
        return [self._to_snap(vm_id, s) for s in raw["snapshots"]]

    # -- port: snapshots and CBT ------------------------------------------------------------
    def create_snapshot(self, vm_id: str, name: str, *, description: str = "", quiesce: bool = False,
                        progress: Any = no_progress, cancel: Any = None) -> SnapshotRef:
        if cancel is not None and cancel.is_set():
            raise CancelledError("Snapshot creation was cancelled before it started.")
        with self._disk_lock(vm_id):
            with self.state.edit() as st:
                raw = self._raw(st, vm_id)
                st["seq"] += 1
                snap_id = f"snapshot-{st['seq']}"
                seq = st["seq"]
            snap: dict[str, Any] = {"id": snap_id, "name": name, "created": time.time(), "change_ids": {}}
            for i, d in enumerate(raw["disks"]):
                frozen = self.dir / "snapshots" / snap_id / f"{d['key']}.raw"
                hashes = disks.freeze(self._live(vm_id, d["key"]), frozen, d["capacity"])
                if raw["cbt"]:
                    cid = f"{cbt_uuid(d, raw['cbt_epoch'])}/{seq}"
                    self._cbt_path(vm_id, d["key"], cid).write_bytes(hashes)
                    snap["change_ids"][str(d["key"])] = cid
                (frozen.parent / f"{d['key']}.hashes").write_bytes(hashes)
                progress((i + 1) / len(raw["disks"]), f"Froze disk {d['key']}")
        with self.state.edit() as st:
            self._raw(st, vm_id)["snapshots"].append(snap)
        return self._to_snap(vm_id, snap)

    def remove_snapshot(self, vm_id: str, snapshot_id: str, *, progress: Any = no_progress,
                        cancel: Any = None) -> None:
        with self.state.edit() as st:
            raw = self._raw(st, vm_id)
            raw["snapshots"] = [s for s in raw["snapshots"] if s["id"] != snapshot_id]
        shutil.rmtree(self.dir / "snapshots" / snapshot_id, ignore_errors=True)
        progress(1.0, "Snapshot removed")

    def revert_snapshot(self, vm_id: str, snapshot_id: str, *, progress: Any = no_progress) -> None:
        raw = self._raw(self._read(), vm_id)
        if not any(s["id"] == snapshot_id for s in raw["snapshots"]):
            raise NotFoundError(f"Snapshot {snapshot_id} of {raw['name']} does not exist.",
                                hint="Refresh the inventory; someone may have removed it.")
        with self._disk_lock(vm_id):
            for d in raw["disks"]:
                frozen = self.dir / "snapshots" / snapshot_id / f"{d['key']}.raw"
                disks.freeze(frozen, self._live(vm_id, d["key"]), d["capacity"])
        progress(1.0, "Reverted")

    def enable_cbt(self, vm_id: str) -> None:
        with self.state.edit() as st:
            raw = self._raw(st, vm_id)
            if not raw["cbt"]:
                raw["cbt"] = True
                raw["cbt_epoch"] += 1  # changeIds of an earlier epoch are no longer valid

    def query_changed_areas(self, vm_id: str, snapshot_id: str, disk_key: int, change_id: str) -> list[Extent]:
        raw = self._raw(self._read(), vm_id)
        if not raw["cbt"]:
            raise UnsupportedError(f"Changed block tracking is off on {raw['name']}.",
                                   hint="Enable CBT on the VM (the migration does it for you) and snapshot again.")
        disk = next((d for d in raw["disks"] if d["key"] == disk_key), None)
        snap = next((s for s in raw["snapshots"] if s["id"] == snapshot_id), None)
        if disk is None or snap is None:
            raise NotFoundError(f"{raw['name']} has no snapshot {snapshot_id} with disk {disk_key}.")
        now = (self.dir / "snapshots" / snapshot_id / f"{disk_key}.hashes").read_bytes()
        if change_id == "*":
            return disks.changed_blocks(now, None, disk["capacity"])
        since = self._since_hashes(vm_id, raw, disk, change_id)
        if since is None:
            raise UnsupportedError(f"changeId {change_id!r} of {raw['name']} disk {disk_key} is no longer valid "
                                   "(change tracking was reset).", hint="A full copy of the disk is needed.")
        return disks.changed_blocks(now, since, disk["capacity"])

    def open_disk_reader(self, vm_id: str, snapshot_id: str, disk_key: int) -> FileDiskReader:
        raw = self._raw(self._read(), vm_id)
        disk = next((d for d in raw["disks"] if d["key"] == disk_key), None)
        path = self.dir / "snapshots" / snapshot_id / f"{disk_key}.raw"
        if disk is None or not path.exists():
            raise NotFoundError(f"Snapshot {snapshot_id} of {raw['name']} has no disk {disk_key}.",
                                hint="The snapshot was removed; the migration takes a new one.")
        return FileDiskReader(path, disk["capacity"])

    # -- port: power, NICs, annotation ------------------------------------------------------
    def shutdown_guest(self, vm_id: str) -> None:
        with self.state.edit() as st:
            raw = self._raw(st, vm_id)
            if self._power(raw) == "on" and not raw.get("tools", True):
                raise UnsupportedError(f"Cannot shut down the guest of {raw['name']}: VMware Tools is not running.",
                                       hint="Start VMware Tools in the guest, or power the VM off instead.")
            if raw.get("boot") and self._power(raw) == "on":
                # A real guest (lab/qemu) shuts down when IT decides: the ACPI request is recorded here,
                # the QEMU lab presses the power button and marks the VM off once the guest stopped.
                raw["acpi_shutdown"] = time.time()
            elif self._power(raw) == "on" and not raw["shutdown_at"] and not raw.get("hung"):
                raw["shutdown_at"] = time.time() + SHUTDOWN_DELAY

    def power_off(self, vm_id: str) -> None:
        with self._disk_lock(vm_id), self.state.edit() as st:
            raw = self._raw(st, vm_id)
            raw["power"], raw["shutdown_at"] = "off", 0.0

    def power_on(self, vm_id: str) -> None:
        with self.state.edit() as st:
            raw = self._raw(st, vm_id)
            raw["power"], raw["shutdown_at"] = "on", 0.0

    def wait_for_power_state(self, vm_id: str, state: str, *, timeout: float, cancel: Any = None) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.get_vm(vm_id).power_state.value == state:
                return True
            if time.monotonic() >= deadline:
                return False
            if cancel is not None and cancel.is_set():
                raise CancelledError("Stopped waiting for the power state: cancelled.")
            time.sleep(0.05)

    def set_nics_connected(self, vm_id: str, connected: bool) -> None:
        with self.state.edit() as st:
            for nic in self._raw(st, vm_id)["nics"]:
                nic["connected"] = connected

    def set_annotation(self, vm_id: str, text: str) -> None:
        with self.state.edit() as st:
            self._raw(st, vm_id)["annotation"] = text

    def close(self) -> None:
        self.stop_workload()

    # -- lab extras -------------------------------------------------------------------------
    def set_guest_hung(self, vm_id: str, hung: bool = True) -> None:
        """A guest that ignores shutdown requests (a hung service, a modal dialog): for tests and demos."""
        with self.state.edit() as st:
            self._raw(st, vm_id)["hung"] = hung

    def live_disk_path(self, vm_id: str, disk_key: int) -> Path:
        return self._live(vm_id, disk_key)

    def start_workload(self, *, blocks_per_second: float = 4.0, seed: int = 1) -> None:
        """Write a few random 4 KiB blocks per second into every powered-on VM (a busy guest)."""
        if self._workload is not None:
            return
        self._stop.clear()
        rng = random.Random(seed)

        def run() -> None:
            while not self._stop.wait(1.0 / blocks_per_second):
                try:
                    self.write_random_blocks(rng, 1)
                except (OSError, ValueError, KeyError):  # a lab being torn down under us
                    continue

        self._workload = threading.Thread(target=run, name="lab-guest-workload", daemon=True)
        self._workload.start()

    def stop_workload(self) -> None:
        self._stop.set()
        if self._workload is not None:
            self._workload.join(timeout=5)
            self._workload = None

    def write_random_blocks(self, rng: random.Random, count: int) -> int:
        """What a running guest does: returns how many blocks were written."""
        written = 0
        for vm_id, raw in self._read().get("vms", {}).items():
            if raw.get("boot"):
                continue  # a real guest (lab/qemu) writes its own disks
            with self._disk_lock(vm_id):
                if self._power(self._raw(self._read(), vm_id)) != "on":
                    continue
                for _ in range(count):
                    d = rng.choice(raw["disks"])
                    offset = rng.randrange(0, d["capacity"] - 4096) // 4096 * 4096
                    with open(self._live(vm_id, d["key"]), "r+b") as f:
                        f.seek(offset)
                        f.write(rng.randbytes(4096))
                    written += 1
        return written

    # -- helpers ----------------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        st = self.state.read()
        if not st:
            raise NotFoundError(f"No lab source in {self.root}.",
                                hint="Start it with 'xtract-gui lab serve --state-dir DIR' first.")
        return st

    @staticmethod
    def _raw(st: dict[str, Any], vm_id: str) -> dict[str, Any]:
        try:
            return st["vms"][vm_id]
        except KeyError:
            raise NotFoundError(f"The lab source has no VM {vm_id!r}.",
                                hint="Check the VM id in the plan against 'xtract-gui lab serve' output.") from None

    @staticmethod
    def _power(raw: dict[str, Any]) -> str:
        if raw["power"] == "on" and raw["shutdown_at"] and time.time() >= raw["shutdown_at"]:
            return "off"
        return str(raw["power"])

    def _live(self, vm_id: str, key: int) -> Path:
        return self.dir / "disks" / f"{vm_id}-{key}.raw"

    def _cbt_path(self, vm_id: str, key: int, change_id: str) -> Path:
        safe = change_id.replace("/", "_")
        path = self.dir / "cbt" / vm_id / str(key) / f"{safe}.hashes"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _disk_lock(self, vm_id: str) -> Any:
        (self.dir / "locks").mkdir(exist_ok=True)
        return file_lock(self.dir / "locks" / f"{vm_id}.lock")

    def _to_snap(self, vm_id: str, s: dict[str, Any]) -> SnapshotRef:
        return SnapshotRef(vm_id=vm_id, snapshot_id=s["id"], name=s["name"],
                           disk_change_ids={int(k): v for k, v in s["change_ids"].items()},
                           created_at=s["created"])

    def _to_vm(self, vm_id: str, raw: dict[str, Any]) -> SourceVM:
        power = self._power(raw)
        family = OsFamily(raw["family"])
        last = raw["snapshots"][-1]["change_ids"] if raw["snapshots"] else {}
        return SourceVM(
            vm_id=vm_id, name=raw["name"], uuid=raw["uuid"], instance_uuid=raw["uuid"], guest_id=raw["guest_id"],
            guest_family=family,
            guest_full_name="Microsoft Windows Server 2019 (64-bit)" if family is OsFamily.WINDOWS
            else "Red Hat Enterprise Linux 8 (64-bit)",
            firmware=Firmware(raw["firmware"]), secure_boot=False, num_cpu=raw["cpu"], cores_per_socket=raw["cores"],
            memory_mib=raw["memory"], hardware_version=14,
            tools_status=ToolsStatus.RUNNING if power == "on" and raw.get("tools", True) else ToolsStatus.NOT_RUNNING,
            power_state=PowerState(power), snapshot_count=len(raw["snapshots"]), cbt_enabled=raw["cbt"],
            disks=tuple(SourceDisk(
                key=d["key"], label=f"Hard disk {d['unit'] + 1}", capacity_bytes=d["capacity"],
                controller=ControllerType.PVSCSI if family is OsFamily.LINUX else ControllerType.LSI_LOGIC_SAS,
                bus_number=0, unit_number=d["unit"],
                backing_file=f"[LabDS] {raw['name']}/{raw['name']}_{d['unit']}.vmdk",
                datastore="LabDS", change_id=last.get(str(d["key"]), "")) for d in raw["disks"]),
            nics=tuple(SourceNic(key=n["key"], mac=n["mac"], network=n["network"], adapter_type="vmxnet3",
                                 connected=n["connected"], start_connected=n["connected"]) for n in raw["nics"]),
            folder="/LabDC/vm", datacenter="LabDC", cluster="LabCluster", host="esxi-lab-01.local",
            guest_hostname=raw["name"], guest_ips=tuple(raw["ips"]) if power == "on" else (),
            annotation=raw["annotation"], guest_operations_ready=power == "on")
