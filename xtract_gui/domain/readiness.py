"""Readiness rules: pure checks over inventory and plan, run before anything is changed.

Each rule returns findings; a ``BLOCKER`` stops the VM from starting, a
``WARNING`` is shown and accepted, ``INFO`` explains what the tool will do.
Every finding says, in ``fix``, what the user can do about it, and in ``section`` which part of the plan
(the wizard page) makes that fix, "" when it is made outside xtract-gui (in the vSphere Client, in Prism).
Messages are ``domain.messages.Message`` values: English as text, translatable in the GUI.
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
from .messages import Message, msg, plural
from .plan import GuestChannelKind, Plan, ShutdownPolicy, TransferMode, VmPlan

MIN_CBT_HARDWARE_VERSION = 7
COLD_UNCONFIRMED = "cold_power_off_unconfirmed"  # the wizard asks for it at Start (a plan option records the yes)
# vSphere allows 32 snapshots in a chain; we add one for the migration and one for guest prep.
MAX_EXISTING_SNAPSHOTS = 30
PLAN_WIDE = ""


class Severity(StrEnum):
    BLOCKER = "blocker"
    WARNING = "warning"
    INFO = "info"


class Section(StrEnum):
    """Where a finding's fix is made: a part of the plan (a wizard page), or outside xtract-gui."""

    OUTSIDE = ""  # vSphere Client, Prism, the guest
    TARGET = "target"
    VMS = "vms"
    GUESTS = "guests"
    NETWORK = "network"
    OPTIONS = "options"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    fix: str
    vm_id: str = PLAN_WIDE
    section: Section = Section.OUTSIDE


# The cause a person must see first when several blockers hold: a VM already on the target (a migrated VM is
# also powered off, and "power it on" is then the worst advice), then a VM vCenter cannot work with.
_FIRST = ("name_clash", "vm_not_found", "vm_not_connected")


@dataclass(frozen=True)
class _Context:
    plan: Plan
    vm_plan: VmPlan
    target: TargetInventory


Rule = Callable[[SourceVM, _Context], Iterable[Finding]]


def _f(vm: SourceVM, code: str, severity: Severity, message: Message, fix: Message,
       section: Section = Section.OUTSIDE) -> Finding:
    return Finding(code, severity, message, fix, vm.vm_id, section)


def _tools(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.power_state is not PowerState.ON or vm.tools_status is ToolsStatus.RUNNING:
        return
    uses_tools = ctx.vm_plan.guest.channel is GuestChannelKind.VMTOOLS
    # Without Tools, vSphere refuses ShutdownGuest (ToolsUnavailable): only a power-off can stop the VM.
    can_shut_down = vm.tools_status is ToolsStatus.OLD
    may_power_off = ctx.plan.options.shutdown_policy is ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT
    blocks = uses_tools or not (can_shut_down or may_power_off)
    section = Section.OUTSIDE
    if uses_tools:
        fix = msg("readiness.tools_not_running.fix_channel",
                  "Install or start VMware Tools: guest operations and a clean guest shutdown at cutover need it.")
    elif can_shut_down or may_power_off:
        fix = msg("readiness.tools_not_running.fix_power_off",
                  "Install or start VMware Tools for a clean guest shutdown at cutover; without it the VM is "
                  "powered off, as the plan allows.")
    else:
        fix = msg("readiness.tools_not_running.fix_allow",
                  "Install or start VMware Tools: the cutover shuts the guest down through it. Or allow power-off "
                  "after the shutdown timeout in the plan's options.")
        section = Section.OPTIONS
    status = {ToolsStatus.NOT_RUNNING: msg("readiness.tools.not_running", "not running"),
              ToolsStatus.NOT_INSTALLED: msg("readiness.tools.not_installed", "not installed"),
              ToolsStatus.OLD: msg("readiness.tools.old", "old")}.get(vm.tools_status, vm.tools_status.value)
    yield _f(vm, "tools_not_running", Severity.BLOCKER if blocks else Severity.WARNING,
             msg("readiness.tools_not_running", "VMware Tools is {status} in {vm}.", status=status, vm=vm.name), fix,
             section)


def _disks(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if not vm.disks:
        yield _f(vm, "no_disks", Severity.BLOCKER,
                 msg("readiness.no_disks", "{vm} has no virtual disks to migrate.", vm=vm.name),
                 msg("readiness.no_disks.fix", "Leave this VM out of the plan."), Section.VMS)
    for d in vm.disks:
        if d.mode.independent:
            yield _f(vm, "independent_disk", Severity.BLOCKER,
                     msg("readiness.independent_disk", "Disk '{disk}' is independent, so snapshots and CBT leave it "
                         "out.", disk=d.label),
                     msg("readiness.independent_disk.fix",
                         "Change the disk mode to Dependent (VM powered off: Edit Settings > disk > Mode)."))
        if d.rdm and d.rdm_physical:
            yield _f(vm, "rdm_physical", Severity.BLOCKER,
                     msg("readiness.rdm_physical", "Disk '{disk}' is a physical-mode RDM; it cannot be snapshotted "
                         "or read through the datastore.", disk=d.label),
                     msg("readiness.rdm_physical.fix",
                         "Migrate the LUN's data separately (storage vMotion it to a VMDK first, or attach it as a "
                         "Volume Group on AHV)."))
        elif d.rdm:
            # Its data is on the LUN: /folder serves no flat file for it, so it cannot be read.
            yield _f(vm, "rdm_virtual", Severity.BLOCKER,
                     msg("readiness.rdm_virtual", "Disk '{disk}' is a virtual-mode RDM; its data is on a LUN, with "
                         "no flat file to copy.", disk=d.label),
                     msg("readiness.rdm_virtual.fix",
                         "Storage vMotion the disk to a virtual disk (VMDK) first (Migrate > Change storage, format "
                         "Thin or Thick), or migrate the LUN's data separately (a Volume Group on AHV)."))
        if d.sharing is DiskSharing.MULTI_WRITER:
            yield _f(vm, "multi_writer_disk", Severity.BLOCKER,
                     msg("readiness.multi_writer_disk", "Disk '{disk}' is shared (multi-writer); it cannot be "
                         "snapshotted.", disk=d.label),
                     msg("readiness.multi_writer_disk.fix",
                         "Migrate clustered VMs with an application-level method, or turn sharing off."))


def _snapshots(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.snapshot_count > MAX_EXISTING_SNAPSHOTS:
        yield _f(vm, "too_many_snapshots", Severity.BLOCKER,
                 msg("readiness.too_many_snapshots", "{vm} has {n} snapshots; vSphere allows 32 in a chain and the "
                     "migration needs two more.", vm=vm.name, n=vm.snapshot_count),
                 msg("readiness.too_many_snapshots.fix",
                     "Delete the snapshots (Snapshots > Delete All) before migrating."))
    elif vm.snapshot_count:
        yield _f(vm, "existing_snapshots", Severity.BLOCKER,
                 plural("readiness.existing_snapshots", vm.snapshot_count,
                        "{vm} has {n} snapshot; the migration reads the base disk as of its own snapshot and needs "
                        "the disks consolidated.",
                        "{vm} has {n} snapshots; the migration reads the base disk as of its own snapshot and needs "
                        "the disks consolidated.", vm=vm.name),
                 msg("readiness.existing_snapshots.fix",
                     "Delete or consolidate the existing snapshots (Snapshots > Delete All), then check again."))


def _cbt(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.hardware_version < MIN_CBT_HARDWARE_VERSION:
        yield _f(vm, "hardware_too_old", Severity.BLOCKER,
                 msg("readiness.hardware_too_old", "{vm} has virtual hardware version {version}; Changed Block "
                     "Tracking needs 7 or later.", vm=vm.name, version=vm.hardware_version),
                 msg("readiness.hardware_too_old.fix",
                     "Upgrade the VM compatibility (Actions > Compatibility > Upgrade) with the VM off."))
    elif not vm.cbt_enabled:
        yield _f(vm, "cbt_will_be_enabled", Severity.INFO,
                 msg("readiness.cbt_will_be_enabled", "Changed Block Tracking is off on {vm}; it will be turned on.",
                     vm=vm.name),
                 msg("readiness.cbt_will_be_enabled.fix",
                     "Nothing to do: on a running VM a short snapshot makes the setting take effect."))


def _ssh(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    access = ctx.vm_plan.guest
    if vm.guest_family is not OsFamily.LINUX:
        yield _f(vm, "ssh_needs_linux", Severity.BLOCKER,
                 msg("readiness.ssh_needs_linux", "SSH guest preparation is for Linux guests; {vm} runs {os}.",
                     vm=vm.name, os=vm.guest_full_name or vm.guest_id),
                 msg("readiness.ssh_needs_linux.fix", "Use WinRM or VMware Tools for this guest."), Section.GUESTS)
    elif not (access.ssh_host or vm.guest_ips):
        yield _f(vm, "guest_no_address", Severity.BLOCKER,
                 msg("readiness.guest_no_address.ssh", "No IP address is known for {vm}, so SSH cannot reach it.",
                     vm=vm.name),
                 msg("readiness.guest_no_address.fix", "Enter the guest's address, or use the VMware Tools channel."),
                 Section.GUESTS)
    elif not access.ssh_host_key:
        yield _f(vm, "ssh_host_key_not_pinned", Severity.BLOCKER,
                 msg("readiness.ssh_host_key_not_pinned", "The SSH host key of {vm} is not pinned, so the guest "
                     "cannot be told from an impostor.", vm=vm.name),
                 msg("readiness.ssh_host_key_not_pinned.fix",
                     "Open the guest credentials page and accept the key it shows after checking it on the guest's "
                     "console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), or set guest.ssh_host_key."),
                 Section.GUESTS)


def _prep_skipped_fix(vm: SourceVM) -> Message:
    # What breaks differs: Windows stops with a stop code, Linux drops to its initramfs shell without a root device.
    if vm.guest_family is OsFamily.LINUX:
        return msg("readiness.guest_prep_skipped.fix_linux", "Make sure the guest's initramfs already holds "
                   "virtio_scsi and virtio_net (dracut or update-initramfs), or it will stop at the initramfs shell "
                   "on AHV without its root disk.")
    return msg("readiness.guest_prep_skipped.fix", "Make sure the guest already has VirtIO drivers, or it will "
               "not boot on AHV (INACCESSIBLE_BOOT_DEVICE).")


def _guest(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    channel = ctx.vm_plan.guest.channel
    if channel is GuestChannelKind.NONE:
        yield _f(vm, "guest_prep_skipped", Severity.WARNING,
                 msg("readiness.guest_prep_skipped", "Guest preparation is off for {vm}: no VirtIO drivers, SAN "
                     "policy or IP retention.", vm=vm.name),
                 _prep_skipped_fix(vm), Section.GUESTS)
        return
    if vm.guest_family is OsFamily.OTHER:
        yield _f(vm, "guest_os_unsupported", Severity.BLOCKER,
                 msg("readiness.guest_os_unsupported", "The guest OS of {vm} ({os}) has no preparation scripts.",
                     vm=vm.name, os=vm.guest_full_name or vm.guest_id),
                 msg("readiness.guest_os_unsupported.fix",
                     "Set the guest channel to 'none' and install VirtIO drivers by hand."), Section.GUESTS)
    if vm.power_state is not PowerState.ON:
        name = ctx.vm_plan.effective_target_name
        fix = msg("readiness.guest_prep_needs_power.fix_migrated",
                  "A VM named '{name}' is already on the target: if this VM was migrated, leave it out of the plan. "
                  "Otherwise power it on, or set its guest channel to 'none'.", name=name) \
            if name in ctx.target.vm_names else \
            msg("readiness.guest_prep_needs_power.fix", "Power the VM on, or set its guest channel to 'none'.")
        yield _f(vm, "guest_prep_needs_power", Severity.BLOCKER,
                 msg("readiness.guest_prep_needs_power", "{vm} is powered off; guest preparation runs inside the "
                     "running guest.", vm=vm.name), fix, Section.GUESTS)
    elif channel is GuestChannelKind.WINRM and not (ctx.vm_plan.guest.winrm_host or vm.guest_ips):
        yield _f(vm, "guest_no_address", Severity.BLOCKER,
                 msg("readiness.guest_no_address.winrm", "No IP address is known for {vm}, so WinRM cannot reach it.",
                     vm=vm.name),
                 msg("readiness.guest_no_address.fix", "Enter the guest's address, or use the VMware Tools channel."),
                 Section.GUESTS)
    elif channel is GuestChannelKind.SSH:
        yield from _ssh(vm, ctx)
    elif channel is GuestChannelKind.VMTOOLS and vm.tools_status is ToolsStatus.RUNNING \
            and not vm.guest_operations_ready:
        yield _f(vm, "guest_operations_not_ready", Severity.WARNING,
                 msg("readiness.guest_operations_not_ready", "VMware Tools in {vm} does not accept guest operations "
                     "yet.", vm=vm.name),
                 msg("readiness.guest_operations_not_ready.fix", "Wait a minute after boot, or update VMware Tools."))
    access = ctx.vm_plan.guest
    if channel is GuestChannelKind.WINRM and not access.winrm_https:
        # The channel refuses answers in clear on that session; what HTTP cannot stop is the relay of
        # the NTLM exchange itself to another server the account may use.
        yield _f(vm, "winrm_http", Severity.WARNING,
                 msg("readiness.winrm_http", "WinRM to {vm} uses plain HTTP with NTLM message encryption: the NTLM "
                     "exchange can be relayed (NTLM relay) to another server by someone on the path.", vm=vm.name),
                 msg("readiness.winrm_http.fix",
                     "Use HTTPS (port 5986) with the guest's certificate pinned, or the VMware Tools channel."),
                 Section.GUESTS)
    shared = any(d.sharing is DiskSharing.MULTI_WRITER for d in vm.disks)
    if shared and vm.guest_family is OsFamily.WINDOWS:
        yield _f(vm, "san_policy_shared", Severity.WARNING,
                 msg("readiness.san_policy_shared",
                     "SAN policy OnlineAll is unsafe for disks shared by a cluster; it will not be set."),
                 msg("readiness.san_policy_shared.fix", "Bring the disks online by hand on AHV."))


def _network(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    subnets = {s.uuid for s in ctx.target.subnets}
    for nic in vm.nics:
        mapped = ctx.plan.network_map.get(nic.network)
        if not mapped:
            yield _f(vm, "network_unmapped", Severity.BLOCKER,
                     msg("readiness.network_unmapped", "Port group '{pg}' of {vm} is not mapped to an AHV subnet.",
                         pg=nic.network, vm=vm.name),
                     msg("readiness.network_unmapped.fix", "Choose a subnet for it on the Network mapping page."),
                     Section.NETWORK)
        elif subnets and mapped not in subnets:
            yield _f(vm, "subnet_missing", Severity.BLOCKER,
                     msg("readiness.subnet_missing", "Port group '{pg}' is mapped to a subnet that the target does not "
                         "have.", pg=nic.network),
                     msg("readiness.subnet_missing.fix", "Pick an existing subnet on the Network mapping page."),
                     Section.NETWORK)
    opts = ctx.plan.options
    if opts.retain_ip and not opts.retain_mac and len(vm.nics) > 1:
        yield _f(vm, "ip_retention_needs_mac", Severity.BLOCKER,
                 msg("readiness.ip_retention_needs_mac", "{vm} has {n} NICs; IP retention matches NICs by MAC "
                     "address, so it needs 'retain MAC' when there is more than one.", vm=vm.name, n=len(vm.nics)),
                 msg("readiness.ip_retention_needs_mac.fix", "Turn 'retain MAC' on, or 'retain IP' off."),
                 Section.NETWORK)
    if opts.retain_ip and ctx.vm_plan.guest.channel is GuestChannelKind.NONE and vm.nics:
        yield _f(vm, "ip_retention_needs_guest", Severity.WARNING,
                 msg("readiness.ip_retention_needs_guest",
                     "IP retention needs guest preparation, which is off for {vm}.", vm=vm.name),
                 msg("readiness.ip_retention_needs_guest.fix",
                     "Enable a guest channel, or reconfigure the IP addresses on AHV by hand."), Section.GUESTS)


def _target(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    name = ctx.vm_plan.effective_target_name
    if name in ctx.target.vm_names:
        yield _f(vm, "name_clash", Severity.BLOCKER,
                 msg("readiness.name_clash", "A VM named '{name}' already exists on the target.", name=name),
                 msg("readiness.name_clash.fix", "If {vm} was migrated already, leave it out of the plan; otherwise "
                     "set another target name for it, or remove the existing VM in Prism.", vm=vm.name))
    if vm.firmware is Firmware.EFI and vm.secure_boot:
        if ctx.target.kind is TargetKind.PRISM_ELEMENT:
            # Secure Boot needs machine type Q35; Prism Element's v2.0 VM create has no machine_type field.
            yield _f(vm, "secure_boot_needs_pc", Severity.BLOCKER,
                     msg("readiness.secure_boot_needs_pc", "{vm} uses UEFI Secure Boot, which needs an AHV VM of "
                         "machine type Q35; Prism Element cannot create one (its API has no machine type).",
                         vm=vm.name),
                     msg("readiness.secure_boot_needs_pc.fix",
                         "Connect the plan to the Prism Central that manages this cluster (Target page): it creates "
                         "the VM with machine type Q35 and Secure Boot."), Section.TARGET)
        else:
            yield _f(vm, "secure_boot", Severity.INFO,
                     msg("readiness.secure_boot", "{vm} uses UEFI Secure Boot; it will be created with machine type "
                         "Q35 and Secure Boot.", vm=vm.name),
                     msg("readiness.nothing_to_do", "Nothing to do."))
    if ctx.plan.transfer_mode is TransferMode.COLD and vm.power_state is PowerState.ON:
        # Cold mode powers a running production VM off before its copy: only with a person's explicit yes (the
        # wizard asks at Start, naming the VMs; a plan file says so in its options), never by default.
        if ctx.plan.options.allow_power_off_for_cold:
            yield _f(vm, "cold_shutdown", Severity.INFO,
                     msg("readiness.cold_shutdown", "Cold mode: {vm} is shut down before its disks are copied "
                         "(downtime = whole copy).", vm=vm.name),
                     msg("readiness.cold_shutdown.fix", "Use warm mode for a short cutover."), Section.TARGET)
        else:
            yield _f(vm, COLD_UNCONFIRMED, Severity.BLOCKER,
                     msg("readiness.cold_power_off_unconfirmed", "Cold mode shuts {vm} down before its disks are "
                         "copied (it stays off for the whole copy), and nobody confirmed that.", vm=vm.name),
                     msg("readiness.cold_power_off_unconfirmed.fix",
                         "Confirm it when you press Start in the wizard, or set \"allow_power_off_for_cold\": true "
                         "in the plan's options; or use warm mode, which keeps the VM running until its cutover."),
                     Section.TARGET)
    for container, role in data_containers(ctx.plan, ctx.target):
        if vm.provisioned_bytes > container.free_bytes:
            yield _f(vm, "container_space", Severity.BLOCKER,
                     msg("readiness.container_space", "{vm} needs up to {need} and container '{container}' ({role}) "
                         "has {free} free.", vm=vm.name, need=_gib(vm.provisioned_bytes), container=container.name,
                         role=role, free=_gib(container.free_bytes)),
                     msg("readiness.container_space.fix", "Choose another container or free space on it."),
                     Section.TARGET)


def data_containers(plan: Plan, target: TargetInventory) -> list[tuple[StorageContainer, Message]]:
    """Each container the migration fills, with its role: where the disks land (``disk_container``: through
    Prism Central the cluster's SelfServiceContainer, whatever the plan chose) and, in warm mode, where they
    are staged over NFS first (the plan's container)."""
    chosen = target.container(plan.target.container_uuid)
    landing = target.disk_container(plan.target.container_uuid)
    if chosen is None or landing is None:
        return []
    if landing.uuid == chosen.uuid:
        return [(chosen, msg("readiness.role.landing", "where the disks land"))]
    found = [(landing, msg("readiness.role.pc_landing", "where Prism Central puts the disks"))]
    if plan.transfer_mode is TransferMode.WARM:
        found.append((chosen, msg("readiness.role.staging", "where the disks are staged over NFS")))
    return found


# -- vSphere source fidelity (issue 20): what real vCenters have that breaks a migration midway ----------

_CONNECTION_FIXES = {
    "disconnected": msg("readiness.vm_not_connected.fix_disconnected",
                        "Reconnect its ESXi host in vCenter (Connection > Connect), then check again."),
    "orphaned": msg("readiness.vm_not_connected.fix_orphaned",
                    "The VM's files are no longer registered with its host: remove it from the inventory and "
                    "register its .vmx again (Datastore > Register VM), then check again."),
    "inaccessible": msg("readiness.vm_not_connected.fix_inaccessible",
                        "Its datastore is unreachable or its files are missing: bring the datastore back (Storage > "
                        "Rescan), then check again."),
    "invalid": msg("readiness.vm_not_connected.fix_invalid",
                   "Its configuration is corrupt: fix or re-register the VM in the vSphere Client."),
}


def _encryption(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    encrypted = [d.label for d in vm.disks if d.encrypted]
    if not (vm.encrypted or encrypted):
        return
    lacks = [m for m in vm.missing_privileges if m.privilege.startswith("Cryptographer.")]
    message = msg("readiness.encrypted.disks", "Disk(s) {disks} of {vm} are encrypted by vSphere: their files hold "
                  "ciphertext, which would land on AHV as a disk that never boots.", disks=", ".join(encrypted),
                  vm=vm.name) if encrypted else \
        msg("readiness.encrypted.vm", "{vm} is encrypted by vSphere: their files hold ciphertext, which would land on "
            "AHV as a disk that never boots.", vm=vm.name)
    fix = msg("readiness.encrypted.fix", "Decrypt the VM in the vSphere Client (VM Policies > Edit VM Storage "
              "Policies, a policy without encryption) and check again; AHV encrypts data at rest itself.")
    if lacks:
        fix = msg("readiness.encrypted.fix_privilege", "{fix} This account lacks Cryptographer.Decrypt: ask an "
                  "administrator to decrypt it.", fix=fix)
    yield _f(vm, "encrypted", Severity.BLOCKER, message, fix)


def _disk_storage(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    for d in vm.disks:
        if not d.flat_file_readable:
            yield _f(vm, "no_flat_file_datastore", Severity.BLOCKER,
                     msg("readiness.no_flat_file_datastore", "Disk '{disk}' of {vm} is on {kind} datastore "
                         "'{datastore}', whose disks are objects with no flat file to read over HTTPS.", disk=d.label,
                         vm=vm.name, kind=d.datastore_type, datastore=d.datastore),
                     msg("readiness.no_flat_file_datastore.fix", "Storage vMotion the VM to a VMFS or NFS datastore "
                         "(Migrate > Change storage only), then check again."))


def _vm_state(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    if vm.connection_state != "connected":
        yield _f(vm, "vm_not_connected", Severity.BLOCKER,
                 msg("readiness.vm_not_connected", "{vm} is {state} in vCenter: it cannot be snapshotted or read.",
                     vm=vm.name, state=vm.connection_state),
                 _CONNECTION_FIXES.get(vm.connection_state) or msg("readiness.vm_not_connected.fix",
                                                                   "Bring the VM back to connected in vCenter."))
    if vm.consolidation_needed:
        yield _f(vm, "consolidation_needed", Severity.BLOCKER,
                 msg("readiness.consolidation_needed", "{vm} needs its disks consolidated: an earlier snapshot removal "
                     "left delta files, so its base disks are not current.", vm=vm.name),
                 msg("readiness.consolidation_needed.fix",
                     "Run Snapshots > Consolidate on the VM in the vSphere Client, then check again."))


def _privileges(vm: SourceVM, ctx: _Context) -> Iterable[Finding]:
    uses_tools = ctx.vm_plan.guest.channel is GuestChannelKind.VMTOOLS
    needed = [m for m in vm.missing_privileges if not m.privilege.startswith("Cryptographer.")
              and (uses_tools or not m.privilege.startswith("VirtualMachine.GuestOperations."))]
    if needed:
        listed = "; ".join(f"{m.privilege} on {m.entity_kind} {m.entity_name}" for m in needed)
        yield _f(vm, "missing_privileges", Severity.BLOCKER,
                 msg("readiness.missing_privileges", "The vCenter account lacks privileges the migration of {vm} "
                     "needs: {listed}.", vm=vm.name, listed=listed),
                 msg("readiness.missing_privileges.fix",
                     "Grant the account a role with these privileges on the VM, its host and datastores (or on the "
                     "vCenter root, propagated), then check again."))


RULES: tuple[Rule, ...] = (_tools, _disks, _snapshots, _cbt, _guest, _network, _target,
                           _encryption, _disk_storage, _vm_state, _privileges)


def check_vm(vm: SourceVM, plan: Plan, target: TargetInventory) -> list[Finding]:
    """Findings for one VM under ``plan`` (which must list it)."""
    ctx = _Context(plan, plan.vm(vm.vm_id), target)
    return ordered([f for rule in RULES for f in rule(vm, ctx)])


def ordered(found: list[Finding]) -> list[Finding]:
    """Blockers first, the cause a person must see first at their head (``_FIRST``), then warnings, then info."""
    rank = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(found, key=lambda f: (rank[f.severity], 0 if f.code in _FIRST else 1))


def check_plan(plan: Plan, source: SourceInventory, target: TargetInventory) -> dict[str, list[Finding]]:
    """Findings per VM id, plus plan-wide findings under the key ``PLAN_WIDE``."""
    out: dict[str, list[Finding]] = {PLAN_WIDE: _plan_wide(plan, source, target)}
    known = {v.vm_id: v for v in source.vms}
    for vm_plan in plan.vms:
        vm = known.get(vm_plan.vm_id)
        if vm is None:
            out[vm_plan.vm_id] = [Finding("vm_not_found", Severity.BLOCKER,
                                          msg("readiness.vm_not_found", "VM '{vm}' is not in the source inventory.",
                                              vm=vm_plan.name),
                                          msg("readiness.vm_not_found.fix",
                                              "It was removed or renamed: select it again in the wizard."),
                                          vm_plan.vm_id, Section.VMS)]
            continue
        out[vm.vm_id] = check_vm(vm, plan, target)
    return out


def _plan_wide(plan: Plan, source: SourceInventory, target: TargetInventory) -> list[Finding]:
    found: list[Finding] = []
    if target.clusters and plan.target.cluster_uuid not in {c.uuid for c in target.clusters}:
        found.append(Finding("cluster_missing", Severity.BLOCKER,
                             msg("readiness.cluster_missing", "The plan's AHV cluster is not on the target."),
                             msg("readiness.cluster_missing.fix", "Choose the cluster again on the Target page."),
                             section=Section.TARGET))
    container = target.container(plan.target.container_uuid)
    if target.containers and container is None:
        found.append(Finding("container_missing", Severity.BLOCKER,
                             msg("readiness.container_missing", "The plan's storage container is not on the target."),
                             msg("readiness.container_missing.fix",
                                 "Choose the storage container again on the Target page."), section=Section.TARGET))
    landing = target.disk_container(plan.target.container_uuid)
    if container is not None and landing is not None and landing.uuid != container.uuid:
        found.append(Finding("disks_land_elsewhere", Severity.INFO,
                             msg("readiness.disks_land_elsewhere", "Prism Central puts the migrated disks in container "
                                 "'{landing}', not in '{chosen}': its API clones a disk from an image next to the "
                                 "image.", landing=landing.name, chosen=container.name),
                             msg("readiness.disks_land_elsewhere.fix",
                                 "Nothing to do if it has room; move a VM's disks afterwards with "
                                 "'acli vm.update_container', or connect to the Prism Element to choose the "
                                 "container."), section=Section.TARGET))
    known = {v.vm_id: v for v in source.vms}
    needed = sum(known[v.vm_id].provisioned_bytes for v in plan.vms if v.vm_id in known)
    for data, role in data_containers(plan, target):
        if needed > data.free_bytes:
            found.append(Finding("container_space_total", Severity.WARNING,
                                 msg("readiness.container_space_total", "The selected VMs need up to {need}; container "
                                     "'{container}' ({role}) has {free} free. Thin disks may fit, but it is tight.",
                                     need=_gib(needed), container=data.name, role=role, free=_gib(data.free_bytes)),
                                 msg("readiness.container_space_total.fix",
                                     "Migrate in smaller batches, or choose another container."),
                                 section=Section.TARGET))
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
                             msg("readiness.target_name_twice", "Two VMs of the plan would be called {names} on AHV.",
                                 names=shown) if len(set(names)) == 1 else
                             msg("readiness.target_name_twice.case", "Two VMs of the plan would be called {names} on "
                                 "AHV, names that differ only in case or width.", names=shown),
                             msg("readiness.target_name_twice.fix", "Give one of them another target name."),
                             section=Section.VMS))
    return found


def _container_whitelist(plan: Plan, target: TargetInventory) -> list[Finding]:
    """Warm mode writes into the plan's container over NFS; the tool adds this laptop to the cluster-wide NFS
    whitelist, which a container with a whitelist of its own (``nfs_whitelist_inherited`` false) ignores."""
    container = target.container(plan.target.container_uuid)
    if plan.transfer_mode is not TransferMode.WARM or container is None or container.nfs_whitelist_inherited:
        return []
    if target.nfs_client and any(_covers(e, target.nfs_client) for e in container.nfs_whitelist):
        return []
    laptop = target.nfs_client.split("/")[0]
    entry = target.nfs_client or msg("readiness.container_whitelist.this_address",
                                     "this computer's address/255.255.255.255")
    message = msg("readiness.container_whitelist", "Storage container '{container}' has an NFS whitelist of its own "
                  "(it does not use the cluster's), and {laptop} is not in it: the entry the tool adds to the "
                  "cluster's whitelist does not open this container.", container=container.name, laptop=laptop) \
        if laptop else \
        msg("readiness.container_whitelist.maybe", "Storage container '{container}' has an NFS whitelist of its own "
            "(it does not use the cluster's), and this computer is perhaps not in it: the entry the tool adds to the "
            "cluster's whitelist does not open this container.", container=container.name)
    return [Finding("container_whitelist", Severity.BLOCKER if target.nfs_client else Severity.WARNING, message,
                    msg("readiness.container_whitelist.fix",
                        "In Prism: Storage > '{container}' > Update > Advanced Settings > Filesystem Whitelist, add "
                        "{entry} for the migration (and remove it afterwards); or choose a container without a "
                        "whitelist of its own, or cold mode.", container=container.name, entry=entry),
                    section=Section.TARGET)]


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
