"""Run a phase's guest tasks in order over any ``GuestChannel``; stop at the first required failure.

Uses the port only (no pywinrm, no pyVmomi), so the engine may call it as it is or absorb it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..domain.errors import CancelledError, ConfigurationError, GuestScriptError, XtractError
from ..domain.guest_tasks import GuestTask, parse_manifest
from ..domain.redact import scrub
from ..engine.ports import Cancellation, GuestChannel, ProgressFn, ScriptResult, no_progress
from ..paths import resources_dir

log = logging.getLogger("xtract_gui.guest.runner")


def load_manifest(root: Path | None = None) -> list[GuestTask]:
    path = (root or resources_dir()) / "manifest.json"
    try:
        return parse_manifest(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"Cannot read the guest task list {path}: {exc}.",
                                 hint="Reinstall the application; the resources folder is incomplete.") from None


def read_resource(relative: str, root: Path | None = None) -> str:
    path = (root or resources_dir()) / relative
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"The guest script {relative} is missing ({exc.strerror}).",
                                 hint="Reinstall the application; the resources folder is incomplete.") from None


def task_params(task: GuestTask, values: Mapping[str, Any], loader: Callable[[str], str] = read_resource
                ) -> dict[str, Any]:
    """The task's own parameters out of everything the plan provides; ``extra.param_files`` filled from files."""
    params = {name: values[name] for name in task.params if name in values and values[name] is not None}
    for name, relative in dict(task.extra.get("param_files", {})).items():
        params.setdefault(name, loader(str(relative)))
    return params


@dataclass(frozen=True)
class TaskOutcome:
    task: GuestTask
    result: ScriptResult | None  # None when the channel itself failed
    error: str = ""  # why it failed, in words for the job monitor

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok and not self.error

    @property
    def changed(self) -> bool:
        return bool(self.result is not None and self.result.result.get("changed"))

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        return str(self.result.result.get("message", "")) if self.result is not None else ""

    @property
    def warnings(self) -> list[str]:
        return [str(w) for w in (self.result.result.get("warnings") or [])] if self.result is not None else []


@dataclass
class SequenceReport:
    outcomes: list[TaskOutcome] = field(default_factory=list)
    failed: TaskOutcome | None = None  # the required task that stopped the sequence

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def changed(self) -> bool:
        return any(o.changed for o in self.outcomes)

    def raise_for_failure(self) -> None:
        if self.failed is None:
            return
        res = self.failed.result
        raise GuestScriptError(
            f"Guest task \"{self.failed.task.title}\" ({self.failed.task.id}) failed: {self.failed.message}",
            task_id=self.failed.task.id, exit_code=res.exit_code if res is not None else -1,
            result=res.result if res is not None else None,
            hint="Fix the cause in the guest and run the preparation again; tasks already done are skipped safely.",
            detail=res.stderr[-2000:] if res is not None else "")


def _failure_text(result: ScriptResult) -> str:
    message = str(result.result.get("message") or "").strip()
    if message:
        return message
    tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
    return f"exit code {result.exit_code}, no result line" + (f": {tail[0][:300]}" if tail[0] else "")


def run_sequence(channel: GuestChannel, tasks: Sequence[GuestTask], values: Mapping[str, Any], *,
                 loader: Callable[[str], str] = read_resource, progress: ProgressFn = no_progress,
                 cancel: Cancellation | None = None) -> SequenceReport:
    """Run ``tasks`` in their order; an optional task's failure becomes a warning, a required one stops.

    ``values`` holds every parameter the plan provides (secrets resolved); each task gets only its own.
    Cancellation propagates as ``CancelledError`` after the running task was stopped in the guest.
    """
    report = SequenceReport()
    ordered = sorted(tasks, key=lambda t: t.order)
    secrets = [str(values[n]) for t in ordered for n in t.secret_params if values.get(n)]
    for index, task in enumerate(ordered):
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Guest preparation was cancelled before \"{task.title}\".")
        progress(index / max(1, len(ordered)), task.title)
        params = task_params(task, values, loader)
        try:
            result = channel.run_task(task, loader(task.script), params, timeout=task.timeout_seconds, cancel=cancel)
        except CancelledError:
            raise
        except XtractError as exc:
            outcome = TaskOutcome(task, None, error=str(exc))
        else:
            outcome = TaskOutcome(task, result, error="" if result.ok else _failure_text(result))
        report.outcomes.append(outcome)
        if outcome.ok:
            log.info("guest task %s: ok, changed=%s", task.id, outcome.changed)
            continue
        log.warning("guest task %s failed%s: %s", task.id, " (optional)" if task.optional else "",
                    scrub(outcome.message, secrets))
        if not task.optional:
            report.failed = outcome
            break
    progress(1.0, "done" if report.ok else f"failed: {report.failed.task.title if report.failed else ''}")
    return report
