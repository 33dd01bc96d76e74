"""Whole migrations on the lab with the real adapters: the Prism simulator over HTTP through the Prism
adapter, the Windows guest simulator through the WinRM channel, the lab source, the local container writer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.plans import in_mode
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.engine.manager import JobManager, JobSnapshot
from xtract_gui.lab.runner import Lab, verify_disks
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.prism, pytest.mark.guest]
STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab(tmp_path / "lab", vms=2) as lab:
        yield lab


def _manager(lab: Lab, tmp_path: Path) -> JobManager:
    assert lab.endpoints is not None
    return build_manager(secrets=lab.endpoints.secrets, state_dir=tmp_path / "engine",
                         tuning=Tuning(sync_interval_seconds=0.5, guest_wait_seconds=30, checkpoint_seconds=0.1))


def _run(coro: Any) -> Any:
    async def main() -> Any:
        return await asyncio.wait_for(coro, 180)

    return asyncio.run(main())


async def _ready(m: JobManager, lab: Lab) -> list[str]:
    assert lab.endpoints is not None
    plan = lab.endpoints.plan
    await m.start(plan)
    ids = [v.vm_id for v in plan.vms]
    snaps = await m.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED)
    assert all(s.ready_for_cutover for s in snaps), [(s.name, s.state, s.error) for s in snaps]
    return ids


def _prism_vms(lab: Lab) -> dict[str, dict[str, Any]]:
    assert lab.prism is not None
    with lab.prism.state.lock:
        return {v["name"]: dict(v) for v in lab.prism.state.data["vms"].values()}


def _done(s: JobSnapshot) -> bool:
    return s.state in STOPPED


@pytest.mark.slow
def test_cutover_reads_the_first_boot_result_and_is_byte_exact(lab: Lab, tmp_path: Path) -> None:
    async def go() -> None:
        m = _manager(lab, tmp_path)
        ids = await _ready(m, lab)
        await m.cutover(ids, requested_by="e2e")
        snaps = await m.wait(ids, _done)
        assert [s.state.is_done for s in snaps] == [True] * 2, [s.error for s in snaps]
        wait = {s.step_id: s for s in m.steps(ids[0])}["cutover.wait_guest"]
        assert wait.state.value == "succeeded", wait.message
        await m.close()

    _run(go())
    assert lab.endpoints is not None
    # Byte-exact against each AHV VM's own cloned disks; the staging files went once the VMs had booted.
    assert verify_disks(lab, lab.endpoints.plan) == {v.vm_id: [] for v in lab.endpoints.plan.vms}
    assert [p for p in (lab.endpoints.containers_dir / "default-container" / "xtract").rglob("*") if p.is_file()] == []
    vms = _prism_vms(lab)
    assert set(vms) == {"lab-win-01", "lab-lin-02"} and all(v["power_state"] == "ON" for v in vms.values())
    guest = lab.guests["vm-1001"]
    assert guest.on_ahv and "Nutanix VirtIO" in guest.products


@pytest.mark.parametrize("method, path", [("POST", r"/vms/?$"), ("POST", r"/vms/[^/]+/set_power_state")])
def test_a_failed_cutover_step_rolls_back(lab: Lab, tmp_path: Path, method: str, path: str) -> None:
    async def go() -> None:
        m = _manager(lab, tmp_path)
        ids = await _ready(m, lab)
        assert lab.prism is not None
        lab.prism.fail_next(method, path, 500, count=10)
        await m.cutover(ids[1:], requested_by="e2e")
        (snap,) = await m.wait(ids[1:], _done)
        assert snap.state is JobState.ROLLED_BACK, snap.error
        assert _prism_vms(lab) == {}
        assert lab.endpoints is not None  # a rolled-back cutover keeps the staging files for the next attempt
        staging = m.store.job(ids[1]).data["staging_name"]  # type: ignore[union-attr]
        assert list((lab.endpoints.containers_dir / "default-container" / "xtract" / staging).glob("*.raw"))
        assert lab.source is not None and lab.source.get_vm(ids[1]).power_state.value == "on"
        await m.cancel(ids)
        await m.close()

    _run(go())


def test_test_migration_then_undo(lab: Lab, tmp_path: Path) -> None:
    async def go() -> None:
        m = _manager(lab, tmp_path)
        ids = await _ready(m, lab)
        await m.test_migration(ids[1:])
        vms = _prism_vms(lab)
        assert list(vms) == ["lab-lin-02-xtract-test"] and vms["lab-lin-02-xtract-test"]["power_state"] == "ON"
        await m.test_migration(ids[1:], undo=True)
        assert _prism_vms(lab) == {}
        assert lab.source is not None and lab.source.get_vm(ids[1]).power_state.value == "on"
        await m.cancel(ids)
        await m.close()

    _run(go())


def test_cancel_cleans_up_both_sides(lab: Lab, tmp_path: Path) -> None:
    async def go() -> None:
        m = _manager(lab, tmp_path)
        ids = await _ready(m, lab)
        await m.cancel(ids, undo_guest=True)
        assert {s.state for s in m.jobs()} == {JobState.CANCELLED}
        await m.close()

    _run(go())
    assert lab.source is not None and lab.endpoints is not None
    assert all(lab.source.list_snapshots(v.vm_id) == [] for v in lab.endpoints.plan.vms)
    assert list((lab.endpoints.containers_dir / "default-container").rglob("*.raw")) == []
    assert _prism_vms(lab) == {}


def test_cancel_in_cold_mode_deletes_the_images_already_uploaded(lab: Lab, tmp_path: Path) -> None:
    import dataclasses

    from xtract_gui.domain.plan import TransferMode

    assert lab.endpoints is not None and lab.prism is not None and lab.source is not None
    base = lab.endpoints.plan
    two_disks = next(v for v in base.vms if len(lab.source.get_vm(v.vm_id).disks) == 2)
    # A slow link: the second disk is still on its way when the first image is in.
    plan = in_mode(base, TransferMode.COLD, vms=(two_disks,),
                   options=dataclasses.replace(base.options, bandwidth_limit_mbps=16.0))
    vm_id = two_disks.vm_id

    def images() -> set[str]:
        with lab.prism.state.lock:  # type: ignore[union-attr]
            return set(lab.prism.state.data["images"])  # type: ignore[union-attr]

    async def go() -> None:
        m = _manager(lab, tmp_path)
        await m.start(plan)
        while not any(r["target_ref"] for r in m.store.disks(vm_id).values()):
            assert not m.jobs()[0].state.terminal and m.jobs()[0].state is not JobState.FAILED, m.jobs()[0].error
            await asyncio.sleep(0.02)
        assert images(), "the first disk's image is on Prism"
        await m.cancel([vm_id])
        assert m.jobs()[0].state is JobState.CANCELLED
        await m.close()

    _run(go())
    assert images() == set()  # the finished image deleted, the half upload left nothing
    assert lab.source.get_vm(vm_id).power_state.value == "on"  # cold mode had shut it down
    assert _prism_vms(lab) == {}


def test_cold_mode_streams_sparse_images_and_the_ahv_disks_equal_the_source(lab: Lab, tmp_path: Path) -> None:
    import shutil
    import subprocess

    from xtract_gui.domain.plan import TransferMode
    from xtract_gui.engine.events import Event, StepChanged, StepState

    assert lab.endpoints is not None and lab.prism is not None and lab.source is not None
    prism = lab.prism
    plan = in_mode(lab.endpoints.plan, TransferMode.COLD)
    uploaded: dict[str, dict[str, Any]] = {}  # image uuid -> its record, while it exists

    def on_event(event: Event) -> None:
        # Delivered on the loop thread before the job goes on: the images exist between the copy and
        # the clean-up after the cutover.
        if isinstance(event, StepChanged) and event.step_id == "seed" and event.state is StepState.SUCCEEDED:
            with prism.state.lock:
                for u, r in prism.state.data["images"].items():
                    uploaded[u] = {**r, "stored_bytes": (prism.state_dir / r["path"]).stat().st_size}

    async def go() -> dict[str, dict[int, str]]:
        m = _manager(lab, tmp_path)
        m.subscribe(on_event)
        await m.start(plan)
        snaps = await m.wait([v.vm_id for v in plan.vms], _done)
        assert [s.state.is_done for s in snaps] == [True] * 2, [s.error for s in snaps]
        refs = {v.vm_id: {k: str(r["target_ref"]) for k, r in m.store.disks(v.vm_id).items()} for v in plan.vms}
        for v in plan.vms:  # one journaled delete per image, each settled, once the guest reported its boot
            deletes = [(e.object, e.outcome) for e in m.store.journal(v.vm_id) if e.action == "delete_image"]
            reported = v.guest.channel is GuestChannelKind.WINRM
            assert sorted(deletes) == (sorted((u, "ok") for u in refs[v.vm_id].values()) if reported else [])
        await m.close()
        return refs

    refs = _run(go())
    images = {u for disks in refs.values() for u in disks.values()}
    assert set(uploaded) == images and all(r["disk_format"] == "vmdk" for r in uploaded.values())
    for vm_id, disks in refs.items():
        for key, image_uuid in disks.items():
            live = lab.source.live_disk_path(vm_id, key)
            assert uploaded[image_uuid]["stored_bytes"] < live.stat().st_size // 4  # sparse, not the whole disk
    # The streamed images of a VM whose guest reported its first boot are gone from the image service (and
    # their files from the container); without a report (the Linux VM has no guest channel) they stay for a
    # person to check the VM.  The AHV VMs have their own cloned vmdisks either way.
    unchecked = {u for v in plan.vms if v.guest.channel is not GuestChannelKind.WINRM for u in refs[v.vm_id].values()}
    assert unchecked and unchecked != images
    with prism.state.lock:
        assert set(prism.state.data["images"]) == unchecked
    assert not any((prism.state_dir / r["path"]).exists() for u, r in uploaded.items() if u not in unchecked)
    qemu_img = shutil.which("qemu-img")
    assert qemu_img, "qemu-utils is missing (tests/run.sh installs it)"
    for vm_plan in plan.vms:
        (uuid,) = prism.vm_uuids(vm_plan.name)
        vmdisks = prism.vm_disk_files(uuid)
        assert len(vmdisks) == len(refs[vm_plan.vm_id])
        for vmdisk, key in zip(vmdisks, sorted(refs[vm_plan.vm_id]), strict=True):
            live = lab.source.live_disk_path(vm_plan.vm_id, key)
            out = subprocess.run([qemu_img, "compare", "-f", "raw", "-F", "raw", str(vmdisk), str(live)],
                                 capture_output=True, text=True, timeout=60)
            assert out.returncode == 0, out.stdout + out.stderr
    assert verify_disks(lab, plan) == {v.vm_id: [] for v in plan.vms}
