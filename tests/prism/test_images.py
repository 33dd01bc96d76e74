"""Images as real Prism makes them: PC's own upload tasks after the bytes, a PE image INACTIVE for a while after
its upload, and PC placing an image on one cluster only when told (else on every cluster it manages)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.prism.conftest import CLUSTER_UUID, SEED, ZELDA_UUID
from tests.prism.test_operations import MIB, chunks, vm_spec
from tests.support.prism import ClustersLab
from xtract_gui.domain.errors import CancelledError, RemoteTaskError
from xtract_gui.domain.inventory import TargetDiskSpec
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import PrismTaskError

pytestmark = pytest.mark.prism


def _image_reads(sim: PrismSimulator, image_uuid: str) -> int:
    return sum(1 for m, p, _ in sim.request_log if m == "GET" and p.rstrip("/").endswith(f"/images/{image_uuid}"))


# -- Prism Element: INACTIVE for a while after the upload task ------------------------------------


def test_pe_image_inactive_after_its_upload_is_waited_for_not_deleted(
        prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> None:
    pe = prism_factory("pe", seed=SEED)
    pe.image_settle(1.0)
    target = prism_connect(pe)
    data = os.urandom(MIB)
    notes: list[str] = []
    image = target.upload_image("settling", "", iter([data]), size=len(data), progress=lambda f, m: notes.append(m))
    assert pe.image_record(image)["state"] == "COMPLETE"  # kept, and usable
    assert target.t.json("GET", f"/PrismGateway/services/rest/v2.0/images/{image}",
                         action="read")["image_state"] == "ACTIVE"
    assert _image_reads(pe, image) >= 3  # INACTIVE reads, then ACTIVE
    assert any("activate" in n for n in notes)


def test_pe_image_never_active_fails_after_a_bounded_wait(prism_factory: Callable[..., PrismSimulator],
                                                         prism_connect: Callable[..., Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from xtract_gui.target import prism_element

    monkeypatch.setattr(prism_element, "IMAGE_ACTIVE_TIMEOUT", 0.5)
    pe = prism_factory("pe", seed=SEED)
    pe.image_settle(3600)
    target = prism_connect(pe)
    with pytest.raises(RemoteTaskError, match="still INACTIVE"):
        target.upload_image("stuck", "", iter([b"x" * 4096]), size=4096)
    assert pe.state.data["images"] == {}  # given up on after the bounded wait: removed


def test_pe_wait_for_an_active_image_can_be_cancelled(prism_factory: Callable[..., PrismSimulator],
                                                      prism_connect: Callable[..., Any]) -> None:
    pe = prism_factory("pe", seed=SEED)
    pe.image_settle(3600)
    target = prism_connect(pe)
    cancel = threading.Event()

    def progress(fraction: float, message: str) -> None:
        if "activate" in message:
            cancel.set()

    started = time.monotonic()
    with pytest.raises(CancelledError):
        target.upload_image("cancelled", "", iter([b"x" * 4096]), size=4096, progress=progress, cancel=cancel)
    assert time.monotonic() - started < 60


# -- Prism Central: its own upload tasks after PUT /file ------------------------------------------


def test_pc_upload_waits_for_pcs_own_upload_task(prism_factory: Callable[..., PrismSimulator],
                                                 prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    pc.task_delay(0.5)  # the upload task takes a while: the image reads PENDING meanwhile
    data = os.urandom(2 * MIB)
    image = target.upload_image("pc upload", "", iter(chunks(data)), size=len(data))
    record = pc.image_record(image)
    assert record["state"] == "COMPLETE"
    assert (pc.state_dir / record["path"]).read_bytes() == data
    assert _image_reads(pc, image) >= 2
    tasks = [p for m, p, _ in pc.request_log if m == "GET" and "/tasks/" in p]
    assert any(p.endswith(record["task_uuids"][-1]) for p in tasks)  # the upload task was followed


def test_pc_failed_upload_task_is_reported_with_its_reason(prism_factory: Callable[..., PrismSimulator],
                                                           prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    pc.fail_next_task("ImageUpload", "IMAGE_UPLOAD_FAILED",
                      "Failed to upload image to cluster ganon: insufficient space in SelfServiceContainer")
    with pytest.raises(PrismTaskError) as info:
        target.upload_image("no room", "", iter([b"y" * 4096]), size=4096)
    assert info.value.error_detail.endswith("insufficient space in SelfServiceContainer")
    assert "insufficient space" in str(info.value)
    assert pc.state.data["images"] == {}


# -- Prism Central with two clusters: placement ---------------------------------------------------




def _zelda_image_files(lab: ClustersLab) -> list[str]:
    root = lab.element(ZELDA_UUID).state_dir / "containers"
    return [p.name for p in root.rglob("*") if p.is_file() and "image" in p.parts]


def test_an_upload_is_placed_on_its_containers_cluster_only(lab: ClustersLab, central: Any) -> None:
    ganon_ctr = next(c.uuid for c in central.containers(CLUSTER_UUID) if c.name == "default-container")
    data = os.urandom(MIB)
    image = central.upload_image("placed", ganon_ctr, iter([data]), size=len(data))
    assert lab.pc.image_record(image)["placement"] == [CLUSTER_UUID]
    assert _zelda_image_files(lab) == []  # nothing crossed to the other cluster


def test_without_placement_pc_copies_an_image_to_every_cluster(lab: ClustersLab) -> None:
    """What real PC does when no initial_placement_ref_list is given (the behaviour the adapter avoids)."""
    import requests

    from tests.support.prism import PRISM_PASSWORD, PRISM_USER

    auth = (PRISM_USER, PRISM_PASSWORD)
    base = f"{lab.pc.url}/api/nutanix/v3"
    made = requests.post(f"{base}/images", auth=auth, timeout=10, json={
        "metadata": {"kind": "image"}, "spec": {"name": "everywhere", "resources": {"image_type": "DISK_IMAGE"}}})
    image = made.json()["metadata"]["uuid"]
    assert requests.put(f"{base}/images/{image}/file", data=b"z" * 8192, auth=auth, timeout=10).status_code == 200
    deadline = time.monotonic() + 30
    while lab.pc.image_record(image)["state"] != "COMPLETE":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert sorted(lab.pc.image_record(image)["placement"]) == sorted([CLUSTER_UUID, ZELDA_UUID])
    assert _zelda_image_files(lab) == [image]


def test_a_staging_import_runs_on_the_plans_cluster_only(lab: ClustersLab, central: Any) -> None:
    """Without placement the other cluster would try the nfs:// import too, and be refused by the whitelist."""
    staged = lab.pc.state_dir / "containers" / "default-container" / "xtract"
    staged.mkdir(parents=True)
    (staged / "web01-disk0.raw").write_bytes(b"\x02" * MIB)
    central.clusters()
    vm_uuid = central.create_vm(vm_spec(central, "staged on ganon", disks=(
        TargetDiskSpec(size_bytes=2 * MIB, ndfs_path="/default-container/xtract/web01-disk0.raw"),)))
    assert lab.pc.state.data["vms"][vm_uuid]["disks"][0]["size_bytes"] == 2 * MIB
    assert lab.pc.state.data["images"] == {}  # the staging image is gone once the VM has its disk
    assert _zelda_image_files(lab) == []


# -- where the disks land -------------------------------------------------------------------------


def test_pc_clones_image_disks_into_the_images_container_whatever_storage_config_says(
        prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> None:
    """v3 ignores storage_config on a disk cloned from an image (terraform-provider-nutanix issues #223, #686):
    the disk lands where the image is, PC's SelfServiceContainer."""
    pc = prism_factory("pc", seed=SEED)
    target = prism_connect(pc)
    by_name = {c["name"]: c["uuid"] for c in pc.state.data["containers"].values()}
    data = os.urandom(MIB)
    image = target.upload_image("landing", by_name["default-container"], iter([data]), size=len(data))
    assert pc.image_record(image)["container_uuid"] == by_name["SelfServiceContainer"]
    vm_uuid = target.create_vm(vm_spec(target, "landed", disks=(
        TargetDiskSpec(size_bytes=MIB, image_uuid=image, container_uuid=by_name["default-container"]),)))
    disk = pc.state.data["vms"][vm_uuid]["disks"][0]
    assert disk["container_uuid"] == by_name["SelfServiceContainer"]
    assert pc.vm_disk_files(vm_uuid)[0].parent.parent.parent.name == "SelfServiceContainer"
