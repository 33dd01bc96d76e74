"""streamOptimized VMDK generated on the fly (VMware "Virtual Disk Format 5.0", stream-optimized sparse extent).

File order: the sparse extent header (grain directory "at end"), the
embedded descriptor, then for every non-zero 64 KiB grain a grain marker
(its LBA and compressed size) followed by the deflated grain, a grain table
(marker + 512 entries) as soon as the copy has passed the 32 MiB it maps,
(left out when it maps no grain), and at the end the grain directory, a footer (the header again, now with the
directory's offset) and the end-of-stream marker.  All little-endian, every
piece padded to 512-byte sectors.

Unlike qcow2 the length is not known in advance (compression), so the
upload is chunked; in exchange all-zero grains are left out and compressible
data shrinks.  Grain table entries point at the grain's marker sector, as
qemu and VMware read them.
"""

from __future__ import annotations

import random
import struct
import threading
import zlib
from collections.abc import Iterator

from ..domain.errors import UnsupportedError
from .digest import ContentDigest, is_zero

SECTOR = 512
MAGIC = 0x564D444B  # "KDMV" on disk
VERSION = 3  # stream-optimized extents carry version 3
FLAG_VALID_NEWLINE = 1 << 0
FLAG_COMPRESSED = 1 << 16
FLAG_MARKERS = 1 << 17
COMPRESS_DEFLATE = 1
GD_AT_END = 0xFFFFFFFFFFFFFFFF
GTES_PER_GT = 512
MARKER_EOS, MARKER_GT, MARKER_GD, MARKER_FOOTER = 0, 1, 2, 3
DESCRIPTOR_SECTORS = 20  # what VMware tools reserve; room to edit the descriptor in place
OVERHEAD_SECTORS = 128  # grains start after the first 64 KiB, as in VMware's own stream files


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % SECTOR)


def _marker(value: int, size: int, kind: int | None = None) -> bytes:
    """A grain marker (``kind`` None: LBA + compressed size) or a metadata marker (sectors, 0, type)."""
    if kind is None:
        return struct.pack("<QI", value, size)
    return struct.pack("<QII", value, 0, kind) + bytes(SECTOR - 16)


class VmdkStreamEncoder:
    """In-order disk writes → streamOptimized VMDK bytes (an ``ImageStreamWriter`` encoder)."""

    disk_format = "vmdk"
    skip_zeros = True
    length: int | None = None  # compressed: unknown until the end

    def __init__(self, capacity: int, *, grain_sectors: int = 128, compress_level: int = 1,
                 file_name: str = "disk.vmdk", adapter_type: str = "lsilogic") -> None:
        if capacity % SECTOR:
            raise UnsupportedError(
                f"A disk of {capacity} bytes is not a whole number of 512-byte sectors; a VMDK cannot hold it.",
                hint="Use the NFS (warm) transfer for this disk.")
        self.capacity = capacity
        self.grain_sectors = grain_sectors
        self.block_size = grain_sectors * SECTOR
        self.level = compress_level
        self.file_name = file_name
        self.adapter_type = adapter_type
        self.sectors = capacity // SECTOR
        self.grains = -(-capacity // self.block_size)
        self.gt_count = -(-self.grains // GTES_PER_GT)
        self._pos = 0  # bytes emitted so far
        self._gt_index = 0  # the grain table being filled
        self._gt = [0] * GTES_PER_GT
        self._gd: list[int] = []  # sector of each grain table, in order
        self._next_grain = 0  # grains below this one are settled
        self._digest = ContentDigest(capacity)
        self.grains_written = 0
        self._prepared: dict[int, list[bytes | None]] = {}  # offset → packed grains (None: zero grain)
        self._prepared_lock = threading.Lock()

    # -- pieces -------------------------------------------------------------------------------------

    def _header(self, gd_offset: int) -> bytes:
        head = struct.pack(
            "<IIIQQQQIQQQBccccH",
            MAGIC, VERSION, FLAG_VALID_NEWLINE | FLAG_COMPRESSED | FLAG_MARKERS,
            self.sectors, self.grain_sectors,
            1, DESCRIPTOR_SECTORS,  # descriptor right after the header
            GTES_PER_GT,
            0,  # no redundant grain directory in a stream
            gd_offset, OVERHEAD_SECTORS,
            0, b"\n", b" ", b"\r", b"\n",  # clean; the newline bytes detect FTP-style corruption
            COMPRESS_DEFLATE,
        )
        return head + bytes(SECTOR - len(head))

    def _descriptor(self) -> bytes:
        heads, sectors = 255, 63
        cylinders = min(self.sectors // (heads * sectors), 65535)
        text = "\n".join([
            "# Disk DescriptorFile",
            "version=1",
            f"CID={random.getrandbits(32):08x}",
            "parentCID=ffffffff",
            'createType="streamOptimized"',
            "",
            "# Extent description",
            f'RW {self.sectors} SPARSE "{self.file_name}"',
            "",
            "# The Disk Data Base",
            "#DDB",
            "",
            'ddb.virtualHWVersion = "4"',
            f'ddb.geometry.cylinders = "{cylinders}"',
            f'ddb.geometry.heads = "{heads}"',
            f'ddb.geometry.sectors = "{sectors}"',
            f'ddb.adapterType = "{self.adapter_type}"',
            "",
        ]).encode("ascii")
        if len(text) > DESCRIPTOR_SECTORS * SECTOR:
            raise ValueError("VMDK descriptor does not fit its reserved sectors")
        return text + bytes(DESCRIPTOR_SECTORS * SECTOR - len(text))

    def _emit(self, data: bytes) -> bytes:
        self._pos += len(data)
        return data

    # -- encoder protocol ---------------------------------------------------------------------------

    def start(self) -> Iterator[bytes]:
        first = self._header(GD_AT_END) + self._descriptor()
        yield self._emit(first + bytes(OVERHEAD_SECTORS * SECTOR - len(first)))

    def write(self, offset: int, data: bytes) -> Iterator[bytes]:
        if offset % self.block_size:
            raise ValueError(f"VMDK writes must start on a grain boundary (got offset {offset})")
        grain = offset // self.block_size
        if grain < self._next_grain:
            raise ValueError(f"VMDK writes must come in offset order ({offset} was already passed)")
        if offset + len(data) > self.capacity:
            raise ValueError(f"VMDK write past the end of the disk: {offset}+{len(data)}")
        with self._prepared_lock:
            packed = self._prepared.pop(offset, None)
        if packed is None or len(packed) != -(-len(data) // self.block_size):
            packed = self._pack(data)
        mv = memoryview(data)
        for i, start in enumerate(range(0, len(mv), self.block_size)):
            yield from self._grain(grain, mv[start:start + self.block_size], packed[i])
            grain += 1
        self._next_grain = grain

    def prepare(self, offset: int, data: bytes) -> None:
        """Compress ahead of ``write``; the copy engine calls it from its worker threads, in parallel
        (deflate is the costly part of this format, and zlib releases the GIL)."""
        packed = self._pack(data)
        with self._prepared_lock:
            self._prepared[offset] = packed

    def _pack(self, data: bytes) -> list[bytes | None]:
        out: list[bytes | None] = []
        mv = memoryview(data)
        for start in range(0, len(mv), self.block_size):
            piece = mv[start:start + self.block_size]
            if is_zero(piece):
                out.append(None)
                continue
            if len(piece) < self.block_size:  # the disk's last grain: readers inflate whole grains
                piece = memoryview(bytes(piece) + bytes(self.block_size - len(piece)))
            out.append(zlib.compress(piece, self.level))
        return out

    def _grain(self, grain: int, piece: memoryview, packed: bytes | None) -> Iterator[bytes]:
        yield from self._close_tables_before(grain // GTES_PER_GT)
        if packed is None:
            return
        self._digest.update(grain * self.block_size, piece)
        lba = grain * self.grain_sectors
        self._gt[grain % GTES_PER_GT] = self._pos // SECTOR
        self.grains_written += 1
        yield self._emit(_pad(_marker(lba, len(packed)) + packed))

    def _close_tables_before(self, gt_index: int) -> Iterator[bytes]:
        """Settle every grain table below ``gt_index``.

        A table without any grain is left out and its directory entry is 0
        ("no table, all grains unallocated"), which readers treat as zeros:
        on a large, mostly empty disk the empty tables would otherwise cost
        2.5 KiB per 32 MiB, more than the data itself.
        """
        while self._gt_index < min(gt_index, self.gt_count):
            if any(self._gt):
                table = struct.pack(f"<{GTES_PER_GT}I", *self._gt)
                yield self._emit(_marker(len(table) // SECTOR, 0, MARKER_GT))
                self._gd.append(self._pos // SECTOR)
                yield self._emit(table)
                self._gt = [0] * GTES_PER_GT
            else:
                self._gd.append(0)
            self._gt_index += 1

    def finish(self) -> Iterator[bytes]:
        yield from self._close_tables_before(self.gt_count)
        directory = _pad(struct.pack(f"<{len(self._gd)}I", *self._gd))
        yield self._emit(_marker(len(directory) // SECTOR, 0, MARKER_GD))
        gd_sector = self._pos // SECTOR
        yield self._emit(directory)
        yield self._emit(_marker(1, 0, MARKER_FOOTER))
        yield self._emit(self._header(gd_sector))
        yield self._emit(_marker(0, 0, MARKER_EOS))

    def content_digest(self) -> str:
        return self._digest.hexdigest()
