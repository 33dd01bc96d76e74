"""Two VMs whose names differ only outside ASCII (会計サーバー01, 営業サーバー01) migrated in one plan, warm and cold:
each AHV VM gets its own source's bytes, from its own staging folder or images, and each VM its own log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cli.test_lab_names import JAPANESE, japanese_lab
from tests.support.plans import in_mode
from xtract_gui.domain.plan import TransferMode
from xtract_gui.domain.readiness import check_plan
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.lab.runner import CONTAINER, Lab, verify_disks
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.prism]
STOPPED = (JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED,
           JobState.PAUSED, JobState.DONE, JobState.DONE_UNVERIFIED)


@pytest.mark.parametrize("mode", [TransferMode.WARM, TransferMode.COLD])
def test_two_vms_whose_names_fold_alike_keep_their_own_disks(tmp_path: Path, mode: TransferMode) -> None:
    japanese_lab(tmp_path / "lab", family="linux")
    home = tmp_path / "engine"
    with Lab(tmp_path / "lab", vms=2, guest_os_mix=("linux",), workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        plan = in_mode(lab.endpoints.plan, mode)
        assert sorted(v.name for v in plan.vms) == sorted(JAPANESE)
        manager = build_manager(secrets=lab.endpoints.secrets, state_dir=home,
                                tuning=Tuning(sync_interval_seconds=0.3, checkpoint_seconds=0.2))
        ids = [v.vm_id for v in plan.vms]
        staged: dict[str, set[str]] = {}

        async def go() -> None:
            try:
                await manager.start(plan)
                if mode is TransferMode.WARM:
                    snaps = await manager.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED)
                    assert all(s.ready_for_cutover for s in snaps), [(s.state, s.error) for s in snaps]
                    folder = lab.endpoints.containers_dir / CONTAINER / "xtract"  # type: ignore[union-attr]
                    staged["folders"] = {p.name for p in folder.iterdir()}
                    await manager.cutover(ids, requested_by="names-e2e")
                snaps = await manager.wait(ids, lambda s: s.state in STOPPED)
                assert [s.state.is_done for s in snaps] == [True] * 2, [s.error for s in snaps]
                if mode is TransferMode.COLD:
                    with lab.prism.state.lock:  # type: ignore[union-attr]
                        staged["images"] = {i["name"] for i in lab.prism.state.data["images"].values()}  # type: ignore[union-attr]
                staged["logs"] = {manager.emitter.log_path(v).name for v in ids}
                staged["names"] = {j.data["staging_name"] for j in manager.store.jobs()}
            finally:
                await manager.close()

        asyncio.run(asyncio.wait_for(go(), 240))
        assert len(staged["names"]) == 2 and len(staged["logs"]) == 2
        if mode is TransferMode.WARM:
            assert staged["folders"] == staged["names"]  # one folder per VM while they synced
        else:
            disks = sum(len(vm.disks) for vm in lab.inventory().vms)
            assert len(staged["images"]) == disks == 3  # one name per disk (kept: no guest reported its boot)
        assert verify_disks(lab, plan) == {vm_id: [] for vm_id in ids}


def test_readiness_blocks_two_vms_that_would_be_one_name_on_ahv(tmp_path: Path) -> None:
    japanese_lab(tmp_path / "lab", names=("Web-01", "web-01"), family="linux")
    with Lab(tmp_path / "lab", vms=2, guest_os_mix=("linux",), workload=False) as lab:
        assert lab.endpoints is not None and lab.source is not None
        from xtract_gui.engine.prep import target_inventory
        from xtract_gui.target import connect_prism

        target = connect_prism(lab.endpoints.prism_host, "admin", lab.endpoints.passwords["prism"],
                               port=lab.endpoints.prism_port, protocol="http")
        try:
            found = check_plan(lab.endpoints.plan, lab.source.inventory(),
                               target_inventory(target, lab.endpoints.plan.target.cluster_uuid))
        finally:
            target.close()
    twice = [f for fs in found.values() for f in fs if f.code == "target_name_twice"]
    assert len(twice) == 1 and twice[0].severity.value == "blocker", found
