"""`GatewaySMTP.smtp_DATA` (decision 0166) over a real socket, with a stub handler and a blob store in a
temporary directory: RFC 5321 line handling at the edges, the size cap at its boundary, the outcome counted."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from chassis.blobstore import BlobStore
from mail_gateway.metrics import SMTP_MESSAGES
from mail_gateway.smtp import GatewaySMTP
from mail_gateway.spool import DataSpool

CAP = 4096


class StubHandler:
    """Stores what the spool holds and answers 250, as IntakeHandler does minus the database."""

    def __init__(self, store: BlobStore, executor: ThreadPoolExecutor) -> None:
        self.store, self.executor = store, executor
        self.stored: list[bytes] = []

    def open_spool(self) -> DataSpool:
        return DataSpool(self.store, self.executor, chunk_bytes=64)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        sha = await asyncio.get_running_loop().run_in_executor(self.executor, envelope.spool.commit)
        self.stored.append(self.store.get(sha))
        return "250 OK"


class Listener:
    def __init__(self, root: Path, timeout: float = 300.0) -> None:
        self.root = root
        self.executor = ThreadPoolExecutor(2)
        self.handler = StubHandler(BlobStore(root), self.executor)
        self.loop = asyncio.new_event_loop()
        self.server = self.loop.run_until_complete(
            self.loop.create_server(
                lambda: GatewaySMTP(self.handler, data_size_limit=CAP, timeout=timeout, loop=self.loop), "127.0.0.1", 0
            )
        )
        self.port = self.server.sockets[0].getsockname()[1]

    def run(self, seconds: float = 0.05) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    def close(self) -> None:
        self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        self.loop.close()
        self.executor.shutdown()


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[Listener]:
    lst = Listener(tmp_path)
    try:
        yield lst
    finally:
        lst.close()


class Client:
    """A raw SMTP client whose reads let the listener's loop run (both in this thread)."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.sock = socket.create_connection(("127.0.0.1", listener.port))
        self.sock.setblocking(False)
        self.buffer = b""
        assert self.reply().startswith(b"220")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply(self) -> bytes:
        for _ in range(1000):
            self.listener.run(0.01)
            with contextlib.suppress(BlockingIOError):  # nothing arrived yet
                self.buffer += self.sock.recv(65536)
            if b"\r\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\r\n", 1)
                return line
        raise AssertionError("no reply")

    def start_data(self) -> None:
        for command, code in ((b"HELO c", b"250"), (b"MAIL FROM:<a@b.test>", b"250"), (b"RCPT TO:<s@x.test>", b"250")):
            self.send(command + b"\r\n")
            assert self.reply().startswith(code)
        self.send(b"DATA\r\n")
        assert self.reply().startswith(b"354")

    def close(self) -> None:
        self.sock.close()


def counted(outcome: str) -> float:
    return SMTP_MESSAGES.labels(outcome)._value.get()


def test_a_crlf_and_a_final_dot_split_across_reads_end_the_mail_once(listener: Listener) -> None:
    client = Client(listener)
    client.start_data()
    wire = b"Subject: x\r\n\r\n..dot\r\nline\r\n.\r\n"
    for i in range(len(wire)):  # one byte per TCP segment: every CRLF and the final dot arrive in pieces
        client.send(wire[i : i + 1])
        listener.run(0.002)
    assert client.reply() == b"250 OK"
    assert listener.handler.stored == [b"Subject: x\r\n\r\n.dot\r\nline\r\n"]
    client.close()


def test_a_bare_lf_neither_ends_a_line_nor_the_mail(listener: Listener) -> None:
    client = Client(listener)
    client.start_data()
    client.send(b"Subject: x\r\n\r\nbare\n.\nstill\n..here\r\n.\r\n")  # only <CRLF>.<CRLF> ends DATA
    assert client.reply() == b"250 OK"
    assert listener.handler.stored == [b"Subject: x\r\n\r\nbare\n.\nstill\n..here\r\n"]
    client.close()


@pytest.mark.parametrize("over", [0, 1])
def test_the_cap_counts_the_bytes_on_the_wire_up_to_the_final_dot(listener: Listener, over: int) -> None:
    client = Client(listener)
    client.start_data()
    line = b"." + b"x" * 97 + b"\r\n"  # 100 bytes on the wire, 99 stored
    body = line * (CAP // 100) + b"y" * (CAP % 100 + over - 2) + b"\r\n"
    assert len(body) == CAP + over
    client.send(body + b".\r\n")
    assert client.reply().startswith(b"250" if over == 0 else b"552")
    assert listener.handler.stored == ([] if over else [body.replace(b"\r\n.", b"\r\n")[1:]])
    assert not list(listener.root.glob(".tmp-*"))
    client.close()


def test_an_oversized_mail_whose_sender_leaves_is_counted_as_disconnected_only(listener: Listener) -> None:
    too_big, disconnected = counted("too_big"), counted("disconnected")
    client = Client(listener)
    client.start_data()
    client.send(b"x" * 100 + b"\r\n" * (CAP // 2))  # over the cap: 552 is owed at the final dot, never sent
    listener.run(0.1)
    client.close()
    for _ in range(500):  # the listener's loop notices the closed connection
        listener.run(0.01)
        if counted("disconnected") > disconnected:
            break
    assert (counted("too_big"), counted("disconnected")) == (too_big, disconnected + 1)
    assert not list(listener.root.glob(".tmp-*"))


def test_a_sender_that_keeps_sending_is_not_cut_off_by_the_idle_timeout(tmp_path: Path) -> None:
    """The session's idle time-out (here 1 s) counts from the last data received, not from the DATA command."""
    lst = Listener(tmp_path, timeout=1.0)
    try:
        client = Client(lst)
        client.start_data()
        client.send(b"Subject: slow\r\n\r\n")
        for i in range(12):  # 3 s of DATA, a line every 0.25 s: three times the idle time-out
            client.send(b"line %d\r\n" % i)
            lst.run(0.25)
        client.send(b".\r\n")
        assert client.reply() == b"250 OK"
        assert lst.handler.stored[0].count(b"line ") == 12
        client.close()
    finally:
        lst.close()


def test_a_sender_that_stops_mid_data_is_timed_out(tmp_path: Path) -> None:
    disconnected = counted("disconnected")
    lst = Listener(tmp_path, timeout=1.0)
    try:
        client = Client(lst)
        client.start_data()
        client.send(b"Subject: stalled\r\n\r\n" + b"x" * 100 + b"\r\n")
        lst.run(2.5)  # silent for longer than the idle time-out
        assert counted("disconnected") == disconnected + 1
        assert lst.handler.stored == []
        assert not list(lst.root.glob(".tmp-*"))
        client.close()
    finally:
        lst.close()
