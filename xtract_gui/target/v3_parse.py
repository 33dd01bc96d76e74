"""Prism Central v3 JSON → neutral inventory objects (tolerant: real answers vary between PC releases)."""

from __future__ import annotations

from typing import Any

from ..domain.inventory import BootType, PowerState, Subnet, TargetCluster, TargetVM
from .tasks import TaskState

MIB = 2**20


def _resources(entity: dict[str, Any]) -> dict[str, Any]:
    """Status resources (what is) with spec resources (what was asked) as fallback."""
    status = (entity.get("status") or {}).get("resources") or {}
    spec = (entity.get("spec") or {}).get("resources") or {}
    return {**spec, **status}


def is_ahv_cluster(entity: dict[str, Any]) -> bool:
    res = _resources(entity)
    services = (res.get("config") or {}).get("service_list") or []
    if "PRISM_CENTRAL" in services:
        return False
    hypervisors = {h.get("type") for h in (res.get("nodes") or {}).get("hypervisor_server_list") or []}
    # A cluster without node details (an older PC) is kept; one that lists only other hypervisors is not.
    return not hypervisors or "AHV" in hypervisors


def cluster(entity: dict[str, Any]) -> TargetCluster:
    res = _resources(entity)
    config = res.get("config") or {}
    version = ((config.get("software_map") or {}).get("NOS") or {}).get("version") or (
        config.get("build") or {}).get("version", "")
    name = (entity.get("status") or {}).get("name") or (entity.get("spec") or {}).get("name", "")
    return TargetCluster(uuid=entity["metadata"]["uuid"], name=name, version=version,
                         external_ip=(res.get("network") or {}).get("external_ip", "") or "")


def subnet(entity: dict[str, Any]) -> Subnet:
    res = _resources(entity)
    ref = (entity.get("status") or {}).get("cluster_reference") or (entity.get("spec") or {}).get(
        "cluster_reference") or {}
    name = (entity.get("status") or {}).get("name") or (entity.get("spec") or {}).get("name", "")
    vlan = res.get("vlan_id")
    return Subnet(uuid=entity["metadata"]["uuid"], name=name, cluster_uuid=ref.get("uuid", ""),
                  vlan_id=int(vlan) if vlan is not None else None, subnet_type=res.get("subnet_type") or "VLAN")


def subnet_cluster(entity: dict[str, Any]) -> str:
    ref = (entity.get("spec") or {}).get("cluster_reference") or (entity.get("status") or {}).get(
        "cluster_reference") or {}
    return str(ref.get("uuid", ""))


_POWER = {"ON": PowerState.ON, "OFF": PowerState.OFF, "PAUSED": PowerState.SUSPENDED,
          "SUSPENDED": PowerState.SUSPENDED}


def vm(entity: dict[str, Any]) -> TargetVM:
    res = _resources(entity)
    status = entity.get("status") or {}
    spec = entity.get("spec") or {}
    disks = []
    for d in res.get("disk_list") or []:
        if ((d.get("device_properties") or {}).get("device_type") or "DISK") != "DISK":
            continue
        disks.append(int(d.get("disk_size_bytes") or (d.get("disk_size_mib") or 0) * MIB))
    macs, ips = [], []
    for n in res.get("nic_list") or []:
        if n.get("mac_address"):
            macs.append(str(n["mac_address"]).lower())
        ips += [e["ip"] for e in n.get("ip_endpoint_list") or [] if e.get("ip")]
    boot = (res.get("boot_config") or {}).get("boot_type") or "LEGACY"
    cluster_ref = status.get("cluster_reference") or spec.get("cluster_reference") or {}
    return TargetVM(uuid=entity["metadata"]["uuid"], name=status.get("name") or spec.get("name", ""),
                    power_state=_POWER.get(str(res.get("power_state", "OFF")).upper(), PowerState.OFF),
                    cluster_uuid=cluster_ref.get("uuid", ""), num_sockets=int(res.get("num_sockets") or 1),
                    cores_per_socket=int(res.get("num_vcpus_per_socket") or 1),
                    memory_mib=int(res.get("memory_size_mib") or 0),
                    boot_type=BootType(boot) if boot in BootType.__members__ else BootType.LEGACY,
                    disk_sizes=tuple(disks), nic_macs=tuple(macs), ip_addresses=tuple(ips),
                    description=str(status.get("description") or spec.get("description") or ""))


def task(body: dict[str, Any]) -> TaskState:
    return TaskState(uuid=str(body.get("uuid", "")), status=str(body.get("status", "QUEUED")).upper(),
                     percentage=int(body.get("percentage_complete") or 0),
                     message=str(body.get("progress_message") or ""), error_code=str(body.get("error_code") or ""),
                     error_detail=str(body.get("error_detail") or ""),
                     entities=tuple((str(e.get("kind", "")).lower(), str(e.get("uuid", "")))
                                    for e in body.get("entity_reference_list") or []))


def task_uuid(body: dict[str, Any]) -> str:
    """The task of a 202 answer: ``status.execution_context.task_uuid`` (string or list) or ``task_uuid``."""
    if body.get("task_uuid"):
        return str(body["task_uuid"])
    ctx = ((body.get("status") or {}).get("execution_context") or {}).get("task_uuid")
    if isinstance(ctx, list):
        return str(ctx[0]) if ctx else ""
    return str(ctx or "")
