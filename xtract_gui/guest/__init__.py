"""Guest channels: run resource scripts inside a guest over WinRM, VMware Tools guest operations or SSH.

The composition root builds ``GuestChannels(winrm=WinRmChannelFactory(), vmtools=VmToolsChannelFactory(
xtract_gui.wiring.service_instance_provider(source)))`` and hands it to the engine as its
``GuestChannelFactory``. Which task runs when, with which parameters, is the engine's business
(``xtract_gui.engine.prep.run_sequence``); the scripts come from ``xtract_gui.resources``.
"""

from .factory import GuestChannels
from .ssh_channel import SshChannel, SshChannelFactory
from .vmtools_channel import VmToolsChannel, VmToolsChannelFactory
from .winrm_channel import WinRmChannel, WinRmChannelFactory

__all__ = ["GuestChannels", "SshChannel", "SshChannelFactory", "VmToolsChannel", "VmToolsChannelFactory",
           "WinRmChannel", "WinRmChannelFactory"]
