"""Lookups and row <-> contract mapping shared by the commands and reads of every capability."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.case.rules_changes import history_value
from cases.case.tables import Case, CaseHistory, CaseNumberSeq, Message
from cases.common import batch_lookups, group_contacts
from cases.directory.tables import Agent, Contact, ContactEmail, Group
from contracts.cases import (
    Actor,
    AgentRead,
    AgentRef,
    AgentRole,
    AttachmentRef,
    CaseRead,
    CaseTypeRef,
    ContactRead,
    ContactRef,
    GroupRef,
    MessageRead,
    OrganisationRef,
)
from contracts.errors import LIGHT_AGENT_NOT_ASSIGNABLE, DomainError, NotFound, ValidationFailed

CASE_SEQUENCE = "case"


def normalise_email(email: str) -> str:
    """Addresses are compared case-insensitively (the local part too, as every real mailbox does)."""
    return email.strip().lower()


def next_case_number(session: Session) -> int:
    """The next case number; the counter row stays locked until the transaction ends (no gaps)."""
    number = session.scalar(
        update(CaseNumberSeq)
        .where(CaseNumberSeq.name == CASE_SEQUENCE)
        .values(last_value=CaseNumberSeq.last_value + 1)
        .returning(CaseNumberSeq.last_value)
    )
    if number is None:  # the migration seeds the row; a hand-made database may lack it
        session.execute(insert(CaseNumberSeq).values(name=CASE_SEQUENCE, last_value=1))
        number = 1
    return int(number)


def next_case_numbers(session: Session, count: int) -> list[int]:
    """`count` consecutive case numbers in one statement (a group of inbound mails, decision 0127)."""
    last = session.scalar(
        update(CaseNumberSeq)
        .where(CaseNumberSeq.name == CASE_SEQUENCE)
        .values(last_value=CaseNumberSeq.last_value + count)
        .returning(CaseNumberSeq.last_value)
    )
    if last is None:
        session.execute(insert(CaseNumberSeq).values(name=CASE_SEQUENCE, last_value=count))
        last = count
    return list(range(int(last) - count + 1, int(last) + 1))


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    return case


def require_case(session: Session, case_id: int) -> None:
    """NotFound unless the case exists: one indexed statement, for reads of a case's parts that do not need the
    case itself (loading it with its tags, custom values and followers costs several statements)."""
    if session.scalar(select(Case.id).where(Case.id == case_id)) is None:
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})


def lock_case(session: Session, case_id: int) -> Case:
    """The case row, locked for this transaction (SELECT ... FOR UPDATE on PostgreSQL)."""
    case = session.scalars(
        select(Case).where(Case.id == case_id).with_for_update(of=Case).execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    return case


def refreshed(session: Session, case: Case) -> Case:
    """Flush, then reload the case so its requester/assignee/group match the ids just set."""
    session.flush()
    session.refresh(case)
    return case


def find_contact(session: Session, email: str) -> Contact | None:
    address = normalise_email(email)
    lookups = batch_lookups.current(session)  # a group of inbound mails looked its addresses up at once (0127)
    if lookups is not None and address in lookups.contacts:
        return lookups.contacts[address]
    return session.scalar(select(Contact).join(ContactEmail).where(ContactEmail.email == address))


def get_or_create_contact(session: Session, *, email: str, name: str = "", approved: bool = True) -> Contact:
    """The contact owning `email`, created when unknown (`approved` as given); a missing name is filled in."""
    contact = find_contact(session, email)
    if contact is None and batch_lookups.current(session) is not None:
        # a group of mails: written with the group's other new contacts (0157); no savepoint: a lost race
        # fails the flush that writes it, and the mail (or group) takes the one-by-one path below
        contact = group_contacts.create(session, address=normalise_email(email), name=name, approved=approved)
    elif contact is None:
        try:
            # a savepoint: when a concurrent transaction creates the same address first, we lose
            # only this insert (not the whole mail or request) and use the contact it created
            with session.begin_nested():
                contact = Contact(name=name.strip(), approved=approved)
                contact.emails.append(ContactEmail(email=normalise_email(email)))
                session.add(contact)
                session.flush()
        except IntegrityError:
            contact = find_contact(session, email)
            if contact is None:
                raise
    elif not contact.name and name.strip():
        contact.name = name.strip()
    return contact


def require_agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise ValidationFailed(message=f"no active agent {agent_id}", details={"assignee_id": agent_id})
    return agent


def require_assignee(session: Session, agent_id: int) -> Agent:
    """An active agent who may own work: a light agent reads and writes internal notes only (decision 0196)."""
    agent = require_agent(session, agent_id)
    if agent.role == AgentRole.LIGHT_AGENT.value:
        raise DomainError(
            LIGHT_AGENT_NOT_ASSIGNABLE,
            f"agent {agent_id} is a light agent: only an agent or an admin can be assigned",
            {"assignee_id": agent_id, "role": agent.role},
        )
    return agent


def require_group(session: Session, group_id: int) -> Group:
    group = session.get(Group, group_id)
    if group is None:
        raise ValidationFailed(message=f"no group {group_id}", details={"group_id": group_id})
    return group


def record_history(session: Session, *, case: Case, field: str, old: object, new: object, actor: Actor) -> None:
    session.add(
        CaseHistory(
            case_id=case.id,
            field=field,
            old_value=history_value(old),
            new_value=history_value(new),
            actor_type=actor.type.value,
            actor_id=actor.id,
            actor_name=actor.name,
            channel=actor.channel.value,
            case_version=case.version,
        )
    )


def case_read(case: Case) -> CaseRead:
    requester = case.requester
    return CaseRead(
        id=case.id,
        number=case.number,
        title=case.title,
        description=case.description,
        status=case.status,
        priority=case.priority,
        source=case.source,
        requester=ContactRef(
            id=requester.id,
            email=requester.primary_email,
            name=requester.name,
            phone=requester.phone,
            preferred_channel=requester.preferred_channel,
        )
        if requester
        else None,
        assignee=AgentRef(id=case.assignee.id, email=case.assignee.email, name=case.assignee.name)
        if case.assignee
        else None,
        group=GroupRef(id=case.group.id, name=case.group.name) if case.group else None,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        **_case_model_fields(case),
    )


def _case_model_fields(case: Case) -> dict[str, Any]:
    """The fields of the case model (status name, type, tags, followers, custom fields, ...)."""
    return {
        "status_id": case.status_id,
        "status_name": case.status_def.name if case.status_def else None,
        "type": CaseTypeRef(id=case.type_def.id, name=case.type_def.name, instructions=case.type_def.instructions)
        if case.type_def
        else None,
        "category": case.category,
        "solution": case.solution,
        "due_at": case.due_at,
        "external_ref": case.external_ref,
        "organisation": OrganisationRef(id=case.organisation.id, name=case.organisation.name)
        if case.organisation
        else None,
        "followers": [ContactRef(id=f.id, email=f.primary_email, name=f.name) for f in case.followers],
        "tags": [t.tag for t in case.tag_rows],
        "custom_fields": {v.field_key: v.value for v in case.custom_rows},
        "parent_id": case.parent_id,
        "dormant_until": case.dormant_until,
        "held_for_approval": bool(case.held_for_approval),
        "sla_state": case.sla_state or "none",
        "sla_due_at": case.sla_due_at,
        "mailbox": case.mailbox,  # the mailbox it came in on (or an agent's new email went out from)
        "inform_contact": case.inform_contact,
    }


def message_read(message: Message) -> MessageRead:
    return MessageRead(
        id=message.id,
        case_id=message.case_id,
        author_type=message.author_type,
        author_id=message.author_id,
        author_name=message.author_name,
        author_email=message.author_email,
        visibility=message.visibility,
        channel=message.channel,
        body_text=message.body_text,
        body_html=message.body_html,
        email_message_id=message.email_message_id,
        attachments=[AttachmentRef.model_validate(a) for a in message.attachments or []],
        created_at=message.created_at,
        kind=message.kind or "reply",
        recipients=list(message.recipients or []),
        from_outsider=bool(message.from_outsider),
    )


def agent_read(agent: Agent) -> AgentRead:
    return AgentRead(
        id=agent.id,
        email=agent.email,
        name=agent.name,
        role=AgentRole(agent.role),
        group_ids=sorted(m.group_id for m in agent.memberships),
    )


def contact_read(contact: Contact) -> ContactRead:
    return ContactRead(id=contact.id, email=contact.primary_email, name=contact.name)
