"""KVM when ``/dev/kvm`` really runs a vCPU, else TCG (software emulation).

On some hosts ``/dev/kvm`` opens and ``KVM_CREATE_VM`` succeeds, yet a guest kernel never gets anywhere
(a nested or restricted hypervisor): under ``-accel kvm`` SeaBIOS still prints its banner, but a Linux
kernel prints nothing while the vCPU burns system time (seen on this project's CI machines).  So KVM is
probed with a timed boot of a real kernel: ``Linux version`` on the serial console within
``PROBE_SECONDS`` means KVM works; anything else means TCG.  Without a kernel to try, TCG.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

PROBE_SECONDS = 10.0
_lock = threading.Lock()
_chosen: str | None = None


def probe_kvm(kernel: Path, timeout: float = PROBE_SECONDS) -> bool:
    if not os.access("/dev/kvm", os.R_OK | os.W_OK) or not kernel.is_file():
        return False
    with tempfile.TemporaryDirectory(prefix="xtract-kvm-probe-") as tmp:
        console = Path(tmp) / "console.log"
        proc = subprocess.Popen(
            ["qemu-system-x86_64", "-accel", "kvm", "-machine", "pc", "-m", "256", "-nodefaults", "-display", "none",
             "-serial", f"file:{console}", "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1",
             "-no-reboot"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and proc.poll() is None:
                if console.exists() and b"Linux version" in console.read_bytes():
                    return True
                time.sleep(0.1)
            return False
        finally:
            proc.kill()
            proc.wait(timeout=10)


def accelerator(kernel: Path | None = None) -> str:
    """"kvm" or "tcg", probed once per process with ``kernel``; ``XTRACT_QEMU_ACCEL`` forces one."""
    global _chosen
    forced = os.environ.get("XTRACT_QEMU_ACCEL", "")
    if forced in ("kvm", "tcg"):
        return forced
    with _lock:
        if _chosen is None and kernel is not None:
            _chosen = "kvm" if probe_kvm(kernel) else "tcg"
        return _chosen or "tcg"
