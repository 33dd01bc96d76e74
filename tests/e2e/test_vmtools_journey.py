"""A plan with ``guest.channel: "vmtools"`` end to end through the composition root (``build_manager``):
govmomi's simulator as vCenter, its VMware Tools guest operations running the Linux prep scripts for real,
chrooted into a Debian root built with debootstrap (xtract_gui/lab/vcsim/go/guestops.go), then seed, sync and cutover
onto the Prism Element simulator.  Nothing here wires the channel by hand: the wiring must find the vSphere
adapter's ServiceInstance itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.guest_scripts.debian_root import writable_root
from tests.guest_scripts.test_linux_debootstrap import stage_source_vm
from xtract_gui.domain.inventory import OsFamily, ToolsStatus
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, SecretRef
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.engine.events import StepState
from xtract_gui.lab.runner import SERVICE, Lab, verify_disks
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.vcsim, pytest.mark.prism, pytest.mark.guest, pytest.mark.slow]


@pytest.fixture
def debian(tmp_path: Path) -> Iterator[Path]:
    with writable_root(tmp_path / "debian") as root:  # skips when debootstrap cannot reach its mirror
        yield root


def test_vmtools_guest_prep_in_a_debian_root_then_cutover(tmp_path: Path, debian: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XTRACT_VCSIM_GUEST_ROOT", str(debian))  # the simulator the lab starts inherits it
    with Lab(tmp_path / "lab", vms=2, source="vcsim", workload=False) as lab:
        assert lab.endpoints is not None
        linux = next(vm for vm in lab.inventory().vms if vm.guest_family is OsFamily.LINUX
                     and vm.tools_status is ToolsStatus.RUNNING and vm.power_state.value == "on")
        stage_source_vm(debian)  # a NIC, its static address and the SMBIOS UUID, as the kernel shows them
        lab.endpoints.secrets.set(SERVICE, "root@vmtools", "vmware")  # guestops.go's guest account
        base = lab.endpoints.plan
        vm_plan = next(v for v in base.vms if v.vm_id == linux.vm_id)
        access = GuestAccess(channel=GuestChannelKind.VMTOOLS, user="root", password=SecretRef(SERVICE, "root@vmtools"))
        plan = dataclasses.replace(base, vms=(dataclasses.replace(vm_plan, guest=access),))
        manager = build_manager(secrets=lab.endpoints.secrets, state_dir=tmp_path / "engine",
                                tuning=Tuning(sync_interval_seconds=0.5, guest_wait_seconds=5))

        async def go() -> None:
            try:
                await manager.start(plan)
                (snap,) = await manager.wait([linux.vm_id], lambda s: s.sync_count >= 1 or s.state.terminal
                                             or s.state in (JobState.FAILED, JobState.PAUSED))
                assert snap.ready_for_cutover, (snap.state, snap.error)
                prep = [s for s in manager.steps(linux.vm_id) if ".linux." in f".{s.step_id}"]
                assert len(prep) >= 4 and all(s.state is StepState.SUCCEEDED for s in prep), prep
                await manager.cutover([linux.vm_id], requested_by="vmtools-e2e")
                (snap,) = await manager.wait([linux.vm_id], lambda s: s.state.terminal
                                             or s.state in (JobState.FAILED, JobState.ROLLED_BACK))
                assert snap.state.is_done, snap.error
            finally:
                await manager.close()

        asyncio.run(asyncio.wait_for(go(), 600))
        assert verify_disks(lab, plan) == {linux.vm_id: []}
    # The scripts ran inside the Debian root, through guest operations: VirtIO into the initramfs list,
    # the captured network configuration and the first-boot unit on the guest's disk.
    modules = (debian / "etc/initramfs-tools/modules").read_text()
    assert "virtio_scsi" in modules and "virtio_net" in modules
    assert any((debian / "var/lib/xtract").iterdir())
    assert not list((debian / "tmp").glob("xtract.*"))  # every per-run folder (/tmp/xtract.<random>) removed
