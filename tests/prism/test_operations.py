"""Every TargetPlatform operation, through the real adapter, on both surfaces of the lab Prism."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.prism.conftest import CLUSTER_UUID, Surface
from xtract_gui.domain.errors import NotFoundError
from xtract_gui.domain.inventory import (
    BootType,
    PowerState,
    TargetDiskSpec,
    TargetKind,
    TargetNicSpec,
    TargetVMSpec,
)

pytestmark = pytest.mark.prism
MIB = 2**20


def chunks(data: bytes, size: int = MIB) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def upload(surface: Surface, name: str = "disk0", data: bytes | None = None) -> tuple[str, bytes]:
    data = data if data is not None else os.urandom(MIB) + bytes(3 * MIB) + b"tail"
    image = surface.target.upload_image(name, surface.container_uuid(), iter(chunks(data)), size=len(data),
                                        sha256=hashlib.sha256(data).hexdigest())
    return image, data


def vm_spec(target: Any, name: str, **kw: object) -> TargetVMSpec:
    """A VM on the seeded cluster with one NIC on VLAN 173 (``target``: any connected adapter)."""
    subnet = next(s for s in target.subnets(CLUSTER_UUID) if s.vlan_id == 173)
    defaults: dict[str, object] = dict(
        name=name, cluster_uuid=CLUSTER_UUID, num_sockets=2, cores_per_socket=4, memory_mib=4096,
        boot_type=BootType.UEFI, disks=(), nics=(TargetNicSpec(subnet_uuid=subnet.uuid, mac="00:50:56:01:02:03"),))
    defaults.update(kw)
    return TargetVMSpec(**defaults)  # type: ignore[arg-type]


def test_kind_version_and_clusters(surface: Surface) -> None:
    t = surface.target
    assert t.kind is (TargetKind.PRISM_ELEMENT if surface.mode == "pe" else TargetKind.PRISM_CENTRAL)
    assert t.version == ("6.5.4.5" if surface.mode == "pe" else "pc.2024.1.0.1")
    clusters = t.clusters()
    # Prism Central lists itself as a cluster too; only the AHV cluster may come back.
    assert [(c.uuid, c.name, c.external_ip) for c in clusters] == [(CLUSTER_UUID, "ganon", "127.0.0.1")]


def test_containers_report_free_space(surface: Surface) -> None:
    containers = {c.name: c for c in surface.target.containers(CLUSTER_UUID)}
    assert set(containers) == {"default-container", "SelfServiceContainer"}
    default = containers["default-container"]
    assert (default.capacity_bytes, default.cluster_uuid) == (2**40, CLUSTER_UUID)
    before = default.free_bytes
    assert before <= 2**39
    # Bytes written into the container's directory (as NFS would) use space.
    ctr_dir = surface.element.state_dir / "containers" / "default-container"
    (ctr_dir / "written.raw").write_bytes(os.urandom(2 * MIB))
    after = {c.name: c for c in surface.target.containers(CLUSTER_UUID)}["default-container"].free_bytes
    assert before - after >= 2 * MIB


def test_subnets_with_vlans_and_unicode_names(surface: Surface) -> None:
    subnets = {s.name: s.vlan_id for s in surface.target.subnets(CLUSTER_UUID)}
    assert subnets == {"vlan0": 0, "prod 本番": 173, "dmz": 508}
    assert surface.target.subnets("00000000-0000-0000-0000-000000000000") == []


def test_upload_create_power_snapshot_delete(surface: Surface) -> None:
    t = surface.target
    image, data = upload(surface, "web01 disk 0 ディスク")
    record = surface.sim.image_record(image)
    assert (surface.sim.state_dir / record["path"]).read_bytes() == data
    assert record["disk_format"] == "raw"

    seen: list[float] = []
    vm_uuid = t.create_vm(vm_spec(surface.target, "web01 ウェブ", power_on=True,
                                  disks=(TargetDiskSpec(size_bytes=8 * MIB, image_uuid=image),)),
                          progress=lambda f, m: seen.append(f))
    assert seen and seen[-1] == 1.0
    vm = t.get_vm(vm_uuid)
    assert (vm.name, vm.power_state, vm.num_sockets, vm.cores_per_socket, vm.memory_mib) == (
        "web01 ウェブ", PowerState.ON, 2, 4, 4096)
    assert vm.boot_type is BootType.UEFI
    assert vm.disk_sizes == (8 * MIB,)
    assert vm.nic_macs == ("00:50:56:01:02:03",)
    assert [v.uuid for v in t.find_vms("web01 ウェブ")] == [vm_uuid]
    assert t.find_vms("web01") == []
    assert vm_uuid in {v.uuid for v in t.vms()}

    t.set_power_state(vm_uuid, "acpi_shutdown")
    assert t.get_vm(vm_uuid).power_state is PowerState.OFF
    t.set_power_state(vm_uuid, "on")
    assert t.get_vm(vm_uuid).power_state is PowerState.ON
    t.set_power_state(vm_uuid, "off")
    assert t.get_vm(vm_uuid).power_state is PowerState.OFF

    snapshot = t.snapshot_vm(vm_uuid, "xtract-before-post")
    stored = surface.sim.state.data["vms"][vm_uuid]["snapshots"]
    assert [s["name"] for s in stored] == ["xtract-before-post"]
    assert snapshot

    t.delete_vm(vm_uuid)
    t.delete_vm(vm_uuid)  # already gone: not an error
    with pytest.raises(NotFoundError):
        t.get_vm(vm_uuid)
    t.delete_image(image)
    assert surface.sim.state.data["images"] == {}
    assert not (surface.sim.state_dir / record["path"]).exists()


@pytest.mark.parametrize("surface", ["pc"], indirect=True)
def test_secure_boot_uses_q35(surface: Surface) -> None:
    """Through Prism Central only: Prism Element refuses Secure Boot (test_v2_schema.py shows the refusal)."""
    image, _ = upload(surface)
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "secure", boot_type=BootType.SECURE_BOOT,
                                               disks=(TargetDiskSpec(size_bytes=0, image_uuid=image),)))
    stored = surface.sim.state.data["vms"][vm_uuid]
    assert (stored["machine_type"], stored["boot_type"]) == ("Q35", "SECURE_BOOT")
    assert surface.target.get_vm(vm_uuid).boot_type is BootType.SECURE_BOOT


def test_vm_from_a_file_written_over_nfs(surface: Surface) -> None:
    """PE clones the file (ndfs_filepath); PC stages an image from nfs://<cluster>/<container>/<path>."""
    ctr_dir = surface.sim.state_dir / "containers" / "default-container" / "xtract"
    ctr_dir.mkdir(parents=True)
    (ctr_dir / "web01-disk0.raw").write_bytes(b"\x01" * MIB)
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "from-nfs", disks=(
        TargetDiskSpec(size_bytes=4 * MIB, ndfs_path="/default-container/xtract/web01-disk0.raw"),)))
    disk = surface.sim.state.data["vms"][vm_uuid]["disks"][0]
    assert disk["size_bytes"] == 4 * MIB
    if surface.mode == "pe":
        assert (disk["source_kind"], disk["source"]) == ("ndfs", "/default-container/xtract/web01-disk0.raw")
    else:
        assert disk["source_kind"] == "image"
        assert surface.sim.state.data["images"] == {}  # the staging image is removed once the VM exists


def test_image_from_url(surface: Surface) -> None:
    path = surface.sim.state_dir / "containers" / "default-container" / "exported.raw"
    with path.open("wb") as f:
        f.write(b"boot")
        f.truncate(64 * MIB)  # sparse: the copy must keep the hole
    image = surface.target.create_image_from_url("imported", surface.container_uuid(),
                                                 "nfs://127.0.0.1/default-container/exported.raw")
    record = surface.sim.image_record(image)
    copied = surface.sim.state_dir / record["path"]
    assert record["size_bytes"] == 64 * MIB
    assert copied.read_bytes()[:4] == b"boot"
    assert copied.stat().st_blocks * 512 < 8 * MIB


def test_upload_of_unknown_length_is_chunked(surface: Surface) -> None:
    data = os.urandom(3 * MIB + 17)
    image = surface.target.upload_image("unsized", surface.container_uuid(), iter(chunks(data, 300_000)))
    assert (surface.sim.state_dir / surface.sim.image_record(image)["path"]).read_bytes() == data


def test_qcow2_upload_is_kept_as_sent(surface: Surface, tmp_path: Path) -> None:
    import subprocess

    qcow = tmp_path / "d.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow), "1G"], check=True)
    data = qcow.read_bytes()
    image = surface.target.upload_image("q", surface.container_uuid(), iter(chunks(data)), size=len(data))
    record = surface.sim.image_record(image)
    assert (record["disk_format"], record["size_bytes"]) == ("qcow2", 2**30)


def test_paging_reads_every_entity(surface: Surface, monkeypatch: pytest.MonkeyPatch) -> None:
    from xtract_gui.target import prism_central, prism_element

    monkeypatch.setattr(prism_central, "PAGE", 2)
    monkeypatch.setattr(prism_element, "PAGE", 2)
    for i in range(5):
        surface.target.create_vm(vm_spec(surface.target, f"page-{i}", nics=()))
    assert sorted(v.name for v in surface.target.vms()) == [f"page-{i}" for i in range(5)]
    assert len(surface.target.subnets(CLUSTER_UUID)) == 3
    pages = [p for m, p, s in surface.sim.request_log if p.endswith(("/vms/list", "/vms"))]
    assert len(pages) >= 3


def test_nfs_whitelist(surface: Surface) -> None:
    t = surface.target
    entry = "10.1.2.3/255.255.255.255"
    assert t.nfs_whitelist() == []
    t.add_nfs_whitelist(entry)
    t.add_nfs_whitelist(entry)  # twice: still one entry
    assert t.nfs_whitelist() == [entry]
    assert surface.element.state.data["nfs_whitelist"] == [entry]
    t.remove_nfs_whitelist(entry)
    t.remove_nfs_whitelist(entry)
    assert t.nfs_whitelist() == []
    # Named by its cluster, as the engine does (through Prism Central: that cluster's Prism Element).
    t.add_nfs_whitelist(entry, CLUSTER_UUID)
    assert t.nfs_whitelist(CLUSTER_UUID) == [entry] == surface.element.state.data["nfs_whitelist"]
    t.remove_nfs_whitelist(entry, CLUSTER_UUID)
    assert t.nfs_whitelist(CLUSTER_UUID) == []
    if surface.mode == "pc":
        with pytest.raises(NotFoundError):
            t.add_nfs_whitelist(entry, "00000000-0000-0000-0000-000000000000")


def test_power_hook_and_reported_ips(surface: Surface) -> None:
    booted = threading.Event()
    calls: list[dict[str, object]] = []

    def hook(vm: dict[str, object]) -> None:
        calls.append(vm)
        booted.set()

    surface.sim.on_power_change = hook
    vm_uuid = surface.target.create_vm(vm_spec(surface.target, "hooked"))
    assert calls == []
    surface.target.set_power_state(vm_uuid, "on")
    assert booted.wait(5)
    assert (calls[0]["uuid"], calls[0]["power_state"]) == (vm_uuid, "ON")
    surface.sim.set_nic_ips(vm_uuid, "00:50:56:01:02:03", ["10.23.129.96"])
    assert surface.target.get_vm(vm_uuid).ip_addresses == ("10.23.129.96",)


def test_upload_reports_progress(surface: Surface) -> None:
    data = os.urandom(2 * MIB)
    fractions: list[float] = []
    surface.target.upload_image("progress", surface.container_uuid(), iter(chunks(data)), size=len(data),
                                progress=lambda f, m: fractions.append(f))
    assert len(fractions) >= 2
    assert fractions == sorted(fractions) and fractions[0] < 1.0 and fractions[-1] == 1.0


def test_a_container_with_its_own_nfs_whitelist(prism_factory: Any, prism_connect: Any) -> None:
    """ContainerDTO.nfs_whitelist / nfs_whitelist_inherited: a container's own list replaces the cluster's."""
    from xtract_gui.lab.prism import ClusterSeed, ContainerSeed

    seed = ClusterSeed(name="own-lists", uuid=CLUSTER_UUID, containers=(
        ContainerSeed("restricted", nfs_whitelist=("10.9.0.0/255.255.0.0",)), ContainerSeed("SelfServiceContainer")))
    target = prism_connect(prism_factory("pe", seed=seed))
    got = {c.name: c for c in target.containers(CLUSTER_UUID)}
    assert (got["restricted"].nfs_whitelist, got["restricted"].nfs_whitelist_inherited) == (
        ("10.9.0.0/255.255.0.0",), False)
    ssc = got["SelfServiceContainer"]
    assert (ssc.nfs_whitelist, ssc.nfs_whitelist_inherited) == ((), True)
