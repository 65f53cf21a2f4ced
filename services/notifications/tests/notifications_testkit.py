"""Test kit of the notifications tests: an SMTP sink, an event publisher, payload builders, waiting helpers."""

from __future__ import annotations

import base64
import contextlib
import itertools
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from kombu import Connection
from sqlalchemy import create_engine, inspect, text

from chassis.amqp import ConfirmedPublisher, event_exchange
from chassis.testing import ServiceProcess, free_port
from chassis.testing import wait_until as _wait_until
from contracts.cases import CaseRead, MessageRead
from contracts.envelope import Envelope, EventPayload

T = TypeVar("T")
SECRET = "test-secret-for-notifications-0123456789"
_ids = itertools.count(int(time.time()) % 100_000 * 10)

EVENT_QUEUES = [
    "evt-cases-case_created--notifications.on_case_created",
    "evt-cases-message_added--notifications.on_message_added",
    "evt-cases-case_updated--notifications.on_case_updated",
    "evt-portal-magic_link_requested--notifications.on_magic_link_requested",
    "evt-mail_gateway-mail_bounced--notifications.on_mail_bounced",
    "evt-mail_gateway-mailbox_oauth_failed--notifications.on_mailbox_oauth_failed",
    "evt-mail_gateway-mailbox_sending_changed--notifications.on_mailbox_sending_changed",
]


def next_id() -> int:
    return next(_ids)


def wait_until(check: Callable[[], T], timeout: float = 15.0, what: str = "condition") -> T:
    """`chassis.testing.wait_until` with this kit's default deadline (15 s)."""
    return _wait_until(check, timeout=timeout, what=what)


# -- SMTP sink --------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SinkHandler:
    """Collects mail; answers RCPT with a configured error for some (or all) recipients."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    refuse_all: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        answer = self.refuse.get(address.lower()) or self.refuse_all
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.rcpt_tos]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:<port>, startable and stoppable at will."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = SinkHandler()
        self.controller: Controller | None = None

    def start(self) -> SmtpSink:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        return wait_until(
            lambda: (m := self.to(address)) and len(m) >= count and m, timeout, f"{count} mail to {address}"
        )

    def to(self, address: str) -> list[EmailMessage]:
        return self.handler.to(address)


class AuthSink(SmtpSink):
    """An SMTP server that wants a login: PLAIN/LOGIN with `user`/`password`, or XOAUTH2 with `token`."""

    def __init__(self, *, user: str, password: str = "", token: str = "", port: int | None = None) -> None:
        super().__init__(port)
        self.user, self.password, self.token = user, password, token
        self.handler = XoauthHandler(self)
        self.logins: list[str] = []

    def start(self) -> AuthSink:
        def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
                self.user,
                self.password,
            )
            if ok:
                self.logins.append(f"{mechanism}:{self.user}")
            return AuthResult(success=ok, handled=False)

        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=check,
            auth_required=True,
            auth_require_tls=False,
            # aiosmtpd 1.4 waits for more after a refused AUTH LOGIN with an initial response: PLAIN only
            auth_exclude_mechanism=["LOGIN"],
        )
        self.controller.start()
        return self


class XoauthHandler(SinkHandler):
    def __init__(self, sink: AuthSink) -> None:
        super().__init__()
        self.sink = sink

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:
        """RFC-less but universal (Google, Microsoft): base64 of `user=<u>^Aauth=Bearer <t>^A^A`."""
        if len(args) < 2 or not self.sink.token:
            return AuthResult(success=False, handled=False)
        expected = f"user={self.sink.user}\x01auth=Bearer {self.sink.token}\x01\x01"
        if base64.b64decode(args[1]).decode() != expected:
            return AuthResult(success=False, handled=False, message="535 5.7.8 Username and Password not accepted")
        self.sink.logins.append(f"XOAUTH2:{self.sink.user}")
        return AuthResult(success=True)


# -- events -------------------------------------------------------------------------------------


class Publisher:
    """Publishes envelopes to `<service>.events` as the real services would (confirmed, persistent)."""

    def __init__(self, amqp_uri: str) -> None:
        self.exchanges = {s: event_exchange(s) for s in ("cases", "portal", "mail_gateway")}
        self.publisher = ConfirmedPublisher(amqp_uri, declare=list(self.exchanges.values()))

    def publish(self, payload: EventPayload | Envelope, service: str = "cases") -> Envelope:
        envelope = payload if isinstance(payload, Envelope) else Envelope.wrap(payload, source=service)
        self.publisher.publish(
            envelope.model_dump(mode="json"),
            exchange=self.exchanges[service],
            routing_key=envelope.event_type,
            message_id=envelope.event_id,
        )
        return envelope

    def close(self) -> None:
        self.publisher.close()


def wait_for_queues(amqp_uri: str, names: list[str], timeout: float = 20.0) -> None:
    """The worker's event queues exist (its consumers are declared), so published events are not lost."""

    def declared() -> bool:
        with Connection(amqp_uri) as conn:
            channel = conn.channel()
            try:
                for name in names:
                    channel.queue_declare(queue=name, passive=True)
            except Exception:
                return False
            return True

    wait_until(declared, timeout, f"queues {names}")


def queue_depth(amqp_uri: str, name: str) -> int:
    with Connection(amqp_uri) as conn:
        return int(conn.channel().queue_declare(queue=name, passive=True).message_count)


# -- payloads -----------------------------------------------------------------------------------


def now(offset_seconds: float = 0) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=offset_seconds)


def make_case(
    *,
    case_id: int | None = None,
    title: str = "Printer on fire",
    source: str = "email",
    requester_email: str | None = "alice@customer.example",
    requester_name: str = "Alice Andersen",
    requester_phone: str | None = None,
) -> CaseRead:
    case_id = case_id or next_id()
    requester = (
        {"id": next_id(), "email": requester_email, "name": requester_name, "phone": requester_phone}
        if requester_email or requester_phone
        else None
    )
    return CaseRead.model_validate(
        {
            "id": case_id,
            "number": 1000 + case_id % 100_000,
            "title": title,
            "status": "new",
            "priority": "medium",
            "source": source,
            "requester": requester,
            "version": 1,
            "created_at": now(-60),
            "updated_at": now(-60),
        }
    )


def make_message(
    *,
    case: CaseRead,
    author_type: str = "contact",
    visibility: str = "public",
    channel: str = "email",
    email_message_id: str | None = None,
    body: str = "Hello, it is still burning.",
    created_at: datetime | None = None,
    author_email: str | None = None,
) -> MessageRead:
    return MessageRead.model_validate(
        {
            "id": next_id(),
            "case_id": case.id,
            "author_type": author_type,
            "visibility": visibility,
            "channel": channel,
            "body_text": body,
            "email_message_id": email_message_id,
            "author_email": author_email,
            "created_at": created_at or now(),
        }
    )


# -- the service under test -------------------------------------------------------------------


@dataclass
class Worker:
    """The notifications worker as its real process, with what a test needs to talk to it."""

    process: ServiceProcess
    ops_port: int
    db_url: str

    def metric(self, name: str, **labels: str) -> float:
        """A counter's value from the worker's /metrics (0 when absent)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ops_port}/metrics", timeout=5) as resp:
            body = resp.read().decode()
        total = 0.0
        for line in body.splitlines():
            if not line.startswith(name + "{"):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def consumed(self, event_type: str, outcome: str) -> float:
        return self.metric(
            "helpdesk_events_consumed_total", service="notifications", event_type=event_type, outcome=outcome
        )

    def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        """Rows of the delivery table (the test owns this database)."""
        clause = " AND ".join(f"{k} = :{k}" for k in where) or "TRUE"
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(text(f"SELECT * FROM delivery WHERE {clause} ORDER BY id"), where)  # noqa: S608
                return [dict(r._mapping) for r in rows]
        finally:
            engine.dispose()

    def processed(self, event_id: str, consumer: str) -> bool:
        """`consumer` (e.g. "on_case_updated") has applied the event.

        Several consumers handle one event (customer mail, agent alerts, ...): waiting for "any of them"
        lets a test assert "nothing was sent" before the consumer that would send has run, so the
        consumer is required.
        """
        if not consumer or consumer.startswith("notifications."):
            raise ValueError(f"name the consumer method, e.g. 'on_message_added', not {consumer!r}")
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    text("SELECT 1 FROM processed_event WHERE event_id = :e AND consumer = :c"),
                    {"e": event_id, "c": f"notifications.{consumer}"},
                )
                return found.first() is not None
        finally:
            engine.dispose()


def migrate(env: dict[str, str]) -> None:
    import os

    subprocess.run(
        [sys.executable, "-m", "notifications", "migrate"], env={**os.environ, **env}, check=True, capture_output=True
    )


def migrate_unless_copied(env: dict[str, str]) -> None:
    """Migrate, unless the database is a copy of the migrated template (the `db_url` fixture): a worker started
    several times in a module migrates once, not each time."""
    engine = create_engine(env["NOTIFICATIONS_DATABASE_URL"])
    try:
        if inspect(engine).has_table("alembic_version"):
            return
    finally:
        engine.dispose()
    migrate(env)


@contextlib.contextmanager
def running_worker(
    *,
    db_url: str,
    amqp_uri: str,
    smtp_port: int | None,
    log_dir: Path,
    var_dir: Path,
    extra_env: dict[str, str] | None = None,
    **settings: str,
) -> Iterator[Worker]:
    """Migrate, then run `python -m notifications worker` until the block ends (no smtp_port: .eml files)."""
    ops_port = free_port()
    env = {
        "NOTIFICATIONS_DATABASE_URL": db_url,
        "HELPDESK_AMQP_URI": amqp_uri,
        "NOTIFICATIONS_OPS_PORT": str(ops_port),
        "HELPDESK_SMTP_RELAY": f"127.0.0.1:{smtp_port}" if smtp_port else "",
        "HELPDESK_SECRET_KEY": SECRET,
        "HELPDESK_VAR_DIR": str(var_dir),
        "NOTIFICATIONS_RETRY_BASE_DELAY": "0.2",
        "NOTIFICATIONS_RETRY_MAX_DELAY": "1",
        "NOTIFICATIONS_SMTP_TIMEOUT": "3",
        # rate-limit counters of one test run must not leak into the next one (shared Redis)
        "NOTIFICATIONS_REDIS_PREFIX": f"test:notifications:{uuid.uuid4().hex}",
        **{f"NOTIFICATIONS_{k.upper()}": v for k, v in settings.items()},
        **(extra_env or {}),
    }
    migrate_unless_copied(env)
    process = ServiceProcess("notifications", "worker", env, f"http://127.0.0.1:{ops_port}/healthz", log_dir)
    worker = Worker(process=process, ops_port=ops_port, db_url=db_url)
    process.start()
    try:
        wait_for_queues(amqp_uri, EVENT_QUEUES)
        yield worker
    finally:
        process.stop()


def header_ids(value: str | None) -> list[str]:
    """Message-IDs in a header, without angle brackets."""
    return re.findall(r"<([^<>\s]+)>", value or "")


# -- a local fake of Twilio's REST API ----------------------------------------------------------


@dataclass
class FakeTwilio:
    """Twilio's `POST /2010-04-01/Accounts/<sid>/Messages.json` on 127.0.0.1; answers `fail_with` when set."""

    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-twilio-token"
    received: list[dict[str, str]] = field(default_factory=list)
    fail_with: tuple[int, int, str] | None = None  # (HTTP status, Twilio error code, message)
    port: int = 0
    _server: Any = None

    def start(self) -> FakeTwilio:
        import base64
        import json
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs

        fake = self
        expected_auth = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                path_ok = self.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
                if self.headers.get("Authorization") != expected_auth or not path_ok:
                    return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if fake.fail_with is not None:
                    status, code, message = fake.fail_with
                    return self._answer(status, {"code": code, "message": message, "status": status})
                fake.received.append(form)
                sid = f"SM{len(fake.received):032d}"
                return self._answer(201, {"sid": sid, "status": "queued", "to": form.get("To")})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def settings(self) -> dict[str, str]:
        """Keyword settings for `running_worker`."""
        return {
            "twilio_account_sid": self.account_sid,
            "twilio_auth_token": self.auth_token,
            "twilio_from_number": "+4790000000",
            "twilio_base_url": f"http://127.0.0.1:{self.port}",
        }

    def to(self, number: str) -> list[dict[str, str]]:
        return [m for m in list(self.received) if m.get("To") == number]
