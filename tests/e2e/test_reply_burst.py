"""A burst of threads, replies right behind their parents, threads exactly as mail sent one at a time (decision 0223).

Two mail-gateway workers and two cases workers compete for the mail: without the wait, a reply processed
before its parent's case exists opens a case of its own.
"""

from __future__ import annotations

import smtplib
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import pytest
from look import wait_until
from mail import customer_mail
from sqlalchemy import create_engine, text

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, SyncRpc, free_port

sys.path.append(str(repo_root() / "services" / "mail-gateway" / "tests"))
from imap_server import dovecot_server  # the mail gateway suite's real dovecot

SMTP_THREADS = 200  # 800 mails: a busy Monday morning through the SMTP listener
IMAP_THREADS = 100  # 400 mails waiting in the folder (IMAP fetches in batches, so this costs more per mail)
SENDERS = 8  # SMTP connections at once, each flushing its threads mail after mail
IMAP_PASSWORD = "backlog-pw-0223"


@pytest.fixture(scope="module")
def competing(system) -> Iterator[None]:
    """A second mail-gateway worker and a second cases worker beside the system's own."""
    sys_, _sink = system
    extra = []
    for package, port_variable in (("mail_gateway", "MAIL_GATEWAY_OPS_PORT"), ("cases", "CASES_OPS_PORT")):
        port = free_port()
        process = ServiceProcess(
            package,
            "worker",
            {**sys_.env, port_variable: str(port)},
            f"http://127.0.0.1:{port}/healthz",
            sys_.var_dir / "logs-second",
        )
        extra.append(process.start(timeout=60))
    try:
        yield
    finally:
        for process in extra:
            process.stop()


def _thread(n: int) -> list[EmailMessage]:
    """A customer's mail, a reply to it, a reply to the reply, and a second reply to the first mail."""
    sender = f"Customer {n} <burst.{n}.{uuid.uuid4().hex[:6]}@customer.example>"
    subject = f"Burst {n} {uuid.uuid4().hex[:6]}"
    first = customer_mail(sender=sender, subject=subject, body=f"Thread {n}: the VPN drops.")
    p = first["Message-ID"]
    answer = customer_mail(
        sender=sender, subject=f"Re: {subject}", body="Still dropping.", in_reply_to=p, references=[p]
    )
    a = answer["Message-ID"]
    again = customer_mail(sender=sender, subject=f"Re: {subject}", body="And again.", in_reply_to=a, references=[p, a])
    sibling = customer_mail(
        sender=sender, subject=f"Re: {subject}", body="Forgot the log.", in_reply_to=p, references=[p]
    )
    return [first, answer, again, sibling]


def _flush(port: int, threads: list[list[EmailMessage]]) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for thread in threads:
            for msg in thread:
                smtp.send_message(msg)


def test_a_burst_over_smtp_lands_every_reply_on_its_parents_case(system, competing):
    sys_, _sink = system
    threads = [_thread(n) for n in range(SMTP_THREADS)]
    with ThreadPoolExecutor(SENDERS) as pool:
        list(pool.map(lambda i: _flush(sys_.smtp_port, threads[i::SENDERS]), range(SENDERS)))
    _assert_one_case_per_thread(sys_, threads)


def test_an_imap_backlog_lands_every_reply_on_its_parents_case(system, competing):
    """The whole corpus waits in the folder before the mailbox is connected, as after an outage."""
    sys_, _sink = system
    threads = [_thread(n) for n in range(IMAP_THREADS)]
    with dovecot_server({"backlog": IMAP_PASSWORD}) as imap:
        for thread in threads:
            for msg in thread:
                imap.append("backlog", msg.as_bytes())
        rpc = SyncRpc(sys_.amqp_uri)
        try:
            rpc.call(
                "mail_gateway",
                "save_mailbox",
                data={
                    "address": "backlog-imap@example.com",
                    "name": "Backlog",
                    "default_group": "Support",
                    "imap_host": imap.host,
                    "imap_port": imap.port,
                    "imap_security": "none",
                    "imap_user": "backlog",
                    "imap_password": IMAP_PASSWORD,
                    "imap_poll_seconds": 1,
                },
            )
        finally:
            rpc.close()
        _assert_one_case_per_thread(sys_, threads)


def _assert_one_case_per_thread(sys_, threads: list[list[EmailMessage]]) -> None:
    """Every mail processed, each thread on exactly one case of its own, every reply by its Message-ID."""
    mids = {msg["Message-ID"].strip("<>"): n for n, thread in enumerate(threads) for msg in thread}
    engine = create_engine(sys_.databases["mail_gateway"])
    try:

        def settled() -> dict[str, tuple[str, int | None, str | None]] | None:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT message_id, status, case_id, thread_reason FROM inbound_mail WHERE message_id = ANY(:m)"
                    ),
                    {"m": list(mids)},
                ).all()
            found = {r.message_id: (r.status, r.case_id, r.thread_reason) for r in rows}
            done = len(found) == len(mids) and all(v[1] is not None for v in found.values())
            return found if done else None

        found = wait_until(settled, timeout=240, what="every mail of the burst on a case")
    finally:
        engine.dispose()

    cases: dict[int, set[int | None]] = {}
    for mid, (status, case_id, _reason) in found.items():
        assert status == "processed", (mid, status)
        cases.setdefault(mids[mid], set()).add(case_id)
    assert {n: ids for n, ids in cases.items() if len(ids) != 1} == {}  # no thread split
    assert len({next(iter(ids)) for ids in cases.values()}) == len(threads)  # no two threads share a case
    reasons = [reason for _status, _case, reason in found.values()]
    assert reasons.count("known_message_id") == 3 * len(threads)  # every reply by the Message-ID it names
