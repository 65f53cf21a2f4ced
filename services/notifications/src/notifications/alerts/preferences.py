"""Use cases of agents' notification preferences (E2): read and change them, one transaction each."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.db import dialect_insert, utcnow
from notifications.alerts import rules
from notifications.db.models import AgentPreference


def choices_of(*, session: Session, agent_id: int) -> dict[tuple[str, str], bool]:
    """What the agent chose explicitly, as {(kind, channel): enabled}."""
    rows = session.scalars(select(AgentPreference).where(AgentPreference.agent_id == agent_id))
    return {(r.kind, r.channel): r.enabled for r in rows}


def choices_of_many(*, session: Session, agent_ids: list[int]) -> dict[int, dict[tuple[str, str], bool]]:
    """`choices_of` for several agents in one query: {agent_id: {(kind, channel): enabled}} (absent: none)."""
    found: dict[int, dict[tuple[str, str], bool]] = {}
    if not agent_ids:
        return found
    rows = session.execute(
        select(AgentPreference.agent_id, AgentPreference.kind, AgentPreference.channel, AgentPreference.enabled).where(
            AgentPreference.agent_id.in_(agent_ids)
        )
    )
    for agent_id, kind, channel, enabled in rows:
        found.setdefault(agent_id, {})[(kind, channel)] = enabled
    return found


def get_preferences(*, session: Session, agent_id: int) -> dict[str, dict[str, bool]]:
    """Every kind and channel with the agent's resulting setting."""
    return rules.effective(choices_of(session=session, agent_id=agent_id))


def set_preference(
    *, session: Session, agent_id: int, kind: str, channel: str, enabled: bool
) -> dict[str, dict[str, bool]]:
    """Turn one kind on one channel on or off for the agent; returns the resulting settings."""
    rules.validate(kind, channel)
    stmt = dialect_insert(session, AgentPreference.__table__).values(
        agent_id=agent_id, kind=kind, channel=channel, enabled=enabled, updated_at=utcnow()
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["agent_id", "kind", "channel"], set_={"enabled": enabled, "updated_at": utcnow()}
        )
    )
    return get_preferences(session=session, agent_id=agent_id)
