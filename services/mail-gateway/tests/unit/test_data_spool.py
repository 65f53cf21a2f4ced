"""DATA streamed to the blob store (decision 0166): the same bytes, hash and header peek as the whole mail."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import aiosmtpd
import pytest
from aiosmtpd.smtp import SMTP
from corpus import ZAMMAD, files

from chassis.blobstore import BlobStore, BlobWriter
from mail_gateway.domain.headers import peek_headers
from mail_gateway.intake import prepare_spooled
from mail_gateway.smtp import GatewaySMTP
from mail_gateway.spool import DataSpool


def crlf_lines(raw: bytes) -> list[bytes]:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").splitlines(keepends=True)


def spool_through(store: BlobStore, lines: list[bytes], **sizes: int) -> tuple[DataSpool, str]:
    async def run() -> tuple[DataSpool, str]:
        with ThreadPoolExecutor(2) as executor:
            spool = DataSpool(store, executor, **sizes)
            for line in lines:
                await spool.add(line)
            sha = await asyncio.get_running_loop().run_in_executor(executor, spool.commit)
            return spool, sha

    return asyncio.run(run())


def temp_files(root: Path) -> list[Path]:
    return list(root.rglob(".tmp-*"))


@pytest.mark.parametrize("box", files(ZAMMAD, "mail0[0-4]*.box", ids=lambda p: p.name))
def test_real_mail_spooled_in_small_chunks_is_stored_whole(tmp_path, box):
    lines = crlf_lines(box.read_bytes())
    raw = b"".join(lines)
    store = BlobStore(tmp_path)
    spool, sha = spool_through(store, lines, chunk_bytes=512, head_bytes=64 * 1024)
    assert sha == hashlib.sha256(raw).hexdigest()
    assert store.get(sha) == raw and spool.size == len(raw)
    assert peek_headers(bytes(spool.head)) == peek_headers(raw)
    assert not temp_files(tmp_path)


def test_a_mail_that_fits_one_chunk_is_written_once_and_peeked(tmp_path):
    lines = [b"Message-ID: <one@customer.test>\r\n", b"Subject: hi\r\n", b"\r\n", b"body\r\n"]
    store = BlobStore(tmp_path)
    spool, sha = spool_through(store, lines)
    incoming = prepare_spooled(spool=spool, mail_from="a@b.test", rcpt_tos=["support@example.com"])
    assert incoming.sha256 == sha and incoming.size == len(b"".join(lines))
    assert incoming.peek.message_id == "one@customer.test" and incoming.peek.subject == "hi"
    assert bytes(spool.head) == b"".join(lines[:2])  # the header block only


def test_discard_removes_the_temporary_file_even_while_a_chunk_is_being_written(tmp_path):
    store = BlobStore(tmp_path)
    entered, release = threading.Event(), threading.Event()

    class SlowWriter(BlobWriter):
        def write(self, data: Any) -> None:
            super().write(data)
            entered.set()
            release.wait(5)

    store.writer = lambda: SlowWriter(store)  # type: ignore[method-assign]

    async def run() -> None:
        with ThreadPoolExecutor(2) as executor:
            spool = DataSpool(store, executor, chunk_bytes=4)
            adding = asyncio.ensure_future(spool.add(b"0123456789\r\n"))
            await asyncio.get_running_loop().run_in_executor(None, entered.wait, 5)
            assert len(temp_files(tmp_path)) == 1
            adding.cancel()  # the client went away while its chunk was on the way to disk
            spool.discard()  # the write holds the file: the removal waits for it in the pool
            release.set()
        with pytest.raises(asyncio.CancelledError):
            await adding

    asyncio.run(run())
    assert not temp_files(tmp_path) and not list(tmp_path.iterdir())


def test_a_failed_write_is_kept_until_commit_which_raises_it(tmp_path):
    store = BlobStore(tmp_path / "a-file")
    (tmp_path / "a-file").write_bytes(b"not a directory")  # every write to the store fails

    async def run() -> DataSpool:
        with ThreadPoolExecutor(1) as executor:
            spool = DataSpool(store, executor, chunk_bytes=4)
            for line in (b"Subject: x\r\n", b"\r\n", b"more body\r\n"):
                await spool.add(line)  # the sender is read to the end, the failure waits for it
            return spool

    spool = asyncio.run(run())
    assert isinstance(spool.error, OSError) and spool.size == 25
    with pytest.raises(OSError):
        spool.commit()


# aiosmtpd internals GatewaySMTP.smtp_DATA relies on. If an upgrade changes them, re-read the new
# smtp_DATA, carry its changes into ours, then record the new hashes here (decision 0166).
AIOSMTPD_VERSION = "1.4.6"
UPSTREAM_SOURCE_SHA256 = {
    "smtp_DATA": "3a33f30d3fd6d02f39c7d78a08288bffea9170525b62e2161568041ae7e018df",
    "_call_handler_hook": "6ff23a6634ea03076444ef30df9fd65b01c4d52e9fda0bd3d99339aacc488d74",
    "_set_post_data_state": "1dc8a8abca2a81644a605b8ebf427fc7472eeadf5149dd3cf2591fa86b2256e9",
    "_reset_timeout": "fef19b94d28dff319ca0ca9ecc1884e8f419d9f016d1d25380b01d5e85ff3c78",
}


def test_the_aiosmtpd_our_data_override_was_written_against():
    assert aiosmtpd.__version__ == AIOSMTPD_VERSION
    requirements = (Path(__file__).resolve().parents[4] / "requirements.txt").read_text()
    assert f"aiosmtpd=={AIOSMTPD_VERSION}" in requirements.splitlines()
    for name, digest in UPSTREAM_SOURCE_SHA256.items():
        source = inspect.getsource(getattr(SMTP, name))
        assert hashlib.sha256(source.encode()).hexdigest() == digest, f"aiosmtpd's SMTP.{name} changed"
    assert "self._decode_data = decode_data" in inspect.getsource(SMTP.__init__)
    assert "self._reader = reader" in inspect.getsource(SMTP._cb_client_connected)
    assert GatewaySMTP.smtp_DATA is not SMTP.smtp_DATA
