"""mail_received applied in groups (decisions 0126, 0127): one transaction, the same rules as one by one.

The group committer runs in this process against a real PostgreSQL database (migrated and seeded like
the worker's) and a real RabbitMQ vhost for dead letters; greenthreads submit the deliveries as nameko's
would, and a long linger makes them one group. The last test kills the real worker in a burst.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import eventlet
import pytest
from conftest import mail_received
from kombu import Connection, Exchange, Queue
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from cases.common import batch_lookups, config_cache
from cases.common.tables import OutboxMessage, ProcessedEvent
from cases.config.tables import FieldConfig, Setting
from cases.intake import writes_batch as mail_batch
from cases.sla.tables import SlaPolicy
from chassis.consumer import DeadLetters, consume
from chassis.db import make_engine, make_sessionmaker
from chassis.group_commit import FALLBACK, GroupCommitter
from chassis.outbox import add_event
from chassis.testing import ServiceProcess, amqp_vhost, free_port, pg_database
from contracts.envelope import Envelope, EventPayload
from contracts.mail_gateway import MailAddress, MailKind, MailReceived, OutsiderReply, ThreadDecision

CONSUMER = "cases.on_mail_received"


def _body(mail: MailReceived) -> dict[str, Any]:
    return Envelope.wrap(mail, source="mail_gateway", correlation_id=uuid.uuid4().hex).model_dump(mode="json")


def _migrated(db_url: str, amqp_uri: str) -> dict[str, str]:
    env = {"CASES_DATABASE_URL": db_url, "HELPDESK_AMQP_URI": amqp_uri}
    for command in ("migrate", "seed"):
        done = subprocess.run(
            [sys.executable, "-m", "cases", command],
            env={**os.environ, "HELPDESK_ENV": "test", **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return env


class _Emitter:
    """The part of the worker's Runtime the mail handlers use: events into the outbox, same transaction."""

    def emit(self, session: Session, payload: EventPayload, correlation_id: str | None = None) -> Envelope:
        return add_event(session, OutboxMessage, payload, source="cases", correlation_id=correlation_id)

    def transaction(self) -> Any:
        raise AssertionError("the mail path uses the consumer's transaction")


class Setup:
    def __init__(self, db_url: str, amqp_uri: str) -> None:
        self.db_url, self.amqp_uri = db_url, amqp_uri
        self.engine: Engine = make_engine(db_url)
        self.factory: sessionmaker[Session] = make_sessionmaker(self.engine)
        self.dead_letters = DeadLetters(amqp_uri, "cases")
        self.runtime = _Emitter()

    def handler(self, session: Session, envelope: Envelope) -> None:
        mail_batch.apply(
            runtime=self.runtime, session=session, payload=envelope.open(MailReceived), correlation_id=envelope.event_id
        )

    def committer(self, *, handler: Any = None, fallback: bool = True, linger: float = 0.3) -> GroupCommitter:
        handle = handler or self.handler
        return GroupCommitter(
            service="cases",
            consumer=CONSUMER,
            session_factory=self.factory,
            processed_model=ProcessedEvent,
            handler=handle,
            prepare=mail_batch.prepare,
            forget=batch_lookups.forget,
            complete=lambda session: mail_batch.complete(runtime=self.runtime, session=session),
            fallback=(
                lambda body: consume(
                    body,
                    service="cases",
                    consumer=CONSUMER,
                    session_factory=self.factory,
                    processed_model=ProcessedEvent,
                    handler=handle,
                    dead_letters=self.dead_letters,
                    retry_delay=0.01,
                )
            )
            if fallback
            else None,
            linger=linger,
        )

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def events(self, event_type: str) -> list[dict[str, Any]]:
        found = self.rows("SELECT envelope FROM outbox_message WHERE event_type = :t ORDER BY id", t=event_type)
        return [row.envelope["payload"] for row in found]

    def case_of(self, mail: MailReceived) -> Any:
        found = self.rows(
            'SELECT c.id, c.number, c.requester_id, c.sla_state FROM message m JOIN "case" c ON c.id = m.case_id '
            "WHERE m.inbound_mail_id = :i",
            i=mail.inbound_mail_id,
        )
        assert len(found) == 1, f"mail {mail.inbound_mail_id} is on {len(found)} cases"
        return found[0]


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    with pg_database("cases_groups") as db_url, amqp_vhost() as amqp_uri:
        _migrated(db_url, amqp_uri)
        made = Setup(db_url, amqp_uri)
        with made.factory.begin() as session:  # a policy for every case, so new cases get an SLA
            session.add(SlaPolicy(name="Everything", first_response_minutes=60, resolution_minutes=480))
        try:
            yield made
        finally:
            made.engine.dispose()


def _deliver(committer: GroupCommitter, bodies: list[Any]) -> list[str]:
    """Each body in its own greenthread, as nameko hands deliveries out; the answers in order."""
    threads = [eventlet.spawn(committer.submit, body) for body in bodies]
    return [thread.wait() for thread in threads]


def test_a_poison_mail_leaves_its_group_and_the_others_are_applied(setup: Setup) -> None:
    good = [mail_received(f"group.{uuid.uuid4().hex[:6]}@customer.example") for _ in range(3)]
    poison = {"event_id": str(uuid.uuid4()), "event_type": "mail_received", "payload": {"subject": "no sender"}}
    garbage = {"no": "envelope"}
    committer = setup.committer()
    outcomes = _deliver(committer, [_body(good[0]), poison, _body(good[1]), garbage, _body(good[2])])
    assert outcomes == ["applied", "dead_lettered", "applied", "dead_lettered", "applied"]
    assert committer.stats.groups == 1 and committer.stats.largest == 5 and committer.stats.fallbacks == 2
    for mail in good:
        case = setup.case_of(mail)
        assert case.sla_state == "ok"  # the SLA hook ran for the group's new cases
    titles = {e["case"]["title"] for e in setup.events("case_created")}
    assert {m.subject for m in good} <= titles
    marks = setup.rows("SELECT outcome FROM processed_event WHERE event_id = :e", e=poison["event_id"])
    assert [m.outcome for m in marks] == ["dead_lettered"]
    with Connection(setup.amqp_uri) as conn:
        queue = Queue("helpdesk.dead-letter", exchange=Exchange("helpdesk.dead-letter", type="fanout"), durable=True)
        parked = []
        while (message := queue(conn.default_channel).get(no_ack=True)) is not None:
            parked.append(message.headers["x-consumer"])
    assert parked == [CONSUMER, CONSUMER]


def test_duplicate_event_ids_within_and_across_groups_apply_once(setup: Setup) -> None:
    first, second, third = (mail_received(f"dup.{uuid.uuid4().hex[:6]}@customer.example") for _ in range(3))
    b1, b2, b3 = _body(first), _body(second), _body(third)
    resent = _body(third)  # the same mail under a new event id (the gateway re-sent it)
    assert _deliver(setup.committer(), [b1, b1, b2]) == ["applied", "duplicate", "applied"]
    assert _deliver(setup.committer(), [b2, b1, b3, resent, b3]) == [
        "duplicate",
        "duplicate",
        "applied",
        "applied",
        "duplicate",
    ]
    for mail in (first, second, third):
        setup.case_of(mail)  # exactly one case each
    marks = setup.rows("SELECT count(*) AS n FROM processed_event WHERE event_id = :e", e=b1["event_id"])
    assert marks[0].n == 1


def test_a_reply_a_new_case_and_a_stranger_on_the_thread_in_one_group(setup: Setup) -> None:
    customer = f"thread.{uuid.uuid4().hex[:6]}@customer.example"
    opening = mail_received(customer)
    assert _deliver(setup.committer(linger=0), [_body(opening)]) == ["applied"]
    case = setup.case_of(opening)
    on_thread = ThreadDecision(case_id=case.id, reason="signed_message_id")
    reply = mail_received(customer, subject=f"Re: {opening.subject}", thread=on_thread)
    fresh = mail_received(customer, subject="Another printer", cc=[MailAddress(email=f"boss.{customer}", name="Boss")])
    stranger = mail_received(
        f"stranger.{uuid.uuid4().hex[:6]}@other.example",
        subject=f"Re: {opening.subject}",
        thread=on_thread,
        outsider_reply=OutsiderReply.NEW_LINKED_CASE,
    )
    outsider = mail_received(f"outsider.{uuid.uuid4().hex[:6]}@other.example", subject="Fwd", thread=on_thread)
    committer = setup.committer()
    mails = [_body(reply), _body(fresh), _body(stranger), _body(outsider)]
    assert _deliver(committer, mails) == ["applied"] * 4
    assert committer.stats.groups == 1
    assert setup.case_of(reply).id == case.id  # the reply joined its case
    new_case = setup.case_of(fresh)
    assert new_case.id != case.id and new_case.requester_id == case.requester_id
    followers = setup.rows(
        "SELECT ce.email FROM case_follower f JOIN contact_email ce ON ce.contact_id = f.contact_id "
        "WHERE f.case_id = :c",
        c=new_case.id,
    )
    assert [f.email for f in followers] == [f"boss.{customer}"]
    own = setup.case_of(stranger)  # the mailbox gives a stranger on the thread a case of their own, related
    assert own.id not in (case.id, new_case.id)
    links = setup.rows("SELECT other_case_id FROM case_link WHERE case_id = :c", c=own.id)
    assert [link.other_case_id for link in links] == [case.id]
    added = [e for e in setup.events("message_added") if e["case"]["id"] == case.id]
    # by default someone not on the case joins it as an internal entry, flagged (decision 0220)
    assert [(e["message"]["email_message_id"], e["message"]["from_outsider"]) for e in added] == [
        (reply.message_id, False),
        (outsider.message_id, True),
    ]


def test_two_mails_from_one_new_sender_in_one_group_make_one_contact(setup: Setup) -> None:
    sender = f"new.{uuid.uuid4().hex[:6]}@customer.example"
    mails = [mail_received(sender.upper() if i else sender, subject=f"New sender {i}") for i in range(2)]
    committer = setup.committer()
    assert _deliver(committer, [_body(m) for m in mails]) == ["applied", "applied"]
    assert committer.stats.groups == 1
    assert len({setup.case_of(m).requester_id for m in mails}) == 1
    assert setup.rows("SELECT count(*) AS n FROM contact_email WHERE email = :e", e=sender)[0].n == 1


class _Crash(BaseException):
    """The process dies in the middle of a group (not an error a handler could recover from)."""


def test_a_crash_before_the_commit_commits_nothing_and_the_redelivery_applies_once(setup: Setup) -> None:
    mails = [mail_received(f"crash.{uuid.uuid4().hex[:6]}@customer.example") for _ in range(4)]
    bodies = [_body(m) for m in mails]
    seen: list[str] = []

    def crashing(session: Session, envelope: Envelope) -> None:
        seen.append(envelope.event_id)
        if len(seen) == 3:
            raise _Crash
        setup.handler(session, envelope)

    committer = setup.committer(handler=crashing, fallback=False)
    threads = [eventlet.spawn(committer.submit, b) for b in bodies]
    answers: list[str] = []
    for thread in threads:
        try:
            answers.append(thread.wait())
        except _Crash:
            answers.append("crashed")
    assert sorted(answers) == ["crashed", FALLBACK, FALLBACK, FALLBACK]  # nothing acked
    ids = [b["event_id"] for b in bodies]
    assert setup.rows("SELECT count(*) AS n FROM processed_event WHERE event_id = ANY(:ids)", ids=ids)[0].n == 0
    inbound = [m.inbound_mail_id for m in mails]
    assert setup.rows("SELECT count(*) AS n FROM message WHERE inbound_mail_id = ANY(:i)", i=inbound)[0].n == 0
    # the broker delivers the unacked group again (twice over, even): each mail becomes one case
    assert _deliver(setup.committer(), bodies + bodies[:2]) == ["applied"] * 4 + ["duplicate"] * 2
    for mail in mails:
        setup.case_of(mail)


@pytest.mark.slow
def test_the_worker_killed_in_a_burst_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """SIGKILL the real worker while groups are being applied; the restarted one finishes the burst."""
    with pg_database("cases_crash") as db_url, amqp_vhost() as amqp_uri:
        port = free_port()
        env = {**_migrated(db_url, amqp_uri), "CASES_OPS_PORT": str(port)}
        health = f"http://127.0.0.1:{port}/healthz"
        worker = ServiceProcess("cases", "worker", env, health, tmp_path).start()
        engine = create_engine(db_url)
        try:
            time.sleep(2)  # the event queue is declared once the worker is up
            mails = [mail_received(f"burst{i % 7}.{uuid.uuid4().hex[:4]}@customer.example") for i in range(150)]
            exchange = Exchange("mail_gateway.events", type="topic", durable=True)
            with Connection(amqp_uri) as conn:
                producer = conn.Producer()
                for mail in mails:
                    producer.publish(
                        _body(mail), exchange=exchange, routing_key="mail_received", serializer="json", delivery_mode=2
                    )

            def applied() -> int:
                with engine.connect() as conn:
                    return int(
                        conn.execute(
                            text("SELECT count(*) FROM message WHERE inbound_mail_id IS NOT NULL")
                        ).scalar_one()
                    )

            deadline = time.monotonic() + 60
            while applied() < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
            worker.kill()
            killed_at = applied()
            assert killed_at < len(mails), "the burst finished before the kill: nothing was tested"
            worker = ServiceProcess("cases", "worker", env, health, tmp_path).start()
            deadline = time.monotonic() + 120
            while applied() < len(mails) and time.monotonic() < deadline:
                time.sleep(0.2)
            with engine.connect() as conn:
                per_mail = conn.execute(
                    text(
                        "SELECT m.inbound_mail_id, count(*) AS n FROM message m WHERE m.inbound_mail_id IS NOT NULL "
                        "GROUP BY m.inbound_mail_id"
                    )
                ).all()
                cases = conn.execute(text('SELECT count(*) FROM "case"')).scalar_one()
                created = conn.execute(
                    text("SELECT count(*) FROM outbox_message WHERE event_type = 'case_created'")
                ).scalar_one()
            assert sorted(r.inbound_mail_id for r in per_mail) == sorted(m.inbound_mail_id for m in mails)
            assert {r.n for r in per_mail} == {1}
            assert cases == len(mails) and created == len(mails)
            # the restarted worker applied what was left in groups, not one by one
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                lines = resp.read().decode().splitlines()
            sizes = {
                line.split("{")[0]: float(line.rsplit(" ", 1)[1])
                for line in lines
                if line.startswith("helpdesk_consumer_group_size_") and CONSUMER in line and "_bucket" not in line
            }
            assert sizes["helpdesk_consumer_group_size_sum"] > sizes["helpdesk_consumer_group_size_count"] > 0
        finally:
            engine.dispose()
            worker.stop()


def _shape(setup: Setup, mail: MailReceived) -> dict[str, Any]:
    """What a mail became, without ids, numbers and times: its case_created event and its case's history."""
    case = setup.case_of(mail)
    event = next(e for e in setup.events("case_created") if e["case"]["id"] == case.id)
    volatile = {"id", "number", "created_at", "updated_at", "sla_due_at", "case_id"}
    shown = {k: v for k, v in event["case"].items() if k not in volatile}
    first = {k: v for k, v in event["first_message"].items() if k not in {*volatile, "email_message_id"}}
    history = setup.rows(
        "SELECT field, old_value, new_value, actor_type, actor_name, channel, case_version FROM case_history "
        "WHERE case_id = :c ORDER BY id",
        c=case.id,
    )
    rows = [tuple(r) if r.field != "created" else (r.field, r.actor_type) for r in history]
    return {"case": shown, "first_message": first, "actor": event["actor"], "history": rows}


def test_a_group_writes_the_same_cases_history_and_events_as_one_by_one(setup: Setup) -> None:
    with setup.factory.begin() as session:  # Cc not added (field hidden), a required field left empty
        session.merge(FieldConfig(field="follower_ids", used=True, hidden=True, required=False))
        session.merge(FieldConfig(field="category", used=True, hidden=False, required=True))
    try:
        people = [f"same{i}.{uuid.uuid4().hex[:6]}@customer.example" for i in range(3)]
        kinds: list[dict[str, Any]] = [
            {"cc": [MailAddress(email=f"cc.{people[0]}", name="Cc")]},
            {"attachments": [{"filename": "log.txt", "sha256": "cd" * 32, "size": 12}], "html_body": "<p>Hi</p>"},
            {"subject": ""},
        ]
        alone = [mail_received(p, **k) for p, k in zip(people, kinds, strict=True)]
        together = [mail_received(p, **k) for p, k in zip(people, kinds, strict=True)]
        for mail in alone:  # the one-by-one path, as before groups existed
            assert (
                consume(
                    _body(mail),
                    service="cases",
                    consumer=CONSUMER,
                    session_factory=setup.factory,
                    processed_model=ProcessedEvent,
                    handler=setup.handler,
                    dead_letters=setup.dead_letters,
                )
                == "applied"
            )
        committer = setup.committer()
        assert _deliver(committer, [_body(m) for m in together]) == ["applied"] * 3
        assert committer.stats.groups == 1
        for one, grouped in zip(alone, together, strict=True):
            want, got = _shape(setup, one), _shape(setup, grouped)
            want["case"].pop("title"), got["case"].pop("title")  # subjects differ by a random suffix
            assert got == want
        history = _shape(setup, together[0])["history"]
        assert [h[0] for h in history] == ["created", "required_fields_missing", "followers_not_added"]
    finally:
        with setup.factory.begin() as session:
            session.merge(FieldConfig(field="follower_ids", used=True, hidden=False, required=False))
            session.merge(FieldConfig(field="category", used=True, hidden=False, required=False))


def test_held_senders_and_replies_to_closed_cases_in_one_group(setup: Setup) -> None:
    customer = f"closed.{uuid.uuid4().hex[:6]}@customer.example"
    opening = mail_received(customer)
    assert _deliver(setup.committer(linger=0), [_body(opening)]) == ["applied"]
    closed = setup.case_of(opening)
    with setup.engine.begin() as conn:
        conn.execute(text("UPDATE \"case\" SET status = 'closed', closed_at = now() WHERE id = :c"), {"c": closed.id})
    with setup.factory.begin() as session:
        session.merge(Setting(key="hold_unknown_senders", value=True))
        session.merge(Setting(key="closed_reply", value="follow_up"))
    try:
        stranger = f"held.{uuid.uuid4().hex[:6]}@customer.example"
        reply = mail_received(customer, subject=f"Re: {opening.subject}", thread=ThreadDecision(case_id=closed.id))
        unknown = [mail_received(stranger, subject=f"Held {i}") for i in range(2)]
        auto = mail_received(customer, kind=MailKind.AUTO_REPLY, thread=ThreadDecision(case_id=closed.id))
        committer = setup.committer()
        assert _deliver(committer, [_body(m) for m in (reply, *unknown, auto)]) == ["applied"] * 4
        assert committer.stats.groups == 1
        follow_up = setup.case_of(reply)  # a follow-up case pointing back at the closed one
        assert follow_up.id != closed.id
        marks = setup.rows("SELECT field, new_value FROM case_history WHERE case_id = :c ORDER BY id", c=closed.id)
        assert ("follow_up", str(follow_up.number)) in [(m.field, m.new_value) for m in marks]
        held = setup.rows(
            'SELECT c.held_for_approval, ct.approved FROM "case" c JOIN contact ct ON ct.id = c.requester_id '
            "JOIN message m ON m.case_id = c.id WHERE m.inbound_mail_id = ANY(:i)",
            i=[m.inbound_mail_id for m in unknown],
        )
        assert [(h.held_for_approval, h.approved) for h in held] == [(True, False), (True, False)]
        system = setup.rows(
            "SELECT case_id, author_type, visibility FROM message WHERE inbound_mail_id = :i", i=auto.inbound_mail_id
        )
        assert [(s.case_id, s.author_type, s.visibility) for s in system] == [(closed.id, "system", "internal")]
    finally:
        with setup.factory.begin() as session:
            session.merge(Setting(key="hold_unknown_senders", value=False))
            session.merge(Setting(key="closed_reply", value="reopen"))


def test_two_replies_to_one_case_and_a_thread_to_a_deleted_case_in_one_group(setup: Setup) -> None:
    customer = f"replies.{uuid.uuid4().hex[:6]}@customer.example"
    opening = mail_received(customer)
    assert _deliver(setup.committer(linger=0), [_body(opening)]) == ["applied"]
    case = setup.case_of(opening)
    on_thread = ThreadDecision(case_id=case.id, reason="signed_message_id")
    replies = [mail_received(customer, subject=f"Re: {opening.subject} {i}", thread=on_thread) for i in range(2)]
    lost = mail_received(customer, subject="Re: a case that is gone", thread=ThreadDecision(case_id=case.id + 10_000))
    committer = setup.committer()
    assert _deliver(committer, [_body(m) for m in (*replies, lost)]) == ["applied"] * 3
    assert committer.stats.groups == 1
    assert [setup.case_of(r).id for r in replies] == [case.id, case.id]
    assert setup.case_of(lost).id != case.id  # no such case: the mail opens one
    versions = [e["case"]["version"] for e in setup.events("message_added") if e["case"]["id"] == case.id]
    assert versions == [2, 3]  # the second reply saw the first one's write, as one by one


def test_new_senders_and_cc_contacts_of_a_group_are_inserted_together(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config_cache, "TTL_SECONDS", 0)  # both groups read the configuration: counts compare
    tag = uuid.uuid4().hex[:6]
    s0, s1, s3, s4, s5 = (f"sender{i}.{tag}@customer.example" for i in (0, 1, 3, 4, 5))
    c0, c2, c4 = (f"cc{i}.{tag}@customer.example" for i in (0, 2, 4))

    def group() -> list[MailReceived]:
        """Six mails: s0 twice (in two spellings), c0 Cc'd twice, s4 Cc'd before writing itself."""
        senders = [s0, s1, s0.upper(), s3, s4, s5]
        ccs: list[list[str]] = [[c0], [c0.upper()], [c2], [s4.upper()], [c4], []]
        return [
            mail_received(sender, cc=[MailAddress(email=c, name="Cc") for c in cc])
            for sender, cc in zip(senders, ccs, strict=True)
        ]

    def applied_counting(mails: list[MailReceived]) -> list[str]:
        """Apply the mails as one group; the SQL statements the group sent."""
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(" ".join(statement.split()))

        committer = setup.committer()
        event.listen(setup.engine, "before_cursor_execute", count)
        try:
            assert _deliver(committer, [_body(m) for m in mails]) == ["applied"] * len(mails)
        finally:
            event.remove(setup.engine, "before_cursor_execute", count)
        assert committer.stats.groups == 1
        return statements

    new = group()
    with_new_contacts = applied_counting(new)
    addresses = [s0, s1, s3, s4, s5, c0, c2, c4]
    stored = setup.rows("SELECT email, contact_id FROM contact_email WHERE email = ANY(:a)", a=addresses)
    assert sorted(r.email for r in stored) == sorted(addresses)  # one contact per address, lower-cased
    contact_of = {r.email: r.contact_id for r in stored}
    assert len(set(contact_of.values())) == len(addresses)
    cases = [setup.case_of(m) for m in new]
    assert [c.requester_id for c in cases] == [contact_of[a] for a in (s0, s1, s0, s3, s4, s5)]

    def followers(case_id: int) -> list[int]:
        rows = setup.rows("SELECT contact_id FROM case_follower WHERE case_id = :c ORDER BY contact_id", c=case_id)
        return [r.contact_id for r in rows]

    assert [followers(c.id) for c in cases] == [
        [contact_of[c0]],
        [contact_of[c0]],
        [contact_of[c2]],
        [contact_of[s4]],  # the Cc'd person who also wrote is one contact in both roles
        [contact_of[c4]],
        [],
    ]
    created = {e["case"]["id"]: e["case"] for e in setup.events("case_created")}
    assert created[cases[0].id]["requester"]["email"] == s0 and created[cases[0].id]["requester"]["name"] == "Kari"
    inserts = [s.split(" (")[0] for s in with_new_contacts if s.startswith("INSERT INTO contact")]
    assert inserts == ["INSERT INTO contact", "INSERT INTO contact_email"]  # eight contacts, two statements

    # the same six mails again, every address known now: the new contacts cost a constant few statements
    with_known_contacts = applied_counting(group())
    extra = len(with_new_contacts) - len(with_known_contacts)
    assert extra <= 3, f"{extra} more statements with {len(addresses)} new contacts than with none"


def test_a_new_address_stored_meanwhile_by_another_worker_is_adopted_and_the_group_commits(setup: Setup) -> None:
    raced = f"raced.{uuid.uuid4().hex[:6]}@customer.example"
    first = mail_received(raced, subject="Raced sender")
    second = mail_received(f"other.{uuid.uuid4().hex[:6]}@customer.example", cc=[MailAddress(email=raced, name="R")])
    theirs: list[int] = []

    def racing(session: Session, envelope: Envelope) -> None:
        setup.handler(session, envelope)
        if not theirs:  # another worker stores the same new address and commits, before this group's commit
            with setup.engine.begin() as conn:
                theirs.append(
                    conn.execute(
                        text(
                            "INSERT INTO contact (name, created_at, approved, preferred_channel) "
                            "VALUES ('Theirs', now(), true, 'email') RETURNING id"
                        )
                    ).scalar_one()
                )
                conn.execute(text("INSERT INTO contact_email (contact_id, email) VALUES (:c, :e)"),
                             {"c": theirs[0], "e": raced})  # fmt: skip

    committer = setup.committer(handler=racing)
    assert _deliver(committer, [_body(first), _body(second)]) == ["applied", "applied"]
    assert committer.stats.groups == 1 and committer.stats.fallbacks == 0  # not thrown back to one by one
    assert setup.case_of(first).requester_id == theirs[0]
    followers = setup.rows("SELECT contact_id FROM case_follower WHERE case_id = :c", c=setup.case_of(second).id)
    assert [f.contact_id for f in followers] == theirs
    assert setup.rows("SELECT count(*) AS n FROM contact_email WHERE email = :e", e=raced)[0].n == 1
    [created] = [e for e in setup.events("case_created") if e["case"]["id"] == setup.case_of(first).id]
    assert created["case"]["requester"]["id"] == theirs[0] and created["actor"]["id"] == theirs[0]
    assert created["first_message"]["author_id"] == theirs[0]
    orphans = setup.rows("SELECT count(*) AS n FROM contact c WHERE NOT EXISTS "
                         "(SELECT 1 FROM contact_email e WHERE e.contact_id = c.id) AND c.phone IS NULL")  # fmt: skip
    assert orphans[0].n == 0  # the contact this group had made for the address is gone
