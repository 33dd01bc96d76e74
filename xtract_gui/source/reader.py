"""Reading a source disk's flat extent over HTTPS with ``Range`` requests.

vCenter serves datastore files at ``/folder/<path>?dcPath=<dc>&dsName=<ds>`` to a client holding
its SOAP session cookie; an ESXi host serves the same path (no dcPath: its one datacenter) to a client
holding a single-use ``vmware_cgi_ticket`` from ``AcquireGenericServiceTicket``.  The descriptor
``.vmdk`` names the flat extent(s); only flat extents (monolithicFlat, vmfs, twoGbMaxExtentFlat) are
readable this way.

``dcPath`` is the datacenter's inventory path ("Region-East/DC1"), and both ``dcPath`` and ``dsName``
are URL-encoded twice, because vCenter decodes them twice: with one encoding a name holding "+" or an
inventory-escaped "%2f" is not found (virt-v2v input/vCenter.ml, commit
f13e85f9ce3bb51f65c0afbaae009b5a3e6af9c7, after libvirt 6c9d2591c6 and Broadcom KB 386368).
"""

from __future__ import annotations

import hashlib
import http.client
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    NotFoundError,
    TransientError,
    UnsupportedError,
)
from ..engine.ports import WorkerDisk
from .tlsread import connect_tls

_EXTENT = re.compile(r'^\s*(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)\s+"([^"]+)"(?:\s+(\d+))?', re.MULTILINE)
_CREATE_TYPE = re.compile(r'^\s*createType\s*=\s*"([^"]+)"', re.MULTILINE)
_ENCRYPTION_KEYS = re.compile(r'^\s*encryptionKeys\s*=', re.MULTILINE)
_FLAT_TYPES = {"FLAT", "VMFS"}
MAX_DESCRIPTOR = 64 * 1024


@dataclass(frozen=True)
class FlatExtent:
    file: str  # relative to the descriptor's folder
    start: int  # byte offset of this extent in the disk
    size: int
    file_offset: int = 0


def parse_descriptor(text: str, *, name: str = "") -> list[FlatExtent]:
    """The flat extents of a VMDK descriptor, in disk order; other disk types raise UnsupportedError."""
    match = _CREATE_TYPE.search(text)
    create_type = match.group(1) if match else ""
    if _ENCRYPTION_KEYS.search(text):
        # An encrypted disk's descriptor is a plain VMFS one plus this line (govmomi vmdk/descriptor_test.go,
        # commit fd06160642a8c3609c0cd86e2bc25f2b4e974631), and its flat file holds ciphertext.
        raise UnsupportedError(f"The disk {name} is encrypted (its descriptor names encryption keys): its flat "
                               "file holds ciphertext.",
                               hint="Decrypt the VM in the vSphere Client, then check again.")
    extents: list[FlatExtent] = []
    start = 0
    for _access, sectors, kind, file, offset in _EXTENT.findall(text):
        if kind.upper() not in _FLAT_TYPES:
            raise UnsupportedError(
                f"The disk {name} is a {create_type or kind} disk ({kind} extent), not a flat one.",
                hint="Only flat (thick or thin VMFS/NFS) disks are read over HTTPS; consolidate the VM's "
                     "snapshots and convert RDM or sparse disks first.")
        if "://" in file:  # vsan://… or vvol://…: an object on the datastore, not a file /folder serves
            raise UnsupportedError(f"The disk {name} is an object on a vSAN or vVol datastore ({file}), not a flat "
                                   "file.", hint="Storage vMotion the VM to a VMFS or NFS datastore, then retry.")
        size = int(sectors) * 512
        extents.append(FlatExtent(file=file, start=start, size=size, file_offset=int(offset or 0) * 512))
        start += size
    if not extents:
        raise UnsupportedError(f"{name} is not a VMDK descriptor with flat extents.",
                               hint="vSAN and vVols datastores have no flat files; they need a VDDK reader.")
    return extents


class _TlsConnection(http.client.HTTPConnection):
    """HTTPS whose TLS runs through memory BIOs with large socket reads (``tlsread.py``: the cost is per buffer,
    not per 16 KiB record).  ``pin``: accepts exactly the certificate with that fingerprint (SHA-256, or SHA-1
    from a host ticket); without one, ``context`` checks the chain and the name.

    The check runs in ``connect``, which http.client also calls when it reopens a keep-alive connection
    the server closed, so no request ever goes out over an unchecked connection.
    """

    default_port = 443

    def __init__(self, host: str, port: int, *, timeout: float, context: ssl.SSLContext, pin: str = "") -> None:
        super().__init__(host, port, timeout=timeout)
        self._context = context
        self.pin = pin

    def connect(self) -> None:
        self.sock = connect_tls(self.host, self.port, self._context, timeout=self.timeout,  # type: ignore[assignment]
                                server_hostname=self.host if self._context.check_hostname else None)
        if self.pin:
            der = self.sock.getpeercert(binary_form=True) or b""
            algo = hashlib.sha1 if len(self.pin) == 40 else hashlib.sha256
            if algo(der).hexdigest().upper() != self.pin:
                self.close()
                raise _PinMismatch(self.pin)


class _PinMismatch(ssl.SSLCertVerificationError):
    pass


def _pin_hex(fingerprint: str) -> str:
    digits = "".join(c for c in fingerprint if c not in ": \t-").upper()
    if len(digits) not in (40, 64) or any(c not in "0123456789ABCDEF" for c in digits):
        raise ValueError("a certificate pin must be a SHA-256 (or a host ticket's SHA-1) fingerprint")
    return digits


@dataclass(frozen=True)
class Access:
    """How one request is authenticated: cookies and the certificate pin of the server ("" = CA checks).

    ``single_use``: the cookie is an ESXi service ticket, good for one request; its connection carries that
    request only (govmomi commit a91eb5e593d31b62299451cb09fbe41902e61c98: "The connection should only be
    used for a single request"), so it is closed afterwards and the next request opens a new one.
    """

    cookies: dict[str, str]
    fingerprint: str = ""
    single_use: bool = False


def query_value(value: str) -> str:
    """A dcPath or dsName value as vCenter's /folder wants it: URL-encoded twice, nothing left unescaped."""
    return quote(quote(value, safe=""), safe="")


class DatastoreFiles:
    """GETs files of one datastore folder; thread-safe (one keep-alive connection per thread and pin).

    Range bodies are read with ``readinto`` straight into one preallocated buffer per request (plain
    http.client, not requests/urllib3, whose piecewise reads and joins cost about a CPU second per GiB).
    """

    def __init__(self, base_url: str, datacenter: str, datastore: str, folder: str,
                 access: Callable[[str], Access], *, renew: Callable[[], None] | None = None,
                 timeout: float = 60, retries: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._https else 80)
        self._prefix = parts.path.rstrip("/")
        self.datacenter = datacenter
        self.datastore = datastore
        self.folder = folder.strip("/")
        self._access = access
        self._renew = renew
        self._timeout = timeout
        self._retries = retries
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._all_lock = threading.Lock()

    def url(self, file: str) -> str:
        return f"{self.base_url}{self._target(file)}"

    def _target(self, file: str) -> str:
        path = quote(f"{self.folder}/{file}" if self.folder else file)
        query = [("dcPath", self.datacenter)] if self.datacenter else []  # ESXi: its one datacenter
        query.append(("dsName", self.datastore))
        return f"{self._prefix}/folder/{path}?" + "&".join(f"{k}={query_value(v)}" for k, v in query)

    def _connection(self, fingerprint: str) -> http.client.HTTPConnection:
        conns: dict[str, http.client.HTTPConnection] = getattr(self._local, "conns", None) or {}
        self._local.conns = conns
        conn = conns.get(fingerprint)
        if conn is None:
            if not self._https:
                conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
            elif fingerprint:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False  # the pin replaces chain and name checks (self-signed VMCA)
                ctx.verify_mode = ssl.CERT_NONE
                conn = _TlsConnection(self._host, self._port, timeout=self._timeout, context=ctx,
                                      pin=_pin_hex(fingerprint))
            else:
                conn = _TlsConnection(self._host, self._port, timeout=self._timeout,
                                      context=ssl.create_default_context())
            conns[fingerprint] = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def _drop(self, fingerprint: str) -> None:
        conns: dict[str, http.client.HTTPConnection] = getattr(self._local, "conns", None) or {}
        conn = conns.pop(fingerprint, None)
        if conn is not None:
            conn.close()

    def spec(self) -> tuple[Any, dict[str, Callable[..., Any]]]:
        """How a copy worker reads the same files: the spec, and the services it calls here.

        A session cookie (reusable) goes with the spec and is renewed through ``renew``, which logs in again
        here and answers the new cookie; an ESXi ticket (single use) is asked for per request (``access``).
        """
        sample = self._access(self.url(""))
        reusable = None if sample.single_use else sample

        def renew() -> Access:
            if self._renew is not None:
                self._renew()
            return self._access(self.url(""))

        from .reader_spec import FilesSpec

        return (FilesSpec(self.base_url, self.datacenter, self.datastore, self.folder, self._timeout, self._retries,
                          reusable), {"access": self._access, "renew": renew})

    def close(self) -> None:
        """Close the connections of every thread that read through this object."""
        with self._all_lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()

    def get(self, file: str, offset: int = 0, length: int | None = None) -> bytearray:
        """``length`` bytes from ``offset`` (exact), or the whole file when ``length`` is None.

        The result is a fresh ``bytearray`` that nobody else holds (callers may keep it).
        """
        if length is None:
            return self._fetch(file, 0, None)
        buf = bytearray(length)
        self._fetch(file, offset, memoryview(buf))
        return buf

    def get_into(self, file: str, offset: int, into: memoryview) -> None:
        """Fill ``into`` with the bytes of ``file`` from ``offset`` (exactly ``len(into)``).

        The body goes from the socket straight into the caller's buffer, so a caller that reuses its
        buffers pays neither an allocation nor the zeroing and page faults of a fresh one per chunk.
        """
        self._fetch(file, offset, into)

    def _fetch(self, file: str, offset: int, into: memoryview | None) -> bytearray:
        """The whole (small) file when ``into`` is None; else fills ``into`` and returns an empty bytearray."""
        length = None if into is None else into.nbytes
        view = into if into is not None else memoryview(bytearray())
        url = self.url(file)
        target = self._target(file)
        renewed = False
        last: str = ""
        for attempt in range(self._retries):
            access = self._access(url)
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in access.cookies.items())} if access.cookies else {}
            if length is not None:
                headers["Range"] = f"bytes={offset}-{offset + length - 1}"
            if access.single_use:
                headers["Connection"] = "close"
            conn = self._connection(access.fingerprint)
            try:
                conn.request("GET", target, headers=headers)
                resp = conn.getresponse()
                filled = False
                if resp.status in (401, 403):
                    self._discard(resp, access.fingerprint)
                    if not renewed and self._renew is not None:
                        renewed = True
                        self._renew()
                        continue
                    raise AuthenticationError(f"The datastore refused to serve {file} ({resp.status}).",
                                              hint="Check that the account may browse datastores "
                                                   "(Datastore.Browse) and connect again.")
                if resp.status == 404:
                    self._discard(resp, access.fingerprint)
                    raise NotFoundError(f"{file} is not on datastore {self.datastore}.",
                                        hint="Refresh the inventory: the disk may have moved.")
                if resp.status >= 500:
                    last = f"HTTP {resp.status}"
                    self._discard(resp, access.fingerprint)
                elif length is None:
                    raw = resp.read(MAX_DESCRIPTOR + 1)
                    if len(raw) > MAX_DESCRIPTOR:
                        self._drop(access.fingerprint)
                        raise UnsupportedError(f"{file} is not a plain descriptor (it is larger than 64 KiB).",
                                               hint="Sparse and streamOptimized disks are not read over HTTPS.")
                    self._discard(resp, access.fingerprint)
                    return bytearray(raw)
                elif resp.status == 206 and resp.length == length:
                    filled = self._read_exact(resp, view)
                elif resp.status == 200 and offset == 0 and (resp.length is None or resp.length >= length):
                    filled = self._read_exact(resp, view)  # a server that ignores Range sends the whole file
                    self._discard(resp, access.fingerprint)
                else:
                    last = f"HTTP {resp.status} with {resp.length} of {length} bytes"
                    self._discard(resp, access.fingerprint)
                if filled:
                    return bytearray()
                if resp.status in (200, 206):
                    last = f"HTTP {resp.status} with a short body"
                    self._drop(access.fingerprint)  # the rest of that body would poison the next request
            except _PinMismatch:
                self._drop(access.fingerprint)
                raise CertificateMismatchError(
                    f"The datastore server {self.base_url} presented a certificate other than the pinned one.",
                    expected=access.fingerprint, actual="", hint="Reconnect and verify the certificate.") from None
            except ssl.SSLError as exc:
                self._drop(access.fingerprint)
                raise TransientError(f"TLS failed while reading {file}.", detail=str(exc)) from None
            except (OSError, http.client.HTTPException) as exc:
                self._drop(access.fingerprint)
                last = type(exc).__name__
            finally:
                if access.single_use:
                    self._drop(access.fingerprint)  # a ticketed connection has served its one request
            time.sleep(min(2.0, 0.1 * 2 ** attempt))
        raise TransientError(f"Reading {file} from datastore {self.datastore} kept failing ({last}).",
                             hint="Retry; check the network path to vCenter/ESXi and the datastore's health.")

    def _read_exact(self, resp: http.client.HTTPResponse, into: memoryview) -> bool:
        """The body into the caller's buffer, socket to buffer in C; False when the server sent less."""
        got, length = 0, into.nbytes
        while got < length:
            n = resp.readinto(into[got:])
            if not n:
                return False
            got += n
        return True

    def _discard(self, resp: http.client.HTTPResponse, fingerprint: str) -> None:
        """Finish a response so the connection can carry the next request; a big unwanted body closes it."""
        if resp.isclosed():
            return
        if resp.length is not None and resp.length <= MAX_DESCRIPTOR:
            resp.read()
        else:
            self._drop(fingerprint)


class VSphereDiskReader:
    """DiskReader over the flat extents of a base disk frozen by a snapshot.

    ``read`` returns a fresh ``bytearray`` (bytes-like, as ``DiskReader`` allows) and ``read_into`` fills the
    caller's buffer: either way the body lands straight from the socket, with no copy into ``bytes``.
    """

    def __init__(self, files: DatastoreFiles, extents: list[FlatExtent], capacity: int, *, name: str = "") -> None:
        self._files = files
        self._extents = extents
        self.capacity = capacity
        self.name = name
        self.requests = 0

    @property
    def files(self) -> DatastoreFiles:
        return self._files

    def read(self, offset: int, length: int) -> bytearray:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")
        buf = bytearray(max(0, min(offset + length, self.capacity) - offset))
        self.read_into(offset, memoryview(buf))
        return buf

    def read_into(self, offset: int, into: memoryview) -> None:
        """Fill ``into`` with the disk's bytes from ``offset``; ``offset + len(into)`` must not pass the end."""
        end = offset + into.nbytes
        if offset < 0 or end > self.capacity:
            raise ValueError(f"read of {into.nbytes} bytes at {offset} is outside {self.name} ({self.capacity})")
        pos = offset
        while pos < end:  # one request per read is the rule: flat extents are GiBs long
            ext = next((e for e in self._extents if e.start <= pos < e.start + e.size), None)
            if ext is None:  # descriptor shorter than the disk: vSphere reads zeros there
                into[pos - offset:] = bytes(end - pos)
                return
            n = min(end, ext.start + ext.size) - pos
            self.requests += 1
            self._files.get_into(ext.file, ext.file_offset + pos - ext.start, into[pos - offset:pos - offset + n])
            pos += n

    def close(self) -> None:
        self._files.close()

    def worker_spec(self) -> WorkerDisk:
        """This reader as a copy worker opens it; credentials come from this process (``DatastoreFiles.spec``)."""
        from .reader_spec import ReaderSpec

        files, services = self._files.spec()
        return WorkerDisk(ReaderSpec(files, tuple(self._extents), self.capacity, self.name), services)


def open_reader(files: DatastoreFiles, descriptor: str, capacity: int) -> VSphereDiskReader:
    """Fetch and parse the descriptor, then read its flat extents."""
    text = files.get(descriptor).decode("utf-8", errors="replace")
    extents = parse_descriptor(text, name=descriptor)
    return VSphereDiskReader(files, extents, capacity, name=descriptor)
