"""Composition helpers: the one place (with cli.py and gui/app.py) that knows the concrete adapters.

Adapter modules are imported lazily, so a build without one (or a machine without its vendor
library) fails with a clear message only when that adapter is actually needed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .domain.errors import ConfigurationError, ConnectionFailedError, SecretMissingError
from .domain.messages import msg
from .domain.plan import Plan, SourceEndpoint, TargetEndpoint, TransferMode
from .engine.context import Adapters, Tuning
from .engine.manager import JobManager
from .engine.ports import (
    DiskWriter,
    DiskWriterFactory,
    GuestChannel,
    GuestChannelFactory,
    GuestTarget,
    SecretStore,
    SourcePlatform,
    TargetPlatform,
    WorkerDisk,
)
from .engine.store import DB_FILE, Store

KEYRING_SERVICE = "xtract-gui"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_safe(vm_name: str) -> str:
    """A VM name as a file name: staging folders and image names."""
    return _SAFE.sub("_", vm_name)


def staging_folder(vm_name: str, folder: str = "xtract") -> str:
    """A VM's staging folder in the container; NFS and the lab's local writers share it, since Prism
    resolves one ndfs path to the same file either way."""
    return f"{folder}/{file_safe(vm_name)}"


def staging_file(vm_name: str, disk_key: int, folder: str = "xtract") -> str:
    return f"{staging_folder(vm_name, folder)}/disk-{disk_key}.raw"


# -- certificates and connections ------------------------------------------------------------------

def probe_source_certificate(host: str, port: int = 443) -> str:
    from .source import probe_certificate

    return str(probe_certificate(host, port))


def probe_target_certificate(host: str, port: int = 9440) -> str:
    from .target import probe_certificate

    return str(probe_certificate(host, port))


def connect_source(endpoint: SourceEndpoint, password: str) -> SourcePlatform:
    """``protocol: "lab"`` opens the lab's in-process source in the state directory named by ``host``."""
    if endpoint.protocol == "lab":
        from .lab.source import LabSource

        root = Path(endpoint.host)
        if not (root / "source" / "state.json").exists():
            raise ConnectionFailedError(f"No lab source in {root}.",
                                        hint="Start it with 'xtract-gui lab serve --state-dir DIR' first.")
        return LabSource(root)
    from .source import connect_vsphere

    return connect_vsphere(endpoint.host, endpoint.user, password, port=endpoint.port,  # type: ignore[no-any-return]
                           protocol=endpoint.protocol, expected_fingerprint=endpoint.fingerprint)


def connect_target(host: str, port: int, user: str, password: str, protocol: str = "https",
                   fingerprint: str = "", *, element_port: int | None = None,
                   element_fingerprints: dict[str, str] | None = None) -> TargetPlatform:
    """Prism Element or Central; with Central, ``element_port``/``element_fingerprints`` reach (and pin) the
    clusters' Prism Elements, which serve containers and the NFS whitelist."""
    from .target import connect_prism

    return connect_prism(host, user, password, port=port, protocol=protocol,  # type: ignore[no-any-return]
                         expected_fingerprint=fingerprint, element_port=element_port,
                         element_fingerprints=element_fingerprints)


def connect_target_endpoint(endpoint: TargetEndpoint, password: str) -> TargetPlatform:
    """The plan's target, with Prism Central's element port and pins (0 / empty: the adapter's defaults)."""
    return connect_target(endpoint.host, endpoint.port, endpoint.user, password, endpoint.protocol,
                          endpoint.fingerprint, element_port=endpoint.element_port or None,
                          element_fingerprints=dict(endpoint.element_fingerprints) or None)


# -- guest channels -------------------------------------------------------------------------------

def service_instance_provider(source: Any) -> Callable[[], Any] | None:
    """What VMware Tools guest operations need from a connected source: its vCenter ``ServiceInstance``.

    The vSphere adapter keeps it on its session (``source.session.si``); read it at each use, since a
    reconnect replaces it.  ``None`` for a source without one (the lab's Python source).
    """
    session = getattr(source, "session", None)
    if session is None or not hasattr(session, "si"):
        return None
    return lambda: session.si


def guest_channel_factory(*, si_provider: Callable[[], Any] | None = None) -> GuestChannelFactory | None:
    """WinRM and SSH always (each guest's authentication comes from its plan); VMware Tools guest operations
    when ``si_provider`` gives the vCenter ServiceInstance.
    """
    try:
        from .guest.factory import GuestChannels
        from .guest.ssh_channel import SshChannelFactory
        from .guest.vmtools_channel import VmToolsChannelFactory
        from .guest.winrm_channel import WinRmChannelFactory
    except ImportError:
        return None
    vmtools = VmToolsChannelFactory(si_provider) if si_provider is not None else None
    return GuestChannels(winrm=WinRmChannelFactory(), vmtools=vmtools,  # type: ignore[return-value]
                         ssh=SshChannelFactory())


def probe_nfs(host: str, container: str, *, nfs_port: int = 0, mount_port: int = 0, timeout: float = 5.0) -> Any:
    """Warm mode's check before a migration: portmapper, MOUNT of the container, NFS NULL (target/nfs/probe.py);
    an ``NfsProbe`` that says which step failed and what to do."""
    from .target.nfs.probe import probe_container

    return probe_container(host, container, nfs_port=nfs_port, mount_port=mount_port, timeout=timeout)


def probe_ssh_host_key(host: str, port: int = 22) -> str:
    """The host key a Linux guest's sshd offers, as the pin the plan stores ("ssh-ed25519 SHA256:…"), for the
    wizard to show and a person to accept (blocking: run it off the GUI thread)."""
    from .guest.ssh_connect import probe_host_key

    return probe_host_key(host, port)


class SourceAwareGuests:
    """The guest channels of one plan: the VMware Tools side goes through that plan's own source connection.

    ``source`` is the plan session's getter of its connected source (``Adapters.session_guests`` passes
    it), read at each ``open``, so a reconnect is followed.  Never share one between plans: two plans may
    read from two vCenters.  Without ``source`` only WinRM channels are offered.
    """

    def __init__(self, source: Callable[[], Any] | None = None) -> None:
        self._source = source
        self._factory: GuestChannelFactory | None = None
        self._for: Any = None
        self._lock = threading.Lock()

    def open(self, target: GuestTarget) -> GuestChannel:
        source = self._source() if self._source is not None else None
        with self._lock:
            if self._factory is None or self._for is not source:
                self._factory = guest_channel_factory(si_provider=service_instance_provider(source))
                self._for = source
            factory = self._factory
        if factory is None:
            raise ConfigurationError("Guest channels are not available in this build.",
                                     hint="Reinstall xtract-gui: its guest channel modules are missing.")
        return factory.open(target)


# -- secrets --------------------------------------------------------------------------------------

class KeyringSecrets:
    """The OS keyring (``keyring``); errors of the backend become messages a person can act on."""

    def get(self, service: str, username: str) -> str | None:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(service, username)
        except KeyringError as exc:
            raise SecretMissingError(f"The OS keyring could not be read ({type(exc).__name__}).",
                                     hint="Unlock the keyring (log in again), or store the secret anew.") from None

    def set(self, service: str, username: str, secret: str) -> None:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        try:
            keyring.set_password(service, username, secret)
        except NoKeyringError:
            raise ConfigurationError(msg("keyring.none", "this computer has no keyring service"),
                                     hint=msg("keyring.none.hint", "(on Linux, GNOME Keyring or KWallet, unlocked at "
                                              "login) to keep passwords in.")) from None
        except KeyringError as exc:
            raise ConfigurationError(msg("keyring.refused", "the system keyring refused it ({why})",
                                         why=str(exc) or type(exc).__name__),
                                     hint=msg("keyring.refused.hint", "Unlock the keyring, then connect again "
                                              "to keep the password.")) from None

    def delete(self, service: str, username: str) -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(service, username)
        except PasswordDeleteError:
            return
        except KeyringError as exc:
            raise ConfigurationError(f"The OS keyring refused the change ({type(exc).__name__}).") from None


def keyring_secrets() -> SecretStore:
    return KeyringSecrets()


class DictSecrets:
    """A ``SecretStore`` in memory (the lab, tests)."""

    def __init__(self, values: dict[tuple[str, str], str] | None = None) -> None:
        self.values = dict(values or {})
        self._lock = threading.Lock()

    def get(self, service: str, username: str) -> str | None:
        with self._lock:
            return self.values.get((service, username))

    def set(self, service: str, username: str, secret: str) -> None:
        with self._lock:
            self.values[(service, username)] = secret

    def delete(self, service: str, username: str) -> None:
        with self._lock:
            self.values.pop((service, username), None)


# -- disk writers ---------------------------------------------------------------------------------

class NfsWriters:
    """Warm mode: raw files in the container over NFSv3 (mounted at the first disk, after the whitelist)."""

    def __init__(self, host: str, container: str, *, nfs_port: int = 0, mount_port: int = 0,
                 folder: str = "xtract") -> None:
        self.host, self.container, self.nfs_port, self.folder = host, container, nfs_port, folder
        self.mount_port = mount_port
        self._nfs: Any = None
        self._lock = threading.Lock()

    @property
    def whitelist_entry(self) -> str:
        """This laptop's entry, looked up at each use: a VPN or a new DHCP lease changes the address."""
        from .target.nfs import whitelist_entry

        try:
            return str(whitelist_entry(self.host))
        except OSError as exc:  # no route, or a name that does not resolve: whitelisting 127.0.0.1 helps nobody
            raise ConfigurationError(
                f"This computer has no route to the cluster's NFS address {self.host} ({exc.strerror or exc}).",
                hint="Connect to the customer's network (or its VPN), or set the NFS address on the Target "
                     "page, then retry.") from None

    def _mount(self) -> Any:
        with self._lock:
            if self._nfs is None:
                from .target.nfs import NfsContainer

                self._nfs = NfsContainer(self.host, f"/{self.container}", nfs_port=self.nfs_port,
                                         mount_port=self.mount_port)
            return self._nfs

    def relative(self, vm_name: str, disk_key: int) -> str:
        return staging_file(vm_name, disk_key, self.folder)

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> DiskWriter:
        nfs = self._mount()
        path = self.relative(vm_name, disk_key)
        if not fresh and not nfs.exists(path):
            fresh = True
        return nfs.open_disk(path, capacity, fresh=fresh)  # type: ignore[no-any-return]

    def worker_writer(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> WorkerDisk:
        """The same file, written by a copy worker over its own NFS connections."""
        from .wiring_workers import NfsWriterSpec

        nfs = self._mount()  # here first: the whitelist and the export are proven before a worker tries
        path = self.relative(vm_name, disk_key)
        if not fresh and not nfs.exists(path):
            fresh = True
        return WorkerDisk(NfsWriterSpec(self.host, self.container, nfs.nfs_port, nfs.mount_port, path, capacity,
                                        fresh))

    def discard(self, vm_name: str, disk_key: int) -> None:
        nfs = self._mount()
        path = self.relative(vm_name, disk_key)
        if nfs.exists(path):
            nfs.remove(path)

    def discard_vm(self, vm_name: str) -> None:
        """The VM's whole staging folder (``xtract/<vm>``), once its AHV VM has its own cloned disks."""
        self._mount().remove_tree(staging_folder(vm_name, self.folder))

    def close(self) -> None:
        with self._lock:
            if self._nfs is not None:
                self._nfs.close()
                self._nfs = None


class ImageWriters:
    """Cold mode: each disk streamed into the Prism image service as a streamOptimized VMDK made on the fly,
    so the bytes on the wire are about the allocated bytes; the VM's disks are cloned from the images."""

    whitelist_entry = ""

    def __init__(self, target: TargetPlatform, container_uuid: str, endpoint: TargetEndpoint | None = None) -> None:
        self.target, self.container_uuid, self.endpoint = target, container_uuid, endpoint

    @staticmethod
    def image_name(vm_name: str, disk_key: int) -> str:
        """The name the disk's image has in Prism's image list (what a person searches for)."""
        return f"xtract-{file_safe(vm_name)}-disk-{disk_key}"

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> DiskWriter:
        from .transfer import ImageStreamWriter, VmdkStreamEncoder

        encoder = VmdkStreamEncoder(capacity, file_name=f"{file_safe(vm_name)}-disk-{disk_key}.vmdk")
        name = self.image_name(vm_name, disk_key)

        def upload(stream: Any) -> str:
            return self.target.upload_image(name, self.container_uuid, stream, size=encoder.length,
                                            disk_format=encoder.disk_format)

        return ImageStreamWriter(encoder, upload)

    def worker_writer(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> WorkerDisk | None:
        """The image made and uploaded by a copy worker over its own connection to the plan's Prism."""
        from .wiring_workers import ImageUploadSpec

        if self.endpoint is None:
            return None
        return WorkerDisk(ImageUploadSpec(self.endpoint, self.container_uuid, self.image_name(vm_name, disk_key),
                                          f"{file_safe(vm_name)}-disk-{disk_key}.vmdk", capacity))

    def discard(self, vm_name: str, disk_key: int) -> None:
        """Images are deleted by uuid (the engine knows them); a half upload leaves no image behind."""

    def close(self) -> None:
        """Nothing held."""


def _container_name(plan: Plan, target: TargetPlatform) -> str:
    for c in target.containers(plan.target.cluster_uuid):
        if c.uuid == plan.target.container_uuid:
            return c.name
    raise ConfigurationError("The plan's storage container is not on the target.",
                             hint="Choose the storage container again on the Target page.")


def writer_factory(plan: Plan, target: TargetPlatform) -> DiskWriterFactory:
    """``nfs_host`` "local:<dir>" (lab only): files straight into that containers directory;
    cold mode: streamed images; otherwise NFS to ``nfs_host`` or the cluster's external IP."""
    if plan.transfer_mode is TransferMode.COLD:
        return ImageWriters(target, plan.target.container_uuid, plan.target)
    container = _container_name(plan, target)
    nfs_host = plan.target.nfs_host
    if nfs_host.startswith("local:"):
        from .lab.source.container import LocalContainerWriters

        return LocalContainerWriters(Path(nfs_host[len("local:"):]), container)
    host = nfs_host
    if not host:
        cluster = next((c for c in target.clusters() if c.uuid == plan.target.cluster_uuid), None)
        host = cluster.external_ip if cluster and cluster.external_ip else plan.target.host
    return NfsWriters(host, container, nfs_port=plan.target.nfs_port, mount_port=plan.target.nfs_mount_port)


# -- the engine -----------------------------------------------------------------------------------

def build_manager(*, secrets: SecretStore, state_dir: Path | None = None, tuning: Tuning | None = None,
                  owner: str = "") -> JobManager:
    """A ``JobManager`` on the real adapters; ``state_dir`` keeps the database and logs there (else the user dirs).

    Each guest's WinRM authentication comes from its plan (``GuestAccess.winrm_auth``).  ``owner`` names this
    process to another one that finds a job locked by it ("xtract-gui run plan.json", "the xtract-gui wizard").
    """
    from .paths import log_dir

    store = Store(state_dir / "data" / DB_FILE) if state_dir else Store.open_default()
    logs = (state_dir / "logs") if state_dir else log_dir()
    adapters = Adapters(secrets=secrets, source=connect_source, target=connect_target_endpoint,
                        writers=writer_factory, session_guests=SourceAwareGuests, log_dir=logs)
    return JobManager(store=store, adapters=adapters, tuning=tuning, owner=owner)


def start_engine_process(*, secrets: SecretStore, state_dir: Path | None = None, tuning: Tuning | None = None,
                         owner: str = "") -> Any:
    """``build_manager``'s engine in a process of its own (``enginehost``), behind a facade of the same shape;
    ``secrets`` stays in this process and answers the engine's lookups over the pipe.  Blocking until the
    engine is built: call it off the GUI thread."""
    from .enginehost import EngineOptions
    from .enginehost.client import RemoteManager

    return RemoteManager.launch(secrets=secrets, options=EngineOptions(state_dir=state_dir, tuning=tuning,
                                                                       owner=owner))
