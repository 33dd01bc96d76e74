"""One real Linux guest through the real pipeline, on the lab with ``--boot qemu``: source boot → guest prep
over SSH → seed → a file written inside the running guest → delta sync → cutover → the AHV VM boots.

Shared by tests/boot (which assert on it) and benchmarks/guest_boot.py (which prints its timings).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.images.build import ensure_image
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, Plan
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.guest.ssh_channel import SshChannel
from xtract_gui.lab.qemu.guests import RealGuests, ssh_banner, wait_for_ssh
from xtract_gui.lab.runner import Lab
from xtract_gui.resources import compose, read_resource
from xtract_gui.wiring import DictSecrets, build_manager

VM_ID = "vm-2001"
STOPPED = (JobState.DONE, JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)
SSH_BOOT_SECONDS = 900.0  # TCG on a shared 2-core machine: a boot takes 30-90 s; be generous, never assert on it
JOURNEY_SECONDS = 2700.0  # the engine's part (prep, seed, syncs, cutover, AHV boot): 10-20 min under TCG
ROOT_NOT_FOUND = ("ALERT!", "Gave up waiting for root", "dracut-initqueue timeout", "Could not boot")


@dataclass
class Journey:
    family: str
    plan: Plan
    secrets: DictSecrets
    real: RealGuests
    timings: dict[str, float] = field(default_factory=dict)
    state: JobState | None = None
    error: str = ""
    job: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, str] = field(default_factory=dict)
    proof_digest: str = ""
    checks_on_source: dict[str, Any] = field(default_factory=dict)
    stop_watching: bool = False

    @property
    def guest(self) -> Any:
        return self.real.guests[VM_ID]

    def target(self) -> GuestTarget:
        """How the plan reaches the guest over SSH (the same address on ESXi and on AHV)."""
        access: GuestAccess = self.plan.vm(VM_ID).guest
        password = self.secrets.get(access.password.service, access.password.username) if access.password else ""
        key = self.secrets.get(access.ssh_key.service, access.ssh_key.username) if access.ssh_key else ""
        return GuestTarget(vm_id=VM_ID, os_family="linux", channel="ssh", host=access.ssh_host or "127.0.0.1",
                           user=access.user, password=password or "", port=access.ssh_port or self.guest.ssh_port,
                           host_key=self.guest.image.host_key, private_key=key or "")

    def sh(self, script: str, *, timeout: float = 300) -> str:
        """``script`` as root in the guest over the product's SSH channel; its stdout (the JSON line removed)."""
        task = GuestTask(id="boot.check", title="Boot test check", os_family=OsFamily.LINUX, phase=GuestPhase.POST,
                         order=1, script="linux/boot_check.sh")
        body = compose(read_resource("linux/_prelude.sh"), "TASK=boot.check\n" + script + "\nfinish true done\n")
        with SshChannel(self.target()) as channel:
            res = channel.run_task(task, body, {}, timeout=timeout)
        if not res.ok:
            raise AssertionError(f"guest command failed ({res.exit_code}): {res.stderr[-2000:]}")
        return "\n".join(res.stdout.splitlines()[:-1])


def open_lab(state_dir: Path, family: str) -> Lab:
    ensure_image(family)  # built (or taken from the cache) before the lab starts its clock
    lab = Lab(state_dir, boot="qemu", families=(family,))
    lab.start()
    return lab


SOURCE_CHECKS = r"""
# Issue 21.2: every file the first-boot unit runs or reads, and every folder above it, is root's and not
# writable by group or others.
for f in /etc/systemd/system/xtract-firstboot.service /var/lib/xtract/firstboot.sh /var/lib/xtract/network.json \
         /var/lib/xtract/source-identity.json; do
  p=$f
  while :; do
    printf 'perm %s %s\n' "$p" "$(stat -c '%u %a %F' "$p")"
    [ "$p" = / ] && break
    p=$(dirname "$p")
  done
done
"""


def _consoles(j: Journey) -> str:
    vms = [v for v in (j.guest.source_vm, *j.guest.target_vms.values()) if v is not None]
    return "\n".join(v.tail() for v in vms)


async def _guard(j: Journey) -> str:
    """Returns when one of the journey's VMs stalled (a vCPU lost its timer: it never gets further)."""
    while True:
        for vm in (j.guest.source_vm, *j.guest.target_vms.values()):
            why = vm.stalled() if vm is not None else ""
            if why:
                return f"{vm.machine.name} stalled: {why}"
        await asyncio.sleep(5.0)


async def _run(j: Journey, state_dir: Path, *, before_cutover: Any = None) -> None:
    """The engine's part of the journey, bounded: it fails with the VMs' consoles when a VM stalls or time is up."""
    body, guard = asyncio.create_task(_engine(j, state_dir, before_cutover)), asyncio.create_task(_guard(j))
    done, _ = await asyncio.wait({body, guard}, timeout=JOURNEY_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    for task in (body, guard):
        task.cancel()
    await asyncio.gather(body, guard, return_exceptions=True)
    if body in done:
        body.result()
        return
    why = guard.result() if guard in done else f"the journey did not end within {JOURNEY_SECONDS:.0f} s"
    raise AssertionError(f"{why} (timings so far {j.timings}); {_consoles(j)}")


async def _engine(j: Journey, state_dir: Path, before_cutover: Any) -> None:
    manager = build_manager(secrets=j.secrets, state_dir=state_dir / "engine",
                            tuning=Tuning(sync_interval_seconds=5, guest_wait_seconds=SSH_BOOT_SECONDS))
    try:
        t = time.monotonic()
        await manager.start(j.plan)
        early = (JobState.PENDING, JobState.VALIDATING, JobState.PREPARING)
        await manager.wait([VM_ID], lambda s: s.state not in early)
        j.timings["prep"] = time.monotonic() - t
        (snap,) = await manager.wait([VM_ID], lambda s: s.sync_count >= 1 or s.state in STOPPED)
        j.timings["seed_and_first_sync"] = time.monotonic() - t - j.timings["prep"]
        if snap.state in STOPPED:
            j.state, j.error = snap.state, snap.error
            j.steps = {s.title: s.state.value for s in manager.steps(VM_ID)}
            return
        if before_cutover is not None:
            await asyncio.to_thread(before_cutover, j)
        done = snap.sync_count
        (snap,) = await manager.wait([VM_ID], lambda s: s.sync_count > done or s.state in STOPPED)
        t = time.monotonic()
        watcher = asyncio.create_task(asyncio.to_thread(_ahv_boot_to_ssh, j))
        await manager.cutover([VM_ID], requested_by="boot test")
        (snap,) = await manager.wait([VM_ID], lambda s: s.state in STOPPED)
        j.stop_watching = True
        await watcher
        j.timings["cutover"] = time.monotonic() - t
        j.timings["downtime"] = float(snap.downtime_seconds or 0.0)
        j.state, j.error = snap.state, snap.error
        j.steps = {s.title: s.state.value for s in manager.steps(VM_ID)}
        j.job = next(dict(r.data) for r in manager.store.jobs() if r.vm_id == VM_ID)
    finally:
        await manager.close()


def _ahv_boot_to_ssh(j: Journey) -> None:
    """From the AHV VM's QEMU start to its sshd's banner on the kept address (for the figures)."""
    while not j.stop_watching:  # set when the job stopped: a guest that never answers must not hold the test
        vm = j.real.target_vm(VM_ID)
        if vm is not None and vm.running and ssh_banner(j.guest.ssh_port):
            j.timings["ahv_boot_to_ssh"] = time.monotonic() - vm.started_at
            return
        time.sleep(1.0)


def run_journey(state_dir: Path, family: str, *, prep: bool = True, before_cutover: Any = None) -> tuple[Lab, Journey]:
    """Runs the whole journey; the caller stops the returned lab (the AHV VM keeps running until then)."""
    lab = open_lab(state_dir / "lab", family)
    try:
        assert lab.endpoints is not None and lab.real is not None
        plan = lab.endpoints.plan
        options = dataclasses.replace(plan.options, shutdown_timeout_seconds=900, post_cleanup=prep,
                                      sync_interval_minutes=1)
        vm_plan = plan.vm(VM_ID)
        if not prep:
            vm_plan = dataclasses.replace(vm_plan, guest=GuestAccess(channel=GuestChannelKind.NONE))
        plan = dataclasses.replace(plan, vms=(vm_plan,), options=options)
        j = Journey(family=family, plan=plan, secrets=lab.endpoints.secrets, real=lab.real)
        t = time.monotonic()
        g = j.guest
        if not wait_for_ssh(g.ssh_port, SSH_BOOT_SECONDS, vm=g.source_vm):
            raise AssertionError(f"the source VM never answered SSH ({g.source_vm.stalled() or 'no stall seen'}); "
                                 f"{g.source_vm.tail()}")
        j.timings["source_boot_to_ssh"] = time.monotonic() - t
        asyncio.run(_run(j, state_dir, before_cutover=before_cutover))
        return lab, j
    except BaseException:
        lab.stop()
        raise


def write_proof(j: Journey) -> None:
    """A file with a known hash, written inside the running source guest after the seed."""
    out = j.sh("head -c 8388608 /dev/urandom > /root/xtract-proof && sync && sha256sum /root/xtract-proof\n"
               + SOURCE_CHECKS)
    j.proof_digest = next(line.split()[0] for line in out.splitlines() if line.endswith("/root/xtract-proof"))
    j.checks_on_source["perms"] = [line.split()[1:] for line in out.splitlines() if line.startswith("perm ")]


AHV_CHECKS = r"""
sha256sum /root/xtract-proof
echo "vendor $(cat /sys/class/dmi/id/sys_vendor)"
echo "cmdline $(cat /proc/cmdline)"
awk '$1 !~ /^#/ && $2 ~ /^\// { print "fstab " $1 " " $2 }' /etc/fstab
awk '$1 !~ /^#/ && $2 ~ /^\// { print $2 }' /etc/fstab | while read -r mp; do
  echo "mounted $mp $(findmnt -n -o SOURCE "$mp" || echo MISSING)"
done
for d in /sys/class/net/*/; do
  n=$(basename "$d"); [ -e "$d/device" ] || continue
  echo "nic $n $(cat "$d/address") $(cat "$d/operstate") $(basename "$(readlink "$d/device/driver")")"
done
ip -o addr show | awk '$2 != "lo" { print "addr " $2 " " $4 }'
echo "failed $(systemctl --failed --plain --no-legend | awk '{ print $1 }' | tr '\n' ' ')"
echo "firstboot-unit $(systemctl show -p ActiveState --value xtract-firstboot.service)" \
  "$(systemctl show -p Result --value xtract-firstboot.service)"
echo "firstboot-result $(tr -d '\n' < /var/lib/xtract/firstboot-result.json 2>/dev/null)"
echo "vmtools $(dpkg-query -W -f='${Status}' open-vm-tools 2>/dev/null || echo absent)"
"""


def ahv_facts(j: Journey) -> dict[str, Any]:
    out = j.sh(AHV_CHECKS)
    facts: dict[str, Any] = {"fstab": {}, "mounted": {}, "nics": {}, "addr": {}, "raw": out}
    for line in out.splitlines():
        word, _, rest = line.partition(" ")
        if line.endswith("/root/xtract-proof"):
            facts["digest"] = line.split()[0]
        elif word == "fstab":
            source, mp = rest.split()
            facts["fstab"][mp] = source
        elif word == "mounted":
            mp, _, source = rest.partition(" ")
            facts["mounted"][mp] = source
        elif word == "nic":
            name, mac, state, driver = rest.split()
            facts["nics"][mac.lower()] = (name, state, driver)
        elif word == "addr":
            name, addr = rest.split()
            facts["addr"].setdefault(name, []).append(addr)
        elif word == "firstboot-result":
            facts[word] = json.loads(rest) if rest.strip() else {}
        elif word in ("vendor", "cmdline", "failed", "firstboot-unit", "vmtools"):
            facts[word] = rest.strip()
    return facts
