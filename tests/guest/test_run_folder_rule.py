"""The one Linux run-folder rule (issue 21.1) that both Linux channels send into the guest, run here by bash.

The channel tests show it end to end (tests/guest/test_ssh_channel.py against OpenSSH, test_vmtools_channel.py
through vcsim's guest operations); these pin each case of the rule itself, quickly.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from xtract_gui.guest.scripts import (
    REFUSED,
    linux_guard_run,
    linux_make_run_folder,
    linux_run_folder,
    refusal,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="planting folders of another account needs root")
OTHER = 1000  # an unprivileged local account (mallory)


def bash(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def tmp(tmp_path: Path) -> Path:
    """A /tmp of our own: root's, sticky, world-writable; every folder above it root's and private."""
    parent = tmp_path / "tmp"
    parent.mkdir()
    parent.chmod(0o1777)
    return parent


def test_a_fresh_folder_is_made_private_in_a_sticky_root_parent_and_the_guard_runs_the_command(tmp: Path) -> None:
    folder = linux_run_folder(str(tmp))
    assert folder.startswith(f"{tmp}/xtract.") and folder != linux_run_folder(str(tmp))
    made = bash(linux_make_run_folder(folder))
    assert made.returncode == 0, made.stderr
    st = os.stat(folder)
    assert (st.st_uid, st.st_mode & 0o7777) == (os.geteuid(), 0o700)
    ran = bash(linux_guard_run(folder, f"echo ran > {folder}/out.txt; echo ok"))
    assert ran.returncode == 0 and ran.stdout.split() == ["ok"], ran.stderr
    assert Path(folder, "out.txt").read_text() == "ran\n"
    again = bash(linux_guard_run(folder, f"echo twice > {folder}/out.txt"))  # set -C: no write over a file
    assert again.returncode != 0 and Path(folder, "out.txt").read_text() == "ran\n"


def test_a_name_that_exists_already_is_refused(tmp: Path) -> None:
    folder = linux_run_folder(str(tmp))
    os.mkdir(folder, 0o700)
    res = bash(linux_make_run_folder(folder))
    assert res.returncode == REFUSED and refusal(res.returncode, res.stderr) == f"{folder} exists already"


@pytest.mark.parametrize(("owner", "mode", "why"), [
    (OTHER, 0o755, "is owned by uid 1000, neither root nor the guest account"),  # mallory's, even read-only
    (OTHER, 0o1777, "is owned by uid 1000, neither root nor the guest account"),  # sticky is not enough
    (0, 0o777, "is writable by group or others (mode 777)"),  # root's but not sticky: entries can be renamed
    (0, 0o775, "is writable by group or others (mode 775)"),
])
def test_a_parent_another_account_owns_or_may_change_is_refused_and_nothing_is_made(
        tmp: Path, owner: int, mode: int, why: str) -> None:
    planted = tmp / "xtract"
    planted.mkdir()
    os.chown(planted, owner, owner)
    planted.chmod(mode)
    folder = linux_run_folder(str(planted))
    res = bash(linux_make_run_folder(folder))
    assert res.returncode == REFUSED and refusal(res.returncode, res.stderr) == f"{planted} {why}"
    assert list(planted.iterdir()) == []


def test_a_parent_that_is_a_link_is_refused(tmp: Path) -> None:
    real = tmp / "real"
    real.mkdir(mode=0o700)
    (tmp / "link").symlink_to(real)
    res = bash(linux_make_run_folder(linux_run_folder(str(tmp / "link"))))
    assert refusal(res.returncode, res.stderr) == f"{tmp}/link is a symbolic link"
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("change", ["mode", "owner", "link"])
def test_the_guard_refuses_a_folder_changed_after_it_was_made_and_runs_nothing(tmp: Path, change: str) -> None:
    folder = linux_run_folder(str(tmp))
    assert bash(linux_make_run_folder(folder)).returncode == 0
    if change == "mode":
        os.chmod(folder, 0o755)
    elif change == "owner":
        os.chown(folder, OTHER, OTHER)
    else:  # the folder swapped for a link to one the attacker controls
        os.rename(folder, folder + ".moved")
        os.symlink(folder + ".moved", folder)
    res = bash(linux_guard_run(folder, f"touch {tmp}/ran"))
    assert res.returncode == REFUSED and refusal(res.returncode, res.stderr), res.stderr
    assert not (tmp / "ran").exists()


def test_a_scripts_own_exit_code_is_no_refusal() -> None:
    assert refusal(REFUSED, "some script's own message\n") == ""
    assert refusal(1, "refused: looks like one\n") == ""
