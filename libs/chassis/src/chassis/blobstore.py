"""Content-addressed blob store on the local filesystem (attachments, raw mail).

The interface (put/get/exists by SHA-256) is all callers use, so an S3-compatible store can
replace this class without touching them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from chassis.logging import get_logger
from chassis.metrics import BLOB_TEMPORARY_SWEPT_BYTES, BLOB_TEMPORARY_SWEPT_FILES

log = get_logger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".tmp-"
# exactly what `tempfile.mkstemp(prefix=TEMP_PREFIX)` names (8 characters of `tempfile`'s alphabet, no suffix)
_TEMP_NAME = re.compile(r"^\.tmp-[a-z0-9_]{8}$")
# A write touches its temporary file at least every few minutes: `put` writes at once, an SMTP DATA ends
# within aiosmtpd's 300 s timeout (a chunk every 256 KiB). An hour without a write is a writer that died.
TEMPORARY_MAX_AGE = 3600.0


@dataclass(frozen=True)
class SweepResult:
    files: int
    bytes: int


class BlobNotFound(KeyError):
    """No blob with that hash."""


class BlobStore:
    """Blobs live at `<root>/<sha256[:2]>/<sha256>`; writes are atomic and durable (fsync + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store `data` (once) and return its SHA-256; returns only when the bytes are on disk."""
        sha256 = hashlib.sha256(data).hexdigest()
        if self.path_of(sha256).exists():
            return sha256
        with BlobWriter(self, sha256=sha256) as writer:
            writer.write(data)
            return writer.commit()

    def writer(self) -> BlobWriter:
        """A blob written piece by piece (a mail as it arrives); see `BlobWriter`."""
        return BlobWriter(self)

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(sha256) from None

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def sweep_temporary(self, older_than: float = TEMPORARY_MAX_AGE) -> SweepResult:
        """Remove temporary files of writers that died (kill -9, power cut): `<root>/.tmp-*` not written to
        for `older_than` seconds. Run once when a process that owns the root starts; other processes may be
        writing into the same root, so a younger file is never touched, nor anything not named as `BlobWriter`
        names its files (blobs live in subdirectories and are never looked at). Logs and counts what it removed.
        """
        files = size = 0
        cutoff = time.time() - older_than
        try:
            with os.scandir(self.root) as listing:
                entries = list(listing)
        except FileNotFoundError:  # a new store: nothing written yet
            entries = []
        for entry in entries:
            if not _TEMP_NAME.match(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(st.st_mode) or st.st_mtime > cutoff:
                    continue
                os.unlink(entry.path)
            except FileNotFoundError:  # removed meanwhile (its writer aborted, or another process swept it)
                continue
            except OSError as exc:  # housekeeping: a file it cannot remove must not stop the service starting
                log.warning("blob_temporary_not_removed", path=entry.path, error=str(exc))
                continue
            files += 1
            size += st.st_size
        BLOB_TEMPORARY_SWEPT_FILES.inc(files)
        BLOB_TEMPORARY_SWEPT_BYTES.inc(size)
        log.info("blob_temporary_swept", root=str(self.root), files=files, bytes=size, older_than=older_than)
        return SweepResult(files=files, bytes=size)

    def check(self) -> str:
        """'ok' when the store is writable (for /healthz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return "ok" if os.access(self.root, os.W_OK) else "not writable"


class BlobWriter:
    """One blob streamed to a temporary file in the store, hashed on the way; `commit` makes it durable.

    The temporary file (`<root>/.tmp-*`, same filesystem as its target) is fsynced and renamed to its
    content address by `commit`, which returns the SHA-256 only once the bytes and the rename are on
    disk. `abort` (or leaving a `with` block without committing) removes it; one left by a process that
    died is removed by `BlobStore.sweep_temporary` at a later start. One thread at a time.
    """

    def __init__(self, store: BlobStore, *, sha256: str | None = None) -> None:
        self.store = store
        self.size = 0
        self._known = sha256  # `put` hashed the bytes already
        self._hash = None if sha256 else hashlib.sha256()
        try:
            fd, self.tmp_name = tempfile.mkstemp(dir=store.root, prefix=TEMP_PREFIX)
        except FileNotFoundError:  # a new store
            store.root.mkdir(parents=True, exist_ok=True)
            fd, self.tmp_name = tempfile.mkstemp(dir=store.root, prefix=TEMP_PREFIX)
        self._file: BinaryIO | None = os.fdopen(fd, "wb")
        self.sha256: str | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._file is None:
            raise ValueError("blob writer already committed or aborted")
        self._file.write(data)
        if self._hash is not None:
            self._hash.update(data)
        self.size += len(data)

    def commit(self) -> str:
        """Fsync, rename to `<sha256[:2]>/<sha256>` (over an existing copy: the same bytes), fsync the directory."""
        if self._file is None:
            raise ValueError("blob writer already committed or aborted")
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            sha256 = self._hash.hexdigest() if self._hash is not None else self._known
            assert sha256 is not None
            target = self.store.path_of(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.tmp_name, target)
        except BaseException:
            self.abort()
            raise
        # the rename itself must survive a power cut, so sync the directory entry too
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self.sha256 = sha256
        return sha256

    def abort(self) -> None:
        """Drop what was written (nothing is left on disk); a no-op after `commit`."""
        if self.sha256 is not None:
            return
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        with contextlib.suppress(OSError):
            os.unlink(self.tmp_name)

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()
