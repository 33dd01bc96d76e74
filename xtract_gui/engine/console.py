"""Turning engine events and job snapshots into terminal lines (the CLI and the headless demo)."""

from __future__ import annotations

import dataclasses
import json
import time

from .events import Event, JobStateChanged, LogLine, Progress, StepChanged, StepState, SyncSummary
from .views import JobSnapshot


class Printer:
    def __init__(self, as_json: bool, names: dict[str, str] | None = None) -> None:
        self.as_json = as_json
        self.names = names or {}
        self._last_progress: dict[str, float] = {}

    def __call__(self, event: Event) -> None:
        if self.as_json:
            d = dataclasses.asdict(event)
            print(json.dumps({"event": type(event).__name__, **{k: getattr(v, "value", v) for k, v in d.items()}}),
                  flush=True)
            return
        name = self.names.get(getattr(event, "vm_id", ""), getattr(event, "vm_id", ""))
        if isinstance(event, JobStateChanged):
            line = f"{event.old.value} -> {event.new.value}" + (f" ({event.reason})" if event.reason else "")
        elif isinstance(event, StepChanged):
            if event.state is StepState.RUNNING:
                line = f"{event.title} ..."
            else:
                line = f"{event.title}: {event.state.value}" + (f" - {event.message}" if event.message else "")
        elif isinstance(event, SyncSummary):
            line = (f"{'seed' if event.sync_number == 0 else f'sync {event.sync_number}'}: {event.bytes_copied} "
                    f"bytes in {event.seconds:.1f} s, projected downtime {event.projected_downtime_seconds:.0f} s")
        elif isinstance(event, Progress):
            now = time.monotonic()
            if now - self._last_progress.get(event.vm_id, 0.0) < 2.0 and event.done_bytes < event.total_bytes:
                return
            self._last_progress[event.vm_id] = now
            line = f"{event.step_id}: {event.fraction:.0%} of {event.total_bytes} bytes"
        elif isinstance(event, LogLine) and event.level in ("WARNING", "ERROR"):
            line = f"{event.level.lower()}: {event.message}"
        else:
            return
        print(f"{time.strftime('%H:%M:%S')} {name:<14} {line}", flush=True)

    def line(self, vm_id: str, text: str) -> None:
        """A line about a VM that no event of this process carries (a job another process drives)."""
        if self.as_json:
            print(json.dumps({"event": "Watched", "vm_id": vm_id, "message": text}), flush=True)
        else:
            print(f"{time.strftime('%H:%M:%S')} {self.names.get(vm_id, vm_id):<14} {text}", flush=True)


def status_table(jobs: list[JobSnapshot]) -> str:
    rows = [("VM", "STATE", "STEP", "SYNCS", "LAST DELTA", "DOWNTIME", "ERROR")]
    for j in jobs:
        state = "done, not verified" if j.state.value == "done_unverified" else j.state.value
        rows.append((j.name, state + (" (ready)" if j.ready_for_cutover else ""), j.step_title,
                     str(max(0, j.sync_count)) if j.sync_count >= 0 else "-", str(j.last_delta_bytes),
                     f"{j.downtime_seconds:.0f}s" if j.downtime_seconds is not None else
                     f"~{j.projected_downtime_seconds:.0f}s" if j.projected_downtime_seconds else "-",
                     (j.check or j.error)[:60]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)
