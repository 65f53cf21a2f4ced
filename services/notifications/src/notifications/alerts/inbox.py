"""An agent's in-app notifications: the newest with the unread count, and marking them read."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chassis.db import utcnow
from contracts.notifications import AgentNotificationPage, AgentNotificationRead
from notifications.db.models import AgentNotification


def list_for_agent(*, session: Session, agent_id: int, limit: int = 20) -> AgentNotificationPage:
    """An agent's newest notifications and their unread count, from one statement: two statements see two
    snapshots, so an alert committed in between was counted but not listed."""
    unread = (
        select(func.count())
        .select_from(AgentNotification)
        .where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
        .scalar_subquery()
    )
    rows = session.execute(
        select(AgentNotification, unread)
        .where(AgentNotification.agent_id == agent_id)
        .order_by(AgentNotification.id.desc())
        .limit(max(1, min(limit, 100)))
    ).all()
    items = [AgentNotificationRead.model_validate(row[0], from_attributes=True) for row in rows]
    # no rows: the agent has no notification at all, so none is unread
    return AgentNotificationPage(items=items, unread=int(rows[0][1]) if rows else 0)


def mark_read(*, session: Session, agent_id: int, up_to_id: int | None = None, only_id: int | None = None) -> int:
    """Mark an agent's notifications read (all, those up to an id, or just one); returns how many changed."""
    stmt = update(AgentNotification).where(AgentNotification.agent_id == agent_id, AgentNotification.read_at.is_(None))
    if up_to_id is not None:
        stmt = stmt.where(AgentNotification.id <= up_to_id)
    if only_id is not None:
        stmt = stmt.where(AgentNotification.id == only_id)
    result = session.execute(stmt.values(read_at=utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
