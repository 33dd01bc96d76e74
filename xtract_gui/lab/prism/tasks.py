"""Ergon-style tasks of the lab Prism: QUEUED → RUNNING (percentage rising) → SUCCEEDED or FAILED.

The work a task stands for runs at its end, on the task's own thread, so that a client sees the
object appear only when the task has succeeded, as on a real cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .state import PrismState, new_uuid, now_usecs

_KEEP_TASKS = 1000


class TaskFailure(Exception):
    """Raised by a task's work: the task ends FAILED with this code and detail."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class TaskEngine:
    def __init__(self, state: PrismState) -> None:
        self.state = state
        self.duration = 0.05  # seconds from submission to completion; task_delay() changes it
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._failures: list[tuple[str, TaskFailure]] = []  # (operation, failure) for the next such tasks

    def submit(self, operation: str, entities: list[dict[str, str]], work: Callable[[], None], *,
               message: str = "") -> str:
        task_uuid = new_uuid()
        with self.state.lock:
            failure = next((f for f in self._failures if f[0] == operation), None)
            if failure is not None:
                self._failures.remove(failure)
                work = _failing(failure[1])
        task = {"uuid": task_uuid, "operation_type": operation, "status": "QUEUED", "percentage_complete": 0,
                "progress_message": message or operation, "error_code": "", "error_detail": "",
                "entities": entities, "creation_usecs": now_usecs(), "start_usecs": 0, "completion_usecs": 0,
                "cluster_uuid": self.state.cluster["uuid"]}
        with self.state.lock:
            tasks = self.state.data["tasks"]
            tasks[task_uuid] = task
            if len(tasks) > _KEEP_TASKS:  # like Ergon, forget the oldest finished tasks
                done = sorted((t for t in tasks.values() if t["completion_usecs"]), key=lambda t: t["creation_usecs"])
                for old in done[:len(tasks) - _KEEP_TASKS]:
                    del tasks[old["uuid"]]
            self.state.save()
        thread = threading.Thread(target=self._run, args=(task, work), daemon=True,
                                  name=f"prism-task-{operation}")
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()
        return task_uuid

    def _run(self, task: dict[str, Any], work: Callable[[], None]) -> None:
        # ``duration`` is read at every step, so task_delay() also speeds up or slows down running tasks.
        steps = 5
        if self._pause(0.2):
            return
        with self.state.lock:
            task.update(status="RUNNING", start_usecs=now_usecs(), percentage_complete=10)
        for i in range(1, steps):
            if self._pause(0.8 / steps):
                return
            with self.state.lock:
                task["percentage_complete"] = 10 + i * 80 // steps
        try:
            work()
        except TaskFailure as failure:
            with self.state.lock:
                task.update(status="FAILED", error_code=failure.code, error_detail=failure.detail)
        except Exception as exc:  # a bug in the simulator must still end the task, as Ergon would
            with self.state.lock:
                task.update(status="FAILED", error_code="INTERNAL_ERROR", error_detail=repr(exc))
        else:
            with self.state.lock:
                task.update(status="SUCCEEDED")
        with self.state.lock:
            task.update(percentage_complete=100, completion_usecs=now_usecs())
            self.state.save()

    def _pause(self, share: float) -> bool:
        """Wait ``share`` of the task duration in small slices; True when the engine stops meanwhile."""
        waited = 0.0
        while waited < share * self.duration:
            step = min(0.05, share * self.duration - waited)
            if self._stop.wait(step):
                return True
            waited += step
        return False

    def fail_next(self, operation: str, code: str, detail: str) -> None:
        """The next task of ``operation`` ("ImageUpload", "kVmCreate", …) ends FAILED instead of doing its work."""
        with self.state.lock:
            self._failures.append((operation, TaskFailure(code, detail)))

    def get(self, task_uuid: str) -> dict[str, Any] | None:
        with self.state.lock:
            task = self.state.data["tasks"].get(task_uuid)
            return dict(task) if task else None

    def resume(self) -> None:
        self._stop.clear()

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)


def _failing(failure: TaskFailure) -> Callable[[], None]:
    def work() -> None:
        raise failure
    return work
