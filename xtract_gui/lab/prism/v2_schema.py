"""The request bodies Prism Element v2.0 takes, field by field, as its own API explorer schema declares them.

Our own table of facts read from the Swagger 1.2 schema a real Prism Element serves at ``/api/nutanix/v2.0/api``
(the API explorer), as published in github.com/rssntn67/opennms-nutanix-plugin,
``client/v2/src/build/resources/{vms,images,snapshots,cluster}.json`` at commit 457b26a9 ("Added v2 api client
swagger file").  Each ``Model`` carries the schema's model name.  Only the models of the calls the product makes
are here, with every field the schema lists for them; nested models the product never fills are ``OBJECT``.

Facts worth knowing, with where they come from:

- ``machine_type`` is not a field of ``create.dto.uhura.VmConfigDTO`` (VM create) nor of the update DTO; it exists
  only on ``get.dto.uhura.VmConfigDTO`` (what a GET returns).  So PE v2.0 cannot create the Q35 VM that Secure
  Boot needs (vms.json).
- ``GET /vms/`` pages with ``offset``/``length``; ``GET /storage_containers/`` and ``GET /hosts/`` with
  ``count``/``page``; ``GET /networks/`` and ``GET /images/`` take no paging parameter at all (``PAGING``).
- ``DELETE /cluster/nfs_whitelist/{name:.+}``: the path template's ``.+`` lets the entry's own ``/`` through
  unencoded (cluster.json).
- Enum values are spelled upper-case in the schema while real clusters answer lower-case ones
  (``power_state`` "on"; the same repository had to fix its copy in commit 0ce4dc50), and Prism reads either:
  enums here compare without regard to case.
- ``POST /cluster/nfs_whitelist`` takes ``create.common.Address$PrimitiveDTOCompatible``: an ``address`` object,
  or, as its name says, the ``PrimitiveDTO`` form ``{"value": "<ip>/<netmask>"}`` that clients send.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

STRING, INTEGER, BOOLEAN, OBJECT = "string", "integer", "boolean", "object"


@dataclass(frozen=True)
class Enum:
    values: frozenset[str]


@dataclass(frozen=True)
class ArrayOf:
    item: Spec


@dataclass(frozen=True)
class Model:
    name: str  # the schema's model name, as Prism would name it in an error
    fields: Mapping[str, Spec]
    required: frozenset[str] = field(default_factory=frozenset)


Spec = str | Enum | ArrayOf | Model


def _enum(*values: str) -> Enum:
    return Enum(frozenset(values))


DISK_BUS = _enum("SCSI", "IDE", "PCI", "SATA", "SPAPR", "NVME")
BOOT_DEVICE = _enum("CDROM", "DISK", "NIC")

VM_DISK_ADDRESS = Model("create.dto.acropolis.VMDiskAddressDTO", {
    "device_bus": DISK_BUS, "device_index": INTEGER, "ndfs_filepath": STRING, "vmdisk_uuid": STRING,
    "volume_group_uuid": STRING})
VM_DISK_CLONE = Model("create.dto.uhura.VmDiskCloneDTO", {
    "disk_address": VM_DISK_ADDRESS, "minimum_size": INTEGER, "snapshot_group_uuid": STRING,
    "storage_container_uuid": STRING}, frozenset({"disk_address"}))
VM_DISK_CREATE = Model("create.dto.uhura.VmDiskCreateDTO", {"size": INTEGER, "storage_container_uuid": STRING})
VM_DISK = Model("create.dto.uhura.VMDiskDTO", {
    "disk_address": VM_DISK_ADDRESS, "is_cdrom": BOOLEAN, "is_empty": BOOLEAN, "is_scsi_pass_through": BOOLEAN,
    "is_thin_provisioned": BOOLEAN, "vm_disk_clone": VM_DISK_CLONE, "vm_disk_clone_external": OBJECT,
    "vm_disk_create": VM_DISK_CREATE, "vm_disk_passthru_external": OBJECT})
BOOT_CONFIG = Model("create.dto.acropolis.BootConfigDTO", {
    "boot_device_order": ArrayOf(BOOT_DEVICE), "boot_device_type": BOOT_DEVICE, "disk_address": VM_DISK_ADDRESS,
    "hardware_virtualization": BOOLEAN, "mac_addr": STRING, "secure_boot": BOOLEAN, "uefi_boot": BOOLEAN})
VM_NIC = Model("create.dto.acropolis.VMNicSpecDTO", {
    "adapter_type": _enum("E1000", "E1000e", "PCNet32", "Vmxnet", "Vmxnet2", "Vmxnet3", "Unsupported"),
    "is_connected": BOOLEAN, "mac_address": STRING, "model": STRING, "network_uuid": STRING, "nic_uuid": STRING,
    "request_ip": BOOLEAN, "requested_ip_address": STRING, "vlan_mode": _enum("Access", "Trunked", "Untagged")},
    frozenset({"network_uuid"}))
VM_CREATE = Model("create.dto.uhura.VmConfigDTO", {
    "boot": BOOT_CONFIG, "clear_affinity": BOOLEAN, "description": STRING, "guest_driver_version": STRING,
    "guest_os": STRING, "ha_priority": INTEGER, "host_uuid": STRING, "memory_mb": INTEGER,
    "memory_reservation_mb": INTEGER, "name": STRING, "num_cores_per_vcpu": INTEGER, "num_vcpus": INTEGER,
    "storage_container_uuid": STRING, "timezone": STRING, "uuid": STRING, "vcpu_reservation_hz": INTEGER,
    "vm_customization_config": OBJECT, "vm_disks": ArrayOf(VM_DISK), "vm_features": OBJECT,
    "vm_gpus": ArrayOf(OBJECT), "vm_nics": ArrayOf(VM_NIC)}, frozenset({"memory_mb", "name", "num_vcpus"}))
POWER_STATE = Model("create.dto.uhura.VMPowerStateDTO", {
    "host_uuid": STRING, "uuid": STRING,
    "transition": _enum("ON", "OFF", "POWERCYCLE", "RESET", "PAUSE", "SUSPEND", "RESUME", "SAVE", "ACPI_SHUTDOWN",
                        "ACPI_REBOOT")}, frozenset({"transition"}))
SNAPSHOT_SPEC = Model("create.dto.acropolis.SnapshotSpecDTO", {
    "snapshot_name": STRING, "uuid": STRING, "vm_uuid": STRING}, frozenset({"vm_uuid"}))
SNAPSHOT_CREATE = Model("create.dto.acropolis.SnapshotCreateDTO", {"snapshot_specs": ArrayOf(SNAPSHOT_SPEC)})
IMAGE_IMPORT = Model("create.dto.acropolis.ImageImportSpecDTO", {
    "checksum": STRING, "checksum_type": _enum("SHA_256", "SHA_1"), "storage_container_id": INTEGER,
    "storage_container_name": STRING, "storage_container_uuid": STRING, "url": STRING})
IMAGE_CREATE = Model("create.dto.acropolis.ImageSpecDTO", {
    "annotation": STRING, "image_import_spec": IMAGE_IMPORT, "image_type": _enum("DISK_IMAGE", "ISO_IMAGE"),
    "name": STRING, "uuid": STRING, "vm_disk_clone_spec": VM_DISK_CLONE})
WHITELIST_ADD = Model("create.common.Address$PrimitiveDTOCompatible", {"address": OBJECT, "value": STRING})

# The calls with a JSON body, by method and path below the v2.0 base.
BODIES: tuple[tuple[str, re.Pattern[str], Model], ...] = tuple(
    (method, re.compile(f"^{path}/?$"), model) for method, path, model in (
        ("POST", "/vms", VM_CREATE),
        ("POST", "/vms/[0-9a-fA-F-]{36}/set_power_state", POWER_STATE),
        ("POST", "/snapshots", SNAPSHOT_CREATE),
        ("POST", "/images", IMAGE_CREATE),
        ("POST", "/cluster/nfs_whitelist", WHITELIST_ADD),
    ))

# Query parameters each list call knows for paging (vms.json, storage_containers.json, hosts.json,
# networks.json, images.json); any other paging parameter is not a parameter of that call.
PAGING: Mapping[str, frozenset[str]] = {
    "/vms": frozenset({"offset", "length"}),
    "/storage_containers": frozenset({"count", "page"}),
    "/hosts": frozenset({"count", "page"}),
    "/networks": frozenset(),
    "/images": frozenset(),
}


def model_for(method: str, path: str) -> Model | None:
    """The body model of ``method path`` (path below the v2.0 base), or None for a call without a JSON body."""
    return next((model for m, pattern, model in BODIES if m == method and pattern.match(path)), None)


def problems(model: Model, body: Any, where: str = "") -> list[str]:
    """What the schema does not allow in ``body``: unknown fields, wrong types, values outside an enum, missing
    required fields.  Empty when the body is one the schema takes."""
    if not isinstance(body, dict):
        return [f"{where or 'the body'} must be a JSON object ({model.name})"]
    found: list[str] = []
    for name in sorted(model.required - body.keys()):
        found.append(f"Field '{where}{name}' is required ({model.name})")
    for name, value in body.items():
        spec = model.fields.get(name)
        if spec is None:
            found.append(f"Unrecognized field '{where}{name}' ({model.name}), not marked as ignorable")
        else:
            found += _check(spec, value, f"{where}{name}")
    return found


def _check(spec: Spec, value: Any, where: str) -> list[str]:
    if value is None:
        return []  # Jackson takes null for any field
    if isinstance(spec, Model):
        return problems(spec, value, f"{where}.")
    if isinstance(spec, ArrayOf):
        if not isinstance(value, list):
            return [f"Field '{where}' must be an array"]
        return [p for i, item in enumerate(value) for p in _check(spec.item, item, f"{where}[{i}]")]
    if isinstance(spec, Enum):
        if not isinstance(value, str) or value.upper() not in {v.upper() for v in spec.values}:
            return [f"Field '{where}' must be one of {sorted(spec.values)}, not {value!r}"]
        return []
    kinds: dict[str, tuple[type, ...]] = {STRING: (str,), INTEGER: (int,), BOOLEAN: (bool,), OBJECT: (dict,)}
    ok = isinstance(value, kinds[spec]) and not (spec == INTEGER and isinstance(value, bool))
    return [] if ok else [f"Field '{where}' must be {spec}, not {type(value).__name__}"]
