"""XDR (RFC 4506) encoding and decoding: the few shapes ONC RPC, MOUNT and NFSv3 use.

Everything on the wire is big-endian and padded to 4 bytes.  The packer collects parts in a list and the
caller hands them to ``socket.sendmsg`` as they are, so that a 1 MiB WRITE payload is never copied into a
second buffer.
"""

from __future__ import annotations

import struct

from .errors import NfsProtocolError

_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")
_PAD = (b"", b"\0\0\0", b"\0\0", b"\0")


class XdrError(NfsProtocolError):
    """A reply that does not decode: truncated or not what the procedure returns."""

    def __init__(self, message: str) -> None:
        super().__init__(f"A malformed NFS reply: {message}.",
                         hint="The server answered something this client does not understand; report it with the "
                              "server's version.", detail=message)


class Packer:
    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[bytes | memoryview] = []

    def uint(self, value: int) -> Packer:
        self._parts.append(_U32.pack(value & 0xFFFFFFFF))
        return self

    def int(self, value: int) -> Packer:
        self._parts.append(_I32.pack(value))
        return self

    def hyper(self, value: int) -> Packer:
        self._parts.append(_U64.pack(value))
        return self

    def bool(self, value: bool) -> Packer:
        return self.uint(1 if value else 0)

    def fopaque(self, data: bytes) -> Packer:
        """Fixed-length opaque (the length is part of the protocol, not sent)."""
        self._parts.append(data)
        if len(data) % 4:
            self._parts.append(_PAD[len(data) % 4])
        return self

    def opaque(self, data: bytes | memoryview) -> Packer:
        self._parts.append(_U32.pack(len(data)))
        self._parts.append(data)
        if len(data) % 4:
            self._parts.append(_PAD[len(data) % 4])
        return self

    def string(self, text: str) -> Packer:
        return self.opaque(text.encode("utf-8", "surrogateescape"))

    def uint_array(self, values: list[int] | tuple[int, ...]) -> Packer:
        self.uint(len(values))
        for v in values:
            self.uint(v)
        return self

    def extend(self, other: Packer) -> Packer:
        self._parts.extend(other._parts)
        return self

    @property
    def parts(self) -> list[bytes | memoryview]:
        return self._parts

    def size(self) -> int:
        return sum(len(p) for p in self._parts)

    def bytes(self) -> bytes:
        return b"".join(self._parts)


class Unpacker:
    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self._buf = memoryview(buf)
        self._pos = pos

    def _take(self, n: int) -> memoryview:
        end = self._pos + n
        if end > len(self._buf):
            raise XdrError(f"reply truncated: wanted {n} bytes at {self._pos} of {len(self._buf)}")
        view = self._buf[self._pos:end]
        self._pos = end
        return view

    def uint(self) -> int:
        return int(_U32.unpack(self._take(4))[0])

    def peek_uint(self) -> int:
        """The next unsigned int, left unread (a reply's status, looked at before its owner parses it)."""
        if self._pos + 4 > len(self._buf):
            raise XdrError(f"reply truncated: wanted 4 bytes at {self._pos} of {len(self._buf)}")
        return int(_U32.unpack_from(self._buf, self._pos)[0])

    def int(self) -> int:
        return int(_I32.unpack(self._take(4))[0])

    def hyper(self) -> int:
        return int(_U64.unpack(self._take(8))[0])

    def bool(self) -> bool:
        return self.uint() != 0

    def fopaque(self, n: int) -> bytes:
        data = bytes(self._take(n))
        if n % 4:
            self._take(4 - n % 4)
        return data

    def opaque_view(self, limit: int | None = None) -> memoryview:
        n = self.uint()
        if limit is not None and n > limit:
            raise XdrError(f"opaque of {n} bytes exceeds the protocol's limit of {limit}")
        view = self._take(n)
        if n % 4:
            self._take(4 - n % 4)
        return view

    def opaque(self, limit: int | None = None) -> bytes:
        return bytes(self.opaque_view(limit))

    def string(self, limit: int | None = None) -> str:
        return self.opaque_view(limit).tobytes().decode("utf-8", "surrogateescape")

    def uint_array(self) -> list[int]:
        return [self.uint() for _ in range(self.uint())]

    def skip(self, n: int) -> None:
        self._take(n)

    @property
    def remaining(self) -> int:
        return len(self._buf) - self._pos
