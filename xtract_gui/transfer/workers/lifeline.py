"""A copy worker never outlives the app, however the app ends (a crash, the task manager, SIGKILL).

Three ties, one per system, plus one everywhere:

* Linux: the worker asks the kernel for SIGKILL when its parent goes (``prctl(PR_SET_PDEATHSIG)``).  The
  kernel means the parent *thread* that started it, so each worker is started by the engine thread that
  serves it for its whole life (``pool.py``).  The parent may already be gone when the worker arms it:
  then ``getppid()`` is no longer the parent's pid, and the worker leaves at once.
* Windows: every worker is put into one job object with ``JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE``; only the app
  holds the job's handle, so when the app ends in any way Windows closes it and ends every worker.
  (Written to the Win32 documentation of CreateJobObjectW/SetInformationJobObject/AssignProcessToJobObject;
  not run here: CI has no Windows runner for the Python side.)
* macOS has neither: there, as everywhere, the worker's pipe to the app reaches its end (EOF) when the app
  is gone, and the worker's main thread, which does nothing but read that pipe, exits the process at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1
_JOB: Any = None  # Windows: the job object every worker of this app belongs to


def bind_to_parent(parent_pid: int) -> None:
    """Called first thing in a worker: die with the parent (Linux), and leave now if it is gone already."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # no prctl (an unusual libc): the pipe's EOF still ends the worker
            pass
    if os.getppid() != parent_pid:
        os._exit(3)


def adopt(process: Any) -> None:
    """In the app, right after a worker started: on Windows, into the app's kill-on-close job object."""
    if sys.platform != "win32":
        return
    global _JOB
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    if _JOB is None:
        class _Basic(ctypes.Structure):
            _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                        ("LimitFlags", wintypes.DWORD), ("MinimumWorkingSetSize", ctypes.c_size_t),
                        ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", wintypes.DWORD),
                        ("Affinity", ctypes.c_size_t), ("PriorityClass", wintypes.DWORD),
                        ("SchedulingClass", wintypes.DWORD)]

        class _Io(ctypes.Structure):
            _fields_ = [(name, ctypes.c_uint64) for name in ("ReadOperationCount", "WriteOperationCount",
                                                              "OtherOperationCount", "ReadTransferCount",
                                                              "WriteTransferCount", "OtherTransferCount")]

        class _Extended(ctypes.Structure):
            _fields_ = [("BasicLimitInformation", _Basic), ("IoInfo", _Io), ("ProcessMemoryLimit", ctypes.c_size_t),
                        ("JobMemoryLimit", ctypes.c_size_t), ("PeakProcessMemoryUsed", ctypes.c_size_t),
                        ("PeakJobMemoryUsed", ctypes.c_size_t)]

        kernel32.CreateJobObjectW.restype = wintypes.HANDLE
        job = kernel32.CreateJobObjectW(None, None)
        if not job:
            return  # no job object: the pipe's EOF is the tie
        info = _Extended()
        info.BasicLimitInformation.LimitFlags = 0x2000  # JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
        if not kernel32.SetInformationJobObject(job, 9, ctypes.byref(info), ctypes.sizeof(info)):  # Extended
            kernel32.CloseHandle(job)
            return
        _JOB = job
    handle = getattr(getattr(process, "_popen", None), "_handle", None)
    if handle is not None:
        kernel32.AssignProcessToJobObject(_JOB, wintypes.HANDLE(int(handle)))
