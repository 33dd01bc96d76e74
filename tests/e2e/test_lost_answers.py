"""Lost answers on the real wire (the fault proxy in front of the lab Prism and of govmomi's vCenter simulator):
a create whose answer never came is found by its marker, never doubled nor orphaned; a rollback leaves the source
exactly as it was before the cutover (on, no migration snapshot)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.faultproxy import FaultProxy, Rule
from tests.support.plans import in_mode
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, Plan, TransferMode
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.engine.events import Event, StepChanged, StepState
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.resilient import Retries
from xtract_gui.lab.runner import CONTAINER, Lab, verify_disks
from xtract_gui.transfer.retry import RetryPolicy
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.prism]
STOPPED = (JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED,
           JobState.PAUSED, JobState.DONE, JobState.DONE_UNVERIFIED)
CREATE_VM = rb"^POST /PrismGateway/services/rest/v2\.0/vms "
FAST = Retries(attempts=4, base_delay=0.05, max_delay=0.2)


def _no_guests(plan: Plan) -> Plan:
    return dataclasses.replace(plan, vms=tuple(dataclasses.replace(v, guest=GuestAccess(channel=GuestChannelKind.NONE))
                                               for v in plan.vms))


def _manager(lab: Lab, home: Path, **tuning: Any) -> JobManager:
    assert lab.endpoints is not None
    return build_manager(secrets=lab.endpoints.secrets, state_dir=home,
                         tuning=Tuning(sync_interval_seconds=0.3, checkpoint_seconds=0.2, guest_wait_seconds=20,
                                       retry=FAST, **tuning))


def _ahv_vms(lab: Lab, name: str) -> list[str]:
    assert lab.prism is not None
    return lab.prism.vm_uuids(name)


async def _to_ready(m: JobManager, plan: Plan) -> list[str]:
    ids = [v.vm_id for v in plan.vms]
    await m.start(plan)
    snaps = await m.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED)
    assert all(s.ready_for_cutover for s in snaps), [(s.state, s.error) for s in snaps]
    return ids


def _through_prism(lab: Lab, proxy: FaultProxy) -> Plan:
    assert lab.endpoints is not None
    plan = lab.endpoints.plan
    return dataclasses.replace(plan, target=dataclasses.replace(plan.target, port=proxy.port))


def test_a_create_whose_answer_is_lost_is_adopted(tmp_path: Path, fault_proxy: Callable[..., FaultProxy]) -> None:
    with Lab(tmp_path / "lab", vms=1, workload=False) as lab:
        assert lab.endpoints is not None
        proxy = fault_proxy(lab.endpoints.prism_port)
        plan = _through_prism(lab, proxy)
        m = _manager(lab, tmp_path / "home", orphan_wait_seconds=20)
        ids = [v.vm_id for v in plan.vms]

        async def go() -> None:
            try:
                await _to_ready(m, plan)
                proxy.add_rule(Rule("after_request", CREATE_VM))
                await m.cutover(ids, requested_by="lost-answer")
                snaps = await m.wait(ids, lambda s: s.state in STOPPED)
                assert [s.state.is_done for s in snaps] == [True], [s.error for s in snaps]
                creates = [e for e in m.store.journal(ids[0]) if e.action == "create_vm"]
                assert [(e.outcome, e.params.get("adopted")) for e in creates] == [("ok", True)]
            finally:
                await m.close()

        asyncio.run(asyncio.wait_for(go(), 180))
        assert proxy.injected == {"after_request": 1}
        assert len(_ahv_vms(lab, plan.vms[0].name)) == 1
        assert verify_disks(lab, plan) == {ids[0]: []}


def test_a_lost_create_that_prism_finishes_late_is_neither_doubled_nor_orphaned(
        tmp_path: Path, fault_proxy: Callable[..., FaultProxy]) -> None:
    with Lab(tmp_path / "lab", vms=1, workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        proxy = fault_proxy(lab.endpoints.prism_port)
        plan = _no_guests(_through_prism(lab, proxy))
        # Prism finishes the lost create only after the job stopped looking for it: the cutover rolls back.
        m = _manager(lab, tmp_path / "home", orphan_wait_seconds=0.3)
        ids = [v.vm_id for v in plan.vms]
        name = plan.vms[0].name

        async def go() -> None:
            try:
                await _to_ready(m, plan)
                proxy.add_rule(Rule("after_request", CREATE_VM))
                lab.prism.task_delay(2.0)  # type: ignore[union-attr]
                await m.cutover(ids, requested_by="lost-answer")
                (snap,) = await m.wait(ids, lambda s: s.state in STOPPED)
                assert snap.state is JobState.ROLLED_BACK, snap.error
                lab.prism.task_delay(0.01)  # type: ignore[union-attr]
                while not _ahv_vms(lab, name):  # Prism's task ends: the VM exists, made by nobody's answer
                    await asyncio.sleep(0.1)
                await m.retry(ids)
                await m.wait(ids, lambda s: s.ready_for_cutover or s.state in STOPPED)
                await m.cutover(ids, requested_by="again")
                (snap,) = await m.wait(ids, lambda s: s.state in STOPPED)
                assert snap.state.is_done, snap.error
                outcomes = [e.outcome for e in m.store.journal(ids[0]) if e.action == "create_vm"]
                assert outcomes == ["failed", "adopted"], outcomes
            finally:
                await m.close()

        asyncio.run(asyncio.wait_for(go(), 180))
        assert len(_ahv_vms(lab, name)) == 1
        assert verify_disks(lab, plan) == {ids[0]: []}


@pytest.mark.vcsim
def test_a_rollback_leaves_no_snapshot_on_the_source(tmp_path: Path, fault_proxy: Callable[..., FaultProxy]) -> None:
    with Lab(tmp_path / "lab", vms=2, source="vcsim", workload=False) as lab:
        assert lab.endpoints is not None and lab.vsphere is not None
        source = lab.endpoints.plan.source
        proxy = fault_proxy(source.port)
        plan = _no_guests(lab.endpoints.plan)
        plan = dataclasses.replace(plan, vms=plan.vms[:1], source=dataclasses.replace(source, port=proxy.port))
        vm_id = plan.vms[0].vm_id
        m = _manager(lab, tmp_path / "home", copy_retry=RetryPolicy(attempts=2, base_delay=0.01))

        def break_final_sync(event: Event) -> None:
            # The final sync's snapshot is taken; then every read of the disk breaks off, for good.
            if isinstance(event, StepChanged) and event.step_id == "cutover.final_sync" \
                    and event.state is StepState.RUNNING:
                proxy.add_rule(Rule("mid_answer", rb"^GET /folder/", times=0))

        m.subscribe(break_final_sync)

        async def go() -> None:
            try:
                await m.start(plan)
                await m.wait([vm_id], lambda s: s.sync_count >= 1 or s.state in STOPPED)
                await m.cutover([vm_id], requested_by="rollback")
                (snap,) = await m.wait([vm_id], lambda s: s.state in STOPPED)
                assert snap.state is JobState.ROLLED_BACK, snap.error
            finally:
                await m.close()

        asyncio.run(asyncio.wait_for(go(), 240))
        assert proxy.injected["mid_answer"] > 0
        vm = lab.vsphere.get_vm(vm_id)
        assert vm.power_state.value == "on"
        assert [s.name for s in lab.vsphere.list_snapshots(vm_id)] == []


@pytest.mark.nfs
def test_a_whitelist_entry_whose_answer_is_lost_is_taken_once_and_given_back(
        tmp_path: Path, fault_proxy: Callable[..., FaultProxy], ganesha_factory: Any) -> None:
    with Lab(tmp_path / "lab", vms=1, guest_os_mix=("linux",), workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        nfs = ganesha_factory(container=CONTAINER, export_dir=lab.endpoints.containers_dir / CONTAINER)
        proxy = fault_proxy(lab.endpoints.prism_port)
        plan = _through_prism(lab, proxy)
        plan = dataclasses.replace(plan, target=dataclasses.replace(
            plan.target, nfs_host="127.0.0.1", nfs_port=nfs.nfs_port, nfs_mount_port=nfs.mount_port))
        proxy.add_rule(Rule("after_request", rb"^POST /PrismGateway/services/rest/v2\.0/cluster/nfs_whitelist "))
        proxy.add_rule(Rule("after_request", rb"^DELETE /PrismGateway/services/rest/v2\.0/cluster/nfs_whitelist/"))
        m = _manager(lab, tmp_path / "home")
        ids = [v.vm_id for v in plan.vms]

        async def go() -> None:
            try:
                await _to_ready(m, plan)
                with lab.prism.state.lock:  # type: ignore[union-attr]
                    assert lab.prism.state.data["nfs_whitelist"] == ["127.0.0.1/255.255.255.255"]  # type: ignore[union-attr]
                await m.cutover(ids, requested_by="whitelist")
                snaps = await m.wait(ids, lambda s: s.state in STOPPED)
                assert [s.state.is_done for s in snaps] == [True], [s.error for s in snaps]
            finally:
                await m.close()

        asyncio.run(asyncio.wait_for(go(), 180))
        assert proxy.injected == {"after_request": 2}
        with lab.prism.state.lock:
            assert lab.prism.state.data["nfs_whitelist"] == []
        assert verify_disks(lab, plan) == {ids[0]: []}


def test_an_image_whose_create_answer_is_lost_leaves_no_stray_image(
        tmp_path: Path, fault_proxy: Callable[..., FaultProxy]) -> None:
    with Lab(tmp_path / "lab", vms=2, guest_os_mix=("linux",), workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        proxy = fault_proxy(lab.endpoints.prism_port)
        plan = in_mode(_through_prism(lab, proxy), TransferMode.COLD)
        plan = dataclasses.replace(plan, vms=plan.vms[:1])
        proxy.add_rule(Rule("after_request", rb"^POST /PrismGateway/services/rest/v2\.0/images "))
        m = _manager(lab, tmp_path / "home")
        ids = [v.vm_id for v in plan.vms]

        async def go() -> None:
            try:
                await m.start(plan)
                snaps = await m.wait(ids, lambda s: s.state in STOPPED)
                assert [s.state.is_done for s in snaps] == [True], [s.error for s in snaps]
                recorded = {str(r["target_ref"]) for r in m.store.disks(ids[0]).values()}
                with lab.prism.state.lock:  # type: ignore[union-attr]
                    images = set(lab.prism.state.data["images"])  # type: ignore[union-attr]
                assert images == recorded, (images, recorded)  # kept for a person to check, none more
            finally:
                await m.close()

        asyncio.run(asyncio.wait_for(go(), 180))
        assert proxy.injected == {"after_request": 1}
        assert verify_disks(lab, plan) == {ids[0]: []}
