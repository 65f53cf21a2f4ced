"""Reads of the directory used by the agent UI and notifications: groups, agents, contacts by address."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.common import repo
from cases.directory.tables import Agent, Contact, Group
from contracts.cases import AgentRead, ContactRead, GroupRef
from contracts.errors import NotFound


def list_groups(*, session: Session) -> list[GroupRef]:
    return [GroupRef(id=g.id, name=g.name) for g in session.scalars(select(Group).order_by(Group.name))]


def list_agents(*, session: Session) -> list[AgentRead]:
    agents = session.scalars(select(Agent).where(Agent.active.is_(True)).order_by(Agent.name, Agent.id))
    return [repo.agent_read(a) for a in agents]


def get_agent(*, session: Session, agent_id: int) -> AgentRead:
    agent = session.get(Agent, agent_id)
    if agent is None or not agent.active:
        raise NotFound(message="no such agent", details={"agent_id": agent_id})
    return repo.agent_read(agent)


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
