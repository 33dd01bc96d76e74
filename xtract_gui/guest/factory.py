"""The ``GuestChannelFactory`` the composition root hands to the engine: dispatch on ``target.channel``."""

from __future__ import annotations

from ..domain.errors import ConfigurationError
from ..engine.ports import GuestChannel, GuestTarget
from .vmtools_channel import VmToolsChannelFactory
from .winrm_channel import WinRmChannelFactory


class GuestChannels:
    """``open(target)`` gives a WinRM or a VMware Tools channel; either factory may be absent."""

    def __init__(self, *, winrm: WinRmChannelFactory | None = None,
                 vmtools: VmToolsChannelFactory | None = None) -> None:
        self.winrm = winrm
        self.vmtools = vmtools

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
        raise ConfigurationError(f"Unknown guest channel {target.channel!r} for {target.vm_id}.",
                                 hint="Choose WinRM or VMware Tools in the guest credentials page.")
