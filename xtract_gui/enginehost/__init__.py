"""The engine in a process of its own, for the desktop app.

Under the GUI the engine used to share the app's interpreter: its asyncio loop was the GUI thread (qasync)
and its adapter calls ran in threads of the same process.  Every WinRM envelope parsed, every Prism reply
decoded and every job step is Python, and the GUI thread had to win the one GIL back from those threads
after each call into Qt; ``benchmarks/stall_perf.py`` found it asleep on the GIL for most of every late
beat.  So the app starts the engine (``JobManager`` with its adapters, its copy workers below it) in a
spawned child and keeps only a facade of the same shape (``client.RemoteManager``); the GUI's interpreter
decides nothing and draws.

``server.py`` is the child; ``client.py`` the facade; ``EngineOptions`` what the child needs to build the
engine.  Passwords never go into the child's arguments: the child asks the app's ``SecretStore`` for each
one over the pipe when the engine needs it, as the in-process engine did.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class EngineOptions:
    """How the child builds its ``JobManager`` (``wiring.build_manager``'s arguments but the secrets)."""

    state_dir: Path | None = None
    tuning: Any = None  # engine.context.Tuning
    owner: str = ""
