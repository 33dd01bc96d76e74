"""The Windows preparation sequence from resources/manifest.json, run by the engine's sequencer
through the real WinRM channel against the lab guest."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.winrm import LAB_PASSWORD, winrm_target
from xtract_gui.domain.errors import CancelledError, GuestScriptError
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask, tasks_for
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.prep import SequenceReport, run_sequence
from xtract_gui.guest import WinRmChannel, WinRmChannelFactory
from xtract_gui.lab.guest import Endpoint
from xtract_gui.lab.guest.state import FIRSTBOOT_RESULT, NETWORK_FILE
from xtract_gui.resources import load_manifest, load_script

pytestmark = pytest.mark.guest

FACTORY = WinRmChannelFactory(operation_timeout=1)  # NTLM with message encryption over HTTP
PACKAGE = "C:\\Windows\\Temp\\xtract-packages\\nutanix-virtio.msi"


def prep_tasks() -> list[GuestTask]:
    return tasks_for(load_manifest(), OsFamily.WINDOWS, GuestPhase.PREP)


PACKAGE_BYTES = b"MSI\x00lab-package"
VALUES: dict[str, Any] = {"package_path": PACKAGE, "package_sha256": hashlib.sha256(PACKAGE_BYTES).hexdigest(),
                          "user_name": "Administrator", "password": LAB_PASSWORD, "has_shared_disks": False,
                          "deadline_minutes": 30}


@pytest.fixture
def channel(windows_guest: Endpoint) -> Iterator[WinRmChannel]:
    ch = FACTORY.open(winrm_target(windows_guest))
    ch.put_file(PACKAGE_BYTES, PACKAGE)  # the user-supplied VirtIO package, uploaded first
    yield ch
    ch.close()


def prep(channel: WinRmChannel, **kwargs: Any) -> SequenceReport:
    """The Windows prep tasks through the engine's sequencer, with the composed scripts."""
    return asyncio.run(run_sequence(channel, prep_tasks(), VALUES, **kwargs))


def ran(endpoint: Endpoint) -> list[str]:
    return [entry.split(" ", 1)[1] for entry in endpoint.guest.log if entry.startswith("run ")]


def test_prep_changes_the_guest_then_a_second_run_changes_nothing(windows_guest: Endpoint,
                                                                  channel: WinRmChannel) -> None:
    guest = windows_guest.guest
    assert guest.san_policy == 2 and not guest.trusted_publisher and not guest.firstboot_installed
    steps: list[tuple[float, str]] = []
    first = prep(channel, progress=lambda f, m: steps.append((f, m)))
    assert first.ok and first.failed is None, first.failed and first.failed.message
    assert [o.task.id for o in first.outcomes] == [t.id for t in prep_tasks()]
    assert ran(windows_guest) == [t.id for t in prep_tasks()]
    # One script, two tasks: the lab tells them apart by task id, and each got its hash family.
    certs = [o for o in first.outcomes if o.task.id.endswith("_certificate")]
    assert {o.task.script for o in certs} == {"windows/add_certificate.ps1"} and len(certs) == 2
    assert [o.result.result["task"] for o in certs if o.result] == [o.task.id for o in certs]
    assert first.changed
    assert {o.task.id for o in first.outcomes if o.changed} >= {
        "win.add_sha1_certificate", "win.add_sha2_certificate", "win.install_virtio", "win.set_san_policy",
        "win.retain_ip", "win.install_firstboot"}
    assert steps[0] == (0.0, prep_tasks()[0].title) and steps[-1] == (1.0, "done")

    assert len(guest.trusted_publisher) == 2
    assert guest.products["Nutanix VirtIO"] == "1.2.3.0"
    assert guest.services["vioscsi"]["start"] == 0  # boot-start, or 0x7B on AHV
    assert guest.san_policy == 1
    saved = json.loads(guest.read_file(NETWORK_FILE) or b"{}")
    assert [n["mac"] for n in saved["nics"]] == ["00:50:56:8a:12:34", "00:50:56:8a:56:78"]
    assert guest.firstboot_installed
    # param_files: the first-boot script travelled as a parameter, with its prelude (it runs by itself)
    installed = (guest.read_file("C:\\ProgramData\\xtract\\firstboot.ps1") or b"").decode("utf-8")
    assert installed == load_script("windows/firstboot.ps1") and "function Complete-XtractTask" in installed
    assert guest.paths_under("C:\\Windows\\Temp\\xtract") == []

    second = prep(channel)
    assert second.ok
    assert [o.task.id for o in second.outcomes if o.changed] == []
    assert guest.san_policy == 1 and len(guest.trusted_publisher) == 2


@pytest.mark.parametrize("failing", [t.id for t in prep_tasks() if not t.optional])
def test_any_required_task_failure_stops_the_sequence_and_says_which_and_why(
        windows_guest: Endpoint, channel: WinRmChannel, failing: str) -> None:
    windows_guest.guest.faults.fail_tasks[failing] = f"lab says {failing} cannot be done"
    report = prep(channel)
    assert not report.ok and report.failed is not None
    assert report.failed.task.id == failing
    assert report.failed.message == f"lab says {failing} cannot be done"
    ids = [t.id for t in prep_tasks()]
    assert ran(windows_guest) == ids[: ids.index(failing) + 1]  # nothing after the failure ran
    with pytest.raises(GuestScriptError) as info:
        report.raise_for_failure()
    assert info.value.task_id == failing and failing in str(info.value)


def test_virtio_install_failure_reports_msiexec_and_leaves_later_steps_undone(
        windows_guest: Endpoint, channel: WinRmChannel) -> None:
    guest = windows_guest.guest
    guest.faults.virtio_install_fails = True
    report = prep(channel)
    assert report.failed is not None and report.failed.task.id == "win.install_virtio"
    assert "1603" in report.failed.message
    assert report.failed.result is not None and report.failed.result.exit_code == 1
    assert guest.san_policy == 2 and not guest.firstboot_installed


def test_old_windows_installer_stops_before_anything_changes(windows_guest: Endpoint,
                                                             channel: WinRmChannel) -> None:
    windows_guest.guest.faults.installer_too_old = True
    report = prep(channel)
    assert report.failed is not None and report.failed.task.id == "win.check_installer"
    assert "Windows Installer 3.1" in report.failed.message
    assert not report.changed and not windows_guest.guest.trusted_publisher


def test_optional_task_failure_is_a_warning_and_the_sequence_goes_on(windows_guest: Endpoint,
                                                                     channel: WinRmChannel) -> None:
    optional = [t.id for t in prep_tasks() if t.optional]
    assert optional, "the manifest has optional prep tasks"
    for task_id in optional:
        windows_guest.guest.faults.fail_tasks[task_id] = "lab: optional step failed"
    report = prep(channel)
    assert report.ok
    assert [o.task.id for o in report.outcomes if not o.ok] == optional
    assert ran(windows_guest) == [t.id for t in prep_tasks()]


def test_cancel_between_tasks_stops_the_sequence(windows_guest: Endpoint, channel: WinRmChannel) -> None:
    cancel = threading.Event()

    def progress(fraction: float, message: str) -> None:
        if message == prep_tasks()[2].title:  # cancel once the third task is about to start
            cancel.set()

    with pytest.raises(CancelledError):
        prep(channel, progress=progress, cancel=cancel)
    assert len(ran(windows_guest)) <= 3 and prep_tasks()[-1].id not in ran(windows_guest)


def test_first_boot_result_is_pending_until_the_vm_boots_on_ahv(windows_guest: Endpoint,
                                                                channel: WinRmChannel) -> None:
    guest = windows_guest.guest
    assert prep(channel).ok
    read = next(t for t in load_manifest() if t.id == "win.read_firstboot_result")
    pending = channel.run_task(read, load_script(read.script), {}, timeout=30)
    assert not pending.ok and pending.result["data"]["pending"] is True
    assert not guest.complete_first_boot()  # still on ESXi: the task does nothing
    guest.set_on_target(True)
    assert guest.complete_first_boot()
    done = channel.run_task(read, load_script(read.script), {}, timeout=30)
    assert done.ok and done.result["data"]["on_target"] is True
    assert [n["mac"] for n in done.result["data"]["nics"]] == ["00:50:56:8a:12:34", "00:50:56:8a:56:78"]
    assert json.loads(guest.read_file(FIRSTBOOT_RESULT) or b"{}")["ok"] is True
    assert not guest.firstboot_installed  # it removed itself
