"""Streamed streamOptimized VMDK images, checked by qemu-img."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from xtract_gui.domain.errors import UnsupportedError
from xtract_gui.domain.extents import Extent, total_bytes
from xtract_gui.transfer import FileDiskReader, copy_disk
from xtract_gui.transfer.image_stream import ImageStreamWriter, upload_to_file
from xtract_gui.transfer.vmdk import GD_AT_END, VmdkStreamEncoder

from .disks import MiB, assert_qemu_accepts, disk_digest, make_disk, random_extents

CASES = {
    "odd-size": (45 * MiB + 7 * 512, 14),  # two grain tables, the last grain short
    "empty": (5 * MiB, 0),
    "full": (9 * MiB + 512, -1),
    "one-sector": (512, -1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_vmdk_image_is_valid_and_identical(tmp_path: Path, case: str) -> None:
    capacity, count = CASES[case]
    src, image = tmp_path / "src.raw", tmp_path / "out.vmdk"
    wanted = [Extent(0, capacity)] if count < 0 else random_extents(capacity, count, seed=3)
    extents = make_disk(src, capacity, wanted)
    enc = VmdkStreamEncoder(capacity)
    writer = ImageStreamWriter(enc, upload_to_file(image))
    res = copy_disk(FileDiskReader(src), writer, extents, name=case, chunk_size=1 * MiB, streams=3)
    assert image.stat().st_size == writer.bytes_sent
    assert_qemu_accepts(image, src, capacity, fmt="vmdk")
    assert res.content_digest == disk_digest(src, capacity) == enc.content_digest()
    head = image.read_bytes()[:512]
    assert head[:4] == b"KDMV"
    assert struct.unpack_from("<Q", head, 56)[0] == GD_AT_END  # the directory is announced at the end


def test_zero_grains_are_not_sent(tmp_path: Path) -> None:
    capacity = 64 * MiB
    src, image = tmp_path / "src.raw", tmp_path / "out.vmdk"
    extents = make_disk(src, capacity, [Extent(10 * MiB, 4 * MiB), Extent(50 * MiB, 2 * MiB)])
    enc = VmdkStreamEncoder(capacity)
    writer = ImageStreamWriter(enc, upload_to_file(image))
    # CBT reports the whole disk allocated (thick disk): the zeros must still not go on the wire.
    res = copy_disk(FileDiskReader(src), writer, [Extent(0, capacity)])
    assert res.skipped_zero_bytes == capacity - 12 * MiB  # whole 4 MiB chunks of zeros never reach the encoder
    assert enc.grains_written == total_bytes(extents) // enc.block_size
    assert writer.bytes_sent <= total_bytes(extents) * 1.02 + 128 * 512
    assert_qemu_accepts(image, src, capacity, fmt="vmdk")


def test_disk_not_in_whole_sectors_is_refused() -> None:
    with pytest.raises(UnsupportedError, match="512-byte sectors"):
        VmdkStreamEncoder(1000)


def test_encoder_without_the_engine_prepare_step(tmp_path: Path) -> None:
    """Writes that were not prepared (compressed ahead) by the copy engine are compressed inline."""
    capacity = 3 * MiB
    src, image = tmp_path / "src.raw", tmp_path / "out.vmdk"
    make_disk(src, capacity, [Extent(0, MiB), Extent(2 * MiB, 512)])
    data = src.read_bytes()
    enc = VmdkStreamEncoder(capacity)
    writer = ImageStreamWriter(enc, upload_to_file(image))
    enc.prepare(0, data[:MiB])
    writer.write(0, data[:MiB])
    writer.write(2 * MiB, data[2 * MiB:2 * MiB + 64 * 1024])
    assert writer.finish() == str(image)
    assert_qemu_accepts(image, src, capacity, fmt="vmdk")


def test_grain_tables_without_grains_are_left_out(tmp_path: Path) -> None:
    capacity = 96 * MiB  # three grain tables of 32 MiB; only the last one maps data
    src, image = tmp_path / "src.raw", tmp_path / "out.vmdk"
    extents = make_disk(src, capacity, [Extent(70 * MiB, MiB)])
    writer = ImageStreamWriter(VmdkStreamEncoder(capacity), upload_to_file(image))
    copy_disk(FileDiskReader(src), writer, extents)
    raw = image.read_bytes()
    footer = raw[-1024:-512]
    gd_sector = struct.unpack_from("<Q", footer, 56)[0]
    directory = struct.unpack_from("<3I", raw, gd_sector * 512)
    assert directory[0] == directory[1] == 0 and directory[2] > 0
    assert_qemu_accepts(image, src, capacity, fmt="vmdk")
