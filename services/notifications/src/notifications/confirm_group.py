"""What a group of `case_created` confirmations looks up once and writes once (decision 0158).

The confirmation consumer is applied in groups (chassis `idempotent_group`, 0152). Its `prepare` opens the
group's events, loads the suppressed addresses and the customer mail settings the group needs in one query
each, and counts the rate limits of the mails that may go in one Redis round trip (`CountOnce.hit_many`); the
handlers then find all of it here. The thread references the handlers record are held and inserted in one
statement by `complete`, before the group's commit. Outside a group (the one-by-one path) nothing is held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert
from contracts.cases import CaseCreated
from contracts.envelope import Envelope
from notifications.db.models import CustomerMailSetting, SuppressedAddress, ThreadRef

KEY = "notifications:confirm_group"
Row = TypeVar("Row")


@dataclass
class GroupLookups:
    events: dict[str, CaseCreated] = field(default_factory=dict)  # event_id -> the opened payload
    gates: dict[str, Any] = field(default_factory=dict)  # event_id -> handlers.confirmation gate (or None)
    absent: set[tuple[type, Any]] = field(default_factory=set)  # (model, primary key) known to have no row
    thread_refs: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)  # held for `write`
    keep: list[Any] = field(default_factory=list)  # the loaded rows: the identity map holds them only weakly


def begin(session: Session, *, recipients: list[str], scope_keys: set[str]) -> GroupLookups:
    """Start a group: load the rows its handlers will ask for (present ones stay in the identity map)."""
    lookups = GroupLookups()
    session.info[KEY] = lookups
    _load(session, lookups, SuppressedAddress, SuppressedAddress.address, set(recipients))
    _load(session, lookups, CustomerMailSetting, CustomerMailSetting.scope_key, scope_keys)
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


def get_row(session: Session, model: type[Row], key: Any) -> Row | None:
    """`session.get`, without a query for a key the group's lookups found to have no row."""
    lookups = current(session)
    if lookups is not None and (model, key) in lookups.absent:
        return None
    return session.get(model, key)


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


def _load(session: Session, lookups: GroupLookups, model: type, column: Any, keys: set[str]) -> None:
    if not keys:
        return
    # present rows stay in the identity map, so the handlers' session.get needs no query for them either
    rows: list[Any] = list(session.scalars(select(model).where(column.in_(sorted(keys)))))
    lookups.keep.extend(rows)
    found = {getattr(row, column.key) for row in rows}
    lookups.absent.update((model, key) for key in keys - found)
