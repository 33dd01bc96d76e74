"""Readiness rules: pure checks over inventory and plan, run before anything is changed.

Each rule returns findings; a ``BLOCKER`` stops the VM from starting, a
``WARNING`` is shown and accepted, ``INFO`` explains what the tool will do.
Every finding says, in ``fix``, what the user can do about it.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .inventory import (
    DiskSharing,
    Firmware,
    OsFamily,
    PowerState,
    SourceInventory,
    SourceVM,
    StorageContainer,
    TargetInventory,
    TargetKind,
    ToolsStatus,
)
from .plan import GuestChannelKind, Plan, ShutdownPolicy, TransferMode, VmPlan

MIN_CBT_HARDWARE_VERSION = 7
# vSphere allows 32 snapshots in a chain; we add one for the migration and one for guest prep.
MAX_EXISTING_SNAPSHOTS = 30
PLAN_WIDE = ""


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    fix: str
    vm_id: str = PLAN_WIDE


@dataclass(frozen=True)
class _Context:
    plan: Plan
    vm_plan: VmPlan
    target: TargetInventory


Rule = Callable[[SourceVM, _Context], Iterable[Finding]]


def _f(vm: SourceVM, code: str, severity: Severity, message: str, fix: str) -> Finding:
    return Finding(code, severity, message, fix, vm.vm_id)


def _tools(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.power_state is not PowerState.ON or vm.tools_status is ToolsStatus.RUNNING:
        return
    uses_tools = ctx.vm_plan.guest.channel is GuestChannelKind.VMTOOLS
    # Without Tools, vSphere refuses ShutdownGuest (ToolsUnavailable): only a power-off can stop the VM.
    can_shut_down = vm.tools_status is ToolsStatus.OLD
    may_power_off = ctx.plan.options.shutdown_policy is ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT
    blocks = uses_tools or not (can_shut_down or may_power_off)
    if uses_tools:
        fix = "Install or start VMware Tools: guest operations and a clean guest shutdown at cutover need it."
    elif can_shut_down or may_power_off:
        fix = ("Install or start VMware Tools for a clean guest shutdown at cutover; without it the VM is "
               "powered off, as the plan allows.")
    else:
        fix = ("Install or start VMware Tools: the cutover shuts the guest down through it. Or allow power-off "
               "after the shutdown timeout in the plan's options.")
    yield _f(vm, "tools_not_running", Severity.BLOCKER if blocks else Severity.WARNING,
             f"VMware Tools is {vm.tools_status.value.replace('_', ' ')} in {vm.name}.", fix)


def _disks(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if not vm.disks:
        yield _f(vm, "no_disks", Severity.BLOCKER, f"{vm.name} has no virtual disks to migrate.",
                 "Leave this VM out of the plan.")
    for d in vm.disks:
        if d.mode.independent:
            yield _f(vm, "independent_disk", Severity.BLOCKER,
                     f"Disk '{d.label}' is independent, so snapshots and CBT leave it out.",
                     "Change the disk mode to Dependent (VM powered off: Edit Settings > disk > Mode).")
        if d.rdm and d.rdm_physical:
            yield _f(vm, "rdm_physical", Severity.BLOCKER,
                     f"Disk '{d.label}' is a physical-mode RDM; it cannot be snapshotted or read through "
                     "the datastore.",
                     "Migrate the LUN's data separately (storage vMotion it to a VMDK first, or attach it as a "
                     "Volume Group on AHV).")
        elif d.rdm:
            # Its data is on the LUN: /folder serves no flat file for it, so it cannot be read.
            yield _f(vm, "rdm_virtual", Severity.BLOCKER,
                     f"Disk '{d.label}' is a virtual-mode RDM; its data is on a LUN, with no flat file to copy.",
                     "Storage vMotion the disk to a virtual disk (VMDK) first (Migrate > Change storage, format "
                     "Thin or Thick), or migrate the LUN's data separately (a Volume Group on AHV).")
        if d.sharing is DiskSharing.MULTI_WRITER:
            yield _f(vm, "multi_writer_disk", Severity.BLOCKER,
                     f"Disk '{d.label}' is shared (multi-writer); it cannot be snapshotted.",
                     "Migrate clustered VMs with an application-level method, or turn sharing off.")


def _snapshots(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.snapshot_count > MAX_EXISTING_SNAPSHOTS:
        yield _f(vm, "too_many_snapshots", Severity.BLOCKER,
                 f"{vm.name} has {vm.snapshot_count} snapshots; vSphere allows 32 in a chain and the migration "
                 "needs two more.", "Delete the snapshots (Snapshots > Delete All) before migrating.")
    elif vm.snapshot_count:
        yield _f(vm, "existing_snapshots", Severity.BLOCKER,
                 f"{vm.name} has {vm.snapshot_count} snapshot(s); the migration reads the base disk as of its "
                 "own snapshot and needs the disks consolidated.",
                 "Delete or consolidate the existing snapshots (Snapshots > Delete All), then check again.")


def _cbt(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.hardware_version < MIN_CBT_HARDWARE_VERSION:
        yield _f(vm, "hardware_too_old", Severity.BLOCKER,
                 f"{vm.name} has virtual hardware version {vm.hardware_version}; Changed Block Tracking needs 7 "
                 "or later.", "Upgrade the VM compatibility (Actions > Compatibility > Upgrade) with the VM off.")
    elif not vm.cbt_enabled:
        yield _f(vm, "cbt_will_be_enabled", Severity.INFO,
                 f"Changed Block Tracking is off on {vm.name}; it will be turned on.",
                 "Nothing to do: on a running VM a short snapshot makes the setting take effect.")


def _ssh(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    access = ctx.vm_plan.guest
    if vm.guest_family is not OsFamily.LINUX:
        yield _f(vm, "ssh_needs_linux", Severity.BLOCKER, f"SSH guest preparation is for Linux guests; {vm.name} "
                 f"runs {vm.guest_full_name or vm.guest_id}.", "Use WinRM or VMware Tools for this guest.")
    elif not (access.ssh_host or vm.guest_ips):
        yield _f(vm, "guest_no_address", Severity.BLOCKER,
                 f"No IP address is known for {vm.name}, so SSH cannot reach it.",
                 "Enter the guest's address, or use the VMware Tools channel.")
    elif not access.ssh_host_key:
        yield _f(vm, "ssh_host_key_not_pinned", Severity.BLOCKER,
                 f"The SSH host key of {vm.name} is not pinned, so the guest cannot be told from an impostor.",
                 "Open the guest credentials page and accept the key it shows after checking it on the guest's "
                 "console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), or set guest.ssh_host_key.")


def _guest(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    channel = ctx.vm_plan.guest.channel
    if channel is GuestChannelKind.NONE:
        yield _f(vm, "guest_prep_skipped", Severity.WARNING,
                 f"Guest preparation is off for {vm.name}: no VirtIO drivers, SAN policy or IP retention.",
                 "Make sure the guest already has VirtIO drivers, or it will not boot on AHV "
                 "(INACCESSIBLE_BOOT_DEVICE).")
        return
    if vm.guest_family is OsFamily.OTHER:
        yield _f(vm, "guest_os_unsupported", Severity.BLOCKER,
                 f"The guest OS of {vm.name} ({vm.guest_full_name or vm.guest_id}) has no preparation scripts.",
                 "Set the guest channel to 'none' and install VirtIO drivers by hand.")
    if vm.power_state is not PowerState.ON:
        yield _f(vm, "guest_prep_needs_power", Severity.BLOCKER,
                 f"{vm.name} is powered off; guest preparation runs inside the running guest.",
                 "Power the VM on, or set its guest channel to 'none'.")
    elif channel is GuestChannelKind.WINRM and not (ctx.vm_plan.guest.winrm_host or vm.guest_ips):
        yield _f(vm, "guest_no_address", Severity.BLOCKER,
                 f"No IP address is known for {vm.name}, so WinRM cannot reach it.",
                 "Enter the guest's address, or use the VMware Tools channel.")
    elif channel is GuestChannelKind.SSH:
        yield from _ssh(vm, ctx)
    elif channel is GuestChannelKind.VMTOOLS and vm.tools_status is ToolsStatus.RUNNING \
            and not vm.guest_operations_ready:
        yield _f(vm, "guest_operations_not_ready", Severity.WARNING,
                 f"VMware Tools in {vm.name} does not accept guest operations yet.",
                 "Wait a minute after boot, or update VMware Tools.")
    access = ctx.vm_plan.guest
    if channel is GuestChannelKind.WINRM and not access.winrm_https:
        # The channel refuses answers in clear on that session; what HTTP cannot stop is the relay of
        # the NTLM exchange itself to another server the account may use.
        yield _f(vm, "winrm_http", Severity.WARNING,
                 f"WinRM to {vm.name} uses plain HTTP with NTLM message encryption: the NTLM exchange can be "
                 "relayed (NTLM relay) to another server by someone on the path.",
                 "Use HTTPS (port 5986) with the guest's certificate pinned, or the VMware Tools channel.")
    shared = any(d.sharing is DiskSharing.MULTI_WRITER for d in vm.disks)
    if shared and vm.guest_family is OsFamily.WINDOWS:
        yield _f(vm, "san_policy_shared", Severity.WARNING,
                 "SAN policy OnlineAll is unsafe for disks shared by a cluster; it will not be set.",
                 "Bring the disks online by hand on AHV.")


def _network(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    subnets = {s.uuid for s in ctx.target.subnets}
    for nic in vm.nics:
        mapped = ctx.plan.network_map.get(nic.network)
        if not mapped:
            yield _f(vm, "network_unmapped", Severity.BLOCKER,
                     f"Port group '{nic.network}' of {vm.name} is not mapped to an AHV subnet.",
                     "Choose a subnet for it on the Network mapping page.")
        elif subnets and mapped not in subnets:
            yield _f(vm, "subnet_missing", Severity.BLOCKER,
                     f"Port group '{nic.network}' is mapped to a subnet that the target does not have.",
                     "Pick an existing subnet on the Network mapping page.")
    opts = ctx.plan.options
    if opts.retain_ip and not opts.retain_mac and len(vm.nics) > 1:
        yield _f(vm, "ip_retention_needs_mac", Severity.BLOCKER,
                 f"{vm.name} has {len(vm.nics)} NICs; IP retention matches NICs by MAC address, so it needs "
                 "'retain MAC' when there is more than one.", "Turn 'retain MAC' on, or 'retain IP' off.")
    if opts.retain_ip and ctx.vm_plan.guest.channel is GuestChannelKind.NONE and vm.nics:
        yield _f(vm, "ip_retention_needs_guest", Severity.WARNING,
                 "IP retention needs guest preparation, which is off for this VM.",
                 "Enable a guest channel, or reconfigure the IP addresses on AHV by hand.")


def _target(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    name = ctx.vm_plan.effective_target_name
    if name in ctx.target.vm_names:
        yield _f(vm, "name_clash", Severity.BLOCKER, f"A VM named '{name}' already exists on the target.",
                 "Set another target name for this VM, or remove the existing one.")
    if vm.firmware is Firmware.EFI and vm.secure_boot:
        if ctx.target.kind is TargetKind.PRISM_ELEMENT:
            # Secure Boot needs machine type Q35; Prism Element's v2.0 VM create has no machine_type field.
            yield _f(vm, "secure_boot_needs_pc", Severity.BLOCKER,
                     f"{vm.name} uses UEFI Secure Boot, which needs an AHV VM of machine type Q35; Prism Element "
                     "cannot create one (its API has no machine type).",
                     "Connect the plan to the Prism Central that manages this cluster (Target page): it creates "
                     "the VM with machine type Q35 and Secure Boot.")
        else:
            yield _f(vm, "secure_boot", Severity.INFO,
                     f"{vm.name} uses UEFI Secure Boot; it will be created with machine type Q35 and Secure Boot.",
                     "Nothing to do.")
    if ctx.plan.transfer_mode is TransferMode.COLD and vm.power_state is PowerState.ON:
        yield _f(vm, "cold_shutdown", Severity.INFO,
                 f"Cold mode: {vm.name} is shut down before its disks are copied (downtime = whole copy).",
                 "Use warm mode for a short cutover.")
    for container, role in data_containers(ctx.plan, ctx.target):
        if vm.provisioned_bytes > container.free_bytes:
            yield _f(vm, "container_space", Severity.BLOCKER,
                     f"{vm.name} needs up to {_gib(vm.provisioned_bytes)} and container '{container.name}' ({role}) "
                     f"has {_gib(container.free_bytes)} free.", "Choose another container or free space on it.")


def data_containers(plan: Plan, target: TargetInventory) -> list[tuple[StorageContainer, str]]:
    """Each container the migration fills, with its role: where the disks land (``disk_container``: through
    Prism Central the cluster's SelfServiceContainer, whatever the plan chose) and, in warm mode, where they
    are staged over NFS first (the plan's container)."""
    chosen = target.container(plan.target.container_uuid)
    landing = target.disk_container(plan.target.container_uuid)
    if chosen is None or landing is None:
        return []
    if landing.uuid == chosen.uuid:
        return [(chosen, "where the disks land")]
    found = [(landing, "where Prism Central puts the disks")]
    if plan.transfer_mode is TransferMode.WARM:
        found.append((chosen, "where the disks are staged over NFS"))
    return found


# -- vSphere source fidelity (issue 20): what real vCenters have that breaks a migration midway ----------

_CONNECTION_FIXES = {
    "disconnected": "Reconnect its ESXi host in vCenter (Connection > Connect), then check again.",
    "orphaned": "The VM's files are no longer registered with its host: remove it from the inventory and "
                "register its .vmx again (Datastore > Register VM), then check again.",
    "inaccessible": "Its datastore is unreachable or its files are missing: bring the datastore back (Storage > "
                    "Rescan), then check again.",
    "invalid": "Its configuration is corrupt: fix or re-register the VM in the vSphere Client.",
}


def _encryption(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    encrypted = [d.label for d in vm.disks if d.encrypted]
    if not (vm.encrypted or encrypted):
        return
    what = f"disk(s) {', '.join(encrypted)} of {vm.name} are" if encrypted else f"{vm.name} is"
    lacks = [m for m in vm.missing_privileges if m.privilege.startswith("Cryptographer.")]
    yield _f(vm, "encrypted", Severity.BLOCKER,
             f"{what[0].upper()}{what[1:]} encrypted by vSphere: their files hold ciphertext, which would land on AHV "
             "as a disk that never boots.",
             "Decrypt the VM in the vSphere Client (VM Policies > Edit VM Storage Policies, a policy without "
             "encryption) and check again; AHV encrypts data at rest itself."
             + (" This account lacks Cryptographer.Decrypt: ask an administrator to decrypt it." if lacks else ""))


def _disk_storage(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    for d in vm.disks:
        if not d.flat_file_readable:
            yield _f(vm, "no_flat_file_datastore", Severity.BLOCKER,
                     f"Disk '{d.label}' of {vm.name} is on {d.datastore_type} datastore '{d.datastore}', whose disks "
                     "are objects with no flat file to read over HTTPS.",
                     "Storage vMotion the VM to a VMFS or NFS datastore (Migrate > Change storage only), then "
                     "check again.")


def _vm_state(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.connection_state != "connected":
        yield _f(vm, "vm_not_connected", Severity.BLOCKER,
                 f"{vm.name} is {vm.connection_state} in vCenter: it cannot be snapshotted or read.",
                 _CONNECTION_FIXES.get(vm.connection_state, "Bring the VM back to connected in vCenter."))
    if vm.consolidation_needed:
        yield _f(vm, "consolidation_needed", Severity.BLOCKER,
                 f"{vm.name} needs its disks consolidated: an earlier snapshot removal left delta files, so its "
                 "base disks are not current.",
                 "Run Snapshots > Consolidate on the VM in the vSphere Client, then check again.")


def _privileges(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    uses_tools = ctx.vm_plan.guest.channel is GuestChannelKind.VMTOOLS
    needed = [m for m in vm.missing_privileges if not m.privilege.startswith("Cryptographer.")
              and (uses_tools or not m.privilege.startswith("VirtualMachine.GuestOperations."))]
    if needed:
        listed = "; ".join(f"{m.privilege} on {m.entity_kind} {m.entity_name}" for m in needed)
        yield _f(vm, "missing_privileges", Severity.BLOCKER,
                 f"The vCenter account lacks privileges the migration of {vm.name} needs: {listed}.",
                 "Grant the account a role with these privileges on the VM, its host and datastores (or on the "
                 "vCenter root, propagated), then check again.")


RULES: tuple[Rule, ...] = (_tools, _disks, _snapshots, _cbt, _guest, _network, _target,
                           _encryption, _disk_storage, _vm_state, _privileges)


def check_vm(vm: SourceVM, plan: Plan, target: TargetInventory) -> list[Finding]:
    """Findings for one VM under ``plan`` (which must list it)."""
    ctx = _Context(plan, plan.vm(vm.vm_id), target)
    return [f for rule in RULES for f in rule(vm, ctx)]


def check_plan(plan: Plan, source: SourceInventory, target: TargetInventory) -> dict[str, list[Finding]]:
    """Findings per VM id, plus plan-wide findings under the key ``PLAN_WIDE``."""
    out: dict[str, list[Finding]] = {PLAN_WIDE: _plan_wide(plan, source, target)}
    known = {v.vm_id: v for v in source.vms}
    for vm_plan in plan.vms:
        vm = known.get(vm_plan.vm_id)
        if vm is None:
            out[vm_plan.vm_id] = [Finding("vm_not_found", Severity.BLOCKER,
                                          f"VM '{vm_plan.name}' ({vm_plan.vm_id}) is not in the source inventory.",
                                          "It was removed or renamed: select it again in the wizard.",
                                          vm_plan.vm_id)]
            continue
        out[vm.vm_id] = check_vm(vm, plan, target)
    return out


def _plan_wide(plan: Plan, source: SourceInventory, target: TargetInventory) -> list[Finding]:
    found: list[Finding] = []
    if target.clusters and plan.target.cluster_uuid not in {c.uuid for c in target.clusters}:
        found.append(Finding("cluster_missing", Severity.BLOCKER, "The plan's AHV cluster is not on the target.",
                             "Choose the cluster again on the Target page."))
    container = target.container(plan.target.container_uuid)
    if target.containers and container is None:
        found.append(Finding("container_missing", Severity.BLOCKER,
                             "The plan's storage container is not on the target.",
                             "Choose the storage container again on the Target page."))
    landing = target.disk_container(plan.target.container_uuid)
    if container is not None and landing is not None and landing.uuid != container.uuid:
        found.append(Finding("disks_land_elsewhere", Severity.INFO,
                             f"Prism Central puts the migrated disks in container '{landing.name}', not in "
                             f"'{container.name}': its API clones a disk from an image next to the image.",
                             "Nothing to do if it has room; move a VM's disks afterwards with "
                             "'acli vm.update_container', or connect to the Prism Element to choose the container."))
    known = {v.vm_id: v for v in source.vms}
    needed = sum(known[v.vm_id].provisioned_bytes for v in plan.vms if v.vm_id in known)
    for data, role in data_containers(plan, target):
        if needed > data.free_bytes:
            found.append(Finding("container_space_total", Severity.WARNING,
                                 f"The selected VMs need up to {_gib(needed)}; container '{data.name}' ({role}) has "
                                 f"{_gib(data.free_bytes)} free. Thin disks may fit, but it is tight.",
                                 "Migrate in smaller batches, or choose another container."))
    found += _container_whitelist(plan, target)
    # One name on AHV for two VMs, or two that a person (and a case-insensitive file system or search) cannot tell
    # apart: letter case, full-width letters, spaces around.
    groups: dict[str, list[str]] = {}
    for v in plan.vms:
        key = unicodedata.normalize("NFKC", v.effective_target_name).casefold().strip()
        groups.setdefault(key, []).append(v.effective_target_name)
    for names in sorted(g for g in groups.values() if len(g) > 1):
        shown = " and ".join(f"'{n}'" for n in sorted(set(names)))
        found.append(Finding("target_name_twice", Severity.BLOCKER,
                             f"Two VMs of the plan would be called {shown} on AHV"
                             + ("." if len(set(names)) == 1 else ", names that differ only in case or width."),
                             "Give one of them another target name."))
    return found


def _container_whitelist(plan: Plan, target: TargetInventory) -> list[Finding]:
    """Warm mode writes into the plan's container over NFS; the tool adds this laptop to the cluster-wide NFS
    whitelist, which a container with a whitelist of its own (``nfs_whitelist_inherited`` false) ignores."""
    container = target.container(plan.target.container_uuid)
    if plan.transfer_mode is not TransferMode.WARM or container is None or container.nfs_whitelist_inherited:
        return []
    if target.nfs_client and any(_covers(e, target.nfs_client) for e in container.nfs_whitelist):
        return []
    laptop = target.nfs_client.split("/")[0] or "this computer"
    entry = target.nfs_client or "this computer's address/255.255.255.255"
    return [Finding("container_whitelist", Severity.BLOCKER if target.nfs_client else Severity.WARNING,
                    f"Storage container '{container.name}' has an NFS whitelist of its own (it does not use the "
                    f"cluster's), and {laptop} is {'not' if target.nfs_client else 'perhaps not'} in it: the entry "
                    "the tool adds to the cluster's whitelist does not open this container.",
                    f"In Prism: Storage > '{container.name}' > Update > Advanced Settings > Filesystem Whitelist, add "
                    f"{entry} for the migration (and remove it afterwards); or choose a container without a "
                    "whitelist of its own, or cold mode.")]


def _covers(entry: str, client: str) -> bool:
    """Does whitelist ``entry`` ("10.0.0.0/255.255.255.0", "10.0.0.5/32", "10.0.0.5") let ``client`` in?"""
    try:
        return ipaddress.ip_address(client.split("/")[0]) in ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        return False


def blockers(findings: Mapping[str, list[Finding]]) -> list[Finding]:
    return [f for fs in findings.values() for f in fs if f.severity is Severity.BLOCKER]


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"
