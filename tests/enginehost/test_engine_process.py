"""The app's engine in a process of its own (``xtract_gui.enginehost``): the facade against a real child."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.fakes import make_plan
from tests.support.processes import alive, eventually
from xtract_gui.domain.errors import NotFoundError, XtractError
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import EngineLost, JobStateChanged
from xtract_gui.enginehost import EngineOptions
from xtract_gui.enginehost.client import EngineLostError, RemoteManager
from xtract_gui.lab.source import LabSource
from xtract_gui.paths import log_dir
from xtract_gui.wiring import DictSecrets

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PASSWORD = "s3cret-only-in-the-app"


class RecordingSecrets(DictSecrets):
    """The app's store: remembers which thread and process each lookup ran in."""

    def __init__(self) -> None:
        super().__init__({("xtract-test", "source"): SOURCE_PASSWORD, ("xtract-test", "target"): "t",
                          ("xtract-test", "guest"): "g"})
        self.asked: list[tuple[str, str, int, str]] = []

    def get(self, service: str, username: str) -> str | None:
        self.asked.append((service, username, os.getpid(), threading.current_thread().name))
        return super().get(service, username)


@pytest.fixture
def engine(tmp_path: Path, xtract_home: Path) -> Iterator[tuple[RemoteManager, RecordingSecrets]]:
    secrets = RecordingSecrets()
    manager = RemoteManager.launch(secrets=secrets, options=EngineOptions(state_dir=tmp_path / "state", owner="test"))
    try:
        yield manager, secrets
    finally:
        asyncio.run(manager.close())


def test_the_engine_answers_from_its_own_process(engine: tuple[RemoteManager, RecordingSecrets]) -> None:
    manager, _ = engine
    assert manager.pid and manager.pid != os.getpid()

    async def journey() -> None:
        assert await manager.jobs_async() == []
        manager.set_bandwidth_limit(42)  # told: the GUI thread never waits for it
        assert await manager.bandwidth_limit_async() == 42.0  # calls are answered in the order they were sent
        with pytest.raises(NotFoundError, match="No migration job for VM vm-nope") as caught:
            await manager.retry(["vm-nope"])
        assert "xtract-gui status" in caught.value.hint  # the error's parts cross the pipe, not only its text

    asyncio.run(journey())
    assert manager.plan_ids() == []
    assert manager.bandwidth_limit() == 42.0


def test_passwords_reach_the_engine_over_the_pipe_and_nowhere_else(
        engine: tuple[RemoteManager, RecordingSecrets], tmp_path: Path) -> None:
    manager, secrets = engine
    lab = LabSource.create(tmp_path / "lab", vms=1)
    events: list[object] = []
    manager.subscribe(events.append)

    async def start() -> None:
        await manager.start(make_plan(lab))

    asyncio.run(start())
    # The target "fake" cannot be reached: the job fails, and says so in an event that crossed the pipe.
    assert eventually(lambda: any(isinstance(e, JobStateChanged) and e.new is JobState.FAILED for e in events), 60)
    failed = next(e for e in events if isinstance(e, JobStateChanged) and e.new is JobState.FAILED)
    assert "fake" in failed.reason, failed.reason
    looked_up = {(s, u) for s, u, _pid, _thread in secrets.asked}
    assert ("xtract-test", "source") in looked_up or ("xtract-test", "target") in looked_up, secrets.asked
    assert {pid for _s, _u, pid, _t in secrets.asked} == {os.getpid()}  # answered here, in the app
    for part in ("cmdline", "environ"):
        assert SOURCE_PASSWORD.encode() not in Path(f"/proc/{manager.pid}/{part}").read_bytes()


def test_a_dead_engine_fails_the_waiting_call_and_tells_the_window(tmp_path: Path, xtract_home: Path) -> None:
    manager = RemoteManager.launch(secrets=DictSecrets(), options=EngineOptions(state_dir=tmp_path / "state"))
    told: list[object] = []
    manager.subscribe(told.append)
    os.kill(manager.pid, signal.SIGKILL)
    assert eventually(lambda: any(isinstance(e, EngineLost) for e in told), 10), told
    lost = next(e for e in told if isinstance(e, EngineLost))
    assert "start xtract-gui again" in lost.message
    assert manager.closed  # what the job monitor asks before it would read again

    async def ask() -> None:
        await manager.jobs_async()

    with pytest.raises(EngineLostError, match="The migration engine has stopped"):
        asyncio.run(ask())
    asyncio.run(manager.close())  # closing what is already gone is quiet


def test_the_engine_stops_its_jobs_and_ends_when_the_pipe_closes(tmp_path: Path, xtract_home: Path) -> None:
    """The app gone without a word (macOS has no parent-death signal; the pipe's EOF is the tie there)."""
    manager = RemoteManager.launch(secrets=DictSecrets(), options=EngineOptions(state_dir=tmp_path / "state"))
    told: list[object] = []
    manager.subscribe(told.append)
    manager.hang_up()  # what the app's death does to its end of the pipe
    manager.process.join(timeout=30)
    assert manager.process.exitcode == 0  # it closed its engine and left, rather than being killed
    assert "[engine] xtract_gui.enginehost.server: the window is gone" in (log_dir() / "xtract-gui.log").read_text()
    assert eventually(lambda: any(isinstance(e, EngineLost) for e in told), 10)


_APP = """
import sys, time
from pathlib import Path
from xtract_gui.enginehost import EngineOptions
from xtract_gui.enginehost.client import RemoteManager
from xtract_gui.wiring import DictSecrets

if __name__ == "__main__":
    m = RemoteManager.launch(secrets=DictSecrets(), options=EngineOptions(state_dir=Path(sys.argv[1])))
    print(m.pid, flush=True)
    time.sleep(3600)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_the_engine_never_outlives_a_killed_app(tmp_path: Path, xtract_home: Path) -> None:
    app = subprocess.Popen([sys.executable, "-c", _APP, str(tmp_path / "state")], cwd=ROOT, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert app.stdout is not None
        line = app.stdout.readline()
        assert line.strip().isdigit(), line + (app.stderr.read() if app.poll() is not None else "")
        child = int(line)
        assert alive(child)
    finally:
        app.send_signal(signal.SIGKILL)
        app.communicate(timeout=30)
    assert eventually(lambda: not alive(child), 10), f"the engine {child} outlived its app"


def test_only_the_facades_calls_reach_the_engine(engine: tuple[RemoteManager, RecordingSecrets]) -> None:
    manager, _ = engine

    async def ask() -> None:
        await manager._call("emitter")  # an attribute of the JobManager, but not one of the facade's calls

    with pytest.raises(XtractError, match="no call named 'emitter'"):
        asyncio.run(ask())

