"""NFS3ERR_JUKEBOX on any procedure: waited out and sent again with a new XID inside the NFSv3 client
(RFC 1813 §2.6), against ganesha behind a proxy that answers chosen calls JUKEBOX."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.domain.errors import TransientError
from xtract_gui.lab.prism.nfs_faults import JukeboxProxy
from xtract_gui.target.nfs import NfsContainer, NfsServerBusyError
from xtract_gui.target.nfs.nfs3 import (
    COMMIT,
    CREATE,
    FSINFO,
    FSSTAT,
    LOOKUP,
    MKDIR,
    READ,
    READDIRPLUS,
    REMOVE,
    RMDIR,
    SETATTR,
    WRITE,
)

from .conftest import MiB

pytestmark = pytest.mark.nfs


@pytest.fixture
def proxy(ganesha: GaneshaProcess) -> Iterator[JukeboxProxy]:
    with JukeboxProxy((ganesha.host, ganesha.nfs_port)) as p:
        yield p


def _through(proxy: JukeboxProxy, ganesha: GaneshaProcess) -> NfsContainer:
    return NfsContainer(ganesha.host, ganesha.export, nfs_port=proxy.port, mount_port=ganesha.mount_port,
                        connections=1)


def test_every_procedure_answered_jukebox_is_sent_again_with_a_new_xid(
        ganesha: GaneshaProcess, proxy: JukeboxProxy, folder: str) -> None:
    procedures = (FSINFO, LOOKUP, MKDIR, CREATE, SETATTR, WRITE, COMMIT, READ, FSSTAT, READDIRPLUS, REMOVE, RMDIR)
    for proc in procedures:
        proxy.jukebox(proc)
    data = os.urandom(MiB)
    with _through(proxy, ganesha) as c:
        writer = c.open_disk(f"{folder}/disk.raw", 4 * MiB)  # LOOKUP, MKDIR, CREATE, SETATTR
        writer.write(MiB, data)  # WRITE
        assert writer.finish() == f"/container1/{folder}/disk.raw"  # COMMIT
        assert writer.read_back(MiB, MiB) == data  # READ
        assert c.free_bytes() > 0  # FSSTAT
        c.remove_tree(folder)  # READDIRPLUS, REMOVE, RMDIR
        assert not c.exists(folder)
        assert c.nfs.jukebox_retries == len(procedures)
    assert sorted(p for p, _ in proxy.answered) == sorted(procedures)
    for proc, xid in proxy.answered:
        again = [x for p, x in proxy.forwarded if p == proc]
        assert again and xid not in again, f"procedure {proc} was not sent again with a new XID"


def test_a_server_busy_beyond_the_window_is_a_transient_error(ganesha: GaneshaProcess, proxy: JukeboxProxy,
                                                              folder: str) -> None:
    with _through(proxy, ganesha) as c:
        c.nfs.jukebox_window = 0.5
        writer = c.open_disk(f"{folder}/busy.raw", MiB)
        writer.write(0, b"b" * 4096)
        proxy.jukebox(COMMIT, count=1000)
        with pytest.raises(NfsServerBusyError) as info:
            writer.finish()
        assert isinstance(info.value, TransientError) and "JUKEBOX" in info.value.detail
        assert 1 <= sum(1 for p, _ in proxy.answered if p == COMMIT) < 1000
        c.remove_tree(folder)
