"""The contracts between the engine and the adapters.

Adapters implement these structurally (no inheritance needed) and are
synchronous, as the vendor libraries are; the engine calls them through
``asyncio.to_thread`` or a bounded executor.  Every method may raise only
``xtract_gui.domain.errors.XtractError`` subclasses: adapters translate vendor
faults at their boundary.

Long calls take ``progress`` (a callable receiving a fraction 0..1 and an
optional message) and ``cancel`` (anything with ``is_set()``, e.g. a
``threading.Event``); a cancelled call raises ``CancelledError`` and leaves
nothing half done that it does not also report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..domain.extents import Extent
from ..domain.guest_tasks import GuestTask
from ..domain.inventory import (
    SnapshotRef,
    SourceInventory,
    SourceVM,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetKind,
    TargetVM,
    TargetVMSpec,
)

ProgressFn = Callable[[float, str], None]


class Cancellation(Protocol):
    def is_set(self) -> bool: ...


def no_progress(fraction: float, message: str = "") -> None:
    """Default ``progress`` callback."""


# -- Source (vSphere) ----------------------------------------------------------------------------


@runtime_checkable
class DiskReader(Protocol):
    """Reads a source disk as of a snapshot.  ``read`` is safe to call from several threads."""

    capacity: int

    def read(self, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes (short only at the end of the disk); transient faults raise ``TransientError``.

        The result may be any bytes-like object (``bytes``, ``bytearray``, ``memoryview``): a reader fills
        a buffer straight from the socket rather than copying it into ``bytes``.  It is a fresh object per
        call that the caller owns; every consumer accepts any bytes-like object.

        Optional: ``read_into(offset, into: memoryview) -> None`` fills the caller's buffer exactly (same
        faults as ``read``); the copy engine then reuses a few buffers instead of one fresh one per chunk.
        """
        ...

    def close(self) -> None: ...


class SourcePlatform(Protocol):
    """vCenter / ESXi, or the lab's stand-in for them."""

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the server certificate, "AA:BB:…"; empty over plain HTTP (lab only)."""
        ...

    def inventory(self) -> SourceInventory: ...

    def get_vm(self, vm_id: str) -> SourceVM: ...

    def list_snapshots(self, vm_id: str) -> list[SnapshotRef]:
        """Every snapshot of the VM (ours are named with the ``xtract-`` prefix)."""
        ...

    def create_snapshot(self, vm_id: str, name: str, *, description: str = "", quiesce: bool = False,
                        progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> SnapshotRef:
        """Take a disk-only snapshot; the returned ref carries every disk's changeId as of it."""
        ...

    def remove_snapshot(self, vm_id: str, snapshot_id: str, *, progress: ProgressFn = no_progress,
                        cancel: Cancellation | None = None) -> None:
        """Remove (consolidate) one snapshot; a snapshot that is already gone is not an error."""
        ...

    def revert_snapshot(self, vm_id: str, snapshot_id: str, *, progress: ProgressFn = no_progress) -> None: ...

    def enable_cbt(self, vm_id: str) -> None:
        """Turn on changeTracking; on a running VM takes and removes a snapshot so that it takes effect."""
        ...

    def query_changed_areas(self, vm_id: str, snapshot_id: str, disk_key: int, change_id: str) -> list[Extent]:
        """CBT areas of disk ``disk_key`` as of the snapshot: ``change_id="*"`` gives the allocated areas,
        a changeId from an earlier snapshot gives what changed since.  Covers the whole disk (the
        adapter loops over ``startOffset``).  Raises ``UnsupportedError`` when the changeId is no longer
        valid (CBT reset), so the engine can fall back to a full copy."""
        ...

    def open_disk_reader(self, vm_id: str, snapshot_id: str, disk_key: int) -> DiskReader: ...

    def shutdown_guest(self, vm_id: str) -> None:
        """Ask the guest OS to shut down (VMware Tools); returns at once."""
        ...

    def power_off(self, vm_id: str) -> None: ...

    def power_on(self, vm_id: str) -> None: ...

    def wait_for_power_state(self, vm_id: str, state: str, *, timeout: float,
                             cancel: Cancellation | None = None) -> bool:
        """Poll until ``get_vm(vm_id).power_state.value == state``; False on timeout."""
        ...

    def set_nics_connected(self, vm_id: str, connected: bool) -> None:
        """Connected and start-connected of every NIC, so the powered-off source can't come back with its IP."""
        ...

    def set_annotation(self, vm_id: str, text: str) -> None: ...

    def close(self) -> None: ...


# -- Target (Prism) ------------------------------------------------------------------------------


class TargetPlatform(Protocol):
    """Prism Element v2.0 or Prism Central v3, or the lab Prism simulator behind the same wire protocol."""

    @property
    def kind(self) -> TargetKind: ...

    @property
    def version(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    def clusters(self) -> list[TargetCluster]:
        """AHV clusters only (Prism Central's own entry is left out)."""
        ...

    def containers(self, cluster_uuid: str) -> list[StorageContainer]: ...

    def subnets(self, cluster_uuid: str) -> list[Subnet]: ...

    def vms(self) -> list[TargetVM]: ...

    def get_vm(self, vm_uuid: str) -> TargetVM: ...

    def find_vms(self, name: str) -> list[TargetVM]: ...

    def create_vm(self, spec: TargetVMSpec, *, progress: ProgressFn = no_progress,
                  cancel: Cancellation | None = None) -> str:
        """Create (and wait for) the VM; returns its uuid.  On failure nothing is left behind."""
        ...

    def set_power_state(self, vm_uuid: str, transition: str, *, progress: ProgressFn = no_progress,
                        cancel: Cancellation | None = None) -> None:
        """``transition``: "on", "off" or "acpi_shutdown"; waits for the task."""
        ...

    def delete_vm(self, vm_uuid: str, *, cancel: Cancellation | None = None) -> None:
        """Delete and wait; an already-deleted VM is not an error."""
        ...

    def snapshot_vm(self, vm_uuid: str, name: str, *, cancel: Cancellation | None = None) -> str: ...

    def upload_image(self, name: str, container_uuid: str, stream: Iterable[bytes], *,
                     size: int | None = None, disk_format: str = "raw", sha256: str = "",
                     progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        """Create a disk image and stream its bytes (``size`` None: unknown length, chunked);
        returns the image uuid once the image is ACTIVE/complete."""
        ...

    def create_image_from_url(self, name: str, container_uuid: str, url: str, *,
                              progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        """Let Prism pull an image (``nfs://cluster/container/path`` for a file written over NFS)."""
        ...

    def delete_image(self, image_uuid: str) -> None: ...

    def find_images(self, name: str) -> list[str]:
        """Uuids of the images named exactly ``name``: an upload whose answer was lost is found by its name."""
        ...

    def nfs_whitelist(self, cluster_uuid: str = "") -> list[str]:
        """The cluster-wide NFS whitelist ("10.0.0.5/255.255.255.255") of ``cluster_uuid``: a Prism Element's
        own (it has one cluster), or through Prism Central that cluster's Prism Element ("" = its only one)."""
        ...

    def add_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None: ...

    def remove_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None: ...

    def close(self) -> None: ...


# -- Disk writers (target side of the copy) ------------------------------------------------------


@runtime_checkable
class DiskWriter(Protocol):
    """Where copied bytes go: a local file, a file in the container over NFS, or a streamed image.

    ``sequential`` writers (streamed sparse images) need writes in increasing offset order; the copy
    engine reorders for them within its bounded window.  ``read_back`` returns None where the writer
    cannot read what it wrote (a stream); verification then relies on the format's own check.

    ``write`` takes any bytes-like ``data`` and may keep it until ``flush`` (NFS keeps uncommitted
    writes to replay them); the caller hands it over and does not change it afterwards.
    Optional members the copy engine looks for: ``skip_zeros: bool`` (all-zero chunks may be left
    unwritten, default False); on sequential writers ``block_size`` (the engine copies whole blocks),
    ``prepare(offset, data)`` (called from worker threads before the in-order ``write``, e.g. to
    compress in parallel; ``prepare_digested(offset, data, blocks)`` instead, when the writer can reuse
    the engine's content-digest block hashes of that buffer) and ``content_digest()`` (compared with the
    digest of the source reads).
    ``flush()`` and ``read_back()`` may be called from a checkpoint thread while ``write()`` runs on
    worker threads.
    A writer whose ``write`` is done with ``data`` when it returns says so with ``retains_writes = False``
    (default True); with a reader's ``read_into`` the engine then reads every chunk into one of a few
    reused buffers, and reads back through ``read_back_into(offset, into) -> int`` (bytes read) if present.
    """

    sequential: bool
    capacity: int

    def write(self, offset: int, data: bytes) -> None: ...

    def read_back(self, offset: int, length: int) -> bytes | None: ...

    def flush(self) -> None:
        """Make everything written so far durable (NFS COMMIT, fsync); the cursor is saved after it."""
        ...

    def finish(self) -> str:
        """Complete the disk and return the target reference: a path, an ndfs path or an image uuid."""
        ...

    def abort(self) -> None:
        """Remove whatever partial target this writer created."""
        ...


# -- Copy workers: a reader or writer described for another process ------------------------------

#: How a worker reaches back: ``call(name, *args)`` runs the service ``name`` of its ``WorkerDisk`` in the
#: engine's process and returns its answer (a fresh datastore ticket, a renewed session cookie).
ParentCall = Callable[..., Any]


@dataclass(frozen=True)
class WorkerDisk:
    """A disk's reader or writer, described so that a copy worker process can open it itself.

    ``spec`` crosses to the worker over its pipe (pickled: plain data, credentials included, never a command
    line or a file) and has ``open(call: ParentCall)`` returning the ``DiskReader``/``DiskWriter`` there,
    and optionally ``release()`` (called in the worker when the copy ended, e.g. to close an NFS mount).
    ``services`` stay in the engine's process: the worker's ``call(name, …)`` runs ``services[name]`` here.

    Optional on a ``DiskReader``: ``worker_spec() -> WorkerDisk | None``; on a ``DiskWriterFactory``:
    ``worker_writer(vm_name, disk_key, capacity, *, fresh) -> WorkerDisk | None`` (the writer is then opened
    in the worker only).  Without them (or with None) the disk is copied in the engine's process.
    """

    spec: Any
    services: dict[str, Callable[..., Any]] = field(default_factory=dict)


# -- Guest channels ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptResult:
    exit_code: int
    stdout: str
    stderr: str
    result: dict[str, Any] = field(default_factory=dict)  # the JSON object the script printed last

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.result.get("ok", True) is not False


class GuestChannel(Protocol):
    """Runs resource scripts inside one guest and moves files in and out."""

    def run_task(self, task: GuestTask, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Cancellation | None = None) -> ScriptResult:
        """Run ``script`` (the text of ``task.script``) with ``params``; values named in
        ``task.secret_params`` never reach a log."""
        ...

    def put_file(self, data: bytes, remote_path: str, *, cancel: Cancellation | None = None) -> None: ...

    def get_file(self, remote_path: str) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class GuestTarget:
    """How to reach one guest: everything a channel factory needs, secrets resolved."""

    vm_id: str
    os_family: str
    channel: str  # "winrm" | "vmtools" | "ssh"
    host: str  # WinRM/SSH address (guest IP) or the VM id for guest operations
    user: str
    password: str = field(repr=False)  # SSH: also sudo's password and the private key's passphrase ("" none)
    port: int = 0
    https: bool = True
    allow_http_ntlm: bool = False
    fingerprint: str = ""
    auth: str = "ntlm"  # WinRM: "ntlm" (domain or local accounts) or "basic" (local accounts, HTTPS only)
    host_key: str = ""  # SSH: the pinned host key, "<type> SHA256:<base64>" (empty: refuse to connect)
    private_key: str = field(default="", repr=False)  # SSH: the private key text from the keyring ("" none)


class GuestChannelFactory(Protocol):
    def open(self, target: GuestTarget) -> GuestChannel: ...


# -- Secrets -------------------------------------------------------------------------------------


class SecretStore(Protocol):
    """The OS keyring in the app; a dict in tests and the lab."""

    def get(self, service: str, username: str) -> str | None: ...

    def set(self, service: str, username: str, secret: str) -> None: ...

    def delete(self, service: str, username: str) -> None: ...


# -- Disk writer factories (added by the engine) ---------------------------------------------------


@runtime_checkable
class DiskWriterFactory(Protocol):
    """Opens the ``DiskWriter`` for one disk of one VM; the composition root picks the kind:
    NFS into the container (warm), a streamed sparse image (cold), or, lab only, a local file in the
    Prism simulator's container directory.

    ``finish()`` of its writers returns either an ndfs path ("/<container>/<path>", the VM disk is
    cloned from that file) or an image uuid (the VM disk is cloned from the image).
    """

    whitelist_entry: str  # what this laptop needs in the PE NFS whitelist ("ip/mask"); "" when none

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> DiskWriter:
        """``fresh``: a new target (created empty); otherwise update the existing one (a delta, a resume)."""
        ...

    def discard(self, vm_name: str, disk_key: int) -> None:
        """Remove the target file/image of that disk if it exists (cancel, crash clean-up)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class StagingCleanup(Protocol):
    """Optional on a ``DiskWriterFactory``: remove everything it staged for one VM at once (the per-VM
    folder of the NFS writer).  The engine calls ``discard`` for every disk first, so a factory without
    it still leaves no staged disk behind, only an empty folder at most."""

    def discard_vm(self, vm_name: str) -> None:
        """Remove the VM's staging folder and what is left in it; an absent folder is not an error."""
        ...
