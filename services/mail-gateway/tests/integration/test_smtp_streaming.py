"""DATA streamed to disk as it arrives (decision 0166), through real SMTP: what is stored is what was sent."""

from __future__ import annotations

import hashlib
import os
import random
import re
import smtplib
import socket
import struct
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import MAX_MESSAGE_BYTES

from chassis.blobstore import TEMPORARY_MAX_AGE, BlobStore
from chassis.testing import wait_until
from mail_gateway.spool import CHUNK_BYTES


def temp_files(stack) -> list[Path]:
    return list(stack.blob_dir.glob(".tmp-*"))


def ops_metric(port: str, sample: str) -> float:
    """A sample (`name{labels}`) from a process's /metrics; 0 when it is not there."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    prefix = sample + " "
    return next((float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def smtp_counter(stack, outcome: str) -> float:
    return ops_metric(
        stack.env["MAIL_GATEWAY_SMTP_OPS_PORT"], f'mail_gateway_smtp_messages_total{{outcome="{outcome}"}}'
    )


def mail_with_body(mid: str, body_lines: list[bytes], sender: bytes = b"kari@customer.test") -> bytes:
    head = (
        b"From: Kari <" + sender + b">\r\nTo: support@example.com\r\nSubject: streamed\r\n"
        b"Message-ID: <" + mid.encode() + b">\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head + b"".join(line + b"\r\n" for line in body_lines)


DOT_LINES = [b".", b"..", b"...", b".hidden file", b". ", b"..double", b"text . in the middle", b"."]


def binary_lines(seed: int, total: int) -> list[bytes]:
    """8-bit lines of every byte value but CR and LF (which only end lines), `total` bytes in all."""
    rng = random.Random(seed)
    alphabet = bytes(b for b in range(256) if b not in (10, 13))
    lines, size = [], 0
    while size < total:
        line = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 200)))
        lines.append(line)
        size += len(line) + 2
    return lines


def stored_blob(stack, mid: str) -> bytes:
    [row] = stack.wait_rows(lambda rows: len(rows) == 1, message_id=mid)
    blob = (stack.blob_dir / row.raw_sha256[:2] / row.raw_sha256).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == row.raw_sha256 and row.raw_size == len(blob)
    return blob


def test_lines_starting_with_a_dot_are_stored_as_sent(stack):
    mid = stack.unique("dots")
    raw = mail_with_body(mid, [b"Hello,", *DOT_LINES, b"Kari"])
    assert stack.send(raw) == {}  # smtplib doubles the leading dots on the wire; we take them off again
    assert stored_blob(stack, mid) == raw


def test_an_8bit_smtputf8_mail_larger_than_a_chunk_is_stored_byte_identical(stack):
    mid = stack.unique("8bit")
    # every byte value in the body, the dot lines on both sides of the chunk boundaries, over the limit
    lines = binary_lines(1, CHUNK_BYTES - 300) + DOT_LINES * 40 + binary_lines(2, CHUNK_BYTES // 2)
    raw = mail_with_body(mid, lines, sender="kåre@kunde.test".encode())
    assert MAX_MESSAGE_BYTES < len(raw) < 2 * MAX_MESSAGE_BYTES and len(raw) > CHUNK_BYTES
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.has_extn("8bitmime") and client.has_extn("smtputf8")
        refused = client.sendmail("kåre@kunde.test", ["support@example.com"], raw, ["BODY=8BITMIME", "SMTPUTF8"])
    assert refused == {}
    assert stored_blob(stack, mid) == raw
    [row] = stack.rows(message_id=mid)
    assert row.mail_from == "kåre@kunde.test" and row.from_email == "kåre@kunde.test"


def test_concurrent_large_mails_each_keep_their_own_bytes(stack):
    mids = [stack.unique("concurrent") for _ in range(6)]
    raws = {mid: mail_with_body(mid, binary_lines(i, 2 * CHUNK_BYTES // 3)) for i, mid in enumerate(mids)}

    def send(mid: str) -> dict:
        with stack.smtp_client() as client:
            return client.sendmail("kari@customer.test", ["support@example.com"], raws[mid], ["BODY=8BITMIME"])

    with ThreadPoolExecutor(len(mids)) as pool:
        assert list(pool.map(send, mids)) == [{}] * len(mids)
    for mid in mids:
        assert stored_blob(stack, mid) == raws[mid]
    assert not temp_files(stack)


def test_a_mail_over_the_cap_leaves_nothing_and_the_session_goes_on(stack):
    before, too_big = len(stack.rows()), smtp_counter(stack, "too_big")
    mid = stack.unique("over-cap")
    huge = mail_with_body(mid, binary_lines(3, 2 * MAX_MESSAGE_BYTES + CHUNK_BYTES))
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250  # no SIZE: met at the end of DATA
        assert client.rcpt("support@example.com")[0] == 250
        code, text = client.data(huge)
        assert code == 552 and f"at most {2 * MAX_MESSAGE_BYTES} bytes".encode() in text
        assert not temp_files(stack)  # the chunks written before the cap was passed are gone already
        # the same connection takes the next mail
        small_mid = stack.unique("after-cap")
        assert client.sendmail("kari@customer.test", ["support@example.com"], stack.mail(message_id=small_mid)) == {}
    assert smtp_counter(stack, "too_big") == too_big + 1
    assert stack.rows(message_id=mid) == [] and len(stack.rows()) == before + 1


def stuffed(data: bytes) -> bytes:
    """Leading dots doubled, as an SMTP client sends DATA (RFC 5321 4.5.2)."""
    return re.sub(rb"(?m)^\.", b"..", data)


def start_data(stack) -> smtplib.SMTP:
    """A client in the middle of DATA (354 answered)."""
    client = stack.smtp_client()
    client.ehlo()
    assert client.mail("kari@customer.test")[0] == 250
    assert client.rcpt("support@example.com")[0] == 250
    client.putcmd("data")
    assert client.getreply()[0] == 354
    return client


def test_a_client_that_disconnects_mid_data_leaves_nothing(stack):
    before, disconnected = len(stack.rows()), smtp_counter(stack, "disconnected")
    mid = stack.unique("cut")
    raw = mail_with_body(mid, binary_lines(4, CHUNK_BYTES + CHUNK_BYTES // 2))  # under the hard cap
    client = start_data(stack)
    assert client.sock is not None
    client.sock.sendall(stuffed(raw[: CHUNK_BYTES + 1000]))
    # what arrived is on disk already (not in the listener's memory) ...
    wait_until(lambda: [p for p in temp_files(stack) if p.stat().st_size >= CHUNK_BYTES], what="spooled chunks")
    # ... and goes away with the connection (reset, as a crashed client's kernel would)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    wait_until(lambda: not temp_files(stack), what="temporary file removed")
    wait_until(lambda: smtp_counter(stack, "disconnected") == disconnected + 1, what="disconnect counted")
    assert stack.rows(message_id=mid) == [] and len(stack.rows()) == before
    assert stack.send(raw) == {}  # the MTA's retry is stored whole
    assert stored_blob(stack, mid) == raw


def test_a_storage_failure_in_the_middle_of_data_answers_451_and_the_retry_is_stored(stack):
    mid = stack.unique("disk")
    raw = mail_with_body(mid, binary_lines(5, CHUNK_BYTES + CHUNK_BYTES // 2))
    client = start_data(stack)
    assert client.sock is not None
    client.sock.sendall(stuffed(raw[: CHUNK_BYTES // 2]))  # held in memory so far: nothing written yet
    moved = stack.blob_dir.with_name("blobs-away")
    stack.blob_dir.rename(moved)
    stack.blob_dir.write_bytes(b"the blob store is not a directory now")  # every write fails
    try:
        client.sock.sendall(stuffed(raw[CHUNK_BYTES // 2 :]) + b".\r\n")
        code, text = client.getreply()
        assert (code, text[:5]) == (451, b"4.3.0")
        client.quit()
    finally:
        stack.blob_dir.unlink()
        moved.rename(stack.blob_dir)
    assert stack.rows(message_id=mid) == [] and not temp_files(stack)
    assert stack.send(raw) == {}
    assert stored_blob(stack, mid) == raw


def test_a_line_over_64_kib_answers_500_after_the_final_dot_and_stores_nothing(stack):
    mid = stack.unique("long-line")
    raw = mail_with_body(mid, [b"short", b"x" * (70 * 1024), b"."])  # the last line is a stuffed dot
    with stack.smtp_client() as client:
        client.ehlo()
        assert client.mail("kari@customer.test")[0] == 250
        assert client.rcpt("support@example.com")[0] == 250
        code, text = client.data(raw)
        assert (code, text) == (500, b"Line too long (see RFC5321 4.5.3.1.6)")
        assert client.noop()[0] == 250  # still in step with the client
    assert stack.rows(message_id=mid) == [] and not temp_files(stack)


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_what_a_listener_killed_mid_data_left_is_swept_when_the_processes_start(stack):
    """kill -9 mid-DATA leaves its temporary file (0166); each process sweeps old ones as it starts (0168)."""
    mid = stack.unique("killed")
    raw = mail_with_body(mid, binary_lines(6, CHUNK_BYTES + CHUNK_BYTES // 2))  # under the hard cap
    stack.worker.stop()
    client = start_data(stack)
    assert client.sock is not None
    client.sock.sendall(stuffed(raw[: CHUNK_BYTES + 1000]))
    [orphan] = wait_until(lambda: [p for p in temp_files(stack) if p.stat().st_size >= CHUNK_BYTES], what="a chunk")
    stack.smtp.kill()
    client.close()
    orphan_size = orphan.stat().st_size
    assert orphan.exists() and stack.rows(message_id=mid) == []
    # a write in progress in another process sharing the root: not written to for a while, but not old
    writing = BlobStore(stack.blob_dir).writer()
    try:
        writing.write(b"in progress")
        _age(Path(writing.tmp_name), TEMPORARY_MAX_AGE - 300)
        _age(orphan, TEMPORARY_MAX_AGE + 60)
        stack.worker.start()
        assert not orphan.exists()
        worker_ops = stack.env["MAIL_GATEWAY_OPS_PORT"]
        assert ops_metric(worker_ops, "helpdesk_blob_temporary_swept_files_total") == 1
        assert ops_metric(worker_ops, "helpdesk_blob_temporary_swept_bytes_total") == orphan_size

        # the SMTP listener sweeps when it starts too (it may start alone)
        dead = BlobStore(stack.blob_dir).writer()
        dead.write(b"x" * 10_000)  # past the file's buffer: on disk, as a killed writer's last chunk
        _age(Path(dead.tmp_name), 2 * TEMPORARY_MAX_AGE)
        stack.smtp.start()
        assert not Path(dead.tmp_name).exists()
        smtp_ops = stack.env["MAIL_GATEWAY_SMTP_OPS_PORT"]
        assert ops_metric(smtp_ops, "helpdesk_blob_temporary_swept_files_total") == 1
        assert ops_metric(smtp_ops, "helpdesk_blob_temporary_swept_bytes_total") == 10_000
        assert Path(writing.tmp_name).exists() and stack.rows(message_id=mid) == []
        swept = [line for line in stack.smtp.log_tail(200).splitlines() if "blob_temporary_swept" in line]
        assert '"files": 1' in swept[-1] and '"bytes": 10000' in swept[-1]
    finally:
        writing.abort()
        for process in (stack.smtp, stack.worker):
            if process.proc is None or process.proc.poll() is not None:
                process.start()
    assert stack.send(raw) == {}  # the MTA's retry
    assert stored_blob(stack, mid) == raw
