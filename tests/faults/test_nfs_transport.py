"""Transport faults between the NFSv3 client and nfs-ganesha (MOUNT and NFS behind fault proxies): replies lost,
cut off or late are resent on a new connection and the file ends byte-exact; a server that never answers is
our error."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.nfs.conftest import MiB, assert_same_image, copy_extents, make_source, random_extents
from tests.support.faultproxy import FaultProxy, Rule, Storm
from tests.support.ganesha import GaneshaProcess
from xtract_gui.domain.errors import ConnectionFailedError, TransientError, XtractError
from xtract_gui.target.nfs import NfsContainer

pytestmark = pytest.mark.nfs


def _through(g: GaneshaProcess, nfs: FaultProxy, mount: FaultProxy, **kw: object) -> NfsContainer:
    return NfsContainer("127.0.0.1", g.export, nfs_port=nfs.port, mount_port=mount.port, **kw)  # type: ignore[arg-type]


def test_a_disk_written_through_a_storm_is_byte_exact(ganesha: GaneshaProcess, fault_proxy: Callable[..., FaultProxy],
                                                      tmp_path: Path) -> None:
    storm = Storm(accept=0.05, after_request=0.04, mid_answer=0.04, truncate=0.02, delay=0.05,
                  delay_seconds=(0.01, 0.2))
    nfs = fault_proxy(ganesha.nfs_port, seed=5, storm=storm)
    mount = fault_proxy(ganesha.mount_port)
    capacity = 32 * MiB
    extents = random_extents(random.Random(8), capacity, 8, MiB)
    source = tmp_path / "src.raw"
    make_source(source, capacity, extents, seed=9)
    rel = f"faults-{os.getpid()}/e.raw"
    with _through(ganesha, nfs, mount) as container:
        writer = container.open_disk(rel, capacity)
        copy_extents(source, writer, extents, chunk=MiB)
        writer.finish()
    assert nfs.total() > 2, nfs.injected
    assert_same_image(source, ganesha.export_dir / rel)


def test_an_nfs_service_that_never_answers_is_our_error(ganesha: GaneshaProcess,
                                                        fault_proxy: Callable[..., FaultProxy]) -> None:
    nfs, mount = fault_proxy(ganesha.nfs_port), fault_proxy(ganesha.mount_port)
    nfs.add_rule(Rule("after_request", times=0))
    with pytest.raises(XtractError) as info:
        _through(ganesha, nfs, mount, retry_window=2.0).exists("x")
    assert isinstance(info.value, TransientError | ConnectionFailedError), repr(info.value)
    assert info.value.hint
