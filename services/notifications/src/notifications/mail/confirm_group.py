"""What a group of `case_created` confirmations looks up once and writes once (decision 0158).

The confirmation consumer is applied in groups (chassis `idempotent_group`, 0152). Its `prepare` opens the
group's events, loads the suppressed addresses and the customer mail settings the group needs in one query
each (`db.preload`), and counts the rate limits of the mails that may go in one Redis round trip
(`CountOnce.hit_many`); the handlers then find all of it here. The thread references the handlers record are
held and inserted in one statement by `complete`, before the group's commit. Outside a group (the one-by-one
path) nothing is held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from chassis.db import dialect_insert
from contracts.cases import CaseCreated
from contracts.envelope import Envelope
from notifications.db import preload
from notifications.db.models import CustomerMailSetting, SuppressedAddress, ThreadRef

KEY = "notifications:confirm_group"


@dataclass
class GroupLookups:
    events: dict[str, CaseCreated] = field(default_factory=dict)  # event_id -> the opened payload
    gates: dict[str, Any] = field(default_factory=dict)  # event_id -> confirmations' gate (or None)
    thread_refs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)  # held for `write`


def begin(session: Session, *, recipients: list[str], scope_keys: set[str]) -> GroupLookups:
    """Start a group: load the rows its handlers will ask for (present ones stay in the identity map)."""
    lookups = GroupLookups()
    session.info[KEY] = lookups
    preload.begin(session)
    preload.load(session, SuppressedAddress, SuppressedAddress.address, set(recipients))
    preload.load(session, CustomerMailSetting, CustomerMailSetting.scope_key, scope_keys)
    return lookups


def current(session: Session) -> GroupLookups | None:
    found = session.info.get(KEY)
    return found if isinstance(found, GroupLookups) else None


def opened(session: Session, envelope: Envelope) -> CaseCreated:
    """The event's payload, validated once per group."""
    lookups = current(session)
    event = lookups.events.get(envelope.event_id) if lookups is not None else None
    if event is None:
        event = envelope.open(CaseCreated)
        if lookups is not None:
            lookups.events[envelope.event_id] = event
    return event


def remember(session: Session, refs: list[dict[str, Any]]) -> None:
    """Record Message-IDs of cases once each: held for the group's one INSERT, or inserted now."""
    lookups = current(session)
    if lookups is None:
        _insert_refs(session, refs)
        return
    for ref in refs:
        lookups.thread_refs.setdefault((ref["case_id"], ref["email_message_id"]), ref)


def write(session: Session) -> None:
    """The group's held thread references, in one statement inside its transaction."""
    lookups = session.info.pop(KEY, None)
    preload.end(session)
    if isinstance(lookups, GroupLookups):
        _insert_refs(session, [lookups.thread_refs[key] for key in sorted(lookups.thread_refs)])


def thread_ref(*, case_id: int, email_message_id: str, author_type: str, created_at: datetime) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "email_message_id": email_message_id,
        "author_type": author_type,
        "created_at": created_at,
    }


def _insert_refs(session: Session, refs: list[dict[str, Any]]) -> None:
    if not refs:
        return
    # concurrent events may carry the same Message-ID: the first one wins, the others do nothing
    stmt = dialect_insert(session, ThreadRef.__table__).values(refs)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["case_id", "email_message_id"]))
