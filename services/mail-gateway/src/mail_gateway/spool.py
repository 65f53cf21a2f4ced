"""The DATA of one SMTP transaction on its way to the blob store, as it arrives (decision 0166).

At most `chunk_bytes` of the mail (plus its header block, up to `head_bytes`, for the header peek) is
held in memory: fuller buffers are written to a temporary file in the blob store by the thread pool,
while the connection waits (so a fast sender is slowed to the disk's pace by TCP, not buffered).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Executor

from chassis.blobstore import BlobStore, BlobWriter

CHUNK_BYTES = 256 * 1024  # written to the temporary file whenever this much has arrived
HEAD_BYTES = 128 * 1024  # the most of the header block kept for the header peek (`peek_headers`)


class DataSpool:
    """Unstuffed DATA lines in, one durable blob out; `discard` leaves nothing behind, whatever happened."""

    def __init__(
        self, blobs: BlobStore, executor: Executor, *, chunk_bytes: int = CHUNK_BYTES, head_bytes: int = HEAD_BYTES
    ) -> None:
        self.blobs = blobs
        self.executor = executor
        self.chunk_bytes = chunk_bytes
        self.head_bytes = head_bytes
        self.size = 0
        self.head = bytearray()  # the header block (up to its blank line), at most head_bytes
        self.error: Exception | None = None  # a failed write: the mail cannot be stored (451 at the end)
        self.sha256: str | None = None  # set by commit
        self._head_done = False
        self._buffer = bytearray()
        self._writer: BlobWriter | None = None
        self._discarded = False
        self._lock = threading.Lock()  # the writer is used by pool threads; discard may come from the loop

    async def add(self, line: bytes) -> None:
        """One line of the mail, dot-unstuffed, with its CRLF."""
        self.size += len(line)
        if not self._head_done:
            if line == b"\r\n" or len(self.head) + len(line) > self.head_bytes:
                self._head_done = True
            else:
                self.head += line
        if self.error is not None or self._discarded:
            return
        self._buffer += line
        if len(self._buffer) >= self.chunk_bytes:
            chunk, self._buffer = self._buffer, bytearray()
            try:
                await asyncio.get_running_loop().run_in_executor(self.executor, self._write, chunk)
            except Exception as exc:  # disk full, store gone: read on to the end of DATA, then answer 451
                self.error = exc
                self.discard()

    def commit(self) -> str:
        """Write the rest, fsync and rename; the blob's SHA-256 (blocking: call it in the thread pool; idempotent)."""
        if self.error is not None:
            raise self.error
        with self._lock:
            if self.sha256 is not None:
                return self.sha256
            if self._discarded:
                raise RuntimeError("the mail's data was discarded")
            if self._writer is None:  # the whole mail fitted in one chunk: one write, none if already stored
                self.sha256 = self.blobs.put(bytes(self._buffer))
            else:
                self._writer.write(self._buffer)
                self.sha256 = self._writer.commit()
            self._buffer = bytearray()
            return self.sha256

    def discard(self) -> None:
        """Drop the mail (over the cap, client gone, failed): its temporary file is removed; no-op once committed.

        Safe to call from the event loop while a pool thread is writing: the removal then waits in the pool.
        """
        self._discarded = True
        self._buffer = bytearray()
        if self._lock.acquire(blocking=False):
            try:
                self._abort_locked()
            finally:
                self._lock.release()
            return
        try:
            self.executor.submit(self._abort)
        except RuntimeError:  # the pool is shutting down: wait for the write in progress here
            self._abort()

    def _abort(self) -> None:
        with self._lock:
            self._abort_locked()

    def _abort_locked(self) -> None:
        if self._writer is not None:
            self._writer.abort()  # a no-op once committed

    def _write(self, chunk: bytearray) -> None:
        with self._lock:
            if self._discarded:
                return
            if self._writer is None:
                self._writer = self.blobs.writer()
            self._writer.write(chunk)
