"""Per-mailbox sending (decisions 0227-0229): each mailbox's mail leaves through its own SMTP server.

Real SMTP servers (aiosmtpd) stand in for the mailboxes' servers and the global relay; the worker is the
real process and learns the servers from `mailbox_sending_changed`, as mail-gateway emits it.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from kombu import Connection, Exchange, Queue
from notifications_testkit import (
    SECRET,
    AuthSink,
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    next_id,
    running_worker,
    wait_until,
)

from chassis import sealed
from chassis.testing import SyncRpc, free_port
from contracts.cases import CaseRead, MessageAdded
from contracts.mail_gateway import MailboxAccessToken, MailboxSendingChanged, MailboxSmtp
from notifications.mail.mailer import SmtpMailer, step_of
from notifications.relays.tokens import AccessTokens


def _announce(
    publisher: Publisher, *, mailbox_id: int, address: str, version: int, sink: SmtpSink | None, **smtp: Any
) -> None:
    payload = MailboxSendingChanged(
        mailbox_id=mailbox_id,
        address=address,
        version=version,
        smtp=MailboxSmtp(host="127.0.0.1", port=sink.port, security="none", **smtp) if sink else None,
    )
    publisher.publish(payload, service="mail_gateway")


def _sealed(password: str) -> str:
    return sealed.seal(password, secret=SECRET, purpose=sealed.SMTP_PASSWORD)


def _case(mailbox: str | None, requester: str) -> CaseRead:
    data = make_case(requester_email=requester).model_dump(mode="json")
    data["mailbox"] = mailbox
    return CaseRead.model_validate(data)


def _reply(publisher: Publisher, case: CaseRead) -> None:
    publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))


@pytest.fixture(scope="module")
def relays() -> Iterator[dict[str, AuthSink]]:
    found = {
        "sales": AuthSink(user="sales-login", password="sales-pw").start(),
        "billing": AuthSink(user="billing-login", password="billing-pw").start(),
    }
    yield found
    for sink in found.values():
        sink.stop()


@pytest.fixture(scope="module")
def worker(
    db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path, relays: dict[str, AuthSink], publisher: Publisher
) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=work_dir,
        var_dir=work_dir,
        from_address="support@example.com",
    ) as worker:
        for mailbox_id, name in ((1, "sales"), (2, "billing")):
            login = relays[name]
            _announce(
                publisher,
                mailbox_id=mailbox_id,
                address=f"{name}@example.com",
                version=1,
                sink=login,
                user=login.user,
                password_sealed=_sealed(login.password),
            )
        _announce(publisher, mailbox_id=3, address="plain@example.com", version=1, sink=None)
        wait_until(lambda: _copies(worker) >= 3, what="the three mailboxes copied")
        yield worker


def _copies(worker: Worker) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(worker.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM mailbox_relay")).scalar_one())
    finally:
        engine.dispose()


def test_each_mailbox_replies_through_its_own_server_and_the_others_through_the_global_relay(
    worker: Worker, publisher: Publisher, sink: SmtpSink, relays: dict[str, AuthSink]
) -> None:
    sales = _case("sales@example.com", "pia@customer.example")
    billing = _case("Billing@Example.com", "ole@customer.example")
    plain = _case("plain@example.com", "siv@customer.example")
    for case in (sales, billing, plain):
        _reply(publisher, case)

    [via_sales] = relays["sales"].wait_for("pia@customer.example")
    [via_billing] = relays["billing"].wait_for("ole@customer.example")
    [via_global] = sink.wait_for("siv@customer.example")
    assert via_sales["From"].addresses[0].addr_spec == "sales@example.com"
    assert via_billing["From"].addresses[0].addr_spec == "billing@example.com"
    assert via_global["From"].addresses[0].addr_spec == "plain@example.com"
    # the envelope sender is the mailbox its server logged us in as; the global relay keeps the service's
    assert [r.mail_from for r in relays["sales"].handler.received] == ["sales@example.com"]
    assert [r.mail_from for r in relays["billing"].handler.received] == ["billing@example.com"]
    assert relays["sales"].logins and relays["billing"].logins
    # nothing crossed over
    assert sink.to("pia@customer.example") == sink.to("ole@customer.example") == []
    assert relays["sales"].to("ole@customer.example") == relays["billing"].to("pia@customer.example") == []
    assert {r["sender_address"] for r in worker.deliveries(case_id=sales.id)} == {"sales@example.com"}


def test_an_older_change_arriving_late_does_not_undo_a_newer_one(
    worker: Worker, publisher: Publisher, sink: SmtpSink, relays: dict[str, AuthSink]
) -> None:
    mailbox_id = next_id()
    target = relays["billing"]
    _announce(
        publisher,
        mailbox_id=mailbox_id,
        address="late@example.com",
        version=5,
        sink=target,
        user=target.user,
        password_sealed=_sealed(target.password),
    )
    _announce(publisher, mailbox_id=mailbox_id, address="late@example.com", version=4, sink=None)
    wait_until(lambda: _copies(worker) >= 4, what="the mailbox copied")
    case = _case("late@example.com", "late-reader@customer.example")
    _reply(publisher, case)
    target.wait_for("late-reader@customer.example")
    assert sink.to("late-reader@customer.example") == []


def test_a_mailbox_server_that_is_down_delays_its_mail_without_losing_it_or_holding_up_others(
    worker: Worker, publisher: Publisher, relays: dict[str, AuthSink]
) -> None:
    down = AuthSink(user="outage-login", password="outage-pw")  # not started: connections are refused
    _announce(
        publisher,
        mailbox_id=50,
        address="outage@example.com",
        version=1,
        sink=down,
        user=down.user,
        password_sealed=_sealed(down.password),
    )
    wait_until(lambda: _copies(worker) >= 5, what="the mailbox copied")
    waiting = [_case("outage@example.com", f"w{i}@customer.example") for i in range(3)]
    for case in waiting:
        _reply(publisher, case)
    failed = wait_until(
        lambda: [d for c in waiting for d in worker.deliveries(case_id=c.id) if d["attempts"] >= 2],
        what="repeated failed attempts",
    )
    assert all(d["status"] in ("failed", "queued") for d in failed)
    assert any("connect" in (d["last_error"] or "").lower() for d in failed)
    # another mailbox's mail is not held up meanwhile
    other = _case("sales@example.com", "meanwhile@customer.example")
    _reply(publisher, other)
    relays["sales"].wait_for("meanwhile@customer.example")

    down.start()
    try:
        for case in waiting:
            [mail] = down.wait_for(case.requester.email if case.requester else "", timeout=30)
            assert mail["From"].addresses[0].addr_spec == "outage@example.com"
        rows = wait_until(
            lambda: (
                (r := [d for c in waiting for d in worker.deliveries(case_id=c.id)])
                and all(d["status"] == "sent" for d in r)
                and r
            ),
            what="every waiting mail sent",
        )
        assert len(rows) == 3
    finally:
        down.stop()


def test_send_test_mail_names_the_step_that_fails(
    worker: Worker, rpc: SyncRpc, publisher: Publisher, relays: dict[str, AuthSink]
) -> None:
    good = relays["sales"]
    result = rpc.call(
        "notifications", "send_test_mail", data={"mailbox_id": 1, "to": "admin@customer.example", "version": 1}
    )
    assert result["ok"] is True and result["own_server"] is True and result["relay"] == f"127.0.0.1:{good.port}"
    [mail] = good.wait_for("admin@customer.example")
    assert mail["From"].addresses[0].addr_spec == "sales@example.com"

    nobody = free_port()
    _announce(publisher, mailbox_id=60, address="wrongport@example.com", version=1, sink=SmtpSink(nobody))
    answer = rpc.call(
        "notifications", "send_test_mail", data={"mailbox_id": 60, "to": "admin@customer.example", "version": 1}
    )
    assert answer["ok"] is False and answer["step"] == "connect", answer

    _announce(
        publisher,
        mailbox_id=61,
        address="wrongpw@example.com",
        version=1,
        sink=good,
        user=good.user,
        password_sealed=_sealed("not-the-password"),
    )
    answer = rpc.call(
        "notifications", "send_test_mail", data={"mailbox_id": 61, "to": "admin@customer.example", "version": 1}
    )
    assert answer["ok"] is False and answer["step"] == "auth", answer
    assert "535" in answer["reason"]

    # a change mail-gateway made that has not reached notifications: said so, nothing sent
    answer = rpc.call(
        "notifications", "send_test_mail", data={"mailbox_id": 1, "to": "admin2@customer.example", "version": 99}
    )
    assert answer["ok"] is False and answer["step"] == "config"
    assert good.to("admin2@customer.example") == []


def test_xoauth2_logs_in_with_the_mailbox_token_and_a_refused_token_fails_at_auth() -> None:
    server = AuthSink(user="oauth@example.com", token="token-of-today").start()
    try:
        expires = datetime.now(UTC) + timedelta(hours=1)
        asked: list[int] = []

        def lookup(mailbox_id: int) -> MailboxAccessToken:
            asked.append(mailbox_id)
            return MailboxAccessToken(access_token="token-of-today", expires_at=expires)

        tokens = AccessTokens(lookup)
        for _ in range(2):  # two connections, one token request: it is reused until it nearly expires
            mailer = SmtpMailer(
                host="127.0.0.1",
                port=server.port,
                user="oauth@example.com",
                security="none",
                token=lambda: tokens.token(7),
            )
            mailer.send(
                delivery_id=1,
                sender="oauth@example.com",
                recipient="reader@customer.example",
                message_id="x@y",
                raw=b"Subject: hi\r\n\r\nhello\r\n",
            )
            mailer.close()
        assert asked == [7]
        assert server.logins == ["XOAUTH2:oauth@example.com"] * 2
        assert len(server.wait_for("reader@customer.example", count=2)) == 2

        # a token the server refuses (revoked before it expired) is dropped: the next login asks for a new one
        server.token = "token-after-revocation"
        stale = SmtpMailer(
            host="127.0.0.1",
            port=server.port,
            user="oauth@example.com",
            security="none",
            token=lambda: tokens.token(7),
            token_refused=lambda: tokens.forget(7),
        )
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            stale.send(
                delivery_id=2, sender="oauth@example.com", recipient="r@customer.example", message_id="z", raw=b"x"
            )
        assert step_of(refused.value) == "auth"
        assert tokens.token(7) == "token-of-today" and asked == [7, 7]
    finally:
        server.stop()


def test_a_password_login_that_fails_is_a_relay_failure_not_a_dead_mail() -> None:
    server = AuthSink(user="u", password="right").start()
    try:
        mailer = SmtpMailer(host="127.0.0.1", port=server.port, user="u", password="wrong", security="none")
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            mailer.send(delivery_id=1, sender="a@example.com", recipient="b@customer.example", message_id="m", raw=b"x")
        assert step_of(refused.value) == "auth"
        starttls = SmtpMailer(host="127.0.0.1", port=server.port, user="u", password="right", security="starttls")
        with pytest.raises(smtplib.SMTPException) as no_tls:
            starttls.send(
                delivery_id=1, sender="a@example.com", recipient="b@customer.example", message_id="m", raw=b"x"
            )
        assert step_of(no_tls.value) == "tls"  # the server offers no STARTTLS: never sent in the clear
    finally:
        server.stop()


class FakeTokenRpc:
    """mail-gateway's `mailbox_access_token` RPC as nameko speaks it (the provider work lives in mail-gateway):
    a consumer of `rpc-mail_gateway` on the test's vhost, answering `tokens[mailbox_id]`, startable at will."""

    def __init__(self, amqp_uri: str, tokens: dict[int, str]) -> None:
        self.amqp_uri, self.tokens, self.calls = amqp_uri, tokens, 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FakeTokenRpc:
        self._stop.clear()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        assert ready.wait(10), "the fake token RPC did not start"
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self, ready: threading.Event) -> None:
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        queue = Queue("rpc-mail_gateway", exchange=exchange, routing_key="mail_gateway.*", durable=True)
        with Connection(self.amqp_uri) as conn:
            producer = conn.Producer()

            def answer(body: dict[str, Any], message: Any) -> None:
                self.calls += 1
                mailbox_id = int(body["kwargs"]["mailbox_id"])
                expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
                result = {"access_token": self.tokens[mailbox_id], "expires_at": expires}
                producer.publish(
                    {"result": result, "error": None},
                    exchange=exchange,
                    routing_key=message.properties["reply_to"],
                    correlation_id=message.properties["correlation_id"],
                    serializer="json",
                )
                message.ack()

            with conn.Consumer(queue, callbacks=[answer], accept=["json"]):
                ready.set()
                while not self._stop.is_set():
                    with contextlib.suppress(socket.timeout, TimeoutError):
                        conn.drain_events(timeout=0.3)


def test_an_oauth2_mailbox_sends_with_a_token_from_mail_gateway_and_waits_while_there_is_none(
    worker: Worker, publisher: Publisher, amqp_uri: str
) -> None:
    server = AuthSink(user="o365@example.com", token="token-from-mail-gateway").start()
    tokens = FakeTokenRpc(amqp_uri, {70: "token-from-mail-gateway"})
    try:
        _announce(
            publisher,
            mailbox_id=70,
            address="o365@example.com",
            version=1,
            sink=server,
            auth="oauth2",
            user="o365@example.com",
        )
        wait_until(lambda: _copies(worker) >= 6, what="the mailbox copied")
        # mail-gateway is not answering yet: no token, so the login fails and the mail is retried, not lost
        case = _case("o365@example.com", "cloud-reader@customer.example")
        _reply(publisher, case)
        [waiting] = wait_until(
            lambda: [d for d in worker.deliveries(case_id=case.id) if d["attempts"] >= 1 and d["status"] == "failed"],
            timeout=30,
            what="a failed attempt without a token",
        )
        assert "auth" in waiting["last_error"] and "token" in waiting["last_error"]
        tokens.start()
        [mail] = server.wait_for("cloud-reader@customer.example", timeout=30)
        assert mail["From"].addresses[0].addr_spec == "o365@example.com"
        assert server.logins == ["XOAUTH2:o365@example.com"] and tokens.calls >= 1
        [row] = wait_until(lambda: [d for d in worker.deliveries(case_id=case.id) if d["status"] == "sent"])
        assert row["attempts"] >= 2
    finally:
        tokens.stop()
        server.stop()
