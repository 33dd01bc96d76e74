"""Prism Element v2.0 JSON for the lab objects (the PrismGateway REST shapes)."""

from __future__ import annotations

from typing import Any

from .ops import Invalid
from .state import PrismState

_PROGRESS = {"QUEUED": "Queued", "RUNNING": "Running", "SUCCEEDED": "Succeeded", "FAILED": "Failed",
             "ABORTED": "Aborted"}
ERR_INVALID = 1100
ERR_NOT_FOUND = 1202


def error_body(message: str, code: int, detail: str = "") -> dict[str, Any]:
    return {"message": message, "detailed_message": detail or message,
            "error_code": {"code": code, "help_url": "http://portal.nutanix.com"}}


def _int_param(query: dict[str, str], name: str, default: int | None, minimum: int) -> int | None:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise Invalid(f"{name} must be an integer >= {minimum}, not {raw!r}")
    return value


def page_by_number(entities: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """``count``/1-based ``page`` (storage_containers, hosts), start/end index 1-based."""
    total = len(entities)
    count = _int_param(query, "count", total or 1, 1) or 1
    number = _int_param(query, "page", 1, 1) or 1
    start = (number - 1) * count
    chunk = entities[start:start + count]
    return {"metadata": {"grand_total_entities": total, "total_entities": total, "count": len(chunk),
                         "page": number, "start_index": start + 1 if chunk else 0, "end_index": start + len(chunk)},
            "entities": chunk}


def page_by_offset(entities: list[dict[str, Any]], query: dict[str, str], *, grand_total: int) -> dict[str, Any]:
    """``offset``/``length`` (GET /vms/): start_index is the offset, end_index offset + count, as a real cluster
    answers them (rssntn67/opennms-nutanix-plugin NutanixApiClientV2Test at 0ce4dc50 pages a real cluster's VMs
    this way and checks exactly that); without ``length``, everything from ``offset`` on."""
    offset = _int_param(query, "offset", 0, 0) or 0
    length = _int_param(query, "length", None, 1)
    chunk = entities[offset:] if length is None else entities[offset:offset + length]
    return {"metadata": {"grand_total_entities": grand_total, "total_entities": len(entities), "count": len(chunk),
                         "start_index": offset, "end_index": offset + len(chunk)},
            "entities": chunk}


def everything(entities: list[dict[str, Any]]) -> dict[str, Any]:
    """A list call without paging parameters (networks, images): all of it at once."""
    total = len(entities)
    return {"metadata": {"grand_total_entities": total, "total_entities": total, "count": total,
                         "start_index": 0, "end_index": total},
            "entities": entities}


def cluster(state: PrismState) -> dict[str, Any]:
    c = state.cluster
    return {"id": f"{c['uuid']}::1", "uuid": c["uuid"], "cluster_incarnation_id": 1, "name": c["name"],
            "version": c["version"], "full_version": f"el7.3-release-{c['version']}", "hypervisor_types": ["kKvm"],
            "cluster_external_ipaddress": c["external_ip"], "cluster_external_data_services_ipaddress": None,
            "global_nfs_white_list": list(state.data["nfs_whitelist"]), "num_nodes": 1, "timezone": "UTC",
            "is_nsenabled": False, "storage_type": "mixed"}


def container(state: PrismState, ctr: dict[str, Any]) -> dict[str, Any]:
    free = state.free_bytes(ctr)
    used = ctr["capacity_bytes"] - free
    stats = {"storage.capacity_bytes": str(ctr["capacity_bytes"]), "storage.free_bytes": str(free),
             "storage.usage_bytes": str(used), "storage.user_capacity_bytes": str(ctr["capacity_bytes"]),
             "storage.user_free_bytes": str(free), "storage.user_usage_bytes": str(used),
             "storage.user_unreserved_free_bytes": str(free)}
    return {"id": f"{state.cluster['uuid']}::{ctr['name']}", "storage_container_uuid": ctr["uuid"],
            "name": ctr["name"], "cluster_uuid": ctr["cluster_uuid"], "max_capacity": ctr["capacity_bytes"],
            "total_explicit_reserved_capacity": 0, "replication_factor": 2, "usage_stats": stats,
            "nfs_whitelist": list(ctr["nfs_whitelist"]), "nfs_whitelist_inherited": not ctr["nfs_whitelist"],
            "compression_enabled": True, "erasure_code": "off"}


def network(s: dict[str, Any]) -> dict[str, Any]:
    return {"uuid": s["uuid"], "name": s["name"], "vlan_id": s["vlan_id"], "logical_timestamp": 1,
            "vswitch_name": "br0", "ip_config": {"dhcp_options": {}, "network_address": None, "prefix_length": 0,
                                                 "pool": []}}


def image(img: dict[str, Any], *, active: bool) -> dict[str, Any]:
    # An image without its data has no vmdisk yet (X-Ray reads vm_disk_id only once the image is ACTIVE).
    return {"uuid": img["uuid"], "name": img["name"], "annotation": img["description"],
            "image_type": img["image_type"], "image_state": "ACTIVE" if active else "INACTIVE",
            "vm_disk_id": img["vmdisk_uuid"] if active else None, "vm_disk_size": img["size_bytes"],
            "storage_container_uuid": img["container_uuid"], "deleted": False,
            "created_time_in_usecs": img["creation_usecs"], "updated_time_in_usecs": img["update_usecs"]}


def vm(state: PrismState, v: dict[str, Any], *, disks: bool, nics: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": v["uuid"], "name": v["name"], "description": v.get("description", ""),
        "memory_mb": v["memory_mib"], "num_vcpus": v["num_sockets"], "num_cores_per_vcpu": v["num_vcpus_per_socket"],
        "power_state": v["power_state"].lower(), "machine_type": v["machine_type"].lower(),
        "boot": {"uefi_boot": v["boot_type"] != "LEGACY", "secure_boot": v["boot_type"] == "SECURE_BOOT",
                 "boot_device_type": "DISK"},
        "vm_logical_timestamp": v.get("spec_version", 0) + 1, "timezone": "UTC", "host_uuid": None,
        "allow_live_migrate": True, "ha_priority": 0, "vm_features": {"AGENT_VM": False}}
    if disks:
        info = []
        for d in v["disks"]:
            addr: dict[str, Any] = {"device_bus": d["adapter_type"].lower(), "device_index": d["device_index"],
                                    "device_uuid": d["uuid"], "vmdisk_uuid": d["uuid"],
                                    "disk_label": f"{d['adapter_type'].lower()}.{d['device_index']}",
                                    "ndfs_filepath": f"/{_ctr_name(state, d['container_uuid'])}/.acropolis/vmdisk/"
                                                     f"{d['uuid']}"}
            src: dict[str, Any] = {}
            if d.get("source_kind") == "image":
                img = state.data["images"].get(d["source"], {})
                src = {"vmdisk_uuid": img.get("vmdisk_uuid", d["source"])}
            elif d.get("source_kind") == "ndfs":
                src = {"ndfs_filepath": d["source"]}
            info.append({"is_cdrom": d.get("device_type") == "CDROM", "is_empty": False, "flash_mode_enabled": False,
                         "is_scsi_passthrough": True, "is_hot_remove_enabled": True, "disk_address": addr,
                         "size": d["size_bytes"], "storage_container_uuid": d["container_uuid"],
                         "source_disk_address": src, "is_thin_provisioned": False})
        out["vm_disk_info"] = info
    if nics:
        out["vm_nics"] = [{"nic_uuid": n["uuid"], "mac_address": n["mac_address"], "network_uuid": n["subnet_uuid"],
                           "model": n.get("model", "VIRTIO").lower(), "is_connected": n["is_connected"],
                           "vlan_mode": "Access", "ip_address": (n.get("ip_addresses") or [None])[0],
                           "ip_addresses": list(n.get("ip_addresses", []))} for n in v["nics"]]
    return out


def _ctr_name(state: PrismState, ctr_uuid: str) -> str:
    return state.data["containers"].get(ctr_uuid, {}).get("name", "default-container")


def task(t: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "uuid": t["uuid"], "operation_type": t["operation_type"], "progress_status": _PROGRESS[t["status"]],
        "percentage_complete": t["percentage_complete"], "message": t["progress_message"],
        "meta_request": {"method_name": t["operation_type"]}, "create_time_usecs": t["creation_usecs"],
        "last_updated_time_usecs": t["completion_usecs"] or t["start_usecs"] or t["creation_usecs"],
        "cluster_uuid": t["cluster_uuid"], "subtask_uuid_list": [],
        "entity_list": [{"entity_id": e["uuid"], "entity_type": e["kind"].upper() if e["kind"] == "vm"
                         else e["kind"].title(), **({"entity_name": e["name"]} if e.get("name") else {})}
                        for e in t["entities"]]}
    if t["start_usecs"]:
        out["start_time_usecs"] = t["start_usecs"]
    if t["completion_usecs"]:
        out["complete_time_usecs"] = t["completion_usecs"]
    if t["status"] == "FAILED":
        out["meta_response"] = {"error_code": 1, "error_detail": f"{t['error_code']}: {t['error_detail']}"}
    else:
        out["meta_response"] = {"error_code": 0}
    return out
