"""Readiness knows this laptop's NFS whitelist entry in warm mode: a container whose own whitelist does not name
it stops the job before anything is written, with what to do."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from xtract_gui.domain.inventory import StorageContainer
from xtract_gui.domain.plan import GuestChannelKind, TransferMode
from xtract_gui.domain.states import JobState
from xtract_gui.engine.manager import JobSnapshot

from .fakes import CONTAINER, Rig, make_plan, make_rig


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def _settled(s: JobSnapshot) -> bool:
    return s.ready_for_cutover or s.state in (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED, JobState.PAUSED)


def _run(rig: Rig, own_list: tuple[str, ...]) -> JobSnapshot:
    rig.target.containers = lambda cluster_uuid: [  # type: ignore[method-assign]
        StorageContainer(CONTAINER, "default", cluster_uuid, 10 * 2**40, 5 * 2**40, nfs_whitelist=own_list,
                         nfs_whitelist_inherited=False)]
    plan = dataclasses.replace(make_plan(rig.lab, channel=GuestChannelKind.NONE), transfer_mode=TransferMode.WARM)

    async def go() -> JobSnapshot:
        m = rig.manager()
        try:
            await m.start(plan)
            (snap,) = await m.wait([plan.vms[0].vm_id], _settled)
            return snap
        finally:
            await m.close()

    return asyncio.run(asyncio.wait_for(go(), 90))


def test_a_container_whose_own_whitelist_lacks_this_laptop_stops_the_job(rig: Rig) -> None:
    snap = _run(rig, ("10.9.0.0/255.255.0.0",))
    assert snap.state is JobState.FAILED
    assert "NFS whitelist of its own" in snap.error
    assert not any((rig.target.containers_dir / "default").rglob("*.raw"))  # nothing was written


def test_a_container_whose_own_whitelist_names_this_laptop_is_used(rig: Rig) -> None:
    snap = _run(rig, ("127.0.0.0/255.0.0.0",))  # Writers.whitelist_entry is 127.0.0.1/255.255.255.255
    assert snap.state is not JobState.FAILED, snap.error
