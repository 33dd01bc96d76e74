"""Real Linux guests migrate and boot on AHV-like hardware (issue 13.4), one journey per image family.

Each test: the lab (``--boot qemu``) boots the family's image on VMware-like hardware; the engine prepares
it over SSH, seeds it, a file is written inside the running guest, a delta sync carries it, the cutover
shuts the guest down, copies the last delta and creates and powers on the AHV VM, which QEMU boots from
its cloned vdisks on virtio hardware.  Then, over SSH on the address the guest kept: the file's hash,
every fstab mount, mounts by UUID, both NICs with the source MACs and addresses, no failed unit, the
first-boot report (which the engine read before marking the job done), VMware Tools gone.

The control test migrates the same image with guest preparation off: it cannot find its root disk on
virtio (its initramfs holds only vmw_pvscsi), which its console says after initramfs-tools' root wait.

The selected journeys start together on first use (``journeys``): each guest runs one vCPU under TCG (one host
thread) and a journey's source and AHV VM never run at once, so on this 2-core machine the three share the cores
instead of running one after the other; each test then asserts on its own journey.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.states import JobState
from xtract_gui.lab.qemu.guests import ssh_banner
from xtract_gui.lab.qemu.images import DHCP_IPV4, STATIC_IPV4, STATIC_IPV6

from .journey import ROOT_NOT_FOUND, VM_ID, Journey, ahv_facts, run_journey, write_proof

pytestmark = [
    pytest.mark.boot, pytest.mark.slow, pytest.mark.timeout(3600),
    pytest.mark.skipif(os.geteuid() != 0, reason="image builds and loop devices need root"),
    pytest.mark.skipif(not shutil.which("qemu-system-x86_64"), reason="QEMU is not installed (tests/run.sh does it)"),
]


JOURNEYS = {  # test name (as selected) -> (family, with guest preparation)
    "test_a_migrated_guest_boots_on_ahv_and_answers_on_its_kept_address[debian]": ("debian", True),
    "test_a_migrated_guest_boots_on_ahv_and_answers_on_its_kept_address[rhel]": ("rhel", True),
    "test_a_migrated_guest_boots_on_ahv_and_answers_on_its_kept_address[ubuntu]": ("ubuntu", True),
    "test_control_without_guest_preparation_the_guest_cannot_find_its_root_disk_on_virtio": ("debian", False),
}


class Journeys:
    """The selected journeys, started together in threads; ``take`` hands a test its own (the lab with it)."""

    def __init__(self, base: Path, names: list[str]) -> None:
        self._pool = ThreadPoolExecutor(max(1, len(names)), thread_name_prefix="journey")
        self._futures: dict[str, Future[tuple[Any, Journey]]] = {}
        for name in names:
            family, prep = JOURNEYS[name]
            state = base / ("control" if not prep else family)
            self._futures[name] = self._pool.submit(run_journey, state, family, prep=prep,
                                                    before_cutover=write_proof if prep else None)

    def take(self, name: str) -> tuple[Any, Journey]:
        lab, j = self._futures.pop(name).result()
        print(f"{name}: timings {({k: round(v) for k, v in j.timings.items()})}")
        return lab, j

    def close(self) -> None:
        for future in self._futures.values():  # journeys no test took (it was interrupted): stop their labs
            future.cancel()
            if not future.cancelled():
                with contextlib.suppress(BaseException):  # a journey that failed stopped its lab itself
                    future.result()[0].stop()
        self._pool.shutdown(wait=True)


@pytest.fixture(scope="module")
def journeys(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journeys]:
    from tests.support.boot import JOURNEYS_KEY

    started = request.config.stash.get(JOURNEYS_KEY, None)
    if started is not None:  # started with the session (tests/support/boot.py), closed when it ends
        yield started
        return
    names = [item.name for item in request.session.items if item.name in JOURNEYS]
    pool = Journeys(tmp_path_factory.mktemp("journeys"), names)
    try:
        yield pool
    finally:
        pool.close()


def _root_by_uuid(family: str, facts: dict) -> None:
    fstab, cmdline = facts["fstab"], facts["cmdline"]
    if family == "rhel":  # root on LVM: the volume group is found by its metadata, whatever the disk's name
        assert fstab["/"] == "/dev/mapper/rhel-root" and "rd.lvm.lv=rhel/root" in cmdline
    else:
        assert fstab["/"].startswith("UUID="), fstab
        roots = [w for w in cmdline.split() if w.startswith("root=")]
        assert roots and all(w.startswith("root=UUID=") for w in roots), cmdline
    # Every line that named a device (sdX, by-id, by-path) now names a file system.
    assert not [s for s in fstab.values() if s.startswith("/dev/") and not s.startswith("/dev/mapper/")], fstab


@pytest.mark.parametrize("family", ["debian", "rhel", "ubuntu"])
def test_a_migrated_guest_boots_on_ahv_and_answers_on_its_kept_address(
        request: pytest.FixtureRequest, journeys: Journeys, family: str) -> None:
    lab, j = journeys.take(request.node.name)
    try:
        assert j.state is JobState.DONE, (j.error, j.steps)
        # Issue 21.2 (checked in the running source after the preparation): root's, not group/other-writable.
        assert j.checks_on_source["perms"], "no first-boot file was found"
        for path, uid, mode, *_kind in j.checks_on_source["perms"]:
            assert uid == "0" and int(mode, 8) & 0o022 == 0, (path, uid, mode)
        # The engine read the first-boot report before it marked the job done.
        assert j.steps.get("Waiting for guest") == "succeeded", j.steps
        first_boot = j.job.get("first_boot") or {}
        assert first_boot.get("ok") is True and first_boot["data"]["on_target"] is True, first_boot

        facts = ahv_facts(j)
        # What the control below waits for is absent here: the same check tells a prepared guest from one that is not.
        console = lab.real.target_vm(VM_ID).console()
        assert not [n for n in ROOT_NOT_FOUND if n in console], console[-3000:]
        assert facts["vendor"] == "Nutanix", facts["raw"]  # this is the AHV VM answering on the kept address
        assert facts["digest"] == j.proof_digest
        for mp, source in facts["mounted"].items():
            assert source and source != "MISSING", (mp, facts["raw"])
        _root_by_uuid(family, facts)
        macs = [m.lower() for m in j.guest.macs]
        names = [facts["nics"][m][0] for m in macs]
        assert names == list(j.guest.image.nic_names), facts["nics"]
        for m in macs:
            _name, state, driver = facts["nics"][m]
            assert state == "up" and driver == "virtio_net", facts["nics"][m]
        first, second = facts["addr"][names[0]], facts["addr"][names[1]]
        assert f"{STATIC_IPV4}/24" in first and f"{STATIC_IPV6}/64" in first, first
        assert f"{DHCP_IPV4}/24" in second, second
        assert not [u for u in facts["failed"].split() if "xtract" in u], facts["failed"]
        assert facts["firstboot-result"].get("ok") is True, facts["firstboot-result"]
        if family == "debian":  # the image has open-vm-tools: the post-cutover clean-up removed it on AHV
            assert j.steps.get("Removing VMware Tools") == "succeeded", j.steps
            assert "installed" not in facts["vmtools"].replace("not-installed", ""), facts["vmtools"]
    finally:
        lab.stop()


def test_control_without_guest_preparation_the_guest_cannot_find_its_root_disk_on_virtio(
        request: pytest.FixtureRequest, journeys: Journeys) -> None:
    """The proof above can fail: the same image, not prepared, does not boot on AHV-like hardware."""
    lab, j = journeys.take(request.node.name)
    try:
        # Nobody could read a first-boot report from this guest, and the engine does not claim it saw one.
        assert j.state is JobState.DONE_UNVERIFIED, (j.error, j.steps)
        vm = lab.real.target_vm(VM_ID)
        assert vm is not None, "Prism powered on no real guest"
        seen = vm.wait_for_console(ROOT_NOT_FOUND, timeout=600)
        assert seen, vm.console()[-3000:]
        assert not ssh_banner(j.guest.ssh_port)
        assert "virtio_scsi" not in vm.console() or "vmw_pvscsi" in vm.console()
    finally:
        lab.stop()
