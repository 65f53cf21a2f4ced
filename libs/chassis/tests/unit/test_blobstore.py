"""The filesystem blob store."""

import hashlib

import pytest

from chassis.blobstore import BlobNotFound, BlobStore


def test_put_is_content_addressed_and_idempotent(tmp_path):
    store = BlobStore(tmp_path)
    sha = store.put(b"raw mail")
    assert sha == hashlib.sha256(b"raw mail").hexdigest()
    assert (tmp_path / sha[:2] / sha).read_bytes() == b"raw mail"
    assert store.put(b"raw mail") == sha
    assert store.exists(sha) and store.get(sha) == b"raw mail"
    assert not [p for p in (tmp_path / sha[:2]).iterdir() if p.name.startswith(".tmp-")]


def test_missing_and_invalid_hashes(tmp_path):
    store = BlobStore(tmp_path)
    with pytest.raises(BlobNotFound):
        store.get("0" * 64)
    with pytest.raises(ValueError):
        store.get("../../etc/passwd")
