"""Read side of the cases service: answers for the RPC reads, no changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.db import repo
from cases.db.models import Agent, Case, Contact, Group, Message
from cases.domain.paging import decode_cursor, encode_cursor
from contracts.cases import AgentRead, CaseFilter, CasePage, CaseRead, ContactRead, GroupRef, MessageRead, Visibility
from contracts.errors import NotFound


def get_case(*, session: Session, case_id: int) -> CaseRead:
    return repo.case_read(repo.get_case(session, case_id))


def list_cases(*, session: Session, filters: CaseFilter) -> CasePage:
    """Cases matching `filters`, newest first, one keyset page at a time."""
    query = select(Case)
    if filters.status is not None:
        query = query.where(Case.status == filters.status.value)
    for column, value in (
        (Case.assignee_id, filters.assignee_id),
        (Case.group_id, filters.group_id),
        (Case.requester_id, filters.requester_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.q and filters.q.strip():
        # a plain substring match until full-text search arrives (C4)
        query = query.where(Case.title.icontains(filters.q.strip(), autoescape=True))
    after = decode_cursor(filters.cursor)
    if after is not None:
        query = query.where(Case.id < after)
    rows = session.scalars(query.order_by(Case.id.desc()).limit(filters.limit + 1)).unique().all()
    page = rows[: filters.limit]
    more = len(rows) > filters.limit
    return CasePage(items=[repo.case_read(c) for c in page], next=encode_cursor(page[-1].id) if more else None)


def list_messages(*, session: Session, case_id: int, visibility: Visibility | None = None) -> list[MessageRead]:
    """The conversation of a case, oldest first (optionally only one visibility)."""
    repo.get_case(session, case_id)
    query = select(Message).where(Message.case_id == case_id)
    if visibility is not None:
        query = query.where(Message.visibility == visibility.value)
    return [repo.message_read(m) for m in session.scalars(query.order_by(Message.id))]


def list_groups(*, session: Session) -> list[GroupRef]:
    return [GroupRef(id=g.id, name=g.name) for g in session.scalars(select(Group).order_by(Group.name))]


def list_agents(*, session: Session) -> list[AgentRead]:
    agents = session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name, Agent.id))
    return [repo.agent_read(a) for a in agents]


def get_agent_by_email(*, session: Session, email: str) -> AgentRead:
    agent = session.scalar(select(Agent).where(Agent.email == repo.normalise_email(email), Agent.active.is_(True)))
    if agent is None:
        raise NotFound(message="no such agent", details={"email": email})
    return repo.agent_read(agent)


def get_contact_by_email(*, session: Session, email: str) -> ContactRead:
    contact: Contact | None = repo.find_contact(session, email)
    if contact is None:
        raise NotFound(message="no such contact", details={"email": email})
    return repo.contact_read(contact)


def list_cases_for_contact(*, session: Session, contact_id: int, cursor: str | None, limit: int) -> CasePage:
    """The contact's own cases (D2/D10): the requester filter is forced, never taken from the caller."""
    return list_cases(session=session, filters=CaseFilter(requester_id=contact_id, cursor=cursor, limit=limit))


def get_case_for_contact(*, session: Session, case_id: int, contact_id: int) -> dict[str, Any]:
    """A case and its public conversation, only if the contact is its requester (D4/D10)."""
    case = session.get(Case, case_id)
    if case is None or case.requester_id != contact_id:
        # the same answer as a missing case: never reveal that someone else's case exists
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    messages = list_messages(session=session, case_id=case_id, visibility=Visibility.PUBLIC)
    return {
        "case": repo.case_read(case).model_dump(mode="json"),
        "messages": [m.model_dump(mode="json") for m in messages],
    }
