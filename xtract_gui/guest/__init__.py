"""Guest channels: run resource scripts inside a guest over WinRM or VMware Tools guest operations.

The composition root builds ``GuestChannels(winrm=WinRmChannelFactory(), vmtools=VmToolsChannelFactory(
lambda: <the source's connected vim.ServiceInstance>))`` and hands it to the engine as its
``GuestChannelFactory``; ``run_sequence`` runs a phase's tasks over any opened channel.
"""

from .factory import GuestChannels
from .runner import SequenceReport, TaskOutcome, load_manifest, read_resource, run_sequence, task_params
from .vmtools_channel import VmToolsChannel, VmToolsChannelFactory
from .winrm_channel import WinRmChannel, WinRmChannelFactory

__all__ = [
    "GuestChannels", "SequenceReport", "TaskOutcome", "VmToolsChannel", "VmToolsChannelFactory", "WinRmChannel",
    "WinRmChannelFactory", "load_manifest", "read_resource", "run_sequence", "task_params",
]
