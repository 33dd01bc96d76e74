"""Plain-words renderings for people: byte and duration units, and the plan described for the summary page.

No Qt here; messages are ``flow.Msg`` values that the GUI translates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..domain.plan import Plan, TransferMode

if TYPE_CHECKING:
    from .flow import Msg


def describe_plan(plan: Plan, subnet_names: dict[str, str] | None = None) -> list[Msg]:
    from .flow import msg

    """The plan in words for the summary page."""
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
        lines.append(msg("VM {name} → {target} (guest access: {channel})", name=vm.name,
                         target=vm.effective_target_name, channel=vm.guest.channel.value))
    for pg, uuid in sorted(plan.network_map.items()):
        lines.append(msg("Port group {pg} → subnet {subnet}", pg=pg, subnet=names.get(uuid, uuid)))
    lines.append(msg("Keep MAC addresses: {v}", v=_yes(o.retain_mac)))
    lines.append(msg("Keep IP addresses: {v}", v=_yes(o.retain_ip)))
    lines.append(msg("Bandwidth limit: {v}", v=f"{o.bandwidth_limit_mbps:g} Mbit/s" if o.bandwidth_limit_mbps
                     else "none"))
    lines.append(msg("Shutdown: {v}", v=o.shutdown_policy.value))
    if o.auto_cutover:
        lines.append(msg("Automatic cutover between {a} and {b} if the projected downtime is under {s} s.",
                         a=o.cutover_window_start, b=o.cutover_window_end, s=o.downtime_budget_seconds))
    else:
        lines.append(msg("Cutover: when you press Cutover in the job monitor."))
    if o.post_cleanup:
        lines.append(msg("After cutover: snapshot the AHV VM, then remove VMware Tools and ghost devices."))
    return lines


def _yes(v: bool) -> str:
    return "yes" if v else "no"


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def human_seconds(s: float | None) -> str:
    if s is None or s < 0:
        return "–"
    s = int(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
