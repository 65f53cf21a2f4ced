"""The attachments' blob store is swept of dead writers' temporary files when the worker starts (decision 0168)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from cases.worker import CasesService
from chassis.blobstore import TEMPORARY_MAX_AGE, BlobStore


class _Container:
    """What `ServiceRuntime.setup` reads of its nameko container."""

    config: dict[str, Any] = {}


def _left_by_a_writer(store: BlobStore, last_written: float) -> Path:
    writer = store.writer()
    writer.write(b"x" * 10_000)  # past the file's buffer: on disk, as a killed writer's last chunk
    os.utime(writer.tmp_name, (last_written, last_written))
    return Path(writer.tmp_name)


def test_the_worker_sweeps_its_attachment_store_when_it_sets_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASES_BLOB_DIR", str(tmp_path / "case-blobs"))
    monkeypatch.setenv("CASES_DATABASE_URL", f"sqlite:///{tmp_path}/cases.sqlite")
    store = BlobStore(tmp_path / "case-blobs")
    sha = store.put(b"an attachment")
    dead = _left_by_a_writer(store, time.time() - TEMPORARY_MAX_AGE - 60)
    writing = _left_by_a_writer(store, time.time() - 60)  # another worker sharing the store is writing it
    container = _Container()
    runtime = CasesService.runtime.bind(container, "runtime")  # type: ignore[attr-defined]
    runtime.setup()
    try:
        assert not dead.exists()
        assert writing.exists() and store.get(sha) == b"an attachment"
    finally:
        runtime.runtime.engine.dispose()
