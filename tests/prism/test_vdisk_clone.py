"""VM disks are clones, as on AHV: each disk of a new VM gets its own vmdisk file, independent of the staging
file or image it was made from, at the path both API surfaces report."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from tests.prism.conftest import Surface
from tests.prism.test_operations import MIB, chunks, vm_spec
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.errors import XtractError
from xtract_gui.domain.inventory import TargetDiskSpec

pytestmark = pytest.mark.prism
GIB = 2**30
STAGED = "/default-container/xtract/web01/disk-2000.raw"


def _sparse_disk(path: Path, size: int) -> bytes:
    """A sparse file with a few data runs; returns its whole content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.truncate(size)
        for offset in (0, 5 * MIB + 123, size - MIB):
            f.seek(offset)
            f.write(os.urandom(70_000))
    return path.read_bytes()


def _rendered_vmdisk(surface: Surface, vm_uuid: str) -> str:
    """The disk's location as the surface reports it: v2 ``ndfs_filepath`` / the v3 disk (vmdisk) uuid."""
    auth = (PRISM_USER, PRISM_PASSWORD)
    if surface.mode == "pe":
        url = f"{surface.sim.url}/PrismGateway/services/rest/v2.0/vms/{vm_uuid}?include_vm_disk_config=true"
        (disk,) = requests.get(url, auth=auth, timeout=10).json()["vm_disk_info"]
        assert disk["disk_address"]["vmdisk_uuid"] in disk["disk_address"]["ndfs_filepath"]
        return str(disk["disk_address"]["ndfs_filepath"])
    body = requests.get(f"{surface.sim.url}/api/nutanix/v3/vms/{vm_uuid}", auth=auth, timeout=10).json()
    (disk,) = body["status"]["resources"]["disk_list"]
    container = disk["storage_config"]["storage_container_reference"]["name"]
    return f"/{container}/.acropolis/vmdisk/{disk['uuid']}"


def _vm_from_staging(surface: Surface, name: str, staged_size: int, disk_size: int) -> tuple[Path, bytes, str, Path]:
    """A staging file of ``staged_size`` and a VM whose one disk of ``disk_size`` is cloned from it:
    (staging file, its bytes, VM uuid, the VM's vmdisk file)."""
    staged = surface.sim.state_dir / "containers" / STAGED.lstrip("/")
    data = _sparse_disk(staged, staged_size)
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, name, disks=(
        TargetDiskSpec(size_bytes=disk_size, ndfs_path=STAGED),)))
    (vmdisk,) = surface.sim.vm_disk_files(vm_uuid)
    return staged, data, vm_uuid, vmdisk


def test_a_disk_cloned_from_a_staging_file_outlives_it(surface: Surface) -> None:
    staged, data, vm_uuid, vmdisk = _vm_from_staging(surface, "from-staging", 64 * MIB, 64 * MIB)
    assert vmdisk != staged
    assert "/" + str(vmdisk.relative_to(surface.sim.state_dir / "containers")) == _rendered_vmdisk(surface, vm_uuid)
    assert vmdisk.read_bytes() == data
    assert vmdisk.stat().st_blocks * 512 < 4 * MIB  # the holes stayed holes
    staged.unlink()  # what the engine does once the VM has booted
    assert vmdisk.read_bytes() == data
    surface.target.delete_vm(vm_uuid)
    assert not vmdisk.exists()  # a VM's vmdisks go with it


def test_a_disk_bigger_than_its_source_is_padded_with_zeros(surface: Surface) -> None:
    _, data, _, vmdisk = _vm_from_staging(surface, "grown", 8 * MIB, 16 * MIB)
    assert vmdisk.read_bytes() == data + bytes(8 * MIB)


def test_a_disk_cloned_from_a_stream_optimized_vmdk_image_is_raw(surface: Surface, tmp_path: Path) -> None:
    qemu_img = shutil.which("qemu-img")
    assert qemu_img, "qemu-utils is missing (tests/run.sh installs it)"
    raw = tmp_path / "disk.raw"
    data = _sparse_disk(raw, 32 * MIB)
    vmdk = tmp_path / "disk.vmdk"
    subprocess.run([qemu_img, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
                    str(raw), str(vmdk)], check=True, timeout=60)
    sent = vmdk.read_bytes()
    image = surface.target.upload_image("streamed", surface.container_uuid(), iter(chunks(sent)), size=len(sent),
                                        disk_format="vmdk", sha256=hashlib.sha256(sent).hexdigest())
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "from-image", disks=(
        TargetDiskSpec(size_bytes=32 * MIB, image_uuid=image),)))
    (vmdisk,) = surface.sim.vm_disk_files(vm_uuid)
    assert vmdisk.read_bytes() == data  # converted, as AOS converts an imported VMDK to a raw vdisk
    assert (surface.sim.state_dir / surface.sim.image_record(image)["path"]).read_bytes() == sent  # image kept
    surface.target.delete_image(image)
    assert vmdisk.read_bytes() == data


def test_an_empty_disk_is_all_hole(surface: Surface) -> None:
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "blank", disks=(TargetDiskSpec(size_bytes=GIB),)))
    (vmdisk,) = surface.sim.vm_disk_files(vm_uuid)
    assert vmdisk.stat().st_size == GIB and vmdisk.stat().st_blocks == 0



def test_a_failed_clone_leaves_no_vm_and_no_vmdisk(surface: Surface, tmp_path: Path) -> None:
    qemu_img = shutil.which("qemu-img")
    assert qemu_img, "qemu-utils is missing (tests/run.sh installs it)"
    raw, vmdk = tmp_path / "disk.raw", tmp_path / "disk.vmdk"
    _sparse_disk(raw, 8 * MIB)
    subprocess.run([qemu_img, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized",
                    str(raw), str(vmdk)], check=True, timeout=60)
    sent = vmdk.read_bytes()
    image = surface.target.upload_image("damaged", surface.container_uuid(), iter(chunks(sent)), size=len(sent),
                                        disk_format="vmdk")
    stored = surface.sim.state_dir / surface.sim.image_record(image)["path"]
    with stored.open("r+b") as f:  # the first grain's deflate stream, garbled on the cluster's disk
        f.seek(65536 + 12)
        f.write(b"\xff" * 64)
    with pytest.raises(XtractError, match="damaged"):
        surface.target.create_vm(vm_spec(surface.target, "broken", disks=(
            TargetDiskSpec(size_bytes=8 * MIB, image_uuid=image),)))
    assert surface.sim.vm_uuids("broken") == []
    assert list((surface.sim.state_dir / "containers").glob("*/.acropolis/vmdisk/*")) == []
