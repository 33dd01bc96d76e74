"""Reading a source disk's flat extent over HTTPS with ``Range`` requests.

vCenter serves datastore files at ``/folder/<path>?dcPath=<dc>&dsName=<ds>`` to a client holding
its SOAP session cookie; an ESXi host serves the same path (``dcPath=ha-datacenter``) to a client
holding a single-use ``vmware_cgi_ticket`` from ``AcquireGenericServiceTicket``.  The descriptor
``.vmdk`` names the flat extent(s); only flat extents (monolithicFlat, vmfs, twoGbMaxExtentFlat) are
readable this way.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    IntegrityError,
    NotFoundError,
    TransientError,
    UnsupportedError,
    XtractError,
)
from .tls import normalize_fingerprint

_EXTENT = re.compile(r'^\s*(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)\s+"([^"]+)"(?:\s+(\d+))?', re.MULTILINE)
_CREATE_TYPE = re.compile(r'^\s*createType\s*=\s*"([^"]+)"', re.MULTILINE)
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
    extents: list[FlatExtent] = []
    start = 0
    for _access, sectors, kind, file, offset in _EXTENT.findall(text):
        if kind.upper() not in _FLAT_TYPES:
            raise UnsupportedError(
                f"The disk {name} is a {create_type or kind} disk ({kind} extent), not a flat one.",
                hint="Only flat (thick or thin VMFS/NFS) disks are read over HTTPS; consolidate the VM's "
                     "snapshots and convert RDM or sparse disks first.")
        size = int(sectors) * 512
        extents.append(FlatExtent(file=file, start=start, size=size, file_offset=int(offset or 0) * 512))
        start += size
    if not extents:
        raise UnsupportedError(f"{name} is not a VMDK descriptor with flat extents.",
                               hint="vSAN and vVols datastores have no flat files; they need a VDDK reader.")
    return extents


class _PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate with the pinned fingerprint (SHA-256, or SHA-1 from a host ticket)."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = normalize_fingerprint(fingerprint)
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request: Any, verify: Any,
                                             cert: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        # Chain and name checks are replaced by the fingerprint check, which urllib3 counts as verified.
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, False, cert)
        pool_kwargs["cert_reqs"] = "CERT_NONE"
        pool_kwargs["assert_fingerprint"] = self._fingerprint
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        super().cert_verify(conn, url, False, cert)


@dataclass(frozen=True)
class Access:
    """How one request is authenticated: cookies and the certificate pin of the server ("" = CA checks)."""

    cookies: dict[str, str]
    fingerprint: str = ""


class DatastoreFiles:
    """GETs files of one datastore folder; thread-safe (one requests.Session per thread and pin)."""

    def __init__(self, base_url: str, datacenter: str, datastore: str, folder: str,
                 access: Callable[[str], Access], *, renew: Callable[[], None] | None = None,
                 timeout: float = 60, retries: int = 4) -> None:
        self.base_url = base_url.rstrip("/")
        self.datacenter = datacenter
        self.datastore = datastore
        self.folder = folder.strip("/")
        self._access = access
        self._renew = renew
        self._timeout = timeout
        self._retries = retries
        self._local = threading.local()
        self._all: list[requests.Session] = []
        self._all_lock = threading.Lock()

    def url(self, file: str) -> str:
        path = quote(f"{self.folder}/{file}" if self.folder else file)
        return f"{self.base_url}/folder/{path}?" + urlencode({"dcPath": self.datacenter, "dsName": self.datastore})

    def _session(self, fingerprint: str) -> requests.Session:
        sessions: dict[str, requests.Session] = getattr(self._local, "sessions", None) or {}
        self._local.sessions = sessions
        if fingerprint not in sessions:
            s = requests.Session()
            if fingerprint:
                s.mount("https://", _PinnedAdapter(fingerprint))
            sessions[fingerprint] = s
            with self._all_lock:
                self._all.append(s)
        return sessions[fingerprint]

    def close(self) -> None:
        """Close the connections of every thread that read through this object."""
        with self._all_lock:
            sessions, self._all = self._all, []
        for s in sessions:
            s.close()

    def get(self, file: str, offset: int = 0, length: int | None = None) -> bytes:
        """``length`` bytes from ``offset`` (exact), or the whole file when ``length`` is None."""
        url = self.url(file)
        headers = {} if length is None else {"Range": f"bytes={offset}-{offset + length - 1}"}
        renewed = False
        last: str = ""
        for attempt in range(self._retries):
            access = self._access(url)
            try:
                r = self._session(access.fingerprint).get(url, headers=headers, cookies=access.cookies,
                                                          timeout=self._timeout, stream=length is None)
                try:
                    if r.status_code in (401, 403):
                        if not renewed and self._renew is not None:
                            renewed = True
                            self._renew()
                            continue
                        raise AuthenticationError(f"The datastore refused to serve {file} ({r.status_code}).",
                                                  hint="Check that the account may browse datastores "
                                                       "(Datastore.Browse) and connect again.")
                    if r.status_code == 404:
                        raise NotFoundError(f"{file} is not on datastore {self.datastore}.",
                                            hint="Refresh the inventory: the disk may have moved.")
                    if r.status_code >= 500:
                        last = f"HTTP {r.status_code}"
                    elif length is None:
                        body = r.raw.read(MAX_DESCRIPTOR + 1, decode_content=True)
                        if len(body) > MAX_DESCRIPTOR:
                            raise UnsupportedError(f"{file} is not a plain descriptor (it is larger than 64 KiB).",
                                                   hint="Sparse and streamOptimized disks are not read over HTTPS.")
                        return bytes(body)
                    elif r.status_code == 206 and len(r.content) == length:
                        return r.content
                    elif r.status_code == 200 and offset == 0 and len(r.content) >= length:
                        return r.content[:length]  # a server that ignores Range sent the whole file
                    else:
                        last = f"HTTP {r.status_code} with {len(r.content)} of {length} bytes"
                finally:
                    r.close()
            except requests.exceptions.SSLError as exc:
                if "fingerprint" in str(exc).lower():
                    raise CertificateMismatchError(
                        f"The datastore server {self.base_url} presented a certificate other than the pinned one.",
                        expected=access.fingerprint, actual="", hint="Reconnect and verify the certificate.") from None
                raise TransientError(f"TLS failed while reading {file}.", detail=str(exc)) from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                last = type(exc).__name__
            time.sleep(min(2.0, 0.1 * 2 ** attempt))
        raise TransientError(f"Reading {file} from datastore {self.datastore} kept failing ({last}).",
                             hint="Retry; check the network path to vCenter/ESXi and the datastore's health.")


class VSphereDiskReader:
    """DiskReader over the flat extents of a base disk frozen by a snapshot."""

    def __init__(self, files: DatastoreFiles, extents: list[FlatExtent], capacity: int, *, name: str = "") -> None:
        self._files = files
        self._extents = extents
        self.capacity = capacity
        self.name = name
        self.requests = 0

    @property
    def files(self) -> DatastoreFiles:
        return self._files

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0:
            raise ValueError("offset and length must not be negative")
        end = min(offset + length, self.capacity)
        out = bytearray()
        pos = offset
        while pos < end:
            ext = next((e for e in self._extents if e.start <= pos < e.start + e.size), None)
            if ext is None:  # descriptor shorter than the disk: vSphere reads zeros there
                out += bytes(end - pos)
                break
            n = min(end, ext.start + ext.size) - pos
            self.requests += 1
            out += self._files.get(ext.file, ext.file_offset + pos - ext.start, n)
            pos += n
        if len(out) != max(0, end - offset):
            raise IntegrityError(f"Read {len(out)} bytes of {self.name} instead of {end - offset}.")
        return bytes(out)

    def close(self) -> None:
        self._files.close()


def open_reader(files: DatastoreFiles, descriptor: str, capacity: int) -> VSphereDiskReader:
    """Fetch and parse the descriptor, then read its flat extents."""
    try:
        text = files.get(descriptor).decode("utf-8", errors="replace")
    except XtractError:
        raise
    extents = parse_descriptor(text, name=descriptor)
    return VSphereDiskReader(files, extents, capacity, name=descriptor)
