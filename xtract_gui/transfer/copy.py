"""The extent copy engine: CBT extents from a ``DiskReader`` into a ``DiskWriter``.

One call copies one disk.  The coordinator (the calling thread) cuts the
extents into chunks and keeps a bounded number of them in flight on the
shared ``CopyScheduler``; a worker throttles, reads (retrying transient
faults), hashes and, for random-access writers, writes its chunk.  For
sequential writers (streamed images) the coordinator writes the chunks
itself in offset order, holding early arrivals within the same bound.  So
memory is ``max_in_flight × chunk_size`` whatever the disk size.

Durability and resume: every ``checkpoint_bytes`` (or seconds) a background
checkpoint flushes the writer, reads back the chunks finished before that
flush and compares them with their source digest (XXH3-128), and only then records
them in the cursor (so ``CursorStore.save`` runs on that checkpoint thread,
one checkpoint at a time, while the copy goes on).  A restart subtracts the
cursor from the extents.  Streamed images
cannot resume (the upload starts over); they are verified by the content
digest instead (see ``digest.py``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from ..domain.errors import CancelledError, IntegrityError, TransientError, XtractError
from ..domain.extents import Extent, align_out, normalize, split, subtract, total_bytes
from ..engine.ports import Cancellation, DiskReader, DiskWriter
from .buffers import BufferPool
from .cursor import CursorStore
from .digest import BLOCK, BlockDigests, ContentDigest, block_digests, chunk_digest, is_zero
from .plan import coalesce
from .progress import CopyProgressFn, ProgressMeter
from .result import CopyResult, annotate
from .retry import RetryPolicy
from .scheduler import CopyScheduler
from .throttle import TokenBucket
from .verify import ZERO_CHUNK, ReadBack, check_content

KiB = 1024
MiB = 1024 * KiB


@dataclass
class _Chunk:
    extent: Extent
    digest: bytes | None = None
    zero: bool = False
    data: bytes | bytearray | memoryview | None = None  # kept only for sequential writers until written in order
    blocks: BlockDigests | None = None  # content digest pieces, hashed on the worker (sequential writers)


def copy_disk(reader: DiskReader, writer: DiskWriter, extents: Iterable[Extent], *,
              name: str = "disk", chunk_size: int = 4 * MiB, streams: int = 4, max_in_flight: int = 8,
              scheduler: CopyScheduler | None = None, throttle: TokenBucket | None = None,
              cursor: CursorStore | None = None, progress: CopyProgressFn | None = None,
              cancel: Cancellation | None = None, verify: bool = True, retry: RetryPolicy | None = None,
              finish: bool = True, checkpoint_bytes: int = 256 * MiB, checkpoint_seconds: float = 15.0,
              progress_interval: float = 0.5, merge_gap: int = 256 * KiB, merge_budget: float = 0.03) -> CopyResult:
    """Copy ``extents`` of ``reader`` to ``writer``; see the module text for the mechanics.

    ``name`` names the disk in errors ("web01 disk 2000").  ``streams``: chunks
    of this disk read at once; ``max_in_flight``: chunks held in memory at
    once (≥ ``streams``; the extra room lets a sequential writer wait for a
    slow early chunk).  Without ``scheduler`` a private pool of ``streams``
    threads is used; ``throttle`` overrides the scheduler's bucket.
    ``writer.skip_zeros`` (default False) lets all-zero chunks go unwritten;
    a sequential writer's optional ``prepare(offset, data)`` is called from
    the worker threads before the in-order ``write`` (parallel compression), or,
    when verifying, ``prepare_digested(offset, data, blocks)`` with the chunk's content-digest block hashes.
    ``finish``: call ``writer.finish()`` at the end and return its reference.
    ``merge_gap``/``merge_budget``: extents closer than ``merge_gap`` are read
    as one, adding at most ``merge_budget`` × the bytes (random-access writers; see ``plan.coalesce``).
    ``progress`` is called on the thread running ``copy_disk`` (every
    ``progress_interval`` seconds and at the end); hand it on to the event loop from there.

    Raises ``CancelledError`` (cursor saved up to the last finished chunk),
    ``IntegrityError`` (read-back or digest mismatch, short read) or the
    reader's/writer's ``XtractError`` annotated with the disk and offset.
    A sequential writer is aborted on any failure; a random-access one is
    left in place for a resume (call ``writer.abort()`` to give up).
    """
    return _DiskCopy(reader, writer, extents, name=name, chunk_size=chunk_size, streams=streams,
                     max_in_flight=max_in_flight, scheduler=scheduler, throttle=throttle, cursor=cursor,
                     progress=progress, cancel=cancel, verify=verify, retry=retry or RetryPolicy(),
                     checkpoint_bytes=checkpoint_bytes, checkpoint_seconds=checkpoint_seconds,
                     progress_interval=progress_interval, merge_gap=merge_gap,
                     merge_budget=merge_budget).run(finish=finish)


class _DiskCopy:
    def __init__(self, reader: DiskReader, writer: DiskWriter, extents: Iterable[Extent], *, name: str,
                 chunk_size: int, streams: int, max_in_flight: int, scheduler: CopyScheduler | None,
                 throttle: TokenBucket | None, cursor: CursorStore | None, progress: CopyProgressFn | None,
                 cancel: Cancellation | None, verify: bool, retry: RetryPolicy, checkpoint_bytes: int,
                 checkpoint_seconds: float, progress_interval: float, merge_gap: int,
                 merge_budget: float) -> None:
        if streams < 1 or max_in_flight < 1:
            raise ValueError("streams and max_in_flight must be at least 1")
        self.reader, self.writer, self.name = reader, writer, name
        self.sequential = bool(getattr(writer, "sequential", False))
        self.skip_zeros = bool(getattr(writer, "skip_zeros", False))
        capacity = min(reader.capacity, writer.capacity)
        wanted = normalize(extents, capacity=capacity)
        if self.sequential:
            # Image formats allocate whole clusters: read whole ones so no byte of a cluster is guessed.
            self.block = int(getattr(writer, "block_size", BLOCK))
            wanted = align_out(wanted, self.block, capacity=capacity)
            chunk_size = max(self.block, chunk_size - chunk_size % self.block)
        else:
            self.block = 1
        self.chunk_size = chunk_size
        self.streams = streams
        self.max_in_flight = max(max_in_flight, streams)
        self.own_scheduler = scheduler is None
        self.scheduler = scheduler or CopyScheduler(streams)
        self.throttle = throttle or self.scheduler.throttle
        self.cursor = None if self.sequential else cursor
        self.cancel = cancel
        self.verify = verify
        self.retry = retry
        self.progress_fn = progress
        self.progress_interval = progress_interval
        self.checkpoint_bytes = checkpoint_bytes
        self.checkpoint_seconds = checkpoint_seconds

        self.requested = total_bytes(wanted)
        resumed = normalize(self.cursor.load()) if self.cursor is not None else []
        self.todo = subtract(wanted, resumed)
        self.done_extents: list[Extent] = [e for e in resumed if e.end <= capacity]
        self.resumed = self.requested - total_bytes(self.todo)
        if not self.sequential:  # an image's layout is fixed by its extents: nothing may be added there
            self.todo = coalesce(self.todo, max_gap=merge_gap, budget=merge_budget)
        self.total = self.resumed + total_bytes(self.todo)
        self.meter = ProgressMeter(self.total, done=self.resumed)
        self.content = ContentDigest(capacity) if self.sequential and verify else None
        # The content digest's blocks are hashed once, on the workers, in parallel.  A writer with
        # ``prepare_digested`` gets those hashes for its own digest: it trusts them only for the very buffer
        # they were made from and hashes anything else it is handed, so an encoding error still shows.
        self.hash_blocks = self.content is not None and self.block % BLOCK == 0
        self.prepare_digested = getattr(writer, "prepare_digested", None) if self.hash_blocks else None

        # Chunks read into reused buffers when the reader can fill one and the writer is done with it on
        # return (a local file; NFS keeps uncommitted writes, streamed images queue theirs).
        reusable = not self.sequential and getattr(writer, "retains_writes", True) is False
        self.buffers = BufferPool(chunk_size) if reusable and callable(getattr(reader, "read_into", None)) else None
        self.read_back = ReadBack(writer, self.name, retry=retry, scheduler=self.scheduler, streams=streams,
                                  buffers=self.buffers, on_retry=self._on_retry)

        self.unsaved: list[_Chunk] = []  # finished since the last checkpoint (random-access writers)
        self.unsaved_bytes = 0
        self.copied = self.written = self.verified = self.chunks = 0
        self.peak = 0
        self._stats = threading.Lock()
        self.last_checkpoint = time.monotonic()
        self._ckpt_thread: threading.Thread | None = None
        self._ckpt_error: BaseException | None = None

    # -- the coordinator ----------------------------------------------------------------------

    def run(self, *, finish: bool) -> CopyResult:
        started = time.monotonic()
        try:
            self._pump()
            if self.sequential:
                check_content(self.writer, self.content if self.verify else None, self.name)
            else:
                self._checkpoint()
            target = self.writer.finish() if finish else ""
        except BaseException:
            if self.sequential:
                self._abort_quietly()
            raise
        finally:
            if self.own_scheduler:
                self.scheduler.close()
        self._report()
        return CopyResult(
            target=target, total_bytes=self.total, requested_bytes=self.requested, copied_bytes=self.copied,
            written_bytes=self.written,
            skipped_zero_bytes=self.meter.skipped_zero, resumed_bytes=self.resumed, chunks=self.chunks,
            retries=self.meter.retries, verified_bytes=self.verified,
            content_digest=self.content.hexdigest() if self.content else "",
            peak_chunks_in_flight=self.peak, seconds=time.monotonic() - started)

    def _pump(self) -> None:
        chunks: Iterator[Extent] = split(self.todo, self.chunk_size, align=self.block)
        pending: dict[Future[_Chunk], Extent] = {}
        order: deque[Extent] = deque()  # submitted, not yet written (sequential writers)
        ready: dict[int, _Chunk] = {}  # read early, waiting for their turn (sequential writers)
        failure: BaseException | None = None
        exhausted = False
        last_report = 0.0
        while True:
            if failure is None and self._cancelled():
                failure = CancelledError(f"The copy of {self.name} was cancelled.",
                                         hint="Resume it later; finished extents are kept.")
            while failure is None and not exhausted and len(pending) < self.streams \
                    and len(pending) + len(ready) < self.max_in_flight:
                ext = next(chunks, None)
                if ext is None:
                    exhausted = True
                    break
                pending[self.scheduler.submit(self._copy_chunk, ext)] = ext
                if self.sequential:
                    order.append(ext)
                self.peak = max(self.peak, len(pending) + len(ready))
            if not pending:
                break
            if failure is not None:
                for fut in pending:
                    fut.cancel()  # still queued behind other disks' chunks: never start them
            finished, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                ext = pending.pop(fut)
                try:
                    chunk = fut.result()
                except BaseException as err:  # the first failure wins, the rest drain
                    if failure is None:
                        failure = err if isinstance(err, CancelledError) else annotate(err, self.name, ext)
                    continue
                if self.sequential:
                    ready[ext.offset] = chunk
                else:
                    self._finished(chunk)
            if self.sequential and failure is None:
                try:
                    while order and order[0].offset in ready:
                        self._write_in_order(ready.pop(order.popleft().offset))
                except BaseException as err:
                    failure = annotate(err, self.name, None)
                    ready.clear()
            now = time.monotonic()
            if self._ckpt_thread is not None and not self._ckpt_thread.is_alive():
                try:
                    self._join_checkpoint()
                except BaseException as err:
                    failure = failure or err
            if failure is None and not self.sequential and self._ckpt_thread is None and (
                    self.unsaved_bytes >= self.checkpoint_bytes
                    or (self.unsaved and now - self.last_checkpoint >= self.checkpoint_seconds)):
                self._start_checkpoint()
            if now - last_report >= self.progress_interval:
                self._report()
                last_report = now
        if failure is not None:
            if not self.sequential:
                # Keep what did finish: the resume then starts after it.  A failing flush must not hide
                # the original error, so it only loses the checkpoint.
                with contextlib.suppress(XtractError):
                    self._checkpoint()
            self._report()
            raise failure

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _finished(self, chunk: _Chunk) -> None:
        self.chunks += 1
        self.meter.add(chunk.extent.length, zero=chunk.zero)
        self.unsaved.append(chunk)
        self.unsaved_bytes += chunk.extent.length

    def _write_in_order(self, chunk: _Chunk) -> None:
        ext = chunk.extent
        if chunk.data is not None:
            if self.content is not None:
                if chunk.blocks is not None:
                    self.content.add(ext.offset, ext.length, chunk.blocks)
                else:
                    self.content.update(ext.offset, chunk.data)
            if not chunk.zero:
                self.writer.write(ext.offset, chunk.data)
                self.written += ext.length
        chunk.data = chunk.blocks = None
        self.chunks += 1
        self.meter.add(ext.length, zero=chunk.zero)

    # -- a worker -------------------------------------------------------------------------------

    def _copy_chunk(self, ext: Extent) -> _Chunk:
        if self._cancelled():
            raise CancelledError(f"The copy of {self.name} was cancelled.")
        self.throttle.acquire(ext.length, self.cancel)
        if self.buffers is not None:
            with self.buffers.borrow(ext.length) as buf:
                self.retry.call(lambda: self.reader.read_into(ext.offset, buf),  # type: ignore[attr-defined]
                                cancel=self.cancel, on_retry=self._on_retry)
                with self._stats:
                    self.copied += ext.length
                return self._store(ext, buf)
        data = self.retry.call(lambda: self.reader.read(ext.offset, ext.length), cancel=self.cancel,
                               on_retry=self._on_retry)
        if len(data) != ext.length:
            raise IntegrityError(f"The source returned {len(data)} bytes instead of {ext.length}.",
                                 hint="The source disk may have shrunk or the datastore is failing; "
                                      "check the VM's disks and restart the copy.")
        with self._stats:
            self.copied += ext.length
        if self.sequential:
            blocks = block_digests(data) if self.hash_blocks else None
            zero = self.skip_zeros and (not blocks if blocks is not None else is_zero(data))
            prepare = getattr(self.writer, "prepare", None)
            if self.prepare_digested is not None and blocks is not None and not zero:
                self.prepare_digested(ext.offset, data, blocks)
            elif prepare is not None and not zero:
                prepare(ext.offset, data)  # e.g. compression, in parallel here rather than in offset order
            return _Chunk(ext, None, zero, data, blocks)
        return self._store(ext, data)

    def _store(self, ext: Extent, data: bytes | bytearray | memoryview) -> _Chunk:
        """Hash and write one chunk (random-access writers)."""
        all_zero = (self.skip_zeros or self.verify) and is_zero(data)  # a memcmp that stops at the first data
        zero = self.skip_zeros and all_zero
        # Hashed once here, on the worker (hashlib releases the GIL); the read-back is compared with it.  An
        # all-zero chunk (common on thick disks) needs no hash: it must read back as zeros (``ZERO_CHUNK``).
        digest = (ZERO_CHUNK if all_zero else chunk_digest(data)) if self.verify else None
        if not zero:
            self.retry.call(lambda: self.writer.write(ext.offset, data), cancel=self.cancel,
                            on_retry=self._on_retry)
            with self._stats:
                self.written += ext.length
        return _Chunk(ext, digest, zero)

    def _on_retry(self, err: TransientError, failures: int) -> None:
        self.meter.add_retry()

    # -- checkpoints and verification ------------------------------------------------------------

    def _start_checkpoint(self) -> None:
        """Flush, verify and record in the background, so the copy does not stall on fsync and read-back."""
        batch, self.unsaved, self.unsaved_bytes = self.unsaved, [], 0
        self.last_checkpoint = time.monotonic()
        self._ckpt_thread = threading.Thread(target=self._checkpoint_in_background, args=(batch,),
                                             name=f"xtract-checkpoint-{self.name}", daemon=True)
        self._ckpt_thread.start()

    def _checkpoint_in_background(self, batch: list[_Chunk]) -> None:
        try:
            self._checkpoint_batch(batch)
        except BaseException as err:  # the coordinator raises it
            self._ckpt_error = err

    def _join_checkpoint(self) -> None:
        if self._ckpt_thread is not None:
            self._ckpt_thread.join()
            self._ckpt_thread = None
        if self._ckpt_error is not None:
            err, self._ckpt_error = self._ckpt_error, None
            raise err

    def _checkpoint(self) -> None:
        """The synchronous one: wait for a background checkpoint, then take care of the rest."""
        self._join_checkpoint()
        batch, self.unsaved, self.unsaved_bytes = self.unsaved, [], 0
        self.last_checkpoint = time.monotonic()
        self._checkpoint_batch(batch)

    def _checkpoint_batch(self, batch: list[_Chunk]) -> None:
        # Only chunks whose write returned before this flush are in the batch, so the flush covers them
        # even though other chunks are being written meanwhile.
        if not batch:
            return
        self.retry.call(self.writer.flush, cancel=None, on_retry=self._on_retry)
        if self.verify:
            verified = self.read_back.check([(c.extent, c.digest) for c in batch])
            with self._stats:
                self.verified += verified
        if self.cursor is not None:
            self.done_extents = normalize([*self.done_extents, *(c.extent for c in batch)])
            self.cursor.save(self.done_extents)

    def _abort_quietly(self) -> None:
        with contextlib.suppress(XtractError):
            self.writer.abort()

    def _report(self) -> None:
        if self.progress_fn is not None:
            self.progress_fn(self.meter.snapshot())
