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
        target = self.path_of(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        # the rename itself must survive a power cut, so sync the directory entry too
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return sha256

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
