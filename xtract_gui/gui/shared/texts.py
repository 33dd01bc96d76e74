"""Plain-words renderings for people: byte and duration units, and the plan described for the summary page.

No Qt here; messages are ``flow.Msg`` values that the GUI translates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...domain.plan import GuestChannelKind, Plan, ShutdownPolicy, TransferMode

if TYPE_CHECKING:
    from ..wizard.flow import Msg


def describe_plan(plan: Plan, subnet_names: dict[str, str] | None = None) -> list[Msg]:
    """The plan in words for the summary page."""
    from ..wizard.flow import msg

    names = subnet_names or {}
    o = plan.options
    lines = [
        msg("Migrate {n} VM(s) from vCenter {src} to Prism {tgt}.", n=len(plan.vms), src=plan.source.host,
            tgt=plan.target.host),
        msg("Transfer mode: warm (seed, then a delta sync every {m} minutes, short cutover)", m=o.sync_interval_minutes)
        if plan.transfer_mode is TransferMode.WARM else
        msg("Transfer mode: cold (each VM is shut down, then its disks are streamed over HTTPS)"),
    ]
    for vm in plan.vms:
        if vm.guest.channel is GuestChannelKind.NONE:
            lines.append(msg("VM {name} → {target} (no guest preparation)", name=vm.name,
                             target=vm.effective_target_name))
        else:
            lines.append(msg("VM {name} → {target} (guest access: {channel}, account {user})", name=vm.name,
                             target=vm.effective_target_name, user=vm.guest.user,
                             channel="WinRM" if vm.guest.channel is GuestChannelKind.WINRM else "VMware Tools"))
    for pg, uuid in sorted(plan.network_map.items()):
        lines.append(msg("Port group {pg} → subnet {subnet}", pg=pg, subnet=names.get(uuid, uuid)))
    lines.append(msg("The AHV VMs keep the source MAC addresses.") if o.retain_mac else
                 msg("The AHV VMs get new MAC addresses."))
    lines.append(msg("IP settings are restored inside each guest at its first boot on AHV.") if o.retain_ip else
                 msg("IP settings are not carried over; set them on AHV."))
    lines.append(msg("Bandwidth limit: {v} Mbit/s", v=f"{o.bandwidth_limit_mbps:g}") if o.bandwidth_limit_mbps
                 else msg("No bandwidth limit."))
    if o.shutdown_policy is ShutdownPolicy.GUEST_ONLY:
        lines.append(msg("At cutover the guest is shut down; if it does not stop, that cutover stops."))
    else:
        lines.append(msg("At cutover the guest is shut down, and powered off if it has not stopped after {s} s.",
                         s=o.shutdown_timeout_seconds))
    if o.auto_cutover:
        lines.append(msg("Automatic cutover between {a} and {b} if the projected downtime is under {s} s.",
                         a=o.cutover_window_start, b=o.cutover_window_end, s=o.downtime_budget_seconds))
    else:
        lines.append(msg("Cutover: when you press Cutover in the job monitor."))
    if o.post_cleanup:
        lines.append(msg("After cutover: snapshot the AHV VM, then remove VMware Tools and ghost devices."))
    return lines


SECONDS_TEMPLATES = ("{s} s", "{m} min {s:02d} s", "{h} h {m:02d} min")  # translatable (context "units")


def human_seconds(s: float | None, translate: Callable[[str], str] = lambda t: t) -> str:
    if s is None or s < 0:
        return "–"
    s = int(s)
    if s < 60:
        return translate(SECONDS_TEMPLATES[0]).format(s=s)
    if s < 3600:
        return translate(SECONDS_TEMPLATES[1]).format(m=s // 60, s=s % 60)
    return translate(SECONDS_TEMPLATES[2]).format(h=s // 3600, m=s % 3600 // 60)
