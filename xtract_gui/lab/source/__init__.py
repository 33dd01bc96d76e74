"""The lab's in-process vSphere stand-in (see ``platform.LabSource`` for what it does and does not do)."""

from .platform import LabSource

__all__ = ["LabSource"]
