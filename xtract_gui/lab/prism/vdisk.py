"""The lab cluster's vdisk files: format detection, sparse copies and the clone a VM disk gets.

Real AHV clones a VM disk from a file or an image into a vdisk of its own
(``/<container>/.acropolis/vmdisk/<vmdisk uuid>``); the source file can be removed afterwards without
touching the VM.  The lab does the same with real files, keeping holes so that disks of a few hundred
MiB that hold little data cost little time and space.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

from .tasks import TaskFailure

VMDISK_DIR = ".acropolis/vmdisk"  # where AOS keeps VM disks inside a container
_CHUNK = 1 << 20
_ZERO = memoryview(bytes(_CHUNK))  # compared without copying
_SECTOR = 512
_VMDK_COMPRESSED = 1 << 16
_VMDK_MARKERS = 1 << 17
_MARKER_EOS = 0


def detect_format(path: Path) -> tuple[str, int]:
    """(disk_format, virtual size) from the file's header: what AOS would convert to raw."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(512)
    if head[:4] == b"QFI\xfb" and len(head) >= 32:
        return "qcow2", struct.unpack(">Q", head[24:32])[0]
    if head[:4] == b"KDMV" and len(head) >= 20:
        return "vmdk", struct.unpack("<Q", head[12:20])[0] * 512
    if head.startswith(b"# Disk DescriptorFile"):
        return "vmdk", size
    if head[:8] == b"vhdxfile":
        return "vhdx", size
    return "raw", size


def _data_regions(fd: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of every data region (SEEK_DATA/SEEK_HOLE); the whole file where holes are unknown."""
    regions = []
    offset = 0
    try:
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                break  # only a hole remains (ENXIO)
            end = os.lseek(fd, start, os.SEEK_HOLE)
            regions.append((start, end))
            offset = end
    except OSError:  # a file system without SEEK_DATA: read everything, zero chunks still skipped
        return [(0, size)]
    return regions


def sparse_copy(src: Path, dst: Path, *, size: int | None = None) -> None:
    """Copy only data (holes found by SEEK_DATA/SEEK_HOLE, all-zero chunks skipped too), then set the length.

    ``size`` (default: the source's) lets a clone be larger than its source, as a VM disk bigger than its
    image is."""
    length = src.stat().st_size
    with src.open("rb") as fin, dst.open("wb") as fout:
        for start, end in _data_regions(fin.fileno(), length):
            fin.seek(start)
            offset = start
            while offset < end:
                piece = fin.read(min(end - offset, _CHUNK))
                if not piece:
                    break
                if piece != _ZERO[:len(piece)]:
                    fout.seek(offset)
                    fout.write(piece)
                offset += len(piece)
        fout.truncate(max(length, size or 0))


def _is_stream_vmdk(path: Path) -> bool:
    """A sparse extent with compressed grains and markers: the stream-optimized subformat."""
    with path.open("rb") as f:
        head = f.read(_SECTOR)
    if len(head) < 72 or head[:4] != b"KDMV":
        return False
    flags = struct.unpack_from("<I", head, 8)[0]
    return bool(flags & _VMDK_COMPRESSED and flags & _VMDK_MARKERS)


def _stream_vmdk_to_raw(src: Path, dst: Path, size: int) -> None:
    """A streamOptimized VMDK (grain markers + deflate, as the cold mode uploads) → raw bytes, holes kept.

    Walks the markers from ``overHead``: a grain marker (LBA, compressed size) is followed by the deflated
    grain; a metadata marker (its sector count, 0, type) by that many sectors of tables; EOS ends it."""
    with src.open("rb") as fin, dst.open("wb") as fout:
        head = fin.read(_SECTOR)
        pos = struct.unpack_from("<Q", head, 64)[0] * _SECTOR  # overHead
        while True:
            fin.seek(pos)
            marker = fin.read(16)
            if len(marker) < 12:
                break  # a stream without EOS: what was there is the disk
            value, packed = struct.unpack_from("<QI", marker)
            if packed:
                fin.seek(pos + 12)
                grain = zlib.decompress(fin.read(packed))
                fout.seek(value * _SECTOR)
                fout.write(grain)
                pos += -(-(12 + packed) // _SECTOR) * _SECTOR
                continue
            kind = struct.unpack_from("<I", marker, 12)[0] if len(marker) >= 16 else _MARKER_EOS
            if kind == _MARKER_EOS:
                break
            pos += _SECTOR + value * _SECTOR
        fout.truncate(size)


def clone_to(src: Path, dst: Path, size: int) -> None:
    """The VM disk's own raw vdisk at ``dst``, cloned from ``src`` (a raw file or a stored image).

    A stream-optimized VMDK image is converted to raw, as AOS does on import; other non-raw images
    (qcow2, VHDX, monolithic sparse VMDK) are copied as they are — a documented lab deviation."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        fmt, vsize = detect_format(src)
        if fmt == "vmdk" and _is_stream_vmdk(src):
            try:
                _stream_vmdk_to_raw(src, dst, max(size, vsize))
            except (zlib.error, struct.error) as exc:
                raise TaskFailure("INVALID_ARGUMENT", f"The VMDK image is damaged and cannot be cloned: {exc}"
                                  ) from exc
        else:
            sparse_copy(src, dst, size=size)
    except BaseException:
        dst.unlink(missing_ok=True)  # a failed clone leaves no half vdisk behind
        raise


def new_empty(dst: Path, size: int) -> None:
    """A new empty disk: all hole."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("wb") as f:
        f.truncate(size)
