"""Inventory cost against govmomi's simulator: round trips and seconds for 50, 500 and 2,000 VMs.

Run on demand (not part of the suite):  python3 benchmarks/inventory.py [counts…]
The round-trip column is the point: it must stay flat (4 + one per further 1,000 objects) while
the VM count grows a hundredfold.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xtract_gui.lab.vcsim import start_vcsim
from xtract_gui.source import connect_vsphere


def measure(vm_count: int) -> tuple[int, int, float, float]:
    # The model puts ``vms`` VMs in the cluster's pool and as many on the standalone host.
    sim = start_vcsim(vms=max(1, vm_count // 2), timeout=600)
    try:
        src = connect_vsphere(sim.host, sim.user, sim.password, port=sim.port,
                              expected_fingerprint=sim.fingerprint, host_access=None, keepalive=0)
        try:
            before = src.round_trips
            start = time.perf_counter()
            inventory = src.inventory()
            seconds = time.perf_counter() - start
            trips = src.round_trips - before
            start = time.perf_counter()
            src.get_vm(inventory.vms[-1].vm_id)
            get_vm_seconds = time.perf_counter() - start
        finally:
            src.close()
    finally:
        sim.stop()
    return len(inventory.vms), trips, seconds, get_vm_seconds


def main(argv: list[str]) -> None:
    counts = [int(a) for a in argv] or [50, 500, 2000]
    print(f"{'VMs':>6} {'round trips':>12} {'inventory s':>12} {'ms per VM':>10} {'get_vm s':>9}")
    for count in counts:
        vms, trips, seconds, one = measure(count)
        print(f"{vms:>6} {trips:>12} {seconds:>12.2f} {1000 * seconds / vms:>10.2f} {one:>9.3f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
