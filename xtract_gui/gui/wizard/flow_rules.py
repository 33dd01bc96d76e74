"""What each wizard page accepts: one validator per page, mapping a field name to a ``Msg`` (no Qt)."""

from __future__ import annotations

from collections.abc import Callable

from ...domain.inventory import OsFamily
from ...domain.messages import msg, raw
from ...domain.plan import GuestChannelKind
from ...domain.units import human_bytes
from .flow_answers import EndpointAnswers, Msg, PageId, WizardState

HELD_HERE = ("", "vms", "target")  # the VM page holds blockers fixed outside xtract-gui, on it, or on an earlier page


def _endpoint_errors(ep: EndpointAnswers, what: str) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    host = ep.host.strip()
    if ep.protocol == "lab":  # the embedded lab's source is a folder, not a host
        if not host:
            errs["host"] = msg("wizard.lab_folder", "Enter the lab folder.")
    elif not host:
        errs["host"] = msg("wizard.address", "Enter the {what} address (host name or IP).", what=what)
    elif any(c in host for c in " /\\") or host.startswith(("http:", "https:")):
        errs["host"] = msg("wizard.address_plain", "Enter only the host name or IP, without http:// or a path.")
    if ep.protocol != "lab" and not 0 < ep.port < 65536:
        errs["port"] = msg("wizard.port", "The port must be between 1 and 65535.")
    if not ep.user.strip():
        errs["user"] = msg("wizard.user", "Enter the user name.")
    if not ep.password:
        errs["password"] = msg("wizard.password", "Enter the password.")
    if not errs and not ep.connected:
        if ep.error:
            errs[ep.error_field or "host"] = raw(ep.error)
        else:
            errs["connect"] = msg("wizard.press_connect", "Press Connect to check the address and the account.")
    return errs


def source_errors(s: WizardState) -> dict[str, Msg]:
    errs = _endpoint_errors(s.source, "vCenter")
    if not errs and s.inventory is None:
        errs["connect"] = msg("wizard.no_inventory", "The inventory has not been read yet; press Connect.")
    return errs


def target_errors(s: WizardState) -> dict[str, Msg]:
    t = s.target
    errs = _endpoint_errors(t, "Prism")
    if errs:
        return errs
    if not t.cluster_uuid:
        errs["cluster"] = msg("wizard.cluster", "Choose the AHV cluster to migrate to.")
    if not t.container_uuid:
        errs["container"] = msg("wizard.container", "Choose the storage container for the disks.")
    elif (c := t.container()) is not None and s.selected and c.free_bytes < s.selected_bytes():
        errs["container"] = msg("wizard.container_space", "The container has {free} free but the selected VMs "
                                "need {need}.",
                                free=human_bytes(c.free_bytes), need=human_bytes(s.selected_bytes()))
    if t.mode_reachable is False:
        errs["mode"] = raw(t.mode_message) if t.mode_message else msg("wizard.mode_unreachable",
                                                                       "The chosen transfer mode is not reachable.")
    elif t.mode_reachable is None and t.container_uuid and t.cluster_uuid:
        errs["mode"] = msg("wizard.mode_checking", "Checking whether the transfer mode is reachable…")
    return errs


def vm_errors(s: WizardState) -> dict[str, Msg]:
    if not s.selected:
        return {"selection": msg("wizard.select_vm", "Select at least one VM to migrate.")}
    unchecked = [vm for vm in s.selected_vms() if vm.vm_id not in s.findings]
    if unchecked:
        return {"selection": msg("wizard.checking_vm", "Readiness of {name} is still being checked.",
                                 name=unchecked[0].name)}
    for vm in s.selected_vms():
        for f in s.findings.get(vm.vm_id, []):
            # A blocker whose fix is made on a later page (guest access, network, options) is held there.
            if f.severity == "BLOCKER" and f.section in HELD_HERE:
                return {"selection": msg("wizard.vm_blocked", "{name} cannot be migrated: {reason} {fix}",
                                         name=vm.name, reason=f.message, fix=f.fix)}
    return {}


def guest_errors(s: WizardState) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    for vm in s.selected_vms():
        g = s.guest(vm.vm_id)
        if g.channel is GuestChannelKind.NONE:
            continue
        if not g.user.strip():
            errs[vm.vm_id] = msg("wizard.guest_user", "{name}: enter the guest account.", name=vm.name)
        elif not g.has_credential:
            errs[vm.vm_id] = msg("wizard.guest_password", "{name}: enter the guest password.", name=vm.name) \
                if g.channel is not GuestChannelKind.SSH else \
                msg("wizard.guest_ssh_secret", "{name}: enter the password or choose a private key.", name=vm.name)
        elif g.channel is GuestChannelKind.WINRM and g.winrm_auth == "basic" and not g.winrm_https:
            errs[vm.vm_id] = msg("wizard.guest_basic_http", "{name}: Basic authentication needs WinRM over HTTPS; "
                                 "use NTLM.", name=vm.name)
        elif g.channel is GuestChannelKind.SSH and vm.guest_family is not OsFamily.LINUX:
            errs[vm.vm_id] = msg("wizard.guest_ssh_linux", "{name}: SSH reaches Linux guests only; choose WinRM or "
                                 "VMware Tools.", name=vm.name)
        elif g.channel is GuestChannelKind.SSH and not g.ssh_host_key:
            errs[vm.vm_id] = msg("wizard.guest_ssh_key", "{name}: press Test to see the guest's SSH host key, then "
                                 "trust it.", name=vm.name)
        elif g.tested_ok is False:
            errs[vm.vm_id] = msg("wizard.guest_test_failed", "{name}: the account test failed: {reason}",
                                 name=vm.name, reason=g.test_message)
    return {**errs, **_held(s, ("guests",))}  # a VM that cannot go at all: say that first


def _held(s: WizardState, sections: tuple[str, ...]) -> dict[str, Msg]:
    """Readiness blockers whose fix belongs to this page, per VM."""
    errs: dict[str, Msg] = {}
    for vm in s.selected_vms():
        blocking = [f for f in s.findings.get(vm.vm_id, []) if f.severity == "BLOCKER" and f.section in sections]
        if blocking:
            errs[vm.vm_id] = msg("wizard.vm_blocked", "{name} cannot be migrated: {reason} {fix}", name=vm.name,
                                 reason=blocking[0].message, fix=blocking[0].fix)
    return errs


def network_errors(s: WizardState) -> dict[str, Msg]:
    errs: dict[str, Msg] = {}
    known = {sn.uuid for sn in s.target.subnets}
    for pg in s.used_port_groups():
        uuid = s.network_map.get(pg, "")
        if not uuid:
            errs[f"map:{pg}"] = msg("wizard.map_subnet", "Choose the AHV subnet for port group {pg}.", pg=pg)
        elif known and uuid not in known:
            errs[f"map:{pg}"] = msg("wizard.map_gone", "The subnet mapped to {pg} no longer exists on the cluster.",
                                    pg=pg)
    o = s.options
    if o.sync_interval_minutes < 1:
        errs["sync_interval"] = msg("wizard.sync_interval", "The sync interval must be at least 1 minute.")
    if o.bandwidth_limit_mbps < 0:
        errs["bandwidth"] = msg("wizard.bandwidth", "The bandwidth limit cannot be negative (0 means no limit).")
    if o.auto_cutover:
        for key in ("cutover_window_start", "cutover_window_end"):
            if not _is_hhmm(getattr(o, key)):
                errs[key] = msg("wizard.window", "Enter the cutover window as HH:MM, for example 22:30.")
        if o.downtime_budget_seconds < 1:
            errs["downtime_budget"] = msg("wizard.downtime_budget", "The downtime budget must be at least 1 second.")
    held = _held(s, ("network", "options"))
    if held:
        errs["readiness"] = next(iter(held.values()))
    if s.test_subnet_uuid and s.test_subnet_uuid in s.network_map.values():
        errs["test_subnet"] = msg("wizard.test_subnet", "The test subnet must be isolated: choose one that no port "
                                  "group maps to.")
    return errs


def _is_hhmm(v: str) -> bool:
    h, _, m = v.partition(":")
    return len(h) == 2 and len(m) == 2 and h.isdigit() and m.isdigit() and int(h) < 24 and int(m) < 60


VALIDATORS: dict[PageId, Callable[[WizardState], dict[str, Msg]]] = {
    PageId.SOURCE: source_errors,
    PageId.TARGET: target_errors,
    PageId.VMS: vm_errors,
    PageId.GUESTS: guest_errors,
    PageId.NETWORK: network_errors,
    PageId.SUMMARY: lambda s: {},
}
