"""The demo workspace's part that the cases service owns: an admin agent and the Support group."""

from __future__ import annotations

from sqlalchemy import select

from cases.directory.tables import Agent, Group, GroupMember
from cases.settings import CasesSettings
from chassis.db import make_engine, make_sessionmaker, unit_of_work
from contracts.cases import AgentRole

ADMIN_EMAIL = "admin@example.com"
SUPPORT_GROUP = "Support"


def seed_demo(settings: CasesSettings) -> None:
    """Create what is missing; running it again changes nothing."""
    engine = make_engine(settings.db_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            admin = session.scalar(select(Agent).where(Agent.email == ADMIN_EMAIL))
            if admin is None:
                admin = Agent(email=ADMIN_EMAIL, name="Admin", role=AgentRole.ADMIN.value, active=True)
                session.add(admin)
            group = session.scalar(select(Group).where(Group.name == SUPPORT_GROUP))
            if group is None:
                group = Group(name=SUPPORT_GROUP)
                session.add(group)
            session.flush()
            if session.get(GroupMember, (group.id, admin.id)) is None:
                session.add(GroupMember(group_id=group.id, agent_id=admin.id))
    finally:
        engine.dispose()
