"""TLS for the datastore reads that costs per buffer, not per TLS record: ``ssl.MemoryBIO`` with large socket reads.

Python's ``SSLSocket.recv_into`` returns at most one TLS record (16 KiB) per call, and each call costs two
``recv`` system calls (OpenSSL reads a record's header, then its body), a GIL release and a Python call:
about 1 CPU second per GiB before a byte is decrypted (``benchmarks/transfer.py`` at 64 GiB over HTTPS:
0.59 of ``curl → files``).  Here the encrypted stream is read from the plain socket in up to 1 MiB at a
time and handed to OpenSSL through a memory BIO, which then decrypts record after record straight into the
caller's buffer without touching the socket again: one system call per megabyte instead of two per 16 KiB.

Why this and not a C-level client (pycurl with a large ``CURLOPT_BUFFERSIZE``), measured side by side by
``benchmarks/https_read.py`` (figures there): both cut the per-record cost; on four streams pycurl used about
0.2 CPU s/GiB less (1.2 against 1.4, partly its newer bundled OpenSSL), the memory BIO reached 0.91-0.97 of
curl's rate, the plain ``SSLSocket`` 0.85-0.93.  But pycurl hands every received piece to a Python callback
as a fresh ``bytes`` (copied again into the chunk buffer), it pins public keys only
(``CURLOPT_PINNEDPUBLICKEY``), not the certificate's SHA-256 fingerprint the user accepted, and it needs
libcurl and its TLS library bundled into the frozen app for Windows, macOS and Linux.  The memory BIO is the
standard library's own (the frozen app already carries ``_ssl`` and OpenSSL), works the same on all three
systems, and keeps the pin exactly as before: the handshake runs here, and the certificate is compared with
the pin before the first byte of a request (and its cookie) goes out.  ``http.client`` still does the HTTP:
it only sees a socket-like object.
"""

from __future__ import annotations

import io
import socket
import ssl
from typing import Any

#: Bytes asked of the socket per ``recv``: several TLS records, so one system call decrypts into many.
READ_SIZE = 1024 * 1024


class BioTlsSocket:
    """A client TLS connection over ``raw`` through memory BIOs; the subset of ``socket`` http.client uses."""

    def __init__(self, raw: socket.socket, context: ssl.SSLContext, server_hostname: str | None = None, *,
                 read_size: int = READ_SIZE) -> None:
        self._raw = raw
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=False,
                                     server_hostname=server_hostname)
        self._buf = bytearray(read_size)
        self._view = memoryview(self._buf)
        self._eof = False
        self._handshake()

    def _handshake(self) -> None:
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._fill():
                    raise ssl.SSLEOFError("the server closed the connection during the TLS handshake") from None
        self._flush()

    def _flush(self) -> None:
        if self._outgoing.pending:
            self._raw.sendall(self._outgoing.read())

    def _fill(self) -> bool:
        """One ``recv`` of up to ``read_size`` encrypted bytes into the BIO; False at the end of the stream."""
        n = self._raw.recv_into(self._buf)
        if not n:
            self._eof = True
            self._incoming.write_eof()
            return False
        self._incoming.write(self._view[:n])
        return True

    # -- what http.client calls ------------------------------------------------------------------

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self._tls.getpeercert(binary_form)

    def sendall(self, data: Any) -> None:
        view = memoryview(data).cast("B")
        while view:
            n = self._tls.write(view)
            view = view[n:]
        self._flush()

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        """Decrypted bytes into ``buffer``: everything the BIO holds, else what one socket read brings."""
        view = memoryview(buffer).cast("B")
        want = nbytes or view.nbytes
        got = 0
        while got < want:
            try:
                n = self._tls.read(want - got, view[got:want])
            except ssl.SSLWantReadError:
                if got:  # return what is there; the next call reads the socket again
                    break
                if not self._fill():
                    continue  # the BIO's EOF makes the next read say how the stream ended
            except ssl.SSLZeroReturnError:  # close_notify: the server ended the stream cleanly
                break
            except ssl.SSLEOFError:
                if not self._eof:
                    raise
                break  # the TCP connection ended without close_notify: the end of the stream, as a socket says it
            else:
                if not n:
                    break
                got += n
        self._flush()  # a TLS 1.3 key update may want an answer
        return got

    def recv(self, nbytes: int) -> bytes:
        buf = bytearray(nbytes)
        return bytes(buf[:self.recv_into(buf)])

    def makefile(self, mode: str = "rb", buffering: int = -1, **_: Any) -> io.BufferedReader:
        if "w" in mode:
            raise ValueError("a datastore read connection only reads through its file")
        size = buffering if buffering > 0 else io.DEFAULT_BUFFER_SIZE
        # Large ``readinto`` calls bypass the BufferedReader's own buffer and land in the caller's.
        return io.BufferedReader(_RawTls(self), buffer_size=size)

    def settimeout(self, timeout: float | None) -> None:
        self._raw.settimeout(timeout)

    def setsockopt(self, *args: Any) -> None:
        self._raw.setsockopt(*args)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        self._raw.close()


class _RawTls(io.RawIOBase):
    def __init__(self, sock: BioTlsSocket) -> None:
        super().__init__()
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)


def connect_tls(host: str, port: int, context: ssl.SSLContext, *, timeout: float | None,
                server_hostname: str | None) -> BioTlsSocket:
    """A TCP connection to ``host:port`` with the TLS handshake done (certificate checks as ``context`` says)."""
    raw = socket.create_connection((host, port), timeout)
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return BioTlsSocket(raw, context, server_hostname)
    except BaseException:
        raw.close()
        raise
