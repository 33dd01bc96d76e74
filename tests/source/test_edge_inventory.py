"""The places where customers' vCenters differ from a default one (xtract_gui/lab/vcsim/go/edge.go):
a datacenter inside a folder, names with "+", spaces and an escaped "/", a vApp, an encrypted VM, a
virtual-mode RDM, a vSAN disk."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from pyVmomi import vim

from tests.domain.factories import plan, target
from tests.source.conftest import connect
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import UnsupportedError
from xtract_gui.domain.inventory import SourceInventory, SourceVM
from xtract_gui.domain.readiness import Severity, check_vm
from xtract_gui.source import VSphereSource, parse_descriptor

pytestmark = pytest.mark.vcsim

DC, DC_PATH, DS = "East+1%2fA", "Region East/East+1%2fA", "Local DS+East"


@pytest.fixture
def edge(vcsim_factory: Callable[..., VcsimProcess]) -> VcsimProcess:
    sim: VcsimProcess = vcsim_factory(edge_cases=True)
    return sim


@pytest.fixture
def src(edge: VcsimProcess) -> Iterator[VSphereSource]:
    s = connect(edge)
    yield s
    s.close()


def by_name(inv: SourceInventory, name: str) -> SourceVM:
    return next(v for v in inv.vms if v.name == name)


def read_disk(src: VSphereSource, vm: SourceVM, key: int) -> bytes:
    snap = src.create_snapshot(vm.vm_id, "xtract-read")
    reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, key)
    try:
        return bytes(reader.read(0, reader.capacity))
    finally:
        reader.close()
        src.remove_snapshot(vm.vm_id, snap.snapshot_id)


def flat(edge: VcsimProcess, vm: SourceVM, disk: str) -> bytes:
    ds_dir = next(p for p in edge.datastore_dir.parent.iterdir() if (p / vm.name).is_dir())
    return (ds_dir / vm.name / f"{disk}-flat.vmdk").read_bytes()


def test_the_default_datacenter_is_untouched(src: VSphereSource) -> None:
    inv = src.inventory()
    assert inv.datacenters == ("DC0", DC)
    assert [v.name for v in inv.vms if v.datacenter == "DC0"] == [
        "DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"]


def test_a_disk_in_a_datacenter_inside_a_folder_reads_byte_exact(src: VSphereSource, edge: VcsimProcess) -> None:
    vm = by_name(src.inventory(), "DC1_H0_VM1")
    disk = next(d for d in vm.disks if d.datastore == DS)
    assert (vm.datacenter, vm.folder) == (DC, f"/{DC_PATH}/vm/F0")
    assert read_disk(src, vm, disk.key) == flat(edge, vm, "disk2")
    assert "folder_not_found" not in edge.stats()


def _get(edge: VcsimProcess, src: VSphereSource, vm: SourceVM, dc_path: str, ds: str) -> int:
    url = f"{edge.base_url}/folder/{quote(vm.name)}/disk1.vmdk?dcPath={dc_path}&dsName={ds}"
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    request = urllib.request.Request(url, headers={"Cookie": f"vmware_soap_session={src.session.session_cookie()}"})
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_folder_wants_the_inventory_path_encoded_twice(src: VSphereSource, edge: VcsimProcess) -> None:
    """The peer itself: /folder as vCenter serves it (what the adapter's requests must look like)."""
    vm = by_name(src.inventory(), "DC1_C0_RP0_VM0")

    def once(v: str) -> str:
        return quote(v, safe="")

    def twice(v: str) -> str:
        return quote(quote(v, safe=""), safe="")

    assert _get(edge, src, vm, twice(DC_PATH), twice(DS)) == 200
    assert _get(edge, src, vm, twice("/" + DC_PATH), twice(DS)) == 200  # govmomi's leading "/" too
    assert _get(edge, src, vm, twice(DC), twice(DS)) == 404  # the bare name of a datacenter in a folder
    assert _get(edge, src, vm, once(DC_PATH), once(DS)) == 404  # "+" decoded again becomes a space
    assert _get(edge, src, vm, twice(DC_PATH), once(DS)) == 404


def test_a_vm_in_a_vapp_has_its_datacenter_and_reads(src: VSphereSource, edge: VcsimProcess) -> None:
    vm = by_name(src.inventory(), "DC1_C0_RP0_VM0")
    raw = vim.VirtualMachine(vm.vm_id, src.session.stub)
    assert raw.parent is None and raw.parentVApp is not None  # as vCenter shows a vApp's VMs
    assert vm.datacenter == DC and vm.folder == f"/{DC_PATH}/vm"
    assert read_disk(src, vm, vm.disks[0].key) == flat(edge, vm, "disk1")
    assert src.get_vm(vm.vm_id).datacenter == DC  # from a fresh adapter's point of view as well
    fresh = connect(edge)
    try:
        assert fresh.get_vm(vm.vm_id).datacenter == DC
    finally:
        fresh.close()


def test_an_encrypted_vm_is_refused_not_copied_as_ciphertext(src: VSphereSource, edge: VcsimProcess) -> None:
    vm = by_name(src.inventory(), "DC1_C0_RP0_VM1")
    assert vm.encrypted and vm.disks[0].encrypted and not vm.disks[1].encrypted
    snap = src.create_snapshot(vm.vm_id, "xtract-read")
    with pytest.raises(UnsupportedError) as err:
        src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
    assert "encrypted" in err.value.message and "Decrypt" in err.value.hint
    ds_dir = next(p for p in edge.datastore_dir.parent.iterdir() if (p / vm.name).is_dir())
    with pytest.raises(UnsupportedError, match="encrypted"):
        parse_descriptor((ds_dir / vm.name / "disk1.vmdk").read_text(), name="disk1.vmdk")
    finding = {f.code: f for f in check_vm(vm, plan(vm), target())}["encrypted"]
    assert finding.severity is Severity.BLOCKER


def test_a_virtual_mode_rdm_is_blocked_by_readiness(src: VSphereSource) -> None:
    vm = by_name(src.inventory(), "DC1_H0_VM0")
    (disk,) = vm.disks
    assert disk.rdm and not disk.rdm_physical
    assert {f.code: f.severity for f in check_vm(vm, plan(vm), target())}["rdm_virtual"] is Severity.BLOCKER
    snap = src.create_snapshot(vm.vm_id, "xtract-read")
    with pytest.raises(UnsupportedError, match="raw device mapping"):
        src.open_disk_reader(vm.vm_id, snap.snapshot_id, disk.key)


def test_a_vsan_disk_is_blocked_by_readiness(src: VSphereSource) -> None:
    vm = by_name(src.inventory(), "DC1_H0_VM1")
    vsan = next(d for d in vm.disks if d.datastore == "vsanDatastore")
    assert vsan.datastore_type == "vsan" and not vsan.flat_file_readable
    found = {f.code: f for f in check_vm(vm, plan(vm), target())}
    assert found["no_flat_file_datastore"].severity is Severity.BLOCKER
    snap = src.create_snapshot(vm.vm_id, "xtract-read")
    with pytest.raises(UnsupportedError, match="vsan"):
        src.open_disk_reader(vm.vm_id, snap.snapshot_id, vsan.key)
