"""Each way the NFS write path fails, as the error a person can act on."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.ganesha import GaneshaFactory, GaneshaProcess, start_ganesha
from xtract_gui.domain.errors import ConnectionFailedError, NotFoundError, PermissionDeniedError
from xtract_gui.target.nfs import (
    NfsAccessDeniedError,
    NfsContainer,
    NfsExportNotFoundError,
    NfsNoSpaceError,
    NfsStaleHandleError,
    NfsUnreachableError,
)
from xtract_gui.target.nfs.errors import nfs3_error
from xtract_gui.target.nfs.nfs3 import NFS_PROGRAM
from xtract_gui.target.nfs.rpc import RpcClient

from .conftest import MiB, connect

pytestmark = pytest.mark.nfs


def test_export_not_found(ganesha: GaneshaProcess) -> None:
    with pytest.raises(NfsExportNotFoundError) as err:
        NfsContainer(ganesha.host, "/no-such-container", nfs_port=ganesha.nfs_port, mount_port=ganesha.mount_port)
    assert isinstance(err.value, NotFoundError)
    assert "/no-such-container" in str(err.value) and "container" in err.value.hint


def test_client_not_in_the_whitelist_is_told_to_add_itself(ganesha_factory: GaneshaFactory) -> None:
    others_only = ganesha_factory(allowed_clients=["127.0.0.2"])
    with pytest.raises(NfsAccessDeniedError) as err:
        connect(others_only)
    assert isinstance(err.value, PermissionDeniedError)
    assert "whitelist" in str(err.value)
    # The same server with this laptop listed lets it in: the refusal above was the list, nothing else.
    listed = ganesha_factory(allowed_clients=["127.0.0.1"])
    with connect(listed) as c:
        c.open_disk("d.raw", MiB).finish()


def test_unprivileged_source_port_refused_says_so(ganesha_factory: GaneshaFactory) -> None:
    strict = ganesha_factory(privileged_port=True)
    with pytest.raises(NfsAccessDeniedError) as err:
        connect(strict, reserved_port=False)
    assert "privileged source port" in str(err.value)
    with connect(strict) as c:  # root binds a reserved port by default, and is let in
        assert c.local_ports[0] < 1024


def test_stale_handle_after_the_file_is_removed_behind_the_writer(ganesha: GaneshaProcess, folder: str) -> None:
    with connect(ganesha) as c, connect(ganesha) as other:
        w = c.open_disk(f"{folder}/d.raw", 4 * MiB)
        w.write(0, b"x" * 4096)
        w.flush()
        other.remove(f"{folder}/d.raw")  # another client (an admin, a cleanup job) removes it
        with pytest.raises(NfsStaleHandleError) as err:
            w.write(4096, b"y" * 4096)
        assert isinstance(err.value, NotFoundError)
        assert "stale" in str(err.value) and f"/container1/{folder}/d.raw" in str(err.value)
        # The container itself recovers: a cached folder handle made stale is looked up again.
        other.remove_tree(folder)
        c.open_disk(f"{folder}/d.raw", MiB).finish()


def test_folder_made_again_behind_the_container_is_walked_again_not_taken_for_absent(
        ganesha: GaneshaProcess, folder: str) -> None:
    """A cached folder handle gone stale is no answer: exists, remove and remove_tree look the path up again."""
    seed = f"{folder}/sub/seed.raw"
    with connect(ganesha) as c, connect(ganesha) as other:

        def made_again_behind_c() -> None:
            c.mkdir(f"{folder}/sub")  # c caches the handles of both folders
            other.remove_tree(folder)
            w = other.open_disk(seed, MiB)
            w.write(0, b"s" * 4096)
            w.finish()

        made_again_behind_c()
        assert c.exists(seed)
        made_again_behind_c()
        c.remove(seed)
        assert not other.exists(seed)
        made_again_behind_c()
        c.remove_tree(f"{folder}/sub")
        assert not other.exists(f"{folder}/sub") and other.exists(folder)
        made_again_behind_c()
        w = c.open_disk(seed, MiB, fresh=False)
        assert w.read_back(0, 4096) == b"s" * 4096
        w.finish()


def test_server_unreachable(ganesha: GaneshaProcess) -> None:
    with pytest.raises(NfsUnreachableError) as err:
        NfsContainer(ganesha.host, ganesha.export, portmap_port=free_port())
    assert isinstance(err.value, ConnectionFailedError) and "111" in err.value.hint
    with pytest.raises(NfsUnreachableError) as err:
        NfsContainer(ganesha.host, ganesha.export, nfs_port=free_port(), mount_port=ganesha.mount_port)
    assert "2049" in err.value.hint


def test_server_gone_longer_than_the_retry_window(ganesha_private: GaneshaProcess, folder: str) -> None:
    with connect(ganesha_private, retry_window=1.0) as c:
        w = c.open_disk(f"{folder}/d.raw", 4 * MiB)
        ganesha_private.stop()
        with pytest.raises(NfsUnreachableError):
            w.write(0, b"x" * 4096)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts TCP connections and never answers: a hung server, which no real peer gives on demand."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield int(listener.getsockname()[1])
    stop.set()
    t.join()
    for s in held:
        s.close()
    listener.close()


def test_no_reply_times_out_then_gives_up(silent_server: int) -> None:
    rpc = RpcClient("127.0.0.1", silent_server, NFS_PROGRAM, 3, timeout=0.3, retry_window=0.8,
                    reserved_port=False)
    try:
        with pytest.raises(NfsUnreachableError) as err:
            rpc.call(0)
        assert "no reply within" in err.value.detail
        assert rpc.reconnects >= 1  # it did resend on a new connection before giving up
    finally:
        rpc.close()


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def test_container_full_is_no_space(small_filesystem: Path, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with start_ganesha(small_filesystem, workdir=tmp_path / "run") as g, connect(g) as c:
        w = c.open_disk("big.raw", 64 * MiB)  # sparse: fits until written
        with pytest.raises(NfsNoSpaceError) as err:
            for i in range(8):
                w.write(i * MiB, os.urandom(MiB))
            w.flush()
        assert "full" in str(err.value) and "NFS3ERR_NOSPC" in err.value.detail


def test_status_codes_without_a_peer_that_produces_them() -> None:
    # DQUOT and JUKEBOX need a quota or an HSM behind the server; the mapping is all there is to check.
    assert isinstance(nfs3_error(69, "WRITE", "/c/d.raw"), NfsNoSpaceError)
    from xtract_gui.domain.errors import TransientError
    assert isinstance(nfs3_error(10008, "WRITE", "/c/d.raw"), TransientError)
    assert isinstance(nfs3_error(10001, "WRITE", "/c/d.raw"), NfsStaleHandleError)


def test_whitelist_entry_is_the_address_the_server_sees(ganesha: GaneshaProcess) -> None:
    from xtract_gui.target.nfs import whitelist_entry
    assert whitelist_entry(ganesha.host) == "127.0.0.1/255.255.255.255"
