"""Warm migration over real NFSv3: nfs-ganesha exports the Prism simulator's container directory, the
engine writes through ``NfsWriters`` (the product's NFS client, made by the wiring's ``writer_factory`` from
the plan's ``nfs_host``/``nfs_port``/``nfs_mount_port``), and the PE whitelist is added and removed."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Adapters, Tuning
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.ports import DiskWriterFactory
from xtract_gui.engine.store import Store
from xtract_gui.lab.runner import CONTAINER, Lab, same_bytes, verify_disks
from xtract_gui.wiring import NfsWriters, SourceAwareGuests, connect_source, connect_target_endpoint, writer_factory

pytestmark = [pytest.mark.e2e, pytest.mark.nfs, pytest.mark.prism]


def test_warm_migration_over_nfs(tmp_path: Path, ganesha_factory: Any) -> None:
    with Lab(tmp_path / "lab", vms=1, guest_os_mix=("linux",)) as lab:
        assert lab.endpoints is not None and lab.prism is not None and lab.source is not None
        nfs = ganesha_factory(container=CONTAINER, export_dir=lab.endpoints.containers_dir / CONTAINER)
        plan = dataclasses.replace(lab.endpoints.plan, target=dataclasses.replace(
            lab.endpoints.plan.target, nfs_host="127.0.0.1", nfs_port=nfs.nfs_port, nfs_mount_port=nfs.mount_port))
        seen_whitelists: list[list[str]] = []

        def writers(p: Any, target: Any) -> DiskWriterFactory:
            seen_whitelists.append(list(target.nfs_whitelist()))  # the writers exist before the whitelist entry
            made = writer_factory(p, target)
            assert isinstance(made, NfsWriters)
            return made

        adapters = Adapters(secrets=lab.endpoints.secrets, source=connect_source, target=connect_target_endpoint,
                            writers=writers, guests=SourceAwareGuests(), log_dir=tmp_path / "logs")
        manager = JobManager(store=Store(tmp_path / "x.sqlite3"), adapters=adapters,
                             tuning=Tuning(sync_interval_seconds=0.5, checkpoint_seconds=0.1))

        async def go() -> None:
            await manager.start(plan)
            ids = [v.vm_id for v in plan.vms]
            await manager.wait(ids, lambda s: s.sync_count >= 1 or s.state is JobState.FAILED)
            with lab.prism.state.lock:
                during = list(lab.prism.state.data["nfs_whitelist"])
            assert during == ["127.0.0.1/255.255.255.255"]
            await manager.cutover(ids, requested_by="nfs-e2e")
            snaps = await manager.wait(ids, lambda s: s.state.terminal or s.state is JobState.FAILED)
            assert [s.state.is_done for s in snaps] == [True], [s.error for s in snaps]
            # Every disk was written by a copy worker over its own NFS connections.
            assert any("in copy worker" in line.message for line in manager.log_lines(ids[0], 2000))
            await manager.close()

        asyncio.run(asyncio.wait_for(go(), 180))
        with lab.prism.state.lock:
            assert lab.prism.state.data["nfs_whitelist"] == []
        vm = plan.vms[0]
        # The AHV VM runs on its own cloned vmdisks, byte-exact; the staging folder went over NFS at cutover.
        (uuid,) = lab.prism.vm_uuids(vm.name)
        vmdisks = lab.prism.vm_disk_files(uuid)
        disks = lab.source.get_vm(vm.vm_id).disks
        assert len(vmdisks) == len(disks)
        for disk, vmdisk in zip(disks, vmdisks, strict=True):
            assert same_bytes(lab.source.live_disk_path(vm.vm_id, disk.key), vmdisk)
        staging = manager.store.job(vm.vm_id).data["staging_name"]  # type: ignore[union-attr]
        assert staging.startswith(vm.name)
        assert not (lab.endpoints.containers_dir / CONTAINER / "xtract" / staging).exists()
        assert [e.outcome for e in manager.store.journal(vm.vm_id) if e.action == "remove_staging"] == ["ok"]
        assert verify_disks(lab, plan) == {vm.vm_id: []}
        assert seen_whitelists == [[]]
