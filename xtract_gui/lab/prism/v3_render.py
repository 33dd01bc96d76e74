"""Prism Central v3 JSON for the lab objects, in the shapes real pc.2024 returns (see captured-*.yaml)."""

from __future__ import annotations

from typing import Any

from .state import PrismState, rfc3339

API_VERSION = "3.1"
_COMMIT = "49bd685cde4e9488d6347655f7b655df97e1849e"
_SEED_TASK = "29741e1f-159b-4076-a78f-75287690aa29"
_PROJECT = "f33d30fb-12f1-4afa-b393-b195a259fcd6"
_OWNER = {"kind": "user", "name": "admin", "uuid": "00000000-0000-0000-0000-000000000000"}
# Settings every AHV VM has in v3 and the lab does not vary.
_VM_FIXED: dict[str, Any] = {
    "apc_config": {"enabled": False}, "cpu_hotplug_enabled": True, "disable_branding": False,
    "enable_cpu_passthrough": False, "gpu_console_enabled": False, "hardware_virtualization_enabled": False,
    "is_vcpu_hard_pinned": False, "memory_overcommit_enabled": False, "scsi_controller_enabled": True,
    "vnuma_config": {"num_vnuma_nodes": 0}, "vtpm_config": {"vtpm_enabled": False}}


def error_body(status: int, kind: str, message: str, reason: str, details: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    item: dict[str, Any] = {"message": message, "reason": reason}
    if details:
        item["details"] = details
    return {"api_version": API_VERSION, "code": status, "kind": kind, "message_list": [item], "state": "ERROR"}


def _metadata(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "uuid": obj["uuid"], "spec_version": obj.get("spec_version", 0),
            "creation_time": rfc3339(obj["creation_usecs"]), "last_update_time": rfc3339(obj["update_usecs"]),
            "categories": {}, "categories_mapping": {}, "entity_version": str(obj.get("spec_version", 0) + 1),
            "spec_hash": "0" * 50, "owner_reference": _OWNER,
            "project_reference": {"kind": "project", "name": "_internal", "uuid": _PROJECT}}


def cluster_ref(state: PrismState) -> dict[str, Any]:
    return {"kind": "cluster", "uuid": state.cluster["uuid"], "name": state.cluster["name"]}


def cluster(state: PrismState) -> dict[str, Any]:
    c = state.cluster
    build = {"build_type": "release", "version": c["version"], "full_version": f"el7.3-release-{c['version']}",
             "commit_id": _COMMIT, "short_commit_id": _COMMIT[:6], "is_long_term_support": True}
    config = {"software_map": {"NOS": {"software_type": "NOS", "status": "INSTALLED", "version": c["version"]}},
              "service_list": ["AOS"], "redundancy_factor": 2, "is_available": True, "timezone": "UTC",
              "cluster_arch": "X86_64", "build": build, "operation_mode": "NORMAL"}
    network = {"external_ip": c["external_ip"], "name_server_ip_list": [], "ntp_server_ip_list": []}
    return {"status": {"name": c["name"], "state": "COMPLETE",
                       "resources": {"config": config, "network": network,
                                     "nodes": {"hypervisor_server_list": [
                                         {"ip": c["external_ip"], "type": "AHV",
                                          "version": "el8.nutanix.20230302.101026"}]}}},
            "spec": {"name": c["name"],
                     "resources": {"config": {k: config[k] for k in ("software_map", "timezone", "redundancy_factor")},
                                   "network": network}},
            "metadata": {"kind": "cluster", "uuid": c["uuid"], "spec_version": 1, "categories": {},
                         "spec_hash": "0" * 50, "categories_mapping": {}, "creation_time": "2024-01-01T00:00:00Z",
                         "last_update_time": "2024-01-01T00:00:00Z"}}


def prism_central_entity(state: PrismState) -> dict[str, Any]:
    """PC lists itself among the clusters: service_list PRISM_CENTRAL, no nodes (as pc.2024.1 does)."""
    pc = state.data["pc"]
    nos = pc["version"].removeprefix("pc.").rsplit(".", 3)[0] if pc["version"].startswith("pc.") else pc["version"]
    software = {"NOS": {"software_type": "NOS", "status": "INSTALLED", "version": nos}}
    config = {"software_map": software, "service_list": ["PRISM_CENTRAL"], "redundancy_factor": 2,
              "is_available": True, "timezone": "UTC", "cluster_arch": "X86_64",
              "build": {"build_type": "release", "version": "pc", "full_version": f"el8.5-release-{pc['version']}",
                        "commit_id": _COMMIT, "short_commit_id": _COMMIT[:6], "is_long_term_support": False}}
    network = {"external_ip": "127.0.0.1", "name_server_ip_list": [], "ntp_server_ip_list": []}
    return {"status": {"name": pc["name"], "state": "COMPLETE",
                       "resources": {"config": config, "network": network,
                                     "runtime_status_list": ["SSP_CONFIG_OWNER"]}},
            "spec": {"name": pc["name"], "resources": {"config": {"software_map": software, "timezone": "UTC",
                                                                  "redundancy_factor": 2},
                                                       "network": network}},
            "metadata": {"kind": "cluster", "uuid": pc["uuid"], "spec_version": 0, "categories": {},
                         "categories_mapping": {}, "spec_hash": "0" * 50, "creation_time": "2024-01-01T00:00:00Z",
                         "last_update_time": "2024-01-01T00:00:00Z"}}


def subnet(state: PrismState, s: dict[str, Any]) -> dict[str, Any]:
    """A subnet names the cluster it belongs to (its own ``cluster_uuid``), not the state that holds it."""
    owner = s.get("cluster_uuid") or state.cluster["uuid"]
    cluster = {"kind": "cluster", "uuid": owner, "name": state.cluster["name"] if owner == state.cluster["uuid"]
               else ""}
    resources = {"subnet_type": s["subnet_type"], "vlan_id": s["vlan_id"], "vswitch_name": "br0",
                 "virtual_switch_uuid": "5dc597bd-e86f-4440-af9f-65d158ae0588"}
    return {"api_version": API_VERSION,
            "metadata": {"kind": "subnet", "uuid": s["uuid"], "spec_version": s.get("spec_version", 0),
                         "categories": {}, "categories_mapping": {}, "creation_time": "2024-01-01T00:00:00Z",
                         "last_update_time": "2024-01-01T00:00:00Z", "spec_hash": "0" * 50,
                         "owner_reference": _OWNER},
            "spec": {"name": s["name"], "resources": dict(resources), "cluster_reference": dict(cluster)},
            "status": {"name": s["name"], "state": "COMPLETE", "resources": dict(resources),
                       "cluster_reference": dict(cluster),
                       "execution_context": {"task_uuid": [s.get("task_uuid") or _SEED_TASK]}}}


def image(state: PrismState, img: dict[str, Any]) -> dict[str, Any]:
    spec_resources: dict[str, Any] = {"image_type": img["image_type"]}
    if img["source_uri"]:
        spec_resources["source_uri"] = img["source_uri"]
    status_resources = dict(spec_resources)
    state_name = img["state"]
    if state_name == "COMPLETE":
        placed = img.get("placement") or [state.cluster["uuid"]]
        status_resources.update(size_bytes=img["size_bytes"],
                                current_cluster_reference_list=[{"kind": "cluster", "uuid": u} for u in placed],
                                retrieval_uri_list=[f"https://{state.cluster['external_ip']}:9440/api/nutanix/v3/"
                                                    f"images/{img['uuid']}/file"])
    if img.get("checksum"):
        status_resources["checksum"] = img["checksum"]
    status: dict[str, Any] = {"name": img["name"], "description": img["description"], "state": state_name,
                              "resources": status_resources}
    if img.get("task_uuids"):
        # The image's create and upload tasks, newest last, as a list (terraform-provider-nutanix reads it so).
        status["execution_context"] = {"task_uuid": list(img["task_uuids"])}
    return {"api_version": API_VERSION, "metadata": _metadata("image", img),
            "spec": {"name": img["name"], "description": img["description"], "resources": spec_resources},
            "status": status}


def _vm_resources(state: PrismState, vm: dict[str, Any], *, status: bool) -> dict[str, Any]:
    disks = []
    for d in vm["disks"]:
        disk: dict[str, Any] = {
            "uuid": d["uuid"],
            "device_properties": {"device_type": d.get("device_type", "DISK"),
                                  "disk_address": {"adapter_type": d["adapter_type"],
                                                   "device_index": d["device_index"]}},
            "disk_size_bytes": d["size_bytes"], "disk_size_mib": -(-d["size_bytes"] // 2**20),
            "storage_config": {"storage_container_reference": {
                "kind": "storage_container", "uuid": d["container_uuid"],
                "name": state.data["containers"].get(d["container_uuid"], {}).get("name", "")}}}
        if status:
            disk.update(is_migration_in_progress=False, is_encryption_in_progress=False)
            disk["storage_config"]["flash_mode"] = "DISABLED"
        if d.get("source_kind") == "image":
            disk["data_source_reference"] = {"kind": "image", "uuid": d["source"]}
        disks.append(disk)
    nics = []
    for n in vm["nics"]:
        subnet = state.data["subnets"].get(n["subnet_uuid"], {})
        nic: dict[str, Any] = {"uuid": n["uuid"], "nic_type": "NORMAL_NIC", "vlan_mode": "ACCESS",
                               "num_queues": 1, "trunked_vlan_list": [], "mac_address": n["mac_address"],
                               "model": n.get("model") or "VIRTIO", "is_connected": n["is_connected"],
                               "subnet_reference": {"kind": "subnet", "uuid": n["subnet_uuid"],
                                                    "name": subnet.get("name", "")}}
        if status or n.get("ip_addresses"):
            nic["ip_endpoint_list"] = [{"ip": ip, "type": "ASSIGNED"} for ip in n.get("ip_addresses", [])]
        nics.append(nic)
    res: dict[str, Any] = {
        "num_sockets": vm["num_sockets"], "num_vcpus_per_socket": vm["num_vcpus_per_socket"],
        "num_threads_per_core": 1, "memory_size_mib": vm["memory_mib"], "power_state": vm["power_state"],
        "power_state_mechanism": {"mechanism": vm.get("power_mechanism", "HARD"), "guest_transition_config": {
            "enable_script_exec": False, "should_fail_on_script_failure": False}},
        "machine_type": vm["machine_type"], **_VM_FIXED,
        "hardware_clock_timezone": "UTC", "is_agent_vm": False, "vga_console_enabled": True,
        "boot_config": {"boot_type": vm["boot_type"], "boot_device_order_list": ["CDROM", "DISK", "NETWORK"]},
        "disk_list": disks, "nic_list": nics, "gpu_list": [], "serial_port_list": []}
    if status:
        res.update(hypervisor_type="AHV", bios_uuid=vm["uuid"], protection_type="UNPROTECTED",
                   generation_uuid=vm.get("generation_uuid", vm["uuid"]),
                   vtpm_config={"vtpm_enabled": False, "version": ""})
    return res


def vm(state: PrismState, v: dict[str, Any], *, task_uuid: str = "") -> dict[str, Any]:
    status: dict[str, Any] = {"name": v["name"], "description": v.get("description", ""), "state": "COMPLETE",
                              "resources": _vm_resources(state, v, status=True),
                              "cluster_reference": cluster_ref(state)}
    if task_uuid or v.get("task_uuid"):
        status["execution_context"] = {"task_uuid": [task_uuid or v["task_uuid"]]}
    return {"api_version": API_VERSION, "metadata": _metadata("vm", v),
            "spec": {"name": v["name"], "description": v.get("description", ""),
                     "resources": _vm_resources(state, v, status=False), "cluster_reference": cluster_ref(state)},
            "status": status}


def pending(kind: str, obj_uuid: str, spec: dict[str, Any], task_uuid: str, spec_version: int = 0
            ) -> dict[str, Any]:
    """The 202 answer to an intentful call: the spec echoed, status PENDING with the task."""
    return {"api_version": API_VERSION,
            "metadata": {"kind": kind, "uuid": obj_uuid, "spec_version": spec_version,
                         "use_categories_mapping": False},
            "spec": spec, "status": {"state": "PENDING", "execution_context": {"task_uuid": task_uuid}}}


def task(t: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "api_version": API_VERSION, "uuid": t["uuid"], "status": t["status"],
        "percentage_complete": t["percentage_complete"], "progress_message": t["progress_message"],
        "operation_type": t["operation_type"],
        "entity_reference_list": [{"kind": e["kind"], "uuid": e["uuid"], **({"name": e["name"]} if e.get("name")
                                                                            else {})} for e in t["entities"]],
        "creation_time": rfc3339(t["creation_usecs"]), "creation_time_usecs": t["creation_usecs"],
        "cluster_reference": {"kind": "cluster", "uuid": t["cluster_uuid"]}, "subtask_reference_list": [],
        "logical_timestamp": t["percentage_complete"] + 1}
    if t["start_usecs"]:
        out.update(start_time=rfc3339(t["start_usecs"]), start_time_usecs=t["start_usecs"])
    if t["completion_usecs"]:
        out.update(completion_time=rfc3339(t["completion_usecs"]), completion_time_usecs=t["completion_usecs"])
    if t["status"] == "FAILED":
        out.update(error_code=t["error_code"], error_detail=t["error_detail"])
    return out
