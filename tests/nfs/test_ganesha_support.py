"""The ganesha helper itself: it explains why it cannot run instead of failing obscurely."""

from __future__ import annotations

import os

import pytest

from tests.support import ganesha as support


def test_not_root_is_a_reason_to_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "needs root" in support.unavailable_reason()
    with pytest.raises(support.GaneshaUnavailable, match="needs root"):
        support.GaneshaProcess(export_dir=support.Path("/nonexistent"), container="c",
                               workdir=support.Path("/nonexistent"), nfs_port=1, mount_port=2).start()


@pytest.mark.nfs
def test_restart_gives_a_new_boot_on_the_same_ports(ganesha_private: support.GaneshaProcess) -> None:
    g = ganesha_private
    ports, pid = (g.nfs_port, g.mount_port), int(g.pidfile.read_text())
    g.restart()
    assert g.running and (g.nfs_port, g.mount_port) == ports and int(g.pidfile.read_text()) != pid
    g.stop()
    assert not g.running and not g.pidfile.exists()
