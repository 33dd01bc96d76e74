"""The state of one simulated Windows guest, as far as guest preparation can see or change it."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DATA_DIR = "C:\\ProgramData\\xtract"
FIRSTBOOT_RESULT = DATA_DIR + "\\firstboot-result.json"
NETWORK_FILE = DATA_DIR + "\\network.json"


@dataclass
class Account:
    name: str  # "CONTOSO\\mig-svc" or ".\\Administrator"
    password: str = field(repr=False)
    sid: str = "S-1-5-21-3623811015-3361044348-30300820-1013"
    admin: bool = True  # member of S-1-5-32-544
    domain: bool = False
    builtin_administrator: bool = False  # RID 500
    remote_management_user: bool = False  # may open a WinRM shell without being an admin


@dataclass
class Nic:
    mac: str
    name: str
    description: str = "vmxnet3 Ethernet Adapter"
    dhcp: bool = False
    addresses: list[str] = field(default_factory=list)
    gateways: list[str] = field(default_factory=list)
    routes: list[dict[str, Any]] = field(default_factory=list)
    dns_servers: list[str] = field(default_factory=list)
    dns_suffix: str = ""
    register_in_dns: bool = True
    wins_servers: list[str] = field(default_factory=list)
    netbios: str = "default"

    def as_json(self) -> dict[str, Any]:
        return {"mac": self.mac, "name": self.name, "description": self.description, "dhcp": self.dhcp,
                "addresses": list(self.addresses), "gateways": list(self.gateways),
                "routes": [dict(r) for r in self.routes], "dns_servers": list(self.dns_servers),
                "dns_suffix": self.dns_suffix, "register_in_dns": self.register_in_dns,
                "wins_servers": list(self.wins_servers), "netbios": self.netbios, "gateways_v6": [],
                "gateway_metrics": []}


@dataclass
class Faults:
    """Knobs for tests: each makes the guest misbehave the way a real one can."""

    local_account_token_filter_policy: int = 0  # 1 lifts remote UAC filtering of local admins
    filter_administrator_token: int = 0  # 1 filters even the built-in Administrator
    installer_too_old: bool = False  # msi.dll 3.1 (Windows XP era)
    virtio_install_fails: bool = False  # msiexec ends with 1603
    fail_tasks: dict[str, str] = field(default_factory=dict)  # task id -> message: the task reports failure
    hang_tasks: set[str] = field(default_factory=set)  # task ids that never end until terminated
    # Someone on the path answers for the guest: replies to NTLM-encrypted requests come back in clear
    # (application/soap+xml), and a run's result line is replaced by this text when it is not empty.
    clear_replies: bool = False
    forged_result: str = ""


def _default_nics() -> list[Nic]:
    return [
        Nic(mac="00:50:56:8a:12:34", name="Ethernet0", addresses=["10.1.20.15/24", "fe80::1c2d:3e4f:5a6b:7c8d/64"],
            gateways=["10.1.20.1"],
            routes=[{"destination": "172.16.0.0/12", "next_hop": "10.1.20.254", "metric": 10, "persistent": True}],
            dns_servers=["10.1.0.10", "10.1.0.11"], dns_suffix="corp.contoso.com"),
        Nic(mac="00:50:56:8a:56:78", name="Backup", description="vmxnet3 Ethernet Adapter #2", dhcp=True,
            register_in_dns=False, netbios="disabled"),
    ]


@dataclass
class WindowsGuest:
    """One Windows guest.  Every field is plain data a test may read or set; ``lock`` guards changes."""

    hostname: str = "WIN-APP01"
    accounts: list[Account] = field(default_factory=lambda: [Account(".\\Administrator", "Passw0rd!",
                                                                     sid="S-1-5-21-1-2-3-500",
                                                                     builtin_administrator=True)])
    smbios_uuid: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    os_caption: str = "Microsoft Windows Server 2019 Standard"
    os_version: str = "10.0.17763"
    msi_version: str = "5.0.17763.1"
    powershell_version: str = "5.1.17763.2931"
    trusted_publisher: dict[str, str] = field(default_factory=dict)  # thumbprint -> subject
    services: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"start": 0, "type": 1, ...}
    products: dict[str, str] = field(default_factory=lambda: {"VMware Tools": "12.3.5.22544099"})
    san_policy: int = 2  # OfflineShared, the Server default
    nics: list[Nic] = field(default_factory=_default_nics)
    search_list: list[str] = field(default_factory=lambda: ["corp.contoso.com", "contoso.com"])
    profiles: set[str] = field(default_factory=set)  # account names whose profile exists
    files: dict[str, bytes] = field(default_factory=dict)  # lower-cased Windows path -> content
    file_names: dict[str, str] = field(default_factory=dict)  # lower-cased path -> path as written
    firstboot_installed: bool = False
    firstboot_attempts: int = 0
    on_ahv: bool = False
    license_channel: str = "VOLUME_KMSCLIENT"
    # Folders another (non-admin) account made first, path -> its SID: the folder rules refuse them and
    # whatever lies below (the lab keeps no other ACLs). ``folders``: folders the tool made.
    planted: dict[str, str] = field(default_factory=dict)
    folders: set[str] = field(default_factory=set)
    written: list[str] = field(default_factory=list)  # every path a write command wrote, in order
    faults: Faults = field(default_factory=Faults)
    log: list[str] = field(default_factory=list)  # every command shape the guest recognised, for tests
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- accounts ------------------------------------------------------------------------------------

    def account(self, user: str) -> Account | None:
        want = user.lower().split("\\")[-1].split("@")[0]
        for acc in self.accounts:
            if acc.name.lower().split("\\")[-1] == want:
                return acc
        return None

    def token_filtered(self, acc: Account) -> bool:
        """Remote UAC (KB951016): local admins get a filtered token over the network unless the policy lifts it."""
        if not acc.admin or acc.domain:
            return False
        if acc.builtin_administrator:
            return self.faults.filter_administrator_token == 1
        return self.faults.local_account_token_filter_policy != 1

    def may_open_shell(self, acc: Account) -> bool:
        return (acc.admin and not self.token_filtered(acc)) or acc.remote_management_user

    # -- files ---------------------------------------------------------------------------------------

    def unsafe(self, path: str) -> str:
        """Why the folder rules refuse ``path`` (a planted folder on or above it), or ''."""
        key = path.lower().rstrip("\\")
        for folder, owner in self.planted.items():
            mine = folder.lower().rstrip("\\")
            if key == mine or key.startswith(mine + "\\"):
                return f"Refused: {folder} is owned by {owner}."
        return ""

    def exists(self, path: str) -> bool:
        key = path.lower().rstrip("\\")
        return (key in self.folders or key in self.files or any(k.startswith(key + "\\") for k in self.files)
                or any(p.lower().rstrip("\\") == key for p in self.planted))

    def write_file(self, path: str, data: bytes, *, append: bool = False) -> None:
        key = path.lower()
        with self.lock:
            self.written.append(path)
            self.files[key] = (self.files.get(key, b"") if append else b"") + data
            self.file_names[key] = path

    def read_file(self, path: str) -> bytes | None:
        return self.files.get(path.lower())

    def remove_tree(self, path: str) -> None:
        prefix = path.lower().rstrip("\\")
        with self.lock:
            self.folders = {f for f in self.folders if f != prefix and not f.startswith(prefix + "\\")}
            for key in [k for k in self.files if k == prefix or k.startswith(prefix + "\\")]:
                del self.files[key]
                self.file_names.pop(key, None)

    def paths_under(self, path: str) -> list[str]:
        prefix = path.lower().rstrip("\\") + "\\"
        return sorted(self.file_names[k] for k in self.files if k.startswith(prefix))

    def write_json(self, path: str, value: Any) -> None:
        self.write_file(path, json.dumps(value, sort_keys=True).encode("utf-8"))

    # -- lab hooks -----------------------------------------------------------------------------------

    def set_on_target(self, on_ahv: bool) -> None:
        """The lab calls this when the Prism simulator powers the VM on (True) or the source again (False)."""
        with self.lock:
            self.on_ahv = on_ahv
            if on_ahv:
                self.smbios_uuid = str(uuid.uuid5(uuid.NAMESPACE_OID, self.smbios_uuid)).upper()

    def complete_first_boot(self) -> bool:
        """Run the installed first-boot task once (what Windows does at startup); True when it finished.

        It acts only on AHV (the SMBIOS UUID differs from the saved one), restores every saved NIC by MAC,
        writes the result file and removes itself, as the real script does.
        """
        with self.lock:
            if not self.firstboot_installed:
                return False
            self.firstboot_attempts += 1
            saved = json.loads((self.read_file(DATA_DIR + "\\source-identity.json") or b"{}").decode())
            if not self.on_ahv or saved.get("smbios_uuid") == self.smbios_uuid:
                return False
            network = json.loads((self.read_file(NETWORK_FILE) or b'{"nics": []}').decode())
            nics = [{"mac": n["mac"], "name": n["name"], "restored": True,
                     "addresses": [a for a in n.get("addresses", []) if ":" not in a.split("/")[0]]}
                    for n in network.get("nics", [])]
            for nic in self.nics:
                nic.description = "Nutanix VirtIO Ethernet Adapter"
            result = {"ok": True, "on_target": True, "nics": nics, "disks_onlined": [1], "errors": [],
                      "finished_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
            self.write_json(FIRSTBOOT_RESULT, result)
            self.firstboot_installed = False
            return True
