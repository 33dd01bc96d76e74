"""Which address reaches an ESXi host: shared by the source adapter (datastore reads with a ticket) and the
VMware Tools guest channel (guest file transfers), which may not import each other.

vCenter knows a host by the name it was added with, which the laptop may not resolve.  Like govmomi
(object/host_system.go ManagementIPs, internal/helpers.go HostSystemManagementIPs and
guest/file_manager.go TransferURL, commit fd06160642a8c3609c0cd86e2bc25f2b4e974631), the host's management
IP is used when it has exactly one; with several we cannot tell which one routes, so the name stays.
"""

from __future__ import annotations

import ipaddress
from typing import Any

NET_CONFIG = "config.virtualNicManagerInfo.netConfig"


def management_ips(net_config: list[Any]) -> list[str]:
    """IPs of the selected vmknics of the "management" NIC type (pyVmomi VirtualNicManagerNetConfig objects)."""
    ips: list[str] = []
    for nc in net_config or []:
        if getattr(nc, "nicType", "") != "management":
            continue
        selected = set(getattr(nc, "selectedVnic", None) or [])
        for vnic in getattr(nc, "candidateVnic", None) or []:
            ip = getattr(getattr(getattr(vnic, "spec", None), "ip", None), "ipAddress", "") or ""
            if getattr(vnic, "key", None) in selected and _is_ip(ip) and ip not in ips:
                ips.append(ip)
    return ips


def host_address(name: str, net_config: list[Any]) -> str:
    """The one management IP of a host, else its inventory name."""
    ips = management_ips(net_config)
    return ips[0] if len(ips) == 1 else name


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
