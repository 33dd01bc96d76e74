"""A lab guest image as the image builder (tests/images/build.py) leaves it: disks plus ``meta.json``.

The lab copies an image's disks into a source VM and boots them; everything it needs to know about
the guest inside (accounts, host key, NIC names and addresses) is in the meta file.  Building images
needs a source checkout (debootstrap, root); a lab without them says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .hardware import Network

# The lab's port groups and their slirp networks: the same addressing on ESXi and on AHV, so a guest
# that keeps its configuration keeps its address.  NIC 1 is static (IPv4 + IPv6), NIC 2 asks DHCP.
NETWORKS = {
    "VM Network": Network(net="10.10.0.0/24", host="10.10.0.2", ipv6_net="fd00:10::/64"),
    "App Net": Network(net="10.20.0.0/24", host="10.20.0.2", dhcp_start="10.20.0.15"),
}
STATIC_IPV4 = "10.10.0.11"
STATIC_IPV6 = "fd00:10::11"
DHCP_IPV4 = "10.20.0.15"


@dataclass(frozen=True)
class ImageDisk:
    file: Path
    capacity: int
    wwn: str
    bus: str = "scsi"  # on the source hardware: "scsi" (PVSCSI) or "nvme"


@dataclass(frozen=True)
class GuestImage:
    family: str  # "debian" | "rhel" | "ubuntu"
    root: Path
    firmware: str  # "bios" | "efi"
    disks: tuple[ImageDisk, ...]
    nic_names: tuple[str, ...]  # on the source hardware: ens16, ens17
    user: str  # the guest account the lab plan uses
    password: str  # its password ("" for key-only)
    private_key: str  # a key authorized for ``user`` ("" for password-only)
    host_key: str  # the pin of the guest's ed25519 host key
    kernel: Path  # a copy of the guest kernel (for the KVM probe)
    seed: Path | None  # the cloud-init seed disk the source hypervisor presents, if any
    report: dict[str, str]

    @classmethod
    def load(cls, root: Path) -> GuestImage:
        meta: dict[str, Any] = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        return cls(family=meta["family"], root=root, firmware=meta["firmware"],
                   disks=tuple(ImageDisk(root / d["file"], int(d["capacity"]), d["wwn"], d.get("bus", "scsi"))
                              for d in meta["disks"]),
                   nic_names=tuple(meta["nic_names"]), user=meta["user"], password=meta["password"],
                   private_key=meta["private_key"], host_key=meta["host_key"], kernel=root / meta["kernel"],
                   seed=root / meta["seed"] if meta.get("seed") else None, report=dict(meta["report"]))
