"""Disk reads "as of a snapshot" over the datastore endpoint: byte-exact, threaded, both paths."""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.source.conftest import BLOCK, connect, write_at
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import UnsupportedError
from xtract_gui.engine.ports import DiskReader
from xtract_gui.source import VSphereSource, parse_descriptor

pytestmark = pytest.mark.vcsim


def test_reads_are_byte_exact(source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[1]
    snap = source.create_snapshot(vm.vm_id, "xtract-read")
    for i, disk in enumerate(vm.disks):
        reader = source.open_disk_reader(vm.vm_id, snap.snapshot_id, disk.key)
        assert isinstance(reader, DiskReader)
        try:
            expected = vcsim.flat_file(vm.name, f"disk{i + 1}").read_bytes()
            cap = disk.capacity_bytes
            assert reader.capacity == cap == len(expected)
            for off, n in [(0, 512), (1, 1), (BLOCK - 3, 7), (cap // 2 - 1001, 70003), (cap - 4096, 4096),
                           (12345, 1_000_003)]:
                assert reader.read(off, n) == expected[off:off + n]
            assert reader.read(cap - 10, 100) == expected[cap - 10:]  # short only at the end of the disk
            assert reader.read(cap, 10) == b""
            assert reader.read(0, cap) == expected
            # read_into fills exactly the caller's slice of a bigger buffer (the copy engine's reused buffers).
            buf = bytearray(b"\xff" * (70003 + 20))
            reader.read_into(cap // 2 - 1001, memoryview(buf)[10:10 + 70003])  # type: ignore[attr-defined]
            assert buf[10:10 + 70003] == expected[cap // 2 - 1001:cap // 2 - 1001 + 70003]
            assert buf[:10] == buf[-10:] == b"\xff" * 10
            with pytest.raises(ValueError):
                reader.read_into(cap - 10, memoryview(bytearray(100)))  # type: ignore[attr-defined]
        finally:
            reader.close()


def test_concurrent_reads_from_threads(source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[2]
    snap = source.create_snapshot(vm.vm_id, "xtract-read")
    disk = vm.disks[0]
    expected = vcsim.flat_file(vm.name).read_bytes()
    rng = random.Random(7)
    ranges = [(rng.randrange(0, disk.capacity_bytes), rng.randrange(1, 300_000)) for _ in range(64)]
    reader = source.open_disk_reader(vm.vm_id, snap.snapshot_id, disk.key)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda r: reader.read(*r), ranges))
    finally:
        reader.close()
    for (off, n), data in zip(ranges, results, strict=True):
        assert data == expected[off:off + n]


def test_vcenter_path_uses_the_session_cookie(source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[0]
    snap = source.create_snapshot(vm.vm_id, "xtract-read")
    reader = source.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
    reader.read(0, 4096)
    reader.close()
    stats = vcsim.stats()
    assert stats.get("folder_session", 0) >= 2 and "folder_ticket" not in stats


def test_host_path_uses_single_use_service_tickets(vcsim: VcsimProcess) -> None:
    asked: list[str] = []

    def host_access(host: str) -> str:
        asked.append(host)
        return vcsim.base_url  # the simulator serves the ESXi /folder endpoint as well

    src = connect(vcsim, host_access=host_access)
    try:
        vm = src.inventory().vms[0]
        snap = src.create_snapshot(vm.vm_id, "xtract-read")
        reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
        data = [reader.read(off, 1000) for off in (0, 5000, 70000)]
        reader.close()
    finally:
        src.close()
    expected = vcsim.flat_file(vm.name).read_bytes()
    assert data == [expected[0:1000], expected[5000:6000], expected[70000:71000]]
    # Asked by the host's management IP (vmk0 of every simulated host is 127.0.0.1), not by its inventory
    # name ("DC0_C0_H1"), which this computer cannot resolve.
    assert asked == ["127.0.0.1"] and vm.host.startswith("DC0_")
    stats = vcsim.stats()
    # Descriptor + three ranges, one ticket each; one more when the reader retried a request (a loaded CI box
    # once served 5: the retry took a fresh ticket, as the two checks below prove, which is what it must do).
    assert stats.get("folder_ticket", 0) >= 4
    assert "folder_session" not in stats and "folder_denied" not in stats
    # A ticket is good for one request and so is its connection (the simulator refuses a second one).
    assert "folder_ticket_reused" not in stats


def test_unreachable_host_falls_back_to_vcenter(vcsim: VcsimProcess) -> None:
    src = connect(vcsim, host_access=lambda host: None)
    try:
        vm = src.inventory().vms[0]
        snap = src.create_snapshot(vm.vm_id, "xtract-read")
        reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
        assert reader.read(0, 512) == vcsim.flat_file(vm.name).read_bytes()[:512]
        reader.close()
    finally:
        src.close()
    assert vcsim.stats().get("folder_session", 0) >= 2


def test_reads_are_as_of_the_snapshot_after_the_cycle(source: VSphereSource, vcsim: VcsimProcess) -> None:
    """Data written between snapshots shows in the next snapshot's reads and in its CBT delta."""
    vm = source.inventory().vms[0]
    disk = vm.disks[0]
    source.enable_cbt(vm.vm_id)
    seed = source.create_snapshot(vm.vm_id, "xtract-seed")
    source.remove_snapshot(vm.vm_id, seed.snapshot_id)
    write_at(vcsim.flat_file(vm.name), 3 * BLOCK, b"new data")
    sync = source.create_snapshot(vm.vm_id, "xtract-sync")
    reader = source.open_disk_reader(vm.vm_id, sync.snapshot_id, disk.key)
    try:
        for area in source.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, seed.disk_change_ids[disk.key]):
            assert reader.read(area.offset, area.length)[:8] == b"new data"
    finally:
        reader.close()


def test_a_snapshot_over_another_cannot_be_read_from_the_base(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    source.create_snapshot(vm.vm_id, "customer-snapshot")
    ours = source.create_snapshot(vm.vm_id, "xtract-seed")
    with pytest.raises(UnsupportedError) as err:
        source.open_disk_reader(vm.vm_id, ours.snapshot_id, vm.disks[0].key)
    assert "other snapshots" in str(err.value)


def test_descriptor_parsing() -> None:
    esxi = 'version=1\ncreateType="vmfs"\nRW 41943040 VMFS "app-flat.vmdk"\nddb.adapterType = "lsilogic"\n'
    (ext,) = parse_descriptor(esxi)
    assert (ext.file, ext.start, ext.size) == ("app-flat.vmdk", 0, 41943040 * 512)
    split = 'createType="twoGbMaxExtentFlat"\nRW 4 FLAT "a-f001.vmdk" 0\nRW 2 FLAT "a-f002.vmdk" 0\n'
    assert [(e.file, e.start, e.size) for e in parse_descriptor(split)] == [
        ("a-f001.vmdk", 0, 2048), ("a-f002.vmdk", 2048, 1024)]
    with pytest.raises(UnsupportedError):
        parse_descriptor('createType="vmfsSparse"\nRW 100 VMFSSPARSE "a-delta.vmdk"\n')
    with pytest.raises(UnsupportedError):
        parse_descriptor('createType="vmfsRawDeviceMap"\nRW 100 VMFSRDM "a-rdm.vmdk"\n')
    with pytest.raises(UnsupportedError):
        parse_descriptor("not a descriptor")


def test_default_host_access_needs_port_443_to_answer() -> None:
    import socket

    from xtract_gui.source import reachable_host

    with socket.socket() as probe:
        listening = probe.connect_ex(("127.0.0.1", 443)) == 0
    # An ESXi name that resolves but does not answer on 443 sends the reader through vCenter.
    assert reachable_host("127.0.0.1", timeout=1) == ("https://127.0.0.1" if listening else None)
    assert reachable_host("esxi-name-that-does-not-resolve.invalid", timeout=1) is None


def test_a_reader_whose_session_ended_logs_in_again(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(check_folder_session=True)
    src = connect(sim)
    admin = connect(sim)
    try:
        vm = src.inventory().vms[0]
        snap = src.create_snapshot(vm.vm_id, "xtract-read")
        reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
        expected = sim.flat_file(vm.name).read_bytes()
        assert reader.read(0, 100) == expected[:100]
        key = src.session.call("who am i", lambda: src.session.content.sessionManager.currentSession.key)
        sm = admin.session.content.sessionManager
        admin.session.call("terminate", lambda: sm.TerminateSession(sessionId=[key]))
        # /folder answers 401 to the dead cookie; the reader has the adapter log in again and retries.
        assert reader.read(4096, 100) == expected[4096:4196]
        assert src.session.relogins == 1
        assert sim.stats().get("folder_denied") == 1
        reader.close()
    finally:
        src.close()
        admin.close()
