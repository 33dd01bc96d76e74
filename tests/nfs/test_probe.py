"""Warm mode's reachability check does what the copy will do (issue 15.6): against nfs-ganesha it mounts the
container; a wrong container name, a client outside the export's list and a TCP port that is no NFS service are
each named with what to do (the check of before passed as soon as a TCP port accepted a connection)."""

from __future__ import annotations

import socket

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.target.nfs.probe import probe_container

pytestmark = pytest.mark.nfs


def test_the_real_container_mounts(ganesha: GaneshaProcess) -> None:
    found = probe_container(ganesha.host, ganesha.container, nfs_port=ganesha.nfs_port,
                            mount_port=ganesha.mount_port)
    assert found.ok and found.whitelisted and "mounts from this computer" in found.message


def test_a_wrong_container_name_is_said(ganesha: GaneshaProcess) -> None:
    found = probe_container(ganesha.host, "no-such-container", nfs_port=ganesha.nfs_port,
                            mount_port=ganesha.mount_port)
    assert not found.ok and found.step == "mount" and "has no NFS export /no-such-container" in found.message


def test_a_client_outside_the_whitelist_is_told_the_tool_adds_it(ganesha_factory) -> None:  # type: ignore[no-untyped-def]
    other = ganesha_factory(allowed_clients=["10.9.9.9"])
    found = probe_container(other.host, other.container, nfs_port=other.nfs_port, mount_port=other.mount_port)
    assert found.ok and not found.whitelisted and "whitelist" in found.message


def test_a_port_that_only_accepts_tcp_is_no_nfs_service() -> None:
    with socket.socket() as listener:  # what made the old check say "reachable"
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        found = probe_container("127.0.0.1", "ctr", portmap_port=port, timeout=2)
    assert not found.ok and found.step == "portmapper" and "Open TCP 111 and 2049" in found.message


def test_the_wizards_warm_check_is_this_probe(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The Target page's check (Backend.check_mode) fails where only TCP answers; it passed before."""
    from xtract_gui import wiring
    from xtract_gui.domain.inventory import StorageContainer
    from xtract_gui.gui.wizard.backend import Backend
    from xtract_gui.gui.wizard.flow import TargetAnswers
    from xtract_gui.gui.wizard.trust import SessionSecrets

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        t = TargetAnswers(host="127.0.0.1", connected=True, cluster_uuid="c", container_uuid="k",
                          containers=(StorageContainer("k", "ctr", "c", 1, 1),),
                          nfs_host="127.0.0.1", nfs_port=listener.getsockname()[1])
        ok, said = Backend(SessionSecrets(None), state_dir=tmp_path, wiring=wiring).check_mode(t, timeout=2)
    assert not ok and ("does not answer" in said or "serves no MOUNT" in said)
