"""Prism Element v2.0 JSON → neutral inventory objects."""

from __future__ import annotations

from typing import Any

from ..domain.inventory import BootType, PowerState, StorageContainer, Subnet, TargetCluster, TargetVM
from .tasks import TaskState

_STATUS = {"queued": "QUEUED", "running": "RUNNING", "succeeded": "SUCCEEDED", "failed": "FAILED",
           "aborted": "ABORTED", "suspended": "SUSPENDED"}
_POWER = {"on": PowerState.ON, "off": PowerState.OFF, "paused": PowerState.SUSPENDED,
          "suspended": PowerState.SUSPENDED}


def is_ahv(cluster_json: dict[str, Any]) -> bool:
    return "kKvm" in (cluster_json.get("hypervisor_types") or [])


def cluster(c: dict[str, Any]) -> TargetCluster:
    return TargetCluster(uuid=c["uuid"], name=c.get("name", ""), version=c.get("version", "") or "",
                         external_ip=c.get("cluster_external_ipaddress") or "",
                         nfs_whitelist=tuple(c.get("global_nfs_white_list") or ()))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def container(c: dict[str, Any], cluster_uuid: str) -> StorageContainer:
    stats = c.get("usage_stats") or {}
    capacity = _int(stats.get("storage.user_capacity_bytes")) or _int(c.get("max_capacity"))
    free = stats.get("storage.user_unreserved_free_bytes", stats.get("storage.user_free_bytes"))
    free_bytes = _int(free) if free is not None else capacity - _int(stats.get("storage.user_usage_bytes"))
    return StorageContainer(uuid=c["storage_container_uuid"], name=c.get("name", ""),
                            cluster_uuid=c.get("cluster_uuid") or cluster_uuid, capacity_bytes=capacity,
                            free_bytes=max(0, free_bytes), nfs_whitelist=tuple(c.get("nfs_whitelist") or ()),
                            # ContainerDTO.nfs_whitelist_inherited (v2.0 schema); older AOS leave it out, and then
                            # a container with a list of its own does not take the cluster's.
                            nfs_whitelist_inherited=bool(c.get("nfs_whitelist_inherited",
                                                               not c.get("nfs_whitelist"))))


def network(n: dict[str, Any], cluster_uuid: str) -> Subnet:
    vlan = n.get("vlan_id")
    return Subnet(uuid=n["uuid"], name=n.get("name", ""), cluster_uuid=cluster_uuid,
                  vlan_id=int(vlan) if vlan is not None else None, subnet_type="VLAN")


def vm(v: dict[str, Any], cluster_uuid: str) -> TargetVM:
    boot = v.get("boot") or {}
    boot_type = BootType.SECURE_BOOT if boot.get("secure_boot") else BootType.UEFI if boot.get(
        "uefi_boot") else BootType.LEGACY
    disks = tuple(_int(d.get("size")) for d in v.get("vm_disk_info") or [] if not d.get("is_cdrom"))
    macs, ips = [], []
    for n in v.get("vm_nics") or []:
        if n.get("mac_address"):
            macs.append(str(n["mac_address"]).lower())
        found = list(n.get("ip_addresses") or ([n["ip_address"]] if n.get("ip_address") else []))
        ips += [ip for ip in found if ip]
    return TargetVM(uuid=v["uuid"], name=v.get("name", ""),
                    power_state=_POWER.get(str(v.get("power_state", "off")).lower(), PowerState.OFF),
                    cluster_uuid=cluster_uuid, num_sockets=_int(v.get("num_vcpus")) or 1,
                    cores_per_socket=_int(v.get("num_cores_per_vcpu")) or 1, memory_mib=_int(v.get("memory_mb")),
                    boot_type=boot_type, disk_sizes=disks, nic_macs=tuple(macs), ip_addresses=tuple(ips),
                    description=str(v.get("description") or ""))


def task(t: dict[str, Any]) -> TaskState:
    meta = t.get("meta_response") or {}
    code = meta.get("error_code")
    return TaskState(uuid=str(t.get("uuid", "")),
                     status=_STATUS.get(str(t.get("progress_status", "queued")).lower(), "RUNNING"),
                     percentage=_int(t.get("percentage_complete")), message=str(t.get("message") or ""),
                     error_code=str(code) if code not in (None, 0, "0") else "",
                     error_detail=str(meta.get("error_detail") or ""),
                     entities=tuple((_entity_kind(str(e.get("entity_type", ""))), str(e.get("entity_id", "")))
                                    for e in t.get("entity_list") or []))


def _entity_kind(entity_type: str) -> str:
    """"VM", "Image", "kVM", "kImage" → "vm", "image" (AOS releases spell it either way)."""
    if len(entity_type) > 1 and entity_type[0] == "k" and entity_type[1].isupper():
        entity_type = entity_type[1:]
    return entity_type.lower()
