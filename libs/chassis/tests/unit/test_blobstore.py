"""The filesystem blob store."""

import contextlib
import hashlib
import os
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from chassis.blobstore import TEMPORARY_MAX_AGE, BlobNotFound, BlobStore, SweepResult


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


def _age(path, seconds):
    """Last written `seconds` ago, as a file whose writer died then would be."""
    old = time.time() - seconds
    os.utime(path, (old, old))


def _dead_writer(store, data=b"half a mail"):
    """The temporary file of a writer that was killed before commit or abort (kill -9, power cut)."""
    writer = store.writer()
    writer.write(data)
    writer._file.flush()
    return Path(writer.tmp_name)


def test_sweep_removes_old_temporary_files_and_keeps_fresh_ones_and_blobs(tmp_path):
    store = BlobStore(tmp_path)
    sha = store.put(b"a stored mail")
    blob = store.path_of(sha)
    _age(blob, 10 * TEMPORARY_MAX_AGE)  # a blob is never looked at, however old
    dead = [_dead_writer(store, b"x" * 1000), _dead_writer(store, b"y" * 24)]
    for path in dead:
        _age(path, TEMPORARY_MAX_AGE + 60)
    fresh = _dead_writer(store)  # another process may be writing it right now
    _age(fresh, TEMPORARY_MAX_AGE - 60)
    # not ours, though they look alike: kept whatever their age
    strangers = [
        tmp_path / ".tmp-notes.txt",
        tmp_path / ".tmp-",
        tmp_path / "tmp-abcdefgh",
        blob.parent / ".tmp-abcdefgh",
    ]
    for path in strangers:
        path.write_bytes(b"someone else's")
        _age(path, 10 * TEMPORARY_MAX_AGE)
    (tmp_path / ".tmp-dir12345").mkdir()
    os.symlink(blob, tmp_path / ".tmp-link1234")
    os.utime(tmp_path / ".tmp-link1234", (0, 0), follow_symlinks=False)

    files_before = REGISTRY.get_sample_value("helpdesk_blob_temporary_swept_files_total")
    bytes_before = REGISTRY.get_sample_value("helpdesk_blob_temporary_swept_bytes_total")
    assert store.sweep_temporary() == SweepResult(files=2, bytes=1024)

    assert not any(path.exists() for path in dead)
    assert fresh.read_bytes() == b"half a mail"
    assert store.get(sha) == b"a stored mail"
    assert all(path.read_bytes() == b"someone else's" for path in strangers)
    assert (tmp_path / ".tmp-dir12345").is_dir() and (tmp_path / ".tmp-link1234").is_symlink()
    assert REGISTRY.get_sample_value("helpdesk_blob_temporary_swept_files_total") == files_before + 2
    assert REGISTRY.get_sample_value("helpdesk_blob_temporary_swept_bytes_total") == bytes_before + 1024
    # a shorter age is the caller's choice; a second sweep finds nothing more of that age
    assert store.sweep_temporary(older_than=30) == SweepResult(files=1, bytes=len(b"half a mail"))
    assert store.sweep_temporary(older_than=30) == SweepResult(files=0, bytes=0)


def test_sweep_of_a_store_not_created_yet_removes_nothing(tmp_path):
    assert BlobStore(tmp_path / "new").sweep_temporary() == SweepResult(files=0, bytes=0)
    assert not (tmp_path / "new").exists()


def test_a_file_that_vanishes_during_the_sweep_is_skipped(tmp_path, monkeypatch):
    """Its writer aborted, or another process starting at the same time swept it first."""
    store = BlobStore(tmp_path)
    gone_before_stat, gone_before_unlink, swept = (_dead_writer(store, b"z" * n) for n in (1, 10, 100))
    for path in (gone_before_stat, gone_before_unlink, swept):
        _age(path, 2 * TEMPORARY_MAX_AGE)
    real_scandir, real_unlink = os.scandir, os.unlink

    def scandir_then_remove(root):
        listing = list(real_scandir(root))  # the listing still names it
        real_unlink(gone_before_stat)
        return contextlib.nullcontext(iter(listing))

    def unlink_raced(path):
        if path == str(gone_before_unlink):
            real_unlink(path)  # the other process won
        real_unlink(path)

    monkeypatch.setattr(os, "scandir", scandir_then_remove)
    monkeypatch.setattr(os, "unlink", unlink_raced)
    with capture_logs() as logs:
        assert store.sweep_temporary() == SweepResult(files=1, bytes=100)
    assert [(e["event"], e["log_level"]) for e in logs] == [("blob_temporary_swept", "info")]  # no warning
    monkeypatch.undo()
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_file_the_sweep_cannot_remove_is_reported_and_the_rest_still_swept(tmp_path, monkeypatch):
    store = BlobStore(tmp_path)
    stuck, swept = _dead_writer(store, b"a"), _dead_writer(store, b"bb")
    _age(stuck, 2 * TEMPORARY_MAX_AGE)
    _age(swept, 2 * TEMPORARY_MAX_AGE)
    real_unlink = os.unlink

    def refuse(path):
        if path == str(stuck):
            raise PermissionError(13, "Permission denied", path)
        real_unlink(path)

    monkeypatch.setattr(os, "unlink", refuse)
    with capture_logs() as logs:
        assert store.sweep_temporary() == SweepResult(files=1, bytes=2)
    assert stuck.exists() and not swept.exists()
    [warning] = [e for e in logs if e["log_level"] == "warning"]
    assert warning["event"] == "blob_temporary_not_removed" and warning["path"] == str(stuck)
    assert "Permission denied" in warning["error"]
