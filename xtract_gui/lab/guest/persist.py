"""A lab Windows guest's state on disk, so that a lab started again in the same folder (the demo reopened after
"Pause all and quit", or after the app was killed) finds its guests as the migration left them: the files guest
preparation wrote (the saved network settings, the first-boot task), the drivers and certificates it installed,
and whether the guest already runs on AHV.  A real guest keeps all of that on its disk.

``GuestSaver`` writes every guest whose state changed about once a second (a crash loses at most that), and once
more when the lab stops.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from .state import Nic, WindowsGuest

# What guest preparation and the first boot change; accounts, faults and the log are the lab's own setup.
_KEPT = ("smbios_uuid", "msi_version", "trusted_publisher", "services", "products", "san_policy", "folders",
         "firstboot_installed", "firstboot_attempts", "on_ahv", "license_channel", "file_names", "profiles")


def snapshot(guest: WindowsGuest) -> dict[str, Any]:
    with guest.lock:
        data: dict[str, Any] = {name: getattr(guest, name) for name in _KEPT}
        data["folders"], data["profiles"] = sorted(guest.folders), sorted(guest.profiles)
        data["files"] = {k: base64.b64encode(v).decode("ascii") for k, v in guest.files.items()}
        data["nics"] = [asdict(n) for n in guest.nics]
        return json.loads(json.dumps(data))  # a copy taken under the lock


def restore(guest: WindowsGuest, data: dict[str, Any]) -> None:
    with guest.lock:
        for name in _KEPT:
            if name in data:
                setattr(guest, name, data[name])
        guest.folders, guest.profiles = set(data.get("folders", [])), set(data.get("profiles", []))
        guest.files = {k: base64.b64decode(v) for k, v in data.get("files", {}).items()}
        known = {f.name for f in fields(Nic)}
        if data.get("nics"):
            guest.nics = [Nic(**{k: v for k, v in n.items() if k in known}) for n in data["nics"]]


def load(guest: WindowsGuest, path: Path) -> bool:
    """Restore ``guest`` from ``path`` if an earlier lab saved it there; True when it did."""
    try:
        restore(guest, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False
    return True


def save(guest: WindowsGuest, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot(guest)), encoding="utf-8")
    os.replace(tmp, path)  # never half a file, whatever kills the process


class GuestSaver:
    """Saves each guest to its file when its state changed, every ``interval`` seconds, and at ``stop``."""

    def __init__(self, guests: dict[Path, WindowsGuest], interval: float = 1.0) -> None:
        self.guests = guests
        self.interval = interval
        self._last: dict[Path, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-guest-saver", daemon=True)

    def start(self) -> GuestSaver:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.save_changed()

    def save_changed(self) -> None:
        for path, guest in self.guests.items():
            text = json.dumps(snapshot(guest), sort_keys=True)
            if self._last.get(path) != text:
                save(guest, path)
                self._last[path] = text

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.save_changed()
