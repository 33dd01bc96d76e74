"""Warm migration's write path: a pure-Python NFSv3 client and the NFS ``DiskWriter``.

The laptop writes raw disk files straight into the AHV storage container over NFSv3 (TCP, AUTH_SYS), as
Nutanix Move does; no OS mount, so it works the same from Windows, macOS and Linux.
"""

from .container import NfsContainer, laptop_address, whitelist_entry
from .errors import (
    NfsAccessDeniedError,
    NfsError,
    NfsExportNotFoundError,
    NfsNoSpaceError,
    NfsNotFoundError,
    NfsProtocolError,
    NfsServerBusyError,
    NfsStaleHandleError,
    NfsUnreachableError,
)
from .writer import NfsDiskWriter

__all__ = [
    "NfsAccessDeniedError",
    "NfsContainer",
    "NfsDiskWriter",
    "NfsError",
    "NfsExportNotFoundError",
    "NfsNoSpaceError",
    "NfsNotFoundError",
    "NfsProtocolError",
    "NfsServerBusyError",
    "NfsStaleHandleError",
    "NfsUnreachableError",
    "laptop_address",
    "whitelist_entry",
]
