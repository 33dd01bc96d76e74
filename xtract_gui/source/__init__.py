"""The vSphere source adapter: vCenter through pyVmomi, disk data through datastore HTTPS."""

from __future__ import annotations

from .connect import connect_vsphere, reachable_host
from .platform import VSphereSource
from .reader import VSphereDiskReader, parse_descriptor
from .tls import probe_certificate

__all__ = [
    "VSphereDiskReader",
    "VSphereSource",
    "connect_vsphere",
    "parse_descriptor",
    "probe_certificate",
    "reachable_host",
]
