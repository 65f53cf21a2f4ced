"""Content-addressed blob store on the local filesystem (attachments, raw mail).

The interface (put/get/exists by SHA-256) is all callers use, so an S3-compatible store can
replace this class without touching them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


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

    def check(self) -> str:
        """'ok' when the store is writable (for /healthz)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return "ok" if os.access(self.root, os.W_OK) else "not writable"


class BlobWriter:
    """One blob streamed to a temporary file in the store, hashed on the way; `commit` makes it durable.

    The temporary file (`<root>/.tmp-*`, same filesystem as its target) is fsynced and renamed to its
    content address by `commit`, which returns the SHA-256 only once the bytes and the rename are on
    disk. `abort` (or leaving a `with` block without committing) removes it. One thread at a time.
    """

    def __init__(self, store: BlobStore, *, sha256: str | None = None) -> None:
        self.store = store
        self.size = 0
        self._known = sha256  # `put` hashed the bytes already
        self._hash = None if sha256 else hashlib.sha256()
        try:
            fd, self.tmp_name = tempfile.mkstemp(dir=store.root, prefix=".tmp-")
        except FileNotFoundError:  # a new store
            store.root.mkdir(parents=True, exist_ok=True)
            fd, self.tmp_name = tempfile.mkstemp(dir=store.root, prefix=".tmp-")
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
