"""Commands on a case: create, update, messages and follow-ups; one transaction each.

Every change writes history rows and emits its events through the outbox in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.attachments import writes_reply as reply_attachments
from cases.case import rules as workflow
from cases.case import writes_automation as case_rules
from cases.case import writes_edit as case_edit
from cases.case.tables import Case, IdempotencyKey, Message
from cases.common import model_repo, repo
from cases.common.case_state import stamp_status, touch
from cases.common.runtime import Runtime
from cases.directory.tables import Contact
from chassis.db import utcnow
from contracts import errors
from contracts.cases import (
    Actor,
    AuthorType,
    CaseCreate,
    CaseCreated,
    CaseRead,
    CaseUpdate,
    CaseUpdated,
    Channel,
    MessageAdded,
    MessageCreate,
    MessageRead,
    Source,
    Status,
    Visibility,
)

# -- create ----------------------------------------------------------------------------------


def create_case(*, runtime: Runtime, data: CaseCreate, actor: Actor, idempotency_key: str | None = None) -> CaseRead:
    """Open a case (A1/A4); a repeated idempotency key returns the case it created."""
    request_hash = hashlib.sha256(json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    if idempotency_key and (earlier := _replay(runtime, idempotency_key, request_hash)):
        return earlier
    try:
        with runtime.transaction() as session:
            requester = (
                repo.get_or_create_contact(session, email=str(data.requester_email), name=data.requester_name)
                if data.requester_email
                else None
            )
            case = open_case(
                session,
                runtime,
                data=data,
                requester_id=requester.id if requester else None,
                actor=actor,
            )
            if idempotency_key:
                session.add(IdempotencyKey(key=idempotency_key, request_hash=request_hash, case_id=case.id))
            return repo.case_read(case)
    except IntegrityError:
        # a concurrent request with the same key won the race: answer with its case
        if idempotency_key and (earlier := _replay(runtime, idempotency_key, request_hash)):
            return earlier
        raise


def _replay(runtime: Runtime, key: str, request_hash: str) -> CaseRead | None:
    with runtime.transaction() as session:
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.key == key))
        if row is None:
            return None
        if row.request_hash != request_hash:
            raise errors.DomainError(
                errors.IDEMPOTENCY_CONFLICT,
                "this idempotency key was used for a different request",
                {"idempotency_key": key, "case_id": row.case_id},
            )
        return repo.case_read(repo.get_case(session, row.case_id))


def open_case(
    session: Session,
    runtime: Runtime,
    *,
    data: CaseCreate,
    requester_id: int | None,
    actor: Actor,
    first_message: Message | None = None,
    correlation_id: str | None = None,
    held: bool = False,
    mailbox: str | None = None,
    intake: bool = False,
) -> Case:
    """Insert a case with its fields in one INSERT and emit case_created (CaseRead built without a reload).

    `intake`: a customer's own mail, SMS or portal message: required fields bind agents and API callers,
    never the customer's message (decision 0110), so missing ones are recorded in the history instead.
    A group of inbound mails takes the same three steps for all its new cases at once (decision 0127).
    """
    new = build_case(
        session, data=data, requester_id=requester_id, actor=actor, held=held, mailbox=mailbox, intake=intake
    )
    new.first_message, new.correlation_id = first_message, correlation_id
    new.case.number = repo.next_case_number(session)
    session.add(new.case)
    session.flush()
    record_new_case(session, new)
    if first_message is not None:
        session.flush()
    announce_new_case(runtime, session, new)
    return new.case


@dataclass
class NewCase:
    """A case built but not yet inserted, and what its insert must be followed by."""

    case: Case
    created: case_edit.NewCaseFields
    actor: Actor
    first_message: Message | None = None
    correlation_id: str | None = None
    confirm: bool | None = None  # the creator's choice of a confirmation (E1); None: the source's setting


def build_case(
    session: Session,
    *,
    data: CaseCreate,
    requester_id: int | None,
    actor: Actor,
    held: bool = False,
    mailbox: str | None = None,
    intake: bool = False,
) -> NewCase:
    """Validate `data` and build the pending case with its fields (no number, not added to the session)."""
    if data.assignee_id is not None:
        repo.require_assignee(session, data.assignee_id)
    if data.group_id is not None:
        repo.require_group(session, data.group_id)
    now = utcnow()
    case = Case(
        title=data.title,
        description=data.description,
        status=Status.NEW.value,
        priority=data.priority.value,
        source=data.source,
        requester_id=requester_id,
        assignee_id=data.assignee_id,
        group_id=data.group_id,
        version=1,
        created_at=now,
        updated_at=now,
        held_for_approval=held,
        mailbox=mailbox or (str(data.mailbox).lower() if data.mailbox else None),
    )
    if not intake and data.source not in {s.value for s in Source}:
        model_repo.require_source(session, data.source)  # the system's own sources need no entry
    created = case_edit.apply_create_fields(session, case, data=data, actor=actor, intake=intake)
    if case.organisation_id is None and requester_id is not None:
        # a case for a contact of an organisation belongs to it unless the caller chose otherwise; the
        # contact was just read or created in this session, so this is no extra statement
        requester = session.get(Contact, requester_id)
        case.organisation_id = requester.organisation_id if requester else None
    return NewCase(case=case, created=created, actor=actor, confirm=data.confirm)


def record_new_case(session: Session, new: NewCase) -> None:
    """After the case's insert: followers, history, and its first message (added, flushed by the caller)."""
    case, actor = new.case, new.actor
    case_edit.add_create_followers(session, case, new.created.followers)
    repo.record_history(session, case=case, field="created", old=None, new=case.number, actor=actor)
    if new.created.missing:  # decision 0110: the agent sees which required fields still need a value
        missing = ", ".join(new.created.missing)
        repo.record_history(session, case=case, field="required_fields_missing", old=None, new=missing, actor=actor)
    if new.first_message is not None:
        new.first_message.case_id = case.id
        session.add(new.first_message)


def announce_new_case(runtime: Runtime, session: Session, new: NewCase) -> None:
    """Emit case_created (after the first message's insert)."""
    first, first_read = new.first_message, repo.message_read(new.first_message) if new.first_message else None
    case_read = repo.case_read(new.case)  # decision 0111: every attribute is set or loaded, no refresh
    created = CaseCreated(
        case=case_read,
        first_message=first_read,
        actor=new.actor,
        inbound_mail_id=first.inbound_mail_id if first else None,
        confirm=new.confirm if new.confirm is not None else model_repo.source_confirms(session, new.case.source),
    )
    runtime.emit(session, created, new.correlation_id)


# -- update ----------------------------------------------------------------------------------


def update_case(
    *, runtime: Runtime, case_id: int, changes: CaseUpdate, expected_version: int | None, actor: Actor
) -> CaseRead:
    """Change a case's fields (B11: a stale `expected_version` raises VersionConflict, or merges per setting)."""
    return case_edit.update_case(
        runtime=runtime, case_id=case_id, changes=changes, expected_version=expected_version, actor=actor
    )


# -- conversation ----------------------------------------------------------------------------


def add_message(*, runtime: Runtime, case_id: int, data: MessageCreate, actor: Actor) -> MessageRead:
    """An agent's public reply or internal note (B4); replies move the status (B3)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        files = reply_attachments.claim(session, case_id=case.id, attachment_ids=data.attachment_ids)
        message = Message(
            author_type=actor.type.value,
            author_id=actor.id,
            author_name=actor.name,
            author_email=actor.email,
            visibility=data.visibility.value,
            channel=(Channel.SMS if data.send_by_sms else actor.channel).value,
            body_text=data.body,
            attachments=reply_attachments.refs(files),
        )
        read = post_message(session, runtime, case=case, message=message, actor=actor)
        reply_attachments.bind(files, message_id=message.id)
        if data.visibility == Visibility.INTERNAL and actor.type == AuthorType.AGENT:
            case_rules.record_mentions(session, runtime, case=case, message=message, actor=actor)
        return read


def add_contact_message(*, runtime: Runtime, case_id: int, contact_id: int, body: str) -> MessageRead:
    """A contact's reply through the portal, on one of their own cases only (D4/D10)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        if case.requester_id != contact_id or case.requester is None:
            raise errors.NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
        contact = case.requester
        actor = Actor(
            type=AuthorType.CONTACT,
            id=contact.id,
            name=contact.name,
            email=contact.primary_email,
            channel=Channel.PORTAL,
        )
        message = Message(
            author_type=AuthorType.CONTACT.value,
            author_id=contact.id,
            author_name=contact.name,
            author_email=contact.primary_email,
            visibility=Visibility.PUBLIC.value,
            channel=Channel.PORTAL.value,
            body_text=body,
        )
        if case_rules.wants_follow_up(session, case, AuthorType.CONTACT):
            return follow_up(session, runtime, closed=case, message=message, actor=actor)
        return post_message(session, runtime, case=case, message=message, actor=actor)


def follow_up(
    session: Session,
    runtime: Runtime,
    *,
    closed: Case,
    message: Message,
    actor: Actor,
    correlation_id: str | None = None,
) -> MessageRead:
    """A customer's reply to a closed case, as the first message of a new case pointing back at it (B3)."""
    data = CaseCreate(
        title=closed.title,
        description=message.body_text[:100_000],
        source=closed.source,
        group_id=closed.group_id,
    )
    case = open_case(
        session,
        runtime,
        data=data,
        requester_id=closed.requester_id,
        actor=actor,
        first_message=message,
        correlation_id=correlation_id,
        intake=True,  # a customer's reply by mail or portal (decision 0110)
    )
    repo.record_history(session, case=case, field="follow_up_of", old=None, new=closed.number, actor=actor)
    repo.record_history(session, case=closed, field="follow_up", old=None, new=case.number, actor=actor)
    return repo.message_read(message)


def _only_message(session: Session, case_id: int, message_id: int) -> bool:
    """No other message on the case (an agent's reply that starts the conversation)."""
    other = select(Message.id).where(Message.case_id == case_id, Message.id != message_id).limit(1)
    return session.scalar(other) is None


def post_message(
    session: Session,
    runtime: Runtime,
    *,
    case: Case,
    message: Message,
    actor: Actor,
    correlation_id: str | None = None,
) -> MessageRead:
    """Add `message` to `case`, apply the reply rules, write history, emit case_updated + message_added."""
    now = utcnow()
    message.case_id = case.id
    message.created_at = now
    session.add(message)
    public = message.visibility == Visibility.PUBLIC.value
    author = AuthorType(message.author_type)
    delta: dict[str, dict[str, Any]] = {}
    if workflow.is_first_response(author_type=author, public=public, first_response_at=case.first_response_at):
        case.first_response_at = now
    unowned_new = case.status == Status.NEW.value and case.assignee_id is None
    if public and author == AuthorType.AGENT and unowned_new and _is_agent(session, actor):
        # replying to an unowned new case takes ownership of it (B3: an owner is needed to leave New)
        delta["assignee_id"] = {"old": None, "new": actor.id}
        case.assignee_id = actor.id
    target = case_rules.status_after_message(session, case=case, author=author, public=public)
    if target.value != case.status:
        delta["status"] = {"old": case.status, "new": target.value}
        case.status = target.value
        stamp_status(case, target, now)
        delta.update(case_rules.follow_category(session, case, target))
    for name, change in delta.items():
        repo.record_history(session, case=case, field=name, old=change["old"], new=change["new"], actor=actor)
    touch(case, now)
    session.flush()
    case_read = repo.case_read(repo.refreshed(session, case))
    message_read = repo.message_read(message)
    if delta:
        # message_id: notifications tells the customer through the message's own mail, not a status notice
        update = CaseUpdated(case=case_read, changes=delta, actor=actor, message_id=message_read.id)
        runtime.emit(session, update, correlation_id)
    added = MessageAdded(
        case=case_read,
        message=message_read,
        in_reply_to=message.in_reply_to,
        inbound_mail_id=message.inbound_mail_id,
        first_in_case=public and author == AuthorType.AGENT and _only_message(session, case.id, message.id),
    )
    runtime.emit(session, added, correlation_id)
    return message_read


def _is_agent(session: Session, actor: Actor) -> bool:
    if actor.type != AuthorType.AGENT or actor.id is None:
        return False
    try:
        repo.require_agent(session, actor.id)
    except errors.ValidationFailed:
        return False
    return True
