"""The plan in words for the Summary page (no Qt): totals, one line per VM, and statements that match the plan.

Every sentence is a ``Message`` (translated by the page).  What the page promises must be what will happen:
the sync interval the engine will really use (the demo syncs every few seconds whatever the plan says), IP
retention only for VMs whose guest is prepared, and in cold mode which VMs go off when Start is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...domain.inventory import PowerState, SourceInventory
from ...domain.messages import Message, msg, plural, seconds
from ...domain.plan import GuestChannelKind, Plan, ShutdownPolicy, TransferMode
from ...domain.units import human_bytes

ASSUMED_RATE = 125e6  # bytes/s (1 Gbit/s) when the plan sets no limit: what a migration network usually gives
SHUTDOWN_AND_BOOT = 120.0  # seconds a cutover spends around the copy: guest shutdown, create, power on, first boot


@dataclass
class VmLine:
    name: str
    target: str
    access: Message
    disks: int
    size: int
    downtime: Message
    off_at_start: bool = False  # cold mode: Start powers it off (the page asks first)


@dataclass
class PlanSummary:
    totals: list[Message] = field(default_factory=list)
    vms: list[VmLine] = field(default_factory=list)
    statements: list[Message] = field(default_factory=list)

    @property
    def off_at_start(self) -> list[VmLine]:
        return [v for v in self.vms if v.off_at_start]


def copy_seconds(size: int, plan: Plan) -> float:
    rate = plan.options.bandwidth_limit_mbps * 125_000 or ASSUMED_RATE
    return size / rate


def _rate_words(plan: Plan) -> Message:
    if plan.options.bandwidth_limit_mbps:
        return msg("summary.rate_limit", "at the limit of {v} Mbit/s", v=f"{plan.options.bandwidth_limit_mbps:g}")
    return msg("summary.rate_assumed", "at 1 Gbit/s")


def _access(channel: GuestChannelKind, user: str) -> Message:
    if channel is GuestChannelKind.NONE:
        return msg("summary.access.none", "no guest preparation")
    name = {GuestChannelKind.WINRM: "WinRM", GuestChannelKind.SSH: "SSH",
            GuestChannelKind.VMTOOLS: "VMware Tools"}[channel]
    return msg("summary.access", "{channel}, account {user}", channel=name, user=user)


def where_from(plan: Plan) -> str:
    """The source as a person names it: the demo's lab is a folder, not a vCenter address."""
    return "" if plan.source.protocol == "lab" else plan.source.host


def summarize(plan: Plan, inventory: SourceInventory | None, *, subnet_names: dict[str, str] | None = None,
              sync_seconds: float | None = None) -> PlanSummary:
    """``sync_seconds``: the interval the engine will use when it differs from the plan's (the demo's)."""
    names = subnet_names or {}
    o = plan.options
    vms = {v.vm_id: v for v in inventory.vms} if inventory is not None else {}
    out = PlanSummary()
    cold = plan.transfer_mode is TransferMode.COLD
    total_size = total_disks = 0
    for vp in plan.vms:
        vm = vms.get(vp.vm_id)
        size = vm.provisioned_bytes if vm else 0
        disks = len(vm.disks) if vm else 0
        total_size, total_disks = total_size + size, total_disks + disks
        on = vm is not None and vm.power_state is PowerState.ON
        if cold:
            downtime = msg("summary.downtime.cold", "about {t} (off for the whole copy)",
                           t=seconds(copy_seconds(size, plan) + SHUTDOWN_AND_BOOT))
        else:
            downtime = msg("summary.downtime.warm", "about {t} (measured again after each sync)",
                           t=seconds(SHUTDOWN_AND_BOOT))
        out.vms.append(VmLine(vp.name, vp.effective_target_name, _access(vp.guest.channel, vp.guest.user), disks,
                              size, downtime, off_at_start=cold and on))
    n = len(plan.vms)
    out.totals = [
        plural("summary.total_vms", n, "{n} VM", "{n} VMs"),
        plural("summary.total_disks", total_disks, "{n} disk", "{n} disks"),
        msg("summary.total_size", "up to {size} to copy (thin disks copy only what is allocated)",
            size=human_bytes(total_size)),
        msg("summary.total_time", "estimated copy time {t} {rate}", t=seconds(copy_seconds(total_size, plan)),
            rate=_rate_words(plan)),
    ]
    src = where_from(plan)
    out.statements.append(
        plural("summary.from_to", n, "Migrate {n} VM from vCenter {src} to Prism {tgt}.",
               "Migrate {n} VMs from vCenter {src} to Prism {tgt}.", src=src, tgt=plan.target.host) if src else
        plural("summary.from_to.lab", n, "Migrate {n} VM from the demo lab's vSphere to Prism {tgt}.",
               "Migrate {n} VMs from the demo lab's vSphere to Prism {tgt}.", tgt=plan.target.host))
    if cold:
        out.statements.append(msg("summary.cold", "Transfer mode: cold. Each powered-on VM is shut down when the "
                                  "migration starts and stays off while its disks are streamed over HTTPS; it "
                                  "comes up on AHV when its copy is done."))
    else:
        interval = sync_seconds if sync_seconds is not None else o.sync_interval_minutes * 60.0
        every = plural("summary.every_minutes", int(interval // 60), "every minute", "every {n} minutes") \
            if interval >= 60 and interval % 60 == 0 else msg("summary.every", "every {t}", t=seconds(interval))
        out.statements.append(msg("summary.warm", "Transfer mode: warm. The VMs keep running: a seed, then a delta "
                                  "sync {every}; each VM goes off only at its cutover.", every=every))
    for pg, uuid in sorted(plan.network_map.items()):
        out.statements.append(msg("summary.map", "Port group {pg} → subnet {subnet}", pg=pg,
                                  subnet=names.get(uuid, uuid)))
    out.statements.append(msg("summary.mac_kept", "The AHV VMs keep the source MAC addresses.") if o.retain_mac else
                          msg("summary.mac_new", "The AHV VMs get new MAC addresses."))
    prepared = [v.name for v in plan.vms if v.guest.channel is not GuestChannelKind.NONE]
    bare = [v.name for v in plan.vms if v.guest.channel is GuestChannelKind.NONE]
    if o.retain_ip and prepared:
        out.statements.append(msg("summary.ip_kept", "IP settings are restored inside {vms} at the first boot on "
                                  "AHV.", vms=", ".join(prepared)))
    if o.retain_ip and bare:
        out.statements.append(msg("summary.ip_manual", "{vms}: no guest preparation, so their IP settings are not "
                                  "carried over; set them on AHV.", vms=", ".join(bare)))
    if not o.retain_ip:
        out.statements.append(msg("summary.ip_off", "IP settings are not carried over; set them on AHV."))
    out.statements.append(msg("summary.limit", "Bandwidth limit: {v} Mbit/s.", v=f"{o.bandwidth_limit_mbps:g}")
                          if o.bandwidth_limit_mbps else msg("summary.no_limit", "No bandwidth limit."))
    if o.shutdown_policy is ShutdownPolicy.GUEST_ONLY:
        out.statements.append(msg("summary.shutdown", "The guest is shut down from inside; if it does not stop, "
                                  "that VM's cutover stops and it keeps running on vSphere."))
    else:
        out.statements.append(msg("summary.shutdown_power_off", "The guest is shut down from inside, and powered "
                                  "off if it has not stopped after {t}.", t=seconds(o.shutdown_timeout_seconds)))
    if cold:
        pass  # the cutover is the copy's end: no button to wait for
    elif o.auto_cutover:
        out.statements.append(msg("summary.auto_cutover", "Automatic cutover between {a} and {b} when the projected "
                                  "downtime is under {t}.", a=o.cutover_window_start, b=o.cutover_window_end,
                                  t=seconds(o.downtime_budget_seconds)))
    else:
        out.statements.append(msg("summary.manual_cutover", "Cutover: only when you press Cut over in the job "
                                  "monitor; nothing is shut down before."))
    if o.post_cleanup and prepared:
        out.statements.append(msg("summary.post", "After cutover: a snapshot of each AHV VM, then VMware Tools and "
                                  "ghost devices are removed."))
    return out
