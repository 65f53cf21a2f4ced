"""Shared fixtures: the mail gateway's two real processes on a fresh PostgreSQL database and vhost."""

from __future__ import annotations

import contextlib
import os
import smtplib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import corpus
import pytest
from imap_server import Dovecot, dovecot_server
from kombu import Connection, Exchange
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from chassis.db import make_engine
from chassis.settings import repo_root
from chassis.testing import EventCollector, ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database, wait_until
from contracts.envelope import Envelope, EventPayload
from mail_gateway.db.models import InboundMail

SECRET = "test-secret-key-for-mail-gateway-0123456789"
MAIL_DOMAIN = "helpdesk.example.com"
MAX_MESSAGE_BYTES = 256 * 1024
MAX_ATTACHMENT_BYTES = 64 * 1024
IMAP_BATCH_SIZE = 4  # small, so a dozen mails take several polls (batches)
SUPPORT = "support@example.com"
IMAP_PASSWORD = "imap-pw-never-shown-0451"  # every user's on the test dovecot (`imap` fixture)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked `corpus` skips, or under CI fails, before its fixtures start when its corpus is missing."""
    for mark in item.iter_markers("corpus"):
        corpus.require(*mark.args)


@dataclass
class Stack:
    """The running service: its env, processes, database and an event collector on `mail_gateway.events`."""

    env: dict[str, str]
    db_url: str
    amqp_uri: str
    blob_dir: Path
    smtp_port: int
    smtp: ServiceProcess
    worker: ServiceProcess
    engine: Engine
    events: EventCollector
    _counter: list[int] = field(default_factory=lambda: [0])

    def unique(self, prefix: str = "m") -> str:
        """A fresh Message-ID (without brackets) for a test mail."""
        self._counter[0] += 1
        return f"{prefix}-{self._counter[0]}-{time.monotonic_ns()}@customer.test"

    support: str = SUPPORT

    def mail(self, **kwargs: Any) -> bytes:
        """A well-formed mail as bytes (see `make_mail`)."""
        return make_mail(**kwargs)

    def smtp_client(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.smtp_port, local_hostname="client.test", timeout=30)

    def send(self, raw: bytes, rcpt: list[str] | None = None, sender: str = "kari@customer.test") -> Any:
        """Send one mail over real SMTP; returns smtplib's refused-recipients dict ({} when all accepted)."""
        with self.smtp_client() as client:
            return client.sendmail(sender, rcpt or [SUPPORT], raw)

    def send_until_accepted(self, raw: bytes) -> int:
        """Send as an MTA does: keep the mail and try again until it gets 250; returns how many tries failed."""
        failed = 0
        while True:
            try:
                if self.send(raw) == {}:
                    return failed
            except (OSError, smtplib.SMTPException):
                failed += 1
                time.sleep(0.05)

    def start_senders(self, message_ids: list[str], *, threads: int, subject: str) -> RetryingSenders:
        """`threads` MTA-like senders share out `message_ids`; each mail is retried until it gets 250."""
        return RetryingSenders(self, message_ids, threads, subject)

    def kill_smtp_when(self, ready: Callable[[], bool], timeout: float = 30.0) -> None:
        """Kill -9 the SMTP listener as soon as `ready()` holds (at the latest after `timeout` seconds)."""
        with contextlib.suppress(TimeoutError):
            wait_until(ready, timeout=timeout, what="ready to kill", interval=0.005)
        self.smtp.kill()

    def add_mailbox(self, address: str, name: str, default_group: str, *, active: bool = True) -> None:
        """A mailbox row written straight into the database, as an admin's earlier change would have left it."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO mailbox (address, name, default_group, active, created_at) "
                    "VALUES (:address, :name, :default_group, :active, now())"
                ),
                {"address": address, "name": name, "default_group": default_group, "active": active},
            )

    def rows(self, **where: Any) -> list[InboundMail]:
        with Session(self.engine) as session:
            query = select(InboundMail).order_by(InboundMail.id)
            for name, value in where.items():
                query = query.where(getattr(InboundMail, name) == value)
            return list(session.scalars(query).all())

    def wait_rows(
        self, predicate: Callable[[list[InboundMail]], bool], timeout: float = 15.0, **where: Any
    ) -> list[InboundMail]:
        deadline = time.monotonic() + timeout
        while True:
            rows = self.rows(**where)
            if predicate(rows):
                return rows
            if time.monotonic() > deadline:
                raise TimeoutError(f"rows {where} never satisfied the condition: {[(r.id, r.status) for r in rows]}")
            time.sleep(0.1)

    def wait_emitted(self, message_ids: list[str], timeout: float = 30.0) -> dict[str, list[dict[str, Any]]]:
        """Wait until a `mail_received` for each Message-ID has arrived; returns them by Message-ID."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(TimeoutError):
                self.events.wait_for("mail_received", count=10**9, timeout=0.2)
            found: dict[str, list[dict[str, Any]]] = {mid: [] for mid in message_ids}
            for event in self.events.events:
                mid = event.get("payload", {}).get("message_id")
                if event.get("event_type") == "mail_received" and mid in found:
                    found[mid].append(event)
            missing = [mid for mid, events in found.items() if not events]
            if not missing:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"no mail_received for {len(missing)} mails, e.g. {missing[:3]}")

    def publish_cases_event(self, payload: EventPayload) -> Envelope:
        """Publish an event as the cases service would (exchange `cases.events`, routing key = type)."""
        envelope = Envelope.wrap(payload, source="cases")
        exchange = Exchange("cases.events", type="topic", durable=True)
        with Connection(self.amqp_uri) as conn:
            conn.Producer().publish(
                envelope.model_dump(mode="json"),
                exchange=exchange,
                routing_key=payload.EVENT_TYPE,
                serializer="json",
                declare=[exchange],
                delivery_mode=2,
            )
        return envelope


class RetryingSenders:
    """Sender threads started by `Stack.start_senders`: what got 250 so far, and how many tries failed."""

    def __init__(self, stack: Stack, message_ids: list[str], threads: int, subject: str) -> None:
        self.acked: list[str] = []
        self.failed = 0
        self._lock = threading.Lock()
        self._stack, self._subject = stack, subject
        self._threads = [
            threading.Thread(target=self._send, args=(message_ids[i::threads],), daemon=True) for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def _send(self, chunk: list[str]) -> None:
        for mid in chunk:
            failed = self._stack.send_until_accepted(self._stack.mail(message_id=mid, subject=f"{self._subject} {mid}"))
            with self._lock:
                self.acked.append(mid)
                self.failed += failed

    def acked_so_far(self) -> list[str]:
        with self._lock:
            return list(self.acked)

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for each sender; True when all of them have finished."""
        for thread in self._threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in self._threads)


def make_mail(
    *,
    message_id: str | None,
    subject: str = "Printer on floor 3 is broken",
    sender: str = "Kari Nordmann <kari@customer.test>",
    to: str = SUPPORT,
    body: str = "Hello,\nthe printer shows error E42.\n",
    headers: dict[str, str] | None = None,
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    """A well-formed mail as bytes, CRLF line endings as an MTA sends it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Sun, 22 Nov 2026 10:00:00 +0100"
    if message_id:
        msg["Message-ID"] = f"<{message_id}>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    # on the wire, SMTP lines end in CRLF (smtplib does not convert bytes)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mail_gateway", *args],
        env={**os.environ, **env},
        cwd=repo_root(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"mail_gateway {args} failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("mail-gateway")
    with pg_database("mail_gateway") as db_url, amqp_vhost() as amqp_uri:
        smtp_port, smtp_ops, worker_ops = free_port(), free_port(), free_port()
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_SECRET_KEY": SECRET,
            "HELPDESK_MAIL_DOMAIN": MAIL_DOMAIN,
            "HELPDESK_VAR_DIR": str(tmp / "var"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(tmp / "blobs"),
            "MAIL_GATEWAY_SMTP_PORT": str(smtp_port),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(smtp_ops),
            "MAIL_GATEWAY_OPS_PORT": str(worker_ops),
            "MAIL_GATEWAY_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
            "MAIL_GATEWAY_MAX_ATTACHMENT_BYTES": str(MAX_ATTACHMENT_BYTES),
            "MAIL_GATEWAY_IMAP_BATCH_SIZE": str(IMAP_BATCH_SIZE),
            "MAIL_GATEWAY_IMAP_TIMEOUT": "5",
        }
        _run(["migrate"], env)
        _run(["seed"], env)
        events = EventCollector(amqp_uri, ["mail_gateway"])
        logs = tmp / "logs"
        smtp = ServiceProcess("mail_gateway", "smtp", env, f"http://127.0.0.1:{smtp_ops}/healthz", logs)
        worker = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{worker_ops}/healthz", logs)
        engine = make_engine(db_url)
        try:
            smtp.start()
            worker.start()
            yield Stack(
                env=env,
                db_url=db_url,
                amqp_uri=amqp_uri,
                blob_dir=tmp / "blobs",
                smtp_port=smtp_port,
                smtp=smtp,
                worker=worker,
                engine=engine,
                events=events,
            )
        finally:
            worker.stop()
            smtp.stop()
            events.close()
            engine.dispose()


@pytest.fixture(scope="module")
def rpc(stack: Stack) -> Iterator[SyncRpc]:
    """A nameko RPC client on the stack's vhost."""
    client = SyncRpc(stack.amqp_uri)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def imap(request: pytest.FixtureRequest) -> Iterator[Dovecot]:
    """A dovecot for the test module, with the users its `IMAP_USERS` lists, each with IMAP_PASSWORD."""
    with dovecot_server(dict.fromkeys(request.module.IMAP_USERS, IMAP_PASSWORD)) as server:
        yield server


def imap_mailbox(imap: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    """`save_mailbox` data for `user`'s INBOX on the test dovecot, polled every second unless `extra` says so."""
    return {
        "address": f"{user}-imap@example.com",
        "name": user,
        "default_group": "Support",
        "imap_host": imap.host,
        "imap_port": imap.port,
        "imap_security": "none",
        "imap_user": user,
        "imap_password": IMAP_PASSWORD,
        "imap_poll_seconds": 1,
        **extra,
    }
