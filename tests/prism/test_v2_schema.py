"""What the Prism Element adapter sends, against the fields, types and paging parameters the real v2.0 schema has
(our table of its facts: ``xtract_gui/lab/prism/v2_schema.py``), and the simulator refusing what PE refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.prism.conftest import CLUSTER_UUID, SEED, Surface
from tests.prism.test_operations import MIB, upload, vm_spec
from tests.prism.test_swagger import Recorder
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.errors import UnsupportedError
from xtract_gui.domain.inventory import BootType, TargetDiskSpec
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.prism import v2_schema as schema

pytestmark = pytest.mark.prism
V2_BASES = ("/PrismGateway/services/rest/v2.0", "/api/nutanix/v2.0")
PAGING_PARAMS = {"offset", "length", "count", "page"}


def _below_base(url: str) -> str | None:
    path = urlsplit(url).path
    return next((path[len(b):] for b in V2_BASES if path.startswith(b)), None)


@pytest.fixture
def pe_world(prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> Any:
    pe = prism_factory("pe", seed=SEED)
    target = prism_connect(pe)
    return pe, target, Recorder(target)


def test_every_v2_request_the_adapter_sends_is_one_the_schema_takes(pe_world: Any) -> None:
    pe, target, recorder = pe_world
    surface = Surface("pe", pe, pe, target)
    image, _ = upload(surface, "schema image")
    staged = pe.state_dir / "containers" / "default-container" / "xtract"
    staged.mkdir(parents=True)
    (staged / "d1.raw").write_bytes(b"\x01" * MIB)
    vm_uuid = target.create_vm(vm_spec(target, "schema vm", power_on=True, disks=(
        TargetDiskSpec(size_bytes=2 * MIB, image_uuid=image),
        TargetDiskSpec(size_bytes=MIB, index=1, ndfs_path="/default-container/xtract/d1.raw",
                       container_uuid=surface.container_uuid()),
        TargetDiskSpec(size_bytes=MIB, index=2, container_uuid=surface.container_uuid()))))
    target.set_power_state(vm_uuid, "acpi_shutdown")
    target.snapshot_vm(vm_uuid, "before-post")
    target.create_image_from_url("imported", surface.container_uuid(),
                                 "nfs://127.0.0.1/default-container/xtract/d1.raw")
    target.add_nfs_whitelist("10.1.2.3/255.255.255.255")
    target.remove_nfs_whitelist("10.1.2.3/255.255.255.255")
    target.vms()
    target.find_vms("schema vm")
    target.containers(CLUSTER_UUID)
    target.subnets(CLUSTER_UUID)

    bodies = 0
    for sent in recorder.sent:
        below = _below_base(sent.url or "")
        if below is None:
            continue
        if sent.body:
            model = schema.model_for(sent.method or "", below)
            assert model is not None, f"{sent.method} {below} carries a body where the schema takes none"
            assert schema.problems(model, json.loads(sent.body)) == [], (sent.method, below)
            bodies += 1
        paging = {k for k, _ in parse_qsl(urlsplit(sent.url or "").query)} & PAGING_PARAMS
        known = schema.PAGING.get(below.rstrip("/"), frozenset())
        assert paging <= known, f"GET {below} with {sorted(paging - known)}: not a parameter of that call"
    assert bodies >= 6


def test_secure_boot_through_prism_element_is_refused_before_anything_is_sent(pe_world: Any) -> None:
    """v2.0 VM create has no machine_type: PE cannot make the Q35 VM Secure Boot needs (Prism Central can)."""
    pe, target, recorder = pe_world
    with pytest.raises(UnsupportedError) as info:
        target.create_vm(vm_spec(target, "secure", boot_type=BootType.SECURE_BOOT))
    assert "Prism Central" in info.value.hint
    assert not [r for r in recorder.sent if r.method == "POST"]
    assert pe.state.data["vms"] == {}


def test_the_simulator_refuses_a_field_the_v2_schema_does_not_have(prism_pe: PrismSimulator) -> None:
    body = {"name": "q35", "num_vcpus": 1, "memory_mb": 512, "machine_type": "q35",
            "boot": {"uefi_boot": True, "secure_boot": True}}
    answer = requests.post(f"{prism_pe.url}{V2_BASES[0]}/vms", json=body, auth=(PRISM_USER, PRISM_PASSWORD),
                           timeout=10)
    assert answer.status_code == 500
    assert answer.json()["error_code"]["code"] == 1100
    assert "Unrecognized field 'machine_type'" in answer.json()["message"]
    assert prism_pe.state.data["vms"] == {}


def test_the_table_catches_what_the_schema_does_not_allow() -> None:
    good = {"name": "x", "num_vcpus": 1, "memory_mb": 512, "boot": {"uefi_boot": True},
            "vm_disks": [{"disk_address": {"device_bus": "scsi", "device_index": 0},
                          "vm_disk_create": {"size": 1, "storage_container_uuid": "c"}}],
            "vm_nics": [{"network_uuid": "n", "model": "virtio", "is_connected": True}]}
    assert schema.problems(schema.VM_CREATE, good) == []
    bad = {**good, "num_vcpus": "2", "boot": {"uefi_boot": True, "machine_type": "q35"},
           "vm_disks": [{"disk_address": {"device_bus": "usb"}}], "vm_nics": [{"model": "virtio"}]}
    del bad["memory_mb"]
    found = schema.problems(schema.VM_CREATE, bad)
    assert any("'memory_mb' is required" in p for p in found)
    assert any("'num_vcpus' must be integer" in p for p in found)
    assert any("Unrecognized field 'boot.machine_type'" in p for p in found)
    assert any("'vm_disks[0].disk_address.device_bus' must be one of" in p for p in found)
    assert any("'vm_nics[0].network_uuid' is required" in p for p in found)
    assert schema.model_for("POST", "/vms/") is schema.VM_CREATE
    assert schema.model_for("GET", "/vms") is None
