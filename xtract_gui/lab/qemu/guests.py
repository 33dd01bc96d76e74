"""Real guests in the lab: the lab source's VMs run in QEMU on VMware-like hardware, and the VMs the Prism
simulator powers on boot their cloned vdisks in QEMU on AHV-like hardware.

Source side: ``add_vm`` puts a VM made from a guest image into the lab source's state (its disks are
copies of the image's, the files the copy reads) with a ``boot`` record.  The lab source only records
power intents in its state file (on, off, an ACPI shutdown request); a reconcile loop here starts,
powers down or stops the VM's QEMU to match, and marks the VM off when its guest shut itself down.
That works whichever process (the wizard, the CLI) called the lab source, as long as this one serves.

Target side: ``power_changed`` is the Prism simulator's ``on_power_change``.  A VM whose NICs carry the
MACs of a real guest boots from its own vmdisks (the clones Prism made at create) with the spec's bus,
the same MACs, the same slirp networks as on the source (found through the source NIC of that MAC) and
the same SSH forward port, so the address the plan uses reaches the guest on AHV exactly when it kept
its address.  Power-off and delete stop it; a guest that shuts itself down leaves the VM OFF in Prism.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..source.state import StateFile
from .accel import accelerator
from .hardware import Disk, Machine, Nic
from .images import NETWORKS, STATIC_IPV4, STATIC_IPV6, GuestImage
from .process import QemuVm

log = logging.getLogger("xtract_gui.lab.qemu")
RECONCILE_SECONDS = 0.5
_BUSES = {"SCSI": "scsi", "PCI": "virtio-blk", "SATA": "sata", "IDE": "sata"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ssh_banner(port: int, timeout: float = 3.0) -> bool:
    """True when an sshd answers through the forward (slirp accepts the TCP connection for any guest state)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wait_for_ssh(port: int, timeout: float, *, vm: QemuVm | None = None) -> bool:
    """True when the guest's sshd answers within ``timeout`` s; False at once when ``vm`` ended or stalled."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ssh_banner(port):
            return True
        if vm is not None:
            vm.recover()
            if not vm.running or vm.stalled():
                return False
        time.sleep(1.0)
    return False


def copy_sparse(src: Path, dst: Path) -> None:
    """Copy a raw disk keeping its holes (``cp --sparse=always`` semantics, by SEEK_DATA)."""
    from ..source.disks import freeze

    freeze(src, dst, src.stat().st_size)


@dataclass
class RealGuest:
    vm_id: str
    name: str
    image: GuestImage
    ssh_port: int
    bios_uuid: str
    macs: tuple[str, ...]
    networks: tuple[str, ...]  # the port group of each NIC, in NIC order
    source_vm: QemuVm | None = None
    target_vms: dict[str, QemuVm] = field(default_factory=dict)  # AHV VM uuid -> its QEMU
    boots: int = 0
    seen_off: bool = True  # the source was off since its QEMU last ran: "on" then means a new power-on


class RealGuests:
    """Owns every QEMU process of one lab; ``close()`` stops them all."""

    def __init__(self, lab_root: Path, *, memory_mib: int = 1024, cpus: int = 2) -> None:
        self.lab_root = Path(lab_root)
        self.run_dir = self.lab_root / "qemu"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.state = StateFile(self.lab_root / "source")
        self.memory_mib, self.cpus = memory_mib, cpus
        self.guests: dict[str, RealGuest] = {}
        self.prism: Any = None  # the PrismSimulator whose power changes boot AHV VMs
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the source's VMs ----------------------------------------------------------------------------

    def add_vm(self, image: GuestImage, *, name: str, vm_id: str, macs: tuple[str, ...] = (),
               ssh_port: int = 0) -> RealGuest:
        """A powered-on source VM made from ``image`` (its disks copied into the lab source)."""
        accelerator(image.kernel)  # probe KVM once, with a real kernel (TCG where a vCPU cannot run it)
        nets = ("VM Network", "App Net")
        macs = macs or tuple(f"00:50:56:{0x20 + len(self.guests):02x}:{i:02x}:{0x11 * (i + 1):02x}"
                             for i in range(len(nets)))
        bios_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"xtract-lab/{self.lab_root}/{vm_id}"))
        guest = RealGuest(vm_id=vm_id, name=name, image=image, ssh_port=ssh_port or free_port(), bios_uuid=bios_uuid,
                          macs=macs, networks=nets)
        disks = []
        for unit, d in enumerate(image.disks):
            key = 2000 + unit
            copy_sparse(d.file, self.lab_root / "source" / "disks" / f"{vm_id}-{key}.raw")
            disks.append({"key": key, "capacity": d.capacity, "uuid": str(uuidlib.uuid4()), "unit": unit})
        with self.state.edit() as st:
            st.setdefault("seq", 100)
            st.setdefault("vms", {})[vm_id] = {
                "name": name, "uuid": bios_uuid, "family": "linux",
                "guest_id": {"rhel": "rhel9_64Guest", "ubuntu": "ubuntu64Guest"}.get(image.family, "debian12_64Guest"),
                "firmware": image.firmware, "cpu": self.cpus, "cores": 1, "memory": self.memory_mib, "power": "on",
                "shutdown_at": 0.0, "cbt": False, "cbt_epoch": 0, "annotation": "", "disks": disks,
                "nics": [{"key": 4000 + i, "mac": m, "network": n, "connected": True}
                         for i, (m, n) in enumerate(zip(macs, nets, strict=True))],
                "snapshots": [], "ips": [STATIC_IPV4, STATIC_IPV6],
                "boot": {"image": str(image.root), "family": image.family, "ssh_port": guest.ssh_port},
            }
        with self._lock:
            self.guests[vm_id] = guest
        return guest

    def _source_machine(self, g: RealGuest, raw: dict[str, Any]) -> Machine:
        g.boots += 1
        base = self.run_dir / f"{g.vm_id}-source-{g.boots}"
        disks = tuple(Disk(self.lab_root / "source" / "disks" / f"{g.vm_id}-{d['key']}.raw",
                           wwn=g.image.disks[d["unit"]].wwn, bus=g.image.disks[d["unit"]].bus) for d in raw["disks"])
        nics = tuple(Nic(mac=n["mac"], network=NETWORKS[n["network"]],
                         forward_port=g.ssh_port if n["network"] == "VM Network" else 0,
                         forward_to=STATIC_IPV4 if n["network"] == "VM Network" else "")
                     for n in raw["nics"] if n.get("connected", True))
        return Machine(name=f"{g.name}-esxi", kind="vmware", uuid=g.bios_uuid, disks=disks, nics=nics,
                       memory_mib=int(raw["memory"]), cpus=self.cpus, uefi=raw["firmware"] == "efi",
                       serial_log=base.with_suffix(".serial.log"), qmp_socket=base.with_suffix(".qmp"),
                       vars_file=self.run_dir / f"{g.vm_id}-source.OVMF_VARS.fd",
                       extra_drives=(g.image.seed,) if g.image.seed else ())

    def _source_exited(self, g: RealGuest, vm: QemuVm) -> None:
        """The guest shut down (or QEMU died): the VM is off, as vCenter would show it."""
        with self.state.edit() as st:
            raw = st.get("vms", {}).get(g.vm_id)
            if raw is not None and g.source_vm is vm:
                raw["power"], raw["shutdown_at"] = "off", 0.0
                raw.pop("acpi_shutdown", None)
                g.seen_off = True

    def reconcile(self) -> None:
        """Make each real guest's QEMU match the power the lab source's state asks for."""
        st = self.state.read()
        with self._lock:
            for vm_id, g in self.guests.items():
                raw = st.get("vms", {}).get(vm_id)
                if raw is None:
                    continue
                vm = g.source_vm
                running = vm is not None and vm.running
                if raw["power"] != "on":
                    g.seen_off = True
                if raw["power"] == "on" and not running:
                    if not g.seen_off:
                        continue  # it just ended by itself: its exit hook is marking it off
                    g.seen_off = False
                    g.source_vm = QemuVm(self._source_machine(g, raw),
                                         on_exit=lambda v, g=g: self._source_exited(g, v)).start()
                elif raw["power"] == "on" and raw.get("acpi_shutdown") and running and vm is not None:
                    if not getattr(vm, "acpi_sent", False):
                        vm.acpi_sent = True  # type: ignore[attr-defined]
                        with contextlib.suppress(Exception):
                            vm.powerdown()
                elif raw["power"] != "on" and running and vm is not None:
                    vm.stop()

    def _reap_deleted(self) -> None:
        """A VM Prism deleted while it ran (a rollback) stops too: AHV deletes a running VM."""
        if self.prism is None:
            return
        with self.prism.state.lock:
            known = set(self.prism.state.data.get("vms", {}))
        with self._lock:
            gone = [(g, u) for g in self.guests.values() for u in g.target_vms if u not in known]
            for g, u in gone:
                g.target_vms.pop(u).stop()

    def _recover_stalled(self) -> None:
        """Reset a VM whose kernel stalled (process.STALL_SIGNS): under TCG a boot now and then loses its timer."""
        with self._lock:
            vms = [v for g in self.guests.values() for v in (g.source_vm, *g.target_vms.values()) if v is not None]
        for vm in vms:
            vm.recover()

    def start(self) -> RealGuests:
        """Start the reconcile loop (and so every powered-on real guest)."""
        self.reconcile()

        def loop() -> None:
            while not self._stop.wait(RECONCILE_SECONDS):
                try:
                    self.reconcile()
                    self._reap_deleted()
                    self._recover_stalled()
                except Exception:  # a lab being torn down under us
                    log.exception("real guests: reconcile failed")

        self._thread = threading.Thread(target=loop, name="lab-real-guests", daemon=True)
        self._thread.start()
        return self

    # -- the AHV side ------------------------------------------------------------------------------

    def _guest_of(self, vm: dict[str, Any]) -> RealGuest | None:
        macs = {str(n.get("mac_address", "")).lower() for n in vm.get("nics", [])}
        with self._lock:
            return next((g for g in self.guests.values() if macs & {m.lower() for m in g.macs}), None)

    def _target_machine(self, g: RealGuest, vm: dict[str, Any]) -> Machine:
        g.boots += 1
        base = self.run_dir / f"{g.vm_id}-ahv-{g.boots}"
        vdisks = sorted((d for d in vm.get("disks", []) if d.get("device_type", "DISK") == "DISK"),
                        key=lambda d: (d.get("adapter_type", "SCSI"), d.get("device_index", 0)))
        disks = tuple(Disk(self.prism.state_dir / d["vmdisk_path"], bus=_BUSES.get(d.get("adapter_type", "SCSI"),
                                                                                 "scsi"),
                           serial=str(d.get("uuid", ""))[:20]) for d in vdisks)
        by_mac = {m.lower(): n for m, n in zip(g.macs, g.networks, strict=True)}
        nics = []
        for n in vm.get("nics", []):
            network = by_mac.get(str(n.get("mac_address", "")).lower())
            if network is None or not n.get("is_connected", True):
                continue  # not a NIC of the source: on no network the lab knows
            forward = network == "VM Network"
            nics.append(Nic(mac=n["mac_address"], network=NETWORKS[network],
                            forward_port=g.ssh_port if forward else 0, forward_to=STATIC_IPV4 if forward else ""))
        uefi = str(vm.get("boot_type", "LEGACY")).upper() in ("UEFI", "SECURE_BOOT")
        return Machine(name=f"{vm.get('name', g.name)}-ahv", kind="ahv", uuid=vm["uuid"], disks=disks,
                       nics=tuple(nics), memory_mib=int(vm.get("memory_mib", 1024)), cpus=self.cpus, uefi=uefi,
                       serial_log=base.with_suffix(".serial.log"), qmp_socket=base.with_suffix(".qmp"),
                       vars_file=self.run_dir / f"{vm['uuid']}.OVMF_VARS.fd")

    def _target_exited(self, g: RealGuest, vm_uuid: str, vm: QemuVm) -> None:
        """The guest powered itself off on AHV: Prism shows the VM OFF."""
        if g.target_vms.get(vm_uuid) is not vm or self.prism is None:
            return
        with contextlib.suppress(Exception):
            self.prism.ops.apply_power(vm_uuid, "OFF")

    def power_changed(self, vm: dict[str, Any]) -> bool:
        """Prism's ``on_power_change``; True when the VM is a real guest's (booted or stopped here)."""
        g = self._guest_of(vm)
        if g is None or self.prism is None or str(vm.get("name", "")).endswith("-xtract-test"):
            return False
        vm_uuid = vm["uuid"]
        with self._lock:
            current = g.target_vms.get(vm_uuid)
            if str(vm.get("power_state", "")).upper() == "ON":
                if current is None or not current.running:
                    g.target_vms[vm_uuid] = QemuVm(self._target_machine(g, vm),
                                                   on_exit=lambda v: self._target_exited(g, vm_uuid, v)).start()
            elif current is not None:
                g.target_vms.pop(vm_uuid, None)
                current.stop()
        return True

    # -- for tests and benchmarks ------------------------------------------------------------------

    def target_vm(self, vm_id: str) -> QemuVm | None:
        g = self.guests[vm_id]
        with self._lock:
            return next((v for v in g.target_vms.values() if v.running), None) or next(
                iter(g.target_vms.values()), None)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            vms = [v for g in self.guests.values() for v in (g.source_vm, *g.target_vms.values()) if v is not None]
        for vm in vms:
            vm.stop()


def remove_run_files(lab_root: Path) -> None:
    shutil.rmtree(Path(lab_root) / "qemu", ignore_errors=True)
