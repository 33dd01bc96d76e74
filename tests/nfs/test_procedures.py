"""Every NFSv3/MOUNT/portmapper procedure the client uses, against nfs-ganesha, checked on the exported disk."""

from __future__ import annotations

import os

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.target.nfs import NfsAccessDeniedError, NfsContainer, NfsNotFoundError
from xtract_gui.target.nfs.errors import NfsExistsError, NfsNotEmptyError
from xtract_gui.target.nfs.mount import MOUNT_PROGRAM
from xtract_gui.target.nfs.nfs3 import FILE_SYNC, NFS_PROGRAM, UNSTABLE
from xtract_gui.target.nfs.portmap import portmap_getport

from .conftest import MiB, connect

pytestmark = pytest.mark.nfs


def test_portmapper_getport_finds_ganesha_and_the_container_mounts_through_it(
        ganesha_private: GaneshaProcess) -> None:
    g = ganesha_private  # the newest registration with rpcbind is this instance's
    assert portmap_getport(g.host, NFS_PROGRAM, 3) == g.nfs_port
    assert portmap_getport(g.host, MOUNT_PROGRAM, 3, service="MOUNT") == g.mount_port
    with NfsContainer(g.host, "container1") as c:  # no explicit ports: GETPORT for both
        assert (c.nfs_port, c.mount_port) == (g.nfs_port, g.mount_port)
        assert c.exists("")


def test_mount_export_list_fsinfo_fsstat(container: NfsContainer, ganesha: GaneshaProcess) -> None:
    assert [e.path for e in container.exports()] == ["/container1"]
    assert container.info.wtmax >= 64 * 1024 and container.info.rtmax >= 64 * 1024
    st = os.statvfs(ganesha.export_dir)
    free = container.free_bytes()
    assert abs(free - st.f_bavail * st.f_frsize) < 256 * MiB  # the same file system, seen over NFS


def test_running_as_root_binds_a_reserved_source_port(container: NfsContainer) -> None:
    mount_port, nfs_port = container.local_ports
    assert 0 < mount_port < 1024 and 0 < nfs_port < 1024


def test_mkdir_lookup_create_guarded_unchecked_setattr_getattr(container: NfsContainer, ganesha: GaneshaProcess,
                                                               folder: str) -> None:
    local = ganesha.export_dir / folder
    container.mkdir(f"{folder}/a/b")
    assert (local / "a" / "b").is_dir()
    container.mkdir(f"{folder}/a/b")  # again: mkdir -p is idempotent
    assert container.exists(f"{folder}/a") and not container.exists(f"{folder}/nope")

    nfs, ctx = container.nfs, container.ndfs_path(folder)
    dir_fh, attr = nfs.lookup(container.root, folder, ctx)
    assert attr is not None and attr.is_dir
    fh = nfs.create(dir_fh, "f.raw", ctx, guarded=True)
    with pytest.raises(NfsExistsError):
        nfs.create(dir_fh, "f.raw", ctx, guarded=True)
    nfs.set_size(fh, 10 * MiB, ctx)
    assert (local / "f.raw").stat().st_size == 10 * MiB
    assert nfs.getattr(fh, ctx).size == 10 * MiB
    assert nfs.getattr(fh, ctx).used < MiB  # sized, not written: sparse
    (local / "f.raw").write_bytes(b"old content")
    fh2 = nfs.create(dir_fh, "f.raw", ctx, truncate=True)  # UNCHECKED on an existing file, emptied
    assert (local / "f.raw").stat().st_size == 0
    assert nfs.getattr(fh2, ctx).fileid == nfs.getattr(fh, ctx).fileid
    with pytest.raises(NfsNotFoundError):
        nfs.lookup(dir_fh, "missing", ctx)


def test_write_unstable_commit_read(container: NfsContainer, ganesha: GaneshaProcess, folder: str) -> None:
    nfs, ctx = container.nfs, folder
    container.mkdir(folder)
    dir_fh, _ = nfs.lookup(container.root, folder, ctx)
    fh = nfs.create(dir_fh, "w.raw", ctx)
    data = os.urandom(300_001)  # not a multiple of 4: XDR padding both ways
    result = nfs.write_result(nfs.write_async(fh, 12345, data, UNSTABLE), ctx)
    assert result.count == len(data) and len(result.verifier) == 8
    assert nfs.commit(fh, ctx) == result.verifier
    synced = nfs.write_result(nfs.write_async(fh, 0, b"head", FILE_SYNC), ctx)
    assert synced.committed == FILE_SYNC
    got, eof = nfs.read(fh, 12345, len(data), ctx)
    assert got == data and eof
    on_disk = (ganesha.export_dir / folder / "w.raw").read_bytes()
    assert on_disk[:4] == b"head" and on_disk[12345:] == data


def test_readdirplus_readdir_remove_rmdir_remove_tree(container: NfsContainer, ganesha: GaneshaProcess,
                                                      folder: str) -> None:
    local = ganesha.export_dir / folder
    (local / "sub" / "deeper").mkdir(parents=True)
    names = {f"file{i:03d}.raw" for i in range(300)}  # more than one READDIR reply's worth
    for n in names:
        (local / n).write_bytes(b"x")
    (local / "sub" / "deeper" / "z").write_bytes(b"z")
    nfs = container.nfs
    dir_fh, _ = nfs.lookup(container.root, folder, folder)
    plus = nfs._readdir(dir_fh, folder, plus=True)
    plain = nfs._readdir(dir_fh, folder, plus=False)
    assert {e.name for e in plus} == {e.name for e in plain} == names | {"sub"}
    sub = next(e for e in plus if e.name == "sub")
    assert sub.attr is not None and sub.attr.is_dir and sub.handle
    with pytest.raises(NfsNotEmptyError):
        nfs.rmdir(dir_fh, "sub", folder)
    container.remove(f"{folder}/file000.raw")
    container.remove(f"{folder}/file000.raw")  # gone already: not an error
    assert not (local / "file000.raw").exists()
    container.remove_tree(folder)
    assert not local.exists()
    container.remove_tree(folder)  # absent: not an error


def test_auth_sys_credentials_are_the_configured_uid_and_gid(ganesha: GaneshaProcess, folder: str) -> None:
    local = ganesha.export_dir / folder
    local.mkdir()
    (local / "open").mkdir(mode=0o777)
    os.chmod(local / "open", 0o777)
    with connect(ganesha, uid=4321, gid=4322) as c:
        c.open_disk(f"{folder}/open/d.raw", MiB).finish()
        st = (local / "open" / "d.raw").stat()
        assert (st.st_uid, st.st_gid) == (4321, 4322)
        with pytest.raises(NfsAccessDeniedError) as err:  # root's 0755 folder refuses uid 4321
            c.open_disk(f"{folder}/d.raw", MiB)
        assert "NFS3ERR_ACCES" in err.value.detail


def test_path_outside_the_container_is_refused(container: NfsContainer) -> None:
    from xtract_gui.domain.errors import ConfigurationError
    with pytest.raises(ConfigurationError):
        container.open_disk("../escape.raw", MiB)
    with pytest.raises(ConfigurationError):
        container.remove_tree("/")
    assert container.ndfs_path("xtract/m1/vm-disk2000.raw") == "/container1/xtract/m1/vm-disk2000.raw"


def test_close_unmounts_and_closes(ganesha: GaneshaProcess) -> None:
    c = connect(ganesha)
    c.close()
    c.close()  # twice is harmless
    with pytest.raises(Exception, match="closed"):
        c.exists("x")




def test_remove_tree_can_be_cancelled_and_finished_later(container: NfsContainer, ganesha: GaneshaProcess,
                                                         folder: str) -> None:
    import threading

    from xtract_gui.domain.errors import CancelledError
    local = ganesha.export_dir / folder
    local.mkdir()
    for i in range(5):
        (local / f"d{i}.raw").write_bytes(b"x")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        container.remove_tree(folder, cancel=cancel)
    assert len(list(local.iterdir())) == 5
    container.remove_tree(folder, cancel=threading.Event())
    assert not local.exists()
