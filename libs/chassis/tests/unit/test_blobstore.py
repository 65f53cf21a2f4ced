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


def _temp_files(root):
    return [p for p in root.rglob(".tmp-*")]


def test_a_streamed_blob_is_hashed_on_the_way_and_renamed_to_its_address(tmp_path):
    store = BlobStore(tmp_path)
    with store.writer() as writer:
        writer.write(b"raw ")
        writer.write(bytearray(b"mail"))
        assert writer.size == 8 and len(_temp_files(tmp_path)) == 1  # on disk before it is complete
        sha = writer.commit()
    assert sha == hashlib.sha256(b"raw mail").hexdigest()
    assert store.get(sha) == b"raw mail"
    assert not _temp_files(tmp_path)
    # the same bytes streamed again: the one copy stays
    with store.writer() as writer:
        writer.write(b"raw mail")
        assert writer.commit() == sha
    assert store.get(sha) == b"raw mail" and not _temp_files(tmp_path)


def test_an_uncommitted_stream_leaves_nothing(tmp_path):
    store = BlobStore(tmp_path)
    with store.writer() as writer:
        writer.write(b"half a mail")
    assert not _temp_files(tmp_path) and not list(tmp_path.iterdir())
    writer = store.writer()
    writer.write(b"x")
    writer.abort()
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValueError, match="already committed or aborted"):
        writer.write(b"more")
