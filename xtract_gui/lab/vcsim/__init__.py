"""govmomi's vCenter simulator with our extensions (Go sources in ``go/``): the lab's SOAP-wire vCenter.

It needs Go and Debian's govmomi sources to build (``build.py``); the built-in Python lab source needs
neither.
"""

from __future__ import annotations

from .build import VcsimUnavailable, build_vcsim, go_sources, source_hash
from .process import VcsimProcess, start_vcsim

__all__ = ["VcsimProcess", "VcsimUnavailable", "build_vcsim", "go_sources", "source_hash", "start_vcsim"]
