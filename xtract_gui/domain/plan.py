"""The migration plan: a plain, versioned JSON document the GUI and the CLI both produce and consume.

Secrets are never in it, only keyring references (``SecretRef``).  ``Plan.from_json``
rejects unknown keys with a "did you mean" hint, wrong types and missing fields
with the JSON path of the offending value, so that a typo in a hand-edited
plan file gets a message that says where and what to fix.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum, StrEnum
from typing import Any, get_args, get_origin, get_type_hints

from .errors import ConfigurationError

PLAN_VERSION = 1


class TransferMode(StrEnum):
    WARM = "warm"  # NFS writes into the container; seed + delta syncs; short cutover
    COLD = "cold"  # source shut down, sparse image streamed into Prism over HTTPS


class GuestChannelKind(StrEnum):
    WINRM = "winrm"
    VMTOOLS = "vmtools"  # VMware Tools guest operations; no network path needed
    SSH = "ssh"  # Linux guests over SSH (password or key; host key pinned)
    NONE = "none"  # skip guest preparation (the user prepared the guest)


class ShutdownPolicy(StrEnum):
    GUEST_ONLY = "guest_only"  # never force; cutover fails if the guest does not stop
    POWER_OFF_AFTER_TIMEOUT = "power_off_after_timeout"


@dataclass(frozen=True)
class SecretRef:
    """Names a secret in the OS keyring: ``service`` + ``username``; never the secret itself."""

    service: str
    username: str

    def __str__(self) -> str:
        return f"keyring:{self.service}/{self.username}"


@dataclass(frozen=True)
class SourceEndpoint:
    host: str
    user: str
    password: SecretRef
    port: int = 443
    fingerprint: str = ""  # pinned SHA-256 of the server certificate, "AA:BB:…"
    protocol: str = "https"  # "http" only for the lab simulator


@dataclass(frozen=True)
class TargetEndpoint:
    host: str
    user: str
    password: SecretRef
    cluster_uuid: str
    container_uuid: str
    port: int = 9440
    fingerprint: str = ""
    protocol: str = "https"
    nfs_host: str = ""  # address to mount the container from; default: the cluster's external IP
    nfs_port: int = 0  # 0: ask the portmapper
    nfs_mount_port: int = 0  # 0: ask the portmapper
    # Prism Central has no v3 API for containers or the NFS whitelist: the adapter asks the cluster's
    # Prism Element, whose certificate is pinned separately (address -> fingerprint).
    element_port: int = 0  # 0: the same port as Prism Central
    element_fingerprints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GuestAccess:
    channel: GuestChannelKind = GuestChannelKind.VMTOOLS
    user: str = ""
    password: SecretRef | None = None
    winrm_port: int = 0  # 0: 5986 with HTTPS, 5985 with HTTP
    winrm_https: bool = True
    winrm_auth: str = "ntlm"  # "ntlm" (domain or local accounts) or "basic" (local accounts, HTTPS only)
    allow_http_ntlm: bool = False  # HTTP 5985 with NTLM message encryption
    winrm_host: str = ""  # default: the guest's IP as VMware Tools reports it
    fingerprint: str = ""
    # SSH (Linux guests).  The host key is pinned like a TLS certificate: "<key type> SHA256:<base64>", as
    # ``ssh-keygen -lf`` prints it, taken when the wizard first showed it; a different key is refused.
    ssh_host: str = ""  # default: the guest's IP as VMware Tools reports it
    ssh_port: int = 0  # 0: 22
    ssh_host_key: str = ""
    ssh_key: SecretRef | None = None  # a private key (OpenSSH/PEM text) in the keyring; ``password`` unlocks it


@dataclass(frozen=True)
class VmPlan:
    vm_id: str
    name: str
    target_name: str = ""  # default: the source name
    guest: GuestAccess = field(default_factory=GuestAccess)

    @property
    def effective_target_name(self) -> str:
        return self.target_name or self.name


@dataclass(frozen=True)
class CleanupOptions:
    remove_vmware_tools: bool = True
    remove_ghost_devices: bool = True


@dataclass(frozen=True)
class PlanOptions:
    sync_interval_minutes: int = 60
    bandwidth_limit_mbps: float = 0.0  # 0: unlimited
    shutdown_policy: ShutdownPolicy = ShutdownPolicy.GUEST_ONLY
    shutdown_timeout_seconds: int = 600
    retain_mac: bool = True
    retain_ip: bool = True
    post_cleanup: bool = False
    cleanup: CleanupOptions = field(default_factory=CleanupOptions)
    max_parallel_vms: int = 4
    streams_per_disk: int = 4
    copy_workers: int = 0  # processes that copy disks; 0: this computer's cores but one, at least one
    auto_cutover: bool = False
    cutover_window_start: str = ""  # "HH:MM" local time; empty: any time
    cutover_window_end: str = ""
    downtime_budget_seconds: int = 900
    virtio_package: str = ""  # path on the laptop to the user-supplied VirtIO MSI
    certificate_files: tuple[str, ...] = ()  # extra driver-signing .cer files
    allow_power_off_for_cold: bool = False


@dataclass(frozen=True)
class Plan:
    name: str
    source: SourceEndpoint
    target: TargetEndpoint
    vms: tuple[VmPlan, ...]
    network_map: dict[str, str] = field(default_factory=dict)  # port group -> subnet uuid
    test_subnet_uuid: str = ""
    transfer_mode: TransferMode = TransferMode.WARM
    options: PlanOptions = field(default_factory=PlanOptions)
    version: int = PLAN_VERSION

    # -- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return _encode(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        if not isinstance(data, dict):
            raise ConfigurationError(
                "The plan is not a JSON object.",
                hint="A plan file starts with '{' and has keys like \"source\", \"target\", \"vms\".")
        version = data.get("version", PLAN_VERSION)
        if version != PLAN_VERSION:
            raise ConfigurationError(
                f"Plan version {version!r} is not supported by this xtract-gui (it reads version {PLAN_VERSION}).",
                hint="Save the plan again with this version of the tool.")
        plan = _decode(cls, data, "plan")
        plan.validate()
        return plan

    @classmethod
    def from_json(cls, text: str) -> Plan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigurationError(
                f"The plan file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                hint="Fix the JSON syntax at that place, or save the plan again from the wizard.") from exc
        return cls.from_dict(data)

    def validate(self) -> None:
        """Rules that involve several fields; single-field types are checked while decoding."""
        if not self.vms:
            raise ConfigurationError("The plan has no VMs.", hint="Add at least one VM under \"vms\".")
        seen: set[str] = set()
        for vm in self.vms:
            if vm.vm_id in seen:
                raise ConfigurationError(f"VM {vm.vm_id!r} is listed twice in the plan.",
                                         hint="Remove the duplicate entry under \"vms\".")
            seen.add(vm.vm_id)
            if vm.guest.winrm_auth not in ("ntlm", "basic"):
                raise ConfigurationError(f"VM {vm.name!r}: guest.winrm_auth is {vm.guest.winrm_auth!r}.",
                                         hint="Use \"ntlm\" or \"basic\".")
            credential = vm.guest.password is not None or (
                vm.guest.channel is GuestChannelKind.SSH and vm.guest.ssh_key is not None)
            if vm.guest.channel is not GuestChannelKind.NONE and (not vm.guest.user or not credential):
                raise ConfigurationError(f"VM {vm.name!r} has no guest account.",
                                         hint="Set guest.user and guest.password (a keyring reference), "
                                              "or set guest.channel to \"none\" to skip guest preparation.")
            if vm.guest.ssh_host_key and not is_ssh_host_key_pin(vm.guest.ssh_host_key):
                raise ConfigurationError(
                    f"VM {vm.name!r}: guest.ssh_host_key is {vm.guest.ssh_host_key!r}.",
                    hint="Use the form \"ssh-ed25519 SHA256:<43 base64 characters>\" (what the wizard stores and "
                         "'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' prints in the guest), or leave it empty.")
        if self.options.sync_interval_minutes < 1:
            raise ConfigurationError("options.sync_interval_minutes must be at least 1.")
        if self.options.bandwidth_limit_mbps < 0:
            raise ConfigurationError("options.bandwidth_limit_mbps cannot be negative.", hint="Use 0 for no limit.")
        if self.options.copy_workers < 0:
            raise ConfigurationError("options.copy_workers cannot be negative.",
                                     hint="Use 0 for one worker per core of this computer but one.")
        for key in ("cutover_window_start", "cutover_window_end"):
            value = getattr(self.options, key)
            if value and not _is_hhmm(value):
                raise ConfigurationError(f"options.{key} is {value!r}; expected a time like \"22:30\".")

    def vm(self, vm_id: str) -> VmPlan:
        for v in self.vms:
            if v.vm_id == vm_id:
                return v
        raise KeyError(vm_id)


_SSH_PIN = re.compile(r"^(?:[a-z0-9@.-]+ )?SHA256:[A-Za-z0-9+/]{43}$")


def is_ssh_host_key_pin(value: str) -> bool:
    """"[<key type> ]SHA256:<43 base64 characters, no padding>": an SSH host key pin as OpenSSH prints it."""
    return bool(_SSH_PIN.match(value))


def _is_hhmm(value: str) -> bool:
    parts = value.split(":")
    return (len(parts) == 2 and all(p.isdigit() and len(p) == 2 for p in parts)
            and int(parts[0]) < 24 and int(parts[1]) < 60)


def _encode(value: Any) -> Any:
    if isinstance(value, SecretRef):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


_SECRET_WORDS = ("password", "secret", "token")


def _decode(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin is type(None) or tp is type(None):
        if value is not None:
            raise ConfigurationError(f"{path} must be null.")
        return None
    if origin in (types.UnionType, typing.Union):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigurationError(f"{path} must be a list, not {type(value).__name__}.")
        (inner,) = [a for a in get_args(tp) if a is not Ellipsis]
        return tuple(_decode(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigurationError(f"{path} must be an object, not {type(value).__name__}.")
        _, vt = get_args(tp)
        return {str(k): _decode(vt, v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in tp)
            raise ConfigurationError(f"{path} is {value!r}; allowed values: {allowed}.") from None
    if tp is SecretRef:
        if isinstance(value, str) and value.startswith("keyring:") and "/" in value:
            service, _, username = value[len("keyring:"):].partition("/")
            return SecretRef(service, username)
        raise ConfigurationError(
                f"{path} holds a plain value; a plan keeps only keyring references.",
                hint="Remove the password from the file and store it with the wizard "
                     "or 'xtract-gui secret set', which writes a reference like \"keyring:xtract-gui/user@host\".")
    if hasattr(tp, "__dataclass_fields__"):
        if not isinstance(value, dict):
            raise ConfigurationError(f"{path} must be an object, not {type(value).__name__}.")
        hints = get_type_hints(tp)
        names = [f.name for f in fields(tp)]
        for key in value:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(names)}."
                raise ConfigurationError(f"Unknown key {path}.{key}.", hint=hint)
        kwargs = {}
        for f in fields(tp):
            if f.name in value:
                kwargs[f.name] = _decode(hints[f.name], value[f.name], f"{path}.{f.name}")
            elif f.default is MISSING and f.default_factory is MISSING:
                raise ConfigurationError(f"{path}.{f.name} is missing.")
        return tp(**kwargs)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (isinstance(tp, type) and not isinstance(value, tp)) or (tp is int and isinstance(value, bool)):
        raise ConfigurationError(f"{path} must be {tp.__name__}, not {type(value).__name__} ({value!r}).")
    if isinstance(value, str) and any(w in path.rsplit(".", 1)[-1].lower() for w in _SECRET_WORDS):
        raise ConfigurationError(f"{path} looks like a secret; a plan keeps only keyring references.")
    return value
