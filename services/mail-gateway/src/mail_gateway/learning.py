"""What the cases service tells us about our mail: which case each inbound mail became part of, for the audit
(`case_id`) and so a later reply naming its Message-ID threads to it (from `case_created` and `message_added`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from chassis.db import dialect_insert
from contracts.cases import CaseCreated, MessageAdded
from contracts.envelope import Envelope
from mail_gateway.db.models import (
    CaseRef,
    InboundMail,
)

_LEARNED = "mail_gateway.learned"  # session.info key: what a group of events taught, written at its end


def start_learning(session: Session, envelopes: list[Envelope]) -> None:
    """A group of `case_created` / `message_added` begins: collect, write once at the end (0131)."""
    session.info[_LEARNED] = []


def finish_learning(session: Session) -> None:
    """Write what the group's events taught in two statements (before its commit)."""
    _write_learned(session, session.info.pop(_LEARNED, []))


def learn_case_of_message(*, session: Session, envelope: Envelope) -> None:
    """Remember which case a customer's mail became part of (from `message_added` / `case_created`).

    Inside a group (`start_learning`) the facts are collected and written by `finish_learning`; alone
    (the one-by-one path of a failed group) they are written at once. Both writes are idempotent.
    """
    number: tuple[int, int] | None = None
    if envelope.event_type == MessageAdded.EVENT_TYPE:
        added = envelope.open(MessageAdded)
        message, case_id, mail_id = added.message, added.case.id, added.inbound_mail_id
    else:
        created = envelope.open(CaseCreated)
        number = (created.case.number, created.case.id)
        message, case_id, mail_id = created.first_message, created.case.id, created.inbound_mail_id
    email_message_id = message.email_message_id.strip().strip("<>") if message and message.email_message_id else None
    if mail_id is not None:  # the mail itself: its row, even without a Message-ID or with one another mailbox shares
        learned = _Learned(number=number, mail=(mail_id, case_id))
    else:  # an event from before cases named the mail: every row with its Message-ID
        learned = _Learned(number=number, message=(email_message_id, case_id) if email_message_id else None)
    group = session.info.get(_LEARNED)
    if group is not None:
        group.append(learned)
    else:
        _write_learned(session, [learned])


@dataclass(frozen=True)
class _Learned:
    number: tuple[int, int] | None  # (case number, case id)
    message: tuple[str, int] | None = None  # (customer Message-ID, case id)
    mail: tuple[int, int] | None = None  # (inbound mail id, case id)


def _write_learned(session: Session, learned: list[_Learned]) -> None:
    numbers: dict[int, int] = {}
    for item in learned:
        if item.number is not None:
            numbers.setdefault(*item.number)  # case numbers never change: the first sighting is kept
    if numbers:
        # one statement; a replay is a no-op
        session.execute(
            dialect_insert(session, CaseRef)
            .values([{"number": n, "case_id": c} for n, c in numbers.items()])
            .on_conflict_do_nothing()
        )
    table = cast(Table, InboundMail.__table__)
    updates = [{"mid": item.message[0], "cid": item.message[1]} for item in learned if item.message is not None]
    if updates:
        # executemany in event order: the last event about a Message-ID wins, as one by one
        session.connection().execute(
            update(table).where(table.c.message_id == bindparam("mid")).values(case_id=bindparam("cid")), updates
        )
    by_mail = [{"mail": item.mail[0], "cid": item.mail[1]} for item in learned if item.mail is not None]
    if by_mail:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("mail")).values(case_id=bindparam("cid")), by_mail
        )
