"""Staging files on the container are readable by their owner only: files 0600, folders 0700 (issue 21.5).

Any other client on the cluster's NFS whitelist could otherwise read whole customer disks."""

from __future__ import annotations

import stat

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.target.nfs import NfsContainer

from .conftest import MiB

pytestmark = pytest.mark.nfs


def _mode(path: object) -> int:
    return stat.S_IMODE(path.stat().st_mode)  # type: ignore[attr-defined]


def test_staging_files_are_0600_and_their_folders_0700(ganesha: GaneshaProcess, container: NfsContainer,
                                                       folder: str) -> None:
    writer = container.open_disk(f"{folder}/vm-01/disk-2000.raw", 4 * MiB)
    writer.write(0, b"s" * 4096)
    writer.finish()
    root = ganesha.export_dir / folder
    assert _mode(root / "vm-01" / "disk-2000.raw") == 0o600
    assert _mode(root / "vm-01") == 0o700 and _mode(root) == 0o700
    container.remove_tree(folder)


def test_a_file_left_readable_by_an_earlier_version_is_closed_when_reopened(
        ganesha: GaneshaProcess, container: NfsContainer, folder: str) -> None:
    (ganesha.export_dir / folder).mkdir(mode=0o700)
    old = ganesha.export_dir / folder / "disk.raw"
    old.write_bytes(b"o" * 4096)
    old.chmod(0o644)
    container.open_disk(f"{folder}/disk.raw", MiB, fresh=False).finish()
    assert _mode(old) == 0o600
    assert old.read_bytes()[:4096] == b"o" * 4096  # the delta goes on top of what is there
    container.remove_tree(folder)
