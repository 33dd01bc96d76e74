"""Streamed qcow2 images, checked by qemu-img (the third-party reader of the format)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from xtract_gui.domain.errors import CancelledError, IntegrityError, UnsupportedError, XtractError
from xtract_gui.domain.extents import Extent, align_out, total_bytes
from xtract_gui.transfer import FileDiskReader, copy_disk
from xtract_gui.transfer.digest import content_digest_of
from xtract_gui.transfer.image_stream import ImageStreamWriter, upload_to_file
from xtract_gui.transfer.qcow2 import Qcow2Encoder

from .disks import InstrumentedReader, KiB, MiB, assert_qemu_accepts, disk_digest, make_disk, random_extents

CASES = {
    "odd-size": (13 * MiB + 3 * 512, 16, None),
    "empty": (5 * MiB, 0, None),
    "full": (9 * MiB + 512, -1, None),
    "tiny-clusters-many-tables": (3 * MiB + 1536, 12, 9),  # 512-byte clusters: many L2 tables, refcount blocks
    "4k-clusters": (6 * MiB + 512, 10, 12),
    "refcount-table-of-several-clusters": (12 * MiB, -1, 9),
}


@pytest.mark.parametrize("case", list(CASES))
def test_qcow2_image_is_valid_and_identical(tmp_path: Path, case: str) -> None:
    capacity, count, bits = CASES[case]
    src, image = tmp_path / "src.raw", tmp_path / "out.qcow2"
    wanted = [Extent(0, capacity)] if count < 0 else random_extents(capacity, count, seed=len(case))
    extents = make_disk(src, capacity, wanted + ([Extent(capacity - 512, 512)] if count > 0 else []))
    enc = Qcow2Encoder(capacity, extents, **({"cluster_bits": bits} if bits else {}))
    writer = ImageStreamWriter(enc, upload_to_file(image))
    res = copy_disk(FileDiskReader(src), writer, extents, name=case, chunk_size=1 * MiB, streams=3)
    assert res.target == str(image)
    assert image.stat().st_size == enc.length == writer.bytes_sent
    assert_qemu_accepts(image, src, capacity)
    allocated = total_bytes(align_out(extents, enc.block_size))
    assert writer.bytes_sent - allocated == enc.layout.data_offset  # metadata is all the overhead
    assert res.content_digest == disk_digest(src, capacity) == enc.content_digest()
    if case == "refcount-table-of-several-clusters":
        assert enc.layout.refcount_table_clusters > 1 and enc.layout.l1_clusters > 1


def test_wire_bytes_close_to_allocated_for_a_sparse_disk(tmp_path: Path) -> None:
    capacity = 2 * 1024 * MiB  # 2 GiB, sparse on disk
    src, image = tmp_path / "src.raw", tmp_path / "out.qcow2"
    extents = make_disk(src, capacity, [Extent(i * 256 * MiB, 8 * MiB) for i in range(8)])
    enc = Qcow2Encoder(capacity, extents)
    writer = ImageStreamWriter(enc, upload_to_file(image))
    copy_disk(FileDiskReader(src), writer, extents)
    assert writer.bytes_sent <= total_bytes(extents) * 1.02
    assert_qemu_accepts(image, src, capacity)


def test_out_of_order_reads_are_written_in_order_within_the_window(tmp_path: Path) -> None:
    capacity = 12 * MiB
    src, image = tmp_path / "src.raw", tmp_path / "out.qcow2"
    extents = make_disk(src, capacity, [Extent(0, capacity)])
    others = threading.Event()
    # The first chunk's read is held back until later chunks have been read: they must wait in memory.
    gate_reader: InstrumentedReader

    def gate(offset: int) -> None:
        if offset == 0:
            assert others.wait(10)

    def after(n: int) -> None:
        if n >= 4:
            others.set()

    gate_reader = InstrumentedReader(src, gate=gate, after_read=after)
    enc = Qcow2Encoder(capacity, extents)
    res = copy_disk(gate_reader, ImageStreamWriter(enc, upload_to_file(image)), extents, chunk_size=512 * KiB,
                    streams=5, max_in_flight=7)
    assert gate_reader.reads[0].offset != 0
    assert 5 <= res.peak_chunks_in_flight <= 7
    assert_qemu_accepts(image, src, capacity)


def test_known_length_is_what_the_upload_receives(tmp_path: Path) -> None:
    capacity = 7 * MiB
    src = tmp_path / "src.raw"
    extents = make_disk(src, capacity, [Extent(MiB, 3 * MiB)])
    enc = Qcow2Encoder(capacity, extents)
    received: list[int] = []

    def upload(stream: Iterable[bytes]) -> str:
        received.extend(len(p) for p in stream)
        return "image-uuid-1"

    res = copy_disk(FileDiskReader(src), ImageStreamWriter(enc, upload), extents)
    assert res.target == "image-uuid-1"
    assert sum(received) == enc.length
    assert max(received) <= 4 * MiB


def test_a_failed_upload_fails_the_copy(tmp_path: Path) -> None:
    capacity = 16 * MiB
    src = tmp_path / "src.raw"
    extents = make_disk(src, capacity, [Extent(0, capacity)])

    def upload(stream: Iterable[bytes]) -> str:
        for i, _ in enumerate(stream):
            if i == 3:
                raise XtractError("Prism answered 507 Insufficient Storage.", hint="Free space in the container.")
        return "never"

    with pytest.raises(XtractError, match="507") as info:
        copy_disk(FileDiskReader(src), ImageStreamWriter(Qcow2Encoder(capacity, extents), upload), extents,
                  name="app01 disk 2000", chunk_size=MiB)
    assert "app01 disk 2000" in str(info.value)


def test_cancel_stops_the_upload_and_leaves_no_image(tmp_path: Path) -> None:
    capacity = 16 * MiB
    src, image = tmp_path / "src.raw", tmp_path / "out.qcow2"
    extents = make_disk(src, capacity, [Extent(0, capacity)])
    cancel = threading.Event()
    reader = InstrumentedReader(src, after_read=lambda n: cancel.set() if n == 3 else None)
    with pytest.raises(CancelledError):
        copy_disk(reader, ImageStreamWriter(Qcow2Encoder(capacity, extents), upload_to_file(image)), extents,
                  chunk_size=MiB, streams=2, cancel=cancel)
    assert not image.exists()
    assert reader.bytes_read() < capacity


def test_disk_not_in_whole_sectors_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="512-byte sectors"):
        Qcow2Encoder(1000, [Extent(0, 1000)])


def test_image_not_matching_the_source_is_an_integrity_error(tmp_path: Path) -> None:
    capacity = 4 * MiB
    src, image = tmp_path / "src.raw", tmp_path / "out.qcow2"
    extents = make_disk(src, capacity, [Extent(0, capacity)])

    class GarblingEncoder(Qcow2Encoder):
        """Changes one byte of every write, as an encoding bug would."""

        def write(self, offset: int, data: bytes) -> Iterator[bytes]:
            yield from super().write(offset, b"\x00" + data[1:] if data[0] else b"\x01" + data[1:])

    with pytest.raises(IntegrityError, match="content digest"):
        copy_disk(FileDiskReader(src), ImageStreamWriter(GarblingEncoder(capacity, extents), upload_to_file(image)),
                  extents, chunk_size=MiB)
    assert not image.exists()


def test_block_hashes_made_ahead_count_only_for_the_buffer_they_were_made_from() -> None:
    """``prepare`` hashes on the copy's workers; a different buffer reaching ``write`` is hashed again."""
    capacity = 2 * MiB
    extents = [Extent(0, capacity)]
    prepared = bytearray(random.Random(3).randbytes(capacity))
    changed = bytearray(prepared)
    changed[5] ^= 1
    for written in (prepared, changed):
        enc = Qcow2Encoder(capacity, extents)
        list(enc.start())
        enc.prepare(0, prepared)
        list(enc.write(0, written))
        list(enc.finish())
        assert enc.content_digest() == content_digest_of(capacity, [(0, bytes(written))])
