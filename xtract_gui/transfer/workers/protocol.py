"""What the engine and a copy worker say to each other over the worker's pipe.

Every message is a tuple whose first item names it.  Engine → worker: ``("copy", task, CopyOrder)``,
``("cancel", task)``, ``("limited", bool)`` (whether chunks must ask for bandwidth tokens),
``("reply", call, ok, value)``, ``("import", modules)`` (answered ``("ready",)``) and
``("stop",)``.  Worker → engine: ``("progress", task, CopyProgress)``,
``("cursor", task, [(offset, length), …])`` (sent after the writer's flush and read-back: the engine
records it), ``("call", call, task, name, args)`` (a service of the task's reader or writer, or
``"tokens"``), ``("done", task, CopyResult)`` and ``("failed", task, packed error)``.
"""

from __future__ import annotations

import pickle
import traceback
from dataclasses import dataclass, field
from typing import Any

from ...domain.errors import TransientError, XtractError
from ...domain.extents import Extent

TOKENS = "tokens"  # the call that reserves bandwidth in the engine's one bucket


@dataclass(frozen=True)
class CopyOrder:
    """One disk copy as a worker gets it: the two specs, the extents, the cursor so far and ``copy_disk``'s knobs."""

    reader: Any  # WorkerDisk.spec of the reader
    writer: Any  # WorkerDisk.spec of the writer
    extents: tuple[tuple[int, int], ...]
    done: tuple[tuple[int, int], ...]  # the cursor as the engine last recorded it
    name: str
    options: dict[str, Any] = field(default_factory=dict)

    def extent_list(self) -> list[Extent]:
        return [Extent(o, n) for o, n in self.extents]

    def done_list(self) -> list[Extent]:
        return [Extent(o, n) for o, n in self.done]


def pack_error(err: BaseException) -> bytes:
    """The error as the engine should raise it: itself if it survives pickling, else an ``XtractError`` like it."""
    try:
        data = pickle.dumps(err)
        pickle.loads(data)  # an exception whose __init__ wants other arguments cannot be rebuilt: check now
        return data
    except Exception:  # any pickling failure: describe the error instead
        detail = "".join(traceback.format_exception(err))[-4000:]
        kind = TransientError if isinstance(err, TransientError) else XtractError
        message = getattr(err, "message", "") or str(err) or type(err).__name__
        return pickle.dumps(kind(message, hint=getattr(err, "hint", ""), detail=detail))


def unpack_error(data: bytes) -> BaseException:
    try:
        err = pickle.loads(data)
    except Exception as exc:  # a class the engine cannot import: still an error a person can read
        return XtractError("A copy worker failed with an error this program could not read.", detail=repr(exc))
    return err if isinstance(err, BaseException) else XtractError(f"A copy worker failed: {err!r}")
