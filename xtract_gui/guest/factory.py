"""The ``GuestChannelFactory`` the composition root hands to the engine: dispatch on ``target.channel``."""

from __future__ import annotations

from ..domain.errors import ConfigurationError
from ..engine.ports import GuestChannel, GuestTarget
from .ssh_channel import SshChannelFactory
from .vmtools_channel import VmToolsChannelFactory
from .winrm_channel import WinRmChannelFactory


class GuestChannels:
    """``open(target)`` gives a WinRM, VMware Tools or SSH channel; any factory may be absent."""

    def __init__(self, *, winrm: WinRmChannelFactory | None = None,
                 vmtools: VmToolsChannelFactory | None = None, ssh: SshChannelFactory | None = None) -> None:
        self.winrm = winrm
        self.vmtools = vmtools
        self.ssh = ssh

    def open(self, target: GuestTarget) -> GuestChannel:
        if target.channel == "winrm":
            if self.winrm is None:
                raise ConfigurationError("WinRM guest channels are not available in this session.")
            return self.winrm.open(target)
        if target.channel == "vmtools":
            if self.vmtools is None:
                raise ConfigurationError(
                    "VMware Tools guest operations need the vCenter connection, which is not open.",
                    hint="Connect to the source vCenter first.")
            return self.vmtools.open(target)
        if target.channel == "ssh":
            if self.ssh is None:
                raise ConfigurationError("SSH guest channels are not available in this session.")
            return self.ssh.open(target)
        raise ConfigurationError(f"Unknown guest channel {target.channel!r} for {target.vm_id}.",
                                 hint="Choose WinRM, VMware Tools or SSH in the guest credentials page.")
