"""Boot one cached lab image on the source's virtual hardware N times, K at a time, and count the boots that stall.

Why: under TCG a guest sometimes stopped right after "clocksource: Switched to clocksource tsc", then printed only
RCU stall reports ("rcu_preempt kthread timer wakeup didn't happen ... Possible timer handling issue on cpu=0"):
one vCPU never got its timer interrupt again.  This runs the same boot many times (disks in ``-snapshot`` mode,
the cache is not touched) with the hardware of ``xtract_gui.lab.qemu.hardware`` or a variant of it, so a change
is judged on counts, not on one lucky boot.

    .venv/bin/python benchmarks/boot_repeat.py --family debian --count 10 --parallel 2 [--smp 2] [--thread multi]

A boot is "ok" when the guest's sshd answers through the forward, "stall" when the console shows an RCU stall,
"timeout" otherwise (after --timeout s).  Prints one line per boot and a summary table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from xtract_gui.lab.qemu.guests import free_port, ssh_banner
from xtract_gui.lab.qemu.hardware import Disk, Machine, Nic, ovmf_vars_template, qemu_argv
from xtract_gui.lab.qemu.images import NETWORKS, STATIC_IPV4

CACHE = Path.home() / ".cache/xtract-gui/images"
STALL = ("rcu_preempt detected stalls", "rcu: INFO:", "timer wakeup didn't happen")


def image_dir(family: str) -> Path:
    dirs = sorted(p for p in CACHE.glob(f"{family}-*") if (p / "meta.json").exists())
    if not dirs:
        sys.exit(f"no cached {family} image in {CACHE}: build it first (tests/images/build.py)")
    return max(dirs, key=lambda p: p.stat().st_mtime)


def boot(root: Path, work: Path, n: int, args: argparse.Namespace) -> tuple[str, float]:
    meta = json.loads((root / "meta.json").read_text())
    port = free_port()
    disks = tuple(Disk(root / d["file"], wwn=d["wwn"], bus=d["bus"]) for d in meta["disks"])
    nics = (Nic(mac="00:50:56:3f:00:01", network=NETWORKS["VM Network"], forward_port=port, forward_to=STATIC_IPV4),
            Nic(mac="00:50:56:3f:00:02", network=NETWORKS["App Net"]))
    seed = (root / meta["seed"],) if meta.get("seed") else ()
    m = Machine(name=f"repeat-{n}", kind="vmware", uuid="564d0000-0000-0000-0000-00000000000" + str(n % 10),
                disks=disks, nics=nics, uefi=meta["firmware"] == "efi",
                serial_log=work / f"boot-{n}.serial.log", qmp_socket=work / f"boot-{n}.qmp",
                vars_file=work / f"boot-{n}.vars.fd", extra_drives=seed)
    if m.uefi:
        (work / f"boot-{n}.vars.fd").write_bytes(ovmf_vars_template().read_bytes())
    argv = [*qemu_argv(m, "tcg"), "-snapshot"]
    if args.thread:
        argv[argv.index("-accel") + 1] = f"tcg,thread={args.thread}"
    if args.smp:
        argv[argv.index("-smp") + 1] = str(args.smp)
    if args.cpu:
        argv[argv.index("-cpu") + 1] = args.cpu
    m.serial_log.write_bytes(b"")
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    outcome = "timeout"
    try:
        while time.monotonic() - start < args.timeout:
            if ssh_banner(port, timeout=2.0):
                outcome = "ok"
                break
            if any(s in m.serial_log.read_text(errors="replace") for s in STALL):
                outcome = "stall"
                break
            if proc.poll() is not None:
                outcome = f"exit {proc.returncode}"
                break
            time.sleep(1.0)
    finally:
        took = time.monotonic() - start
        proc.kill()
        proc.wait(timeout=30)
    return outcome, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--family", default="debian")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--smp", type=int, default=0, help="vCPUs QEMU runs (default: the lab's, hardware.vcpus)")
    ap.add_argument("--thread", default="", help="TCG threading: multi | single (default: the lab's)")
    ap.add_argument("--cpu", default="", help="the -cpu value (default: the lab's source CPU)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args()
    root = image_dir(args.family)
    lock = threading.Lock()
    with tempfile.TemporaryDirectory(prefix="boot-repeat-") as tmp, ThreadPoolExecutor(args.parallel) as pool:
        def one(n: int) -> tuple[str, float]:
            outcome, took = boot(root, Path(tmp), n, args)
            with lock:
                print(f"boot {n:2d}: {outcome:8s} {took:6.1f} s", flush=True)
                if outcome != "ok":
                    tail = Path(tmp, f"boot-{n}.serial.log").read_text(errors="replace").splitlines()[-8:]
                    print("    " + "\n    ".join(tail), flush=True)
            return outcome, took
        results = list(pool.map(one, range(args.count)))
    ok = [t for o, t in results if o == "ok"]
    print(f"\n{args.family} smp={args.smp or 'lab'} thread={args.thread or 'lab'} cpu={args.cpu or 'lab'} "
          f"parallel={args.parallel}: {len(ok)}/{len(results)} ok, "
          f"stalls {sum(o == 'stall' for o, _ in results)}, other {sum(o not in ('ok', 'stall') for o, _ in results)}"
          + (f", to SSH min {min(ok):.0f} s / max {max(ok):.0f} s" if ok else ""))


if __name__ == "__main__":
    main()
