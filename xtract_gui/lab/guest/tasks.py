"""What each Windows guest script would print for a given guest state, and how it changes that state.

Shapes follow ``extra.result_example`` in resources/manifest.json.  Nothing here runs PowerShell.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from .state import DATA_DIR, FIRSTBOOT_RESULT, NETWORK_FILE, WindowsGuest

Outcome = tuple[int, str, str]  # exit code, stdout, stderr
Handler = Callable[[WindowsGuest, str, dict[str, Any]], Outcome]

SAN_NAMES = {1: "OnlineAll", 2: "OfflineShared", 3: "OfflineAll", 4: "OfflineInternal"}
NUTANIX_SUBJECT = "CN=Nutanix, Inc., O=Nutanix, Inc., L=San Jose, S=California, C=US"
DEFAULT_THUMBPRINTS = {"sha1": "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678",
                       "sha2": "0F1E2D3C4B5A69788796A5B4C3D2E1F001122334"}
VIRTIO_PRODUCT = ("Nutanix VirtIO", "1.2.3.0", "{6E1E6B2B-8C0F-4A5B-9E55-3C5B7F2D1A10}")


def emit(task: str, ok: bool, changed: bool, message: str, data: dict[str, Any] | None = None,
         warnings: list[str] | None = None, *, code: int | None = None, log: str = "") -> Outcome:
    line = json.dumps({"task": task, "ok": ok, "changed": changed, "message": message,
                       "warnings": warnings or [], "data": data or {}}, separators=(",", ":"))
    exit_code = code if code is not None else (0 if ok else 1)
    return exit_code, (log + "\r\n" if log else "") + line + "\r\n", ""


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def check_admin(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    acc = g.account(user)
    assert acc is not None  # the server authenticated it
    filtered = g.token_filtered(acc)
    full = acc.admin and not filtered
    data = {"user": acc.name, "user_sid": acc.sid, "is_builtin_administrator": acc.builtin_administrator,
            "is_domain_account": acc.domain, "administrators_member": acc.admin,
            "administrators_enabled": full, "administrators_deny_only": acc.admin and filtered,
            "integrity_level": "High" if full else "Medium", "integrity_sid": "S-1-16-12288" if full else "S-1-16-8192",
            "is_in_role_administrator": full,
            "local_account_token_filter_policy": g.faults.local_account_token_filter_policy,
            "filter_administrator_token": g.faults.filter_administrator_token, "remote_uac_filtered": filtered}
    if full:
        return emit("win.check_admin", True, False,
                    "The account is a member of Administrators with a full (elevated) token.", data)
    if acc.admin:
        return emit("win.check_admin", False, False,
                    "The account is an administrator but its remote token is filtered (UAC remote restrictions): "
                    "set LocalAccountTokenFilterPolicy=1 or use a domain administrator.", data)
    return emit("win.check_admin", False, False,
                f"{acc.name} is not a member of the local Administrators group: add it, or use another account.", data)


def check_installer(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    msi = "3.1.4000.2435" if g.faults.installer_too_old else g.msi_version
    min_msi = str(params.get("min_msi_version") or "4.5")
    min_ps = str(params.get("min_powershell_version") or "2.0")
    build = int(g.os_version.split(".")[-1])
    data = {"msi_version": msi, "powershell_version": g.powershell_version, "os_version": g.os_version,
            "os_caption": g.os_caption, "os_build": build, "is_64bit": True,
            "needs_kb3033929": build < 9200, "kb3033929_installed": None}
    if _version(msi) < _version(min_msi):
        return emit("win.check_installer", False, False,
                    f"Windows Installer {msi} is older than {min_msi}: install Windows Installer {min_msi} "
                    "or later (and restart) before migrating.", data)
    if _version(g.powershell_version) < _version(min_ps):
        return emit("win.check_installer", False, False,
                    f"PowerShell {g.powershell_version} is older than {min_ps}: install WMF first.", data)
    ps = ".".join(g.powershell_version.split(".")[:2])
    return emit("win.check_installer", True, False,
                f"Windows Installer {msi} and PowerShell {ps} are recent enough.", data)


def _add_certificate(kind: str) -> Handler:
    task = f"win.add_{kind}_certificate"

    def handler(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
        # add_certificate.ps1 serves both tasks and, like it, refuses to guess the family.
        if params.get("hash_family") != kind:
            return emit(task, False, False, f"hash_family must be {kind}, not {params.get('hash_family')!r}: "
                        "this is a bug in the tool's manifest; report it.")
        files = params.get("certificate_files") or []
        if isinstance(files, str):
            files = [files]
        if files:
            certs = []
            for path in files:
                body = g.read_file(str(path))
                if body is None:
                    return emit(task, False, False, f"Certificate file {path} was not found on the guest.",
                                {"store": "LocalMachine\\TrustedPublisher"}, code=2)
                certs.append(hashlib.sha1(body).hexdigest().upper())
            source = "certificate_files"
        else:
            certs = [DEFAULT_THUMBPRINTS[kind]]
            source = "driver_package" if params.get("driver_package") else "built_in"
        added, present = [], []
        with g.lock:
            for thumb in certs:
                if thumb in g.trusted_publisher:
                    present.append(thumb)
                    continue
                g.trusted_publisher[thumb] = NUTANIX_SUBJECT
                added.append({"thumbprint": thumb, "subject": NUTANIX_SUBJECT,
                              "signature_algorithm": "sha1RSA" if kind == "sha1" else "sha256RSA",
                              "method": "certutil"})
            record = json.loads((g.read_file(DATA_DIR + "\\certificates-added.json") or b"[]").decode())
            record += [a["thumbprint"] for a in added]
            g.write_json(DATA_DIR + "\\certificates-added.json", record)
        data = {"store": "LocalMachine\\TrustedPublisher", "added": added, "already_present": present,
                "source": source}
        if not added:
            return emit(task, True, False, f"The {kind} driver-signing certificate is already trusted.", data)
        return emit(task, True, True,
                    f"Added {len(added)} {kind} driver-signing certificate to LocalMachine\\TrustedPublisher.", data)

    return handler


def load_user_profile(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    name = str(params.get("user_name") or user)
    acc = g.account(name)
    if acc is None or params.get("password") != acc.password:
        return emit("win.load_user_profile", False, False,
                    f"Could not log on as {name} to load its profile: wrong user name or password.", {"user": name})
    short = acc.name.split("\\")[-1]
    created = acc.name not in g.profiles
    g.profiles.add(acc.name)
    data = {"user": acc.name, "sid": acc.sid, "profile_path": f"C:\\Users\\{short}", "created": created}
    msg = f"Created and loaded the profile of {acc.name}." if created else f"The profile of {acc.name} is loaded."
    return emit("win.load_user_profile", True, created, msg, data)


def install_virtio(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    task = "win.install_virtio"
    package = params.get("package_path")
    if not package:
        return emit(task, False, False, "No VirtIO package was given (package_path).", code=2)
    body = g.read_file(str(package))
    if body is None:
        return emit(task, False, False, f"The VirtIO package {package} is not on the guest: upload it again.")
    actual = hashlib.sha256(body).hexdigest()
    if str(params.get("package_sha256") or "").lower() != actual:
        return emit(task, False, False, "The VirtIO package on the guest is not the one that was uploaded "
                    f"(SHA-256 {actual}, expected {params.get('package_sha256')}): something changed it.",
                    {"package_sha256": actual, "expected_sha256": params.get("package_sha256")})
    name, version, code = VIRTIO_PRODUCT
    restrictions = {"deny_unspecified": False, "deny_device_classes": False, "deny_device_ids": False}
    log_file = DATA_DIR + "\\virtio-install.log"
    if g.faults.virtio_install_fails:
        g.write_file(log_file, b"MSI (s) Product: Nutanix VirtIO -- Installation failed.\r\n")
        return emit(task, False, False,
                    f"msiexec ended with 1603 (fatal error during installation): see {log_file} on the guest.",
                    {"msiexec_exit_code": 1603, "log_file": log_file, "device_install_restrictions": restrictions})
    with g.lock:
        installed = g.products.get(name) == version
        boot = g.services.get("vioscsi", {})
        service_ok = boot.get("start") == 0 and boot.get("sys_present")
        if not installed:
            g.products[name] = version
            g.write_file(log_file, b"MSI (s) Product: Nutanix VirtIO -- Installation completed successfully.\r\n")
        if not service_ok:
            g.services["vioscsi"] = {"start": 0, "type": 1, "error_control": 1, "group": "SCSI miniport",
                                     "image_path": "system32\\drivers\\vioscsi.sys", "sys_present": True}
    changed = not installed or not service_ok
    data = {"product": {"name": name, "version": version, "product_code": code},
            "msiexec_exit_code": 0 if not installed else None, "reboot_required": False, "log_file": log_file,
            "boot_drivers": [
                {"service": "vioscsi", "sys_present": True, "start": 0, "created": not service_ok,
                 "device_mapping": "DriverDatabase", "start_override_cleared": False},
                {"service": "viostor", "sys_present": False, "start": None, "created": False,
                 "device_mapping": None, "start_override_cleared": False}],
            "device_install_restrictions": restrictions}
    warn = ["viostor.sys is not in the package; disks will only boot on VirtIO SCSI (the AHV default)."]
    msg = (f"Installed {name} 1.2.3 and made vioscsi start at boot." if changed
           else f"{name} 1.2.3 is installed and vioscsi starts at boot.")
    return emit(task, True, changed, msg, data, warn)


def set_san_policy(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    before = g.san_policy
    warnings = []
    if params.get("has_shared_disks"):
        warnings.append("The VM has shared disks: OnlineAll may bring a cluster's shared disk online twice.")
    data = {"before": before, "before_name": SAN_NAMES[before], "after": 1, "after_name": "OnlineAll",
            "method": "diskpart"}
    if before == 1:
        return emit("win.set_san_policy", True, False, "The SAN policy is already OnlineAll.", data, warnings)
    with g.lock:
        g.write_json(DATA_DIR + "\\san-policy-before.json", {"san_policy": before})
        g.san_policy = 1
    return emit("win.set_san_policy", True, True, f"SAN policy changed from {SAN_NAMES[before]} to OnlineAll.",
                data, warnings)


def retain_ip(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    snapshot = {"global": {"search_list": list(g.search_list), "primary_suffix": g.search_list[0] if g.search_list
                           else ""}, "nics": [n.as_json() for n in g.nics], "excluded_addresses": []}
    body = json.dumps(snapshot, sort_keys=True).encode("utf-8")
    changed = g.read_file(NETWORK_FILE) != body
    if changed:
        g.write_file(NETWORK_FILE, body)
    msg = (f"Saved the IP configuration of {len(g.nics)} network adapters." if changed
           else f"The saved IP configuration of {len(g.nics)} network adapters is current.")
    return emit("win.retain_ip", True, changed, msg, {"file": NETWORK_FILE, **snapshot})


def install_firstboot(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    script = params.get("firstboot_script")
    if not script:
        return emit("win.install_firstboot", False, False, "No first-boot script was given (firstboot_script).",
                    code=2)
    minutes = int(params.get("deadline_minutes") or 30)
    path = DATA_DIR + "\\firstboot.ps1"
    identity = {"smbios_uuid": g.smbios_uuid}
    with g.lock:
        same = (g.firstboot_installed and g.read_file(path) == str(script).encode("utf-8")
                and json.loads((g.read_file(DATA_DIR + "\\source-identity.json") or b"{}").decode()) == identity)
        if not same:
            g.write_file(path, str(script).encode("utf-8"))
            g.write_json(DATA_DIR + "\\source-identity.json", identity)
            g.firstboot_installed = True
            g.firstboot_attempts = 0
    data = {"task_name": "\\Xtract\\FirstBoot", "script": path, "source_smbios_uuid": g.smbios_uuid,
            "deadline_minutes": minutes}
    msg = ("Installed the first-boot task; it will restore the network when the VM starts on AHV." if not same
           else "The first-boot task is already installed.")
    return emit("win.install_firstboot", True, not same, msg, data)


def record_license(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    kms = g.license_channel.startswith("VOLUME_KMS")
    data = {"channel": g.license_channel, "license_status": "Licensed", "product": "Windows(R), ServerStandard edition",
            "partial_key": "XXXXX", "kms_machine": "kms.contoso.com:1688" if kms else "",
            "may_need_reactivation": not kms}
    msg = (f"Windows is licensed through {g.license_channel}; it should reactivate by itself on AHV." if kms else
           f"Windows is licensed through {g.license_channel}; it may ask for reactivation on AHV.")
    return emit("win.record_license", True, False, msg, data)


def read_firstboot_result(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    body = g.read_file(FIRSTBOOT_RESULT)
    if body is None:
        data = {"pending": True, "attempts": g.firstboot_attempts, "deadline": None, "missing": []}
        return emit("win.read_firstboot_result", False, False,
                    f"The first-boot task has not finished yet (attempt {g.firstboot_attempts}); ask again "
                    "in a minute.", data)
    result = json.loads(body.decode("utf-8"))
    restored = sum(1 for n in result.get("nics", []) if n.get("restored"))
    return emit("win.read_firstboot_result", bool(result.get("ok")), False,
                f"The first-boot task finished on AHV: {restored} of {len(result.get('nics', []))} adapters restored.",
                result)


def remove_vmware_tools(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    version = g.products.pop("VMware Tools", None)
    if version is None:
        return emit("win.remove_vmware_tools", True, False, "VMware Tools is not installed.", {})
    data = {"product_code": "{8AE3B3D6-0C5B-4F0C-A0B8-5A28B1DE3A21}", "version": version, "msiexec_exit_code": 3010,
            "reboot_required": True, "fallback_used": False, "services_removed": [], "leftovers_removed": []}
    short = ".".join(version.split(".")[:3])
    return emit("win.remove_vmware_tools", True, True, f"VMware Tools {short} was uninstalled; restart the VM to "
                "finish.", data)


def undo(g: WindowsGuest, user: str, params: dict[str, Any]) -> Outcome:
    removed = [g.file_names[k] for k in list(g.files) if k in ((DATA_DIR + "\\firstboot.ps1").lower(),
                                                             NETWORK_FILE.lower())]
    with g.lock:
        task_removed = g.firstboot_installed
        g.firstboot_installed = False
        for path in removed:
            g.remove_tree(path)
        san_restored = None
        saved = g.read_file(DATA_DIR + "\\san-policy-before.json")
        if params.get("restore_san_policy") and saved is not None:
            san_restored = json.loads(saved.decode())["san_policy"]
            g.san_policy = san_restored
        certs_removed = []
        if params.get("remove_certificates"):
            for thumb in json.loads((g.read_file(DATA_DIR + "\\certificates-added.json") or b"[]").decode()):
                if g.trusted_publisher.pop(thumb, None) is not None:
                    certs_removed.append(thumb)
    changed = bool(task_removed or removed or san_restored is not None or certs_removed)
    data = {"task_removed": task_removed, "files_removed": removed, "san_policy_restored": san_restored,
            "certificates_removed": certs_removed}
    msg = "Removed the first-boot task and the saved network configuration." if changed else "Nothing to undo."
    return emit("win.undo", True, changed, msg, data)


HANDLERS: dict[str, Handler] = {
    "win.check_admin": check_admin,
    "win.check_installer": check_installer,
    "win.add_sha1_certificate": _add_certificate("sha1"),
    "win.add_sha2_certificate": _add_certificate("sha2"),
    "win.load_user_profile": load_user_profile,
    "win.install_virtio": install_virtio,
    "win.set_san_policy": set_san_policy,
    "win.retain_ip": retain_ip,
    "win.install_firstboot": install_firstboot,
    "win.record_license": record_license,
    "win.read_firstboot_result": read_firstboot_result,
    "win.remove_vmware_tools": remove_vmware_tools,
    "win.undo": undo,
}


def run(g: WindowsGuest, task_id: str, user: str, params: dict[str, Any], script: bytes) -> Outcome:
    """Answer one script run: a known task by its handler; an unknown script by what it received."""
    failure = g.faults.fail_tasks.get(task_id)
    if failure is not None:
        return emit(task_id, False, False, failure, {"injected": True})
    handler = HANDLERS.get(task_id)
    if handler is None:
        digest = hashlib.sha256(script).hexdigest()
        return emit(task_id or "unknown", True, False, "lab: the script was received; the lab does not run "
                    "PowerShell.", {"script_sha256": digest, "script_bytes": len(script),
                                    "params_keys": sorted(params)})
    return handler(g, user, params)
